//! The in-memory pub/sub broker: every subscription of a topic has its own FIFO queue; pulled messages are leased
//! and come back if not acknowledged in time; a retried message keeps its place ahead of later ones. Its queues live
//! in the instance's linear memory, so the host runs it as a single instance.

use pillion_pdk::pubsub::*;
use pillion_pdk::{export_pubsub, Error, PubSubComponent};
use std::collections::{HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_MAX_QUEUE_DEPTH: usize = 100_000;
/// Half the host's default memory cap (64 MiB): a full broker refuses publishes instead of running out of memory,
/// which would trap and lose every queued message.
const DEFAULT_MAX_BYTES: usize = 32 << 20;
const DEFAULT_LEASE_MILLIS: i64 = 30_000;

struct Entry {
    message: Message,
    leased_until: Option<i64>,
    ready_at: i64,
}

impl Entry {
    fn available(&self, now: i64) -> bool {
        self.ready_at <= now && self.leased_until.map_or(true, |until| until <= now)
    }
}

/// The broker. Public so the host-target unit tests can drive it with a chosen clock.
pub struct InMemoryPubSub {
    name: String,
    topics: HashMap<String, HashMap<String, VecDeque<Entry>>>,
    last_id: u64,
    max_queue_depth: usize,
    max_bytes: usize,
    stored_bytes: usize,
}

impl Default for InMemoryPubSub {
    fn default() -> Self {
        InMemoryPubSub {
            name: String::new(),
            topics: HashMap::new(),
            last_id: 0,
            max_queue_depth: DEFAULT_MAX_QUEUE_DEPTH,
            max_bytes: DEFAULT_MAX_BYTES,
            stored_bytes: 0,
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn positive(value: &str, field: &str) -> Result<usize, Error> {
    value.parse().ok().filter(|v: &usize| *v > 0).ok_or_else(|| {
        Error::InvalidArgument(format!("metadata '{}' must be a positive integer, got '{}'", field, value))
    })
}

fn require(value: &str, field: &str) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::InvalidArgument(format!("{} is empty", field)))
    } else {
        Ok(())
    }
}

impl InMemoryPubSub {
    fn queue(&mut self, topic: &str, subscription: &str) -> Result<&mut VecDeque<Entry>, Error> {
        self.topics.get_mut(topic).and_then(|subs| subs.get_mut(subscription)).ok_or_else(|| {
            Error::InvalidArgument(format!("no subscription '{}' on topic '{}'", subscription, topic))
        })
    }

    /// `init` with metadata `maxQueueDepth` (messages per subscription, default 100000) and `maxBytes` (payload
    /// bytes held across all queues, default 32 MiB).
    pub fn configure(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        if let Some(depth) = metadata.properties.get("maxQueueDepth") {
            self.max_queue_depth = positive(depth, "maxQueueDepth")?;
        }
        if let Some(bytes) = metadata.properties.get("maxBytes") {
            self.max_bytes = positive(bytes, "maxBytes")?;
        }
        Ok(())
    }

    /// `publish` at a given time.
    pub fn publish_at(&mut self, request: PublishRequest, now: i64) -> Result<PublishResponse, Error> {
        require(&request.topic, "topic")?;
        let max = self.max_queue_depth;
        let subscriptions = match self.topics.get_mut(&request.topic) {
            Some(subscriptions) if !subscriptions.is_empty() => subscriptions,
            // Like a broker without retention: with no subscription, nobody receives the message.
            _ => {
                self.last_id += 1;
                return Ok(PublishResponse { message_id: self.last_id.to_string() });
            }
        };
        if let Some((name, _)) = subscriptions.iter().find(|(_, queue)| queue.len() >= max) {
            return Err(Error::Internal(format!(
                "subscription '{}' of topic '{}' is full (maxQueueDepth {})",
                name, request.topic, max
            )));
        }
        let needed = request.data.len().saturating_mul(subscriptions.len());
        if self.stored_bytes.saturating_add(needed) > self.max_bytes {
            return Err(Error::Internal(format!(
                "the broker is full: {} of {} bytes (maxBytes) are held by unacknowledged messages",
                self.stored_bytes, self.max_bytes
            )));
        }
        self.stored_bytes += needed;
        self.last_id += 1;
        let id = self.last_id.to_string();
        let message = Message {
            id: id.clone(),
            topic: request.topic,
            data: request.data,
            content_type: request.content_type,
            metadata: request.metadata,
            delivery_count: 0,
            published_at_millis: now,
        };
        for queue in subscriptions.values_mut() {
            queue.push_back(Entry { message: message.clone(), leased_until: None, ready_at: now });
        }
        Ok(PublishResponse { message_id: id })
    }

    /// `subscribe`.
    pub fn add_subscription(&mut self, request: SubscribeRequest) -> Result<(), Error> {
        require(&request.topic, "topic")?;
        require(&request.subscription, "subscription")?;
        self.topics.entry(request.topic).or_default().entry(request.subscription).or_default();
        Ok(())
    }

    /// `unsubscribe`: the subscription's pending messages go with it.
    pub fn remove_subscription(&mut self, request: UnsubscribeRequest) -> Result<(), Error> {
        if let Some(subscriptions) = self.topics.get_mut(&request.topic) {
            if let Some(queue) = subscriptions.remove(&request.subscription) {
                let freed: usize = queue.iter().map(|e| e.message.data.len()).sum();
                self.stored_bytes -= freed;
            }
        }
        Ok(())
    }

    /// `pull` at a given time.
    pub fn pull_at(&mut self, request: PullRequest, now: i64) -> Result<PullResponse, Error> {
        let max = request.max_messages.max(1) as usize;
        let lease = if request.lease_millis == 0 { DEFAULT_LEASE_MILLIS } else { i64::from(request.lease_millis) };
        let queue = self.queue(&request.topic, &request.subscription)?;
        let mut messages = Vec::new();
        for entry in queue.iter_mut() {
            if messages.len() == max {
                break;
            }
            if !entry.available(now) {
                if request.ordered {
                    break;
                }
                continue;
            }
            entry.leased_until = Some(now + lease);
            entry.message.delivery_count += 1;
            messages.push(entry.message.clone());
        }
        Ok(PullResponse { messages })
    }

    /// `ack` at a given time.
    pub fn ack_at(&mut self, request: AckRequest, now: i64) -> Result<AckResponse, Error> {
        let mut freed = 0;
        let queue = self.queue(&request.topic, &request.subscription)?;
        let mut unknown_ids = Vec::new();
        for ack in request.acks {
            let position = match queue.iter().position(|e| e.message.id == ack.id) {
                Some(position) => position,
                None => {
                    unknown_ids.push(ack.id);
                    continue;
                }
            };
            match AckOutcome::from_i32(ack.outcome) {
                Some(AckOutcome::Success) | Some(AckOutcome::Drop) => {
                    if let Some(entry) = queue.remove(position) {
                        freed += entry.message.data.len();
                    }
                }
                Some(AckOutcome::Retry) => {
                    let entry = &mut queue[position];
                    entry.leased_until = None;
                    entry.ready_at = now + i64::from(ack.retry_after_millis);
                }
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "ack of message '{}' has no outcome (SUCCESS, RETRY or DROP)",
                        ack.id
                    )))
                }
            }
        }
        self.stored_bytes -= freed;
        Ok(AckResponse { unknown_ids })
    }
}

impl PubSubComponent for InMemoryPubSub {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.configure(metadata)?;
        pillion_pdk::log::info(&format!("in-memory pub/sub '{}' initialized", self.name));
        Ok(())
    }

    fn features(&self) -> Vec<String> {
        vec!["BULK_PUBLISH".to_string()]
    }

    fn publish(&mut self, request: PublishRequest) -> Result<PublishResponse, Error> {
        self.publish_at(request, now_ms())
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
