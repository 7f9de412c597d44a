//! Asset records (NodeTool's `Asset` model, reference 4.6) through the KV port.
//!
//! A record lives at `assets/v1/{id}` (ids are global, as in NodeTool's table) and the index
//! record of its folder (`store::index`, one per user and folder) lists it with its content
//! type, so a folder is listed from its index and the records of the page alone, and adding
//! an asset rewrites its folder's index, not one of everything the user has. A counter per
//! user keeps the total for the quota.
//! The file itself is an object in the `assets` storage bucket named `{id}.{ext}`, which is
//! what NodeTool's sync uploads after creating the record.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::index::{Cap, Counter, Entries, Entry, Index, items_under};
use crate::store::records::{get_all, get_json, owner_marker, put_json, read_page, seg};

pub const FORMAT: u32 = 1;
pub const FOLDER: &str = "folder";
/// Ids become storage object names, so they are restricted to what NodeTool generates
/// (hex uuids) and other plain identifiers.
pub const MAX_ID_LEN: usize = 128;

/// Deepest folder nesting a walk over an asset tree follows, counting the folder it starts from
/// as level 1 (files add no level). NodeTool walks its trees recursively in Python, whose
/// default recursion limit is 1,000, so no tree NodeTool itself can handle is refused; real
/// folder trees are a few dozen levels deep. The walks here keep their work list on the heap,
/// so the bound is not about our stack: it keeps any walk that reads one record per level
/// (an ancestor path, a move's cycle check) within about a thousand store reads, which is
/// what one Workers request may make.
pub const MAX_DEPTH: usize = 1_000;

/// A folder tree nests deeper than the limit a walk follows: refused (422) before anything
/// changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub limit: usize,
}

impl From<TooDeep> for ApiError {
    fn from(e: TooDeep) -> Self {
        ApiError::Unprocessable(format!(
            "Folder nesting exceeds the limit of {} levels: delete a folder further down first",
            e.limit
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetRecord {
    pub format: u32,
    pub id: String,
    pub user_id: String,
    pub parent_id: String,
    pub workflow_id: Option<String>,
    pub name: String,
    pub content_type: String,
    pub metadata: Option<Value>,
    pub created_at: String,
    /// Bytes of its file counted against its owner's stored-bytes quota (a file a run made;
    /// 0 for the others), given back when the asset is deleted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stored_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The counter of the bytes each user's run-made files hold (`MAX_STORED_BYTES_PER_USER`).
pub const BYTES_KIND: &str = "asset-bytes";

/// NodeTool's extension for a content type (its `CONTENT_TYPE_TO_EXTENSION` table), else `bin`.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/svg+xml" => "svg",
        "image/webp" => "webp",
        "image/tiff" => "tiff",
        "image/bmp" => "bmp",
        "text/plain" => "txt",
        "text/csv" => "csv",
        "text/html" => "html",
        "text/css" => "css",
        "text/javascript" => "js",
        "text/xml" => "xml",
        "application/json" => "json",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        "application/x-7z-compressed" => "7z",
        "application/x-rar-compressed" => "rar",
        "application/x-tar" => "tar",
        "application/x-bzip" => "bz",
        "application/x-bzip2" => "bz2",
        "application/x-xz" => "xz",
        "application/x-lzip" => "lz",
        "application/x-lzma" => "lzma",
        "application/x-compress" => "Z",
        "application/x-gzip" => "gz",
        "audio/midi" => "midi",
        "audio/mpeg" => "mp3",
        "audio/webm" => "webm",
        "audio/ogg" => "ogg",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/aac" => "aac",
        "audio/wave" => "wave",
        "audio/x-aiff" => "aiff",
        "audio/x-flac" => "flac",
        "audio/x-m4a" => "m4a",
        "video/mpeg" => "mpeg",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/ogg" => "ogg",
        "video/quicktime" => "mov",
        "video/x-msvideo" => "avi",
        "video/x-flv" => "flv",
        "video/x-m4v" => "m4v",
        "video/3gpp" => "3gp",
        "video/3gpp2" => "3g2",
        _ => "bin",
    }
}

/// Whether `id` may name an asset: 1..=128 ASCII letters, digits, `-` and `_`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl AssetRecord {
    pub fn is_folder(&self) -> bool {
        self.content_type == FOLDER
    }

    /// The storage object holding the file (`None` for folders).
    pub fn file_name(&self) -> Option<String> {
        (!self.is_folder()).then(|| format!("{}.{}", self.id, extension(&self.content_type)))
    }

    /// NodeTool keeps a thumbnail next to images and videos.
    pub fn thumb_file_name(&self) -> Option<String> {
        let visual =
            self.content_type.starts_with("image/") || self.content_type.starts_with("video/");
        visual.then(|| format!("{}_thumb.jpg", self.id))
    }

    /// NodeTool's `Asset` JSON. URLs point at our read-only storage route; `size` is the
    /// stored file's length once it was uploaded.
    pub fn to_response(&self, size: Option<u64>) -> Value {
        let url = |name: String| format!("/storage/assets/{name}");
        json!({
            "id": self.id, "user_id": self.user_id, "workflow_id": self.workflow_id,
            "parent_id": self.parent_id, "name": self.name, "content_type": self.content_type,
            "size": size, "metadata": self.metadata, "created_at": self.created_at,
            "get_url": self.file_name().map(url), "thumb_url": self.thumb_file_name().map(url),
            "duration": null, "node_id": null, "job_id": null, "etag": null,
        })
    }
}

/// The synthetic root folder NodeTool answers for `GET /admin/assets/{user_id}`.
pub fn home_folder(user_id: &str) -> Value {
    json!({
        "id": user_id, "user_id": user_id, "workflow_id": null, "parent_id": "",
        "name": "Home", "content_type": FOLDER, "size": null, "metadata": null,
        "created_at": "", "get_url": null, "thumb_url": null, "duration": null,
        "node_id": null, "job_id": null, "etag": null,
    })
}

/// The index of one folder's children (`parent_id`), of one user.
pub fn shard_key(user_id: &str, parent_id: &str) -> String {
    format!("{}{}", shards_prefix(user_id), seg(parent_id))
}

/// What every folder index of `user_id` starts with, so one listing finds them all.
fn shards_prefix(user_id: &str) -> String {
    format!("index/v1/{KIND}/{}/", seg(user_id))
}

pub fn record_key(id: &str) -> String {
    format!("assets/v1/{}", seg(id))
}

pub const KIND: &str = "assets";
/// Folder indexes by their keys ([`shard_key`]), read together by one listing.
type Folders = std::collections::BTreeMap<String, Entries>;
const UNREADABLE: &str = "A stored asset could not be read";

pub struct AssetStore<'a, K: KeyValue> {
    kv: &'a K,
}

impl<'a, K: KeyValue> AssetStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        AssetStore { kv }
    }

    pub async fn get(&self, id: &str) -> Result<Option<AssetRecord>, ApiError> {
        get_json(self.kv, &record_key(id), UNREADABLE).await
    }

    /// The index of one folder's children.
    fn folder(&self, user_id: &str, parent_id: &str) -> Index<'a, K> {
        Index::at(self.kv, shard_key(user_id, parent_id))
    }

    /// Stores `record` (which replaces `previous`, the same user's record of that id, if
    /// any). The folder's index entry is written first: a crash in between leaves an entry
    /// without a record, which listing skips, never a record that cannot be listed. A new
    /// asset that would pass `cap` is refused before its record is written.
    pub async fn put(
        &self,
        record: &AssetRecord,
        previous: Option<&AssetRecord>,
        cap: Option<Cap<'_>>,
    ) -> Result<(), ApiError> {
        let folder = self.folder(&record.user_id, &record.parent_id);
        let new_here = folder.insert(&record.id, entry_of(record)).await?;
        if let Some(p) = previous.filter(|p| p.parent_id != record.parent_id) {
            // Moved: out of the old folder's index.
            self.folder(&p.user_id, &p.parent_id).remove(&p.id).await?;
        }
        if new_here
            && previous.is_none()
            && let Err(refused) = Counter::new(self.kv, KIND, &record.user_id)
                .add(1, cap)
                .await
        {
            folder.remove(&record.id).await?;
            return Err(refused);
        }
        put_json(self.kv, &record_key(&record.id), record, UNREADABLE).await
    }

    pub async fn delete(&self, record: &AssetRecord) -> Result<(), ApiError> {
        self.kv.delete(&record_key(&record.id)).await?;
        self.folder(&record.user_id, &record.parent_id)
            .remove(&record.id)
            .await?;
        Counter::new(self.kv, KIND, &record.user_id)
            .add(-1, None)
            .await?;
        if record.stored_bytes > 0 {
            let bytes = i64::try_from(record.stored_bytes).unwrap_or(i64::MAX);
            Counter::new(self.kv, BYTES_KIND, &record.user_id)
                .add(-bytes, None)
                .await?;
        }
        // A store written before index records listed assets by marker (see store::layout).
        let marker = owner_marker(KIND, &record.user_id, &record.id);
        self.kv.delete(&marker).await?;
        Ok(())
    }

    /// How many assets the user has, folders included.
    pub async fn count(&self, user_id: &str) -> Result<u64, ApiError> {
        Counter::new(self.kv, KIND, user_id).get().await
    }

    /// The index entries of `parent_id`'s children, or, without one, of every asset the
    /// user's folders hold, found from the home folder down (one read per folder).
    async fn entries(&self, user_id: &str, parent_id: Option<&str>) -> Result<Entries, ApiError> {
        if let Some(parent) = parent_id {
            return self.folder(user_id, parent).entries().await;
        }
        let mut folders = FolderReader::new(self, user_id);
        let mut all = Entries::new();
        let mut open = vec![user_id.to_string()];
        let mut seen = std::collections::HashSet::from([user_id.to_string()]);
        while let Some(folder) = open.pop() {
            for (id, entry) in folders.entries(&folder).await? {
                if entry.class.as_deref() == Some(FOLDER) && seen.insert(id.clone()) {
                    open.push(id.clone());
                }
                all.insert(id, entry);
            }
        }
        Ok(all)
    }

    /// The user's assets in `parent_id` (or in any folder) whose index entry `keep` accepts,
    /// ordered by id (NodeTool's ids are time-ordered), after `after` (an id; `""` from the
    /// start), at most `limit` of them, and whether more follow. Only the records returned are
    /// read.
    pub async fn page(
        &self,
        user_id: &str,
        parent_id: Option<&str>,
        keep: impl Fn(&Entry) -> bool,
        after: &str,
        limit: usize,
    ) -> Result<(Vec<AssetRecord>, bool), ApiError> {
        let entries = self.entries(user_id, parent_id).await?;
        let rest = entries
            .iter()
            .filter(|(id, e)| (after.is_empty() || id.as_str() > after) && keep(e))
            .map(|(id, _)| id.as_str());
        let kept = read_page(self.kv, rest, limit, record_key, |_, bytes| {
            let r: AssetRecord =
                serde_json::from_slice(&bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
            Ok((r.user_id == user_id).then_some(r))
        })
        .await?;
        Ok((kept.items, kept.more))
    }

    /// The records below folder `root`, read folder by folder down to `depth` levels (the
    /// root is level 1): one level further than a walk limited to `depth` accepts, so that
    /// walk can tell a tree too deep from one that fits without this reading all of it.
    pub async fn below(
        &self,
        root: &AssetRecord,
        depth: usize,
    ) -> Result<Vec<AssetRecord>, ApiError> {
        let mut folders = FolderReader::new(self, &root.user_id);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::from([root.id.clone()]);
        let mut open = vec![(root.id.clone(), 1usize)];
        while let Some((folder, level)) = open.pop() {
            let entries = folders.entries(&folder).await?;
            let keys: Vec<String> = entries
                .into_keys()
                .filter(|id| seen.insert(id.clone()))
                .map(|id| record_key(&id))
                .collect();
            for bytes in get_all(self.kv, &keys).await?.into_iter().flatten() {
                let r: AssetRecord =
                    serde_json::from_slice(&bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
                if r.user_id != root.user_id {
                    continue;
                }
                if r.is_folder() && level < depth {
                    open.push((r.id.clone(), level + 1));
                }
                out.push(r);
            }
        }
        Ok(out)
    }

    /// All of a user's assets, ordered by id.
    pub async fn list(&self, user_id: &str) -> Result<Vec<AssetRecord>, ApiError> {
        Ok(self.page(user_id, None, |_| true, "", usize::MAX).await?.0)
    }
}

/// What a folder's index keeps of an asset: its content type, for listing a type without
/// reading the records (the folder is the index itself).
/// Folder indexes a walk reads one by one before it reads all of the user's at once, where
/// one prefix listing can (Workers KV).
const ONE_BY_ONE: usize = 8;

/// How a walk over a user's folders reads their indexes. Where the items of every folder's
/// index are keys under the user's prefix (Workers KV), one listing reads all of them, about
/// one operation per thousand of the user's assets: a walk over many folders costs that
/// listing instead of one per folder. A small walk (a folder without subfolders, a short
/// delete) reads its few folders one by one first, so it never pays for the whole account.
/// Elsewhere each folder's index is one read.
struct FolderReader<'s, 'a, K: KeyValue> {
    store: &'s AssetStore<'a, K>,
    user_id: &'s str,
    read: usize,
    all: Option<Folders>,
}

impl<'s, 'a, K: KeyValue> FolderReader<'s, 'a, K> {
    fn new(store: &'s AssetStore<'a, K>, user_id: &'s str) -> Self {
        FolderReader {
            store,
            user_id,
            read: 0,
            all: None,
        }
    }

    /// The entries of `folder`'s index. A walk asks for each folder once (it keeps what it
    /// has seen), so a folder is taken out of the user-wide listing as it is read.
    async fn entries(&mut self, folder: &str) -> Result<Entries, ApiError> {
        if self.all.is_none() && self.read >= ONE_BY_ONE && self.store.kv.lists_prefix_natively() {
            let prefix = shards_prefix(self.user_id);
            self.all = Some(items_under(self.store.kv, &prefix).await?);
        }
        if let Some(all) = &mut self.all {
            return Ok(all
                .remove(&shard_key(self.user_id, folder))
                .unwrap_or_default());
        }
        self.read += 1;
        self.store.folder(self.user_id, folder).entries().await
    }
}

pub fn entry_of(record: &AssetRecord) -> Entry {
    Entry {
        updated: record.created_at.clone(),
        class: Some(record.content_type.clone()),
        ..Entry::default()
    }
}

/// `root` and everything below it among `all` (one user's records), each child before its
/// folder and `root` last: deleting in this order, a failure midway leaves a smaller tree in
/// which every remaining record's parent still exists.
///
/// The walk keeps the open folders on a list of its own rather than on the call stack, and
/// refuses, before returning anything, a tree with folders nested more than `limit` levels.
/// Only folders are descended into, as NodeTool does. Parent links are data nobody checks on
/// create, so a record is taken once however the links loop (a folder may be its own
/// ancestor).
pub fn subtree_leaves_first<'a>(
    root: &'a AssetRecord,
    all: &'a [AssetRecord],
    limit: usize,
) -> Result<Vec<&'a AssetRecord>, TooDeep> {
    let mut children: HashMap<&str, Vec<&AssetRecord>> = HashMap::new();
    for a in all {
        children.entry(a.parent_id.as_str()).or_default().push(a);
    }
    let no_children = Vec::new();
    let children_of = |a: &AssetRecord| match a.is_folder() {
        true => children.get(a.id.as_str()).unwrap_or(&no_children),
        false => &no_children,
    };
    let mut seen = HashSet::from([root.id.as_str()]);
    // The folders from `root` down to the one being walked, each with the index of its next
    // child; the length is the current nesting.
    let mut open: Vec<(&AssetRecord, usize)> = vec![(root, 0)];
    let mut out = Vec::new();
    while let Some((folder, next)) = open.last_mut() {
        let Some(&child) = children_of(folder).get(*next) else {
            out.push(*folder);
            open.pop();
            continue;
        };
        *next += 1;
        if !seen.insert(child.id.as_str()) {
            continue;
        }
        if !child.is_folder() {
            out.push(child);
        } else if open.len() >= limit {
            return Err(TooDeep { limit });
        } else {
            open.push((child, 0));
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn ids_and_file_names() {
        assert!(valid_id("0f3c9a2b4d5e6f708192a3b4c5d6e7f8"));
        for bad in ["", "../x", "a/b", "a.b", "a b", &"x".repeat(129)] {
            assert!(!valid_id(bad), "{bad}");
        }
        let mut r = AssetRecord {
            format: FORMAT,
            id: "abc".into(),
            user_id: "1".into(),
            parent_id: "1".into(),
            workflow_id: None,
            name: "cat.jpg".into(),
            content_type: "image/jpeg".into(),
            metadata: None,
            created_at: String::new(),
            stored_bytes: 0,
        };
        assert_eq!(r.file_name().as_deref(), Some("abc.jpg"));
        assert_eq!(r.thumb_file_name().as_deref(), Some("abc_thumb.jpg"));
        r.content_type = "application/x-unknown".into();
        assert_eq!(r.file_name().as_deref(), Some("abc.bin"));
        assert_eq!(r.thumb_file_name(), None);
        r.content_type = FOLDER.into();
        assert_eq!(r.file_name(), None);
    }

    /// An asset of user "1" named as its id (also used by the handler's tests).
    pub(crate) fn rec(id: &str, parent: &str, content_type: &str) -> AssetRecord {
        AssetRecord {
            format: FORMAT,
            id: id.into(),
            user_id: "1".into(),
            parent_id: parent.into(),
            workflow_id: None,
            name: id.into(),
            content_type: content_type.into(),
            metadata: None,
            created_at: String::new(),
            stored_bytes: 0,
        }
    }

    /// `levels` folders, each inside the one before, the first at the top level.
    fn chain(levels: usize) -> Vec<AssetRecord> {
        (0..levels)
            .map(|i| {
                let parent = if i == 0 {
                    "1".into()
                } else {
                    format!("f{}", i - 1)
                };
                rec(&format!("f{i}"), &parent, FOLDER)
            })
            .collect()
    }

    /// On Workers KV a walk over more than a few folders reads the rest of the user's folders
    /// with one prefix listing, and finds what the folder-by-folder walk finds.
    #[test]
    fn with_native_listing_a_walk_over_folders_is_one_listing() {
        use crate::memory_host::Watched;
        use futures_executor::block_on;
        for host in [Watched::new(), Watched::native()] {
            let store = AssetStore::new(&host);
            let mut all = chain(10);
            all.push(rec("file", "f9", "text/plain"));
            // A file whose folder is not there is reached by no walk.
            all.push(rec("orphan", "nowhere", "text/plain"));
            for r in &all {
                block_on(store.put(r, None, None)).unwrap();
            }
            let listings = host.listings.get();
            let (page, more) = block_on(store.page("1", None, |_| true, "", 100)).unwrap();
            let found: Vec<&str> = page.iter().map(|a| a.id.as_str()).collect();
            let mut want: Vec<&str> = all[..11].iter().map(|a| a.id.as_str()).collect();
            want.sort();
            assert_eq!((found, more), (want, false));
            let below = block_on(store.below(&all[5], 100)).unwrap();
            let below: Vec<&str> = below.iter().map(|a| a.id.as_str()).collect();
            assert_eq!(below, ["f6", "f7", "f8", "f9", "file"]);
            // With native listing each folder read alone is one listing: the eleven folders
            // of the whole account are the first ONE_BY_ONE, then one listing of them all;
            // the five folders below f5 are five.
            let expected = if host.native_listing {
                ONE_BY_ONE + 1 + 5
            } else {
                0
            };
            assert_eq!(host.listings.get() - listings, expected);
        }
    }

    fn ids<'a>(order: &[&'a AssetRecord]) -> Vec<&'a str> {
        order.iter().map(|a| a.id.as_str()).collect()
    }

    /// Every record comes before its parent (when the parent is in the plan at all).
    fn assert_leaves_first(order: &[&AssetRecord]) {
        let at: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        assert_eq!(at.len(), order.len(), "each record once");
        for (i, a) in order.iter().enumerate() {
            if let Some(&p) = at.get(a.parent_id.as_str()) {
                assert!(p > i, "{} comes before its parent {}", a.id, a.parent_id);
            }
        }
    }

    #[test]
    fn a_chain_at_the_limit_is_planned_leaves_first() {
        let mut all = chain(MAX_DEPTH);
        // A file in the deepest folder adds no level.
        all.push(rec("file", &format!("f{}", MAX_DEPTH - 1), "text/plain"));
        let order = subtree_leaves_first(&all[0], &all, MAX_DEPTH).unwrap();
        assert_eq!(order.len(), MAX_DEPTH + 1);
        assert_eq!(order[0].id, "file");
        assert_eq!(order.last().unwrap().id, "f0");
        assert_leaves_first(&order);
        // Starting further down counts from there.
        let order = subtree_leaves_first(&all[1], &all, MAX_DEPTH).unwrap();
        assert_eq!(order.len(), MAX_DEPTH);
    }

    #[test]
    fn a_chain_beyond_the_limit_is_refused_whatever_its_depth() {
        let all = chain(MAX_DEPTH + 1);
        assert_eq!(
            subtree_leaves_first(&all[0], &all, MAX_DEPTH),
            Err(TooDeep { limit: MAX_DEPTH })
        );
        // The folder one level down holds exactly the limit.
        assert_eq!(
            subtree_leaves_first(&all[1], &all, MAX_DEPTH).map(|o| o.len()),
            Ok(MAX_DEPTH)
        );
        // Far deeper than any stack would take recursively: refused, quickly.
        let all = chain(100_000);
        assert!(subtree_leaves_first(&all[0], &all, MAX_DEPTH).is_err());
        // With no limit in the way the walk still needs no deep stack.
        let order = subtree_leaves_first(&all[0], &all, usize::MAX).unwrap();
        assert_eq!(order.len(), 100_000);
        assert_eq!(order[0].id, "f99999");
        assert_leaves_first(&order);
    }

    #[test]
    fn the_refusal_names_the_limit() {
        let e = ApiError::from(TooDeep { limit: MAX_DEPTH });
        assert_eq!(e.status(), 422);
        assert_eq!(
            e.detail(),
            "Folder nesting exceeds the limit of 1000 levels: delete a folder further down first"
        );
    }

    #[test]
    fn a_wide_tree_is_planned_whole() {
        let mut all = vec![rec("root", "1", FOLDER)];
        for i in 0..100 {
            all.push(rec(&format!("d{i}"), "root", FOLDER));
            for j in 0..100 {
                all.push(rec(&format!("d{i}-{j}"), &format!("d{i}"), "image/png"));
            }
            all.push(rec(&format!("top{i}"), "root", "text/plain"));
        }
        // Another folder's content and another top-level folder are not touched.
        all.push(rec("other", "1", FOLDER));
        all.push(rec("other-child", "other", "text/plain"));
        let order = subtree_leaves_first(&all[0], &all, MAX_DEPTH).unwrap();
        assert_eq!(order.len(), 1 + 100 + 100 * 100 + 100);
        assert!(!ids(&order).contains(&"other"));
        assert!(!ids(&order).contains(&"other-child"));
        assert_eq!(order.last().unwrap().id, "root");
        assert_leaves_first(&order);
    }

    #[test]
    fn parent_links_that_loop_are_followed_once() {
        // a -> b -> c -> a: each folder the parent of the next, the first inside the last.
        let all = vec![
            rec("a", "c", FOLDER),
            rec("b", "a", FOLDER),
            rec("c", "b", FOLDER),
            rec("x", "c", "text/plain"),
        ];
        let order = subtree_leaves_first(&all[0], &all, MAX_DEPTH).unwrap();
        assert_eq!(ids(&order), ["x", "c", "b", "a"]);
        // A folder that is its own parent, with a child.
        let all = vec![rec("s", "s", FOLDER), rec("t", "s", FOLDER)];
        assert_eq!(
            ids(&subtree_leaves_first(&all[0], &all, MAX_DEPTH).unwrap()),
            ["t", "s"]
        );
        // A loop longer than the limit is refused, not walked round and round; without a
        // limit each of its folders is still taken once.
        let mut all = chain(MAX_DEPTH + 5);
        all[0].parent_id = format!("f{}", MAX_DEPTH + 4);
        assert!(subtree_leaves_first(&all[0], &all, MAX_DEPTH).is_err());
        assert_eq!(
            subtree_leaves_first(&all[0], &all, usize::MAX).map(|o| o.len()),
            Ok(MAX_DEPTH + 5)
        );
    }

    #[test]
    fn only_folders_are_descended_into() {
        // A file named as a parent (nothing checks parents on create) keeps what names it, as
        // NodeTool does; the file itself is planned alone.
        let all = vec![rec("f", "1", "text/plain"), rec("g", "f", "text/plain")];
        assert_eq!(
            ids(&subtree_leaves_first(&all[0], &all, MAX_DEPTH).unwrap()),
            ["f"]
        );
    }
}
