//! Secret records through the KV port: `secrets/v1/{user}/{key}`, one record per user and key
//! (NodeTool's unique `(user_id, key)`), listed through the owner's index record
//! (`store::index`, kind `secrets`): written before a record, cleared after one.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::index::{Entry, Index, is_indexed};
use crate::store::records::{get_json, list_json, put_json, seg};

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
    pub format: u32,
    pub id: String,
    pub user_id: String,
    pub key: String,
    /// A Fernet token (reference 5.2); never sent back by the API.
    pub encrypted_value: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

impl SecretRecord {
    /// NodeTool's `to_dict_safe` shape: everything but the ciphertext.
    pub fn to_response(&self) -> Value {
        json!({
            "id": self.id, "user_id": self.user_id, "key": self.key,
            "description": self.description, "created_at": self.created_at,
            "updated_at": self.updated_at, "is_configured": true,
        })
    }
}

/// Every secret record's key starts with this.
pub const PREFIX: &str = "secrets/v1/";
pub const KIND: &str = "secrets";

fn prefix(user_id: &str) -> String {
    format!("{PREFIX}{}/", seg(user_id))
}

/// What the owner's index keeps of a secret (its key is the entry's id).
pub fn entry_of(record: &SecretRecord) -> Entry {
    Entry {
        updated: record.updated_at.clone(),
        ..Entry::default()
    }
}

fn record_key(user_id: &str, key: &str) -> String {
    format!("{}{}", prefix(user_id), seg(key))
}

const UNREADABLE: &str = "A stored secret could not be read";

pub struct SecretStore<'a, K: KeyValue> {
    kv: &'a K,
}

impl<'a, K: KeyValue> SecretStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        SecretStore { kv }
    }

    pub async fn get(&self, user_id: &str, key: &str) -> Result<Option<SecretRecord>, ApiError> {
        get_json(self.kv, &record_key(user_id, key), UNREADABLE).await
    }

    fn index(&self, user_id: &str) -> Index<'a, K> {
        Index::new(self.kv, KIND, user_id)
    }

    pub async fn put(&self, record: &SecretRecord) -> Result<(), ApiError> {
        self.index(&record.user_id)
            .put(&record.key, entry_of(record), None)
            .await?;
        let key = record_key(&record.user_id, &record.key);
        put_json(self.kv, &key, record, UNREADABLE).await
    }

    pub async fn delete(&self, user_id: &str, key: &str) -> Result<bool, ApiError> {
        if self.get(user_id, key).await?.is_none() {
            return Ok(false);
        }
        self.kv.delete(&record_key(user_id, key)).await?;
        self.index(user_id).remove(key).await?;
        Ok(true)
    }

    /// The user's secrets, by key.
    pub async fn list(&self, user_id: &str) -> Result<Vec<SecretRecord>, ApiError> {
        if !is_indexed(self.kv).await? {
            // A store from before index records, not yet imported: listed by key, once.
            let mut out: Vec<SecretRecord> =
                list_json(self.kv, &prefix(user_id), UNREADABLE).await?;
            out.sort_by(|a, b| a.key.cmp(&b.key));
            return Ok(out);
        }
        let mut out = Vec::new();
        for key in self.index(user_id).entries().await?.keys() {
            if let Some(record) = self.get(user_id, key).await? {
                out.push(record);
            }
        }
        Ok(out)
    }
}
