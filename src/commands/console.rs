//! `p0 console`: the AWS Management Console for a role, just in time.
//!
//! The credentials come from the same plan as `run-as` (the P0 request and its approval first,
//! the shared cache when it holds valid ones, so a warm run makes no P0, Okta or STS call).
//! The partition's sign-in federation endpoint turns them into a sign-in token
//! (`Action=getSigninToken`), and the `Action=login` URL with that token signs a browser in, as
//! "Enable custom identity broker access to the AWS console" (IAM User Guide) describes.
//!
//! The URL is a credential for 15 minutes: it is kept in a [`Secret`], never logged, and only
//! shown where the user asked for it, with a warning that it is one.

use super::block_on;
use crate::aws_sdk::endpoint_override;
use crate::cli::ConsoleArgs;
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::env;
use crate::error::{Error, Result};
use crate::http::{service_url, UrlOrigin};
use crate::p0::P0Connection;
use crate::partition::Partition;
use crate::plan::Plan;
use crate::secret::Secret;
use std::time::Duration;
use url::Url;

/// `SessionDuration`'s range: 15 minutes to 12 hours.
const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;
/// The most of the federation endpoint's answer that is read (a token is about 1 KiB).
const MAX_ANSWER: usize = 64 * 1024;
/// How long opening the browser may take before p0 gives up on it and exits.
const BROWSER_LIMIT: Duration = Duration::from_secs(10);
/// Where AWS sends the user when the console session ends (the `Issuer` parameter).
const ISSUER: &str = "p0";

pub fn run(ctx: &Context, args: ConsoleArgs) -> Result<u8> {
    // A duration that cannot apply is refused before any call: nothing is requested or sent.
    if let Some(seconds) = args.duration {
        if !DURATION_RANGE.contains(&seconds) {
            return Err(Error::ConsoleDurationOutOfRange { seconds });
        }
        if args.chain.chain_role_arn.is_some() {
            return Err(Error::ConsoleDurationChained);
        }
    }
    let credential_args = args.credential_args();
    let p0 = P0Connection::new();
    // Warm: the plan from local files and the credentials from the cache, no P0 call.
    let offline = Plan::offline_run_as(ctx, &credential_args)?;
    let warm = offline.local().and_then(|plan| {
        let credentials = plan.warm(ctx, &p0)?;
        Some((plan.clone(), credentials))
    });
    block_on(async {
        let (plan, credentials) = match warm {
            Some(warm) => warm,
            None => {
                let mut plan = offline.resolve(ctx, &p0).await?;
                if plan.needs_role() {
                    plan = plan.choose_role(ctx, &p0).await?;
                }
                let credentials = plan.credentials(ctx, &p0).await?;
                (plan, credentials)
            }
        };
        let partition = partition_of(plan.partition(), plan.region())?;
        let destination = destination(&args, partition, plan.region())?;
        let federation = federation_endpoint(partition)?;
        let url = sign_in(ctx, &federation, &credentials, args.duration, &destination).await?;
        deliver(ctx, &args, &plan.target(), &url)
    })
}

/// The partition the credentials belong to: the plan's when it knows it ([`Plan::partition`]),
/// else the console region's (Okta SAML: the role ARN is in the SAML assertion, not in the
/// plan), else the commercial one. A `--region` of another partition is refused.
fn partition_of(known: Option<Partition>, region: Option<&str>) -> Result<Partition> {
    let from_region = region.map(Partition::from_region);
    match (known, from_region) {
        (Some(partition), Some(other)) if partition != other => Err(Error::Usage(format!(
            "--region {} is in partition {other}, but the role's credentials are in {partition}: \
             name a region of {partition}",
            region.unwrap_or_default()
        ))),
        (Some(partition), _) | (None, Some(partition)) => Ok(partition),
        (None, None) => Ok(Partition::Aws),
    }
}

/// Console paths of `--service` (each name of `cli::console::SERVICE_NAMES`).
fn service_path(name: &str) -> Option<&'static str> {
    Some(match name {
        "billing" => "billing/home",
        "cloudformation" => "cloudformation/home",
        "cloudtrail" => "cloudtrail/home",
        "cloudwatch" => "cloudwatch/home",
        "dynamodb" => "dynamodbv2/home",
        "ec2" => "ec2/home",
        "ecr" => "ecr/home",
        "ecs" => "ecs/v2/home",
        "eks" => "eks/home",
        "iam" => "iam/home",
        "kms" => "kms/home",
        "lambda" => "lambda/home",
        "logs" => "cloudwatch/home#logsV2:",
        "organizations" => "organizations/v2/home",
        "rds" => "rds/home",
        "route53" => "route53/v2/home",
        "s3" => "s3/home",
        "secretsmanager" => "secretsmanager/home",
        "sns" => "sns/v3/home",
        "sqs" => "sqs/v3/home",
        "ssm" => "systems-manager/home",
        "vpc" => "vpcconsole/home",
        _ => return None,
    })
}

/// The console page to land on: `--destination` (a console URL of the partition), or the
/// console home or `--service`'s page on the partition's console host, in `region` if any.
fn destination(args: &ConsoleArgs, partition: Partition, region: Option<&str>) -> Result<String> {
    let host = partition.console_host();
    if let Some(given) = &args.destination {
        let on_console = Url::parse(given).ok().is_some_and(|url| {
            let url_host = url.host_str().unwrap_or_default();
            url.scheme() == "https" && (url_host == host || url_host.ends_with(&format!(".{host}")))
        });
        if !on_console {
            return Err(Error::Usage(format!(
                "--destination must be an https URL of the {partition} console \
                 (https://{host}/...); got {given:?}"
            )));
        }
        return Ok(given.clone());
    }
    let path = match &args.service {
        Some(name) => service_path(name).ok_or_else(|| {
            Error::Usage(format!("--service {name:?} has no console page p0 knows"))
        })?,
        None => "console/home",
    };
    let (path, fragment) = match path.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (path, None),
    };
    let mut url = format!("https://{host}/{path}");
    if let Some(region) = region {
        url.push_str("?region=");
        url.push_str(&url::form_urlencoded::byte_serialize(region.as_bytes()).collect::<String>());
    }
    if let Some(fragment) = fragment {
        url.push('#');
        url.push_str(fragment);
    }
    Ok(url)
}

/// The federation endpoint: `AWS_ENDPOINT_URL_SIGNIN` (then `AWS_ENDPOINT_URL`) as the AWS
/// SDKs read endpoint overrides, else the partition's sign-in host ("AWS Sign-In endpoints",
/// AWS General Reference); `/federation` on it.
fn federation_endpoint(partition: Partition) -> Result<Url> {
    let base = match endpoint_override(env::read::AWS_ENDPOINT_URL_SIGNIN) {
        Some(value) => service_url(
            &value,
            UrlOrigin::Setting(env::read::AWS_ENDPOINT_URL_SIGNIN),
        )?,
        None => service_url(partition.signin_host(), UrlOrigin::Server)?,
    };
    base.join("federation")
        .map_err(|e| Error::Config(format!("AWS_ENDPOINT_URL_SIGNIN: {e}")))
}

/// `getSigninToken` with the credentials, then the `login` URL with the token. A refusal with
/// `SessionDuration` is asked again without it, to tell a duration AWS will not give these
/// credentials from credentials it will not take at all.
async fn sign_in(
    ctx: &Context,
    federation: &Url,
    credentials: &AwsCredentials,
    duration: Option<u32>,
    destination: &str,
) -> Result<Secret<String>> {
    let token = match signin_token(ctx, federation, credentials, duration).await {
        Err(Error::SigninRefused { .. }) if duration.is_some() => {
            // Only the duration differs: which one AWS objects to decides the message.
            signin_token(ctx, federation, credentials, None).await?;
            return Err(Error::SigninDurationRefused {
                seconds: duration.unwrap_or_default(),
            });
        }
        other => other?,
    };
    let mut url = federation.clone();
    url.query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Issuer", ISSUER)
        .append_pair("Destination", destination)
        .append_pair("SigninToken", token.expose());
    Ok(Secret::new(url.into()))
}

fn host_of(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

async fn signin_token(
    ctx: &Context,
    federation: &Url,
    credentials: &AwsCredentials,
    duration: Option<u32>,
) -> Result<Secret<String>> {
    let host = host_of(federation);
    let session = Secret::new(
        serde_json::json!({
            "sessionId": credentials.access_key_id,
            "sessionKey": credentials.secret_access_key.expose(),
            "sessionToken": credentials.session_token.expose(),
        })
        .to_string(),
    );
    let mut url = federation.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("Action", "getSigninToken");
        if let Some(seconds) = duration {
            query.append_pair("SessionDuration", &seconds.to_string());
        }
        query.append_pair("Session", session.expose());
    }
    let failed = |problem: String| Error::Signin {
        host: host.clone(),
        problem,
    };
    // reqwest's errors name the URL, which carries the credentials: never shown.
    let mut answer = ctx
        .http()
        .get(url)
        .send()
        .await
        .map_err(|e| failed(crate::http::innermost_cause(&e.without_url())))?;
    let status = answer.status();
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| failed(crate::http::innermost_cause(&e.without_url())))?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(failed(format!("an answer longer than {MAX_ANSWER} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    if status == reqwest::StatusCode::BAD_REQUEST {
        return Err(Error::SigninRefused { host });
    }
    if !status.is_success() {
        return Err(failed(format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or_default()
        )));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: Secret<String>,
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|e| {
        Error::RemoteData(format!(
            "AWS sign-in at {host} answered without a sign-in token ({})",
            crate::secret::describe_json_error(&e)
        ))
    })?;
    if answer.signin_token.expose().is_empty() {
        return Err(Error::RemoteData(format!(
            "AWS sign-in at {host} answered an empty sign-in token"
        )));
    }
    Ok(answer.signin_token)
}

/// The URL where the user asked for it: stdout alone (`--url`), stderr (`--no-browser`,
/// `P0_NO_BROWSER`), else a browser. Shown, it comes with one warning that it is a credential.
fn deliver(ctx: &Context, args: &ConsoleArgs, target: &Target, url: &Secret<String>) -> Result<u8> {
    let who = format!("{}/{}", target.account_id, target.role);
    let warning = format!(
        "This URL signs in to the AWS console as {who} for 15 minutes: it is a credential. \
         Do not share it or paste it where it is kept."
    );
    if args.url {
        ctx.printer.warn(&warning);
        crate::output::stdout(&format!("{}\n", url.expose()))?;
        return Ok(0);
    }
    if ctx.human().opens_browser() {
        ctx.printer
            .status(&format!("Opening the AWS console as {who} in your browser"));
        if crate::human::open_browser_and_wait(url.expose(), BROWSER_LIMIT) {
            return Ok(0);
        }
        ctx.printer.warn("Could not open a browser; open this URL:");
    } else {
        ctx.printer.status(&format!(
            "Open this URL to sign in to the AWS console as {who}:"
        ));
    }
    ctx.printer.warn(url.expose());
    ctx.printer.warn(&warning);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn args(extra: &[&str]) -> ConsoleArgs {
        let argv = [&["p0", "console", "--role", "Admin"][..], extra].concat();
        match Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Console(args) => args,
            _ => panic!("console"),
        }
    }

    #[test]
    fn every_service_name_has_a_console_path() {
        for name in crate::cli::CONSOLE_SERVICES {
            assert!(service_path(name).is_some(), "{name}");
        }
    }

    #[test]
    fn destinations_are_on_the_partitions_console() {
        assert_eq!(
            destination(&args(&[]), Partition::Aws, None).unwrap(),
            "https://console.aws.amazon.com/console/home"
        );
        assert_eq!(
            destination(
                &args(&["--service", "s3"]),
                Partition::Aws,
                Some("eu-west-1")
            )
            .unwrap(),
            "https://console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            destination(
                &args(&["--service", "logs"]),
                Partition::AwsUsGov,
                Some("us-gov-west-1")
            )
            .unwrap(),
            "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:"
        );
        let given = "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2";
        assert_eq!(
            destination(&args(&["--destination", given]), Partition::Aws, None).unwrap(),
            given
        );
        for foreign in [
            "https://console.amazonaws.cn/ec2/home",
            "http://console.aws.amazon.com/",
            "https://example.com/console.aws.amazon.com",
        ] {
            let error =
                destination(&args(&["--destination", foreign]), Partition::Aws, None).unwrap_err();
            assert_eq!(error.exit_code(), crate::error::exit::USAGE, "{foreign}");
        }
    }

    #[test]
    fn a_region_of_another_partition_is_refused() {
        let source = Some(Partition::AwsCn);
        assert_eq!(partition_of(source, None).unwrap(), Partition::AwsCn);
        assert_eq!(
            partition_of(source, Some("cn-northwest-1")).unwrap(),
            Partition::AwsCn
        );
        let error = partition_of(source, Some("us-east-1")).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit::USAGE);
    }
}
