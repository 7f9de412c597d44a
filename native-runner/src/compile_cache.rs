//! The compiled component, kept on disk between starts: compiling the component with Cranelift
//! takes seconds, loading the compiled form takes milliseconds.
//!
//! A cache entry is named for the SHA-256 of the component and for the engine's compatibility
//! hash (wasmtime version, target, settings), so another component or another build never
//! reads it. Loading compiled code is trusted execution, so an entry is used only when its
//! directory and file belong to this user and nobody else may write them, and when its
//! SHA-256 trailer matches (a torn or corrupted file is compiled afresh, never loaded).
//! Entries are written 0600, to a temporary file renamed into place.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const TRAILER: usize = 32;

/// How the component came to be ready, for the start-up banner.
pub enum Origin {
    /// Read from the cache.
    Loaded(PathBuf),
    /// Compiled and stored in the cache.
    Stored(PathBuf),
    /// Compiled; the cache is off or could not be used (the reason).
    Compiled(Option<String>),
}

pub struct Ready {
    pub component: Component,
    pub origin: Origin,
    pub took: Duration,
}

impl Ready {
    pub fn describe(&self) -> String {
        let ms = self.took.as_millis();
        match &self.origin {
            Origin::Loaded(p) => format!("loaded compiled in {ms} ms from {}", p.display()),
            Origin::Stored(p) => format!("compiled in {ms} ms, cached at {}", p.display()),
            Origin::Compiled(None) => format!("compiled in {ms} ms (compile cache off)"),
            Origin::Compiled(Some(why)) => {
                format!("compiled in {ms} ms (not cached: {why})")
            }
        }
    }
}

/// The default cache directory: `$XDG_CACHE_HOME/nodetool-edge`, else
/// `~/.cache/nodetool-edge`; none without a home.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .map(|base| base.join("nodetool-edge"))
}

/// The component ready to instantiate: from `dir` when a valid entry is there, else compiled
/// (and stored in `dir`). Only compiling can fail the start; the cache never does.
pub fn load_or_compile(
    engine: &Engine,
    bytes: &[u8],
    dir: Option<&Path>,
) -> wasmtime::Result<Ready> {
    let started = Instant::now();
    let Some(dir) = dir else {
        let component = Component::new(engine, bytes)?;
        return Ok(Ready {
            component,
            origin: Origin::Compiled(None),
            took: started.elapsed(),
        });
    };
    let path = dir.join(entry_name(engine, bytes));
    if let Some(component) = load(engine, dir, &path) {
        return Ok(Ready {
            component,
            origin: Origin::Loaded(path),
            took: started.elapsed(),
        });
    }
    let component = Component::new(engine, bytes)?;
    let origin = match component
        .serialize()
        .map_err(|e| e.to_string())
        .and_then(|compiled| store(dir, &path, &compiled).map_err(|e| e.to_string()))
    {
        Ok(()) => Origin::Stored(path),
        Err(why) => Origin::Compiled(Some(why)),
    };
    Ok(Ready {
        component,
        origin,
        took: started.elapsed(),
    })
}

fn entry_name(engine: &Engine, bytes: &[u8]) -> String {
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let digest = Sha256::digest(bytes);
    format!(
        "component-{}-{:016x}.cwasm",
        hex(&digest[..16]),
        compat.finish()
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cached component, or None when there is no usable entry (absent, not ours, torn,
/// or made by an incompatible engine).
fn load(engine: &Engine, dir: &Path, path: &Path) -> Option<Component> {
    if !private_to_us(dir) || !private_to_us(path) {
        return None;
    }
    let data = std::fs::read(path).ok()?;
    let (compiled, trailer) = data.split_at_checked(data.len().checked_sub(TRAILER)?)?;
    if Sha256::digest(compiled).as_slice() != trailer {
        return None;
    }
    // SAFETY: `compiled` is exactly what `Component::serialize` produced for this component
    // under this engine (the name covers both, the trailer proves the bytes are whole), read
    // from a file and directory only this user can write. wasmtime also refuses artefacts of
    // another version or configuration.
    unsafe { Component::deserialize(engine, compiled) }.ok()
}

#[cfg(unix)]
fn private_to_us(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    match std::fs::symlink_metadata(path) {
        Ok(m) => m.uid() == me && m.mode() & 0o022 == 0 && !m.file_type().is_symlink(),
        Err(_) => false,
    }
}

#[cfg(not(unix))]
fn private_to_us(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_symlink())
}

fn store(dir: &Path, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
    create_private_dir(dir)?;
    if !private_to_us(dir) {
        return Err(std::io::Error::other(format!(
            "{} is writable by others or not ours",
            dir.display()
        )));
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id()
    ));
    let written = (|| {
        let mut f = open_private(&tmp)?;
        f.write_all(compiled)?;
        f.write_all(&Sha256::digest(compiled))?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty component in binary form, with a custom section named `tag` so that tests can
    /// tell components apart; it compiles in microseconds.
    fn component(tag: u8) -> Vec<u8> {
        let mut bytes = b"\0asm\x0d\x00\x01\x00".to_vec();
        bytes.extend_from_slice(&[0x00, 0x02, 0x01, tag]);
        bytes
    }

    fn engine() -> Engine {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        Engine::new(&config).unwrap()
    }

    fn component_bytes() -> Vec<u8> {
        component(b'a')
    }

    #[test]
    fn stores_then_loads_and_recompiles_a_torn_entry() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let engine = engine();
        let bytes = component_bytes();

        let first = load_or_compile(&engine, &bytes, Some(&cache)).unwrap();
        let Origin::Stored(path) = &first.origin else {
            panic!("first start should compile and store: {}", first.describe());
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(path), 0o600);
            assert_eq!(mode(&cache), 0o700);
        }
        let second = load_or_compile(&engine, &bytes, Some(&cache)).unwrap();
        assert!(matches!(&second.origin, Origin::Loaded(p) if p == path));

        // A torn write: the trailer no longer matches, so it is compiled and replaced.
        let data = std::fs::read(path).unwrap();
        std::fs::write(path, &data[..data.len() / 2]).unwrap();
        let third = load_or_compile(&engine, &bytes, Some(&cache)).unwrap();
        assert!(matches!(&third.origin, Origin::Stored(p) if p == path));
        assert_eq!(std::fs::read(path).unwrap(), data);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    }

    #[test]
    fn another_component_gets_another_entry() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine();
        let a = component_bytes();
        let b = component(b'b');
        let pa = match load_or_compile(&engine, &a, Some(dir.path()))
            .unwrap()
            .origin
        {
            Origin::Stored(p) => p,
            _ => panic!("expected a stored entry"),
        };
        let pb = match load_or_compile(&engine, &b, Some(dir.path()))
            .unwrap()
            .origin
        {
            Origin::Stored(p) => p,
            _ => panic!("expected a stored entry"),
        };
        assert_ne!(pa, pb);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_may_write_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let engine = engine();
        let bytes = component_bytes();
        load_or_compile(&engine, &bytes, Some(&cache)).unwrap();
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        let again = load_or_compile(&engine, &bytes, Some(&cache)).unwrap();
        let Origin::Compiled(Some(why)) = &again.origin else {
            panic!(
                "a world-writable cache must not be used: {}",
                again.describe()
            );
        };
        assert!(why.contains("writable by others"), "{why}");
    }

    #[test]
    fn no_directory_means_compile_only() {
        let engine = engine();
        let r = load_or_compile(&engine, &component_bytes(), None).unwrap();
        assert!(matches!(r.origin, Origin::Compiled(None)));
    }
}
