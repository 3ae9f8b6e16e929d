use super::*;
use pillion_pdk::redis::testing::{RedisServer, TcpRedis};
use std::time::{Duration, Instant};

// ---- decisions, as pure functions ----

fn args(commands: &Commands) -> Vec<Vec<String>> {
    commands
        .decode()
        .commands
        .iter()
        .map(|c| c.args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
        .collect()
}

#[test]
fn publishes_are_xadds_as_daprd_writes_them() {
    let mut commands = Commands::pipeline();
    add_publish(&mut commands, "orders", &Trim::Never, 0, b"{\"id\":1}", None);
    add_publish(&mut commands, "orders", &Trim::MaxLenApprox(1000), 0, b"x", Some("{\"k\":\"v\"}"));
    add_publish(&mut commands, "orders", &Trim::MaxAgeMillis(60_000), 1_700_000_060_000, b"", None);
    assert_eq!(
        args(&commands),
        vec![
            vec!["XADD", "orders", "*", "data", "{\"id\":1}"],
            vec!["XADD", "orders", "MAXLEN", "~", "1000", "*", "data", "x", "metadata", "{\"k\":\"v\"}"],
            vec!["XADD", "orders", "MINID", "~", "1700000000000-1", "*", "data", ""],
        ]
    );
    assert_eq!(metadata_field(&HashMap::new()), None);
    let metadata: HashMap<String, String> = [("rawPayload".to_string(), "true".to_string())].into_iter().collect();
    assert_eq!(metadata_field(&metadata).as_deref(), Some("{\"rawPayload\":\"true\"}"));
}

#[test]
fn acks_are_xack_or_a_reclaim_that_sets_the_idle_time() {
    let mut commands = Commands::pipeline();
    let ack = |id: &str, outcome: AckOutcome, retry_after_millis: u32| Ack {
        id: id.into(),
        outcome: outcome as i32,
        retry_after_millis,
    };
    add_ack(&mut commands, "t", "g", &ack("1-0", AckOutcome::Success, 0), 60_000).unwrap();
    add_ack(&mut commands, "t", "g", &ack("2-0", AckOutcome::Drop, 0), 60_000).unwrap();
    add_ack(&mut commands, "t", "g", &ack("3-0", AckOutcome::Retry, 250), 60_000).unwrap();
    add_ack(&mut commands, "t", "g", &ack("4-0", AckOutcome::Retry, 90_000), 60_000).unwrap();
    assert_eq!(
        args(&commands),
        vec![
            vec!["XACK", "t", "g", "1-0"],
            vec!["XACK", "t", "g", "2-0"],
            vec!["XCLAIM", "t", "g", "g", "0", "3-0", "IDLE", "59750", "JUSTID"],
            vec!["XCLAIM", "t", "g", "g", "0", "4-0", "IDLE", "0", "JUSTID"],
        ]
    );
    let err = add_ack(&mut commands, "t", "g", &ack("5-0", AckOutcome::Unspecified, 0), 60_000).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("'5-0'")), "{:?}", err);
    assert_eq!(was_pending(&Reply::integer(1)), Some(true));
    assert_eq!(was_pending(&Reply::integer(0)), Some(false));
    assert_eq!(was_pending(&Reply::array(vec![Reply::bulk(b"3-0".to_vec())])), Some(true));
    assert_eq!(was_pending(&Reply::array(vec![])), Some(false));
    assert_eq!(was_pending(&Reply::error("NOGROUP x")), None);
}

fn fields(pairs: &[(&str, &[u8])]) -> Reply {
    Reply::array(pairs.iter().flat_map(|(f, v)| [Reply::bulk(f.as_bytes().to_vec()), Reply::bulk(v.to_vec())]).collect())
}

#[test]
fn entries_become_messages() {
    let entry = fields(&[("data", b"{\"a\":1}"), ("metadata", b"{\"rawPayload\":\"true\"}"), ("other", b"x")]);
    let message = message_of_entry("t", "1700000000123-4", 3, entry.as_array().unwrap());
    assert_eq!(message.id, "1700000000123-4");
    assert_eq!(message.topic, "t");
    assert_eq!(message.data, b"{\"a\":1}");
    assert_eq!(message.metadata.get("rawPayload").map(String::as_str), Some("true"));
    assert_eq!(message.delivery_count, 3);
    assert_eq!(message.published_at_millis, 1_700_000_000_123);
    // Metadata that is not a JSON object of strings is dropped, and the message delivered (as daprd does).
    let odd = fields(&[("data", b"x"), ("metadata", b"{\"n\":1}")]);
    let message = message_of_entry("t", "5-0", 1, odd.as_array().unwrap());
    assert!(message.metadata.is_empty());
    assert_eq!(message.data, b"x");

    let reply = Reply::array(vec![
        Reply::integer(0),
        Reply::array(vec![
            Reply::array(vec![Reply::bulk(b"1-0".to_vec()), Reply::integer(2), fields(&[("data", b"a")])]),
            Reply::array(vec![Reply::bulk(b"2-0".to_vec()), Reply::integer(1), fields(&[("data", b"b")])]),
        ]),
    ]);
    let (may_block, messages) = pulled("t", &reply).unwrap();
    assert!(!may_block);
    assert_eq!(messages.iter().map(|m| (m.id.as_str(), m.delivery_count)).collect::<Vec<_>>(), vec![("1-0", 2), ("2-0", 1)]);
    assert_eq!(pulled("t", &Reply::array(vec![Reply::integer(1), Reply::array(vec![])])).unwrap(), (true, vec![]));
    assert!(matches!(pulled("t", &Reply::nil()), Err(Error::Internal(_))));

    let read = Reply::array(vec![Reply::array(vec![
        Reply::bulk(b"t".to_vec()),
        Reply::array(vec![Reply::array(vec![Reply::bulk(b"9-0".to_vec()), fields(&[("data", b"new")])])]),
    ])]);
    let messages = read_new("t", &read).unwrap();
    assert_eq!((messages[0].id.as_str(), messages[0].delivery_count, messages[0].data.as_slice()), ("9-0", 1, b"new".as_slice()));
    assert!(read_new("t", &Reply::nil()).unwrap().is_empty());
}

#[test]
fn a_retry_is_due_after_its_delay() {
    assert_eq!(retry_idle_millis(60_000, 0), 60_000);
    assert_eq!(retry_idle_millis(60_000, 1_000), 59_000);
    assert_eq!(retry_idle_millis(5_000, 60_000), 0);
}

// ---- against redis-server ----

fn component(server: &RedisServer, properties: &[(&str, &str)]) -> RedisPubSub<TcpRedis> {
    let mut component = RedisPubSub::with_redis(server.client());
    let metadata = Metadata {
        name: "pubsub".into(),
        properties: properties.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    component.init(metadata).unwrap();
    component
}

fn publish(component: &mut RedisPubSub<TcpRedis>, topic: &str, data: &str) -> String {
    component
        .publish(PublishRequest { topic: topic.into(), data: data.as_bytes().to_vec(), ..Default::default() })
        .unwrap()
        .message_id
}

fn subscribe(component: &mut RedisPubSub<TcpRedis>, topic: &str, subscription: &str) {
    component
        .subscribe(SubscribeRequest { topic: topic.into(), subscription: subscription.into(), ..Default::default() })
        .unwrap();
}

fn pull(component: &mut RedisPubSub<TcpRedis>, topic: &str, subscription: &str, max: u32, ordered: bool) -> Vec<Message> {
    component
        .pull(PullRequest {
            topic: topic.into(),
            subscription: subscription.into(),
            max_messages: max,
            ordered,
            lease_millis: 30_000,
            ..Default::default()
        })
        .unwrap()
        .messages
}

fn ack(component: &mut RedisPubSub<TcpRedis>, topic: &str, subscription: &str, id: &str, outcome: AckOutcome, retry: u32) -> Vec<String> {
    component
        .ack(AckRequest {
            topic: topic.into(),
            subscription: subscription.into(),
            acks: vec![Ack { id: id.into(), outcome: outcome as i32, retry_after_millis: retry }],
        })
        .unwrap()
        .unknown_ids
}

fn data(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| String::from_utf8(m.data.clone()).unwrap()).collect()
}

#[test]
fn entries_have_daprds_fields() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    let mut metadata = HashMap::new();
    metadata.insert("rawPayload".to_string(), "true".to_string());
    let id = c
        .publish(PublishRequest { topic: "orders".into(), data: b"{\"specversion\":\"1.0\"}".to_vec(), metadata, ..Default::default() })
        .unwrap()
        .message_id;
    publish(&mut c, "orders", "plain");
    let inspect = server.client();
    let range = inspect.call(&[b"XRANGE", b"orders", b"-", b"+"]);
    let entries = range.as_array().unwrap();
    let first = entries[0].as_array().unwrap();
    assert_eq!(first[0].as_bulk(), Some(id.as_bytes()));
    let text = |r: &Reply| String::from_utf8(r.as_bulk().unwrap().to_vec()).unwrap();
    let first_fields: Vec<String> = first[1].as_array().unwrap().iter().map(text).collect();
    assert_eq!(first_fields, vec!["data", "{\"specversion\":\"1.0\"}", "metadata", "{\"rawPayload\":\"true\"}"]);
    let second_fields: Vec<String> = entries[1].as_array().unwrap()[1].as_array().unwrap().iter().map(text).collect();
    assert_eq!(second_fields, vec!["data", "plain"]);
    // The metadata comes back with the message.
    subscribe(&mut c, "orders", "app");
    let messages = pull(&mut c, "orders", "app", 10, false);
    assert_eq!(messages[0].metadata.get("rawPayload").map(String::as_str), Some("true"));
    assert!(messages[1].metadata.is_empty());
}

#[test]
fn the_first_group_gets_the_backlog_and_later_ones_start_now() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    for i in 0..3 {
        publish(&mut c, "early", &i.to_string());
    }
    subscribe(&mut c, "early", "first");
    subscribe(&mut c, "early", "first"); // idempotent
    subscribe(&mut c, "early", "second");
    publish(&mut c, "early", "3");
    assert_eq!(data(&pull(&mut c, "early", "first", 10, false)), vec!["0", "1", "2", "3"]);
    assert_eq!(data(&pull(&mut c, "early", "second", 10, false)), vec!["3"]);
    // A stream daprd (or anyone) wrote with XADD only is delivered too.
    let inspect = server.client();
    inspect.call(&[b"XADD", b"daprd-topic", b"*", b"data", b"{\"from\":\"daprd\"}"]);
    subscribe(&mut c, "daprd-topic", "app");
    let messages = pull(&mut c, "daprd-topic", "app", 10, false);
    assert_eq!(data(&messages), vec!["{\"from\":\"daprd\"}"]);
    assert_eq!(messages[0].delivery_count, 1);
}

#[test]
fn acked_messages_are_gone_and_consumers_of_a_group_share_messages() {
    let server = RedisServer::start();
    let mut a = component(&server, &[]);
    let mut b = component(&server, &[]);
    subscribe(&mut a, "t", "workers");
    subscribe(&mut b, "t", "workers");
    for i in 0..50 {
        publish(&mut a, "t", &i.to_string());
    }
    let mut seen = Vec::new();
    loop {
        let mut batch = pull(&mut a, "t", "workers", 7, false);
        batch.extend(pull(&mut b, "t", "workers", 5, false));
        if batch.is_empty() {
            break;
        }
        for message in batch {
            assert_eq!(message.delivery_count, 1);
            assert!(ack(&mut a, "t", "workers", &message.id, AckOutcome::Success, 0).is_empty());
            seen.push(String::from_utf8(message.data).unwrap());
        }
    }
    seen.sort_by_key(|s| s.parse::<u32>().unwrap());
    assert_eq!(seen, (0..50).map(|i| i.to_string()).collect::<Vec<_>>());
    let pending = server.client().call(&[b"XPENDING", b"t", b"workers"]);
    assert_eq!(pending.as_array().unwrap()[0].as_int(), Some(0));
    // An id the group does not hold is reported.
    assert_eq!(ack(&mut a, "t", "workers", "1-1", AckOutcome::Success, 0), vec!["1-1".to_string()]);
    assert_eq!(ack(&mut a, "t", "workers", "1-1", AckOutcome::Retry, 10), vec!["1-1".to_string()]);
}

#[test]
fn a_retry_comes_back_after_its_delay_with_the_next_delivery_count() {
    let server = RedisServer::start();
    let mut c = component(&server, &[("processingTimeout", "5s")]);
    subscribe(&mut c, "r", "app");
    publish(&mut c, "r", "x");
    publish(&mut c, "r", "y");
    let first = pull(&mut c, "r", "app", 1, false);
    assert_eq!((data(&first), first[0].delivery_count), (vec!["x".to_string()], 1));
    let retried_at = Instant::now();
    assert!(ack(&mut c, "r", "app", &first[0].id, AckOutcome::Retry, 300).is_empty());
    // Unordered, later messages are not held back meanwhile.
    let next = pull(&mut c, "r", "app", 10, false);
    assert_eq!(data(&next), vec!["y"]);
    ack(&mut c, "r", "app", &next[0].id, AckOutcome::Drop, 0);
    let mut again = Vec::new();
    while again.is_empty() {
        assert!(retried_at.elapsed() < Duration::from_secs(3), "the retry did not come back");
        again = pull(&mut c, "r", "app", 10, false);
    }
    assert!(retried_at.elapsed() >= Duration::from_millis(290), "{:?}", retried_at.elapsed());
    assert_eq!((again[0].id.as_str(), again[0].delivery_count), (first[0].id.as_str(), 2));
    ack(&mut c, "r", "app", &again[0].id, AckOutcome::Retry, 0);
    let third = pull(&mut c, "r", "app", 10, false);
    assert_eq!(third[0].delivery_count, 3);
}

#[test]
fn ordered_pulls_hold_back_everything_behind_a_leased_or_retried_message() {
    let server = RedisServer::start();
    let mut c = component(&server, &[("processingTimeout", "10s")]);
    subscribe(&mut c, "o", "app");
    for m in ["m1", "m2", "m3"] {
        publish(&mut c, "o", m);
    }
    let first = pull(&mut c, "o", "app", 1, true);
    assert_eq!(data(&first), vec!["m1"]);
    assert!(pull(&mut c, "o", "app", 1, true).is_empty(), "m1 is leased");
    ack(&mut c, "o", "app", &first[0].id, AckOutcome::Retry, 200);
    assert!(pull(&mut c, "o", "app", 1, true).is_empty(), "m1 waits for its retry");
    std::thread::sleep(Duration::from_millis(250));
    let again = pull(&mut c, "o", "app", 1, true);
    assert_eq!((data(&again), again[0].delivery_count), (vec!["m1".to_string()], 2));
    ack(&mut c, "o", "app", &again[0].id, AckOutcome::Success, 0);
    assert_eq!(data(&pull(&mut c, "o", "app", 1, true)), vec!["m2"]);
    // A pending entry whose message was trimmed away is skipped.
    let inspect = server.client();
    inspect.call(&[b"XTRIM", b"o", b"MAXLEN", b"0"]);
    publish(&mut c, "o", "m4");
    let inspect_pending = || inspect.call(&[b"XPENDING", b"o", b"app"]).as_array().unwrap()[0].as_int();
    assert_eq!(inspect_pending(), Some(1));
    let mut c2 = component(&server, &[("processingTimeout", "1")]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(data(&pull(&mut c2, "o", "app", 1, true)), vec!["m4"]);
    assert_eq!(inspect_pending(), Some(1));
}

#[test]
fn a_dead_consumers_messages_go_to_another_after_the_processing_timeout() {
    let server = RedisServer::start();
    let mut dying = component(&server, &[("processingTimeout", "400ms")]);
    let mut survivor = component(&server, &[("processingTimeout", "400ms")]);
    subscribe(&mut dying, "jobs", "app");
    subscribe(&mut survivor, "jobs", "app");
    publish(&mut dying, "jobs", "job");
    let taken = pull(&mut dying, "jobs", "app", 10, false);
    let taken_at = Instant::now();
    assert_eq!(data(&taken), vec!["job"]);
    drop(dying); // killed mid-handling: never acknowledges
    let mut redelivered = Vec::new();
    while redelivered.is_empty() {
        assert!(taken_at.elapsed() < Duration::from_secs(3));
        redelivered = pull(&mut survivor, "jobs", "app", 10, false);
    }
    assert!(taken_at.elapsed() >= Duration::from_millis(390), "{:?}", taken_at.elapsed());
    assert_eq!((redelivered[0].id.as_str(), redelivered[0].delivery_count), (taken[0].id.as_str(), 2));
    assert!(ack(&mut survivor, "jobs", "app", &redelivered[0].id, AckOutcome::Success, 0).is_empty());
    // A late acknowledgement of the same message (its first consumer was only slow) finds nothing to settle.
    let mut late = component(&server, &[]);
    assert_eq!(ack(&mut late, "jobs", "app", &taken[0].id, AckOutcome::Success, 0), vec![taken[0].id.clone()]);
}

#[test]
fn consumer_id_names_the_group_of_every_subscription() {
    let server = RedisServer::start();
    let mut c = component(&server, &[("consumerID", "shared")]);
    subscribe(&mut c, "t", "billing");
    let groups = server.client().call(&[b"XINFO", b"GROUPS", b"t"]);
    let group = groups.as_array().unwrap()[0].as_array().unwrap();
    assert_eq!(group[1].as_bulk(), Some(b"shared".as_slice()));
    publish(&mut c, "t", "m");
    let messages = pull(&mut c, "t", "shipping", 10, false);
    assert_eq!(data(&messages), vec!["m"]);
    let consumers = server.client().call(&[b"XINFO", b"CONSUMERS", b"t", b"shared"]);
    assert_eq!(consumers.as_array().unwrap().len(), 1);
    assert_eq!(consumers.as_array().unwrap()[0].as_array().unwrap()[1].as_bulk(), Some(b"shared".as_slice()));
}

#[test]
fn a_lost_group_is_created_again() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    subscribe(&mut c, "t", "app");
    server.client().call(&[b"DEL", b"t"]);
    assert!(pull(&mut c, "t", "app", 10, false).is_empty());
    publish(&mut c, "t", "after");
    assert_eq!(data(&pull(&mut c, "t", "app", 10, false)), vec!["after"]);
}

#[test]
fn a_pull_may_wait_for_a_publish() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    subscribe(&mut c, "w", "app");
    let started = Instant::now();
    let request = |wait_millis| PullRequest {
        topic: "w".into(),
        subscription: "app".into(),
        max_messages: 5,
        wait_millis,
        ..Default::default()
    };
    assert!(c.pull(request(300)).unwrap().messages.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(290), "{:?}", started.elapsed());
    let port = server.port();
    let publisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let mut other = RedisPubSub::with_redis(TcpRedis::connect(port).unwrap());
        publish(&mut other, "w", "late");
    });
    let started = Instant::now();
    let messages = c.pull(request(5_000)).unwrap().messages;
    publisher.join().unwrap();
    assert_eq!(data(&messages), vec!["late"]);
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[test]
fn bulk_publish_reports_each_failed_entry() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    let entry = |id: &str| BulkPublishEntry { entry_id: id.into(), data: id.as_bytes().to_vec(), ..Default::default() };
    let mut request_metadata = HashMap::new();
    request_metadata.insert("k".to_string(), "v".to_string());
    let response = c
        .bulk_publish(BulkPublishRequest { topic: "b".into(), entries: vec![entry("e1"), entry("e2")], metadata: request_metadata })
        .unwrap();
    assert!(response.failed_entries.is_empty());
    subscribe(&mut c, "b", "app");
    let messages = pull(&mut c, "b", "app", 10, false);
    assert_eq!(data(&messages), vec!["e1", "e2"]);
    assert_eq!(messages[1].metadata.get("k").map(String::as_str), Some("v"));
    server.client().call(&[b"SET", b"not-a-stream", b"x"]);
    let response = c
        .bulk_publish(BulkPublishRequest { topic: "not-a-stream".into(), entries: vec![entry("e3")], ..Default::default() })
        .unwrap();
    assert_eq!(response.failed_entries.len(), 1);
    assert_eq!(response.failed_entries[0].entry_id, "e3");
    assert!(response.failed_entries[0].error.contains("WRONGTYPE"), "{:?}", response.failed_entries);
}

#[test]
fn unsubscribe_removes_the_group() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    subscribe(&mut c, "u", "app");
    c.unsubscribe(UnsubscribeRequest { topic: "u".into(), subscription: "app".into() }).unwrap();
    assert!(server.client().call(&[b"XINFO", b"GROUPS", b"u"]).as_array().unwrap().is_empty());
    c.unsubscribe(UnsubscribeRequest { topic: "never".into(), subscription: "app".into() }).unwrap();
}

#[test]
fn an_unavailable_redis_is_an_error_not_a_trap() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    drop(server);
    let err = c.publish(PublishRequest { topic: "t".into(), data: b"x".to_vec(), ..Default::default() }).unwrap_err();
    assert!(matches!(err, Error::Internal(ref m) if m.starts_with("Redis pub/sub 'pubsub': Redis is unavailable")), "{:?}", err);
    let err = c
        .pull(PullRequest { topic: "t".into(), subscription: "app".into(), max_messages: 1, ..Default::default() })
        .unwrap_err();
    assert!(matches!(err, Error::Internal(_)));
    assert!(c.ping().is_err());
}

#[test]
fn bad_requests_are_refused() {
    let server = RedisServer::start();
    let mut c = component(&server, &[]);
    let err = c.publish(PublishRequest { topic: String::new(), ..Default::default() }).unwrap_err();
    assert_eq!(err, Error::InvalidArgument("topic is empty".into()));
    let err = c.subscribe(SubscribeRequest { topic: "t".into(), ..Default::default() }).unwrap_err();
    assert_eq!(err, Error::InvalidArgument("subscription is empty".into()));
    let mut bad = RedisPubSub::with_redis(server.client());
    let metadata = Metadata {
        name: "p".into(),
        properties: [("processingTimeout".to_string(), "forever".to_string())].into_iter().collect(),
    };
    assert!(matches!(bad.init(metadata), Err(Error::InvalidArgument(m)) if m.contains("processingTimeout")));
}
