//! `--write-profile NAME` of `p0 aws ... assume`: the credentials stored as a profile of the
//! shared credentials file instead of printed as exports (the other way `assume` hands them
//! out). The file is edited by `aws_files`, byte for byte outside the profile.

use super::Printer;
use crate::aws_files::{self, Edit, FileKind};
use crate::cache::Cache;
use crate::credentials::{AwsCredentials, Target};
use crate::error::Result;

/// `--write-profile NAME` of `p0 aws ... assume`: the credentials as profile `NAME` of the
/// shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), as the
/// AWS and Okta guides have users do by hand: the keys, the session token and the expiry
/// (`x_security_token_expires`, which the SDKs ignore), 0600, the previous file kept as
/// `credentials.p0.bak`. Every other section stays byte for byte.
pub async fn write_credentials(
    printer: &Printer,
    cache: &Cache,
    name: &str,
    target: &Target,
    credentials: &AwsCredentials,
) -> Result<()> {
    let path = FileKind::Credentials.path()?;
    let _lock = cache.lock(&aws_files::lock_key(&path)).await?;
    let before = aws_files::read(&path)?.unwrap_or_default();
    let comment =
        "Temporary credentials from P0 Security (written by `p0 aws ... --write-profile`)";
    let expires = credentials.expiration_rfc3339();
    let edit = Edit {
        set: vec![
            ("aws_access_key_id", credentials.access_key_id.clone()),
            (
                "aws_secret_access_key",
                credentials.secret_access_key.expose().clone(),
            ),
            (
                "aws_session_token",
                credentials.session_token.expose().clone(),
            ),
            ("x_security_token_expires", expires.clone()),
        ],
        // A stale aws_security_token would win over the new session token in botocore.
        remove: aws_files::CREDENTIAL_KEYS,
        comment: Some(comment),
    };
    let after = aws_files::edit_profile(&before, FileKind::Credentials, name, &edit)?;
    let result = aws_files::write(&path, FileKind::Credentials, &after)?;
    printer.status(&format!(
        "Wrote credentials for {}/{} to [{name}] in {}, valid until {expires}{}",
        target.account_id,
        target.role,
        result.path.display(),
        result
            .backup
            .map(|b| format!(" (the previous version is {})", b.display()))
            .unwrap_or_default()
    ));
    printer.status(&format!(
        "Use them with: aws --profile {name} sts get-caller-identity"
    ));
    // The config file's profile of the same name may send SDKs elsewhere first.
    if let Ok(config) = FileKind::Config.path() {
        if let Some(section) = aws_files::read(&config)
            .ok()
            .flatten()
            .and_then(|text| aws_files::profile(&text, FileKind::Config, name))
        {
            let shadowing: Vec<&str> = aws_files::CREDENTIAL_KEYS
                .iter()
                .copied()
                .filter(|key| section.get(key).is_some())
                .collect();
            if !shadowing.is_empty() {
                printer.warn(&format!(
                    "Warning: [profile {name}] in {} sets {}, which AWS SDKs may use instead of these credentials",
                    config.display(),
                    shadowing.join(", ")
                ));
            }
        }
    }
    Ok(())
}
