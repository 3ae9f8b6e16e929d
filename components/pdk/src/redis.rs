//! The `redis` host capability: commands on the one Redis the component's YAML names, over a connection the host
//! owns (address, credentials, TLS, reconnects and deadlines never enter the guest; docs/abi.md, "Host
//! capabilities", `redis`).
//!
//! Build a request with [`Commands`] (a pipeline, a MULTI/EXEC transaction or a blocking read; each argument is
//! copied once, into the encoded request), run it with a [`Redis`] (in a component, [`HostRedis`], which calls the
//! imports of `pillion_redis_v1`) and read the [`Reply`]s with their accessors (`as_bulk`, `as_int`, ...). A reply
//! that is a Redis error (`WRONGTYPE`, `NOSCRIPT`, a script's error) is a [`Reply`] whose `as_error` is set; a call
//! that failed as a whole is a [`RedisError`]. [`Script`] runs a Lua script by its SHA-1 and loads it on `NOSCRIPT`.
//!
//! On the build machine, [`testing::TcpRedis`] speaks RESP to a real `redis-server` that
//! [`testing::RedisServer`] starts, so that components test their scripts against Redis itself.

use crate::redis_messages::{reply, Response};
use prost::Message;
use std::fmt;

pub use crate::redis_messages::request::Mode;
pub use crate::redis_messages::Reply;

/// Why a call failed as a whole; nothing is known about what the server did with its commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisError {
    /// The host has no working connection, or lost it during the call (status 1).
    Unavailable(String),
    /// No reply within the call's deadline (status 2).
    Deadline(String),
    /// The request broke a rule of the capability (a denied command, a blocking command outside a blocking
    /// request, too many commands); nothing was sent (status 3).
    Refused(String),
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisError::Unavailable(reason) => write!(f, "Redis is unavailable: {}", reason),
            RedisError::Deadline(reason) => write!(f, "Redis did not answer in time: {}", reason),
            RedisError::Refused(reason) => write!(f, "the Redis capability refused the request: {}", reason),
        }
    }
}

impl std::error::Error for RedisError {}

impl RedisError {
    /// The error of a failed `execute`, from its status and UTF-8 reason.
    pub fn from_status(status: u32, reason: &[u8]) -> RedisError {
        let reason = String::from_utf8_lossy(reason).into_owned();
        match status {
            1 => RedisError::Unavailable(reason),
            2 => RedisError::Deadline(reason),
            3 => RedisError::Refused(reason),
            other => RedisError::Unavailable(format!("unknown status {} from the host: {}", other, reason)),
        }
    }
}

/// The commands of one request, encoded as the capability's `Request` as they are added: each argument is copied
/// once, into the request's bytes, with no `Command` message per command.
#[derive(Clone, Debug)]
pub struct Commands {
    bytes: Vec<u8>,
    commands: usize,
}

impl Commands {
    /// A pipeline: the commands are sent together; each gets its own reply, errors included.
    pub fn pipeline() -> Commands {
        Commands::new(Mode::Pipeline, 0, false)
    }

    /// A MULTI/EXEC transaction: Redis runs the commands with no other client's command in between (and does not
    /// roll the others back when one fails).
    pub fn transaction() -> Commands {
        Commands::new(Mode::Transaction, 0, false)
    }

    /// A request whose commands may block on the server (`XREADGROUP ... BLOCK`), run on a connection of its own;
    /// the host gives up after `timeout_millis` (0: the component's `readTimeout`).
    pub fn blocking(timeout_millis: u32) -> Commands {
        Commands::new(Mode::Pipeline, timeout_millis, true)
    }

    /// A request with every option given: its mode, its deadline (0: the component's default) and whether it may
    /// block.
    pub fn new(mode: Mode, timeout_millis: u32, blocking: bool) -> Commands {
        // The options come first: protobuf fields may come in any order, and so the commands can be appended.
        let mut bytes = Vec::with_capacity(64);
        if mode != Mode::Pipeline {
            bytes.push(0x10);
            put_varint(&mut bytes, mode as u64);
        }
        if timeout_millis != 0 {
            bytes.push(0x18);
            put_varint(&mut bytes, u64::from(timeout_millis));
        }
        if blocking {
            bytes.extend_from_slice(&[0x20, 1]);
        }
        Commands { bytes, commands: 0 }
    }

    /// Adds a command: its name and arguments.
    pub fn command<'a, I>(&mut self, args: I) -> &mut Commands
    where
        I: IntoIterator<Item = &'a [u8]>,
        I::IntoIter: Clone,
    {
        self.command_with_head(&[], args)
    }

    /// Adds a command whose first arguments (`head`: its name, a script's SHA-1, a count) live apart from the rest.
    pub fn command_with_head<'a, I>(&mut self, head: &[&[u8]], rest: I) -> &mut Commands
    where
        I: IntoIterator<Item = &'a [u8]>,
        I::IntoIter: Clone,
    {
        let rest = rest.into_iter();
        let field = |arg: &[u8]| 1 + varint_len(arg.len() as u64) + arg.len();
        let length: usize = head.iter().map(|arg| field(arg)).sum::<usize>() + rest.clone().map(field).sum::<usize>();
        self.bytes.reserve(1 + varint_len(length as u64) + length);
        // Field 1 of Request (commands), then field 1 of Command (args) per argument.
        self.bytes.push(0x0a);
        put_varint(&mut self.bytes, length as u64);
        for arg in head.iter().copied() {
            self.push_arg(arg);
        }
        for arg in rest {
            self.push_arg(arg);
        }
        self.commands += 1;
        self
    }

    fn push_arg(&mut self, arg: &[u8]) {
        self.bytes.push(0x0a);
        put_varint(&mut self.bytes, arg.len() as u64);
        self.bytes.extend_from_slice(arg);
    }

    /// Adds a command given as text arguments (names, keys and numbers).
    pub fn text(&mut self, args: &[&str]) -> &mut Commands {
        self.command(args.iter().map(|arg| arg.as_bytes()))
    }

    /// How many commands the request holds.
    pub fn len(&self) -> usize {
        self.commands
    }

    /// Whether the request holds no command.
    pub fn is_empty(&self) -> bool {
        self.commands == 0
    }

    /// The encoded `Request`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The request as the generated message (for in-process clients and tests).
    pub fn decode(&self) -> crate::redis_messages::Request {
        crate::redis_messages::Request::decode(self.bytes.as_slice()).expect("Commands encode a Request")
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

impl Reply {
    /// A bulk string reply.
    pub fn bulk(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply { value: Some(reply::Value::Bulk(bytes.into())) }
    }

    /// An integer reply.
    pub fn integer(value: i64) -> Reply {
        Reply { value: Some(reply::Value::Integer(value)) }
    }

    /// A simple string (status) reply.
    pub fn status(text: &str) -> Reply {
        Reply { value: Some(reply::Value::Status(text.as_bytes().to_vec())) }
    }

    /// An error reply, its text without the dash.
    pub fn error(text: &str) -> Reply {
        Reply { value: Some(reply::Value::Error(text.to_string())) }
    }

    /// A nil reply.
    pub fn nil() -> Reply {
        Reply { value: Some(reply::Value::Nil(true)) }
    }

    /// An array reply.
    pub fn array(items: Vec<Reply>) -> Reply {
        Reply { value: Some(reply::Value::Array(crate::redis_messages::Replies { items })) }
    }

    /// The bytes of a bulk string or a simple string.
    pub fn as_bulk(&self) -> Option<&[u8]> {
        match &self.value {
            Some(reply::Value::Bulk(bytes)) | Some(reply::Value::Status(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// The reply taken as a bulk or simple string, without a copy.
    pub fn into_bulk(self) -> Option<Vec<u8>> {
        match self.value {
            Some(reply::Value::Bulk(bytes)) | Some(reply::Value::Status(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// An integer reply, or a bulk or simple string holding a decimal integer (Redis sends many numbers as bulk
    /// strings: `HGET` of a counter, stream ids' parts).
    pub fn as_int(&self) -> Option<i64> {
        match &self.value {
            Some(reply::Value::Integer(value)) => Some(*value),
            Some(reply::Value::Bulk(bytes)) | Some(reply::Value::Status(bytes)) => {
                std::str::from_utf8(bytes).ok()?.parse().ok()
            }
            _ => None,
        }
    }

    /// The items of an array (or flattened map) reply.
    pub fn as_array(&self) -> Option<&[Reply]> {
        match &self.value {
            Some(reply::Value::Array(replies)) => Some(&replies.items),
            _ => None,
        }
    }

    /// The reply taken as an array, without a copy.
    pub fn into_array(self) -> Option<Vec<Reply>> {
        match self.value {
            Some(reply::Value::Array(replies)) => Some(replies.items),
            _ => None,
        }
    }

    /// Whether the reply is nil (a missing key, a nil bulk string or array, or no value at all).
    pub fn is_nil(&self) -> bool {
        matches!(self.value, Some(reply::Value::Nil(_)) | None)
    }

    /// The text of an error reply (`WRONGTYPE Operation against a key ...`).
    pub fn as_error(&self) -> Option<&str> {
        match &self.value {
            Some(reply::Value::Error(text)) => Some(text),
            _ => None,
        }
    }

    /// Whether the reply is an error whose code (its first word) is `code`: `NOSCRIPT`, `WRONGTYPE`, `BUSYGROUP`.
    pub fn is_error_code(&self, code: &str) -> bool {
        self.as_error().map_or(false, |text| text.split(' ').next() == Some(code))
    }

    /// A short description for error messages: the error's text, or the reply's type.
    pub fn describe(&self) -> String {
        match &self.value {
            Some(reply::Value::Error(text)) => text.clone(),
            Some(reply::Value::Status(_)) => "a simple string".into(),
            Some(reply::Value::Bulk(_)) => "a bulk string".into(),
            Some(reply::Value::Integer(value)) => format!("the integer {}", value),
            Some(reply::Value::Array(replies)) => format!("an array of {}", replies.items.len()),
            Some(reply::Value::Double(value)) => format!("the double {}", value),
            Some(reply::Value::Nil(_)) | None => "nil".into(),
        }
    }
}

/// The capability's operation: run a request, get one reply per command, in order.
pub trait Redis {
    /// Runs the commands as the request says (pipeline, transaction, blocking).
    fn execute(&self, commands: &Commands) -> Result<Vec<Reply>, RedisError>;
}

impl<R: Redis + ?Sized> Redis for &R {
    fn execute(&self, commands: &Commands) -> Result<Vec<Reply>, RedisError> {
        (**self).execute(commands)
    }
}

/// A Lua script, run with `EVALSHA` by its SHA-1 and sent whole with `EVAL` (which loads it) only when the server
/// answers `NOSCRIPT`: after a restart, a `SCRIPT FLUSH` or on first use.
#[derive(Clone, Debug)]
pub struct Script {
    source: &'static str,
    sha: String,
}

impl Script {
    /// The script and its SHA-1, computed once.
    pub fn new(source: &'static str) -> Script {
        Script { source, sha: sha1_hex(source.as_bytes()) }
    }

    /// The script's SHA-1 in lower-case hexadecimal, as `SCRIPT LOAD` answers it.
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// The script's source.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Runs the script with its keys and arguments; its reply (an error reply for a script's error).
    pub fn run<'a, K, A>(&self, redis: &dyn Redis, timeout_millis: u32, keys: K, args: A) -> Result<Reply, RedisError>
    where
        K: IntoIterator<Item = &'a [u8]>,
        K::IntoIter: Clone + ExactSizeIterator,
        A: IntoIterator<Item = &'a [u8]>,
        A::IntoIter: Clone,
    {
        let keys = keys.into_iter();
        let args = args.into_iter();
        let key_count = keys.len().to_string();
        let by_sha = self.command(self.sha.as_bytes(), b"EVALSHA", timeout_millis, &key_count, keys.clone(), args.clone());
        let reply = first(redis.execute(&by_sha)?)?;
        if !reply.is_error_code("NOSCRIPT") {
            return Ok(reply);
        }
        let whole = self.command(self.source.as_bytes(), b"EVAL", timeout_millis, &key_count, keys, args);
        first(redis.execute(&whole)?)
    }

    fn command<'a>(
        &self,
        script: &[u8],
        name: &'static [u8],
        timeout_millis: u32,
        key_count: &str,
        keys: impl Iterator<Item = &'a [u8]> + Clone,
        args: impl Iterator<Item = &'a [u8]> + Clone,
    ) -> Commands {
        let mut commands = Commands::new(Mode::Pipeline, timeout_millis, false);
        commands.command_with_head(&[name, script, key_count.as_bytes()], keys.chain(args));
        commands
    }
}

/// The only reply of a one-command request.
fn first(replies: Vec<Reply>) -> Result<Reply, RedisError> {
    let count = replies.len();
    replies
        .into_iter()
        .next()
        .filter(|_| count == 1)
        .ok_or_else(|| RedisError::Unavailable(format!("the host answered {} replies to one command", count)))
}

/// SHA-1 (FIPS 180-4) in lower-case hexadecimal: the name Redis gives a script.
pub fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let mut message = data.to_vec();
    let bit_length = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_length.to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let next = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = next;
        }
        for (state, add) in h.iter_mut().zip([a, b, c, d, e]) {
            *state = state.wrapping_add(add);
        }
    }
    h.iter().map(|word| format!("{:08x}", word)).collect()
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "pillion_redis_v1")]
extern "C" {
    #[link_name = "execute"]
    fn host_execute(request_ptr: *const u8, request_len: usize) -> i64;
    #[link_name = "take"]
    fn host_take(out_ptr: *mut u8, out_cap: usize) -> i32;
}

/// The host's Redis, through the capability's imports (the component must be granted `redis`). Holds only a
/// reusable buffer for answers.
#[derive(Default)]
pub struct HostRedis {
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    answer: std::cell::RefCell<Vec<u8>>,
}

#[cfg(target_arch = "wasm32")]
impl Redis for HostRedis {
    fn execute(&self, commands: &Commands) -> Result<Vec<Reply>, RedisError> {
        let request = commands.as_bytes();
        // SAFETY: the host reads `request` within this call only.
        let packed = unsafe { host_execute(request.as_ptr(), request.len()) } as u64;
        let status = (packed >> 32) as u32;
        let length = (packed & 0xffff_ffff) as usize;
        let mut answer = self.answer.borrow_mut();
        answer.clear();
        answer.reserve(length);
        // SAFETY: the buffer has room for `length` bytes, and `take` writes at most `out_cap`, the whole answer.
        let copied = unsafe { host_take(answer.as_mut_ptr(), length) };
        let copied = usize::try_from(copied).unwrap_or(0).min(length);
        // SAFETY: the host wrote `copied` bytes.
        unsafe { answer.set_len(copied) };
        let result = if status == 0 {
            Response::decode(answer.as_slice())
                .map(|response| response.replies)
                .map_err(|e| RedisError::Unavailable(format!("malformed answer from the host: {}", e)))
        } else {
            Err(RedisError::from_status(status, &answer))
        };
        // A large answer (a big value) is not kept for the instance's lifetime.
        if answer.capacity() > 1 << 20 {
            *answer = Vec::new();
        }
        result
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Redis for HostRedis {
    fn execute(&self, _commands: &Commands) -> Result<Vec<Reply>, RedisError> {
        panic!("HostRedis needs the Wasm host; use pillion_pdk::redis::testing::TcpRedis in tests")
    }
}

/// Decodes a host answer of status 0 (for in-process implementations of [`Redis`]).
pub fn decode_response(answer: &[u8]) -> Result<Vec<Reply>, RedisError> {
    Response::decode(answer)
        .map(|response| response.replies)
        .map_err(|e| RedisError::Unavailable(format!("malformed answer: {}", e)))
}

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis_messages::{Command, Request};

    #[test]
    fn commands_encode_as_prost_does() {
        let mut commands = Commands::pipeline();
        commands.text(&["HGETALL", "app||k"]).command([b"SET".as_slice(), b"k", &[0u8, 255, 10]]);
        let long = vec![7u8; 300];
        commands.command([b"SET".as_slice(), b"big", &long]);
        commands.command(std::iter::empty());
        let expected = Request {
            commands: vec![
                Command { args: vec![b"HGETALL".to_vec(), b"app||k".to_vec()] },
                Command { args: vec![b"SET".to_vec(), b"k".to_vec(), vec![0, 255, 10]] },
                Command { args: vec![b"SET".to_vec(), b"big".to_vec(), long.clone()] },
                Command { args: vec![] },
            ],
            mode: Mode::Pipeline as i32,
            timeout_millis: 0,
            blocking: false,
        };
        assert_eq!(commands.as_bytes(), expected.encode_to_vec().as_slice());
        assert_eq!(commands.len(), 4);
        assert_eq!(commands.decode(), expected);
    }

    #[test]
    fn options_are_encoded_whatever_their_place() {
        let mut blocking = Commands::blocking(1500);
        blocking.text(&["XREADGROUP", "GROUP", "g", "c", "BLOCK", "1000", "STREAMS", "s", ">"]);
        let decoded = blocking.decode();
        assert!(decoded.blocking);
        assert_eq!(decoded.timeout_millis, 1500);
        assert_eq!(decoded.mode, Mode::Pipeline as i32);
        assert_eq!(decoded.commands.len(), 1);
        let mut transaction = Commands::transaction();
        transaction.text(&["INCR", "k"]);
        assert_eq!(transaction.decode().mode, Mode::Transaction as i32);
        assert!(Commands::pipeline().is_empty());
        assert!(Commands::pipeline().as_bytes().is_empty());
    }

    #[test]
    fn replies_have_accessors() {
        assert_eq!(Reply::bulk(b"v".to_vec()).as_bulk(), Some(b"v".as_slice()));
        assert_eq!(Reply::status("OK").as_bulk(), Some(b"OK".as_slice()));
        assert_eq!(Reply::integer(-2).as_int(), Some(-2));
        assert_eq!(Reply::bulk(b"42".to_vec()).as_int(), Some(42));
        assert_eq!(Reply::bulk(b"4x".to_vec()).as_int(), None);
        assert!(Reply::nil().is_nil());
        assert!(Reply::default().is_nil());
        assert!(!Reply::bulk(Vec::new()).is_nil());
        let array = Reply::array(vec![Reply::integer(1), Reply::nil()]);
        assert_eq!(array.as_array().map(|items| items.len()), Some(2));
        assert_eq!(array.clone().into_array().unwrap()[0], Reply::integer(1));
        let error = Reply::error("NOSCRIPT No matching script. Please use EVAL.");
        assert!(error.is_error_code("NOSCRIPT"));
        assert!(!error.is_error_code("NOSCRIPTS"));
        assert!(!Reply::bulk(b"NOSCRIPT".to_vec()).is_error_code("NOSCRIPT"));
        assert_eq!(error.as_bulk(), None);
        assert_eq!(Reply::integer(3).describe(), "the integer 3");
    }

    #[test]
    fn statuses_become_errors() {
        assert_eq!(RedisError::from_status(1, b"connection reset"), RedisError::Unavailable("connection reset".into()));
        assert_eq!(RedisError::from_status(2, b"5000 ms"), RedisError::Deadline("5000 ms".into()));
        assert_eq!(RedisError::from_status(3, b"AUTH is denied"), RedisError::Refused("AUTH is denied".into()));
        assert!(matches!(RedisError::from_status(9, b"x"), RedisError::Unavailable(m) if m.contains("status 9")));
        assert_eq!(RedisError::Deadline("5000 ms".into()).to_string(), "Redis did not answer in time: 5000 ms");
    }

    #[test]
    fn sha1_matches_the_standard_vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(sha1_hex(&vec![b'a'; 1_000_000]), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    /// A client that answers from a list, recording what it was sent.
    struct Scripted {
        answers: std::cell::RefCell<Vec<Vec<Reply>>>,
        sent: std::cell::RefCell<Vec<Request>>,
    }

    impl Redis for Scripted {
        fn execute(&self, commands: &Commands) -> Result<Vec<Reply>, RedisError> {
            self.sent.borrow_mut().push(commands.decode());
            Ok(self.answers.borrow_mut().remove(0))
        }
    }

    #[test]
    fn scripts_run_by_sha_and_load_on_noscript() {
        let script = Script::new("return ARGV[1]");
        let redis = Scripted {
            answers: std::cell::RefCell::new(vec![
                vec![Reply::error("NOSCRIPT No matching script. Please use EVAL.")],
                vec![Reply::bulk(b"x".to_vec())],
                vec![Reply::bulk(b"y".to_vec())],
            ]),
            sent: Default::default(),
        };
        let key: &[u8] = b"k";
        let arg: &[u8] = b"x";
        assert_eq!(script.run(&redis, 0, [key], [arg]).unwrap(), Reply::bulk(b"x".to_vec()));
        assert_eq!(script.run(&redis, 0, [key], [arg]).unwrap(), Reply::bulk(b"y".to_vec()));
        let sent = redis.sent.borrow();
        let names: Vec<&[u8]> = sent.iter().map(|r| r.commands[0].args[0].as_slice()).collect();
        assert_eq!(names, vec![b"EVALSHA".as_slice(), b"EVAL", b"EVALSHA"]);
        assert_eq!(sent[0].commands[0].args[1], script.sha().as_bytes());
        assert_eq!(sent[1].commands[0].args[1], script.source().as_bytes());
        assert_eq!(sent[1].commands[0].args[2..], [b"1".to_vec(), b"k".to_vec(), b"x".to_vec()]);
    }
}
