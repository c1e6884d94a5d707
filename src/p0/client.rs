//! HTTP conventions of the P0 API (§3.1): how answers become values or errors, and the one
//! retry loop (429 and network failures only, capped exponential backoff with jitter) that
//! P0, Firebase and Okta calls share.

use crate::env;
use crate::error::{Error, Result};
use crate::secret::redact_url;
use rand::Rng;
use serde_json::Value;
use std::time::Duration;

/// §3.1: eight retries after the first attempt.
const MAX_RETRIES: u32 = 8;
/// §3.1: delays double from the base and stop growing at 30 times it (30 s by default).
const CAP_FACTOR: u32 = 30;
const DEFAULT_BASE: Duration = Duration::from_secs(1);

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

/// Capped exponential backoff with ±50 % jitter (§3.1).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: DEFAULT_BASE,
            max_retries: MAX_RETRIES,
        }
    }
}

impl RetryPolicy {
    /// The policy with `P0_RETRY_BASE_MS` applied.
    pub fn from_env() -> Self {
        let base = env::get(env::read::P0_RETRY_BASE_MS)
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_BASE);
        RetryPolicy {
            base,
            ..Self::default()
        }
    }

    /// The delay before retry number `retry` (0-based), without jitter.
    pub fn nominal_delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX).min(CAP_FACTOR);
        self.base * factor
    }

    /// The delay before retry number `retry`, jittered uniformly within ±50 %.
    pub fn delay(&self, retry: u32) -> Duration {
        let nominal = self.nominal_delay(retry);
        nominal.mul_f64(rand::rng().random_range(0.5..=1.5))
    }

    /// The longest delay the policy ever waits, which also bounds a server's `Retry-After`.
    pub fn cap(&self) -> Duration {
        self.base * CAP_FACTOR
    }
}

/// Sends the request `build` makes, retrying 429 answers and network failures as `replay`
/// allows. Returns the last answer (a 429 once retries are spent, for the caller to report).
/// `shown_url` names the endpoint in errors; it is redacted before use.
pub async fn send(
    policy: &RetryPolicy,
    replay: Replay,
    shown_url: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response> {
    let mut retry = 0;
    loop {
        // reqwest's error text names the whole URL, query and all: keep only our redacted one.
        let outcome = build().send().await.map_err(reqwest::Error::without_url);
        if let Ok(response) = &outcome {
            tracing::debug!("{} -> {}", redact_url(shown_url), response.status());
        }
        let server_wait = match outcome {
            Ok(response) if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS => {
                return Ok(response)
            }
            Ok(response) if retry >= policy.max_retries => return Ok(response),
            Ok(response) => retry_after(&response),
            Err(e) if replay == Replay::OnlyIfUnsent && !e.is_connect() => {
                tracing::debug!("{} failed after sending: {e}", redact_url(shown_url));
                return Err(Error::RequestOutcomeUnknown {
                    url: redact_url(shown_url),
                });
            }
            Err(e) => {
                tracing::debug!("{} failed: {e}", redact_url(shown_url));
                if retry >= policy.max_retries {
                    return Err(Error::Network {
                        url: redact_url(shown_url),
                    });
                }
                None
            }
        };
        // A server's Retry-After is honoured up to the policy's cap, never below our own delay.
        let delay = policy
            .delay(retry)
            .max(server_wait.unwrap_or_default().min(policy.cap()));
        tracing::debug!(
            "retry {} of {} for {} in {:?}",
            retry + 1,
            policy.max_retries,
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
        let policy = RetryPolicy::default();
        let seconds: Vec<u64> = (0..8).map(|i| policy.nominal_delay(i).as_secs()).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(policy.nominal_delay(40), Duration::from_secs(30));
        for retry in 0..8 {
            let nominal = policy.nominal_delay(retry);
            let jittered = policy.delay(retry);
            assert!(jittered >= nominal / 2 && jittered <= nominal * 3 / 2);
        }
    }

    #[test]
    fn a_small_base_shrinks_every_delay() {
        let policy = RetryPolicy {
            base: Duration::from_millis(2),
            max_retries: 8,
        };
        assert_eq!(policy.nominal_delay(7), Duration::from_millis(60));
        assert_eq!(policy.cap(), Duration::from_millis(60));
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
