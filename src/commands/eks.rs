//! `p0 aws [--account A] eks get-token --cluster-name C [--role R | ...]`: the token kubectl's
//! exec plugin hands an EKS cluster, as `aws eks get-token` makes it (awscli
//! `customizations/eks/get_token.py`), signed with just-in-time credentials from any credential
//! source of `run-as`:
//!
//! - the token is `k8s-aws-v1.` and the unpadded base64url of a presigned STS GetCallerIdentity
//!   URL (the region's STS endpoint, as every other STS call of `p0` resolves it: an
//!   `AWS_ENDPOINT_URL_STS`/`AWS_ENDPOINT_URL`, else the SDK's rules for the region, FIPS and
//!   dual-stack settings), with the cluster's name signed in as the `x-k8s-aws-id` header and
//!   `X-Amz-Expires=60`;
//! - `expirationTimestamp` is the AWS CLI's: the signing time plus 14 minutes (STS honours a
//!   presigned GetCallerIdentity for 15), to the second, in UTC; kubectl reuses the token until
//!   then. So the credentials signing it are renewed first when they would not outlive it;
//! - stdout carries the ExecCredential alone; kubectl shows stderr to its user, where status
//!   lines go and sign-in prompts go to the terminal; without one a needed sign-in fails (77);
//! - a warm run reads the plan and the credentials from local files, with no runtime, no HTTP
//!   client and no network call (as `credential-process`): kubectl runs it every 14 minutes
//!   for every cluster, and a cache miss uses the existing grant before filing a request.

use super::block_on;
use crate::aws_sdk::{self, Service};
use crate::cli::{
    AwsFlags, GetTokenArgs, RestartSignal, RunAsArgs, SourceArgs, UpdateKubeconfigArgs,
};
use crate::context::Context;
use crate::credentials::AwsCredentials;
use crate::env;
use crate::error::{Error, Result};
use crate::kubeconfig;
use crate::output::exec_credential;
use crate::p0::P0Connection;
use crate::plan::{Offline, Plan};
use crate::presign;
use base64::Engine;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// `X-Amz-Expires` of the presigned URL (the AWS CLI's `URL_TIMEOUT`).
const URL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long kubectl may reuse a token (the AWS CLI's `TOKEN_EXPIRATION_MINS`).
const TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 60);
const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The STS region when neither `--region` nor the environment names one.
const DEFAULT_REGION: &str = "us-east-1";

/// What `p0 aws` itself was given (its global flags).
pub struct AwsWanted {
    pub account: Option<String>,
    pub reason: Option<String>,
    pub refresh_credentials: bool,
}

impl AwsWanted {
    pub fn of(flags: &AwsFlags) -> AwsWanted {
        AwsWanted {
            account: flags.account.clone(),
            reason: flags.reason.clone(),
            refresh_credentials: flags.refresh_credentials,
        }
    }
}

pub fn get_token(ctx: &Context, aws: AwsWanted, args: GetTokenArgs) -> Result<u8> {
    // Before anything is fetched: a warning about the version belongs first.
    let (api_version, warning) =
        discover_api_version(env::get(env::read::KUBERNETES_EXEC_INFO).as_deref());
    if let Some(warning) = warning {
        ctx.printer.warn(&warning);
    }
    let args_as_run_as = run_as_args(aws, &args.source, args.region.clone());
    let (credentials, region) = credentials(ctx, &args_as_run_as, TOKEN_CREDENTIAL_LIFETIME)?;
    print_token(api_version, &credentials, region, &args.cluster_name)?;
    Ok(0)
}

/// The warm-path front end's `eks get-token` (`crate::front`): a warm answer printed as
/// [`get_token`] prints it, with its exit code; `None`, having printed nothing, when the
/// whole program must answer.
pub fn answer_if_warm(ctx: &Context, aws: AwsWanted, args: &GetTokenArgs) -> Option<u8> {
    let (api_version, warning) =
        discover_api_version(env::get(env::read::KUBERNETES_EXEC_INFO).as_deref());
    let args_as_run_as = run_as_args(aws, &args.source, args.region.clone());
    let offline = Plan::offline_run_as_through_p0(ctx, &args_as_run_as).ok()??;
    let p0 = P0Connection::new();
    let (credentials, region) = warm(ctx, &offline, &p0, TOKEN_CREDENTIAL_LIFETIME)?;
    // Only what cannot fail is left, but the endpoint's lookup: checked before any output.
    let region = region.unwrap_or_else(|| DEFAULT_REGION.to_string());
    let endpoint = sts_endpoint(&region).ok()?;
    // As the whole program shows them: the version's warning, then the state's.
    if let Some(warning) = warning {
        ctx.printer.warn(&warning);
    }
    ctx.release_warnings();

    let printed = token(
        &credentials,
        &args.cluster_name,
        &region,
        &endpoint,
        SystemTime::now(),
    )
    .and_then(|token| {
        let expiration = expiration_timestamp(SystemTime::now());
        exec_credential::print(api_version, &expiration, &token)
    });
    Some(match printed {
        Ok(()) => 0,
        Err(e) => {
            ctx.printer.error(&e);
            e.exit_code()
        }
    })
}

/// The credentials must outlive the token's reuse, with a minute for the clocks between.
const TOKEN_CREDENTIAL_LIFETIME: Duration = Duration::from_secs(TOKEN_LIFETIME.as_secs() + 60);

/// The ExecCredential with the token for `cluster`, on stdout.
fn print_token(
    api_version: &'static str,
    credentials: &AwsCredentials,
    region: Option<String>,
    cluster: &str,
) -> Result<()> {
    let region = region.unwrap_or_else(|| DEFAULT_REGION.to_string());
    let now = SystemTime::now();
    let endpoint = sts_endpoint(&region)?;
    let token = token(credentials, cluster, &region, &endpoint, now)?;
    let expiration = expiration_timestamp(now);
    exec_credential::print(api_version, &expiration, &token)
}

/// `p0 aws eks update-kubeconfig`: DescribeCluster with the role's credentials, then the
/// cluster, user and context written into the kubeconfig as the AWS CLI writes them, the
/// user's exec plugin being `p0 aws eks get-token` for the same account, role and region.
/// The file is replaced atomically (0600), after a copy of the old one to `FILE.bak`.
pub fn update_kubeconfig(ctx: &Context, aws: AwsWanted, args: UpdateKubeconfigArgs) -> Result<u8> {
    let account = aws.account.clone();
    let source = SourceArgs {
        role: args.role.clone(),
        no_request: args.no_request,
        ..SourceArgs::default()
    };
    let source = run_as_args(aws, &source, args.region.clone());
    let (credentials, region) = credentials(ctx, &source, Duration::from_secs(60))?;
    let region = region.unwrap_or_else(|| DEFAULT_REGION.to_string());
    let cluster = block_on(describe_cluster(
        ctx,
        &credentials,
        &region,
        &args.cluster_name,
    ))?;
    let path = match args.kubeconfig.clone() {
        Some(path) => path,
        None => default_kubeconfig()?,
    };
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let mut exec_args = vec!["aws".to_string()];
    if let Some(account) = &account {
        exec_args.extend(["--account".into(), account.clone()]);
    }
    exec_args.extend([
        "eks".into(),
        "get-token".into(),
        "--cluster-name".into(),
        args.cluster_name.clone(),
    ]);
    if let Some(role) = &args.role {
        exec_args.extend(["--role".into(), role.clone()]);
    }
    exec_args.extend(["--region".into(), region.clone()]);
    let update = kubeconfig_update(&cluster, args.alias.as_deref(), &exec_args);
    let text = kubeconfig::apply(existing.as_deref(), &update).map_err(|why| {
        Error::Config(format!(
            "Cannot update the kubeconfig {}: {why}",
            path.display()
        ))
    })?;
    write_kubeconfig(&path, existing.as_deref(), &text)?;
    let verb = if existing
        .as_deref()
        .is_some_and(|t| t.contains(&update.context.name))
    {
        "Updated"
    } else {
        "Added new"
    };
    ctx.printer.status(&format!(
        "{verb} context {} in {}",
        update.context.name,
        path.display()
    ));
    Ok(0)
}

/// What DescribeCluster says that the kubeconfig needs.
struct Cluster {
    arn: String,
    endpoint: String,
    ca_data: String,
}

/// The entries as the AWS CLI's `update_kubeconfig.py` builds them (its key order), with
/// `p0` as the exec command.
fn kubeconfig_update(
    cluster: &Cluster,
    alias: Option<&str>,
    exec_args: &[String],
) -> kubeconfig::Update {
    use kubeconfig::{scalar, Entry};
    let arn = scalar(&cluster.arn);
    let context_name = alias.unwrap_or(&cluster.arn).to_string();
    let args: String = exec_args
        .iter()
        .map(|arg| format!("      - {}\n", scalar(arg)))
        .collect();
    kubeconfig::Update {
        cluster: Entry {
            name: cluster.arn.clone(),
            text: format!(
                "- cluster:\n    certificate-authority-data: {}\n    server: {}\n  name: {arn}\n",
                scalar(&cluster.ca_data),
                scalar(&cluster.endpoint)
            ),
        },
        context: Entry {
            name: context_name.clone(),
            text: format!(
                "- context:\n    cluster: {arn}\n    user: {arn}\n  name: {}\n",
                scalar(&context_name)
            ),
        },
        user: Entry {
            name: cluster.arn.clone(),
            text: format!(
                "- name: {arn}\n  user:\n    exec:\n      apiVersion: {}\n      args:\n{args}      command: p0\n",
                exec_credential::V1BETA1
            ),
        },
        current_context: context_name,
    }
}

/// EKS DescribeCluster (`GET /clusters/{name}`), SigV4-signed with `credentials`.
async fn describe_cluster(
    ctx: &Context,
    credentials: &AwsCredentials,
    region: &str,
    name: &str,
) -> Result<Cluster> {
    let base = aws_sdk::endpoint_override(env::read::AWS_ENDPOINT_URL_EKS).unwrap_or_else(|| {
        let suffix = crate::partition::Partition::from_region(region).dns_suffix();
        format!("https://eks.{region}.{suffix}")
    });
    let mut url = url::Url::parse(&base)
        .map_err(|e| Error::Config(format!("The EKS endpoint {base} is not a URL ({e})")))?;
    url.path_segments_mut()
        .map_err(|()| Error::Config(format!("The EKS endpoint {base} is not a URL")))?
        .pop_if_empty()
        .extend(["clusters", name]);
    let headers =
        presign::sign_headers(url.as_str(), "eks", region, credentials, SystemTime::now())?;
    let mut request = ctx.http().get(url.clone()).timeout(Duration::from_secs(30));
    for (header, value) in &headers {
        request = request.header(header.as_str(), value.as_str());
    }
    let what = format!("EKS DescribeCluster for {name} in {region}");
    let response = request
        .send()
        .await
        .map_err(|e| Error::Api(format!("{what} failed: {e}")))?;
    let status = response.status();
    // A cluster's description is a few KiB; read at most 1 MiB of it.
    const MAX_ANSWER: usize = 1024 * 1024;
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::Api(format!("{what} failed: {e}")))?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(Error::Api(format!(
                "{what}: the answer is longer than 1 MiB"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if !status.is_success() {
        let message = value["message"].as_str().unwrap_or("");
        return Err(Error::Api(format!(
            "{what} failed: HTTP {status} {message}"
        )));
    }
    let field = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    match (
        field("/cluster/arn"),
        field("/cluster/endpoint"),
        field("/cluster/certificateAuthority/data"),
    ) {
        (Some(arn), Some(endpoint), ca_data) => Ok(Cluster {
            arn,
            endpoint,
            ca_data: ca_data.unwrap_or_default(),
        }),
        _ => Err(Error::Api(format!(
            "{what}: the answer has no cluster ARN or endpoint (is the cluster still creating?)"
        ))),
    }
}

/// The first file of `KUBECONFIG`, else `~/.kube/config` (as kubectl and the AWS CLI pick it).
fn default_kubeconfig() -> Result<std::path::PathBuf> {
    if let Some(list) = env::get_os(env::read::KUBECONFIG) {
        if let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty()) {
            return Ok(first);
        }
    }
    let home = dirs::home_dir().ok_or(Error::NoHomeDirectory)?;
    Ok(home.join(".kube").join("config"))
}

/// Replaces the kubeconfig whole (a temporary file in its directory, 0600, renamed over it),
/// after copying the old one to `FILE.bak` (0600 too).
fn write_kubeconfig(path: &std::path::Path, old: Option<&str>, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let write = |target: &std::path::Path, contents: &str| -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(&dir)?;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(target).map_err(|e| e.error)?;
        Ok(())
    };
    if let Some(old) = old {
        let mut backup = path.as_os_str().to_owned();
        backup.push(".bak");
        let backup = std::path::PathBuf::from(backup);
        write(&backup, old).map_err(|e| Error::io(format!("writing {}", backup.display()), e))?;
    }
    write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// The EKS token for `cluster` signed with `credentials` at `now` for STS at `endpoint`.
fn token(
    credentials: &AwsCredentials,
    cluster: &str,
    region: &str,
    endpoint: &str,
    now: SystemTime,
) -> Result<String> {
    let url = presign::presign(
        &presign::Request {
            url: endpoint,
            params: &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
            headers: &[("x-k8s-aws-id", cluster)],
            service: "sts",
            region,
            expires_in: URL_TIMEOUT,
        },
        credentials,
        now,
    )?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url);
    Ok(format!("{TOKEN_PREFIX}{encoded}"))
}

/// The STS endpoint for `region` with its path (`https://sts.us-west-2.amazonaws.com/`).
fn sts_endpoint(region: &str) -> Result<String> {
    let url = match aws_sdk::endpoint_override(env::read::AWS_ENDPOINT_URL_STS) {
        Some(url) => url,
        None => {
            let settings = crate::aws_files::settings::network();
            aws_sdk::resolved_endpoint(
                Service::Sts,
                region,
                settings.use_fips,
                settings.use_dual_stack,
            )
            .map_err(|why| Error::Usage(format!("No STS endpoint for region {region}: {why}")))?
        }
    };
    let parsed = url::Url::parse(&url)
        .map_err(|e| Error::Config(format!("The STS endpoint {url} is not a URL ({e})")))?;
    Ok(parsed.to_string())
}

/// The AWS CLI's `get_expiration_time`: `now` plus 14 minutes, `%Y-%m-%dT%H:%M:%SZ` in UTC.
fn expiration_timestamp(now: SystemTime) -> String {
    let at = time::OffsetDateTime::from(now) + TOKEN_LIFETIME;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The ExecCredential version `KUBERNETES_EXEC_INFO` asks for, as the AWS CLI's
/// `discover_api_version` decides it, with its warnings on stderr: v1 and v1beta1 as asked,
/// v1alpha1 with a deprecation warning, v1beta1 for anything else (and when unset).
fn discover_api_version(exec_info: Option<&str>) -> (&'static str, Option<String>) {
    let fallback = exec_credential::V1BETA1;
    let Some(raw) = exec_info.filter(|raw| !raw.is_empty()) else {
        return (fallback, None);
    };
    let Ok(info) = serde_json::from_str::<serde_json::Value>(raw) else {
        return (
            fallback,
            Some(format!(
                "Error parsing KUBERNETES_EXEC_INFO, defaulting to {fallback}. This is likely a \
                 bug in your Kubernetes client. Please update your Kubernetes client."
            )),
        );
    };
    match info.get("apiVersion").and_then(|v| v.as_str()) {
        Some(v) if v == exec_credential::V1 => (exec_credential::V1, None),
        Some(v) if v == exec_credential::V1BETA1 => (exec_credential::V1BETA1, None),
        Some(v) if v == exec_credential::V1ALPHA1 => (
            exec_credential::V1ALPHA1,
            Some(format!(
                "Kubeconfig user entry is using deprecated API version {v}. Set its exec \
                 apiVersion to {fallback}."
            )),
        ),
        _ => (
            fallback,
            Some(format!(
                "Unrecognized API version in KUBERNETES_EXEC_INFO, defaulting to {fallback}."
            )),
        ),
    }
}

/// The `run-as` arguments of an EKS or RDS command's credential source: what the plan reads.
pub(super) fn run_as_args(
    aws: AwsWanted,
    source: &SourceArgs,
    region: Option<String>,
) -> RunAsArgs {
    RunAsArgs {
        account: aws.account,
        role: source.role.clone(),
        reason: aws.reason,
        no_request: source.no_request,
        region,
        duration: source.duration,
        chain: source.chain.clone(),
        refresh: false,
        restart: false,
        restart_margin: 0,
        restart_signal: RestartSignal::Term,
        restart_grace: 0,
        refresh_credentials: aws.refresh_credentials,
        sso: source.sso,
        sso_start_url: source.sso_start_url.clone(),
        sso_region: source.sso_region.clone(),
        force_refresh: source.force_refresh,
        role_arn: source.role_arn.clone(),
        web_identity_token_file: source.web_identity_token_file.clone(),
        role_session_name: source.role_session_name.clone(),
        command: Vec::new(),
    }
}

/// Credentials from any credential source of `run-as`, with at least `lifetime` left, and
/// the region asked for (`--region`, else the environment's). This is the one place these
/// commands use the plan: warm from local files alone, else through a runtime.
pub(super) fn credentials(
    ctx: &Context,
    args: &RunAsArgs,
    lifetime: Duration,
) -> Result<(AwsCredentials, Option<String>)> {
    // As for an SDK's credential process: long enough left, and the existing grant first
    // (a chained role's source included).
    let p0 = P0Connection::new();
    let offline = Plan::offline_run_as(ctx, args)?;
    match warm(ctx, &offline, &p0, lifetime) {
        Some(warm) => Ok(warm),
        None => block_on(async {
            let mut plan = offline.resolve(ctx, &p0).await?;
            if plan.needs_role() {
                plan = plan.choose_role(ctx, &p0).await?;
            }
            let mut plan = plan.for_sdk_caller(lifetime);
            let credentials = plan.credentials(ctx, &p0).await?;
            Ok((credentials, plan.region().map(str::to_string)))
        }),
    }
}

/// Warm: the plan from local files and the credentials from the cache, with `lifetime` left.
fn warm(
    ctx: &Context,
    offline: &Offline,
    p0: &Arc<P0Connection>,
    lifetime: Duration,
) -> Option<(AwsCredentials, Option<String>)> {
    let plan = offline.local()?;
    let credentials = plan.for_sdk_caller(lifetime).warm(ctx, p0)?;
    Some((credentials, plan.region().map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::Partition;
    use crate::secret::Secret;

    #[test]
    fn the_expiration_is_fourteen_minutes_on_to_the_second() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_630_399_900);
        assert_eq!(expiration_timestamp(at), "2026-12-07T08:13:59Z");
    }

    #[test]
    fn the_version_is_the_one_kubectl_asks_for_as_the_aws_cli_decides() {
        let v = |info: Option<&str>| discover_api_version(info);
        assert_eq!(v(None), (exec_credential::V1BETA1, None));
        assert_eq!(v(Some("")), (exec_credential::V1BETA1, None));
        let asks = |version: &str| {
            format!(
                r#"{{"kind":"ExecCredential","apiVersion":"{version}","spec":{{"interactive":false}}}}"#
            )
        };
        assert_eq!(
            v(Some(&asks(exec_credential::V1))),
            (exec_credential::V1, None)
        );
        assert_eq!(
            v(Some(&asks(exec_credential::V1BETA1))),
            (exec_credential::V1BETA1, None)
        );
        let (version, warning) = v(Some(&asks(exec_credential::V1ALPHA1)));
        assert_eq!(version, exec_credential::V1ALPHA1);
        assert!(warning.unwrap().contains("deprecated"));
        for odd in [asks("client.authentication.k8s.io/v2"), "{not json".into()] {
            let (version, warning) = v(Some(&odd));
            assert_eq!(version, exec_credential::V1BETA1);
            assert!(warning.unwrap().contains("KUBERNETES_EXEC_INFO"));
        }
    }

    #[test]
    fn the_sts_endpoint_is_the_regional_one_of_the_regions_partition() {
        for region in ["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"] {
            let url = aws_sdk::resolved_endpoint(Service::Sts, region, false, false).unwrap();
            let suffix = Partition::from_region(region).dns_suffix();
            assert_eq!(url, format!("https://sts.{region}.{suffix}"), "{region}");
        }
    }

    #[test]
    fn the_token_is_the_prefix_and_the_unpadded_base64url_of_the_url() {
        let credentials = AwsCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret".into()),
            session_token: Secret::new("token".into()),
            expiration: time::macros::datetime!(2030-01-01 00:00 UTC),
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_630_000);
        let endpoint = "https://sts.eu-west-1.amazonaws.com/";
        let token = token(&credentials, "demo", "eu-west-1", endpoint, now).unwrap();
        let encoded = token.strip_prefix(TOKEN_PREFIX).unwrap();
        assert!(!encoded.contains('='), "{encoded}");
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .unwrap();
        let url = String::from_utf8(url).unwrap();
        assert!(
            url.starts_with("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&"),
            "{url}"
        );
        assert!(url.contains("&X-Amz-Expires=60&"), "{url}");
        assert!(
            url.contains("&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&"),
            "{url}"
        );
    }
}
