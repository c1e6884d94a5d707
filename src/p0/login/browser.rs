//! The browser sign-in shared by Google and Entra: an authorization code with PKCE (S256) and
//! `state`, redirected to a loopback listener of `p0`'s.
//!
//! The listener binds 127.0.0.1 (and, for a `localhost` redirect, ::1 when the machine has it),
//! never a wildcard address: P0's CLI listens on every interface, so anyone on the network
//! could hand it a code. It answers the first sign-in request it gets and stops listening at
//! once, so a second request finds nobody; a request whose `state` is not this login's fails
//! the login. It waits at most `P0_LOGIN_TIMEOUT` seconds (default 300), reads at most
//! [`MAX_REQUEST`] bytes of a request, and gives each connection [`READ_TIMEOUT`].

use crate::context::Context;
use crate::env;
use crate::error::{Error, Result};
use crate::p0::client::{self, Replay};
use crate::p0::identity::{now_secs, OktaCredential};
use crate::secret::Secret;
use base64::Engine;
use sha2::Digest;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// The longest request head read from the browser (the redirect's query holds a code of a few
/// hundred bytes; Google's and Entra's fit well within this).
const MAX_REQUEST: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The page the browser shows once the redirect has reached `p0`.
const DONE_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>P0 login</title></head>\
<body><h2>Continue in your terminal</h2><p>p0 received your sign-in. You can close this tab.</p></body></html>";
const REFUSED_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>P0 login</title></head>\
<body><h2>Sign-in not completed</h2><p>Return to your terminal to see why. You can close this tab.</p></body></html>";

/// A PKCE pair (RFC 7636): the verifier stays here, the S256 challenge goes to the browser.
pub struct Pkce {
    pub verifier: Secret<String>,
    pub challenge: String,
}

fn random_b64url(len: usize) -> String {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Pkce {
    pub fn new() -> Pkce {
        // 64 bytes: an 86-character verifier, within RFC 7636's 43 to 128.
        let verifier = random_b64url(64);
        Pkce {
            challenge: challenge_of(&verifier),
            verifier: Secret::new(verifier),
        }
    }
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 section 4.2.
pub fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// A fresh `state` for one sign-in.
pub fn new_state() -> String {
    random_b64url(24)
}

/// The redirect's host as the identity provider has it registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectHost {
    /// `http://127.0.0.1:PORT` (Google).
    Ipv4,
    /// `http://localhost:PORT` (Entra).
    Localhost,
}

/// The listener, bound, and the `redirect_uri` that reaches it.
pub struct Listener {
    provider: &'static str,
    sockets: Vec<TcpListener>,
    redirect_uri: String,
    port: u16,
}

impl Listener {
    /// Binds P0's registered `port` (or `P0_LOGIN_REDIRECT_PORT`; `0` lets the system pick).
    pub async fn bind(provider: &'static str, host: RedirectHost, port: u16) -> Result<Listener> {
        let port = match env::get(env::read::P0_LOGIN_REDIRECT_PORT) {
            Some(value) => value.trim().parse::<u16>().map_err(|_| {
                Error::Config(format!(
                    "{}: {value:?} is not a port number",
                    env::read::P0_LOGIN_REDIRECT_PORT
                ))
            })?,
            None => port,
        };
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let first = TcpListener::bind(v4)
            .await
            .map_err(|e| Error::RedirectPortUnavailable {
                provider: provider.to_string(),
                address: v4.to_string(),
                reason: match e.kind() {
                    std::io::ErrorKind::AddrInUse => "the port is in use".to_string(),
                    _ => e.to_string(),
                },
            })?;
        let port = first
            .local_addr()
            .map_err(|e| Error::io("the sign-in listener", e))?
            .port();
        let mut sockets = vec![first];
        let host_name = match host {
            RedirectHost::Ipv4 => "127.0.0.1",
            RedirectHost::Localhost => {
                // A browser may resolve `localhost` to ::1 first; without IPv6 it falls back.
                match TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port))
                    .await
                {
                    Ok(v6) => sockets.push(v6),
                    Err(e) => tracing::debug!("not listening on [::1]:{port}: {e}"),
                }
                "localhost"
            }
        };
        Ok(Listener {
            provider,
            sockets,
            redirect_uri: format!("http://{host_name}:{port}"),
            port,
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The addresses it listens on (127.0.0.1, maybe ::1).
    #[cfg(test)]
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// Shows the person the link (opening a browser unless they asked for none), then waits
    /// for the one redirect: the authorization code, once its `state` is checked.
    pub async fn wait_for_code(
        self,
        ctx: &Context,
        authorize_url: &Url,
        state: &str,
    ) -> Result<Secret<String>> {
        // `P0_LOGIN_TIMEOUT`, read with the other knobs.
        let timeout = ctx.settings.login_timeout.as_secs();
        self.show_link(ctx, authorize_url.as_str(), timeout);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let provider = self.provider;
        let (stream, head) = tokio::select! {
            first = self.first_request() => first?,
            _ = tokio::time::sleep_until(deadline) => {
                return Err(Error::BrowserSignInTimedOut { provider: provider.into(), seconds: timeout });
            }
        };
        // The sockets are closed now (dropped with `self`): a second request finds nobody.
        let outcome = read_redirect(provider, &head, state);
        let page = match &outcome {
            Ok(_) => ("200 OK", DONE_PAGE),
            Err(_) => ("400 Bad Request", REFUSED_PAGE),
        };
        respond(stream, page.0, page.1).await;
        outcome
    }

    fn show_link(&self, ctx: &Context, url: &str, timeout: u64) {
        let provider = self.provider;
        let port = self.port;
        let over_ssh = env::get(env::read::SSH_CONNECTION).is_some();
        if over_ssh {
            ctx.printer.prompt(&format!(
                "You are connected to this machine over SSH, so a browser on your own computer \
                 cannot reach p0 here by itself. Forward the port first, from your computer:\n  \
                 ssh -L {port}:127.0.0.1:{port} <this host>\n\
                 then open this link in your browser to sign in with {provider}:\n  {url}\n"
            ));
        } else if ctx.human().opens_browser() {
            ctx.printer.prompt(&format!(
                "Opening {provider} sign-in in your browser. If it does not open, visit:\n  {url}\n"
            ));
            crate::human::open_browser(url);
        } else {
            ctx.printer
                .prompt(&format!("To sign in with {provider}, visit:\n  {url}\n"));
        }
        ctx.printer.prompt(&format!(
            "Waiting up to {timeout} s for the browser to return to p0 at {}...\n",
            self.redirect_uri
        ));
    }

    /// The first request of a loopback peer, read with a cap and a per-connection deadline.
    /// Connections that send nothing (a browser's preconnect) are waited for side by side.
    async fn first_request(&self) -> Result<(TcpStream, String)> {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<(TcpStream, String)>(4);
        loop {
            let accepted = tokio::select! {
                Some(request) = receiver.recv() => return Ok(request),
                accepted = accept_any(&self.sockets) => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!("sign-in listener: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            if !peer.ip().is_loopback() {
                // Bound to loopback, so this cannot happen; refused all the same.
                tracing::debug!("sign-in listener: refusing a connection from {peer}");
                continue;
            }
            let sender = sender.clone();
            tokio::spawn(async move {
                if let Ok(Some(request)) =
                    tokio::time::timeout(READ_TIMEOUT, read_head(stream)).await
                {
                    let _ = sender.send(request).await;
                }
            });
        }
    }
}

async fn accept_any(sockets: &[TcpListener]) -> std::io::Result<(TcpStream, SocketAddr)> {
    let accepts = sockets.iter().map(|s| Box::pin(s.accept()));
    futures_select_ok(accepts).await
}

/// The first of several accepts to finish.
async fn futures_select_ok<F>(
    futures: impl Iterator<Item = F>,
) -> std::io::Result<(TcpStream, SocketAddr)>
where
    F: std::future::Future<Output = std::io::Result<(TcpStream, SocketAddr)>> + Unpin,
{
    let mut futures: Vec<F> = futures.collect();
    std::future::poll_fn(move |cx| {
        for future in futures.iter_mut() {
            if let std::task::Poll::Ready(result) = std::pin::Pin::new(future).poll(cx) {
                return std::task::Poll::Ready(result);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// The request head (up to the blank line), at most [`MAX_REQUEST`] bytes; `None` when the
/// connection closes first or sends too much.
async fn read_head(mut stream: TcpStream) -> Option<(TcpStream, String)> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if buffer.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some((stream, String::from_utf8_lossy(&buffer).into_owned()));
        }
        if buffer.len() > MAX_REQUEST {
            let _ = stream
                .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .await;
            return None;
        }
    }
}

async fn respond(mut stream: TcpStream, status: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    };
    if let Err(e) = tokio::time::timeout(READ_TIMEOUT, write)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
    {
        tracing::debug!("sign-in listener: could not answer the browser: {e}");
    }
}

/// The code of the redirect `GET /?code=...&state=...`, or why there is none.
fn read_redirect(provider: &str, head: &str, state: &str) -> Result<Secret<String>> {
    let failed = |reason: String| Error::BrowserSignInFailed {
        provider: provider.to_string(),
        reason,
    };
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" {
        return Err(failed(format!("the browser sent a {method} request")));
    }
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut code = None;
    let (mut got_state, mut error, mut description) = (None, None, None);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(Secret::new(value.into_owned())),
            "state" => got_state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    // The state first: an answer that is not this login's says nothing about it.
    let matches = got_state
        .as_deref()
        .is_some_and(|got| subtle::ConstantTimeEq::ct_eq(got.as_bytes(), state.as_bytes()).into());
    if !matches {
        return Err(Error::BrowserSignInStateMismatch {
            provider: provider.to_string(),
        });
    }
    if let Some(error) = error {
        let shown: String = match description {
            Some(d) => format!("{error}: {d}"),
            None => error,
        };
        // What the identity provider says is shown, but never more than a line of it.
        let shown: String = shown
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        return Err(failed(shown));
    }
    code.filter(|c| !c.expose().is_empty())
        .ok_or_else(|| failed("the answer carried no authorization code".into()))
}

/// POSTs a token request (a code exchange or a refresh) and reads the token response, stamped
/// with its expiry. A code can be redeemed once: an exchange is sent again only when it
/// certainly never left (`Replay::OnlyIfUnsent`).
pub async fn token_request(
    ctx: &Context,
    token_url: &Url,
    form: &[(&str, &str)],
    origin: Option<&str>,
    replay: Replay,
) -> std::result::Result<OktaCredential, TokenRefusal> {
    let policy = client::api_policy(&ctx.settings);
    let issued_at = now_secs();
    let response = client::send(&policy, replay, token_url.as_str(), || {
        let request = ctx
            .http()
            .post(token_url.clone())
            .timeout(ctx.settings.call_timeout)
            .header("Accept", "application/json")
            .form(form);
        match origin {
            Some(origin) => request.header("Origin", origin),
            None => request,
        }
    })
    .await
    .map_err(TokenRefusal::Failed)?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        let value: serde_json::Value = serde_json::from_str(&body)
            .map_err(|_| TokenRefusal::Failed(Error::InvalidResponse))?;
        return OktaCredential::from_token_response(value, issued_at).map_err(TokenRefusal::Failed);
    }
    let error: Option<String> = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(String::from));
    if status == reqwest::StatusCode::BAD_REQUEST && error.as_deref() == Some("invalid_grant") {
        return Err(TokenRefusal::InvalidGrant);
    }
    Err(TokenRefusal::Failed(Error::fetch(
        token_url.as_str(),
        status,
        body,
    )))
}

/// Why a token request gave no tokens.
#[derive(Debug)]
pub enum TokenRefusal {
    /// `invalid_grant`: the code or refresh token is no longer good.
    InvalidGrant,
    Failed(Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_s256_of_the_verifier() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let pkce = Pkce::new();
        assert_eq!(pkce.verifier.expose().len(), 86);
        assert_eq!(pkce.challenge, challenge_of(pkce.verifier.expose()));
        assert_ne!(new_state(), new_state());
    }

    #[test]
    fn the_redirect_is_read_only_with_its_state() {
        let head = |target: &str| format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        let code = read_redirect("Google", &head("/?code=abc&state=s1"), "s1").unwrap();
        assert_eq!(code.expose(), "abc");
        assert!(matches!(
            read_redirect("Google", &head("/?code=abc&state=other"), "s1"),
            Err(Error::BrowserSignInStateMismatch { .. })
        ));
        assert!(matches!(
            read_redirect("Google", &head("/?code=abc"), "s1"),
            Err(Error::BrowserSignInStateMismatch { .. })
        ));
        let denied = read_redirect(
            "Entra",
            &head("/?error=access_denied&error_description=The+user+declined&state=s1"),
            "s1",
        )
        .unwrap_err();
        assert_eq!(
            denied.to_string(),
            "The Entra sign-in failed: access_denied: The user declined"
        );
        assert!(read_redirect("Google", &head("/?state=s1"), "s1").is_err());
        assert!(read_redirect("Google", "POST /?code=a&state=s1 HTTP/1.1\r\n\r\n", "s1").is_err());
    }

    #[tokio::test]
    async fn the_listener_binds_loopback_only_and_reports_a_taken_port() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let error = Listener::bind("Google", RedirectHost::Ipv4, port)
            .await
            .err()
            .expect("the port is taken");
        assert!(
            matches!(error, Error::RedirectPortUnavailable { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("the port is in use"), "{error}");
        drop(taken);
        let listener = Listener::bind("Entra", RedirectHost::Localhost, 0)
            .await
            .unwrap();
        let addrs = listener.local_addrs();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
        assert!(listener.redirect_uri().starts_with("http://localhost:"));
    }
}
