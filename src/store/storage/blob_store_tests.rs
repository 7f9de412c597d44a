//! Tests of the stored-object writes: switches, crashes and concurrent writers driven step by step.

use std::cell::Cell;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use http_body_util::Full;

use super::*;
use crate::memory_host::MemoryHost;

const NOW: i64 = 1_700_000_000_000_000;

/// The memory host with a pause before every store operation, so that several writers
/// driven together interleave at each of them, as concurrent requests do on a real host.
/// Its swap is atomic, or (`atomic: false`) a read and a write as on Workers KV.
struct Yielding<'a> {
    host: &'a MemoryHost,
    atomic: bool,
    lost_swaps: Cell<u32>,
}

struct Pause(bool);

impl Future for Pause {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

impl KeyValue for Yielding<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Pause(false).await;
        self.host.get(key).await
    }
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        Pause(false).await;
        self.host.set(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        Pause(false).await;
        self.host.delete(key).await
    }
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        self.host.list_prefix(prefix).await
    }
    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        let done = if self.atomic {
            Pause(false).await;
            self.host.swap(key, expected, new).await?
        } else if self.get(key).await?.as_deref() == expected {
            self.set(key, new).await?;
            true
        } else {
            false
        };
        if !done {
            self.lost_swaps.set(self.lost_swaps.get() + 1);
        }
        Ok(done)
    }
    fn atomic_swap(&self) -> bool {
        self.atomic
    }
}

fn yielding(host: &MemoryHost) -> Yielding<'_> {
    Yielding {
        host,
        atomic: true,
        lost_swaps: Cell::new(0),
    }
}

fn racy(host: &MemoryHost) -> Yielding<'_> {
    Yielding {
        host,
        atomic: false,
        lost_swaps: Cell::new(0),
    }
}

type Task<'f, T> = Pin<Box<dyn Future<Output = T> + 'f>>;

fn poll<T>(task: &mut Task<'_, T>) -> Poll<T> {
    task.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

/// Runs `tasks` to completion, each step polling one of the unfinished ones picked by a
/// generator seeded with `seed`: every seed is another interleaving of their operations.
fn drive<T>(mut tasks: Vec<Task<'_, T>>, seed: u64) -> Vec<T> {
    let mut out: Vec<Option<T>> = tasks.iter().map(|_| None).collect();
    let mut state = seed;
    while out.iter().any(Option::is_none) {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let live: Vec<usize> = (0..tasks.len()).filter(|&i| out[i].is_none()).collect();
        let i = live[(state >> 33) as usize % live.len()];
        if let Poll::Ready(v) = poll(&mut tasks[i]) {
            out[i] = Some(v);
        }
    }
    out.into_iter().map(Option::unwrap).collect()
}

/// Runs one task alone to its end (its pauses do not wake it: it is polled again).
fn run<'f, T>(fut: impl Future<Output = T> + 'f) -> T {
    let mut task: Task<'f, T> = Box::pin(fut);
    loop {
        if let Poll::Ready(v) = poll(&mut task) {
            return v;
        }
    }
}

fn body(seed: u8, len: usize) -> Full<Bytes> {
    Full::new(Bytes::from(
        (0..len)
            .map(|i| seed.wrapping_mul(37).wrapping_add(i as u8))
            .collect::<Vec<_>>(),
    ))
}

fn bytes_of(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(37).wrapping_add(i as u8))
        .collect()
}

fn chunk_keys(host: &MemoryHost) -> Vec<String> {
    host.kv
        .borrow()
        .keys()
        .filter(|k| k.starts_with("blobs/v1/"))
        .cloned()
        .collect()
}

fn chunks_of(host: &MemoryHost, upload: &str) -> usize {
    let prefix = format!("blobs/v1/{upload}/");
    chunk_keys(host)
        .iter()
        .filter(|k| k.starts_with(&prefix))
        .count()
}

fn head(host: &MemoryHost) -> Option<Head> {
    let raw = host
        .kv
        .borrow()
        .get(&meta_key(Bucket::Assets, "k"))
        .cloned()?;
    Some(Head::parse(&raw).expect("a readable head"))
}

/// The object at `k` with exactly its own chunks in the store and nothing left listed.
fn assert_clean(host: &MemoryHost) -> Option<BlobMeta> {
    let head = head(host).unwrap_or_default();
    assert!(head.pending.is_empty(), "{head:?}");
    assert!(head.retired.is_empty(), "{head:?}");
    let expected: Vec<String> = match &head.object {
        Some(o) => (0..o.chunks()).map(|n| chunk_key(&o.upload, n)).collect(),
        None => vec![],
    };
    let mut found = chunk_keys(host);
    found.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(found, expected_sorted, "{head:?}");
    head.object
}

fn read_all(host: &MemoryHost, meta: &BlobMeta) -> Vec<u8> {
    let store = BlobStore::new(host);
    run(store.read(meta, 0, meta.size.saturating_sub(1)))
        .unwrap()
        .to_vec()
}

#[test]
fn concurrent_puts_leave_one_whole_object_and_no_other_chunk() {
    let mut lost = 0;
    for seed in 0..300 {
        let host = MemoryHost::default();
        let first = BlobStore::with_chunk_size(&host, 4);
        run(first.put(Bucket::Assets, "k", body(9, 10), 1 << 20, "w9".into(), NOW)).unwrap();
        let kv = yielding(&host);
        let store = BlobStore::with_chunk_size(&kv, 4);
        // Up to 10 chunks each: past the first allowance, so raising it races too.
        let lens = [38, 5, 17, 0];
        let tasks: Vec<Task<'_, Result<BlobMeta, ApiError>>> = (0..4u8)
            .map(|i| {
                Box::pin(store.put(
                    Bucket::Assets,
                    "k",
                    body(i, lens[i as usize]),
                    1 << 20,
                    format!("w{i}"),
                    NOW + 1,
                )) as Task<'_, _>
            })
            .collect();
        let results = drive(tasks, seed);
        lost += kv.lost_swaps.get();
        for r in &results {
            assert!(r.is_ok(), "seed {seed}: {r:?}");
        }
        let object = assert_clean(&host).expect("an object");
        let winner: u8 = object.upload[1..].parse().unwrap();
        assert!(winner < 4, "seed {seed}: {object:?}");
        assert_eq!(
            read_all(&host, &object),
            bytes_of(winner, lens[winner as usize])
        );
    }
    // The schedules did make writers lose swaps and retry.
    assert!(lost > 100, "{lost}");
}

#[test]
fn a_delete_among_puts_either_wins_or_loses_and_leaves_no_chunk_behind() {
    let mut cancelled = 0;
    for seed in 0..300 {
        let host = MemoryHost::default();
        let first = BlobStore::with_chunk_size(&host, 4);
        run(first.put(Bucket::Assets, "k", body(9, 6), 1 << 20, "w9".into(), NOW)).unwrap();
        let kv = yielding(&host);
        let store = BlobStore::with_chunk_size(&kv, 4);
        let mut tasks: Vec<Task<'_, Result<bool, ApiError>>> = (0..3u8)
            .map(|i| {
                let store = &store;
                Box::pin(async move {
                    store
                        .put(
                            Bucket::Assets,
                            "k",
                            body(i, 9 + 10 * i as usize),
                            1 << 20,
                            format!("w{i}"),
                            NOW + 1,
                        )
                        .await
                        .map(|_| true)
                }) as Task<'_, _>
            })
            .collect();
        tasks.push(Box::pin(store.delete(Bucket::Assets, "k")));
        let results = drive(tasks, seed);
        for (i, r) in results.iter().take(3).enumerate() {
            match r {
                Ok(_) => {}
                Err(ApiError::Conflict(d)) if d == CANCELLED => cancelled += 1,
                Err(e) => panic!("seed {seed}, writer {i}: {e:?}"),
            }
        }
        // DELETE finds the first object, or one a faster writer switched in.
        assert_eq!(results[3], Ok(true), "seed {seed}");
        if let Some(object) = assert_clean(&host) {
            let winner: usize = object.upload[1..].parse().unwrap();
            assert!(results[winner].is_ok(), "seed {seed}: {object:?}");
        }
    }
    assert!(cancelled > 0);
}

/// Polls a put until `until` holds, then drops it: the process died there.
fn crash_when<K: KeyValue>(
    store: &BlobStore<'_, K>,
    upload: &str,
    len: usize,
    now: i64,
    until: impl Fn() -> bool,
) {
    let mut task: Task<'_, _> = Box::pin(store.put(
        Bucket::Assets,
        "k",
        body(7, len),
        1 << 20,
        upload.into(),
        now,
    ));
    while !until() {
        assert!(poll(&mut task).is_pending(), "finished before the crash");
    }
}

#[test]
fn a_crashed_upload_stays_listed_until_it_is_stale_or_the_key_is_deleted() {
    let host = MemoryHost::default();
    let plain = BlobStore::with_chunk_size(&host, 4);
    run(plain.put(Bucket::Assets, "k", body(1, 10), 1 << 20, "old".into(), NOW)).unwrap();
    let kv = yielding(&host);
    let store = BlobStore::with_chunk_size(&kv, 4);
    crash_when(&store, "dead", 40, NOW + 1, || {
        chunks_of(&host, "dead") == 6
    });

    // Readers see the old object, whole.
    let meta = run(plain.meta(Bucket::Assets, "k")).unwrap().unwrap();
    assert_eq!(meta.upload, "old");
    assert_eq!(read_all(&host, &meta), bytes_of(1, 10));
    let dead = &head(&host).unwrap().pending[0];
    assert_eq!((dead.upload.as_str(), dead.chunks), ("dead", 8));

    // A later PUT within the bound leaves it: it might still be running.
    run(plain.put(
        Bucket::Assets,
        "k",
        body(2, 5),
        1 << 20,
        "a".into(),
        NOW + 2,
    ))
    .unwrap();
    assert_eq!(chunks_of(&host, "dead"), 6);
    assert_eq!(chunks_of(&host, "old"), 0);
    // Past it, the next one deletes it.
    let late = NOW + 1 + STALE_AFTER_MICROS + 1;
    run(plain.put(Bucket::Assets, "k", body(3, 5), 1 << 20, "b".into(), late)).unwrap();
    assert_eq!(assert_clean(&host).unwrap().upload, "b");

    // DELETE collects pending uploads of any age.
    crash_when(&store, "dead2", 40, late + 1, || {
        chunks_of(&host, "dead2") == 3
    });
    assert_eq!(run(plain.delete(Bucket::Assets, "k")), Ok(true));
    assert_eq!(assert_clean(&host), None);
    assert_eq!(run(plain.meta(Bucket::Assets, "k")), Ok(None));
    // What is left of the key is a head of a few bytes with no object.
    let raw = host.kv.borrow()[&meta_key(Bucket::Assets, "k")].clone();
    assert_eq!(raw, br#"{"format":1}"#);
    assert_eq!(run(plain.delete(Bucket::Assets, "k")), Ok(false));
}

#[test]
fn a_crash_after_the_switch_leaves_the_replaced_chunks_listed_for_the_next_write() {
    let host = MemoryHost::default();
    let plain = BlobStore::with_chunk_size(&host, 4);
    run(plain.put(Bucket::Assets, "k", body(1, 10), 1 << 20, "old".into(), NOW)).unwrap();
    let kv = yielding(&host);
    let store = BlobStore::with_chunk_size(&kv, 4);
    crash_when(&store, "new", 6, NOW + 1, || {
        head(&host).unwrap().object.unwrap().upload == "new"
    });
    let h = head(&host).unwrap();
    assert_eq!(
        h.retired,
        vec![Retired {
            upload: "old".into(),
            chunks: 3
        }]
    );
    assert_eq!(chunks_of(&host, "old"), 3);
    let meta = run(plain.meta(Bucket::Assets, "k")).unwrap().unwrap();
    assert_eq!(read_all(&host, &meta), bytes_of(7, 6));
    run(plain.put(
        Bucket::Assets,
        "k",
        body(2, 5),
        1 << 20,
        "a".into(),
        NOW + 2,
    ))
    .unwrap();
    assert_eq!(assert_clean(&host).unwrap().upload, "a");
}

#[test]
fn an_upload_cancelled_by_delete_removes_what_it_wrote_and_answers_409() {
    // Cancelled while writing (it notices when it raises its allowance), and cancelled
    // with everything written (it notices at its switch).
    for (len, written_at_delete) in [(40, 3), (12, 3)] {
        let host = MemoryHost::default();
        let plain = BlobStore::with_chunk_size(&host, 4);
        run(plain.put(Bucket::Assets, "k", body(1, 10), 1 << 20, "old".into(), NOW)).unwrap();
        let kv = yielding(&host);
        let store = BlobStore::with_chunk_size(&kv, 4);
        let mut task: Task<'_, _> = Box::pin(store.put(
            Bucket::Assets,
            "k",
            body(7, len),
            1 << 20,
            "up".into(),
            NOW + 1,
        ));
        while chunks_of(&host, "up") < written_at_delete {
            assert!(poll(&mut task).is_pending());
        }
        assert_eq!(run(plain.delete(Bucket::Assets, "k")), Ok(true));
        let result = loop {
            if let Poll::Ready(r) = poll(&mut task) {
                break r;
            }
        };
        assert_eq!(result, Err(ApiError::Conflict(CANCELLED.into())), "{len}");
        assert_eq!(assert_clean(&host), None, "{len}");
    }
}

#[test]
fn a_failed_upload_withdraws_and_leaves_nothing() {
    let host = MemoryHost::default();
    let store = BlobStore::with_chunk_size(&host, 4);
    run(store.put(Bucket::Assets, "k", body(1, 10), 1 << 20, "old".into(), NOW)).unwrap();
    let r = run(store.put(Bucket::Assets, "k", body(2, 30), 20, "big".into(), NOW + 1));
    assert_eq!(r, Err(ApiError::PayloadTooLarge { limit: 20 }));
    assert_eq!(assert_clean(&host).unwrap().upload, "old");
}

#[test]
fn heads_of_the_first_format_read_and_are_replaced_cleanly() {
    let host = MemoryHost::default();
    let old = br#"{"format":1,"size":5,"chunk_size":1048576,"upload":"u0","modified":1}"#;
    host.kv
        .borrow_mut()
        .insert(meta_key(Bucket::Assets, "k"), old.to_vec());
    host.kv
        .borrow_mut()
        .insert(chunk_key("u0", 0), b"hello".to_vec());
    let store = BlobStore::new(&host);
    let meta = run(store.meta(Bucket::Assets, "k")).unwrap().unwrap();
    assert_eq!(read_all(&host, &meta), b"hello");

    run(store.put(Bucket::Assets, "k", body(3, 7), 1 << 20, "u1".into(), NOW)).unwrap();
    assert_eq!(assert_clean(&host).unwrap().upload, "u1");
    // Written as before: an older reader of the store still understands it.
    let raw = host.kv.borrow()[&meta_key(Bucket::Assets, "k")].clone();
    let fields: Vec<String> = serde_json::from_slice::<serde_json::Map<String, _>>(&raw)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        fields,
        ["chunk_size", "format", "modified", "size", "upload"]
    );
}

#[test]
fn a_damaged_head_is_unreadable_until_a_write_replaces_it() {
    let host = MemoryHost::default();
    let store = BlobStore::new(&host);
    for damaged in [&br#"{"format":1,"upload":"x"}"#[..], b"not json"] {
        host.kv
            .borrow_mut()
            .insert(meta_key(Bucket::Assets, "k"), damaged.to_vec());
        assert_eq!(
            run(store.meta(Bucket::Assets, "k")),
            Err(ApiError::Internal(UNREADABLE))
        );
        assert_eq!(run(store.delete(Bucket::Assets, "k")), Ok(true));
        assert_eq!(run(store.meta(Bucket::Assets, "k")), Ok(None));
        host.kv
            .borrow_mut()
            .insert(meta_key(Bucket::Assets, "k"), damaged.to_vec());
        run(store.put(Bucket::Assets, "k", body(3, 7), 1 << 20, "u".into(), NOW)).unwrap();
        assert_eq!(assert_clean(&host).unwrap().upload, "u");
    }
}

#[test]
fn without_an_atomic_swap_writers_may_orphan_chunks_but_never_break_an_object() {
    let mut orphaned = 0;
    for seed in 0..300 {
        let host = MemoryHost::default();
        let first = BlobStore::with_chunk_size(&host, 4);
        run(first.put(Bucket::Assets, "k", body(9, 6), 1 << 20, "w9".into(), NOW)).unwrap();
        let kv = racy(&host);
        let store = BlobStore::with_chunk_size(&kv, 4);
        let mut tasks: Vec<Task<'_, Result<bool, ApiError>>> = (0..3u8)
            .map(|i| {
                let store = &store;
                Box::pin(async move {
                    store
                        .put(
                            Bucket::Assets,
                            "k",
                            body(i, 9 + 10 * i as usize),
                            1 << 20,
                            format!("w{i}"),
                            NOW + 1,
                        )
                        .await
                        .map(|_| true)
                }) as Task<'_, _>
            })
            .collect();
        if seed % 2 == 0 {
            tasks.push(Box::pin(store.delete(Bucket::Assets, "k")));
        }
        let results = drive(tasks, seed);
        // No upload is cancelled: a missing entry there means a lost write, not a DELETE,
        // and nothing deletes a live upload's chunks.
        for r in &results {
            assert!(r.is_ok(), "seed {seed}: {r:?}");
        }
        let head = head(&host).unwrap_or_default();
        if let Some(object) = &head.object {
            let winner: usize = object.upload[1..].parse().unwrap();
            let len = if winner == 9 { 6 } else { 9 + 10 * winner };
            assert_eq!(
                read_all(&host, object),
                bytes_of(winner as u8, len),
                "{seed}"
            );
        }
        let listed: usize = head.object.iter().map(|o| o.chunks() as usize).sum();
        orphaned += chunk_keys(&host).len() - listed;
    }
    // The weaker guarantee is real: some interleavings do leave chunks behind.
    assert!(orphaned > 0);
}

#[test]
fn without_an_atomic_swap_nothing_is_listed_and_a_crash_leaves_its_chunks() {
    let host = MemoryHost::default();
    let kv = racy(&host);
    let store = BlobStore::with_chunk_size(&kv, 4);
    run(store.put(Bucket::Assets, "k", body(1, 10), 1 << 20, "old".into(), NOW)).unwrap();
    crash_when(&store, "dead", 40, NOW, || chunks_of(&host, "dead") == 3);
    let raw = host.kv.borrow()[&meta_key(Bucket::Assets, "k")].clone();
    assert_eq!(Head::parse(&raw).unwrap().object.unwrap().upload, "old");
    assert!(!String::from_utf8_lossy(&raw).contains("pending"));
    run(store.put(Bucket::Assets, "k", body(2, 5), 1 << 20, "new".into(), NOW)).unwrap();
    assert_eq!(run(store.delete(Bucket::Assets, "k")), Ok(true));
    assert_eq!(
        chunk_keys(&host).len(),
        3,
        "the weaker guarantee of such hosts"
    );
}
