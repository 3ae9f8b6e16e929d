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

    /// Applies a batch built with [`Batch`], all or nothing: [`KeyValue::write`] without an `Operation` per write.
    fn write_encoded(&self, batch: &Batch) -> Result<(), WriteError> {
        self.write(&batch.decode())
    }

    /// One page of a scan, each entry handed to `visit(key, value, version)` in key order until it returns false:
    /// [`KeyValue::scan`] without copying the entries out of the response. Returns whether more keys with the prefix
    /// follow the page (as `ScanResponse::more`) and the page's last key.
    fn scan_page(&self, request: &ScanRequest, visit: &mut dyn FnMut(&[u8], &[u8], u64) -> bool) -> Page {
        let response = self.scan(request);
        for entry in &response.entries {
            if !visit(&entry.key, &entry.value, entry.version) {
                break;
            }
        }
        Page { more: response.more, last_key: response.entries.last().map(|e| e.key.clone()).unwrap_or_default() }
    }
}

/// What [`KeyValue::scan_page`] tells about a page besides its entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Whether more keys with the prefix follow `last_key`.
    pub more: bool,
    /// The page's last key (empty for an empty page): the next page's `start_after`.
    pub last_key: Vec<u8>,
}

/// A `WriteBatch` encoded as it is built: the bytes `WriteBatch::encode_to_vec` gives for the same operations, in
/// one buffer, without an `Operation` (and its key and value vectors) per write. Apply it with
/// [`KeyValue::write_encoded`].
#[derive(Clone, Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    operations: usize,
}

impl Batch {
    /// An empty batch with room for about `bytes` bytes of operations.
    pub fn with_capacity(bytes: usize) -> Batch {
        Batch { bytes: Vec::with_capacity(bytes), operations: 0 }
    }

    /// Adds a put operation.
    pub fn put(&mut self, key: &[u8], value: &[u8], expires_at_ms: i64, condition: Condition, version: u64) {
        self.push(key, Kind::Put, condition, version, value, expires_at_ms);
    }

    /// Adds a delete operation.
    pub fn delete(&mut self, key: &[u8], condition: Condition, version: u64) {
        self.push(key, Kind::Delete, condition, version, &[], 0);
    }

    /// Adds a condition-only operation.
    pub fn check(&mut self, key: &[u8], condition: Condition, version: u64) {
        self.push(key, Kind::Check, condition, version, &[], 0);
    }

    /// How many operations the batch holds.
    pub fn len(&self) -> usize {
        self.operations
    }

    /// Whether the batch holds no operation.
    pub fn is_empty(&self) -> bool {
        self.operations == 0
    }

    /// The encoded `WriteBatch`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The batch as the generated message.
    pub fn decode(&self) -> WriteBatch {
        WriteBatch::decode(self.bytes.as_slice()).expect("a Batch encodes a WriteBatch")
    }

    /// Appends one `Operation` (field 1 of `WriteBatch`), its fields in number order and default values left out, as
    /// prost encodes them.
    fn push(&mut self, key: &[u8], kind: Kind, condition: Condition, version: u64, value: &[u8], expires: i64) {
        let field = |number: u64, length: usize| if length == 0 { 0 } else { 1 + varint_len(number) + length };
        let varint = |value: u64| if value == 0 { 0 } else { 1 + varint_len(value) };
        let length = field(key.len() as u64, key.len())
            + varint(kind as u64)
            + varint(condition as u64)
            + varint(version)
            + field(value.len() as u64, value.len())
            + varint(expires as u64);
        let out = &mut self.bytes;
        out.reserve(1 + varint_len(length as u64) + length);
        out.push(0x0a);
        put_varint(out, length as u64);
        if !key.is_empty() {
            out.push(0x0a);
            put_varint(out, key.len() as u64);
            out.extend_from_slice(key);
        }
        for (tag, number) in [(0x10, kind as u64), (0x18, condition as u64), (0x20, version)] {
            if number != 0 {
                out.push(tag);
                put_varint(out, number);
            }
        }
        if !value.is_empty() {
            out.push(0x2a);
            put_varint(out, value.len() as u64);
            out.extend_from_slice(value);
        }
        if expires != 0 {
            out.push(0x30);
            put_varint(out, expires as u64);
        }
        self.operations += 1;
    }
}

fn varint_len(value: u64) -> usize {
    // One byte per started group of 7 bits.
    ((64 - (value | 1).leading_zeros() as usize) + 6) / 7
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a varint at the start of `bytes`; the value and the bytes after it.
fn take_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// Splits a length-delimited field's content off the start of `bytes`.
fn take_bytes(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (length, rest) = take_varint(bytes)?;
    let length = usize::try_from(length).ok().filter(|l| *l <= rest.len())?;
    Some((&rest[..length], &rest[length..]))
}

/// Visits the entries of an encoded `ScanResponse` in place; `None` if it is malformed.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn visit_scan_response(mut bytes: &[u8], visit: &mut dyn FnMut(&[u8], &[u8], u64) -> bool) -> Option<Page> {
    let mut page = Page::default();
    let mut last: &[u8] = &[];
    let mut visiting = true;
    while !bytes.is_empty() {
        let (tag, rest) = take_varint(bytes)?;
        match tag {
            // entries
            0x0a => {
                let (entry, rest) = take_bytes(rest)?;
                let (key, value, version) = entry_fields(entry)?;
                last = key;
                if visiting {
                    visiting = visit(key, value, version);
                }
                bytes = rest;
            }
            // more
            0x10 => {
                let (more, rest) = take_varint(rest)?;
                page.more = more != 0;
                bytes = rest;
            }
            _ => return None,
        }
    }
    page.last_key = last.to_vec();
    Some(page)
}

/// The key, value and version of an encoded `Entry`.
fn entry_fields(mut bytes: &[u8]) -> Option<(&[u8], &[u8], u64)> {
    let (mut key, mut value, mut version): (&[u8], &[u8], u64) = (&[], &[], 0);
    while !bytes.is_empty() {
        let (tag, rest) = take_varint(bytes)?;
        bytes = match tag {
            0x0a => {
                let (field, rest) = take_bytes(rest)?;
                key = field;
                rest
            }
            0x12 => {
                let (field, rest) = take_bytes(rest)?;
                value = field;
                rest
            }
            0x18 | 0x20 => {
                let (number, rest) = take_varint(rest)?;
                if tag == 0x18 {
                    version = number;
                }
                rest
            }
            _ => return None,
        };
    }
    Some((key, value, version))
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
        self.write_bytes(&batch.encode_to_vec())
    }

    fn write_encoded(&self, batch: &Batch) -> Result<(), WriteError> {
        self.write_bytes(batch.as_bytes())
    }

    fn scan(&self, request: &ScanRequest) -> ScanResponse {
        let mut scratch = self.scratch.borrow_mut();
        match self.scan_into(request, &mut scratch) {
            // The host encoded it; a page that does not decode means this instance's memory is corrupt, so trap (the host
            // discards the instance) rather than read it as "no keys".
            true => ScanResponse::decode(scratch.as_slice()).expect("the host's ScanResponse does not decode"),
            false => ScanResponse::default(),
        }
    }

    fn scan_page(&self, request: &ScanRequest, visit: &mut dyn FnMut(&[u8], &[u8], u64) -> bool) -> Page {
        let mut scratch = self.scratch.borrow_mut();
        match self.scan_into(request, &mut scratch) {
            // As in scan: a page that does not decode means this instance's memory is corrupt.
            true => visit_scan_response(&scratch, visit).expect("the host's ScanResponse does not decode"),
            false => Page::default(),
        }
    }

    fn sequence(&self) -> u64 {
        // SAFETY: no memory is shared.
        unsafe { host_sequence() as u64 }
    }
}

#[cfg(target_arch = "wasm32")]
impl HostKeyValue {
    /// Scans into `scratch`; false when the host found no ordered store to scan.
    fn scan_into(&self, request: &ScanRequest, scratch: &mut Vec<u8>) -> bool {
        let encoded = request.encode_to_vec();
        scratch.clear();
        if scratch.capacity() < 4096 {
            scratch.reserve(4096);
        }
        // SAFETY: as in get_into.
        HostKeyValue::call_into(scratch, |ptr, cap| unsafe { host_scan(encoded.as_ptr(), encoded.len(), ptr, cap) })
            .is_some()
    }

    fn write_bytes(&self, encoded: &[u8]) -> Result<(), WriteError> {
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
    fn an_encoded_batch_is_what_prost_encodes() {
        let operations = vec![
            put(b"k", b"value".to_vec(), 0, Condition::Any, 0),
            put(&[7u8; 200], vec![1u8; 300], 1_700_000_000_000, Condition::Version, u64::MAX),
            put(b"e", Vec::new(), -5, Condition::Absent, 0),
            delete(b"d", Condition::Version, 129),
            delete(b"d", Condition::Any, 0),
            check(b"c", Condition::Present, 0),
        ];
        let mut batch = Batch::with_capacity(0);
        batch.put(b"k", b"value", 0, Condition::Any, 0);
        batch.put(&[7u8; 200], &[1u8; 300], 1_700_000_000_000, Condition::Version, u64::MAX);
        batch.put(b"e", &[], -5, Condition::Absent, 0);
        batch.delete(b"d", Condition::Version, 129);
        batch.delete(b"d", Condition::Any, 0);
        batch.check(b"c", Condition::Present, 0);
        let expected = WriteBatch { operations };
        assert_eq!(batch.as_bytes(), expected.encode_to_vec().as_slice());
        assert_eq!(batch.len(), 6);
        assert_eq!(batch.decode(), expected);
        assert!(Batch::default().is_empty());
        for value in [0, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out.len(), varint_len(value), "{}", value);
            assert_eq!(take_varint(&out), Some((value, &[][..])));
        }
    }

    #[test]
    fn an_encoded_scan_response_is_visited_in_place_as_prost_decodes_it() {
        let response = ScanResponse {
            entries: vec![
                Entry { key: b"a".to_vec(), value: vec![9; 300], version: 3, expires_at_millis: -1 },
                Entry { key: b"b".to_vec(), value: Vec::new(), version: 0, expires_at_millis: 0 },
                Entry { key: vec![0xff; 130], value: b"v".to_vec(), version: u64::MAX, expires_at_millis: 5 },
            ],
            more: true,
        };
        let mut seen = Vec::new();
        let page = visit_scan_response(&response.encode_to_vec(), &mut |key, value, version| {
            seen.push((key.to_vec(), value.to_vec(), version));
            true
        });
        let expected: Vec<_> = response.entries.iter().map(|e| (e.key.clone(), e.value.clone(), e.version)).collect();
        assert_eq!(seen, expected);
        assert_eq!(page, Some(Page { more: true, last_key: vec![0xff; 130] }));
        // A visitor that stops early still learns where the page ended.
        let mut visited = 0;
        let page = visit_scan_response(&response.encode_to_vec(), &mut |_, _, _| {
            visited += 1;
            false
        });
        assert_eq!(visited, 1);
        assert_eq!(page.map(|p| p.last_key), Some(vec![0xff; 130]));
        assert_eq!(visit_scan_response(&[0x0a, 5, 1], &mut |_, _, _| true), None, "a truncated entry");
        assert_eq!(visit_scan_response(&[], &mut |_, _, _| true), Some(Page::default()));
        // The trait's default visits a decoded page the same way.
        let kv = MemoryKeyValue::default();
        kv.write_encoded(&{
            let mut batch = Batch::default();
            batch.put(b"p/1", b"x", 0, Condition::Absent, 0);
            batch.put(b"p/2", b"y", 0, Condition::Absent, 0);
            batch
        })
        .unwrap();
        let mut keys = Vec::new();
        let request = ScanRequest { prefix: b"p/".to_vec(), limit: 1, ..Default::default() };
        let page = kv.scan_page(&request, &mut |key, _, _| {
            keys.push(key.to_vec());
            true
        });
        assert_eq!(keys, vec![b"p/1".to_vec()]);
        assert_eq!(page, Page { more: true, last_key: b"p/1".to_vec() });
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
