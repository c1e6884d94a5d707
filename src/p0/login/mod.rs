//! The login providers: one file per kind of P0 login, chosen from the org document exactly as
//! P0's CLI chooses its login plugin (§2.1). Adding a kind is one file here and one arm of
//! [`Login`].
//!
//! | kind | file | how |
//! |---|---|---|
//! | Okta | `okta.rs` | device authorization grant (`device.rs`) |
//! | Google | `google.rs` | code with PKCE in the browser (`browser.rs`), 127.0.0.1:52700 |
//! | Entra | `entra.rs` | code with PKCE and state in the browser, localhost:52701; refresh token |
//! | PingOne | `ping.rs` | device authorization grant (`device.rs`) |
//! | password | `password.rs` | Firebase `signInWithPassword` with P0_EMAIL / P0_PASSWORD |
//!
//! Every kind but password then signs in to Firebase with the provider's tokens
//! (`signInWithIdp`, or the provider token itself for `useProviderToken` orgs).

mod browser;
mod device;
mod entra;
mod google;
mod okta;
mod password;
mod ping;

pub use entra::Renewal;
pub use okta::Okta;

use super::identity::{FirebaseSession, OktaCredential};
use super::org::{OrgDocument, TenantConfig};
use crate::context::Context;
use crate::error::{Error, Result};

/// The kinds of login, as `p0 status` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Okta,
    Google,
    Entra,
    Ping,
    Password,
}

impl Kind {
    /// The kind P0's CLI would choose for this org document (`doActualLogin` and
    /// `pluginLoginMap`): `ssoProvider` for SSO orgs, `password` for password orgs; `oidc-pkce`
    /// by its `providerType`. Anything else is P0's "Unsupported login for your organization".
    pub fn of(doc: &OrgDocument) -> Result<Kind> {
        Kind::of_auth(doc.auth.as_ref())
    }

    /// As [`Kind::of`], from the org document's `auth` alone.
    pub fn of_auth(auth: Option<&super::org::OrgAuth>) -> Result<Kind> {
        let auth = auth.ok_or(Error::UnsupportedLogin)?;
        let provider = auth.provider.as_ref();
        let sso = if auth.kind == "sso" {
            provider.and_then(|p| p.sso_provider.as_deref())
        } else {
            None
        };
        let plugin = sso.or((auth.kind == "password").then_some("password"));
        Ok(match plugin {
            Some("google" | "google-oidc") => Kind::Google,
            Some("okta") => Kind::Okta,
            Some("ping") => Kind::Ping,
            Some("azure-oidc") => Kind::Entra,
            Some("password") => Kind::Password,
            Some("oidc-pkce") => match provider.and_then(|p| p.provider_type.as_deref()) {
                None => {
                    return Err(Error::LoginMisconfigured(
                        "Missing provider type for OIDC PKCE login".into(),
                    ))
                }
                Some("okta") => Kind::Okta,
                Some("ping") => Kind::Ping,
                Some(_) => return Err(Error::UnsupportedLogin),
            },
            _ => return Err(Error::UnsupportedLogin),
        })
    }

    /// The name people know the provider by.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Okta => "Okta",
            Kind::Google => "Google",
            Kind::Entra => "Microsoft Entra ID",
            Kind::Ping => "PingOne",
            Kind::Password => "email and password",
        }
    }

    /// The word `p0 status --json` uses.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Okta => "okta",
            Kind::Google => "google",
            Kind::Entra => "entra",
            Kind::Ping => "ping",
            Kind::Password => "password",
        }
    }
}

/// One org's login, checked and ready.
#[derive(Debug, Clone)]
pub enum Login {
    Okta(okta::Okta),
    Google(google::Google),
    Entra(entra::Entra),
    Ping(ping::Ping),
    Password(password::Password),
}

/// What a sign-in produced.
pub struct SignedIn {
    /// The provider's token response (§2.4 `credential`).
    pub credential: OktaCredential,
    /// A Firebase session that came with the sign-in (password logins).
    pub firebase: Option<FirebaseSession>,
}

impl Login {
    /// The org's login, or P0's error for a configuration it cannot use.
    pub fn for_org(doc: &OrgDocument, config: &TenantConfig) -> Result<Login> {
        Ok(match Kind::of(doc)? {
            Kind::Okta => Login::Okta(okta::Okta::from_org(doc)?),
            Kind::Google => Login::Google(google::Google::from_config(config)?),
            Kind::Entra => Login::Entra(entra::Entra::from_org(doc)?),
            Kind::Ping => Login::Ping(ping::Ping::from_org(doc)?),
            Kind::Password => Login::Password(password::Password::from_org(doc, config)),
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Login::Okta(_) => Kind::Okta,
            Login::Google(_) => Kind::Google,
            Login::Entra(_) => Kind::Entra,
            Login::Ping(_) => Kind::Ping,
            Login::Password(_) => Kind::Password,
        }
    }

    /// Whether signing in needs a person (a browser, a code to confirm). A password login reads
    /// the environment, so it can sign in again unattended.
    pub fn needs_person(&self) -> bool {
        !matches!(self, Login::Password(_))
    }

    pub async fn sign_in(&self, ctx: &Context) -> Result<SignedIn> {
        let credential = match self {
            Login::Okta(okta) => okta.sign_in(ctx).await?,
            Login::Google(google) => google.sign_in(ctx).await?,
            Login::Entra(entra) => entra.sign_in(ctx).await?,
            Login::Ping(ping) => ping.sign_in(ctx).await?,
            Login::Password(password) => {
                let (credential, firebase) = password.sign_in(ctx).await?;
                return Ok(SignedIn {
                    credential,
                    firebase: Some(firebase),
                });
            }
        };
        Ok(SignedIn {
            credential,
            firebase: None,
        })
    }

    /// Renews `credential` without a person when the provider gave a way to (Entra's refresh
    /// token); `None` when it cannot.
    pub async fn renew(
        &self,
        ctx: &Context,
        credential: &OktaCredential,
    ) -> Result<Option<Renewal>> {
        match (self, &credential.refresh_token) {
            (Login::Entra(entra), Some(refresh_token)) => {
                entra.renew(ctx, refresh_token).await.map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// The Firebase provider the provider's tokens sign in as (`findProviderId` of P0's CLI):
/// `google.com`, `oidc.google-oidc`, else the org document's `providerId`; `None` for a
/// password org.
pub fn firebase_provider_id(doc: &OrgDocument) -> Result<Option<String>> {
    let sso = doc
        .auth
        .as_ref()
        .filter(|a| a.kind == "sso")
        .and_then(|a| a.provider.as_ref());
    match sso.and_then(|p| p.sso_provider.as_deref()) {
        Some("google") => Ok(Some("google.com".into())),
        Some("google-oidc") => Ok(Some("oidc.google-oidc".into())),
        None => Ok(None),
        Some(_) => sso
            .and_then(|p| p.provider_id.clone())
            .map(Some)
            .ok_or(Error::UnsupportedLogin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn doc(auth: Value) -> OrgDocument {
        serde_json::from_value(json!({"tenantId": "t", "auth": auth})).unwrap()
    }

    fn sso(provider: Value) -> OrgDocument {
        doc(json!({"type": "sso", "provider": provider}))
    }

    #[test]
    fn the_kind_is_chosen_as_p0s_cli_chooses_its_plugin() {
        let kind = |d: &OrgDocument| Kind::of(d).map_err(|e| e.to_string());
        assert_eq!(
            kind(&sso(json!({"ssoProvider": "google"}))),
            Ok(Kind::Google)
        );
        assert_eq!(
            kind(&sso(json!({"ssoProvider": "google-oidc"}))),
            Ok(Kind::Google)
        );
        assert_eq!(
            kind(&sso(json!({"ssoProvider": "azure-oidc"}))),
            Ok(Kind::Entra)
        );
        assert_eq!(kind(&sso(json!({"ssoProvider": "ping"}))), Ok(Kind::Ping));
        assert_eq!(kind(&sso(json!({"ssoProvider": "okta"}))), Ok(Kind::Okta));
        assert_eq!(
            kind(&sso(
                json!({"ssoProvider": "oidc-pkce", "providerType": "ping"})
            )),
            Ok(Kind::Ping)
        );
        assert_eq!(
            kind(&sso(
                json!({"ssoProvider": "oidc-pkce", "providerType": "okta"})
            )),
            Ok(Kind::Okta)
        );
        assert_eq!(kind(&doc(json!({"type": "password"}))), Ok(Kind::Password));
        assert_eq!(
            kind(&sso(json!({"ssoProvider": "oidc-pkce"}))),
            Err("Missing provider type for OIDC PKCE login".into())
        );
        let unsupported = Err("Unsupported login for your organization".to_string());
        for provider in ["microsoft", "aws-oidc", "saml"] {
            assert_eq!(kind(&sso(json!({"ssoProvider": provider}))), unsupported);
        }
        assert_eq!(kind(&doc(json!({"type": "magic-link"}))), unsupported);
        assert_eq!(
            kind(&sso(
                json!({"ssoProvider": "oidc-pkce", "providerType": "cloudflare"})
            )),
            unsupported
        );
    }

    #[test]
    fn the_okta_plugin_still_requires_oidc_pkce() {
        let legacy = sso(json!({"ssoProvider": "okta", "providerDomain": "a", "clientId": "b"}));
        let config = TenantConfig::default();
        assert!(matches!(
            Login::for_org(&legacy, &config),
            Err(Error::OidcPkceRequired)
        ));
    }

    #[test]
    fn google_needs_its_client_in_the_tenant_config() {
        let google = sso(json!({"ssoProvider": "google"}));
        let error = Login::for_org(&google, &TenantConfig::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Login failed!\nThis organization is configured to use Google login but the required \
             OAuth client parameters are missing.\nPlease contact support@p0.dev for assistance."
        );
        let config: TenantConfig = serde_json::from_value(
            json!({"google": {"clientId": "c", "publicClientSecretForPkce": "s"}}),
        )
        .unwrap();
        assert!(matches!(
            Login::for_org(&google, &config),
            Ok(Login::Google(_))
        ));
    }

    #[test]
    fn firebase_providers_are_p0s() {
        let id = |d: &OrgDocument| firebase_provider_id(d).unwrap();
        assert_eq!(
            id(&sso(json!({"ssoProvider": "google"}))).as_deref(),
            Some("google.com")
        );
        assert_eq!(
            id(&sso(
                json!({"ssoProvider": "google-oidc", "providerId": "x"})
            ))
            .as_deref(),
            Some("oidc.google-oidc")
        );
        assert_eq!(
            id(&sso(
                json!({"ssoProvider": "azure-oidc", "providerId": "oidc.entra"})
            ))
            .as_deref(),
            Some("oidc.entra")
        );
        assert_eq!(id(&doc(json!({"type": "password"}))), None);
    }
}
