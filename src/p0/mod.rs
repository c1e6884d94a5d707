//! The P0 API client: org discovery, the login session (Okta device flow, Firebase), access
//! requests and their poll stream. `P0Client` is the one way every command talks to P0.

mod client;
mod firebase;
#[cfg(test)]
pub(crate) mod fuzz;
mod identity;
mod listing;
mod login;
mod org;
mod request;
mod session;

pub use client::Replay;
pub use listing::{Item, Listing};
pub use request::Created;
pub use session::{log_out_after_refusal, login, LoginOptions, Session};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::state::StateDir;
use serde_json::Value;
use url::Url;

/// An authenticated connection to the org's tenant API.
pub struct P0Client {
    session: Session,
    api: Url,
    org: String,
    retry: client::SendPolicy,
}

/// A connection made on first use and shared by whoever needs P0 in one command (the account
/// config, the access request, the Okta session): a warm run never connects at all.
#[derive(Default)]
pub struct P0Connection {
    client: tokio::sync::OnceCell<P0Client>,
}

impl P0Connection {
    pub fn new() -> std::sync::Arc<P0Connection> {
        std::sync::Arc::default()
    }

    /// The connected client (see [`P0Client::connect`]).
    pub async fn client(&self, ctx: &Context) -> Result<&P0Client> {
        self.client.get_or_try_init(|| P0Client::connect(ctx)).await
    }
}

/// What the AWS backends need from the Okta session (token exchange, `/login/token/sso`).
#[derive(Debug, Clone)]
pub struct OktaSession {
    pub base_url: Url,
    pub client_id: String,
    pub access_token: Secret<String>,
    pub id_token: Secret<String>,
}

/// The result of `request_access`.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    /// `None` when the server said the access already exists instead of creating a request.
    pub request_id: Option<String>,
    /// The request granted access the user did not have before (Okta may lag in showing it).
    pub newly_granted: bool,
    /// The request object as P0 last described it (its `permission`, `delegation`,
    /// `principal`); `None` with `request_id`.
    pub request: Option<serde_json::Value>,
}

impl P0Client {
    /// Loads the stored identity and makes sure the API bearer is valid: no network call when
    /// the stored token is fresh; a securetoken refresh or Firebase sign-in when only it
    /// expired; a new device-flow login when the Okta session expired and a human is present,
    /// else `Error::LoginRequired`. No identity: `Error::NotLoggedIn`.
    pub async fn connect(ctx: &Context) -> Result<P0Client> {
        let session = Session::resume(ctx.clone())?;
        P0Client::from_session(session).await
    }

    /// A client over an existing session (also used by `p0 login` to check access).
    pub async fn from_session(session: Session) -> Result<P0Client> {
        session.bearer().await?;
        let identity = session.identity();
        let org = identity.slug().ok_or(Error::NotLoggedIn)?.to_string();
        let api = session.config().api_url()?;
        let retry = client::api_policy(&session.ctx().settings);
        Ok(P0Client {
            session,
            api,
            org,
            retry,
        })
    }

    pub fn org(&self) -> &str {
        &self.org
    }

    /// Okta tokens and endpoints for the SAML backend; `Error::OktaSamlNeedsOkta` when the
    /// org signs in another way.
    pub fn okta(&self) -> Result<OktaSession> {
        okta_session_of(&self.session.identity())
    }

    /// After Okta refused `refused` (token exchange `invalid_grant`: the Okta session ended
    /// early): a new device-flow login when a human is present, else `Error::LoginRequired`;
    /// then the new tokens. Another process's fresh login is used instead when there is one.
    pub async fn renew_okta(&self, refused: &OktaSession) -> Result<OktaSession> {
        self.session.renew_okta(&refused.access_token).await?;
        self.okta()
    }

    /// After Okta refused `refused` and no human can sign in again: forgets the stored login
    /// (unless another process has already replaced it), so the next command signs in afresh.
    pub async fn forget_okta(&self, refused: &OktaSession) -> Result<()> {
        self.session
            .forget_refused_okta(&refused.access_token)
            .await
    }

    /// `GET {tenant api}/o/{org}/{path}` with the bearer, §3.1 error rules and retries.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .authorized(
                reqwest::Method::GET,
                path,
                None,
                Replay::Idempotent,
                Some(self.retry.call_timeout),
            )
            .await?;
        let value = client::api_json(response).await?;
        serde_json::from_value(value).map_err(|e| {
            tracing::debug!("unexpected answer from {path}: {e}");
            Error::InvalidResponse
        })
    }

    /// `POST {tenant api}/o/{org}/{path}` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value, replay: Replay) -> Result<Value> {
        let response = self
            .authorized(
                reqwest::Method::POST,
                path,
                Some(body),
                replay,
                Some(self.retry.call_timeout),
            )
            .await?;
        client::api_json(response).await
    }

    /// §3.4: creates the request and waits for it, printing progress, the approval and
    /// `Existing access found.` on stderr; `This principal already has this access` counts as
    /// existing access. Ctrl-C ends the wait at once through the command's `block_on`.
    pub async fn request_access(&self, args: Vec<String>) -> Result<AccessGrant> {
        let created = match self.submit(args, "Checking for access in P0").await? {
            Submitted::AlreadyHad => {
                return Ok(AccessGrant {
                    request_id: None,
                    newly_granted: false,
                    request: None,
                })
            }
            Submitted::Created(created) => created,
        };
        // What P0 says about a request that needs an approval (its link, who approves), as
        // P0's CLI shows it in these flows (§3.4).
        if !created.is_quiet() {
            if let Some(message) = created.message() {
                self.printer().status(message);
            }
        }
        let request_id = created.id().ok_or(Error::NoAccessId)?.to_string();
        let created = self.settle(created).await?;
        self.report_granted(&created);
        if !created.is_preexisting() {
            self.printer()
                .status("Waiting for access to be provisioned");
        }
        Ok(AccessGrant {
            request_id: Some(request_id),
            newly_granted: created.is_new_access(),
            request: created.0.get("request").cloned(),
        })
    }

    /// Creates the request behind a spinner. `This principal already has this access` is not
    /// a failure but existing access (§3.4), reported as such.
    pub(crate) async fn submit(&self, args: Vec<String>, activity: &str) -> Result<Submitted> {
        let progress = self.printer().spinner(activity);
        let created = self.create_request(args).await;
        drop(progress);
        match created {
            Err(Error::Api(message)) if message == request::ALREADY_HAS_ACCESS => {
                self.printer().status("Existing access found.");
                Ok(Submitted::AlreadyHad)
            }
            other => other.map(Submitted::Created),
        }
    }

    /// Where this command's messages go.
    pub fn printer(&self) -> &crate::output::Printer {
        &self.session.ctx().printer
    }

    /// §3.4: the approval is news only for access that needed one; existing access says so.
    pub(crate) fn report_granted(&self, created: &Created) {
        if !created.is_quiet() {
            self.printer().status("Your request was approved");
        }
        if created.is_preexisting() {
            self.printer().status("Existing access found.");
        }
    }

    fn url(&self, path: &str) -> Url {
        let mut segments = vec!["o", self.org.as_str()];
        segments.extend(path.split('/'));
        org::join(&self.api, &segments)
    }

    /// Sends with the bearer and the retries `replay` allows. A 401 on a bearer that looked
    /// fresh (the server ended the session early) renews it once and sends again: the server
    /// refused the first one, so nothing was done twice.
    async fn authorized(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
        timeout: Option<std::time::Duration>,
    ) -> Result<reqwest::Response> {
        let url = self.url(path);
        let mut bearer = self.session.bearer().await?;
        let mut renewed = false;
        loop {
            let response = client::send(&self.retry, replay, url.as_str(), || {
                let request = self
                    .session
                    .ctx()
                    .http()
                    .request(method.clone(), url.clone())
                    .bearer_auth(bearer.expose())
                    .header("Accept", "application/json");
                let request = match timeout {
                    Some(timeout) => request.timeout(timeout),
                    None => request,
                };
                match body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await?;
            if response.status() != reqwest::StatusCode::UNAUTHORIZED || renewed {
                return Ok(response);
            }
            tracing::debug!("{path}: the bearer was refused; renewing the session");
            bearer = self.session.renew_after_rejection(&bearer).await?;
            renewed = true;
        }
    }
}

/// What creating a request produced.
pub(crate) enum Submitted {
    /// The server refused to create one because the access already exists.
    AlreadyHad,
    Created(Created),
}

/// The stored login as `p0 status` shows it: no token, only whose session it is and when it
/// ends.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub org: String,
    /// From the Okta id_token's claims, else the Firebase ID token's.
    pub email: Option<String>,
    /// Epoch seconds: when the Okta session ends, and with it the P0 session (a new sign-in
    /// is needed then).
    pub ends_at: f64,
    /// Whether another `p0` is signing in or renewing the session right now.
    pub lock_held: bool,
    /// How the org signs in (`None` for a login this tool does not know).
    pub kind: Option<(&'static str, &'static str)>,
    /// Whether the session renews itself at `ends_at` with no sign-in (Entra's refresh token,
    /// a password login).
    pub renews: bool,
}

/// Reads only local files (identity.json and its lock): `None` when nobody is logged in.
pub fn stored_session(state: &StateDir) -> Option<SessionSummary> {
    let identity = identity::Identity::load(state).ok().flatten()?;
    let org = identity.slug()?.to_string();
    let email = identity::email_claim(&identity.credential.id_token).or_else(|| {
        identity
            .firebase
            .as_ref()
            .and_then(|f| identity::email_claim(&f.id_token))
    });
    Some(SessionSummary {
        org,
        email,
        ends_at: identity.credential.expires_at,
        lock_held: crate::lock::is_held(&session::lock_path(state)),
        kind: login::Kind::of(&identity.org)
            .ok()
            .map(|kind| (kind.id(), kind.name())),
        renews: session::renews_unattended(&identity),
    })
}

fn okta_session_of(identity: &identity::Identity) -> Result<OktaSession> {
    let login = identity.org.okta_login(None)?;
    Ok(OktaSession {
        base_url: login.base_url,
        client_id: login.client_id,
        access_token: identity.credential.access_token.clone(),
        id_token: identity.credential.id_token.clone(),
    })
}

/// The stored login's Okta tokens, from identity.json alone (no call, no API bearer), for
/// work that may start before P0 is reached; `P0Client::okta` is the session's word.
pub fn stored_okta(state: &StateDir) -> Result<OktaSession> {
    let identity = identity::Identity::load(state)?.ok_or(Error::NotLoggedIn)?;
    okta_session_of(&identity)
}

/// The logged-in org as identity.json stores it, read once for a plan: its slug, and how it
/// logs in (an Okta SAML account needs Okta tokens).
#[derive(Debug, Clone)]
pub struct LoggedInOrg {
    pub slug: String,
    auth: Option<org::OrgAuth>,
}

impl LoggedInOrg {
    /// Reads only identity.json (what decides the org and its login); `None` when there is
    /// no stored login.
    pub fn stored(state: &StateDir) -> Result<Option<LoggedInOrg>> {
        Ok(identity::Identity::stored_org(state)?.map(|(slug, auth)| LoggedInOrg { slug, auth }))
    }

    /// Refuses an Okta SAML account up front (before any P0 request) when the login is not
    /// Okta's: its credentials need Okta tokens.
    pub fn check_okta_saml(&self, account: &str) -> Result<()> {
        okta_saml_needs_okta(login::Kind::of_auth(self.auth.as_ref()), account)
    }
}

fn okta_saml_needs_okta(kind: Result<login::Kind>, account: &str) -> Result<()> {
    match kind {
        Ok(login::Kind::Okta) | Err(_) => Ok(()),
        Ok(kind) => Err(Error::OktaSamlNeedsOkta {
            account: Some(account.to_string()),
            kind: kind.name().to_string(),
        }),
    }
}

/// Reads only local files (identity.json): the logged-in org, for cache keys, without network.
/// `Error::UnsafeState` when the identity cannot be trusted.
pub fn stored_org(state: &StateDir) -> Result<Option<String>> {
    identity::Identity::stored_slug(state)
}
