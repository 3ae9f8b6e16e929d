//! The in-memory state store, with the semantics of Dapr's `state.in-memory`: opaque etags that change on every
//! write, first-write and last-write concurrency, TTL (`ttlInSeconds`, `ttlExpireTime`), atomic bulk writes and
//! transactions.
//!
//! Its items live in the host, behind the `keyvalue` capability, not in this instance's memory: an instance holds
//! nothing but buffers, so the host can pool instances and discard any of them (after a trap or a timeout) without
//! losing an item. The guest owns Dapr's semantics: it turns each request into one all-or-nothing batch of
//! conditional writes (etag = the host's item version, first-write = "absent", TTL = an absolute expiry), so every
//! request costs one host call and work linear in its size, and concurrent instances never lose an update.

use pillion_pdk::keyvalue::{self, Condition, HostKeyValue, KeyValue, WriteError};
use pillion_pdk::keyvalue_messages::{Operation, WriteBatch};
use pillion_pdk::metadata::{rfc3339_utc, ttl_seconds, TTL_EXPIRE_TIME};
use pillion_pdk::state::*;
use pillion_pdk::{export_state_store, Error, StateStore};
use prost::Message;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

const FEATURES: [&str; 3] = ["ETAG", "TRANSACTIONAL", "TTL"];

/// Field 2 (`etag`) of `GetResponse`, wire type 2.
const ETAG_TAG: u8 = 0x12;

/// The store. Generic over the key-value capability so the unit tests can run it on the build machine.
#[derive(Default)]
pub struct InMemoryStore<K: KeyValue = HostKeyValue> {
    name: String,
    kv: K,
    /// The stored value of the last get, then its response: reused so a get allocates nothing.
    response: Vec<u8>,
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

/// What a write's etag and concurrency require of the stored item.
fn condition(etag: &str, concurrency: &str) -> (Condition, u64) {
    if etag.is_empty() {
        if concurrency == "first-write" {
            (Condition::Absent, 0)
        } else {
            (Condition::Any, 0)
        }
    } else {
        // Etags are the host's versions in decimal; any other text can match no item.
        match etag.parse::<u64>() {
            Ok(version) if version > 0 => (Condition::Version, version),
            _ => (Condition::Version, 0),
        }
    }
}

/// The message of a failed condition, as Dapr's in-memory store words it.
fn mismatch(key: &str, etag: &str) -> Error {
    if etag.is_empty() {
        Error::etag_mismatch(key, "item already exists and no etag was given (first-write)")
    } else {
        Error::etag_mismatch(key, "etag does not match the stored item")
    }
}

/// A batch operation with what to say if its condition fails.
struct Staged {
    operation: Operation,
    key: String,
    etag: String,
}

fn stage_set(request: SetRequest, now: i64) -> Result<Staged, Error> {
    require_key(&request.key)?;
    let options = request.options.unwrap_or_default();
    check_options(&request.key, &options.concurrency, &options.consistency)?;
    let ttl = ttl_seconds(&request.metadata)?;
    let expires_at_ms = match ttl {
        Some(seconds) if seconds > 0 => now.saturating_add(seconds.saturating_mul(1000)),
        _ => 0,
    };
    let mut metadata = HashMap::new();
    if expires_at_ms > 0 {
        metadata.insert(TTL_EXPIRE_TIME.to_string(), rfc3339_utc(expires_at_ms.div_euclid(1000)));
    }
    // The stored value is the item's GetResponse without its etag, which is the version the host gives the write;
    // a get appends it (protobuf fields may come in any order).
    let value = GetResponse { data: request.data, etag: String::new(), metadata, content_type: request.content_type }
        .encode_to_vec();
    let (condition, version) = condition(&request.etag, &options.concurrency);
    Ok(Staged {
        operation: keyvalue::put(request.key.as_bytes(), value, expires_at_ms, condition, version),
        key: request.key,
        etag: request.etag,
    })
}

fn stage_delete(request: DeleteRequest) -> Result<Staged, Error> {
    require_key(&request.key)?;
    let options = request.options.unwrap_or_default();
    check_options(&request.key, &options.concurrency, &options.consistency)?;
    let (condition, version) = condition(&request.etag, &options.concurrency);
    Ok(Staged {
        operation: keyvalue::delete(request.key.as_bytes(), condition, version),
        key: request.key,
        etag: request.etag,
    })
}

fn check_get(request: &GetRequest) -> Result<(), Error> {
    require_key(&request.key)?;
    if let Some(options) = request.options.as_ref() {
        check_options(&request.key, "", &options.consistency)?;
    }
    Ok(())
}

/// Appends the etag field for `version` to an encoded `GetResponse`.
fn append_etag(response: &mut Vec<u8>, version: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = version;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    response.push(ETAG_TAG);
    response.push((digits.len() - at) as u8);
    response.extend_from_slice(&digits[at..]);
}

impl<K: KeyValue> InMemoryStore<K> {
    /// A store over a given key-value capability (the tests' in-process one).
    pub fn with_key_value(kv: K) -> Self {
        InMemoryStore { name: String::new(), kv, response: Vec::new() }
    }

    /// Applies staged operations as one batch: all or none.
    fn apply(&self, staged: Vec<Staged>) -> Result<(), Error> {
        if staged.is_empty() {
            return Ok(());
        }
        let mut operations = Vec::with_capacity(staged.len());
        let mut labels = Vec::with_capacity(staged.len());
        for item in staged {
            operations.push(item.operation);
            labels.push((item.key, item.etag));
        }
        match self.kv.write(&WriteBatch { operations }) {
            Ok(()) => Ok(()),
            Err(WriteError::ConditionFailed(index)) => {
                let (key, etag) = labels.get(index).map(|(k, e)| (k.as_str(), e.as_str())).unwrap_or(("", ""));
                Err(mismatch(key, etag))
            }
            Err(WriteError::Refused(reason)) => Err(Error::ResourceExhausted(reason)),
        }
    }

    /// The encoded `GetResponse` of a key at a given time; empty for a missing key.
    pub fn get_encoded_at(&mut self, request: &GetRequest, _now: i64) -> Result<&[u8], Error> {
        check_get(request)?;
        match self.kv.get_into(request.key.as_bytes(), &mut self.response) {
            Some(header) => {
                append_etag(&mut self.response, header.version);
                Ok(self.response.as_slice())
            }
            None => Ok(&[]),
        }
    }

    /// `get` at a given time.
    pub fn get_at(&mut self, request: GetRequest, now: i64) -> Result<GetResponse, Error> {
        let encoded = self.get_encoded_at(&request, now)?;
        GetResponse::decode(encoded).map_err(|e| Error::Internal(format!("stored item of '{}': {}", request.key, e)))
    }

    /// `set` at a given time.
    pub fn set_at(&mut self, request: SetRequest, now: i64) -> Result<(), Error> {
        self.apply(vec![stage_set(request, now)?])
    }

    /// `delete` at a given time.
    pub fn delete_at(&mut self, request: DeleteRequest, _now: i64) -> Result<(), Error> {
        self.apply(vec![stage_delete(request)?])
    }

    /// `bulk_set` at a given time: every item or none.
    pub fn bulk_set_at(&mut self, request: BulkSetRequest, now: i64) -> Result<(), Error> {
        let staged = request.items.into_iter().map(|set| stage_set(set, now)).collect::<Result<Vec<_>, _>>()?;
        self.apply(staged)
    }

    /// `bulk_delete` at a given time: every item or none.
    pub fn bulk_delete_at(&mut self, request: BulkDeleteRequest, _now: i64) -> Result<(), Error> {
        let staged = request.items.into_iter().map(stage_delete).collect::<Result<Vec<_>, _>>()?;
        self.apply(staged)
    }

    /// `transact` at a given time: operations in order, all or nothing.
    pub fn transact_at(&mut self, request: TransactRequest, now: i64) -> Result<(), Error> {
        let mut staged = Vec::with_capacity(request.operations.len());
        for (index, operation) in request.operations.into_iter().enumerate() {
            staged.push(match operation.operation {
                Some(transact_operation::Operation::Set(set)) => stage_set(set, now)?,
                Some(transact_operation::Operation::Delete(delete)) => stage_delete(delete)?,
                None => {
                    return Err(Error::InvalidArgument(format!(
                        "transaction operation {} has neither set nor delete",
                        index
                    )))
                }
            });
        }
        self.apply(staged)
    }

    /// `bulk_get` at a given time.
    pub fn bulk_get_at(&mut self, request: BulkGetRequest, now: i64) -> BulkGetResponse {
        let mut items = Vec::with_capacity(request.items.len());
        for get in request.items {
            let key = get.key.clone();
            items.push(BulkGetItem::from_get(key, self.get_at(get, now)));
        }
        BulkGetResponse { items }
    }
}

impl<K: KeyValue> StateStore for InMemoryStore<K> {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        // Instances come and go (pool growth, replacement after a fault); the items do not, so this is not news.
        pillion_pdk::log::debug(&format!("in-memory state store '{}': instance ready", self.name));
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
