//! Pub/sub on Redis Streams, with daprd's `pubsub.redis` layout, so that Pillion runtimes and daprd sidecars publish
//! to and consume from the same streams: a topic is a stream; a message is an entry whose field `data` holds the
//! published bytes (the CloudEvent) and `metadata` the publish metadata as a JSON object; a subscription is a
//! consumer group (metadata `consumerID`, else the subscription's name, which the host makes the app id by default).
//!
//! The host owns the connection (the `redis` capability) and drives delivery through the contract's pull and ack;
//! this guest maps them onto the group's pending entries list (PEL), which is the lease:
//!
//! - **Pull** ([`PULL_SCRIPT`], one atomic script): messages pending in the group for longer than
//!   `processingTimeout` are claimed (`XCLAIM`, which counts the delivery), then new ones read (`XREADGROUP ... >`).
//!   An ordered pull delivers nothing while the group's oldest pending message is leased or waiting for its retry,
//!   and reads no new message while any is pending. A pull that found nothing may wait for new messages with a
//!   blocking `XREADGROUP ... BLOCK` when the host asks it to wait.
//! - **Ack**: SUCCESS and DROP are `XACK`; RETRY re-claims the message with its idle time set to `processingTimeout`
//!   minus the retry's delay (`XCLAIM ... IDLE ... JUSTID`, which does not count a delivery), so the next pull of any
//!   consumer past that delay delivers it again, with the next delivery count. One pipeline for all of them.
//! - **Redelivery** after a consumer died (a runtime killed mid-handling) is the same claim: its messages stay pending
//!   and become idle, and any consumer of the group takes them after `processingTimeout`.
//!
//! Every consumer of a group uses the group's name as its consumer name, as daprd does with `consumerID`: nothing
//! depends on who owns a pending entry, only on how long it has been idle, so runtimes and pooled instances need no
//! identity, and the group does not collect a consumer per instance that ever ran.

mod json;
pub mod settings;

use pillion_pdk::metadata::Properties;
use pillion_pdk::pubsub::*;
use pillion_pdk::redis::{Commands, HostRedis, Redis, RedisError, Reply, Script};
use pillion_pdk::{export_pubsub, Error, PubSubComponent};
use settings::{Settings, Trim};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub use json::{decode_object, encode_object};

/// The pull; see its comments for its arguments and reply.
pub const PULL_SCRIPT: &str = include_str!("pull.lua");

/// The creation of a subscription's group; see its comments.
pub const SUBSCRIBE_SCRIPT: &str = include_str!("subscribe.lua");

/// How much longer than the blocking read itself the host may take to answer it.
const BLOCKING_MARGIN_MILLIS: u32 = 2_000;

/// The component. Generic over the Redis client so the unit tests can run it against a real `redis-server`.
pub struct RedisPubSub<R: Redis = HostRedis> {
    name: String,
    redis: R,
    settings: Settings,
    pull_script: Script,
    subscribe_script: Script,
}

impl<R: Redis + Default> Default for RedisPubSub<R> {
    fn default() -> Self {
        RedisPubSub::with_redis(R::default())
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn require(value: &str, what: &str) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::InvalidArgument(format!("{} is empty", what)))
    } else {
        Ok(())
    }
}

/// The `XADD` of one message: `XADD <topic> [MAXLEN ~ n | MINID ~ <ms>-1] * data <data> [metadata <json>]`, the
/// metadata only when there is some.
pub fn add_publish(commands: &mut Commands, topic: &str, trim: &Trim, now_ms: i64, data: &[u8], metadata: Option<&str>) {
    let limit = match trim {
        Trim::Never => None,
        Trim::MaxLenApprox(length) => Some(("MAXLEN", length.to_string())),
        // daprd's minimum id: the first entry of the millisecond `age` ago.
        Trim::MaxAgeMillis(age) => Some(("MINID", format!("{}-1", now_ms.saturating_sub(*age as i64).max(0)))),
    };
    let mut head: Vec<&[u8]> = vec![b"XADD", topic.as_bytes()];
    if let Some((kind, value)) = &limit {
        head.extend_from_slice(&[kind.as_bytes(), b"~", value.as_bytes()]);
    }
    head.extend_from_slice(&[b"*", b"data"]);
    let tail: [&[u8]; 2] = [b"metadata", metadata.unwrap_or("").as_bytes()];
    let tail_len = if metadata.is_some() { 2 } else { 0 };
    commands.command_with_head(&head, std::iter::once(data).chain(tail[..tail_len].iter().copied()));
}

/// A publish's metadata as the entry's `metadata` field: `None` when there is none.
pub fn metadata_field(metadata: &HashMap<String, String>) -> Option<String> {
    if metadata.is_empty() {
        None
    } else {
        Some(encode_object(metadata))
    }
}

/// The Unix milliseconds of a stream id (`<ms>-<seq>`).
pub fn published_at_millis(id: &str) -> i64 {
    id.split('-').next().and_then(|ms| ms.parse().ok()).unwrap_or(0)
}

/// The message of a stream entry (its fields flattened: field, value, ...) delivered for the `deliveries`th time.
pub fn message_of_entry(topic: &str, id: &str, deliveries: u32, fields: &[Reply]) -> Message {
    let mut message = Message {
        id: id.to_string(),
        topic: topic.to_string(),
        delivery_count: deliveries,
        published_at_millis: published_at_millis(id),
        ..Default::default()
    };
    for pair in fields.chunks(2) {
        if let [field, value] = pair {
            match field.as_bulk() {
                Some(b"data") => message.data = value.as_bulk().unwrap_or_default().to_vec(),
                Some(b"metadata") => match decode_object(value.as_bulk().unwrap_or_default()) {
                    Ok(metadata) => message.metadata = metadata,
                    // As daprd: the message is delivered without the metadata it could not read.
                    Err(reason) => pillion_pdk::log::warn(&format!(
                        "message {} of topic '{}': its metadata is not a JSON object of strings ({}); delivered \
                         without it",
                        id, topic, reason
                    )),
                },
                _ => {}
            }
        }
    }
    message
}

/// The messages of the pull script's reply, and whether a blocking read may follow when there are none.
pub fn pulled(topic: &str, reply: &Reply) -> Result<(bool, Vec<Message>), Error> {
    let unexpected = || Error::Internal(format!("unexpected reply of the pull script: {}", reply.describe()));
    let parts = reply.as_array().ok_or_else(unexpected)?;
    let (may_block, entries) = match parts {
        [flag, entries] => (flag.as_int() == Some(1), entries.as_array().ok_or_else(unexpected)?),
        _ => return Err(unexpected()),
    };
    let mut messages = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry.as_array() {
            Some([id, deliveries, fields]) => {
                let id = id.as_bulk().and_then(|id| std::str::from_utf8(id).ok()).ok_or_else(unexpected)?;
                let deliveries = deliveries.as_int().and_then(|n| u32::try_from(n).ok()).ok_or_else(unexpected)?;
                messages.push(message_of_entry(topic, id, deliveries, fields.as_array().unwrap_or(&[])));
            }
            _ => return Err(unexpected()),
        }
    }
    Ok((may_block, messages))
}

/// The messages of a blocking `XREADGROUP`'s reply (nil when none came): `[[stream, [[id, fields], ...]]]`.
pub fn read_new(topic: &str, reply: &Reply) -> Result<Vec<Message>, Error> {
    if reply.is_nil() {
        return Ok(Vec::new());
    }
    let unexpected = || Error::Internal(format!("unexpected reply to XREADGROUP: {}", reply.describe()));
    let streams = reply.as_array().ok_or_else(unexpected)?;
    let mut messages = Vec::new();
    for stream in streams {
        let entries = match stream.as_array() {
            Some([_, entries]) => entries.as_array().ok_or_else(unexpected)?,
            _ => return Err(unexpected()),
        };
        for entry in entries {
            match entry.as_array() {
                Some([id, fields]) => {
                    let id = id.as_bulk().and_then(|id| std::str::from_utf8(id).ok()).ok_or_else(unexpected)?;
                    messages.push(message_of_entry(topic, id, 1, fields.as_array().unwrap_or(&[])));
                }
                _ => return Err(unexpected()),
            }
        }
    }
    Ok(messages)
}

/// The idle time a RETRY gives its message, so that it is due `retry_after_ms` from now: pulls claim messages idle
/// for `processing_timeout_ms`. A delay past the timeout is cut to it.
pub fn retry_idle_millis(processing_timeout_ms: u64, retry_after_ms: u32) -> u64 {
    processing_timeout_ms.saturating_sub(u64::from(retry_after_ms))
}

/// Adds the commands of one acknowledgement to a pipeline.
pub fn add_ack(commands: &mut Commands, stream: &str, group: &str, ack: &Ack, processing_timeout_ms: u64) -> Result<(), Error> {
    match AckOutcome::from_i32(ack.outcome) {
        Some(AckOutcome::Success) | Some(AckOutcome::Drop) => {
            commands.command([b"XACK".as_slice(), stream.as_bytes(), group.as_bytes(), ack.id.as_bytes()]);
        }
        Some(AckOutcome::Retry) => {
            let idle = retry_idle_millis(processing_timeout_ms, ack.retry_after_millis).to_string();
            commands.command([
                b"XCLAIM".as_slice(),
                stream.as_bytes(),
                group.as_bytes(),
                group.as_bytes(),
                b"0",
                ack.id.as_bytes(),
                b"IDLE",
                idle.as_bytes(),
                b"JUSTID",
            ]);
        }
        _ => {
            return Err(Error::InvalidArgument(format!(
                "the acknowledgement of message '{}' has no outcome (SUCCESS, RETRY or DROP)",
                ack.id
            )))
        }
    }
    Ok(())
}

/// Whether an acknowledgement's reply says the message was pending (XACK: 1; XCLAIM JUSTID: the id).
pub fn was_pending(reply: &Reply) -> Option<bool> {
    if let Some(count) = reply.as_int() {
        return Some(count > 0);
    }
    reply.as_array().map(|ids| !ids.is_empty())
}

impl<R: Redis> RedisPubSub<R> {
    /// A component over a given Redis client (the tests' client of a real server).
    pub fn with_redis(redis: R) -> Self {
        RedisPubSub {
            name: String::new(),
            redis,
            settings: Settings::default(),
            pull_script: Script::new(PULL_SCRIPT),
            subscribe_script: Script::new(SUBSCRIBE_SCRIPT),
        }
    }

    fn failed(&self, error: RedisError) -> Error {
        // The pub/sub contract has no code for an unavailable backend; daprd answers a failed publish with a 500.
        Error::Internal(format!("Redis pub/sub '{}': {}", self.name, error))
    }

    /// The consumer group of a subscription: `consumerID`, else the subscription's name. It is also every
    /// consumer's name (see the crate's documentation).
    fn group<'a>(&'a self, subscription: &'a str) -> &'a str {
        self.settings.consumer_id.as_deref().unwrap_or(subscription)
    }

    fn publish_all<'a>(
        &self,
        topic: &str,
        messages: impl Iterator<Item = (&'a [u8], Option<String>)>,
        now: i64,
    ) -> Result<Vec<Reply>, Error> {
        require(topic, "topic")?;
        let mut commands = Commands::pipeline();
        for (data, metadata) in messages {
            add_publish(&mut commands, topic, &self.settings.trim, now, data, metadata.as_deref());
        }
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        self.redis.execute(&commands).map_err(|e| self.failed(e))
    }

    fn create_group(&self, topic: &str, group: &str) -> Result<(), Error> {
        let reply = self
            .subscribe_script
            .run(&self.redis, 0, [topic.as_bytes()], [group.as_bytes()])
            .map_err(|e| self.failed(e))?;
        match reply.as_error() {
            Some(error) => Err(Error::Internal(format!(
                "Redis pub/sub '{}': creating consumer group '{}' of topic '{}' failed: {}",
                self.name, group, topic, error
            ))),
            None => Ok(()),
        }
    }

    /// Runs the pull script; a group that is gone (the stream deleted, Redis restarted without its data) is created
    /// again, as daprd does, and the pull retried once.
    fn run_pull(&self, request: &PullRequest, group: &str, count: u32) -> Result<Reply, Error> {
        let count = count.to_string();
        let timeout = self.settings.processing_timeout_ms.to_string();
        let ordered: &[u8] = if request.ordered { b"1" } else { b"" };
        for attempt in 0..2 {
            let args = [group.as_bytes(), group.as_bytes(), timeout.as_bytes(), count.as_bytes(), ordered];
            let reply = self
                .pull_script
                .run(&self.redis, 0, [request.topic.as_bytes()], args.iter().copied())
                .map_err(|e| self.failed(e))?;
            if reply.is_error_code("NOGROUP") && attempt == 0 {
                pillion_pdk::log::warn(&format!(
                    "Redis pub/sub '{}': consumer group '{}' of topic '{}' is gone (the stream was deleted, or Redis \
                     lost its data); creating it again",
                    self.name, group, request.topic
                ));
                self.create_group(&request.topic, group)?;
                continue;
            }
            if let Some(error) = reply.as_error() {
                return Err(Error::Internal(format!(
                    "Redis pub/sub '{}': pulling from topic '{}' failed: {}",
                    self.name, request.topic, error
                )));
            }
            return Ok(reply);
        }
        Err(Error::Internal(format!(
            "Redis pub/sub '{}': consumer group '{}' of topic '{}' disappeared again right after it was created",
            self.name, group, request.topic
        )))
    }

    /// Waits up to `wait_millis` for new messages with a blocking read on a connection of its own.
    fn wait_for_new(&self, request: &PullRequest, group: &str, count: u32) -> Result<Vec<Message>, Error> {
        let mut commands = Commands::blocking(request.wait_millis.saturating_add(BLOCKING_MARGIN_MILLIS));
        let (count, block) = (count.to_string(), request.wait_millis.to_string());
        commands.command([
            b"XREADGROUP".as_slice(),
            b"GROUP",
            group.as_bytes(),
            group.as_bytes(),
            b"COUNT",
            count.as_bytes(),
            b"BLOCK",
            block.as_bytes(),
            b"STREAMS",
            request.topic.as_bytes(),
            b">",
        ]);
        let reply = self.redis.execute(&commands).map_err(|e| self.failed(e))?.into_iter().next().unwrap_or_default();
        if let Some(error) = reply.as_error() {
            return Err(Error::Internal(format!(
                "Redis pub/sub '{}': reading topic '{}' failed: {}",
                self.name, request.topic, error
            )));
        }
        read_new(&request.topic, &reply)
    }
}

impl<R: Redis> PubSubComponent for RedisPubSub<R> {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        self.settings = settings::parse(&Properties::new(&metadata.properties)?)?;
        Ok(())
    }

    fn features(&self) -> Vec<String> {
        vec!["BULK_PUBLISH".to_string()]
    }

    fn publish(&mut self, request: PublishRequest) -> Result<PublishResponse, Error> {
        let metadata = metadata_field(&request.metadata);
        let reply = self.publish_all(&request.topic, std::iter::once((request.data.as_slice(), metadata)), now_ms())?;
        let reply = reply.into_iter().next().unwrap_or_default();
        match reply.as_bulk() {
            Some(id) if reply.as_error().is_none() => {
                Ok(PublishResponse { message_id: String::from_utf8_lossy(id).into_owned() })
            }
            _ => Err(Error::Internal(format!(
                "Redis pub/sub '{}': publishing to topic '{}' failed: {}",
                self.name,
                request.topic,
                reply.describe()
            ))),
        }
    }

    fn bulk_publish(&mut self, request: BulkPublishRequest) -> Result<BulkPublishResponse, Error> {
        let metadata: Vec<Option<String>> = request
            .entries
            .iter()
            .map(|entry| {
                let mut merged = request.metadata.clone();
                merged.extend(entry.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
                metadata_field(&merged)
            })
            .collect();
        let messages = request.entries.iter().map(|e| e.data.as_slice()).zip(metadata);
        let replies = self.publish_all(&request.topic, messages, now_ms())?;
        let failed_entries = request
            .entries
            .iter()
            .zip(replies.iter().map(Some).chain(std::iter::repeat(None)))
            .filter_map(|(entry, reply)| match reply {
                Some(reply) if reply.as_error().is_none() && reply.as_bulk().is_some() => None,
                other => Some(BulkPublishFailedEntry {
                    entry_id: entry.entry_id.clone(),
                    error: format!(
                        "publishing to topic '{}' failed: {}",
                        request.topic,
                        other.map_or_else(|| "no reply".to_string(), Reply::describe)
                    ),
                }),
            })
            .collect();
        Ok(BulkPublishResponse { failed_entries })
    }

    fn subscribe(&mut self, request: SubscribeRequest) -> Result<(), Error> {
        require(&request.topic, "topic")?;
        require(&request.subscription, "subscription")?;
        let group = self.group(&request.subscription).to_string();
        self.create_group(&request.topic, &group)
    }

    fn unsubscribe(&mut self, request: UnsubscribeRequest) -> Result<(), Error> {
        require(&request.topic, "topic")?;
        require(&request.subscription, "subscription")?;
        let group = self.group(&request.subscription);
        let mut commands = Commands::pipeline();
        commands.command([b"XGROUP".as_slice(), b"DESTROY", request.topic.as_bytes(), group.as_bytes()]);
        let reply = self.redis.execute(&commands).map_err(|e| self.failed(e))?.into_iter().next().unwrap_or_default();
        match reply.as_error() {
            // The stream is gone, and its groups with it.
            Some(error) if error.contains("requires the key to exist") => Ok(()),
            Some(error) => Err(Error::Internal(format!(
                "Redis pub/sub '{}': removing consumer group '{}' of topic '{}' failed: {}",
                self.name, group, request.topic, error
            ))),
            None => Ok(()),
        }
    }

    fn pull(&mut self, request: PullRequest) -> Result<PullResponse, Error> {
        require(&request.topic, "topic")?;
        require(&request.subscription, "subscription")?;
        let count = request.max_messages.min(self.settings.queue_depth);
        if count == 0 {
            return Ok(PullResponse::default());
        }
        let group = self.group(&request.subscription);
        let reply = self.run_pull(&request, group, count)?;
        let (may_block, mut messages) = pulled(&request.topic, &reply)?;
        if messages.is_empty() && may_block && request.wait_millis > 0 {
            messages = self.wait_for_new(&request, group, count)?;
        }
        Ok(PullResponse { messages })
    }

    fn ack(&mut self, request: AckRequest) -> Result<AckResponse, Error> {
        require(&request.topic, "topic")?;
        require(&request.subscription, "subscription")?;
        if request.acks.is_empty() {
            return Ok(AckResponse::default());
        }
        let group = self.group(&request.subscription);
        let mut commands = Commands::pipeline();
        for ack in &request.acks {
            add_ack(&mut commands, &request.topic, group, ack, self.settings.processing_timeout_ms)?;
        }
        let replies = self.redis.execute(&commands).map_err(|e| self.failed(e))?;
        let mut unknown_ids = Vec::new();
        for (ack, reply) in request.acks.iter().zip(replies.iter().map(Some).chain(std::iter::repeat(None))) {
            match reply.map(|reply| (was_pending(reply), reply)) {
                Some((Some(true), _)) => {}
                Some((Some(false), _)) => unknown_ids.push(ack.id.clone()),
                // The group is gone (its pending entries with it): nothing holds the message any more.
                Some((None, reply)) if reply.is_error_code("NOGROUP") => unknown_ids.push(ack.id.clone()),
                Some((None, reply)) => {
                    return Err(Error::Internal(format!(
                        "Redis pub/sub '{}': acknowledging message '{}' of topic '{}' failed: {}",
                        self.name,
                        ack.id,
                        request.topic,
                        reply.describe()
                    )))
                }
                None => {
                    return Err(Error::Internal(format!(
                        "Redis pub/sub '{}': no reply to the acknowledgement of message '{}'",
                        self.name, ack.id
                    )))
                }
            }
        }
        Ok(AckResponse { unknown_ids })
    }

    fn ping(&mut self) -> Result<(), Error> {
        let mut ping = Commands::pipeline();
        ping.text(&["PING"]);
        let replies = self.redis.execute(&ping).map_err(|e| self.failed(e))?;
        match replies.first().and_then(Reply::as_error) {
            Some(error) => Err(Error::Internal(format!("Redis pub/sub '{}': PING failed: {}", self.name, error))),
            None => Ok(()),
        }
    }
}

export_pubsub!(RedisPubSub);

#[cfg(test)]
mod tests;
