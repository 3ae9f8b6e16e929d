use super::*;

const T0: i64 = 1_700_000_000_000;

fn broker(subscriptions: &[(&str, &str)]) -> InMemoryPubSub {
    let mut b = InMemoryPubSub::default();
    for (topic, subscription) in subscriptions {
        b.add_subscription(SubscribeRequest {
            topic: topic.to_string(),
            subscription: subscription.to_string(),
            ..Default::default()
        })
        .unwrap();
    }
    b
}

fn publish(b: &mut InMemoryPubSub, topic: &str, data: &str) -> String {
    b.publish_at(PublishRequest { topic: topic.into(), data: data.as_bytes().to_vec(), ..Default::default() }, T0)
        .unwrap()
        .message_id
}

fn pull(b: &mut InMemoryPubSub, topic: &str, sub: &str, max: u32, ordered: bool, now: i64) -> Vec<Message> {
    b.pull_at(
        PullRequest {
            topic: topic.into(),
            subscription: sub.into(),
            max_messages: max,
            lease_millis: 1000,
            ordered,
            ..Default::default()
        },
        now,
    )
    .unwrap()
    .messages
}

fn ack(b: &mut InMemoryPubSub, topic: &str, sub: &str, id: &str, outcome: AckOutcome, now: i64) -> Vec<String> {
    b.ack_at(
        AckRequest {
            topic: topic.into(),
            subscription: sub.into(),
            acks: vec![Ack { id: id.into(), outcome: outcome as i32, retry_after_millis: 0 }],
        },
        now,
    )
    .unwrap()
    .unknown_ids
}

fn data(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| String::from_utf8(m.data.clone()).unwrap()).collect()
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
}

#[test]
fn ordered_pull_waits_for_a_retry_delay_unordered_does_not() {
    let mut b = broker(&[("t", "s")]);
    let m1 = publish(&mut b, "t", "1");
    publish(&mut b, "t", "2");
    pull(&mut b, "t", "s", 1, true, T0);
    b.ack_at(
        AckRequest {
            topic: "t".into(),
            subscription: "s".into(),
            acks: vec![Ack { id: m1, outcome: AckOutcome::Retry as i32, retry_after_millis: 500 }],
        },
        T0,
    )
    .unwrap();
    assert!(pull(&mut b, "t", "s", 1, true, T0 + 100).is_empty());
    assert_eq!(data(&pull(&mut b, "t", "s", 1, false, T0 + 100)), ["2"]);
    assert_eq!(data(&pull(&mut b, "t", "s", 1, true, T0 + 500)), ["1"]);
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
    assert_eq!(ack(&mut b, "t", "s", "404", AckOutcome::Success, T0), ["404"]);
    let err = b.pull_at(PullRequest { topic: "t".into(), subscription: "nope".into(), ..Default::default() }, T0);
    assert!(matches!(err, Err(Error::InvalidArgument(m)) if m.contains("no subscription 'nope'")));
    assert!(b.publish_at(PublishRequest::default(), T0).is_err());
}

#[test]
fn messages_without_subscriptions_are_not_kept() {
    let mut b = broker(&[]);
    publish(&mut b, "t", "lost");
    b.add_subscription(SubscribeRequest { topic: "t".into(), subscription: "s".into(), ..Default::default() })
        .unwrap();
    assert!(pull(&mut b, "t", "s", 10, false, T0).is_empty());
}

#[test]
fn queue_depth_is_bounded() {
    let mut b = broker(&[("t", "s")]);
    let mut properties = std::collections::HashMap::new();
    properties.insert("maxQueueDepth".to_string(), "2".to_string());
    b.configure(Metadata { name: "p".into(), properties }).unwrap();
    publish(&mut b, "t", "1");
    publish(&mut b, "t", "2");
    let err = b.publish_at(PublishRequest { topic: "t".into(), ..Default::default() }, T0).unwrap_err();
    assert!(err.text().contains("is full"));
}

#[test]
fn bulk_publish_reports_failed_entries() {
    let mut b = broker(&[("t", "s")]);
    let response = PubSubComponent::bulk_publish(
        &mut b,
        BulkPublishRequest {
            topic: "t".into(),
            entries: vec![
                BulkPublishEntry { entry_id: "e1".into(), data: b"1".to_vec(), ..Default::default() },
                BulkPublishEntry { entry_id: "e2".into(), data: b"2".to_vec(), ..Default::default() },
            ],
            ..Default::default()
        },
    )
    .unwrap();
    assert!(response.failed_entries.is_empty());
    assert_eq!(pull(&mut b, "t", "s", 10, false, now_ms() + 1).len(), 2);
}

#[test]
fn total_bytes_are_bounded_and_freed_by_acks() {
    let mut b = broker(&[("t", "s")]);
    let mut properties = std::collections::HashMap::new();
    properties.insert("maxBytes".to_string(), "10".to_string());
    b.configure(Metadata { name: "p".into(), properties }).unwrap();
    let id = publish(&mut b, "t", "123456");
    let err = b
        .publish_at(PublishRequest { topic: "t".into(), data: b"7890a".to_vec(), ..Default::default() }, T0)
        .unwrap_err();
    assert!(err.text().contains("the broker is full"));
    pull(&mut b, "t", "s", 1, false, T0);
    ack(&mut b, "t", "s", &id, AckOutcome::Success, T0);
    publish(&mut b, "t", "7890a");
}
