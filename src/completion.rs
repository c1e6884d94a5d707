//! Values for `--account <TAB>` and `--role <TAB>`, computed by `p0` itself when a shell's
//! completion script asks (`COMPLETE=bash p0 -- p0 run-as --account ...`, clap_complete's
//! dynamic protocol, handled at the top of `main`).
//!
//! Local files only: the logged-in org's account config copy, the roles remembered beside it
//! (`accounts::remember_roles`) and the cached credentials. No runtime, no HTTP client, no
//! network: a TAB must answer at once, and offline.

use crate::accounts::{self, KnownAccount};
use crate::backend::Backend;
use crate::cache::Cache;
use crate::credentials;
use crate::env;
use crate::state::StateDir;
use clap_complete::CompletionCandidate;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;

/// What is known locally about the logged-in org.
struct Known {
    accounts: Vec<KnownAccount>,
    /// Account id -> roles (remembered, and those of cached credentials).
    roles: BTreeMap<String, BTreeSet<String>>,
}

impl Known {
    fn load() -> Option<Known> {
        let state = StateDir::from_env().ok()?;
        let org = crate::p0::stored_org(&state).ok().flatten()?;
        let cache = Cache::new(&state, std::time::Duration::ZERO);
        let mut roles = accounts::known_roles(&cache, &org);
        for cached in credentials::list(&cache) {
            roles
                .entry(cached.account_id)
                .or_default()
                .insert(cached.role);
        }
        Some(Known {
            accounts: accounts::known_accounts(&cache, &org),
            roles,
        })
    }

    /// The id of the account `typed` names (an id or a label), else `typed` itself.
    fn account_id(&self, typed: &str) -> String {
        self.accounts
            .iter()
            .find(|a| a.id == typed || a.label.as_deref() == Some(typed))
            .map_or_else(|| typed.to_string(), |a| a.id.clone())
    }
}

/// `--account`: every installed account's label and id, each described by the other.
pub fn accounts() -> Vec<CompletionCandidate> {
    let Some(known) = Known::load() else {
        return Vec::new();
    };
    let mut candidates = Vec::new();
    for account in &known.accounts {
        let backend = account.backend.map(|b| b.to_string());
        let about = |other: &str| match &backend {
            Some(backend) => format!("{other} ({backend})"),
            None => other.to_string(),
        };
        if let Some(label) = &account.label {
            candidates.push(CompletionCandidate::new(label).help(Some(about(&account.id).into())));
        }
        let id_about = account
            .label
            .as_deref()
            .map_or_else(|| backend.clone().unwrap_or_default(), about);
        candidates.push(
            CompletionCandidate::new(&account.id)
                .help((!id_about.is_empty()).then(|| id_about.into()))
                // Labels first: they are what people type.
                .display_order(Some(1)),
        );
    }
    candidates
}

/// `--role` of `run-as` (and the role of `aws ... assume`): the roles known for the account
/// on the command line (`--account`, else `$P0_AWS_ACCOUNT`), else for every account.
pub fn roles() -> Vec<CompletionCandidate> {
    roles_of(None)
}

/// `p0 aws role assume <TAB>`: Okta SAML accounts' roles only.
pub fn okta_roles() -> Vec<CompletionCandidate> {
    roles_of(Some(Backend::OktaSaml))
}

/// `p0 aws permission-set assume <TAB>`: Identity Center accounts' permission sets only.
pub fn permission_sets() -> Vec<CompletionCandidate> {
    roles_of(Some(Backend::IdentityCenter))
}

fn roles_of(family: Option<Backend>) -> Vec<CompletionCandidate> {
    let Some(known) = Known::load() else {
        return Vec::new();
    };
    let typed = account_on_command_line(std::env::args_os())
        .or_else(|| env::get(env::read::P0_AWS_ACCOUNT));
    let wanted = typed.map(|typed| known.account_id(&typed));
    let of_family = |id: &str| {
        family.is_none_or(|family| {
            known
                .accounts
                .iter()
                .find(|a| a.id == id)
                .is_none_or(|a| a.backend == Some(family))
        })
    };
    let mut names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, roles) in &known.roles {
        if wanted.as_ref().is_some_and(|w| w != id) || !of_family(id) {
            continue;
        }
        for role in roles {
            names.entry(role.as_str()).or_default().push(id.as_str());
        }
    }
    names
        .into_iter()
        .map(|(role, ids)| {
            let shown: Vec<&str> = ids
                .iter()
                .map(|id| {
                    known
                        .accounts
                        .iter()
                        .find(|a| a.id == *id)
                        .and_then(|a| a.label.as_deref())
                        .unwrap_or(id)
                })
                .collect();
            CompletionCandidate::new(role).help(Some(shown.join(", ").into()))
        })
        .collect()
}

/// The `--account` value among the words being completed. In clap_complete's protocol the
/// process's arguments are `COMPLETER -- p0 WORDS...`; a run-as command after its own `--`
/// is not looked into.
fn account_on_command_line(args: impl IntoIterator<Item = OsString>) -> Option<String> {
    let words: Vec<String> = args
        .into_iter()
        .skip_while(|a| a != "--")
        .skip(1)
        .take_while(|a| a != "--")
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut found = None;
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if word == "--account" {
            found = words.next().filter(|v| !v.is_empty()).cloned();
        } else if let Some(value) = word.strip_prefix("--account=") {
            found = Some(value.to_string()).filter(|v| !v.is_empty());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn the_account_is_read_from_the_words_being_completed() {
        let found = |line| account_on_command_line(words(line));
        assert_eq!(
            found("p0 -- p0 run-as --account prod --role ").as_deref(),
            Some("prod")
        );
        assert_eq!(
            found("p0 -- p0 aws --account=dev permission-set assume ").as_deref(),
            Some("dev")
        );
        assert_eq!(found("p0 -- p0 run-as --role "), None);
        // The account being typed right now is no filter yet.
        assert_eq!(found("p0 -- p0 run-as --account "), None);
        // Words of the command run-as runs are not p0's.
        assert_eq!(found("p0 -- p0 run-as --role A -- tool --account x"), None);
        // Outside the completion protocol there is nothing to read.
        assert_eq!(found("p0 run-as --account prod"), None);
    }
}
