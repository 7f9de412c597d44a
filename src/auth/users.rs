//! The `multi_user` provider's users, kept through the KV port in NodeTool's shape (username,
//! user_id, role, unsalted SHA-256 of the token, created_at), so a NodeTool `users.yaml`
//! imports as it is and its tokens keep working.
//!
//! Layout: the record at `users/v1/name/{username}` and an index `users/v1/token/{hash}`
//! naming the username. A token is found by hashing it and reading one key (no scan); the
//! record's hash is then compared in constant time. Writes go record first, token index
//! second, and removals the other way round, so a crash leaves at most a token entry that no
//! longer matches its record, which lookups reject. The list of usernames is an index record
//! (`store::index`, kind `users`), written before a record and cleared after one. A new name
//! is claimed with compare-and-swap on its record, so of concurrent creates of one name
//! exactly one succeeds where the host's swap is atomic.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::auth::identity::Role;
use crate::auth::token::{generate_token, sha256_hex as token_hash};
use crate::host::{Clock, Entropy, KeyValue};
use crate::http::error::ApiError;
use crate::store::index::{Entry, Index};
use crate::store::records::{get_json, put_json, seg};
use crate::time::naive_iso;

pub const NAME_PREFIX: &str = "users/v1/name/";
/// The index of usernames: one for the whole server.
pub const INDEX_KIND: &str = "users";
const TOKEN_PREFIX: &str = "users/v1/token/";
const UNREADABLE: &str = "A stored user could not be read";
const MAX_USERNAME: usize = 128;
const MAX_USER_ID: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub username: String,
    pub user_id: String,
    pub role: String,
    /// Lower-case hex SHA-256 of the bearer token.
    pub token_hash: String,
    pub created_at: String,
}

impl UserRecord {
    pub fn role(&self) -> Role {
        if self.role == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }

    /// The first 16 hex digits and `...`, as NodeTool shows a hash.
    pub fn short_hash(&self) -> String {
        let end = self.token_hash.len().min(16);
        format!("{}...", self.token_hash.get(..end).unwrap_or_default())
    }

    /// The listing form: the hash shortened as NodeTool shows it.
    pub fn masked(&self) -> serde_json::Value {
        serde_json::json!({
            "username": self.username,
            "user_id": self.user_id,
            "role": self.role,
            "token_hash": self.short_hash(),
            "created_at": self.created_at,
        })
    }
}

/// A user as created or re-keyed: the only time the token exists in plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    pub username: String,
    pub user_id: String,
    pub role: String,
    pub token: String,
    pub created_at: String,
}

impl IssuedToken {
    fn new(record: &UserRecord, token: String) -> Self {
        IssuedToken {
            username: record.username.clone(),
            user_id: record.user_id.clone(),
            role: record.role.clone(),
            token,
            created_at: record.created_at.clone(),
        }
    }
}

fn name_key(username: &str) -> String {
    format!("{NAME_PREFIX}{}", seg(username))
}

fn token_key(hash: &str) -> String {
    format!("{TOKEN_PREFIX}{hash}")
}

fn not_found(username: &str) -> ApiError {
    ApiError::NotFound(format!("User '{username}' not found"))
}

/// Usernames appear in paths and on the command line, so they stay plain.
pub fn check_username(username: &str) -> Result<(), ApiError> {
    let ok = !username.is_empty()
        && username.len() <= MAX_USERNAME
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "A username is 1 to {MAX_USERNAME} letters, digits, '.', '_', '@', '+' or '-'"
        )))
    }
}

pub fn check_role(role: &str) -> Result<(), ApiError> {
    match role {
        "admin" | "user" => Ok(()),
        _ => Err(ApiError::BadRequest(
            "role must be 'admin' or 'user'".into(),
        )),
    }
}

fn check_user_id(user_id: &str) -> Result<(), ApiError> {
    if user_id.is_empty() || user_id.len() > MAX_USER_ID || user_id.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "A user_id is 1 to {MAX_USER_ID} bytes without control characters"
        )));
    }
    Ok(())
}

fn check_hash(hash: &str) -> Result<(), ApiError> {
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "token_hash must be the 64 hex digits of a SHA-256".into(),
        ))
    }
}

pub struct UserStore<'a, H> {
    host: &'a H,
}

impl<'a, H: KeyValue + Clock + Entropy> UserStore<'a, H> {
    pub fn new(host: &'a H) -> Self {
        UserStore { host }
    }

    pub async fn get(&self, username: &str) -> Result<Option<UserRecord>, ApiError> {
        get_json(self.host, &name_key(username), UNREADABLE).await
    }

    pub async fn require(&self, username: &str) -> Result<UserRecord, ApiError> {
        self.get(username).await?.ok_or_else(|| not_found(username))
    }

    fn index(&self) -> Index<'a, H> {
        Index::new(self.host, INDEX_KIND, "")
    }

    /// Every user, by username: the index, then each record.
    pub async fn list(&self) -> Result<Vec<UserRecord>, ApiError> {
        if !crate::store::index::is_indexed(self.host).await? {
            // A store from before index records, opened read-only by the `users` command or
            // not yet imported: its records are listed by key, once.
            return crate::store::records::list_json(self.host, NAME_PREFIX, UNREADABLE).await;
        }
        let mut out = Vec::new();
        for name in self.index().entries().await?.keys() {
            if let Some(record) = self.get(name).await? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// The user holding `token`, if any.
    pub async fn authenticate(&self, token: &str) -> Result<Option<UserRecord>, ApiError> {
        let hash = token_hash(token);
        let Some(name) = self.host.get(&token_key(&hash)).await? else {
            return Ok(None);
        };
        let Ok(name) = String::from_utf8(name) else {
            return Ok(None);
        };
        Ok(self
            .get(&name)
            .await?
            .filter(|u| bool::from(u.token_hash.as_bytes().ct_eq(hash.as_bytes()))))
    }

    /// A new user with a new token (NodeTool's id shape: `user_{username}_{8 hex}`).
    pub async fn create(&self, username: &str, role: &str) -> Result<IssuedToken, ApiError> {
        check_username(username)?;
        check_role(role)?;
        if self.get(username).await?.is_some() {
            return Err(ApiError::BadRequest(format!(
                "User '{username}' already exists"
            )));
        }
        let token = generate_token(self.host);
        let record = UserRecord {
            username: username.to_string(),
            user_id: format!(
                "user_{username}_{}",
                crate::auth::token::random_hex(self.host, 4)
            ),
            role: role.to_string(),
            token_hash: token_hash(&token),
            created_at: format!("{}Z", &naive_iso(self.host.now_micros())[..19]),
        };
        self.index().put(username, Entry::default(), None).await?;
        let bytes = serde_json::to_vec(&record).map_err(|_| ApiError::Internal(UNREADABLE))?;
        if !self.host.swap(&name_key(username), None, &bytes).await? {
            // Another create of this name got there between the check above and now; its
            // index entry is the same one, so it stays.
            return Err(ApiError::Conflict(format!(
                "User '{username}' was just created by another request"
            )));
        }
        self.host
            .set(&token_key(&record.token_hash), record.username.as_bytes())
            .await?;
        Ok(IssuedToken::new(&record, token))
    }

    /// A new token for an existing user; the old one stops working at once.
    pub async fn reset_token(&self, username: &str) -> Result<IssuedToken, ApiError> {
        let mut record = self.require(username).await?;
        let old = record.token_hash.clone();
        let token = generate_token(self.host);
        record.token_hash = token_hash(&token);
        self.write(&record, Some(&old)).await?;
        Ok(IssuedToken::new(&record, token))
    }

    /// Removes the user and their token. Their workflows, secrets and assets stay, keyed by
    /// their user_id, so re-importing the user restores access.
    pub async fn remove(&self, username: &str) -> Result<(), ApiError> {
        let record = self.require(username).await?;
        self.host.delete(&token_key(&record.token_hash)).await?;
        self.host.delete(&name_key(username)).await?;
        self.index().remove(username).await?;
        Ok(())
    }

    /// Adds or replaces `records` (a NodeTool users file), all checked before any is written.
    /// A user_id may not move to another username, which would hand one user's data to another.
    pub async fn import(&self, records: &[UserRecord]) -> Result<usize, ApiError> {
        let existing = self.list().await?;
        let mut seen: Vec<&UserRecord> = Vec::new();
        for r in records {
            check_username(&r.username)?;
            check_role(&r.role)?;
            check_user_id(&r.user_id)?;
            check_hash(&r.token_hash)?;
            if seen.iter().any(|s| s.username == r.username) {
                return Err(ApiError::BadRequest(format!(
                    "User '{}' appears twice",
                    r.username
                )));
            }
            let others = || {
                existing
                    .iter()
                    .chain(seen.iter().copied())
                    .filter(|o| o.username != r.username)
            };
            if others().any(|o| o.user_id == r.user_id) {
                return Err(ApiError::BadRequest(format!(
                    "user_id '{}' belongs to another user",
                    r.user_id
                )));
            }
            // One token names one user.
            if others().any(|o| o.token_hash == r.token_hash) {
                return Err(ApiError::BadRequest(format!(
                    "User '{}' has the same token as another user",
                    r.username
                )));
            }
            seen.push(r);
        }
        for r in records {
            let old = existing
                .iter()
                .find(|e| e.username == r.username)
                .map(|e| e.token_hash.as_str());
            self.write(r, old).await?;
        }
        Ok(records.len())
    }

    async fn write(&self, record: &UserRecord, old_hash: Option<&str>) -> Result<(), ApiError> {
        self.index()
            .put(&record.username, Entry::default(), None)
            .await?;
        put_json(self.host, &name_key(&record.username), record, "user").await?;
        self.host
            .set(&token_key(&record.token_hash), record.username.as_bytes())
            .await?;
        if let Some(old) = old_hash.filter(|h| *h != record.token_hash) {
            self.host.delete(&token_key(old)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::MemoryHost;
    use futures_executor::block_on;

    #[test]
    fn created_tokens_authenticate_until_reset() {
        let host = MemoryHost::with_vars(&[]);
        let users = UserStore::new(&host);
        let issued = block_on(users.create("alice", "admin")).unwrap();
        assert!(issued.user_id.starts_with("user_alice_"));
        assert_eq!(issued.user_id.len(), "user_alice_".len() + 8);
        assert!(issued.created_at.ends_with('Z'));
        let found = block_on(users.authenticate(&issued.token))
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.username.as_str(), found.role()),
            ("alice", Role::Admin)
        );
        // Only the hash is stored.
        assert!(
            host.kv
                .borrow()
                .iter()
                .all(|(k, v)| !k.contains(&issued.token)
                    && !String::from_utf8_lossy(v).contains(&issued.token))
        );

        let again = block_on(users.reset_token("alice")).unwrap();
        assert_ne!(again.token, issued.token);
        assert_eq!(again.user_id, issued.user_id);
        assert!(
            block_on(users.authenticate(&issued.token))
                .unwrap()
                .is_none()
        );
        assert!(
            block_on(users.authenticate(&again.token))
                .unwrap()
                .is_some()
        );

        block_on(users.remove("alice")).unwrap();
        assert!(
            block_on(users.authenticate(&again.token))
                .unwrap()
                .is_none()
        );
        // Nothing is left but the (now empty) index of usernames.
        let left: Vec<String> = host.kv.borrow().keys().cloned().collect();
        assert_eq!(left, [crate::store::index::index_key(INDEX_KIND, "")]);
        assert!(block_on(users.list()).unwrap().is_empty());
    }

    #[test]
    fn duplicates_and_bad_names_are_refused() {
        let host = MemoryHost::with_vars(&[]);
        let users = UserStore::new(&host);
        block_on(users.create("bob", "user")).unwrap();
        assert_eq!(
            block_on(users.create("bob", "user")).unwrap_err(),
            ApiError::BadRequest("User 'bob' already exists".into())
        );
        for bad in ["", "a/b", "../x", "sp ace", &"x".repeat(129)] {
            assert!(block_on(users.create(bad, "user")).is_err(), "{bad}");
        }
        assert!(block_on(users.create("carol", "root")).is_err());
    }

    #[test]
    fn import_keeps_nodetool_hashes_and_refuses_id_takeover() {
        let host = MemoryHost::with_vars(&[]);
        let users = UserStore::new(&host);
        let rec = |name: &str, id: &str| UserRecord {
            username: name.into(),
            user_id: id.into(),
            role: "user".into(),
            // sha256("multi-user-token"), the reference's example.
            token_hash: "5aa266fe39b9095429b31f8025dc1f3099f6f31b62b48de1316d1b77b1b8d6b3".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        assert_eq!(block_on(users.import(&[rec("alice", "u_a")])).unwrap(), 1);
        let found = block_on(users.authenticate("multi-user-token"))
            .unwrap()
            .unwrap();
        assert_eq!(found.user_id, "u_a");
        let err = block_on(users.import(&[rec("mallory", "u_a")])).unwrap_err();
        assert_eq!(
            err,
            ApiError::BadRequest("user_id 'u_a' belongs to another user".into())
        );
        let mut bad = rec("dave", "u_d");
        bad.token_hash = "zz".into();
        assert!(block_on(users.import(&[bad])).is_err());
        assert!(block_on(users.get("dave")).unwrap().is_none());
    }
}
