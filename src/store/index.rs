//! Index records: what one owner has of one kind, in a single record, so that listing and
//! counting read that record and then only the items returned, whatever other tenants store.
//!
//! Why a record and not a key prefix: Spin's key-value interface lists keys only by reading
//! every key of the store, so a prefix listing costs what all tenants own. An index record
//! costs one read (its size follows what the owner has, which the quotas bound) and is
//! changed with the port's compare-and-swap, so concurrent writers of one owner never lose
//! each other's entries on hosts where the swap is atomic (Spin, the native runner).
//!
//! Workers KV is the other way round: its prefix listing reads only the keys asked for, it has
//! no compare-and-swap, and it allows about one write a second per key. There an index is one
//! key per item under the index's key (`{index}/{id}`, holding the entry), so concurrent
//! writers of one owner touch different keys and nothing is rewritten on every change.
//!
//! Order of writes, kept by every store: an entry is added before its record is written and
//! removed after its record is deleted. A crash in between leaves an entry without a record,
//! which listings skip (and which the next write of that id replaces), never a record that no
//! listing shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::records::{get_all, seg};

/// Attempts of one change against writers that keep getting there first. Each attempt is a
/// read and a swap of one small record, so this bounds a request's work, not its wait.
const MAX_ATTEMPTS: usize = 64;

const BUSY: &str = "The store is busy with other writes of the same owner, try again";
const UNREADABLE: &str = "A stored index could not be read";

/// Present once the store lists through index records (`store::layout` imports older data
/// first). Its value is the layout version.
pub const LAYOUT_KEY: &str = "meta/v1/layout";
pub const LAYOUT: &[u8] = b"2";

/// Whether index records are complete.
pub async fn is_indexed<K: KeyValue>(kv: &K) -> Result<bool, ApiError> {
    Ok(kv.get(LAYOUT_KEY).await?.is_some())
}

/// What an index keeps of one item: enough to order, filter and count without reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The order key: an item's `updated_at` (naive ISO text, which sorts as time does).
    #[serde(rename = "u", default, skip_serializing_if = "String::is_empty")]
    pub updated: String,
    /// The folder an item is in (assets).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// A filterable class: a workflow's run mode, an asset's content type.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Bytes the item holds, for byte quotas.
    #[serde(rename = "b", default, skip_serializing_if = "is_zero")]
    pub bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An index's entries by item id.
pub type Entries = BTreeMap<String, Entry>;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    #[serde(rename = "e", default)]
    entries: Entries,
}

/// One item of an index kept one key per item; the id is inside, for the ids too long for
/// their key to hold.
#[derive(Debug, Serialize, Deserialize)]
struct Item {
    id: String,
    #[serde(flatten)]
    entry: Entry,
}

/// The entries of every index kept one key per item (Workers KV) whose key starts with
/// `prefix`, by index key: one listing reads the indexes of a whole subtree of keys (a user's
/// asset folders, say) instead of one listing each. The listing carries the items written with
/// `set_listed`; only the others (written before items carried their values) are read one by
/// one.
pub async fn items_under<K: KeyValue>(
    kv: &K,
    prefix: &str,
) -> Result<BTreeMap<String, Entries>, ApiError> {
    let mut listed = Vec::new();
    // Items listed without their entry, read below in one batch: their keys, and beside them
    // the index each belongs to.
    let (mut unlisted_keys, mut unlisted_indexes) = (Vec::new(), Vec::new());
    for (key, value) in kv.list_with_values(prefix).await? {
        // An item's key is `{index}/{segment of its id}`, and a segment holds no `/`.
        let Some((index, _)) = key.rsplit_once('/') else {
            continue;
        };
        let index = index.to_string();
        match value {
            Some(bytes) => listed.push((index, bytes)),
            None => {
                unlisted_indexes.push(index);
                unlisted_keys.push(key);
            }
        }
    }
    let read = get_all(kv, &unlisted_keys).await?;
    let unlisted = unlisted_indexes
        .into_iter()
        .zip(read)
        .filter_map(|(index, value)| Some((index, value?)));
    let mut groups = BTreeMap::<String, Entries>::new();
    for (index, bytes) in listed.into_iter().chain(unlisted) {
        let item: Item =
            serde_json::from_slice(&bytes).map_err(|_| ApiError::Internal(UNREADABLE))?;
        groups.entry(index).or_default().insert(item.id, item.entry);
    }
    Ok(groups)
}

/// A limit on how many items one index may hold; a new id beyond it is refused with
/// `refusal` (ids already present may always be rewritten).
#[derive(Clone, Copy)]
pub struct Cap<'a> {
    pub max_items: usize,
    pub refusal: &'a dyn Fn() -> ApiError,
}

/// The index of `kind` items of one owner.
pub struct Index<'a, K: KeyValue> {
    kv: &'a K,
    key: String,
}

/// Where the index of `kind` for `owner` lives.
pub fn index_key(kind: &str, owner: &str) -> String {
    index_key_for_segment(kind, &seg(owner))
}

/// The same, from an owner already encoded as a key segment (legacy markers hold that form).
pub fn index_key_for_segment(kind: &str, owner_segment: &str) -> String {
    format!("index/v1/{kind}/{owner_segment}")
}

impl<'a, K: KeyValue> Index<'a, K> {
    pub fn new(kv: &'a K, kind: &str, owner: &str) -> Self {
        Index {
            kv,
            key: index_key(kind, owner),
        }
    }

    pub fn at(kv: &'a K, key: String) -> Self {
        Index { kv, key }
    }

    async fn read(&self) -> Result<(Option<Vec<u8>>, Entries), ApiError> {
        let raw = self.kv.get(&self.key).await?;
        let entries = match &raw {
            None => Entries::new(),
            Some(bytes) => {
                serde_json::from_slice::<Record>(bytes)
                    .map_err(|_| ApiError::Internal(UNREADABLE))?
                    .entries
            }
        };
        Ok((raw, entries))
    }

    fn item_prefix(&self) -> String {
        format!("{}/", self.key)
    }

    /// Where the entry of `id` is kept one key per item.
    fn item_key(&self, id: &str) -> String {
        format!("{}{}", self.item_prefix(), seg(id))
    }

    /// The entries kept one key per item (Workers KV).
    async fn read_items(&self) -> Result<Entries, ApiError> {
        let mut groups = items_under(self.kv, &self.item_prefix()).await?;
        Ok(groups.remove(&self.key).unwrap_or_default())
    }

    /// Every entry, by id.
    pub async fn entries(&self) -> Result<Entries, ApiError> {
        if self.kv.lists_prefix_natively() {
            return self.read_items().await;
        }
        Ok(self.read().await?.1)
    }

    /// Applies `change` to the entries and stores the result, again from a fresh read each
    /// time another writer got there first. `change` answers whether it changed anything (no
    /// write when not) or refuses with an error, which is returned as it is.
    pub async fn update(
        &self,
        mut change: impl FnMut(&mut Entries) -> Result<bool, ApiError>,
    ) -> Result<(), ApiError> {
        if self.kv.lists_prefix_natively() {
            let before = self.read_items().await?;
            let mut after = before.clone();
            if change(&mut after)? {
                self.write_items(&before, &after).await?;
            }
            return Ok(());
        }
        for _ in 0..MAX_ATTEMPTS {
            let (raw, mut entries) = self.read().await?;
            if !change(&mut entries)? {
                return Ok(());
            }
            let bytes = serde_json::to_vec(&Record { entries })
                .map_err(|_| ApiError::Internal(UNREADABLE))?;
            if self.kv.swap(&self.key, raw.as_deref(), &bytes).await? {
                return Ok(());
            }
        }
        Err(ApiError::Unavailable(BUSY))
    }

    /// Writes the items that changed and deletes the ones that went.
    async fn write_items(&self, before: &Entries, after: &Entries) -> Result<(), ApiError> {
        for (id, entry) in after {
            if before.get(id) != Some(entry) {
                let item = Item {
                    id: id.clone(),
                    entry: entry.clone(),
                };
                let bytes =
                    serde_json::to_vec(&item).map_err(|_| ApiError::Internal(UNREADABLE))?;
                self.kv.set_listed(&self.item_key(id), &bytes).await?;
            }
        }
        for id in before.keys().filter(|id| !after.contains_key(*id)) {
            self.kv.delete(&self.item_key(id)).await?;
        }
        Ok(())
    }

    /// Adds or replaces the entry of `id`, within `cap` when one is given.
    pub async fn put(&self, id: &str, entry: Entry, cap: Option<Cap<'_>>) -> Result<(), ApiError> {
        self.update(|entries| {
            if entries.get(id) == Some(&entry) {
                return Ok(false);
            }
            if let Some(cap) = cap
                && !entries.contains_key(id)
                && entries.len() >= cap.max_items
            {
                return Err((cap.refusal)());
            }
            entries.insert(id.to_string(), entry.clone());
            Ok(true)
        })
        .await
    }

    pub async fn remove(&self, id: &str) -> Result<(), ApiError> {
        if self.kv.lists_prefix_natively() {
            // The item is a key of its own: removing it is deleting that key, without
            // reading the others.
            self.kv.delete(&self.item_key(id)).await?;
            return Ok(());
        }
        self.update(|entries| Ok(entries.remove(id).is_some()))
            .await
    }

    /// Adds entries that are missing, never replacing one (how legacy data is brought in
    /// beside writes that may already have happened), and answers how many it added.
    pub async fn merge_missing(&self, found: &Entries) -> Result<usize, ApiError> {
        let mut added = 0;
        self.update(|entries| {
            added = 0;
            for (id, entry) in found {
                if !entries.contains_key(id) {
                    entries.insert(id.clone(), entry.clone());
                    added += 1;
                }
            }
            Ok(added > 0)
        })
        .await?;
        Ok(added)
    }

    /// Adds or replaces the entry of `id` and answers whether `id` is new here.
    pub async fn insert(&self, id: &str, entry: Entry) -> Result<bool, ApiError> {
        let mut new = false;
        self.update(|entries| {
            new = !entries.contains_key(id);
            Ok(entries.insert(id.to_string(), entry.clone()).as_ref() != Some(&entry))
        })
        .await?;
        Ok(new)
    }
}

/// A count kept in one small record (`index/v1/count/{kind}/{owner}`), for items whose
/// entries are spread over several indexes (assets, one index per folder). Changed with
/// compare-and-swap like an index; within a cap, a rise beyond it is refused.
pub struct Counter<'a, K: KeyValue> {
    kv: &'a K,
    key: String,
}

impl<'a, K: KeyValue> Counter<'a, K> {
    pub fn new(kv: &'a K, kind: &str, owner: &str) -> Self {
        Counter {
            kv,
            key: format!("index/v1/count/{kind}/{}", seg(owner)),
        }
    }

    pub async fn get(&self) -> Result<u64, ApiError> {
        Ok(self.read().await?.1)
    }

    async fn read(&self) -> Result<(Option<Vec<u8>>, u64), ApiError> {
        let raw = self.kv.get(&self.key).await?;
        let n = match &raw {
            None => 0,
            Some(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(ApiError::Internal(UNREADABLE))?,
        };
        Ok((raw, n))
    }

    /// Adds `delta` (never below zero); a rise that would pass `cap` is refused with it.
    pub async fn add(&self, delta: i64, cap: Option<Cap<'_>>) -> Result<(), ApiError> {
        match cap {
            Some(cap) => {
                self.change(delta, cap.max_items as u64, Some(cap.refusal))
                    .await
            }
            None => self.change(delta, u64::MAX, None).await,
        }
    }

    /// Adds `delta` (never below zero); a rise past `max` is refused with `refusal` (a
    /// count of bytes, which need not fit a `usize`).
    pub async fn add_up_to(
        &self,
        delta: i64,
        max: u64,
        refusal: &dyn Fn() -> ApiError,
    ) -> Result<(), ApiError> {
        self.change(delta, max, Some(refusal)).await
    }

    async fn change(
        &self,
        delta: i64,
        max: u64,
        refusal: Option<&dyn Fn() -> ApiError>,
    ) -> Result<(), ApiError> {
        for _ in 0..MAX_ATTEMPTS {
            let (raw, n) = self.read().await?;
            let next = n.saturating_add_signed(delta);
            if let Some(refusal) = refusal
                && delta > 0
                && next > max
            {
                return Err(refusal());
            }
            if self
                .kv
                .swap(&self.key, raw.as_deref(), next.to_string().as_bytes())
                .await?
            {
                return Ok(());
            }
        }
        Err(ApiError::Unavailable(BUSY))
    }
}

/// Ids ordered newest update first, ties by id: NodeTool's list order.
pub fn newest_first(entries: &Entries) -> Vec<(&String, &Entry)> {
    let mut out: Vec<_> = entries.iter().collect();
    out.sort_by(|(a_id, a), (b_id, b)| b.updated.cmp(&a.updated).then_with(|| a_id.cmp(b_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::{MemoryHost, Watched, at_once};
    use futures_executor::block_on;

    fn entry(updated: &str) -> Entry {
        Entry {
            updated: updated.into(),
            ..Entry::default()
        }
    }

    #[test]
    fn entries_are_added_replaced_removed_and_ordered() {
        let host = MemoryHost::with_vars(&[]);
        let index = Index::new(&host, "workflows", "u1");
        block_on(index.put("a", entry("2026-01-01T00:00:00.000001"), None)).unwrap();
        block_on(index.put("b", entry("2026-01-02T00:00:00.000000"), None)).unwrap();
        block_on(index.put("c", entry("2026-01-02T00:00:00.000000"), None)).unwrap();
        let entries = block_on(index.entries()).unwrap();
        let order: Vec<_> = newest_first(&entries)
            .into_iter()
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
        block_on(index.put("a", entry("2026-01-03T00:00:00.000000"), None)).unwrap();
        block_on(index.remove("b")).unwrap();
        block_on(index.remove("missing")).unwrap();
        let entries = block_on(index.entries()).unwrap();
        let order: Vec<_> = newest_first(&entries)
            .into_iter()
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(order, ["a", "c"]);
        // Another owner's index is another record.
        assert!(
            block_on(Index::new(&host, "workflows", "u2").entries())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_cap_refuses_new_ids_only() {
        let host = MemoryHost::with_vars(&[]);
        let index = Index::new(&host, "workflows", "u1");
        let refusal = || ApiError::Conflict("full".into());
        let cap = Cap {
            max_items: 2,
            refusal: &refusal,
        };
        block_on(index.put("a", entry("1"), Some(cap))).unwrap();
        block_on(index.put("b", entry("1"), Some(cap))).unwrap();
        let err = block_on(index.put("c", entry("1"), Some(cap))).unwrap_err();
        assert_eq!(err, ApiError::Conflict("full".into()));
        block_on(index.put("a", entry("2"), Some(cap))).unwrap();
        assert_eq!(block_on(index.entries()).unwrap().len(), 2);
    }

    #[test]
    fn a_lost_race_is_retried_on_fresh_data() {
        let host = Watched::raced(|inner| {
            at_once(Index::new(inner, "workflows", "u1").put("other", entry("1"), None)).unwrap();
        });
        let index = Index::new(&host, "workflows", "u1");
        block_on(index.put("mine", entry("2"), None)).unwrap();
        let entries = block_on(index.entries()).unwrap();
        assert!(
            entries.contains_key("other") && entries.contains_key("mine"),
            "{entries:?}"
        );
    }

    #[test]
    fn with_native_prefix_listing_each_item_is_its_own_key() {
        let host = Watched::native();
        let index = Index::new(&host, "workflows", "u1");
        let long = "é".repeat(150);
        block_on(index.put("a", entry("1"), None)).unwrap();
        block_on(index.put(&long, entry("2"), None)).unwrap();
        block_on(index.put("a", entry("3"), None)).unwrap();
        let refusal = || ApiError::Conflict("full".into());
        let cap = Cap {
            max_items: 2,
            refusal: &refusal,
        };
        assert!(block_on(index.put("b", entry("1"), Some(cap))).is_err());
        let entries = block_on(index.entries()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries["a"].updated, "3");
        assert_eq!(entries[&long].updated, "2");
        assert!(
            block_on(host.inner.get(&index_key("workflows", "u1")))
                .unwrap()
                .is_none()
        );
        assert_eq!(block_on(host.inner.list_prefix("index/")).unwrap().len(), 2);
        block_on(index.remove(&long)).unwrap();
        assert_eq!(block_on(host.inner.list_prefix("index/")).unwrap().len(), 1);
    }

    #[test]
    fn with_native_prefix_listing_an_index_is_read_by_its_listing_alone() {
        let host = Watched::native();
        let index = Index::new(&host, "assets", "u1");
        for i in 0..100 {
            block_on(index.put(&format!("a{i}"), entry("1"), None)).unwrap();
        }
        // An item written before listings carried values is read by itself.
        let old = Item {
            id: "old".into(),
            entry: entry("0"),
        };
        let key = format!("{}/old", index_key("assets", "u1"));
        block_on(host.set(&key, &serde_json::to_vec(&old).unwrap())).unwrap();
        let (reads, listings) = (host.reads.get(), host.listings.get());
        let entries = block_on(index.entries()).unwrap();
        assert_eq!(entries.len(), 101);
        assert_eq!(entries["old"].updated, "0");
        assert_eq!(entries["a99"].updated, "1");
        assert_eq!(host.listings.get() - listings, 1);
        assert_eq!(
            host.reads.get() - reads,
            1,
            "only the unlisted item is read"
        );
    }

    #[test]
    fn an_unreadable_index_is_an_error_not_empty() {
        let host = MemoryHost::with_vars(&[]);
        block_on(host.set(&index_key("workflows", "u1"), b"{oops")).unwrap();
        let index = Index::new(&host, "workflows", "u1");
        assert!(block_on(index.entries()).is_err());
        assert!(block_on(index.put("a", entry("1"), None)).is_err());
    }
}
