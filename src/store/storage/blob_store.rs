//! Objects as chunks in the KV store.
//!
//! Layout: a small metadata record at `storage/v1/{bucket}/{key}` names an upload id, and the
//! bytes live at `blobs/v1/{upload}/{n}` in chunks of `CHUNK_SIZE`. An upload writes all its
//! chunks first and the metadata last, so a reader sees the old object or the new one, never a
//! mix; the old upload's chunks are removed after the switch. A crash mid-upload leaves only
//! unreferenced chunks, never a broken object.

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};

use super::Bucket;
use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::records::{get_json, seg};

/// 1 MiB: well under every platform's value limit (Workers KV: 25 MiB), and the most a range
/// read loads beyond what it returns.
pub const CHUNK_SIZE: usize = 1024 * 1024;

pub const FORMAT: u32 = 1;

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
}

impl<'a, K: KeyValue> BlobStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        BlobStore { kv }
    }

    pub async fn meta(&self, bucket: Bucket, key: &str) -> Result<Option<BlobMeta>, ApiError> {
        get_json(self.kv, &meta_key(bucket, key), UNREADABLE).await
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

    async fn remove_chunks(&self, upload: &str, count: u64) {
        for n in 0..count {
            // Best effort: a leftover chunk is unreferenced garbage, not a broken object.
            let _ = self.kv.delete(&chunk_key(upload, n)).await;
        }
    }

    /// Streams `body` into a new upload, then makes it the object at `key`. Over `limit`
    /// bytes is a 413 and nothing changes.
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
        let mut body = std::pin::pin!(body);
        let mut buf = BytesMut::with_capacity(CHUNK_SIZE);
        let mut size: u64 = 0;
        let mut written: u64 = 0;
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
                    let take = (CHUNK_SIZE - buf.len()).min(data.len());
                    buf.extend_from_slice(&data.split_to(take));
                    if buf.len() == CHUNK_SIZE {
                        self.kv.set(&chunk_key(&upload, written), &buf).await?;
                        written += 1;
                        buf.clear();
                    }
                }
            }
            if !buf.is_empty() {
                self.kv.set(&chunk_key(&upload, written), &buf).await?;
                written += 1;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            self.remove_chunks(&upload, written).await;
            return Err(e);
        }

        let meta = BlobMeta {
            format: FORMAT,
            size,
            chunk_size: CHUNK_SIZE as u64,
            upload,
            modified: now,
        };
        let old = self.meta(bucket, key).await.ok().flatten();
        let record = serde_json::to_vec(&meta).map_err(|_| unreadable())?;
        if let Err(e) = self.kv.set(&meta_key(bucket, key), &record).await {
            self.remove_chunks(&meta.upload, written).await;
            return Err(e.into());
        }
        if let Some(old) = old {
            self.remove_chunks(&old.upload, old.chunks()).await;
        }
        Ok(meta)
    }

    /// `false` when there was nothing to delete.
    pub async fn delete(&self, bucket: Bucket, key: &str) -> Result<bool, ApiError> {
        let Some(meta) = self.meta(bucket, key).await? else {
            return Ok(false);
        };
        self.kv.delete(&meta_key(bucket, key)).await?;
        self.remove_chunks(&meta.upload, meta.chunks()).await;
        Ok(true)
    }
}
