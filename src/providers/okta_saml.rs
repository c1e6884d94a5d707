//! Okta SAML federation (protocol §5): the Okta session's tokens are exchanged for a web SSO
//! token for the AWS app, Okta's SSO page yields a SAML assertion, and STS turns the assertion
//! into temporary credentials for the role.

use super::saml::{self, SamlRole};
use super::{sts_credentials, BoxFuture, Fetch, Provider};
use crate::accounts;
use crate::aws_sdk::{self, describe_sdk_error};
use crate::backend::Backend;
use crate::cache::CacheKey;
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::error::{Error, Result};
use crate::p0::{OktaSession, P0Connection};
use crate::retry::Backoff;
use crate::secret::{self, Secret};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The two `invalid_grant` descriptions that mean the Okta apps are misconfigured, not that the
/// session ended (§5.2).
const CONFIGURATION_ERRORS: [&str; 2] = [
    "The application's assurance requirements are not met by the 'subject_token'.",
    "The target audience app must be configured to allow the client to request a 'web_sso_token'.",
];

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

/// The outcome of a token exchange made ahead of `fetch` (while P0 approves the request).
struct Prepared {
    at: std::time::Instant,
    at_wall: std::time::SystemTime,
    /// The Okta access token it was made with: after a new sign-in it is not used.
    with: Secret<String>,
    web_sso_token: Result<Secret<String>>,
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

/// A role in an account, through the org's Okta AWS app and the account's IAM SAML provider.
pub struct OktaSaml {
    p0: Arc<P0Connection>,
    org: String,
    app_id: String,
    /// The IAM SAML provider's name.
    identity_provider: String,
    account_id: String,
    /// The role name with its path, if any (`p0-grants/ReadOnly`).
    role: String,
    /// DurationSeconds for STS, when asked for.
    duration: Option<i32>,
    prepared: std::sync::Mutex<Option<Prepared>>,
}

impl OktaSaml {
    pub fn new(
        p0: Arc<P0Connection>,
        org: &str,
        app_id: &str,
        identity_provider: &str,
        account_id: &str,
        role: &str,
        duration: Option<i32>,
    ) -> OktaSaml {
        OktaSaml {
            p0,
            org: org.to_string(),
            app_id: app_id.to_string(),
            identity_provider: identity_provider.to_string(),
            account_id: account_id.to_string(),
            role: role.to_string(),
            duration,
            prepared: std::sync::Mutex::new(None),
        }
    }

    /// The prepared exchange's outcome, once, if it was made recently with `okta`'s tokens.
    fn take_prepared(&self, okta: &OktaSession) -> Option<Result<Secret<String>>> {
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
            Some(prepared) => match sso_page_with_assertion(http, okta, &prepared?).await {
                // Okta answers a used or expired web SSO token with its sign-in page. The
                // prepared one should be neither; if it is anyway (it expired early, a clock
                // lied), a token exchanged now does what it could not.
                Err(Error::NoSamlAssertion) => {
                    tracing::debug!(
                        "the SSO page refused the prepared token (no assertion); exchanging again"
                    );
                    let web_sso_token = token_exchange(http, okta, &self.app_id).await?;
                    sso_page(http, okta, &web_sso_token).await?
                }
                other => other?,
            },
            None => {
                let web_sso_token = token_exchange(http, okta, &self.app_id).await?;
                sso_page(http, okta, &web_sso_token).await?
            }
        };
        let form = saml::saml_form_from_html(&html)?;
        let offered = saml::roles_in_form(&form)?;
        let saml_response = form.response;
        // For `--role <TAB>`: the assertion names every role of every account of the app.
        accounts::remember_roles(
            &ctx.cache(),
            &self.org,
            offered
                .iter()
                .map(|r| (r.account_id.as_str(), r.name.as_str())),
        );
        let roles = saml::roles_for_account(&offered, &self.account_id);
        Ok((saml_response, roles))
    }

    /// The roles Okta's assertion offers in this account right now, for the role picker: a
    /// token exchange and the SSO page, no STS call. An Okta session that ended early is
    /// renewed as [`Provider::fetch`] renews it.
    pub async fn offered_roles(&self, ctx: &Context) -> Result<Vec<String>> {
        let client = self.p0.client(ctx).await?;
        let okta = client.okta()?;
        let roles = match self.assertion(ctx, &okta).await {
            Err(Error::OktaSessionExpired) if ctx.human().present() => {
                let renewed = client.renew_okta(&okta).await?;
                self.assertion(ctx, &renewed).await?.1
            }
            Err(Error::OktaSessionExpired) => {
                client.forget_okta(&okta).await?;
                return Err(Error::OktaSessionExpired);
            }
            other => other?.1,
        };
        Ok(roles.into_iter().map(|role| role.name).collect())
    }

    /// AssumeRoleWithSAML, unsigned, at the STS endpoint of the role's partition, in the region
    /// of the form's sign-in endpoint when that is regional (§5.5).
    async fn assume_role_with_saml(
        &self,
        http: &reqwest::Client,
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
                self.identity_provider
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
        CacheKey::new(&[
            "aws",
            Backend::OktaSaml.cache_key(),
            &self.org,
            &self.account_id,
            &self.role,
        ])
    }

    fn target(&self) -> Target {
        Target {
            account_id: self.account_id.clone(),
            role: self.role.clone(),
        }
    }

    /// The token exchange needs only the stored Okta tokens, not P0's approval. Its outcome,
    /// a failure too (Okta's answer to these tokens a moment ago), is what `fetch` meets
    /// first, if it comes soon enough (`PREPARED_MAX_AGE`); a token Okta then refuses is
    /// exchanged again.
    fn prepare<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Ok(okta) = crate::p0::stored_okta(&ctx.state) else {
                return;
            };
            let web_sso_token = token_exchange(ctx.http(), &okta, &self.app_id).await;
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
            let client = self.p0.client(ctx).await?;
            let okta = client.okta()?;
            let result = self.credentials(ctx, &okta, fetch.just_granted).await;
            match result {
                // Okta ended the session early. With someone at the terminal, sign in again
                // (or take another process's fresh login) and try once more, as P0's CLI
                // would have the user re-run the command.
                Err(Error::OktaSessionExpired) if ctx.human().present() => {
                    let renewed = client.renew_okta(&okta).await?;
                    self.credentials(ctx, &renewed, fetch.just_granted).await
                }
                Err(Error::OktaSessionExpired) => {
                    client.forget_okta(&okta).await?;
                    result
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
async fn token_exchange(
    http: &reqwest::Client,
    okta: &OktaSession,
    app_id: &str,
) -> Result<Secret<String>> {
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
    let response = http
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| call_failed(url.as_str(), e))?;
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
        return Err(if CONFIGURATION_ERRORS.contains(&description) {
            Error::InvalidProviderConfig(description.to_string())
        } else {
            Error::OktaSessionExpired
        });
    }
    Err(refused(url.as_str(), status, body))
}

/// Okta's SSO page for the web SSO token, which carries the SAML form (§5.3). No cookies.
async fn sso_page(
    http: &reqwest::Client,
    okta: &OktaSession,
    web_sso_token: &Secret<String>,
) -> Result<String> {
    let mut url = okta_url(okta, "/login/token/sso")?;
    url.query_pairs_mut()
        .append_pair("token", web_sso_token.expose());
    let shown = secret::redact_url(url.as_str());
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| call_failed(&shown, e))?;
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
    http: &reqwest::Client,
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
/// in time, or a redirect loop (which is not a network failure). `shown_url` is redacted.
fn call_failed(shown_url: &str, error: reqwest::Error) -> Error {
    let error = error.without_url();
    let shown_url = secret::redact_url(shown_url);
    let problem = if error.is_timeout() {
        format!(
            "timed out (no answer within {} s)",
            crate::http::call_timeout().as_secs()
        )
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
            web_sso_token: Ok(Secret::new("web".into())),
        });
    }

    /// A prepared token is used once, only while young on both clocks and only with the
    /// tokens it was made with.
    #[test]
    fn a_prepared_exchange_is_used_once_young_and_for_the_same_session() {
        let provider = OktaSaml::new(P0Connection::new(), "acme", "app", "idp", "1", "R", None);
        let (now, now_wall) = (Instant::now(), SystemTime::now());
        assert!(
            provider.take_prepared(&okta("a")).is_none(),
            "nothing prepared"
        );
        prepared(&provider, now, now_wall, "a");
        let taken = provider.take_prepared(&okta("a")).unwrap().unwrap();
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
        // Okta's refusal of these tokens a moment ago counts as the first attempt's.
        *provider.prepared.lock().unwrap() = Some(Prepared {
            at: now,
            at_wall: now_wall,
            with: Secret::new("a".into()),
            web_sso_token: Err(Error::OktaSessionExpired),
        });
        assert!(matches!(
            provider.take_prepared(&okta("a")),
            Some(Err(Error::OktaSessionExpired))
        ));
    }

    /// The bound leaves most of a web SSO token's five minutes unused.
    #[test]
    fn the_bound_is_well_inside_the_tokens_lifetime() {
        assert!(PREPARED_MAX_AGE * 4 <= Duration::from_secs(300));
    }
}
