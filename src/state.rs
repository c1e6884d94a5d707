//! `~/.p0` (or `~/.p0-{env}`): where the identity, the tenant config and the caches live, and
//! the one way its files are read and written.
//!
//! The directory names the API and Okta hosts `p0` sends tokens to and holds the credentials
//! it hands to commands, so it is trusted only when nobody else can have written it, as OpenSSH
//! treats `~/.ssh`: every directory from the state root down, and every file read, must be the
//! user's (or root's) and not writable by group or others, or it is refused with the fix (exit
//! 78); readable by others is warned about once. Symbolic links are never followed (a
//! symlinked `cache/` is refused, not filled), only regular files are read, and at most
//! [`MAX_FILE`] of them, so a FIFO or `/dev/zero` planted at a path can neither hang `p0` nor
//! fill its memory.
//!
//! Files holding secrets are written 0600 in 0700 directories, atomically (a temporary file,
//! fsynced, renamed over the old one); a temporary file a kill left behind is removed by the
//! next write into its directory once it is [`STALE_TEMPORARY`] old, and by `p0 logout`.

use crate::env;
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The most a state file may hold: an identity, a tenant config or a cache entry is a few KiB.
/// A bigger one is treated as unreadable (a cache miss, no identity), never read whole.
pub const MAX_FILE: u64 = 1024 * 1024;
/// How old a `.tmp-*` file must be before it counts as left behind by a killed `p0` rather
/// than being written right now by another one (writing takes milliseconds; an fsync on a
/// loaded disk, a few seconds).
pub const STALE_TEMPORARY: Duration = Duration::from_secs(60);
/// The prefix of the temporary files of atomic writes.
const TEMPORARY_PREFIX: &str = ".tmp-";

/// Shows one warning line (the command's printer).
type WarningSink = Box<dyn Fn(&str) + Send + Sync>;

/// Where "readable by others" warnings go, each path once.
#[derive(Default)]
struct Warnings {
    sink: Option<WarningSink>,
    shown: Mutex<BTreeSet<PathBuf>>,
}

/// The state directory and the file names inside it (protocol §1.3).
#[derive(Clone)]
pub struct StateDir {
    root: PathBuf,
    /// `-{P0_ORG}` when `P0_ORG` is set, so several orgs can be logged in side by side.
    suffix: String,
    warnings: Arc<Warnings>,
}

impl std::fmt::Debug for StateDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDir")
            .field("root", &self.root)
            .field("suffix", &self.suffix)
            .finish()
    }
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
            warnings: Arc::default(),
        })
    }

    #[cfg(test)]
    pub fn at(root: impl Into<PathBuf>, suffix: impl Into<String>) -> Self {
        StateDir {
            root: root.into(),
            suffix: suffix.into(),
            warnings: Arc::default(),
        }
    }

    /// The same directory, with its warnings (state others can read) shown through `sink`.
    pub fn warning_to(self, sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        StateDir {
            warnings: Arc::new(Warnings {
                sink: Some(Box::new(sink)),
                shown: Mutex::default(),
            }),
            ..self
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

    /// The contents of a file of the state directory: `None` when it (or a directory on its
    /// way) does not exist, or it is larger than [`MAX_FILE`]. State that is not the user's to
    /// trust (see the module's documentation) is `Error::UnsafeState`.
    pub fn read(&self, path: &Path) -> Result<Option<Vec<u8>>> {
        for dir in self.dirs_to(path) {
            if !self.check_dir(&dir)? {
                return Ok(None);
            }
        }
        let file = match fs::OpenOptions::new()
            .read(true)
            // A FIFO would block the open until a writer came; no link is followed.
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
                return Err(refuse(path, Problem::Symlink))
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        let metadata = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if !metadata.is_file() {
            return Err(refuse(path, Problem::NotRegular));
        }
        self.check_owner_and_mode(path, &metadata, Kind::File)?;
        let mut contents = Vec::new();
        file.take(MAX_FILE + 1)
            .read_to_end(&mut contents)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if contents.len() as u64 > MAX_FILE {
            tracing::debug!(
                "ignoring {}: larger than {} KiB",
                path.display(),
                MAX_FILE / 1024
            );
            return Ok(None);
        }
        Ok(Some(contents))
    }

    /// Writes a file of the state directory as [`write_private`] does, after checking every
    /// directory from the root down.
    pub fn write(&self, path: &Path, contents: &[u8]) -> Result<()> {
        for dir in self.dirs_to(path) {
            self.check_dir(&dir)?;
        }
        write_private(path, contents)
    }

    /// Refuses `dir` or a directory above it (up to the state root) that cannot be trusted;
    /// missing ones are fine (they are created 0700 when written to).
    pub fn check_dirs(&self, dir: &Path) -> Result<()> {
        for dir in self.dirs_to(&dir.join("-")) {
            if !self.check_dir(&dir)? {
                break;
            }
        }
        Ok(())
    }

    /// The directories from the state root down to `path`'s parent (just the parent for a
    /// path outside the root).
    fn dirs_to(&self, path: &Path) -> Vec<PathBuf> {
        let Some(parent) = path.parent() else {
            return Vec::new();
        };
        let Ok(below) = parent.strip_prefix(&self.root) else {
            return vec![parent.to_path_buf()];
        };
        let mut dirs = vec![self.root.clone()];
        let mut dir = self.root.clone();
        for part in below.components() {
            dir.push(part);
            dirs.push(dir.clone());
        }
        dirs
    }

    /// Whether `dir` exists (and is a directory the user can trust); refused otherwise.
    fn check_dir(&self, dir: &Path) -> Result<bool> {
        match fs::symlink_metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(format!("reading {}", dir.display()), e)),
            Ok(metadata) if metadata.file_type().is_symlink() => Err(refuse(dir, Problem::Symlink)),
            Ok(metadata) if !metadata.is_dir() => Err(refuse(dir, Problem::NotDirectory)),
            Ok(metadata) => {
                self.check_owner_and_mode(dir, &metadata, Kind::Dir)?;
                Ok(true)
            }
        }
    }

    fn check_owner_and_mode(&self, path: &Path, metadata: &fs::Metadata, kind: Kind) -> Result<()> {
        match check(metadata, nix::unistd::geteuid().as_raw(), kind) {
            Ok(Trust::Private) => Ok(()),
            Ok(Trust::ReadableByOthers) => {
                self.warn_once(path, kind);
                Ok(())
            }
            Err(problem) => Err(refuse(path, problem)),
        }
    }

    fn warn_once(&self, path: &Path, kind: Kind) {
        let Some(sink) = &self.warnings.sink else {
            return;
        };
        let first = self
            .warnings
            .shown
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(path.to_path_buf());
        if first {
            sink(&format!(
                "p0: warning: other users can read {} (it may hold secrets); fix it with: chmod {} {}",
                path.display(),
                kind.private_mode(),
                path.display()
            ));
        }
    }
}

/// A directory or a file: what its private mode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
}

impl Kind {
    fn private_mode(self) -> &'static str {
        match self {
            Kind::Dir => "700",
            Kind::File => "600",
        }
    }
}

/// How far a piece of state may be trusted.
#[derive(Debug, PartialEq, Eq)]
enum Trust {
    Private,
    /// Group or others may read it: used, with a warning.
    ReadableByOthers,
}

/// Why a piece of state is refused.
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    OwnedByAnother { uid: u32 },
    WritableByOthers { kind: Kind },
    Symlink,
    NotRegular,
    NotDirectory,
}

/// OpenSSH's rule for `~/.ssh`: owned by the user (`euid`) or root, not writable by group or
/// others; readable by them is only worth a warning.
fn check(metadata: &fs::Metadata, euid: u32, kind: Kind) -> std::result::Result<Trust, Problem> {
    let uid = metadata.uid();
    if uid != euid && uid != 0 {
        return Err(Problem::OwnedByAnother { uid });
    }
    let mode = metadata.mode();
    if mode & 0o022 != 0 {
        return Err(Problem::WritableByOthers { kind });
    }
    Ok(if mode & 0o044 != 0 {
        Trust::ReadableByOthers
    } else {
        Trust::Private
    })
}

/// The refusal, saying how to fix it.
fn refuse(path: &Path, problem: Problem) -> Error {
    let shown = path.display();
    let (what, fix) = match problem {
        Problem::OwnedByAnother { uid } => (
            format!("it is owned by another user (uid {uid}), who could have written it"),
            format!("remove it, or make it yours: chown \"$(id -u)\" {shown}"),
        ),
        Problem::WritableByOthers { kind } => (
            "other users can write to it".to_string(),
            format!("chmod {} {shown}", kind.private_mode()),
        ),
        Problem::Symlink => (
            "it is a symbolic link, and p0 follows no links in its state directory".to_string(),
            format!("rm {shown}"),
        ),
        Problem::NotRegular => ("it is not a regular file".to_string(), removal(path)),
        Problem::NotDirectory => ("it is not a directory".to_string(), format!("rm {shown}")),
    };
    Error::UnsafeState(format!(
        "Refusing to use {shown}: {what}. Fix it with: {fix}"
    ))
}

/// The command that removes what is at `path`: `rm -r` for a directory (plain `rm` refuses
/// one), `rm` for anything else.
pub fn removal(path: &Path) -> String {
    let is_dir = fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    format!("rm {}{}", if is_dir { "-r " } else { "" }, path.display())
}

/// Creates `dir` (and parents) with mode 0700 if missing. An existing one must be a real
/// directory that nobody else can write (a symlink is refused, never followed); if group or
/// others can read it, it is tightened to 0700 through a handle opened without following links.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))
        }
        Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(refuse(dir, Problem::Symlink))
        }
        Ok(metadata) if !metadata.is_dir() => return Err(refuse(dir, Problem::NotDirectory)),
        Ok(metadata) => match check(&metadata, nix::unistd::geteuid().as_raw(), Kind::Dir) {
            Ok(Trust::Private) => return Ok(()),
            Ok(Trust::ReadableByOthers) => {}
            Err(problem) => return Err(refuse(dir, problem)),
        },
    }
    let handle = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_DIRECTORY | nix::libc::O_CLOEXEC)
        .open(dir)
        .map_err(|e| Error::io(format!("securing {}", dir.display()), e))?;
    handle
        .set_permissions(fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("securing {}", dir.display()), e))
}

/// Writes `contents` to `path` so that a reader sees either the old file or the whole new one,
/// never half: a 0600 temporary file in the same directory, fsynced, then renamed over `path`
/// (which replaces a link or a special file there rather than writing through it). Stale
/// temporary files in the directory are removed first.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| {
        Error::io(
            format!("writing {}", path.display()),
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    ensure_private_dir(dir)?;
    replace_atomically(path, contents, 0o600)
}

/// Replaces `path` whole by `contents` with `mode`: a temporary file in the same directory
/// (created 0600 with O_EXCL, so never through a link; given `mode` before it is renamed),
/// fsynced, then renamed over `path`. Stale temporary files of earlier writes in the directory
/// are removed first. The one atomic write of `p0` (state files, and `~/.aws` files).
pub fn replace_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    replace_atomically_named(path, contents, mode, TEMPORARY_PREFIX)
}

/// [`replace_atomically`] with temporary files named `prefix*` (those of `~/.aws/config` and
/// `~/.aws/credentials`, beside other tools' files: only `p0`'s own stale ones are swept).
pub fn replace_atomically_named(
    path: &Path,
    contents: &[u8],
    mode: u32,
    prefix: &str,
) -> Result<()> {
    let context = || format!("writing {}", path.display());
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    remove_temporaries_named(dir, prefix, STALE_TEMPORARY);
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| Error::io(context(), e))?;
    tmp.write_all(contents)
        .map_err(|e| Error::io(context(), e))?;
    if mode != 0o600 {
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(context(), e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(context(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(context(), e.error))?;
    Ok(())
}

/// Removes the temporary files of atomic writes in `dir` that are at least `min_age` old and
/// the user's (a kill between write and rename leaves them, holding secrets). Links are
/// removed, not followed. Best effort: a failure is only logged.
pub fn remove_temporaries(dir: &Path, min_age: Duration) {
    remove_temporaries_named(dir, TEMPORARY_PREFIX, min_age);
}

/// [`remove_temporaries`] for the temporary files of another writer, named `prefix*` (those of
/// `~/.aws/config` and `~/.aws/credentials`, beside other tools' files).
pub fn remove_temporaries_named(dir: &Path, prefix: &str, min_age: Duration) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let euid = nix::unistd::geteuid().as_raw();
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(prefix) {
            continue;
        }
        // DirEntry::metadata does not follow links.
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let age = metadata
            .modified()
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .unwrap_or_default();
        let removable = metadata.is_file() || metadata.file_type().is_symlink();
        if removable && metadata.uid() == euid && age >= min_age {
            let path = entry.path();
            match fs::remove_file(&path) {
                Ok(()) => tracing::debug!("removed a left-over {}", path.display()),
                Err(e) => tracing::debug!("could not remove {}: {e}", path.display()),
            }
        }
    }
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

/// Removes a directory tree, treating "already gone" as success. A symlink is removed itself,
/// never what it points to.
pub fn remove_dir_if_exists(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.is_dir() => return remove_if_exists(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        _ => {}
    }
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

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn chmod(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn private_files_are_0600_in_0700_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state/cache/entry.json");
        write_private(&path, b"{}").unwrap();
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

    /// A state directory with one file written as p0 writes it, and the warnings it showed.
    fn state_with_file() -> (
        tempfile::TempDir,
        StateDir,
        PathBuf,
        Arc<Mutex<Vec<String>>>,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let shown = Arc::new(Mutex::new(Vec::new()));
        let sink = shown.clone();
        let state = StateDir::at(tmp.path().join(".p0"), "")
            .warning_to(move |line| sink.lock().unwrap().push(line.to_string()));
        let path = state.cache_dir().join("entry.json");
        state.write(&path, b"{}").unwrap();
        (tmp, state, path, shown)
    }

    #[test]
    fn ownership_and_modes_follow_openssh() {
        let (_tmp, _state, path, _) = state_with_file();
        let metadata = fs::metadata(&path).unwrap();
        let me = metadata.uid();
        assert_eq!(check(&metadata, me, Kind::File), Ok(Trust::Private));
        // Owned by someone else (as seen by another user), unless that is root.
        let other = if me == 0 { 4242 } else { me + 1 };
        if me != 0 {
            assert_eq!(
                check(&metadata, other, Kind::File),
                Err(Problem::OwnedByAnother { uid: me })
            );
        }
        chmod(&path, 0o640);
        let metadata = fs::metadata(&path).unwrap();
        assert_eq!(
            check(&metadata, me, Kind::File),
            Ok(Trust::ReadableByOthers)
        );
        chmod(&path, 0o620);
        let metadata = fs::metadata(&path).unwrap();
        assert_eq!(
            check(&metadata, me, Kind::File),
            Err(Problem::WritableByOthers { kind: Kind::File })
        );
        let refusal = refuse(&path, Problem::OwnedByAnother { uid: 4242 });
        assert_eq!(refusal.exit_code(), crate::error::exit::CONFIG);
        assert!(refusal
            .to_string()
            .contains("owned by another user (uid 4242)"));
    }

    #[test]
    fn writable_state_is_refused_and_readable_state_warned_about_once() {
        let (_tmp, state, path, shown) = state_with_file();
        chmod(&path, 0o666);
        let refused = state.read(&path).unwrap_err().to_string();
        assert!(refused.contains("other users can write to it"), "{refused}");
        assert!(
            refused.contains(&format!("chmod 600 {}", path.display())),
            "{refused}"
        );
        chmod(&path, 0o600);
        chmod(state.root(), 0o755);
        assert_eq!(state.read(&path).unwrap().unwrap(), b"{}");
        assert_eq!(state.read(&path).unwrap().unwrap(), b"{}");
        let shown = shown.lock().unwrap().clone();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(shown[0].contains("chmod 700"), "{shown:?}");
        chmod(state.root(), 0o777);
        assert!(state.read(&path).is_err());
        assert!(state.write(&path, b"{}").is_err());
    }

    #[test]
    fn links_and_special_files_are_refused_and_big_files_not_read() {
        let (tmp, state, path, _) = state_with_file();
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let refused = state.read(&path).unwrap_err().to_string();
        assert!(refused.contains("symbolic link"), "{refused}");
        fs::remove_file(&path).unwrap();
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let refused = state.read(&path).unwrap_err().to_string();
        assert!(refused.contains("not a regular file"), "{refused}");
        // Writing replaces the FIFO rather than writing into it.
        state.write(&path, b"{}").unwrap();
        assert!(fs::metadata(&path).unwrap().is_file());
        fs::write(&path, vec![b' '; MAX_FILE as usize + 1]).unwrap();
        assert_eq!(state.read(&path).unwrap(), None);
        // A symlinked directory is refused, not followed or chmodded.
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        chmod(&elsewhere, 0o755);
        fs::remove_dir_all(state.cache_dir()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, state.cache_dir()).unwrap();
        assert!(state.read(&path).is_err());
        assert!(state.write(&path, b"{}").is_err());
        assert!(ensure_private_dir(&state.cache_dir()).is_err());
        assert_eq!(mode(&elsewhere), 0o755);
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
        // Removing it removes the link, not what it points to.
        remove_dir_if_exists(&state.cache_dir()).unwrap();
        assert!(elsewhere.exists());
    }

    #[test]
    fn the_removal_fix_works_on_a_directory_too() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"x").unwrap();
        assert_eq!(removal(&file), format!("rm {}", file.display()));
        let sub = dir.path().join("d");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("inside"), b"x").unwrap();
        let fix = removal(&sub);
        assert_eq!(fix, format!("rm -r {}", sub.display()));
        let status = std::process::Command::new("sh")
            .args(["-c", &fix])
            .status()
            .unwrap();
        assert!(status.success() && !sub.exists());
    }

    #[test]
    fn stale_temporary_files_are_removed_by_the_next_write() {
        let (_tmp, state, path, _) = state_with_file();
        let dir = path.parent().unwrap();
        let stale = dir.join(".tmp-stale");
        let fresh = dir.join(".tmp-fresh");
        fs::write(&stale, "secret").unwrap();
        fs::write(&fresh, "secret").unwrap();
        fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(SystemTime::now() - 2 * STALE_TEMPORARY)
            .unwrap();
        state.write(&path, b"{}").unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists(), "another p0 may be writing it right now");
        remove_temporaries(dir, Duration::ZERO);
        assert!(!fresh.exists());
    }
}
