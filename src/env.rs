//! Every environment variable `p0` reads, sets for a child, or removes from a child's
//! environment, in one place (as uv does), so none is read from a stray `std::env::var` call.

use std::ffi::OsString;

/// Variables `p0` itself reads.
pub mod read {
    /// Default organization (and suffix of the state file names, protocol §1.3).
    pub const P0_ORG: &str = "P0_ORG";
    /// Bootstrap API base URL.
    pub const P0_APP_URL: &str = "P0_APP_URL";
    /// Non-production environment: the state directory becomes `~/.p0-{env}`.
    pub const P0_ENV: &str = "P0_ENV";
    /// `1` (or any non-empty value other than `0`/`false`) prints links instead of opening a browser.
    pub const P0_NO_BROWSER: &str = "P0_NO_BROWSER";
    /// Defaults for `p0 aws` and `p0 run-as`.
    pub const P0_AWS_ACCOUNT: &str = "P0_AWS_ACCOUNT";
    pub const P0_AWS_ROLE: &str = "P0_AWS_ROLE";
    pub const P0_AWS_REASON: &str = "P0_AWS_REASON";
    /// Minimum lifetime (seconds) a cached credential must have left to be reused.
    pub const P0_MIN_CREDENTIAL_LIFETIME: &str = "P0_MIN_CREDENTIAL_LIFETIME";
    /// Seconds to wait for another `p0` process fetching the same credentials (default 900) or
    /// renewing the login session (default 600). Read into `Settings`, as every knob is.
    pub const P0_LOCK_TIMEOUT: &str = "P0_LOCK_TIMEOUT";
    /// Tuning knob: the first delay (milliseconds, default 1000) of the capped exponential
    /// backoff for P0 API retries (§3.1: 1, 2, 4, 8, 16, 30, 30, 30 times this, ±50 % jitter).
    /// Tests shrink it; a slow link can widen it.
    pub const P0_RETRY_BASE_MS: &str = "P0_RETRY_BASE_MS";
    /// Seconds one network call may take, answer included (default 60): reqwest's request
    /// timeout and the AWS SDK's operation timeout (a third of it per attempt). A slow link can
    /// widen it; tests shrink it to see a stalled server cost the deadline.
    pub const P0_CALL_TIMEOUT: &str = "P0_CALL_TIMEOUT";
    /// Google's OAuth endpoints for Google-login orgs: one base URL serving `/o/oauth2/v2/auth`
    /// and `/token` (default: accounts.google.com and oauth2.googleapis.com).
    pub const P0_GOOGLE_ENDPOINT_URL: &str = "P0_GOOGLE_ENDPOINT_URL";
    /// Replaces `https://login.microsoftonline.com` for Entra-login orgs (national clouds).
    pub const P0_MICROSOFT_ENDPOINT_URL: &str = "P0_MICROSOFT_ENDPOINT_URL";
    /// The loopback port of a browser sign-in (Google, Entra) instead of P0's registered one
    /// (52700, 52701); `0` lets the system choose a free one.
    pub const P0_LOGIN_REDIRECT_PORT: &str = "P0_LOGIN_REDIRECT_PORT";
    /// Seconds a browser sign-in may take before `p0` stops waiting (default 300).
    pub const P0_LOGIN_TIMEOUT: &str = "P0_LOGIN_TIMEOUT";
    /// Email and password for orgs with email/password login, read on every sign-in and never
    /// stored.
    pub const P0_EMAIL: &str = "P0_EMAIL";
    pub const P0_PASSWORD: &str = "P0_PASSWORD";
    /// Set by sshd: the browser is on another machine and cannot reach p0's loopback listener.
    pub const SSH_CONNECTION: &str = "SSH_CONNECTION";
    /// Firebase web API key used when the org document has no `config` (§1.1 defaults).
    pub const P0_FS_API_KEY: &str = "P0_FS_API_KEY";
    /// Log filter for `--debug`-style diagnostics on stderr (tracing syntax).
    pub const P0_LOG: &str = "P0_LOG";
    /// Any non-empty value: no colour anywhere (help, diagnostics), as no-color.org asks. clap
    /// reads it for the help itself.
    pub const NO_COLOR: &str = "NO_COLOR";
    /// Set by a shell's completion script (`bash`, `zsh`, ...) when it asks `p0` for
    /// candidates (clap_complete's dynamic protocol); removed before anything else runs.
    pub const COMPLETE: &str = "COMPLETE";
    /// The Firebase Auth emulator convention: `host:port` serving Identity Toolkit and
    /// Secure Token over plain http.
    pub const FIREBASE_AUTH_EMULATOR_HOST: &str = "FIREBASE_AUTH_EMULATOR_HOST";
    /// Standard AWS endpoint overrides, honoured exactly as the AWS SDKs do.
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    pub const AWS_ENDPOINT_URL_STS: &str = "AWS_ENDPOINT_URL_STS";
    pub const AWS_ENDPOINT_URL_SSO: &str = "AWS_ENDPOINT_URL_SSO";
    /// EKS DescribeCluster (`p0 aws eks update-kubeconfig`).
    pub const AWS_ENDPOINT_URL_EKS: &str = "AWS_ENDPOINT_URL_EKS";
    pub const AWS_ENDPOINT_URL_SSO_OIDC: &str = "AWS_ENDPOINT_URL_SSO_OIDC";
    /// The AWS sign-in federation endpoint's base URL for `p0 console` (`/federation` is
    /// added); without it, the partition's own sign-in host.
    pub const AWS_ENDPOINT_URL_SIGNIN: &str = "AWS_ENDPOINT_URL_SIGNIN";
    /// The profile in effect for the AWS settings below when they are not set as variables
    /// (`src/aws_files/settings.rs`), as botocore picks it; `default` when unset.
    pub const AWS_PROFILE: &str = "AWS_PROFILE";
    /// A PEM file of CA certificates every call `p0` makes (P0, Okta, Identity Center, STS)
    /// trusts in addition to the system's, for TLS-inspecting proxies (else the profile's
    /// `ca_bundle`).
    pub const AWS_CA_BUNDLE: &str = "AWS_CA_BUNDLE";
    /// `true`: STS, SSO and SSO-OIDC calls go to the FIPS endpoints, as the SDK resolves them
    /// (else the profile's `use_fips_endpoint`).
    pub const AWS_USE_FIPS_ENDPOINT: &str = "AWS_USE_FIPS_ENDPOINT";
    /// `true`: STS, SSO and SSO-OIDC calls go to the dual-stack (IPv6) endpoints (else the
    /// profile's `use_dualstack_endpoint`).
    pub const AWS_USE_DUALSTACK_ENDPOINT: &str = "AWS_USE_DUALSTACK_ENDPOINT";
    /// Direct Identity Center defaults (as aws-sso-util).
    pub const AWS_DEFAULT_SSO_START_URL: &str = "AWS_DEFAULT_SSO_START_URL";
    pub const AWS_DEFAULT_SSO_REGION: &str = "AWS_DEFAULT_SSO_REGION";
    /// Where `~/.aws/config` lives when not in the default place (`~` expanded).
    pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
    /// Where `~/.aws/credentials` lives when not in the default place (`~` expanded).
    pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
    /// Web identity (`p0 run-as --role-arn ... --web-identity-token-file ...`) defaults, as the
    /// AWS SDKs read them: the role, the OIDC token file (read again at every renewal) and the
    /// session name. The first two are also removed from the child (`REMOVED_FROM_CHILD`):
    /// its SDK must use the credentials `p0` hands it, not assume the role again.
    pub const AWS_ROLE_ARN: &str = "AWS_ROLE_ARN";
    pub const AWS_WEB_IDENTITY_TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";
    pub const AWS_ROLE_SESSION_NAME: &str = "AWS_ROLE_SESSION_NAME";
    /// Region defaults for the child when `--region` is not given.
    pub const AWS_REGION: &str = "AWS_REGION";
    pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
    /// Set by kubectl for an exec plugin (`p0 aws eks get-token`): the JSON whose `apiVersion`
    /// names the ExecCredential version to answer with.
    pub const KUBERNETES_EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";
    /// The kubeconfig files (`:`-separated); `p0 aws eks update-kubeconfig` writes the first.
    pub const KUBECONFIG: &str = "KUBECONFIG";
    /// The user's shell, to choose the export syntax.
    pub const SHELL: &str = "SHELL";
    /// Set by an enclosing `p0 run-as`: the chain a nested call extends (cycle detection).
    pub const P0_RUN_AS: &str = super::child::P0_RUN_AS;
    /// Where a child's command is looked up, as a shell does.
    pub const PATH: &str = "PATH";
}

/// Variables set in a child's environment by `run-as`.
pub mod child {
    pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
    pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
    pub const AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
    /// botocore reads this before `AWS_SESSION_TOKEN`; a stale one would win.
    pub const AWS_SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
    pub const AWS_CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
    pub const AWS_REGION: &str = "AWS_REGION";
    /// The AWS CLI v1 reads only this one.
    pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
    pub const AWS_CONTAINER_CREDENTIALS_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    pub const AWS_CONTAINER_AUTHORIZATION_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    /// `<account>/<role>` (a chain `a/r>b/s` when nested), for prompts and cycle detection.
    pub const P0_RUN_AS: &str = "P0_RUN_AS";
    /// Under `--refresh`, when the user's `[default]` has credential settings: private copies
    /// of the AWS files without them, so the child's SDK reaches the credential endpoint.
    pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
    pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
}

/// Variables removed from a child's environment: each would silently win over, or confuse,
/// the credentials `p0` hands it.
pub const REMOVED_FROM_CHILD: &[&str] = &[
    read::AWS_PROFILE,
    "AWS_DEFAULT_PROFILE",
    "AWS_CREDENTIAL_FILE",
    "AWS_SDK_LOAD_CONFIG",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    read::AWS_WEB_IDENTITY_TOKEN_FILE,
    read::AWS_ROLE_ARN,
];

/// A variable's value, `None` when unset or empty (an empty value means "not set" for every
/// variable above).
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub fn get_os(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The whole environment, for the one place that passes it on to a child (`launch::ChildEnv`).
pub fn all_os() -> impl Iterator<Item = (OsString, OsString)> {
    std::env::vars_os()
}

/// A boolean flag variable: set, non-empty, and not `0`/`false`/`no`.
pub fn flag(name: &str) -> bool {
    get(name).is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no"))
}
