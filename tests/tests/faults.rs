//! Storage faults under the real runner: the disk fills up (a file size limit, and a real full
//! filesystem that later grows), the database becomes read-only while the runner has it open,
//! and the runner starts on a read-only data directory. In each,
//! a write that cannot be stored is a 503 with a `detail` (never a 500, a panic or a dead
//! runner), reads keep working, nothing acknowledged is lost, no object is left half-written,
//! and the database passes `PRAGMA integrity_check` afterwards. (A SIGKILL in the middle of
//! concurrent writes is in persistence.rs.)

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nodetool_edge_conformance::runner::STATIC_TOKEN;
use nodetool_edge_conformance::{Profile, Reply, Runner, bearer, request, skip_unless_native};
use serde_json::json;

const UNAVAILABLE: &str = "Storage is unavailable, try again later";

fn call(base: &str, method: &str, path: &str, body: &[u8]) -> Reply {
    bearer(base, method, path, STATIC_TOKEN, body)
}

fn put_workflow(base: &str, id: &str, name: &str) -> Reply {
    let body =
        json!({"name": name, "access": "private", "graph": {"nodes": [], "edges": []}}).to_string();
    call(
        base,
        "PUT",
        &format!("/api/workflows/{id}"),
        body.as_bytes(),
    )
}

fn workflow_name(base: &str, id: &str) -> Option<String> {
    let r = call(base, "GET", &format!("/api/workflows/{id}"), b"");
    match r.status {
        200 => Some(r.json()["name"].as_str().unwrap().to_string()),
        404 => None,
        s => panic!("GET workflow {id}: {s} {}", r.text()),
    }
}

fn object_path(key: &str) -> String {
    format!("/admin/storage/assets/{key}")
}

/// Distinct bytes per object, so a mix of two versions or a truncation shows.
fn blob(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(31)
                .wrapping_add(u32::from(seed) * 7) as u8
                ^ seed
        })
        .collect()
}

/// The object's bytes, or None when it does not exist; anything else (a 500 for a broken
/// object) fails the test.
fn object(base: &str, key: &str) -> Option<Vec<u8>> {
    let r = call(base, "GET", &object_path(key), b"");
    match r.status {
        200 => Some(r.body),
        404 => None,
        s => panic!("GET object {key}: {s} {}", r.text()),
    }
}

/// Stores 64 KiB objects until the store refuses one (a 503, asserted), keeping the stored ones
/// in `objects`; the refused key, or None if 64 all fit.
fn fill_until_refused(
    base: &str,
    seed: u8,
    objects: &mut Vec<(String, Vec<u8>)>,
) -> Option<String> {
    for i in 0..64u8 {
        let key = format!("fill-{i}.bin");
        let data = blob(seed + i, 64 * 1024);
        let put = call(base, "PUT", &object_path(&key), &data);
        if put.status != 200 {
            assert_unavailable(&put, &key);
            return Some(key);
        }
        objects.push((key, data));
    }
    None
}

/// A write the store refused: 503 with the store's `detail`, never a 500.
fn assert_unavailable(r: &Reply, what: &str) {
    assert_eq!(
        (r.status, r.detail()),
        (503, UNAVAILABLE.to_string()),
        "{what}: {}",
        r.text()
    );
}

/// The distinct store errors the runner logged (the SQLite error behind each 503).
fn logged_store_errors(r: &Runner) -> Vec<String> {
    let mut lines: Vec<_> = r
        .stderr_lines()
        .into_iter()
        .filter(|l| l.contains("key-value backend error"))
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// Still alive, still answering, and no panic in its log.
fn assert_serving(r: &mut Runner) {
    assert_eq!(r.exited(), None, "the runner died");
    let health = request(&r.base, "GET", "/health", &[], b"");
    assert_eq!(health.status, 200, "{}", health.text());
    let panics = r.panics();
    assert!(panics.is_empty(), "the runner panicked: {panics:?}");
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("nodetool-edge.sqlite3")
}

/// `PRAGMA integrity_check` on the database file itself, with no runner attached.
fn integrity(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(db_path(dir)).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// The static-token profile, with a master key so that secrets can be written.
fn env() -> Vec<(&'static str, &'static str)> {
    let mut env = Profile::Static.env();
    env.push(("SECRETS_MASTER_KEY", "faults-master-key"));
    env
}

fn start(dir: &Path) -> Runner {
    Runner::start(&["serve"], &env(), dir)
}

/// Every acknowledged workflow and object, read back whole.
fn assert_kept(base: &str, workflows: &[(String, String)], objects: &[(String, Vec<u8>)]) {
    for (id, name) in workflows {
        assert_eq!(
            workflow_name(base, id).as_deref(),
            Some(name.as_str()),
            "{id}"
        );
    }
    for (key, data) in objects {
        let got = object(base, key).unwrap_or_else(|| panic!("{key} lost"));
        assert!(
            got == *data,
            "{key}: {} bytes, not the {} written",
            got.len(),
            data.len()
        );
    }
}

/// The file-size limit that stands in for a full disk: SQLite's database and write-ahead log
/// may not grow past it. 1 MiB holds the empty database and a few small writes, and no
/// 1 MiB storage chunk.
const FILE_LIMIT: u64 = 1024 * 1024;

#[test]
fn a_full_disk_is_a_503_for_writes_and_reads_go_on() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // RLIMIT_FSIZE is per process and, unlike file modes, binds root too. With SIGXFSZ
    // ignored, a write past it fails with EFBIG (or comes back short), which SQLite reports as
    // SQLITE_FULL or SQLITE_IOERR_WRITE: the same path as ENOSPC on a full disk.
    let mut r = Runner::start_with(&["serve"], &env(), dir.path(), |cmd| {
        // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: FILE_LIMIT as libc::rlim_t,
                    rlim_max: FILE_LIMIT as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    });
    let mode: String = rusqlite::Connection::open(db_path(dir.path()))
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "the limit was chosen for a write-ahead log");

    let mut workflows = Vec::new();
    for i in 0..5 {
        let (id, name) = (
            format!("before-{i}"),
            format!("written before the disk filled {i}"),
        );
        assert_eq!(put_workflow(&r.base, &id, &name).status, 200);
        workflows.push((id, name));
    }
    let mut objects = vec![("small.bin".to_string(), blob(1, 10_000))];
    let put = call(&r.base, "PUT", &object_path("small.bin"), &objects[0].1);
    assert_eq!(put.status, 200, "{}", put.text());

    // 2 MiB: its first 1 MiB chunk alone is past the limit.
    let big = blob(2, 2 * 1024 * 1024);
    let put = call(&r.base, "PUT", &object_path("big.bin"), &big);
    assert_unavailable(&put, "2 MiB object");
    assert_serving(&mut r);
    assert_eq!(
        object(&r.base, "big.bin"),
        None,
        "a refused object is absent, not partial"
    );
    assert_kept(&r.base, &workflows, &objects);

    // Fill what room is left with 64 KiB objects until the store refuses one.
    let refused = fill_until_refused(&r.base, 10, &mut objects)
        .expect("a 1 MiB file limit refuses 64 × 64 KiB");
    println!(
        "disk full: 2 MiB object refused with 503, then {} × 64 KiB objects stored before {refused} was refused",
        objects.len() - 1
    );
    assert_serving(&mut r);
    assert_eq!(
        object(&r.base, &refused),
        None,
        "{refused} is absent, not partial"
    );
    // Small writes on a full disk: stored or refused, never a 500.
    let mut small = Vec::new();
    for i in 0..3 {
        let (id, name) = (format!("full-{i}"), format!("written on a full disk {i}"));
        let put = put_workflow(&r.base, &id, &name);
        small.push(put.status);
        if put.status == 200 {
            workflows.push((id, name));
        } else {
            assert_unavailable(&put, &id);
        }
    }
    println!("disk full: small workflow PUTs afterwards answered {small:?}");
    let list = call(&r.base, "GET", "/api/workflows/", b"");
    assert_eq!(list.status, 200, "{}", list.text());
    assert_kept(&r.base, &workflows, &objects);
    assert_serving(&mut r);
    println!("disk full: the runner logged {:?}", logged_store_errors(&r));
    r.kill();

    // Room again: a runner without the limit on the same data finds everything acknowledged,
    // nothing refused, an intact database, and stores the big object now.
    assert_eq!(integrity(dir.path()), "ok");
    let mut r = start(dir.path());
    assert_kept(&r.base, &workflows, &objects);
    assert_eq!(object(&r.base, "big.bin"), None);
    assert_eq!(object(&r.base, &refused), None);
    let put = call(&r.base, "PUT", &object_path("big.bin"), &big);
    assert_eq!(put.status, 200, "{}", put.text());
    assert!(object(&r.base, "big.bin") == Some(big));
    assert_serving(&mut r);
    r.kill();
    assert_eq!(integrity(dir.path()), "ok");
}

/// `mount(2)` with Rust strings; `Err` with the OS error.
fn mount(
    source: &str,
    target: &Path,
    fstype: &str,
    flags: libc::c_ulong,
    data: &str,
) -> std::io::Result<()> {
    use std::ffi::CString;
    let c = |s: &str| CString::new(s).unwrap();
    let target = CString::new(target.as_os_str().as_encoded_bytes()).unwrap();
    let (source, fstype, data) = (c(source), c(fstype), c(data));
    let opt = |s: &CString| {
        if s.is_empty() {
            std::ptr::null()
        } else {
            s.as_ptr()
        }
    };
    // SAFETY: NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            opt(&source),
            target.as_ptr(),
            opt(&fstype),
            flags,
            opt(&data).cast(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[test]
fn a_filesystem_out_of_space_is_a_503_and_writes_resume_when_space_returns() {
    if skip_unless_native() {
        return;
    }
    // A real full filesystem (ENOSPC, which SQLite reports as SQLITE_FULL) rather than a file
    // size limit: a 1 MiB tmpfs over the data directory, mounted in a mount namespace of this
    // test thread's own (mount namespaces are per thread; the runner, spawned from this thread,
    // inherits it; nothing else sees the mount). Growing the tmpfs afterwards is space
    // returning while the same runner keeps running.
    // SAFETY: unshare affects only the calling thread's mount namespace and fs context.
    if !can_mount() || unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        eprintln!(
            "skipped: no private mount namespace here (needs root with CAP_SYS_ADMIN), so no \
             small filesystem can be mounted to fill up"
        );
        return;
    }
    mount("", Path::new("/"), "", libc::MS_REC | libc::MS_PRIVATE, "").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    mount("tmpfs", &data, "tmpfs", 0, "size=1m,mode=0700").unwrap();

    let mut r = start(&data);
    let mut workflows = Vec::new();
    for i in 0..5 {
        let (id, name) = (format!("before-{i}"), format!("before the disk filled {i}"));
        assert_eq!(put_workflow(&r.base, &id, &name).status, 200);
        workflows.push((id, name));
    }
    let mut objects = Vec::new();
    let big = blob(7, 2 * 1024 * 1024);
    let put = call(&r.base, "PUT", &object_path("big.bin"), &big);
    assert_unavailable(&put, "2 MiB object on a 1 MiB filesystem");
    let refused = fill_until_refused(&r.base, 20, &mut objects)
        .expect("a 1 MiB filesystem refuses 64 × 64 KiB");
    assert_serving(&mut r);
    assert_eq!(
        object(&r.base, "big.bin"),
        None,
        "a refused object is absent, not partial"
    );
    assert_eq!(
        object(&r.base, &refused),
        None,
        "{refused} is absent, not partial"
    );
    assert_kept(&r.base, &workflows, &objects);
    let logged = logged_store_errors(&r);
    println!(
        "ENOSPC: 2 MiB object refused with 503, {} × 64 KiB objects stored before {refused} was \
         refused; the runner logged {logged:?}",
        objects.len()
    );

    // Space returns: the same runner, without a restart, stores writes again.
    mount("", &data, "", libc::MS_REMOUNT, "size=64m").unwrap();
    let put = call(&r.base, "PUT", &object_path("big.bin"), &big);
    assert_eq!(put.status, 200, "{}", put.text());
    objects.push(("big.bin".into(), big));
    assert_eq!(
        put_workflow(&r.base, "after", "after space returned").status,
        200
    );
    workflows.push(("after".into(), "after space returned".into()));
    assert_kept(&r.base, &workflows, &objects);
    assert_serving(&mut r);
    r.kill();
    assert_eq!(integrity(&data), "ok");
    let r = start(&data);
    assert_kept(&r.base, &workflows, &objects);
    assert_eq!(object(&r.base, &refused), None);
    r.kill();
    // Lazily, so a still-open descriptor cannot keep the directory from being removed.
    // SAFETY: a NUL-terminated path.
    let target = std::ffi::CString::new(data.as_os_str().as_encoded_bytes()).unwrap();
    unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
}

/// Sets or clears the immutable attribute (`chattr`), which root cannot write through either.
fn chattr(flag: &str, files: &[PathBuf]) -> bool {
    Command::new("chattr")
        .arg(flag)
        .args(files)
        .status()
        .is_ok_and(|s| s.success())
}

/// Clears the attribute again however the test ends, or the temporary directory could not be
/// removed.
struct Immutable(Vec<PathBuf>);

impl Drop for Immutable {
    fn drop(&mut self) {
        chattr("-i", &self.0);
    }
}

#[test]
fn a_database_that_turns_read_only_under_the_runner_is_a_503_for_writes() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut r = start(dir.path());
    let mut workflows = Vec::new();
    for i in 0..5 {
        let (id, name) = (format!("kept-{i}"), format!("before read-only {i}"));
        assert_eq!(put_workflow(&r.base, &id, &name).status, 200);
        workflows.push((id, name));
    }
    let objects = vec![("kept.bin".to_string(), blob(3, 1_500_000))];
    assert_eq!(
        call(&r.base, "PUT", &object_path("kept.bin"), &objects[0].1).status,
        200
    );

    // What a filesystem remounted read-only after an I/O error looks like to a process that
    // has the files open: every write to them fails. The immutable attribute does that to
    // open descriptors too, and binds root (file modes do not). The shared-memory index stays
    // writable: it is mapped, and a store to a mapped immutable page is a SIGBUS, which a real
    // read-only remount does not cause either (it keeps existing mappings).
    let db = db_path(dir.path());
    let files = vec![db.clone(), PathBuf::from(format!("{}-wal", db.display()))];
    assert!(files[1].exists(), "the runner keeps a write-ahead log");
    if !chattr("+i", &files) {
        eprintln!(
            "skipped: chattr +i is not supported here (not root, or the filesystem has no \
             immutable attribute), so the database cannot be made read-only for root"
        );
        return;
    }
    let guard = Immutable(files);

    let put = put_workflow(&r.base, "kept-0", "overwritten while read-only");
    assert_unavailable(&put, "workflow PUT");
    let put = put_workflow(&r.base, "new", "created while read-only");
    assert_unavailable(&put, "new workflow");
    let put = call(&r.base, "PUT", &object_path("new.bin"), &blob(4, 100_000));
    assert_unavailable(&put, "object PUT");
    let del = call(&r.base, "DELETE", "/api/workflows/kept-1", b"");
    assert_unavailable(&del, "workflow DELETE");
    let del = call(&r.base, "DELETE", &object_path("kept.bin"), b"");
    assert_unavailable(&del, "object DELETE");
    let put = call(
        &r.base,
        "PUT",
        "/api/settings/secrets/OPENAI_API_KEY",
        br#"{"value": "sk-x"}"#,
    );
    assert_unavailable(&put, "secret PUT");
    assert_serving(&mut r);
    // Reads, including ones that open a fresh reader connection, still work.
    assert_kept(&r.base, &workflows, &objects);
    assert_eq!(workflow_name(&r.base, "new"), None);
    assert_eq!(object(&r.base, "new.bin"), None);
    assert_eq!(
        call(&r.base, "GET", "/api/workflows/", b"").status,
        200,
        "list"
    );

    println!("read-only: the runner logged {:?}", logged_store_errors(&r));
    // Writable again: the same runner stores writes again, without a restart.
    drop(guard);
    let put = put_workflow(&r.base, "after", "written after the fault");
    assert_eq!(put.status, 200, "{}", put.text());
    workflows.push(("after".into(), "written after the fault".into()));
    assert_kept(&r.base, &workflows, &objects);
    assert_serving(&mut r);
    r.kill();
    assert_eq!(integrity(dir.path()), "ok");
    let r = start(dir.path());
    assert_kept(&r.base, &workflows, &objects);
}

/// `dir` mounted read-only (a bind mount in a private mount namespace of the runner's own, so
/// nothing outside sees it): the read-only volume of a container. Root's writes fail on it.
fn read_only_mount(cmd: &mut Command, dir: &Path) {
    let target = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: only async-signal-safe system calls between fork and exec, on a path prepared
    // before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let none = std::ptr::null::<libc::c_char>();
            let check = |rc: libc::c_int| {
                if rc == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            };
            check(libc::unshare(libc::CLONE_NEWNS))?;
            // Keep the mounts below from propagating back to the test's namespace.
            check(libc::mount(
                none,
                c"/".as_ptr(),
                none,
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                target.as_ptr(),
                target.as_ptr(),
                none,
                libc::MS_BIND,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                none,
                target.as_ptr(),
                none,
                libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
                std::ptr::null(),
            ))
        });
    }
}

/// Whether this process may make mount namespaces (root with CAP_SYS_ADMIN, not in a
/// container that forbids it).
fn can_mount() -> bool {
    Command::new("unshare")
        .args(["--mount", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_read_only_data_directory_serves_reads_and_refuses_writes_with_503() {
    if skip_unless_native() {
        return;
    }
    if !can_mount() {
        eprintln!(
            "skipped: no private mount namespace here (needs root with CAP_SYS_ADMIN), so the \
             data directory cannot be mounted read-only for root"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = start(dir.path());
    let workflows = vec![("kept".to_string(), "before read-only".to_string())];
    assert_eq!(
        put_workflow(&r.base, "kept", "before read-only").status,
        200
    );
    let objects = vec![("kept.bin".to_string(), blob(5, 1_500_000))];
    assert_eq!(
        call(&r.base, "PUT", &object_path("kept.bin"), &objects[0].1).status,
        200
    );
    // Killed, so the write-ahead log and its index stay next to the database, as after any
    // crash or a container stopped hard: SQLite can then read the database without writing.
    r.kill();

    let path = dir.path().to_path_buf();
    let mut r = Runner::start_with(&["serve"], &env(), dir.path(), |cmd| {
        read_only_mount(cmd, &path)
    });
    assert_kept(&r.base, &workflows, &objects);
    assert_eq!(call(&r.base, "GET", "/api/workflows/", b"").status, 200);
    let put = put_workflow(&r.base, "kept", "overwritten on a read-only volume");
    assert_unavailable(&put, "workflow PUT");
    let put = call(&r.base, "PUT", &object_path("new.bin"), &blob(6, 10_000));
    assert_unavailable(&put, "object PUT");
    let del = call(&r.base, "DELETE", &object_path("kept.bin"), b"");
    assert_unavailable(&del, "object DELETE");
    assert_serving(&mut r);
    assert_kept(&r.base, &workflows, &objects);
    println!(
        "read-only volume: the runner logged {:?}",
        logged_store_errors(&r)
    );
    r.kill();
    assert_eq!(integrity(dir.path()), "ok");

    // After a clean checkpoint there is no index to read through, and SQLite cannot create
    // one on a read-only volume: the runner refuses to start, naming the file, instead of
    // serving nothing.
    rusqlite::Connection::open(db_path(dir.path()))
        .unwrap()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let _ = std::fs::remove_file(format!("{}-shm", db_path(dir.path()).display()));
    let _ = std::fs::remove_file(format!("{}-wal", db_path(dir.path()).display()));
    let refusal = Runner::try_start_with(&["serve"], &env(), dir.path(), |cmd| {
        read_only_mount(cmd, &path)
    })
    .err()
    .expect("a runner on a read-only volume without a WAL index");
    let db = db_path(dir.path()).display().to_string();
    assert!(
        refusal.stderr.contains(&db) && !refusal.stderr.contains("panicked"),
        "{refusal:?}"
    );
    // The data is untouched.
    let r = start(dir.path());
    assert_kept(&r.base, &workflows, &objects);
}
