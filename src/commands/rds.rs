//! `p0 aws [--account A] rds generate-db-auth-token --hostname H --port P --username U
//! --region R [--role R | ...]`: the IAM authentication token of an RDS database, as botocore's
//! `generate_db_auth_token` (and so `aws rds generate-db-auth-token`) makes it, signed natively
//! with just-in-time credentials from any credential source of `run-as`:
//! `{host}:{port}/?Action=connect&DBUser={user}&X-Amz-...`, a SigV4 presigned GET for the
//! `rds-db` service, valid 15 minutes (`X-Amz-Expires=900`). stdout gets the token and a
//! newline, nothing else: it is a password (`PGPASSWORD="$(p0 ...)"`), so nothing prints it
//! elsewhere.

use super::block_on;
use super::eks::{self, AwsWanted};
use crate::cli::{DbArch, DbAuthTokenArgs};
use crate::context::Context;
use crate::credentials::AwsCredentials;
use crate::error::{Error, Result};
use crate::output;
use crate::p0::P0Connection;
use crate::plan::{DelegatedGrant, Plan};
use crate::presign;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long the token signs in (botocore's `expires_in` for it).
const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// The credentials must outlive the token, with a minute for the clocks between.
const CREDENTIAL_LIFETIME: Duration = Duration::from_secs(900 + 60);

pub fn generate_db_auth_token(ctx: &Context, aws: AwsWanted, args: DbAuthTokenArgs) -> Result<u8> {
    if let Some(arch) = args.arch {
        return through_p0(ctx, aws, arch, args);
    }
    let (Some(hostname), Some(port), Some(username), Some(region)) =
        (args.hostname, args.port, args.username, args.region)
    else {
        unreachable!("clap requires them without --arch")
    };
    let database = Database {
        hostname,
        port,
        username,
        region,
    };
    let source = eks::run_as_args(aws, &args.source, Some(database.region.clone()));
    let (credentials, _) = eks::credentials(ctx, &source, CREDENTIAL_LIFETIME)?;
    let token = token(&credentials, &database, SystemTime::now())?;
    output::stdout(&format!("{token}\n"))?;
    Ok(0)
}

/// What a token is for.
struct Database {
    hostname: String,
    port: u16,
    username: String,
    region: String,
}

/// The token for `db` signed with `credentials` at `now`.
fn token(credentials: &AwsCredentials, db: &Database, now: SystemTime) -> Result<String> {
    const SCHEME: &str = "https://";
    let url = format!("{SCHEME}{}:{}/", db.hostname, db.port);
    let presigned = presign::presign(
        &presign::Request {
            url: &url,
            params: &[("Action", "connect"), ("DBUser", &db.username)],
            headers: &[],
            service: "rds-db",
            region: &db.region,
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

// ---- P0's form ----

/// `--arch mysql|postgres (--role R | --sql SQL) [--instance I] [--database D]`, as P0's CLI
/// (`src/commands/aws/rds.ts`): the database access requested through P0; the AWS
/// credentials of the grant's `aws-rds` -> `aws` delegation (Identity Center when it names
/// `idcId` and `idcRegion`, else Okta SAML); the instance's endpoint and port from the
/// integration's `iam-write` config; the user `p0_{local part of the principal}`. The
/// connection instructions go to stderr, the token to stdout (§3.7).
fn through_p0(ctx: &Context, aws: AwsWanted, arch: DbArch, args: DbAuthTokenArgs) -> Result<u8> {
    let argv = request_argv(arch, &args, aws.reason.as_deref())?;
    let refresh = aws.refresh_credentials;
    let (db, credentials, database) = block_on(async {
        let p0 = P0Connection::new();
        let client = p0.client(ctx).await?;
        let grant = client.request_access(argv).await?;
        // "Already has this access" names no request, so no delegation (P0's CLI stops
        // there too).
        let request = grant.request.ok_or(Error::NoAccessId)?;
        let granted = Granted::from_request(&request)?;
        let config: Value = client
            .get_json(&format!("integrations/{}/config", arch.word()))
            .await?;
        let instance = instance_config(&config, &granted.instance_id)?;
        let credentials = delegated_credentials(ctx, &p0, &granted.aws, refresh).await?;
        let port = instance.port.unwrap_or(match arch {
            DbArch::Mysql => 3306,
            DbArch::Postgres => 5432,
        });
        let db = Database {
            hostname: instance.hostname,
            port,
            username: granted.user,
            region: granted.aws.region()?,
        };
        Ok((
            db,
            credentials,
            args.database.clone().or(instance.default_db),
        ))
    })?;
    let token = token(&credentials, &db, SystemTime::now())?;
    ctx.printer
        .status(&instructions(arch, &args, &db, database.as_deref()));
    output::stdout(&format!("{token}\n"))?;
    Ok(0)
}

/// The words after `request` (§3.7), as P0's CLI builds them.
fn request_argv(arch: DbArch, args: &DbAuthTokenArgs, reason: Option<&str>) -> Result<Vec<String>> {
    let source = &args.source;
    let other_source = [
        (source.no_request, "--no-request"),
        (source.duration.is_some(), "--duration"),
        (source.chain.chain_role_arn.is_some(), "--chain-role-arn"),
        (
            source.sso || source.sso_start_url.is_some() || source.sso_region.is_some(),
            "--sso",
        ),
        (source.role_arn.is_some(), "--role-arn"),
        (
            source.web_identity_token_file.is_some(),
            "--web-identity-token-file",
        ),
    ];
    if let Some((_, flag)) = other_source.iter().find(|(given, _)| *given) {
        return Err(Error::Usage(format!(
            "{flag} does not apply with --arch: P0's grant says where the credentials come from"
        )));
    }
    let (kind, value) = match (&source.role, &args.sql) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage(
                "Specify either --role or --sql, not both.".into(),
            ))
        }
        (Some(role), None) => ("role", role),
        (None, Some(sql)) => ("sql", sql),
        (None, None) => {
            return Err(Error::Usage(
                "Specify the access to request with either --role or --sql.".into(),
            ))
        }
    };
    let mut argv = vec![arch.word().to_string(), kind.to_string(), value.clone()];
    if let Some(instance) = &args.instance {
        argv.extend(["--instance".into(), instance.clone()]);
    }
    if let Some(database) = &args.database {
        argv.extend(["--database".into(), database.clone()]);
    }
    if let Some(reason) = reason {
        argv.extend(["--reason".into(), reason.to_string()]);
    }
    Ok(argv)
}

/// What P0 granted: the instance, the database user, and the AWS grant that signs for it.
#[derive(Debug, PartialEq, Eq)]
struct Granted {
    instance_id: String,
    user: String,
    aws: AwsDelegate,
}

/// The `aws` delegate of a database grant (§3.7).
#[derive(Debug, PartialEq, Eq)]
struct AwsDelegate {
    account_id: String,
    /// The role (Okta SAML) or permission set (Identity Center): `generated.name`.
    grant: String,
    /// The database's ARN: its region.
    arn: String,
    /// `idcId` (the identity store) and `idcRegion`.
    idc: Option<(String, String)>,
}

impl AwsDelegate {
    fn region(&self) -> Result<String> {
        match self.arn.split(':').nth(3) {
            Some(region) if !region.is_empty() => Ok(region.to_string()),
            _ => Err(Error::RemoteData(format!(
                "P0 named a database ARN without a region: {}",
                self.arn
            ))),
        }
    }
}

/// The delegate under `key` of an array-form delegation (P0's `getDelegate`).
fn delegate<'a>(delegation: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    delegation?
        .as_array()?
        .iter()
        .find(|entry| entry.get("key").and_then(Value::as_str) == Some(key))?
        .get("request")
        .filter(|request| !request.is_null())
}

impl Granted {
    fn from_request(request: &Value) -> Result<Granted> {
        let text = |value: &Value, pointer: &str| {
            value
                .pointer(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let instance_id = text(request, "/permission/instanceId").ok_or_else(|| {
            Error::RemoteData("P0 granted access, but named no database instance.".into())
        })?;
        let not_rds = || {
            Error::RemoteData(format!(
                "P0 granted access, but {instance_id} is not a RDS instance."
            ))
        };
        let aws = delegate(request.get("delegation"), "aws-rds")
            .and_then(|rds| delegate(rds.get("delegation"), "aws"))
            .ok_or_else(not_rds)?;
        let idc = text(aws, "/permission/idcId").zip(text(aws, "/permission/idcRegion"));
        let aws = AwsDelegate {
            account_id: text(aws, "/permission/accountId").ok_or_else(not_rds)?,
            grant: text(aws, "/generated/name").ok_or_else(not_rds)?,
            arn: text(aws, "/permission/arn").ok_or_else(not_rds)?,
            idc,
        };
        let user = text(request, "/principal")
            .as_deref()
            .and_then(user_name)
            .ok_or_else(|| {
                Error::RemoteData("Could not identify principal for this access.".into())
            })?;
        Ok(Granted {
            instance_id,
            user,
            aws,
        })
    }
}

/// P0's database user for a principal: `p0_` and the local part of the e-mail address, every
/// character but ASCII letters, digits and `_` made `_` (JavaScript's `\W`), lower-cased.
fn user_name(principal: &str) -> Option<String> {
    let local = principal.split('@').next().filter(|l| !l.is_empty())?;
    let local: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    Some(format!("p0_{local}"))
}

/// An installed instance of the integration's `iam-write` config.
struct InstanceConfig {
    hostname: String,
    port: Option<u16>,
    default_db: Option<String>,
}

fn instance_config(config: &Value, instance_id: &str) -> Result<InstanceConfig> {
    let no_instance = || Error::RemoteData(format!("No instance with ID {instance_id}"));
    let item = config
        .pointer("/config/iam-write")
        .and_then(|items| items.get(instance_id))
        .filter(|item| item.get("state").and_then(Value::as_str) == Some("installed"))
        .ok_or_else(no_instance)?;
    let hostname = item
        .get("hostname")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
        .ok_or_else(no_instance)?
        .to_string();
    // P0 stores the port as a string; a number will do too.
    let port = match item.get("port") {
        None | Some(Value::Null) => None,
        Some(Value::String(port)) => Some(port.trim().parse::<u16>()),
        Some(Value::Number(port)) => Some(port.to_string().parse::<u16>()),
        Some(_) => Some("".parse::<u16>()),
    }
    .transpose()
    .map_err(|_| Error::RemoteData(format!("P0 names no valid port for {instance_id}")))?;
    Ok(InstanceConfig {
        hostname,
        port,
        default_db: item
            .get("defaultDb")
            .and_then(Value::as_str)
            .map(String::from),
    })
}

/// The plan API's one use here (src/plan is being reworked): the delegate's credentials,
/// through Identity Center when it names an instance (`idcId`, `idcRegion`), else through the
/// Okta SAML login of the account in P0's AWS config; the access is granted already, so no
/// request of its own.
async fn delegated_credentials(
    ctx: &Context,
    p0: &Arc<P0Connection>,
    aws: &AwsDelegate,
    refresh: bool,
) -> Result<AwsCredentials> {
    let grant = DelegatedGrant {
        account_id: aws.account_id.clone(),
        role: aws.grant.clone(),
        identity_center: aws.idc.clone(),
    };
    let mut plan = Plan::for_delegated_grant(ctx, p0, grant, CREDENTIAL_LIFETIME, refresh).await?;
    plan.credentials(ctx, p0).await
}

/// How to connect, as P0's CLI says it, except that the token is not in it: it goes to
/// stdout, and the instructions read it from there (`$(p0 ...)`).
fn instructions(
    arch: DbArch,
    args: &DbAuthTokenArgs,
    db: &Database,
    database: Option<&str>,
) -> String {
    let mut command = format!(
        "p0 aws rds generate-db-auth-token --arch {} --{} {}",
        arch.word(),
        if args.sql.is_some() { "sql" } else { "role" },
        sh_quote(
            args.sql
                .as_deref()
                .or(args.source.role.as_deref())
                .unwrap_or_default()
        )
    );
    if let Some(instance) = &args.instance {
        command.push_str(&format!(" --instance {}", sh_quote(instance)));
    }
    if let Some(database) = &args.database {
        command.push_str(&format!(" --database {}", sh_quote(database)));
    }
    let port = db.port;
    let user = &db.username;
    let connect = match arch {
        DbArch::Postgres => format!(
            "export PGPASSWORD=\"$({command})\"\n  psql \"host=$RDS_HOST port={port} sslmode=verify-full sslrootcert=$RDS_SSL_CA {}user={user}\"",
            database.map(|d| format!("dbname={d} ")).unwrap_or_default()
        ),
        DbArch::Mysql => format!(
            "export MYSQL_PWD=\"$({command})\"\n  mysql -h \"$RDS_HOST\" --ssl-ca=\"$RDS_SSL_CA\" --ssl-verify-server-cert -P {port} -u {user} {}",
            database.map(sh_quote).unwrap_or_default()
        ),
    };
    format!(
        "Access your database with the token this command prints on stdout, from an environment with network access to the instance.

Ensure that your environment has downloaded the RDS SSL certificate authority (see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).

If you are executing from CloudShell this will be done for you already, and the CA will be available at `/certs/global-bundle.pem`.

On CloudShell, you can execute:

  export RDS_SSL_CA='/certs/global-bundle.pem'
  export RDS_HOST={}
  {connect}
",
        sh_quote(&db.hostname)
    )
}

/// `word` as one POSIX shell word.
fn sh_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@=,+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn the_token_is_the_presigned_url_without_its_scheme() {
        let credentials = AwsCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret".into()),
            session_token: Secret::new("token".into()),
            expiration: time::macros::datetime!(2030-01-01 00:00 UTC),
        };
        let args = Database {
            hostname: "db.example.eu-west-1.rds.amazonaws.com".into(),
            port: 5432,
            username: "app user".into(),
            region: "eu-west-1".into(),
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

    #[test]
    fn the_user_is_p0_and_the_local_part_as_p0s_cli_makes_it() {
        assert_eq!(
            user_name("Alice.Smith+db@example.com").unwrap(),
            "p0_alice_smith_db"
        );
        assert_eq!(user_name("bob_2@x").unwrap(), "p0_bob_2");
        assert_eq!(user_name("zoë@x").unwrap(), "p0_zo_");
        assert_eq!(user_name("@example.com"), None);
    }

    fn db_request(aws_permission: serde_json::Value) -> Value {
        serde_json::json!({
            "principal": "alice@example.com",
            "permission": {"instanceId": "orders"},
            "delegation": [{"key": "aws-rds", "request": {
                "permission": {"vpcId": "vpc-1"},
                "delegation": [{"key": "aws", "request": {
                    "permission": aws_permission, "generated": {"name": "RdsConnect"}}}]}}]
        })
    }

    #[test]
    fn the_aws_delegate_is_found_under_aws_rds() {
        let arn = "arn:aws:rds:eu-west-1:123456789012:db:orders";
        let okta = Granted::from_request(&db_request(
            serde_json::json!({"accountId": "123456789012", "arn": arn}),
        ))
        .unwrap();
        assert_eq!(
            okta,
            Granted {
                instance_id: "orders".into(),
                user: "p0_alice".into(),
                aws: AwsDelegate {
                    account_id: "123456789012".into(),
                    grant: "RdsConnect".into(),
                    arn: arn.into(),
                    idc: None,
                },
            }
        );
        assert_eq!(okta.aws.region().unwrap(), "eu-west-1");
        let idc = Granted::from_request(&db_request(serde_json::json!({
            "accountId": "123456789012", "arn": arn,
            "idcId": "d-1234567890", "idcRegion": "us-west-2"})))
        .unwrap();
        assert_eq!(
            idc.aws.idc,
            Some(("d-1234567890".into(), "us-west-2".into()))
        );
        let mut not_rds = db_request(serde_json::json!({}));
        not_rds["delegation"][0]["key"] = "gcp".into();
        let e = Granted::from_request(&not_rds).unwrap_err();
        assert_eq!(
            e.to_string(),
            "P0 granted access, but orders is not a RDS instance."
        );
    }

    #[test]
    fn only_installed_instances_with_a_host_count() {
        let config = serde_json::json!({"config": {"iam-write": {
            "a": {"state": "installed", "hostname": "a.example", "port": "6543", "defaultDb": "shop"},
            "b": {"state": "installed", "hostname": "b.example"},
            "c": {"state": "pending", "hostname": "c.example", "port": "5432"},
            "d": {"state": "installed", "hostname": "d.example", "port": "many"}}}});
        let a = instance_config(&config, "a").unwrap();
        assert_eq!(
            (a.hostname.as_str(), a.port, a.default_db.as_deref()),
            ("a.example", Some(6543), Some("shop"))
        );
        assert_eq!(instance_config(&config, "b").unwrap().port, None);
        assert_eq!(
            instance_config(&config, "c").err().unwrap().to_string(),
            "No instance with ID c"
        );
        assert!(instance_config(&config, "d").is_err());
        assert!(instance_config(&config, "e").is_err());
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(sh_quote("db.example:5432"), "db.example:5432");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote("SELECT 1"), "'SELECT 1'");
    }
}
