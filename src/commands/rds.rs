//! `p0 aws [--account A] rds generate-db-auth-token --hostname H --port P --username U
//! --region R [--role R | ...]`: the IAM authentication token of an RDS database, as botocore's
//! `generate_db_auth_token` (and so `aws rds generate-db-auth-token`) makes it, signed natively
//! with just-in-time credentials from any credential source of `run-as`:
//! `{host}:{port}/?Action=connect&DBUser={user}&X-Amz-...`, a SigV4 presigned GET for the
//! `rds-db` service, valid 15 minutes (`X-Amz-Expires=900`). stdout gets the token and a
//! newline, nothing else: it is a password (`PGPASSWORD="$(p0 ...)"`), so nothing prints it
//! elsewhere.

use super::eks::{self, AwsWanted};
use crate::cli::DbAuthTokenArgs;
use crate::context::Context;
use crate::credentials::AwsCredentials;
use crate::error::Result;
use crate::output;
use crate::presign;
use std::time::{Duration, SystemTime};

/// How long the token signs in (botocore's `expires_in` for it).
const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

pub fn generate_db_auth_token(ctx: &Context, aws: AwsWanted, args: DbAuthTokenArgs) -> Result<u8> {
    // The credentials must outlive the token, with a minute for the clocks between.
    let lifetime = TOKEN_LIFETIME + Duration::from_secs(60);
    let (credentials, _) =
        eks::credentials(ctx, aws, &args.source, Some(args.region.clone()), lifetime)?;
    let token = token(&credentials, &args, SystemTime::now())?;
    output::stdout(&format!("{token}\n"))?;
    Ok(0)
}

/// The token for `args`' database signed with `credentials` at `now`.
fn token(credentials: &AwsCredentials, args: &DbAuthTokenArgs, now: SystemTime) -> Result<String> {
    const SCHEME: &str = "https://";
    let url = format!("{SCHEME}{}:{}/", args.hostname, args.port);
    let presigned = presign::presign(
        &presign::Request {
            url: &url,
            params: &[("Action", "connect"), ("DBUser", &args.username)],
            headers: &[],
            service: "rds-db",
            region: &args.region,
            expires_in: TOKEN_LIFETIME,
        },
        credentials,
        now,
    )?;
    Ok(presigned
        .strip_prefix(SCHEME)
        .expect("the URL built above")
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::SourceArgs;
    use crate::secret::Secret;

    #[test]
    fn the_token_is_the_presigned_url_without_its_scheme() {
        let credentials = AwsCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret".into()),
            session_token: Secret::new("token".into()),
            expiration: time::macros::datetime!(2030-01-01 00:00 UTC),
        };
        let args = DbAuthTokenArgs {
            hostname: "db.example.eu-west-1.rds.amazonaws.com".into(),
            port: 5432,
            username: "app user".into(),
            region: "eu-west-1".into(),
            source: SourceArgs::default(),
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_630_000);
        let token = token(&credentials, &args, now).unwrap();
        assert!(
            token.starts_with(
                "db.example.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app%20user\
                 &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20261207%2F\
                 eu-west-1%2Frds-db%2Faws4_request&"
            ),
            "{token}"
        );
        assert!(token.contains("&X-Amz-Expires=900&X-Amz-SignedHeaders=host&"));
    }
}
