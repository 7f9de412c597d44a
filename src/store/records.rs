//! JSON records over the KV port, shared by every store: key segments, typed reads and writes.
//!
//! Records with global ids (workflows, assets) are listed per user through index records
//! (`store::index`). Stores written before those listed them through owner markers at
//! `owners/v1/{user}/{kind}/{id}`, which `store::layout` imports once.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::token::sha256_hex;
use crate::host::{GET_MANY_MAX, KeyValue};
use crate::http::error::ApiError;

const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The longest segment kept as it is. No key has more than two segments of caller-chosen text
/// (an owner and a name), so with this bound every key stays under Workers KV's 512-byte limit.
pub const MAX_SEGMENT: usize = 200;

/// Marks a shortened segment. The encoding escapes `+`, so it never starts a plain one.
const SHORTENED: char = '+';

/// A string as one key segment: `/` and everything unusual percent-encoded, so segments
/// never collide and prefixes stay exact. A segment longer than [`MAX_SEGMENT`] becomes `+`
/// and the SHA-256 of the string: as unique, and short enough for any store.
pub fn seg(s: &str) -> String {
    let encoded = utf8_percent_encode(s, KEY_SEGMENT).to_string();
    if encoded.len() <= MAX_SEGMENT {
        encoded
    } else {
        format!("{SHORTENED}{}", sha256_hex(s))
    }
}

/// The string a segment stands for, when the segment holds it (it is not shortened).
pub fn unseg(segment: &str) -> Option<String> {
    if segment.starts_with(SHORTENED) {
        return None;
    }
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The record at `key`. A record that does not parse is an error (`unreadable` is its
/// `detail`), never treated as missing, which would let a write replace it unseen.
pub async fn get_json<T: DeserializeOwned, K: KeyValue>(
    kv: &K,
    key: &str,
    unreadable: &'static str,
) -> Result<Option<T>, ApiError> {
    match kv.get(key).await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| ApiError::Internal(unreadable)),
    }
}

pub async fn put_json<T: Serialize, K: KeyValue>(
    kv: &K,
    key: &str,
    value: &T,
    unwritable: &'static str,
) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(value).map_err(|_| ApiError::Internal(unwritable))?;
    kv.set(key, &bytes).await?;
    Ok(())
}

/// The values of `keys` in order, read [`GET_MANY_MAX`] at a time.
pub async fn get_all<K: KeyValue>(
    kv: &K,
    keys: &[String],
) -> Result<Vec<Option<Vec<u8>>>, ApiError> {
    let mut out = Vec::with_capacity(keys.len());
    for batch in keys.chunks(GET_MANY_MAX) {
        let values = kv.get_many(batch).await?;
        if values.len() != batch.len() {
            return Err(crate::host::KvError(
                "a batch read answered the wrong number of values".into(),
            )
            .into());
        }
        out.extend(values);
    }
    Ok(out)
}

/// The most items one page of a listing holds on this host: `max`, and where a request's
/// store operations are limited, a quarter of them (each item costs a record read, an asset
/// perhaps a read of its file's size, and the index and the caller's identity need some too).
/// A capped page still ends with the cursor of the next, as any page does.
pub fn page_cap<K: KeyValue>(kv: &K, max: usize) -> usize {
    kv.operations_per_request()
        .map_or(max, |ops| max.min(ops / 4))
}

/// One page read from the records of a listing's ids.
pub struct Kept<'i, T> {
    pub items: Vec<T>,
    /// The id of the last item kept.
    pub last: Option<&'i str>,
    /// Whether ids remain after those read.
    pub more: bool,
}

/// Up to `limit` items made by `keep` from the records of `ids` (at `key_of(id)`), in order.
/// The records are read a batch at a time, each batch the number of items still missing, so
/// a page whose records are all there costs one read per [`GET_MANY_MAX`] items; a record
/// that is missing or that `keep` turns down (`Ok(None)`) is skipped and the next id read.
pub async fn read_page<'i, K: KeyValue, T>(
    kv: &K,
    ids: impl Iterator<Item = &'i str>,
    limit: usize,
    key_of: impl Fn(&str) -> String,
    mut keep: impl FnMut(&str, Vec<u8>) -> Result<Option<T>, ApiError>,
) -> Result<Kept<'i, T>, ApiError> {
    let mut ids = ids.peekable();
    let mut kept = Kept {
        items: Vec::new(),
        last: None,
        more: false,
    };
    while kept.items.len() < limit {
        let want = (limit - kept.items.len()).min(GET_MANY_MAX);
        let batch: Vec<&str> = ids.by_ref().take(want).collect();
        if batch.is_empty() {
            break;
        }
        let keys: Vec<String> = batch.iter().map(|id| key_of(id)).collect();
        for (id, value) in batch.into_iter().zip(get_all(kv, &keys).await?) {
            if let Some(item) = value.map(|v| keep(id, v)).transpose()?.flatten() {
                kept.items.push(item);
                kept.last = Some(id);
            }
        }
    }
    kept.more = ids.peek().is_some();
    Ok(kept)
}

/// Every record under `prefix`, in key order.
pub async fn list_json<T: DeserializeOwned, K: KeyValue>(
    kv: &K,
    prefix: &str,
    unreadable: &'static str,
) -> Result<Vec<T>, ApiError> {
    let mut keys = kv.list_prefix(prefix).await?;
    keys.sort();
    let mut out = Vec::with_capacity(keys.len());
    for bytes in get_all(kv, &keys).await?.into_iter().flatten() {
        out.push(serde_json::from_slice(&bytes).map_err(|_| ApiError::Internal(unreadable))?);
    }
    Ok(out)
}

fn owner_prefix(kind: &str, user_id: &str) -> String {
    format!("owners/v1/{}/{kind}/", seg(user_id))
}

/// The marker listing record `id` of `kind` under `user_id`.
pub fn owner_marker(kind: &str, user_id: &str, id: &str) -> String {
    format!("{}{}", owner_prefix(kind, user_id), seg(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Workers KV refuses longer keys.
    const WORKERS_KEY_LIMIT: usize = 512;

    #[test]
    fn segments_are_bounded_and_stay_distinct() {
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
        let long_ascii = "a".repeat(MAX_SEGMENT);
        assert_eq!(seg(&long_ascii), long_ascii, "at the bound: kept as it is");
        let longer = "a".repeat(MAX_SEGMENT + 1);
        let wide = "é".repeat(1024);
        for s in [&longer, &wide] {
            let got = seg(s);
            assert!(got.starts_with('+') && got.len() == 65, "{got}");
        }
        assert_ne!(seg(&longer), seg(&wide));
        // A plain segment never looks shortened: `+` itself is escaped.
        assert_eq!(seg("+x"), "%2Bx");
    }

    #[test]
    fn the_longest_keys_fit_workers_kv() {
        let owner = "ö".repeat(1024);
        let name = "/".repeat(1024);
        for key in [
            owner_marker("workflow", &owner, &name),
            format!("secrets/v1/{}/{}", seg(&owner), seg(&name)),
        ] {
            assert!(key.len() <= WORKERS_KEY_LIMIT, "{} bytes: {key}", key.len());
        }
    }
}
