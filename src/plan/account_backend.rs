//! The backend an account is reached through, built in one place from the account config's
//! `login` for the account (or, without P0, from the Identity Center flags): the plan asks it
//! for the provider of a chosen role, the role picker for the roles it offers. A new backend
//! is one variant here and one match arm in each method.

use crate::accounts::{AccountLogin, ResolvedAccount};
use crate::cache::CacheKey;
use crate::context::Context;
use crate::credentials::Target;
use crate::error::Result;
use crate::p0::P0Connection;
use crate::providers::identity_center::{IdcInstance, IdentityCenter};
use crate::providers::okta_saml::{OktaSaml, OktaSamlAccount};
use crate::providers::Provider;
use std::sync::Arc;

/// Where an account's credentials come from once access is held.
pub enum AccountBackend {
    /// Okta SAML federation through the org's Okta AWS app.
    OktaSaml(OktaSamlAccount),
    /// An IAM Identity Center instance's account.
    IdentityCenter {
        instance: IdcInstance,
        account_id: String,
        /// Sign in again even if a token is cached (`--force-refresh`).
        force_login: bool,
    },
}

impl AccountBackend {
    /// The backend of `account` in `org`'s account config.
    pub fn of(p0: &Arc<P0Connection>, org: &str, account: &ResolvedAccount) -> AccountBackend {
        match account.login() {
            AccountLogin::OktaSaml {
                app_id,
                identity_provider,
            } => AccountBackend::OktaSaml(OktaSamlAccount {
                p0: p0.clone(),
                org: org.to_string(),
                app_id: app_id.clone(),
                identity_provider: identity_provider.clone(),
                account_id: account.id().to_string(),
            }),
            AccountLogin::IdentityCenter {
                region,
                identity_store_id,
            } => AccountBackend::IdentityCenter {
                instance: IdcInstance::for_identity_store(identity_store_id, region),
                account_id: account.id().to_string(),
                force_login: false,
            },
        }
    }

    /// The provider of `role` (a permission set for Identity Center); `duration` is STS's
    /// DurationSeconds where the backend takes one.
    pub fn provider(&self, role: &str, duration: Option<i32>) -> Box<dyn Provider> {
        match self {
            AccountBackend::OktaSaml(account) => {
                Box::new(OktaSaml::new(account.clone(), role.to_string(), duration))
            }
            AccountBackend::IdentityCenter {
                instance,
                account_id,
                force_login,
            } => Box::new(IdentityCenter::new(
                instance.clone(),
                account_id,
                role,
                *force_login,
            )),
        }
    }

    /// Where [`AccountBackend::provider`]'s credentials of `role` are cached, and their target:
    /// each provider's own answer, asked of the concrete type (no `dyn Provider`, whose
    /// vtable would link every backend's network code into the warm-path front end).
    pub fn entry(&self, role: &str) -> (CacheKey, Target) {
        match self {
            AccountBackend::OktaSaml(account) => {
                let provider = OktaSaml::new(account.clone(), role.to_string(), None);
                (provider.cache_key(), provider.target())
            }
            AccountBackend::IdentityCenter {
                instance,
                account_id,
                force_login,
            } => {
                let provider =
                    IdentityCenter::new(instance.clone(), account_id, role, *force_login);
                (provider.cache_key(), provider.target())
            }
        }
    }

    /// The roles (permission sets) the user holds in the account right now.
    pub async fn offered_roles(&self, ctx: &Context) -> Result<Vec<String>> {
        match self {
            AccountBackend::OktaSaml(account) => account.offered_roles(ctx).await,
            AccountBackend::IdentityCenter {
                instance,
                account_id,
                force_login,
            } => {
                // Listing assumes no permission set.
                IdentityCenter::new(instance.clone(), account_id, "", *force_login)
                    .offered_permission_sets(ctx)
                    .await
            }
        }
    }
}
