//! Redis, so several runners (containers, replicas) share one store. Keys live under
//! `nodetool-edge:{label}:`, so one Redis can hold other data beside ours.
//!
//! Durability is Redis's own: an acknowledged write is in Redis's memory, and on disk only as
//! its persistence settings say (`appendonly yes` with `appendfsync always` for the guarantee
//! the SQLite store gives).

use std::sync::Mutex;
use std::time::Duration;

use redis::{Client, Connection};

use super::{KvBackend, KvBackendError};

const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_IDLE: usize = 16;
/// Keys asked for per SCAN round.
const SCAN_COUNT: usize = 1000;
/// Compare-and-swap on the server: a script runs with no other command between its steps.
/// KEYS[1] is the key; ARGV[1] says whether a value is expected ("1") or the key must be
/// absent ("0"); ARGV[2] is the expected value, ARGV[3] the new one. GET of a missing key is
/// `false` in Lua.
const SWAP_SCRIPT: &str = r#"
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
"#;

pub struct RedisKv {
    client: Client,
    prefix: String,
    idle: Mutex<Vec<Connection>>,
}

fn err(e: impl std::fmt::Display) -> KvBackendError {
    KvBackendError(format!("redis: {e}"))
}

/// `*`, `?`, `[` and `\` are glob syntax in SCAN's MATCH.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Where the rows of store `label` live in Redis: every key starts with this.
pub fn key_prefix(label: &str) -> String {
    format!("nodetool-edge:{label}:")
}

impl RedisKv {
    /// Connects once, so a wrong URL or an unreachable server stops start-up.
    pub fn open(url: &str, label: &str) -> Result<RedisKv, KvBackendError> {
        let client = Client::open(url).map_err(err)?;
        let kv = RedisKv {
            client,
            prefix: key_prefix(label),
            idle: Mutex::new(Vec::new()),
        };
        kv.with(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(kv)
    }

    fn connect(&self) -> Result<Connection, KvBackendError> {
        let c = self
            .client
            .get_connection_with_timeout(TIMEOUT)
            .map_err(err)?;
        c.set_read_timeout(Some(TIMEOUT)).map_err(err)?;
        c.set_write_timeout(Some(TIMEOUT)).map_err(err)?;
        Ok(c)
    }

    /// Runs `f` on an idle connection (or a new one). A connection that failed is dropped,
    /// not reused, so a Redis restart costs one failed request per connection at most.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> redis::RedisResult<R>,
    ) -> Result<R, KvBackendError> {
        let pooled = self.idle.lock().expect("pool lock").pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = f(&mut conn).map_err(err)?;
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        Ok(result)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl KvBackend for RedisKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        let k = self.key(key);
        self.with(|c| redis::cmd("GET").arg(&k).query(c))
    }

    /// One `MGET`: one round trip for a whole page.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvBackendError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let ks: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        self.with(|c| redis::cmd("MGET").arg(&ks).query(c))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvBackendError> {
        let k = self.key(key);
        self.with(|c| redis::cmd("SET").arg(&k).arg(value).query::<()>(c))
    }

    fn delete(&self, key: &str) -> Result<(), KvBackendError> {
        let k = self.key(key);
        self.with(|c| redis::cmd("DEL").arg(&k).query::<()>(c))
    }

    fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvBackendError> {
        let k = self.key(key);
        let (flag, old): (&str, &[u8]) = match expected {
            Some(old) => ("1", old),
            None => ("0", b""),
        };
        self.with(|c| {
            redis::cmd("EVAL")
                .arg(SWAP_SCRIPT)
                .arg(1)
                .arg(&k)
                .arg(flag)
                .arg(old)
                .arg(new)
                .query::<i64>(c)
                .map(|written| written == 1)
        })
    }

    fn exists(&self, key: &str) -> Result<bool, KvBackendError> {
        let k = self.key(key);
        self.with(|c| redis::cmd("EXISTS").arg(&k).query(c))
    }

    fn keys(&self) -> Result<Vec<String>, KvBackendError> {
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let mut keys = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, page): (u64, Vec<String>) = self.with(|c| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .query(c)
            })?;
            keys.extend(
                page.into_iter()
                    .filter_map(|k| k.strip_prefix(&self.prefix).map(str::to_string)),
            );
            if next == 0 {
                // SCAN may return a key twice across rounds.
                keys.sort();
                keys.dedup();
                return Ok(keys);
            }
            cursor = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use nodetool_edge_conformance::redis_server::{Redis, free_port};

    #[test]
    fn swap_is_atomic_on_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let server = Redis::start(free_port(), dir.path());
        let kv = RedisKv::open(&server.url(), "default").unwrap();
        assert!(!kv.swap("k", Some(b""), b"1").unwrap());
        assert!(kv.swap("k", None, b"1").unwrap());
        assert!(!kv.swap("k", None, b"2").unwrap());
        assert!(!kv.swap("k", Some(b"0"), b"2").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"1".to_vec()));
        assert!(kv.swap("k", Some(b"1"), b"\xff\x00").unwrap());
        assert!(kv.swap("k", Some(b"\xff\x00"), b"").unwrap());
        assert!(kv.swap("k", Some(b""), b"3").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"3".to_vec()));

        // Eight threads on two clients (as two runners would be) each add 200 to one
        // counter, by read and swap until no one came between: no increment is lost.
        let clients = [
            std::sync::Arc::new(RedisKv::open(&server.url(), "default").unwrap()),
            std::sync::Arc::new(RedisKv::open(&server.url(), "default").unwrap()),
        ];
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let kv = clients[i % 2].clone();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        loop {
                            let old = kv.get("counter").unwrap();
                            let n: u64 = old
                                .as_deref()
                                .map_or(0, |v| std::str::from_utf8(v).unwrap().parse().unwrap());
                            let new = (n + 1).to_string();
                            if kv.swap("counter", old.as_deref(), new.as_bytes()).unwrap() {
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(kv.get("counter").unwrap(), Some(b"1600".to_vec()));
    }

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
        assert_eq!(
            glob_escape("nodetool-edge:default:"),
            "nodetool-edge:default:"
        );
    }
}
