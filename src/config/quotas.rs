//! Per-user quotas: how many workflows, assets and collections one user may keep, and how many
//! bytes of files the server stores for them. They bound what one tenant can make everyone's
//! store hold, and the size of each index record (one read per listing, rewritten on every
//! change of that owner's items).

use super::error::ConfigError;
use crate::http::error::ApiError;

pub const DEFAULT_MAX_WORKFLOWS: usize = 10_000;
pub const DEFAULT_MAX_ASSETS: usize = 10_000;
pub const DEFAULT_MAX_COLLECTIONS: usize = 100;
pub const DEFAULT_MAX_STORED_BYTES: u64 = 10 << 30;

/// What each user may keep (`MAX_WORKFLOWS_PER_USER`, `MAX_ASSETS_PER_USER`,
/// `MAX_COLLECTIONS_PER_USER`, `MAX_STORED_BYTES_PER_USER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub workflows: usize,
    pub assets: usize,
    pub collections: usize,
    /// Bytes of the asset files runs make for the user (the ones a user, not an admin,
    /// can cause to be stored).
    pub stored_bytes: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            workflows: DEFAULT_MAX_WORKFLOWS,
            assets: DEFAULT_MAX_ASSETS,
            collections: DEFAULT_MAX_COLLECTIONS,
            stored_bytes: DEFAULT_MAX_STORED_BYTES,
        }
    }
}

/// One quota, for a refusal that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Workflows,
    Assets,
    Collections,
    StoredBytes,
}

impl Quota {
    pub fn setting(self) -> &'static str {
        match self {
            Quota::Workflows => "MAX_WORKFLOWS_PER_USER",
            Quota::Assets => "MAX_ASSETS_PER_USER",
            Quota::Collections => "MAX_COLLECTIONS_PER_USER",
            Quota::StoredBytes => "MAX_STORED_BYTES_PER_USER",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Quota::Workflows => "workflows",
            Quota::Assets => "assets (folders included)",
            Quota::Collections => "collections",
            Quota::StoredBytes => "bytes of files made by runs",
        }
    }
}

impl Quotas {
    pub fn load(get: &impl Fn(&str) -> Option<String>) -> Result<Quotas, ConfigError> {
        let defaults = Quotas::default();
        Ok(Quotas {
            workflows: count(get, Quota::Workflows, defaults.workflows)?,
            assets: count(get, Quota::Assets, defaults.assets)?,
            collections: count(get, Quota::Collections, defaults.collections)?,
            stored_bytes: number(get, Quota::StoredBytes, defaults.stored_bytes)?,
        })
    }

    pub fn limit(&self, quota: Quota) -> u64 {
        match quota {
            Quota::Workflows => self.workflows as u64,
            Quota::Assets => self.assets as u64,
            Quota::Collections => self.collections as u64,
            Quota::StoredBytes => self.stored_bytes,
        }
    }

    /// 403 naming the quota, its limit and the setting that raises it.
    pub fn refusal(&self, quota: Quota) -> ApiError {
        ApiError::QuotaExceeded(format!(
            "Quota exceeded: a user may keep at most {} {} ({})",
            self.limit(quota),
            quota.noun(),
            quota.setting()
        ))
    }
}

/// A positive whole number; a quota of 0 or a value that is not a number fails start-up
/// rather than turning a limit off by mistake.
fn number(
    get: &impl Fn(&str) -> Option<String>,
    quota: Quota,
    default: u64,
) -> Result<u64, ConfigError> {
    match get(quota.setting()) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::InvalidNumber {
                name: quota.setting(),
                value: v,
            }),
        },
    }
}

/// A count of items, which also has to fit the platform's `usize`.
fn count(
    get: &impl Fn(&str) -> Option<String>,
    quota: Quota,
    default: usize,
) -> Result<usize, ConfigError> {
    let n = number(get, quota, default as u64)?;
    usize::try_from(n).map_err(|_| ConfigError::InvalidNumber {
        name: quota.setting(),
        value: n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Quotas, ConfigError> {
        Quotas::load(&|name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_settings_and_refusals() {
        assert_eq!(load(&[]).unwrap(), Quotas::default());
        let q = load(&[
            ("MAX_WORKFLOWS_PER_USER", " 3 "),
            ("MAX_COLLECTIONS_PER_USER", "1"),
        ])
        .unwrap();
        assert_eq!(
            (q.workflows, q.assets, q.collections, q.stored_bytes),
            (3, DEFAULT_MAX_ASSETS, 1, DEFAULT_MAX_STORED_BYTES)
        );
        for bad in ["0", "-1", "many", ""] {
            assert!(load(&[("MAX_ASSETS_PER_USER", bad)]).is_err(), "{bad}");
            assert!(
                load(&[("MAX_STORED_BYTES_PER_USER", bad)]).is_err(),
                "{bad}"
            );
        }
        let big = load(&[("MAX_STORED_BYTES_PER_USER", "107374182400")]).unwrap();
        assert_eq!(big.stored_bytes, 100 << 30, "beyond 32 bits");
        assert_eq!(
            big.refusal(Quota::StoredBytes).detail(),
            "Quota exceeded: a user may keep at most 107374182400 bytes of files made by runs \
             (MAX_STORED_BYTES_PER_USER)"
        );
        let refusal = q.refusal(Quota::Workflows);
        assert_eq!(refusal.status(), http::StatusCode::FORBIDDEN);
        assert_eq!(
            refusal.detail(),
            "Quota exceeded: a user may keep at most 3 workflows (MAX_WORKFLOWS_PER_USER)"
        );
    }
}
