//! HTTP conventions of the P0 API (§3.1): how answers become values or errors, and the one
//! retry loop (429 and network failures only, capped exponential backoff with jitter) that
//! P0, Firebase and Okta calls share.

use crate::context::Settings;
use crate::error::{Error, Result};
use crate::retry::Backoff;
use crate::secret::redact_url;
use serde_json::Value;
use std::time::Duration;

/// §3.1: eight retries after the first attempt.
const MAX_RETRIES: u32 = 8;
/// §3.1: delays double from the base and stop growing at 30 times it (30 s by default).
const CAP_FACTOR: u32 = 30;

/// How [`send`] sends P0, Firebase and Okta calls: the §3.1 retry schedule and one call's
/// deadline, both from `Settings`.
#[derive(Debug, Clone, Copy)]
pub struct SendPolicy {
    pub backoff: Backoff,
    /// `P0_CALL_TIMEOUT`: one call, answer included.
    pub call_timeout: Duration,
}

impl SendPolicy {
    /// How long one `send`, retries included, may take: four calls' worth. The §3.1 schedule's
    /// own delays add up to about two minutes (three with jitter); a server that times out
    /// every attempt would otherwise hold a lock for nine of them.
    pub fn budget(&self) -> Duration {
        self.call_timeout * 4
    }
}

/// The §3.1 schedule (1, 2, 4, 8, 16, 30, 30, 30 times `base`, ±50 % jitter) for P0, Firebase
/// and Okta calls, with the call's deadline. `base` is `P0_RETRY_BASE_MS` (tests shrink it; a
/// slow link can widen it).
pub fn api_policy(settings: &Settings) -> SendPolicy {
    let base = settings.retry_base;
    SendPolicy {
        backoff: Backoff::new(base, base * CAP_FACTOR, Some(MAX_RETRIES)),
        call_timeout: settings.call_timeout,
    }
}

/// When a failed attempt may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads, polls and sign-ins: repeating one has no effect beyond the first.
    Idempotent,
    /// Creating something (an access request): repeat only when the server certainly never saw
    /// it, that is when the connection itself could not be made. A timeout or reset after the
    /// request was sent may leave a request behind; sending again would make a second one.
    OnlyIfUnsent,
}

/// Sends the request `build` makes, retrying 429 answers and network failures as `replay`
/// allows, and only while another attempt can end within [`SendPolicy::budget`]. Returns the last
/// answer (a 429 once retries are spent, for the caller to report). `shown_url` names the
/// endpoint in errors; it is redacted before use.
pub async fn send(
    policy: &SendPolicy,
    replay: Replay,
    shown_url: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response> {
    let started = tokio::time::Instant::now();
    let within_budget =
        |delay: Duration| started.elapsed() + delay + policy.call_timeout <= policy.budget();
    let backoff = &policy.backoff;
    let mut retry = 0;
    loop {
        // reqwest's error text names the whole URL, query and all: keep only our redacted one.
        let outcome = build().send().await.map_err(reqwest::Error::without_url);
        if let Ok(response) = &outcome {
            tracing::debug!("{} -> {}", redact_url(shown_url), response.status());
        }
        // A server's Retry-After is honoured up to the policy's cap, never below our own delay.
        let delay = |server_wait: Option<Duration>| {
            backoff
                .delay(retry)
                .max(server_wait.unwrap_or_default().min(backoff.cap))
        };
        let delay = match outcome {
            Ok(response) if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS => {
                return Ok(response)
            }
            Ok(response) => {
                let delay = delay(retry_after(&response));
                if !backoff.allows(retry) || !within_budget(delay) {
                    return Ok(response);
                }
                delay
            }
            Err(e) if replay == Replay::OnlyIfUnsent && !e.is_connect() => {
                tracing::debug!("{} failed after sending: {e}", redact_url(shown_url));
                return Err(Error::RequestOutcomeUnknown {
                    url: redact_url(shown_url),
                });
            }
            Err(e) => {
                tracing::debug!("{} failed: {e}", redact_url(shown_url));
                // A certificate refused now is refused on every retry.
                if let Some(cause) = crate::http::untrusted_certificate(&e) {
                    return Err(Error::UntrustedCertificate {
                        url: redact_url(shown_url),
                        cause,
                    });
                }
                let delay = delay(None);
                if !backoff.allows(retry) || !within_budget(delay) {
                    return Err(Error::Network {
                        url: redact_url(shown_url),
                    });
                }
                delay
            }
        };
        tracing::debug!(
            "retry {} of {} for {} in {:?}",
            retry + 1,
            backoff.max_retries.unwrap_or(u32::MAX),
            redact_url(shown_url),
            delay
        );
        tokio::time::sleep(delay).await;
        retry += 1;
    }
}

/// A `Retry-After` given in seconds (the HTTP-date form is rare for APIs and ignored).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Reads a P0 API answer per §3.1: a JSON body with an `error` key is a failure whatever the
/// status; a non-JSON non-2xx body is `HTTP Error: {status} {statusText}`; a non-JSON 2xx body is
/// `Invalid response from the server`.
pub async fn api_json(response: reqwest::Response) -> Result<Value> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| {
        tracing::debug!("reading the answer failed: {e}");
        Error::InvalidResponse
    })?;
    interpret_api_body(status, &body)
}

pub fn interpret_api_body(status: reqwest::StatusCode, body: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => match value.get("error") {
            Some(error) => Err(Error::Api(error_text(error))),
            None if status.is_success() => Ok(value),
            None => Err(http_error(status)),
        },
        Err(_) if status.is_success() => Err(Error::InvalidResponse),
        Err(_) => Err(http_error(status)),
    }
}

pub fn http_error(status: reqwest::StatusCode) -> Error {
    Error::Http {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_string(),
    }
}

/// The text of an `error` field: the string itself, or the JSON of anything else.
pub fn error_text(error: &Value) -> String {
    match error {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.get("message").is_some_and(Value::is_string) => {
            o["message"].as_str().unwrap_or_default().to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn delays_follow_the_protocol_schedule() {
        let policy = api_policy(&Settings::default()).backoff;
        let seconds: Vec<u64> = (0..8).map(|i| policy.nominal(i).as_secs()).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert!(policy.allows(7) && !policy.allows(8));
        let small = api_policy(&Settings {
            retry_base: Duration::from_millis(2),
            ..Settings::default()
        })
        .backoff;
        assert_eq!(small.nominal(7), Duration::from_millis(60));
        assert_eq!(small.cap, Duration::from_millis(60));
    }

    #[test]
    fn bodies_are_read_as_the_protocol_says() {
        let err = |status, body: &str| {
            interpret_api_body(status, body.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(StatusCode::OK, r#"{"error":"Not found"}"#), "Not found");
        assert_eq!(
            err(StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>"),
            "HTTP Error: 500 Internal Server Error"
        );
        assert_eq!(
            err(StatusCode::TOO_MANY_REQUESTS, ""),
            "HTTP Error: 429 Too Many Requests"
        );
        assert_eq!(
            err(StatusCode::OK, "not json"),
            "Invalid response from the server"
        );
        assert_eq!(
            err(StatusCode::BAD_GATEWAY, "{}"),
            "HTTP Error: 502 Bad Gateway"
        );
        assert_eq!(
            interpret_api_body(StatusCode::OK, br#"{"ok":true}"#).unwrap()["ok"],
            true
        );
    }
}
