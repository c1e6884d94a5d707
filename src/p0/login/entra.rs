//! Microsoft Entra ID (`azure-oidc`): an authorization code with PKCE and `state` in the
//! browser at `https://login.microsoftonline.com/{microsoftPrimaryDomain or
//! providerDomain}/oauth2/v2.0/{authorize,token}`, redirected to `http://localhost:52701`,
//! scope `openid profile email offline_access`, as P0's azure plugin. `offline_access` brings
//! a refresh token, with which the session is renewed without the browser.
//! `P0_MICROSOFT_ENDPOINT_URL` replaces `https://login.microsoftonline.com` (national clouds);
//! a domain that carries a scheme is used as the tenant's base as it is.

use super::browser::{self, Listener, Pkce, RedirectHost, TokenRefusal};
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::http::{self, UrlOrigin};
use crate::p0::client::Replay;
use crate::p0::identity::OktaCredential;
use crate::p0::org::{join, OrgDocument};
use crate::secret::Secret;
use url::Url;

const MICROSOFT: &str = "https://login.microsoftonline.com";
/// P0's registered redirect port for Entra.
pub const REDIRECT_PORT: u16 = 52701;
const SCOPE: &str = "openid profile email offline_access";

#[derive(Debug, Clone)]
pub struct Entra {
    client_id: String,
    /// `{login host}/{tenant}/oauth2/v2.0/`.
    base: Url,
}

/// What a refresh gave.
pub enum Renewal {
    Renewed(OktaCredential),
    /// Entra no longer takes the refresh token (`invalid_grant`): a new sign-in is needed.
    Refused,
}

impl Entra {
    pub fn from_org(doc: &OrgDocument) -> Result<Entra> {
        let provider = doc.auth.as_ref().and_then(|a| a.provider.as_ref());
        let domain = provider
            .and_then(|p| {
                p.microsoft_primary_domain
                    .clone()
                    .or(p.provider_domain.clone())
            })
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                Error::LoginMisconfigured(
                    "Azure login requires a configured Microsoft primary domain.".into(),
                )
            })?;
        let client_id = provider
            .and_then(|p| p.client_id.clone())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                Error::LoginMisconfigured("Azure login requires a configured client ID.".into())
            })?;
        let tenant = if domain.contains("://") {
            http::service_url(&domain, UrlOrigin::Server)?
        } else {
            let login = match env::get(env::read::P0_MICROSOFT_ENDPOINT_URL) {
                Some(value) => http::service_url(
                    &value,
                    UrlOrigin::Setting(env::read::P0_MICROSOFT_ENDPOINT_URL),
                )?,
                None => Url::parse(MICROSOFT).expect("static URL"),
            };
            join(&login, &[&domain])
        };
        Ok(Entra {
            client_id,
            base: join(&tenant, &["oauth2", "v2.0", ""]),
        })
    }

    fn url(&self, endpoint: &str) -> Url {
        self.base.join(endpoint).expect("a relative path")
    }

    pub async fn sign_in(&self, ctx: &Context) -> Result<OktaCredential> {
        let listener =
            Listener::bind("Microsoft Entra ID", RedirectHost::Localhost, REDIRECT_PORT).await?;
        let redirect_uri = listener.redirect_uri().to_string();
        let pkce = Pkce::new();
        let state = browser::new_state();
        let mut url = self.url("authorize");
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", SCOPE)
            .append_pair("state", &state);
        let code = listener.wait_for_code(ctx, &url, &state).await?;
        let form = [
            ("client_id", self.client_id.as_str()),
            ("code", code.expose().as_str()),
            ("code_verifier", pkce.verifier.expose().as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri.as_str()),
        ];
        // Entra treats a redirect of a "single-page application" registration as a browser
        // origin, which P0's CLI names: the same header here.
        browser::token_request(
            ctx,
            &self.url("token"),
            &form,
            Some(&redirect_uri),
            Replay::OnlyIfUnsent,
        )
        .await
        .map_err(|refusal| match refusal {
            TokenRefusal::InvalidGrant => Error::BrowserSignInFailed {
                provider: "Microsoft Entra ID".into(),
                reason: "Entra refused the authorization code (invalid_grant): it expired or was \
                         used already. Run `p0 login` again."
                    .into(),
            },
            TokenRefusal::Failed(e) => e,
        })
    }

    /// A new token response for the refresh token, with no browser (RFC 6749 section 6).
    pub async fn renew(&self, ctx: &Context, refresh_token: &Secret<String>) -> Result<Renewal> {
        tracing::debug!("renewing the Entra session with its refresh token");
        let redirect_origin = format!("http://localhost:{REDIRECT_PORT}");
        let form = [
            ("client_id", self.client_id.as_str()),
            ("grant_type", crate::device_flow::REFRESH_GRANT),
            ("refresh_token", refresh_token.expose().as_str()),
            ("scope", SCOPE),
        ];
        match browser::token_request(
            ctx,
            &self.url("token"),
            &form,
            Some(&redirect_origin),
            Replay::Idempotent,
        )
        .await
        {
            Ok(mut renewed) => {
                // Entra may keep the refresh token as it was.
                if renewed.refresh_token.is_none() {
                    renewed.refresh_token = Some(refresh_token.clone());
                }
                Ok(Renewal::Renewed(renewed))
            }
            Err(TokenRefusal::InvalidGrant) => {
                tracing::debug!("Entra refused the refresh token (invalid_grant)");
                Ok(Renewal::Refused)
            }
            Err(TokenRefusal::Failed(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(provider: serde_json::Value) -> OrgDocument {
        serde_json::from_value(json!({"auth": {"type": "sso", "provider": provider}})).unwrap()
    }

    #[test]
    fn the_tenant_comes_from_the_primary_domain_then_the_provider_domain() {
        let entra = Entra::from_org(&doc(json!({
            "ssoProvider": "azure-oidc", "microsoftPrimaryDomain": "acme.onmicrosoft.com",
            "providerDomain": "other", "clientId": "c"
        })))
        .unwrap();
        assert_eq!(
            entra.url("authorize").as_str(),
            "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0/authorize"
        );
        let schemed = Entra::from_org(&doc(json!({
            "ssoProvider": "azure-oidc", "providerDomain": "http://127.0.0.1:9/tenant-x", "clientId": "c"
        })))
        .unwrap();
        assert_eq!(
            schemed.url("token").as_str(),
            "http://127.0.0.1:9/tenant-x/oauth2/v2.0/token"
        );
        let no_domain =
            Entra::from_org(&doc(json!({"ssoProvider": "azure-oidc", "clientId": "c"})));
        assert_eq!(
            no_domain.unwrap_err().to_string(),
            "Azure login requires a configured Microsoft primary domain."
        );
        let no_client = Entra::from_org(&doc(
            json!({"ssoProvider": "azure-oidc", "providerDomain": "d"}),
        ));
        assert_eq!(
            no_client.unwrap_err().to_string(),
            "Azure login requires a configured client ID."
        );
    }
}
