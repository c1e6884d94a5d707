//! From what the user asked to one resolved plan (ripgrep's low-args -> high-args step): the
//! flags, the environment, the org's account config and `~/.aws/config` are read here, once,
//! and become a [`Plan`]: where the credentials come from (P0 and the account's backend,
//! Identity Center directly, or a CI job's web identity token; then perhaps a chained role),
//! for which account and role, whether and when a P0 request is made, which cached credentials
//! will do. Every command that needs credentials makes a plan and asks it for its provider;
//! nothing downstream looks at arguments or settings again.
//!
//! The plan is made in one pass. [`Plan::offline`] (and [`Plan::offline_run_as`]) read the
//! local files once, with no runtime and no network: the result is [`Offline::Ready`], or
//! [`Offline::Pending`] when the account config must come from P0 first. A warm run takes
//! the credentials of [`Offline::local`]'s plan from the cache; a cold one continues from the
//! same value ([`Offline::resolve`]), reading nothing twice.

mod account;
mod account_backend;
mod delegated;
mod role_choice;
pub mod sso_config;
mod wanted;

pub use account_backend::AccountBackend;
pub use delegated::DelegatedGrant;
pub use wanted::Wanted;

pub use account::resolve_account;

use crate::accounts::{self, AccountLogin, ResolvedAccount};
use crate::cache::CacheKey;
use crate::cache::EntryVersion;
use crate::cli::{ChainArgs, RunAsArgs};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Reuse, Target};
use crate::env;
use crate::error::{Error, Result};
use crate::p0::{LoggedInOrg, P0Connection};
use crate::partition::Partition;
use crate::providers::access_request::{AccessRequested, RequestPolicy};
use crate::providers::assume_role::{self, AssumeRole, RoleArn};
use crate::providers::cached::{self, Cached};
use crate::providers::identity_center::IdcInstance;
use crate::providers::web_identity::{self, WebIdentity};
use crate::providers::Provider;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Plan {
    source: Source,
    /// Which cached credentials will do.
    reuse: Reuse,
    /// The region a child should use (`--region`, else the environment's), if any.
    region: Option<String>,
}

/// Where the credentials come from.
#[derive(Debug, Clone)]
enum Source {
    /// A P0 access request (per `request`), then the account's backend.
    P0(ThroughP0),
    /// AWS IAM Identity Center without P0.
    IdentityCenter(DirectIdentityCenter),
    /// An OIDC token from a file and AssumeRoleWithWebIdentity, without P0 (CI jobs).
    WebIdentity(WebIdentityToken),
    /// STS AssumeRole into another role with the credentials of `base` (`--chain-role-arn`).
    Chain(Chained),
}

#[derive(Debug, Clone)]
struct ThroughP0 {
    pub org: String,
    pub account: ResolvedAccount,
    /// `--account` as the user typed it (id or label): P0's request argv carries it (§3.5).
    pub account_arg: Option<String>,
    /// The role (Okta SAML) or permission set (Identity Center); `None` until chosen.
    pub role: Option<String>,
    pub reason: Option<String>,
    /// `None`: no request (`--no-request`), use access already held.
    pub request: Option<RequestPolicy>,
    /// DurationSeconds for STS (Okta SAML).
    pub duration: Option<i32>,
}

#[derive(Debug, Clone)]
struct DirectIdentityCenter {
    pub instance: IdcInstance,
    pub account_id: String,
    /// `None` until chosen.
    pub permission_set: Option<String>,
    /// Sign in again even if a token is cached (`--force-refresh`).
    pub force_login: bool,
}

#[derive(Debug, Clone)]
struct WebIdentityToken {
    pub role: RoleArn,
    /// Absolute, so the cache key does not depend on the working directory.
    pub token_file: PathBuf,
    pub session_name: String,
    /// DurationSeconds, when asked for (`--duration`).
    pub duration: Option<i32>,
}

#[derive(Debug, Clone)]
struct Chained {
    pub base: Box<Source>,
    pub role: RoleArn,
    pub session_name: String,
    pub external_id: Option<String>,
}

/// What offline resolution gives: a plan made from local files alone, or one waiting for the
/// org's account config from P0.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per run, moved once; the pending one (which holds a plan) is boxed"
)]
pub enum Offline {
    /// Nothing more to read: the flags alone decide, or the local copy of the account config
    /// knows the account and is young enough for a cold run.
    Ready(Plan),
    /// The account config is to be fetched ([`Offline::resolve`]).
    Pending(Box<Pending>),
}

/// A plan through P0 waiting for the account config: what was read offline, kept for the
/// cold path so it reads nothing again.
#[derive(Debug)]
pub struct Pending {
    org: LoggedInOrg,
    wanted: Wanted,
    /// Which copy the offline pass read: one written after it, by another process of the same
    /// burst, is used rather than fetched again.
    seen: Option<EntryVersion>,
    /// The plan from a local copy older than [`accounts::COLD_RUN_CONFIG_MAX_AGE`] that knows
    /// the account: good for cached credentials, and when the fetch fails.
    stale: Option<Plan>,
    region: Option<String>,
}

impl Offline {
    /// The plan the local files give (a ready one, or one from an old copy): the one a warm
    /// run takes cached credentials for.
    pub fn local(&self) -> Option<&Plan> {
        match self {
            Offline::Ready(plan) => Some(plan),
            Offline::Pending(pending) => pending.stale.as_ref(),
        }
    }

    /// The plan, continuing from what was read offline. Through P0 on a cold run (the
    /// credentials are not cached) with a local copy older than
    /// [`accounts::COLD_RUN_CONFIG_MAX_AGE`], the config is fetched again first: P0 is about
    /// to be asked anyway, and an admin's change (an app id, an IdP, a region, an uninstall)
    /// then shows within minutes instead of the copy's 12 hours. A failed fetch falls back to
    /// the old copy. A copy that does not know the account is fetched again too (single
    /// flight: parallel processes fetch once).
    pub async fn resolve(self, ctx: &Context, p0: &Arc<P0Connection>) -> Result<Plan> {
        let pending = match self {
            Offline::Ready(plan) => return Ok(plan),
            Offline::Pending(pending) => *pending,
        };
        let Pending {
            org,
            wanted,
            seen,
            stale,
            region,
        } = pending;
        // Credentials still cached for the old copy's plan: nothing is fetched for them
        // (a caller asking for more lifetime than the plan's, as an SDK's does, renews them
        // from the same plan).
        if let Some(plan) = stale.as_ref().filter(|plan| plan.warm(ctx, p0).is_some()) {
            return Ok(Plan {
                region,
                ..plan.clone()
            });
        }
        let fetched = accounts::fetch_config_once(ctx, p0, &org.slug, seen).await;
        let plan = match (fetched, stale) {
            // An account the fetched config no longer has (uninstalled, moved) is an error,
            // whatever the old copy said.
            (Ok(config), _) => {
                let account = config.resolve(wanted.account.as_deref(), wanted.family)?;
                Plan::with_account(ctx, &org, account, wanted)?
            }
            (Err(e), Some(stale)) => {
                tracing::debug!("refetching the account config failed ({e}); using the local copy");
                stale
            }
            (Err(e), None) => return Err(e),
        };
        Ok(Plan { region, ..plan })
    }
}

/// The logged-in org with its login (identity.json, read once).
fn stored_login(ctx: &Context) -> Result<LoggedInOrg> {
    LoggedInOrg::stored(&ctx.state)?.ok_or(Error::NotLoggedIn)
}

impl Plan {
    /// The plan for `p0 run-as` (and `p0 console`) from local files alone: Identity Center
    /// directly when any of its flags is given, web identity when its flags (or variables)
    /// are, otherwise through P0 ([`Plan::offline`]).
    pub fn offline_run_as(ctx: &Context, args: &RunAsArgs) -> Result<Offline> {
        if let Some(offline) = Plan::offline_run_as_through_p0(ctx, args)? {
            return Ok(offline);
        }
        let web_identity = web_identity_source(args)?;
        if web_identity.is_none() && args.role_session_name.is_some() {
            return Err(Error::Usage(
                "--role-session-name applies to web identity (--role-arn) only".into(),
            ));
        }
        let plan = if let Some(source) = web_identity {
            Plan {
                reuse: Reuse::new(
                    ctx.settings.min_credential_lifetime,
                    args.refresh_credentials,
                ),
                source,
                region: None,
            }
            .chained(&args.chain)?
        } else {
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
            .chained(&args.chain)?
        };
        Ok(Offline::Ready(Plan {
            region: run_as_region(args),
            ..plan
        }))
    }

    /// [`Plan::offline_run_as`] when the arguments and environment ask for credentials through
    /// P0; `None` for web identity and Identity Center used directly. Apart so that the
    /// warm-path front end (src/front.rs), which only ever has a plan through P0, links
    /// neither (Identity Center's start-URL patterns bring the regex engine).
    pub fn offline_run_as_through_p0(ctx: &Context, args: &RunAsArgs) -> Result<Option<Offline>> {
        let direct = args.sso || args.sso_start_url.is_some() || args.sso_region.is_some();
        if direct || args.role_session_name.is_some() || web_identity_source(args)?.is_some() {
            return Ok(None);
        }
        let region = run_as_region(args);
        Ok(Some(match Plan::offline(ctx, Wanted::run_as(args))? {
            Offline::Ready(plan) => Offline::Ready(Plan { region, ..plan }),
            Offline::Pending(pending) => Offline::Pending(Box::new(Pending {
                stale: pending.stale.map(|plan| Plan {
                    region: region.clone(),
                    ..plan
                }),
                region,
                ..*pending
            })),
        }))
    }

    /// A plan through P0 for the logged-in org from local files alone: identity.json and the
    /// local copy of the org's account config, each read once. Ready when the copy knows the
    /// account and is younger than [`accounts::COLD_RUN_CONFIG_MAX_AGE`]; otherwise pending,
    /// with the old copy's plan when it knows the account.
    pub fn offline(ctx: &Context, wanted: Wanted) -> Result<Offline> {
        let org = stored_login(ctx)?;
        let cache = ctx.cache();
        let seen = accounts::local_copy_version(&cache, &org.slug);
        let account = accounts::local_config_aged(&cache, &org.slug)?.and_then(|(config, age)| {
            let account = config
                .resolve(wanted.account.as_deref(), wanted.family)
                .ok()?;
            Some((account, age))
        });
        let Some((account, age)) = account else {
            return Ok(Offline::Pending(Box::new(Pending {
                org,
                wanted,
                seen,
                stale: None,
                region: None,
            })));
        };
        let plan = Plan::with_account(ctx, &org, account, wanted.clone())?;
        if age < accounts::COLD_RUN_CONFIG_MAX_AGE {
            return Ok(Offline::Ready(plan));
        }
        Ok(Offline::Pending(Box::new(Pending {
            org,
            wanted,
            seen,
            stale: Some(plan),
            region: None,
        })))
    }

    fn with_account(
        ctx: &Context,
        org: &LoggedInOrg,
        account: ResolvedAccount,
        wanted: Wanted,
    ) -> Result<Plan> {
        if let AccountLogin::OktaSaml { .. } = account.login() {
            org.check_okta_saml(account.id())?;
        }
        let org = org.slug.clone();
        let chain = wanted.chain.clone();
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
        .chained(&chain)
    }

    /// This plan, then the chained role of `chain` when it names one.
    fn chained(self, chain: &ChainArgs) -> Result<Plan> {
        let Some(arn) = &chain.chain_role_arn else {
            return Ok(self);
        };
        let role = RoleArn::parse(arn, "--chain-role-arn")?;
        Ok(Plan {
            source: Source::Chain(Chained {
                base: Box::new(self.source),
                role,
                session_name: chain
                    .chain_session_name
                    .clone()
                    .unwrap_or_else(|| assume_role::DEFAULT_SESSION_NAME.to_string()),
                external_id: chain.chain_external_id.clone(),
            }),
            ..self
        })
    }

    /// The account and role the credentials are for (a chained role's, when chained); the
    /// role is empty while it is still to be chosen ([`Plan::needs_role`]).
    pub fn target(&self) -> Target {
        self.source.target()
    }

    /// The credentials in the shared cache for this plan, from local files alone (no runtime,
    /// no network): `None` when the role is still to be chosen or nothing cached will do.
    pub fn warm(&self, ctx: &Context, p0: &Arc<P0Connection>) -> Option<AwsCredentials> {
        let (key, target) = self.source.entry(p0).ok()?;
        cached::from_cache(ctx, self.reuse, &key, &target)
    }

    /// Which cached credentials will do.
    pub fn reuse(&self) -> Reuse {
        self.reuse
    }

    /// The region a child should use (`--region`, else the environment's), if any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The partition the credentials belong to when the plan knows it: a role ARN's (chained
    /// role, web identity), or the Identity Center region's. `None` for Okta SAML (the role
    /// ARN is in the SAML assertion, not in the plan).
    pub fn partition(&self) -> Option<Partition> {
        match &self.source {
            Source::Chain(chained) => Partition::from_arn(chained.role.as_str()),
            Source::WebIdentity(web) => Partition::from_arn(web.role.as_str()),
            Source::IdentityCenter(direct) => Some(Partition::from_region(&direct.instance.region)),
            Source::P0(via) => match via.account.login() {
                AccountLogin::IdentityCenter { region, .. } => Some(Partition::from_region(region)),
                AccountLogin::OktaSaml { .. } => None,
            },
        }
    }

    /// The same plan for background renewals: the grant that exists is used first (a new P0
    /// request only if the backend no longer offers the role), never a forced sign-in, and
    /// never the credentials being replaced.
    pub fn for_renewal(&self) -> Plan {
        let mut plan = self.clone();
        plan.source.for_renewal();
        plan.reuse.force_refresh = false;
        plan
    }

    /// The same plan for an SDK's `credential_process`, run unattended whenever the SDK's
    /// credentials near their end: credentials with at least `min_lifetime` left (past every
    /// SDK's refresh window), and, as for renewals, the grant that exists first (a chained
    /// role's source included).
    pub fn for_sdk_caller(&self, min_lifetime: std::time::Duration) -> Plan {
        let mut plan = self.clone();
        plan.source.use_existing_grant();
        let floor = time::Duration::try_from(min_lifetime).unwrap_or(time::Duration::MAX);
        plan.reuse.min_lifetime = plan.reuse.min_lifetime.max(floor);
        plan
    }

    /// The providers this plan stacks: the backend, the P0 request step when one is made, a
    /// chained role over them (its source cached under its own key), and the shared cache in
    /// front.
    ///
    /// A usage error (`--role` is required) while the role is still to be chosen.
    pub fn provider(&self, p0: &Arc<P0Connection>) -> Result<Cached<Box<dyn Provider>>> {
        Ok(Cached::new(self.source.provider(p0)?))
    }

    /// The credentials (cached, or fetched). Through P0, a backend failure that a changed
    /// account config would explain (a new Okta app id, IdP, region or instance, an account
    /// moved to another login) fetches the config again, once; when it now names another
    /// login for the account, the plan takes it and fetches once more.
    pub async fn credentials(
        &mut self,
        ctx: &Context,
        p0: &Arc<P0Connection>,
    ) -> Result<crate::credentials::AwsCredentials> {
        let result = self.provider(p0)?.credentials(ctx, self.reuse).await;
        match &result {
            Err(e) if e.may_mean_a_stale_account_config() => {}
            _ => return result,
        }
        let Some(via) = self.source.through_p0_mut() else {
            return result;
        };
        let fresh = async {
            let client = p0.client(ctx).await?;
            accounts::fetch_config(client, &ctx.cache(), &via.org)
                .await?
                .resolve(via.account_arg.as_deref(), None)
        };
        match fresh.await {
            Ok(account)
                if account.id() == via.account.id() && account.login() != via.account.login() =>
            {
                tracing::debug!(
                    "the account config changed ({:?} -> {:?}); trying once more",
                    via.account.login(),
                    account.login()
                );
                via.account = account;
            }
            Ok(_) => return result,
            Err(e) => {
                tracing::debug!("could not fetch the account config again: {e}");
                return result;
            }
        }
        self.provider(p0)?.credentials(ctx, self.reuse).await
    }
}

impl Source {
    /// The P0 step (a chained role's base included).
    fn through_p0_mut(&mut self) -> Option<&mut ThroughP0> {
        match self {
            Source::P0(via) => Some(via),
            Source::Chain(chained) => chained.base.through_p0_mut(),
            Source::IdentityCenter(_) | Source::WebIdentity(_) => None,
        }
    }

    fn target(&self) -> Target {
        match self {
            Source::P0(via) => Target {
                account_id: via.account.id().to_string(),
                role: via.role.clone().unwrap_or_default(),
            },
            Source::IdentityCenter(direct) => Target {
                account_id: direct.account_id.clone(),
                role: direct.permission_set.clone().unwrap_or_default(),
            },
            Source::WebIdentity(web) => web.role.target(),
            Source::Chain(chained) => chained.role.target(),
        }
    }

    fn for_renewal(&mut self) {
        self.use_existing_grant();
        if let Source::IdentityCenter(direct) = self.innermost_mut() {
            direct.force_login = false;
        }
    }

    /// A P0 request only when the backend does not offer the role (`--no-request` stays).
    fn use_existing_grant(&mut self) {
        if let Some(via) = self.through_p0_mut() {
            if via.request.is_some() {
                via.request = Some(RequestPolicy::WhenNotGranted);
            }
        }
    }

    /// The source a chain starts from (this one, unchained).
    fn innermost_mut(&mut self) -> &mut Source {
        match self {
            Source::Chain(chained) => chained.base.innermost_mut(),
            other => other,
        }
    }

    /// Where [`Source::provider`]'s credentials are cached, and their target, without
    /// building it: the warm path's (and the warm-path front end's, src/front.rs, which must
    /// not link the providers' network code that a `dyn Provider` brings).
    fn entry(&self, p0: &Arc<P0Connection>) -> Result<(CacheKey, Target)> {
        Ok(match self {
            // A P0 request wraps the backend and keeps its entry.
            Source::P0(via) => {
                AccountBackend::of(p0, &via.org, &via.account).entry(via.chosen_role()?)
            }
            Source::IdentityCenter(direct) => direct
                .backend()
                .entry(direct.permission_set.as_deref().ok_or_else(role_required)?),
            Source::WebIdentity(web) => {
                let provider = WebIdentity::new(
                    web.role.clone(),
                    web.token_file.clone(),
                    web.session_name.clone(),
                    web.duration,
                );
                (provider.cache_key(), provider.target())
            }
            Source::Chain(chained) => {
                let (base, _) = chained.base.entry(p0)?;
                let key = assume_role::chained_cache_key(
                    &chained.role,
                    &chained.session_name,
                    chained.external_id.as_deref(),
                    base,
                );
                (key, chained.role.target())
            }
        })
    }

    fn provider(&self, p0: &Arc<P0Connection>) -> Result<Box<dyn Provider>> {
        Ok(match self {
            Source::P0(via) => {
                let backend = AccountBackend::of(p0, &via.org, &via.account)
                    .provider(via.chosen_role()?, via.duration);
                match via.request {
                    Some(policy) => Box::new(AccessRequested::new(
                        backend,
                        p0.clone(),
                        via.request_args()?,
                        policy,
                    )),
                    None => backend,
                }
            }
            Source::IdentityCenter(direct) => direct.backend().provider(
                direct.permission_set.as_deref().ok_or_else(role_required)?,
                None,
            ),
            Source::WebIdentity(web) => Box::new(WebIdentity::new(
                web.role.clone(),
                web.token_file.clone(),
                web.session_name.clone(),
                web.duration,
            )),
            Source::Chain(chained) => Box::new(AssumeRole::new(
                Cached::new(chained.base.provider(p0)?),
                chained.role.clone(),
                chained.session_name.clone(),
                chained.external_id.clone(),
            )),
        })
    }
}

/// A provider asked for before the role is chosen: the role is required.
fn role_required() -> Error {
    Error::Usage("--role is required".into())
}

impl DirectIdentityCenter {
    fn backend(&self) -> AccountBackend {
        AccountBackend::IdentityCenter {
            instance: self.instance.clone(),
            account_id: self.account_id.clone(),
            force_login: self.force_login,
        }
    }
}

impl ThroughP0 {
    /// The words after `request` in P0's argv (§3.5): the account exactly as the user typed it.
    fn request_args(&self) -> Result<Vec<String>> {
        let backend = self.account.login().backend();
        let mut argv = vec![
            "aws".to_string(),
            backend.request_word().to_string(),
            self.chosen_role()?.to_string(),
        ];
        if let Some(reason) = &self.reason {
            argv.extend(["--reason".into(), reason.clone()]);
        }
        if let Some(account) = &self.account_arg {
            argv.extend(["--account".into(), account.clone()]);
        }
        Ok(argv)
    }

    fn chosen_role(&self) -> Result<&str> {
        self.role.as_deref().ok_or_else(role_required)
    }
}

/// Web identity when `--role-arn` or `--web-identity-token-file` is typed, each defaulting to
/// its standard variable; or, as the AWS SDKs do, when both variables are set and nothing asks
/// for P0 or Identity Center (no `--account`, `--role` or `--sso*`).
fn web_identity_source(args: &RunAsArgs) -> Result<Option<Source>> {
    let typed = args.role_arn.is_some() || args.web_identity_token_file.is_some();
    let from_environment = !typed
        && args.account.is_none()
        && args.role.is_none()
        && !args.sso
        && args.sso_start_url.is_none()
        && args.sso_region.is_none()
        && env::get(env::read::AWS_ROLE_ARN).is_some()
        && env::get_os(env::read::AWS_WEB_IDENTITY_TOKEN_FILE).is_some();
    if !typed && !from_environment {
        return Ok(None);
    }
    // clap counts a value from the environment as given, so only a typed flag is refused.
    let p0_flags = [
        (&args.account, env::read::P0_AWS_ACCOUNT, "--account"),
        (&args.role, env::read::P0_AWS_ROLE, "--role"),
        (&args.reason, env::read::P0_AWS_REASON, "--reason"),
    ];
    for (value, variable, flag) in p0_flags {
        if value.is_some() && *value != env::get(variable) {
            return Err(Error::Usage(format!(
                "{flag} does not apply to web identity (--role-arn, --web-identity-token-file)"
            )));
        }
    }
    let missing = |what: &str| {
        Error::Usage(format!(
            "web identity needs {what}: the flag, or its environment variable"
        ))
    };
    let arn = args
        .role_arn
        .clone()
        .or_else(|| env::get(env::read::AWS_ROLE_ARN))
        .ok_or_else(|| missing("--role-arn (AWS_ROLE_ARN)"))?;
    let token_file = args
        .web_identity_token_file
        .clone()
        .or_else(|| env::get_os(env::read::AWS_WEB_IDENTITY_TOKEN_FILE).map(PathBuf::from))
        .ok_or_else(|| missing("--web-identity-token-file (AWS_WEB_IDENTITY_TOKEN_FILE)"))?;
    Ok(Some(Source::WebIdentity(WebIdentityToken {
        role: RoleArn::parse(&arn, "--role-arn")?,
        token_file: std::path::absolute(&token_file).unwrap_or(token_file),
        session_name: args
            .role_session_name
            .clone()
            .or_else(|| env::get(env::read::AWS_ROLE_SESSION_NAME))
            .unwrap_or_else(|| web_identity::DEFAULT_SESSION_NAME.to_string()),
        duration: args.duration,
    })))
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
            role: Some(role.into()),
            reason: reason.map(String::from),
            request: Some(RequestPolicy::Before),
            duration: None,
        }
    }

    #[test]
    fn request_args_match_the_protocol() {
        assert_eq!(
            through_p0("p0-grants/ReadOnly", Some("prod"), Some("deploy the thing"))
                .request_args()
                .unwrap(),
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
            through_p0("Developer", Some("dev"), None)
                .request_args()
                .unwrap(),
            ["aws", "permission-set", "Developer", "--account", "dev"]
        );
        assert_eq!(
            through_p0("Admin", None, None).request_args().unwrap(),
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

    fn chained(role: &str) -> Plan {
        Plan {
            source: Source::P0(through_p0(role, None, None)),
            reuse: Reuse::new(std::time::Duration::from_secs(300), false),
            region: None,
        }
        .chained(&ChainArgs {
            chain_role_arn: Some("arn:aws:iam::210987654321:role/ops/Cross".into()),
            chain_session_name: None,
            chain_external_id: Some("ext".into()),
        })
        .unwrap()
    }

    #[test]
    fn a_chained_plan_is_for_the_chained_role_and_renews_its_source_quietly() {
        let plan = chained("Admin");
        assert_eq!(
            plan.target(),
            Target {
                account_id: "210987654321".into(),
                role: "ops/Cross".into()
            }
        );
        let Source::Chain(chain) = &plan.source else {
            panic!("chained")
        };
        assert_eq!(chain.session_name, "p0");
        assert_eq!(chain.external_id.as_deref(), Some("ext"));
        let Source::Chain(renewal) = plan.for_renewal().source else {
            panic!("still chained")
        };
        let Source::P0(via) = *renewal.base else {
            panic!("through P0")
        };
        assert_eq!(via.request, Some(RequestPolicy::WhenNotGranted));
        // The chain's own key differs from its source's, and depends on the source.
        let p0 = P0Connection::new();
        let source_key = Plan {
            source: Source::P0(through_p0("Admin", None, None)),
            ..plan.clone()
        }
        .provider(&p0)
        .unwrap()
        .cache_key();
        let chain_key = plan.provider(&p0).unwrap().cache_key();
        assert_ne!(chain_key, source_key);
        assert!(chain_key.file_stem().contains("chain"), "{chain_key:?}");
        assert_ne!(chained("Dev").provider(&p0).unwrap().cache_key(), chain_key);
    }

    #[test]
    fn an_sdk_caller_uses_the_existing_grant_through_a_chain_too() {
        let floor = std::time::Duration::from_secs(16 * 60);
        let sdk = chained("Admin").for_sdk_caller(floor);
        assert_eq!(sdk.reuse.min_lifetime, time::Duration::minutes(16));
        let Source::Chain(chain) = &sdk.source else {
            panic!("still chained")
        };
        let Source::P0(via) = &*chain.base else {
            panic!("through P0")
        };
        assert_eq!(via.request, Some(RequestPolicy::WhenNotGranted));
        let unchained = Plan {
            source: Source::P0(through_p0("Admin", None, None)),
            reuse: Reuse::new(std::time::Duration::from_secs(3600), false),
            region: None,
        }
        .for_sdk_caller(floor);
        assert_eq!(unchained.reuse.min_lifetime, time::Duration::hours(1));
        let Source::P0(via) = unchained.source else {
            panic!("through P0")
        };
        assert_eq!(via.request, Some(RequestPolicy::WhenNotGranted));
    }

    #[test]
    fn the_role_to_choose_is_the_chains_source_role() {
        let mut plan = chained("Admin");
        plan.source.through_p0_mut().unwrap().role = None;
        assert!(plan.needs_role());
        let error = plan.provider(&P0Connection::new()).err().unwrap();
        assert_eq!(error.exit_code(), crate::error::exit::USAGE);
        plan.source.set_role("Admin".into());
        assert!(!plan.needs_role());
        assert_eq!(plan.role(), Some("Admin"));
        assert_eq!(plan.target().role, "ops/Cross");
    }

    #[test]
    fn a_bad_chain_role_is_a_usage_error() {
        let plan = Plan {
            source: Source::P0(through_p0("Admin", None, None)),
            reuse: Reuse::new(std::time::Duration::from_secs(300), false),
            region: None,
        };
        let error = plan
            .chained(&ChainArgs {
                chain_role_arn: Some("Cross".into()),
                ..ChainArgs::default()
            })
            .unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit::USAGE);
    }
}
