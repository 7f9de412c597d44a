//! A secrets master key for a development install that has none, as NodeTool's desktop keeps
//! one in the OS keyring: generated once, kept beside the data in a 0600 file, and read again
//! at every later start, so a secret saved today still decrypts after a restart. Production
//! never gets here: it refuses to start without `SECRETS_MASTER_KEY`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::deployment_config::{Existing, write_private};

/// The file's name, in the directory of the database.
pub const FILE_NAME: &str = "secrets-master-key";

/// What start-up did, for the banner.
pub enum Origin {
    Generated,
    Loaded,
}

/// The key kept in `dir`, generated and saved first when there is none yet.
pub fn load_or_create(dir: &Path) -> Result<(String, PathBuf, Origin)> {
    let path = dir.join(FILE_NAME);
    if let Some(key) = read(&path)? {
        return Ok((key, path, Origin::Loaded));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // Linked into place, never replacing a file: two runners starting at once agree on one
    // key (the loser reads the winner's), and a crash leaves no key file or a complete one.
    match write_private(&path, key.as_bytes(), Existing::Keep) {
        Ok(()) => Ok((key, path, Origin::Generated)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read(&path)? {
            Some(key) => Ok((key, path, Origin::Loaded)),
            None => bail!("{} appeared empty while starting", path.display()),
        },
        Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
    }
}

/// The key in `path`, or None when there is no file. An empty or unreadable file is an error,
/// never replaced: secrets encrypted with the lost key could not be read again.
fn read(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = text.trim();
            if key.is_empty() {
                bail!(
                    "{} is empty; remove it to generate a new key (secrets saved with the old one are lost) or set SECRETS_MASTER_KEY",
                    path.display()
                );
            }
            Ok(Some(key.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (key, path, origin) = load_or_create(dir.path()).unwrap();
        assert!(matches!(origin, Origin::Generated));
        assert_eq!(key.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let (again, _, origin) = load_or_create(dir.path()).unwrap();
        assert!(matches!(origin, Origin::Loaded));
        assert_eq!(again, key);
        // Nothing else is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&path, "  \n").unwrap();
        assert!(load_or_create(dir.path()).is_err());
    }
}
