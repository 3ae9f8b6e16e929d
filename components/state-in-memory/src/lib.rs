//! The in-memory state store, with the semantics of Dapr's `state.in-memory`: opaque etags that change on every
//! write, first-write and last-write concurrency, TTL (`ttlInSeconds`, `ttlExpireTime`), atomic bulk writes and
//! transactions. Its data lives in the instance's linear memory, so the host runs it as a single instance.

use pillion_pdk::metadata::{rfc3339_utc, ttl_seconds, TTL_EXPIRE_TIME};
use pillion_pdk::state::*;
use pillion_pdk::{export_state_store, Error, StateStore};
use prost::Message;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

const FEATURES: [&str; 3] = ["ETAG", "TRANSACTIONAL", "TTL"];

/// A stored item. Its `GetResponse` is encoded once, when written, so a read is a lookup and one copy.
#[derive(Clone, Debug)]
struct Item {
    encoded: Vec<u8>,
    etag: String,
    expires_at_ms: Option<i64>,
}

impl Item {
    fn expired(&self, now_ms: i64) -> bool {
        matches!(self.expires_at_ms, Some(at) if at <= now_ms)
    }
}

/// Pending changes of one request: the new item, or `None` for a delete, by key, in order.
type Overlay = Vec<(String, Option<Item>)>;

/// The multiply-rotate hash of rustc's FxHasher. Keys are the application's own (prefixed) keys, not attacker
/// controlled across a network boundary, and SipHash costs several hundred nanoseconds per lookup in Wasm.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        for &byte in chunks.remainder() {
            self.add(u64::from(byte));
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

type Items = HashMap<String, Item, BuildHasherDefault<FxHasher>>;

/// The store. Public so the host-target unit tests can drive it with a chosen clock.
#[derive(Default)]
pub struct InMemoryStore {
    name: String,
    items: Items,
    last_etag: u64,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn require_key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        Err(Error::InvalidArgument("key is empty".into()))
    } else {
        Ok(())
    }
}

fn check_options(key: &str, concurrency: &str, consistency: &str) -> Result<(), Error> {
    if !matches!(concurrency, "" | "first-write" | "last-write") {
        return Err(Error::InvalidArgument(format!(
            "key '{}': invalid concurrency '{}' (first-write or last-write)",
            key, concurrency
        )));
    }
    if !matches!(consistency, "" | "eventual" | "strong") {
        return Err(Error::InvalidArgument(format!(
            "key '{}': invalid consistency '{}' (eventual or strong)",
            key, consistency
        )));
    }
    Ok(())
}

impl InMemoryStore {
    fn live(&self, key: &str, now: i64) -> Option<&Item> {
        self.items.get(key).filter(|item| !item.expired(now))
    }

    /// The item as earlier operations of the same request leave it.
    fn current<'a>(&'a self, key: &str, overlay: &'a Overlay, now: i64) -> Option<&'a Item> {
        match overlay.iter().rev().find(|(k, _)| k == key) {
            Some((_, pending)) => pending.as_ref(),
            None => self.live(key, now),
        }
    }

    fn check_etag(key: &str, etag: &str, concurrency: &str, current: Option<&Item>) -> Result<(), Error> {
        if etag.is_empty() {
            if concurrency == "first-write" && current.is_some() {
                return Err(Error::etag_mismatch(key, "item already exists and no etag was given (first-write)"));
            }
            return Ok(());
        }
        match current {
            Some(item) if item.etag == etag => Ok(()),
            _ => Err(Error::etag_mismatch(key, "etag does not match the stored item")),
        }
    }

    fn stage_set(&mut self, request: SetRequest, overlay: &mut Overlay, now: i64) -> Result<(), Error> {
        require_key(&request.key)?;
        let options = request.options.unwrap_or_default();
        check_options(&request.key, &options.concurrency, &options.consistency)?;
        let ttl = ttl_seconds(&request.metadata)?;
        Self::check_etag(
            &request.key,
            &request.etag,
            &options.concurrency,
            self.current(&request.key, overlay, now),
        )?;
        self.last_etag += 1;
        let etag = self.last_etag.to_string();
        let expires_at_ms = match ttl {
            Some(seconds) if seconds > 0 => Some(now.saturating_add(seconds.saturating_mul(1000))),
            _ => None,
        };
        let mut metadata = HashMap::new();
        if let Some(at) = expires_at_ms {
            metadata.insert(TTL_EXPIRE_TIME.to_string(), rfc3339_utc(at.div_euclid(1000)));
        }
        let encoded = GetResponse {
            data: request.data,
            etag: etag.clone(),
            metadata,
            content_type: request.content_type,
        }
        .encode_to_vec();
        overlay.push((request.key, Some(Item { encoded, etag, expires_at_ms })));
        Ok(())
    }

    fn stage_delete(&mut self, request: DeleteRequest, overlay: &mut Overlay, now: i64) -> Result<(), Error> {
        require_key(&request.key)?;
        let options = request.options.unwrap_or_default();
        check_options(&request.key, &options.concurrency, &options.consistency)?;
        Self::check_etag(
            &request.key,
            &request.etag,
            &options.concurrency,
            self.current(&request.key, overlay, now),
        )?;
        overlay.push((request.key, None));
        Ok(())
    }

    fn commit(&mut self, overlay: Overlay, now: i64) {
        for (key, pending) in overlay {
            match pending {
                Some(item) => {
                    self.items.insert(key, item);
                }
                None => {
                    self.items.remove(&key);
                }
            }
        }
        self.evict_some_expired(now);
    }

    /// Drops a few expired items per write so a store whose keys are never read again does not grow forever.
    fn evict_some_expired(&mut self, now: i64) {
        if self.last_etag % 64 != 0 {
            return;
        }
        self.items.retain(|_, item| !item.expired(now));
    }

    fn response(item: &Item) -> GetResponse {
        // Decoding what this store encoded itself cannot fail.
        GetResponse::decode(item.encoded.as_slice()).unwrap_or_default()
    }

    fn check_get(request: &GetRequest) -> Result<(), Error> {
        require_key(&request.key)?;
        if let Some(options) = request.options.as_ref() {
            check_options(&request.key, "", &options.consistency)?;
        }
        Ok(())
    }

    /// The encoded `GetResponse` of a key at a given time; empty for a missing key.
    pub fn get_encoded_at(&mut self, request: &GetRequest, now: i64) -> Result<&[u8], Error> {
        Self::check_get(request)?;
        Ok(self.live(&request.key, now).map(|item| item.encoded.as_slice()).unwrap_or(&[]))
    }

    /// `get` at a given time.
    pub fn get_at(&mut self, request: GetRequest, now: i64) -> Result<GetResponse, Error> {
        Self::check_get(&request)?;
        Ok(self.live(&request.key, now).map(Self::response).unwrap_or_default())
    }

    /// `set` at a given time.
    pub fn set_at(&mut self, request: SetRequest, now: i64) -> Result<(), Error> {
        self.stage_all(vec![request], now, Self::stage_set)
    }

    /// `delete` at a given time.
    pub fn delete_at(&mut self, request: DeleteRequest, now: i64) -> Result<(), Error> {
        self.stage_all(vec![request], now, Self::stage_delete)
    }

    /// Stages every request against the store as the earlier ones leave it, then commits all, or none.
    fn stage_all<T>(
        &mut self,
        requests: Vec<T>,
        now: i64,
        stage: fn(&mut Self, T, &mut Overlay, i64) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut overlay = Overlay::with_capacity(requests.len());
        for request in requests {
            stage(self, request, &mut overlay, now)?;
        }
        self.commit(overlay, now);
        Ok(())
    }

    /// `bulk_set` at a given time: every item or none.
    pub fn bulk_set_at(&mut self, request: BulkSetRequest, now: i64) -> Result<(), Error> {
        self.stage_all(request.items, now, Self::stage_set)
    }

    /// `bulk_delete` at a given time: every item or none.
    pub fn bulk_delete_at(&mut self, request: BulkDeleteRequest, now: i64) -> Result<(), Error> {
        self.stage_all(request.items, now, Self::stage_delete)
    }

    /// `transact` at a given time: operations in order, all or nothing.
    pub fn transact_at(&mut self, request: TransactRequest, now: i64) -> Result<(), Error> {
        let mut overlay = Overlay::with_capacity(request.operations.len());
        for (index, operation) in request.operations.into_iter().enumerate() {
            match operation.operation {
                Some(transact_operation::Operation::Set(set)) => self.stage_set(set, &mut overlay, now)?,
                Some(transact_operation::Operation::Delete(delete)) => {
                    self.stage_delete(delete, &mut overlay, now)?
                }
                None => {
                    return Err(Error::InvalidArgument(format!(
                        "transaction operation {} has neither set nor delete",
                        index
                    )))
                }
            }
        }
        self.commit(overlay, now);
        Ok(())
    }

    /// `bulk_get` at a given time.
    pub fn bulk_get_at(&mut self, request: BulkGetRequest, now: i64) -> BulkGetResponse {
        let items = request
            .items
            .into_iter()
            .map(|get| match self.live(&get.key, now) {
                Some(item) => {
                    let r = Self::response(item);
                    BulkGetItem {
                        key: get.key,
                        data: r.data,
                        etag: r.etag,
                        metadata: r.metadata,
                        content_type: r.content_type,
                        error: String::new(),
                    }
                }
                None => BulkGetItem { key: get.key, ..Default::default() },
            })
            .collect();
        BulkGetResponse { items }
    }
}

impl StateStore for InMemoryStore {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        pillion_pdk::log::info(&format!("in-memory state store '{}' initialized", self.name));
        Ok(())
    }

    fn features(&self) -> Vec<String> {
        FEATURES.iter().map(|f| f.to_string()).collect()
    }

    fn get(&mut self, request: GetRequest) -> Result<GetResponse, Error> {
        self.get_at(request, now_ms())
    }

    fn get_encoded(&mut self, request: &GetRequest) -> Result<Option<&[u8]>, Error> {
        self.get_encoded_at(request, now_ms()).map(Some)
    }

    fn set(&mut self, request: SetRequest) -> Result<(), Error> {
        self.set_at(request, now_ms())
    }

    fn delete(&mut self, request: DeleteRequest) -> Result<(), Error> {
        self.delete_at(request, now_ms())
    }

    fn bulk_get(&mut self, request: BulkGetRequest) -> Result<BulkGetResponse, Error> {
        Ok(self.bulk_get_at(request, now_ms()))
    }

    fn bulk_set(&mut self, request: BulkSetRequest) -> Result<(), Error> {
        self.bulk_set_at(request, now_ms())
    }

    fn bulk_delete(&mut self, request: BulkDeleteRequest) -> Result<(), Error> {
        self.bulk_delete_at(request, now_ms())
    }

    fn transact(&mut self, request: TransactRequest) -> Result<(), Error> {
        self.transact_at(request, now_ms())
    }
}

export_state_store!(InMemoryStore);

#[cfg(test)]
mod tests;
