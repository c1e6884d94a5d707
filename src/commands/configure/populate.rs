//! `p0 aws configure populate`: a profile for every account and role P0 lists (`ls`), named
//! `{prefix}{label or id}.{role}`.

use super::profiles::{Existing, Profile};
use super::update_config;
use crate::accounts::{self, AwsConfig, ResolvedAccount};
use crate::aws_files;
use crate::backend::Backend;
use crate::cli::PopulateArgs;
use crate::commands::block_on;
use crate::context::Context;
use crate::error::Result;
use crate::output;
use crate::p0::{Item, P0Connection};
use std::collections::BTreeMap;

/// How many items `populate` asks `ls` for per family (§9: the argv carries twice this).
const LS_SIZE: usize = 500;

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
            chain: None,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
