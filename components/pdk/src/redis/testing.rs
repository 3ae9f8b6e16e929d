//! Redis itself for the components' unit tests on the build machine: [`RedisServer`] starts a private
//! `redis-server` (Debian's, which `scripts/install-toolchain.sh` installs) on a free loopback port, and
//! [`TcpRedis`] implements [`Redis`] over RESP2 as the host's capability does over its own client, so a component's
//! scripts and command sequences are tested against the server that runs them in production, not against a model.

use super::{Commands, Mode, Redis, RedisError};
use crate::redis_messages::Reply;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` of its own for one test, with no persistence; stopped when dropped.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not start: the tests need it, as the Java side's do.
    pub fn start() -> RedisServer {
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free loopback port")
                .port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start redis-server ({}); scripts/install-toolchain.sh installs it", e)
                });
            let mut server = RedisServer { child, port };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    // Exited: most likely the port was taken meanwhile; try another.
                    break;
                }
                if let Ok(client) = TcpRedis::connect(port) {
                    let mut ping = Commands::pipeline();
                    ping.text(&["PING"]);
                    if client.execute(&ping).is_ok() {
                        return server;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = server.child.kill();
        }
        panic!("redis-server did not start")
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new client of the server.
    pub fn client(&self) -> TcpRedis {
        TcpRedis::connect(self.port).expect("connecting to the test's redis-server")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A RESP2 client implementing [`Redis`] as the host capability does: pipelines on one connection, transactions
/// wrapped in MULTI/EXEC, blocking requests on a connection of their own, a deadline per call (5 s by default).
pub struct TcpRedis {
    port: u16,
    connection: RefCell<Option<Connection>>,
}

struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

impl TcpRedis {
    /// Connects to a server on 127.0.0.1.
    pub fn connect(port: u16) -> Result<TcpRedis, RedisError> {
        let connection = Connection::open(port)?;
        Ok(TcpRedis { port, connection: RefCell::new(Some(connection)) })
    }

    /// Runs one command and returns its reply (test set-up and inspection).
    pub fn call(&self, args: &[&[u8]]) -> Reply {
        let mut commands = Commands::pipeline();
        commands.command(args.iter().copied());
        self.execute(&commands).expect("the test's redis-server answers").remove(0)
    }

    /// Drops the connection: the next call fails as the host's does while Redis is down, then reconnects.
    pub fn disconnect(&self) {
        *self.connection.borrow_mut() = None;
    }
}

impl Connection {
    fn open(port: u16) -> Result<Connection, RedisError> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| RedisError::Unavailable(e.to_string()))?;
        stream.set_nodelay(true).map_err(|e| RedisError::Unavailable(e.to_string()))?;
        let reader = BufReader::new(stream.try_clone().map_err(|e| RedisError::Unavailable(e.to_string()))?);
        Ok(Connection { writer: stream, reader })
    }

    fn run(&mut self, commands: &Commands, timeout: Duration) -> Result<Vec<Reply>, RedisError> {
        let request = commands.decode();
        let transaction = request.mode == Mode::Transaction as i32;
        let mut out = Vec::new();
        if transaction {
            encode(&mut out, &[b"MULTI".to_vec()]);
        }
        for command in &request.commands {
            encode(&mut out, &command.args);
        }
        if transaction {
            encode(&mut out, &[b"EXEC".to_vec()]);
        }
        let io = |e: std::io::Error| match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => RedisError::Deadline(format!("no reply within {:?}", timeout)),
            _ => RedisError::Unavailable(e.to_string()),
        };
        self.writer.set_read_timeout(Some(timeout)).map_err(io)?;
        self.writer.write_all(&out).map_err(io)?;
        if !transaction {
            return request.commands.iter().map(|_| read_reply(&mut self.reader).map_err(io)).collect();
        }
        read_reply(&mut self.reader).map_err(io)?; // +OK of MULTI
        let mut queued = Vec::with_capacity(request.commands.len());
        for _ in &request.commands {
            queued.push(read_reply(&mut self.reader).map_err(io)?);
        }
        let exec = read_reply(&mut self.reader).map_err(io)?;
        match exec.into_array() {
            Some(replies) => Ok(replies),
            // EXECABORT: a command was refused when queued; each gets its queueing reply (the error, or QUEUED).
            None => Ok(queued),
        }
    }
}

impl Redis for TcpRedis {
    fn execute(&self, commands: &Commands) -> Result<Vec<Reply>, RedisError> {
        let request = commands.decode();
        let timeout = match request.timeout_millis {
            0 => DEFAULT_TIMEOUT,
            millis => Duration::from_millis(u64::from(millis)),
        };
        if request.blocking {
            // As the host does: a blocking request runs on a connection of its own.
            return Connection::open(self.port)?.run(commands, timeout);
        }
        let mut slot = self.connection.borrow_mut();
        if slot.is_none() {
            *slot = Some(Connection::open(self.port)?);
        }
        let result = slot.as_mut().map(|connection| connection.run(commands, timeout)).expect("connected");
        if result.is_err() {
            // The connection's state is unknown (a reply may still come): the next call reconnects.
            *slot = None;
        }
        result
    }
}

fn encode(out: &mut Vec<u8>, args: &[Vec<u8>]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "connection closed mid-reply"));
    }
    line.truncate(line.len() - 2);
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_reply(reader: &mut impl BufRead) -> std::io::Result<Reply> {
    let line = read_line(reader)?;
    let malformed = || std::io::Error::new(ErrorKind::InvalidData, format!("malformed reply line {:?}", line));
    let (kind, rest) = line.split_at(1.min(line.len()));
    let number = || rest.parse::<i64>().map_err(|_| malformed());
    Ok(match kind {
        "+" => Reply::status(rest),
        "-" => Reply::error(rest),
        ":" => Reply::integer(number()?),
        "$" => match number()? {
            -1 => Reply::nil(),
            length => {
                let mut bytes = vec![0u8; length as usize + 2];
                reader.read_exact(&mut bytes)?;
                bytes.truncate(length as usize);
                Reply::bulk(bytes)
            }
        },
        "*" => match number()? {
            -1 => Reply::nil(),
            count => Reply::array((0..count).map(|_| read_reply(reader)).collect::<std::io::Result<Vec<_>>>()?),
        },
        _ => return Err(malformed()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::Script;

    #[test]
    fn runs_pipelines_transactions_and_scripts_on_redis() {
        let server = RedisServer::start();
        let redis = server.client();
        let mut pipeline = Commands::pipeline();
        pipeline.text(&["SET", "k", "v"]).text(&["GET", "k"]).text(&["HGET", "k", "f"]).text(&["GET", "missing"]);
        let replies = redis.execute(&pipeline).unwrap();
        assert_eq!(replies[0].as_bulk(), Some(b"OK".as_slice()));
        assert_eq!(replies[1].as_bulk(), Some(b"v".as_slice()));
        assert!(replies[2].is_error_code("WRONGTYPE"), "{:?}", replies[2]);
        assert!(replies[3].is_nil());

        let mut transaction = Commands::transaction();
        transaction.text(&["INCR", "n"]).text(&["INCR", "n"]);
        let replies = redis.execute(&transaction).unwrap();
        assert_eq!(replies.iter().map(Reply::as_int).collect::<Vec<_>>(), vec![Some(1), Some(2)]);

        // The SHA-1 the PDK computes is the name Redis gives the script.
        let script = Script::new("return {KEYS[1], ARGV[1], 7}");
        let loaded = redis.call(&[b"SCRIPT", b"LOAD", script.source().as_bytes()]);
        assert_eq!(loaded.as_bulk(), Some(script.sha().as_bytes()));
        redis.call(&[b"SCRIPT", b"FLUSH"]);
        let key: &[u8] = b"key";
        let arg: &[u8] = b"arg";
        let reply = script.run(&redis, 0, [key], [arg]).unwrap();
        let items = reply.as_array().unwrap();
        assert_eq!(items[0].as_bulk(), Some(key));
        assert_eq!(items[1].as_bulk(), Some(arg));
        assert_eq!(items[2].as_int(), Some(7));
    }

    #[test]
    fn a_server_that_is_gone_is_unavailable() {
        let server = RedisServer::start();
        let redis = server.client();
        drop(server);
        let mut ping = Commands::pipeline();
        ping.text(&["PING"]);
        assert!(matches!(redis.execute(&ping), Err(RedisError::Unavailable(_))));
    }
}
