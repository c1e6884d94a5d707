//! `p0 aws configure profile NAME --role R` and `p0 aws configure populate`: profiles in the
//! AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) whose `credential_process` is
//! this `p0`, so every tool that reads the file (SDKs, the aws CLI, terraform, IDEs) gets
//! just-in-time credentials without a wrapper.
//!
//! The file is edited in place (`aws_files`): the profile's lines change, every other byte
//! stays; the previous version is kept as `config.p0.bak`. `--dry-run` prints the unified diff
//! on stdout instead.

use super::block_on;
use crate::accounts::{self, AwsConfig, ResolvedAccount};
use crate::aws_files::{self, Edit, FileKind, Section};
use crate::backend::Backend;
use crate::cli::{ConfigureProfileArgs, PopulateArgs};
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::output;
use crate::p0::{Item, P0Connection};
use crate::plan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many items `populate` asks `ls` for per family (§9: the argv carries twice this).
const LS_SIZE: usize = 500;

/// The comment above a profile `p0` creates.
const CREATED_BY: &str = "Credentials from P0 Security (written by `p0 aws configure`)";

/// One profile to write.
#[derive(Debug, Clone)]
struct Profile {
    name: String,
    /// `--account` as it will be passed: as the user typed it, else the account id.
    account: String,
    role: String,
    reason: Option<String>,
    region: Option<String>,
}

impl Profile {
    /// The `credential_process` line: this `p0`'s absolute path and its arguments, quoted for
    /// a POSIX shell (botocore splits it with shlex; the Go and Rust SDKs run it with `sh -c`).
    fn credential_process(&self, p0: &str) -> String {
        let mut words = vec![
            p0,
            "aws",
            "credential-process",
            "--account",
            &self.account,
            "--role",
            &self.role,
        ];
        if let Some(reason) = &self.reason {
            words.extend(["--reason", reason]);
        }
        shell_words::join(words)
    }

    fn edit(&self, p0: &str) -> Edit<'static> {
        let mut set = vec![("credential_process", self.credential_process(p0))];
        if let Some(region) = &self.region {
            set.push(("region", region.clone()));
        }
        Edit {
            set,
            // Anything that would win over credential_process in an SDK's chain (role_arn,
            // sso_*, keys) goes: the profile is p0's now.
            remove: aws_files::CREDENTIAL_KEYS,
            comment: Some(CREATED_BY),
        }
    }
}

/// `p0 aws [--account A] [--reason TEXT] configure profile NAME --role R [--region R]`.
pub fn profile(
    ctx: &Context,
    account: Option<String>,
    reason: Option<String>,
    args: ConfigureProfileArgs,
) -> Result<u8> {
    aws_files::check_profile_name(&args.name)?;
    block_on(async {
        let p0 = P0Connection::new();
        // The account must exist; without --account, the only installed one is written down.
        let org = plan::logged_in_org(ctx)?;
        let resolved = plan::resolve_account(ctx, &p0, &org, account.as_deref()).await?;
        let profile = Profile {
            name: args.name,
            account: account.unwrap_or_else(|| resolved.id().to_string()),
            role: args.role,
            reason,
            region: args.region,
        };
        update_config(ctx, &[profile], args.dry_run, Existing::Replace).await
    })
}

/// `p0 aws [--account A] [--reason TEXT] configure populate [--prefix P] [--region R]`.
pub fn populate(
    ctx: &Context,
    account: Option<String>,
    reason: Option<String>,
    args: PopulateArgs,
) -> Result<u8> {
    if !args.prefix.is_empty() {
        aws_files::check_profile_name(&args.prefix)?;
    }
    block_on(async {
        let p0 = P0Connection::new();
        let client = p0.client(ctx).await?;
        let config = accounts::fetch_config(client, &ctx.cache(), client.org()).await?;
        let only = match account.as_deref() {
            Some(wanted) => Some(config.resolve(Some(wanted), None)?),
            None => None,
        };
        let mut grants: Vec<(ResolvedAccount, String)> = Vec::new();
        for backend in Backend::ALL {
            if !config.families().contains(backend) {
                continue;
            }
            let argv = ["ls", "aws", backend.request_word(), "--size"]
                .map(String::from)
                .into_iter()
                .chain([(2 * LS_SIZE).to_string()])
                .collect();
            let listing = client.list(argv, false).await?;
            if listing.is_truncated || listing.items.len() > LS_SIZE {
                ctx.printer.warn(&format!(
                    "P0 listed only the first {LS_SIZE} {}s; the rest get no profile",
                    backend.request_word()
                ));
            }
            for item in listing.items.into_iter().take(LS_SIZE) {
                match account_of(&config, &item, backend) {
                    Some(account) => grants.push((account, item.key)),
                    None => tracing::debug!("ls item {} names no installed account", item.key),
                }
            }
        }
        if let Some(only) = &only {
            grants.retain(|(account, _)| account.id() == only.id());
        }
        grants.sort_by(|a, b| (a.0.id(), &a.1).cmp(&(b.0.id(), &b.1)));
        grants.dedup_by(|a, b| a.0.id() == b.0.id() && a.1 == b.1);
        let profiles = name_profiles(&args.prefix, grants, reason, args.region, &ctx.printer);
        if profiles.is_empty() {
            ctx.printer
                .status("P0 lists no account and role you can request: nothing to write.");
            return Ok(0);
        }
        update_config(ctx, &profiles, args.dry_run, Existing::KeepUnlessOurs).await
    })
}

/// The installed account an `ls` item belongs to: its group (the account id), else its value
/// (the account's label).
fn account_of(config: &AwsConfig, item: &Item, backend: Backend) -> Option<ResolvedAccount> {
    [item.group.as_deref(), Some(item.value.as_str())]
        .into_iter()
        .flatten()
        .filter(|name| !name.is_empty())
        .find_map(|name| config.resolve(Some(name), Some(backend)).ok())
}

/// `{prefix}{label or id}.{role}`, with each character a profile name cannot hold (the `/` of
/// a role path, spaces) turned into `-`: `prod.p0-grants-ReadOnly`. A name two grants would
/// share is given to the first only (with a warning).
fn name_profiles(
    prefix: &str,
    grants: Vec<(ResolvedAccount, String)>,
    reason: Option<String>,
    region: Option<String>,
    printer: &output::Printer,
) -> Vec<Profile> {
    let mut named: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut profiles = Vec::new();
    for (account, role) in grants {
        let shown = account.label().unwrap_or(account.id());
        let name = format!("{prefix}{}.{}", safe_name(shown), safe_name(&role));
        if let Some((other_account, other_role)) = named.get(&name) {
            printer.warn(&format!(
                "{role} in {} would be profile {name} too, like {other_role} in {other_account}: skipped",
                account.id()
            ));
            continue;
        }
        named.insert(name.clone(), (account.id().to_string(), role.clone()));
        profiles.push(Profile {
            name,
            account: account.id().to_string(),
            role,
            reason: reason.clone(),
            region: region.clone(),
        });
    }
    profiles
}

fn safe_name(part: &str) -> String {
    let kept: String = part
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+,@".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if kept.is_empty() {
        "-".to_string()
    } else {
        kept
    }
}

/// What to do with a profile that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// The user named it: it becomes p0's.
    Replace,
    /// Written by `populate`: only profiles that are p0's already are updated.
    KeepUnlessOurs,
}

/// Whether a profile's credentials come from `p0 aws credential-process` already.
fn is_ours(section: &Section) -> bool {
    section
        .get("credential_process")
        .and_then(|line| shell_words::split(line).ok())
        .is_some_and(|words| words.get(1..3) == Some(&["aws".into(), "credential-process".into()]))
}

/// Applies the profiles to the AWS config file (under the file's lock), or prints the diff.
async fn update_config(
    ctx: &Context,
    profiles: &[Profile],
    dry_run: bool,
    existing: Existing,
) -> Result<u8> {
    let p0 = this_p0()?;
    let p0 = p0.to_str().ok_or_else(|| {
        Error::Config(format!(
            "p0's path {} is not UTF-8: it cannot go into the AWS config file",
            p0.display()
        ))
    })?;
    let path = FileKind::Config.path()?;
    let _lock = ctx.cache().lock(&aws_files::lock_key(&path)).await?;
    let before = aws_files::read(&path)?.unwrap_or_default();
    let mut after = before.clone();
    let mut written = Vec::new();
    for profile in profiles {
        let current = aws_files::profile(&after, FileKind::Config, &profile.name);
        if existing == Existing::KeepUnlessOurs && current.as_ref().is_some_and(|s| !is_ours(s)) {
            ctx.printer.warn(&format!(
                "[profile {}] exists and does not use p0: left as it is",
                profile.name
            ));
            continue;
        }
        after =
            aws_files::edit_profile(&after, FileKind::Config, &profile.name, &profile.edit(p0))?;
        written.push(profile.name.as_str());
    }
    if dry_run {
        let shown = path.display().to_string();
        let diff = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .header(&shown, &shown)
            .to_string();
        output::stdout(&diff)?;
        return Ok(0);
    }
    if after == before {
        ctx.printer
            .status(&format!("{} is up to date.", path.display()));
        return Ok(0);
    }
    let result = aws_files::write(&path, FileKind::Config, &after)?;
    ctx.printer.status(&format!(
        "Wrote {} to {}{}",
        written
            .iter()
            .map(|name| format!("[profile {name}]"))
            .collect::<Vec<_>>()
            .join(", "),
        result.path.display(),
        result
            .backup
            .map(|b| format!(" (the previous version is {})", b.display()))
            .unwrap_or_default()
    ));
    if let [only] = written.as_slice() {
        ctx.printer.status(&format!(
            "Use it with: aws --profile {only} sts get-caller-identity"
        ));
    }
    Ok(0)
}

/// `--write-profile NAME` of `p0 aws ... assume`: the credentials as profile `NAME` of the
/// shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), as the
/// AWS and Okta guides have users do by hand: the keys, the session token and the expiry
/// (`x_security_token_expires`, which the SDKs ignore), 0600, the previous file kept as
/// `credentials.p0.bak`. Every other section stays byte for byte.
pub async fn write_credentials(
    ctx: &Context,
    name: &str,
    target: &crate::credentials::Target,
    credentials: &crate::credentials::AwsCredentials,
) -> Result<()> {
    let path = FileKind::Credentials.path()?;
    let _lock = ctx.cache().lock(&aws_files::lock_key(&path)).await?;
    let before = aws_files::read(&path)?.unwrap_or_default();
    let comment =
        "Temporary credentials from P0 Security (written by `p0 aws ... --write-profile`)";
    let expires = credentials.expiration_rfc3339();
    let edit = Edit {
        set: vec![
            ("aws_access_key_id", credentials.access_key_id.clone()),
            (
                "aws_secret_access_key",
                credentials.secret_access_key.expose().clone(),
            ),
            (
                "aws_session_token",
                credentials.session_token.expose().clone(),
            ),
            ("x_security_token_expires", expires.clone()),
        ],
        // A stale aws_security_token would win over the new session token in botocore.
        remove: aws_files::CREDENTIAL_KEYS,
        comment: Some(comment),
    };
    let after = aws_files::edit_profile(&before, FileKind::Credentials, name, &edit)?;
    let result = aws_files::write(&path, FileKind::Credentials, &after)?;
    ctx.printer.status(&format!(
        "Wrote credentials for {}/{} to [{name}] in {}, valid until {expires}{}",
        target.account_id,
        target.role,
        result.path.display(),
        result
            .backup
            .map(|b| format!(" (the previous version is {})", b.display()))
            .unwrap_or_default()
    ));
    ctx.printer.status(&format!(
        "Use them with: aws --profile {name} sts get-caller-identity"
    ));
    // The config file's profile of the same name may send SDKs elsewhere first.
    if let Ok(config) = FileKind::Config.path() {
        if let Some(section) = aws_files::read(&config)
            .ok()
            .flatten()
            .and_then(|text| aws_files::profile(&text, FileKind::Config, name))
        {
            let shadowing: Vec<&str> = aws_files::CREDENTIAL_KEYS
                .iter()
                .copied()
                .filter(|key| section.get(key).is_some())
                .collect();
            if !shadowing.is_empty() {
                ctx.printer.warn(&format!(
                    "Warning: [profile {name}] in {} sets {}, which AWS SDKs may use instead of these credentials",
                    config.display(),
                    shadowing.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// This `p0`'s absolute path for the config file: the name it was started by when that is
/// this same file (`/usr/local/bin/p0`, a link that survives upgrades), else the executable
/// itself.
fn this_p0() -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| Error::io("finding p0's own executable", e))?;
    let started_as = std::env::args_os().next().map(PathBuf::from);
    let candidate = started_as.and_then(|argv0| {
        if argv0.components().count() > 1 {
            std::path::absolute(&argv0).ok()
        } else {
            let path = env::get_os(env::read::PATH)?;
            std::env::split_paths(&path)
                .map(|dir| dir.join(&argv0))
                .find(|p| p.is_file())
                .and_then(|p| std::path::absolute(p).ok())
        }
    });
    Ok(match candidate {
        Some(candidate) if same_file(&candidate, &exe) => candidate,
        _ => exe,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(account: &str, role: &str, reason: Option<&str>) -> Profile {
        Profile {
            name: "x".into(),
            account: account.into(),
            role: role.into(),
            reason: reason.map(String::from),
            region: None,
        }
    }

    #[test]
    fn the_credential_process_line_survives_shlex_and_sh() {
        let line = profile("my prod", "p0-grants/Read'Only", Some("it's $(urgent)"))
            .credential_process("/opt/my tools/p0");
        let words = shell_words::split(&line).unwrap();
        assert_eq!(
            words,
            [
                "/opt/my tools/p0",
                "aws",
                "credential-process",
                "--account",
                "my prod",
                "--role",
                "p0-grants/Read'Only",
                "--reason",
                "it's $(urgent)"
            ]
        );
        // And sh reads the same words.
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf '%s\\n' {}", &line["'/opt/my tools/p0'".len()..]),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "aws\ncredential-process\n--account\nmy prod\n--role\np0-grants/Read'Only\n--reason\nit's $(urgent)\n"
        );
        let plain = profile("123456789012", "Admin", None).credential_process("/usr/bin/p0");
        assert_eq!(
            plain,
            "/usr/bin/p0 aws credential-process --account 123456789012 --role Admin"
        );
    }

    #[test]
    fn profile_names_are_safe_words() {
        assert_eq!(safe_name("p0-grants/ReadOnly"), "p0-grants-ReadOnly");
        assert_eq!(safe_name("/path/Role/"), "path-Role");
        assert_eq!(safe_name("My Account"), "My-Account");
        assert!(aws_files::check_profile_name(&format!(
            "{}.{}",
            safe_name("prod east"),
            safe_name("a/b c")
        ))
        .is_ok());
    }

    #[test]
    fn only_p0_profiles_count_as_ours() {
        let ours = aws_files::sections(
            "[profile a]\ncredential_process = '/x y/p0' aws credential-process --role R\n",
        );
        assert!(is_ours(&ours[0]));
        let theirs = aws_files::sections(
            "[profile a]\ncredential_process = /usr/bin/aws-vault export --format=json a\n[profile b]\nsso_session = x\n",
        );
        assert!(!is_ours(&theirs[0]) && !is_ours(&theirs[1]));
    }
}
