//! Workflows kept through the KV port.
//!
//! Layout: the record lives at `workflows/v1/{id}` (ids are global, as in NodeTool) and the
//! owner's index record (`store::index`, kind `workflows`) lists it with its `updated_at` and
//! run mode, so a page of "my workflows" reads the index and then only the page. Each record
//! also keeps its rendered response (`rendered`: the JSON a GET answers, etag included), made
//! once when it is saved, so a listing copies each workflow's answer instead of parsing its
//! graph, deriving its schemas and hashing it on every request. Two users
//! racing to create the same new id: the last write wins and the loser's entry is stale
//! (skipped).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::index::{Cap, Entry, Index, newest_first};
use crate::store::records::{get_json, owner_marker, put_json, read_page, seg};
use crate::workflow::WorkflowRecord;

pub const KIND: &str = "workflows";

/// Where a workflow record lives in the key-value store (hosts that read it directly use this).
pub fn record_key(id: &str) -> String {
    format!("workflows/v1/{}", seg(id))
}

pub const NOT_FOUND: &str = "Workflow not found";

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

/// What the owner's index keeps of a workflow.
pub fn entry_of(record: &WorkflowRecord) -> Entry {
    Entry {
        updated: record.updated_at.clone(),
        class: record.run_mode.clone(),
        ..Entry::default()
    }
}

/// One page of a listing and the cursor of the next (`""` on the last page, as NodeTool).
#[derive(serde::Serialize)]
pub struct Page {
    pub next: String,
    /// Each workflow's response, as GET answers it.
    pub workflows: Vec<Box<RawValue>>,
}

/// What a listing reads of a stored record: whose it is and its rendered answer. The graph
/// and the other fields are skipped unparsed.
#[derive(Deserialize)]
struct Listed {
    user_id: String,
    rendered: Option<Box<RawValue>>,
    #[serde(default)]
    rendered_as: u32,
}

/// The shape of the answers kept in records. A kept answer is derived from its record, so one
/// made by a version that answered differently is rendered again instead of served: raise this
/// whenever `WorkflowRecord::to_response` changes what it answers.
const RENDERED_AS: u32 = 1;

const UNREADABLE: &str = "A stored workflow could not be read";
const UNWRITABLE: &str = "Workflow could not be stored";

fn render(record: &WorkflowRecord) -> Result<Box<RawValue>, ApiError> {
    serde_json::value::to_raw_value(&record.to_response())
        .map_err(|_| ApiError::Internal(UNREADABLE))
}

pub struct WorkflowStore<'a, K: KeyValue> {
    kv: &'a K,
}

impl<'a, K: KeyValue> WorkflowStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        WorkflowStore { kv }
    }

    async fn load(&self, id: &str) -> Result<Option<WorkflowRecord>, ApiError> {
        get_json(self.kv, &record_key(id), UNREADABLE).await
    }

    /// The rendered answer kept in the stored record `bytes`, if it is `user_id`'s; a record
    /// written before answers were kept with it is rendered now.
    fn rendered_of(user_id: &str, bytes: &[u8]) -> Result<Option<Box<RawValue>>, ApiError> {
        let listed: Listed =
            serde_json::from_slice(bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
        if listed.user_id != user_id {
            return Ok(None);
        }
        if let Some(rendered) = listed
            .rendered
            .filter(|_| listed.rendered_as == RENDERED_AS)
        {
            return Ok(Some(rendered));
        }
        let record: WorkflowRecord =
            serde_json::from_slice(bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
        Ok(Some(render(&record)?))
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

    /// Stores `record`, listing it first; a new id beyond `cap` is refused before anything
    /// is written.
    pub async fn save(
        &self,
        record: &WorkflowRecord,
        cap: Option<Cap<'_>>,
    ) -> Result<(), ApiError> {
        Index::new(self.kv, KIND, &record.user_id)
            .put(&record.id, entry_of(record), cap)
            .await?;
        let mut stored =
            serde_json::to_value(record).map_err(|_| ApiError::Internal(UNWRITABLE))?;
        stored["rendered"] = record.to_response();
        stored["rendered_as"] = RENDERED_AS.into();
        put_json(self.kv, &record_key(&record.id), &stored, UNWRITABLE).await
    }

    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), ApiError> {
        match self.load(id).await? {
            Some(w) if w.user_id == user_id => {}
            _ => return Err(not_found()),
        }
        self.kv.delete(&record_key(id)).await?;
        Index::new(self.kv, KIND, user_id).remove(id).await?;
        // A store written before index records listed workflows by marker; a marker left
        // behind would bring the entry back if that store's markers were imported again.
        self.kv.delete(&owner_marker(KIND, user_id, id)).await?;
        Ok(())
    }

    /// How many workflows the caller has (entries whose record a crash lost included).
    pub async fn count(&self, user_id: &str) -> Result<usize, ApiError> {
        Ok(Index::new(self.kv, KIND, user_id).entries().await?.len())
    }

    /// Up to `limit` of the caller's workflows after `cursor` (an id; `""` starts at the
    /// top), newest update first, ties by id, only those of `run_mode` when given. Reads the
    /// index and the records of the page, nothing else. A cursor that is no longer listed
    /// ends the listing rather than restarting it, so a paging client cannot loop.
    pub async fn page(
        &self,
        user_id: &str,
        run_mode: Option<&str>,
        cursor: &str,
        limit: usize,
    ) -> Result<Page, ApiError> {
        let entries = Index::new(self.kv, KIND, user_id).entries().await?;
        let ordered = newest_first(&entries);
        let mut rest = ordered
            .into_iter()
            .filter(|(_, e)| run_mode.is_none() || e.class.as_deref() == run_mode)
            .map(|(id, _)| id.as_str());
        if !cursor.is_empty() && !rest.by_ref().any(|id| id == cursor) {
            return Ok(Page {
                workflows: Vec::new(),
                next: String::new(),
            });
        }
        // An entry whose record is gone (a crash between the two writes) or was taken over
        // by another user's create of the same id is skipped.
        let kept = read_page(self.kv, rest, limit, record_key, |_, bytes| {
            Self::rendered_of(user_id, &bytes)
        })
        .await?;
        let next = match kept.last {
            Some(last) if kept.more => last.to_string(),
            _ => String::new(),
        };
        let workflows = kept.items;
        Ok(Page { workflows, next })
    }
}

#[cfg(test)]
mod tests {
    use futures_executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::host::GET_MANY_MAX;
    use crate::memory_host::Watched;

    fn workflow(id: &str, user: &str, minute: usize) -> WorkflowRecord {
        let at = format!("2026-01-01T00:{:02}:{:02}.000000", minute / 60, minute % 60);
        serde_json::from_value(json!({
            "format": 1, "id": id, "user_id": user, "access": "private",
            "created_at": at, "updated_at": at, "name": id, "tool_name": null,
            "tags": [], "description": "", "package_name": "", "path": null,
            "thumbnail": null, "thumbnail_url": null, "graph": {"nodes": [], "edges": []},
            "settings": {}, "run_mode": null, "workspace_id": null, "html_app": null
        }))
        .unwrap()
    }

    fn ids(page: &Page) -> Vec<String> {
        page.workflows
            .iter()
            .map(|w| {
                let v: serde_json::Value = serde_json::from_str(w.get()).unwrap();
                v["id"].as_str().unwrap().to_string()
            })
            .collect()
    }

    #[test]
    fn a_page_reads_its_records_a_batch_at_a_time_and_skips_lost_ones() {
        let host = Watched::new();
        let store = WorkflowStore::new(&host);
        for i in 0..150 {
            block_on(store.save(&workflow(&format!("w{i:03}"), "u1", i), None)).unwrap();
        }
        // Newest first: w149 .. w000. Two records of the first page are gone, as after a crash
        // between the index write and the record's, and one was taken over by another user.
        block_on(host.inner.delete(&record_key("w148"))).unwrap();
        block_on(host.inner.delete(&record_key("w100"))).unwrap();
        let mut stolen = workflow("w120", "u2", 120);
        stolen.user_id = "u2".into();
        block_on(
            host.inner
                .set(&record_key("w120"), &serde_json::to_vec(&stolen).unwrap()),
        )
        .unwrap();

        host.reads.set(0);
        let page = block_on(store.page("u1", None, "", 100)).unwrap();
        let expected: Vec<String> = (0..150)
            .rev()
            .filter(|i| ![148, 120, 100].contains(i))
            .take(100)
            .map(|i| format!("w{i:03}"))
            .collect();
        assert_eq!(ids(&page), expected);
        assert_eq!(page.next, expected[99]);
        // The index, then 64 records (three of them skipped), then the 39 still missing.
        assert_eq!(GET_MANY_MAX, 64);
        assert_eq!(host.reads.get(), 3);

        // The rest from the cursor, and an empty `next` on the last page.
        let rest = block_on(store.page("u1", None, &page.next, 100)).unwrap();
        assert_eq!(ids(&rest).len(), 147 - 100);
        assert_eq!(ids(&rest).last().map(String::as_str), Some("w000"));
        assert_eq!(rest.next, "");

        // A page that ends exactly at the last workflow says so.
        let exact = block_on(store.page("u1", None, &page.next, 47)).unwrap();
        assert_eq!(ids(&exact).len(), 47);
        assert_eq!(exact.next, "");
    }
}
