//! The deployment config file (`~/.config/nodetool/deployment.yaml`, or `NODETOOL_CONFIG_PATH`)
//! and the server token kept in it.
//!
//! Resolution follows the seed: environment, then the file, then a freshly generated token
//! saved to the file. Unlike the reference we keep every other key of the file (NodeTool's CLI
//! keeps its deployments there), refuse to overwrite a file we cannot parse, and write with
//! mode 0600 through a temporary file and a rename, so there is no window where the token is
//! world-readable or half-written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_yaml::{Mapping, Value};

/// Current name first, then the one the seed's worker wrote.
pub const TOKEN_KEYS: [&str; 2] = ["server_auth_token", "worker_auth_token"];
pub const TOKEN_ENV: [&str; 2] = ["SERVER_AUTH_TOKEN", "WORKER_AUTH_TOKEN"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Environment(&'static str),
    ConfigFile(PathBuf),
    Generated(PathBuf),
}

impl TokenSource {
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Environment(name) => format!("Environment variable ({name})"),
            TokenSource::ConfigFile(p) => format!("Config file ({})", p.display()),
            TokenSource::Generated(p) => format!("Auto-generated and saved to {}", p.display()),
        }
    }
}

pub struct ResolvedToken {
    pub token: String,
    pub source: TokenSource,
}

/// Where the file lives: `NODETOOL_CONFIG_PATH`, else `%APPDATA%\nodetool\deployment.yaml` on
/// Windows, else `~/.config/nodetool/deployment.yaml`.
pub fn config_path(env: &impl Fn(&str) -> Option<String>) -> Result<PathBuf> {
    if let Some(p) = env("NODETOOL_CONFIG_PATH").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if cfg!(windows)
        && let Some(appdata) = env("APPDATA").filter(|p| !p.is_empty())
    {
        return Ok(Path::new(&appdata).join("nodetool").join("deployment.yaml"));
    }
    let home = env("HOME").filter(|h| !h.is_empty()).context(
        "HOME is not set; set NODETOOL_CONFIG_PATH to choose the deployment config file",
    )?;
    Ok(Path::new(&home)
        .join(".config")
        .join("nodetool")
        .join("deployment.yaml"))
}

/// The file's top-level mapping; a missing or empty file is an empty mapping.
pub fn load(path: &Path) -> Result<Mapping> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Mapping::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(Mapping::new());
    }
    match serde_yaml::from_str::<Value>(&text) {
        Ok(Value::Mapping(m)) => Ok(m),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => bail!("{} is not a YAML mapping; fix or remove it", path.display()),
        Err(e) => bail!(
            "{} is not valid YAML ({e}); fix or remove it",
            path.display()
        ),
    }
}

fn file_token(map: &Mapping) -> Option<String> {
    TOKEN_KEYS.iter().find_map(|k| {
        map.get(*k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    })
}

/// Writes the mapping atomically with mode 0600.
pub fn save(path: &Path, map: &Mapping) -> Result<()> {
    let text = serde_yaml::to_string(map).context("serialising the deployment config")?;
    write_private(path, text.as_bytes(), Existing::Replace)
        .with_context(|| format!("writing {}", path.display()))
}

/// What [`write_private`] does when `path` already exists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    Replace,
    /// Leave it and fail with `AlreadyExists`: two writers racing agree on the first file.
    Keep,
}

/// Writes `bytes` to `path` with mode 0600, in a 0700 directory made when missing: whole
/// under a temporary name, synced, then moved into place (renamed over the old file, or
/// linked, which never replaces one), so a crash leaves the old file or the new one, never
/// a part.
pub(crate) fn write_private(path: &Path, bytes: &[u8], existing: Existing) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(std::io::Error::other)?;
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce)
        .map_err(|e| std::io::Error::other(format!("no randomness: {e}")))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    let result = (|| {
        use std::io::Write;
        let mut f = open_new_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        match existing {
            Existing::Replace => std::fs::rename(&tmp, path)?,
            Existing::Keep => std::fs::hard_link(&tmp, path)?,
        }
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    // After a rename there is nothing left to remove; after a link, or a failure, the
    // temporary name goes.
    let _ = std::fs::remove_file(&tmp);
    result
}

#[cfg(unix)]
fn open_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

pub fn generate() -> String {
    nodetool_edge::auth::token::generate_token(&crate::OsEntropy)
}

/// Stores `token` under both key names (so the seed's `grep worker_auth_token` recipe and
/// NodeTool's current `server_auth_token` both find it), keeping every other key.
pub fn store_token(path: &Path, token: &str) -> Result<()> {
    let mut map = load(path)?;
    for key in TOKEN_KEYS {
        map.insert(Value::String(key.into()), Value::String(token.into()));
    }
    save(path, &map)
}

/// Environment, then the file, then (if `may_generate`) a new token saved to the file.
pub fn resolve(
    env: &impl Fn(&str) -> Option<String>,
    may_generate: bool,
) -> Result<Option<ResolvedToken>> {
    for name in TOKEN_ENV {
        if let Some(t) = env(name)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
        {
            return Ok(Some(ResolvedToken {
                token: t,
                source: TokenSource::Environment(name),
            }));
        }
    }
    let path = config_path(env)?;
    if let Some(t) = file_token(&load(&path)?) {
        return Ok(Some(ResolvedToken {
            token: t,
            source: TokenSource::ConfigFile(path),
        }));
    }
    if !may_generate {
        return Ok(None);
    }
    let token = generate();
    store_token(&path, &token)?;
    Ok(Some(ResolvedToken {
        token,
        source: TokenSource::Generated(path),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(path: &Path, extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut vars: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.push(("NODETOOL_CONFIG_PATH".into(), path.display().to_string()));
        move |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
    }

    #[test]
    fn generates_once_then_reads_back_and_keeps_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deployment.yaml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "deployments:\n  prod:\n    type: docker\n").unwrap();
        let env = env_with(&path, &[]);
        let first = resolve(&env, true).unwrap().unwrap();
        assert_eq!(first.source, TokenSource::Generated(path.clone()));
        assert_eq!(first.token.len(), 43);
        let again = resolve(&env, true).unwrap().unwrap();
        assert_eq!(again.token, first.token);
        assert_eq!(again.source, TokenSource::ConfigFile(path.clone()));
        let map = load(&path).unwrap();
        assert!(map.get("deployments").is_some(), "unknown keys survive");
        assert_eq!(
            map.get("worker_auth_token").and_then(Value::as_str),
            Some(first.token.as_str())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn environment_wins_and_server_beats_worker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.yaml");
        let env = env_with(
            &path,
            &[("WORKER_AUTH_TOKEN", "w"), ("SERVER_AUTH_TOKEN", "s")],
        );
        let r = resolve(&env, true).unwrap().unwrap();
        assert_eq!(
            (r.token.as_str(), r.source),
            ("s", TokenSource::Environment("SERVER_AUTH_TOKEN"))
        );
        assert!(
            !path.exists(),
            "nothing written when the environment has the token"
        );
    }

    #[test]
    fn old_worker_key_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.yaml");
        std::fs::write(&path, "worker_auth_token: legacy-token\n").unwrap();
        let r = resolve(&env_with(&path, &[]), true).unwrap().unwrap();
        assert_eq!(r.token, "legacy-token");
    }

    #[test]
    fn unparseable_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.yaml");
        std::fs::write(&path, "deployments: [unclosed\n").unwrap();
        assert!(resolve(&env_with(&path, &[]), true).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "deployments: [unclosed\n"
        );
    }

    #[test]
    fn no_generation_when_not_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.yaml");
        assert!(resolve(&env_with(&path, &[]), false).unwrap().is_none());
        assert!(!path.exists());
    }
}
