//! The in-memory pub/sub broker: every subscription of a topic has its own FIFO queue; pulled messages are leased
//! and come back if not acknowledged in time; a retried message keeps its place ahead of later ones. Messages
//! published to a topic that has no subscription yet are kept for its first subscription (its backlog).
//!
//! Its queues live in the host, behind the `keyvalue` capability (an ordered store), not in this instance's memory:
//! an instance holds nothing but buffers and hints (see "Hints" below), so the host pools instances and may discard
//! any of them (after a trap or a timeout) without losing a message, a lease or a subscription. The guest owns the
//! broker's semantics: every request reads what it needs and commits one all-or-nothing batch of conditional writes.
//!
//! # Layout
//!
//! Topic and subscription names may not contain NUL. Numbers in values are little-endian; queue ids and sequence
//! numbers in keys are big-endian, so byte order is numeric order.
//!
//! - `t/<topic>`: the topic: for each of its subscriptions, in name order, its queue id (u64), the messages and payload bytes ever
//!   queued for it (u64, u64), and its name (u32 length, bytes). A topic that has no subscription but messages kept
//!   for its first one has a single entry with an empty name: the backlog. Absent when the topic has neither. Every
//!   publish rewrites it, conditioned on its version, so a subscription is either in a publish or after it, and
//!   publishers of a topic take their places in its queues in commit order.
//! - `r/<queue>`: messages and payload bytes ever removed from the queue by SUCCESS or DROP (u64, u64). Written by
//!   subscribe, ack and unsubscribe.
//! - `q/<queue><seq>`: a queue entry's delivery state: leased until, ready at (i64 Unix ms), deliveries so far,
//!   payload length (u32). Written by publish, pull (a lease) and ack (a retry; SUCCESS and DROP delete it).
//! - `m/<queue><seq>`: the message, encoded as the contract's `Message` without id and delivery count, written
//!   once by publish and deleted with its entry; a pull copies it into its response as it is.
//! - `b/in`, `b/out`: payload bytes ever queued / removed across the broker (u64), only with metadata `maxBytes`.
//!   Written by publish / ack and unsubscribe. Without `maxBytes`, the store's capacity (`wasm.keyvalue.maxBytes`)
//!   bounds the broker, and no request touches a broker-wide record.
//!
//! A queue id comes from the store's counter when the queue is created, so a subscription created again gets a new
//! queue, and the backlog becomes the first subscription's queue by renaming its entry in `t/`, whatever its
//! length. A message's id is its sequence number (the store's counter too, so never reused) in decimal, so an ack
//! finds its entry with one lookup, and a queue's key order is its FIFO order. A queue's depth is its queued count
//! (in `t/`) minus its removed count (`r/`); the counts are separate records so that publishers and acknowledgers of
//! a subscription do not invalidate each other's batches. The delivery state is apart from the message so that
//! leases and retries rewrite 24 bytes, not the payload, and a pull skipping busy entries reads no payloads.
//!
//! # Concurrency
//!
//! Several instances run at once on one store. Every read-modify-write commits with conditions on the versions it
//! read (or on absence), so a batch built on a state another instance changed in the meantime is refused whole:
//! publish, ack, subscribe and unsubscribe then start over from fresh reads; a pull keeps the entries it can still
//! lease and skips the ones another instance took. Publishers take their sequence numbers after reading the topic
//! record they condition on, so within a queue, key order is commit order.
//!
//! # Hints
//!
//! An instance remembers, between requests, the queue id of each subscription it served and the removed counts it
//! last read. Both only ever save reads: a remembered queue id is checked against the topic record whenever it finds
//! nothing (a pull of an empty or removed queue, an ack of a queue whose counter is gone), and a remembered removed
//! count is never above the stored one (removed counts only grow), so a depth computed from it is too high, never too
//! low, and a publish that seems over `maxQueueDepth` reads the count before refusing.

use pillion_pdk::keyvalue::{Batch, Condition, HostKeyValue, KeyValue, WriteError};
use pillion_pdk::keyvalue_messages::ScanRequest;
use pillion_pdk::pubsub::*;
use pillion_pdk::{export_pubsub, Error, PubSubComponent};
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use prost::Message as _;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_MAX_QUEUE_DEPTH: u64 = 100_000;
const DEFAULT_LEASE_MILLIS: i64 = 30_000;
/// Longest topic or subscription name: keys stay far below the store's key limit (64 KiB by default).
pub const MAX_NAME_BYTES: usize = 16 * 1024;
/// Entries per scan page.
const PAGE: u32 = 256;
/// Queue entries an unsubscribe deletes per batch: bounds the guest memory it needs (about 1 MB).
const UNSUBSCRIBE_CHUNK: usize = 4096;
/// How often a request starts over after another instance changed what it read, before giving up.
const MAX_ATTEMPTS: usize = 1_000;
/// Hints kept per instance before they are forgotten (and read again as needed).
const MAX_HINTS: usize = 4096;
const TOPIC: &[u8] = b"t/";
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
    /// `retainUntilSubscribed`: keep messages of topics without subscriptions for their first one.
    retain: bool,
    /// Queue entries an unsubscribe removes per batch.
    unsubscribe_chunk: usize,
    /// Queue ids of subscriptions, by `<topic>\0<subscription>` (a hint, see the module's documentation).
    queue_ids: HashMap<Vec<u8>, u64, QuickHash>,
    /// Removed counts last read, by queue id (a hint: never above the stored count).
    removed_seen: HashMap<u64, u64, QuickHash>,
    /// The broker's removed bytes last read (a hint: never above the stored count).
    bytes_out_seen: u64,
}

impl<K: KeyValue + Default> Default for InMemoryPubSub<K> {
    fn default() -> Self {
        InMemoryPubSub::with_key_value(K::default())
    }
}

/// The hints' hash: a multiply-rotate hash (as rustc's FxHash) instead of SipHash, which costs more than the lookup it
/// saves when compiled to Wasm and run on the JVM. The hints hold at most `MAX_HINTS` entries, so a run of colliding
/// names costs a slower lookup in a bounded table, nothing more.
type QuickHash = BuildHasherDefault<QuickHasher>;

#[derive(Default)]
struct QuickHasher(u64);

impl Hasher for QuickHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
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

fn boolean(value: &str, field: &str) -> Result<bool, Error> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::InvalidArgument(format!("metadata '{}' must be true or false, got '{}'", field, value))),
    }
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

fn topic_key(topic: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(TOPIC.len() + topic.len());
    key.extend_from_slice(TOPIC);
    key.extend_from_slice(topic.as_bytes());
    key
}

/// `<topic>\0<subscription>`: the key of the queue id hints.
fn subscription_id(topic: &str, subscription: &str) -> Vec<u8> {
    let mut id = Vec::with_capacity(topic.len() + 1 + subscription.len());
    id.extend_from_slice(topic.as_bytes());
    id.push(0);
    id.extend_from_slice(subscription.as_bytes());
    id
}

/// `<prefix><queue>`: a queue's removed counter (`r/`), or the prefix of its entries (`q/`) or bodies (`m/`).
fn queue_key(prefix: &[u8], queue: u64) -> [u8; 10] {
    let mut key = [0u8; 10];
    key[..2].copy_from_slice(prefix);
    key[2..].copy_from_slice(&queue.to_be_bytes());
    key
}

/// `<prefix><queue><seq>`: a queue entry (`q/`) or its message (`m/`).
fn item_key(prefix: &[u8], queue: u64, seq: u64) -> [u8; 18] {
    let mut key = [0u8; 18];
    key[..2].copy_from_slice(prefix);
    key[2..10].copy_from_slice(&queue.to_be_bytes());
    key[10..].copy_from_slice(&seq.to_be_bytes());
    key
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

/// Messages and payload bytes (queued counts in `t/`, the `r/` records).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counter {
    messages: u64,
    bytes: u64,
}

impl Counter {
    fn encode(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.messages.to_le_bytes());
        out[8..].copy_from_slice(&self.bytes.to_le_bytes());
        out
    }

    fn decode(key: &[u8], value: &[u8]) -> Result<Counter, Error> {
        if value.len() != 16 {
            return Err(corrupt(key));
        }
        Ok(Counter { messages: read_u64(value, 0), bytes: read_u64(value, 8) })
    }
}

/// One subscription (or the backlog) in a topic record.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Subscription {
    queue: u64,
    queued: Counter,
    /// Empty for the backlog.
    name: Vec<u8>,
}

/// The `t/` record: a topic's subscriptions, or its backlog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Topic {
    subscriptions: Vec<Subscription>,
}

impl Topic {
    fn encode(&self) -> Vec<u8> {
        let size: usize = self.subscriptions.iter().map(|s| 28 + s.name.len()).sum();
        let mut out = Vec::with_capacity(size);
        for s in &self.subscriptions {
            out.extend_from_slice(&s.queue.to_le_bytes());
            out.extend_from_slice(&s.queued.messages.to_le_bytes());
            out.extend_from_slice(&s.queued.bytes.to_le_bytes());
            out.extend_from_slice(&(s.name.len() as u32).to_le_bytes());
            out.extend_from_slice(&s.name);
        }
        out
    }

    fn decode(key: &[u8], mut value: &[u8]) -> Result<Topic, Error> {
        let mut subscriptions = Vec::new();
        while !value.is_empty() {
            if value.len() < 28 {
                return Err(corrupt(key));
            }
            let length = read_u32(value, 24) as usize;
            if value.len() < 28 + length {
                return Err(corrupt(key));
            }
            subscriptions.push(Subscription {
                queue: read_u64(value, 0),
                queued: Counter { messages: read_u64(value, 8), bytes: read_u64(value, 16) },
                name: value[28..28 + length].to_vec(),
            });
            value = &value[28 + length..];
        }
        if subscriptions.is_empty() {
            return Err(corrupt(key));
        }
        Ok(Topic { subscriptions })
    }

    fn find(&self, subscription: &str) -> Option<&Subscription> {
        self.subscriptions.iter().find(|s| s.name == subscription.as_bytes())
    }

    /// Whether the only entry is the backlog kept for the first subscription.
    fn is_backlog(&self) -> bool {
        self.subscriptions.len() == 1 && self.subscriptions[0].name.is_empty()
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

    fn encode(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..8].copy_from_slice(&self.leased_until.to_le_bytes());
        out[8..16].copy_from_slice(&self.ready_at.to_le_bytes());
        out[16..20].copy_from_slice(&self.deliveries.to_le_bytes());
        out[20..].copy_from_slice(&self.payload.to_le_bytes());
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

/// A queue entry a pull means to lease.
struct Candidate {
    seq: u64,
    version: u64,
    delivery: Delivery,
}

/// What an ack does to one entry: settle (remove) it or put it back with a new state.
struct Settlement {
    seq: u64,
    version: u64,
    /// `None` once removed.
    delivery: Option<Delivery>,
    original: Delivery,
}

/// Where a subscription's queue id came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The instance's hint: may be stale.
    Remembered,
    /// The topic record, just now.
    Read,
}

impl<K: KeyValue> InMemoryPubSub<K> {
    /// A broker over a given key-value capability (the tests' in-process one).
    pub fn with_key_value(kv: K) -> Self {
        InMemoryPubSub {
            name: String::new(),
            kv,
            max_queue_depth: DEFAULT_MAX_QUEUE_DEPTH,
            max_bytes: None,
            retain: true,
            unsubscribe_chunk: UNSUBSCRIBE_CHUNK,
            queue_ids: HashMap::default(),
            removed_seen: HashMap::default(),
            bytes_out_seen: 0,
        }
    }

    /// `init` with metadata `maxQueueDepth` (messages per subscription or backlog, default 100000), `maxBytes`
    /// (payload bytes held across all queues; default: no limit but the store's capacity) and
    /// `retainUntilSubscribed` (keep messages of a topic without subscriptions for its first one; default true).
    pub fn configure(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        if let Some(depth) = metadata.properties.get("maxQueueDepth") {
            self.max_queue_depth = positive(depth, "maxQueueDepth")?;
        }
        if let Some(bytes) = metadata.properties.get("maxBytes") {
            self.max_bytes = Some(positive(bytes, "maxBytes")?);
        }
        if let Some(retain) = metadata.properties.get("retainUntilSubscribed") {
            self.retain = boolean(retain, "retainUntilSubscribed")?;
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

    fn read_topic(&self, key: &[u8], buffer: &mut Vec<u8>) -> Result<Option<(u64, Topic)>, Error> {
        match self.read(key, buffer) {
            Some(version) => Ok(Some((version, Topic::decode(key, buffer)?))),
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
        let mut outcome = Ok(true);
        loop {
            let page = self.kv.scan_page(&request, &mut |key, value, version| {
                outcome = visit(key, value, version);
                matches!(outcome, Ok(true))
            });
            match outcome {
                Ok(true) if page.more => request.start_after = page.last_key,
                Ok(_) => return Ok(()),
                Err(e) => return Err(e),
            }
            request.limit = request.limit.saturating_mul(2).min(PAGE);
        }
    }

    /// Commits a batch; `Ok(false)` when a condition failed (another instance changed something this request read).
    fn commit(&self, batch: &Batch) -> Result<bool, Error> {
        match self.kv.write_encoded(batch) {
            Ok(()) => Ok(true),
            Err(WriteError::ConditionFailed(_)) => Ok(false),
            Err(WriteError::Refused(reason)) => Err(Error::ResourceExhausted(reason)),
        }
    }

    /// A subscription's queue id: the instance's hint if `hint` allows and it has one, the topic record's otherwise.
    fn queue_of(&mut self, topic: &str, subscription: &str, hint: bool) -> Result<(u64, Found), Error> {
        let id = subscription_id(topic, subscription);
        if hint {
            if let Some(queue) = self.queue_ids.get(&id) {
                return Ok((*queue, Found::Remembered));
            }
        }
        let mut buffer = Vec::new();
        let queue = self.read_topic(&topic_key(topic), &mut buffer)?.and_then(|(_, t)| t.find(subscription).map(|s| s.queue));
        match queue {
            Some(queue) => {
                self.remember_queue(id, queue);
                Ok((queue, Found::Read))
            }
            None => {
                self.queue_ids.remove(&id);
                Err(no_subscription(topic, subscription))
            }
        }
    }

    fn remember_queue(&mut self, id: Vec<u8>, queue: u64) {
        if self.queue_ids.len() >= MAX_HINTS {
            self.queue_ids.clear();
        }
        self.queue_ids.insert(id, queue);
    }

    /// Remembers a removed count read from (or just committed to) the store.
    fn remember_removed(&mut self, queue: u64, messages: u64) {
        if self.removed_seen.len() >= MAX_HINTS {
            self.removed_seen.clear();
        }
        let seen = self.removed_seen.entry(queue).or_insert(0);
        *seen = (*seen).max(messages);
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

    /// Publishes to every subscription of the topic, or to its backlog when it has none: one read of the topic
    /// record, one sequence number per message and one batch (plus the broker's byte counters with `maxBytes`).
    fn publish_all(&mut self, topic: &str, messages: Vec<Outgoing>, now: i64) -> Result<Vec<String>, Error> {
        check_name(topic, "topic")?;
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let count = messages.len() as u64;
        let mut lengths = Vec::with_capacity(messages.len());
        for message in &messages {
            match u32::try_from(message.data.len()) {
                Ok(length) => lengths.push(length),
                Err(_) => {
                    return Err(Error::InvalidArgument(format!("a message of {} bytes is too large", message.data.len())))
                }
            }
        }
        let payload: u64 = lengths.iter().map(|l| u64::from(*l)).sum();
        let topic_key = topic_key(topic);
        let bodies = encode_bodies(topic, messages, now);
        let mut buffer = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            let (target, new_backlog) = match self.read_topic(&topic_key, &mut buffer)? {
                Some((version, record)) => (Target { record, condition: Condition::Version, version }, None),
                None if self.retain => {
                    // No subscription yet: keep the messages for the first one, in a queue of their own.
                    let queue = self.kv.sequence();
                    let backlog = Subscription { queue, queued: Counter::default(), name: Vec::new() };
                    let record = Topic { subscriptions: vec![backlog] };
                    (Target { record, condition: Condition::Absent, version: 0 }, Some(queue))
                }
                // Like daprd's in-memory broker: with no subscription, nobody receives the message.
                None => return Ok((0..count).map(|_| self.kv.sequence().to_string()).collect()),
            };
            self.check_depth(topic, &target.record, count)?;
            let bytes_in = self.check_bytes(payload * target.record.subscriptions.len() as u64)?;
            // Numbers taken after reading the record the batch is conditioned on: a batch that commits has numbers
            // above those of every batch committed before it, so queue order is commit order.
            let seqs: Vec<u64> = (0..count).map(|_| self.kv.sequence()).collect();
            let batch = Publication { topic_key: &topic_key, target, new_backlog, lengths: &lengths, bodies: &bodies };
            if self.commit(&batch.batch(&seqs, payload, bytes_in, now))? {
                return Ok(seqs.iter().map(|seq| seq.to_string()).collect());
            }
        }
        Err(contention("publish", topic))
    }

    /// Checks a publish of `count` messages against `maxQueueDepth` for every queue of the topic.
    #[inline(never)]
    fn check_depth(&mut self, topic: &str, record: &Topic, count: u64) -> Result<(), Error> {
        let mut buffer = Vec::new();
        for subscription in &record.subscriptions {
            let mut removed = self.removed_seen.get(&subscription.queue).copied().unwrap_or(0);
            if subscription.queued.messages.saturating_sub(removed) + count > self.max_queue_depth {
                // The remembered count may be behind the store's: read it before refusing.
                let key = queue_key(REMOVED, subscription.queue);
                removed = self.read_counter(&key, &mut buffer)?.map_or(0, |(_, c)| c.messages);
                self.remember_removed(subscription.queue, removed);
            }
            let depth = subscription.queued.messages.saturating_sub(removed);
            if depth + count <= self.max_queue_depth {
                continue;
            }
            return Err(Error::ResourceExhausted(if subscription.name.is_empty() {
                format!(
                    "topic '{}' has no subscription yet and its backlog is full: it holds {} messages kept for its \
                     first subscription and this publish adds {}, over its limit of {} (maxQueueDepth); nothing was \
                     published",
                    topic, depth, count, self.max_queue_depth
                )
            } else {
                format!(
                    "subscription '{}' of topic '{}' is full: it holds {} messages and this publish adds {}, \
                     over its limit of {} (maxQueueDepth); nothing was published",
                    String::from_utf8_lossy(&subscription.name),
                    topic,
                    depth,
                    count,
                    self.max_queue_depth
                )
            }));
        }
        Ok(())
    }

    /// With `maxBytes`, checks a publish of `needed` payload bytes (across its queues) against it and returns the
    /// broker's queued-bytes record as read (version and total), for the batch to update; `None` without it.
    #[inline(never)]
    fn check_bytes(&mut self, needed: u64) -> Result<Option<Option<(u64, u64)>>, Error> {
        let max = match self.max_bytes {
            Some(max) => max,
            None => return Ok(None),
        };
        let mut buffer = Vec::new();
        let queued = self.read_u64_record(BYTES_IN, &mut buffer)?;
        let total_in = queued.map_or(0, |(_, n)| n);
        let mut total_out = self.bytes_out_seen;
        if total_in.saturating_sub(total_out) + needed > max {
            // The remembered count may be behind the store's: read it before refusing.
            total_out = self.read_u64_record(BYTES_OUT, &mut buffer)?.map_or(0, |(_, n)| n);
            self.bytes_out_seen = self.bytes_out_seen.max(total_out);
        }
        let held = total_in.saturating_sub(total_out);
        if held + needed > max {
            return Err(Error::ResourceExhausted(format!(
                "the broker is full: unacknowledged messages hold {} bytes and this publish adds {}, \
                 over its limit of {} bytes (maxBytes); nothing was published",
                held, needed, max
            )));
        }
        Ok(Some(queued))
    }

    /// `subscribe`: idempotent. The topic's first subscription takes over its backlog (the messages published
    /// while it had none); any later one starts empty, with the next message published.
    pub fn add_subscription(&mut self, request: SubscribeRequest) -> Result<(), Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let topic_key = topic_key(&request.topic);
        let id = subscription_id(&request.topic, &request.subscription);
        let mut buffer = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            let (condition, version, mut record) = match self.read_topic(&topic_key, &mut buffer)? {
                Some((version, record)) => (Condition::Version, version, record),
                None => (Condition::Absent, 0, Topic::default()),
            };
            if let Some(existing) = record.find(&request.subscription) {
                let queue = existing.queue;
                self.remember_queue(id, queue);
                return Ok(());
            }
            let mut batch = Batch::with_capacity(128 + record.subscriptions.len() * 32);
            let queue = if record.is_backlog() {
                // The backlog's queue (and its removed counter) becomes the subscription's: no message moves.
                record.subscriptions[0].name = request.subscription.as_bytes().to_vec();
                record.subscriptions[0].queue
            } else {
                let queue = self.kv.sequence();
                let name = request.subscription.as_bytes().to_vec();
                // In name order, so that a publish checks (and names in a refusal) the same one first everywhere.
                let at = record.subscriptions.partition_point(|s| s.name < name);
                record.subscriptions.insert(at, Subscription { queue, queued: Counter::default(), name });
                batch.put(&queue_key(REMOVED, queue), &Counter::default().encode(), 0, Condition::Absent, 0);
                queue
            };
            batch.put(&topic_key, &record.encode(), 0, condition, version);
            if self.commit(&batch)? {
                self.remember_queue(id, queue);
                return Ok(());
            }
        }
        Err(contention("subscribe", &request.topic))
    }

    /// `unsubscribe`: the subscription's pending messages go with it. A queue of up to `unsubscribe_chunk` entries
    /// goes in the same batch as the subscription's records; a longer one is first dropped in batches of that many,
    /// each leaving the subscription consistent (as acks with DROP would), so the memory a call needs stays bounded.
    /// If the instance dies in between, the subscription is still there with fewer messages, and the unsubscribe can
    /// be repeated. Linear in the queue's length. Removing a topic's last subscription removes the topic record, so
    /// what is published next is kept for the next subscription.
    pub fn remove_subscription(&mut self, request: UnsubscribeRequest) -> Result<(), Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        self.queue_ids.remove(&subscription_id(&request.topic, &request.subscription));
        let topic_key = topic_key(&request.topic);
        let mut buffer = Vec::new();
        let mut failures = 0;
        while failures < MAX_ATTEMPTS {
            let (version, record) = match self.read_topic(&topic_key, &mut buffer)? {
                Some(found) => found,
                None => return Ok(()),
            };
            let subscription = match record.find(&request.subscription) {
                Some(subscription) => subscription.clone(),
                None => return Ok(()),
            };
            let removed = self.read_counter(&queue_key(REMOVED, subscription.queue), &mut buffer)?;
            let topic = Target { record, condition: Condition::Version, version };
            let (batch, more) = self.unsubscribe_batch(&topic_key, topic, &subscription, removed, &mut buffer)?;
            if !self.commit(&batch)? {
                failures += 1;
            } else if !more {
                return Ok(());
            }
        }
        Err(contention("unsubscribe", &request.topic))
    }

    /// One batch of an unsubscribe: up to `unsubscribe_chunk` entries of the queue and, with the last of them, the
    /// subscription's records. Returns the batch and whether more entries remain.
    #[inline(never)]
    fn unsubscribe_batch(
        &mut self,
        topic_key: &[u8],
        mut topic: Target,
        subscription: &Subscription,
        removed: Option<(u64, Counter)>,
        buffer: &mut Vec<u8>,
    ) -> Result<(Batch, bool), Error> {
        let queue = subscription.queue;
        let chunk = self.unsubscribe_chunk;
        let mut entries = Vec::new();
        let mut more = false;
        self.scan(&queue_key(QUEUE, queue), false, |key, value, _| {
            if entries.len() == chunk {
                more = true;
                return Ok(false);
            }
            entries.push((seq_of(key).ok_or_else(|| corrupt(key))?, Delivery::decode(key, value)?.payload));
            Ok(true)
        })?;
        // Leased and retried entries go too: no condition on them. Settled ones change the removed counter and new
        // ones the topic record; the batches are conditioned on the one and the last batch on both.
        let mut batch = Batch::with_capacity(48 * entries.len() + 256);
        let mut dropped = Counter::default();
        for (seq, payload) in &entries {
            batch.delete(&item_key(QUEUE, queue, *seq), Condition::Any, 0);
            batch.delete(&item_key(BODY, queue, *seq), Condition::Any, 0);
            dropped.messages += 1;
            dropped.bytes += u64::from(*payload);
        }
        let removed_key = queue_key(REMOVED, queue);
        let (removed_version, removed) = match removed {
            Some((version, removed)) => (Some(version), removed),
            None => (None, Counter::default()),
        };
        let freed = if more {
            let total = Counter { messages: removed.messages + dropped.messages, bytes: removed.bytes + dropped.bytes };
            match removed_version {
                Some(version) => batch.put(&removed_key, &total.encode(), 0, Condition::Version, version),
                None => batch.put(&removed_key, &total.encode(), 0, Condition::Absent, 0),
            }
            dropped.bytes
        } else {
            topic.record.subscriptions.retain(|s| s.queue != queue);
            if topic.record.subscriptions.is_empty() {
                batch.delete(topic_key, topic.condition, topic.version);
            } else {
                batch.put(topic_key, &topic.record.encode(), 0, topic.condition, topic.version);
            }
            match removed_version {
                Some(version) => batch.delete(&removed_key, Condition::Version, version),
                None => batch.check(&removed_key, Condition::Absent, 0),
            }
            subscription.queued.bytes.saturating_sub(removed.bytes)
        };
        if self.max_bytes.is_some() && freed > 0 {
            self.add_bytes_out(&mut batch, freed, buffer)?;
        }
        Ok((batch, more))
    }

    /// Adds to a batch the operation adding `bytes` to the broker's removed-bytes record, conditioned on the version
    /// read.
    fn add_bytes_out(&mut self, batch: &mut Batch, bytes: u64, buffer: &mut Vec<u8>) -> Result<(), Error> {
        match self.read_u64_record(BYTES_OUT, buffer)? {
            Some((version, total)) => {
                self.bytes_out_seen = self.bytes_out_seen.max(total);
                batch.put(BYTES_OUT, &(total + bytes).to_le_bytes(), 0, Condition::Version, version);
            }
            None => batch.put(BYTES_OUT, &bytes.to_le_bytes(), 0, Condition::Absent, 0),
        }
        Ok(())
    }

    /// `pull` at a given time, decoded (the tests' view of `pull_encoded_at`).
    pub fn pull_at(&mut self, request: PullRequest, now: i64) -> Result<PullResponse, Error> {
        let mut encoded = Vec::new();
        self.pull_encoded_at(&request, now, &mut encoded)?;
        PullResponse::decode(encoded.as_slice())
            .map_err(|e| Error::Internal(format!("a pulled message does not decode: {}", e)))
    }

    /// `pull` at a given time, writing the encoded `PullResponse` to `out`.
    ///
    /// Cost: the queue is scanned from its head in pages of delivery states (24-byte values, no payloads); entries
    /// that are leased or waiting for a retry are skipped, then one batch leases the chosen entries and one lookup
    /// per leased message reads its body, which is copied into the response as stored. So a pull costs O(skipped +
    /// leased). An ordered pull stops at the first busy entry and skips nothing; an unordered one re-reads every busy
    /// entry ahead of the first available ones on every pull: with W messages waiting for a retry at the head of a
    /// queue (a handler failing everything), each pull reads W states (about 40 bytes each with the key) before it
    /// finds a message to deliver.
    pub fn pull_encoded_at(&mut self, request: &PullRequest, now: i64, out: &mut Vec<u8>) -> Result<(), Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let max = request.max_messages.max(1) as usize;
        let lease = if request.lease_millis == 0 { DEFAULT_LEASE_MILLIS } else { i64::from(request.lease_millis) };
        let (mut queue, found) = self.queue_of(&request.topic, &request.subscription, true)?;
        let mut chosen = self.choose(queue, max, request.ordered, now)?;
        if chosen.is_empty() && found == Found::Remembered {
            // Nothing there: the remembered queue may have been removed (and the subscription created again) since.
            let (current, _) = self.queue_of(&request.topic, &request.subscription, false)?;
            if current != queue {
                queue = current;
                chosen = self.choose(queue, max, request.ordered, now)?;
            }
        }
        let leased = self.lease(queue, chosen, lease, request.ordered, &request.topic, now)?;
        self.write_messages(queue, leased, out);
        Ok(())
    }

    /// The entries a pull means to lease: up to `max` available ones from the head of the queue (in order: up to the
    /// first busy one).
    #[inline(never)]
    fn choose(&self, queue: u64, max: usize, ordered: bool, now: i64) -> Result<Vec<Candidate>, Error> {
        let mut chosen: Vec<Candidate> = Vec::new();
        // The head of the queue is usually available: start with a page just larger than the pull.
        let first_page = (max as u32).saturating_add(4);
        self.scan_from(&queue_key(QUEUE, queue), false, first_page, |key, value, version| {
            let delivery = Delivery::decode(key, value)?;
            if delivery.available(now) {
                let seq = seq_of(key).ok_or_else(|| corrupt(key))?;
                chosen.push(Candidate { seq, version, delivery });
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
        queue: u64,
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
            let mut batch = Batch::with_capacity(64 * chosen.len());
            for c in &chosen {
                let leased =
                    Delivery { leased_until: now + lease, deliveries: c.delivery.deliveries.saturating_add(1), ..c.delivery };
                batch.put(&item_key(QUEUE, queue, c.seq), &leased.encode(), 0, Condition::Version, c.version);
            }
            if self.commit(&batch)? {
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
                let key = item_key(QUEUE, queue, candidate.seq);
                let current = match self.read(&key, &mut buffer) {
                    Some(version) => Some((version, Delivery::decode(&key, &buffer)?)),
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

    /// Appends the leased messages to the encoded response: each stored body as it is, with its id and delivery
    /// count.
    #[inline(never)]
    fn write_messages(&self, queue: u64, leased: Vec<Candidate>, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        for candidate in leased {
            // Missing only if another instance settled or removed it since this pull leased it.
            if self.read(&item_key(BODY, queue, candidate.seq), &mut body).is_some() {
                append_pulled(out, &body, candidate.seq, candidate.delivery.deliveries.saturating_add(1));
            }
        }
    }

    /// What the acks do to each entry they name, as the store holds it now (a later ack of one id applies to what
    /// the earlier ones left), and the ids that name no entry.
    #[inline(never)]
    fn plan_settlements(
        &self,
        queue: u64,
        acks: &[Ack],
        outcomes: &[AckOutcome],
        now: i64,
    ) -> Result<(Vec<Settlement>, Vec<String>), Error> {
        let mut buffer = Vec::new();
        let mut unknown_ids = Vec::new();
        let mut settlements: Vec<Settlement> = Vec::with_capacity(acks.len());
        let mut index: HashMap<u64, usize, QuickHash> = HashMap::default();
        for (ack, outcome) in acks.iter().zip(outcomes) {
            // Ids are sequence numbers in canonical decimal; anything else names no message of this broker.
            let seq = match canonical_seq(&ack.id) {
                Some(seq) => seq,
                None => {
                    unknown_ids.push(ack.id.clone());
                    continue;
                }
            };
            // A later ack of the same id applies to what the earlier one left. A few settlements are searched; an
            // index is built once there are more (an ack of many messages stays linear).
            let earlier = if index.is_empty() && settlements.len() < 16 {
                settlements.iter().position(|s| s.seq == seq)
            } else {
                if index.is_empty() {
                    index.extend(settlements.iter().enumerate().map(|(at, s)| (s.seq, at)));
                }
                index.get(&seq).copied()
            };
            let at = match earlier {
                Some(at) => at,
                None => {
                    let key = item_key(QUEUE, queue, seq);
                    let version = match self.read(&key, &mut buffer) {
                        Some(version) => version,
                        None => {
                            unknown_ids.push(ack.id.clone());
                            continue;
                        }
                    };
                    let delivery = Delivery::decode(&key, &buffer)?;
                    settlements.push(Settlement { seq, version, delivery: Some(delivery), original: delivery });
                    if !index.is_empty() {
                        index.insert(seq, settlements.len() - 1);
                    }
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

    /// `ack` at a given time: one read of the queue's removed counter, one lookup per id and one batch. A message is
    /// settled whether or not the lease of this caller is still current (at-least-once: a second consumer's ack then
    /// reports it unknown).
    pub fn ack_at(&mut self, request: AckRequest, now: i64) -> Result<AckResponse, Error> {
        check_name(&request.topic, "topic")?;
        check_name(&request.subscription, "subscription")?;
        let outcomes = outcomes(&request.acks)?;
        let (mut queue, mut found) = self.queue_of(&request.topic, &request.subscription, true)?;
        let mut buffer = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            let removed_key = queue_key(REMOVED, queue);
            let (removed_version, removed) = match self.read_counter(&removed_key, &mut buffer)? {
                Some(found) => found,
                None if found == Found::Remembered => {
                    // The remembered queue was removed since: look the subscription up.
                    let (current, _) = self.queue_of(&request.topic, &request.subscription, false)?;
                    queue = current;
                    found = Found::Read;
                    continue;
                }
                None => return Err(corrupt(&removed_key)),
            };
            self.remember_removed(queue, removed.messages);
            let (settlements, unknown_ids) = self.plan_settlements(queue, &request.acks, &outcomes, now)?;
            let (mut batch, freed) = settlement_batch(queue, &settlements);
            let total = Counter { messages: removed.messages + freed.messages, bytes: removed.bytes + freed.bytes };
            if freed.messages > 0 {
                batch.put(&removed_key, &total.encode(), 0, Condition::Version, removed_version);
                if self.max_bytes.is_some() && freed.bytes > 0 {
                    self.add_bytes_out(&mut batch, freed.bytes, &mut buffer)?;
                }
            }
            if batch.is_empty() || self.commit(&batch)? {
                self.remember_removed(queue, total.messages);
                return Ok(AckResponse { unknown_ids });
            }
        }
        Err(contention("ack", &request.topic))
    }
}

/// A topic record as read, with the condition a batch rewriting it needs (its version, or its absence).
struct Target {
    record: Topic,
    condition: Condition,
    version: u64,
}

/// A publish's batch, before its sequence numbers are known.
struct Publication<'a> {
    topic_key: &'a [u8],
    target: Target,
    /// The queue id of a backlog this publish creates.
    new_backlog: Option<u64>,
    /// Each message's payload length.
    lengths: &'a [u32],
    bodies: &'a [Vec<u8>],
}

impl Publication<'_> {
    /// The batch: for every queue of the topic and every message, its delivery state and body; the topic record
    /// with the queued counts updated, conditioned as read; with a new backlog, its removed counter; with
    /// `maxBytes` (`bytes_in`: the broker's queued-bytes record as read), the broker's queued bytes.
    #[inline(never)]
    fn batch(self, seqs: &[u64], payload: u64, bytes_in: Option<Option<(u64, u64)>>, now: i64) -> Batch {
        let Publication { topic_key, mut target, new_backlog, lengths, bodies } = self;
        let count = lengths.len() as u64;
        let queues = target.record.subscriptions.len();
        let stored: usize = bodies.iter().map(|body| body.len() + 80).sum();
        let mut batch = Batch::with_capacity(queues * stored + 128 + queues * 32);
        for subscription in &mut target.record.subscriptions {
            subscription.queued.messages += count;
            subscription.queued.bytes += payload;
            for ((seq, length), body) in seqs.iter().zip(lengths).zip(bodies) {
                let delivery = Delivery { leased_until: 0, ready_at: now, deliveries: 0, payload: *length };
                batch.put(&item_key(QUEUE, subscription.queue, *seq), &delivery.encode(), 0, Condition::Absent, 0);
                batch.put(&item_key(BODY, subscription.queue, *seq), body, 0, Condition::Absent, 0);
            }
        }
        batch.put(topic_key, &target.record.encode(), 0, target.condition, target.version);
        if let Some(queue) = new_backlog {
            batch.put(&queue_key(REMOVED, queue), &Counter::default().encode(), 0, Condition::Absent, 0);
        }
        let needed = payload * queues as u64;
        if let Some(queued) = bytes_in {
            if needed > 0 {
                let (condition, version, total) = match queued {
                    Some((version, total)) => (Condition::Version, version, total),
                    None => (Condition::Absent, 0, 0),
                };
                batch.put(BYTES_IN, &(total + needed).to_le_bytes(), 0, condition, version);
            }
        }
        batch
    }
}

/// The stored form of each message: a `Message` without id and delivery count (fields 1 and 6), which a pull
/// appends.
#[inline(never)]
fn encode_bodies(topic: &str, messages: Vec<Outgoing>, now: i64) -> Vec<Vec<u8>> {
    messages
        .into_iter()
        .map(|m| {
            Message {
                id: String::new(),
                topic: topic.to_string(),
                data: m.data,
                content_type: m.content_type,
                metadata: m.metadata,
                delivery_count: 0,
                published_at_millis: now,
            }
            .encode_to_vec()
        })
        .collect()
}

/// Appends one message to an encoded `PullResponse` (field 1, repeated): the stored body followed by the message's
/// id (field 1) and delivery count (field 6), which the body does not contain. Protobuf fields may come in any
/// order, so this is the `Message` a decoder reads, built without decoding or re-encoding the payload.
fn append_pulled(out: &mut Vec<u8>, body: &[u8], seq: u64, delivery_count: u32) {
    let id = seq.to_string();
    let length = body.len()
        + 1
        + encoded_len_varint(id.len() as u64)
        + id.len()
        + 1
        + encoded_len_varint(u64::from(delivery_count));
    encode_key(1, WireType::LengthDelimited, out);
    encode_varint(length as u64, out);
    out.extend_from_slice(body);
    encode_key(1, WireType::LengthDelimited, out);
    encode_varint(id.len() as u64, out);
    out.extend_from_slice(id.as_bytes());
    encode_key(6, WireType::Varint, out);
    encode_varint(u64::from(delivery_count), out);
}

/// The sequence number an id names: canonical decimal (no sign, no leading zero), as this broker writes them.
fn canonical_seq(id: &str) -> Option<u64> {
    let canonical = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && (id.len() == 1 || !id.starts_with('0'));
    if canonical {
        id.parse().ok()
    } else {
        None
    }
}

/// The outcome of each ack; an ack without one refuses the whole request.
fn outcomes(acks: &[Ack]) -> Result<Vec<AckOutcome>, Error> {
    acks.iter()
        .map(|ack| match AckOutcome::from_i32(ack.outcome) {
            Some(outcome @ (AckOutcome::Success | AckOutcome::Drop | AckOutcome::Retry)) => Ok(outcome),
            _ => Err(Error::InvalidArgument(format!(
                "ack of message '{}' has no outcome (SUCCESS, RETRY or DROP)",
                ack.id
            ))),
        })
        .collect()
}

/// The batch settling the planned entries (without the removed counter), and the messages and bytes it removes.
#[inline(never)]
fn settlement_batch(queue: u64, settlements: &[Settlement]) -> (Batch, Counter) {
    let mut batch = Batch::with_capacity(settlements.len() * 72 + 64);
    let mut freed = Counter::default();
    for settlement in settlements {
        let entry = item_key(QUEUE, queue, settlement.seq);
        match settlement.delivery {
            Some(delivery) => batch.put(&entry, &delivery.encode(), 0, Condition::Version, settlement.version),
            None => {
                batch.delete(&entry, Condition::Version, settlement.version);
                batch.delete(&item_key(BODY, queue, settlement.seq), Condition::Any, 0);
                freed.messages += 1;
                freed.bytes += u64::from(settlement.original.payload);
            }
        }
    }
    (batch, freed)
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

    fn pull_encoded(&mut self, request: &PullRequest, out: &mut Vec<u8>) -> Result<bool, Error> {
        self.pull_encoded_at(request, now_ms(), out)?;
        Ok(true)
    }

    fn ack(&mut self, request: AckRequest) -> Result<AckResponse, Error> {
        // Only a retry needs the time (a call to the host's clock): settling acks do not ask for it.
        let retry = request.acks.iter().any(|ack| ack.outcome == AckOutcome::Retry as i32);
        self.ack_at(request, if retry { now_ms() } else { 0 })
    }
}

export_pubsub!(InMemoryPubSub);

#[cfg(test)]
mod tests;
