//! The ways `p0` gets temporary AWS credentials, one file each, all behind [`Provider`]
//! (aws-vault's `vault/` shape):
//!
//! - `okta_saml`: Okta's web SSO token, its SAML assertion (`saml` reads it), then STS
//!   AssumeRoleWithSAML;
//! - `identity_center`: an Identity Center token (device authorization, refreshed) and
//!   GetRoleCredentials;
//! - `web_identity`: an OIDC token from a file and STS AssumeRoleWithWebIdentity (CI, no P0);
//!
//! and the steps that wrap any of them:
//!
//! - `access_request`: the P0 access request (and its approval) before the provider runs;
//! - `assume_role`: STS AssumeRole into a chained role with another provider's credentials;
//! - `cached`: the shared on-disk cache with a single flight (cache -> lock -> cache -> fetch
//!   -> store), so parallel `p0` processes fetch once.
//!
//! A plan (`crate::plan`) decides which of these to stack; a new way to get credentials is a new
//! file here and a new plan variant.

pub mod access_request;
pub mod assume_role;
pub mod cached;
pub mod identity_center;
pub mod okta_saml;
mod saml;
pub mod web_identity;

use crate::cache::CacheKey;
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The crate's one `BoxFuture`, named here too so each provider file imports it with the trait.
pub use crate::BoxFuture;

/// What the caller knows that changes how to fetch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetch {
    /// P0 has just said the user holds this access (granted now, or existing): the backend
    /// may take a while to show it, so wait (bounded) instead of failing at once.
    pub just_granted: bool,
}

/// A way to get AWS credentials.
pub trait Provider: Send + Sync {
    /// The cache entry for these credentials, named by what they are (never by what the user
    /// typed), so every way of asking for the same role shares it.
    fn cache_key(&self) -> CacheKey;

    /// The account and role the credentials are for.
    fn target(&self) -> Target;

    /// Fails at once when fetching would need a human (a sign-in) and none can be asked: run
    /// before a P0 request is filed, so a script never leaves behind a request it cannot use.
    fn check_unattended(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }

    /// Work that does not wait for a P0 request's approval, run while the request is made
    /// (the Okta token exchange), so it is off the critical path. Best effort: what it meets,
    /// failures included, is for the next `fetch` to use or to meet again.
    fn prepare<'a>(&'a self, _ctx: &'a Context) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// New credentials, from the backend.
    fn fetch<'a>(&'a self, ctx: &'a Context, fetch: Fetch)
        -> BoxFuture<'a, Result<AwsCredentials>>;
}

impl<P: Provider + ?Sized> Provider for Box<P> {
    fn cache_key(&self) -> CacheKey {
        (**self).cache_key()
    }

    fn target(&self) -> Target {
        (**self).target()
    }

    fn check_unattended(&self, ctx: &Context) -> Result<()> {
        (**self).check_unattended(ctx)
    }

    fn prepare<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, ()> {
        (**self).prepare(ctx)
    }

    fn fetch<'a>(
        &'a self,
        ctx: &'a Context,
        fetch: Fetch,
    ) -> BoxFuture<'a, Result<AwsCredentials>> {
        (**self).fetch(ctx, fetch)
    }
}

/// The credentials of an STS answer (AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity);
/// `action` names the call in errors.
fn sts_credentials(
    action: &'static str,
    credentials: Option<&aws_sdk_sts::types::Credentials>,
) -> Result<AwsCredentials> {
    let credentials =
        credentials.ok_or_else(|| Error::aws(action, "no credentials in the answer"))?;
    let expiration =
        time::OffsetDateTime::from_unix_timestamp_nanos(credentials.expiration().as_nanos())
            .map_err(|_| Error::aws(action, "an invalid expiration"))?;
    complete(
        action,
        AwsCredentials {
            access_key_id: credentials.access_key_id().to_string(),
            secret_access_key: Secret::new(credentials.secret_access_key().to_string()),
            session_token: Secret::new(credentials.session_token().to_string()),
            expiration,
        },
    )
}

/// Credentials as a service answered them, refused unless whole: the SDKs fill a required
/// field the answer lacks with an empty string or the epoch (Smithy's error correction), so a
/// truncated answer would otherwise pass as credentials without a secret that expired in 1970,
/// be handed to the command and cached.
fn complete(action: &'static str, credentials: AwsCredentials) -> Result<AwsCredentials> {
    let missing = [
        ("an access key id", credentials.access_key_id.is_empty()),
        (
            "a secret access key",
            credentials.secret_access_key.expose().is_empty(),
        ),
        (
            "a session token",
            credentials.session_token.expose().is_empty(),
        ),
    ];
    if let Some((what, _)) = missing.iter().find(|(_, missing)| *missing) {
        return Err(Error::aws(
            action,
            format!("an incomplete answer (without {what})"),
        ));
    }
    if credentials.expiration <= time::OffsetDateTime::now_utc() {
        return Err(Error::aws(
            action,
            format!(
                "credentials that had already expired ({})",
                credentials.expiration_rfc3339()
            ),
        ));
    }
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(key: &str, secret: &str, token: &str, hours: i64) -> AwsCredentials {
        AwsCredentials {
            access_key_id: key.into(),
            secret_access_key: Secret::new(secret.into()),
            session_token: Secret::new(token.into()),
            expiration: time::OffsetDateTime::now_utc() + time::Duration::hours(hours),
        }
    }

    #[test]
    fn credentials_an_answer_cut_short_would_give_are_refused() {
        assert!(complete("STS", credentials("ASIA1", "secret", "token", 1)).is_ok());
        for (bad, says) in [
            (credentials("", "secret", "token", 1), "an access key id"),
            (credentials("ASIA", "", "token", 1), "a secret access key"),
            (credentials("ASIA1", "secret", "", 1), "a session token"),
            (
                credentials("ASIA1", "secret", "token", -1),
                "already expired",
            ),
        ] {
            let error = complete("STS AssumeRoleWithSAML", bad).unwrap_err();
            assert!(matches!(error, Error::Aws { .. }), "{error:?}");
            assert!(error.to_string().contains(says), "{error}");
        }
        // What the SDK makes of `<AccessKeyId>ASIA` and nothing after it.
        let truncated = aws_sdk_sts::types::Credentials::builder()
            .access_key_id("ASIA")
            .secret_access_key("")
            .session_token("")
            .expiration(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .unwrap();
        let error = sts_credentials("STS AssumeRoleWithSAML", Some(&truncated)).unwrap_err();
        assert!(
            error.to_string().contains("without a secret access key"),
            "{error}"
        );
    }
}
