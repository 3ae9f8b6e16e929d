use super::*;
use pillion_pdk::redis::testing::{RedisServer, TcpRedis};

const T0: i64 = 1_700_000_000_000;

// ---- decisions, as pure functions ----

#[test]
fn etags_and_concurrency_become_conditions_as_in_memory() {
    assert_eq!(Condition::of("", ""), Condition::Any);
    assert_eq!(Condition::of("", "last-write"), Condition::Any);
    assert_eq!(Condition::of("", "first-write"), Condition::Absent);
    assert_eq!(Condition::of("7", ""), Condition::Version(Some("7".into())));
    assert_eq!(Condition::of("007", "first-write"), Condition::Version(Some("7".into())));
    for not_a_version in ["0", "-1", "abc", "1.5", "18446744073709551616", " 1"] {
        assert_eq!(Condition::of(not_a_version, ""), Condition::Version(None), "{:?}", not_a_version);
    }
}

#[test]
fn the_request_ttl_wins_over_the_component_ttl() {
    assert_eq!(Ttl::of(None, None), Ttl::Keep);
    assert_eq!(Ttl::of(None, Some(30)), Ttl::Seconds(30));
    assert_eq!(Ttl::of(Some(5), Some(30)), Ttl::Seconds(5));
    assert_eq!(Ttl::of(Some(-1), Some(30)), Ttl::Persist);
    assert_eq!(Ttl::of(None, Some(0)), Ttl::Persist);
}

fn set(key: &str, value: &str) -> SetRequest {
    SetRequest { key: key.into(), data: value.as_bytes().to_vec(), ..Default::default() }
}

fn with_etag(mut request: SetRequest, etag: &str) -> SetRequest {
    request.etag = etag.into();
    request
}

fn first_write(mut request: SetRequest) -> SetRequest {
    request.options = Some(SetStateOption { concurrency: "first-write".into(), consistency: String::new() });
    request
}

fn with_ttl(mut request: SetRequest, ttl: &str) -> SetRequest {
    request.metadata.insert("ttlInSeconds".into(), ttl.into());
    request
}

fn delete(key: &str, etag: &str) -> DeleteRequest {
    DeleteRequest { key: key.into(), etag: etag.into(), ..Default::default() }
}

#[test]
fn writes_become_seven_script_arguments_each() {
    let mut save = with_ttl(first_write(set("k", "v")), "10");
    save.content_type = "text/plain".into();
    let writes = vec![
        stage_set(save, None).unwrap(),
        stage_delete(delete("d", "3")).unwrap(),
        stage_set(with_etag(set("e", ""), "nope"), Some(-1)).unwrap(),
    ];
    let ttls: Vec<String> = writes.iter().map(|w| w.save.as_ref().map(|s| ttl_arg(&s.ttl)).unwrap_or_default()).collect();
    let mut args: Vec<Vec<u8>> = Vec::new();
    for_each_arg(&writes, &ttls, |arg| args.push(arg.to_vec()));
    let text: Vec<&str> = args.iter().map(|a| std::str::from_utf8(a).unwrap()).collect();
    assert_eq!(
        text,
        vec![
            "s", "n", "", "v", "text/plain", "10", "1", //
            "d", "v", "3", "", "", "", "", //
            "s", "v", "x", "", "", "p", "",
        ]
    );
}

#[test]
fn bad_requests_are_refused_before_redis() {
    assert!(matches!(stage_set(set("", "v"), None), Err(Error::InvalidArgument(m)) if m == "key is empty"));
    let err = stage_set(with_ttl(set("k", "v"), "soon"), None).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("ttlInSeconds")), "{:?}", err);
    let mut bad = set("k", "v");
    bad.options = Some(SetStateOption { concurrency: "sometimes".into(), consistency: String::new() });
    assert!(matches!(stage_set(bad, None), Err(Error::InvalidArgument(m)) if m.contains("concurrency")));
    let mut props = HashMap::new();
    props.insert("TTLINSECONDS".to_string(), "ten".to_string());
    let err = component_ttl(&Properties::new(&props).unwrap()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("'ttlInSeconds'") && m.contains("'ten'")));
    props.insert("TTLINSECONDS".to_string(), "-1".to_string());
    assert_eq!(component_ttl(&Properties::new(&props).unwrap()), Ok(Some(-1)));
}

#[test]
fn script_outcomes_name_the_failing_write() {
    let writes = vec![stage_set(set("a", "1"), None).unwrap(), stage_set(first_write(set("b", "2")), None).unwrap()];
    assert_eq!(write_outcome(&Reply::array(vec![Reply::integer(1)]), &writes), Ok(()));
    let failed = write_outcome(&Reply::array(vec![Reply::integer(0), Reply::integer(2)]), &writes).unwrap_err();
    assert_eq!(
        failed.to_abi_message(),
        "ETAG_MISMATCH: key 'b': item already exists and no etag was given (first-write)"
    );
    let stale = vec![stage_set(with_etag(set("c", "1"), "4"), None).unwrap()];
    let failed = write_outcome(&Reply::array(vec![Reply::integer(0), Reply::integer(1)]), &stale).unwrap_err();
    assert_eq!(failed.to_abi_message(), "ETAG_MISMATCH: key 'c': etag does not match the stored item");
    assert!(matches!(
        write_outcome(&Reply::error("OOM command not allowed"), &writes),
        Err(Error::Internal(m)) if m.contains("OOM")
    ));
    for odd in [Reply::array(vec![Reply::integer(0), Reply::integer(3)]), Reply::nil(), Reply::integer(1)] {
        assert!(matches!(write_outcome(&odd, &writes), Err(Error::Internal(_))), "{:?}", odd);
    }
}

fn fields(pairs: &[(&str, &str)]) -> Vec<Reply> {
    pairs.iter().flat_map(|(f, v)| [Reply::bulk(f.as_bytes().to_vec()), Reply::bulk(v.as_bytes().to_vec())]).collect()
}

#[test]
fn hashes_read_as_items() {
    let item = item_from_hash(
        "k",
        &fields(&[("version", "12"), ("first-write", "0"), ("data", "{\"a\":1}"), ("contentType", "application/json")]),
        &Reply::integer(-1),
        T0,
    )
    .unwrap()
    .unwrap();
    assert_eq!(item.data, b"{\"a\":1}");
    assert_eq!(item.etag, "12");
    assert_eq!(item.content_type, "application/json");
    assert!(item.metadata.is_empty());
    assert_eq!(item_from_hash("k", &[], &Reply::integer(-2), T0), Ok(None));
    let with_ttl = item_from_hash("k", &fields(&[("data", ""), ("version", "1")]), &Reply::integer(9_500), T0).unwrap();
    assert_eq!(
        with_ttl.unwrap().metadata.get(TTL_EXPIRE_TIME).map(String::as_str),
        Some(rfc3339_utc((T0 + 9_500) / 1000).as_str())
    );
    let err = item_from_hash("k", &fields(&[("name", "x")]), &Reply::integer(-1), T0).unwrap_err();
    assert!(matches!(err, Error::Internal(ref m) if m.starts_with("key 'k'")), "{:?}", err);
}

// ---- against redis-server ----

struct Fixture {
    // Declared first: dropped (disconnected) before the server stops.
    store: RedisStore<TcpRedis>,
    inspect: TcpRedis,
    server: RedisServer,
}

fn fixture(properties: &[(&str, &str)]) -> Fixture {
    let server = RedisServer::start();
    let mut store = RedisStore::with_redis(server.client());
    let metadata = Metadata {
        name: "statestore".into(),
        properties: properties.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    store.init(metadata).unwrap();
    Fixture { store, inspect: server.client(), server }
}

impl Fixture {
    fn get(&mut self, key: &str) -> GetResponse {
        self.store.get(GetRequest { key: key.into(), ..Default::default() }).unwrap()
    }

    fn hash(&self, key: &str) -> Vec<(String, String)> {
        let reply = self.inspect.call(&[b"HGETALL", key.as_bytes()]);
        let mut pairs: Vec<(String, String)> = reply
            .as_array()
            .unwrap()
            .chunks(2)
            .map(|p| {
                let text = |r: &Reply| String::from_utf8(r.as_bulk().unwrap().to_vec()).unwrap();
                (text(&p[0]), text(&p[1]))
            })
            .collect();
        pairs.sort();
        pairs
    }

    fn pttl(&self, key: &str) -> i64 {
        self.inspect.call(&[b"PTTL", key.as_bytes()]).as_int().unwrap()
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn saves_keep_daprds_layout() {
    let mut f = fixture(&[]);
    f.store.set(set("app||k", "{\"v\":1}")).unwrap();
    assert_eq!(f.hash("app||k"), pairs(&[("data", "{\"v\":1}"), ("version", "1")]));
    f.store.set(set("app||k", "two")).unwrap();
    assert_eq!(f.hash("app||k"), pairs(&[("data", "two"), ("version", "2")]));
    assert_eq!(f.get("app||k").etag, "2");
    f.store.set(first_write(set("app||fw", "x"))).unwrap();
    assert_eq!(f.hash("app||fw"), pairs(&[("data", "x"), ("first-write", "0"), ("version", "1")]));
    let mut typed = set("app||t", "{}");
    typed.content_type = "application/json".into();
    f.store.set(typed).unwrap();
    assert_eq!(f.get("app||t").content_type, "application/json");
    // A later save without a content type does not keep a stale one.
    f.store.set(set("app||t", "plain")).unwrap();
    assert_eq!(f.hash("app||t"), pairs(&[("data", "plain"), ("version", "2")]));
    // Every byte value survives.
    let binary: Vec<u8> = (0..=255).collect();
    f.store.set(SetRequest { key: "bin".into(), data: binary.clone(), ..Default::default() }).unwrap();
    assert_eq!(f.get("bin").data, binary);
}

#[test]
fn reads_what_daprd_wrote() {
    let mut f = fixture(&[]);
    f.inspect.call(&[b"HSET", b"app||d", b"data", b"\"from daprd\"", b"version", b"41"]);
    let item = f.get("app||d");
    assert_eq!((item.data.as_slice(), item.etag.as_str()), (b"\"from daprd\"".as_slice(), "41"));
    f.store.set(with_etag(set("app||d", "\"from pillion\""), "41")).unwrap();
    assert_eq!(f.hash("app||d"), pairs(&[("data", "\"from pillion\""), ("version", "42")]));
    // daprd's old layout: a plain value, read without an etag, replaced by a hash on the next save.
    f.inspect.call(&[b"SET", b"app||old", b"legacy"]);
    let old = f.get("app||old");
    assert_eq!((old.data.as_slice(), old.etag.as_str()), (b"legacy".as_slice(), ""));
    assert!(matches!(f.store.set(first_write(set("app||old", "x"))), Err(Error::EtagMismatch(_))));
    f.store.set(set("app||old", "new")).unwrap();
    assert_eq!(f.hash("app||old"), pairs(&[("data", "new"), ("version", "1")]));
    // A hash that is not a Dapr item is an error naming the key, not a missing item.
    f.inspect.call(&[b"HSET", b"app||other", b"name", b"x"]);
    let err = f.store.get(GetRequest { key: "app||other".into(), ..Default::default() }).unwrap_err();
    assert!(matches!(err, Error::Internal(ref m) if m.contains("'app||other'")), "{:?}", err);
}

#[test]
fn etags_must_match_exactly() {
    let mut f = fixture(&[]);
    f.store.set(set("k", "v1")).unwrap();
    let stale = f.get("k").etag;
    f.store.set(with_etag(set("k", "v2"), &stale)).unwrap();
    let err = f.store.set(with_etag(set("k", "v3"), &stale)).unwrap_err();
    assert_eq!(err, mismatch("k", &stale));
    for etag in ["wrong", "0", "99"] {
        assert!(matches!(f.store.set(with_etag(set("k", "x"), etag)), Err(Error::EtagMismatch(_))), "{}", etag);
    }
    assert_eq!(f.get("k").data, b"v2");
    // An etag for a missing key matches nothing (daprd would write it).
    assert!(matches!(f.store.set(with_etag(set("absent", "v"), "1")), Err(Error::EtagMismatch(_))));
    assert!(f.get("absent").etag.is_empty());
    // First-write without an etag only creates; with the current etag it writes once.
    assert!(matches!(f.store.set(first_write(set("k", "x"))), Err(Error::EtagMismatch(_))));
    let etag = f.get("k").etag;
    f.store.set(first_write(with_etag(set("k", "w1"), &etag))).unwrap();
    assert!(matches!(f.store.set(first_write(with_etag(set("k", "w2"), &etag))), Err(Error::EtagMismatch(_))));
    // Deletes: a stale etag keeps the item, the current one removes it, a missing key without an etag is fine.
    assert!(matches!(f.store.delete(delete("k", &etag)), Err(Error::EtagMismatch(_))));
    let current = f.get("k").etag;
    f.store.delete(delete("k", &current)).unwrap();
    assert!(f.get("k").etag.is_empty());
    f.store.delete(delete("never", "")).unwrap();
    assert!(matches!(f.store.delete(delete("never", "3")), Err(Error::EtagMismatch(_))));
}

fn upsert(request: SetRequest) -> TransactOperation {
    TransactOperation { operation: Some(transact_operation::Operation::Set(request)) }
}

fn remove(key: &str, etag: &str) -> TransactOperation {
    TransactOperation { operation: Some(transact_operation::Operation::Delete(delete(key, etag))) }
}

#[test]
fn transactions_are_all_or_nothing_and_in_order() {
    let mut f = fixture(&[]);
    f.store.set(set("keep", "original")).unwrap();
    f.store.set(set("gone", "x")).unwrap();
    let err = f
        .store
        .transact(TransactRequest {
            operations: vec![upsert(set("keep", "changed")), upsert(set("new", "n")), remove("keep", "stale-etag")],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err, mismatch("keep", "stale-etag"));
    assert_eq!(f.hash("keep"), pairs(&[("data", "original"), ("version", "1")]));
    assert!(f.get("new").etag.is_empty());
    // Within a transaction, an upsert changes the version a later operation must match.
    let err = f
        .store
        .transact(TransactRequest { operations: vec![upsert(set("keep", "2")), remove("keep", "1")], ..Default::default() })
        .unwrap_err();
    assert!(matches!(err, Error::EtagMismatch(_)));
    f.store
        .transact(TransactRequest { operations: vec![upsert(set("keep", "2")), remove("keep", "2")], ..Default::default() })
        .unwrap();
    assert!(f.get("keep").etag.is_empty());
    f.store
        .transact(TransactRequest {
            operations: vec![remove("gone", ""), upsert(set("gone", "1")), remove("gone", ""), upsert(set("gone", "2"))],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(f.get("gone").data, b"2");
    // Bulk saves go through the same script: all or nothing.
    let err = f
        .store
        .bulk_set(BulkSetRequest { items: vec![set("p1", "new"), with_etag(set("p2", "new"), "nope")] })
        .unwrap_err();
    assert!(err.to_abi_message().starts_with("ETAG_MISMATCH: key 'p2'"));
    assert!(f.get("p1").etag.is_empty());
}

#[test]
fn large_requests_are_one_script_run() {
    let mut f = fixture(&[]);
    let items = (0..5_000).map(|i| set(&format!("key-{}", i), "v")).collect();
    f.store.bulk_set(BulkSetRequest { items }).unwrap();
    assert_eq!(f.inspect.call(&[b"DBSIZE"]).as_int(), Some(5_000));
    let keys = (0..5_000).map(|i| GetRequest { key: format!("key-{}", i), ..Default::default() }).collect();
    let read = f.store.bulk_get(BulkGetRequest { items: keys }).unwrap();
    assert!(read.items.iter().all(|item| item.etag == "1" && item.data == b"v"));
    let items = (0..5_000).map(|i| delete(&format!("key-{}", i), "1")).collect();
    f.store.bulk_delete(BulkDeleteRequest { items }).unwrap();
    assert_eq!(f.inspect.call(&[b"DBSIZE"]).as_int(), Some(0));
}

#[test]
fn ttls_are_set_with_the_write_and_reported() {
    let mut f = fixture(&[("ttlInSeconds", "1000")]);
    f.store.set(set("default", "v")).unwrap();
    assert!((999_000..=1_000_000).contains(&f.pttl("default")), "{}", f.pttl("default"));
    f.store.set(with_ttl(set("own", "v"), "50")).unwrap();
    assert!((49_000..=50_000).contains(&f.pttl("own")));
    let expire_time = f.get("own").metadata.get(TTL_EXPIRE_TIME).cloned().unwrap();
    let expected = rfc3339_utc((now_ms() + 50_000) / 1000);
    assert!(expire_time <= expected && expire_time >= rfc3339_utc(now_ms() / 1000 + 48), "{}", expire_time);
    f.store.set(with_ttl(set("own", "v"), "-1")).unwrap();
    assert_eq!(f.pttl("own"), -1);
    assert!(f.get("own").metadata.is_empty());

    let mut plain = fixture(&[]);
    plain.store.set(with_ttl(set("k", "v"), "100")).unwrap();
    // Without a TTL in the request or the component, a save keeps the key's, as daprd's does.
    plain.store.set(set("k", "w")).unwrap();
    assert!(plain.pttl("k") > 0);
    plain.store.set(with_ttl(set("short", "v"), "1")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert!(plain.get("short").etag.is_empty());
    let bulk = plain.store.bulk_get(BulkGetRequest { items: vec![GetRequest { key: "short".into(), ..Default::default() }] });
    assert!(bulk.unwrap().items[0].data.is_empty());
}

#[test]
fn bulk_get_reports_each_key() {
    let mut f = fixture(&[]);
    f.store.set(set("a", "1")).unwrap();
    f.inspect.call(&[b"SET", b"plain", b"p"]);
    f.inspect.call(&[b"HSET", b"odd", b"x", b"y"]);
    let request = BulkGetRequest {
        items: ["missing", "a", "plain", "odd", ""]
            .iter()
            .map(|k| GetRequest { key: k.to_string(), ..Default::default() })
            .collect(),
    };
    let items = f.store.bulk_get(request).unwrap().items;
    assert_eq!(items.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), vec!["missing", "a", "plain", "odd", ""]);
    assert!(items[0].data.is_empty() && items[0].etag.is_empty() && items[0].error.is_empty());
    assert_eq!((items[1].data.as_slice(), items[1].etag.as_str()), (b"1".as_slice(), "1"));
    assert_eq!((items[2].data.as_slice(), items[2].etag.as_str()), (b"p".as_slice(), ""));
    assert!(items[3].error.contains("'odd'"), "{:?}", items[3]);
    assert_eq!(items[4].error, "INVALID_ARGUMENT: key is empty");
}

#[test]
fn the_script_is_loaded_again_after_a_flush() {
    let mut f = fixture(&[]);
    f.store.set(set("k", "1")).unwrap();
    f.inspect.call(&[b"SCRIPT", b"FLUSH"]);
    f.store.set(set("k", "2")).unwrap();
    assert_eq!(f.get("k").etag, "2");
    let sha = f.inspect.call(&[b"SCRIPT", b"EXISTS", f.store.script.sha().as_bytes()]);
    assert_eq!(sha.as_array().unwrap()[0].as_int(), Some(1));
}

#[test]
fn an_unavailable_redis_is_an_error_not_a_trap() {
    let mut f = fixture(&[]);
    f.store.set(set("k", "v")).unwrap();
    let Fixture { mut store, inspect, server } = f;
    drop(inspect);
    drop(server);
    for result in [
        store.get(GetRequest { key: "k".into(), ..Default::default() }).map(|_| ()),
        store.set(set("k", "v")),
        store.ping(),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(err, Error::Internal(ref m) if m.starts_with("Redis state store 'statestore': Redis is unavailable")),
            "{:?}",
            err
        );
    }
}

#[test]
fn concurrent_instances_never_lose_an_increment() {
    let server = RedisServer::start();
    let port = server.port();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut store = RedisStore::with_redis(TcpRedis::connect(port).unwrap());
                for _ in 0..50 {
                    loop {
                        let item = store.get(GetRequest { key: "counter".into(), ..Default::default() }).unwrap();
                        let value: u64 = std::str::from_utf8(&item.data).unwrap().parse().unwrap_or(0);
                        let next = set("counter", &(value + 1).to_string());
                        let attempt = if item.etag.is_empty() { first_write(next) } else { with_etag(next, &item.etag) };
                        match store.set(attempt) {
                            Ok(()) => break,
                            Err(Error::EtagMismatch(_)) => continue,
                            Err(other) => panic!("{:?}", other),
                        }
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut store = RedisStore::with_redis(server.client());
    assert_eq!(store.get(GetRequest { key: "counter".into(), ..Default::default() }).unwrap().data, b"200");
}
