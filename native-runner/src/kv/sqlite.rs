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
    Ok(conn)
}

impl SqliteKv {
    pub fn open(path: &Path, label: &str) -> Result<SqliteKv, KvBackendError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| KvBackendError(format!("cannot create {}: {e}", dir.display())))?;
        }
        create_private(path)?;
        let mut writer = open_connection(path)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(KvBackendError(format!(
                "{} cannot use WAL mode (got {mode})",
                path.display()
            )));
        }
        create_or_upgrade(&mut writer).map_err(err)?;
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
        // A connection left inside a transaction would answer every later read from its old
        // snapshot; it is closed instead of pooled.
        if !conn.is_autocommit() {
            return out;
        }
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

/// Creates our table, or moves a store of an earlier version into today's layout.
///
/// The table is an ordinary rowid table keyed by a unique `(store, key)` index. Earlier
/// versions made it `WITHOUT ROWID`, which keeps whole rows, values included, in the tree's
/// interior pages: with values of a kilobyte or more a page holds only a few, so a store of
/// 100,000 workflows was a tree too deep for the page cache, and every lookup read pages from
/// the file again. The move runs in one transaction, so a crash leaves the old table whole,
/// and a second process opening the store meanwhile waits, then finds it moved.
fn create_or_upgrade(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [TABLE],
            |r| r.get(0),
        )
        .optional()?;
    let create = format!(
        "CREATE TABLE {TABLE} (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, \
         PRIMARY KEY (store, key));"
    );
    match existing {
        None => tx.execute_batch(&create)?,
        Some(sql) if sql.to_ascii_uppercase().contains("WITHOUT ROWID") => {
            tx.execute_batch(&format!(
                "ALTER TABLE {TABLE} RENAME TO {TABLE}_before_rowid;
                 {create}
                 INSERT INTO {TABLE} (store, key, value)
                     SELECT store, key, value FROM {TABLE}_before_rowid;
                 DROP TABLE {TABLE}_before_rowid;"
            ))?;
        }
        Some(_) => {}
    }
    tx.commit()
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

    /// One read transaction for all of them: SQLite's cost of a lookup this size is mostly
    /// beginning and ending the transaction (its file locks), and one snapshot answers all.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvBackendError> {
        self.read(|c| {
            // Rolled back when dropped; only reads happen inside it.
            let tx = c.unchecked_transaction()?;
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT value FROM {TABLE} WHERE store = ?1 AND key = ?2"
            ))?;
            keys.iter()
                .map(|k| {
                    stmt.query_row(params![self.label, k], |r| r.get(0))
                        .optional()
                })
                .collect()
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
    fn many_keys_are_read_in_order_and_the_reader_goes_back_clean() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("kv.sqlite3"), "default").unwrap();
        kv.set("a", b"1").unwrap();
        kv.set("c", b"3").unwrap();
        let keys = ["c", "missing", "a"].map(String::from);
        assert_eq!(
            kv.get_many(&keys).unwrap(),
            [Some(b"3".to_vec()), None, Some(b"1".to_vec())]
        );
        assert_eq!(kv.get_many(&[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
        // The pooled reader left its transaction: it sees a write made after the batch.
        kv.set("a", b"2").unwrap();
        assert_eq!(kv.get("a").unwrap().as_deref(), Some(&b"2"[..]));
        assert_eq!(kv.get_many(&keys[2..]).unwrap(), [Some(b"2".to_vec())]);
        let pooled = kv.readers.lock().unwrap();
        assert!(!pooled.is_empty());
        assert!(pooled.iter().all(Connection::is_autocommit));
    }

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

    /// A store written by an earlier version (a `WITHOUT ROWID` table) opens with every row,
    /// in today's layout, and opening it again changes nothing.
    #[test]
    fn a_store_of_the_earlier_layout_is_moved_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(&format!(
                "CREATE TABLE {TABLE} (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                    PRIMARY KEY (store, key)) WITHOUT ROWID;
                 CREATE TABLE nodetool_own (x);"
            ))
            .unwrap();
            for i in 0..500 {
                c.execute(
                    &format!("INSERT INTO {TABLE} VALUES ('default', ?1, ?2)"),
                    rusqlite::params![format!("k{i}"), vec![i as u8; 2000]],
                )
                .unwrap();
            }
            c.execute(
                &format!("INSERT INTO {TABLE} VALUES ('other', 'k1', x'01')"),
                [],
            )
            .unwrap();
        }
        for _ in 0..2 {
            let kv = SqliteKv::open(&path, "default").unwrap();
            assert_eq!(kv.keys().unwrap().len(), 500);
            assert_eq!(kv.get("k7").unwrap(), Some(vec![7u8; 2000]));
            assert!(kv.swap("k7", Some(&[7u8; 2000]), b"new").unwrap());
            kv.set("k7", &[7u8; 2000]).unwrap();
            let tables: Vec<(String, String)> = kv
                .read(|c| {
                    let mut stmt =
                        c.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table'")?;
                    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .unwrap();
            let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names.len(), 2, "{names:?}");
            assert!(names.contains(&TABLE) && names.contains(&"nodetool_own"));
            let ours = &tables.iter().find(|(n, _)| n == TABLE).unwrap().1;
            assert!(
                !ours.to_ascii_uppercase().contains("WITHOUT ROWID"),
                "{ours}"
            );
        }
        // Rows of other stores in the same table moved too.
        let other = SqliteKv::open(&path, "other").unwrap();
        assert_eq!(other.get("k1").unwrap(), Some(vec![1]));
    }

    /// The build settings in `.cargo/config.toml` reach the SQLite we link.
    #[test]
    fn connections_share_no_locked_cache() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("kv.sqlite3"), "default").unwrap();
        kv.set("k", b"v").unwrap();
        let options = kv
            .read(|c| {
                let mut stmt = c.prepare("PRAGMA compile_options")?;
                stmt.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .unwrap();
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
