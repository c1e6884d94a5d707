//! Okta (`oidc-pkce` with `providerType: okta`): the device authorization grant at the org's
//! Okta (§2.2). The Okta tokens also serve the Okta SAML backend.

use super::device::{device_login, DeviceGrant};
use crate::error::{Error, Result};
use crate::http::{self, UrlOrigin};
use crate::p0::identity::OktaCredential;
use crate::p0::org::{join, OrgDocument};
use url::Url;

const SCOPE: &str = "openid email profile okta.apps.sso";

#[derive(Debug, Clone)]
pub struct Okta {
    pub base_url: Url,
    pub client_id: String,
}

impl Okta {
    /// The Okta settings of the org document, or P0's errors for what its Okta plugin refuses.
    pub fn from_org(doc: &OrgDocument) -> Result<Okta> {
        let provider = doc
            .auth
            .as_ref()
            .and_then(|a| a.provider.as_ref())
            .ok_or(Error::UnsupportedLogin)?;
        // The legacy `okta` provider reaches the Okta plugin, which requires oidc-pkce.
        if provider.sso_provider.as_deref() != Some("oidc-pkce") {
            return Err(Error::OidcPkceRequired);
        }
        let domain = provider
            .provider_domain
            .as_deref()
            .ok_or_else(|| Error::LoginMisconfigured(NO_DOMAIN.into()))?;
        let client_id = provider.client_id.clone().ok_or(Error::UnsupportedLogin)?;
        Ok(Okta {
            base_url: http::service_url(domain, UrlOrigin::Server)?,
            client_id,
        })
    }

    pub async fn sign_in(&self, ctx: &crate::context::Context) -> Result<OktaCredential> {
        let authorize_url = join(&self.base_url, &["oauth2", "v1", "device", "authorize"]);
        let token_url = join(&self.base_url, &["oauth2", "v1", "token"]);
        device_login(
            ctx,
            &DeviceGrant {
                provider: "Okta",
                authorize_url: &authorize_url,
                token_url: &token_url,
                client_id: &self.client_id,
                scope: SCOPE,
            },
        )
        .await
    }
}

/// P0's text for an OIDC provider without a domain.
pub const NO_DOMAIN: &str = "Login requires a configured provider domain.";
