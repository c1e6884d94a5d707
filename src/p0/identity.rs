//! `identity.json` (§2.4): the Okta token response with its expiry and the org document, in
//! P0's own format so a user can switch between this tool and P0's CLI.
//!
//! One addition P0's CLI ignores: `firebaseSession`, the Firebase ID and refresh tokens, so the
//! next command within the hour makes no sign-in call. It lives in the same file so it can never
//! outlive or belong to another login: when P0's CLI rewrites the file, the key is gone.

use super::org::{OrgAuth, OrgDocument};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::state::{self, StateDir};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// §2.3: an authenticated command needs more than this left on the Okta session.
pub const COMMAND_MARGIN_SECS: f64 = 60.0;
/// §2.1: `p0 login` counts a session as current with more than this left.
pub const LOGIN_MARGIN_SECS: f64 = 300.0;
/// A cached Firebase ID token is renewed this long before it expires, as the Firebase SDK does.
pub const FIREBASE_MARGIN_SECS: f64 = 300.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub credential: OktaCredential,
    pub org: OrgDocument,
    #[serde(
        rename = "firebaseSession",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub firebase: Option<FirebaseSession>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The Okta token response, stored whole (§2.2), plus `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OktaCredential {
    pub access_token: Secret<String>,
    #[serde(default)]
    pub id_token: Secret<String>,
    /// Epoch seconds: issue time + `expires_in` - 1.
    #[serde(default)]
    pub expires_at: f64,
    /// Entra's (with `offline_access`) renews the session without the browser; P0's CLI keeps
    /// it here too (password logins: Firebase's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret<String>>,
    /// `token_type`, `scope`, `expires_in` and anything else Okta sent, kept as they came.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirebaseSession {
    pub id_token: Secret<String>,
    pub refresh_token: Secret<String>,
    /// Epoch seconds, never later than the Okta session's end (§10: Firebase may reject tokens
    /// minted from an expired Okta id_token, so none is trusted beyond it).
    pub expires_at: f64,
}

/// A malformed `firebaseSession` is dropped (and a new sign-in made), never a reason to
/// treat the whole identity as unreadable.
fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<FirebaseSession>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

impl OktaCredential {
    /// Parses a token endpoint answer and stamps its expiry as P0's CLI does (§2.4).
    pub fn from_token_response(response: Value, issued_at: f64) -> Result<Self> {
        let mut credential: OktaCredential =
            serde_json::from_value(response).map_err(|_| Error::InvalidResponse)?;
        let expires_in = credential
            .other
            .get("expires_in")
            .and_then(Value::as_f64)
            .unwrap_or(3600.0);
        credential.expires_at = issued_at + expires_in - 1.0;
        Ok(credential)
    }

    pub fn remaining(&self) -> f64 {
        self.expires_at - now_secs()
    }
}

impl FirebaseSession {
    /// Whether to use this ID token as it is: more than [`FIREBASE_MARGIN_SECS`] left, or its
    /// expiry is the Okta session's end (`okta_expires_at`) and that has not come. A token
    /// minted in the session's last minutes is capped there, and so would any new one be:
    /// renewing it again on every call, in every process, gains nothing (the Okta session's
    /// own margin decides when the session is over).
    pub fn is_fresh(&self, okta_expires_at: f64) -> bool {
        let left = self.expires_at - now_secs();
        let capped_by_okta = self.expires_at >= okta_expires_at;
        left > FIREBASE_MARGIN_SECS || (capped_by_okta && left > 0.0)
    }
}

impl Identity {
    pub fn slug(&self) -> Option<&str> {
        self.org.slug.as_deref()
    }

    /// Old identity files lack `org.auth`; P0's CLI logs in again for them (§1.4).
    pub fn is_current_format(&self) -> bool {
        self.org.auth.is_some()
    }

    /// Reads the identity; `Ok(None)` when there is none. A file that cannot be parsed (or is
    /// too big to be one) counts as none (P0's CLI ignores errors here too), so a new login
    /// simply replaces it. One others could have written is refused (`state`).
    pub fn load(state: &StateDir) -> Result<Option<Identity>> {
        let path = state.identity_path();
        let Some(text) = state.read(&path)? else {
            return Ok(None);
        };
        match serde_json::from_slice(&text) {
            Ok(identity) => Ok(Some(identity)),
            Err(e) => {
                tracing::debug!(
                    "ignoring unreadable {}: {}",
                    path.display(),
                    crate::secret::describe_json_error(&e)
                );
                Ok(None)
            }
        }
    }

    /// The org slug of the stored identity, reading only what decides it. The file must
    /// have an identity's shape (a credential with an access token, an org document), but
    /// the tokens and the rest of the document are skipped rather than copied: a warm run
    /// reads this file on every start. `None` as [`Identity::load`] would give none, and
    /// `Error::UnsafeState` as it would refuse the file.
    pub fn stored_slug(state: &StateDir) -> Result<Option<String>> {
        Ok(Identity::stored_org(state)?.map(|(slug, _)| slug))
    }

    /// As [`Identity::stored_slug`], with the org document's `auth` (how the org logs in).
    pub fn stored_org(state: &StateDir) -> Result<Option<(String, Option<OrgAuth>)>> {
        #[derive(Deserialize)]
        struct Shape {
            #[serde(rename = "credential")]
            _credential: CredentialShape,
            org: OrgShape,
        }
        #[derive(Deserialize)]
        struct CredentialShape {
            #[serde(rename = "access_token")]
            _access_token: serde::de::IgnoredAny,
        }
        #[derive(Deserialize)]
        struct OrgShape {
            #[serde(default)]
            slug: Option<String>,
            #[serde(default)]
            auth: Option<OrgAuth>,
        }
        let Some(text) = state.read(&state.identity_path())? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice::<Shape>(&text)
            .ok()
            .and_then(|shape| Some((shape.org.slug?, shape.org.auth))))
    }

    /// Writes the identity atomically, 0600, JSON with 2-space indent (§2.4).
    pub fn save(&self, state: &StateDir) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).expect("identity serializes");
        state.write(&state.identity_path(), &text)
    }
}

/// The longest token whose claims are read (a JWT is a few kilobytes at most).
const MAX_JWT_LEN: usize = 64 * 1024;
/// The longest email address shown.
const MAX_EMAIL_LEN: usize = 320;

/// The `email` claim of a JWT, read without verifying it: only to show who is logged in
/// (`p0 status`), never to decide anything. `None` for anything that is not a JWT with one.
pub fn email_claim(token: &Secret<String>) -> Option<String> {
    use base64::Engine;
    let token = token.expose();
    if token.len() > MAX_JWT_LEN {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&json).ok()?;
    let email = claims.get("email")?.as_str()?;
    (!email.is_empty() && email.len() <= MAX_EMAIL_LEN && !email.chars().any(char::is_control))
        .then(|| email.to_string())
}

/// Removes the identity and the cache (logout, or a login that turned out to be unusable).
pub fn forget(state: &StateDir) -> Result<()> {
    state::remove_if_exists(&state.identity_path())?;
    state::remove_dir_if_exists(&state.cache_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p0_cli_identity() -> Value {
        // The shape P0's CLI writes (§2.4).
        json!({
            "credential": {
                "access_token": "at", "id_token": "it", "token_type": "Bearer",
                "scope": "openid email profile okta.apps.sso", "expires_in": 3600,
                "expires_at": 1_900_000_000.5
            },
            "org": {"tenantId": "t", "auth": {"type": "sso"}, "slug": "acme", "ssoOnly": true}
        })
    }

    #[test]
    fn reads_and_writes_p0_cli_files_without_losing_fields() {
        let identity: Identity = serde_json::from_value(p0_cli_identity()).unwrap();
        assert_eq!(identity.slug(), Some("acme"));
        assert!(identity.firebase.is_none());
        assert_eq!(serde_json::to_value(&identity).unwrap(), p0_cli_identity());
    }

    #[test]
    fn token_responses_get_an_expiry() {
        let response =
            json!({"access_token": "a", "id_token": "i", "expires_in": 3600, "scope": "s"});
        let credential = OktaCredential::from_token_response(response, 1000.0).unwrap();
        assert_eq!(credential.expires_at, 4599.0);
        assert_eq!(serde_json::to_value(&credential).unwrap()["scope"], "s");
        assert!(OktaCredential::from_token_response(json!({"error": "x"}), 0.0).is_err());
    }

    #[test]
    fn the_email_claim_is_read_from_a_jwt_only() {
        use base64::Engine;
        let encode = |v: Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let jwt = |claims: Value| {
            Secret::new(format!(
                "{}.{}.sig",
                encode(json!({"alg": "RS256"})),
                encode(claims)
            ))
        };
        assert_eq!(
            email_claim(&jwt(json!({"email": "alice@example.com", "sub": "1"}))).as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(email_claim(&jwt(json!({"sub": "1"}))), None);
        assert_eq!(email_claim(&jwt(json!({"email": "a\u{1b}[2Jb"}))), None);
        assert_eq!(email_claim(&Secret::new("opaque-token".into())), None);
        assert_eq!(email_claim(&Secret::new("a.!!!.c".into())), None);
    }

    #[test]
    fn the_slug_is_read_as_a_whole_load_would_read_it() {
        let tmp = tempfile::tempdir().unwrap();
        let state = StateDir::at(tmp.path().join(".p0"), "");
        let slug = |text: &str| {
            crate::state::write_private(&state.identity_path(), text.as_bytes()).unwrap();
            let whole = Identity::load(&state)
                .unwrap()
                .and_then(|i| i.slug().map(String::from));
            assert_eq!(Identity::stored_slug(&state).unwrap(), whole, "{text}");
            whole
        };
        assert_eq!(
            slug(&p0_cli_identity().to_string()).as_deref(),
            Some("acme")
        );
        assert_eq!(
            slug(r#"{"credential": {"access_token": "a"}, "org": {}}"#),
            None
        );
        assert_eq!(slug(r#"{"org": {"slug": "acme"}}"#), None);
        assert_eq!(slug(r#"{"credential": {}, "org": {"slug": "acme"}}"#), None);
        assert_eq!(slug("{\"credential\": {\"access_token\": "), None);
        assert_eq!(
            slug(r#"{"credential": {"access_token": "a"}, "org": {"slug": "acme", "auth": 1}}"#),
            None
        );
        // The login document comes with the slug, as the whole file has it.
        slug(&p0_cli_identity().to_string());
        let (_, auth) = Identity::stored_org(&state).unwrap().unwrap();
        assert_eq!(auth.map(|a| a.kind).as_deref(), Some("sso"));
    }

    #[test]
    fn a_token_capped_by_the_okta_session_is_fresh_until_it_ends() {
        let now = now_secs();
        let token = |expires_at: f64| FirebaseSession {
            id_token: Secret::new("fb".into()),
            refresh_token: Secret::new("rt".into()),
            expires_at,
        };
        let okta_end = now + 240.0;
        // Minted four minutes before the Okta session ends: capped there, and fresh.
        assert!(token(okta_end).is_fresh(okta_end));
        // Due for renewal on its own clock, well before the session ends.
        assert!(!token(now + 30.0).is_fresh(now + 3000.0));
        assert!(!token(now + 30.0).is_fresh(okta_end));
        assert!(token(now + 3000.0).is_fresh(now + 7200.0));
        // Capped, but over.
        assert!(!token(now - 1.0).is_fresh(now - 1.0));
    }

    #[test]
    fn a_broken_firebase_session_is_dropped_not_fatal() {
        let mut value = p0_cli_identity();
        value["firebaseSession"] = json!({"idToken": 3});
        let identity: Identity = serde_json::from_value(value).unwrap();
        assert!(identity.firebase.is_none());
    }

    #[test]
    fn files_are_private_and_pretty() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let state = StateDir::at(tmp.path().join(".p0"), "");
        assert!(Identity::load(&state).unwrap().is_none());
        let mut identity: Identity = serde_json::from_value(p0_cli_identity()).unwrap();
        identity.firebase = Some(FirebaseSession {
            id_token: Secret::new("fb".into()),
            refresh_token: Secret::new("rt".into()),
            expires_at: 1.0,
        });
        identity.save(&state).unwrap();
        let text = std::fs::read_to_string(state.identity_path()).unwrap();
        assert!(text.starts_with("{\n  \"credential\": {\n    \""), "{text}");
        let mode = std::fs::metadata(state.identity_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Identity::load(&state).unwrap().unwrap();
        assert_eq!(again.firebase.unwrap().refresh_token.expose(), "rt");
        std::fs::create_dir_all(state.cache_dir()).unwrap();
        forget(&state).unwrap();
        assert!(!state.identity_path().exists() && !state.cache_dir().exists());
    }
}
