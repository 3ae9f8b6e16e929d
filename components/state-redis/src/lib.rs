//! The Redis state store, with the semantics of Dapr's `state.redis` and daprd's data layout, so that a Pillion
//! runtime and a daprd sidecar share one Redis and read each other's items: a hash per key with `data` and `version`
//! (the etag is the version in decimal, incremented with `HINCRBY` on every write) and a `first-write` marker after
//! a first-write save. Pillion adds one field, `contentType`, only for a save that has one (daprd ignores fields it
//! does not know).
//!
//! The host owns the connection (the `redis` capability); this guest owns the layout and Dapr's semantics. Every
//! write (a save, a delete, a bulk save or delete, a transaction) is one run of one Lua script ([`WRITE_SCRIPT`]):
//! it checks every etag first, against the keys as the earlier writes of the request leave them, and only then
//! applies every write and its TTL, so a request is all or nothing, in one round trip. A get is `HGETALL` and `PTTL`
//! in one pipeline (for `ttlExpireTime`), falling back to `GET` for a plain value of daprd's old layout.
//!
//! Etags and errors are those of `state.in-memory`: an etag must match the stored version exactly (an etag that is
//! no version, or one given for a missing key, is a mismatch), first-write without an etag only creates. An
//! instance holds nothing but the script's name, so the host pools instances freely.

use pillion_pdk::metadata::{rfc3339_utc, ttl_seconds, Properties, TTL_EXPIRE_TIME, TTL_IN_SECONDS};
use pillion_pdk::redis::{Commands, HostRedis, Redis, RedisError, Reply, Script};
use pillion_pdk::state::*;
use pillion_pdk::{export_state_store, Error, StateStore};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

const FEATURES: [&str; 3] = ["ETAG", "TRANSACTIONAL", "TTL"];

/// The script of every write; see its comments for its arguments.
pub const WRITE_SCRIPT: &str = include_str!("write.lua");

/// Arguments the script takes per write.
const ARGS_PER_WRITE: usize = 7;

/// The hash fields of daprd's layout, and Pillion's content type.
const DATA: &[u8] = b"data";
const VERSION: &[u8] = b"version";
const CONTENT_TYPE: &[u8] = b"contentType";

/// The store. Generic over the Redis client so the unit tests can run it against a real `redis-server`.
pub struct RedisStore<R: Redis = HostRedis> {
    name: String,
    redis: R,
    script: Script,
    /// The component's `ttlInSeconds`: the TTL of saves that give none.
    default_ttl: Option<i64>,
}

impl<R: Redis + Default> Default for RedisStore<R> {
    fn default() -> Self {
        RedisStore::with_redis(R::default())
    }
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

/// What a write requires of the stored item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Nothing (last-write without an etag).
    Any,
    /// No item (first-write without an etag).
    Absent,
    /// An item of exactly this version, in decimal; `None` for an etag that is no version, which matches nothing.
    Version(Option<String>),
}

impl Condition {
    /// The condition of an etag and a concurrency, as `state.in-memory` reads them.
    pub fn of(etag: &str, concurrency: &str) -> Condition {
        if etag.is_empty() {
            if concurrency == "first-write" {
                Condition::Absent
            } else {
                Condition::Any
            }
        } else {
            // Versions come from HINCRBY: positive integers. `01` is version 1, as the in-memory store reads it.
            Condition::Version(etag.parse::<u64>().ok().filter(|v| *v > 0).map(|v| v.to_string()))
        }
    }
}

/// What a save does to the key's expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Leaves it as it is (no TTL in the request nor the component), as daprd does.
    Keep,
    /// Removes it (`ttlInSeconds` of -1, or 0).
    Persist,
    /// Expires the key this many seconds after the write.
    Seconds(i64),
}

impl Ttl {
    /// The request's `ttlInSeconds`, else the component's.
    pub fn of(request: Option<i64>, component: Option<i64>) -> Ttl {
        match request.or(component) {
            None => Ttl::Keep,
            Some(seconds) if seconds > 0 => Ttl::Seconds(seconds),
            Some(_) => Ttl::Persist,
        }
    }
}

/// One write of a request, checked and ready for the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub key: String,
    /// The etag as given, for the error message.
    pub etag: String,
    pub condition: Condition,
    /// `None` for a delete.
    pub save: Option<Save>,
}

/// What a save writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Save {
    pub data: Vec<u8>,
    pub content_type: String,
    pub ttl: Ttl,
    /// daprd's `first-write` marker, set by a first-write save.
    pub first_write: bool,
}

/// Checks a save and stages it.
pub fn stage_set(request: SetRequest, default_ttl: Option<i64>) -> Result<Write, Error> {
    require_key(&request.key)?;
    let options = request.options.unwrap_or_default();
    check_options(&request.key, &options.concurrency, &options.consistency)?;
    let ttl = Ttl::of(ttl_seconds(&request.metadata)?, default_ttl);
    Ok(Write {
        condition: Condition::of(&request.etag, &options.concurrency),
        save: Some(Save {
            data: request.data,
            content_type: request.content_type,
            ttl,
            first_write: options.concurrency == "first-write",
        }),
        key: request.key,
        etag: request.etag,
    })
}

/// Checks a delete and stages it.
pub fn stage_delete(request: DeleteRequest) -> Result<Write, Error> {
    require_key(&request.key)?;
    let options = request.options.unwrap_or_default();
    check_options(&request.key, &options.concurrency, &options.consistency)?;
    Ok(Write { condition: Condition::of(&request.etag, &options.concurrency), save: None, key: request.key, etag: request.etag })
}

/// The TTL argument of a save.
fn ttl_arg(ttl: &Ttl) -> String {
    match ttl {
        Ttl::Keep => String::new(),
        Ttl::Persist => "p".into(),
        Ttl::Seconds(seconds) => seconds.to_string(),
    }
}

/// Visits the script's arguments of the writes, in order, without copying their data.
pub fn for_each_arg<'a>(writes: &'a [Write], ttls: &'a [String], mut visit: impl FnMut(&'a [u8])) {
    for (write, ttl) in writes.iter().zip(ttls) {
        let (condition, etag): (&[u8], &[u8]) = match &write.condition {
            Condition::Any => (b"a", b""),
            Condition::Absent => (b"n", b""),
            Condition::Version(Some(version)) => (b"v", version.as_bytes()),
            // No version is spelled with a letter: it equals no stored version.
            Condition::Version(None) => (b"v", b"x"),
        };
        match &write.save {
            Some(save) => {
                for arg in [
                    b"s".as_slice(),
                    condition,
                    etag,
                    &save.data,
                    save.content_type.as_bytes(),
                    ttl.as_bytes(),
                    if save.first_write { b"1".as_slice() } else { b"" },
                ] {
                    visit(arg);
                }
            }
            None => {
                for arg in [b"d".as_slice(), condition, etag, b"", b"", b"", b""] {
                    visit(arg);
                }
            }
        }
    }
}

/// The message of a failed condition, as the in-memory store words it.
pub fn mismatch(key: &str, etag: &str) -> Error {
    if etag.is_empty() {
        Error::etag_mismatch(key, "item already exists and no etag was given (first-write)")
    } else {
        Error::etag_mismatch(key, "etag does not match the stored item")
    }
}

/// Reads the script's reply: `{1}` applied, `{0, i}` the condition of write `i` (from 1) failed.
pub fn write_outcome(reply: &Reply, writes: &[Write]) -> Result<(), Error> {
    if let Some(error) = reply.as_error() {
        return Err(Error::Internal(format!("Redis refused the write: {}", error)));
    }
    let items = reply.as_array().unwrap_or(&[]);
    match (items.first().and_then(Reply::as_int), items.get(1).and_then(Reply::as_int)) {
        (Some(1), None) => Ok(()),
        (Some(0), Some(index)) if index >= 1 && (index as usize) <= writes.len() => {
            let write = &writes[index as usize - 1];
            Err(mismatch(&write.key, &write.etag))
        }
        _ => Err(Error::Internal(format!("unexpected reply of the write script: {}", reply.describe()))),
    }
}

/// The item in a `HGETALL` reply (fields and values, flattened) and the key's `PTTL`, at `now_ms`; `Ok(None)` for
/// a missing key. `Err` for a hash that is not a Dapr item.
pub fn item_from_hash(key: &str, fields: &[Reply], pttl: &Reply, now_ms: i64) -> Result<Option<GetResponse>, Error> {
    if fields.is_empty() {
        return Ok(None);
    }
    let (mut data, mut version, mut content_type) = (None, None, None);
    for pair in fields.chunks(2) {
        if let [field, value] = pair {
            match field.as_bulk() {
                Some(DATA) => data = value.as_bulk(),
                Some(VERSION) => version = value.as_bulk(),
                Some(CONTENT_TYPE) => content_type = value.as_bulk(),
                _ => {}
            }
        }
    }
    let (data, version) = match (data, version) {
        (Some(data), Some(version)) => (data, version),
        _ => {
            return Err(Error::Internal(format!(
                "key '{}': the hash has no 'data' or no 'version' field, so it is not a Dapr state item",
                key
            )))
        }
    };
    Ok(Some(GetResponse {
        data: data.to_vec(),
        etag: String::from_utf8_lossy(version).into_owned(),
        metadata: expiry(pttl, now_ms),
        content_type: content_type.map(|c| String::from_utf8_lossy(c).into_owned()).unwrap_or_default(),
    }))
}

/// `ttlExpireTime` from a key's remaining milliseconds (`PTTL`; -1 no expiry, -2 no key).
pub fn expiry(pttl: &Reply, now_ms: i64) -> HashMap<String, String> {
    let mut metadata = HashMap::new();
    if let Some(remaining) = pttl.as_int().filter(|ms| *ms >= 0) {
        metadata.insert(TTL_EXPIRE_TIME.to_string(), rfc3339_utc(now_ms.saturating_add(remaining).div_euclid(1000)));
    }
    metadata
}

/// The `ttlInSeconds` of the component's metadata.
pub fn component_ttl(properties: &Properties) -> Result<Option<i64>, Error> {
    match properties.get(TTL_IN_SECONDS).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => value.parse::<i64>().map(Some).map_err(|_| {
            Error::InvalidArgument(format!(
                "metadata '{}' of the Redis state store must be an integer (seconds), got '{}'",
                TTL_IN_SECONDS, value
            ))
        }),
    }
}

/// A read of one key: its `HGETALL` and `PTTL`, or a `GET` for a plain value.
enum Read {
    Done(Result<GetResponse, Error>),
    PlainValue(HashMap<String, String>),
}

impl<R: Redis> RedisStore<R> {
    /// A store over a given Redis client (the tests' client of a real server).
    pub fn with_redis(redis: R) -> Self {
        RedisStore { name: String::new(), redis, script: Script::new(WRITE_SCRIPT), default_ttl: None }
    }

    fn unavailable(&self, error: RedisError) -> Error {
        // The state contract has no code for an unavailable backend: daprd answers such failures as internal errors
        // (500, ERR_STATE_*), and so does the host for an uncoded message.
        Error::Internal(format!("Redis state store '{}': {}", self.name, error))
    }

    /// Runs writes as one script: all or nothing.
    fn apply(&self, writes: Vec<Write>) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        let ttls: Vec<String> =
            writes.iter().map(|w| w.save.as_ref().map(|s| ttl_arg(&s.ttl)).unwrap_or_default()).collect();
        let mut args: Vec<&[u8]> = Vec::with_capacity(writes.len() * ARGS_PER_WRITE);
        for_each_arg(&writes, &ttls, |arg| args.push(arg));
        let keys = writes.iter().map(|w| w.key.as_bytes());
        let reply = self.script.run(&self.redis, 0, keys, args.iter().copied()).map_err(|e| self.unavailable(e))?;
        write_outcome(&reply, &writes)
    }

    /// Adds a key's reads to a pipeline.
    fn read_commands(commands: &mut Commands, key: &str) {
        commands.command([b"HGETALL".as_slice(), key.as_bytes()]);
        commands.command([b"PTTL".as_slice(), key.as_bytes()]);
    }

    fn read(key: &str, hash: &Reply, pttl: &Reply, now: i64) -> Read {
        if hash.is_error_code("WRONGTYPE") {
            return Read::PlainValue(expiry(pttl, now));
        }
        if let Some(error) = hash.as_error() {
            return Read::Done(Err(Error::Internal(format!("key '{}': Redis refused the read: {}", key, error))));
        }
        let fields = match hash.as_array() {
            Some(fields) => fields,
            None if hash.is_nil() => &[],
            None => {
                return Read::Done(Err(Error::Internal(format!(
                    "key '{}': unexpected reply to HGETALL: {}",
                    key,
                    hash.describe()
                ))))
            }
        };
        Read::Done(item_from_hash(key, fields, pttl, now).map(Option::unwrap_or_default))
    }

    /// Reads plain values (daprd's old layout) with `GET`, in one pipeline: data without an etag.
    fn read_plain(&self, keys: &[(usize, &str, HashMap<String, String>)]) -> Result<Vec<Result<GetResponse, Error>>, Error> {
        let mut commands = Commands::pipeline();
        for (_, key, _) in keys {
            commands.command([b"GET".as_slice(), key.as_bytes()]);
        }
        let replies = self.redis.execute(&commands).map_err(|e| self.unavailable(e))?;
        Ok(keys
            .iter()
            .zip(replies)
            .map(|((_, key, metadata), reply)| match reply.as_error() {
                Some(error) => Err(Error::Internal(format!("key '{}': Redis refused the read: {}", key, error))),
                None => Ok(GetResponse {
                    data: reply.into_bulk().unwrap_or_default(),
                    metadata: metadata.clone(),
                    ..Default::default()
                }),
            })
            .collect())
    }

    /// Reads keys in one pipeline (and a second one for plain values).
    fn read_all(&self, keys: &[&str], now: i64) -> Result<Vec<Result<GetResponse, Error>>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut commands = Commands::pipeline();
        for key in keys {
            Self::read_commands(&mut commands, key);
        }
        let replies = self.redis.execute(&commands).map_err(|e| self.unavailable(e))?;
        if replies.len() != 2 * keys.len() {
            return Err(Error::Internal(format!(
                "Redis state store '{}': {} replies to {} commands",
                self.name,
                replies.len(),
                2 * keys.len()
            )));
        }
        let mut results = Vec::with_capacity(keys.len());
        let mut plain = Vec::new();
        for (index, (key, pair)) in keys.iter().zip(replies.chunks(2)).enumerate() {
            match Self::read(key, &pair[0], &pair[1], now) {
                Read::Done(result) => results.push(result),
                Read::PlainValue(metadata) => {
                    results.push(Ok(GetResponse::default()));
                    plain.push((index, *key, metadata));
                }
            }
        }
        if !plain.is_empty() {
            for ((index, _, _), result) in plain.iter().zip(self.read_plain(&plain)?) {
                results[*index] = result;
            }
        }
        Ok(results)
    }

    /// `get` at a given time.
    pub fn get_at(&mut self, request: GetRequest, now: i64) -> Result<GetResponse, Error> {
        require_key(&request.key)?;
        if let Some(options) = request.options.as_ref() {
            check_options(&request.key, "", &options.consistency)?;
        }
        self.read_all(&[request.key.as_str()], now)?.remove(0)
    }

    /// `bulk_get` at a given time: one pipeline for every key.
    pub fn bulk_get_at(&mut self, request: BulkGetRequest, now: i64) -> Result<BulkGetResponse, Error> {
        let mut items = Vec::with_capacity(request.items.len());
        let mut keys = Vec::with_capacity(request.items.len());
        for (index, get) in request.items.iter().enumerate() {
            match require_key(&get.key) {
                Ok(()) => keys.push((index, get.key.as_str())),
                Err(e) => items.push((index, BulkGetItem::from_get(get.key.clone(), Err(e)))),
            }
        }
        let names: Vec<&str> = keys.iter().map(|(_, key)| *key).collect();
        let results = self.read_all(&names, now)?;
        for ((index, key), result) in keys.iter().zip(results) {
            items.push((*index, BulkGetItem::from_get(key.to_string(), result)));
        }
        items.sort_by_key(|(index, _)| *index);
        Ok(BulkGetResponse { items: items.into_iter().map(|(_, item)| item).collect() })
    }
}

impl<R: Redis> StateStore for RedisStore<R> {
    fn init(&mut self, metadata: Metadata) -> Result<(), Error> {
        self.name = metadata.name;
        let properties = Properties::new(&metadata.properties)?;
        // `actorStateStore` is accepted as daprd accepts it; the host checks the connection settings
        // (`redisHost`, `redisType`, `failover`, ...) and keeps them out of the guest. Anything else is ignored.
        self.default_ttl = component_ttl(&properties)?;
        Ok(())
    }

    fn features(&self) -> Vec<String> {
        FEATURES.iter().map(|f| f.to_string()).collect()
    }

    fn get(&mut self, request: GetRequest) -> Result<GetResponse, Error> {
        self.get_at(request, now_ms())
    }

    fn set(&mut self, request: SetRequest) -> Result<(), Error> {
        let write = stage_set(request, self.default_ttl)?;
        self.apply(vec![write])
    }

    fn delete(&mut self, request: DeleteRequest) -> Result<(), Error> {
        self.apply(vec![stage_delete(request)?])
    }

    fn bulk_get(&mut self, request: BulkGetRequest) -> Result<BulkGetResponse, Error> {
        self.bulk_get_at(request, now_ms())
    }

    fn bulk_set(&mut self, request: BulkSetRequest) -> Result<(), Error> {
        let ttl = self.default_ttl;
        let writes = request.items.into_iter().map(|set| stage_set(set, ttl)).collect::<Result<Vec<_>, _>>()?;
        self.apply(writes)
    }

    fn bulk_delete(&mut self, request: BulkDeleteRequest) -> Result<(), Error> {
        let writes = request.items.into_iter().map(stage_delete).collect::<Result<Vec<_>, _>>()?;
        self.apply(writes)
    }

    fn transact(&mut self, request: TransactRequest) -> Result<(), Error> {
        let mut writes = Vec::with_capacity(request.operations.len());
        for (index, operation) in request.operations.into_iter().enumerate() {
            writes.push(match operation.operation {
                Some(transact_operation::Operation::Set(set)) => stage_set(set, self.default_ttl)?,
                Some(transact_operation::Operation::Delete(delete)) => stage_delete(delete)?,
                None => {
                    return Err(Error::InvalidArgument(format!(
                        "transaction operation {} has neither set nor delete",
                        index
                    )))
                }
            });
        }
        self.apply(writes)
    }

    fn ping(&mut self) -> Result<(), Error> {
        let mut ping = Commands::pipeline();
        ping.text(&["PING"]);
        let replies = self.redis.execute(&ping).map_err(|e| self.unavailable(e))?;
        match replies.first().and_then(Reply::as_error) {
            Some(error) => Err(Error::Internal(format!("Redis state store '{}': PING failed: {}", self.name, error))),
            None => Ok(()),
        }
    }
}

export_state_store!(RedisStore);

#[cfg(test)]
mod tests;
