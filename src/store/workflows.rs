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
use crate::store::records::{get_json, owner_marker, read_page, seg};
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
pub struct Page {
    pub next: String,
    /// Each workflow's response, as GET answers it.
    pub workflows: Vec<Answer>,
}

impl Page {
    /// The page as NodeTool answers it: `{"next": ..., "workflows": [...]}`, the answers
    /// copied in as they are.
    pub fn to_json(&self) -> Vec<u8> {
        let next = serde_json::to_string(&self.next).unwrap_or_else(|_| "\"\"".into());
        let size = self.workflows.iter().map(|w| w.0.len() + 1).sum::<usize>();
        let mut out = Vec::with_capacity(size + next.len() + 32);
        out.extend_from_slice(b"{\"next\":");
        out.extend_from_slice(next.as_bytes());
        out.extend_from_slice(b",\"workflows\":[");
        for (i, w) in self.workflows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(w.0.as_bytes());
        }
        out.extend_from_slice(b"]}");
        out
    }
}

#[cfg(test)]
impl Page {
    /// The ids of the workflows on the page.
    pub fn ids(&self) -> Vec<String> {
        self.workflows
            .iter()
            .map(|w| {
                let v: serde_json::Value = serde_json::from_str(w.as_str()).unwrap();
                v["id"].as_str().unwrap().to_string()
            })
            .collect()
    }
}

/// A workflow's response as JSON text: the one `save` kept in its record (made by
/// `serde_json`, so JSON), or one rendered now.
pub struct Answer(String);

impl Answer {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

/// What a listing reads of a record in an earlier layout (see [`kept_answer`] for today's):
/// whose it is and its rendered answer, if one was kept. The graph and the other fields are
/// skipped unparsed.
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

fn render(record: &WorkflowRecord) -> Result<String, ApiError> {
    serde_json::to_string(&record.to_response()).map_err(|_| ApiError::Internal(UNREADABLE))
}

/// A record as `save` stores it: one JSON object that every reader of a `WorkflowRecord`
/// parses as before, whose first members are, in this order, the answer's shape, the owner,
/// the answer's length in bytes and the answer itself:
///
/// `{"rendered_as":1,"owner":"u1","rendered_len":812,"rendered":{...},"format":1,...}`
///
/// A listing then finds the owner and the answer by their places ([`kept_answer`]) and copies
/// the answer out, where parsing the whole record (graph included) took most of a listing's
/// time inside the component.
fn encode(record: &WorkflowRecord) -> Result<Vec<u8>, ApiError> {
    let unwritable = |_| ApiError::Internal(UNWRITABLE);
    let rendered = serde_json::to_string(&record.to_response()).map_err(unwritable)?;
    let owner = serde_json::to_string(&record.user_id).map_err(unwritable)?;
    let fields = serde_json::to_vec(record).map_err(unwritable)?;
    let rest = fields
        .strip_prefix(b"{")
        .ok_or(ApiError::Internal(UNWRITABLE))?;
    let head = format!(
        "{{\"rendered_as\":{RENDERED_AS},\"owner\":{owner},\"rendered_len\":{},\"rendered\":",
        rendered.len()
    );
    let mut out = Vec::with_capacity(head.len() + rendered.len() + fields.len() + 1);
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(rendered.as_bytes());
    if rest != b"}" {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// The owner and the kept answer of a record [`encode`] wrote, read from its first members
/// without parsing the rest; `None` for a record in any other layout (an earlier version's, or
/// an answer of another shape), which the caller parses instead.
fn kept_answer(bytes: &[u8]) -> Option<(String, &str)> {
    let rest = bytes.strip_prefix(b"{\"rendered_as\":")?;
    let (shape, rest) = leading_number(rest)?;
    if shape != RENDERED_AS as usize {
        return None;
    }
    let rest = rest.strip_prefix(b",\"owner\":")?;
    let mut strings = serde_json::Deserializer::from_slice(rest).into_iter::<String>();
    let owner = strings.next()?.ok()?;
    let rest = rest.get(strings.byte_offset()..)?;
    let rest = rest.strip_prefix(b",\"rendered_len\":")?;
    let (len, rest) = leading_number(rest)?;
    let rest = rest.strip_prefix(b",\"rendered\":")?;
    let answer = rest.get(..len)?;
    // The answer is an object and the record goes on after it: a length that does not land
    // there is not a record this layout wrote.
    if !(answer.first() == Some(&b'{')
        && answer.last() == Some(&b'}')
        && matches!(rest.get(len), Some(b',' | b'}')))
    {
        return None;
    }
    Some((owner, std::str::from_utf8(answer).ok()?))
}

/// The decimal number `bytes` starts with, and what follows it.
fn leading_number(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 12 {
        return None;
    }
    let n = std::str::from_utf8(&bytes[..digits]).ok()?.parse().ok()?;
    Some((n, &bytes[digits..]))
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

    /// The answer kept in the stored record `bytes`, if it is `user_id`'s; a record written
    /// before answers were kept with it is rendered now.
    fn answer_of(user_id: &str, bytes: &[u8]) -> Result<Option<Answer>, ApiError> {
        if let Some((owner, answer)) = kept_answer(bytes) {
            return Ok((owner == user_id).then(|| Answer(answer.to_string())));
        }
        let listed: Listed =
            serde_json::from_slice(bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
        if listed.user_id != user_id {
            return Ok(None);
        }
        if let Some(rendered) = listed
            .rendered
            .filter(|_| listed.rendered_as == RENDERED_AS)
        {
            return Ok(Some(Answer(rendered.get().to_string())));
        }
        let record: WorkflowRecord =
            serde_json::from_slice(bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
        Ok(Some(Answer(render(&record)?)))
    }

    /// What GET answers for workflow `id` when the caller may read it (their own, or a public
    /// one): the answer kept in the caller's own record, copied out, or one rendered from the
    /// record (another user's public workflow, a record of an earlier layout).
    pub async fn readable_answer(&self, user_id: &str, id: &str) -> Result<Answer, ApiError> {
        let Some(bytes) = self.kv.get(&record_key(id)).await? else {
            return Err(not_found());
        };
        if let Some((owner, answer)) = kept_answer(&bytes)
            && owner == user_id
        {
            return Ok(Answer(answer.to_string()));
        }
        let w: WorkflowRecord =
            serde_json::from_slice(&bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
        if w.user_id == user_id || w.access == "public" {
            Ok(Answer(render(&w)?))
        } else {
            Err(not_found())
        }
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
        self.kv
            .set(&record_key(&record.id), &encode(record)?)
            .await?;
        Ok(())
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
            Self::answer_of(user_id, &bytes)
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
        page.ids()
    }

    #[test]
    fn a_stored_record_keeps_its_owner_and_answer_up_front_and_stays_a_record() {
        let mut w = workflow("w1", "u1", 1);
        // An owner that JSON must escape, and a graph with text in it.
        w.user_id = "ü \"quoted\" \\ id".into();
        w.graph = json!({"nodes": [{"id": "a", "type": "nodetool.constant.String",
            "data": {"value": "}, \"rendered\": {"}}], "edges": []});
        let bytes = encode(&w).unwrap();

        let (owner, answer) = kept_answer(&bytes).expect("today's layout is read in place");
        assert_eq!(owner, w.user_id);
        let answer: serde_json::Value = serde_json::from_str(answer).unwrap();
        assert_eq!(answer, w.to_response());

        // Every other reader still parses the whole record.
        let back: WorkflowRecord = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&w).unwrap()
        );
        let any: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(any["rendered"], w.to_response());

        // Whose it is decides what a listing sees.
        assert!(
            WorkflowStore::<Watched>::answer_of(&w.user_id, &bytes)
                .unwrap()
                .is_some()
        );
        assert!(
            WorkflowStore::<Watched>::answer_of("u2", &bytes)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn get_answers_the_kept_answer_to_its_owner_and_renders_for_others() {
        let host = Watched::new();
        let store = WorkflowStore::new(&host);
        let mine = workflow("w1", "u1", 1);
        let mut public = workflow("w2", "u1", 2);
        public.access = "public".into();
        for w in [&mine, &public] {
            block_on(store.save(w, None)).unwrap();
        }
        let answer = |user: &str, id: &str| {
            block_on(store.readable_answer(user, id))
                .map(|a| serde_json::from_str::<serde_json::Value>(a.as_str()).unwrap())
        };
        // The same text GET gave before answers were kept.
        let kept = block_on(store.readable_answer("u1", "w1")).unwrap();
        assert_eq!(
            kept.as_str(),
            serde_json::to_string(&mine.to_response()).unwrap()
        );
        assert_eq!(answer("u2", "w2").unwrap(), public.to_response());
        for (user, id) in [("u2", "w1"), ("u1", "absent")] {
            assert!(matches!(answer(user, id), Err(ApiError::NotFound(_))));
        }
        // A record of an earlier layout is rendered for its owner.
        block_on(
            host.inner
                .set(&record_key("w1"), &serde_json::to_vec(&mine).unwrap()),
        )
        .unwrap();
        assert_eq!(answer("u1", "w1").unwrap(), mine.to_response());
    }

    #[test]
    fn records_of_other_layouts_are_parsed_instead() {
        let w = workflow("w1", "u1", 1);
        // The earlier layout: the record's members, then the answer and its shape at the end.
        let mut earlier = serde_json::to_value(&w).unwrap();
        earlier["rendered"] = w.to_response();
        earlier["rendered_as"] = RENDERED_AS.into();
        // Older still: no answer kept at all.
        let plain = serde_json::to_value(&w).unwrap();
        // Today's, with a length that does not land at the answer's end.
        let good = String::from_utf8(encode(&w).unwrap()).unwrap();
        let len = w.to_response().to_string().len();
        let off = good.replacen(
            &format!("\"rendered_len\":{len}"),
            &format!("\"rendered_len\":{}", len - 1),
            1,
        );
        // And one kept by a version that answered differently.
        let shape = good.replacen("{\"rendered_as\":1,", "{\"rendered_as\":0,", 1);
        for bytes in [
            serde_json::to_vec(&earlier).unwrap(),
            serde_json::to_vec(&plain).unwrap(),
            off.into_bytes(),
            shape.into_bytes(),
        ] {
            assert!(kept_answer(&bytes).is_none());
            let answer = WorkflowStore::<Watched>::answer_of("u1", &bytes)
                .unwrap()
                .expect("u1's");
            let answer: serde_json::Value = serde_json::from_str(answer.as_str()).unwrap();
            assert_eq!(answer, w.to_response());
        }
        assert!(WorkflowStore::<Watched>::answer_of("u1", b"{\"rendered_as\":1,").is_err());
    }

    #[test]
    fn a_page_is_nodetools_json() {
        let page = Page {
            next: "a \"b\"".into(),
            workflows: vec![
                Answer("{\"id\":\"x\"}".into()),
                Answer("{\"id\":\"y\"}".into()),
            ],
        };
        let v: serde_json::Value = serde_json::from_slice(&page.to_json()).unwrap();
        assert_eq!(
            v,
            json!({"next": "a \"b\"", "workflows": [{"id": "x"}, {"id": "y"}]})
        );
        let empty = Page {
            next: String::new(),
            workflows: Vec::new(),
        };
        let v: serde_json::Value = serde_json::from_slice(&empty.to_json()).unwrap();
        assert_eq!(v, json!({"next": "", "workflows": []}));
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
