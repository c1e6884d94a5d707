//! Web identity (`p0 run-as --role-arn ARN --web-identity-token-file FILE`): STS
//! AssumeRoleWithWebIdentity, unsigned, with an OIDC token a CI system or Kubernetes wrote to a
//! file. No P0, no human, no terminal. The file is read again for every fetch (and so every
//! renewal): its writer rotates the token, and an old one may have expired.

use super::assume_role::RoleArn;
use super::{sts_credentials, BoxFuture, Fetch, Provider};
use crate::aws_sdk::{self, describe_sdk_error};
use crate::cache::{key, CacheKey};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::error::{Error, Result};
use crate::secret::Secret;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest token file read. STS takes tokens of up to 20,000 characters; a bigger file is
/// not a token.
pub const MAX_TOKEN_BYTES: u64 = 64 * 1024;
/// The session name when neither `--role-session-name` nor `AWS_ROLE_SESSION_NAME` gives one.
pub const DEFAULT_SESSION_NAME: &str = "p0";

pub struct WebIdentity {
    role: RoleArn,
    token_file: PathBuf,
    session_name: String,
    /// DurationSeconds, when asked for (STS's default is an hour).
    duration: Option<i32>,
}

impl WebIdentity {
    pub fn new(
        role: RoleArn,
        token_file: PathBuf,
        session_name: String,
        duration: Option<i32>,
    ) -> WebIdentity {
        WebIdentity {
            role,
            token_file,
            session_name,
            duration,
        }
    }

    async fn assume(&self, http: &crate::http::Http) -> Result<AwsCredentials> {
        let token = read_token(&self.token_file)?;
        let output = aws_sdk::sts(http, self.role.sts_region())
            .assume_role_with_web_identity()
            .role_arn(self.role.as_str())
            .role_session_name(&self.session_name)
            .web_identity_token(token.expose_owned())
            .set_duration_seconds(self.duration)
            .send()
            .await
            .map_err(|e| Error::aws("STS AssumeRoleWithWebIdentity", describe_sdk_error(&e)))?;
        sts_credentials("STS AssumeRoleWithWebIdentity", output.credentials())
    }
}

impl Provider for WebIdentity {
    /// The role, the session name and the token file: two CI jobs sharing a HOME with tokens
    /// in different files do not share credentials.
    fn cache_key(&self) -> CacheKey {
        key::Credentials::WebIdentity {
            role_arn: self.role.as_str().to_string(),
            session_name: self.session_name.clone(),
            token_file: self.token_file.to_string_lossy().into_owned(),
        }
        .key()
    }

    fn target(&self) -> Target {
        self.role.target()
    }

    fn fetch<'a>(
        &'a self,
        ctx: &'a Context,
        _fetch: Fetch,
    ) -> BoxFuture<'a, Result<AwsCredentials>> {
        Box::pin(self.assume(ctx.http()))
    }
}

/// The token in `path`, surrounding whitespace removed; at most [`MAX_TOKEN_BYTES`] are read.
/// A missing, unreadable, empty, oversized or non-text file is a configuration error that
/// names the file and never shows its content.
pub fn read_token(path: &Path) -> Result<Secret<String>> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| {
        Error::Config(format!(
            "Cannot read the web identity token file {shown}: {e}"
        ))
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_TOKEN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Error::Config(format!(
                "Cannot read the web identity token file {shown}: {e}"
            ))
        })?;
    if bytes.len() as u64 > MAX_TOKEN_BYTES {
        return Err(Error::Config(format!(
            "The web identity token file {shown} is larger than {MAX_TOKEN_BYTES} bytes: not a token"
        )));
    }
    let token = Secret::new(bytes).map(|bytes| {
        String::from_utf8(bytes)
            .ok()
            .map(|text| text.trim().to_string())
    });
    match token.expose() {
        None => Err(Error::Config(format!(
            "The web identity token file {shown} is not text"
        ))),
        Some(text) if text.is_empty() => Err(Error::Config(format!(
            "The web identity token file {shown} is empty"
        ))),
        Some(_) => Ok(token.map(Option::unwrap_or_default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_is_read_whole_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "eyJhbGciOi.payload.signature\n").unwrap();
        assert_eq!(
            read_token(&path).unwrap().expose(),
            "eyJhbGciOi.payload.signature"
        );
    }

    #[test]
    fn bad_token_files_are_configuration_errors_that_never_show_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let error = read_token(&missing).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit::CONFIG);
        assert!(error.to_string().contains("missing"), "{error}");

        let empty = dir.path().join("empty");
        std::fs::write(&empty, " \n").unwrap();
        let error = read_token(&empty).unwrap_err();
        assert!(error.to_string().ends_with("is empty"), "{error}");
        assert_eq!(error.exit_code(), crate::error::exit::CONFIG);

        let big = dir.path().join("big");
        std::fs::write(&big, "secret-".repeat(20_000)).unwrap();
        let error = read_token(&big).unwrap_err();
        assert!(error.to_string().contains("larger than"), "{error}");
        assert!(!error.to_string().contains("secret-"), "{error}");

        let binary = dir.path().join("binary");
        std::fs::write(&binary, [0xff, 0xfe, b's']).unwrap();
        let error = read_token(&binary).unwrap_err();
        assert!(error.to_string().ends_with("is not text"), "{error}");
    }
}
