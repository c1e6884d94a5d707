//! Okta SAML federation (protocol §5): the Okta session's tokens are exchanged for a web SSO
//! token for the AWS app, Okta's SSO page yields a SAML assertion, and STS turns the assertion
//! into temporary credentials for the role.

use super::saml::{self, SamlRole};
use super::{sts_credentials, BoxFuture, Fetch, Provider};
use crate::accounts;
use crate::aws_sdk::{self, describe_sdk_error};
use crate::cache::{key, CacheKey};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::p0::{OktaSession, P0Connection};
use crate::retry::Backoff;
use crate::secret::{self, Secret};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The `invalid_grant` description that means the Okta apps are misconfigured, not that the
/// session ended (§5.2).
const CONFIGURATION_ERROR: &str =
    "The target audience app must be configured to allow the client to request a 'web_sso_token'.";

/// The `invalid_grant` description of an app sign-on policy that wants a more recent (or
/// stronger) sign-in than the stored one. P0's CLI lists it with the configuration errors, but
/// it deletes the identity on every `invalid_grant`, so its next run signs in afresh, which
/// cures it; `p0` treats it as the session's end (§5.2).
const ASSURANCE_ERROR: &str =
    "The application's assurance requirements are not met by the 'subject_token'.";

/// How many times one Okta call waits out a 429 until `X-Rate-Limit-Reset` (each wait at
/// most one call's deadline).
const RATE_LIMIT_WAITS: u32 = 2;

/// RFC 8693's grant type.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// Waiting for Okta to show a role just granted: 14 retries from 1 s, doubling, capped at 30 s
/// (about 5 minutes in all), as P0's CLI does.
const ROLE_LAG: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), Some(14));

/// A token exchange made by `prepare` is used only this soon after (Okta's web SSO tokens
/// live 5 minutes and are single-use); a slower approval gets a new one. Measured on the wall
/// clock as well as the monotonic one: Linux's monotonic clock stops while a laptop sleeps,
/// and an approval may wait through a closed lid.
const PREPARED_MAX_AGE: Duration = Duration::from_secs(60);

/// A token exchange that succeeded ahead of `fetch` (while P0 approves the request). A failed
/// one is not kept: a 5xx may be gone after the approval, and an `invalid_grant` before the
/// grant exists is no verdict on the session, so `fetch` exchanges again.
struct Prepared {
    at: std::time::Instant,
    at_wall: std::time::SystemTime,
    /// The Okta access token it was made with: after a new sign-in it is not used.
    with: Secret<String>,
    web_sso_token: Secret<String>,
}

impl Prepared {
    /// Whether the outcome may still be used with `okta`'s session, `now` and `now_wall` being
    /// the two clocks' readings. A wall clock set back counts as too old.
    fn usable(
        &self,
        okta: &OktaSession,
        now: std::time::Instant,
        now_wall: std::time::SystemTime,
    ) -> bool {
        let monotonic = now.saturating_duration_since(self.at);
        let wall = now_wall
            .duration_since(self.at_wall)
            .unwrap_or(Duration::MAX);
        monotonic < PREPARED_MAX_AGE
            && wall < PREPARED_MAX_AGE
            && self.with.matches(&okta.access_token)
    }
}

/// An account reached through the org's Okta AWS app: what [`OktaSaml`] needs besides the
/// role (the account config's `login` for the account, and who asks).
#[derive(Clone)]
pub struct OktaSamlAccount {
    pub p0: Arc<P0Connection>,
    pub org: String,
    /// The Okta AWS app's id.
    pub app_id: String,
    /// The IAM SAML provider's name.
    pub identity_provider: String,
    pub account_id: String,
}

impl OktaSamlAccount {
    /// The roles Okta's assertion offers in this account right now, for the role picker: a
    /// token exchange and the SSO page, no STS call. An Okta session that ended early is
    /// renewed as [`Provider::fetch`] renews it.
    pub async fn offered_roles(&self, ctx: &Context) -> Result<Vec<String>> {
        // No role is assumed: the assertion alone is read.
        OktaSaml::new(self.clone(), String::new(), None)
            .offered_roles(ctx)
            .await
    }
}

/// A role in an account, through the org's Okta AWS app and the account's IAM SAML provider.
pub struct OktaSaml {
    account: OktaSamlAccount,
    /// The role name with its path, if any (`p0-grants/ReadOnly`).
    role: String,
    /// DurationSeconds for STS, when asked for.
    duration: Option<i32>,
    prepared: std::sync::Mutex<Option<Prepared>>,
}

impl OktaSaml {
    pub fn new(account: OktaSamlAccount, role: String, duration: Option<i32>) -> OktaSaml {
        OktaSaml {
            account,
            role,
            duration,
            prepared: std::sync::Mutex::new(None),
        }
    }

    /// The prepared web SSO token, once, if it was made recently with `okta`'s tokens.
    fn take_prepared(&self, okta: &OktaSession) -> Option<Secret<String>> {
        let prepared = self
            .prepared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()?;
        let usable = prepared.usable(
            okta,
            std::time::Instant::now(),
            std::time::SystemTime::now(),
        );
        if !usable {
            tracing::debug!(
                "the token exchange made during the approval is too old (or of another sign-in); exchanging again"
            );
        }
        usable.then_some(prepared.web_sso_token)
    }

    /// Credentials through `okta`'s session. `just_granted` (P0 approved access a moment ago)
    /// allows waiting, with bounded backoff, for Okta to list the role; otherwise a missing
    /// role fails at once.
    async fn credentials(
        &self,
        ctx: &Context,
        okta: &OktaSession,
        just_granted: bool,
    ) -> Result<AwsCredentials> {
        let mut retries = 0;
        loop {
            let (saml_response, roles) = self.assertion(ctx, okta).await?;
            if let Some(role) = roles.iter().find(|r| r.name == self.role) {
                return self
                    .assume_role_with_saml(ctx.http(), role, &saml_response)
                    .await;
            }
            if !just_granted || !ROLE_LAG.allows(retries) {
                return Err(Error::RoleNotAvailable {
                    role: self.role.clone(),
                    available: roles.into_iter().map(|r| r.name).collect(),
                });
            }
            if retries == 0 {
                ctx.printer.status(&format!(
                    "Waiting for Okta to make role {} available...",
                    self.role
                ));
            }
            tracing::debug!("role {} not in the assertion yet; retrying", self.role);
            tokio::time::sleep(ROLE_LAG.delay(retries)).await;
            retries += 1;
        }
    }

    /// The SAML assertion Okta issues now through `okta`'s session, and its roles in this
    /// account (§5.2–§5.4).
    async fn assertion(
        &self,
        ctx: &Context,
        okta: &OktaSession,
    ) -> Result<(Secret<String>, Vec<SamlRole>)> {
        let http = ctx.http();
        let html = match self.take_prepared(okta) {
            Some(prepared) => match sso_page_with_assertion(http, okta, &prepared).await {
                // Okta answers a used or expired web SSO token with its sign-in page. The
                // prepared one should be neither; if it is anyway (it expired early, a clock
                // lied), a token exchanged now does what it could not.
                Err(Error::NoSamlAssertion) => {
                    tracing::debug!(
                        "the SSO page refused the prepared token (no assertion); exchanging again"
                    );
                    let web_sso_token = token_exchange(http, okta, &self.account.app_id).await?;
                    sso_page(http, okta, &web_sso_token).await?
                }
                other => other?,
            },
            None => {
                let web_sso_token = token_exchange(http, okta, &self.account.app_id).await?;
                sso_page(http, okta, &web_sso_token).await?
            }
        };
        let form = saml::saml_form_from_html(&html)?;
        let offered = saml::roles_in_form(&form)?;
        let saml_response = form.response;
        // For `--role <TAB>`: the assertion names every role of every account of the app.
        accounts::remember_roles(
            &ctx.cache(),
            &self.account.org,
            offered
                .iter()
                .map(|r| (r.account_id.as_str(), r.name.as_str())),
        );
        let roles = saml::roles_for_account(&offered, &self.account.account_id);
        Ok((saml_response, roles))
    }

    /// The roles of the assertion in this account ([`OktaSamlAccount::offered_roles`]).
    async fn offered_roles(&self, ctx: &Context) -> Result<Vec<String>> {
        let client = self.account.p0.client(ctx).await?;
        let okta = client.okta()?;
        let roles = match self.assertion(ctx, &okta).await {
            Err(e) if e.needs_new_okta_sign_in() && ctx.human().present() => {
                let renewed = client.renew_okta(&okta).await?;
                self.assertion(ctx, &renewed).await?.1
            }
            Err(e) if e.needs_new_okta_sign_in() => {
                client.forget_okta(&okta).await?;
                return Err(e);
            }
            other => other?.1,
        };
        Ok(roles.into_iter().map(|role| role.name).collect())
    }

    /// AssumeRoleWithSAML, unsigned, at the STS endpoint of the role's partition, in the region
    /// of the form's sign-in endpoint when that is regional (§5.5).
    async fn assume_role_with_saml(
        &self,
        http: &Http,
        role: &SamlRole,
        saml_response: &Secret<String>,
    ) -> Result<AwsCredentials> {
        let partition = role.partition.as_str();
        let account = &role.account_id;
        let sts = aws_sdk::sts(http, &role.sts_region);
        let output = sts
            .assume_role_with_saml()
            .role_arn(format!("arn:{partition}:iam::{account}:role/{}", role.name))
            .principal_arn(format!(
                "arn:{partition}:iam::{account}:saml-provider/{}",
                self.account.identity_provider
            ))
            .saml_assertion(saml_response.expose())
            .set_duration_seconds(self.duration)
            .send()
            .await
            .map_err(|e| Error::aws("STS AssumeRoleWithSAML", describe_sdk_error(&e)))?;
        sts_credentials("STS AssumeRoleWithSAML", output.credentials())
    }
}

impl Provider for OktaSaml {
    fn cache_key(&self) -> CacheKey {
        key::Credentials::OktaSaml {
            org: self.account.org.clone(),
            account_id: self.account.account_id.clone(),
            role: self.role.clone(),
        }
        .key()
    }

    fn target(&self) -> Target {
        Target {
            account_id: self.account.account_id.clone(),
            role: self.role.clone(),
        }
    }

    /// The token exchange needs only the stored Okta tokens, not P0's approval. A token it
    /// got is what `fetch` uses first, if it comes soon enough (`PREPARED_MAX_AGE`); a token
    /// Okta then refuses is exchanged again. A failed exchange is forgotten: `fetch`
    /// exchanges after the approval, and only that answer counts.
    fn prepare<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Ok(okta) = crate::p0::stored_okta(&ctx.state) else {
                return;
            };
            let web_sso_token = match token_exchange(ctx.http(), &okta, &self.account.app_id).await
            {
                Ok(token) => token,
                Err(e) => {
                    tracing::debug!(
                        "the token exchange during the approval failed ({e}); exchanging again after it"
                    );
                    return;
                }
            };
            *self
                .prepared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Prepared {
                at: std::time::Instant::now(),
                at_wall: std::time::SystemTime::now(),
                with: okta.access_token,
                web_sso_token,
            });
        })
    }

    fn fetch<'a>(
        &'a self,
        ctx: &'a Context,
        fetch: Fetch,
    ) -> BoxFuture<'a, Result<AwsCredentials>> {
        Box::pin(async move {
            let client = self.account.p0.client(ctx).await?;
            let okta = client.okta()?;
            let result = self.credentials(ctx, &okta, fetch.just_granted).await;
            match result {
                // Okta ended the session early, or the app's sign-on policy wants a more recent
                // sign-in. With someone at the terminal, sign in again (or take another
                // process's fresh login) and try once more, as P0's CLI would have the user
                // re-run the command; without, forget the login as P0's CLI does.
                Err(e) if e.needs_new_okta_sign_in() && ctx.human().present() => {
                    let renewed = client.renew_okta(&okta).await?;
                    self.credentials(ctx, &renewed, fetch.just_granted).await
                }
                Err(e) if e.needs_new_okta_sign_in() => {
                    client.forget_okta(&okta).await?;
                    Err(e)
                }
                _ => result,
            }
        })
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret<String>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// RFC 8693 token exchange for a web SSO token to the AWS app (§5.2).
async fn token_exchange(http: &Http, okta: &OktaSession, app_id: &str) -> Result<Secret<String>> {
    let url = okta_url(okta, "/oauth2/v1/token")?;
    let audience = format!("urn:okta:apps:{app_id}");
    let form = [
        ("grant_type", TOKEN_EXCHANGE_GRANT),
        ("audience", audience.as_str()),
        ("client_id", okta.client_id.as_str()),
        ("actor_token", okta.access_token.expose().as_str()),
        (
            "actor_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("subject_token", okta.id_token.expose().as_str()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:id_token",
        ),
        (
            "requested_token_type",
            "urn:okta:oauth:token-type:web_sso_token",
        ),
    ];
    let response = send_waiting_out_rate_limits(http.call_timeout(), url.as_str(), || {
        http.post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
    })
    .await?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        let token: TokenResponse = serde_json::from_str(&body).map_err(|_| {
            Error::aws(
                "okta",
                "the token exchange answered without an access token",
            )
        })?;
        return Ok(token.access_token);
    }
    let oauth_error: OAuthError = serde_json::from_str(&body).unwrap_or_default();
    if status == reqwest::StatusCode::BAD_REQUEST && oauth_error.error == "invalid_grant" {
        let description = oauth_error.error_description.trim();
        return Err(match description {
            CONFIGURATION_ERROR => Error::InvalidProviderConfig(description.to_string()),
            ASSURANCE_ERROR => Error::OktaReauthenticationRequired(description.to_string()),
            _ => Error::OktaSessionExpired,
        });
    }
    if status == reqwest::StatusCode::BAD_REQUEST && is_classic_engine_refusal(&oauth_error) {
        return Err(Error::OktaClassicEngine {
            okta: okta.base_url.to_string(),
            answer: oauth_error.error_description.trim().to_string(),
        });
    }
    Err(refused(url.as_str(), status, body))
}

/// A Classic Engine org's answer to the web SSO token exchange: the token-exchange grant (or
/// the web SSO token type) is not offered, as only Okta Identity Engine offers it.
fn is_classic_engine_refusal(error: &OAuthError) -> bool {
    error.error == "unsupported_grant_type"
        || (error.error == "invalid_request"
            && error.error_description.contains("'requested_token_type'"))
}

/// Sends `build`'s request; an Okta 429 is waited out until its `X-Rate-Limit-Reset` (epoch
/// seconds; Okta sends no Retry-After) and sent again, at most [`RATE_LIMIT_WAITS`] times. A
/// reset further away than one call's `deadline` fails at once, saying when it is.
async fn send_waiting_out_rate_limits(
    deadline: Duration,
    shown_url: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response> {
    let mut waits = 0;
    loop {
        let response = build()
            .send()
            .await
            .map_err(|e| call_failed(shown_url, deadline, e))?;
        if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS || waits == RATE_LIMIT_WAITS
        {
            return Ok(response);
        }
        let Some(wait) = rate_limit_wait(response.headers(), std::time::SystemTime::now()) else {
            return Ok(response);
        };
        if wait > deadline {
            return Err(Error::OktaRateLimited {
                url: secret::redact_url(shown_url),
                seconds: wait.as_secs(),
                deadline: deadline.as_secs(),
            });
        }
        tracing::debug!("Okta rate limit: waiting {wait:?} for its reset");
        tokio::time::sleep(wait).await;
        waits += 1;
    }
}

/// How long until Okta's rate limit resets (`X-Rate-Limit-Reset`, epoch seconds), plus half
/// a second for the reset to take effect; `None` without the header.
fn rate_limit_wait(
    headers: &reqwest::header::HeaderMap,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let reset: u64 = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let reset = std::time::UNIX_EPOCH + Duration::from_secs(reset);
    let until = reset.duration_since(now).unwrap_or_default();
    Some(until + Duration::from_millis(500))
}

/// Okta's SSO page for the web SSO token, which carries the SAML form (§5.3). No cookies.
async fn sso_page(
    http: &Http,
    okta: &OktaSession,
    web_sso_token: &Secret<String>,
) -> Result<String> {
    let mut url = okta_url(okta, "/login/token/sso")?;
    url.query_pairs_mut()
        .append_pair("token", web_sso_token.expose());
    let shown = secret::redact_url(url.as_str());
    let response = send_waiting_out_rate_limits(http.call_timeout(), &shown, || {
        http.get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
    })
    .await?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(refused(&shown, status, body));
    }
    Ok(body)
}

/// The SSO page for `web_sso_token`, only if it carries a SAML assertion: Okta answers a used
/// or expired token with its sign-in page.
async fn sso_page_with_assertion(
    http: &Http,
    okta: &OktaSession,
    web_sso_token: &Secret<String>,
) -> Result<String> {
    let html = sso_page(http, okta, web_sso_token).await?;
    saml::saml_response_from_html(&html)?;
    Ok(html)
}

/// A non-2xx answer from Okta (a 5xx, a 403): §2.2's words, and the exit code of a backend
/// that did not produce credentials.
fn refused(shown_url: &str, status: reqwest::StatusCode, body: String) -> Error {
    Error::Okta(Error::fetch(shown_url, status, body).to_string())
}

/// An Okta call that got no answer to use, said as what happened: no connection, no answer
/// in time (`deadline`), or a redirect loop (which is not a network failure). `shown_url` is
/// redacted.
fn call_failed(shown_url: &str, deadline: Duration, error: reqwest::Error) -> Error {
    let error = error.without_url();
    let shown_url = secret::redact_url(shown_url);
    let problem = if error.is_timeout() {
        format!("timed out (no answer within {} s)", deadline.as_secs())
    } else if error.is_redirect() {
        "it redirected in a loop (more than 10 redirects)".to_string()
    } else if error.is_connect() {
        format!("no connection: {}", crate::http::innermost_cause(&error))
    } else {
        crate::http::innermost_cause(&error)
    };
    Error::Okta(format!("Okta at {shown_url}: {problem}"))
}

fn okta_url(okta: &OktaSession, path: &str) -> Result<url::Url> {
    okta.base_url.join(path).map_err(|e| {
        Error::RemoteData(format!(
            "The org's Okta URL {} cannot be used: {e}",
            okta.base_url
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Instant, SystemTime};

    fn okta(access_token: &str) -> OktaSession {
        OktaSession {
            base_url: url::Url::parse("https://acme.okta.com").unwrap(),
            client_id: "0oa-cli".into(),
            access_token: Secret::new(access_token.into()),
            id_token: Secret::new("id".into()),
        }
    }

    fn prepared(provider: &OktaSaml, at: Instant, at_wall: SystemTime, with: &str) {
        *provider.prepared.lock().unwrap() = Some(Prepared {
            at,
            at_wall,
            with: Secret::new(with.into()),
            web_sso_token: Secret::new("web".into()),
        });
    }

    /// A prepared token is used once, only while young on both clocks and only with the
    /// tokens it was made with.
    #[test]
    fn a_prepared_exchange_is_used_once_young_and_for_the_same_session() {
        let provider = OktaSaml::new(
            OktaSamlAccount {
                p0: P0Connection::new(),
                org: "acme".into(),
                app_id: "app".into(),
                identity_provider: "idp".into(),
                account_id: "1".into(),
            },
            "R".into(),
            None,
        );
        let (now, now_wall) = (Instant::now(), SystemTime::now());
        assert!(
            provider.take_prepared(&okta("a")).is_none(),
            "nothing prepared"
        );
        prepared(&provider, now, now_wall, "a");
        let taken = provider.take_prepared(&okta("a")).unwrap();
        assert_eq!(taken.expose(), "web");
        assert!(provider.take_prepared(&okta("a")).is_none(), "single use");

        prepared(&provider, now, now_wall, "old");
        assert!(
            provider.take_prepared(&okta("new")).is_none(),
            "another sign-in"
        );
        let too_old = PREPARED_MAX_AGE + Duration::from_secs(1);
        prepared(&provider, now - too_old, now_wall - too_old, "a");
        assert!(provider.take_prepared(&okta("a")).is_none(), "too old");
        // A laptop that slept through the approval: the monotonic clock stood still, the
        // token did not wait.
        prepared(&provider, now, now_wall - Duration::from_secs(600), "a");
        assert!(
            provider.take_prepared(&okta("a")).is_none(),
            "slept through"
        );
        // A wall clock set back is no proof of youth either.
        prepared(&provider, now, now_wall + Duration::from_secs(5), "a");
        assert!(
            provider.take_prepared(&okta("a")).is_none(),
            "clock set back"
        );
        prepared(&provider, now - too_old, now_wall, "a");
        assert!(
            provider.take_prepared(&okta("a")).is_none(),
            "monotonic age"
        );
    }

    /// Okta's 429 names its reset in epoch seconds; the wait runs to it (never negative).
    #[test]
    fn the_rate_limit_wait_runs_to_the_reset() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(rate_limit_wait(&headers, now), None);
        headers.insert("x-rate-limit-reset", "1000007".parse().unwrap());
        assert_eq!(
            rate_limit_wait(&headers, now),
            Some(Duration::from_millis(7500))
        );
        headers.insert("x-rate-limit-reset", "999990".parse().unwrap());
        assert_eq!(
            rate_limit_wait(&headers, now),
            Some(Duration::from_millis(500))
        );
        headers.insert("x-rate-limit-reset", "soon".parse().unwrap());
        assert_eq!(rate_limit_wait(&headers, now), None);
    }

    #[test]
    fn a_classic_engine_refusal_is_recognised() {
        let refusal = |error: &str, description: &str| OAuthError {
            error: error.into(),
            error_description: description.into(),
        };
        assert!(is_classic_engine_refusal(&refusal(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server."
        )));
        assert!(is_classic_engine_refusal(&refusal(
            "invalid_request",
            "The 'requested_token_type' parameter value is not supported."
        )));
        assert!(!is_classic_engine_refusal(&refusal(
            "invalid_request",
            "The 'audience' parameter value 'x' is invalid."
        )));
    }

    /// The bound leaves most of a web SSO token's five minutes unused.
    #[test]
    fn the_bound_is_well_inside_the_tokens_lifetime() {
        assert!(PREPARED_MAX_AGE * 4 <= Duration::from_secs(300));
    }
}
