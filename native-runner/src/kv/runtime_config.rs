//! The key-value part of a Spin runtime-config file (`--runtime-config-file`), so one file
//! configures the store under Spin and under this runner alike:
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"
//! url = "redis://redis:6379"
//! ```
//!
//! `type = "spin"` (with an optional `path`, relative to the file as in Spin) is SQLite. Other
//! sections of the file are Spin's business and are left alone; anything about key-value
//! stores that this runner cannot honour stops start-up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::key_value_host::STORE_LABEL;

/// Where the component's store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// SQLite, at this file or at `DB_PATH`/the default.
    Sqlite(Option<PathBuf>),
    /// Redis at this URL.
    Redis(String),
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    key_value_store: BTreeMap<String, Store>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Store {
    Spin { path: Option<PathBuf> },
    Redis { url: String },
}

/// The store for the component's label, from the text of a runtime-config file in `dir`.
pub fn parse(text: &str, dir: &Path) -> Result<StoreConfig, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut config = StoreConfig::Sqlite(None);
    for (label, store) in file.key_value_store {
        if label != STORE_LABEL {
            return Err(format!(
                "key_value_store.{label}: the component uses only the store {STORE_LABEL:?}"
            ));
        }
        config = match store {
            Store::Spin { path } => StoreConfig::Sqlite(path.map(|p| dir.join(p))),
            Store::Redis { url } => {
                if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                    return Err(format!(
                        "key_value_store.{label}.url must start with redis:// or rediss://"
                    ));
                }
                StoreConfig::Redis(url)
            }
        };
    }
    Ok(config)
}

/// `redis://user:password@host/` without the password, for the banner and errors.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{user}:***@{host}")
        }
        None => authority.to_string(),
    };
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_and_spin_stores() {
        let dir = Path::new("/etc/app");
        assert_eq!(
            parse(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://r:6379\"\n",
                dir
            ),
            Ok(StoreConfig::Redis("redis://r:6379".into()))
        );
        assert_eq!(
            parse(
                "[key_value_store.default]\ntype = \"spin\"\npath = \"kv.db\"\n",
                dir
            ),
            Ok(StoreConfig::Sqlite(Some(dir.join("kv.db"))))
        );
        // Spin's other sections are not ours to judge.
        assert_eq!(
            parse("[llm_compute]\ntype = \"spin\"\n", dir),
            Ok(StoreConfig::Sqlite(None))
        );
    }

    #[test]
    fn what_cannot_be_honoured_is_refused() {
        let dir = Path::new(".");
        for (text, says) in [
            (
                "[key_value_store.other]\ntype = \"spin\"\n",
                "uses only the store",
            ),
            (
                "[key_value_store.default]\ntype = \"azure_cosmos\"\n",
                "azure_cosmos",
            ),
            ("[key_value_store.default]\ntype = \"redis\"\n", "url"),
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"http://x\"\n",
                "redis://",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\nttl = 1\n",
                "ttl",
            ),
            ("key_value_store = 3", "invalid type"),
        ] {
            let e = parse(text, dir).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redacted("redis://:s3cret@cache:6379/2"),
            "redis://:***@cache:6379/2"
        );
        assert_eq!(
            redacted("rediss://app:pw@cache:6380"),
            "rediss://app:***@cache:6380"
        );
        assert_eq!(redacted("redis://cache:6379"), "redis://cache:6379");
    }
}
