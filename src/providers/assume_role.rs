//! Role chaining (`--chain-role-arn`): STS AssumeRole into another role, signed with the
//! credentials of the provider it chains from, as a `~/.aws/config` profile with `role_arn` and
//! `source_profile` does. The source is itself cached under its own key, so the P0 role's
//! credentials are shared with every command that uses them directly, and the chained ones are
//! cached under a key of their own (the role, session name, external id and the source's key).

use super::cached::Cached;
use super::{sts_credentials, BoxFuture, Fetch, Provider};
use crate::aws_sdk::{self, describe_sdk_error};
use crate::cache::{key, CacheKey};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Reuse, Target};
use crate::error::{Error, Result};
use crate::partition::Partition;

/// AWS ends a chained role session after an hour at most, and refuses a DurationSeconds above
/// it. Always asking for the whole hour (as the AWS CLI does for `role_arn` profiles) makes
/// every renewal outlive the credentials it replaces.
pub const CHAINED_SECONDS: i32 = 3600;
/// The chained session's name when none is given.
pub const DEFAULT_SESSION_NAME: &str = "p0";

/// `arn:{partition}:iam::{account}:role/{path and name}`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    arn: String,
    partition: Partition,
    account_id: String,
    /// After `role/`, path kept (`team/Deployer`).
    name: String,
}

impl RoleArn {
    /// Parses an IAM role ARN; `flag` names where it came from in the error.
    pub fn parse(arn: &str, flag: &str) -> Result<RoleArn> {
        let invalid = || {
            Error::Usage(format!(
                "{flag}: {arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
            ))
        };
        let mut fields = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(invalid());
        };
        let name = resource.strip_prefix("role/").ok_or_else(invalid)?;
        let partition = Partition::from_arn(arn)
            .filter(|known| known.as_str() == partition)
            .ok_or_else(invalid)?;
        if account.len() != 12
            || !account.bytes().all(|b| b.is_ascii_digit())
            || name.is_empty()
            || name.ends_with('/')
        {
            return Err(invalid());
        }
        Ok(RoleArn {
            arn: arn.to_string(),
            partition,
            account_id: account.to_string(),
            name: name.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }

    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// The account and role name (with its path) the credentials will be for.
    pub fn target(&self) -> Target {
        Target {
            account_id: self.account_id.clone(),
            role: self.name.clone(),
        }
    }

    /// The region of the partition's global STS endpoint (the endpoint variables still win).
    pub fn sts_region(&self) -> &'static str {
        self.partition.default_region()
    }
}

/// A role assumed with the credentials of another provider.
pub struct AssumeRole {
    source: Cached<Box<dyn Provider>>,
    role: RoleArn,
    session_name: String,
    external_id: Option<String>,
}

impl AssumeRole {
    pub fn new(
        source: Cached<Box<dyn Provider>>,
        role: RoleArn,
        session_name: String,
        external_id: Option<String>,
    ) -> AssumeRole {
        AssumeRole {
            source,
            role,
            session_name,
            external_id,
        }
    }

    async fn assume(&self, ctx: &Context) -> Result<AwsCredentials> {
        let reuse = Reuse::new(ctx.settings.min_credential_lifetime, false);
        let source = self.source.credentials(ctx, reuse).await?;
        tracing::debug!(
            "assuming {} with the credentials of {}",
            self.role.as_str(),
            self.source.cache_key().file_stem()
        );
        let output = aws_sdk::sts_signed_with(ctx.http(), self.role.sts_region(), &source)
            .assume_role()
            .role_arn(self.role.as_str())
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .duration_seconds(CHAINED_SECONDS)
            .send()
            .await
            .map_err(|e| Error::aws("STS AssumeRole", describe_sdk_error(&e)))?;
        sts_credentials("STS AssumeRole", output.credentials())
    }
}

/// The cache key of `role` assumed (with this session name and external id) with the
/// credentials cached under `source`: [`AssumeRole`]'s, and the warm path's without one.
pub fn chained_cache_key(
    role: &RoleArn,
    session_name: &str,
    external_id: Option<&str>,
    source: CacheKey,
) -> CacheKey {
    key::Credentials::Chain {
        role_arn: role.as_str().to_string(),
        session_name: session_name.to_string(),
        external_id: external_id.map(str::to_string),
        source,
    }
    .key()
}

impl Provider for AssumeRole {
    fn cache_key(&self) -> CacheKey {
        chained_cache_key(
            &self.role,
            &self.session_name,
            self.external_id.as_deref(),
            self.source.cache_key(),
        )
    }

    fn target(&self) -> Target {
        self.role.target()
    }

    fn check_unattended(&self, ctx: &Context) -> Result<()> {
        self.source.check_unattended(ctx)
    }

    fn fetch<'a>(
        &'a self,
        ctx: &'a Context,
        _fetch: Fetch,
    ) -> BoxFuture<'a, Result<AwsCredentials>> {
        Box::pin(self.assume(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked_and_split() {
        let arn = RoleArn::parse("arn:aws:iam::210987654321:role/team/Deployer", "--x").unwrap();
        assert_eq!(
            arn.target(),
            Target {
                account_id: "210987654321".into(),
                role: "team/Deployer".into()
            }
        );
        assert_eq!(arn.sts_region(), "us-east-1");
        let gov = RoleArn::parse("arn:aws-us-gov:iam::111122223333:role/R", "--x").unwrap();
        assert_eq!(gov.sts_region(), "us-gov-west-1");
        let cn = RoleArn::parse("arn:aws-cn:iam::111122223333:role/R", "--x").unwrap();
        assert_eq!(cn.sts_region(), "cn-north-1");
        let eusc = RoleArn::parse("arn:aws-eusc:iam::111122223333:role/R", "--x").unwrap();
        assert_eq!(eusc.sts_region(), "eusc-de-east-1");
        for bad in [
            "",
            "Admin",
            "arn:aws:iam::210987654321:user/alice",
            "arn:aws:iam::21098765432:role/R",
            "arn:aws:sts::210987654321:role/R",
            "arn:aws:iam:us-east-1:210987654321:role/R",
            "arn:aws:iam::210987654321:role/",
            "arn:AWS:iam::210987654321:role/R",
            "arn:aws-mars:iam::210987654321:role/R",
        ] {
            let error = RoleArn::parse(bad, "--chain-role-arn").unwrap_err();
            assert!(matches!(error, Error::Usage(_)), "{bad}");
            assert!(
                error.to_string().starts_with("--chain-role-arn: "),
                "{error}"
            );
        }
    }
}
