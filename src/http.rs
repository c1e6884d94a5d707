//! The one HTTP client setup (rustls, timeouts, User-Agent, extra trusted roots) every outgoing
//! call uses, and the rule that plain http is accepted only for loopback hosts.
//!
//! Trusted roots: the system's (rustls-platform-verifier), plus the PEM certificates of
//! `AWS_CA_BUNDLE` or the profile's `ca_bundle` (`aws_files::settings`), for every call (P0,
//! Okta, Identity Center, STS), so a TLS-inspecting proxy's CA is trusted once named, as the
//! AWS tools trust it. botocore uses the bundle *instead of* its own; `p0` adds it to the
//! system's, so P0's and Okta's hosts still verify when the proxy lets them through untouched.
//! The same on Linux and macOS: reqwest hands the extra roots to rustls-platform-verifier on
//! every unix (on macOS the Security framework's evaluation gets them as extra anchors).
//!
//! Every request has an overall deadline: the client's ([`Http::call_timeout`], from
//! `Settings`) unless it sets its own (the P0 poll stream, which may rightly last minutes,
//! does), so a stalled server cannot hang `p0`.

use crate::error::{Error, Result};
use std::sync::LazyLock;
use std::time::Duration;
use url::{Host, Url};

/// `p0/{version} ({os}; {arch})`: the product token names this client and its version, so P0
/// can tell which release made a call (docs/protocol.md §3.1 says why it is not P0's CLI's
/// `P0 CLI/…`).
pub static USER_AGENT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "p0/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
});
/// Establishing a connection (TCP and TLS), at most.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole call, answer body included, unless `P0_CALL_TIMEOUT` says otherwise (`Settings`).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The process's HTTP client, with the deadline of one call it was built with
/// (`Settings::call_timeout`, `P0_CALL_TIMEOUT`): every request it sends keeps that deadline,
/// and the AWS SDK clients built on it (`aws_sdk`) take theirs from it. It derefs to the
/// `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    call_timeout: Duration,
}

impl std::ops::Deref for Http {
    type Target = reqwest::Client;

    fn deref(&self) -> &reqwest::Client {
        &self.client
    }
}

impl Http {
    /// How long one network call may take, answer included.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }
}

/// A client for tests, with the default deadline. An unusable CA bundle is left out silently
/// here: [`configured_client`] says why.
#[cfg(test)]
pub fn client() -> Http {
    configured_client(DEFAULT_CALL_TIMEOUT).unwrap_or_else(|(client, _)| client)
}

/// The process's one HTTP client: the user agent, the deadlines (`call_timeout` for a whole
/// call), and the system's trusted roots plus any CA bundle (`AWS_CA_BUNDLE`, `ca_bundle`). An
/// unusable bundle is `Err` with the client built without it, and the reason (a setting's
/// problem, for the user to see).
pub fn configured_client(call_timeout: Duration) -> std::result::Result<Http, (Http, Error)> {
    let settings = crate::aws_files::settings::network();
    let extra = match &settings.ca_bundle {
        None => Ok(Vec::new()),
        Some((path, from)) => ca_bundle(path, from),
    };
    let build = |roots: Vec<reqwest::Certificate>| Http {
        client: reqwest::Client::builder()
            .user_agent(USER_AGENT.as_str())
            .connect_timeout(CONNECT_TIMEOUT.min(call_timeout))
            .timeout(call_timeout)
            .tls_certs_merge(roots)
            .build()
            .expect("the TLS backend initializes"),
        call_timeout,
    };
    match extra {
        Ok(roots) => Ok(build(roots)),
        Err(problem) => Err((build(Vec::new()), problem)),
    }
}

/// The CA bundle's longest accepted size: a system bundle is about 200 KiB.
const MAX_CA_BUNDLE: u64 = 4 * 1024 * 1024;

/// The certificates of a PEM bundle named by `from` (`AWS_CA_BUNDLE`, or the profile key).
pub fn ca_bundle(path: &std::path::Path, from: &str) -> Result<Vec<reqwest::Certificate>> {
    use std::io::Read;
    let problem = |why: String| {
        Error::Config(format!(
            "{from} names {}, which {why}. Name a PEM file of CA certificates, or unset it.",
            path.display()
        ))
    };
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_BUNDLE + 1).read_to_end(&mut pem))
        .map_err(|e| problem(format!("cannot be read ({e})")))?;
    if pem.len() as u64 > MAX_CA_BUNDLE {
        return Err(problem(format!(
            "is larger than {} MiB",
            MAX_CA_BUNDLE / 1024 / 1024
        )));
    }
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certificates) if !certificates.is_empty() => Ok(certificates),
        _ => Err(problem("holds no PEM certificate".into())),
    }
}

/// The last error in the `source()` chain (`Connection refused (os error 111)` under
/// reqwest's and hyper's wrappers), which is what a user can act on.
pub fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// The reason TLS refused the server's certificate, when that is why `error` happened
/// (rustls's `invalid peer certificate: UnknownIssuer`): no retry will pass, and the fix is a
/// setting.
pub fn untrusted_certificate(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let cause = innermost_cause(error);
    cause.contains("invalid peer certificate").then_some(cause)
}

/// Where a service URL came from, which decides whose mistake a bad one is.
#[derive(Debug, Clone, Copy)]
pub enum UrlOrigin {
    /// A setting of the user's (an environment variable).
    Setting(&'static str),
    /// A server's answer (the org document, the tenant config it came with).
    Server,
}

/// Parses a service base URL: a bare host (`acme.okta.com`) means https; an explicit
/// `http://` is accepted only for loopback hosts (local emulators and tests).
pub fn service_url(value: &str, origin: UrlOrigin) -> Result<Url> {
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("https://{value}")
    };
    let problem = match Url::parse(&with_scheme) {
        Ok(url) => match url.scheme() {
            "https" => return Ok(url),
            "http" if is_loopback(&url) => return Ok(url),
            _ => format!(
                "Refusing insecure URL {value:?}: plain http is allowed only for loopback hosts"
            ),
        },
        Err(e) => format!("Invalid service URL {value:?}: {e}"),
    };
    Err(match origin {
        UrlOrigin::Setting(variable) => Error::Config(format!("{variable}: {problem}")),
        UrlOrigin::Server => Error::RemoteData(format!(
            "The P0 organization's settings name a URL p0 cannot use. {problem}"
        )),
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_hosts_mean_https_and_http_is_loopback_only() {
        let url = |value| service_url(value, UrlOrigin::Server);
        assert_eq!(
            url("acme.okta.com").unwrap().as_str(),
            "https://acme.okta.com/"
        );
        assert!(url("http://127.0.0.1:8080").is_ok());
        assert!(url("http://localhost:8080").is_ok());
        assert!(url("http://acme.okta.com").is_err());
        assert!(url("http://10.0.0.1").is_err());
    }

    #[test]
    fn a_ca_bundle_must_be_a_readable_pem_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let error = ca_bundle(&missing, "AWS_CA_BUNDLE").unwrap_err();
        assert_eq!(error.exit_code(), 78);
        assert!(
            error.to_string().starts_with(&format!(
                "AWS_CA_BUNDLE names {}, which cannot be read",
                missing.display()
            )),
            "{error}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let error = ca_bundle(&junk, "ca_bundle in ~/.aws/config").unwrap_err();
        assert!(
            error.to_string().contains("holds no PEM certificate"),
            "{error}"
        );
        // A real certificate (the sandbox's test CA is made at test time; a system one is
        // enough here when the platform keeps them as PEM).
        if let Ok(system) = std::fs::read("/etc/ssl/certs/ca-certificates.crt") {
            let bundle = dir.path().join("system.pem");
            std::fs::write(&bundle, system).unwrap();
            assert!(ca_bundle(&bundle, "AWS_CA_BUNDLE").unwrap().len() > 10);
        }
    }

    #[test]
    fn a_bad_url_is_blamed_on_where_it_came_from() {
        let setting = service_url("http://10.0.0.1", UrlOrigin::Setting("P0_APP_URL"));
        assert_eq!(setting.as_ref().unwrap_err().exit_code(), 78);
        assert!(setting.unwrap_err().to_string().starts_with("P0_APP_URL: "));
        let server = service_url("http://10.0.0.1", UrlOrigin::Server).unwrap_err();
        assert_eq!(server.exit_code(), 76);
    }
}
