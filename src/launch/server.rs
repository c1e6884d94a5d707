//! The loopback credential endpoint for `--refresh`, in the AWS container-credentials format
//! every SDK reads (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
//!
//! Requests are answered from memory at once; a background task renews the credentials ahead
//! of expiry, so a request never waits on STS or on a human (botocore gives up after 2 s).

use super::child_env::iso8601_utc;
use super::renewal::{self, Renewer};
use super::CredentialSource;
use crate::credentials::AwsCredentials;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::secret::Secret;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// Renew this long before expiry: botocore refreshes at 15 minutes left and would otherwise ask
/// again before every call.
const RENEW_LEAD: Duration = Duration::from_secs(20 * 60);
/// A client that opens a connection and sends nothing is dropped after this.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once. The child's SDKs need one or two; any local user can open
/// thousands, and each held its buffers (a flood left about 150 MiB behind). Beyond this, new
/// connections wait in the kernel's backlog until a slot frees (an idle one is dropped at the
/// header deadline).
const MAX_CONNECTIONS: usize = 64;

/// Credentials plus when they became current (the renewal schedule depends on both).
#[derive(Clone)]
struct Current {
    credentials: AwsCredentials,
    obtained: OffsetDateTime,
    /// The answer's body, rendered once per set of credentials: a request copies a reference.
    body: Bytes,
}

impl Current {
    fn new(credentials: AwsCredentials) -> Current {
        let body = serde_json::json!({
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key.expose(),
            "Token": credentials.session_token.expose(),
            "Expiration": iso8601_utc(credentials.expiration),
        });
        Current {
            body: Bytes::from(body.to_string()),
            credentials,
            obtained: OffsetDateTime::now_utc(),
        }
    }
}

struct Shared {
    path: String,
    token: Secret<String>,
    current: watch::Receiver<Current>,
    /// Wakes the renewer early when a request finds renewal overdue (after a laptop resumed).
    renew_now: Notify,
    served: AtomicU64,
}

/// A running endpoint; it stops when dropped.
pub struct CredentialServer {
    uri: String,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl CredentialServer {
    /// Binds 127.0.0.1 on a port the OS chooses, under a random path, and starts renewing
    /// `source`'s credentials in the background. Must be called within a tokio runtime.
    pub async fn start(source: Arc<dyn CredentialSource>, printer: Printer) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| Error::io("Could not start the local credential endpoint", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("Could not start the local credential endpoint", e))?
            .port();
        let path = format!("/{}", random_hex(16));
        // Hex keeps the token to header-safe characters (botocore refuses CR/LF).
        let token = Secret::new(random_hex(32));
        let (sender, current) = watch::channel(Current::new(source.current()));
        let shared = Arc::new(Shared {
            path: path.clone(),
            token,
            current,
            renew_now: Notify::new(),
            served: AtomicU64::new(0),
        });
        let tasks = vec![
            tokio::spawn(accept_loop(listener, shared.clone())),
            tokio::spawn(keep_renewed(
                Renewer::new(source, printer),
                sender,
                shared.clone(),
            )),
        ];
        tracing::debug!("credential endpoint listening on 127.0.0.1:{port}");
        Ok(CredentialServer {
            uri: format!("http://127.0.0.1:{port}{path}"),
            shared,
            tasks,
        })
    }

    /// For `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// For `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn token(&self) -> &Secret<String> {
        &self.shared.token
    }

    /// How many requests were answered with credentials.
    #[cfg(test)]
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }
}

impl Drop for CredentialServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Connections are served on their own tasks, tracked so that they end with the server, at
    // most `MAX_CONNECTIONS` at once.
    let mut connections = tokio::task::JoinSet::new();
    let mut busiest = 0;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept(), if connections.len() < MAX_CONNECTIONS => {
                match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::debug!("credential endpoint: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                }
            }
            Some(_) = connections.join_next() => {
                if connections.is_empty() && busiest > TRIM_AFTER {
                    // A burst ended: give its memory back rather than keep it for the run.
                    give_back_freed_memory();
                    busiest = 0;
                }
                continue;
            }
        };
        let shared = shared.clone();
        busiest = busiest.max(connections.len() + 1);
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |request| answer(request, shared.clone()));
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!("credential endpoint: connection ended: {e}");
            }
        });
    }
}

/// How many connections at once make a burst worth trimming after.
const TRIM_AFTER: usize = 8;

/// Returns memory freed by connections to the system. glibc's allocator keeps freed memory in
/// its arenas (one per thread that allocated), so after a flood the supervisor kept its peak
/// for the rest of the run; `malloc_trim` gives it back. Other platforms: musl's and macOS's
/// allocators return freed pages by themselves, so there is nothing to do.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointer.
        let trimmed = unsafe { nix::libc::malloc_trim(0) };
        tracing::debug!("credential endpoint: malloc_trim gave memory back: {trimmed}");
    }
}

async fn answer(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> std::result::Result<Response<Full<Bytes>>, Infallible> {
    let authorization = request.headers().get(AUTHORIZATION);
    Ok(respond(
        &shared,
        request.method(),
        request.uri().path(),
        authorization,
    ))
}

/// Every refusal carries no credentials. The path is checked first: it is as secret as the token.
fn respond(
    shared: &Shared,
    method: &Method,
    path: &str,
    authorization: Option<&HeaderValue>,
) -> Response<Full<Bytes>> {
    if path != shared.path {
        return refusal(StatusCode::NOT_FOUND, "Not found");
    }
    if method != Method::GET {
        let mut response = refusal(StatusCode::METHOD_NOT_ALLOWED, "Only GET is allowed");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    let Some(authorization) = authorization else {
        return refusal(StatusCode::UNAUTHORIZED, "Missing authorization token");
    };
    if !shared.token.matches_bytes(authorization.as_bytes()) {
        return refusal(StatusCode::FORBIDDEN, "Invalid authorization token");
    }

    // Held only for this synchronous answer (the renewer waits for it, never the reverse).
    let current = shared.current.borrow();
    let now = OffsetDateTime::now_utc();
    if renewal::is_due(&current.credentials, current.obtained, RENEW_LEAD, now) {
        shared.renew_now.notify_one();
    }
    let credentials = &current.credentials;
    if credentials.expiration <= now {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "The credentials expired and could not be renewed yet; p0 keeps trying",
        );
    }
    shared.served.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(
        access_key_id = %credentials.access_key_id,
        expiration = %credentials.expiration,
        "credential endpoint: served credentials"
    );
    with_json_headers(StatusCode::OK, current.body.clone())
}

/// The error shape the container-credentials providers read (`code`, `message`).
fn refusal(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let code = status
        .canonical_reason()
        .unwrap_or("Error")
        .replace(' ', "");
    json_response(
        status,
        serde_json::json!({ "code": code, "message": message }),
    )
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    with_json_headers(status, Bytes::from(body.to_string()))
}

fn with_json_headers(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn keep_renewed(mut renewer: Renewer, sender: watch::Sender<Current>, shared: Arc<Shared>) {
    loop {
        let current = sender.borrow().clone();
        let due = renewal::due_at(&current.credentials, current.obtained, RENEW_LEAD);
        tokio::select! {
            _ = renewal::sleep_until(due) => {}
            _ = shared.renew_now.notified() => {
                // A request's nudge counts only when renewal is really due (wall clock).
                let now = OffsetDateTime::now_utc();
                if !renewal::is_due(&current.credentials, current.obtained, RENEW_LEAD, now) {
                    continue;
                }
            }
        }
        let fresh = renewer.renew_after(&current.credentials).await;
        sender.send_replace(Current::new(fresh));
    }
}

/// `bytes` random bytes from the thread-local CSPRNG (seeded by the OS), as lowercase hex.
fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::renewal::tests::MintingSource;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    const HOUR: Duration = Duration::from_secs(3600);

    async fn server(lifetime: Duration) -> (CredentialServer, Arc<MintingSource>) {
        let source = Arc::new(MintingSource::new(lifetime, 0));
        (
            CredentialServer::start(source.clone(), Printer::standard(true))
                .await
                .unwrap(),
            source,
        )
    }

    async fn get(uri: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(uri);
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        request.send().await.unwrap()
    }

    #[tokio::test]
    async fn the_right_token_gets_the_credentials() {
        let (server, source) = server(HOUR).await;
        assert!(server.uri().starts_with("http://127.0.0.1:"));
        let path = server.uri().rsplit('/').next().unwrap();
        assert_eq!(path.len(), 32, "16 random bytes in hex");
        assert_eq!(server.token().expose().len(), 64, "32 random bytes in hex");

        let response = get(server.uri(), Some(server.token().expose())).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        let expected = source.current();
        assert_eq!(body["AccessKeyId"], expected.access_key_id.as_str());
        assert_eq!(
            body["SecretAccessKey"],
            expected.secret_access_key.expose().as_str()
        );
        assert_eq!(body["Token"], expected.session_token.expose().as_str());
        assert_eq!(
            body["Expiration"],
            iso8601_utc(expected.expiration).as_str()
        );
        assert!(body["Expiration"].as_str().unwrap().ends_with('Z'));
        assert_eq!(server.served(), 1);
    }

    #[tokio::test]
    async fn anything_else_is_refused_without_credentials() {
        let (server, source) = server(HOUR).await;
        let secret = source.current().secret_access_key.expose().clone();
        let token = server.token().expose().clone();
        let base = server.uri().rsplit_once('/').unwrap().0.to_string();
        let other_path = format!("{base}/{}", "0".repeat(32));
        let client = reqwest::Client::new();
        let cases = [
            (get(server.uri(), None).await, 401),
            (get(server.uri(), Some("wrong")).await, 403),
            (get(server.uri(), Some(&format!("{token}x"))).await, 403),
            (
                get(server.uri(), Some(&format!("Bearer {token}"))).await,
                403,
            ),
            (
                get(&server.uri()[..server.uri().len() - 1], Some(&token)).await,
                404,
            ),
            (get(&other_path, Some(&token)).await, 404),
            (get(&format!("{base}/"), Some(&token)).await, 404),
            (
                client
                    .post(server.uri())
                    .header("Authorization", &token)
                    .send()
                    .await
                    .unwrap(),
                405,
            ),
            (
                client
                    .put(server.uri())
                    .header("Authorization", &token)
                    .send()
                    .await
                    .unwrap(),
                405,
            ),
        ];
        for (response, status) in cases {
            assert_eq!(response.status(), status, "{}", response.url());
            let body = response.text().await.unwrap();
            assert!(
                !body.contains(&secret),
                "refusal leaked credentials: {body}"
            );
            assert!(!body.contains("ASIA"), "refusal leaked a key id: {body}");
        }
        assert_eq!(server.served(), 0);
    }

    #[tokio::test]
    async fn a_raw_request_with_garbage_does_not_take_the_server_down() {
        let (server, _source) = server(HOUR).await;
        let address = server.uri().trim_start_matches("http://");
        let (host_port, _) = address.split_once('/').unwrap();
        let mut stream = TcpStream::connect(host_port).await.unwrap();
        stream.write_all(b"\x00\x01garbage\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let response = get(server.uri(), Some(server.token().expose())).await;
        assert_eq!(response.status(), 200);
    }

    /// The renewal schedule follows the wall clock (so that a laptop's sleep cannot delay it),
    /// which a paused tokio clock cannot drive: this one waits in real time, about a second.
    #[tokio::test]
    async fn renewed_credentials_are_served_before_the_old_ones_run_low() {
        // 4-second credentials are renewed a quarter into their life (1 s).
        let (server, source) = server(Duration::from_secs(4)).await;
        let token = server.token().expose().clone();
        let first_expiration = source.current().expiration;
        let first: serde_json::Value = get(server.uri(), Some(&token)).await.json().await.unwrap();
        let later = loop {
            let later: serde_json::Value =
                get(server.uri(), Some(&token)).await.json().await.unwrap();
            if later["AccessKeyId"] != first["AccessKeyId"] {
                break later;
            }
            assert!(
                OffsetDateTime::now_utc() < first_expiration,
                "the first credentials expired before renewed ones were served"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(source.minted() >= 2, "renewed in the background");
        let expiration = OffsetDateTime::parse(
            later["Expiration"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!(expiration - OffsetDateTime::now_utc() > time::Duration::seconds(2));
    }

    /// Real time across several credential lifetimes: `--skip slow::` leaves these out.
    mod slow {
        use super::*;

        /// A real botocore child reads the endpoint, across several short credential lifetimes,
        /// and sees each renewal without ever failing. It needs the test python (with boto3) and
        /// fails, never skips, without it.
        #[tokio::test]
        async fn botocore_reads_and_follows_renewed_credentials() {
            let python = p0_testkit::python();
            // Renewed every second (a quarter of 4 s); botocore refetches each time because
            // fewer than 15 minutes are left.
            let (server, source) = server(Duration::from_secs(4)).await;
            let script = r#"
import time, boto3
session = boto3.Session()
seen = []
deadline = time.time() + 12.5
while time.time() < deadline:
    frozen = session.get_credentials().get_frozen_credentials()
    if not seen or seen[-1] != frozen.access_key:
        seen.append(frozen.access_key)
        print(frozen.access_key, frozen.secret_key, frozen.token, flush=True)
    time.sleep(0.2)
"#;
            let base = crate::launch::ChildEnv::from_vars(
                std::env::vars_os(),
                "123456789012/Admin",
                Some("us-east-1"),
            )
            .with_endpoint(server.uri(), server.token());
            let output = tokio::process::Command::new(python)
                .args(["-c", script])
                .env_clear()
                .envs(base.vars())
                .env("AWS_CONFIG_FILE", "/nonexistent")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
                .output()
                .await
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "botocore failed:\n{stderr}");
            let seen: Vec<Vec<&str>> = stdout.lines().map(|l| l.split(' ').collect()).collect();
            assert!(
                seen.len() >= 4,
                "botocore saw at least four credential sets across three lifetimes: {stdout}"
            );
            for (i, fields) in seen.iter().enumerate() {
                let serial: u32 = fields[0].trim_start_matches("ASIATEST").parse().unwrap();
                assert_eq!(fields[1], format!("secret-{serial}"), "line {i}");
                assert_eq!(fields[2], format!("token-{serial}"), "line {i}");
            }
            assert!(server.served() >= seen.len() as u64);
            assert!(source.minted() as usize >= seen.len());
        }
    }
}
