//! A value that must never reach a log, an error message or `--debug` output.
//!
//! Modelled on cargo-credential's `Secret<T>`: `Debug` prints a placeholder, there is no
//! `Display`, and reading the value takes an explicit, greppable `expose()`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
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

impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
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
    }

    #[test]
    fn serializes_transparently() {
        let secret: Secret<String> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"abc\"");
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
        let shown = crate::secret::describe_json_error(&e);
        assert!(!shown.contains("aoa-secret-token"), "{shown}");
        assert!(shown.contains("line 1"), "{shown}");
    }
}
