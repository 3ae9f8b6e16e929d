use super::*;
use pillion_pdk::keyvalue::{ItemHeader, MemoryKeyValue};
use pillion_pdk::keyvalue_messages::{ScanResponse, WriteBatch};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap as Map};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

const T0: i64 = 1_700_000_000_000;

/// Host calls one instance made.
#[derive(Default)]
struct Calls {
    gets: Cell<usize>,
    scans: Cell<usize>,
    scanned: Cell<usize>,
    scanned_bytes: Cell<usize>,
    writes: Cell<usize>,
    /// Batches refused because a condition failed.
    conflicts: Cell<usize>,
    total: Cell<usize>,
}

/// What a trapping instance throws (with `resume_unwind`, which skips the panic hook's output).
struct Trap;

/// One instance's view of the shared store: counts its calls, can run another instance's request just before its
/// next write (an interleaving), and can trap at its n-th host call.
#[derive(Clone, Default)]
struct TestKv {
    kv: MemoryKeyValue,
    calls: Rc<Calls>,
    before_write: Rc<RefCell<Option<Box<dyn FnMut()>>>>,
    trap_at_call: Rc<Cell<Option<usize>>>,
}

impl TestKv {
    fn call(&self) {
        let n = self.calls.total.get() + 1;
        self.calls.total.set(n);
        if self.trap_at_call.get() == Some(n) {
            panic::resume_unwind(Box::new(Trap));
        }
    }
}

impl KeyValue for TestKv {
    fn get_into(&self, key: &[u8], value: &mut Vec<u8>) -> Option<ItemHeader> {
        self.call();
        self.calls.gets.set(self.calls.gets.get() + 1);
        self.kv.get_into(key, value)
    }

    fn write(&self, batch: &WriteBatch) -> Result<(), WriteError> {
        self.call();
        self.calls.writes.set(self.calls.writes.get() + 1);
        let hook = self.before_write.borrow_mut().take();
        if let Some(mut hook) = hook {
            hook();
        }
        let result = self.kv.write(batch);
        if let Err(WriteError::ConditionFailed(_)) = result {
            self.calls.conflicts.set(self.calls.conflicts.get() + 1);
        }
        result
    }

    fn scan(&self, request: &ScanRequest) -> ScanResponse {
        self.call();
        let response = self.kv.scan(request);
        self.calls.scans.set(self.calls.scans.get() + 1);
        self.calls.scanned.set(self.calls.scanned.get() + response.entries.len());
        let bytes: usize = response.entries.iter().map(|e| e.key.len() + e.value.len()).sum();
        self.calls.scanned_bytes.set(self.calls.scanned_bytes.get() + bytes);
        response
    }

    fn sequence(&self) -> u64 {
        self.call();
        self.kv.sequence()
    }
}

type Broker = InMemoryPubSub<TestKv>;

/// A broker instance over a fresh store.
fn broker(subscriptions: &[(&str, &str)]) -> Broker {
    let b = Broker::default();
    for (topic, subscription) in subscriptions {
        subscribe(&b, topic, subscription);
    }
    b
}

/// Another instance over the same store, as the host's pool creates them (with its own call counters and hooks).
fn sibling(b: &Broker) -> Broker {
    let mut other = Broker::with_key_value(TestKv { kv: b.kv.kv.clone(), ..Default::default() });
    other.max_queue_depth = b.max_queue_depth;
    other.max_bytes = b.max_bytes;
    other.unsubscribe_chunk = b.unsubscribe_chunk;
    other
}

fn subscribe(b: &Broker, topic: &str, subscription: &str) {
    sibling(b)
        .add_subscription(SubscribeRequest {
            topic: topic.into(),
            subscription: subscription.into(),
            ..Default::default()
        })
        .unwrap();
}

fn configure(b: &mut Broker, key: &str, value: &str) -> Result<(), Error> {
    let mut properties = std::collections::HashMap::new();
    properties.insert(key.to_string(), value.to_string());
    b.configure(Metadata { name: "p".into(), properties })
}

fn publish(b: &mut Broker, topic: &str, data: &str) -> String {
    b.publish_at(PublishRequest { topic: topic.into(), data: data.as_bytes().to_vec(), ..Default::default() }, T0)
        .unwrap()
        .message_id
}

fn bulk(topic: &str, data: &[String]) -> BulkPublishRequest {
    BulkPublishRequest {
        topic: topic.into(),
        entries: data
            .iter()
            .enumerate()
            .map(|(i, d)| BulkPublishEntry {
                entry_id: format!("e{}", i),
                data: d.as_bytes().to_vec(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn pull_request(topic: &str, sub: &str, max: u32, ordered: bool) -> PullRequest {
    PullRequest {
        topic: topic.into(),
        subscription: sub.into(),
        max_messages: max,
        lease_millis: 1000,
        ordered,
        ..Default::default()
    }
}

fn pull(b: &mut Broker, topic: &str, sub: &str, max: u32, ordered: bool, now: i64) -> Vec<Message> {
    b.pull_at(pull_request(topic, sub, max, ordered), now).unwrap().messages
}

fn acks(topic: &str, sub: &str, acks: Vec<Ack>) -> AckRequest {
    AckRequest { topic: topic.into(), subscription: sub.into(), acks }
}

fn settle(id: &str, outcome: AckOutcome) -> Ack {
    Ack { id: id.into(), outcome: outcome as i32, retry_after_millis: 0 }
}

fn ack(b: &mut Broker, topic: &str, sub: &str, id: &str, outcome: AckOutcome, now: i64) -> Vec<String> {
    b.ack_at(acks(topic, sub, vec![settle(id, outcome)]), now).unwrap().unknown_ids
}

fn data(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| String::from_utf8(m.data.clone()).unwrap()).collect()
}

fn ids(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.id.clone()).collect()
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

#[test]
fn every_subscription_gets_every_message_in_order() {
    let mut b = broker(&[("orders", "a"), ("orders", "b")]);
    for i in 0..3 {
        publish(&mut b, "orders", &i.to_string());
    }
    assert_eq!(data(&pull(&mut b, "orders", "a", 10, false, T0)), ["0", "1", "2"]);
    assert_eq!(data(&pull(&mut b, "orders", "b", 10, false, T0)), ["0", "1", "2"]);
}

#[test]
fn messages_carry_what_was_published() {
    let mut b = broker(&[("t", "s")]);
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("k".to_string(), "v".to_string());
    let id = b
        .publish_at(
            PublishRequest { topic: "t".into(), data: b"x".to_vec(), content_type: "text/plain".into(), metadata },
            T0,
        )
        .unwrap()
        .message_id;
    let m = &pull(&mut b, "t", "s", 1, false, T0 + 5)[0];
    assert_eq!(m.id, id);
    assert_eq!(m.topic, "t");
    assert_eq!(m.content_type, "text/plain");
    assert_eq!(m.metadata.get("k").map(String::as_str), Some("v"));
    assert_eq!(m.published_at_millis, T0);
    assert_eq!(m.delivery_count, 1);
}

#[test]
fn leased_messages_are_not_delivered_twice_until_the_lease_expires() {
    let mut b = broker(&[("t", "s")]);
    publish(&mut b, "t", "m");
    let first = pull(&mut b, "t", "s", 1, false, T0);
    assert_eq!(first[0].delivery_count, 1);
    assert!(pull(&mut b, "t", "s", 1, false, T0 + 999).is_empty());
    let again = pull(&mut b, "t", "s", 1, false, T0 + 1000);
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].delivery_count, 2);
}

#[test]
fn success_and_drop_remove_retry_redelivers_in_place() {
    let mut b = broker(&[("t", "s")]);
    let m1 = publish(&mut b, "t", "1");
    publish(&mut b, "t", "2");
    pull(&mut b, "t", "s", 1, true, T0);
    ack(&mut b, "t", "s", &m1, AckOutcome::Retry, T0);
    // Ordered: message 1 comes back before message 2.
    assert_eq!(data(&pull(&mut b, "t", "s", 1, true, T0)), ["1"]);
    ack(&mut b, "t", "s", &m1, AckOutcome::Drop, T0);
    let next = pull(&mut b, "t", "s", 1, true, T0);
    assert_eq!(data(&next), ["2"]);
    ack(&mut b, "t", "s", &next[0].id, AckOutcome::Success, T0);
    assert!(pull(&mut b, "t", "s", 10, false, T0 + 60_000).is_empty());
    assert_eq!(ack(&mut b, "t", "s", &m1, AckOutcome::Success, T0), [m1]);
}

#[test]
fn ordered_pull_waits_for_a_retry_delay_unordered_does_not() {
    let mut b = broker(&[("t", "s")]);
    let m1 = publish(&mut b, "t", "1");
    publish(&mut b, "t", "2");
    pull(&mut b, "t", "s", 1, true, T0);
    b.ack_at(
        acks("t", "s", vec![Ack { id: m1, outcome: AckOutcome::Retry as i32, retry_after_millis: 500 }]),
        T0,
    )
    .unwrap();
    assert!(pull(&mut b, "t", "s", 1, true, T0 + 100).is_empty());
    assert_eq!(data(&pull(&mut b, "t", "s", 1, false, T0 + 100)), ["2"]);
    assert_eq!(data(&pull(&mut b, "t", "s", 1, true, T0 + 500)), ["1"]);
}

#[test]
fn ordered_pull_stops_at_a_leased_message() {
    let mut b = broker(&[("t", "s")]);
    for i in 0..3 {
        publish(&mut b, "t", &i.to_string());
    }
    assert_eq!(data(&pull(&mut b, "t", "s", 1, true, T0)), ["0"]);
    assert!(pull(&mut b, "t", "s", 10, true, T0 + 1).is_empty());
    assert_eq!(data(&pull(&mut b, "t", "s", 10, false, T0 + 1)), ["1", "2"]);
}

#[test]
fn competing_consumers_share_one_subscription() {
    let mut b = broker(&[("t", "s")]);
    publish(&mut b, "t", "1");
    publish(&mut b, "t", "2");
    let a = pull(&mut b, "t", "s", 1, false, T0);
    let c = pull(&mut b, "t", "s", 1, false, T0);
    assert_ne!(a[0].id, c[0].id);
}

#[test]
fn unknown_acks_subscriptions_and_topics_are_reported() {
    let mut b = broker(&[("t", "s")]);
    let unknown =
        vec![settle("404", AckOutcome::Success), settle("x", AckOutcome::Drop), settle("007", AckOutcome::Drop)];
    let response = b.ack_at(acks("t", "s", unknown), T0).unwrap();
    assert_eq!(response.unknown_ids, ["404", "x", "007"]);
    let err = b.pull_at(pull_request("t", "nope", 1, false), T0);
    assert!(matches!(err, Err(Error::InvalidArgument(m)) if m.contains("no subscription 'nope' on topic 't'")));
    let err = b.ack_at(acks("t", "nope", vec![settle("1", AckOutcome::Success)]), T0);
    assert!(matches!(err, Err(Error::InvalidArgument(m)) if m.contains("no subscription 'nope'")));
    let err = b.publish_at(PublishRequest::default(), T0).unwrap_err();
    assert_eq!(err, Error::InvalidArgument("topic is empty".into()));
}

#[test]
fn an_ack_without_outcome_changes_nothing() {
    let mut b = broker(&[("t", "s")]);
    let id = publish(&mut b, "t", "1");
    pull(&mut b, "t", "s", 1, false, T0);
    let err = b
        .ack_at(acks("t", "s", vec![settle(&id, AckOutcome::Success), settle(&id, AckOutcome::Unspecified)]), T0)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(m) if m.contains("has no outcome")));
    assert_eq!(data(&pull(&mut b, "t", "s", 1, false, T0 + 1000)), ["1"]);
}

#[test]
fn later_acks_of_one_id_apply_to_what_earlier_ones_left() {
    let mut b = broker(&[("t", "s")]);
    let id = publish(&mut b, "t", "1");
    pull(&mut b, "t", "s", 1, false, T0);
    let response = b
        .ack_at(
            acks(
                "t",
                "s",
                vec![settle(&id, AckOutcome::Retry), settle(&id, AckOutcome::Success), settle(&id, AckOutcome::Drop)],
            ),
            T0,
        )
        .unwrap();
    assert_eq!(response.unknown_ids, [id]);
    assert!(pull(&mut b, "t", "s", 1, false, T0 + 60_000).is_empty());
}

#[test]
fn bad_names_are_refused_clearly() {
    let mut b = broker(&[]);
    let err = b
        .add_subscription(SubscribeRequest { topic: "a\0b".into(), subscription: "s".into(), ..Default::default() })
        .unwrap_err();
    assert_eq!(err, Error::InvalidArgument("topic 'a\\0b' contains a NUL character".into()));
    let err = b
        .add_subscription(SubscribeRequest { topic: "t".into(), subscription: String::new(), ..Default::default() })
        .unwrap_err();
    assert_eq!(err, Error::InvalidArgument("subscription is empty".into()));
    let long = "x".repeat(MAX_NAME_BYTES + 1);
    let err = b.publish_at(PublishRequest { topic: long, ..Default::default() }, T0).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(m) if m.contains("topic is 16385 bytes long")));
    let err = configure(&mut b, "maxQueueDepth", "0");
    assert!(matches!(err, Err(Error::InvalidArgument(m)) if m.contains("maxQueueDepth")));
    assert!(matches!(configure(&mut b, "maxBytes", "lots"), Err(Error::InvalidArgument(m)) if m.contains("'lots'")));
}

#[test]
fn messages_published_before_the_first_subscription_are_kept_for_it() {
    let mut b = broker(&[]);
    for i in 0..3 {
        publish(&mut b, "t", &i.to_string());
    }
    subscribe(&b, "t", "first");
    publish(&mut b, "t", "3");
    subscribe(&b, "t", "second");
    publish(&mut b, "t", "4");
    assert_eq!(data(&pull(&mut b, "t", "first", 10, true, T0)), ["0", "1", "2", "3", "4"]);
    assert_eq!(data(&pull(&mut b, "t", "second", 10, true, T0)), ["4"], "a later subscription starts from now");
    // Settled like any message: the backlog became the first subscription's queue.
    let first = ids(&pull(&mut b, "t", "first", 10, true, T0 + 1_000));
    b.ack_at(acks("t", "first", first.iter().map(|id| settle(id, AckOutcome::Success)).collect()), T0).unwrap();
    assert!(pull(&mut b, "t", "first", 10, false, T0 + 60_000).is_empty());
    // Once the topic has no subscription again, what is published next is kept for the next one.
    for sub in ["first", "second"] {
        b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: sub.into() }).unwrap();
    }
    publish(&mut b, "t", "5");
    subscribe(&b, "t", "third");
    assert_eq!(data(&pull(&mut b, "t", "third", 10, true, T0)), ["5"]);
}

#[test]
fn a_backlog_is_bounded_like_a_queue_and_refused_whole_when_full() {
    let mut b = broker(&[]);
    configure(&mut b, "maxQueueDepth", "2").unwrap();
    configure(&mut b, "maxBytes", "3").unwrap();
    publish(&mut b, "t", "1");
    let records = b.kv.kv.len();
    let err = b.bulk_publish_at(bulk("t", &numbers(2)), T0).unwrap_err();
    match err {
        Error::ResourceExhausted(m) => assert!(
            m.contains(
                "topic 't' has no subscription yet and its backlog is full: it holds 1 messages kept for its first \
                 subscription and this publish adds 2, over its limit of 2 (maxQueueDepth); nothing was published"
            ),
            "{}",
            m
        ),
        other => panic!("expected RESOURCE_EXHAUSTED, got {:?}", other),
    }
    assert_eq!(b.kv.kv.len(), records);
    let err = b.publish_at(PublishRequest { topic: "t".into(), data: b"234".to_vec(), ..Default::default() }, T0);
    assert!(matches!(err, Err(Error::ResourceExhausted(m)) if m.contains("(maxBytes)")));
    publish(&mut b, "t", "2");
    subscribe(&b, "t", "s");
    assert_eq!(data(&pull(&mut b, "t", "s", 10, true, T0)), ["1", "2"]);
}

#[test]
fn without_retention_messages_for_no_subscription_are_dropped() {
    let mut b = broker(&[]);
    configure(&mut b, "retainUntilSubscribed", "false").unwrap();
    let id = publish(&mut b, "t", "lost");
    assert!(!id.is_empty());
    assert!(b.kv.kv.is_empty());
    subscribe(&b, "t", "s");
    assert!(pull(&mut b, "t", "s", 10, false, T0).is_empty());
    let err = configure(&mut b, "retainUntilSubscribed", "yes").unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(m) if m.contains("'retainUntilSubscribed' must be true or false")));
}

#[test]
fn a_first_subscription_racing_a_publish_gets_the_message_either_way() {
    // The subscription commits between the publish's read (no topic: a new backlog) and its batch.
    let mut a = broker(&[]);
    let late = sibling(&a);
    *a.kv.before_write.borrow_mut() = Some(Box::new(move || subscribe(&late, "t", "s")));
    publish(&mut a, "t", "m");
    assert_eq!(a.kv.calls.conflicts.get(), 1, "the publish started over and found the subscription");
    assert_eq!(data(&pull(&mut a, "t", "s", 10, false, T0)), ["m"]);
    // The subscription adopts a backlog between a publish's read and its batch.
    let mut a = broker(&[]);
    publish(&mut a, "t", "1");
    let late = sibling(&a);
    *a.kv.before_write.borrow_mut() = Some(Box::new(move || subscribe(&late, "t", "s")));
    publish(&mut a, "t", "2");
    assert_eq!(a.kv.calls.conflicts.get(), 1);
    assert_eq!(data(&pull(&mut a, "t", "s", 10, true, T0)), ["1", "2"]);
    // Two publishers creating the topic's backlog at once: one starts over and joins the other's.
    let mut a = broker(&[]);
    let mut other = sibling(&a);
    *a.kv.before_write.borrow_mut() = Some(Box::new(move || {
        publish(&mut other, "t", "first");
    }));
    publish(&mut a, "t", "second");
    subscribe(&a, "t", "s");
    assert_eq!(data(&pull(&mut a, "t", "s", 10, true, T0)), ["first", "second"]);
}

#[test]
fn subscribe_is_idempotent_and_unsubscribe_drops_the_queue_and_every_record() {
    let mut b = broker(&[("t", "keep"), ("t", "s")]);
    configure(&mut b, "maxBytes", "100").unwrap();
    publish(&mut b, "t", "1234");
    subscribe(&b, "t", "s");
    assert_eq!(data(&pull(&mut b, "t", "s", 10, false, T0)), ["1234"]);
    publish(&mut b, "t", "5678");
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "s".into() }).unwrap();
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "s".into() }).unwrap();
    subscribe(&b, "t", "s");
    assert!(pull(&mut b, "t", "s", 10, false, T0 + 60_000).is_empty(), "a new subscription starts empty");
    // "keep" still holds two messages of 4 bytes; the dropped queue's 8 bytes were given back.
    b.bulk_publish_at(bulk("t", &["x".repeat(46)]), T0).unwrap();
    let keep = pull(&mut b, "t", "keep", 10, false, T0);
    let settled: Vec<Ack> = keep.iter().map(|m| settle(&m.id, AckOutcome::Success)).collect();
    b.ack_at(acks("t", "keep", settled), T0).unwrap();
    let s = pull(&mut b, "t", "s", 10, false, T0);
    b.ack_at(acks("t", "s", vec![settle(&s[0].id, AckOutcome::Success)]), T0).unwrap();
    for sub in ["keep", "s"] {
        b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: sub.into() }).unwrap();
    }
    // Only the broker's byte counters (equal: nothing held) are left.
    let mut value = Vec::new();
    assert_eq!(b.kv.kv.len(), 2);
    b.kv.kv.get_into(BYTES_IN, &mut value).unwrap();
    let queued = value.clone();
    b.kv.kv.get_into(BYTES_OUT, &mut value).unwrap();
    assert_eq!(queued, value);
}

#[test]
fn a_long_queue_is_unsubscribed_in_consistent_batches() {
    let mut b = broker(&[("t", "s"), ("t", "other")]);
    configure(&mut b, "maxQueueDepth", "10").unwrap();
    configure(&mut b, "maxBytes", "20").unwrap();
    b.unsubscribe_chunk = 3;
    b.bulk_publish_at(bulk("t", &numbers(10)), T0).unwrap();
    pull(&mut b, "t", "s", 2, false, T0);
    // An instance dying after its first batch (host calls: 3 reads, a scan, the batch; then the next round's first
    // read) dropped the first 3 messages as acks would have; the subscription is otherwise intact.
    let mut doomed = sibling(&b);
    doomed.kv.trap_at_call.set(Some(6));
    let unsubscribe = UnsubscribeRequest { topic: "t".into(), subscription: "s".into() };
    let died = panic::catch_unwind(AssertUnwindSafe(|| doomed.remove_subscription(unsubscribe.clone())));
    assert!(died.unwrap_err().is::<Trap>());
    assert_eq!(doomed.kv.calls.writes.get(), 1);
    assert_eq!(data(&pull(&mut b, "t", "s", 10, false, T0 + 60_000)), numbers(10)[3..].to_vec());
    b.bulk_publish_at(bulk("t", &numbers(0)), T0).unwrap();
    let err = b.bulk_publish_at(bulk("t", &["a".into(), "b".into(), "c".into(), "d".into()]), T0).unwrap_err();
    assert!(matches!(&err, Error::ResourceExhausted(m) if m.contains("'other' of topic 't' is full")), "{:?}", err);
    // Without "other" (its 10 bytes given back), "s" holds 7 of 10 messages and 7 of 20 bytes.
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "other".into() }).unwrap();
    b.bulk_publish_at(bulk("t", &["a".into(), "b".into(), "c".into()]), T0).unwrap();
    let err = b.publish_at(PublishRequest { topic: "t".into(), data: b"d".to_vec(), ..Default::default() }, T0);
    assert!(matches!(err, Err(Error::ResourceExhausted(m)) if m.contains("'s' of topic 't' is full")));
    let writes = b.kv.calls.writes.get();
    b.remove_subscription(unsubscribe).unwrap();
    assert_eq!(b.kv.calls.writes.get() - writes, 4, "10 entries in batches of 3: three chunks and the last batch");
    assert_eq!(b.kv.kv.len(), 2, "only the broker's byte counters are left");
}

#[test]
fn queue_depth_is_bounded_and_a_refused_publish_changes_nothing() {
    let mut b = broker(&[("t", "a"), ("t", "b")]);
    configure(&mut b, "maxQueueDepth", "3").unwrap();
    publish(&mut b, "t", "1");
    publish(&mut b, "t", "2");
    let a = pull(&mut b, "t", "a", 10, false, T0);
    for m in &a {
        ack(&mut b, "t", "a", &m.id, AckOutcome::Success, T0);
    }
    let records = b.kv.kv.len();
    // "a" is empty, "b" holds 2 of 3: a bulk of 2 is refused whole, for every subscription.
    let err = b.bulk_publish_at(bulk("t", &numbers(2)), T0).unwrap_err();
    match err {
        Error::ResourceExhausted(m) => {
            assert!(m.contains("subscription 'b' of topic 't' is full"), "{}", m);
            let detail = "it holds 2 messages and this publish adds 2, over its limit of 3 (maxQueueDepth)";
            assert!(m.contains(detail), "{}", m);
        }
        other => panic!("expected RESOURCE_EXHAUSTED, got {:?}", other),
    }
    assert_eq!(b.kv.kv.len(), records);
    assert!(pull(&mut b, "t", "a", 10, false, T0).is_empty());
    publish(&mut b, "t", "3");
    let err = b.publish_at(PublishRequest { topic: "t".into(), ..Default::default() }, T0).unwrap_err();
    assert_eq!(err.code(), Some("RESOURCE_EXHAUSTED"));
    assert_eq!(data(&pull(&mut b, "t", "b", 10, false, T0 + 60_000)), ["1", "2", "3"]);
}

#[test]
fn bulk_publish_is_one_batch() {
    let mut b = broker(&[("t", "s")]);
    let response = b.bulk_publish_at(bulk("t", &numbers(3)), T0).unwrap();
    assert!(response.failed_entries.is_empty());
    assert_eq!(b.kv.calls.writes.get(), 1);
    let pulled = pull(&mut b, "t", "s", 10, true, T0);
    assert_eq!(data(&pulled), numbers(3));
    let ids: Vec<u64> = pulled.iter().map(|m| m.id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn total_bytes_are_bounded_refused_whole_and_freed_by_acks() {
    let mut b = broker(&[("t", "s"), ("t", "s2")]);
    configure(&mut b, "maxBytes", "20").unwrap();
    let id = publish(&mut b, "t", "123456");
    let records = b.kv.kv.len();
    // 12 bytes held (two queues); 2 entries × 2 queues × 2 bytes = 8 fit, a third entry does not.
    let err = b.bulk_publish_at(bulk("t", &["ab".into(), "cd".into(), "ef".into()]), T0).unwrap_err();
    match err {
        Error::ResourceExhausted(m) => assert!(
            m.contains(
                "the broker is full: unacknowledged messages hold 12 bytes and this publish adds 12, \
                 over its limit of 20 bytes (maxBytes)"
            ),
            "{}",
            m
        ),
        other => panic!("expected RESOURCE_EXHAUSTED, got {:?}", other),
    }
    assert_eq!(b.kv.kv.len(), records);
    b.bulk_publish_at(bulk("t", &["ab".into(), "cd".into()]), T0).unwrap();
    assert!(b.publish_at(PublishRequest { topic: "t".into(), data: b"x".to_vec(), ..Default::default() }, T0).is_err());
    pull(&mut b, "t", "s", 1, false, T0);
    ack(&mut b, "t", "s", &id, AckOutcome::Success, T0);
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "s2".into() }).unwrap();
    // 4 bytes left (s: "ab", "cd"): 16 more fit in the one queue left.
    b.publish_at(PublishRequest { topic: "t".into(), data: vec![b'x'; 16], ..Default::default() }, T0).unwrap();
}

#[test]
fn a_full_store_refuses_a_publish_as_resource_exhausted() {
    let mut b = broker(&[("t", "s")]);
    b.kv.kv.set_max_bytes(2_000);
    let big = PublishRequest { topic: "t".into(), data: vec![0; 4_000], ..Default::default() };
    let err = b.publish_at(big, T0).unwrap_err();
    assert!(matches!(err, Error::ResourceExhausted(m) if m.contains("the store is full")));
    assert!(pull(&mut b, "t", "s", 10, false, T0).is_empty());
}

#[test]
fn two_instances_leasing_the_same_messages_never_both_win() {
    let mut a = broker(&[("t", "s")]);
    for i in 0..10 {
        publish(&mut a, "t", &i.to_string());
    }
    // B pulls the same head of the queue after A read it and before A's lease commits.
    let b = Rc::new(RefCell::new(sibling(&a)));
    let b_got = Rc::new(RefCell::new(Vec::new()));
    {
        let (b, b_got) = (b.clone(), b_got.clone());
        *a.kv.before_write.borrow_mut() =
            Some(Box::new(move || *b_got.borrow_mut() = pull(&mut b.borrow_mut(), "t", "s", 4, false, T0)));
    }
    let a_got = pull(&mut a, "t", "s", 6, false, T0);
    let b_got = b_got.borrow().clone();
    assert_eq!(data(&b_got), ["0", "1", "2", "3"]);
    assert_eq!(data(&a_got), ["4", "5"], "A keeps what it could still lease and skips what B took");
    assert!(a_got.iter().all(|m| m.delivery_count == 1));
    // Ordered: A stops at the first entry B took.
    let mut c = sibling(&a);
    let c_got = Rc::new(RefCell::new(Vec::new()));
    {
        let (mut b, c_got) = (sibling(&a), c_got.clone());
        *a.kv.before_write.borrow_mut() =
            Some(Box::new(move || *c_got.borrow_mut() = pull(&mut b, "t", "s", 1, false, T0 + 1000)));
    }
    let got = pull(&mut a, "t", "s", 3, true, T0 + 1000);
    assert_eq!(data(&c_got.borrow()), ["0"]);
    assert!(got.is_empty(), "an ordered pull may not deliver past a message another consumer holds");
    // Leases of A and B expired at T0 + 1000: all but the one C's pull holds are available.
    assert_eq!(data(&pull(&mut c, "t", "s", 10, false, T0 + 1000)), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
}

#[test]
fn a_publish_racing_another_keeps_queue_order_equal_to_commit_order() {
    let mut a = broker(&[("t", "s")]);
    configure(&mut a, "maxQueueDepth", "2").unwrap();
    let racer = sibling(&a);
    let b_id = Rc::new(RefCell::new(String::new()));
    {
        let (mut racer, b_id) = (racer, b_id.clone());
        *a.kv.before_write.borrow_mut() = Some(Box::new(move || *b_id.borrow_mut() = publish(&mut racer, "t", "b")));
    }
    let a_id = publish(&mut a, "t", "a");
    assert_eq!(a.kv.calls.writes.get(), 2, "A's first batch was refused and built again");
    let b_id = b_id.borrow().clone();
    assert!(b_id.parse::<u64>().unwrap() < a_id.parse::<u64>().unwrap());
    assert_eq!(data(&pull(&mut a, "t", "s", 10, true, T0)), ["b", "a"]);
    // The depth counter counted both.
    let err = a.publish_at(PublishRequest { topic: "t".into(), ..Default::default() }, T0).unwrap_err();
    assert!(matches!(err, Error::ResourceExhausted(m) if m.contains("holds 2 messages")));
}

/// Runs `other`'s ack of `id` just before `b`'s next write.
fn ack_before_next_write(b: &Broker, id: &str, outcome: AckOutcome) {
    let (mut other, id) = (sibling(b), id.to_string());
    *b.kv.before_write.borrow_mut() =
        Some(Box::new(move || assert!(ack(&mut other, "t", "s", &id, outcome, T0).is_empty())));
}

#[test]
fn acks_racing_acks_keep_the_counters_exact() {
    // The depth counter alone, then with the broker's byte counters too.
    racing_acks(false);
    racing_acks(true);
}

fn racing_acks(max_bytes: bool) {
    let mut a = broker(&[("t", "s")]);
    configure(&mut a, "maxQueueDepth", "5").unwrap();
    if max_bytes {
        configure(&mut a, "maxBytes", "5").unwrap();
    }
    for i in 0..5 {
        publish(&mut a, "t", &i.to_string());
    }
    let p = ids(&pull(&mut a, "t", "s", 5, false, T0));
    // Another instance settles a different message between A's reads and A's batch: both count.
    ack_before_next_write(&a, &p[2], AckOutcome::Success);
    let both = vec![settle(&p[0], AckOutcome::Drop), settle(&p[1], AckOutcome::Success)];
    let response = a.ack_at(acks("t", "s", both), T0);
    assert!(response.unwrap().unknown_ids.is_empty());
    // ... the same message: A's ack finds it gone.
    ack_before_next_write(&a, &p[3], AckOutcome::Success);
    assert_eq!(ack(&mut a, "t", "s", &p[3], AckOutcome::Drop, T0), [p[3].clone()]);
    // ... a message A puts back for a retry: A may not bring it back to life.
    let records = a.kv.kv.len();
    ack_before_next_write(&a, &p[4], AckOutcome::Drop);
    assert_eq!(ack(&mut a, "t", "s", &p[4], AckOutcome::Retry, T0), [p[4].clone()]);
    assert_eq!(a.kv.kv.len(), records - 2, "its entry and body are gone");
    // Nothing held: exactly 5 messages of 1 byte fit again, by count (and by bytes).
    a.bulk_publish_at(bulk("t", &numbers(5)), T0).unwrap();
    let err = a.bulk_publish_at(bulk("t", &["z".into()]), T0).unwrap_err();
    assert_eq!(err.code(), Some("RESOURCE_EXHAUSTED"));
    if max_bytes {
        a.max_queue_depth = 6;
        let err = a.bulk_publish_at(bulk("t", &["z".into()]), T0).unwrap_err();
        assert!(matches!(err, Error::ResourceExhausted(m) if m.contains("(maxBytes)")));
    }
    assert_eq!(data(&pull(&mut a, "t", "s", 10, true, T0 + 60_000)), numbers(5));
}

#[test]
fn the_broker_byte_counters_stay_exact_under_racing_requests_on_other_topics() {
    let mut a = broker(&[("t1", "s"), ("t2", "s")]);
    configure(&mut a, "maxBytes", "4").unwrap();
    // Both counters exist (a publish and an ack happened), so every update below is conditioned on a version.
    let first = publish(&mut a, "t1", "z");
    pull(&mut a, "t1", "s", 1, false, T0);
    ack(&mut a, "t1", "s", &first, AckOutcome::Success, T0);
    let b = Rc::new(RefCell::new(sibling(&a)));
    let publish_before_next_write = |a: &Broker, data: &'static str| {
        let b = b.clone();
        *a.kv.before_write.borrow_mut() = Some(Box::new(move || {
            publish(&mut b.borrow_mut(), "t2", data);
        }));
    };
    publish_before_next_write(&a, "b");
    publish(&mut a, "t1", "a");
    publish_before_next_write(&a, "d");
    publish(&mut a, "t1", "c");
    let err = a.publish_at(PublishRequest { topic: "t1".into(), data: b"e".to_vec(), ..Default::default() }, T0);
    assert!(matches!(err, Err(Error::ResourceExhausted(m)) if m.contains("hold 4 bytes")));
    // Acks on both topics, B's inside A's.
    let on_t1 = ids(&pull(&mut a, "t1", "s", 10, false, T0));
    let on_t2 = ids(&pull(&mut b.borrow_mut(), "t2", "s", 10, false, T0));
    {
        let b = b.clone();
        *a.kv.before_write.borrow_mut() = Some(Box::new(move || {
            let settled = on_t2.iter().map(|id| settle(id, AckOutcome::Success)).collect();
            b.borrow_mut().ack_at(acks("t2", "s", settled), T0).unwrap();
        }));
    }
    a.ack_at(acks("t1", "s", on_t1.iter().map(|id| settle(id, AckOutcome::Drop)).collect()), T0).unwrap();
    a.publish_at(PublishRequest { topic: "t1".into(), data: b"fghi".to_vec(), ..Default::default() }, T0).unwrap();
    let err = a.publish_at(PublishRequest { topic: "t2".into(), data: b"j".to_vec(), ..Default::default() }, T0);
    assert!(matches!(err, Err(Error::ResourceExhausted(m)) if m.contains("hold 4 bytes")));
}

#[test]
fn a_subscription_created_while_a_publish_is_in_flight_gets_the_message() {
    let mut a = broker(&[("t", "early")]);
    let late = sibling(&a);
    *a.kv.before_write.borrow_mut() = Some(Box::new(move || subscribe(&late, "t", "late")));
    publish(&mut a, "t", "m");
    assert_eq!(a.kv.calls.conflicts.get(), 1);
    assert_eq!(data(&pull(&mut a, "t", "late", 10, false, T0)), ["m"]);
    assert_eq!(data(&pull(&mut a, "t", "early", 10, false, T0)), ["m"]);
}

/// A small deterministic generator (no crates).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
fn pooled_instances_interleaving_at_random_never_lease_a_message_twice_and_lose_nothing() {
    let instances: Vec<Rc<RefCell<Broker>>> = {
        let first = broker(&[("t", "s")]);
        let others: Vec<Broker> = (0..2).map(|_| sibling(&first)).collect();
        std::iter::once(first).chain(others).map(|b| Rc::new(RefCell::new(b))).collect()
    };
    let rng = Rc::new(RefCell::new(Lcg(7)));
    // Which instance holds each message's lease; leases never expire here (the clock stands still).
    let holders: Rc<RefCell<Map<String, usize>>> = Rc::default();
    let published: Rc<RefCell<Vec<String>>> = Rc::default();
    let done: Rc<RefCell<Vec<String>>> = Rc::default();
    let counter = Rc::new(Cell::new(0usize));

    // One random request of instance `i`.
    fn step(
        i: usize,
        broker: &mut Broker,
        rng: &RefCell<Lcg>,
        holders: &RefCell<Map<String, usize>>,
        published: &RefCell<Vec<String>>,
        done: &RefCell<Vec<String>>,
        counter: &Cell<usize>,
    ) {
        let choice = rng.borrow_mut().below(3);
        match choice {
            0 if counter.get() < 300 => {
                counter.set(counter.get() + 1);
                let id = publish(broker, "t", &counter.get().to_string());
                published.borrow_mut().push(id);
            }
            1 => {
                let max = rng.borrow_mut().below(4) as u32 + 1;
                for m in pull(broker, "t", "s", max, false, T0) {
                    let previous = holders.borrow_mut().insert(m.id.clone(), i);
                    assert_eq!(previous, None, "message {} leased by {} while {:?} held it", m.id, i, previous);
                }
            }
            _ => {
                let mine: Vec<String> =
                    holders.borrow().iter().filter(|(_, holder)| **holder == i).map(|(id, _)| id.clone()).collect();
                if mine.is_empty() {
                    return;
                }
                let mut settled = Vec::new();
                let mut requests = Vec::new();
                for id in mine {
                    let outcome = if rng.borrow_mut().below(4) == 0 { AckOutcome::Retry } else { AckOutcome::Success };
                    holders.borrow_mut().remove(&id);
                    if outcome == AckOutcome::Success {
                        settled.push(id.clone());
                    }
                    requests.push(settle(&id, outcome));
                }
                let unknown = broker.ack_at(acks("t", "s", requests), T0).unwrap().unknown_ids;
                assert!(unknown.is_empty(), "instance {} held leases on {:?}", i, unknown);
                done.borrow_mut().extend(settled);
            }
        }
    }

    for _ in 0..3_000 {
        let (i, j) = {
            let mut rng = rng.borrow_mut();
            let i = rng.below(3);
            (i, (i + 1 + rng.below(2)) % 3)
        };
        // Instance j's request runs inside instance i's, just before i's next write (if it makes one).
        {
            let (other, rng, holders, published, done, counter) =
                (instances[j].clone(), rng.clone(), holders.clone(), published.clone(), done.clone(), counter.clone());
            let hook: Box<dyn FnMut()> = Box::new(move || {
                step(j, &mut other.borrow_mut(), &rng, &holders, &published, &done, &counter)
            });
            *instances[i].borrow().kv.before_write.borrow_mut() = Some(hook);
        }
        step(i, &mut instances[i].borrow_mut(), &rng, &holders, &published, &done, &counter);
        instances[i].borrow().kv.before_write.borrow_mut().take();
    }
    // Drain: everything not yet settled is still there, once, in publish order.
    let mut last = sibling(&instances[0].borrow());
    let rest = pull(&mut last, "t", "s", 1_000, false, T0 + 60_000);
    let settled: BTreeSet<String> = done.borrow().iter().cloned().collect();
    assert_eq!(settled.len(), done.borrow().len(), "a message was settled twice");
    let mut all: Vec<String> = settled.iter().cloned().chain(ids(&rest)).collect();
    all.sort_by_key(|id| id.parse::<u64>().unwrap());
    let mut expected = published.borrow().clone();
    expected.sort_by_key(|id| id.parse::<u64>().unwrap());
    assert_eq!(all, expected);
    let (published, settled) = (counter.get(), settled.len());
    assert!(published > 100 && settled > 50, "the run did some work: {} published, {} settled", published, settled);
    let order: Vec<u64> = rest.iter().map(|m| m.id.parse().unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    let conflicts: usize = instances.iter().map(|b| b.borrow().kv.calls.conflicts.get()).sum();
    assert!(conflicts > 20, "the interleavings made batches fail their conditions ({} did)", conflicts);
}

#[test]
fn an_instance_dying_at_any_host_call_loses_nothing() {
    // For every host call at which an instance can trap during a pull and an ack, a fresh instance afterwards
    // delivers every message the dead one did not settle; the ack's batch is all or nothing.
    let mut n = 1;
    loop {
        let mut setup = broker(&[("t", "s")]);
        for i in 0..5 {
            publish(&mut setup, "t", &i.to_string());
        }
        let mut doomed = sibling(&setup);
        doomed.kv.trap_at_call.set(Some(n));
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let pulled = pull(&mut doomed, "t", "s", 3, false, T0);
            let settled: Vec<Ack> = pulled.iter().map(|m| settle(&m.id, AckOutcome::Success)).collect();
            doomed.ack_at(acks("t", "s", settled), T0).unwrap();
            data(&pulled)
        }));
        let survived = match outcome {
            Ok(settled) => Some(settled),
            Err(payload) => {
                assert!(payload.is::<Trap>(), "a real panic, not a simulated trap");
                None
            }
        };
        let writes_committed = doomed.kv.calls.writes.get();
        drop(doomed);
        let mut heir = sibling(&setup);
        let delivered = data(&pull(&mut heir, "t", "s", 10, false, T0 + 1_000));
        match survived {
            Some(settled) => {
                assert_eq!(settled, ["0", "1", "2"]);
                assert_eq!(delivered, ["3", "4"]);
                break;
            }
            // Died before its ack committed (the trap comes before the write it counts): everything comes back,
            // after the leases (if any) expire.
            None if writes_committed < 2 => assert_eq!(delivered, numbers(5), "trap at host call {}", n),
            None => assert_eq!(delivered, ["3", "4"], "trap at host call {}", n),
        }
        n += 1;
        assert!(n < 100, "the pull and the ack make fewer host calls than this");
    }
    assert!(n > 5, "the scenario made {} host calls", n);
}

#[test]
fn acking_ten_thousand_messages_is_linear() {
    let mut b = broker(&[("t", "s")]);
    b.bulk_publish_at(bulk("t", &numbers(10_000)), T0).unwrap();
    let before = b.kv.calls.scanned.get();
    let pulled = pull(&mut b, "t", "s", 10_000, false, T0);
    assert_eq!(pulled.len(), 10_000);
    assert!(b.kv.calls.scanned.get() - before <= 10_000 + PAGE as usize, "the pull read each entry once");
    let (gets, scans, writes) = (b.kv.calls.gets.get(), b.kv.calls.scans.get(), b.kv.calls.writes.get());
    let settled: Vec<Ack> = pulled.iter().map(|m| settle(&m.id, AckOutcome::Success)).collect();
    let response = b.ack_at(acks("t", "s", settled), T0).unwrap();
    assert!(response.unknown_ids.is_empty());
    // One lookup per id (plus the subscription's counter), no scan, one batch.
    assert_eq!(b.kv.calls.gets.get() - gets, 10_001);
    assert_eq!(b.kv.calls.scans.get() - scans, 0);
    assert_eq!(b.kv.calls.writes.get() - writes, 1);
    assert!(pull(&mut b, "t", "s", 10, false, T0 + 60_000).is_empty());
    // Subscription records only: the topic's and the queue's removed counter.
    assert_eq!(b.kv.kv.len(), 2);
}

#[test]
fn a_pull_reads_no_payload_of_the_entries_it_skips() {
    let mut b = broker(&[("t", "s")]);
    b.bulk_publish_at(bulk("t", &vec!["x".repeat(1_000); 300]), T0).unwrap();
    publish(&mut b, "t", "last");
    let first = pull(&mut b, "t", "s", 300, false, T0);
    assert_eq!(first.len(), 300);
    let (gets, scanned, bytes) = (b.kv.calls.gets.get(), b.kv.calls.scanned.get(), b.kv.calls.scanned_bytes.get());
    assert_eq!(data(&pull(&mut b, "t", "s", 10, false, T0)), ["last"]);
    // It skipped 300 leased entries reading their delivery states only (an 18-byte key and 24 bytes each), then read
    // the one body it delivered (the instance remembers the subscription's queue).
    assert_eq!(b.kv.calls.scanned.get() - scanned, 301);
    assert!(b.kv.calls.scanned_bytes.get() - bytes <= 301 * 42);
    assert_eq!(b.kv.calls.gets.get() - gets, 1);
}

#[test]
fn a_publish_a_pull_and_an_ack_make_few_host_calls() {
    let mut b = broker(&[("t", "s")]);
    let calls = |b: &Broker| (b.kv.calls.gets.get(), b.kv.calls.scans.get(), b.kv.calls.writes.get(), b.kv.calls.total.get());
    let before = calls(&b);
    let id = publish(&mut b, "t", "m");
    let after = calls(&b);
    // The topic record, a sequence number, the batch.
    assert_eq!((after.0 - before.0, after.1 - before.1, after.2 - before.2, after.3 - before.3), (1, 0, 1, 3));
    pull(&mut b, "t", "s", 1, true, T0);
    let pulled = calls(&b);
    // The first pull of this instance looks the subscription's queue up; then a scan, the lease, the body.
    assert_eq!((pulled.0 - after.0, pulled.1 - after.1, pulled.2 - after.2, pulled.3 - after.3), (2, 1, 1, 4));
    ack(&mut b, "t", "s", &id, AckOutcome::Success, T0);
    let acked = calls(&b);
    // The queue's removed counter, the entry, the batch.
    assert_eq!((acked.0 - pulled.0, acked.1 - pulled.1, acked.2 - pulled.2, acked.3 - pulled.3), (2, 0, 1, 3));
    publish(&mut b, "t", "n");
    let published = calls(&b);
    pull(&mut b, "t", "s", 1, true, T0);
    let again = calls(&b);
    assert_eq!((again.0 - published.0, again.1 - published.1, again.2 - published.2), (1, 1, 1), "remembered queue");
}

#[test]
fn a_remembered_queue_of_a_subscription_created_again_is_looked_up_anew() {
    let mut a = broker(&[("t", "s")]);
    let mut b = sibling(&a);
    publish(&mut a, "t", "old");
    // A remembers the subscription's first queue.
    let old = ids(&pull(&mut a, "t", "s", 10, true, T0));
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "s".into() }).unwrap();
    subscribe(&b, "t", "s");
    let new_id = publish(&mut b, "t", "new");
    // A's ack of the removed queue's message finds neither it nor that queue.
    assert_eq!(ack(&mut a, "t", "s", &old[0], AckOutcome::Success, T0), old);
    // A's pull and ack find the new queue.
    assert_eq!(data(&pull(&mut a, "t", "s", 10, true, T0)), ["new"]);
    assert!(ack(&mut a, "t", "s", &new_id, AckOutcome::Success, T0).is_empty());
    // D pulled from a queue removed since: its ack looks the subscription up, and the message is gone with its queue.
    let id = publish(&mut b, "t", "x");
    let mut d = sibling(&a);
    assert_eq!(data(&pull(&mut d, "t", "s", 10, true, T0)), ["x"]);
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "s".into() }).unwrap();
    subscribe(&b, "t", "s");
    let response = d.ack_at(acks("t", "s", vec![settle(&id, AckOutcome::Success)]), T0).unwrap();
    assert_eq!(response.unknown_ids, [id]);
    // Once the subscription is gone, requests naming it are refused, whatever an instance remembers.
    b.remove_subscription(UnsubscribeRequest { topic: "t".into(), subscription: "s".into() }).unwrap();
    let err = d.ack_at(acks("t", "s", vec![settle("1", AckOutcome::Success)]), T0).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(m) if m.contains("no subscription 's' on topic 't'")));
    let err = d.pull_at(pull_request("t", "s", 1, false), T0).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(m) if m.contains("no subscription 's' on topic 't'")));
}

#[test]
fn a_remembered_removed_count_behind_the_store_never_refuses_a_publish_that_fits() {
    let mut a = broker(&[("t", "s")]);
    configure(&mut a, "maxQueueDepth", "2").unwrap();
    configure(&mut a, "maxBytes", "2").unwrap();
    let mut b = sibling(&a);
    publish(&mut a, "t", "1");
    publish(&mut a, "t", "2");
    // B settles both: A's remembered counts (none) are behind.
    let pulled = ids(&pull(&mut b, "t", "s", 10, true, T0));
    b.ack_at(acks("t", "s", pulled.iter().map(|id| settle(id, AckOutcome::Success)).collect()), T0).unwrap();
    let gets = a.kv.calls.gets.get();
    publish(&mut a, "t", "3");
    // The topic record and the broker's queued bytes, then (seemingly full) the queue's and the broker's removed
    // counts.
    assert_eq!(a.kv.calls.gets.get() - gets, 4);
    publish(&mut a, "t", "4");
    let err = a.publish_at(PublishRequest { topic: "t".into(), data: b"5".to_vec(), ..Default::default() }, T0);
    assert!(matches!(err, Err(Error::ResourceExhausted(m)) if m.contains("holds 2 messages")));
    assert_eq!(data(&pull(&mut b, "t", "s", 10, true, T0)), ["3", "4"]);
}
