//! Per-user secrets (provider API keys), encrypted as NodeTool does and kept through the KV
//! port. API answers never contain ciphertext; plaintext only with `?decrypt=true`.

pub mod fernet;
pub mod registry;
pub mod store;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use fernet::UserKey;

/// Derived keys by (master key digest, user id). PBKDF2 costs tens of milliseconds in wasm,
/// so a key is derived once per instance and user; hosts that keep instances alive (Workers
/// isolates) reuse it across requests. The master key itself is not kept here.
static KEYS: OnceLock<Mutex<HashMap<(u64, String), UserKey>>> = OnceLock::new();

/// Bounded so a flood of user ids cannot grow the cache without end.
const MAX_CACHED_KEYS: usize = 1024;

fn master_tag(master_key: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(master_key.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

pub fn user_key(master_key: &str, user_id: &str) -> UserKey {
    let cache = KEYS.get_or_init(|| Mutex::new(HashMap::new()));
    let id = (master_tag(master_key), user_id.to_string());
    if let Ok(map) = cache.lock()
        && let Some(k) = map.get(&id)
    {
        return k.clone();
    }
    let key = UserKey::derive(master_key, user_id);
    if let Ok(mut map) = cache.lock() {
        if map.len() >= MAX_CACHED_KEYS {
            map.clear();
        }
        map.insert(id, key.clone());
    }
    key
}
