//! `~/.p0` (or `~/.p0-{env}`): where the identity, the tenant config and the caches live, and
//! the one way files holding secrets are written: 0600, in a 0700 directory, atomically.

use crate::env;
use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The state directory and the file names inside it (protocol §1.3).
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
    /// `-{P0_ORG}` when `P0_ORG` is set, so several orgs can be logged in side by side.
    suffix: String,
}

impl StateDir {
    /// The state directory for this process's environment.
    pub fn from_env() -> Result<Self> {
        let home = dirs::home_dir().ok_or(Error::NoHomeDirectory)?;
        let name = match env::get(env::read::P0_ENV) {
            Some(e) if e != "production" => format!(".p0-{e}"),
            _ => ".p0".to_string(),
        };
        let suffix = env::get(env::read::P0_ORG)
            .map(|org| format!("-{org}"))
            .unwrap_or_default();
        Ok(StateDir {
            root: home.join(name),
            suffix,
        })
    }

    #[cfg(test)]
    pub fn at(root: impl Into<PathBuf>, suffix: impl Into<String>) -> Self {
        StateDir {
            root: root.into(),
            suffix: suffix.into(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn identity_path(&self) -> PathBuf {
        self.root.join(format!("identity{}.json", self.suffix))
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(format!("config{}.json", self.suffix))
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.join(format!("cache{}", self.suffix))
    }

    /// Local org document that replaces `GET /orgs/{org}` (user-managed, §1.3).
    pub fn bootstrap_path(&self, org: &str) -> PathBuf {
        self.root.join(format!("bootstrap-{org}.json"))
    }
}

/// Creates `dir` (and parents) with mode 0700 if missing, and tightens it if it exists.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("securing {}", dir.display()), e))
}

/// Writes `contents` to `path` so that a reader sees either the old file or the whole new one,
/// never half: a 0600 temporary file in the same directory, fsynced, then renamed over `path`.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| {
        Error::io(
            format!("writing {}", path.display()),
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    ensure_private_dir(dir)?;
    let context = || format!("writing {}", path.display());
    // tempfile creates the file with mode 0600 already.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(context(), e))?;
    tmp.write_all(contents)
        .map_err(|e| Error::io(context(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(context(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(context(), e.error))?;
    Ok(())
}

/// Removes a file, treating "already gone" as success.
pub fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("removing {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// Removes a directory tree, treating "already gone" as success.
pub fn remove_dir_if_exists(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("removing {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_0600_in_0700_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state/cache/entry.json");
        write_private(&path, b"{}").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        write_private(&path, b"{\"a\":1}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"a\":1}");
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn org_suffix_names_files() {
        let dir = StateDir::at("/h/.p0", "-acme");
        assert_eq!(
            dir.identity_path(),
            PathBuf::from("/h/.p0/identity-acme.json")
        );
        assert_eq!(dir.config_path(), PathBuf::from("/h/.p0/config-acme.json"));
        assert_eq!(dir.cache_dir(), PathBuf::from("/h/.p0/cache-acme"));
    }
}
