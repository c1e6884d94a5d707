//! From what the user asked to one resolved plan (ripgrep's low-args -> high-args step): the
//! flags, the environment, the org's account config and `~/.aws/config` are read here, once,
//! and become a [`Plan`]: where the credentials come from (P0 and the account's backend, or
//! Identity Center directly), for which account and role, whether and when a P0 request is
//! made, which cached credentials will do. Every command that needs credentials makes a plan
//! and asks it for its provider; nothing downstream looks at arguments or settings again.

pub mod sso_config;

use crate::accounts::{self, AccountLogin, ResolvedAccount};
use crate::backend::Backend;
use crate::cli::RunAsArgs;
use crate::context::Context;
use crate::credentials::{Reuse, Target};
use crate::env;
use crate::error::{Error, Result};
use crate::p0::{self, P0Connection};
use crate::providers::access_request::{AccessRequested, RequestPolicy};
use crate::providers::cached::Cached;
use crate::providers::identity_center::{IdcInstance, IdentityCenter};
use crate::providers::okta_saml::OktaSaml;
use crate::providers::Provider;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Plan {
    pub source: Source,
    /// Which cached credentials will do.
    pub reuse: Reuse,
    /// The region a child should use (`--region`, else the environment's), if any.
    pub region: Option<String>,
}

/// Where the credentials come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A P0 access request (per `request`), then the account's backend.
    P0(ThroughP0),
    /// AWS IAM Identity Center without P0.
    IdentityCenter(DirectIdentityCenter),
}

#[derive(Debug, Clone)]
pub struct ThroughP0 {
    pub org: String,
    pub account: ResolvedAccount,
    /// `--account` as the user typed it (id or label): P0's request argv carries it (§3.5).
    pub account_arg: Option<String>,
    /// The role (Okta SAML) or permission set (Identity Center).
    pub role: String,
    pub reason: Option<String>,
    /// `None`: no request (`--no-request`), use access already held.
    pub request: Option<RequestPolicy>,
    /// DurationSeconds for STS (Okta SAML).
    pub duration: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct DirectIdentityCenter {
    pub instance: IdcInstance,
    pub account_id: String,
    pub permission_set: String,
    /// Sign in again even if a token is cached (`--force-refresh`).
    pub force_login: bool,
}

/// What a command asks for through P0, from its flags.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// `--account` / `P0_AWS_ACCOUNT` as typed; `None` when only one account is installed.
    pub account: Option<String>,
    pub role: String,
    pub reason: Option<String>,
    pub no_request: bool,
    pub duration: Option<i32>,
    /// The family the command is for (`role assume`, `permission-set assume`); `None` lets
    /// the account decide (`run-as`).
    pub family: Option<Backend>,
    /// `--refresh-credentials`: skip the cache.
    pub refresh_credentials: bool,
}

impl Plan {
    /// The plan for `p0 run-as`: Identity Center directly when any of its flags is given,
    /// otherwise through P0.
    pub async fn for_run_as(ctx: &Context, p0: &P0Connection, args: &RunAsArgs) -> Result<Plan> {
        if let Some(plan) = Plan::for_run_as_offline(ctx, args)? {
            return Ok(plan);
        }
        let mut plan = Plan::through_p0(ctx, p0, run_as_wanted(args)).await?;
        plan.region = run_as_region(args);
        Ok(plan)
    }

    /// As [`Plan::for_run_as`] from local knowledge alone (no runtime, no network): `None`
    /// when the account must be looked up at P0.
    pub fn for_run_as_offline(ctx: &Context, args: &RunAsArgs) -> Result<Option<Plan>> {
        let region = run_as_region(args);
        let plan = if args.sso || args.sso_start_url.is_some() || args.sso_region.is_some() {
            let account_id = args.account.clone().ok_or_else(|| {
                Error::Usage(
                    "--account (the AWS account id) is required to use Identity Center directly"
                        .into(),
                )
            })?;
            let instance =
                sso_config::resolve(args.sso_start_url.as_deref(), args.sso_region.as_deref())?;
            Plan {
                reuse: Reuse::new(
                    ctx.settings.min_credential_lifetime,
                    args.refresh_credentials || args.force_refresh,
                ),
                source: Source::IdentityCenter(DirectIdentityCenter {
                    instance,
                    account_id,
                    permission_set: args.role.clone(),
                    force_login: args.force_refresh,
                }),
                region: None,
            }
        } else {
            match Plan::through_p0_offline(ctx, run_as_wanted(args))? {
                Some(plan) => plan,
                None => return Ok(None),
            }
        };
        Ok(Some(Plan { region, ..plan }))
    }

    /// A plan through P0 for the logged-in org: the account resolved from the local copy of
    /// the org's account config when it knows the account, else from P0.
    pub async fn through_p0(ctx: &Context, p0: &P0Connection, wanted: Wanted) -> Result<Plan> {
        if let Some(plan) = Plan::through_p0_offline(ctx, wanted.clone())? {
            return Ok(plan);
        }
        let org = logged_in_org(ctx)?;
        let cache = ctx.cache();
        let client = p0.client(ctx).await?;
        let account = accounts::fetch_config(client, &cache, &org)
            .await?
            .resolve(wanted.account.as_deref(), wanted.family)?;
        Ok(Plan::with_account(ctx, org, account, wanted))
    }

    /// As [`Plan::through_p0`] from the local copy of the account config alone: `None` when
    /// that does not know the account (or there is no copy young enough).
    pub fn through_p0_offline(ctx: &Context, wanted: Wanted) -> Result<Option<Plan>> {
        let org = logged_in_org(ctx)?;
        let account = accounts::local_config(&ctx.cache(), &org)?.and_then(|config| {
            config
                .resolve(wanted.account.as_deref(), wanted.family)
                .ok()
        });
        Ok(account.map(|account| Plan::with_account(ctx, org, account, wanted)))
    }

    fn with_account(ctx: &Context, org: String, account: ResolvedAccount, wanted: Wanted) -> Plan {
        Plan {
            reuse: Reuse::new(
                ctx.settings.min_credential_lifetime,
                wanted.refresh_credentials,
            ),
            source: Source::P0(ThroughP0 {
                org,
                account,
                account_arg: wanted.account,
                role: wanted.role,
                reason: wanted.reason,
                request: (!wanted.no_request).then_some(RequestPolicy::Before),
                duration: wanted.duration,
            }),
            region: None,
        }
    }

    /// The account and role the credentials are for.
    pub fn target(&self) -> Target {
        match &self.source {
            Source::P0(via) => Target {
                account_id: via.account.id().to_string(),
                role: via.role.clone(),
            },
            Source::IdentityCenter(direct) => Target {
                account_id: direct.account_id.clone(),
                role: direct.permission_set.clone(),
            },
        }
    }

    /// The same plan for background renewals: the grant that exists is used first (a new P0
    /// request only if the backend no longer offers the role), never a forced sign-in, and
    /// never the credentials being replaced.
    pub fn for_renewal(&self) -> Plan {
        let mut plan = self.clone();
        match &mut plan.source {
            Source::P0(via) => {
                if via.request.is_some() {
                    via.request = Some(RequestPolicy::WhenNotGranted);
                }
            }
            Source::IdentityCenter(direct) => direct.force_login = false,
        }
        plan.reuse.force_refresh = false;
        plan
    }

    /// The providers this plan stacks: the backend, the P0 request step when one is made, and
    /// the shared cache in front.
    pub fn provider(&self, p0: &Arc<P0Connection>) -> Cached<Box<dyn Provider>> {
        let provider: Box<dyn Provider> = match &self.source {
            Source::P0(via) => {
                let backend: Box<dyn Provider> = match via.account.login() {
                    AccountLogin::OktaSaml {
                        app_id,
                        identity_provider,
                    } => Box::new(OktaSaml::new(
                        p0.clone(),
                        &via.org,
                        app_id,
                        identity_provider,
                        via.account.id(),
                        &via.role,
                        via.duration,
                    )),
                    AccountLogin::IdentityCenter {
                        region,
                        identity_store_id,
                    } => Box::new(IdentityCenter::new(
                        IdcInstance::for_identity_store(identity_store_id, region),
                        via.account.id(),
                        &via.role,
                        false,
                    )),
                };
                match via.request {
                    Some(policy) => Box::new(AccessRequested::new(
                        backend,
                        p0.clone(),
                        via.request_args(),
                        policy,
                    )),
                    None => backend,
                }
            }
            Source::IdentityCenter(direct) => Box::new(IdentityCenter::new(
                direct.instance.clone(),
                &direct.account_id,
                &direct.permission_set,
                direct.force_login,
            )),
        };
        Cached::new(provider)
    }
}

impl ThroughP0 {
    /// The words after `request` in P0's argv (§3.5): the account exactly as the user typed it.
    fn request_args(&self) -> Vec<String> {
        let backend = self.account.login().backend();
        let mut argv = vec![
            "aws".to_string(),
            backend.request_word().to_string(),
            self.role.clone(),
        ];
        if let Some(reason) = &self.reason {
            argv.extend(["--reason".into(), reason.clone()]);
        }
        if let Some(account) = &self.account_arg {
            argv.extend(["--account".into(), account.clone()]);
        }
        argv
    }
}

fn logged_in_org(ctx: &Context) -> Result<String> {
    p0::stored_org(&ctx.state)?.ok_or(Error::NotLoggedIn)
}

fn run_as_wanted(args: &RunAsArgs) -> Wanted {
    Wanted {
        account: args.account.clone(),
        role: args.role.clone(),
        reason: args.reason.clone(),
        no_request: args.no_request,
        refresh_credentials: args.refresh_credentials,
        ..Wanted::default()
    }
}

/// The child's region: `--region`, else the environment's.
fn run_as_region(args: &RunAsArgs) -> Option<String> {
    args.region
        .clone()
        .or_else(|| env::get(env::read::AWS_REGION))
        .or_else(|| env::get(env::read::AWS_DEFAULT_REGION))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn through_p0(role: &str, account_arg: Option<&str>, reason: Option<&str>) -> ThroughP0 {
        let config = accounts::AwsConfig::from_response(&json!({"config": {"iam-write": {
            "123456789012": {"label": "prod", "state": "installed",
                "login": {"type": "federated", "provider": {"type": "okta",
                    "appId": "a", "identityProvider": "p"}}},
            "210987654321": {"label": "dev", "state": "installed",
                "login": {"type": "idc", "idcRegion": "us-west-2", "identityStoreId": "d-1"}}
        }}}));
        ThroughP0 {
            org: "acme".into(),
            account: config.resolve(account_arg.or(Some("prod")), None).unwrap(),
            account_arg: account_arg.map(String::from),
            role: role.into(),
            reason: reason.map(String::from),
            request: Some(RequestPolicy::Before),
            duration: None,
        }
    }

    #[test]
    fn request_args_match_the_protocol() {
        assert_eq!(
            through_p0("p0-grants/ReadOnly", Some("prod"), Some("deploy the thing")).request_args(),
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
        assert_eq!(
            through_p0("Developer", Some("dev"), None).request_args(),
            ["aws", "permission-set", "Developer", "--account", "dev"]
        );
        assert_eq!(
            through_p0("Admin", None, None).request_args(),
            ["aws", "role", "Admin"]
        );
    }

    #[test]
    fn a_renewal_uses_the_existing_grant_first_and_never_forces() {
        let plan = Plan {
            source: Source::P0(through_p0("Admin", None, None)),
            reuse: Reuse::new(std::time::Duration::from_secs(300), true),
            region: None,
        };
        let renewal = plan.for_renewal();
        let Source::P0(via) = &renewal.source else {
            panic!("still through P0")
        };
        assert_eq!(via.request, Some(RequestPolicy::WhenNotGranted));
        assert!(!renewal.reuse.force_refresh);
        let no_request = Plan {
            source: Source::P0(ThroughP0 {
                request: None,
                ..through_p0("Admin", None, None)
            }),
            ..plan
        };
        let Source::P0(via) = no_request.for_renewal().source else {
            panic!("still through P0")
        };
        assert_eq!(via.request, None, "--no-request stays honoured");
    }
}
