//! The one HTTP client setup (rustls, timeouts, User-Agent) every outgoing call uses, and the
//! rule that plain http is accepted only for loopback hosts.
//!
//! Every request has an overall deadline: [`call_timeout`] unless it sets its own (the P0
//! poll stream, which may rightly last minutes, does), so a stalled server cannot hang `p0`.

use crate::env;
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
/// A whole call, answer body included, unless `P0_CALL_TIMEOUT` says otherwise.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one network call may take, answer included: `P0_CALL_TIMEOUT` seconds (at least
/// one), else [`DEFAULT_CALL_TIMEOUT`]. Read once per process.
pub fn call_timeout() -> Duration {
    static TIMEOUT: LazyLock<Duration> = LazyLock::new(|| {
        env::get(env::read::P0_CALL_TIMEOUT)
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(|seconds| Duration::from_secs(seconds.max(1)))
            .unwrap_or(DEFAULT_CALL_TIMEOUT)
    });
    *TIMEOUT
}

/// How long connecting may take: [`CONNECT_TIMEOUT`], or less when the whole call may.
pub fn connect_timeout() -> Duration {
    CONNECT_TIMEOUT.min(call_timeout())
}

/// A client for one process. Building one is cheap; share it within a command.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(USER_AGENT.as_str())
        .connect_timeout(connect_timeout())
        .timeout(call_timeout())
        .build()
        .expect("the TLS backend initializes")
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
    fn a_bad_url_is_blamed_on_where_it_came_from() {
        let setting = service_url("http://10.0.0.1", UrlOrigin::Setting("P0_APP_URL"));
        assert_eq!(setting.as_ref().unwrap_err().exit_code(), 78);
        assert!(setting.unwrap_err().to_string().starts_with("P0_APP_URL: "));
        let server = service_url("http://10.0.0.1", UrlOrigin::Server).unwrap_err();
        assert_eq!(server.exit_code(), 76);
    }
}
