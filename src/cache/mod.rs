//! The on-disk cache every `p0` process shares: `~/.p0/cache/` (0600 files written atomically)
//! and the per-entry lock files beside it in `~/.p0/locks/`. It holds credentials, Identity
//! Center registrations and tokens, and the local copy of the org's account config.
//!
//! Entries are named by what they are (org, backend, resolved account id, role), never by the
//! argument the user typed, so `--account prod` and `--account 123456789012` share one entry.
//! [`key::Entry`] is every kind of entry, and the one way their names are made and read back.
//! A corrupt, truncated or oversized entry reads as a miss and is replaced by the next write;
//! an entry (or directory) others could have written, a link or a special file is refused
//! (`state` says why).

pub mod key;

use crate::error::Result;
use crate::lock::LockedFile;
use crate::state::StateDir;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// Longest file name we produce; longer keys are shortened with a hash.
const MAX_FILE_STEM: usize = 180;
/// The most entries (or locks) one listing returns: `p0 status` and completion stay quick
/// whatever has piled up in the directory.
const MAX_LISTED: usize = 1000;

/// The name of one cache entry (and of its lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey(String);

impl CacheKey {
    /// A key from its parts, e.g. `["aws", "okta", org, account_id, role]`. Every character
    /// outside a small safe set is percent-encoded (a role path's `/` included) and parts are
    /// joined with `~`, which is itself encoded inside parts, so distinct keys never collide.
    pub fn new(parts: &[&str]) -> CacheKey {
        let stem = parts
            .iter()
            .map(|part| encode_part(part))
            .collect::<Vec<_>>()
            .join("~");
        if stem.len() <= MAX_FILE_STEM {
            return CacheKey(stem);
        }
        let digest = Sha256::digest(stem.as_bytes());
        let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let mut cut = MAX_FILE_STEM - hash.len() - 1;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        CacheKey(format!("{}~{hash}", &stem[..cut]))
    }

    pub fn file_stem(&self) -> &str {
        &self.0
    }

    /// The parts the key was made from; `None` for a key shortened with a hash (or a file name
    /// this cache did not write).
    pub fn parts(&self) -> Option<Vec<String>> {
        if self.shortened() {
            return None;
        }
        self.0.split('~').map(decode_part).collect()
    }

    fn shortened(&self) -> bool {
        self.0.len() == MAX_FILE_STEM
            && self
                .0
                .rsplit('~')
                .next()
                .is_some_and(|last| last.len() == 32 && last.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// The parts a shortened key kept whole (the one cut short and the hash dropped); `None`
    /// for a key that is not shortened.
    fn shortened_prefix(&self) -> Option<Vec<String>> {
        if !self.shortened() {
            return None;
        }
        let mut parts: Vec<&str> = self.0.split('~').collect();
        parts.truncate(parts.len().saturating_sub(2));
        parts.into_iter().map(decode_part).collect()
    }
}

fn decode_part(part: &str) -> Option<String> {
    let bytes = part.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn encode_part(part: &str) -> String {
    let mut encoded = String::with_capacity(part.len());
    for byte in part.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'.'
            | b'_'
            | b'-'
            | b'@'
            | b'='
            | b','
            | b'+' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    // A name starting with a dot would be hidden (and `..` special).
    if encoded.starts_with('.') {
        encoded.replace_range(0..1, "%2E");
    }
    encoded
}

/// The cache directory of one state directory.
/// The identity of one write of a cache entry: see [`Cache::version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryVersion([u64; 7]);

#[derive(Debug, Clone)]
pub struct Cache {
    state: StateDir,
    dir: PathBuf,
    locks: PathBuf,
    lock_timeout: Duration,
}

impl Cache {
    /// The cache of `state`; a lock held by another process longer than `lock_timeout` is
    /// `Error::LockTimeout`.
    pub fn new(state: &StateDir, lock_timeout: Duration) -> Cache {
        Cache {
            state: state.clone(),
            dir: state.cache_dir(),
            // Outside the cache directory: login wipes that, and a lock file deleted while held
            // would let a second process lock a new file of the same name.
            locks: state.root().join("locks"),
            lock_timeout,
        }
    }

    pub fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.file_stem()))
    }

    /// Waits for (and takes) the lock on `key`, shared with every other `p0` process.
    pub async fn lock(&self, key: &CacheKey) -> Result<LockedFile> {
        let path = self.locks.join(format!("{}.lock", key.file_stem()));
        self.state.check_dirs(&self.locks)?;
        LockedFile::acquire(&path, self.lock_timeout).await
    }

    /// The entry; `None` when it is missing, corrupt or oversized (it is then overwritten).
    /// `Error::UnsafeState` for an entry, or a directory above it, that cannot be trusted.
    pub fn read<T: DeserializeOwned>(&self, key: &CacheKey) -> Result<Option<T>> {
        let Some(bytes) = self.read_bytes(key)? else {
            return Ok(None);
        };
        let path = self.path(key);
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Some(value)),
            Err(e) => {
                tracing::debug!(
                    "ignoring corrupt cache entry {}: {}",
                    path.display(),
                    crate::secret::describe_json_error(&e)
                );
                Ok(None)
            }
        }
    }

    /// The entry's bytes, unparsed, under the same rules as [`Cache::read`]: `None` when it is
    /// missing or unreadable, `Error::UnsafeState` when it cannot be trusted.
    pub fn read_bytes(&self, key: &CacheKey) -> Result<Option<Vec<u8>>> {
        let path = self.path(key);
        match self.state.read(&path) {
            Ok(bytes) => Ok(bytes),
            Err(e @ crate::error::Error::UnsafeState(_)) => Err(e),
            Err(e) => {
                tracing::debug!("ignoring unreadable cache entry {}: {e}", path.display());
                Ok(None)
            }
        }
    }

    pub fn write<T: Serialize>(&self, key: &CacheKey, value: &T) -> Result<()> {
        let json = serde_json::to_vec(value).expect("cache entries serialize");
        self.state.write(&self.path(key), &json)
    }

    /// Which write of the entry is on disk now (`None`: no entry). Every write replaces the file
    /// (a rename), so a different version means another write happened in between. Compared,
    /// not ordered: file times come from a coarser clock than `SystemTime::now()`, so "written
    /// after I asked" by timestamps misses a write made a few milliseconds after the asking.
    pub fn version(&self, key: &CacheKey) -> Option<EntryVersion> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(self.path(key)).ok()?;
        Some(EntryVersion([
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime() as u64,
            m.mtime_nsec() as u64,
            m.ctime() as u64,
            m.ctime_nsec() as u64,
        ]))
    }

    pub fn remove(&self, key: &CacheKey) -> Result<()> {
        crate::state::remove_if_exists(&self.path(key))
    }

    /// Every entry, by name (at most `MAX_LISTED`). Temporary files of a write in progress are
    /// not entries.
    pub fn entries(&self) -> Vec<CacheKey> {
        stems_in(&self.dir, ".json")
    }

    /// The entries whose lock another process holds right now. Each lock is tried without
    /// waiting (and let go at once when free), so this never blocks.
    pub fn held_locks(&self) -> Vec<CacheKey> {
        stems_in(&self.locks, ".lock")
            .into_iter()
            .filter(|key| crate::lock::is_held(&self.locks.join(format!("{}.lock", key.0))))
            .collect()
    }
}

/// The names in `dir` ending in `suffix`, without it, sorted; none when `dir` is missing.
fn stems_in(dir: &std::path::Path, suffix: &str) -> Vec<CacheKey> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stems: Vec<CacheKey> = read
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .filter_map(|name| {
            name.strip_suffix(suffix)
                .map(|stem| CacheKey(stem.to_string()))
        })
        .take(MAX_LISTED)
        .collect();
    stems.sort_by(|a, b| a.0.cmp(&b.0));
    stems
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(
            &StateDir::at(dir.path().join(".p0"), ""),
            Duration::from_secs(5),
        );
        (dir, cache)
    }

    #[test]
    fn keys_are_safe_file_names_and_never_collide() {
        let path_role =
            CacheKey::new(&["aws", "okta", "acme", "123456789012", "p0-grants/ReadOnly"]);
        assert_eq!(
            path_role.file_stem(),
            "aws~okta~acme~123456789012~p0-grants%2FReadOnly"
        );
        let tricky = CacheKey::new(&["aws", "okta", "a~b", "..", "x"]);
        assert_eq!(tricky.file_stem(), "aws~okta~a%7Eb~%2E.~x");
        assert_ne!(CacheKey::new(&["a~b", "c"]), CacheKey::new(&["a", "b~c"]));
        let long_role = "r/".repeat(300);
        let long = CacheKey::new(&["aws", "okta", "acme", "1", &long_role]);
        assert!(long.file_stem().len() <= MAX_FILE_STEM);
        assert_ne!(
            long,
            CacheKey::new(&["aws", "okta", "acme", "1", &format!("{long_role}x")])
        );
        assert!(!long.file_stem().contains('/'));
    }

    #[test]
    fn keys_decode_to_their_parts_unless_shortened() {
        let parts = [
            "aws-idc-token",
            "us-west-2",
            "https://d-1.awsapps.com/start",
        ];
        let key = CacheKey::new(&parts);
        assert_eq!(key.parts().unwrap(), parts);
        let tricky = ["a~b", "..", "p0-grants/ReadOnly", "é"];
        assert_eq!(CacheKey::new(&tricky).parts().unwrap(), tricky);
        let long_role = "r/".repeat(300);
        assert_eq!(CacheKey::new(&["aws", "okta", &long_role]).parts(), None);
    }

    #[test]
    fn entries_and_held_locks_are_listed() {
        let (_dir, cache) = cache();
        assert!(cache.entries().is_empty(), "no directory yet");
        let a = CacheKey::new(&["aws", "okta", "acme", "1", "Admin"]);
        let b = CacheKey::new(&["aws-config", "acme"]);
        cache.write(&a, &serde_json::json!({})).unwrap();
        cache.write(&b, &serde_json::json!({})).unwrap();
        assert_eq!(cache.entries(), [b.clone(), a.clone()], "sorted by name");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let held = runtime.block_on(cache.lock(&a)).unwrap();
        // A lock file left by a finished process is not held.
        drop(runtime.block_on(cache.lock(&b)).unwrap());
        assert_eq!(cache.held_locks(), std::slice::from_ref(&a));
        drop(held);
        assert!(cache.held_locks().is_empty());
    }

    #[test]
    fn corrupt_and_truncated_entries_are_misses() {
        let (_dir, cache) = cache();
        let key = CacheKey::new(&["aws", "idc", "acme", "1", "Dev"]);
        cache
            .write(&key, &serde_json::json!({"a": [1, 2, 3]}))
            .unwrap();
        let whole = std::fs::read(cache.path(&key)).unwrap();
        std::fs::write(cache.path(&key), &whole[..whole.len() / 2]).unwrap();
        assert!(cache.read::<serde_json::Value>(&key).unwrap().is_none());
        std::fs::write(cache.path(&key), b"\0\xff garbage").unwrap();
        assert!(cache.read::<serde_json::Value>(&key).unwrap().is_none());
        cache.write(&key, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(
            cache.read::<serde_json::Value>(&key).unwrap().unwrap()["a"],
            1
        );
    }
}
