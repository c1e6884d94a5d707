//! Temporary AWS credentials: the one entry point that gets them (`obtain`, used by `p0 aws`
//! and `p0 run-as`), the on-disk cache every `p0` process shares (`cache`) and its locks (`lock`).

pub mod cache;
pub mod lock;

use crate::accounts::{self, AwsConfig, Backend, BackendKind, ResolvedAccount};
use crate::backends::{idc, okta_saml};
use crate::error::{Error, Result};
use crate::p0::{self, P0Client};
use crate::secret::Secret;
use crate::state::{self, StateDir};
use cache::{Cache, CacheKey};
use serde::{Deserialize, Serialize};
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
    /// Fetch new credentials even if cached ones are valid (`--refresh-credentials`).
    pub force_refresh: bool,
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
    let started = std::time::SystemTime::now();

    let mut client = None;
    let account = match accounts::local_config(&cache, &org)
        .and_then(|config| config.resolve(want.account.as_deref(), want.family).ok())
    {
        Some(account) => account,
        None => {
            let connected = P0Client::connect().await?;
            let account = fetch_config(&connected, &cache, &org)
                .await?
                .resolve(want.account.as_deref(), want.family)?;
            client = Some(connected);
            account
        }
    };

    let key = credential_key(&org, &account, &want.role);
    if !want.force_refresh {
        if let Some(credentials) = cache.credentials(&key, account.id(), &want.role) {
            tracing::debug!("using cached credentials for {}", key.file_stem());
            return Ok((account, credentials));
        }
    }
    let _lock = cache.lock(&key).await?;
    // Whoever held the lock may have fetched exactly this; with --refresh-credentials only
    // credentials fetched after this process started count.
    if !want.force_refresh || cache.written_since(&key, started) {
        if let Some(credentials) = cache.credentials(&key, account.id(), &want.role) {
            tracing::debug!("another p0 process fetched {}", key.file_stem());
            return Ok((account, credentials));
        }
    }

    let client = match client {
        Some(client) => client,
        None => P0Client::connect().await?,
    };
    let kind = account.backend().kind();
    let idc_instance = match account.backend() {
        Backend::Idc {
            region,
            identity_store_id,
        } => {
            let instance = idc::IdcInstance::for_identity_store(identity_store_id, region);
            idc::check_sign_in_possible(&cache, &instance)?;
            Some(instance)
        }
        Backend::OktaSaml { .. } => None,
    };
    let just_granted = if want.request || kind == BackendKind::Idc {
        client
            .request_access(request_args(want, kind))
            .await?
            .newly_granted
    } else {
        false
    };
    let credentials = match account.backend() {
        Backend::OktaSaml {
            app_id,
            identity_provider,
        } => {
            let target = okta_saml::SamlTarget {
                app_id,
                identity_provider,
                account_id: account.id(),
                role: &want.role,
                duration: want.duration,
            };
            let result = okta_saml::credentials(&client.okta()?, &target, just_granted).await;
            if let Err(Error::OktaSessionExpired) = result {
                // The stored session is useless now: the next command signs in afresh.
                state::remove_if_exists(&state.identity_path())?;
            }
            result?
        }
        Backend::Idc { .. } => {
            let instance = idc_instance.expect("set for Identity Center accounts above");
            idc::fetch_role_credentials(&cache, &instance, account.id(), &want.role, false).await?
        }
    };
    cache.store_credentials(&key, account.id(), &want.role, &credentials)?;
    Ok((account, credentials))
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

/// Fetches the org's account config from P0 and keeps a local copy.
async fn fetch_config(client: &P0Client, cache: &Cache, org: &str) -> Result<AwsConfig> {
    let body: serde_json::Value = client.get_json("integrations/aws/config").await?;
    if let Err(e) = accounts::store_local_config(cache, org, &body) {
        tracing::debug!("could not keep a local copy of the AWS config: {e}");
    }
    Ok(AwsConfig::from_response(&body))
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
