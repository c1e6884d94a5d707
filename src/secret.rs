//! A value that must never reach a log, an error message or `--debug` output.
//!
//! Modelled on cargo-credential's `Secret<T>`: `Debug` prints a placeholder, there is no
//! `Display`, and reading the value takes an explicit, greppable `expose()`. There is no
//! `PartialEq` either: tokens are compared with [`Secret::matches`], in constant time.

use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The only way to read the value. Call it at the last moment (an HTTP header, a form
    /// field, a child's environment), never to format a message.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value itself, for the one place that hands it on (the secret stays out of sight
    /// until then).
    pub fn expose_owned(self) -> T {
        self.0
    }

    /// A secret derived from this one (a field of it, a conversion), still redacted.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Secret<U> {
        Secret(f(self.0))
    }
}

impl<T: AsRef<[u8]>> Secret<T> {
    /// Whether both hold the same bytes, compared in constant time (a token a server refused
    /// against the one on disk, an endpoint's authorization header).
    pub fn matches(&self, other: &Secret<T>) -> bool {
        self.matches_bytes(other.0.as_ref())
    }

    /// As [`Secret::matches`], against bytes that arrived from outside (a request header).
    pub fn matches_bytes(&self, other: &[u8]) -> bool {
        self.0.as_ref().ct_eq(other).into()
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Redacts the query string of a URL before it is logged: Okta's `/login/token/sso?token=`
/// carries a web SSO token there.
pub fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?<redacted>"),
        None => url.to_string(),
    }
}

/// Where JSON stopped parsing, without serde_json's own message: for a value of the wrong type
/// it quotes the value (`invalid type: string "..."`), which may be a token. For logging the
/// parse errors of anything that can hold secrets (state files, token answers).
pub fn describe_json_error(e: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("AKIA-very-secret".to_string());
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("very-secret"), "{shown}");
        assert_eq!(secret.expose(), "AKIA-very-secret");
        let mapped = secret.clone().map(|s| s.len());
        assert_eq!(*mapped.expose(), 16);
        assert!(!format!("{mapped:?}").contains("16"));
        assert_eq!(secret.expose_owned(), "AKIA-very-secret");
    }

    #[test]
    fn serializes_transparently() {
        let secret: Secret<String> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"abc\"");
        let nested: Option<Secret<String>> = serde_json::from_str("null").unwrap();
        assert!(nested.is_none());
    }

    #[test]
    fn secrets_are_compared_by_value() {
        let a = Secret::new("token-a".to_string());
        assert!(a.matches(&Secret::new("token-a".to_string())));
        assert!(!a.matches(&Secret::new("token-b".to_string())));
        assert!(!a.matches(&Secret::new("token-a-longer".to_string())));
        assert!(a.matches_bytes(b"token-a"));
    }

    #[test]
    fn redacts_query_strings() {
        assert_eq!(
            redact_url("https://acme.okta.com/login/token/sso?token=abc"),
            "https://acme.okta.com/login/token/sso?<redacted>"
        );
        assert_eq!(redact_url("https://x/y"), "https://x/y");
    }

    #[test]
    fn json_errors_are_described_without_the_values() {
        // A token where a number belongs (an entry from another p0 version).
        let e = serde_json::from_str::<i64>("\"aoa-secret-token\"").unwrap_err();
        assert!(
            e.to_string().contains("aoa-secret-token"),
            "serde_json quotes it"
        );
        let shown = describe_json_error(&e);
        assert!(!shown.contains("aoa-secret-token"), "{shown}");
        assert!(shown.contains("line 1"), "{shown}");
    }
}
