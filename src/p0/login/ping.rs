//! PingOne (`oidc-pkce` with `providerType: ping`): the device authorization grant at
//! `https://{providerDomain}/{environmentId}/as/device_authorization` and `/as/token`, scope
//! `openid email profile`, as P0's ping plugin. A `providerDomain` with a scheme is used as it
//! is (as for Okta).

use super::device::{device_login, DeviceGrant};
use crate::error::{Error, Result};
use crate::http::{self, UrlOrigin};
use crate::p0::identity::OktaCredential;
use crate::p0::org::{join, OrgDocument};
use url::Url;

const SCOPE: &str = "openid email profile";

#[derive(Debug, Clone)]
pub struct Ping {
    environment_url: Url,
    client_id: String,
}

impl Ping {
    pub fn from_org(doc: &OrgDocument) -> Result<Ping> {
        let provider = doc.auth.as_ref().and_then(|a| a.provider.as_ref());
        let field =
            |f: fn(&crate::p0::org::AuthProvider) -> Option<&String>| provider.and_then(f).cloned();
        let provider_type = field(|p| p.provider_type.as_ref());
        let domain = field(|p| p.provider_domain.as_ref());
        let environment = field(|p| p.environment_id.as_ref());
        // P0's ping plugin checks these first, with this text.
        let (Some("ping"), Some(domain), Some(environment)) =
            (provider_type.as_deref(), domain, environment)
        else {
            return Err(Error::LoginMisconfigured(format!(
                "Invalid provider {} (expected ping OIDC provider)",
                provider_type.as_deref().unwrap_or("undefined")
            )));
        };
        let client_id = field(|p| p.client_id.as_ref());
        let (Some("oidc-pkce"), Some(client_id)) =
            (field(|p| p.sso_provider.as_ref()).as_deref(), client_id)
        else {
            return Err(Error::LoginMisconfigured(UNSUPPORTED_CONFIG.into()));
        };
        let base = http::service_url(&domain, UrlOrigin::Server)?;
        Ok(Ping {
            environment_url: join(&base, &[&environment]),
            client_id,
        })
    }

    pub async fn sign_in(&self, ctx: &crate::context::Context) -> Result<OktaCredential> {
        let authorize_url = join(&self.environment_url, &["as", "device_authorization"]);
        let token_url = join(&self.environment_url, &["as", "token"]);
        device_login(
            ctx,
            &DeviceGrant {
                provider: "PingOne",
                authorize_url: &authorize_url,
                token_url: &token_url,
                client_id: &self.client_id,
                scope: SCOPE,
            },
        )
        .await
    }
}

/// P0's text when an OIDC login lacks `oidc-pkce` or a client id.
const UNSUPPORTED_CONFIG: &str = "Your organization's login configuration does not support this access. Your admin will need to install a supported OIDC provider in order for you to use this command.";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(provider: serde_json::Value) -> OrgDocument {
        serde_json::from_value(json!({"auth": {"type": "sso", "provider": provider}})).unwrap()
    }

    #[test]
    fn urls_come_from_the_domain_and_environment() {
        let ping = Ping::from_org(&doc(json!({
            "ssoProvider": "oidc-pkce", "providerType": "ping", "providerDomain": "auth.pingone.com",
            "environmentId": "env-1", "clientId": "c"
        })))
        .unwrap();
        assert_eq!(
            ping.environment_url.as_str(),
            "https://auth.pingone.com/env-1"
        );
        let missing = Ping::from_org(&doc(json!({
            "ssoProvider": "oidc-pkce", "providerType": "ping", "providerDomain": "auth.pingone.com"
        })));
        assert_eq!(
            missing.unwrap_err().to_string(),
            "Invalid provider ping (expected ping OIDC provider)"
        );
        let no_client = Ping::from_org(&doc(json!({
            "ssoProvider": "oidc-pkce", "providerType": "ping", "providerDomain": "a.example",
            "environmentId": "e"
        })));
        assert_eq!(no_client.unwrap_err().to_string(), UNSUPPORTED_CONFIG);
    }
}
