//! The `keyvalue` host capability: items the host keeps for the component, outside any guest instance, so a trap or
//! a discarded instance loses nothing and pooled instances share them (docs/abi.md, "Host capabilities").
//!
//! [`HostKeyValue`] calls the host (import module `pillion_keyvalue_v1`; the component must be granted `keyvalue`).
//! [`MemoryKeyValue`] has the same semantics in process, for unit tests on the build machine.
//!
//! Every write gives an item a new version from a counter that only grows; an item may expire at an absolute time in
//! Unix milliseconds. Writes are all-or-nothing batches of conditional operations, checked in order against the store
//! as the earlier operations of the batch leave it.

use crate::keyvalue_messages::{operation, Entry, Operation, ScanRequest, ScanResponse, WriteBatch};
use prost::Message;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::rc::Rc;

pub use crate::keyvalue_messages::operation::{Condition, Kind};

/// Bytes the host writes before an item's value: version (u64) and expiry (i64), little-endian.
const ITEM_HEADER: usize = 16;

/// An item's version and expiry (0 = never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemHeader {
    pub version: u64,
    pub expires_at_ms: i64,
}

/// Why a batch was not applied. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The condition of the operation at this index did not hold.
    ConditionFailed(usize),
    /// A limit of the store refused the batch (its capacity, a key's size); the text names the limit.
    Refused(String),
}

/// The operations of the capability.
pub trait KeyValue {
    /// Reads `key`'s value into `value` (replacing its content); `None` when the key is missing or expired.
    fn get_into(&self, key: &[u8], value: &mut Vec<u8>) -> Option<ItemHeader>;

    /// Applies a batch, all or nothing.
    fn write(&self, batch: &WriteBatch) -> Result<(), WriteError>;

    /// Lists keys with a prefix in ascending byte order (stores granted as ordered only).
    fn scan(&self, request: &ScanRequest) -> ScanResponse;

    /// The next value of the store's counter (unique, growing; versions come from it too).
    fn sequence(&self) -> u64;
}

/// A put operation.
pub fn put(key: &[u8], value: Vec<u8>, expires_at_ms: i64, condition: Condition, version: u64) -> Operation {
    Operation {
        key: key.to_vec(),
        kind: Kind::Put as i32,
        condition: condition as i32,
        version,
        value,
        expires_at_millis: expires_at_ms,
    }
}

/// A delete operation.
pub fn delete(key: &[u8], condition: Condition, version: u64) -> Operation {
    Operation { key: key.to_vec(), kind: Kind::Delete as i32, condition: condition as i32, version, ..Default::default() }
}

/// A condition-only operation.
pub fn check(key: &[u8], condition: Condition, version: u64) -> Operation {
    Operation { key: key.to_vec(), kind: Kind::Check as i32, condition: condition as i32, version, ..Default::default() }
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "pillion_keyvalue_v1")]
extern "C" {
    #[link_name = "get"]
    fn host_get(key_ptr: *const u8, key_len: usize, out_ptr: *mut u8, out_cap: usize) -> i64;
    #[link_name = "write"]
    fn host_write(batch_ptr: *const u8, batch_len: usize, out_ptr: *mut u8, out_cap: usize) -> i64;
    #[link_name = "scan"]
    fn host_scan(request_ptr: *const u8, request_len: usize, out_ptr: *mut u8, out_cap: usize) -> i64;
    #[link_name = "sequence"]
    fn host_sequence() -> i64;
}

/// The host's store, through the capability's imports. Holds only reusable buffers.
#[derive(Default)]
pub struct HostKeyValue {
    scratch: RefCell<Vec<u8>>,
}

#[cfg(target_arch = "wasm32")]
impl HostKeyValue {
    /// Calls `f(out_ptr, out_cap)` until the result it reports fits the buffer, growing the buffer as told.
    fn call_into(out: &mut Vec<u8>, f: impl Fn(*mut u8, usize) -> i64) -> Option<usize> {
        loop {
            let capacity = out.capacity();
            let length = f(out.as_mut_ptr(), capacity);
            if length < 0 {
                return None;
            }
            let length = length as usize;
            if length <= capacity {
                // SAFETY: the host wrote `length` bytes into the buffer's capacity.
                unsafe { out.set_len(length) };
                return Some(length);
            }
            out.clear();
            out.reserve(length);
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl KeyValue for HostKeyValue {
    fn get_into(&self, key: &[u8], value: &mut Vec<u8>) -> Option<ItemHeader> {
        value.clear();
        if value.capacity() < 256 {
            value.reserve(256);
        }
        // SAFETY: the host reads `key` and writes at most `cap` bytes at `ptr` during the call.
        HostKeyValue::call_into(value, |ptr, cap| unsafe { host_get(key.as_ptr(), key.len(), ptr, cap) })?;
        let mut word = [0u8; 8];
        word.copy_from_slice(&value[0..8]);
        let version = u64::from_le_bytes(word);
        word.copy_from_slice(&value[8..ITEM_HEADER]);
        let expires_at_ms = i64::from_le_bytes(word);
        value.drain(..ITEM_HEADER);
        Some(ItemHeader { version, expires_at_ms })
    }

    fn write(&self, batch: &WriteBatch) -> Result<(), WriteError> {
        let encoded = batch.encode_to_vec();
        let mut scratch = self.scratch.borrow_mut();
        scratch.clear();
        scratch.reserve(1024);
        // SAFETY: as in get_into.
        let result =
            unsafe { host_write(encoded.as_ptr(), encoded.len(), scratch.as_mut_ptr(), scratch.capacity()) } as u64;
        match result >> 32 {
            0 => Ok(()),
            1 => Err(WriteError::ConditionFailed((result & 0xffff_ffff) as usize)),
            _ => {
                let length = ((result & 0xffff_ffff) as usize).min(scratch.capacity());
                // SAFETY: the host wrote `length` bytes of the reason.
                unsafe { scratch.set_len(length) };
                Err(WriteError::Refused(String::from_utf8_lossy(&scratch).into_owned()))
            }
        }
    }

    fn scan(&self, request: &ScanRequest) -> ScanResponse {
        let encoded = request.encode_to_vec();
        let mut scratch = self.scratch.borrow_mut();
        scratch.clear();
        if scratch.capacity() < 4096 {
            scratch.reserve(4096);
        }
        // SAFETY: as in get_into.
        let found = HostKeyValue::call_into(&mut scratch, |ptr, cap| unsafe {
            host_scan(encoded.as_ptr(), encoded.len(), ptr, cap)
        });
        match found {
            // The host encoded it; a page that does not decode means this instance's memory is corrupt, so trap (the host
            // discards the instance) rather than read it as "no keys".
            Some(_) => ScanResponse::decode(scratch.as_slice()).expect("the host's ScanResponse does not decode"),
            None => ScanResponse::default(),
        }
    }

    fn sequence(&self) -> u64 {
        // SAFETY: no memory is shared.
        unsafe { host_sequence() as u64 }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl KeyValue for HostKeyValue {
    fn get_into(&self, _key: &[u8], _value: &mut Vec<u8>) -> Option<ItemHeader> {
        panic!("HostKeyValue needs the Wasm host; use MemoryKeyValue in tests")
    }

    fn write(&self, _batch: &WriteBatch) -> Result<(), WriteError> {
        panic!("HostKeyValue needs the Wasm host; use MemoryKeyValue in tests")
    }

    fn scan(&self, _request: &ScanRequest) -> ScanResponse {
        panic!("HostKeyValue needs the Wasm host; use MemoryKeyValue in tests")
    }

    fn sequence(&self) -> u64 {
        panic!("HostKeyValue needs the Wasm host; use MemoryKeyValue in tests")
    }
}

#[derive(Clone, Debug)]
struct MemoryItem {
    value: Vec<u8>,
    version: u64,
    expires_at_ms: i64,
}

/// The capability's semantics in process, with a clock the test sets and an optional byte capacity. Clones share
/// the items, as instances share the host's store.
#[derive(Clone, Default)]
pub struct MemoryKeyValue {
    items: Rc<RefCell<BTreeMap<Vec<u8>, MemoryItem>>>,
    last_version: Rc<Cell<u64>>,
    now_ms: Rc<Cell<i64>>,
    max_bytes: Rc<Cell<Option<usize>>>,
}

impl MemoryKeyValue {
    /// Sets the time expiry is measured against.
    pub fn set_now(&self, now_ms: i64) {
        self.now_ms.set(now_ms);
    }

    /// Limits the bytes of keys and values held.
    pub fn set_max_bytes(&self, max: usize) {
        self.max_bytes.set(Some(max));
    }

    /// Live items.
    pub fn len(&self) -> usize {
        let now = self.now_ms.get();
        self.items.borrow().values().filter(|item| Self::live(item, now)).count()
    }

    /// Whether no live item is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn live(item: &MemoryItem, now: i64) -> bool {
        item.expires_at_ms == 0 || item.expires_at_ms > now
    }

    fn bytes(items: &BTreeMap<Vec<u8>, MemoryItem>, now: i64) -> usize {
        items.iter().filter(|(_, item)| Self::live(item, now)).map(|(k, v)| k.len() + v.value.len()).sum()
    }
}

impl KeyValue for MemoryKeyValue {
    fn get_into(&self, key: &[u8], value: &mut Vec<u8>) -> Option<ItemHeader> {
        let items = self.items.borrow();
        let item = items.get(key).filter(|item| Self::live(item, self.now_ms.get()))?;
        value.clear();
        value.extend_from_slice(&item.value);
        Some(ItemHeader { version: item.version, expires_at_ms: item.expires_at_ms })
    }

    fn write(&self, batch: &WriteBatch) -> Result<(), WriteError> {
        let now = self.now_ms.get();
        let items = self.items.borrow();
        // The batch's writes, over the items: checking and staging cost O(batch · log n), as in the host's store,
        // so tests can tell a linear component from a quadratic one.
        let mut staged: BTreeMap<&[u8], Option<MemoryItem>> = BTreeMap::new();
        let mut version = self.last_version.get();
        for (index, op) in batch.operations.iter().enumerate() {
            if op.key.is_empty() {
                return Err(WriteError::Refused(format!("operation {} of the batch has an empty key", index)));
            }
            let current = match staged.get(op.key.as_slice()) {
                Some(staged) => staged.as_ref(),
                None => items.get(&op.key).filter(|item| Self::live(item, now)),
            };
            let holds = match Condition::from_i32(op.condition) {
                Some(Condition::Any) => true,
                Some(Condition::Absent) => current.is_none(),
                Some(Condition::Present) => current.is_some(),
                Some(Condition::Version) => current.map_or(false, |item| item.version == op.version),
                None => false,
            };
            if !holds {
                return Err(WriteError::ConditionFailed(index));
            }
            match operation::Kind::from_i32(op.kind) {
                Some(Kind::Put) => {
                    version += 1;
                    let item = MemoryItem { value: op.value.clone(), version, expires_at_ms: op.expires_at_millis };
                    staged.insert(op.key.as_slice(), Some(item));
                }
                Some(Kind::Delete) => {
                    staged.insert(op.key.as_slice(), None);
                }
                Some(Kind::Check) => {}
                None => return Err(WriteError::Refused(format!("operation {} has an unknown kind", index))),
            }
        }
        if let Some(max) = self.max_bytes.get() {
            // Only tests that set a capacity pay for counting the live bytes.
            let size = |key: &[u8], item: Option<&MemoryItem>| item.map_or(0, |item| key.len() + item.value.len());
            let mut needed = Self::bytes(&items, now);
            for (key, replacement) in &staged {
                needed += size(key, replacement.as_ref());
                needed -= size(key, items.get(*key).filter(|item| Self::live(item, now)));
            }
            if needed > max {
                return Err(WriteError::Refused(format!(
                    "the store is full: this write needs {} bytes, over its limit of {} bytes",
                    needed, max
                )));
            }
        }
        let changes: Vec<(Vec<u8>, Option<MemoryItem>)> =
            staged.into_iter().map(|(key, item)| (key.to_vec(), item)).collect();
        drop(items);
        let mut items = self.items.borrow_mut();
        for (key, item) in changes {
            match item {
                Some(item) => items.insert(key, item),
                None => items.remove(&key),
            };
        }
        self.last_version.set(version);
        Ok(())
    }

    fn scan(&self, request: &ScanRequest) -> ScanResponse {
        let now = self.now_ms.get();
        let limit = if request.limit == 0 { 256 } else { request.limit as usize };
        let items = self.items.borrow();
        let mut entries = Vec::new();
        let mut more = false;
        // Start at the page's first key, not the prefix's: a page costs O(log n + limit), as in the host's store.
        let from = if request.start_after.is_empty() || request.start_after < request.prefix {
            Bound::Included(request.prefix.clone())
        } else {
            Bound::Excluded(request.start_after.clone())
        };
        for (key, item) in items.range((from, Bound::Unbounded)) {
            if !key.starts_with(&request.prefix) {
                break;
            }
            if !Self::live(item, now) {
                continue;
            }
            if entries.len() == limit {
                more = true;
                break;
            }
            entries.push(Entry {
                key: key.clone(),
                value: if request.keys_only { Vec::new() } else { item.value.clone() },
                version: item.version,
                expires_at_millis: item.expires_at_ms,
            });
        }
        ScanResponse { entries, more }
    }

    fn sequence(&self) -> u64 {
        let next = self.last_version.get() + 1;
        self.last_version.set(next);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(operations: Vec<Operation>) -> WriteBatch {
        WriteBatch { operations }
    }

    #[test]
    fn conditions_see_earlier_operations_and_nothing_applies_on_failure() {
        let kv = MemoryKeyValue::default();
        kv.write(&batch(vec![put(b"a", b"1".to_vec(), 0, Condition::Absent, 0)])).unwrap();
        let mut value = Vec::new();
        let header = kv.get_into(b"a", &mut value).unwrap();
        assert_eq!(value, b"1");
        let result = kv.write(&batch(vec![
            put(b"a", b"2".to_vec(), 0, Condition::Version, header.version),
            put(b"b", b"x".to_vec(), 0, Condition::Any, 0),
            put(b"a", b"3".to_vec(), 0, Condition::Version, header.version),
        ]));
        assert_eq!(result, Err(WriteError::ConditionFailed(2)));
        assert!(kv.get_into(b"b", &mut value).is_none());
        kv.get_into(b"a", &mut value).unwrap();
        assert_eq!(value, b"1");
    }

    #[test]
    fn expired_items_read_as_absent() {
        let kv = MemoryKeyValue::default();
        kv.set_now(1_000);
        kv.write(&batch(vec![put(b"k", b"v".to_vec(), 2_000, Condition::Any, 0)])).unwrap();
        let mut value = Vec::new();
        assert!(kv.get_into(b"k", &mut value).is_some());
        kv.set_now(2_000);
        assert!(kv.get_into(b"k", &mut value).is_none());
        kv.write(&batch(vec![put(b"k", b"w".to_vec(), 0, Condition::Absent, 0)])).unwrap();
    }

    #[test]
    fn scans_pages_in_key_order() {
        let kv = MemoryKeyValue::default();
        let ops = ["p/c", "p/a", "q/a", "p/b"].iter().map(|k| put(k.as_bytes(), vec![], 0, Condition::Any, 0)).collect();
        kv.write(&batch(ops)).unwrap();
        let first = kv.scan(&ScanRequest { prefix: b"p/".to_vec(), limit: 2, ..Default::default() });
        let keys: Vec<_> = first.entries.iter().map(|e| e.key.clone()).collect();
        assert_eq!(keys, vec![b"p/a".to_vec(), b"p/b".to_vec()]);
        assert!(first.more);
        let rest = kv.scan(&ScanRequest { prefix: b"p/".to_vec(), start_after: b"p/b".to_vec(), ..Default::default() });
        assert_eq!(rest.entries.len(), 1);
        assert!(!rest.more);
    }
}
