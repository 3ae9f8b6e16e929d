//! The in-memory pub/sub broker: every subscription of a topic has its own FIFO queue; pulled messages are leased
//! and come back if not acknowledged in time; a retried message keeps its place ahead of later ones.
//!
//! Its queues live in the host, behind the `keyvalue` capability (an ordered store), not in this instance's memory:
//! an instance holds nothing but buffers, so the host pools instances and may discard any of them (after a trap or
//! a timeout) without losing a message, a lease or a subscription. The guest owns the broker's semantics: every
//! request reads what it needs and commits one all-or-nothing batch of conditional writes.
//!
//! # Layout
//!
//! Topic and subscription names may not contain NUL, which separates them (so no key prefix of one subscription is
//! the prefix of another's). Numbers are little-endian, except sequence numbers in keys: big-endian, so byte order is
//! numeric order.
//!
//! - `t/<topic>`: the topic's subscription count (u64); absent when it has none. Written by subscribe and
//!   unsubscribe; every publish is conditioned on its version, so a subscription is either in a publish or after it.
//! - `s/<topic>\0<sub>`: the subscription; messages and payload bytes ever queued for it (u64, u64). Written by
//!   subscribe and publish.
//! - `r/<topic>\0<sub>`: messages and payload bytes ever removed from its queue by SUCCESS or DROP (u64, u64).
//!   Written by subscribe and ack.
//! - `q/<topic>\0<sub>\0<seq: u64 BE>`: a queue entry's delivery state: leased until, ready at (i64 Unix ms),
//!   deliveries so far, payload length (u32). Written by publish, pull (a lease) and ack (a retry; SUCCESS and DROP
//!   delete it).
//! - `m/<topic>\0<sub>\0<seq: u64 BE>`: the message (`Message` without id and delivery count), written once by
//!   publish, deleted with its entry.
//! - `b/in`, `b/out`: payload bytes ever queued / removed across the broker (u64), only with metadata `maxBytes`.
//!   Written by publish / ack and unsubscribe. Without `maxBytes`, the store's capacity (`wasm.keyvalue.maxBytes`)
//!   bounds the broker, and no request touches a broker-wide record.
//!
//! A message's id is its sequence number (the store's counter) in decimal, so an ack finds its entry with one
//! lookup. A queue is the `q/` keys of its subscription in key order; its depth is `s` minus `r`. Queued and removed
//! counts are separate records so that publishers and acknowledgers of a subscription do not invalidate each
//! other's batches; a depth read from a stale `r` is only ever too high, so a publish checked against it is safe.
//! The delivery state is apart from the message so that leases and retries rewrite 24 bytes, not the payload, and a
//! pull skipping busy entries reads no payloads.
//!
//! # Concurrency
//!
//! Several instances run at once on one store. Every read-modify-write commits with conditions on the versions it
//! read (or on absence), so a batch built on a state another instance changed in the meantime is refused whole:
//! publish, ack, subscribe and unsubscribe then start over from fresh reads; a pull keeps the entries it can still
//! lease and skips the ones another instance took. Publishers take their sequence numbers after reading the
//! subscription records they condition on, so within a queue, key order is commit order.

use pillion_pdk::keyvalue::{self, Condition, HostKeyValue, KeyValue, WriteError};
use pillion_pdk::keyvalue_messages::{Operation, ScanRequest, WriteBatch};
use pillion_pdk::pubsub::*;
use pillion_pdk::{export_pubsub, Error, PubSubComponent};
use prost::Message as _;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_MAX_QUEUE_DEPTH: u64 = 100_000;
const DEFAULT_LEASE_MILLIS: i64 = 30_000;
/// Longest topic or subscription name: keys stay far below the store's key limit (64 KiB by default).
pub const MAX_NAME_BYTES: usize = 16 * 1024;
/// Entries per scan page.
const PAGE: u32 = 256;
/// Queue entries an unsubscribe deletes per batch: bounds the guest memory it needs (about 1 MB with short names).
const UNSUBSCRIBE_CHUNK: usize = 4096;
/// How often a request starts over after another instance changed what it read, before giving up.
const MAX_ATTEMPTS: usize = 1_000;
const TOPIC: &[u8] = b"t/";
const SUBSCRIPTION: &[u8] = b"s/";
const REMOVED: &[u8] = b"r/";
const QUEUE: &[u8] = b"q/";
const BODY: &[u8] = b"m/";
const BYTES_IN: &[u8] = b"b/in";
const BYTES_OUT: &[u8] = b"b/out";

/// The broker. Generic over the key-value capability so the unit tests can run it on the build machine.
pub struct InMemoryPubSub<K: KeyValue = HostKeyValue> {
    name: String,
    kv: K,
    max_queue_depth: u64,
    /// `maxBytes`; without it the store's own capacity (`wasm.keyvalue.maxBytes`) bounds the broker.
    max_bytes: Option<u64>,
    /// Queue entries an unsubscribe removes per batch.
    unsubscribe_chunk: usize,
}

impl<K: KeyValue + Default> Default for InMemoryPubSub<K> {
    fn default() -> Self {
        InMemoryPubSub::with_key_value(K::default())
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn positive(value: &str, field: &str) -> Result<u64, Error> {
    value.trim().parse().ok().filter(|v: &u64| *v > 0).ok_or_else(|| {
        Error::InvalidArgument(format!("metadata '{}' must be a positive integer, got '{}'", field, value))
    })
}

fn check_name(value: &str, field: &str) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::InvalidArgument(format!("{} is empty", field)))
    } else if value.len() > MAX_NAME_BYTES {
        Err(Error::InvalidArgument(format!(
            "{} is {} bytes long; the in-memory broker accepts at most {}",
            field,
            value.len(),
            MAX_NAME_BYTES
        )))
    } else if value.contains('\0') {
        Err(Error::InvalidArgument(format!("{} '{}' contains a NUL character", field, value.replace('\0', "\\0"))))
    } else {
        Ok(())
    }
}

fn no_subscription(topic: &str, subscription: &str) -> Error {
    Error::InvalidArgument(format!("no subscription '{}' on topic '{}'", subscription, topic))
}

fn contention(operation: &str, topic: &str) -> Error {
    Error::Internal(format!(
        "{} on topic '{}' gave up after {} attempts: other requests kept changing the records it read",
        operation, topic, MAX_ATTEMPTS
    ))
}

fn corrupt(key: &[u8]) -> Error {
    Error::Internal(format!("stored record '{}' is malformed", String::from_utf8_lossy(key).replace('\0', "\\0")))
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 8);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

fn topic_key(topic: &str) -> Vec<u8> {
    concat(&[TOPIC, topic.as_bytes()])
}

/// The keys of one subscription.
struct Keys {
    subscription: Vec<u8>,
    removed: Vec<u8>,
    /// Prefix of its queue entries.
    queue: Vec<u8>,
    /// Prefix of its message bodies.
    body: Vec<u8>,
}

impl Keys {
    fn new(topic: &[u8], subscription: &[u8]) -> Keys {
        Keys {
            subscription: concat(&[SUBSCRIPTION, topic, b"\0", subscription]),
            removed: concat(&[REMOVED, topic, b"\0", subscription]),
            queue: concat(&[QUEUE, topic, b"\0", subscription, b"\0"]),
            body: concat(&[BODY, topic, b"\0", subscription, b"\0"]),
        }
    }

    fn entry(&self, seq: u64) -> Vec<u8> {
        concat(&[&self.queue, &seq.to_be_bytes()])
    }

    fn body(&self, seq: u64) -> Vec<u8> {
        concat(&[&self.body, &seq.to_be_bytes()])
    }
}

/// The sequence number at the end of a queue entry's key.
fn seq_of(key: &[u8]) -> Option<u64> {
    let tail = key.len().checked_sub(8).map(|at| &key[at..])?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(tail);
    Some(u64::from_be_bytes(bytes))
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Messages and payload bytes (the `s/`, `r/` records).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counter {
    messages: u64,
    bytes: u64,
}

impl Counter {
    fn encode(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&self.messages.to_le_bytes());
        out.extend_from_slice(&self.bytes.to_le_bytes());
        out
    }

    fn decode(key: &[u8], value: &[u8]) -> Result<Counter, Error> {
        if value.len() != 16 {
            return Err(corrupt(key));
        }
        Ok(Counter { messages: read_u64(value, 0), bytes: read_u64(value, 8) })
    }
}

/// A queue entry's delivery state (the `q/` records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Delivery {
    leased_until: i64,
    ready_at: i64,
    deliveries: u32,
    payload: u32,
}

impl Delivery {
    fn available(&self, now: i64) -> bool {
        self.ready_at <= now && self.leased_until <= now
    }

    fn encode(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.leased_until.to_le_bytes());
        out.extend_from_slice(&self.ready_at.to_le_bytes());
        out.extend_from_slice(&self.deliveries.to_le_bytes());
        out.extend_from_slice(&self.payload.to_le_bytes());
        out
    }

    fn decode(key: &[u8], value: &[u8]) -> Result<Delivery, Error> {
        if value.len() != 24 {
            return Err(corrupt(key));
        }
        Ok(Delivery {
            leased_until: read_u64(value, 0) as i64,
            ready_at: read_u64(value, 8) as i64,
            deliveries: read_u32(value, 16),
            payload: read_u32(value, 20),
        })
    }
}

/// A message to publish.
struct Outgoing {
    data: Vec<u8>,
    content_type: String,
    metadata: HashMap<String, String>,
}

/// A subscription as a publish sees it.
struct Target {
    keys: Keys,
    version: u64,
    queued: Counter,
}

/// A queue entry a pull means to lease.
struct Candidate {
    key: Vec<u8>,
    version: u64,
    delivery: Delivery,
}

/// What an ack does to one entry: settle (remove) it or put it back with a new state.
struct Settlement {
    key: Vec<u8>,
    version: u64,
    /// `None` once removed.
    delivery: Option<Delivery>,
    original: Delivery,
}

impl<K: KeyValue> InMemoryPubSub<K> {
    /// A broker over a given key-value capability (the tests' in-process one).
    pub fn with_key_value(kv: K) -> Self {
        InMemoryPubSub {
            name: String::new(),
            kv,
            max_queue_depth: DEFAULT_MAX_QUEUE_DEPTH,
            max_bytes: None,
            unsubscribe_chunk: UNSUBSCRIBE_CHUNK,
        }
    }

    /// `init` with metadata `maxQueueDepth` (messages per subscription, default 100000) and `maxBytes` (payload
    /// bytes held across all queues; default: no limit but the store's capacity).
    pub fn configure(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        if let Some(depth) = metadata.properties.get("maxQueueDepth") {
            self.max_queue_depth = positive(depth, "maxQueueDepth")?;
        }
        if let Some(bytes) = metadata.properties.get("maxBytes") {
            self.max_bytes = Some(positive(bytes, "maxBytes")?);
        }
        Ok(())
    }

    /// Reads a key into `buffer`; its version, or `None` when missing.
    fn read(&self, key: &[u8], buffer: &mut Vec<u8>) -> Option<u64> {
        self.kv.get_into(key, buffer).map(|header| header.version)
    }

    fn read_counter(&self, key: &[u8], buffer: &mut Vec<u8>) -> Result<Option<(u64, Counter)>, Error> {
        match self.read(key, buffer) {
            Some(version) => Ok(Some((version, Counter::decode(key, buffer)?))),
            None => Ok(None),
        }
    }

    fn read_u64_record(&self, key: &[u8], buffer: &mut Vec<u8>) -> Result<Option<(u64, u64)>, Error> {
        match self.read(key, buffer) {
            Some(_) if buffer.len() != 8 => Err(corrupt(key)),
            Some(version) => Ok(Some((version, read_u64(buffer, 0)))),
            None => Ok(None),
        }
    }

    /// Every page of a prefix, in key order, until `visit` returns false.
    fn scan(
        &self,
        prefix: &[u8],
        keys_only: bool,
        visit: impl FnMut(&[u8], &[u8], u64) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        self.scan_from(prefix, keys_only, PAGE, visit)
    }

    /// `scan` whose first page holds `first_page` keys and each later one twice as many, up to `PAGE`: a caller that
    /// usually needs only the first few keys (a pull of one message) does not copy a whole page across the boundary.
    fn scan_from(
        &self,
        prefix: &[u8],
        keys_only: bool,
        first_page: u32,
        mut visit: impl FnMut(&[u8], &[u8], u64) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        let mut request =
            ScanRequest { prefix: prefix.to_vec(), start_after: Vec::new(), limit: first_page.clamp(1, PAGE), keys_only };
        loop {
            let page = self.kv.scan(&request);
            request.limit = request.limit.saturating_mul(2).min(PAGE);
            for entry in &page.entries {
                if !visit(&entry.key, &entry.value, entry.version)? {
                    return Ok(());
                }
            }
            match page.entries.last() {
                Some(last) if page.more => request.start_after = last.key.clone(),
                _ => return Ok(()),
            }
        }
    }

    /// Commits a batch; `Ok(false)` when a condition failed (another instance changed something this request read).
    fn commit(&self, operations: Vec<Operation>) -> Result<bool, Error> {
        match self.kv.write(&WriteBatch { operations }) {
            Ok(()) => Ok(true),
            Err(WriteError::ConditionFailed(_)) => Ok(false),
            Err(WriteError::Refused(reason)) => Err(Error::ResourceExhausted(reason)),
        }
    }

    /// `publish` at a given time.
    pub fn publish_at(&mut self, request: PublishRequest, now: i64) -> Result<PublishResponse, Error> {
        let message =
            Outgoing { data: request.data, content_type: request.content_type, metadata: request.metadata };
        let ids = self.publish_all(&request.topic, vec![message], now)?;
        Ok(PublishResponse { message_id: ids.into_iter().next().unwrap_or_default() })
    }

    /// `bulk_publish` at a given time: one batch, so every entry is published or (past a limit) none is.
    pub fn bulk_publish_at(&mut self, request: BulkPublishRequest, now: i64) -> Result<BulkPublishResponse, Error> {
        let messages = request
            .entries
            .into_iter()
            .map(|e| Outgoing { data: e.data, content_type: e.content_type, metadata: e.metadata })
            .collect();
        self.publish_all(&request.topic, messages, now)?;
        Ok(BulkPublishResponse { failed_entries: Vec::new() })
    }

    /// The subscriptions of a topic with their queued counters.
    fn targets(&self, topic: &str) -> Result<Vec<Target>, Error> {
        let prefix = concat(&[SUBSCRIPTION, topic.as_bytes(), b"\0"]);
        let mut targets = Vec::new();
        self.scan(&prefix, false, |key, value, version| {
            let queued = Counter::decode(key, value)?;
            targets.push(Target { keys: Keys::new(topic.as_bytes(), &key[prefix.len()..]), version, queued });
            Ok(true)
        })?;
        Ok(targets)
    }

    fn publish_all(&mut self, topic: &str, messages: Vec<Outgoing>, now: i64) -> Result<Vec<String>, Error> {
        check_name(topic, "topic")?;
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let count = messages.len() as u64;
        let mut payload = 0u64;
        for message in &messages {
            if message.data.len() > u32::MAX as usize {
                return Err(Error::InvalidArgument(format!("a message of {} bytes is too large", message.data.len())));
            }
            payload += message.data.len() as u64;
        }
        let topic_key = topic_key(topic);
        let mut buffer = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            let topic_version = match self.read(&topic_key, &mut buffer) {
                Some(version) => version,
                // Like a broker without retention: with no subscription, nobody receives the message.
                None => return Ok((0..count).map(|_| self.kv.sequence().to_string()).collect()),
            };
            let targets = self.targets(topic)?;
            let bytes_in = self.check_limits(topic, &targets, count, payload)?;
            // Numbers taken after reading the records the batch is conditioned on: a batch that commits has numbers
            // above those of every batch committed before it, so queue order is commit order.
            let seqs: Vec<u64> = (0..count).map(|_| self.kv.sequence()).collect();
            let operations =
                publish_operations(topic, &topic_key, topic_version, &targets, &messages, &seqs, payload, bytes_in, now);
            if self.commit(operations)? {
                return Ok(seqs.iter().map(|seq| seq.to_string()).collect());
            }
        }
        Err(contention("publish", topic))
    }

    /// Checks a publish of `count` messages of `payload` bytes in all against `maxQueueDepth` and `maxBytes`; with
    /// `maxBytes`, returns the broker's queued-bytes record as read (its version and total), for the batch to update.
    #[inline(never)]
    fn check_limits(
        &self,
        topic: &str,
        targets: &[Target],
        count: u64,
        payload: u64,
    ) -> Result<Option<Option<(u64, u64)>>, Error> {
        let mut buffer = Vec::new();
        for target in targets {
            let removed = self.read_counter(&target.keys.removed, &mut buffer)?.map(|(_, c)| c).unwrap_or_default();
            let depth = target.queued.messages.saturating_sub(removed.messages);
            if depth + count > self.max_queue_depth {
                let name = &target.keys.subscription[SUBSCRIPTION.len() + topic.len() + 1..];
                let name = String::from_utf8_lossy(name);
                return Err(Error::ResourceExhausted(format!(
                    "subscription '{}' of topic '{}' is full: it holds {} messages and this publish adds {}, \
                     over its limit of {} (maxQueueDepth); nothing was published",
                    name, topic, depth, count, self.max_queue_depth
                )));
            }
        }
        let needed = payload * targets.len() as u64;
        match self.max_bytes {
            Some(max) => {
                let queued = self.read_u64_record(BYTES_IN, &mut buffer)?;
                let removed = self.read_u64_record(BYTES_OUT, &mut buffer)?.map_or(0, |(_, n)| n);
                let held = queued.map_or(0, |(_, n)| n).saturating_sub(removed);
                if held + needed > max {
                    return Err(Error::ResourceExhausted(format!(
                        "the broker is full: unacknowledged messages hold {} bytes and this publish adds {}, \
                         over its limit of {} bytes (maxBytes); nothing was published",
                        held, needed, max
                    )));
                }
                Ok(Some(queued))
            }
            None => Ok(None),
        }
    }

    /// `subscribe`: idempotent.
    pub fn add_subscription(&mut self, request: SubscribeRequest) -> Result<(), Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let keys = Keys::new(request.topic.as_bytes(), request.subscription.as_bytes());
        let topic_key = topic_key(&request.topic);
        let mut buffer = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            if self.read(&keys.subscription, &mut buffer).is_some() {
                return Ok(());
            }
            let topic = match self.read_u64_record(&topic_key, &mut buffer)? {
                Some((version, count)) => {
                    keyvalue::put(&topic_key, (count + 1).to_le_bytes().to_vec(), 0, Condition::Version, version)
                }
                None => keyvalue::put(&topic_key, 1u64.to_le_bytes().to_vec(), 0, Condition::Absent, 0),
            };
            let zero = Counter::default().encode();
            let operations = vec![
                topic,
                keyvalue::put(&keys.subscription, zero.clone(), 0, Condition::Absent, 0),
                keyvalue::put(&keys.removed, zero, 0, Condition::Absent, 0),
            ];
            if self.commit(operations)? {
                return Ok(());
            }
        }
        Err(contention("subscribe", &request.topic))
    }

    /// `unsubscribe`: the subscription's pending messages go with it. A queue of up to `unsubscribe_chunk` entries
    /// goes in the same batch as the subscription's records; a longer one is first dropped in batches of that many,
    /// each leaving the subscription consistent (as acks with DROP would), so the memory a call needs stays bounded.
    /// If the instance dies in between, the subscription is still there with fewer messages, and the unsubscribe can
    /// be repeated. Linear in the queue's length.
    pub fn remove_subscription(&mut self, request: UnsubscribeRequest) -> Result<(), Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let keys = Keys::new(request.topic.as_bytes(), request.subscription.as_bytes());
        let topic_key = topic_key(&request.topic);
        let chunk = self.unsubscribe_chunk;
        let mut buffer = Vec::new();
        let mut failures = 0;
        while failures < MAX_ATTEMPTS {
            let (queued_version, queued) = match self.read_counter(&keys.subscription, &mut buffer)? {
                Some(found) => found,
                None => return Ok(()),
            };
            let removed = self.read_counter(&keys.removed, &mut buffer)?;
            let mut entries = Vec::new();
            let mut more = false;
            self.scan(&keys.queue, false, |key, value, _| {
                if entries.len() == chunk {
                    more = true;
                    return Ok(false);
                }
                entries.push((key.to_vec(), Delivery::decode(key, value)?.payload));
                Ok(true)
            })?;
            // Leased and retried entries go too: no condition on them. Settled ones change the removed counter and
            // new ones the subscription record, and the batch is conditioned on both.
            let mut operations = Vec::with_capacity(2 * entries.len() + 4);
            let mut dropped = Counter::default();
            for (key, payload) in &entries {
                let seq = seq_of(key).ok_or_else(|| corrupt(key))?;
                operations.push(keyvalue::delete(key, Condition::Any, 0));
                operations.push(keyvalue::delete(&keys.body(seq), Condition::Any, 0));
                dropped.messages += 1;
                dropped.bytes += u64::from(*payload);
            }
            let (removed_version, removed) = match removed {
                Some((version, removed)) => (Some(version), removed),
                None => (None, Counter::default()),
            };
            let freed = if more {
                let total =
                    Counter { messages: removed.messages + dropped.messages, bytes: removed.bytes + dropped.bytes };
                operations.push(match removed_version {
                    Some(version) => keyvalue::put(&keys.removed, total.encode(), 0, Condition::Version, version),
                    None => keyvalue::put(&keys.removed, total.encode(), 0, Condition::Absent, 0),
                });
                dropped.bytes
            } else {
                operations.push(keyvalue::delete(&keys.subscription, Condition::Version, queued_version));
                operations.push(match removed_version {
                    Some(version) => keyvalue::delete(&keys.removed, Condition::Version, version),
                    None => keyvalue::check(&keys.removed, Condition::Absent, 0),
                });
                match self.read_u64_record(&topic_key, &mut buffer)? {
                    Some((version, count)) if count > 1 => {
                        let count = (count - 1).to_le_bytes().to_vec();
                        operations.push(keyvalue::put(&topic_key, count, 0, Condition::Version, version))
                    }
                    Some((version, _)) => operations.push(keyvalue::delete(&topic_key, Condition::Version, version)),
                    None => {}
                }
                queued.bytes.saturating_sub(removed.bytes)
            };
            if self.max_bytes.is_some() && freed > 0 {
                operations.push(self.add_bytes_out(freed, &mut buffer)?);
            }
            if !self.commit(operations)? {
                failures += 1;
            } else if !more {
                return Ok(());
            }
        }
        Err(contention("unsubscribe", &request.topic))
    }

    /// The operation adding `bytes` to the broker's removed-bytes record, conditioned on the version read.
    fn add_bytes_out(&self, bytes: u64, buffer: &mut Vec<u8>) -> Result<Operation, Error> {
        Ok(match self.read_u64_record(BYTES_OUT, buffer)? {
            Some((version, total)) => {
                keyvalue::put(BYTES_OUT, (total + bytes).to_le_bytes().to_vec(), 0, Condition::Version, version)
            }
            None => keyvalue::put(BYTES_OUT, bytes.to_le_bytes().to_vec(), 0, Condition::Absent, 0),
        })
    }

    /// `pull` at a given time.
    ///
    /// Cost: the queue is scanned from its head in pages of delivery states (24-byte values, no payloads); entries
    /// that are leased or waiting for a retry are skipped, then one batch leases the chosen entries and one lookup
    /// per leased message reads its body. So a pull costs O(skipped + leased). An ordered pull stops at the first
    /// busy entry and skips nothing; an unordered one re-reads every busy entry ahead of the first available ones on
    /// every pull: with W messages waiting for a retry at the head of a queue (a handler failing everything), each
    /// pull reads W states (about 60 bytes each with the key) before it finds a message to deliver.
    pub fn pull_at(&mut self, request: PullRequest, now: i64) -> Result<PullResponse, Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let max = request.max_messages.max(1) as usize;
        let lease = if request.lease_millis == 0 { DEFAULT_LEASE_MILLIS } else { i64::from(request.lease_millis) };
        let keys = Keys::new(request.topic.as_bytes(), request.subscription.as_bytes());
        let mut buffer = Vec::new();
        if self.read(&keys.subscription, &mut buffer).is_none() {
            return Err(no_subscription(&request.topic, &request.subscription));
        }
        let chosen = self.choose(&keys, max, request.ordered, now)?;
        let chosen = self.lease(chosen, lease, request.ordered, &request.topic, now)?;
        let messages = self.read_messages(&keys, chosen)?;
        Ok(PullResponse { messages })
    }

    /// The entries a pull means to lease: up to `max` available ones from the head of the queue (in order: up to the
    /// first busy one).
    #[inline(never)]
    fn choose(&self, keys: &Keys, max: usize, ordered: bool, now: i64) -> Result<Vec<Candidate>, Error> {
        let mut chosen: Vec<Candidate> = Vec::new();
        // The head of the queue is usually available: start with a page just larger than the pull.
        let first_page = (max as u32).saturating_add(4);
        self.scan_from(&keys.queue, false, first_page, |key, value, version| {
            let delivery = Delivery::decode(key, value)?;
            if delivery.available(now) {
                chosen.push(Candidate { key: key.to_vec(), version, delivery });
                return Ok(chosen.len() < max);
            }
            // Ordered: a busy entry blocks every later one.
            Ok(!ordered)
        })?;
        Ok(chosen)
    }

    /// Leases the chosen entries in one batch; those another instance took meanwhile are skipped (in order: from
    /// the first one lost). Returns what was leased.
    #[inline(never)]
    fn lease(
        &self,
        mut chosen: Vec<Candidate>,
        lease: i64,
        ordered: bool,
        topic: &str,
        now: i64,
    ) -> Result<Vec<Candidate>, Error> {
        let mut buffer = Vec::new();
        let mut attempts = 0;
        loop {
            if chosen.is_empty() {
                return Ok(chosen);
            }
            let operations = chosen
                .iter()
                .map(|c| {
                    let leased = Delivery {
                        leased_until: now + lease,
                        deliveries: c.delivery.deliveries.saturating_add(1),
                        ..c.delivery
                    };
                    keyvalue::put(&c.key, leased.encode(), 0, Condition::Version, c.version)
                })
                .collect();
            if self.commit(operations)? {
                return Ok(chosen);
            }
            attempts += 1;
            if attempts == MAX_ATTEMPTS {
                return Err(contention("pull", topic));
            }
            // Another instance leased, settled or retried some of them: keep those still available as they are now,
            // skip the rest (in order: up to the first one lost).
            let mut kept = Vec::with_capacity(chosen.len());
            for mut candidate in chosen {
                let current = match self.read(&candidate.key, &mut buffer) {
                    Some(version) => Some((version, Delivery::decode(&candidate.key, &buffer)?)),
                    None => None,
                };
                match current {
                    Some((version, delivery)) if delivery.available(now) => {
                        candidate.version = version;
                        candidate.delivery = delivery;
                        kept.push(candidate);
                    }
                    _ if ordered => break,
                    _ => {}
                }
            }
            chosen = kept;
        }
    }

    /// The messages of leased entries, with their ids and delivery counts.
    #[inline(never)]
    fn read_messages(&self, keys: &Keys, leased: Vec<Candidate>) -> Result<Vec<Message>, Error> {
        let mut buffer = Vec::new();
        let mut messages = Vec::with_capacity(leased.len());
        for candidate in leased {
            let seq = seq_of(&candidate.key).ok_or_else(|| corrupt(&candidate.key))?;
            let body_key = keys.body(seq);
            // Missing only if another instance settled or removed it since this pull leased it.
            if self.read(&body_key, &mut buffer).is_none() {
                continue;
            }
            let mut message = Message::decode(buffer.as_slice()).map_err(|_| corrupt(&body_key))?;
            message.id = seq.to_string();
            message.delivery_count = candidate.delivery.deliveries.saturating_add(1);
            messages.push(message);
        }
        Ok(messages)
    }

    /// What the acks do to each entry they name, as the store holds it now (a later ack of one id applies to what
    /// the earlier ones left), and the ids that name no entry.
    #[inline(never)]
    fn plan_settlements(
        &self,
        keys: &Keys,
        acks: &[Ack],
        outcomes: &[AckOutcome],
        now: i64,
    ) -> Result<(Vec<Settlement>, Vec<String>), Error> {
        let mut buffer = Vec::new();
        let mut unknown_ids = Vec::new();
        let mut settlements: Vec<Settlement> = Vec::with_capacity(acks.len());
        let mut index: HashMap<u64, usize> = HashMap::with_capacity(acks.len());
        for (ack, outcome) in acks.iter().zip(outcomes) {
            // Ids are sequence numbers in canonical decimal; anything else names no message of this broker.
            let seq = match ack.id.parse::<u64>() {
                Ok(seq) if seq.to_string() == ack.id => seq,
                _ => {
                    unknown_ids.push(ack.id.clone());
                    continue;
                }
            };
            // A later ack of the same id applies to what the earlier one left.
            let at = match index.get(&seq) {
                Some(at) => *at,
                None => {
                    let key = keys.entry(seq);
                    let version = match self.read(&key, &mut buffer) {
                        Some(version) => version,
                        None => {
                            unknown_ids.push(ack.id.clone());
                            continue;
                        }
                    };
                    let delivery = Delivery::decode(&key, &buffer)?;
                    settlements.push(Settlement { key, version, delivery: Some(delivery), original: delivery });
                    index.insert(seq, settlements.len() - 1);
                    settlements.len() - 1
                }
            };
            let settlement = &mut settlements[at];
            let current = match settlement.delivery {
                Some(delivery) => delivery,
                None => {
                    unknown_ids.push(ack.id.clone());
                    continue;
                }
            };
            settlement.delivery = match outcome {
                AckOutcome::Retry => Some(Delivery {
                    leased_until: 0,
                    ready_at: now.saturating_add(i64::from(ack.retry_after_millis)),
                    ..current
                }),
                _ => None,
            };
        }
        Ok((settlements, unknown_ids))
    }

    /// `ack` at a given time: one lookup per id and one batch. A message is settled whether or not the lease of
    /// this caller is still current (at-least-once: a second consumer's ack then reports it unknown).
    pub fn ack_at(&mut self, request: AckRequest, now: i64) -> Result<AckResponse, Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let mut outcomes = Vec::with_capacity(request.acks.len());
        for ack in &request.acks {
            match AckOutcome::from_i32(ack.outcome) {
                Some(outcome @ (AckOutcome::Success | AckOutcome::Drop | AckOutcome::Retry)) => outcomes.push(outcome),
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "ack of message '{}' has no outcome (SUCCESS, RETRY or DROP)",
                        ack.id
                    )))
                }
            }
        }
        let keys = Keys::new(request.topic.as_bytes(), request.subscription.as_bytes());
        let mut buffer = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            let (removed_version, removed) = match self.read_counter(&keys.removed, &mut buffer)? {
                Some(found) => found,
                None => return Err(no_subscription(&request.topic, &request.subscription)),
            };
            let (settlements, unknown_ids) = self.plan_settlements(&keys, &request.acks, &outcomes, now)?;
            let (mut operations, freed) = settle_operations(&keys, &settlements)?;
            if freed.messages > 0 {
                let total = Counter { messages: removed.messages + freed.messages, bytes: removed.bytes + freed.bytes };
                operations.push(keyvalue::put(&keys.removed, total.encode(), 0, Condition::Version, removed_version));
                if self.max_bytes.is_some() && freed.bytes > 0 {
                    operations.push(self.add_bytes_out(freed.bytes, &mut buffer)?);
                }
            }
            if operations.is_empty() || self.commit(operations)? {
                return Ok(AckResponse { unknown_ids });
            }
        }
        Err(contention("ack", &request.topic))
    }
}

/// The stored form of each message: a `Message` without id and delivery count.
#[inline(never)]
fn encode_bodies(topic: &str, messages: &[Outgoing], now: i64) -> Vec<Vec<u8>> {
    messages
        .iter()
        .map(|m| {
            Message {
                id: String::new(),
                topic: topic.to_string(),
                data: m.data.clone(),
                content_type: m.content_type.clone(),
                metadata: m.metadata.clone(),
                delivery_count: 0,
                published_at_millis: now,
            }
            .encode_to_vec()
        })
        .collect()
}

/// The batch of a publish: the topic's version checked, every target's queued counter updated, and for every target
/// and message its delivery state and body; with `maxBytes`, the broker's queued bytes (`bytes_in`: the record as
/// read) too. Kept out of line (as the other helpers marked so) so that no function of the module grows past the
/// size the JVM compiles (see `docs/decisions.md`, "Guest functions stay small").
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn publish_operations(
    topic: &str,
    topic_key: &[u8],
    topic_version: u64,
    targets: &[Target],
    messages: &[Outgoing],
    seqs: &[u64],
    payload: u64,
    bytes_in: Option<Option<(u64, u64)>>,
    now: i64,
) -> Vec<Operation> {
    let count = messages.len() as u64;
    let bodies = encode_bodies(topic, messages, now);
    let mut operations = Vec::with_capacity(2 + targets.len() * (1 + 2 * messages.len()));
    operations.push(keyvalue::check(topic_key, Condition::Version, topic_version));
    for target in targets {
        let queued = Counter { messages: target.queued.messages + count, bytes: target.queued.bytes + payload };
        operations.push(keyvalue::put(&target.keys.subscription, queued.encode(), 0, Condition::Version, target.version));
        for ((seq, message), body) in seqs.iter().zip(messages).zip(&bodies) {
            let delivery = Delivery { leased_until: 0, ready_at: now, deliveries: 0, payload: message.data.len() as u32 };
            let entry = target.keys.entry(*seq);
            operations.push(keyvalue::put(&entry, delivery.encode(), 0, Condition::Absent, 0));
            operations.push(keyvalue::put(&target.keys.body(*seq), body.clone(), 0, Condition::Absent, 0));
        }
    }
    let needed = payload * targets.len() as u64;
    if let Some(queued) = bytes_in {
        if needed > 0 {
            let (condition, version, total) = match queued {
                Some((version, total)) => (Condition::Version, version, total),
                None => (Condition::Absent, 0, 0),
            };
            let total = (total + needed).to_le_bytes().to_vec();
            operations.push(keyvalue::put(BYTES_IN, total, 0, condition, version));
        }
    }
    operations
}

/// The batch settling the planned entries (without the removed counter), and the messages and bytes it removes.
#[inline(never)]
fn settle_operations(keys: &Keys, settlements: &[Settlement]) -> Result<(Vec<Operation>, Counter), Error> {
    let mut operations = Vec::with_capacity(settlements.len() * 2 + 2);
    let mut freed = Counter::default();
    for settlement in settlements {
        match settlement.delivery {
            Some(delivery) => operations.push(keyvalue::put(
                &settlement.key,
                delivery.encode(),
                0,
                Condition::Version,
                settlement.version,
            )),
            None => {
                let seq = seq_of(&settlement.key).ok_or_else(|| corrupt(&settlement.key))?;
                operations.push(keyvalue::delete(&settlement.key, Condition::Version, settlement.version));
                operations.push(keyvalue::delete(&keys.body(seq), Condition::Any, 0));
                freed.messages += 1;
                freed.bytes += u64::from(settlement.original.payload);
            }
        }
    }
    Ok((operations, freed))
}

impl<K: KeyValue> PubSubComponent for InMemoryPubSub<K> {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.configure(metadata)?;
        // Instances come and go (pool growth, replacement after a fault); the queues do not, so this is not news.
        pillion_pdk::log::debug(&format!("in-memory pub/sub '{}': instance ready", self.name));
        Ok(())
    }

    fn features(&self) -> Vec<String> {
        vec!["BULK_PUBLISH".to_string()]
    }

    fn publish(&mut self, request: PublishRequest) -> Result<PublishResponse, Error> {
        self.publish_at(request, now_ms())
    }

    fn bulk_publish(&mut self, request: BulkPublishRequest) -> Result<BulkPublishResponse, Error> {
        self.bulk_publish_at(request, now_ms())
    }

    fn subscribe(&mut self, request: SubscribeRequest) -> Result<(), Error> {
        self.add_subscription(request)
    }

    fn unsubscribe(&mut self, request: UnsubscribeRequest) -> Result<(), Error> {
        self.remove_subscription(request)
    }

    fn pull(&mut self, request: PullRequest) -> Result<PullResponse, Error> {
        self.pull_at(request, now_ms())
    }

    fn ack(&mut self, request: AckRequest) -> Result<AckResponse, Error> {
        self.ack_at(request, now_ms())
    }
}

export_pubsub!(InMemoryPubSub);

#[cfg(test)]
mod tests;
