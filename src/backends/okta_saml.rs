//! Okta SAML federation (protocol §5): the Okta session's tokens are exchanged for a web SSO
//! token for the AWS app, Okta's SSO page yields a SAML assertion, and STS turns the assertion
//! into temporary credentials for the role.

use super::jittered;
use super::saml::{self, SamlRole};
use crate::aws_sdk::{self, describe_sdk_error};
use crate::credentials::AwsCredentials;
use crate::error::{Error, Result};
use crate::p0::OktaSession;
use crate::secret::{self, Secret};
use serde::Deserialize;
use std::time::Duration;

/// The two `invalid_grant` descriptions that mean the Okta apps are misconfigured, not that the
/// session ended (§5.2).
const CONFIGURATION_ERRORS: [&str; 2] = [
    "The application's assurance requirements are not met by the 'subject_token'.",
    "The target audience app must be configured to allow the client to request a 'web_sso_token'.",
];

/// Waiting for Okta to show a role just granted: 14 retries from 1 s, doubling, capped at 30 s
/// (about 5 minutes in all), as P0's CLI does.
const ROLE_LAG_RETRIES: u32 = 14;
const ROLE_LAG_FIRST_DELAY: Duration = Duration::from_secs(1);
const ROLE_LAG_MAX_DELAY: Duration = Duration::from_secs(30);

/// What to assume, in which account, through which Okta app and IAM SAML provider.
#[derive(Debug, Clone)]
pub struct SamlTarget<'a> {
    pub app_id: &'a str,
    pub identity_provider: &'a str,
    pub account_id: &'a str,
    /// The role name with its path, if any (`p0-grants/ReadOnly`).
    pub role: &'a str,
    /// DurationSeconds for STS, when asked for.
    pub duration: Option<i32>,
}

/// Credentials for `target`. `just_granted` (P0 approved access a moment ago) allows waiting,
/// with bounded backoff, for Okta to list the role; otherwise a missing role fails at once.
pub async fn credentials(
    okta: &OktaSession,
    target: &SamlTarget<'_>,
    just_granted: bool,
) -> Result<AwsCredentials> {
    let http = crate::http::client();
    let mut delay = ROLE_LAG_FIRST_DELAY;
    let mut retries = 0;
    loop {
        let web_sso_token = token_exchange(&http, okta, target.app_id).await?;
        let html = sso_page(&http, okta, &web_sso_token).await?;
        let saml_response = saml::saml_response_from_html(&html)?;
        let roles = saml::roles_for_account(
            &saml::roles_in_assertion(&saml_response)?,
            target.account_id,
        );
        if let Some(role) = roles.iter().find(|r| r.name == target.role) {
            return assume_role_with_saml(role, target, &saml_response).await;
        }
        if !just_granted || retries >= ROLE_LAG_RETRIES {
            return Err(Error::RoleNotAvailable {
                role: target.role.to_string(),
                available: roles.into_iter().map(|r| r.name).collect(),
            });
        }
        if retries == 0 {
            eprintln!("Waiting for Okta to make role {} available...", target.role);
        }
        tracing::debug!("role {} not in the assertion yet; retrying", target.role);
        tokio::time::sleep(jittered(delay)).await;
        delay = (delay * 2).min(ROLE_LAG_MAX_DELAY);
        retries += 1;
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
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
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
        .map_err(|_| Error::Network {
            url: url.to_string(),
        })?;
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
    Err(Error::fetch(url.as_str(), status, body))
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
        .map_err(|_| Error::Network { url: shown.clone() })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(Error::fetch(&shown, status, body));
    }
    Ok(body)
}

fn okta_url(okta: &OktaSession, path: &str) -> Result<url::Url> {
    okta.base_url
        .join(path)
        .map_err(|e| Error::Usage(format!("Invalid Okta URL {}: {e}", okta.base_url)))
}

/// AssumeRoleWithSAML, unsigned, at the partition's STS endpoint (§5.5).
async fn assume_role_with_saml(
    role: &SamlRole,
    target: &SamlTarget<'_>,
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
            target.identity_provider
        ))
        .saml_assertion(saml_response.expose())
        .set_duration_seconds(target.duration)
        .send()
        .await
        .map_err(|e| Error::aws("STS AssumeRoleWithSAML", describe_sdk_error(&e)))?;
    let credentials = output
        .credentials()
        .ok_or_else(|| Error::aws("STS AssumeRoleWithSAML", "no credentials in the answer"))?;
    let expiration =
        time::OffsetDateTime::from_unix_timestamp_nanos(credentials.expiration().as_nanos())
            .map_err(|_| Error::aws("STS AssumeRoleWithSAML", "an invalid expiration"))?;
    Ok(AwsCredentials {
        access_key_id: credentials.access_key_id().to_string(),
        secret_access_key: Secret::new(credentials.secret_access_key().to_string()),
        session_token: Secret::new(credentials.session_token().to_string()),
        expiration,
    })
}
