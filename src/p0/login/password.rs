//! Email and password (`auth.type: password`): Firebase's `signInWithPassword` in the org's
//! tenant with `P0_EMAIL` and `P0_PASSWORD`, read on every sign-in and never stored. As P0's
//! CLI, the credential's access token is the placeholder `PASSWORD` and its id token the
//! Firebase ID token; the Firebase session is kept as for every kind.

use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::p0::firebase;
use crate::p0::identity::{FirebaseSession, OktaCredential};
use crate::p0::org::{OrgDocument, TenantConfig};
use crate::secret::Secret;
use serde_json::Map;

/// What P0's CLI stores in place of a provider access token.
pub const PLACEHOLDER: &str = "PASSWORD";

#[derive(Debug, Clone)]
pub struct Password {
    tenant_id: Option<String>,
    api_key: Option<String>,
    contact: String,
}

/// `P0_EMAIL` and `P0_PASSWORD`, or P0's text saying they must be set.
fn from_env() -> Result<(String, Secret<String>)> {
    match (
        env::get(env::read::P0_EMAIL),
        env::get(env::read::P0_PASSWORD),
    ) {
        (Some(email), Some(password)) => Ok((email, Secret::new(password))),
        _ => Err(Error::PasswordRequired),
    }
}

impl Password {
    pub fn from_org(doc: &OrgDocument, config: &TenantConfig) -> Password {
        Password {
            tenant_id: doc.tenant_id.clone(),
            api_key: firebase::api_key(config),
            contact: config.contact_message(),
        }
    }

    /// Signs in with the environment's email and password: the identity's credential, and
    /// the Firebase session that came with it.
    pub async fn sign_in(&self, ctx: &Context) -> Result<(OktaCredential, FirebaseSession)> {
        let (email, password) = from_env()?;
        let api_key = self.api_key.as_deref().ok_or_else(|| {
            tracing::debug!("the tenant config has no Firebase apiKey");
            Error::AuthenticationUnexpected {
                contact: self.contact.clone(),
            }
        })?;
        let session = firebase::sign_in_with_password(
            ctx,
            api_key,
            self.tenant_id.as_deref(),
            &email,
            &password,
        )
        .await?
        .map_err(|refusal| match refusal {
            firebase::PasswordRefusal::Credentials(reason) => Error::PasswordRefused { reason },
            firebase::PasswordRefusal::Other(message) => {
                tracing::debug!("Firebase password sign-in failed: {message}");
                Error::AuthenticationUnexpected {
                    contact: self.contact.clone(),
                }
            }
        })?;
        let credential = OktaCredential {
            access_token: Secret::new(PLACEHOLDER.to_string()),
            id_token: session.id_token.clone(),
            expires_at: session.expires_at - 1.0,
            refresh_token: Some(session.refresh_token.clone()),
            other: Map::new(),
        };
        Ok((credential, session))
    }
}
