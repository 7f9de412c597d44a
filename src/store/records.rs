//! JSON records over the KV port, shared by every store: key segments, typed reads and writes,
//! and owner markers.
//!
//! Records with global ids (workflows, assets) are listed per user through markers at
//! `owners/v1/{user}/{kind}/{id}`. A marker is written before its record and removed after it,
//! so a crash leaves at most a stale marker, which listings skip by checking the record's owner.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::token::sha256_hex;
use crate::host::KeyValue;
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
fn unseg(segment: &str) -> Option<String> {
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

/// Every record under `prefix`, in key order.
pub async fn list_json<T: DeserializeOwned, K: KeyValue>(
    kv: &K,
    prefix: &str,
    unreadable: &'static str,
) -> Result<Vec<T>, ApiError> {
    let mut keys = kv.list_prefix(prefix).await?;
    keys.sort();
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(r) = get_json(kv, &key, unreadable).await? {
            out.push(r);
        }
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

/// Lists record `id` of `kind` under `user_id`. The marker holds the id, for the ids too long
/// for their key to hold them.
pub async fn mark_owner<K: KeyValue>(
    kv: &K,
    kind: &str,
    user_id: &str,
    id: &str,
) -> Result<(), ApiError> {
    kv.set(&owner_marker(kind, user_id, id), id.as_bytes())
        .await?;
    Ok(())
}

/// The ids of `kind` marked for `user_id` (stale markers included: callers check the owner).
/// Most come from the keys alone; only a shortened one costs a read.
pub async fn owned_ids<K: KeyValue>(
    kv: &K,
    kind: &str,
    user_id: &str,
) -> Result<Vec<String>, ApiError> {
    let prefix = owner_prefix(kind, user_id);
    let mut ids = Vec::new();
    for key in kv.list_prefix(&prefix).await? {
        let Some(segment) = key.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(id) = unseg(segment) {
            ids.push(id);
        } else if let Some(value) = kv.get(&key).await?
            && let Ok(id) = String::from_utf8(value)
        {
            ids.push(id);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::MemoryHost;
    use futures_executor::block_on;

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

    #[test]
    fn owned_ids_come_back_whole_even_when_shortened() {
        let host = MemoryHost::with_vars(&[]);
        let long = "ü".repeat(64);
        for id in ["short", long.as_str()] {
            block_on(mark_owner(&host, "workflow", "u1", id)).unwrap();
        }
        block_on(mark_owner(&host, "workflow", "u2", "other")).unwrap();
        let mut ids = block_on(owned_ids(&host, "workflow", "u1")).unwrap();
        ids.sort();
        assert_eq!(ids, vec!["short".to_string(), long]);
    }
}
