//! Every failure `p0` reports, with its user-facing text and exit code in one place.
//!
//! Texts marked "§" are word for word from the P0 protocol (docs/protocol.md) so users and
//! scripts see what P0's own CLI prints.

use std::io;
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes of `p0` itself. A child run by `run-as` passes its own code through.
pub mod exit {
    /// Generic failure; also a request that errored, expired or was revoked (§3.3).
    pub const FAILURE: u8 = 1;
    /// The access request was denied (§3.3).
    pub const DENIED: u8 = 2;
    /// The access request did not complete in time (§3.3).
    pub const NOT_COMPLETE: u8 = 4;
    /// Bad command line (sysexits EX_USAGE). clap's own default, 2, would collide with DENIED.
    pub const USAGE: u8 = 64;
    /// Okta, Identity Center or STS failed to produce credentials, or AWS sign-in to sign in
    /// with them (EX_UNAVAILABLE).
    pub const BACKEND: u8 = 69;
    /// A lock was not released in time (EX_TEMPFAIL): another `p0` is stuck.
    pub const TEMPFAIL: u8 = 75;
    /// A server answered with data `p0` cannot use (EX_PROTOCOL).
    pub const PROTOCOL: u8 = 76;
    /// A login is needed: never logged in, the session is over, or a sign-in is needed and there
    /// is no terminal to ask on (EX_NOPERM).
    pub const LOGIN_REQUIRED: u8 = 77;
    /// Local configuration `p0` cannot use: a setting, a file it reads (EX_CONFIG).
    pub const CONFIG: u8 = 78;
    /// The command exists but cannot be executed (as a shell reports it).
    pub const NOT_EXECUTABLE: u8 = 126;
    /// The command was not found on PATH (as a shell reports it).
    pub const NOT_FOUND: u8 = 127;
    /// Interrupted by Ctrl-C (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;

    /// Every documented exit code and what it means, in order. `--help` is generated from it
    /// and a test checks the README's table against it.
    pub const TABLE: &[(&str, &str)] = &[
        (
            "0",
            "success (run-as: the command's own exit code passes through)",
        ),
        ("1", "failure; the request errored, expired or was revoked"),
        ("2", "the access request was denied"),
        ("4", "the access request did not complete in time"),
        ("64", "usage error"),
        (
            "69",
            "Okta, Identity Center, STS or AWS sign-in did not produce credentials",
        ),
        ("75", "another p0 process held the credential lock too long"),
        ("76", "a server answered with data p0 cannot use"),
        (
            "77",
            "a login is needed (not logged in, or no terminal to sign in again on)",
        ),
        (
            "78",
            "local configuration p0 cannot use (a setting or a file)",
        ),
        ("126", "the command is not executable"),
        ("127", "the command was not found"),
        (
            "128+n",
            "the command (or p0) was killed by signal n; 130 is Ctrl-C",
        ),
    ];

    /// The table as `--help` shows it.
    pub fn help() -> String {
        let mut text = String::from("Exit codes:");
        for (code, meaning) in TABLE {
            text.push_str(&format!("\n  {code:<5} {meaning}"));
        }
        text
    }
}

pub const CONTACT_DEFAULT: &str = "Please contact support@p0.dev for assistance.";

#[derive(Debug, Error)]
pub enum Error {
    // ---- usage and environment ----
    #[error("{0}")]
    Usage(String),
    /// A setting or local file `p0` cannot use (an environment variable, ~/.aws/config, a
    /// bootstrap file).
    #[error("{0}")]
    Config(String),
    /// A server answered with something `p0` cannot use (an org document naming an invalid
    /// URL, an answer of the wrong shape).
    #[error("{0}")]
    RemoteData(String),
    #[error("Could not determine your home directory")]
    NoHomeDirectory,
    /// State in `~/.p0` that others could have written (or a link, a special file): refused,
    /// with the fix, as OpenSSH refuses such keys.
    #[error("{0}")]
    UnsafeState(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// Names the variable to raise, as uv's `LockedFile` names `UV_LOCK_TIMEOUT`.
    #[error("Timed out after {seconds} s waiting for another p0 process holding {path}; raise P0_LOCK_TIMEOUT (seconds) to wait longer")]
    LockTimeout { path: String, seconds: u64 },
    #[error("Interrupted")]
    Interrupted,
    /// No role was given and there is no terminal to pick one on.
    #[error("Name a role with --role (there is no terminal to pick one on). Account {account} offers you:\n{}", roles_list(.roles))]
    RoleRequired { account: String, roles: Vec<String> },
    /// No role was given and the account offers the user none right now.
    #[error("Account {account} offers you no role right now. Name the one to request with --role (`p0 ls` lists what you can request).")]
    NoRolesOffered { account: String },

    // ---- login and session (§1, §2) ----
    #[error("The organization ID is required. Please provide it as an argument or set the P0_ORG environment variable.")]
    OrgRequired,
    #[error("Could not find organization")]
    OrgNotFound,
    #[error("Could not find organization, logging out.")]
    OrgNotFoundLoggingOut,
    #[error("Network error: Unable to reach the server at {url}.")]
    Network { url: String },
    #[error("Network error: Unable to reach the server.")]
    NetworkExhausted,
    /// TLS verification failed: most often a TLS-inspecting proxy whose CA is not named.
    #[error("The TLS certificate of {url} is not one this machine trusts ({cause}). Behind a TLS-inspecting proxy, set AWS_CA_BUNDLE (or ca_bundle in ~/.aws/config) to its CA's PEM file.")]
    UntrustedCertificate { url: String, cause: String },
    #[error("Please run `p0 login <organization>`.")]
    NotLoggedIn,
    #[error("Your credentials have expired. Please run `p0 login <organization>` to refresh your credentials.")]
    CredentialsExpired,
    /// A human is needed (a login or a device authorization) and no terminal can be opened.
    #[error("{what} needs you to sign in, but there is no terminal to ask on. Run `p0 login {org}` in a terminal first, then try again.")]
    LoginRequired { what: String, org: String },
    #[error("Missing config file. Please login again using 'p0 login <organization>'.")]
    MissingConfig,
    #[error("Unsupported login for your organization")]
    UnsupportedLogin,
    #[error("Login requires an OIDC PKCE provider configuration.")]
    OidcPkceRequired,
    /// The org document names a login kind but lacks what it needs (P0's own texts: "Missing
    /// provider type for OIDC PKCE login", "Azure login requires a configured ...", "Invalid
    /// provider ... (expected ping OIDC provider)").
    #[error("{0}")]
    LoginMisconfigured(String),
    #[error("Login failed!\nThis organization is configured to use Google login but the required OAuth client parameters are missing.\n{contact}")]
    GoogleClientMissing { contact: String },
    #[error("Your organization uses email / password login. The P0_EMAIL and P0_PASSWORD environment variables must be set.")]
    PasswordRequired,
    /// Firebase refused P0_EMAIL / P0_PASSWORD (P0's CLI calls this "credentials expired").
    #[error("P0 refused the email and password in P0_EMAIL and P0_PASSWORD ({reason}). Check them, or reset the password in P0.")]
    PasswordRefused { reason: String },
    #[error("Can not sign in: this user has previously signed in with a different identity provider.\n{contact}")]
    DifferentIdentityProvider { contact: String },
    /// The loopback port of a browser sign-in is taken.
    #[error("Could not listen on {address} for the {provider} sign-in: {reason}. Close the program using it (another p0 login?), or set P0_LOGIN_REDIRECT_PORT to a free port, then try again.")]
    RedirectPortUnavailable {
        provider: String,
        address: String,
        reason: String,
    },
    /// Nobody completed the browser sign-in within the deadline.
    #[error("The {provider} sign-in did not come back to p0 within {seconds} s. Run `p0 login` again (P0_LOGIN_TIMEOUT sets the limit).")]
    BrowserSignInTimedOut { provider: String, seconds: u64 },
    /// The identity provider sent the browser back with an error, or without the code.
    #[error("The {provider} sign-in failed: {reason}")]
    BrowserSignInFailed { provider: String, reason: String },
    /// The redirect's `state` is not this login's: another page (or another login) sent it.
    #[error("The {provider} sign-in was refused: the answer that reached p0 belongs to another sign-in (its state does not match). Run `p0 login` again.")]
    BrowserSignInStateMismatch { provider: String },
    /// An Okta SAML account needs Okta tokens, which only an Okta login has.
    #[error("{} uses Okta SAML, which needs an Okta sign-in, but your organization signs in with {kind}. Use an account backed by AWS IAM Identity Center, or ask your P0 admin.", account_words(.account))]
    OktaSamlNeedsOkta {
        account: Option<String>,
        kind: String,
    },
    #[error("Access denied, try again")]
    AccessDenied,
    #[error("Expired awaiting in-browser authorization.")]
    DeviceAuthorizationExpired,
    /// Any non-2xx answer we have no better words for (§2.2). `url` must already be redacted.
    #[error("Error in fetch request to {url}:\n{status} {status_text}\n\n{body}")]
    Fetch {
        url: String,
        status: u16,
        status_text: String,
        body: String,
    },
    #[error("An unexpected error occurred during authentication.\n{contact}")]
    AuthenticationUnexpected { contact: String },

    // ---- P0 API and requests (§3) ----
    /// The string a P0 API response carried in `error`.
    #[error("{0}")]
    Api(String),
    #[error("HTTP Error: {status} {status_text}")]
    Http { status: u16, status_text: String },
    #[error("Invalid response from the server")]
    InvalidResponse,
    #[error("Your request was denied{}", detail(.0))]
    RequestDenied(Option<String>),
    #[error("Your request encountered an error{}", detail(.0))]
    RequestErrored(Option<String>),
    #[error("Your access has expired{}", detail(.0))]
    AccessExpired(Option<String>),
    #[error("Your access was revoked{}", detail(.0))]
    AccessRevoked(Option<String>),
    /// P0 ended its stream with a status that is not a decision (P0's own wait, about five
    /// minutes, passed). P0's CLI says "within 5 minutes" whatever the wait was; `p0` names
    /// whose wait ended, so it never contradicts its own "Will wait up to 10 minutes".
    #[error("Your request did not complete: P0 ended its wait without a decision, and the request may still be approved in P0.{}", detail(.0))]
    RequestNotComplete(Option<String>),
    /// p0's own limit on the wait passed (§3.3), retries and reconnections included.
    #[error("Your request was not decided within {minutes} minutes, so p0 stopped waiting; it may still be approved in P0.")]
    WaitTimedOut { minutes: u64 },
    #[error("Did not receive access ID from server")]
    NoAccessId,
    /// A POST that may have reached the server failed without an answer: repeating it could
    /// create a second request, so the user decides.
    #[error("The connection to {url} failed after the request was sent, so it may have been received. Check your pending requests in P0 before trying again.")]
    RequestOutcomeUnknown { url: String },

    // ---- AWS accounts (§4) ----
    #[error("P0 is not installed on any AWS account")]
    AwsNotInstalled,
    #[error("P0 is not installed on AWS account {0}")]
    AwsAccountNotInstalled(String),
    #[error("Please select a unique AWS account with --account; valid accounts are:\n{}", .0.join("\n"))]
    AwsAccountAmbiguous(Vec<String>),
    #[error("Account {0} is not configured for Okta SAML login.")]
    NotOktaSaml(String),
    #[error("Unexpected login type. Expected IDC to be enabled for account {0}")]
    NotIdc(String),

    // ---- Okta SAML (§5) ----
    #[error("Role {role} not available. Available roles:\n{}", roles_list(.available))]
    RoleNotAvailable {
        role: String,
        available: Vec<String>,
    },
    #[error("No SAML assertion obtained from Okta.")]
    NoSamlAssertion,
    #[error("Your Okta session has expired. Please log out of Okta in your browser, and re-execute your p0 command to reauthenticate.")]
    OktaSessionExpired,
    /// Okta's sign-on policy for the AWS app wants a more recent (or stronger) sign-in than
    /// the stored one (`invalid_grant`, "assurance requirements"): a fresh sign-in cures it.
    #[error("Okta's sign-on policy for the AWS app needs a more recent sign-in than your p0 login (Okta: \"{0}\"). Run the p0 command again in a terminal to sign in anew.")]
    OktaReauthenticationRequired(String),
    /// The token exchange is not offered: a Classic Engine Okta org (web SSO tokens need Okta
    /// Identity Engine).
    #[error("Okta at {okta} cannot exchange your sign-in for a web SSO token to the AWS app (Okta: \"{answer}\"). The Okta org is on Okta Classic Engine, and this exchange needs Okta Identity Engine: ask your Okta administrator to upgrade the org.")]
    OktaClassicEngine { okta: String, answer: String },
    /// Okta answered 429 and its limit resets later than one call's deadline.
    #[error("Okta is rate-limiting these calls (429 Too Many Requests at {url}); its limit resets in {seconds} s, later than p0 waits for one call ({deadline} s). Try again after that.")]
    OktaRateLimited {
        url: String,
        seconds: u64,
        deadline: u64,
    },
    /// Okta's AWS app encrypts its assertions: the roles in them cannot be read.
    #[error("Okta's AWS app sends an encrypted SAML assertion, so p0 cannot read the roles in it. Ask your Okta administrator to turn off assertion encryption in the AWS app's SAML settings.")]
    EncryptedSamlAssertion,
    #[error("Invalid provider configuration: {0}")]
    InvalidProviderConfig(String),
    #[error("Could not read the SAML assertion from Okta: {0}")]
    MalformedSaml(String),
    /// Okta failed while producing credentials (§5.2, §5.3): a non-2xx answer in §2.2's words,
    /// or the call itself failed (no connection, no answer in time, a redirect loop).
    #[error("{0}")]
    Okta(String),

    // ---- Identity Center (§6) ----
    /// GetRoleCredentials kept failing (§6.4); `last` is Identity Center's last answer.
    #[error("Timed out fetching AWS credentials. Try again, and if this issue persists, contact support@p0.dev.\nIdentity Center's last answer: {last}")]
    IdcTimedOut { last: String },
    #[error("Could not find an AWS account ID for this access request")]
    NoAccountId,
    /// GetRoleCredentials answered ForbiddenException: the user holds no assignment of it.
    #[error("Permission set {permission_set} is not assigned to you in account {account_id}.")]
    PermissionSetNotAssigned {
        permission_set: String,
        account_id: String,
    },
    #[error("{0}")]
    SsoInstance(String),

    // ---- AWS calls ----
    /// STS, sso or sso-oidc failed; the text is the service's own error message.
    #[error("{service} failed: {message}")]
    Aws {
        service: &'static str,
        message: String,
    },

    // ---- launching the child ----
    #[error("{0}: command not found")]
    CommandNotFound(String),
    #[error("{0}: permission denied (not executable)")]
    NotExecutable(String),
    #[error("Refusing to run: `p0 run-as` for {0} is already running this command (a cycle)")]
    RunAsCycle(String),

    // ---- AWS credentials (issue 4) ----
    /// Identity Center needs a device authorization and there is no terminal to ask on.
    /// (`p0 login` would not help: the Identity Center sign-in is separate from P0's.)
    #[error("AWS IAM Identity Center needs you to sign in at {start_url}, but there is no terminal to ask on. Run the same p0 command once in a terminal (the sign-in is then cached until it expires), then try again.")]
    IdcLoginRequired { start_url: String },
    /// The command was found but the kernel would not start it (a bad interpreter line, ...).
    #[error("{command}: cannot execute: {reason}")]
    ExecFailed { command: String, reason: String },

    // ---- the AWS console (`p0 console`) ----
    /// `--duration` outside what AWS sign-in accepts: refused before anything is sent.
    #[error("A console session lasts 900 to 43200 seconds (15 minutes to 12 hours), so --duration {seconds} cannot apply.")]
    ConsoleDurationOutOfRange { seconds: u32 },
    /// `--duration` for a chained role: refused before anything is sent.
    #[error("A chained role's console session cannot be given a duration: AWS sign-in refuses SessionDuration for role-chained credentials (--chain-role-arn). Run again without --duration.")]
    ConsoleDurationChained,
    /// AWS sign-in refused the SessionDuration, though it takes these credentials without one.
    #[error("AWS sign-in refused a console session of {seconds} s for these credentials (it takes them without --duration). Run again without --duration.")]
    SigninDurationRefused { seconds: u32 },
    /// AWS sign-in refused the credentials themselves (it answers the same 400 for each cause).
    #[error("AWS sign-in at {host} refused the role's credentials: they have expired or were revoked, or were not issued by that partition's STS (check AWS_ENDPOINT_URL_SIGNIN). Run again with --fresh-credentials for new ones.")]
    SigninRefused { host: String },
    /// The sign-in endpoint could not be used (unreachable, an error status, no answer in time).
    #[error("AWS sign-in at {host} failed: {problem}")]
    Signin { host: String, problem: String },
}

fn detail(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn account_words(account: &Option<String>) -> String {
    match account {
        Some(account) => format!("Account {account}"),
        None => "This AWS account".to_string(),
    }
}

fn roles_list(roles: &[String]) -> String {
    roles
        .iter()
        .map(|r| format!("  {r}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// §2.2's `Error in fetch request to ...` for a non-2xx answer; the URL's query (which may
    /// carry a token) is redacted here, so no caller can forget it.
    pub fn fetch(url: &str, status: reqwest::StatusCode, body: String) -> Self {
        Error::Fetch {
            url: crate::secret::redact_url(url),
            status: status.as_u16(),
            status_text: status.canonical_reason().unwrap_or_default().to_string(),
            body,
        }
    }

    pub fn aws(service: &'static str, message: impl Into<String>) -> Self {
        Error::Aws {
            service,
            message: message.into(),
        }
    }

    /// Whether the backend said the user does not hold the role (any more): a P0 request may
    /// grant it.
    pub fn means_not_granted(&self) -> bool {
        matches!(
            self,
            Error::RoleNotAvailable { .. } | Error::PermissionSetNotAssigned { .. }
        )
    }

    /// Whether Okta refused the stored sign-in in a way a fresh sign-in cures: the session
    /// ended early, or the app's sign-on policy wants a more recent sign-in.
    pub fn needs_new_okta_sign_in(&self) -> bool {
        matches!(
            self,
            Error::OktaSessionExpired | Error::OktaReauthenticationRequired(_)
        )
    }

    /// Whether Okta, Identity Center or STS refused in a way an account config changed since
    /// the local copy would explain (an app id, IdP, region or instance that is no longer
    /// the account's): worth fetching the config again, once. Not a network failure, a
    /// session's end or a rate limit, which a config does not cause.
    pub fn may_mean_a_stale_account_config(&self) -> bool {
        matches!(
            self,
            Error::Okta(_)
                | Error::InvalidProviderConfig(_)
                | Error::NoSamlAssertion
                | Error::RoleNotAvailable { .. }
                | Error::PermissionSetNotAssigned { .. }
                | Error::SsoInstance(_)
                | Error::Aws { .. }
        )
    }

    /// The documented exit code for this failure (README, `p0 run-as --help`).
    pub fn exit_code(&self) -> u8 {
        use Error::*;
        // No wildcard: a new failure must be given its code here.
        match self {
            Usage(_)
            | OrgRequired
            | RoleRequired { .. }
            | NoRolesOffered { .. }
            | ConsoleDurationOutOfRange { .. }
            | ConsoleDurationChained
            | SigninDurationRefused { .. } => exit::USAGE,
            Config(_)
            | UnsafeState(_)
            | UntrustedCertificate { .. }
            | RedirectPortUnavailable { .. } => exit::CONFIG,
            RemoteData(_) | InvalidResponse => exit::PROTOCOL,
            RequestDenied(_) => exit::DENIED,
            RequestNotComplete(_) | WaitTimedOut { .. } => exit::NOT_COMPLETE,
            LoginRequired { .. }
            | IdcLoginRequired { .. }
            | NotLoggedIn
            | CredentialsExpired
            | PasswordRequired
            | PasswordRefused { .. }
            | OktaReauthenticationRequired(_)
            | MissingConfig => exit::LOGIN_REQUIRED,
            LockTimeout { .. } => exit::TEMPFAIL,
            Interrupted => exit::INTERRUPTED,
            CommandNotFound(_) => exit::NOT_FOUND,
            NotExecutable(_) | ExecFailed { .. } => exit::NOT_EXECUTABLE,
            RoleNotAvailable { .. }
            | NoSamlAssertion
            | OktaSessionExpired
            | OktaClassicEngine { .. }
            | OktaRateLimited { .. }
            | EncryptedSamlAssertion
            | InvalidProviderConfig(_)
            | MalformedSaml(_)
            | Okta(_)
            | IdcTimedOut { .. }
            | NoAccountId
            | PermissionSetNotAssigned { .. }
            | Aws { .. }
            | SigninRefused { .. }
            | Signin { .. } => exit::BACKEND,
            NoHomeDirectory
            | Io { .. }
            | OrgNotFound
            | OrgNotFoundLoggingOut
            | Network { .. }
            | NetworkExhausted
            | UnsupportedLogin
            | OidcPkceRequired
            | LoginMisconfigured(_)
            | GoogleClientMissing { .. }
            | DifferentIdentityProvider { .. }
            | BrowserSignInTimedOut { .. }
            | BrowserSignInFailed { .. }
            | BrowserSignInStateMismatch { .. }
            | AccessDenied
            | DeviceAuthorizationExpired
            | Fetch { .. }
            | AuthenticationUnexpected { .. }
            | Api(_)
            | Http { .. }
            | RequestErrored(_)
            | AccessExpired(_)
            | AccessRevoked(_)
            | NoAccessId
            | RequestOutcomeUnknown { .. }
            | AwsNotInstalled
            | AwsAccountNotInstalled(_)
            | AwsAccountAmbiguous(_)
            | NotOktaSaml(_)
            | OktaSamlNeedsOkta { .. }
            | NotIdc(_)
            | SsoInstance(_)
            | RunAsCycle(_) => exit::FAILURE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_texts_are_word_for_word() {
        assert_eq!(
            Error::RequestDenied(Some("policy".into())).to_string(),
            "Your request was denied: policy"
        );
        assert_eq!(
            Error::AwsAccountAmbiguous(vec!["a".into(), "b".into()]).to_string(),
            "Please select a unique AWS account with --account; valid accounts are:\na\nb"
        );
        assert_eq!(
            Error::RoleNotAvailable {
                role: "Admin".into(),
                available: vec!["Dev".into(), "p0-grants/Ro".into()]
            }
            .to_string(),
            "Role Admin not available. Available roles:\n  Dev\n  p0-grants/Ro"
        );
    }

    /// Our own texts (not P0's, which stay word for word) are one line each, so a program
    /// that captures stderr (an SDK running credential_process) gets one line; the printer
    /// wraps them to fit an 80-column terminal.
    #[test]
    fn our_long_messages_fit_80_columns_on_a_terminal() {
        for error in [
            Error::LockTimeout {
                path: "/home/alice/.p0/locks/aws~okta~acme~123456789012~Admin.lock".into(),
                seconds: 900,
            },
            Error::LoginRequired {
                what: "Your P0 session has expired, so this command".into(),
                org: "acme".into(),
            },
            Error::RequestOutcomeUnknown {
                url: "https://api.p0.app/o/acme/command/".into(),
            },
            Error::RunAsCycle("123456789012/Admin".into()),
            Error::UntrustedCertificate {
                url: "https://api.p0.app/orgs/acme".into(),
                cause: "invalid peer certificate: UnknownIssuer".into(),
            },
            Error::IdcLoginRequired {
                start_url: "https://d-1234567890.awsapps.com/start".into(),
            },
            Error::PermissionSetNotAssigned {
                permission_set: "Developer".into(),
                account_id: "210987654321".into(),
            },
        ] {
            let text = error.to_string();
            assert_eq!(text.lines().count(), 1, "{text}");
            let wrapped = crate::output::wrap(&text, 80);
            for line in wrapped.lines() {
                assert!(line.chars().count() <= 80, "too wide: {line}");
            }
            assert_eq!(
                wrapped.split_whitespace().collect::<Vec<_>>(),
                text.split_whitespace().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn exit_codes_are_distinct_for_scripts() {
        assert_eq!(Error::RequestDenied(None).exit_code(), 2);
        assert_eq!(Error::RequestNotComplete(None).exit_code(), 4);
        assert_eq!(Error::RequestErrored(None).exit_code(), 1);
        assert_eq!(Error::NoSamlAssertion.exit_code(), exit::BACKEND);
    }

    /// What the table promises for the failures issue 11 found exiting 1.
    #[test]
    fn login_needed_gave_up_waiting_and_okta_failures_have_their_codes() {
        for login_needed in [
            Error::NotLoggedIn,
            Error::CredentialsExpired,
            Error::MissingConfig,
        ] {
            assert_eq!(
                login_needed.exit_code(),
                exit::LOGIN_REQUIRED,
                "{login_needed}"
            );
        }
        let gave_up = Error::WaitTimedOut { minutes: 10 };
        assert_eq!(gave_up.exit_code(), exit::NOT_COMPLETE);
        assert!(
            gave_up.to_string().contains("within 10 minutes"),
            "{gave_up}"
        );
        assert_eq!(Error::Okta("x".into()).exit_code(), exit::BACKEND);
    }
}
