//! The AWS shared files, `~/.aws/config` and `~/.aws/credentials` (`AWS_CONFIG_FILE`,
//! `AWS_SHARED_CREDENTIALS_FILE`): where they are, what their profiles say, edits that keep
//! every byte `p0` does not mean to change (`ini`), atomic writes that keep the file's mode
//! (0600 for credentials) with a backup of the previous file, and the private copies a
//! supervised child gets (`[default]` without credential settings).
//!
//! Knows nothing of P0: the commands decide what to write.

#[cfg(test)]
mod fuzz;
mod ini;
pub mod settings;

pub use ini::{sections, Edit, Section};

use crate::cache::key::Entry;
use crate::cache::CacheKey;
use crate::env;
use crate::error::{Error, Result};
use crate::state;
use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Which of the two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[default]` and `[profile NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]`.
    Credentials,
}

/// The settings that make an AWS SDK take credentials from a profile rather than look further
/// down its chain (keys, a process, a role to assume, a web identity, Identity Center, `aws
/// login`), and the expiry note `p0` writes beside keys.
pub const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "x_security_token_expires",
    "credential_process",
    "role_arn",
    "source_profile",
    "credential_source",
    "role_session_name",
    "external_id",
    "mfa_serial",
    "duration_seconds",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "login_session",
];

impl FileKind {
    /// Where the file is: the variable the SDKs read (`~` expanded, as botocore does), else
    /// `~/.aws/config` or `~/.aws/credentials`.
    pub fn path(self) -> Result<PathBuf> {
        let (variable, name) = match self {
            FileKind::Config => (env::read::AWS_CONFIG_FILE, "config"),
            FileKind::Credentials => (env::read::AWS_SHARED_CREDENTIALS_FILE, "credentials"),
        };
        let home = || dirs::home_dir().ok_or(Error::NoHomeDirectory);
        match env::get_os(variable).map(PathBuf::from) {
            Some(path) => match path.strip_prefix("~") {
                Ok(rest) => Ok(home()?.join(rest)),
                Err(_) => Ok(path),
            },
            None => Ok(home()?.join(".aws").join(name)),
        }
    }

    /// The section header of profile `name` in this file (`default` is `[default]` in both).
    pub fn header(self, name: &str) -> String {
        match self {
            FileKind::Config if name != "default" => format!("profile {name}"),
            _ => name.to_string(),
        }
    }

    /// Whether a (normalized) header is profile `name`'s: the config file's `[default]` is
    /// also spelled `[profile default]`.
    pub fn is_profile(self, header: &str, name: &str) -> bool {
        match self {
            FileKind::Config => {
                header.strip_prefix("profile ") == Some(name)
                    || (name == "default" && header == "default")
            }
            FileKind::Credentials => header == name,
        }
    }

    /// The mode of a file written anew, and the most any write leaves on credentials.
    fn mode(self, existing: Option<u32>) -> u32 {
        match (self, existing) {
            (FileKind::Credentials, _) | (FileKind::Config, None) => 0o600,
            (FileKind::Config, Some(mode)) => mode & 0o777,
        }
    }
}

/// A profile name `p0` will write: what botocore's `shlex` split of `[profile NAME]` and the
/// `--profile` flag read back as the same word.
pub fn check_profile_name(name: &str) -> Result<()> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || "[]'\"\\#;=".contains(c);
    if name.is_empty() || name.contains(bad) {
        return Err(Error::Usage(format!(
            "{name:?} cannot be an AWS profile name: use letters, digits and -_.+,@/:"
        )));
    }
    Ok(())
}

/// The profile's section of a file's text, if any.
pub fn profile(text: &str, kind: FileKind, name: &str) -> Option<Section> {
    sections(text)
        .into_iter()
        .rfind(|s| kind.is_profile(&s.name, name))
}

/// `text` with `edit` applied to profile `name` (created at the end when missing).
pub fn edit_profile(text: &str, kind: FileKind, name: &str, edit: &Edit<'_>) -> Result<String> {
    ini::edit(
        text,
        &|header| kind.is_profile(header, name),
        &kind.header(name),
        edit,
    )
    .map_err(|ini::Unwritable(why)| Error::Usage(why))
}

/// `text` whose `[default]` has none of [`CREDENTIAL_KEYS`] (everything else kept); `None`
/// when it had none.
pub fn without_default_credentials(text: &str, kind: FileKind) -> Option<String> {
    let edited = edit_profile(
        text,
        kind,
        "default",
        &Edit {
            remove: CREDENTIAL_KEYS,
            ..Edit::default()
        },
    )
    .expect("removing writes no value");
    (edited != text).then_some(edited)
}

/// The file's text; `None` when it does not exist.
pub fn read(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            Error::Config(format!(
                "{} is not UTF-8 text; p0 will not rewrite it",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// The lock that serializes `p0` processes rewriting the file at `path` (read, edit, write).
pub fn lock_key(path: &Path) -> CacheKey {
    Entry::AwsFile {
        path: path.to_string_lossy().into_owned(),
    }
    .key()
}

/// Where the previous version of a file is kept.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".p0.bak");
    path.with_file_name(name)
}

/// What [`write()`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file written (a symlink's target).
    pub path: PathBuf,
    /// The previous version, if there was one.
    pub backup: Option<PathBuf>,
}

/// Replaces the file at `path` with `contents` atomically (a temporary file in the same
/// directory, fsynced, renamed over it), keeping its mode (credentials: always 0600; a new
/// file: 0600 in a directory made 0700). A symlink (a dotfiles checkout) is followed, so the
/// link stays. The previous version is kept beside it as `NAME.p0.bak`, with the same mode.
pub fn write(path: &Path, kind: FileKind, contents: &str) -> Result<Written> {
    let target = match fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(Error::io(format!("resolving {}", path.display()), e)),
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let existing = match fs::metadata(&target) {
        Ok(meta) => Some(meta.permissions().mode()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(format!("reading {}", target.display()), e)),
    };
    let mode = kind.mode(existing);
    let backup = match existing {
        Some(_) => {
            let previous = fs::read(&target)
                .map_err(|e| Error::io(format!("reading {}", target.display()), e))?;
            let backup = backup_path(&target);
            state::replace_atomically_named(&backup, &previous, mode, TEMPORARY_PREFIX)?;
            Some(backup)
        }
        None => None,
    };
    state::replace_atomically_named(&target, contents.as_bytes(), mode, TEMPORARY_PREFIX)?;
    Ok(Written {
        path: target,
        backup,
    })
}

/// The prefix of the temporary files `write` renames over the AWS files: p0's own, so that
/// the sweep of stale ones never touches another tool's `.tmp-*` beside them.
const TEMPORARY_PREFIX: &str = ".p0-tmp-";

/// Private copies of the AWS files for a supervised child, whose `[default]` carries no
/// credential settings (everything else kept: region, output, retries, s3 settings, other
/// profiles), so that its SDK's default chain reaches the credentials `p0` serves instead of
/// stopping at the user's `[default]`. Kept 0600 in a 0700 temporary directory that is
/// removed when this is dropped.
#[derive(Debug)]
pub struct ChildCopies {
    /// Held for its removal on drop.
    _dir: tempfile::TempDir,
    vars: Vec<(&'static str, PathBuf)>,
}

impl ChildCopies {
    /// The copies needed: only of a file whose `[default]` has credential settings. `None`
    /// when neither has (the child reads the user's own files).
    pub fn prepare() -> Result<Option<ChildCopies>> {
        let mut sanitized = Vec::new();
        for (kind, variable, name) in [
            (FileKind::Config, env::child::AWS_CONFIG_FILE, "config"),
            (
                FileKind::Credentials,
                env::child::AWS_SHARED_CREDENTIALS_FILE,
                "credentials",
            ),
        ] {
            let path = kind.path()?;
            let Some(text) = read(&path)? else { continue };
            if let Some(text) = without_default_credentials(&text, kind) {
                tracing::debug!(
                    "the command gets a copy of {} without [default]'s credentials",
                    path.display()
                );
                sanitized.push((variable, name, text));
            }
        }
        if sanitized.is_empty() {
            return Ok(None);
        }
        let dir = tempfile::Builder::new()
            .prefix("p0-aws-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| Error::io("creating a private directory for the command", e))?;
        let mut vars = Vec::new();
        for (variable, name, text) in sanitized {
            let path = dir.path().join(name);
            state::replace_atomically(&path, text.as_bytes(), 0o600)?;
            vars.push((variable, path));
        }
        Ok(Some(ChildCopies { _dir: dir, vars }))
    }

    /// The variables that point the child at the copies.
    pub fn vars(&self) -> &[(&'static str, PathBuf)] {
        &self.vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn profiles_are_named_as_each_file_names_them() {
        assert_eq!(FileKind::Config.header("work"), "profile work");
        assert_eq!(FileKind::Config.header("default"), "default");
        assert_eq!(FileKind::Credentials.header("work"), "work");
        assert!(FileKind::Config.is_profile("profile default", "default"));
        assert!(FileKind::Config.is_profile("default", "default"));
        assert!(!FileKind::Config.is_profile("work", "work"));
        assert!(!FileKind::Credentials.is_profile("profile work", "work"));
        assert!(check_profile_name("prod.p0-grants-ReadOnly").is_ok());
        for bad in ["", "a b", "a]", "it's", "x;y"] {
            assert!(check_profile_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_profile_loses_only_its_credential_settings() {
        let config = "\
[default]
region = eu-west-1
credential_process = /usr/bin/other-tool
sso_session = corp
retry_mode = adaptive
s3 =
  max_concurrent_requests = 20

[profile other]
credential_process = /usr/bin/other-tool
";
        assert_eq!(
            without_default_credentials(config, FileKind::Config).unwrap(),
            "\
[default]
region = eu-west-1
retry_mode = adaptive
s3 =
  max_concurrent_requests = 20

[profile other]
credential_process = /usr/bin/other-tool
"
        );
        let credentials = "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n\n[other]\naws_access_key_id = B\n";
        assert_eq!(
            without_default_credentials(credentials, FileKind::Credentials).unwrap(),
            "[default]\n\n[other]\naws_access_key_id = B\n"
        );
        assert_eq!(
            without_default_credentials("[default]\nregion = x\n", FileKind::Config),
            None
        );
    }

    #[test]
    fn writes_are_atomic_keep_the_mode_and_back_up() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("aws/config");
        let written = write(&config, FileKind::Config, "[default]\n").unwrap();
        assert_eq!(written.backup, None);
        assert_eq!(mode(&config), 0o600);
        assert_eq!(mode(config.parent().unwrap()), 0o700);
        fs::set_permissions(&config, fs::Permissions::from_mode(0o644)).unwrap();
        let written = write(&config, FileKind::Config, "[default]\nregion = x\n").unwrap();
        assert_eq!(mode(&config), 0o644, "the user's mode is kept");
        let backup = written.backup.unwrap();
        assert_eq!(fs::read_to_string(&backup).unwrap(), "[default]\n");
        assert_eq!(backup, dir.path().join("aws/config.p0.bak"));

        let credentials = dir.path().join("aws/credentials");
        fs::write(&credentials, "[a]\n").unwrap();
        fs::set_permissions(&credentials, fs::Permissions::from_mode(0o644)).unwrap();
        let written = write(&credentials, FileKind::Credentials, "[b]\n").unwrap();
        assert_eq!(mode(&credentials), 0o600);
        assert_eq!(mode(&written.backup.unwrap()), 0o600);
        // Only the files themselves and their backups: no temporary file left behind.
        let names: Vec<String> = fs::read_dir(dir.path().join("aws"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
    }

    #[test]
    fn a_symlinked_file_is_written_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/aws-config");
        fs::create_dir_all(real.parent().unwrap()).unwrap();
        fs::write(&real, "[default]\n").unwrap();
        let link = dir.path().join("config");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let written = write(&link, FileKind::Config, "[default]\nregion = x\n").unwrap();
        assert_eq!(written.path, fs::canonicalize(&real).unwrap());
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(&link).unwrap(),
            "[default]\nregion = x\n"
        );
    }

    #[test]
    fn a_temporary_file_a_kill_left_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let stale = dir.path().join(".p0-tmp-killed");
        let fresh = dir.path().join(".p0-tmp-writing");
        let other = dir.path().join(".tmp-another-tool");
        for file in [&stale, &fresh, &other] {
            fs::write(file, "aws_secret_access_key = left-behind\n").unwrap();
        }
        let old = std::time::SystemTime::now() - 2 * crate::state::STALE_TEMPORARY;
        for file in [&stale, &other] {
            fs::File::options()
                .write(true)
                .open(file)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        write(&path, FileKind::Credentials, "[p]\n").unwrap();
        assert!(!stale.exists(), "the stale one is removed");
        assert!(fresh.exists(), "another p0 may be writing this one");
        assert!(other.exists(), "another tool's file is left alone");
    }
}
