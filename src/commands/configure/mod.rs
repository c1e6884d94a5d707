//! `p0 aws configure profile NAME --role R` and `p0 aws configure populate`: profiles in the
//! AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) whose credentials come from this
//! `p0` (`credential_process`), so every tool that reads the file (SDKs, the aws CLI,
//! terraform, IDEs) gets just-in-time credentials without a wrapper. With `--chain-role-arn`,
//! a linked pair: the SDKs assume the chained role themselves (`profiles`).
//!
//! The file is edited in place (`aws_files`): the profiles' lines change, every other byte
//! stays; the previous version is kept as `config.p0.bak`. `--dry-run` prints the unified diff
//! on stdout instead.

mod populate;
mod profiles;

pub use populate::populate;

use super::block_on;
use crate::aws_files::{self, FileKind};
use crate::cli::ConfigureProfileArgs;
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::output;
use crate::p0::P0Connection;
use crate::plan;
use crate::providers::assume_role::{self, RoleArn};
use profiles::{Chain, Existing, Profile};
use std::path::{Path, PathBuf};

/// `p0 aws [--account A] [--reason TEXT] configure profile NAME --role R [--region R]
/// [--chain-role-arn ARN [--chain-session-name N] [--chain-external-id ID]]`.
pub fn profile(
    ctx: &Context,
    account: Option<String>,
    reason: Option<String>,
    args: ConfigureProfileArgs,
) -> Result<u8> {
    aws_files::check_profile_name(&args.name)?;
    // Checked before anything is asked of P0 (as run-as checks it).
    let chain = match &args.chain.chain_role_arn {
        Some(arn) => Some(Chain {
            role_arn: RoleArn::parse(arn, "--chain-role-arn")?
                .as_str()
                .to_string(),
            session_name: args
                .chain
                .chain_session_name
                .clone()
                .unwrap_or_else(|| assume_role::DEFAULT_SESSION_NAME.to_string()),
            external_id: args.chain.chain_external_id.clone(),
        }),
        None => None,
    };
    block_on(async {
        let p0 = P0Connection::new();
        // The account must exist; without --account, the only installed one is written down.
        // Resolved as a plan resolves it (its local copy, its single flight).
        let resolved = plan::resolve_account(ctx, &p0, account.as_deref(), None).await?;
        let profile = Profile {
            name: args.name,
            account: account.unwrap_or_else(|| resolved.id().to_string()),
            role: args.role,
            reason,
            region: args.region,
            chain,
        };
        update_config(ctx, &[profile], args.dry_run, Existing::Replace).await
    })
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
    let edited = profiles::edit_config(&before, profiles, p0, existing)?;
    for name in &edited.kept {
        ctx.printer.warn(&format!(
            "[profile {name}] exists and does not use p0: left as it is"
        ));
    }
    if dry_run {
        let shown = path.display().to_string();
        let diff = similar::TextDiff::from_lines(&before, &edited.text)
            .unified_diff()
            .header(&shown, &shown)
            .to_string();
        output::stdout(&diff)?;
        return Ok(0);
    }
    if edited.text == before {
        ctx.printer
            .status(&format!("{} is up to date.", path.display()));
        return Ok(0);
    }
    let result = aws_files::write(&path, FileKind::Config, &edited.text)?;
    ctx.printer.status(&format!(
        "Wrote {} to {}{}",
        edited
            .written
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
    // One profile (a linked pair's chained one is written last): how to use it.
    if let [profile] = profiles {
        if edited.written.last() == Some(&profile.name) {
            ctx.printer.status(&format!(
                "Use it with: aws --profile {} sts get-caller-identity",
                profile.name
            ));
        }
    }
    Ok(0)
}

/// This `p0`'s absolute path for the config file: the name it was started by when that is
/// this same file (`/usr/local/bin/p0`, a link that survives upgrades) or the release's front
/// end that handed over to it (`/usr/bin/p0` for `/usr/libexec/p0/p0`), else the executable
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
        Some(candidate)
            if same_file(&candidate, &exe) || crate::layout::hands_over_to(&candidate, &exe) =>
        {
            candidate
        }
        _ => exe,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
