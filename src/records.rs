//! JSON records over the KV port, shared by every store: key segments, typed reads and writes,
//! and owner markers.
//!
//! Records with global ids (workflows, assets) are listed per user through markers at
//! `owners/v1/{user}/{kind}/{id}`. A marker is written before its record and removed after it,
//! so a crash leaves at most a stale marker, which listings skip by checking the record's owner.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::host::KeyValue;

const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A string as one key segment: `/` and everything unusual percent-encoded, so segments
/// never collide and prefixes stay exact.
pub fn seg(s: &str) -> String {
    utf8_percent_encode(s, KEY_SEGMENT).to_string()
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

/// The ids of `kind` marked for `user_id` (stale markers included: callers check the owner).
pub async fn owned_ids<K: KeyValue>(
    kv: &K,
    kind: &str,
    user_id: &str,
) -> Result<Vec<String>, ApiError> {
    let prefix = owner_prefix(kind, user_id);
    Ok(kv
        .list_prefix(&prefix)
        .await?
        .iter()
        .filter_map(|key| key.strip_prefix(&prefix))
        .filter_map(|enc| percent_decode_str(enc).decode_utf8().ok())
        .map(|id| id.into_owned())
        .collect())
}
