//! The org's AWS accounts (protocol §4): `GET /o/{org}/integrations/aws/config`, a small local
//! copy of it so a warm run resolves `--account prod` with no network call, and resolution of
//! `--account` / `P0_AWS_ACCOUNT` with P0's own messages.
//!
//! Unlike P0's CLI, which lets the first installed account decide whether `role assume` or
//! `permission-set assume` exists, the backend is chosen per resolved account, so an org that
//! mixes Okta SAML and Identity Center accounts works for both.

use crate::backend::{Backend, Families};
use crate::cache::key::Entry;
use crate::cache::{Cache, CacheKey, EntryVersion};
use crate::error::{Error, Result};
use crate::p0::P0Client;
use crate::state::StateDir;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// A local copy of the config older than this is fetched again before use.
const LOCAL_COPY_MAX_AGE: time::Duration = time::Duration::hours(12);
/// A cold run (credentials not cached, so P0 is asked anyway) with a copy older than this
/// fetches the config again first (`Plan::through_p0`).
pub const COLD_RUN_CONFIG_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// How users log in to an account: the backend and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountLogin {
    /// The partition (aws, aws-us-gov, aws-cn or aws-eusc) is taken from the SAML assertion's role ARNs (§5.4).
    OktaSaml {
        app_id: String,
        identity_provider: String,
    },
    IdentityCenter {
        region: String,
        identity_store_id: String,
    },
}

impl AccountLogin {
    pub fn backend(&self) -> Backend {
        match self {
            AccountLogin::OktaSaml { .. } => Backend::OktaSaml,
            AccountLogin::IdentityCenter { .. } => Backend::IdentityCenter,
        }
    }
}

/// An installed account that `--account` resolved to, with a backend `p0` can use. Only
/// resolution constructs one, so a provider never sees an account that was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAccount {
    id: String,
    label: Option<String>,
    login: AccountLogin,
}

impl ResolvedAccount {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn login(&self) -> &AccountLogin {
        &self.login
    }

    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
}

#[derive(Debug, Clone)]
struct Item {
    id: String,
    label: Option<String>,
    /// `None` for `iam`, a federated provider other than Okta SAML, or anything newer than
    /// this client.
    login: Option<AccountLogin>,
}

impl Item {
    fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id)
    }
}

/// The installed accounts of an org, sorted by id (§4).
#[derive(Debug, Clone)]
pub struct AwsConfig {
    installed: Vec<Item>,
}

impl AwsConfig {
    /// Reads the body of `GET /o/{org}/integrations/aws/config`. Items this client cannot
    /// understand are kept as unusable rather than failing the whole config.
    pub fn from_response(body: &Value) -> AwsConfig {
        let empty = Map::new();
        let items = body
            .pointer("/config/iam-write")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut installed: Vec<Item> = items
            .iter()
            .filter(|(_, item)| item.get("state").and_then(Value::as_str) == Some("installed"))
            .map(|(id, item)| Item {
                id: id.clone(),
                label: item
                    .get("label")
                    .and_then(Value::as_str)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
                login: login_of(item.get("login").unwrap_or(&Value::Null)),
            })
            .collect();
        installed.sort_by(|a, b| a.id.cmp(&b.id));
        AwsConfig { installed }
    }

    /// Which families the org's installed accounts use.
    pub fn families(&self) -> Families {
        self.installed
            .iter()
            .filter_map(|i| i.login.as_ref().map(AccountLogin::backend))
            .collect()
    }

    /// Resolves `wanted` (an id or label; `None` when only one account is installed) to an
    /// account whose backend `p0` can use, of the `family` asked for if any.
    pub fn resolve(
        &self,
        wanted: Option<&str>,
        family: Option<Backend>,
    ) -> Result<ResolvedAccount> {
        if self.installed.is_empty() {
            return Err(Error::AwsNotInstalled);
        }
        let item = match wanted {
            Some(wanted) => self
                .installed
                .iter()
                .find(|i| i.id == wanted || i.label.as_deref() == Some(wanted))
                .ok_or_else(|| Error::AwsAccountNotInstalled(wanted.to_string()))?,
            None => match self.installed.as_slice() {
                [only] => only,
                many => {
                    return Err(Error::AwsAccountAmbiguous(
                        many.iter().map(|i| i.display_name().to_string()).collect(),
                    ))
                }
            },
        };
        let Some(login) = item.login.clone() else {
            return Err(wrong_family(item, wanted, family));
        };
        if family.is_some_and(|f| f != login.backend()) {
            return Err(wrong_family(item, wanted, family));
        }
        Ok(ResolvedAccount {
            id: item.id.clone(),
            label: item.label.clone(),
            login,
        })
    }
}

/// §4's wrong-login-type texts. Without an explicit family (`p0 run-as`), an account with no
/// usable backend gets the Okta text, the family P0 falls back to.
fn wrong_family(item: &Item, wanted: Option<&str>, family: Option<Backend>) -> Error {
    match family {
        Some(Backend::IdentityCenter) => {
            Error::NotIdc(wanted.unwrap_or(item.display_name()).to_string())
        }
        _ => Error::NotOktaSaml(item.display_name().to_string()),
    }
}

fn login_of(login: &Value) -> Option<AccountLogin> {
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match login.get("type").and_then(Value::as_str) {
        Some("federated") => {
            let provider = login.get("provider").unwrap_or(&Value::Null);
            let is_okta = provider.get("type").and_then(Value::as_str) == Some("okta");
            let method = provider
                .pointer("/method/type")
                .and_then(Value::as_str)
                .unwrap_or("saml");
            match (
                is_okta && method == "saml",
                text(provider, "appId"),
                text(provider, "identityProvider"),
            ) {
                (true, Some(app_id), Some(identity_provider)) => Some(AccountLogin::OktaSaml {
                    app_id,
                    identity_provider,
                }),
                _ => None,
            }
        }
        Some("idc") => match (text(login, "idcRegion"), text(login, "identityStoreId")) {
            (Some(region), Some(identity_store_id)) => Some(AccountLogin::IdentityCenter {
                region,
                identity_store_id,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The local copy of an org's config, as fetched.
#[derive(Debug, Serialize, Deserialize)]
struct LocalCopy {
    /// Epoch seconds.
    fetched_at: i64,
    body: Value,
}

fn local_copy_key(org: &str) -> CacheKey {
    Entry::AccountConfig { org: org.into() }.key()
}

/// The org's config from the local copy, when there is one young enough. Every warm run
/// reads it: its age is checked before the body is parsed, and the body is read into the few
/// fields an account needs (`typed`), not into a JSON tree, unless it has a shape that reading
/// cannot take (then [`AwsConfig::from_response`] decides, as for a fetched body).
/// `Error::UnsafeState` when the copy cannot be trusted.
pub fn local_config(cache: &Cache, org: &str) -> Result<Option<AwsConfig>> {
    Ok(local_config_aged(cache, org)?.map(|(config, _)| config))
}

/// [`local_config`] with the copy's age, from the one read (the plan's offline pass decides
/// with it whether a cold run fetches the config again).
pub fn local_config_aged(
    cache: &Cache,
    org: &str,
) -> Result<Option<(AwsConfig, std::time::Duration)>> {
    #[derive(Deserialize)]
    struct Copy<'a> {
        fetched_at: i64,
        #[serde(borrow)]
        body: &'a serde_json::value::RawValue,
    }
    let Some(bytes) = cache.read_bytes(&local_copy_key(org))? else {
        return Ok(None);
    };
    let Ok(copy) = serde_json::from_slice::<Copy>(&bytes) else {
        return Ok(None);
    };
    // Saturating: a hand-edited `fetched_at` far in the past or future is just not young
    // (RELIABILITY.md `Z6`: `i64::MIN` overflowed, a panic in a debug build).
    let age = OffsetDateTime::now_utc()
        .unix_timestamp()
        .saturating_sub(copy.fetched_at);
    if !(0..LOCAL_COPY_MAX_AGE.whole_seconds()).contains(&age) {
        return Ok(None);
    }
    let body = copy.body.get();
    let config = typed::config(body).or_else(|| {
        let value: Value = serde_json::from_str(body).ok()?;
        Some(AwsConfig::from_response(&value))
    });
    let age = std::time::Duration::from_secs(age.unsigned_abs());
    Ok(config.map(|config| (config, age)))
}

/// A config body read straight into the fields [`AwsConfig::from_response`] looks at. `None`
/// when a field has another type than a well-formed answer gives it: the caller then reads it
/// as a tree, whose rules are the reference (a test compares the two).
mod typed {
    use super::{AccountLogin, AwsConfig, Item};
    use serde::Deserialize;
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    type Text<'a> = Option<Cow<'a, str>>;

    #[derive(Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        config: Option<Config<'a>>,
    }

    #[derive(Deserialize)]
    struct Config<'a> {
        #[serde(rename = "iam-write", borrow)]
        iam_write: Option<BTreeMap<Cow<'a, str>, RawItem<'a>>>,
    }

    #[derive(Deserialize)]
    struct RawItem<'a> {
        #[serde(borrow)]
        state: Text<'a>,
        #[serde(borrow)]
        label: Text<'a>,
        #[serde(borrow)]
        login: Option<Login<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Login<'a> {
        #[serde(rename = "type", borrow)]
        kind: Text<'a>,
        #[serde(borrow)]
        provider: Option<Provider<'a>>,
        #[serde(borrow)]
        idc_region: Text<'a>,
        #[serde(borrow)]
        identity_store_id: Text<'a>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Provider<'a> {
        #[serde(rename = "type", borrow)]
        kind: Text<'a>,
        #[serde(borrow)]
        app_id: Text<'a>,
        #[serde(borrow)]
        identity_provider: Text<'a>,
        #[serde(borrow)]
        method: Option<Method<'a>>,
    }

    #[derive(Deserialize)]
    struct Method<'a> {
        #[serde(rename = "type", borrow)]
        kind: Text<'a>,
    }

    fn non_empty(text: &Text<'_>) -> Option<String> {
        text.as_deref()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn login_of(login: &Login<'_>) -> Option<AccountLogin> {
        match login.kind.as_deref() {
            Some("federated") => {
                let provider = login.provider.as_ref()?;
                let method = provider
                    .method
                    .as_ref()
                    .and_then(|m| m.kind.as_deref())
                    .unwrap_or("saml");
                if provider.kind.as_deref() != Some("okta") || method != "saml" {
                    return None;
                }
                Some(AccountLogin::OktaSaml {
                    app_id: non_empty(&provider.app_id)?,
                    identity_provider: non_empty(&provider.identity_provider)?,
                })
            }
            Some("idc") => Some(AccountLogin::IdentityCenter {
                region: non_empty(&login.idc_region)?,
                identity_store_id: non_empty(&login.identity_store_id)?,
            }),
            _ => None,
        }
    }

    pub(super) fn config(body: &str) -> Option<AwsConfig> {
        let body: Body = serde_json::from_str(body).ok()?;
        let items = body.config.and_then(|c| c.iam_write).unwrap_or_default();
        // A BTreeMap is sorted by id, as `from_response` sorts.
        let installed = items
            .into_iter()
            .filter(|(_, item)| item.state.as_deref() == Some("installed"))
            .map(|(id, item)| Item {
                id: id.into_owned(),
                label: non_empty(&item.label),
                login: item.login.as_ref().and_then(login_of),
            })
            .collect();
        Some(AwsConfig { installed })
    }
}

/// Which write of `org`'s local copy is on disk (see [`Cache::version`]).
pub fn local_copy_version(cache: &Cache, org: &str) -> Option<EntryVersion> {
    cache.version(&local_copy_key(org))
}

/// Keeps `body` (a config just fetched) as the org's local copy.
pub fn store_local_config(cache: &Cache, org: &str, body: &Value) -> Result<()> {
    let copy = LocalCopy {
        fetched_at: OffsetDateTime::now_utc().unix_timestamp(),
        body: body.clone(),
    };
    cache.write(&local_copy_key(org), &copy)
}

/// The org's account config from P0 for a local copy that did not know the account: fetched
/// once for every `p0` process asking at the same time (a `make -j16` burst makes one call,
/// not sixteen). `seen` is the version of the copy the caller found wanting (read before it
/// read the copy): under the copy's lock, a copy another process wrote since is used instead
/// of fetching again, as P0's answer of a moment ago.
pub async fn fetch_config_once(
    ctx: &crate::context::Context,
    p0: &crate::p0::P0Connection,
    org: &str,
    seen: Option<EntryVersion>,
) -> Result<AwsConfig> {
    let cache = ctx.cache();
    let key = local_copy_key(org);
    let _lock = cache.lock(&key).await?;
    if cache.version(&key).is_some_and(|now| Some(now) != seen) {
        if let Some(config) = local_config(&cache, org)? {
            tracing::debug!("another p0 process fetched the account config");
            return Ok(config);
        }
    }
    fetch_config(p0.client(ctx).await?, &cache, org).await
}

/// Fetches the org's account config from P0 and keeps a local copy of it.
pub async fn fetch_config(client: &P0Client, cache: &Cache, org: &str) -> Result<AwsConfig> {
    let body: Value = client.get_json("integrations/aws/config").await?;
    if let Err(e) = store_local_config(cache, org, &body) {
        tracing::debug!("could not keep a local copy of the AWS config: {e}");
    }
    Ok(AwsConfig::from_response(&body))
}

/// The families of the logged-in org's accounts, from local files only (for `p0 aws --help`,
/// which must never wait on the network): `None` when nothing is known locally.
pub fn cached_families(state: &StateDir) -> Option<Families> {
    let org = crate::p0::stored_org(state).ok()??;
    let cache = Cache::new(state, std::time::Duration::ZERO);
    let copy: LocalCopy = cache.read(&local_copy_key(&org)).ok()??;
    Some(AwsConfig::from_response(&copy.body).families())
}

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
    let Ok(Some(copy)) = cache.read::<LocalCopy>(&local_copy_key(org)) else {
        return Vec::new();
    };
    AwsConfig::from_response(&copy.body)
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
                    body,
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

    fn mixed_org() -> AwsConfig {
        AwsConfig::from_response(&json!({"config": {"iam-write": {
            "210987654321": {"label": "dev", "state": "installed",
                "login": {"type": "idc", "parent": "o-1", "idcArn": "arn:aws:sso:::instance/ssoins-1",
                          "idcRegion": "us-west-2", "identityStoreId": "d-1234567890"}},
            "123456789012": {"label": "prod", "state": "installed",
                "login": {"type": "federated", "provider": {"type": "okta", "appId": "0oa-aws-prod",
                          "identityProvider": "OktaP0", "method": {"type": "saml"}}}},
            "333333333333": {"state": "installed",
                "login": {"type": "iam", "identity": {"type": "email"}}},
            "444444444444": {"label": "pending", "state": "pending",
                "login": {"type": "idc", "idcRegion": "us-east-1", "identityStoreId": "d-4"}}
        }}}))
    }

    #[test]
    fn resolves_by_id_or_label_and_picks_the_backend_per_account() {
        let config = mixed_org();
        let prod = config.resolve(Some("prod"), None).unwrap();
        assert_eq!(prod, config.resolve(Some("123456789012"), None).unwrap());
        assert_eq!(prod.id(), "123456789012");
        assert_eq!(
            prod.login(),
            &AccountLogin::OktaSaml {
                app_id: "0oa-aws-prod".into(),
                identity_provider: "OktaP0".into()
            }
        );
        let dev = config
            .resolve(Some("dev"), Some(Backend::IdentityCenter))
            .unwrap();
        assert_eq!(
            dev.login(),
            &AccountLogin::IdentityCenter {
                region: "us-west-2".into(),
                identity_store_id: "d-1234567890".into()
            }
        );
        assert_eq!(config.families(), Families::from_iter(Backend::ALL));
    }

    #[test]
    fn protocol_messages_for_unknown_ambiguous_and_missing() {
        let config = mixed_org();
        assert_eq!(
            config
                .resolve(Some("staging"), None)
                .unwrap_err()
                .to_string(),
            "P0 is not installed on AWS account staging"
        );
        // Not installed counts as unknown.
        assert_eq!(
            config
                .resolve(Some("pending"), None)
                .unwrap_err()
                .to_string(),
            "P0 is not installed on AWS account pending"
        );
        assert_eq!(
            config.resolve(None, None).unwrap_err().to_string(),
            "Please select a unique AWS account with --account; valid accounts are:\nprod\ndev\n333333333333"
        );
        let none = AwsConfig::from_response(&json!({"config": {"iam-write": {}}}));
        assert_eq!(
            none.resolve(Some("prod"), None).unwrap_err().to_string(),
            "P0 is not installed on any AWS account"
        );
        assert_eq!(none.families(), Families::default());
    }

    #[test]
    fn the_only_account_needs_no_flag() {
        let config = AwsConfig::from_response(&json!({"config": {"iam-write": {
            "123456789012": {"state": "installed", "login": {"type": "federated",
                "provider": {"type": "okta", "appId": "a", "identityProvider": "p"}}}}}}));
        assert_eq!(config.resolve(None, None).unwrap().id(), "123456789012");
        assert_eq!(config.families(), Families::from_iter([Backend::OktaSaml]));
    }

    #[test]
    fn wrong_family_texts() {
        let config = mixed_org();
        assert_eq!(
            config
                .resolve(Some("210987654321"), Some(Backend::OktaSaml))
                .unwrap_err()
                .to_string(),
            "Account dev is not configured for Okta SAML login."
        );
        assert_eq!(
            config
                .resolve(Some("prod"), Some(Backend::IdentityCenter))
                .unwrap_err()
                .to_string(),
            "Unexpected login type. Expected IDC to be enabled for account prod"
        );
        assert_eq!(
            config
                .resolve(Some("333333333333"), None)
                .unwrap_err()
                .to_string(),
            "Account 333333333333 is not configured for Okta SAML login."
        );
    }

    #[test]
    fn help_families_come_from_local_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path(), "");
        assert_eq!(cached_families(&state), None, "not logged in");
        // An identity as P0's CLI writes it (§2.4): only the org slug is read.
        let identity = json!({
            "credential": {"access_token": "at", "id_token": "it", "expires_at": 1.0},
            "org": {"tenantId": "t", "auth": {"type": "sso"}, "slug": "acme"}
        });
        crate::state::write_private(&state.identity_path(), identity.to_string().as_bytes())
            .unwrap();
        assert_eq!(cached_families(&state), None, "no local copy yet");
        let body = json!({"config": {"iam-write": {"1": {"state": "installed",
            "login": {"type": "idc", "idcRegion": "r", "identityStoreId": "d"}}}}});
        store_local_config(
            &Cache::new(&state, std::time::Duration::ZERO),
            "acme",
            &body,
        )
        .unwrap();
        assert_eq!(
            cached_families(&state),
            Some(Families::from_iter([Backend::IdentityCenter]))
        );
    }

    /// The typed reading of a stored body gives what `from_response` gives, or defers to it.
    #[test]
    fn a_stored_config_reads_as_a_fetched_one() {
        let bodies = [
            json!({"config": {"iam-write": {
                "210987654321": {"label": "dev", "state": "installed",
                    "login": {"type": "idc", "parent": "o-1", "idcRegion": "us-west-2",
                              "identityStoreId": "d-1234567890"}},
                "123456789012": {"label": "pr\"od", "state": "installed",
                    "login": {"type": "federated", "provider": {"type": "okta",
                              "appId": "0oa", "identityProvider": "OktaP0",
                              "method": {"type": "saml"}}}},
                "1": {"state": "installed", "label": "", "login": {"type": "iam"}},
                "2": {"state": "installed", "login": {"type": "federated",
                      "provider": {"type": "okta", "appId": "a", "identityProvider": "p",
                                   "method": {"type": "oidc"}}}},
                "3": {"state": "installed", "login": {"type": "idc", "idcRegion": ""}},
                "4": {"state": "pending", "label": "later"},
                "5": {"state": "installed", "label": null, "extra": [1, {"x": 2}]}
            }}}),
            json!({"config": {}}),
            json!({}),
            json!({"config": {"iam-write": "not a map"}}),
            json!({"config": {"iam-write": {"1": {"state": "installed", "label": 7}}}}),
        ];
        let shown = |config: &AwsConfig| format!("{:?}", config.installed);
        for (i, body) in bodies.iter().enumerate() {
            let reference = AwsConfig::from_response(body);
            let typed = typed::config(&body.to_string());
            // The first three are well-formed answers; the others are left to the tree.
            assert_eq!(typed.is_some(), i < 3, "{body}");
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache::new(&StateDir::at(dir.path(), ""), std::time::Duration::ZERO);
            store_local_config(&cache, "acme", body).unwrap();
            let local = local_config(&cache, "acme").unwrap().unwrap();
            assert_eq!(shown(&local), shown(&reference), "{body}");
        }
    }

    #[test]
    fn local_copy_round_trips_and_ages_out() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""), std::time::Duration::ZERO);
        assert!(local_config(&cache, "acme").unwrap().is_none());
        let body = json!({"config": {"iam-write": {"1": {"state": "installed",
            "login": {"type": "idc", "idcRegion": "r", "identityStoreId": "d"}}}}});
        store_local_config(&cache, "acme", &body).unwrap();
        assert_eq!(
            local_config(&cache, "acme").unwrap().unwrap().families(),
            Families::from_iter([Backend::IdentityCenter])
        );
        assert!(local_config(&cache, "other").unwrap().is_none());
        cache
            .write(
                &local_copy_key("acme"),
                &LocalCopy {
                    fetched_at: 0,
                    body,
                },
            )
            .unwrap();
        assert!(local_config(&cache, "acme").unwrap().is_none());
    }
}

/// The org's account config and its local copy, fuzzed (RELIABILITY.md `Z6`): any config
/// resolves to an account or an error, never a panic; any local copy is used or ignored.
/// Longer: `PROPTEST_CASES=100000 cargo test --release fuzz::`.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::fuzzing::config;
    use crate::p0::fuzz::json_value;
    use proptest::prelude::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    /// One `iam-write` item, built from the fields `from_response` reads, any of them wrong.
    fn item() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            Just(json!("")),
            Just(json!("x")),
            Just(json!("us-east-1")),
            json_value()
        ];
        (
            prop_oneof![Just(json!("installed")), Just(json!("stage")), json_value()],
            prop_oneof![Just(json!("Prod")), Just(json!("")), json_value()],
            prop_oneof![Just(json!("federated")), Just(json!("idc")), json_value()],
            prop_oneof![Just(json!("okta")), json_value()],
            prop_oneof![Just(json!("saml")), json_value()],
            text.clone(),
            text.clone(),
            text,
        )
            .prop_map(|(state, label, kind, provider, method, a, b, c)| {
                json!({
                    "state": state, "label": label,
                    "login": {
                        "type": kind, "idcRegion": a, "identityStoreId": b,
                        "provider": {"type": provider, "method": {"type": method},
                            "appId": b, "identityProvider": c},
                    },
                })
            })
    }

    fn body() -> impl Strategy<Value = Value> {
        prop_oneof![
            json_value(),
            prop::collection::vec(("[0-9]{1,12}|.{0,8}", item()), 0..8).prop_map(|items| {
                let items: Map<String, Value> = items.into_iter().collect();
                json!({"config": {"iam-write": items}})
            }),
        ]
    }

    fn families() -> impl Strategy<Value = Option<Backend>> {
        prop_oneof![
            Just(None),
            Just(Some(Backend::OktaSaml)),
            Just(Some(Backend::IdentityCenter))
        ]
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_config_resolves_or_refuses(
            body in body(),
            wanted in prop_oneof![Just(None), Just(Some("Prod".to_string())), "[0-9]{1,12}|.{0,8}".prop_map(Some)],
            family in families(),
        ) {
            let started = Instant::now();
            let config = AwsConfig::from_response(&body);
            let _ = config.families();
            if let (Ok(account), Some(family)) = (config.resolve(wanted.as_deref(), family), family) {
                prop_assert_eq!(account.login.backend(), family);
            }
            prop_assert!(started.elapsed() < Duration::from_secs(5));
        }

        #[test]
        fn any_local_copy_is_used_or_ignored(
            body in body(),
            fetched_at in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(0)],
            bytes in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let state = StateDir::at(dir.path().join(".p0"), "");
            let cache = Cache::new(&state, Duration::ZERO);
            let copy = serde_json::to_vec(&json!({"fetched_at": fetched_at, "body": body})).unwrap();
            for contents in [copy, bytes] {
                crate::state::write_private(&cache.path(&local_copy_key("acme")), &contents).unwrap();
                let _ = local_config(&cache, "acme").unwrap();
                let _ = known_accounts(&cache, "acme");
                let _ = known_roles(&cache, "acme");
            }
            // What p0 keeps reads back as the same config.
            store_local_config(&cache, "acme", &body).unwrap();
            let kept = local_config(&cache, "acme").unwrap().expect("just kept");
            prop_assert_eq!(format!("{kept:?}"), format!("{:?}", AwsConfig::from_response(&body)));
        }
    }
}
