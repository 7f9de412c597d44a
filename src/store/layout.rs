//! The store's layout version, and bringing a store written before index records into them.
//!
//! Stores written before index records listed workflows and assets through owner markers
//! (`owners/v1/{owner}/{kind}/{id}`), found by key prefix. The first listing on such a store
//! reads those markers once (on Spin that reads every key, once), merges what they name into
//! the index records and then records the layout, so no later request lists keys. Writes made
//! meanwhile are kept: the import only adds entries that are missing, and a delete removes the
//! marker as well as the entry, so an import cannot bring a deleted item back.

use std::collections::BTreeMap;

use crate::auth::users::{self, UserRecord};
use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::assets::{self, AssetRecord};
use crate::store::collections::{self, CollectionRecord, DocRecord};
use crate::store::index::{Counter, Entries, Entry, Index, index_key, index_key_for_segment};
use crate::store::records::{get_json, seg, unseg};
use crate::store::secrets::store::{self as secrets, SecretRecord};
use crate::store::workflows;
use crate::workflow::WorkflowRecord;

pub use crate::store::index::{LAYOUT, LAYOUT_KEY, is_indexed};

const LEGACY_OWNERS: &str = "owners/v1/";

/// Makes sure index records are complete: one read when they are.
pub async fn ensure_indexed<K: KeyValue>(kv: &K) -> Result<(), ApiError> {
    if is_indexed(kv).await? {
        return Ok(());
    }
    let mut found: BTreeMap<String, Entries> = BTreeMap::new();
    // The owner whose asset count each asset folder index adds to.
    let mut counted: BTreeMap<String, String> = BTreeMap::new();
    import_users(kv, &mut found).await?;
    import_secrets(kv, &mut found).await?;
    import_collections(kv, &mut found).await?;
    for key in kv.list_prefix(LEGACY_OWNERS).await? {
        let Some(rest) = key.strip_prefix(LEGACY_OWNERS) else {
            continue;
        };
        let mut parts = rest.splitn(3, '/');
        let (Some(owner), Some(kind), Some(id_segment)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        // The marker holds the id itself, for the ids too long for their key to hold.
        let id = match unseg(id_segment) {
            Some(id) => id,
            None => match kv.get(&key).await?.map(String::from_utf8) {
                Some(Ok(id)) => id,
                _ => continue,
            },
        };
        match kind {
            workflows::KIND => {
                let workflow = get_json::<WorkflowRecord, _>(
                    kv,
                    &workflows::record_key(&id),
                    "A stored workflow could not be read",
                )
                .await?
                .filter(|w| seg(&w.user_id) == owner);
                if let Some(w) = workflow {
                    found
                        .entry(index_key_for_segment(kind, owner))
                        .or_default()
                        .insert(id, workflows::entry_of(&w));
                }
            }
            assets::KIND => {
                let asset = get_json::<AssetRecord, _>(
                    kv,
                    &assets::record_key(&id),
                    "A stored asset could not be read",
                )
                .await?
                .filter(|a| seg(&a.user_id) == owner);
                if let Some(a) = asset {
                    let shard = assets::shard_key(&a.user_id, &a.parent_id);
                    counted.insert(shard.clone(), a.user_id.clone());
                    found
                        .entry(shard)
                        .or_default()
                        .insert(id, assets::entry_of(&a));
                }
            }
            _ => {}
        }
    }
    for (key, entries) in &found {
        let added = Index::at(kv, key.clone()).merge_missing(entries).await?;
        // Assets are counted apart from their folders' indexes, for the quota.
        if let Some(user) = counted.get(key) {
            Counter::new(kv, assets::KIND, user)
                .add(added as i64, None)
                .await?;
        }
    }
    kv.set(LAYOUT_KEY, LAYOUT).await?;
    Ok(())
}

/// Users were listed by their record keys.
async fn import_users<K: KeyValue>(
    kv: &K,
    found: &mut BTreeMap<String, Entries>,
) -> Result<(), ApiError> {
    for key in kv.list_prefix(users::NAME_PREFIX).await? {
        if let Some(u) =
            get_json::<UserRecord, _>(kv, &key, "A stored user could not be read").await?
        {
            found
                .entry(index_key(users::INDEX_KIND, ""))
                .or_default()
                .insert(u.username, Entry::default());
        }
    }
    Ok(())
}

/// Secrets were listed by the prefix of their owner.
async fn import_secrets<K: KeyValue>(
    kv: &K,
    found: &mut BTreeMap<String, Entries>,
) -> Result<(), ApiError> {
    for key in kv.list_prefix(secrets::PREFIX).await? {
        if let Some(s) =
            get_json::<SecretRecord, _>(kv, &key, "A stored secret could not be read").await?
        {
            found
                .entry(index_key(secrets::KIND, &s.user_id))
                .or_default()
                .insert(s.key.clone(), secrets::entry_of(&s));
        }
    }
    Ok(())
}

/// Collections were listed by their name records, and each one's documents by prefix.
async fn import_collections<K: KeyValue>(
    kv: &K,
    found: &mut BTreeMap<String, Entries>,
) -> Result<(), ApiError> {
    for key in kv.list_prefix(collections::NAMES_PREFIX).await? {
        let Some(c) =
            get_json::<CollectionRecord, _>(kv, &key, "A stored collection could not be read")
                .await?
        else {
            continue;
        };
        let docs = found
            .entry(collections::docs_index_key(&c.cid))
            .or_default();
        for doc_key in kv.list_prefix(&collections::docs_prefix(&c.cid)).await? {
            if let Some(d) =
                get_json::<DocRecord, _>(kv, &doc_key, "A stored collection could not be read")
                    .await?
            {
                docs.insert(d.id, Entry::default());
            }
        }
        found
            .entry(index_key(collections::INDEX_KIND, ""))
            .or_default()
            .insert(c.name.clone(), collections::entry_of(&c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::{MemoryHost, Watched};
    use crate::store::records::owner_marker;
    use crate::store::workflows::WorkflowStore;
    use futures_executor::block_on;
    use serde_json::json;

    fn workflow(id: &str, user: &str, updated: &str) -> WorkflowRecord {
        serde_json::from_value(json!({
            "format": 1, "id": id, "user_id": user, "access": "private",
            "created_at": updated, "updated_at": updated, "name": id, "tool_name": null,
            "tags": [], "description": "", "package_name": "", "path": null,
            "thumbnail": null, "thumbnail_url": null, "graph": {"nodes": [], "edges": []},
            "settings": {}, "run_mode": null, "workspace_id": null, "html_app": null
        }))
        .unwrap()
    }

    /// Writes a workflow as the layout before index records did: marker, then record.
    fn legacy_save(host: &MemoryHost, w: &WorkflowRecord) {
        block_on(host.set(
            &owner_marker(workflows::KIND, &w.user_id, &w.id),
            w.id.as_bytes(),
        ))
        .unwrap();
        block_on(host.set(
            &workflows::record_key(&w.id),
            &serde_json::to_vec(w).unwrap(),
        ))
        .unwrap();
    }

    fn listed(host: &MemoryHost, user: &str) -> Vec<String> {
        block_on(WorkflowStore::new(host).page(user, None, "", 100))
            .unwrap()
            .ids()
    }

    #[test]
    fn legacy_markers_become_index_entries_once() {
        let host = MemoryHost::with_vars(&[]);
        let long = "ü".repeat(120);
        legacy_save(&host, &workflow("a", "u1", "2026-01-01T00:00:00.000000"));
        legacy_save(&host, &workflow(&long, "u1", "2026-01-03T00:00:00.000000"));
        legacy_save(&host, &workflow("b", "u2", "2026-01-02T00:00:00.000000"));
        // A stale marker: its record now belongs to someone else.
        block_on(host.set(&owner_marker(workflows::KIND, "u2", "a"), b"a")).unwrap();
        // A write made by the new layout before the first listing is kept.
        block_on(
            WorkflowStore::new(&host)
                .save(&workflow("c", "u1", "2026-01-02T00:00:00.000000"), None),
        )
        .unwrap();

        assert_eq!(
            listed(&host, "u1"),
            ["c"],
            "before the import only new writes are indexed"
        );
        block_on(ensure_indexed(&host)).unwrap();
        assert_eq!(listed(&host, "u1"), [long.as_str(), "c", "a"]);
        assert_eq!(listed(&host, "u2"), ["b"]);
        assert_eq!(
            block_on(host.get(LAYOUT_KEY)).unwrap().as_deref(),
            Some(LAYOUT)
        );

        // Deleting removes the marker too, so a second import could not bring it back.
        block_on(WorkflowStore::new(&host).delete("u1", "a")).unwrap();
        block_on(host.delete(LAYOUT_KEY)).unwrap();
        block_on(ensure_indexed(&host)).unwrap();
        assert_eq!(listed(&host, "u1"), [long.as_str(), "c"]);
    }

    #[test]
    fn an_imported_store_lists_without_listing_keys_again() {
        // Prefix listings are counted: on Spin each reads every key of the store.
        let host = Watched::new();
        legacy_save(
            &host.inner,
            &workflow("a", "u1", "2026-01-01T00:00:00.000000"),
        );
        block_on(ensure_indexed(&host)).unwrap();
        let import = host.listings.get();
        for _ in 0..3 {
            block_on(ensure_indexed(&host)).unwrap();
        }
        let page = block_on(WorkflowStore::new(&host).page("u1", None, "", 10)).unwrap();
        assert_eq!(page.workflows.len(), 1);
        assert_eq!(
            host.listings.get(),
            import,
            "no key listing after the import"
        );
    }
}
