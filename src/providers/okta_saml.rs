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
        }
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
                return self.assume_role_with_saml(role, &saml_response).await;
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
        let web_sso_token = token_exchange(http, okta, &self.app_id).await?;
        let html = sso_page(http, okta, &web_sso_token).await?;
        let saml_response = saml::saml_response_from_html(&html)?;
        let offered = saml::roles_in_assertion(&saml_response)?;
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

    /// AssumeRoleWithSAML, unsigned, at the partition's STS endpoint (§5.5).
    async fn assume_role_with_saml(
        &self,
        role: &SamlRole,
        saml_response: &Secret<String>,
    ) -> Result<AwsCredentials> {
        let partition = role.partition.as_str();
        let account = &role.account_id;
        let sts = aws_sdk::sts(role.partition.sts_region());
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
