//! The OAuth device authorization grant of a sign-in (§2.2): Okta's and PingOne's, on the
//! shared polling loop (`crate::device_flow`).

use crate::context::Context;
use crate::device_flow::{self, Poll, DEVICE_GRANT};
use crate::error::{Error, Result};
use crate::p0::client::{self, Replay};
use crate::p0::identity::{now_secs, OktaCredential};
use crate::secret::Secret;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// RFC 8628 section 3.2: the polling interval when the server names none.
const DEFAULT_INTERVAL_SECS: u64 = 5;

#[derive(Deserialize)]
struct DeviceAuthorization {
    device_code: Secret<String>,
    user_code: String,
    #[serde(default)]
    verification_uri: Option<String>,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
}

/// Where and as whom a device authorization is asked for.
pub struct DeviceGrant<'a> {
    /// The name the person sees in the browser ("Okta", "PingOne").
    pub provider: &'a str,
    pub authorize_url: &'a url::Url,
    pub token_url: &'a url::Url,
    pub client_id: &'a str,
    pub scope: &'a str,
}

/// Runs the device flow: the link and code for the human (a browser opened unless they asked
/// for none), then polling until the server answers. Returns the token response with its
/// expiry.
pub async fn device_login(ctx: &Context, login: &DeviceGrant<'_>) -> Result<OktaCredential> {
    let http = ctx.http();
    let (authorize_url, token_url) = (login.authorize_url, login.token_url);
    let policy = client::api_policy(&ctx.settings);

    // Both POSTs may be repeated: a lost authorization leaves only an unused device code, and a
    // poll repeated after a lost grant is answered `invalid_grant`, never a second session.
    let response = client::send(&policy, Replay::Idempotent, authorize_url.as_str(), || {
        http.post(authorize_url.clone())
            .timeout(ctx.settings.call_timeout)
            .header("Accept", "application/json")
            .form(&[("client_id", login.client_id), ("scope", login.scope)])
    })
    .await?;
    let (status, body) = read(response).await;
    if !status.is_success() {
        return Err(Error::fetch(authorize_url.as_str(), status, body));
    }
    let device: DeviceAuthorization =
        serde_json::from_str(&body).map_err(|_| Error::InvalidResponse)?;
    let link = device
        .verification_uri_complete
        .as_deref()
        .or(device.verification_uri.as_deref())
        .ok_or(Error::InvalidResponse)?;
    device_flow::show_prompt(ctx, login.provider, link, &device.user_code);

    let interval = Duration::from_secs(device.interval.unwrap_or(DEFAULT_INTERVAL_SECS));
    let (device_code, policy) = (&device.device_code, &policy);
    let poll = move || async move {
        let issued_at = now_secs();
        let response = client::send(policy, Replay::Idempotent, token_url.as_str(), || {
            http.post(token_url.clone())
                .timeout(ctx.settings.call_timeout)
                .header("Accept", "application/json")
                .form(&[
                    ("client_id", login.client_id),
                    ("device_code", device_code.expose().as_str()),
                    ("grant_type", DEVICE_GRANT),
                ])
        })
        .await?;
        let (status, body) = read(response).await;
        if status.is_success() {
            let value: Value = serde_json::from_str(&body).map_err(|_| Error::InvalidResponse)?;
            return OktaCredential::from_token_response(value, issued_at).map(Poll::Granted);
        }
        classify_token_error(status, &body)
            .ok_or_else(|| Error::fetch(token_url.as_str(), status, body))
    };
    device_flow::wait_for_approval(interval, Duration::from_secs(device.expires_in), poll).await
}

/// RFC 8628 section 3.5 answers that keep or end the wait; `None` for anything else.
fn classify_token_error(status: reqwest::StatusCode, body: &str) -> Option<Poll<OktaCredential>> {
    if status != reqwest::StatusCode::BAD_REQUEST {
        return None;
    }
    let error: Value = serde_json::from_str(body).ok()?;
    match error.get("error")?.as_str()? {
        "authorization_pending" => Some(Poll::Pending),
        "slow_down" => Some(Poll::SlowDown),
        "access_denied" => Some(Poll::Denied),
        "expired_token" => Some(Poll::Expired),
        _ => None,
    }
}

async fn read(response: reqwest::Response) -> (reqwest::StatusCode, String) {
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn token_errors_map_to_rfc_8628_outcomes() {
        let poll = |body: &str| classify_token_error(StatusCode::BAD_REQUEST, body);
        assert!(matches!(
            poll(r#"{"error":"authorization_pending"}"#),
            Some(Poll::Pending)
        ));
        assert!(matches!(
            poll(r#"{"error":"slow_down"}"#),
            Some(Poll::SlowDown)
        ));
        assert!(matches!(
            poll(r#"{"error":"access_denied"}"#),
            Some(Poll::Denied)
        ));
        assert!(matches!(
            poll(r#"{"error":"expired_token"}"#),
            Some(Poll::Expired)
        ));
        assert!(poll(r#"{"error":"invalid_client"}"#).is_none());
        assert!(classify_token_error(StatusCode::INTERNAL_SERVER_ERROR, "{}").is_none());
    }

    #[test]
    fn fetch_errors_use_the_protocol_words() {
        let url = url::Url::parse("https://acme.okta.com/oauth2/v1/token").unwrap();
        let error = Error::fetch(url.as_str(), StatusCode::UNAUTHORIZED, "{}".into());
        assert_eq!(
            error.to_string(),
            "Error in fetch request to https://acme.okta.com/oauth2/v1/token:\n401 Unauthorized\n\n{}"
        );
    }
}
