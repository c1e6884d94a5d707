//! Google Workspace (`ssoProvider` `google` or `google-oidc`): an authorization code with PKCE
//! in the browser, redirected to `http://127.0.0.1:52700`, scope `openid email`,
//! `prompt=select_account`, as P0's google plugin. The client id and the public PKCE client
//! secret come from the tenant config's `google` object. `P0_GOOGLE_ENDPOINT_URL` replaces
//! Google's two hosts with one base serving `/o/oauth2/v2/auth` and `/token`.

use super::browser::{self, Listener, Pkce, RedirectHost, TokenRefusal};
use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::http::{self, UrlOrigin};
use crate::p0::client::Replay;
use crate::p0::identity::OktaCredential;
use crate::p0::org::{join, TenantConfig};
use crate::secret::Secret;
use url::Url;

const AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// P0's registered redirect port for Google.
pub const REDIRECT_PORT: u16 = 52700;
const SCOPE: &str = "openid email";

#[derive(Debug, Clone)]
pub struct Google {
    client_id: String,
    client_secret: Secret<String>,
    authorize_url: Url,
    token_url: Url,
}

impl Google {
    pub fn from_config(config: &TenantConfig) -> Result<Google> {
        let google = config.other.get("google");
        let field = |name: &str| {
            google
                .and_then(|g| g.get(name))
                .and_then(|v| v.as_str())
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let (Some(client_id), Some(client_secret)) =
            (field("clientId"), field("publicClientSecretForPkce"))
        else {
            return Err(Error::GoogleClientMissing {
                contact: config.contact_message(),
            });
        };
        let (authorize_url, token_url) = match env::get(env::read::P0_GOOGLE_ENDPOINT_URL) {
            Some(base) => {
                let base = http::service_url(
                    &base,
                    UrlOrigin::Setting(env::read::P0_GOOGLE_ENDPOINT_URL),
                )?;
                (
                    join(&base, &["o", "oauth2", "v2", "auth"]),
                    join(&base, &["token"]),
                )
            }
            None => (
                Url::parse(AUTHORIZE_URL).expect("static URL"),
                Url::parse(TOKEN_URL).expect("static URL"),
            ),
        };
        Ok(Google {
            client_id,
            client_secret: Secret::new(client_secret),
            authorize_url,
            token_url,
        })
    }

    pub async fn sign_in(&self, ctx: &Context) -> Result<OktaCredential> {
        let listener = Listener::bind("Google", RedirectHost::Ipv4, REDIRECT_PORT).await?;
        let redirect_uri = listener.redirect_uri().to_string();
        let pkce = Pkce::new();
        let state = browser::new_state();
        let mut url = self.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account")
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", SCOPE)
            .append_pair("state", &state);
        let code = listener.wait_for_code(ctx, &url, &state).await?;
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose().as_str()),
            ("code", code.expose().as_str()),
            ("code_verifier", pkce.verifier.expose().as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri.as_str()),
        ];
        browser::token_request(ctx, &self.token_url, &form, None, Replay::OnlyIfUnsent)
            .await
            .map_err(|refusal| match refusal {
                TokenRefusal::InvalidGrant => Error::BrowserSignInFailed {
                    provider: "Google".into(),
                    reason: "Google refused the authorization code (invalid_grant): it expired or \
                             was used already. Run `p0 login` again."
                        .into(),
                },
                TokenRefusal::Failed(e) => e,
            })
    }
}
