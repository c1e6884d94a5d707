//! What local files know of an org's accounts, for showing and completing (`p0 status`,
//! `--account <TAB>`, `--role <TAB>`): the accounts of the local copy whatever its age, and the
//! roles seen for each account. Never used to fetch credentials; never asks the network.

use super::local_copy::read_local_copy;
use super::AccountLogin;
use crate::backend::Backend;
use crate::cache::key::Entry;
use crate::cache::{Cache, CacheKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An installed account as the local copy of the config knows it, for showing and completing
/// (`p0 status`, `--account <TAB>`): never used to fetch credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    pub id: String,
    pub label: Option<String>,
    /// `None` when `p0` cannot log in to it.
    pub backend: Option<Backend>,
}

/// The installed accounts of the local copy of `org`'s config, whatever its age (a copy too
/// old to resolve `--account` still names the accounts); empty without a copy.
pub fn known_accounts(cache: &Cache, org: &str) -> Vec<KnownAccount> {
    // Best effort (completion, status): an unreadable or refused copy names no accounts.
    let Ok(Some((_, config))) = read_local_copy(cache, org) else {
        return Vec::new();
    };
    config
        .installed
        .into_iter()
        .map(|item| KnownAccount {
            backend: item.login.as_ref().map(AccountLogin::backend),
            id: item.id,
            label: item.label,
        })
        .collect()
}

/// At most this many role names are remembered per account, and accounts in all.
const MAX_KNOWN_ROLES: usize = 500;
const MAX_KNOWN_ACCOUNTS: usize = 2000;
/// Role names longer than this are not remembered (IAM's limit with a path is 576).
const MAX_ROLE_NAME: usize = 1024;

/// The roles (Okta SAML) and permission sets (Identity Center) seen for each account, kept
/// beside the config copy: the config does not list them, and `--role <TAB>` must not ask the
/// network. Only names, never anything secret.
#[derive(Debug, Default, Serialize, Deserialize)]
struct KnownRoles {
    /// Account id -> role names.
    accounts: BTreeMap<String, BTreeSet<String>>,
}

fn known_roles_key(org: &str) -> CacheKey {
    Entry::KnownRoles { org: org.into() }.key()
}

/// Remembers that `org`'s accounts offer these `(account id, role)` pairs (from a SAML
/// assertion, a `p0 ls` answer, ...). Best effort: a failure to write is only logged, and two
/// processes writing at once may lose one's addition, which the next sighting restores.
pub fn remember_roles<'a>(
    cache: &Cache,
    org: &str,
    seen: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let key = known_roles_key(org);
    let mut known: KnownRoles = cache.read(&key).ok().flatten().unwrap_or_default();
    let mut changed = false;
    for (account, role) in seen {
        if account.is_empty() || role.is_empty() || role.len() > MAX_ROLE_NAME {
            continue;
        }
        if !known.accounts.contains_key(account) && known.accounts.len() >= MAX_KNOWN_ACCOUNTS {
            continue;
        }
        let roles = known.accounts.entry(account.to_string()).or_default();
        if roles.len() < MAX_KNOWN_ROLES && roles.insert(role.to_string()) {
            changed = true;
        }
    }
    if changed {
        if let Err(e) = cache.write(&key, &known) {
            tracing::debug!("could not remember the roles seen: {e}");
        }
    }
}

/// The roles remembered for each of `org`'s accounts (see [`remember_roles`]).
pub fn known_roles(cache: &Cache, org: &str) -> BTreeMap<String, BTreeSet<String>> {
    cache
        .read::<KnownRoles>(&known_roles_key(org))
        .ok()
        .flatten()
        .unwrap_or_default()
        .accounts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::local_copy::{local_copy_key, LocalCopy};
    use crate::state::StateDir;
    use serde_json::json;

    #[test]
    fn known_accounts_and_roles_come_from_local_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""), std::time::Duration::ZERO);
        assert!(known_accounts(&cache, "acme").is_empty());
        assert!(known_roles(&cache, "acme").is_empty());
        let body = json!({"config": {"iam-write": {
            "2": {"state": "installed", "label": "dev",
                  "login": {"type": "idc", "idcRegion": "r", "identityStoreId": "d"}},
            "1": {"state": "installed", "login": {"type": "iam"}},
            "3": {"state": "pending", "label": "later"}}}});
        // A copy too old to resolve accounts still names them.
        cache
            .write(
                &local_copy_key("acme"),
                &LocalCopy {
                    fetched_at: 0,
                    body: &body,
                },
            )
            .unwrap();
        assert_eq!(
            known_accounts(&cache, "acme"),
            [
                KnownAccount {
                    id: "1".into(),
                    label: None,
                    backend: None
                },
                KnownAccount {
                    id: "2".into(),
                    label: Some("dev".into()),
                    backend: Some(Backend::IdentityCenter)
                }
            ]
        );
        remember_roles(
            &cache,
            "acme",
            [("2", "Developer"), ("1", "Admin"), ("", "x")],
        );
        remember_roles(&cache, "acme", [("2", "ReadOnly"), ("2", "Developer")]);
        let roles = known_roles(&cache, "acme");
        assert_eq!(
            roles["2"].iter().collect::<Vec<_>>(),
            ["Developer", "ReadOnly"]
        );
        assert_eq!(roles.len(), 2);
        assert!(known_roles(&cache, "other").is_empty());
    }
}
