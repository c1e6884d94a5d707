//! The one HTTP client setup (rustls, timeouts, User-Agent) every outgoing call uses, and the
//! rule that plain http is accepted only for loopback hosts.
//!
//! Every request has an overall deadline: [`REQUEST_TIMEOUT`] unless it sets its own (the P0
//! poll stream, which may rightly last minutes, does), so a stalled server cannot hang `p0`.

use crate::error::{Error, Result};
use std::time::Duration;
use url::{Host, Url};

pub const USER_AGENT: &str = concat!("p0-rs/", env!("CARGO_PKG_VERSION"));
/// Establishing a connection (TCP and TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request, answer body included, unless the request sets its own.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client for one process. Building one is cheap; share it within a command.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("the TLS backend initializes")
}

/// Parses a service base URL from configuration: a bare host (`acme.okta.com`) means https;
/// an explicit `http://` is accepted only for loopback hosts (local emulators and tests).
pub fn service_url(value: &str) -> Result<Url> {
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("https://{value}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| Error::Usage(format!("Invalid service URL {value:?}: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(Error::Usage(format!(
            "Refusing insecure URL {value:?}: plain http is allowed only for loopback hosts"
        ))),
    }
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
        assert_eq!(
            service_url("acme.okta.com").unwrap().as_str(),
            "https://acme.okta.com/"
        );
        assert!(service_url("http://127.0.0.1:8080").is_ok());
        assert!(service_url("http://localhost:8080").is_ok());
        assert!(service_url("http://acme.okta.com").is_err());
        assert!(service_url("http://10.0.0.1").is_err());
    }
}
