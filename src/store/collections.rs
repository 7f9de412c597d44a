//! Vector collections (what NodeTool keeps in Chroma, reference 4.6) through the KV port, so a
//! synced RAG workflow finds its documents on any host.
//!
//! `collections/v1/names/{name}` holds the collection record; its documents live under
//! `collections/v1/docs/{cid}/{doc id}`, keyed by an internal id so a rename touches one record.
//! The names are listed by one index record (`store::index`, kind `collections`, which also
//! keeps each collection's creator for quotas) and each collection's documents by one of its
//! own, so counting documents is one read and a query reads the documents, not the store's
//! keys. Embeddings are stored as little-endian `f32` in base64 with their norm, so a query decodes
//! bytes instead of parsing thousands of JSON numbers per document.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::index::{Entry, Index, index_key, is_indexed};
use crate::store::records::{get_json, list_json, put_json, seg};

pub const FORMAT: u32 = 1;
pub const MAX_DIMENSION: usize = 16_384;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionRecord {
    pub format: u32,
    /// Internal id naming the document keys; stable across renames.
    pub cid: String,
    pub name: String,
    pub metadata: Map<String, Value>,
    /// Fixed by the first embedding added; every later one must match.
    pub dimension: Option<usize>,
    pub created_at: String,
    /// The user who created it, for their quota (none for collections made before quotas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocRecord {
    pub id: String,
    pub document: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    embedding: String,
    norm: f32,
}

impl DocRecord {
    pub fn new(
        id: String,
        document: Option<String>,
        metadata: Option<Map<String, Value>>,
        embedding: &[f32],
    ) -> Self {
        let bytes: Vec<u8> = embedding.iter().flat_map(|f| f.to_le_bytes()).collect();
        DocRecord {
            id,
            document,
            metadata,
            embedding: STANDARD.encode(bytes),
            norm: norm(embedding),
        }
    }

    pub fn embedding(&self) -> Option<Vec<f32>> {
        let bytes = STANDARD.decode(&self.embedding).ok()?;
        (bytes.len() % 4 == 0).then(|| {
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
    }

    /// The embedding's length, kept so a query need not recompute it per document.
    pub fn norm(&self) -> f32 {
        self.norm
    }
}

/// Cosine similarity of two vectors with known non-zero norms (zero vectors are refused on the
/// way in); `None` when their dimensions differ.
pub fn cosine(a: &[f32], a_norm: f32, b: &[f32], b_norm: f32) -> Option<f32> {
    if a.len() != b.len() {
        return None;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    Some(dot / (a_norm * b_norm))
}

pub fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// Chroma's naming rules, so a name that works in NodeTool works here: 3 to 63 characters of
/// ASCII letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit, no `..`.
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    let b = name.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "Invalid collection name: use 3 to 63 letters, digits, '.', '_' or '-', starting and \
             ending with a letter or digit, without '..'"
                .into(),
        ))
    }
}

pub const NAMES_PREFIX: &str = "collections/v1/names/";
pub const INDEX_KIND: &str = "collections";
const DOCS_INDEX_KIND: &str = "collection-docs";

fn name_key(name: &str) -> String {
    format!("{NAMES_PREFIX}{}", seg(name))
}

/// The index record of one collection's documents.
pub fn docs_index_key(cid: &str) -> String {
    index_key(DOCS_INDEX_KIND, cid)
}

/// What the names index keeps of a collection: its creator, counted by their quota.
pub fn entry_of(c: &CollectionRecord) -> Entry {
    Entry {
        updated: c.created_at.clone(),
        parent: c.owner.clone(),
        ..Entry::default()
    }
}

pub fn docs_prefix(cid: &str) -> String {
    format!("collections/v1/docs/{cid}/")
}

fn doc_key(cid: &str, id: &str) -> String {
    format!("{}{}", docs_prefix(cid), seg(id))
}

const UNREADABLE: &str = "A stored collection could not be read";

pub struct CollectionStore<'a, K: KeyValue> {
    kv: &'a K,
}

impl<'a, K: KeyValue> CollectionStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        CollectionStore { kv }
    }

    pub async fn get(&self, name: &str) -> Result<Option<CollectionRecord>, ApiError> {
        get_json(self.kv, &name_key(name), UNREADABLE).await
    }

    fn names(&self) -> Index<'a, K> {
        Index::new(self.kv, INDEX_KIND, "")
    }

    fn doc_index(&self, c: &CollectionRecord) -> Index<'a, K> {
        Index::at(self.kv, docs_index_key(&c.cid))
    }

    /// A new collection. Its name is claimed with compare-and-swap, so of concurrent creates of
    /// one name one succeeds and the others get 409; `within` refuses when its creator already
    /// has `max` collections.
    pub async fn create(
        &self,
        c: &CollectionRecord,
        max: usize,
        refusal: impl Fn() -> ApiError,
    ) -> Result<(), ApiError> {
        let taken = || ApiError::Conflict(format!("Collection {} already exists", c.name));
        self.names()
            .update(|entries| {
                if let Some(existing) = entries.get(&c.name) {
                    // The entry of a create that crashed before its record: reuse it.
                    return if existing.parent == c.owner {
                        Ok(false)
                    } else {
                        Err(taken())
                    };
                }
                let owned = entries
                    .values()
                    .filter(|e| e.parent.is_some() && e.parent == c.owner)
                    .count();
                if owned >= max {
                    return Err(refusal());
                }
                entries.insert(c.name.clone(), entry_of(c));
                Ok(true)
            })
            .await?;
        let bytes = serde_json::to_vec(c).map_err(|_| ApiError::Internal(UNREADABLE))?;
        if !self.kv.swap(&name_key(&c.name), None, &bytes).await? {
            return Err(taken());
        }
        Ok(())
    }

    /// Rewrites an existing collection's record.
    pub async fn put(&self, c: &CollectionRecord) -> Result<(), ApiError> {
        put_json(self.kv, &name_key(&c.name), c, UNREADABLE).await
    }

    pub async fn rename(&self, c: &mut CollectionRecord, new_name: &str) -> Result<(), ApiError> {
        let old = std::mem::replace(&mut c.name, new_name.to_string());
        self.names().put(new_name, entry_of(c), None).await?;
        self.put(c).await?;
        self.kv.delete(&name_key(&old)).await?;
        self.names().remove(&old).await?;
        Ok(())
    }

    /// Its documents, then its documents' index, then its name: a crash midway leaves a
    /// collection with fewer documents, never documents without a collection that lists them.
    pub async fn delete(&self, c: &CollectionRecord) -> Result<(), ApiError> {
        for key in self.doc_keys(c).await? {
            self.kv.delete(&key).await?;
        }
        self.kv.delete(&docs_index_key(&c.cid)).await?;
        self.kv.delete(&name_key(&c.name)).await?;
        self.names().remove(&c.name).await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<CollectionRecord>, ApiError> {
        if !is_indexed(self.kv).await? {
            // A store from before index records, not yet imported: listed by key, once.
            let mut out: Vec<CollectionRecord> =
                list_json(self.kv, NAMES_PREFIX, UNREADABLE).await?;
            out.sort_by(|a, b| a.name.cmp(&b.name));
            return Ok(out);
        }
        let mut out = Vec::new();
        for name in self.names().entries().await?.keys() {
            if let Some(c) = self.get(name).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The keys of a collection's documents: from its index, or by prefix in a store from
    /// before index records.
    async fn doc_keys(&self, c: &CollectionRecord) -> Result<Vec<String>, ApiError> {
        if !is_indexed(self.kv).await? {
            let mut keys = self.kv.list_prefix(&docs_prefix(&c.cid)).await?;
            keys.sort();
            return Ok(keys);
        }
        Ok(self
            .doc_index(c)
            .entries()
            .await?
            .keys()
            .map(|id| doc_key(&c.cid, id))
            .collect())
    }

    pub async fn count(&self, c: &CollectionRecord) -> Result<usize, ApiError> {
        Ok(self.doc_keys(c).await?.len())
    }

    /// Adds or replaces documents: all of them enter the index in one change, then each
    /// record is written.
    pub async fn put_docs(&self, c: &CollectionRecord, docs: &[DocRecord]) -> Result<(), ApiError> {
        self.doc_index(c)
            .update(|entries| {
                let before = entries.len();
                for d in docs {
                    entries.entry(d.id.clone()).or_default();
                }
                Ok(entries.len() != before)
            })
            .await?;
        for d in docs {
            put_json(self.kv, &doc_key(&c.cid, &d.id), d, UNREADABLE).await?;
        }
        Ok(())
    }

    pub async fn docs(&self, c: &CollectionRecord) -> Result<Vec<DocRecord>, ApiError> {
        let mut out = Vec::new();
        for key in self.doc_keys(c).await? {
            if let Some(d) = get_json(self.kv, &key, UNREADABLE).await? {
                out.push(d);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_chroma() {
        for ok in ["docs", "my-collection_1.v2", "abc"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a..b",
            "a/b",
            "a b",
            "ünï",
            &"x".repeat(64),
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn embeddings_round_trip_and_cosine() {
        let d = DocRecord::new("a".into(), None, None, &[3.0, 4.0]);
        assert_eq!(d.embedding(), Some(vec![3.0, 4.0]));
        let e = d.embedding().unwrap();
        let similarity = |q: &[f32], qn: f32| cosine(&e, d.norm(), q, qn);
        let q = [6.0, 8.0];
        assert!((similarity(&q, norm(&q)).unwrap() - 1.0).abs() < 1e-6);
        let q = [-4.0, 3.0];
        assert!(similarity(&q, norm(&q)).unwrap().abs() < 1e-6);
        assert_eq!(similarity(&[1.0], 1.0), None);
    }
}
