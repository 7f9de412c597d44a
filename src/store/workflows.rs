//! Workflows kept through the KV port.
//!
//! Layout: the record lives at `workflows/v1/{id}` (ids are global, as in NodeTool) and an
//! owner marker (`records::owner_marker`) makes "my workflows" a prefix listing. Two users
//! racing to create the same new id: the last write wins and the loser's marker is stale
//! (skipped).

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::records::{get_json, mark_owner, owned_ids, owner_marker, put_json, seg};
use crate::workflow::WorkflowRecord;

const KIND: &str = "workflows";

/// Where a workflow record lives in the key-value store (hosts that read it directly use this).
pub fn record_key(id: &str) -> String {
    format!("workflows/v1/{}", seg(id))
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
        get_json(
            self.kv,
            &record_key(id),
            "A stored workflow could not be read",
        )
        .await
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
        mark_owner(self.kv, KIND, &record.user_id, &record.id).await?;
        let key = record_key(&record.id);
        put_json(self.kv, &key, record, "Workflow could not be stored").await
    }

    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), ApiError> {
        match self.load(id).await? {
            Some(w) if w.user_id == user_id => {}
            _ => return Err(not_found()),
        }
        self.kv.delete(&record_key(id)).await?;
        self.kv.delete(&owner_marker(KIND, user_id, id)).await?;
        Ok(())
    }

    /// The caller's workflows, newest update first (ties by id).
    pub async fn list(&self, user_id: &str) -> Result<Vec<WorkflowRecord>, ApiError> {
        let mut out = Vec::new();
        for id in owned_ids(self.kv, KIND, user_id).await? {
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
