//! Asset records (NodeTool's `Asset` model, reference 4.6) through the KV port.
//!
//! A record lives at `assets/v1/{id}` (ids are global, as in NodeTool's table) and the owner's
//! index record (`store::index`, kind `assets`) lists it with its folder and content type, so a
//! folder is listed from the index and the records of the page alone.
//! The file itself is an object in the `assets` storage bucket named `{id}.{ext}`, which is
//! what NodeTool's sync uploads after creating the record.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::index::{Cap, Entry, Index};
use crate::store::records::{get_json, owner_marker, put_json, seg};

pub const FORMAT: u32 = 1;
pub const FOLDER: &str = "folder";
/// Ids become storage object names, so they are restricted to what NodeTool generates
/// (hex uuids) and other plain identifiers.
pub const MAX_ID_LEN: usize = 128;

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
}

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

pub fn record_key(id: &str) -> String {
    format!("assets/v1/{}", seg(id))
}

pub const KIND: &str = "assets";
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

    /// The index entry is written first: a crash in between leaves an entry without a
    /// record, which listing skips, never a record that cannot be listed. A new id beyond
    /// `cap` is refused before anything is written.
    pub async fn put(&self, record: &AssetRecord, cap: Option<Cap<'_>>) -> Result<(), ApiError> {
        Index::new(self.kv, KIND, &record.user_id)
            .put(&record.id, entry_of(record), cap)
            .await?;
        put_json(self.kv, &record_key(&record.id), record, UNREADABLE).await
    }

    pub async fn delete(&self, record: &AssetRecord) -> Result<(), ApiError> {
        self.kv.delete(&record_key(&record.id)).await?;
        Index::new(self.kv, KIND, &record.user_id)
            .remove(&record.id)
            .await?;
        // A store written before index records listed assets by marker (see store::layout).
        let marker = owner_marker(KIND, &record.user_id, &record.id);
        self.kv.delete(&marker).await?;
        Ok(())
    }

    /// How many assets the user has, folders included.
    pub async fn count(&self, user_id: &str) -> Result<usize, ApiError> {
        Ok(Index::new(self.kv, KIND, user_id).entries().await?.len())
    }

    /// The user's assets whose index entry `keep` accepts, ordered by id (NodeTool's ids are
    /// time-ordered), after `after` (an id; `""` from the start), at most `limit` of them, and
    /// whether more follow. Only the records returned are read.
    pub async fn page(
        &self,
        user_id: &str,
        keep: impl Fn(&Entry) -> bool,
        after: &str,
        limit: usize,
    ) -> Result<(Vec<AssetRecord>, bool), ApiError> {
        let entries = Index::new(self.kv, KIND, user_id).entries().await?;
        let mut rest = entries
            .iter()
            .filter(|(id, e)| (after.is_empty() || id.as_str() > after) && keep(e))
            .map(|(id, _)| id)
            .peekable();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(id) = rest.next() else { break };
            if let Some(r) = self.get(id).await?
                && r.user_id == user_id
            {
                out.push(r);
            }
        }
        Ok((out, rest.peek().is_some()))
    }

    /// All of a user's assets, ordered by id.
    pub async fn list(&self, user_id: &str) -> Result<Vec<AssetRecord>, ApiError> {
        Ok(self.page(user_id, |_| true, "", usize::MAX).await?.0)
    }
}

/// What the owner's index keeps of an asset: its folder and content type, for listing a
/// folder or a type without reading the records.
pub fn entry_of(record: &AssetRecord) -> Entry {
    Entry {
        updated: record.created_at.clone(),
        parent: Some(record.parent_id.clone()),
        class: Some(record.content_type.clone()),
        ..Entry::default()
    }
}

#[cfg(test)]
mod tests {
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
        };
        assert_eq!(r.file_name().as_deref(), Some("abc.jpg"));
        assert_eq!(r.thumb_file_name().as_deref(), Some("abc_thumb.jpg"));
        r.content_type = "application/x-unknown".into();
        assert_eq!(r.file_name().as_deref(), Some("abc.bin"));
        assert_eq!(r.thumb_file_name(), None);
        r.content_type = FOLDER.into();
        assert_eq!(r.file_name(), None);
    }
}
