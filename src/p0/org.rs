//! The org document (`GET /orgs/{org}`, §1.4) and the tenant config (`config.json`, §1.5).
//!
//! Both keep every field they do not interpret, so the files this tool writes stay complete for
//! P0's own CLI.

use super::client::{self, Replay};
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::http::{self, UrlOrigin};
use crate::state::StateDir;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

pub const DEFAULT_APP_URL: &str = "https://api.p0.app";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<OrgAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<TenantConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_provider_token: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgAuth {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<AuthProvider>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthProvider {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// PingOne's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    /// Entra's tenant domain (else `providerDomain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft_primary_domain: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl OrgDocument {
    pub fn uses_provider_token(&self) -> bool {
        self.use_provider_token.unwrap_or(false)
    }

    /// The Okta settings, for the Okta SAML backend: `Error::OktaSamlNeedsOkta` (naming the
    /// org's kind of login) when the org signs in another way.
    pub fn okta_login(&self, account: Option<&str>) -> Result<super::login::Okta> {
        match super::login::Kind::of(self) {
            Ok(super::login::Kind::Okta) => super::login::Okta::from_org(self),
            Ok(kind) => Err(Error::OktaSamlNeedsOkta {
                account: account.map(String::from),
                kind: kind.name().to_string(),
            }),
            Err(e) => Err(e),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs: Option<FirebaseConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_message: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirebaseConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl TenantConfig {
    /// Used when the org document has none (§1.1): the bootstrap API is also the tenant API.
    pub fn defaults(bootstrap: &Url) -> Self {
        TenantConfig {
            fs: Some(FirebaseConfig {
                api_key: env::get(env::read::P0_FS_API_KEY),
                project_id: Some("p0-prod".to_string()),
                other: Map::new(),
            }),
            app_url: Some(bootstrap.as_str().trim_end_matches('/').to_string()),
            contact_message: None,
            other: Map::new(),
        }
    }

    /// The tenant API base, validated (https, or http on loopback).
    pub fn api_url(&self) -> Result<Url> {
        let app_url = self.app_url.as_deref().ok_or(Error::MissingConfig)?;
        http::service_url(app_url, UrlOrigin::Server)
    }

    pub fn contact_message(&self) -> String {
        self.contact_message
            .clone()
            .unwrap_or_else(|| crate::error::CONTACT_DEFAULT.to_string())
    }

    pub fn load(state: &StateDir) -> Result<Self> {
        let path = state.config_path();
        let text = match state.read(&path) {
            Ok(Some(text)) => text,
            Err(e @ Error::UnsafeState(_)) => return Err(e),
            Ok(None) | Err(_) => return Err(Error::MissingConfig),
        };
        serde_json::from_slice(&text).map_err(|_| Error::MissingConfig)
    }

    pub fn save(&self, state: &StateDir) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).expect("config serializes");
        state.write(&state.config_path(), &text)
    }
}

/// The bootstrap API: `P0_APP_URL`, else the public P0 API.
pub fn bootstrap_url() -> Result<Url> {
    match env::get(env::read::P0_APP_URL) {
        Some(url) => http::service_url(&url, UrlOrigin::Setting(env::read::P0_APP_URL)),
        None => http::service_url(DEFAULT_APP_URL, UrlOrigin::Server),
    }
}

/// `GET {api}/orgs/{org}`, or the user's local `bootstrap-{org}.json` when present (§1.3).
pub async fn fetch_org(ctx: &Context, api: &Url, org: &str) -> Result<OrgDocument> {
    let local = ctx.state.bootstrap_path(org);
    // It names the hosts the tokens go to: refused, like the rest of the state, if others
    // could have written it.
    if let Some(text) = ctx.state.read(&local)? {
        tracing::debug!("org document from {}", local.display());
        return serde_json::from_slice(&text).map_err(|e| {
            Error::Config(format!(
                "{} is not a valid org document: {}",
                local.display(),
                crate::secret::describe_json_error(&e)
            ))
        });
    }
    let url = join(api, &["orgs", org]);
    let policy = client::api_policy(&ctx.settings);
    let response = client::send(&policy, Replay::Idempotent, url.as_str(), || {
        ctx.http()
            .get(url.clone())
            .timeout(ctx.settings.call_timeout)
            .header("Accept", "application/json")
    })
    .await?;
    let value = client::api_json(response).await.map_err(|e| match e {
        Error::Api(message) if message.starts_with("Not found") => Error::OrgNotFound,
        Error::Http { status: 404, .. } => Error::OrgNotFound,
        other => other,
    })?;
    serde_json::from_value(value).map_err(|e| {
        tracing::debug!("org document: {e}");
        Error::InvalidResponse
    })
}

/// `base` with path segments appended (each percent-encoded), keeping any base path.
pub fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("http(s) URLs have a path")
        .pop_if_empty()
        .extend(segments);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(provider: Value) -> OrgDocument {
        serde_json::from_value(json!({
            "tenantId": "acme-tenant",
            "auth": {"type": "sso", "provider": provider},
            "config": {"appUrl": "https://api.example.com", "fs": {"apiKey": "k"}, "helpMessage": "h"},
            "extra": {"kept": true}
        }))
        .unwrap()
    }

    #[test]
    fn okta_orgs_are_recognised_and_others_refused() {
        let okta = document(json!({
            "ssoProvider": "oidc-pkce", "providerType": "okta",
            "providerDomain": "acme.okta.com", "clientId": "0oa", "providerId": "oidc.okta"
        }));
        let login = okta.okta_login(Some("prod")).unwrap();
        assert_eq!(login.base_url.as_str(), "https://acme.okta.com/");
        assert_eq!(login.client_id, "0oa");

        let legacy =
            document(json!({"ssoProvider": "okta", "providerDomain": "a", "clientId": "b"}));
        assert!(matches!(
            legacy.okta_login(Some("prod")),
            Err(Error::OidcPkceRequired)
        ));
        let ping = document(json!({"ssoProvider": "oidc-pkce", "providerType": "ping"}));
        assert!(matches!(
            ping.okta_login(Some("prod")),
            Err(Error::OktaSamlNeedsOkta { .. })
        ));
        let google = document(json!({"ssoProvider": "google"}));
        let refused = google.okta_login(Some("prod")).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Account prod uses Okta SAML, which needs an Okta sign-in, but your organization \
             signs in with Google. Use an account backed by AWS IAM Identity Center, or ask your \
             P0 admin."
        );
        let unknown = document(json!({"ssoProvider": "microsoft"}));
        assert!(matches!(
            unknown.okta_login(Some("prod")),
            Err(Error::UnsupportedLogin)
        ));
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let doc = document(json!({"ssoProvider": "google", "custom": 1}));
        let again = serde_json::to_value(&doc).unwrap();
        assert_eq!(again["extra"]["kept"], true);
        assert_eq!(again["auth"]["provider"]["custom"], 1);
        assert_eq!(again["config"]["helpMessage"], "h");
        assert_eq!(again["tenantId"], "acme-tenant");
    }

    #[test]
    fn paths_are_joined_and_encoded() {
        let base = Url::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(
            join(&base, &["orgs", "a b"]).as_str(),
            "http://127.0.0.1:9/orgs/a%20b"
        );
        let prefixed = Url::parse("https://x.example/api/").unwrap();
        assert_eq!(
            join(&prefixed, &["o", "acme", "command", ""]).as_str(),
            "https://x.example/api/o/acme/command/"
        );
    }
}
