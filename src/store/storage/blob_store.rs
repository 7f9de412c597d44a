//! Objects as chunks in the KV store.
//!
//! Layout: a small head record at `storage/v1/{bucket}/{key}` names the object's upload id, and
//! the bytes live at `blobs/v1/{upload}/{n}` in chunks of `CHUNK_SIZE`. An upload writes all its
//! chunks first and switches the head last, so a reader sees the old object or the new one,
//! never a mix or a part.
//!
//! Nothing an upload writes is ever unaccounted for, so no write leaves chunks that only a
//! listing of keys could find (on Spin that reads every key of the store). The head also lists
//! the key's *pending* uploads (id, start time, how many chunks each may have written) and its
//! *retired* ones (chunks to delete). Every change of the head is a compare-and-swap against
//! the exact bytes read, retried on a fresh read when another writer got there first:
//!
//! 1. An upload enters `pending` before it writes a chunk, and raises its chunk allowance there
//!    (doubling) before it writes past it.
//! 2. Its switch makes it the object, leaves `pending`, and moves whatever it replaced into
//!    `retired`, in one swap; so of any number of concurrent writers the last to switch wins and
//!    each replaced upload is retired by exactly one of them.
//! 3. It then deletes the retired chunks and only then removes them from `retired`: a crash in
//!    between leaves them listed for the next write of the key.
//!
//! A crashed upload stays in `pending`. Later switches retire pending uploads older than
//! [`STALE_AFTER_MICROS`]; a DELETE of the key retires all of them whatever their age. An
//! upload that finds itself retired while still running deletes its own chunks and fails with
//! 409 (see [`BlobStore::put`]). Deleting an object leaves its head as a record of a few bytes
//! with no object: without a compare-and-delete on the port, removing the key could remove an
//! upload that started meanwhile.
//!
//! Where the host's swap is not atomic (Workers KV: a read, then a write), a write of the head
//! made from a read that is already out of date would put back whatever object that read
//! showed, possibly one whose chunks its replacer has deleted since: a broken object. So there
//! the head is written only by a switch (its own new object) and by DELETE (none), as before
//! the lists existed; nothing is listed, replaced chunks are deleted right after the switch,
//! and concurrent writers or a crash can leave chunks behind (`docs/workers.md`).
//!
//! The head keeps FORMAT 1: the pending and retired lists are optional fields, so heads written
//! before they existed read as objects with nothing pending, and a head with nothing pending is
//! written exactly as before.

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};

use super::Bucket;
use crate::host::{KeyValue, KvError};
use crate::http::error::ApiError;
use crate::store::records::seg;

/// 1 MiB: well under every platform's value limit (Workers KV: 25 MiB), and the most a range
/// read loads beyond what it returns.
pub const CHUNK_SIZE: usize = 1024 * 1024;

pub const FORMAT: u32 = 1;

/// How long a pending upload may run before a later write of its key takes it for dead and
/// deletes its chunks: 25 hours. No live upload gets that far: the native runner cuts every
/// request off at `--timeout-ms`, whose largest allowed value is 24 hours, and the extra hour
/// covers the clocks of several runners sharing one store disagreeing.
pub const STALE_AFTER_MICROS: i64 = 25 * 3600 * 1_000_000;

/// Chunks an upload may write before it first raises its allowance in the head (then it
/// doubles), so that a dead upload's allowance is at most about twice what it wrote and
/// collecting it deletes few keys that never existed.
const FIRST_ALLOWANCE: u64 = 4;

/// Head swaps one write attempts before giving up with 503. Every failed swap means another
/// writer's swap succeeded, so this only runs out under a storm of writers to one key.
const MAX_SWAPS: u32 = 256;

const BUSY: &str = "Too many concurrent writes to this object, try again later";
const CANCELLED: &str =
    "The object was deleted while this upload was in progress; nothing was stored";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobMeta {
    pub format: u32,
    pub size: u64,
    pub chunk_size: u64,
    pub upload: String,
    /// Microseconds since the epoch, UTC.
    pub modified: i64,
}

impl BlobMeta {
    fn chunks(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }
}

/// An upload of the key that has not switched yet, or a dead one nobody has retired yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    upload: String,
    /// Microseconds since the epoch, UTC.
    started: i64,
    /// It writes no chunk at or past this number without raising it here first.
    chunks: u64,
}

/// Chunks `0..chunks` of an upload that no head refers to any more, to be deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Retired {
    upload: String,
    chunks: u64,
}

/// The record at `storage/v1/{bucket}/{key}`: the object, if there is one, and the key's
/// unfinished uploads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Head {
    object: Option<BlobMeta>,
    pending: Vec<Pending>,
    retired: Vec<Retired>,
    /// Read from a record that does not parse (never written): any change replaces it.
    damaged: bool,
}

/// A head as stored: the object's fields at the top level, as heads were written before they
/// had lists, so both kinds read and a head with empty lists is written as before.
#[derive(Serialize, Deserialize)]
struct HeadRecord {
    format: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chunk_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<Pending>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    retired: Vec<Retired>,
}

/// A head whose fields do not make an object (an upload id without a size, a zero chunk size).
#[derive(Debug)]
struct DamagedHead;

impl TryFrom<HeadRecord> for Head {
    type Error = DamagedHead;

    fn try_from(r: HeadRecord) -> Result<Self, DamagedHead> {
        let object = match (r.upload, r.size, r.chunk_size, r.modified) {
            (Some(upload), Some(size), Some(chunk_size), Some(modified)) if chunk_size > 0 => {
                Some(BlobMeta {
                    format: r.format,
                    size,
                    chunk_size,
                    upload,
                    modified,
                })
            }
            (None, None, None, None) => None,
            _ => return Err(DamagedHead),
        };
        Ok(Head {
            object,
            pending: r.pending,
            retired: r.retired,
            damaged: false,
        })
    }
}

impl Head {
    fn parse(bytes: &[u8]) -> Result<Head, DamagedHead> {
        let record: HeadRecord = serde_json::from_slice(bytes).map_err(|_| DamagedHead)?;
        Head::try_from(record)
    }

    fn to_bytes(&self) -> Vec<u8> {
        let o = self.object.as_ref();
        let record = HeadRecord {
            format: FORMAT,
            size: o.map(|o| o.size),
            chunk_size: o.map(|o| o.chunk_size),
            upload: o.map(|o| o.upload.clone()),
            modified: o.map(|o| o.modified),
            pending: self.pending.clone(),
            retired: self.retired.clone(),
        };
        serde_json::to_vec(&record).expect("a head serializes")
    }

    fn retire_object(&mut self) {
        if let Some(old) = self.object.take() {
            self.retired.push(Retired {
                chunks: old.chunks(),
                upload: old.upload,
            });
        }
    }

    /// Moves the pending uploads `dead` picks to `retired`.
    fn retire_pending(&mut self, mut dead: impl FnMut(&Pending) -> bool) {
        let (gone, live): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| dead(p));
        self.pending = live;
        self.retired.extend(gone.into_iter().map(|p| Retired {
            upload: p.upload,
            chunks: p.chunks,
        }));
    }

    fn pending_mut(&mut self, upload: &str) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|p| p.upload == upload)
    }
}

/// Why a change of the head did not happen, or may not have.
#[derive(Debug)]
enum HeadError {
    /// Every swap lost to another writer: the head is as others left it.
    Busy,
    /// The store failed; the last swap may or may not have been written.
    Store(KvError),
    /// The change itself refused (an upload that was retired meanwhile).
    Refused(ApiError),
}

impl From<KvError> for HeadError {
    fn from(e: KvError) -> Self {
        HeadError::Store(e)
    }
}

impl From<HeadError> for ApiError {
    fn from(e: HeadError) -> Self {
        match e {
            HeadError::Busy => ApiError::Unavailable(BUSY),
            HeadError::Store(e) => e.into(),
            HeadError::Refused(e) => e,
        }
    }
}

/// Whether a pending upload started so long before `now` that it cannot be running any more.
fn stale(p: &Pending, now: i64) -> bool {
    now.saturating_sub(p.started) > STALE_AFTER_MICROS
}

fn meta_key(bucket: Bucket, key: &str) -> String {
    format!("storage/v1/{}/{}", bucket.as_str(), seg(key))
}

pub(crate) fn chunk_key(upload: &str, n: u64) -> String {
    format!("blobs/v1/{upload}/{n}")
}

const UNREADABLE: &str = "A stored object could not be read";

/// The part of chunk `n` that falls in bytes `start..=end` of its object; `None` when the
/// chunk is too short to hold it (a damaged object).
pub(crate) fn piece_of(
    chunk: &[u8],
    n: u64,
    chunk_size: u64,
    start: u64,
    end: u64,
) -> Option<&[u8]> {
    let base = n * chunk_size;
    let from = start.saturating_sub(base) as usize;
    let to = ((end - base + 1).min(chunk.len() as u64)) as usize;
    (from <= to).then(|| &chunk[from..to])
}

fn unreadable() -> ApiError {
    ApiError::Internal(UNREADABLE)
}

pub struct BlobStore<'a, K: KeyValue> {
    kv: &'a K,
    chunk_size: usize,
    /// Whether `kv.swap` is atomic, so that an upload missing from the pending list was
    /// cancelled rather than lost to a concurrent write.
    atomic: bool,
}

impl<'a, K: KeyValue> BlobStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        BlobStore {
            kv,
            chunk_size: CHUNK_SIZE,
            atomic: kv.atomic_swap(),
        }
    }

    /// Uploads in chunks of `chunk_size` bytes, so tests can make many chunks of few bytes
    /// (readers take the size from each object's head).
    #[cfg(test)]
    fn with_chunk_size(kv: &'a K, chunk_size: usize) -> Self {
        BlobStore {
            kv,
            chunk_size,
            atomic: kv.atomic_swap(),
        }
    }

    pub async fn meta(&self, bucket: Bucket, key: &str) -> Result<Option<BlobMeta>, ApiError> {
        match self.kv.get(&meta_key(bucket, key)).await? {
            None => Ok(None),
            Some(bytes) => Head::parse(&bytes)
                .map(|h| h.object)
                .map_err(|_| unreadable()),
        }
    }

    /// Bytes `start..=end` of an object, loading only the chunks they fall in.
    pub async fn read(&self, meta: &BlobMeta, start: u64, end: u64) -> Result<Bytes, ApiError> {
        if meta.size == 0 || start > end {
            return Ok(Bytes::new());
        }
        let cs = meta.chunk_size;
        let mut out = BytesMut::with_capacity((end - start + 1) as usize);
        for n in start / cs..=end / cs {
            let chunk = self
                .kv
                .get(&chunk_key(&meta.upload, n))
                .await?
                .ok_or_else(unreadable)?;
            let piece = piece_of(&chunk, n, cs, start, end).ok_or_else(unreadable)?;
            out.extend_from_slice(piece);
        }
        if out.len() as u64 != end - start + 1 {
            return Err(unreadable());
        }
        Ok(out.freeze())
    }

    /// Deletes chunks `0..count` of `upload`; `false` when any delete failed.
    async fn remove_chunks(&self, upload: &str, count: u64) -> bool {
        let mut all = true;
        for n in 0..count {
            all &= self.kv.delete(&chunk_key(upload, n)).await.is_ok();
        }
        all
    }

    /// Reads the head at `key`, lets `change` edit it and swaps the result in against the exact
    /// bytes read; when another writer changed the head meanwhile, reads it again and calls
    /// `change` again, on what is there now. Nothing is written when `change` changes nothing.
    /// A missing head reads as empty, and so does a damaged one, so that a write replaces it
    /// (as readers already cannot see its object).
    async fn update<T>(
        &self,
        key: &str,
        mut change: impl FnMut(&mut Head) -> Result<T, ApiError>,
    ) -> Result<T, HeadError> {
        for _ in 0..MAX_SWAPS {
            let raw = self.kv.get(key).await?;
            let before = match raw.as_deref().map(Head::parse) {
                None => Head::default(),
                Some(Ok(head)) => head,
                Some(Err(DamagedHead)) => Head {
                    damaged: true,
                    ..Head::default()
                },
            };
            let mut head = before.clone();
            let out = change(&mut head).map_err(HeadError::Refused)?;
            if head == before && !before.damaged {
                return Ok(out);
            }
            if self.kv.swap(key, raw.as_deref(), &head.to_bytes()).await? {
                return Ok(out);
            }
        }
        Err(HeadError::Busy)
    }

    /// The retired uploads a change of the head leaves to collect. Where the swap is not
    /// atomic they are not kept listed: the head's later bookkeeping writes could put back an
    /// out-of-date object (see the module).
    fn to_collect(&self, h: &mut Head) -> Vec<Retired> {
        if self.atomic {
            h.retired.clone()
        } else {
            std::mem::take(&mut h.retired)
        }
    }

    /// Deletes the chunks of `retired` uploads, and then takes them off the head's list.
    /// Whatever could not be deleted stays listed for the next write of the key.
    async fn collect(&self, head_key: &str, retired: Vec<Retired>) {
        let mut done = Vec::with_capacity(retired.len());
        for r in retired {
            if self.remove_chunks(&r.upload, r.chunks).await {
                done.push(r);
            }
        }
        if done.is_empty() || !self.atomic {
            return;
        }
        // Best effort too: entries left on the list are deleted again, harmlessly.
        let _ = self
            .update(head_key, |h| {
                h.retired.retain(|r| !done.contains(r));
                Ok(())
            })
            .await;
    }

    /// Takes `upload` off the head's pending list (after it deleted its own chunks). Best
    /// effort: an entry left behind only costs a later collector some deletes of missing keys.
    async fn withdraw(&self, head_key: &str, upload: &str) {
        let _ = self
            .update(head_key, |h| {
                h.pending.retain(|p| p.upload != upload);
                Ok(())
            })
            .await;
    }

    /// Writes chunk `n` of `upload`, first raising the upload's allowance in the head when `n`
    /// is past it, so the head always covers every chunk the upload may have written.
    async fn write_chunk(
        &self,
        head_key: &str,
        upload: &str,
        n: u64,
        bytes: &[u8],
        allowance: &mut u64,
    ) -> Result<(), ApiError> {
        if self.atomic && n >= *allowance {
            let raised = (*allowance * 2).max(n + 1);
            self.update(head_key, |h| match h.pending_mut(upload) {
                Some(p) => {
                    p.chunks = p.chunks.max(raised);
                    Ok(())
                }
                None => Err(ApiError::Conflict(CANCELLED.into())),
            })
            .await?;
            *allowance = raised;
        }
        self.kv.set(&chunk_key(upload, n), bytes).await?;
        Ok(())
    }

    /// Streams `body` into a new upload, then makes it the object at `key`. Over `limit`
    /// bytes is a 413 and nothing changes.
    ///
    /// A DELETE of the key while the upload runs cancels it: DELETE cannot tell a live upload
    /// from a crashed one, so it deletes the chunks of every pending upload of the key. The
    /// upload then finds itself gone from the pending list (at its switch, or when it raises
    /// its allowance), deletes what it wrote and answers 409 with [`CANCELLED`]: it cannot win
    /// with chunks that are gone, and must not bring back an object that was deleted after it
    /// started. The client may simply send it again.
    pub async fn put<B>(
        &self,
        bucket: Bucket,
        key: &str,
        body: B,
        limit: u64,
        upload: String,
        now: i64,
    ) -> Result<BlobMeta, ApiError>
    where
        B: Body<Data = Bytes>,
    {
        let head_key = meta_key(bucket, key);
        // Listed before its first chunk exists, so a crash at any later point leaves nothing
        // unlisted.
        if self.atomic {
            self.update(&head_key, |h| {
                h.pending.push(Pending {
                    upload: upload.clone(),
                    started: now,
                    chunks: FIRST_ALLOWANCE,
                });
                Ok(())
            })
            .await?;
        }

        let cs = self.chunk_size;
        let mut body = std::pin::pin!(body);
        let mut buf = BytesMut::with_capacity(cs);
        let mut size: u64 = 0;
        let mut written: u64 = 0;
        let mut allowance = FIRST_ALLOWANCE;
        let result: Result<(), ApiError> = async {
            while let Some(frame) = body.frame().await {
                let frame = frame
                    .map_err(|_| ApiError::BadRequest("Request body could not be read".into()))?;
                let Ok(mut data) = frame.into_data() else {
                    continue;
                };
                size += data.len() as u64;
                if size > limit {
                    return Err(ApiError::PayloadTooLarge {
                        limit: limit as usize,
                    });
                }
                while !data.is_empty() {
                    let take = (cs - buf.len()).min(data.len());
                    buf.extend_from_slice(&data.split_to(take));
                    if buf.len() == cs {
                        self.write_chunk(&head_key, &upload, written, &buf, &mut allowance)
                            .await?;
                        written += 1;
                        buf.clear();
                    }
                }
            }
            if !buf.is_empty() {
                self.write_chunk(&head_key, &upload, written, &buf, &mut allowance)
                    .await?;
                written += 1;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // A chunk whose write failed may have been written anyway: delete it too.
            self.remove_chunks(&upload, written + 1).await;
            if self.atomic {
                self.withdraw(&head_key, &upload).await;
            }
            return Err(e);
        }

        let meta = BlobMeta {
            format: FORMAT,
            size,
            chunk_size: cs as u64,
            upload: upload.clone(),
            modified: now,
        };
        let switched = self
            .update(&head_key, |h| {
                if self.atomic && h.pending_mut(&upload).is_none() {
                    return Err(ApiError::Conflict(CANCELLED.into()));
                }
                h.pending.retain(|p| p.upload != upload);
                h.retire_object();
                h.object = Some(meta.clone());
                h.retire_pending(|p| stale(p, now));
                Ok(self.to_collect(h))
            })
            .await;
        match switched {
            Ok(retired) => {
                self.collect(&head_key, retired).await;
                Ok(meta)
            }
            // The last swap may have gone through: the upload is then the object, and
            // otherwise it is still pending and collected like a crashed one.
            Err(HeadError::Store(e)) => Err(e.into()),
            Err(e) => {
                self.remove_chunks(&upload, written).await;
                if self.atomic {
                    self.withdraw(&head_key, &upload).await;
                }
                Err(e.into())
            }
        }
    }

    /// `false` when there was no object to delete. Every pending upload of the key is
    /// cancelled and its chunks deleted, whatever its age (see [`BlobStore::put`]).
    pub async fn delete(&self, bucket: Bucket, key: &str) -> Result<bool, ApiError> {
        let head_key = meta_key(bucket, key);
        let (existed, retired) = self
            .update(&head_key, |h| {
                let existed = h.object.is_some() || h.damaged;
                h.retire_object();
                h.retire_pending(|_| true);
                Ok((existed, self.to_collect(h)))
            })
            .await?;
        self.collect(&head_key, retired).await;
        Ok(existed)
    }
}

#[cfg(test)]
#[path = "blob_store_tests.rs"]
mod tests;
