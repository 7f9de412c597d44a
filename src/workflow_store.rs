//! Workflows kept through the KV port.
//!
//! Layout: the record lives at `workflows/v1/{id}` (ids are global, as in NodeTool) and an
//! owner marker at `owners/v1/{user}/workflows/{id}` makes "my workflows" a prefix listing. The
//! marker is written before the record and removed after it, so a crash can leave only a stale
//! marker, which listing skips by checking the record's owner. Two users racing to create the
//! same new id: the last write wins and the loser's marker is stale (skipped).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::ApiError;
use crate::host::KeyValue;
use crate::workflow::WorkflowRecord;

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

/// Where a workflow record lives in the key-value store (hosts that read it directly use this).
pub fn record_key(id: &str) -> String {
    format!("workflows/v1/{}", seg(id))
}

fn owner_prefix(user_id: &str) -> String {
    format!("owners/v1/{}/workflows/", seg(user_id))
}

pub const NOT_FOUND: &str = "Workflow not found";

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

pub struct WorkflowStore<'a, K: KeyValue> {
    kv: &'a K,
}

impl<'a, K: KeyValue> WorkflowStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        WorkflowStore { kv }
    }

    async fn load(&self, id: &str) -> Result<Option<WorkflowRecord>, ApiError> {
        let Some(bytes) = self.kv.get(&record_key(id)).await? else {
            return Ok(None);
        };
        // A record we cannot read is reported, not silently treated as missing (which would
        // let a PUT overwrite it).
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| ApiError::Internal("A stored workflow could not be read"))
    }

    /// A workflow the caller may read: their own, or a public one (reference 4.3 lookup).
    pub async fn get_readable(&self, user_id: &str, id: &str) -> Result<WorkflowRecord, ApiError> {
        match self.load(id).await? {
            Some(w) if w.user_id == user_id || w.access == "public" => Ok(w),
            _ => Err(not_found()),
        }
    }

    /// The existing record if the caller may write it; 404 when another user owns the id.
    pub async fn get_writable(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<Option<WorkflowRecord>, ApiError> {
        match self.load(id).await? {
            Some(w) if w.user_id != user_id => Err(not_found()),
            other => Ok(other),
        }
    }

    pub async fn save(&self, record: &WorkflowRecord) -> Result<(), ApiError> {
        let marker = format!("{}{}", owner_prefix(&record.user_id), seg(&record.id));
        self.kv.set(&marker, b"1").await?;
        let bytes = serde_json::to_vec(record)
            .map_err(|_| ApiError::Internal("Workflow could not be stored"))?;
        self.kv.set(&record_key(&record.id), &bytes).await?;
        Ok(())
    }

    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), ApiError> {
        match self.load(id).await? {
            Some(w) if w.user_id == user_id => {}
            _ => return Err(not_found()),
        }
        self.kv.delete(&record_key(id)).await?;
        self.kv
            .delete(&format!("{}{}", owner_prefix(user_id), seg(id)))
            .await?;
        Ok(())
    }

    /// The caller's workflows, newest update first (ties by id).
    pub async fn list(&self, user_id: &str) -> Result<Vec<WorkflowRecord>, ApiError> {
        let prefix = owner_prefix(user_id);
        let mut out = Vec::new();
        for key in self.kv.list_prefix(&prefix).await? {
            let Some(encoded) = key.strip_prefix(&prefix) else {
                continue;
            };
            let Ok(id) = percent_decode_str(encoded).decode_utf8() else {
                continue;
            };
            if let Some(w) = self.load(&id).await?
                && w.user_id == user_id
            {
                out.push(w);
            }
        }
        out.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }
}
