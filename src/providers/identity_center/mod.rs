//! AWS IAM Identity Center (protocol §6): an OIDC client registration, a device-authorization
//! token, then GetRoleCredentials for one account and permission set. This file is the
//! provider; `token_store` keeps the registrations and tokens and runs the device flow.
//!
//! Better than P0's CLI where it falls short: the client registration's expiry is compared in
//! the unit AWS gives it (seconds), registrations and tokens are keyed by region and start URL
//! (two instances never share a token), `slow_down` widens the poll interval instead of failing,
//! an expired token is renewed with its refresh token (no human needed), a token the portal
//! rejects is evicted and replaced by a refresh or else one fresh device flow, and parallel
//! processes share one device flow through a lock instead of opening a browser tab each.

mod token_store;

pub use token_store::{cached_sign_ins, SignIn};

use super::{BoxFuture, Fetch, Provider};
use crate::aws_sdk::{self, describe_sdk_error};
use crate::cache::key;
use crate::cache::{Cache, CacheKey};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::error::{Error, Result};
use crate::retry::Backoff;
use crate::secret::Secret;
use aws_sdk_sso::error::ProvideErrorMetadata;
use aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError;
use aws_sdk_sso::operation::list_account_roles::ListAccountRolesError;
use std::time::Duration;
use token_store::{Token, TokenSource, TokenStore};

/// GetRoleCredentials: retries after the first attempt, about a second apart (§6.4): a
/// transient failure, or access granted a moment ago that is still being provisioned.
const ROLE_CREDENTIAL_RETRIES: Backoff =
    Backoff::new(Duration::from_secs(1), Duration::from_secs(1), Some(4));
/// ListAccountRoles pages read at most (the portal's pages hold dozens of permission sets).
const MAX_ROLE_PAGES: usize = 20;

/// One Identity Center instance: where users sign in, and its region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IdcInstance {
    pub start_url: String,
    pub region: String,
}

impl IdcInstance {
    /// The instance as cache keys name it.
    fn cache_name(&self) -> key::IdcInstance {
        key::IdcInstance {
            region: self.region.clone(),
            start_url: self.start_url.clone(),
        }
    }

    /// The instance of an identity store as P0 configures it (§6.3): the AWS access portal
    /// of its region's partition (`https://{id}.awsapps.com/start` in the commercial regions;
    /// `crate::partition::Partition::start_url` has the others).
    pub fn for_identity_store(identity_store_id: &str, region: &str) -> IdcInstance {
        let start_url = crate::partition::Partition::start_url(identity_store_id, region);
        IdcInstance {
            start_url,
            region: region.to_string(),
        }
    }
}

/// A permission set in an account, from an Identity Center instance: the instance P0 names
/// for the account, or one the user names directly (no P0, like `aws-sso-util run-as`).
pub struct IdentityCenter {
    instance: IdcInstance,
    account_id: String,
    permission_set: String,
    /// Sign in again even if a token is cached (`--force-refresh`).
    force_login: bool,
}

impl IdentityCenter {
    pub fn new(
        instance: IdcInstance,
        account_id: &str,
        permission_set: &str,
        force_login: bool,
    ) -> IdentityCenter {
        IdentityCenter {
            instance,
            account_id: account_id.to_string(),
            permission_set: permission_set.to_string(),
            force_login,
        }
    }

    /// GetRoleCredentials with the cached token (or a device flow for a new one); a rejected
    /// token is evicted and replaced once. A permission set not assigned fails at once, unless
    /// access was just granted (then, like other failures, it is retried a few times while
    /// Identity Center provisions it).
    async fn role_credentials(&self, ctx: &Context, fetch: Fetch) -> Result<AwsCredentials> {
        let cache = ctx.cache();
        let mut portal = self.portal(ctx, &cache).await?;
        let mut failures = 0;
        loop {
            let result = portal
                .sso
                .get_role_credentials()
                .account_id(&self.account_id)
                .role_name(&self.permission_set)
                .access_token(portal.token.access_token.expose())
                .send()
                .await;
            let error = match result {
                Ok(output) => {
                    let credentials = output
                        .role_credentials()
                        .and_then(role_credentials_from)
                        .ok_or_else(|| {
                            Error::aws("sso", "GetRoleCredentials returned no credentials")
                        })?;
                    return super::complete("Identity Center GetRoleCredentials", credentials);
                }
                Err(error) => error,
            };
            let service_error = error.as_service_error();
            let rejected = matches!(
                service_error,
                Some(GetRoleCredentialsError::UnauthorizedException(_))
            );
            // Not in the SDK's model, but what the portal answers for a permission set the
            // user holds no assignment of (`ForbiddenException: No access`).
            let not_assigned = service_error.and_then(|e| e.code()) == Some("ForbiddenException");
            if rejected && portal.replace_rejected_token().await? {
                continue;
            }
            let described = describe_sdk_error(&error);
            tracing::debug!("GetRoleCredentials failed ({}): {described}", failures + 1);
            let not_assigned_error = || Error::PermissionSetNotAssigned {
                permission_set: self.permission_set.clone(),
                account_id: self.account_id.clone(),
            };
            if not_assigned && !fetch.just_granted {
                return Err(not_assigned_error());
            }
            // Access granted a moment ago may still be provisioning (ForbiddenException until
            // then); otherwise only what may pass is tried again: a bad request, an unknown
            // account or a token refused after a fresh sign-in would fail the same way.
            if !not_assigned && !aws_sdk::may_pass_on_retry(&error) {
                return Err(Error::aws("Identity Center GetRoleCredentials", described));
            }
            if !ROLE_CREDENTIAL_RETRIES.allows(failures) {
                return Err(if not_assigned {
                    not_assigned_error()
                } else {
                    Error::IdcTimedOut { last: described }
                });
            }
            tokio::time::sleep(ROLE_CREDENTIAL_RETRIES.delay(failures)).await;
            failures += 1;
        }
    }

    /// The permission sets the account offers the user (ListAccountRoles through the portal
    /// with the cached token, or one from a refresh or a device flow), sorted, for the role
    /// picker. A token the portal rejects is replaced once, as for GetRoleCredentials.
    pub async fn offered_permission_sets(&self, ctx: &Context) -> Result<Vec<String>> {
        let cache = ctx.cache();
        let mut portal = self.portal(ctx, &cache).await?;
        let mut names = Vec::new();
        let mut next_token: Option<String> = None;
        let mut pages = 0;
        while pages < MAX_ROLE_PAGES {
            let result = portal
                .sso
                .list_account_roles()
                .account_id(&self.account_id)
                .access_token(portal.token.access_token.expose())
                .set_next_token(next_token.take())
                .send()
                .await;
            match result {
                Ok(output) => {
                    names.extend(
                        output
                            .role_list()
                            .iter()
                            .filter_map(|role| role.role_name().map(String::from)),
                    );
                    pages += 1;
                    next_token = output.next_token().map(String::from);
                    if next_token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    let rejected = matches!(
                        e.as_service_error(),
                        Some(ListAccountRolesError::UnauthorizedException(_))
                    );
                    if !rejected || !portal.replace_rejected_token().await? {
                        return Err(Error::aws("sso ListAccountRoles", describe_sdk_error(&e)));
                    }
                    names.clear();
                    pages = 0;
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// What every portal call starts with: the account checked, the clients, and a token
    /// (cached, refreshed, or from a device flow).
    async fn portal<'a>(&'a self, ctx: &'a Context, cache: &'a Cache) -> Result<Portal<'a>> {
        if self.account_id.is_empty() {
            return Err(Error::NoAccountId);
        }
        let oidc = aws_sdk::sso_oidc(ctx.http(), &self.instance.region);
        let tokens = TokenStore::new(cache, &self.instance);
        let token = tokens
            .access_token(ctx, &oidc, self.force_login, None)
            .await?;
        Ok(Portal {
            ctx,
            sso: aws_sdk::sso(ctx.http(), &self.instance.region),
            oidc,
            tokens,
            token,
        })
    }
}

/// The AWS access portal of one instance, with the token its calls carry.
struct Portal<'a> {
    ctx: &'a Context,
    sso: aws_sdk_sso::Client,
    oidc: aws_sdk_ssooidc::Client,
    tokens: TokenStore<'a>,
    token: Token,
}

impl Portal<'_> {
    /// The one rule for a token the portal rejected: replace it (a refresh, else a device
    /// flow) and say to try again, unless it came from a device flow just now, which a new
    /// one would not do better than.
    async fn replace_rejected_token(&mut self) -> Result<bool> {
        if self.token.source == TokenSource::DeviceFlow {
            return Ok(false);
        }
        tracing::debug!("the portal rejected the Identity Center token; replacing it");
        self.token = self
            .tokens
            .access_token(self.ctx, &self.oidc, false, Some(&self.token))
            .await?;
        Ok(true)
    }
}

impl Provider for IdentityCenter {
    fn cache_key(&self) -> CacheKey {
        key::Credentials::IdentityCenter {
            instance: self.instance.cache_name(),
            account_id: self.account_id.clone(),
            permission_set: self.permission_set.clone(),
        }
        .key()
    }

    fn target(&self) -> Target {
        Target {
            account_id: self.account_id.clone(),
            role: self.permission_set.clone(),
        }
    }

    /// `Error::IdcLoginRequired` when fetching would need a device authorization (no usable
    /// cached token) and there is no terminal to ask on.
    fn check_unattended(&self, ctx: &Context) -> Result<()> {
        let cache = ctx.cache();
        let tokens = TokenStore::new(&cache, &self.instance);
        if ctx.human().present() || (!self.force_login && tokens.available_without_sign_in()?) {
            return Ok(());
        }
        Err(Error::IdcLoginRequired {
            start_url: self.instance.start_url.clone(),
        })
    }

    fn fetch<'a>(
        &'a self,
        ctx: &'a Context,
        fetch: Fetch,
    ) -> BoxFuture<'a, Result<AwsCredentials>> {
        Box::pin(self.role_credentials(ctx, fetch))
    }
}

/// Converts an AWS timestamp in epoch milliseconds into the credential expiration type.
fn expiration_from_unix_millis(millis: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}

fn role_credentials_from(
    credentials: &aws_sdk_sso::types::RoleCredentials,
) -> Option<AwsCredentials> {
    Some(AwsCredentials {
        access_key_id: credentials.access_key_id()?.to_string(),
        secret_access_key: Secret::new(credentials.secret_access_key()?.to_string()),
        session_token: Secret::new(credentials.session_token()?.to_string()),
        // Epoch milliseconds here, unlike the registration's seconds.
        expiration: expiration_from_unix_millis(credentials.expiration())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_urls_per_partition() {
        assert_eq!(
            IdcInstance::for_identity_store("d-1234567890", "us-west-2").start_url,
            "https://d-1234567890.awsapps.com/start"
        );
        assert_eq!(
            IdcInstance::for_identity_store("d-1234567890", "us-gov-west-1").start_url,
            "https://start.us-gov-home.awsapps.com/directory/d-1234567890"
        );
        assert_eq!(
            IdcInstance::for_identity_store("d-1234567890", "cn-northwest-1").start_url,
            "https://start.cn-northwest-1.home.awsapps.cn/directory/d-1234567890"
        );
        assert_eq!(
            IdcInstance::for_identity_store("d-1234567890", "eusc-de-east-1").start_url,
            "https://d-1234567890.eusc-de-east-1.portal.amazonaws.eu"
        );
    }
}
