//! Cross-process locks on files, so parallel `p0` processes (`make -j`, IDE plugins, kubeconfig
//! exec hooks) asking for the same thing share one fetch instead of racing.
//!
//! Modelled on uv's `LockedFile`: try the lock first, and only when another process holds it
//! wait in a blocking thread under a timeout. The OS releases the lock when the holder exits,
//! however it exits, so a crashed `p0` never leaves a stale lock behind.
//!
//! A lock path is opened without following a link (a symlink there must not make `p0` create
//! or lock its target) and must be a regular file of the user's that others cannot write.

use crate::error::{Error, Result};
use crate::state;
use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An exclusive lock on a file, held until dropped: unused, it is let go at once.
#[derive(Debug)]
#[must_use = "the lock is released when this is dropped"]
pub struct LockedFile {
    file: File,
    path: PathBuf,
}

impl LockedFile {
    /// Takes the lock on `path` (created if missing), waiting at most `timeout` for another
    /// process to release it: then `Error::LockTimeout`.
    pub async fn acquire(path: &Path, timeout: Duration) -> Result<LockedFile> {
        if let Some(dir) = path.parent() {
            state::ensure_private_dir(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            // No link is followed; a FIFO opens at once for reading and writing (and is then
            // refused below).
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(nix::libc::ELOOP) => refused(path, "it is a symbolic link"),
                Some(nix::libc::EISDIR) => refused(path, "it is a directory"),
                _ => Error::io(format!("opening lock file {}", path.display()), e),
            })?;
        check(&file, path)?;
        match file.try_lock() {
            Ok(()) => {
                return Ok(LockedFile {
                    file,
                    path: path.to_path_buf(),
                })
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(Error::io(format!("locking {}", path.display()), e))
            }
        }
        tracing::debug!("waiting for another p0 process holding {}", path.display());
        // A detached thread, not `spawn_blocking`: after a timeout nothing must keep the runtime
        // (and so the process) alive waiting for a lock nobody wants any more.
        let (sender, receiver) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            // `File::lock` retries on EINTR itself. If the receiver is gone, the file (and so
            // the lock) is dropped right here.
            let _ = sender.send(file.lock().map(|()| file));
        });
        match tokio::time::timeout(timeout, receiver).await {
            Ok(Ok(Ok(file))) => Ok(LockedFile {
                file,
                path: path.to_path_buf(),
            }),
            Ok(Ok(Err(e))) => Err(Error::io(format!("locking {}", path.display()), e)),
            Ok(Err(_)) => Err(Error::io(
                format!("locking {}", path.display()),
                std::io::Error::other("the locking thread stopped"),
            )),
            Err(_) => Err(Error::LockTimeout {
                path: path.display().to_string(),
                seconds: timeout.as_secs(),
            }),
        }
    }
}

/// Whether another process holds the lock on `path` right now: tried without waiting, and let
/// go at once when it was free. A missing or unreadable lock file is not held.
pub fn is_held(path: &Path) -> bool {
    // Never through a link (the lock files' own rule); a link is not a held lock.
    let Ok(file) = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path)
    else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(TryLockError::WouldBlock) => true,
        Err(TryLockError::Error(e)) => {
            tracing::debug!("could not test the lock {}: {e}", path.display());
            false
        }
    }
}

/// A lock file must be a regular file of the user's (or root's) that nobody else can write.
fn check(file: &File, path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let metadata = file
        .metadata()
        .map_err(|e| Error::io(format!("opening lock file {}", path.display()), e))?;
    if !metadata.is_file() {
        return Err(refused(path, "it is not a regular file"));
    }
    let euid = nix::unistd::geteuid().as_raw();
    if metadata.uid() != euid && metadata.uid() != 0 {
        return Err(refused(path, "it is owned by another user"));
    }
    if metadata.mode() & 0o022 != 0 {
        return Err(refused(path, "other users can write to it"));
    }
    Ok(())
}

fn refused(path: &Path, problem: &str) -> Error {
    Error::UnsafeState(format!(
        "Refusing to use the lock file {}: {problem}. Fix it with: {}",
        path.display(),
        state::removal(path)
    ))
}

impl Drop for LockedFile {
    fn drop(&mut self) {
        if let Err(e) = self.file.unlock() {
            tracing::debug!("unlocking {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/key.lock");
        let first = LockedFile::acquire(&path, Duration::from_secs(1))
            .await
            .unwrap();
        // flock locks belong to the open file description, so a second open in the same process
        // contends exactly like another process would.
        let second = LockedFile::acquire(&path, Duration::from_millis(200)).await;
        assert!(
            matches!(second, Err(Error::LockTimeout { .. })),
            "{second:?}"
        );
        // It names the variable that gives a longer wait, as uv's names UV_LOCK_TIMEOUT.
        let text = second.unwrap_err().to_string();
        assert!(
            text.ends_with("; raise P0_LOCK_TIMEOUT (seconds) to wait longer"),
            "{text}"
        );
        drop(first);
        let _again = LockedFile::acquire(&path, Duration::from_secs(1))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_link_or_a_fifo_at_the_lock_path_is_refused_and_nothing_created() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let path = dir.path().join("key.lock");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let refused = LockedFile::acquire(&path, Duration::from_secs(1)).await;
        assert!(matches!(refused, Err(Error::UnsafeState(_))), "{refused:?}");
        assert!(!target.exists(), "the link's target was created");
        std::fs::remove_file(&path).unwrap();
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let refused = LockedFile::acquire(&path, Duration::from_secs(1)).await;
        assert!(matches!(refused, Err(Error::UnsafeState(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_directory_at_the_lock_path_is_refused_with_a_fix_that_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        std::fs::create_dir(&path).unwrap();
        let refused = LockedFile::acquire(&path, Duration::from_secs(1)).await;
        let Err(error) = refused else {
            panic!("a directory was taken as a lock")
        };
        assert_eq!(error.exit_code(), 78, "{error}");
        let text = error.to_string();
        let fix = text.split("Fix it with: ").nth(1).unwrap();
        assert_eq!(fix, format!("rm -r {}", path.display()));
        let status = std::process::Command::new("sh")
            .args(["-c", fix])
            .status()
            .unwrap();
        assert!(status.success() && !path.exists(), "the fix works");
    }

    #[tokio::test]
    async fn a_waiter_gets_the_lock_when_the_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.lock");
        let first = LockedFile::acquire(&path, Duration::from_secs(1))
            .await
            .unwrap();
        let waiter = tokio::spawn({
            let path = path.clone();
            async move { LockedFile::acquire(&path, Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiter.is_finished());
        drop(first);
        let _taken = waiter.await.unwrap().unwrap();
    }
}
