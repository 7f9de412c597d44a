//! `/admin/storage/{assets,temp}/{key}` and the read-only `/storage/...` (reference 4.5), with
//! RFC 9110 ranges and conditional GETs, through the real runner and its SQLite store.

use nodetool_edge_conformance::runner::{ADMIN_TOKEN, Runner, STATIC_TOKEN};
use nodetool_edge_conformance::{Host, Profile, Reply, Target, request, skip_unless_native};

fn bytes(n: usize) -> Vec<u8> {
    // Not all one byte value, so an off-by-one in a range shows.
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn with(t: &Target, method: &str, path: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
    t.call_with(method, path, extra, body)
}

#[test]
fn seed_upload_then_read_it_back_in_every_way() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let data = bytes(3000);
    // The seed: PUT /admin/storage/assets/image.png --data-binary @image.png
    let r = with(&t, "PUT", "/admin/storage/assets/image.png", &[], &data);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.is_empty());

    let r = with(&t, "GET", "/admin/storage/assets/image.png", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, data);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("content-length"), Some("3000"));
    let modified = r.header("last-modified").unwrap().to_string();
    assert!(modified.ends_with(" GMT"), "{modified}");
    let etag = r.header("etag").unwrap().to_string();

    let r = with(&t, "HEAD", "/admin/storage/assets/image.png", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("last-modified"), Some(modified.as_str()));
    assert_eq!(r.header("etag"), Some(etag.as_str()));

    // The read-only family, with only the bearer token.
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let r = t.anon(
        "GET",
        "/storage/assets/image.png",
        &[("Authorization", bearer.as_bytes())],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, data);
    let r = t.anon(
        "PUT",
        "/storage/assets/image.png",
        &[("Authorization", bearer.as_bytes())],
        b"x",
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    assert_eq!(
        t.anon("GET", "/storage/assets/image.png", &[], b"").status,
        401
    );

    // Ranges.
    let range = |spec: &str| {
        with(
            &t,
            "GET",
            "/admin/storage/assets/image.png",
            &[("Range", spec)],
            b"",
        )
    };
    let r = range("bytes=0-9");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[..10]);
    assert_eq!(r.header("content-range"), Some("bytes 0-9/3000"));
    let r = range("bytes=2990-");
    assert_eq!((r.status, r.body.as_slice()), (206, &data[2990..]));
    let r = range("bytes=-5");
    assert_eq!((r.status, r.body.as_slice()), (206, &data[2995..]));
    assert_eq!(r.header("content-range"), Some("bytes 2995-2999/3000"));
    let r = range("bytes=100-99999");
    assert_eq!(r.header("content-range"), Some("bytes 100-2999/3000"));
    assert_eq!(r.body, &data[100..]);
    for unsatisfiable in ["bytes=3000-", "bytes=5000-6000", "bytes=-0"] {
        let r = range(unsatisfiable);
        assert_eq!(r.status, 416, "{unsatisfiable}");
        assert_eq!(r.header("content-range"), Some("bytes */3000"));
        assert_eq!(r.detail(), "Range Not Satisfiable");
    }
    for ignored in ["bytes=9-1", "bytes=abc", "pages=1-2", "bytes=0-1,5-6"] {
        let r = range(ignored);
        assert_eq!((r.status, r.body.len()), (200, 3000), "{ignored}");
    }

    // Conditional GET.
    let r = with(
        &t,
        "GET",
        "/admin/storage/assets/image.png",
        &[("If-Modified-Since", &modified)],
        b"",
    );
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let old = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_eq!(
        with(
            &t,
            "GET",
            "/admin/storage/assets/image.png",
            &[("If-Modified-Since", old)],
            b""
        )
        .status,
        200
    );
    let bad = "yesterday";
    assert_eq!(
        with(
            &t,
            "GET",
            "/admin/storage/assets/image.png",
            &[("If-Modified-Since", bad)],
            b""
        )
        .status,
        200
    );

    // Overwrite, then delete.
    assert_eq!(
        with(&t, "PUT", "/admin/storage/assets/image.png", &[], b"new").status,
        200
    );
    let r = with(&t, "GET", "/admin/storage/assets/image.png", &[], b"");
    assert_eq!(r.body, b"new");
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(
        with(&t, "DELETE", "/admin/storage/assets/image.png", &[], b"").status,
        204
    );
    let r = with(&t, "GET", "/admin/storage/assets/image.png", &[], b"");
    assert_eq!((r.status, r.detail()), (404, "Not Found".to_string()));
    let r = with(&t, "DELETE", "/admin/storage/assets/image.png", &[], b"");
    assert_eq!((r.status, r.detail()), (404, "Not Found".to_string()));
}

#[test]
fn keys_nest_and_bad_keys_get_the_reference_messages() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let put = |path: &str, body: &[u8]| with(&t, "PUT", path, &[], body);
    let get = |path: &str| with(&t, "GET", path, &[], b"");
    assert_eq!(
        put("/admin/storage/assets/folder/sub/file.txt", b"nested").status,
        200
    );
    assert_eq!(
        get("/admin/storage/assets/folder%2Fsub%2Ffile.txt").body,
        b"nested"
    );
    assert_eq!(
        get("/admin/storage/assets/folder/./sub//file.txt").body,
        b"nested"
    );
    assert_eq!(
        get("/admin/storage/assets/folder/sub/file.txt").header("content-type"),
        Some("text/plain")
    );
    // Backslashes are separators, as in NodeTool.
    assert_eq!(
        put("/admin/storage/assets/win%5Cdir%5Cf.bin", b"w").status,
        200
    );
    assert_eq!(get("/admin/storage/assets/win/dir/f.bin").body, b"w");
    // The buckets are separate.
    assert_eq!(
        put("/admin/storage/temp/folder/sub/file.txt", b"temp").status,
        200
    );
    assert_eq!(get("/admin/storage/temp/folder/sub/file.txt").body, b"temp");
    assert_eq!(
        get("/admin/storage/assets/folder/sub/file.txt").body,
        b"nested"
    );

    let cases = [
        (
            "/admin/storage/assets/..%2Ffile.txt",
            "Invalid key: path traversal is not allowed",
        ),
        (
            "/admin/storage/assets/a/../../secret.txt",
            "Invalid key: path traversal is not allowed",
        ),
        (
            "/admin/storage/assets/%2e%2e/x",
            "Invalid key: path traversal is not allowed",
        ),
        (
            "/admin/storage/assets/..%5Cfile.txt",
            "Invalid key: path traversal is not allowed",
        ),
        (
            "/admin/storage/assets//etc/passwd",
            "Invalid key: absolute paths are not allowed",
        ),
        (
            "/admin/storage/assets/%5Cwindows%5Csystem32",
            "Invalid key: absolute paths are not allowed",
        ),
        (
            "/admin/storage/assets/",
            "Invalid key: key must not be empty",
        ),
        (
            "/admin/storage/assets/.",
            "Invalid key: key must not be empty",
        ),
        (
            "/admin/storage/assets/a%00b",
            "Invalid key: control characters are not allowed",
        ),
        (
            "/admin/storage/assets/a%0Ab",
            "Invalid key: control characters are not allowed",
        ),
        ("/admin/storage/assets/%ff", "Invalid key: not valid UTF-8"),
    ];
    // Workers parse the URL (WHATWG) before the Worker sees it, which resolves dot segments,
    // even percent-encoded ones: these arrive as another path, outside the bucket, and find
    // nothing there. Every other host refuses them by name.
    let resolved_by_the_platform = [
        "/admin/storage/assets/a/../../secret.txt",
        "/admin/storage/assets/%2e%2e/x",
    ];
    for (path, detail) in cases {
        for method in ["PUT", "GET", "DELETE"] {
            let r = with(&t, method, path, &[], b"x");
            if Host::current() == Host::Wrangler && resolved_by_the_platform.contains(&path) {
                assert_eq!(
                    (r.status, r.detail()),
                    (404, "Not Found".into()),
                    "{method} {path}"
                );
                continue;
            }
            assert_eq!(r.status, 400, "{method} {path}: {}", r.text());
            assert_eq!(r.detail(), detail, "{method} {path}");
        }
    }
    assert_eq!(get("/admin/storage/elsewhere/x").status, 404);
    let r = with(&t, "POST", "/admin/storage/assets/x", &[], b"x");
    assert_eq!(r.status, 405);
}

#[test]
fn keys_at_the_length_limit_work() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    // 1024 bytes, percent-encoded to 3072: far past Workers KV's 512-byte keys.
    let key = format!("{}/{}", "d".repeat(23), "ü".repeat(500));
    let path = format!("/admin/storage/assets/{}", key.replace('ü', "%C3%BC"));
    let r = with(&t, "PUT", &path, &[], b"long");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(with(&t, "GET", &path, &[], b"").body, b"long");
    // One byte more is refused by name.
    let over = format!("{path}x");
    let r = with(&t, "PUT", &over, &[], b"x");
    assert_eq!(
        (r.status, r.detail()),
        (
            400,
            "Invalid key: key is longer than 1024 bytes".to_string()
        )
    );
    assert_eq!(with(&t, "DELETE", &path, &[], b"").status, 204);
    assert_eq!(with(&t, "GET", &path, &[], b"").status, 404);
}

#[test]
fn admin_token_guards_storage_in_production() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let auth = ("Authorization", bearer.as_bytes());
    let r = t.anon("PUT", "/admin/storage/assets/a.txt", &[auth], b"x");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.detail(),
        "Admin token required. Use X-Admin-Token header."
    );
    let r = t.anon(
        "PUT",
        "/admin/storage/assets/a.txt",
        &[auth, ("X-Admin-Token", b"wrong")],
        b"x",
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.detail(), "Invalid admin token.");
    let r = t.anon(
        "PUT",
        "/admin/storage/assets/a.txt",
        &[auth, ("X-Admin-Token", ADMIN_TOKEN.as_bytes())],
        b"x",
    );
    assert_eq!(r.status, 200);
    // The admin token alone is not enough.
    let r = t.anon(
        "GET",
        "/admin/storage/assets/a.txt",
        &[("X-Admin-Token", ADMIN_TOKEN.as_bytes())],
        b"",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn uploads_over_the_limit_are_413_and_change_nothing() {
    let Some(t) = Target::with_env(Profile::Static, &[("MAX_UPLOAD_BYTES", "2500000")]) else {
        return;
    };
    assert_eq!(
        with(&t, "PUT", "/admin/storage/assets/keep.bin", &[], b"old").status,
        200
    );
    // Over the limit after two full chunks were already written: they are discarded.
    let r = with(
        &t,
        "PUT",
        "/admin/storage/assets/keep.bin",
        &[],
        &bytes(2_600_000),
    );
    assert_eq!(r.status, 413);
    assert_eq!(
        r.detail(),
        "Request body too large: the limit is 2500000 bytes"
    );
    assert_eq!(
        with(&t, "GET", "/admin/storage/assets/keep.bin", &[], b"").body,
        b"old"
    );
    let r = with(
        &t,
        "PUT",
        "/admin/storage/assets/new.bin",
        &[],
        &bytes(2_500_000),
    );
    assert_eq!(r.status, 200);
    // An empty object is fine.
    assert_eq!(
        with(&t, "PUT", "/admin/storage/temp/empty.txt", &[], b"").status,
        200
    );
    let r = with(&t, "GET", "/admin/storage/temp/empty.txt", &[], b"");
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert_eq!(
        with(
            &t,
            "GET",
            "/admin/storage/temp/empty.txt",
            &[("Range", "bytes=0-")],
            b""
        )
        .status,
        416
    );
}

#[test]
fn fifty_mib_survive_a_restart_and_serve_their_last_byte() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = Profile::Static.env();
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let auth = ("Authorization", bearer.as_bytes());
    let data = bytes(50 * 1024 * 1024);
    let r = Runner::start(&["serve"], &env, dir.path());
    let put = request(
        &r.base,
        "PUT",
        "/admin/storage/assets/big.bin",
        &[auth],
        &data,
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(r.terminate(), Some(0));

    let r = Runner::start(&["serve"], &env, dir.path());
    let last = request(
        &r.base,
        "GET",
        "/admin/storage/assets/big.bin",
        &[auth, ("Range", b"bytes=-1")],
        b"",
    );
    assert_eq!(last.status, 206);
    assert_eq!(last.body, &data[data.len() - 1..]);
    assert_eq!(
        last.header("content-range"),
        Some("bytes 52428799-52428799/52428800")
    );
    // A range across a chunk boundary.
    let mid = request(
        &r.base,
        "GET",
        "/admin/storage/assets/big.bin",
        &[auth, ("Range", b"bytes=1048570-1048585")],
        b"",
    );
    assert_eq!(mid.body, &data[1_048_570..=1_048_585]);
    let all = request(
        &r.base,
        "GET",
        "/admin/storage/assets/big.bin",
        &[auth],
        b"",
    );
    assert_eq!(all.status, 200);
    assert!(all.body == data, "whole object differs");
}

/// Rows of the runner's database holding object chunks (`blobs/v1/{upload}/{n}`), read from
/// the file itself while the runner may be running (the store is in WAL mode).
fn chunk_rows(dir: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("nodetool-edge.sqlite3")).unwrap();
    conn.query_row(
        "SELECT count(*) FROM nodetool_edge_kv WHERE key LIKE 'blobs/v1/%'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// The head record of `assets/{key}` as stored, as text.
fn head_record(dir: &std::path::Path, key: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(dir.join("nodetool-edge.sqlite3")).unwrap();
    conn.query_row(
        "SELECT value FROM nodetool_edge_kv WHERE key = ?1",
        [format!("storage/v1/assets/{key}")],
        |r| r.get::<_, Vec<u8>>(0),
    )
    .ok()
    .map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Needs the store's compare-and-swap to be atomic: with a read-then-write one, writers in
/// different instances overwrite each other's entries in the head, and uploads either leave
/// orphaned chunks or find themselves gone from the pending list (409).
#[test]
fn a_storm_of_puts_to_one_key_leaves_one_whole_object_and_only_its_chunks() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve"], &Profile::Static.env(), dir.path());
    let bearer = format!("Bearer {STATIC_TOKEN}");
    const WRITERS: usize = 16;
    const SIZE: usize = 3 * 1024 * 1024;
    let bodies: Vec<Vec<u8>> = (0..WRITERS)
        .map(|w| {
            (0..SIZE)
                .map(|i| (i * 7 + i / 251 + w * 13) as u8)
                .collect()
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|body| {
                let (base, bearer) = (&r.base, &bearer);
                s.spawn(move || {
                    request(
                        base,
                        "PUT",
                        "/admin/storage/assets/storm.bin",
                        &[("Authorization", bearer.as_bytes())],
                        body,
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");

    let got = request(
        &r.base,
        "GET",
        "/admin/storage/assets/storm.bin",
        &[("Authorization", bearer.as_bytes())],
        b"",
    );
    assert_eq!(got.status, 200);
    let winner = bodies.iter().position(|b| *b == got.body);
    assert!(winner.is_some(), "the object is none of the bodies, whole");
    // Every other upload's chunks were deleted by whoever replaced it, and nothing is left
    // pending: exactly the winner's ceil(3 MiB / 1 MiB) chunks remain.
    assert_eq!(chunk_rows(dir.path()), 3);
    let head = head_record(dir.path(), "storm.bin").unwrap();
    assert!(
        !head.contains("pending") && !head.contains("retired"),
        "{head}"
    );
    assert!(r.panics().is_empty(), "{:?}", r.panics());
}

#[test]
fn an_upload_killed_midway_is_never_visible_and_a_delete_collects_it() {
    if skip_unless_native() {
        return;
    }
    use std::io::Write;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let env = Profile::Static.env();
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let auth = ("Authorization", bearer.as_bytes());
    let path = "/admin/storage/assets/killed.bin";
    let old = bytes(1_500_000);
    let r = Runner::start(&["serve"], &env, dir.path());
    assert_eq!(request(&r.base, "PUT", path, &[auth], &old).status, 200);
    assert_eq!(chunk_rows(dir.path()), 2);

    // 8 MiB announced, 3 MiB sent: the upload writes its first chunks and waits for more.
    let authority = r.base.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {bearer}\r\n\
         Content-Length: {}\r\n\r\n",
        8 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&bytes(3 * 1024 * 1024)).unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while chunk_rows(dir.path()) < 2 + 3 {
        assert!(Instant::now() < until, "the upload wrote no chunks");
        std::thread::sleep(Duration::from_millis(20));
    }
    r.kill();
    drop(stream);
    let debris = chunk_rows(dir.path()) - 2;
    println!("chunks of the killed upload: {debris}");
    assert!(debris >= 3);

    let r = Runner::start(&["serve"], &env, dir.path());
    let got = request(&r.base, "GET", path, &[auth], b"");
    assert_eq!(got.status, 200);
    assert!(got.body == old, "the object is not the previous one, whole");
    // The killed upload is listed in the head, and a PUT within the staleness bound leaves
    // it alone (it could still be running): only the replaced object's chunks go.
    assert!(
        head_record(dir.path(), "killed.bin")
            .unwrap()
            .contains("pending")
    );
    assert_eq!(request(&r.base, "PUT", path, &[auth], b"new").status, 200);
    assert_eq!(chunk_rows(dir.path()), 1 + debris);
    // A DELETE collects every pending upload of the key, whatever its age.
    assert_eq!(request(&r.base, "DELETE", path, &[auth], b"").status, 204);
    assert_eq!(chunk_rows(dir.path()), 0);
    assert_eq!(request(&r.base, "GET", path, &[auth], b"").status, 404);
    let head = head_record(dir.path(), "killed.bin").unwrap();
    assert!(
        !head.contains("pending") && !head.contains("retired"),
        "{head}"
    );
}
