//! The API bearer from Firebase Auth over REST (§2.5): `signInWithIdp` with the provider's
//! tokens, `signInWithPassword` for password orgs, and
//! (unlike P0's CLI) `securetoken` refreshes, so the ID token is reused across commands.
//!
//! `FIREBASE_AUTH_EMULATOR_HOST=host:port` redirects both services as Firebase's own tools do:
//! `http://{host}/identitytoolkit.googleapis.com/...` and `http://{host}/securetoken.googleapis.com/...`.

use super::client::{self, Replay};
use super::identity::{now_secs, FirebaseSession, OktaCredential};
use super::org::TenantConfig;
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::http::{self, UrlOrigin};
use crate::secret::Secret;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

const IDENTITY_TOOLKIT: &str = "identitytoolkit.googleapis.com";
const SECURE_TOKEN: &str = "securetoken.googleapis.com";

/// Why Firebase refused.
#[derive(Debug)]
pub enum Refusal {
    /// The Okta tokens (or the refresh token) are no longer accepted: the session is over.
    Expired,
    /// The user's Firebase account is linked to another identity provider (`needConfirmation`).
    DifferentProvider,
    /// Anything else: shown with the tenant's contact message.
    Other(String),
}

/// Why Firebase refused an email and password.
#[derive(Debug)]
pub enum PasswordRefusal {
    /// The email or password is wrong, or the account cannot sign in (Firebase's code).
    Credentials(String),
    Other(String),
}

/// The tenant's Firebase web API key, else `P0_FS_API_KEY`.
pub fn api_key(config: &TenantConfig) -> Option<String> {
    config
        .fs
        .as_ref()
        .and_then(|fs| fs.api_key.clone())
        .or_else(|| env::get(env::read::P0_FS_API_KEY))
}

pub enum Outcome {
    Session(FirebaseSession),
    Refused(Refusal),
}

/// Where one Firebase service lives: its public host, or the emulator's path under
/// `http://{FIREBASE_AUTH_EMULATOR_HOST}/`.
fn service_base(service: &str, emulator_host: Option<&str>) -> Result<Url> {
    match emulator_host {
        // http::service_url keeps plain http to loopback hosts: real Okta tokens are sent here.
        Some(host) => http::service_url(
            &format!("http://{host}/{service}/"),
            UrlOrigin::Setting(env::read::FIREBASE_AUTH_EMULATOR_HOST),
        ),
        None => http::service_url(&format!("https://{service}/"), UrlOrigin::Server),
    }
}

fn endpoint(service: &str, path: &str, api_key: &str) -> Result<Url> {
    let emulator = env::get(env::read::FIREBASE_AUTH_EMULATOR_HOST);
    let mut url = service_base(service, emulator.as_deref())?
        .join(path)
        .expect("static path");
    url.query_pairs_mut().append_pair("key", api_key);
    Ok(url)
}

/// `accounts:signInWithIdp` with the Okta tokens as provider `provider_id` in `tenant_id`.
pub async fn sign_in_with_idp(
    ctx: &Context,
    api_key: &str,
    tenant_id: Option<&str>,
    provider_id: &str,
    okta: &OktaCredential,
) -> Result<Outcome> {
    let url = endpoint(IDENTITY_TOOLKIT, "v1/accounts:signInWithIdp", api_key)?;
    let post_body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token", okta.id_token.expose())
        .append_pair("access_token", okta.access_token.expose())
        .append_pair("providerId", provider_id)
        .finish();
    let mut body = json!({
        "requestUri": "http://localhost",
        "returnSecureToken": true,
        "postBody": post_body,
    });
    if let Some(tenant) = tenant_id {
        body["tenantId"] = json!(tenant);
    }
    let issued_at = now_secs();
    let answer = call(ctx, &url, |request| request.json(&body)).await?;
    // Firebase's answer when the email belongs to an account of another provider: no token.
    if let Ok(value) = &answer {
        if value.get("needConfirmation").and_then(Value::as_bool) == Some(true)
            || value.get("idToken").is_none()
        {
            return Ok(Outcome::Refused(Refusal::DifferentProvider));
        }
    }
    outcome(answer, issued_at, okta)
}

/// `accounts:signInWithPassword` in `tenant_id`: the Firebase session, or why not.
pub async fn sign_in_with_password(
    ctx: &Context,
    api_key: &str,
    tenant_id: Option<&str>,
    email: &str,
    password: &Secret<String>,
) -> Result<std::result::Result<FirebaseSession, PasswordRefusal>> {
    let url = endpoint(IDENTITY_TOOLKIT, "v1/accounts:signInWithPassword", api_key)?;
    let mut body = json!({
        "email": email,
        "password": password.expose(),
        "returnSecureToken": true,
    });
    if let Some(tenant) = tenant_id {
        body["tenantId"] = json!(tenant);
    }
    let issued_at = now_secs();
    let answer = call(ctx, &url, |request| request.json(&body)).await?;
    let value = match answer {
        Ok(value) => value,
        Err(Refusal::Other(message)) => {
            let code = message.split([' ', ':']).next().unwrap_or_default();
            return Ok(Err(match code {
                "INVALID_LOGIN_CREDENTIALS"
                | "INVALID_PASSWORD"
                | "EMAIL_NOT_FOUND"
                | "INVALID_EMAIL"
                | "USER_DISABLED"
                | "TOO_MANY_ATTEMPTS_TRY_LATER"
                | "PASSWORD_LOGIN_DISABLED" => PasswordRefusal::Credentials(code.to_string()),
                _ => PasswordRefusal::Other(message),
            }));
        }
        // USER_DISABLED or USER_NOT_FOUND, which a sign-in with tokens counts as a
        // session's end: here the account cannot sign in.
        Err(Refusal::Expired | Refusal::DifferentProvider) => {
            return Ok(Err(PasswordRefusal::Credentials(
                "the account is disabled or does not exist".to_string(),
            )))
        }
    };
    let tokens: Tokens = serde_json::from_value(value).map_err(|_| Error::InvalidResponse)?;
    Ok(Ok(session(tokens, issued_at, f64::INFINITY)))
}

/// `securetoken` `grant_type=refresh_token`: a new ID token without the Okta round trip.
pub async fn refresh(
    ctx: &Context,
    api_key: &str,
    refresh_token: &Secret<String>,
    okta: &OktaCredential,
) -> Result<Outcome> {
    let url = endpoint(SECURE_TOKEN, "v1/token", api_key)?;
    let issued_at = now_secs();
    let answer = call(ctx, &url, |request| {
        request.form(&[
            ("grant_type", crate::device_flow::REFRESH_GRANT),
            ("refresh_token", refresh_token.expose().as_str()),
        ])
    })
    .await?;
    outcome(answer, issued_at, okta)
}

/// The tokens of a sign-in (camelCase) or a securetoken refresh (snake_case).
#[derive(Deserialize)]
struct Tokens {
    #[serde(alias = "idToken")]
    id_token: Secret<String>,
    #[serde(alias = "refreshToken")]
    refresh_token: Secret<String>,
    #[serde(alias = "expiresIn")]
    expires_in: Value,
}

fn outcome(
    answer: std::result::Result<Value, Refusal>,
    issued_at: f64,
    okta: &OktaCredential,
) -> Result<Outcome> {
    let value = match answer {
        Ok(value) => value,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let tokens: Tokens = serde_json::from_value(value).map_err(|_| Error::InvalidResponse)?;
    Ok(Outcome::Session(session(
        tokens,
        issued_at,
        okta.expires_at,
    )))
}

/// The session of a token answer, never beyond `ends_at` (the provider session's end).
fn session(tokens: Tokens, issued_at: f64, ends_at: f64) -> FirebaseSession {
    // Google sends `expiresIn` as a string of seconds.
    let lifetime = match &tokens.expires_in {
        Value::String(s) => s.parse().unwrap_or(3600.0),
        other => other.as_f64().unwrap_or(3600.0),
    };
    FirebaseSession {
        id_token: tokens.id_token,
        refresh_token: tokens.refresh_token,
        expires_at: (issued_at + lifetime).min(ends_at),
    }
}

/// One POST with the shared retries; a Google error answer becomes a `Refusal`.
async fn call(
    ctx: &Context,
    url: &Url,
    body: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<std::result::Result<Value, Refusal>> {
    // The key in the query is public (it ships in web pages), but it is not ours to log.
    let shown = crate::secret::redact_url(url.as_str());
    let policy = client::api_policy(&ctx.settings);
    let response = client::send(&policy, Replay::Idempotent, &shown, || {
        body(
            ctx.http()
                .post(url.clone())
                .timeout(ctx.settings.call_timeout),
        )
    })
    .await?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value: Option<Value> = serde_json::from_str(&text).ok();
    match value {
        Some(value) if status.is_success() && value.get("error").is_none() => Ok(Ok(value)),
        Some(value) => Ok(Err(refusal(&value))),
        None => Ok(Err(Refusal::Other(format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )))),
    }
}

/// Google's `{"error":{"code":400,"message":"INVALID_IDP_RESPONSE : ..."}}`. The codes the
/// Firebase SDK reports as `auth/invalid-credential` (or a dead refresh token) mean the session
/// is over; everything else is unexpected.
fn refusal(value: &Value) -> Refusal {
    let message = value
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let code = message.split([' ', ':']).next().unwrap_or_default();
    tracing::debug!("Firebase refused: {message}");
    match code {
        "INVALID_IDP_RESPONSE"
        | "INVALID_PENDING_TOKEN"
        | "INVALID_CREDENTIAL"
        | "INVALID_REFRESH_TOKEN"
        | "TOKEN_EXPIRED"
        | "USER_DISABLED"
        | "USER_NOT_FOUND" => Refusal::Expired,
        _ => Refusal::Other(message.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulator_serves_both_services_under_its_host() {
        let url = |service, host| {
            service_base(service, host)
                .unwrap()
                .join("v1/token")
                .unwrap()
        };
        assert_eq!(
            url(SECURE_TOKEN, None).as_str(),
            "https://securetoken.googleapis.com/v1/token"
        );
        assert_eq!(
            url(SECURE_TOKEN, Some("127.0.0.1:9099")).as_str(),
            "http://127.0.0.1:9099/securetoken.googleapis.com/v1/token"
        );
        let sign_in = service_base(IDENTITY_TOOLKIT, Some("localhost:9099"))
            .unwrap()
            .join("v1/accounts:signInWithIdp")
            .unwrap();
        assert_eq!(
            sign_in.as_str(),
            "http://localhost:9099/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp"
        );
        // Real tokens never travel in clear text to another machine.
        assert!(service_base(IDENTITY_TOOLKIT, Some("10.0.0.5:9099")).is_err());
    }

    #[test]
    fn expired_credentials_are_told_apart() {
        let refused = |message: &str| refusal(&json!({"error": {"code": 400, "message": message}}));
        assert!(matches!(
            refused("INVALID_IDP_RESPONSE : The supplied auth credential is expired."),
            Refusal::Expired
        ));
        assert!(matches!(refused("INVALID_REFRESH_TOKEN"), Refusal::Expired));
        assert!(matches!(refused("TENANT_NOT_FOUND"), Refusal::Other(_)));
    }

    #[test]
    fn firebase_tokens_never_outlive_the_okta_session() {
        let okta: OktaCredential = serde_json::from_value(json!({
            "access_token": "a", "id_token": "i", "expires_at": 1500.0
        }))
        .unwrap();
        // A sign-in's camelCase answer, with Google's string seconds.
        let signed_in = json!({"idToken": "x", "refreshToken": "y", "expiresIn": "3600"});
        let Outcome::Session(s) = outcome(Ok(signed_in), 1000.0, &okta).unwrap() else {
            panic!("a session")
        };
        assert_eq!(s.expires_at, 1500.0);
        // A refresh's snake_case answer.
        let refreshed = json!({"id_token": "x", "refresh_token": "y", "expires_in": 100});
        let Outcome::Session(s) = outcome(Ok(refreshed), 1000.0, &okta).unwrap() else {
            panic!("a session")
        };
        assert_eq!(s.expires_at, 1100.0);
        assert_eq!(s.refresh_token.expose(), "y");
    }
}
