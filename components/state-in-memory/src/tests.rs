use super::*;
use pillion_pdk::keyvalue::MemoryKeyValue;
use prost::Message;

const T0: i64 = 1_700_000_000_000;

/// The store over the in-process key-value capability, whose clock each call sets to the time it is given.
#[derive(Default)]
struct TestStore {
    store: InMemoryStore<MemoryKeyValue>,
}

impl TestStore {
    /// Another instance over the same items, as the host's pool creates them.
    fn sibling(&self) -> TestStore {
        TestStore { store: InMemoryStore::with_key_value(self.store.kv.clone()) }
    }

    fn at(&mut self, now: i64) -> &mut InMemoryStore<MemoryKeyValue> {
        self.store.kv.set_now(now);
        &mut self.store
    }

    fn set_at(&mut self, r: SetRequest, now: i64) -> Result<(), Error> {
        self.at(now).set_at(r, now)
    }

    fn delete_at(&mut self, r: DeleteRequest, now: i64) -> Result<(), Error> {
        self.at(now).delete_at(r, now)
    }

    fn get_at(&mut self, r: GetRequest, now: i64) -> Result<GetResponse, Error> {
        self.at(now).get_at(r, now)
    }

    fn get_encoded_at(&mut self, r: &GetRequest, now: i64) -> Result<&[u8], Error> {
        self.at(now).get_encoded_at(r, now)
    }

    fn bulk_set_at(&mut self, r: BulkSetRequest, now: i64) -> Result<(), Error> {
        self.at(now).bulk_set_at(r, now)
    }

    fn bulk_delete_at(&mut self, r: BulkDeleteRequest, now: i64) -> Result<(), Error> {
        self.at(now).bulk_delete_at(r, now)
    }

    fn transact_at(&mut self, r: TransactRequest, now: i64) -> Result<(), Error> {
        self.at(now).transact_at(r, now)
    }

    fn bulk_get_at(&mut self, r: BulkGetRequest, now: i64) -> BulkGetResponse {
        self.at(now).bulk_get_at(r, now)
    }
}

fn set(key: &str, value: &str) -> SetRequest {
    SetRequest { key: key.into(), data: value.as_bytes().to_vec(), ..Default::default() }
}

fn get(store: &mut TestStore, key: &str, now: i64) -> GetResponse {
    store.get_at(GetRequest { key: key.into(), ..Default::default() }, now).unwrap()
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

#[test]
fn every_write_gets_a_new_etag() {
    let mut s = TestStore::default();
    s.set_at(set("k", "1"), T0).unwrap();
    let e1 = get(&mut s, "k", T0).etag;
    s.set_at(set("k", "2"), T0).unwrap();
    let e2 = get(&mut s, "k", T0).etag;
    assert_ne!(e1, e2);
    assert!(!e1.is_empty());
}

#[test]
fn etag_must_match() {
    let mut s = TestStore::default();
    s.set_at(set("k", "1"), T0).unwrap();
    let etag = get(&mut s, "k", T0).etag;
    s.set_at(with_etag(set("k", "2"), &etag), T0).unwrap();
    let err = s.set_at(with_etag(set("k", "3"), &etag), T0).unwrap_err();
    assert!(matches!(err, Error::EtagMismatch(ref m) if m.starts_with("key 'k'")));
    assert_eq!(get(&mut s, "k", T0).data, b"2");
    assert!(s.set_at(with_etag(set("absent", "x"), "1"), T0).is_err());
}

#[test]
fn first_write_without_etag_only_creates() {
    let mut s = TestStore::default();
    s.set_at(first_write(set("k", "1")), T0).unwrap();
    assert!(matches!(s.set_at(first_write(set("k", "2")), T0), Err(Error::EtagMismatch(_))));
}

#[test]
fn ttl_expires_and_reports_expire_time() {
    let mut s = TestStore::default();
    s.set_at(with_ttl(set("k", "v"), "10"), T0).unwrap();
    let r = get(&mut s, "k", T0 + 9_000);
    assert_eq!(r.data, b"v");
    assert_eq!(r.metadata.get("ttlExpireTime").map(String::as_str), Some(rfc3339_utc(T0 / 1000 + 10).as_str()));
    assert!(get(&mut s, "k", T0 + 10_000).etag.is_empty());
    // An expired item does not block first-write.
    s.set_at(first_write(set("k", "again")), T0 + 10_000).unwrap();
}

#[test]
fn minus_one_and_absent_ttl_remove_expiry() {
    let mut s = TestStore::default();
    s.set_at(with_ttl(set("k", "v"), "10"), T0).unwrap();
    s.set_at(with_ttl(set("k", "v"), "-1"), T0).unwrap();
    assert!(get(&mut s, "k", T0 + 20_000).metadata.is_empty());
    assert!(s.set_at(with_ttl(set("k", "v"), "x"), T0).is_err());
    assert!(s.set_at(with_ttl(set("k", "v"), "-5"), T0).is_err());
}

#[test]
fn bulk_set_is_atomic_and_names_the_key() {
    let mut s = TestStore::default();
    s.set_at(set("a", "1"), T0).unwrap();
    let err = s
        .bulk_set_at(BulkSetRequest { items: vec![set("a", "2"), with_etag(set("b", "2"), "nope")] }, T0)
        .unwrap_err();
    assert!(err.to_abi_message().starts_with("ETAG_MISMATCH: key 'b'"));
    assert_eq!(get(&mut s, "a", T0).data, b"1");
}

#[test]
fn transactions_apply_in_order_or_not_at_all() {
    let mut s = TestStore::default();
    let up = |k: &str, v: &str| TransactOperation { operation: Some(transact_operation::Operation::Set(set(k, v))) };
    let del = |k: &str, e: &str| TransactOperation {
        operation: Some(transact_operation::Operation::Delete(DeleteRequest {
            key: k.into(),
            etag: e.into(),
            ..Default::default()
        })),
    };
    s.transact_at(
        TransactRequest {
            operations: vec![del("k", ""), up("k", "1"), del("k", ""), up("k", "2"), del("missing", "")],
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    assert_eq!(get(&mut s, "k", T0).data, b"2");
    let etag = get(&mut s, "k", T0).etag;
    // Within one transaction, an upsert changes the etag a later operation must match.
    let err = s
        .transact_at(TransactRequest { operations: vec![up("k", "3"), del("k", &etag)], ..Default::default() }, T0)
        .unwrap_err();
    assert!(matches!(err, Error::EtagMismatch(_)));
    assert_eq!(get(&mut s, "k", T0).data, b"2");
}

#[test]
fn rejects_empty_keys_and_bad_options() {
    let mut s = TestStore::default();
    assert!(matches!(s.set_at(set("", "v"), T0), Err(Error::InvalidArgument(_))));
    let mut bad = set("k", "v");
    bad.options = Some(SetStateOption { concurrency: "sometimes".into(), consistency: String::new() });
    assert!(matches!(s.set_at(bad, T0), Err(Error::InvalidArgument(m)) if m.contains("concurrency")));
}

#[test]
fn bulk_get_keeps_order_and_reports_missing_keys() {
    let mut s = TestStore::default();
    s.set_at(set("a", "1"), T0).unwrap();
    let r = s.bulk_get_at(
        BulkGetRequest {
            items: vec![
                GetRequest { key: "missing".into(), ..Default::default() },
                GetRequest { key: "a".into(), ..Default::default() },
            ],
        },
        T0,
    );
    assert_eq!(r.items[0].key, "missing");
    assert!(r.items[0].etag.is_empty());
    assert_eq!(r.items[1].data, b"1");
}

#[test]
fn encoded_reads_match_decoded_reads() {
    let mut s = TestStore::default();
    let mut request = with_ttl(set("k", "value"), "60");
    request.content_type = "text/plain".into();
    s.set_at(request, T0).unwrap();
    let get_request = GetRequest { key: "k".into(), ..Default::default() };
    let encoded = s.get_encoded_at(&get_request, T0).unwrap().to_vec();
    let decoded = s.get_at(get_request.clone(), T0).unwrap();
    assert_eq!(GetResponse::decode(encoded.as_slice()).unwrap(), decoded);
    assert_eq!(decoded.content_type, "text/plain");
    assert!(s.get_encoded_at(&GetRequest { key: "missing".into(), ..Default::default() }, T0).unwrap().is_empty());
}

#[test]
fn instances_share_the_items_and_hold_none() {
    let mut first = TestStore::default();
    first.set_at(set("k", "1"), T0).unwrap();
    let etag = get(&mut first, "k", T0).etag;
    // A second instance (or the replacement of a discarded one) sees every item.
    let mut second = first.sibling();
    assert_eq!(get(&mut second, "k", T0).data, b"1");
    second.set_at(with_etag(set("k", "2"), &etag), T0).unwrap();
    // The first instance's etag is stale now: concurrent instances cannot lose an update.
    assert!(matches!(first.set_at(with_etag(set("k", "3"), &etag), T0), Err(Error::EtagMismatch(_))));
    drop(first);
    assert_eq!(get(&mut second, "k", T0).data, b"2");
}

#[test]
fn large_transactions_are_one_linear_batch() {
    let mut s = TestStore::default();
    let items = (0..40_000).map(|i| set(&format!("key-{}", i), "v")).collect();
    s.bulk_set_at(BulkSetRequest { items }, T0).unwrap();
    let operations = (0..40_000)
        .map(|i| TransactOperation {
            operation: Some(transact_operation::Operation::Delete(DeleteRequest {
                key: format!("key-{}", i),
                ..Default::default()
            })),
        })
        .collect();
    s.transact_at(TransactRequest { operations, ..Default::default() }, T0).unwrap();
    assert!(s.store.kv.is_empty());
}

#[test]
fn a_write_over_the_capacity_is_refused_and_changes_nothing() {
    let mut s = TestStore::default();
    s.store.kv.set_max_bytes(64);
    s.set_at(set("a", "small"), T0).unwrap();
    let err = s.bulk_set_at(BulkSetRequest { items: vec![set("b", "x"), set("c", &"y".repeat(100))] }, T0).unwrap_err();
    assert!(matches!(err, Error::ResourceExhausted(ref m) if m.contains("limit")), "{:?}", err);
    assert!(get(&mut s, "b", T0).etag.is_empty());
    assert_eq!(get(&mut s, "a", T0).data, b"small");
}

#[test]
fn etags_that_are_not_versions_never_match() {
    let mut s = TestStore::default();
    s.set_at(set("k", "1"), T0).unwrap();
    for etag in ["abc", "0", "-1", "18446744073709551616"] {
        assert!(matches!(s.set_at(with_etag(set("k", "2"), etag), T0), Err(Error::EtagMismatch(_))), "{}", etag);
    }
    assert_eq!(get(&mut s, "k", T0).data, b"1");
}

#[test]
fn etags_are_decimal_versions() {
    let mut response = vec![];
    append_etag(&mut response, 0);
    assert_eq!(response, [ETAG_TAG, 1, b'0']);
    response.clear();
    append_etag(&mut response, u64::MAX);
    let decoded = GetResponse::decode(response.as_slice()).unwrap();
    assert_eq!(decoded.etag, u64::MAX.to_string());
}
