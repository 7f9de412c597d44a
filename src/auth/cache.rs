//! Verified tokens remembered through the KV port, so a token costs one signature check per
//! `AUTH_CACHE_TTL` instead of one per request (each request runs in a fresh instance, so
//! memory does not outlive it).
//!
//! Entries are keyed by the SHA-256 of the token (never the token) and expire at the earliest
//! of: the TTL, the token's own `exp`, and the TTL counted from when the key set that verified
//! it was fetched, so a signing key removed from the JWKS stops working within the TTL.
//! Only successes are stored. `AUTH_CACHE_MAX` is enforced by a sweep on one insert in
//! [`SWEEP_ONE_IN`], which drops expired entries and then the soonest-expiring ones.
//!
//! The sweep finds entries through [`SHARDS`] index records (`store::index`), never by
//! listing keys: on Spin a key listing reads every key of every tenant. Each entry is in the
//! shard of its hash's first hex digit, so an insert rewrites one small record and concurrent
//! inserts rarely meet. An entry whose index write fails is not stored at all: the cache is
//! an optimisation, and an entry no sweep can find would never leave.

use crate::auth::token::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::auth::identity::Role;
use crate::config::AuthCacheConfig;
use crate::host::{Clock, Entropy, KeyValue};
use crate::http::error::ApiError;
use crate::store::index::{self, Index};
use crate::store::records::{get_json, put_json};

const PREFIX: &str = "auth/v1/cache/";
pub const SWEEP_ONE_IN: u8 = 16;
/// Index records the entries are spread over, by the first hex digit of their hash.
pub const SHARDS: usize = 16;
const INDEX_KIND: &str = "auth-cache";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    user_id: String,
    admin: bool,
    /// Microseconds since the epoch.
    expires: i64,
}

fn key(token: &str) -> String {
    format!("{PREFIX}{}", sha256_hex(token))
}

/// The index record of the shard `hash` falls in.
fn shard<'a, K: KeyValue>(kv: &'a K, hash: &str) -> Index<'a, K> {
    Index::new(kv, INDEX_KIND, &hash[..1])
}

fn all_shards<K: KeyValue>(kv: &K) -> impl Iterator<Item = Index<'_, K>> {
    (0..SHARDS).map(move |i| Index::new(kv, INDEX_KIND, &format!("{i:x}")))
}

/// An index entry for an entry expiring at `expires`: the order key sorts as time does.
fn index_entry(expires: i64) -> index::Entry {
    index::Entry {
        updated: format!("{:020}", expires.max(0)),
        ..index::Entry::default()
    }
}

/// The remembered identity of `token`, if it is still fresh.
pub async fn lookup<H: KeyValue + Clock>(
    host: &H,
    config: &AuthCacheConfig,
    token: &str,
) -> Result<Option<(String, Role)>, ApiError> {
    if !config.enabled() {
        return Ok(None);
    }
    // An unreadable entry is a miss: the token is simply verified again and the entry replaced.
    let entry: Option<Entry> = get_json(host, &key(token), "unreadable cache entry")
        .await
        .unwrap_or(None);
    Ok(entry
        .filter(|e| e.expires > host.now_micros())
        .map(|e| (e.user_id, if e.admin { Role::Admin } else { Role::User })))
}

/// Remembers a verified token until `not_after` at the latest.
pub async fn store<H: KeyValue + Clock + Entropy>(
    host: &H,
    config: &AuthCacheConfig,
    token: &str,
    user_id: &str,
    role: Role,
    not_after: i64,
) -> Result<(), ApiError> {
    if !config.enabled() {
        return Ok(());
    }
    let now = host.now_micros();
    let ttl = i64::try_from(config.ttl_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000);
    let expires = now.saturating_add(ttl).min(not_after);
    if expires <= now {
        return Ok(());
    }
    let entry = Entry {
        user_id: user_id.to_string(),
        admin: role == Role::Admin,
        expires,
    };
    // The index entry first, so no stored entry is missing from it (a crash in between
    // leaves an index entry without a record, which the sweep drops).
    let hash = sha256_hex(token);
    if shard(host, &hash)
        .put(&hash, index_entry(expires), None)
        .await
        .is_err()
    {
        return Ok(());
    }
    put_json(host, &format!("{PREFIX}{hash}"), &entry, "cache entry").await?;
    let mut draw = [0u8; 1];
    host.fill(&mut draw);
    if draw[0] % SWEEP_ONE_IN == 0 {
        sweep(host, config.max_entries, now).await?;
    }
    Ok(())
}

/// Drops expired entries, then the soonest-expiring ones until at most `max` remain, reading
/// the index records only.
pub async fn sweep<H: KeyValue>(host: &H, max: usize, now: i64) -> Result<(), ApiError> {
    let now_key = index_entry(now).updated;
    let mut live = Vec::new();
    let mut gone: Vec<(usize, String)> = Vec::new();
    for (i, shard) in all_shards(host).enumerate() {
        for (hash, entry) in shard.entries().await? {
            if entry.updated > now_key {
                live.push((entry.updated, i, hash));
            } else {
                gone.push((i, hash));
            }
        }
    }
    if live.len() > max {
        live.sort();
        let excess = live.len() - max;
        gone.extend(live.into_iter().take(excess).map(|(_, i, h)| (i, h)));
    }
    // Records before their index entries, as everywhere in the store.
    for (_, hash) in &gone {
        host.delete(&format!("{PREFIX}{hash}")).await?;
    }
    for (i, shard) in all_shards(host).enumerate() {
        let mine: Vec<&String> = gone
            .iter()
            .filter(|(s, _)| *s == i)
            .map(|(_, h)| h)
            .collect();
        if mine.is_empty() {
            continue;
        }
        shard
            .update(|entries| {
                let before = entries.len();
                for h in &mine {
                    entries.remove(*h);
                }
                Ok(entries.len() != before)
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::{MemoryHost, Watched};
    use futures_executor::block_on;

    const ON: AuthCacheConfig = AuthCacheConfig {
        ttl_secs: 60,
        max_entries: 3,
    };

    #[test]
    fn entries_expire_at_the_earliest_bound() {
        let host = MemoryHost::with_vars(&[]);
        let t0 = host.clock.get();
        block_on(store(&host, &ON, "tok", "u1", Role::User, t0 + 5_000_000)).unwrap();
        assert_eq!(
            block_on(lookup(&host, &ON, "tok")).unwrap(),
            Some(("u1".to_string(), Role::User))
        );
        // The MemoryHost clock advances a second per reading; the token's exp (5 s) wins
        // over the 60 s TTL.
        host.clock.set(t0 + 6_000_000);
        assert_eq!(block_on(lookup(&host, &ON, "tok")).unwrap(), None);
        // The token itself is never a key.
        assert!(host.kv.borrow().keys().all(|k| !k.contains("tok")));
    }

    #[test]
    fn disabled_cache_stores_nothing() {
        let host = MemoryHost::with_vars(&[]);
        let off = AuthCacheConfig {
            ttl_secs: 0,
            max_entries: 10,
        };
        block_on(store(&host, &off, "tok", "u1", Role::Admin, i64::MAX)).unwrap();
        assert!(host.kv.borrow().is_empty());
        assert_eq!(block_on(lookup(&host, &off, "tok")).unwrap(), None);
    }

    #[test]
    fn sweep_keeps_at_most_max_live_entries() {
        let host = MemoryHost::with_vars(&[]);
        let t0 = host.clock.get();
        for (i, tok) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            let not_after = t0 + (i as i64 + 10) * 1_000_000;
            block_on(store(&host, &ON, tok, "u", Role::User, not_after)).unwrap();
        }
        block_on(sweep(&host, ON.max_entries, t0)).unwrap();
        let entries = || {
            host.kv
                .borrow()
                .keys()
                .filter(|k| k.starts_with(PREFIX))
                .count()
        };
        assert_eq!(entries(), 3);
        // The soonest-expiring went first, from the store and from the index.
        assert_eq!(block_on(lookup(&host, &ON, "a")).unwrap(), None);
        assert!(block_on(lookup(&host, &ON, "e")).unwrap().is_some());
        let indexed: usize = all_shards(&host)
            .map(|s| block_on(s.entries()).unwrap().len())
            .sum();
        assert_eq!(indexed, 3);
        // Once they expire, a sweep leaves nothing of them.
        block_on(sweep(&host, ON.max_entries, t0 + 3_600_000_000)).unwrap();
        assert_eq!(entries(), 0);
        let indexed: usize = all_shards(&host)
            .map(|s| block_on(s.entries()).unwrap().len())
            .sum();
        assert_eq!(indexed, 0);
    }

    #[test]
    fn inserts_and_sweeps_never_list_keys() {
        // Prefix listings are counted: on Spin each reads every key of every tenant.
        let host = Watched::new();
        let t0 = host.inner.clock.get();
        for i in 0..40 {
            let tok = format!("token-{i}");
            block_on(store(
                &host,
                &ON,
                &tok,
                "u",
                Role::User,
                t0 + 100_000_000 + i,
            ))
            .unwrap();
            block_on(sweep(&host, ON.max_entries, host.inner.clock.get())).unwrap();
        }
        assert_eq!(host.listings.get(), 0);
        let live = host
            .inner
            .kv
            .borrow()
            .keys()
            .filter(|k| k.starts_with(PREFIX))
            .count();
        assert_eq!(live, ON.max_entries);
        assert!(block_on(lookup(&host, &ON, "token-39")).unwrap().is_some());
    }
}
