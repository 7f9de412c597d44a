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

impl RedisKv {
    /// Connects once, so a wrong URL or an unreachable server stops start-up.
    pub fn open(url: &str, label: &str) -> Result<RedisKv, KvBackendError> {
        let client = Client::open(url).map_err(err)?;
        let kv = RedisKv {
            client,
            prefix: format!("nodetool-edge:{label}:"),
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

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvBackendError> {
        let k = self.key(key);
        self.with(|c| redis::cmd("SET").arg(&k).arg(value).query::<()>(c))
    }

    fn delete(&self, key: &str) -> Result<(), KvBackendError> {
        let k = self.key(key);
        self.with(|c| redis::cmd("DEL").arg(&k).query::<()>(c))
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

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
        assert_eq!(
            glob_escape("nodetool-edge:default:"),
            "nodetool-edge:default:"
        );
    }
}
