//! The Identity Center token store (protocol §6.1-6.2): the OIDC client registration, the
//! access token and its refresh token of each instance in the shared cache, the device
//! authorization that gets a new token from a human, and the sign-ins `p0 status` lists.
//!
//! One process at a time renews an instance's token (under its lock); others then find it. A
//! registration Identity Center no longer knows is forgotten and made again once; a refresh
//! token is only given up when Identity Center refuses it, never for a failure that may pass.

use super::IdcInstance;
use crate::aws_sdk::describe_sdk_error;
use crate::cache::key::{Decoded, Entry};
use crate::cache::{Cache, CacheKey};
use crate::context::Context;
use crate::device_flow::{self, Poll, DEVICE_GRANT, REFRESH_GRANT};
use crate::error::{Error, Result};
use crate::secret::Secret;
use aws_sdk_ssooidc::operation::create_token::CreateTokenError;
use aws_sdk_ssooidc::operation::start_device_authorization::{
    StartDeviceAuthorizationError, StartDeviceAuthorizationOutput,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

const CLIENT_NAME: &str = "p0Cli";
const SCOPE: &str = "sso:account:access";
/// How long a client registration is kept at most (AWS issues them for 90 days).
const CLIENT_MAX_AGE: time::Duration = time::Duration::days(90);
/// A registration or token with less than this left is replaced before use.
const SAFETY_MARGIN: time::Duration = time::Duration::minutes(5);

/// A cached OIDC client registration.
#[derive(Debug, Serialize, Deserialize)]
struct RegisteredClient {
    client_id: String,
    client_secret: Secret<String>,
    /// Epoch seconds, as RegisterClient returns it.
    client_secret_expires_at: i64,
    /// Epoch seconds.
    registered_at: i64,
}

impl RegisteredClient {
    fn usable(&self, now: OffsetDateTime) -> bool {
        let now_secs = now.unix_timestamp();
        self.client_secret_expires_at > now_secs + SAFETY_MARGIN.whole_seconds()
            && now_secs - self.registered_at < CLIENT_MAX_AGE.whole_seconds()
    }
}

/// A cached Identity Center access token, and the refresh token that renews it.
#[derive(Debug, Serialize, Deserialize)]
struct CachedToken {
    access_token: Secret<String>,
    /// Epoch seconds.
    expires_at: i64,
    #[serde(default)]
    refresh_token: Option<Secret<String>>,
}

impl CachedToken {
    fn usable(&self, now: OffsetDateTime) -> bool {
        self.expires_at > now.unix_timestamp() + SAFETY_MARGIN.whole_seconds()
    }
}

/// An access token to use, and where it came from.
pub(super) struct Token {
    pub(super) access_token: Secret<String>,
    pub(super) source: TokenSource,
}

/// Where a token came from decides what to try when the portal rejects it: a cached token is
/// refreshed, a refreshed one replaced by a device flow, and one from a device flow just now
/// is not replaced again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenSource {
    Cache,
    Refresh,
    DeviceFlow,
}

/// Client registrations and tokens of one instance, in the shared cache.
pub(super) struct TokenStore<'a> {
    cache: &'a Cache,
    instance: &'a IdcInstance,
    client_key: CacheKey,
    token_key: CacheKey,
}

impl<'a> TokenStore<'a> {
    pub(super) fn new(cache: &'a Cache, instance: &'a IdcInstance) -> Self {
        TokenStore {
            cache,
            instance,
            client_key: Entry::IdcRegistration(instance.cache_name()).key(),
            token_key: Entry::IdcToken(instance.cache_name()).key(),
        }
    }

    fn cached_token(&self, rejected: Option<&Token>) -> Result<Option<Token>> {
        let Some(cached) = self.cache.read::<CachedToken>(&self.token_key)? else {
            return Ok(None);
        };
        let is_rejected = rejected.is_some_and(|r| r.access_token.matches(&cached.access_token));
        Ok(
            (cached.usable(OffsetDateTime::now_utc()) && !is_rejected).then_some(Token {
                access_token: cached.access_token,
                source: TokenSource::Cache,
            }),
        )
    }

    /// The cached client registration, while usable.
    fn cached_client(&self) -> Result<Option<RegisteredClient>> {
        Ok(self
            .cache
            .read::<RegisteredClient>(&self.client_key)?
            .filter(|c| c.usable(OffsetDateTime::now_utc())))
    }

    /// Whether a token can be had without a human: cached and valid, or renewable.
    pub(super) fn available_without_sign_in(&self) -> Result<bool> {
        Ok(self.cached_token(None)?.is_some()
            || (self.cached_client()?.is_some()
                && self
                    .cache
                    .read::<CachedToken>(&self.token_key)?
                    .is_some_and(|t| t.refresh_token.is_some())))
    }

    /// The cached token unless `force_login` or it was `rejected`; otherwise the refresh token
    /// (as botocore renews SSO tokens), and failing that a device flow. One process at a time
    /// renews: others waiting on the lock then find its token.
    pub(super) async fn access_token(
        &self,
        ctx: &Context,
        oidc: &aws_sdk_ssooidc::Client,
        force_login: bool,
        rejected: Option<&Token>,
    ) -> Result<Token> {
        if !force_login {
            if let Some(token) = self.cached_token(rejected)? {
                return Ok(token);
            }
        }
        let _lock = self.cache.lock(&self.token_key).await?;
        if !force_login {
            if let Some(token) = self.cached_token(rejected)? {
                return Ok(token);
            }
        }
        let may_refresh = !force_login && rejected.is_none_or(|r| r.source == TokenSource::Cache);
        if may_refresh {
            if let Some(token) = self.refreshed_token(oidc).await? {
                return Ok(token);
            }
        }
        self.cache.remove(&self.token_key)?;
        if !ctx.human().present() {
            return Err(Error::IdcLoginRequired {
                start_url: self.instance.start_url.clone(),
            });
        }
        let mut client = self.registered_client(oidc).await?;
        let start_url = &self.instance.start_url;
        let authorization = match start_device_authorization(oidc, &client, start_url).await {
            // The registration is gone (the instance was recreated, or the client revoked):
            // it would be refused for the rest of its 90 days. Forget it and register once
            // more.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StartDeviceAuthorizationError::InvalidClientException(_))
                ) =>
            {
                tracing::debug!(
                    "Identity Center refused the cached client registration; registering again"
                );
                self.cache.remove(&self.client_key)?;
                client = self.registered_client(oidc).await?;
                start_device_authorization(oidc, &client, start_url).await
            }
            other => other,
        }
        .map_err(|e| Error::aws("sso-oidc", describe_sdk_error(&e)))?;
        let token = device_authorization(ctx, oidc, &client, authorization).await?;
        self.cache.write(&self.token_key, &token)?;
        Ok(Token {
            access_token: token.access_token,
            source: TokenSource::DeviceFlow,
        })
    }

    /// A new access token from the cached refresh token; `None` when there is none or Identity
    /// Center refuses it; an error, the token kept, when Identity Center could not be asked
    /// (called under the token lock).
    async fn refreshed_token(&self, oidc: &aws_sdk_ssooidc::Client) -> Result<Option<Token>> {
        let Some(refresh_token) = self
            .cache
            .read::<CachedToken>(&self.token_key)?
            .and_then(|t| t.refresh_token)
        else {
            return Ok(None);
        };
        // A refresh token is bound to the registration that obtained it.
        let Some(client) = self.cached_client()? else {
            return Ok(None);
        };
        let result = oidc
            .create_token()
            .client_id(&client.client_id)
            .client_secret(client.client_secret.expose())
            .grant_type(REFRESH_GRANT)
            .refresh_token(refresh_token.expose())
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            // Only Identity Center refusing the refresh token ends it. A network failure or a
            // server error must not: the token would be discarded, and a CI job that could
            // renew once the network is back would need a human instead.
            Err(e) if refresh_refused(e.as_service_error()) => {
                tracing::debug!(
                    "Identity Center refused the refresh token: {}",
                    describe_sdk_error(&e)
                );
                return Ok(None);
            }
            Err(e) => return Err(Error::aws("sso-oidc", describe_sdk_error(&e))),
        };
        let Some(token) = cached_token_from(
            output.access_token(),
            output.expires_in(),
            output.refresh_token(),
        ) else {
            return Ok(None);
        };
        let token = CachedToken {
            refresh_token: token.refresh_token.or(Some(refresh_token)),
            ..token
        };
        self.cache.write(&self.token_key, &token)?;
        Ok(Some(Token {
            access_token: token.access_token,
            source: TokenSource::Refresh,
        }))
    }

    /// The cached registration while usable, else a new one (called under the token lock).
    async fn registered_client(&self, oidc: &aws_sdk_ssooidc::Client) -> Result<RegisteredClient> {
        if let Some(client) = self.cached_client()? {
            return Ok(client);
        }
        let output = oidc
            .register_client()
            .client_name(CLIENT_NAME)
            .client_type("public")
            .grant_types(DEVICE_GRANT)
            .grant_types(REFRESH_GRANT)
            .scopes(SCOPE)
            .send()
            .await
            .map_err(|e| Error::aws("sso-oidc", describe_sdk_error(&e)))?;
        let client = RegisteredClient {
            client_id: output
                .client_id()
                .ok_or_else(|| Error::aws("sso-oidc", "RegisterClient returned no client id"))?
                .to_string(),
            client_secret: Secret::new(
                output
                    .client_secret()
                    .ok_or_else(|| Error::aws("sso-oidc", "RegisterClient returned no secret"))?
                    .to_string(),
            ),
            client_secret_expires_at: output.client_secret_expires_at(),
            registered_at: OffsetDateTime::now_utc().unix_timestamp(),
        };
        self.cache.write(&self.client_key, &client)?;
        Ok(client)
    }
}

/// Whether a refresh_token grant failed because the token (or the registration it is bound
/// to) is no good, rather than for a reason that may pass.
fn refresh_refused(error: Option<&CreateTokenError>) -> bool {
    matches!(
        error,
        Some(
            CreateTokenError::InvalidGrantException(_)
                | CreateTokenError::ExpiredTokenException(_)
                | CreateTokenError::InvalidClientException(_)
                | CreateTokenError::UnauthorizedClientException(_)
        )
    )
}

/// A CreateToken answer as a cache entry; `None` without an access token.
fn cached_token_from(
    access_token: Option<&str>,
    expires_in: i32,
    refresh_token: Option<&str>,
) -> Option<CachedToken> {
    Some(CachedToken {
        access_token: Secret::new(access_token?.to_string()),
        expires_at: OffsetDateTime::now_utc().unix_timestamp() + i64::from(expires_in),
        refresh_token: refresh_token.map(|t| Secret::new(t.to_string())),
    })
}

/// StartDeviceAuthorization with `client`'s registration.
async fn start_device_authorization(
    oidc: &aws_sdk_ssooidc::Client,
    client: &RegisteredClient,
    start_url: &str,
) -> std::result::Result<
    StartDeviceAuthorizationOutput,
    aws_sdk_ssooidc::error::SdkError<
        StartDeviceAuthorizationError,
        aws_sdk_ssooidc::config::http::HttpResponse,
    >,
> {
    oidc.start_device_authorization()
        .client_id(&client.client_id)
        .client_secret(client.client_secret.expose())
        .start_url(start_url)
        .send()
        .await
}

/// The prompt for the human of a started device authorization, then CreateToken until
/// approved.
async fn device_authorization(
    ctx: &Context,
    oidc: &aws_sdk_ssooidc::Client,
    client: &RegisteredClient,
    authorization: StartDeviceAuthorizationOutput,
) -> Result<CachedToken> {
    let sdk_error = |e: &dyn std::fmt::Display| Error::aws("sso-oidc", e.to_string());
    let device_code = authorization
        .device_code()
        .ok_or_else(|| sdk_error(&"StartDeviceAuthorization returned no device code"))?;
    let verification_url = authorization
        .verification_uri_complete()
        .or(authorization.verification_uri())
        .ok_or_else(|| sdk_error(&"StartDeviceAuthorization returned no verification link"))?;
    device_flow::show_prompt(
        ctx,
        "AWS",
        verification_url,
        authorization.user_code().unwrap_or_default(),
    );
    let seconds = |s: i32| Duration::from_secs(u64::try_from(s).unwrap_or(0));
    device_flow::wait_for_approval(
        seconds(authorization.interval()),
        seconds(authorization.expires_in()),
        || async {
            let result = oidc
                .create_token()
                .client_id(&client.client_id)
                .client_secret(client.client_secret.expose())
                .grant_type(DEVICE_GRANT)
                .device_code(device_code)
                .send()
                .await;
            match result {
                Ok(output) => cached_token_from(
                    output.access_token(),
                    output.expires_in(),
                    output.refresh_token(),
                )
                .map(Poll::Granted)
                .ok_or_else(|| sdk_error(&"CreateToken returned no access token")),
                Err(e) => match e.as_service_error() {
                    Some(CreateTokenError::AuthorizationPendingException(_)) => Ok(Poll::Pending),
                    Some(CreateTokenError::SlowDownException(_)) => Ok(Poll::SlowDown),
                    Some(CreateTokenError::AccessDeniedException(_)) => Ok(Poll::Denied),
                    Some(CreateTokenError::ExpiredTokenException(_)) => Ok(Poll::Expired),
                    _ => Err(sdk_error(&describe_sdk_error(&e))),
                },
            }
        },
    )
    .await
}

/// An Identity Center sign-in kept in the cache, as `p0 status` shows it: where and until
/// when, never the tokens.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub start_url: String,
    pub region: String,
    /// Epoch seconds.
    pub expires_at: i64,
    /// A refresh token and a usable client registration are kept: the sign-in renews without
    /// a human.
    pub renewable: bool,
}

/// Every Identity Center sign-in in the cache, by region and start URL.
pub fn cached_sign_ins(cache: &Cache) -> Vec<SignIn> {
    cache
        .entries()
        .into_iter()
        .filter_map(|key| {
            let Decoded::Whole(Entry::IdcToken(name)) = Entry::decode(&key) else {
                return None;
            };
            let token: CachedToken = cache.read(&key).ok().flatten()?;
            let instance = IdcInstance {
                start_url: name.start_url,
                region: name.region,
            };
            let renewable = token.refresh_token.is_some()
                && matches!(
                    TokenStore::new(cache, &instance).cached_client(),
                    Ok(Some(_))
                );
            Some(SignIn {
                start_url: instance.start_url,
                region: instance.region,
                expires_at: token.expires_at,
                renewable,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_expiry_is_compared_in_seconds() {
        let now = OffsetDateTime::now_utc();
        let registration = |expires_in: time::Duration, age: time::Duration| RegisteredClient {
            client_id: "id".into(),
            client_secret: Secret::new("secret".into()),
            client_secret_expires_at: (now + expires_in).unix_timestamp(),
            registered_at: (now - age).unix_timestamp(),
        };
        // AWS's 90-day registration, just made: P0's CLI compared these seconds with
        // milliseconds and so re-registered every time.
        assert!(registration(time::Duration::days(90), time::Duration::ZERO).usable(now));
        assert!(!registration(time::Duration::minutes(1), time::Duration::ZERO).usable(now));
        assert!(!registration(time::Duration::days(200), time::Duration::days(91)).usable(now));
    }

    #[test]
    fn tokens_need_a_margin_left() {
        let now = OffsetDateTime::now_utc();
        let token = |left: time::Duration| CachedToken {
            access_token: Secret::new("t".into()),
            expires_at: (now + left).unix_timestamp(),
            refresh_token: None,
        };
        assert!(token(time::Duration::hours(8)).usable(now));
        assert!(!token(time::Duration::minutes(1)).usable(now));
    }

    #[test]
    fn caches_are_keyed_by_region_and_start_url() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(
            &crate::state::StateDir::at(dir.path(), ""),
            Duration::from_secs(5),
        );
        let west = IdcInstance::for_identity_store("d-1", "us-west-2");
        let east = IdcInstance::for_identity_store("d-1", "us-east-1");
        let other = IdcInstance::for_identity_store("d-2", "us-west-2");
        let keys = [&west, &east, &other].map(|i| TokenStore::new(&cache, i).token_key);
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
        assert_ne!(
            TokenStore::new(&cache, &west).client_key,
            TokenStore::new(&cache, &west).token_key
        );
    }
}
