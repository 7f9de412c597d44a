//! SQLite in WAL mode: one writer connection, a small pool of readers (WAL lets them run
//! beside the writer). `synchronous=FULL` makes every acknowledged write survive a crash or
//! power loss, not only a killed process.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{KvBackend, KvBackendError};

/// Our own table: `DB_PATH` may point at a file NodeTool also uses, so we touch nothing else.
const TABLE: &str = "nodetool_edge_kv";
const MAX_IDLE_READERS: usize = 8;
/// How much of the database file each connection maps.
const MMAP_BYTES: i64 = 256 << 20;

pub struct SqliteKv {
    path: PathBuf,
    /// The Spin store label this backend serves (rows are keyed by it too).
    label: String,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn err(e: impl std::fmt::Display) -> KvBackendError {
    KvBackendError(e.to_string())
}

fn open_connection(path: &Path) -> Result<Connection, KvBackendError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    // Reads come straight from the mapped file rather than a read() into each connection's
    // cache: a list of a store of 100,000 workflows ran at 0.73-0.77 of an almost empty one
    // without it, 0.89-1.01 with it (BENCHMARKS.md). Writes still go through write().
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)
        .map_err(err)?;
    Ok(conn)
}

impl SqliteKv {
    pub fn open(path: &Path, label: &str) -> Result<SqliteKv, KvBackendError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| KvBackendError(format!("cannot create {}: {e}", dir.display())))?;
        }
        create_private(path)?;
        let writer = open_connection(path)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(KvBackendError(format!(
                "{} cannot use WAL mode (got {mode})",
                path.display()
            )));
        }
        writer
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {TABLE} (
                    store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                    PRIMARY KEY (store, key)) WITHOUT ROWID;"
            ))
            .map_err(err)?;
        Ok(SqliteKv {
            path: path.to_path_buf(),
            label: label.to_string(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, KvBackendError> {
        let pooled = self.readers.lock().map_err(err)?.pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path)?,
        };
        let out = f(&conn).map_err(err);
        let mut pool = self.readers.lock().map_err(err)?;
        if pool.len() < MAX_IDLE_READERS {
            pool.push(conn);
        }
        out
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, KvBackendError> {
        let conn = self.writer.lock().map_err(err)?;
        f(&conn).map_err(err)
    }
}

/// The database holds workflows and (later) secrets: only its owner may read it.
#[cfg(unix)]
fn create_private(path: &Path) -> Result<(), KvBackendError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(KvBackendError(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<(), KvBackendError> {
    Ok(())
}

impl KvBackend for SqliteKv {
    /// WAL readers never wait for the writer, and their pages come from the cache.
    fn reads_block(&self) -> bool {
        false
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT value FROM {TABLE} WHERE store = ?1 AND key = ?2"
            ))?
            .query_row(params![self.label, key], |r| r.get(0))
            .optional()
        })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvBackendError> {
        self.write(|c| {
            c.prepare_cached(&format!(
                "INSERT INTO {TABLE} (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value"
            ))?
            .execute(params![self.label, key, value])
            .map(|_| ())
        })
    }

    fn delete(&self, key: &str) -> Result<(), KvBackendError> {
        self.write(|c| {
            c.prepare_cached(&format!(
                "DELETE FROM {TABLE} WHERE store = ?1 AND key = ?2"
            ))?
            .execute(params![self.label, key])
            .map(|_| ())
        })
    }

    /// One statement, so one transaction: SQLite takes the database's write lock before the
    /// statement reads, so no writer (of this process or another) comes between the compare
    /// and the write. A value still equal to `expected` is the row the UPDATE matches; an
    /// absent key is the INSERT that meets no conflict.
    fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvBackendError> {
        self.write(|c| {
            let written = match expected {
                Some(old) => c
                    .prepare_cached(&format!(
                        "UPDATE {TABLE} SET value = ?4 WHERE store = ?1 AND key = ?2 AND value = ?3"
                    ))?
                    .execute(params![self.label, key, old, new])?,
                None => c
                    .prepare_cached(&format!(
                        "INSERT INTO {TABLE} (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (store, key) DO NOTHING"
                    ))?
                    .execute(params![self.label, key, new])?,
            };
            Ok(written == 1)
        })
    }

    fn exists(&self, key: &str) -> Result<bool, KvBackendError> {
        Ok(self.get(key)?.is_some())
    }

    fn keys(&self) -> Result<Vec<String>, KvBackendError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT key FROM {TABLE} WHERE store = ?1 ORDER BY key"
            ))?;
            let rows = stmt.query_map(params![self.label], |r| r.get(0))?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_delete_keys_roundtrip_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/kv.sqlite3");
        {
            let kv = SqliteKv::open(&path, "default").unwrap();
            assert_eq!(kv.get("a").unwrap(), None);
            kv.set("a", b"1").unwrap();
            kv.set("b", b"2").unwrap();
            kv.set("a", b"3").unwrap();
            assert_eq!(kv.get("a").unwrap(), Some(b"3".to_vec()));
            assert!(kv.exists("b").unwrap());
            kv.delete("b").unwrap();
            kv.delete("missing").unwrap();
            assert_eq!(kv.keys().unwrap(), vec!["a".to_string()]);
        }
        let kv = SqliteKv::open(&path, "default").unwrap();
        assert_eq!(kv.get("a").unwrap(), Some(b"3".to_vec()));
        // Another label sees nothing of the first.
        assert_eq!(
            SqliteKv::open(&path, "other")
                .unwrap()
                .keys()
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn swap_writes_only_over_the_expected_value() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("kv.sqlite3"), "default").unwrap();
        // Absent key: only "absent" matches.
        assert!(!kv.swap("k", Some(b"x"), b"1").unwrap());
        assert_eq!(kv.get("k").unwrap(), None);
        assert!(kv.swap("k", None, b"1").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"1".to_vec()));
        // Present key: "absent" and any other value fail and change nothing.
        assert!(!kv.swap("k", None, b"2").unwrap());
        assert!(!kv.swap("k", Some(b"0"), b"2").unwrap());
        assert!(!kv.swap("k", Some(b""), b"2").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"1".to_vec()));
        assert!(kv.swap("k", Some(b"1"), b"2").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"2".to_vec()));
        // Writing the value it holds is a successful swap.
        assert!(kv.swap("k", Some(b"2"), b"2").unwrap());
        // The same key under another label is another key.
        let other = SqliteKv::open(&dir.path().join("kv.sqlite3"), "other").unwrap();
        assert!(!other.swap("k", Some(b"2"), b"3").unwrap());
        assert!(other.swap("k", None, b"3").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"2".to_vec()));
        assert_eq!(kv.keys().unwrap(), vec!["k".to_string()]);
    }

    /// One increment: read, then swap in the value plus one, again until no one came between.
    fn increment(kv: &SqliteKv, key: &str) {
        loop {
            let old = kv.get(key).unwrap();
            let n: u64 = old
                .as_deref()
                .map_or(0, |v| std::str::from_utf8(v).unwrap().parse().unwrap());
            if kv
                .swap(key, old.as_deref(), (n + 1).to_string().as_bytes())
                .unwrap()
            {
                return;
            }
        }
    }

    #[test]
    fn concurrent_increments_through_swap_lose_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.sqlite3");
        // Two handles on one file, as the server and a CLI command are: each has its own
        // writer connection, so only SQLite's lock keeps them apart.
        let handles = [
            std::sync::Arc::new(SqliteKv::open(&path, "default").unwrap()),
            std::sync::Arc::new(SqliteKv::open(&path, "default").unwrap()),
        ];
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let kv = handles[i % 2].clone();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        increment(&kv, "counter");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(handles[0].get("counter").unwrap(), Some(b"1600".to_vec()));
    }

    /// The build settings in `.cargo/config.toml` and the mapping reach every connection.
    #[test]
    fn connections_map_the_file_and_share_no_locked_cache() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("kv.sqlite3"), "default").unwrap();
        kv.set("k", b"v").unwrap();
        let (mapped, options) = kv
            .read(|c| {
                let mapped: i64 = c.query_row("PRAGMA mmap_size", [], |r| r.get(0))?;
                let mut stmt = c.prepare("PRAGMA compile_options")?;
                let options = stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                Ok((mapped, options))
            })
            .unwrap();
        assert_eq!(mapped, MMAP_BYTES);
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.sqlite3");
        SqliteKv::open(&path, "default").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
