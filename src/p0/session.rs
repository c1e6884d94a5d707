//! The login session: `p0 login` (§2.1), and keeping the API bearer valid for every other
//! command (§2.3, §2.5) with as few sign-in calls as possible.
//!
//! Fast path: a fresh Firebase ID token (or, for `useProviderToken` orgs, a fresh provider
//! access token) in identity.json is used with no network call. Otherwise, under a lock so
//! parallel `p0` processes renew once: a securetoken refresh, else a Firebase sign-in with the
//! provider's tokens, else (the provider session is over) a silent renewal where the provider
//! allows one (Entra's refresh token; a password login reads P0_EMAIL / P0_PASSWORD again), else
//! a new sign-in (`super::login`) when a human can answer it, or `Error::LoginRequired` at once
//! when not.

use super::firebase::{self, Outcome, Refusal};
use super::identity::{self, Identity, COMMAND_MARGIN_SECS, LOGIN_MARGIN_SECS};
use super::login::{self, Login, Renewal};
use super::org::{self, TenantConfig};
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::lock::LockedFile;
use crate::secret::Secret;
use crate::state::{self, StateDir};
use std::time::Duration;

/// What may happen when the Okta session is over.
#[derive(Debug, Clone, Copy)]
pub enum Relogin {
    /// Any command but `p0 login`: a device flow only when a human can see it.
    IfHuman,
    /// `p0 login`: the user asked for a login, so the prompt is shown terminal or not.
    Always,
}

pub struct Session {
    ctx: Context,
    config: TenantConfig,
    relogin: Relogin,
    /// The identity as last read or written.
    identity: std::sync::Mutex<Identity>,
    /// One task of this process renews at a time (the file lock covers other processes).
    renewing: tokio::sync::Mutex<()>,
}

impl Session {
    pub fn new(ctx: Context, config: TenantConfig, identity: Identity, relogin: Relogin) -> Self {
        Session {
            ctx,
            config,
            relogin,
            identity: std::sync::Mutex::new(identity),
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    /// The stored session for `state`, without any network call. `NotLoggedIn` without an
    /// identity, `MissingConfig` without the tenant config.
    pub fn resume(ctx: Context) -> Result<Session> {
        let identity = Identity::load(&ctx.state)?.ok_or(Error::NotLoggedIn)?;
        if identity.slug().is_none() {
            return Err(Error::NotLoggedIn);
        }
        let config = TenantConfig::load(&ctx.state)?;
        Ok(Session::new(ctx, config, identity, Relogin::IfHuman))
    }

    pub fn ctx(&self) -> &Context {
        &self.ctx
    }

    fn state(&self) -> &StateDir {
        &self.ctx.state
    }

    pub fn config(&self) -> &TenantConfig {
        &self.config
    }

    /// A copy of the current identity (for the Okta tokens the AWS backends need).
    pub fn identity(&self) -> Identity {
        self.identity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set_identity(&self, identity: Identity) {
        *self
            .identity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = identity;
    }

    /// A valid bearer: the stored one when fresh, else renewed.
    pub async fn bearer(&self) -> Result<Secret<String>> {
        self.ensure(Refused::Nothing).await
    }

    /// A bearer after the API refused `rejected` (401): the stored session looked fresh but the
    /// server has ended it, so renew even though the clock says otherwise.
    pub async fn renew_after_rejection(&self, rejected: &Secret<String>) -> Result<Secret<String>> {
        self.ensure(Refused::Bearer(rejected)).await
    }

    /// After Okta refused the session's tokens (a token exchange's `invalid_grant`): a new Okta
    /// login under the usual rules, unless another process already made one.
    pub async fn renew_okta(&self, refused_access_token: &Secret<String>) -> Result<()> {
        self.ensure(Refused::Okta(refused_access_token))
            .await
            .map(|_| ())
    }

    /// After Okta refused the session's tokens with nobody at a terminal to sign in again:
    /// forgets the stored identity so the next command starts afresh, unless another process
    /// has meanwhile stored a new login (checked under the session lock).
    pub async fn forget_refused_okta(&self, refused_access_token: &Secret<String>) -> Result<()> {
        let _lock =
            SessionLock::acquire(self.state(), self.ctx.settings.session_lock_timeout).await?;
        match Identity::load(self.state())? {
            Some(stored) if stored.credential.access_token.matches(refused_access_token) => {
                state::remove_if_exists(&self.state().identity_path())
            }
            _ => Ok(()),
        }
    }

    async fn ensure(&self, refused: Refused<'_>) -> Result<Secret<String>> {
        let acceptable = |identity: &Identity| -> Option<Secret<String>> {
            let bearer = usable_bearer(identity)?;
            match refused {
                Refused::Nothing => Some(bearer),
                Refused::Bearer(rejected) => (!bearer.matches(rejected)).then_some(bearer),
                Refused::Okta(rejected) => {
                    (!identity.credential.access_token.matches(rejected)).then_some(bearer)
                }
            }
        };
        let _renewing = self.renewing.lock().await;
        let mut identity = self.identity();
        if let Some(bearer) = acceptable(&identity) {
            tracing::debug!(
                "using the stored session ({:.0} s left on Okta's)",
                identity.credential.remaining()
            );
            return Ok(bearer);
        }
        // Nobody to sign in and Okta's session is over by the clock: fail now rather than wait
        // on the lock for another process's sign-in that, in CI, nobody will complete.
        if matches!(self.relogin, Relogin::IfHuman)
            && identity.credential.remaining() <= COMMAND_MARGIN_SECS
            && !renews_unattended(&identity)
            && !self.ctx.human().present()
        {
            let stored = Identity::load(self.state())?.filter(|s| s.slug() == identity.slug());
            if let Some(bearer) = stored.as_ref().and_then(acceptable) {
                tracing::debug!("using the session another p0 process renewed");
                self.set_identity(stored.expect("acceptable implies stored"));
                return Ok(bearer);
            }
            if stored.is_none_or(|s| s.credential.remaining() <= COMMAND_MARGIN_SECS) {
                return Err(login_required(identity.slug().unwrap_or_default()));
            }
        }
        let _lock =
            SessionLock::acquire(self.state(), self.ctx.settings.session_lock_timeout).await?;
        // Another process may have renewed while we waited for the lock.
        if let Some(stored) = Identity::load(self.state())?.filter(|s| s.slug() == identity.slug())
        {
            if let Some(bearer) = acceptable(&stored) {
                tracing::debug!("using the session another p0 process renewed");
                self.set_identity(stored);
                return Ok(bearer);
            }
            if stored.credential.expires_at > identity.credential.expires_at {
                identity = stored;
            }
        }
        let bearer = self.renew(&mut identity, refused).await;
        self.set_identity(identity);
        bearer
    }

    /// Renews the bearer of `identity` (the session lock is held), saving what changed.
    async fn renew(&self, identity: &mut Identity, refused: Refused<'_>) -> Result<Secret<String>> {
        let slug = identity.slug().unwrap_or_default().to_string();
        let mut okta_over = match refused {
            Refused::Nothing => false,
            // For provider-token orgs the Okta access token is the bearer: a rejected one
            // means the Okta session is over.
            Refused::Bearer(_) => identity.org.uses_provider_token(),
            Refused::Okta(_) => true,
        };
        let mut relogged = false;
        let mut renewed = false;
        loop {
            if okta_over
                || identity.credential.remaining() <= COMMAND_MARGIN_SECS
                || !identity.is_current_format()
            {
                if relogged {
                    return Err(Error::CredentialsExpired);
                }
                if !renewed && identity.is_current_format() && !matches!(refused, Refused::Okta(_))
                {
                    renewed = true;
                    if self.renew_silently(identity).await? {
                        okta_over = false;
                        if identity.credential.remaining() > COMMAND_MARGIN_SECS {
                            continue;
                        }
                    }
                }
                self.relogin(identity, &slug).await?;
                relogged = true;
                if identity.credential.remaining() <= COMMAND_MARGIN_SECS {
                    return Err(Error::CredentialsExpired);
                }
            }
            if identity.org.uses_provider_token() {
                return Ok(identity.credential.access_token.clone());
            }
            match self.firebase_session(identity).await? {
                Outcome::Session(session) => {
                    let bearer = session.id_token.clone();
                    identity.firebase = Some(session);
                    identity.save(self.state())?;
                    return Ok(bearer);
                }
                Outcome::Refused(Refusal::Expired) => okta_over = true,
                Outcome::Refused(Refusal::DifferentProvider) => {
                    return Err(Error::DifferentIdentityProvider {
                        contact: self.config.contact_message(),
                    })
                }
                Outcome::Refused(Refusal::Other(message)) => {
                    tracing::debug!("Firebase sign-in failed: {message}");
                    return Err(Error::AuthenticationUnexpected {
                        contact: self.config.contact_message(),
                    });
                }
            }
        }
    }

    /// A refresh with the stored refresh token when there is one, else a sign-in with the Okta
    /// tokens (which also covers a refresh token Firebase no longer accepts).
    async fn firebase_session(&self, identity: &mut Identity) -> Result<Outcome> {
        let unexpected = || Error::AuthenticationUnexpected {
            contact: self.config.contact_message(),
        };
        let api_key = firebase::api_key(&self.config).ok_or_else(|| {
            tracing::debug!("the tenant config has no Firebase apiKey");
            unexpected()
        })?;
        if let Some(stored) = identity.firebase.take() {
            tracing::debug!("refreshing the Firebase ID token");
            match firebase::refresh(
                &self.ctx,
                &api_key,
                &stored.refresh_token,
                &identity.credential,
            )
            .await?
            {
                Outcome::Session(session) => return Ok(Outcome::Session(session)),
                Outcome::Refused(refusal) => {
                    tracing::debug!("refresh refused ({refusal:?}); signing in again")
                }
            }
        }
        let Some(provider_id) = login::firebase_provider_id(&identity.org)? else {
            // A password org: the sign-in is Firebase's own, with the environment's password.
            tracing::debug!("signing in to Firebase with P0_EMAIL and P0_PASSWORD");
            let signed_in = Login::for_org(&identity.org, &self.config)?
                .sign_in(&self.ctx)
                .await?;
            identity.credential = signed_in.credential;
            return Ok(match signed_in.firebase {
                Some(session) => Outcome::Session(session),
                None => Outcome::Refused(Refusal::Expired),
            });
        };
        tracing::debug!(
            "signing in to Firebase (tenant {:?}, provider {provider_id})",
            identity.org.tenant_id
        );
        firebase::sign_in_with_idp(
            &self.ctx,
            &api_key,
            identity.org.tenant_id.as_deref(),
            &provider_id,
            &identity.credential,
        )
        .await
    }

    /// Renews the provider session with no person where the provider allows it (Entra's
    /// refresh token): true when `identity` now holds a new credential (saved). The Firebase
    /// session is signed in again with the new tokens.
    async fn renew_silently(&self, identity: &mut Identity) -> Result<bool> {
        if identity.credential.refresh_token.is_none() {
            return Ok(false);
        }
        let Ok(login) = Login::for_org(&identity.org, &self.config) else {
            return Ok(false);
        };
        match login.renew(&self.ctx, &identity.credential).await? {
            Some(Renewal::Renewed(credential)) => {
                identity.credential = credential;
                identity.firebase = None;
                identity.save(self.state())?;
                tracing::debug!(
                    "renewed the {} session without a browser",
                    login.kind().name()
                );
                Ok(true)
            }
            Some(Renewal::Refused) | None => Ok(false),
        }
    }

    /// A new sign-in for the stored org, when allowed (§2.3).
    async fn relogin(&self, identity: &mut Identity, slug: &str) -> Result<()> {
        if !identity.is_current_format() {
            if matches!(self.relogin, Relogin::IfHuman) && !self.ctx.human().present() {
                return Err(login_required(slug));
            }
            // Old identity files lack the login settings (§1.4): fetch the org document again.
            let mut document = org::fetch_org(&self.ctx, &self.config.api_url()?, slug).await?;
            document.slug = Some(slug.to_string());
            identity.org = document;
        }
        let login = Login::for_org(&identity.org, &self.config)?;
        if login.needs_person() {
            if matches!(self.relogin, Relogin::IfHuman) && !self.ctx.human().present() {
                return Err(login_required(slug));
            }
            if matches!(self.relogin, Relogin::IfHuman) {
                self.ctx.printer.prompt(&format!(
                    "Your P0 session for {slug} has expired. Signing in again.\n"
                ));
            }
        }
        let signed_in = login.sign_in(&self.ctx).await?;
        identity.credential = signed_in.credential;
        identity.firebase = signed_in.firebase;
        identity.save(self.state())?;
        self.ctx.printer.status(&format!(
            "Saving authorization to {}.",
            self.state().identity_path().display()
        ));
        Ok(())
    }
}

/// What a server refused, which the renewal must replace.
#[derive(Clone, Copy)]
enum Refused<'a> {
    Nothing,
    /// The API refused this bearer (401).
    Bearer(&'a Secret<String>),
    /// Okta refused the session whose access token this is.
    Okta(&'a Secret<String>),
}

/// Whether the stored login can be renewed with nobody to ask: an Entra session with its
/// refresh token, or a password login (which reads the environment again).
pub(super) fn renews_unattended(identity: &Identity) -> bool {
    match login::Kind::of(&identity.org) {
        Ok(login::Kind::Password) => true,
        Ok(login::Kind::Entra) => identity.credential.refresh_token.is_some(),
        _ => false,
    }
}

/// The stored bearer when it can be used without any network call.
fn usable_bearer(identity: &Identity) -> Option<Secret<String>> {
    if !identity.is_current_format() || identity.credential.remaining() <= COMMAND_MARGIN_SECS {
        return None;
    }
    if identity.org.uses_provider_token() {
        return Some(identity.credential.access_token.clone());
    }
    identity
        .firebase
        .as_ref()
        .filter(|f| f.is_fresh(identity.credential.expires_at))
        .map(|f| f.id_token.clone())
}

/// The session needs a sign-in and there is nobody to ask.
fn login_required(slug: &str) -> Error {
    Error::LoginRequired {
        what: "Your P0 session has expired, so this command".into(),
        org: slug.to_string(),
    }
}

/// One `p0` at a time renews the session (or logs in), so parallel commands share one
/// sign-in and never open several browser tabs. Released when dropped.
pub struct SessionLock {
    _file: LockedFile,
}

impl SessionLock {
    /// Waits at most `timeout` (`Settings::session_lock_timeout`: `P0_LOCK_TIMEOUT`, else 10
    /// minutes, as the holder may be in a device flow, which Okta lets last that long).
    pub async fn acquire(state: &StateDir, timeout: Duration) -> Result<SessionLock> {
        Ok(SessionLock {
            _file: LockedFile::acquire(&lock_path(state), timeout).await?,
        })
    }
}

/// The session lock's file, beside identity.json.
pub(crate) fn lock_path(state: &StateDir) -> std::path::PathBuf {
    state.identity_path().with_extension("lock")
}

/// What `p0 login` was asked.
pub struct LoginOptions {
    pub org: Option<String>,
    pub refresh: bool,
}

/// `p0 login` (§2.1). Returns the session so the caller can check access with it.
pub async fn login(ctx: &Context, options: LoginOptions) -> Result<(Session, bool)> {
    let state = &ctx.state;
    // A stored identity p0 must refuse (a directory, a link, another user's file) is said
    // now, before a person signs in for nothing; an unreadable one is merely replaced.
    let existing = match Identity::load(state) {
        Err(e @ Error::UnsafeState(_)) => return Err(e),
        other => other.ok().flatten(),
    };
    let slug = options
        .org
        .or_else(|| env::get(env::read::P0_ORG))
        .or_else(|| existing.as_ref().and_then(|i| i.slug().map(String::from)))
        .ok_or(Error::OrgRequired)?;

    let bootstrap = org::bootstrap_url()?;
    let mut document = org::fetch_org(ctx, &bootstrap, &slug).await?;
    let config = document
        .config
        .clone()
        .unwrap_or_else(|| TenantConfig::defaults(&bootstrap));
    let api = config.api_url()?;
    // The tenant API is authoritative for its own org document (§2.1 step 3).
    if api.as_str().trim_end_matches('/') != bootstrap.as_str().trim_end_matches('/') {
        document = org::fetch_org(ctx, &api, &slug).await?;
    }
    document.slug = Some(slug.clone());
    config.save(state)?;

    let current = existing.filter(|i| {
        !options.refresh
            && i.slug() == Some(slug.as_str())
            && i.is_current_format()
            && i.credential.remaining() > LOGIN_MARGIN_SECS
    });
    if let Some(identity) = current {
        let session = Session::new(ctx.clone(), config, identity, Relogin::Always);
        return Ok((session, false));
    }

    let login = Login::for_org(&document, &config)?;
    tracing::debug!("signing in with {}", login.kind().name());
    let _lock = SessionLock::acquire(state, ctx.settings.session_lock_timeout).await?;
    let signed_in = login.sign_in(ctx).await?;
    let identity = Identity {
        credential: signed_in.credential,
        org: document,
        firebase: signed_in.firebase,
        other: Default::default(),
    };
    // §2.4: a new identity starts with an empty cache.
    state::remove_dir_if_exists(&state.cache_dir())?;
    identity.save(state)?;
    ctx.printer.status(&format!(
        "Saving authorization to {}.",
        state.identity_path().display()
    ));
    Ok((
        Session::new(ctx.clone(), config, identity, Relogin::Always),
        true,
    ))
}

/// Forgets the login after the org refused it (§2.1 step 5).
pub fn log_out_after_refusal(state: &StateDir) -> Error {
    if let Err(e) = identity::forget(state) {
        tracing::debug!("could not remove the identity: {e}");
    }
    Error::OrgNotFoundLoggingOut
}
