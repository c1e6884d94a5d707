//! Temporary AWS credentials: the one entry point that gets them (`obtain`, used by `p0 aws`
//! and `p0 run-as`), the on-disk cache every `p0` process shares (`cache`) and its locks (`lock`).

pub mod cache;

use crate::accounts::{self, Backend, BackendKind, ResolvedAccount};
use crate::backends::{idc, okta_saml};
use crate::error::{Error, Result};
use crate::p0::{self, P0Client};
use crate::secret::Secret;
use crate::state::StateDir;
use cache::{Cache, CacheKey};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::SystemTime;
use time::OffsetDateTime;

/// A set of temporary AWS credentials. The secret parts redact themselves in logs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
    pub session_token: Secret<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expiration: OffsetDateTime,
}

impl AwsCredentials {
    /// Time left before these credentials expire (negative once expired).
    pub fn remaining(&self) -> time::Duration {
        self.expiration - OffsetDateTime::now_utc()
    }

    /// The expiration as ISO 8601 UTC to the second (`2026-11-22T13:26:06Z`), the form
    /// `AWS_CREDENTIAL_EXPIRATION` and the container endpoint use.
    pub fn expiration_rfc3339(&self) -> String {
        let seconds = self
            .expiration
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .expect("zero nanoseconds are valid");
        seconds
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a UTC time formats as RFC 3339")
    }
}

/// What a command wants credentials for.
#[derive(Debug, Clone, Default)]
pub struct Want {
    /// `--account` or `P0_AWS_ACCOUNT` as typed (id or label); `None` when only one account
    /// is installed.
    pub account: Option<String>,
    /// The role (Okta SAML) or permission set (Identity Center).
    pub role: String,
    /// Sent with the P0 request.
    pub reason: Option<String>,
    /// Make the P0 request on a cache miss (`--no-request` clears it). Identity Center accounts
    /// always request (§3.5).
    pub request: bool,
    /// Which cached credentials will do.
    pub reuse: Reuse,
    /// DurationSeconds for STS (Okta SAML only).
    pub duration: Option<i32>,
    /// The family the command is for (`role assume` or `permission-set assume`); `None` lets
    /// the account decide (`p0 run-as`).
    pub family: Option<BackendKind>,
}

/// Credentials for `want`, from the shared cache when valid, else fetched once for every `p0`
/// process asking at the same time.
///
/// Order: local identity (org) -> account resolved (local copy of the account config, else
/// P0) -> credential cache (valid: returned with no network call at all, not even to P0) ->
/// the per-key lock, and the cache again (another process may have just fetched) -> the P0
/// request -> the backend -> the cache.
pub async fn obtain(want: &Want) -> Result<(ResolvedAccount, AwsCredentials)> {
    let state = StateDir::from_env()?;
    let org = p0::stored_org(&state).ok_or(Error::NotLoggedIn)?;
    let cache = Cache::new(&state);

    let mut client = None;
    let account = match accounts::local_config(&cache, &org)
        .and_then(|config| config.resolve(want.account.as_deref(), want.family).ok())
    {
        Some(account) => account,
        None => {
            let connected = P0Client::connect().await?;
            let account = accounts::fetch_config(&connected, &cache, &org)
                .await?
                .resolve(want.account.as_deref(), want.family)?;
            client = Some(connected);
            account
        }
    };

    let key = credential_key(&org, &account, &want.role);
    let credentials = single_flight(
        &cache,
        &key,
        account.id(),
        &want.role,
        want.reuse,
        || async {
            let client = match client {
                Some(client) => client,
                None => P0Client::connect().await?,
            };
            fetch(&cache, &client, &account, want).await
        },
    )
    .await?;
    Ok((account, credentials))
}

/// When cached credentials may be reused.
#[derive(Debug, Clone, Copy)]
pub struct Reuse {
    /// Only credentials stored after the request began count (`--refresh-credentials`).
    pub force_refresh: bool,
    pub min_lifetime: time::Duration,
}

impl Reuse {
    /// Reuse cached credentials with the configured minimum lifetime left
    /// (`P0_MIN_CREDENTIAL_LIFETIME`, else 5 minutes), unless `force_refresh`.
    pub fn configured(force_refresh: bool) -> Reuse {
        Reuse {
            force_refresh,
            min_lifetime: cache::default_min_lifetime(),
        }
    }

    /// For renewing `held`: only cached credentials that outlive it will do (another process's
    /// renewal qualifies, the entry `held` came from does not), and never less than the
    /// configured minimum, even when `held` has already expired.
    pub fn to_replace(held: &AwsCredentials) -> Reuse {
        let configured = Reuse::configured(false);
        Reuse {
            min_lifetime: configured
                .min_lifetime
                .max(held.remaining() + time::Duration::seconds(1)),
            ..configured
        }
    }
}

impl Default for Reuse {
    fn default() -> Reuse {
        Reuse::configured(false)
    }
}

/// The cache, else one fetch shared by every process asking for `key` at the same time: the
/// cache is read, the per-key lock taken, the cache read again (whoever held the lock may have
/// just fetched exactly this), and only then `fetch` runs and its result is stored.
pub async fn single_flight<F, Fut>(
    cache: &Cache,
    key: &CacheKey,
    account_id: &str,
    role: &str,
    reuse: Reuse,
    fetch: F,
) -> Result<AwsCredentials>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AwsCredentials>>,
{
    let started = SystemTime::now();
    let cached = || cache.credentials(key, account_id, role, reuse.min_lifetime);
    if !reuse.force_refresh {
        if let Some(credentials) = cached() {
            tracing::debug!("using cached credentials {}", key.file_stem());
            return Ok(credentials);
        }
    }
    let _lock = cache.lock(key).await?;
    if !reuse.force_refresh || cache.written_since(key, started) {
        if let Some(credentials) = cached() {
            tracing::debug!("another p0 process fetched {}", key.file_stem());
            return Ok(credentials);
        }
    }
    let credentials = fetch().await?;
    cache.store_credentials(key, account_id, role, &credentials)?;
    Ok(credentials)
}

/// A cache miss: the P0 request (when asked for; always for Identity Center, §3.5), then
/// the account's backend.
async fn fetch(
    cache: &Cache,
    client: &P0Client,
    account: &ResolvedAccount,
    want: &Want,
) -> Result<AwsCredentials> {
    match account.backend() {
        Backend::OktaSaml {
            app_id,
            identity_provider,
        } => {
            let just_granted = want.request && request(client, want, BackendKind::OktaSaml).await?;
            let target = okta_saml::SamlTarget {
                app_id,
                identity_provider,
                account_id: account.id(),
                role: &want.role,
                duration: want.duration,
            };
            let okta = client.okta()?;
            let result = okta_saml::credentials(&okta, &target, just_granted).await;
            match result {
                // Okta ended the session early. With someone at the terminal, sign in again
                // (or take another process's fresh login) and try once more, as P0's CLI
                // would have the user re-run the command.
                Err(Error::OktaSessionExpired) if crate::terminal::human_present() => {
                    let renewed = client.renew_okta(&okta).await?;
                    okta_saml::credentials(&renewed, &target, just_granted).await
                }
                Err(Error::OktaSessionExpired) => {
                    client.forget_okta(&okta).await?;
                    result
                }
                _ => result,
            }
        }
        Backend::Idc {
            region,
            identity_store_id,
        } => {
            let instance = idc::IdcInstance::for_identity_store(identity_store_id, region);
            // Before the request: a script must not leave behind a request it cannot use.
            idc::check_sign_in_possible(cache, &instance)?;
            request(client, want, BackendKind::Idc).await?;
            idc::fetch_role_credentials(cache, &instance, account.id(), &want.role, false).await
        }
    }
}

/// Makes the P0 request and waits for it; whether it granted access just now.
async fn request(client: &P0Client, want: &Want, kind: BackendKind) -> Result<bool> {
    let grant = client.request_access(request_args(want, kind)).await?;
    tracing::debug!(
        "P0 request {}: newly granted: {}",
        grant.request_id.as_deref().unwrap_or("(existing access)"),
        grant.newly_granted
    );
    Ok(grant.newly_granted)
}

/// The cache entry of one org, backend, account and role.
fn credential_key(org: &str, account: &ResolvedAccount, role: &str) -> CacheKey {
    CacheKey::new(&[
        "aws",
        account.backend().kind().key(),
        org,
        account.id(),
        role,
    ])
}

/// The words after `request` in P0's argv (§3.5): the account exactly as the user typed it.
fn request_args(want: &Want, kind: BackendKind) -> Vec<String> {
    let mut argv: Vec<String> = vec!["aws".into(), kind.request_word().into(), want.role.clone()];
    if let Some(reason) = &want.reason {
        argv.extend(["--reason".into(), reason.clone()]);
    }
    if let Some(account) = &want.account {
        argv.extend(["--account".into(), account.clone()]);
    }
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_args_match_the_protocol() {
        let want = Want {
            account: Some("prod".into()),
            role: "p0-grants/ReadOnly".into(),
            reason: Some("deploy the thing".into()),
            ..Want::default()
        };
        assert_eq!(
            request_args(&want, BackendKind::OktaSaml),
            [
                "aws",
                "role",
                "p0-grants/ReadOnly",
                "--reason",
                "deploy the thing",
                "--account",
                "prod"
            ]
        );
        let bare = Want {
            role: "Developer".into(),
            ..Want::default()
        };
        assert_eq!(
            request_args(&bare, BackendKind::Idc),
            ["aws", "permission-set", "Developer"]
        );
    }

    fn fresh_credentials(id: &str) -> AwsCredentials {
        AwsCredentials {
            access_key_id: id.into(),
            secret_access_key: Secret::new("s".into()),
            session_token: Secret::new("t".into()),
            expiration: OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn single_flight_fetches_once_for_concurrent_callers_and_reuses_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""));
        let key = CacheKey::new(&["aws", "idc", "acme", "1", "Dev"]);
        let fetches = std::sync::atomic::AtomicU32::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            Ok(fresh_credentials(&format!("ASIA{n}")))
        };
        let (a, b) = tokio::join!(
            single_flight(&cache, &key, "1", "Dev", Reuse::configured(false), fetch),
            single_flight(&cache, &key, "1", "Dev", Reuse::configured(false), fetch),
        );
        assert_eq!(a.unwrap().access_key_id, b.unwrap().access_key_id);
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);

        let cached = single_flight(&cache, &key, "1", "Dev", Reuse::configured(false), fetch).await;
        assert_eq!(cached.unwrap().access_key_id, "ASIA0");
        let forced = single_flight(&cache, &key, "1", "Dev", Reuse::configured(true), fetch).await;
        assert_eq!(forced.unwrap().access_key_id, "ASIA1");
        let failed = single_flight(
            &cache,
            &key,
            "1",
            "Dev",
            Reuse::configured(true),
            || async { Err(Error::IdcTimedOut) },
        )
        .await;
        assert!(matches!(failed, Err(Error::IdcTimedOut)));
        // A failed fetch leaves the last good entry alone.
        let cached = single_flight(&cache, &key, "1", "Dev", Reuse::configured(false), fetch).await;
        assert_eq!(cached.unwrap().access_key_id, "ASIA1");
    }

    #[test]
    fn a_renewal_wants_credentials_that_outlive_the_held_ones() {
        let held = fresh_credentials("ASIA");
        assert!(Reuse::to_replace(&held).min_lifetime > held.remaining());
        // Held credentials that expired (a laptop asleep) must not let expired ones through.
        let expired = AwsCredentials {
            expiration: OffsetDateTime::now_utc() - time::Duration::hours(2),
            ..held
        };
        let reuse = Reuse::to_replace(&expired);
        assert_eq!(reuse.min_lifetime, cache::default_min_lifetime());
        assert!(!reuse.force_refresh);
    }

    #[test]
    fn expiration_is_shown_to_the_second_in_utc() {
        let credentials = AwsCredentials {
            access_key_id: "A".into(),
            secret_access_key: Secret::new("s".into()),
            session_token: Secret::new("t".into()),
            expiration: time::macros::datetime!(2026-11-22 14:26:06.868841 +01:00),
        };
        assert_eq!(credentials.expiration_rfc3339(), "2026-11-22T13:26:06Z");
    }
}
