//! The one way `p0` builds AWS SDK clients (STS, Identity Center's portal and its OIDC service),
//! and the one way it describes their failures.
//!
//! Every client shares one piece of configuration:
//! - an explicit region and the latest behavior version; no credentials provider, because every
//!   call here is unsigned (AssumeRoleWithSAML, AssumeRoleWithWebIdentity, the OIDC calls) or
//!   bearer-authorized (GetRoleCredentials, ListAccountRoles), except the AssumeRole of a chained
//!   role, signed with the static credentials it chains from ([`sts_signed_with`]), never with a
//!   default chain. aws-config's loader is deliberately not used: it would read the user's
//!   profiles and credential chain, and may probe the EC2 metadata address;
//! - the standard endpoint override: the service's own `AWS_ENDPOINT_URL_*` variable, then
//!   `AWS_ENDPOINT_URL`;
//! - the HTTP client: the process's one reqwest client (`Context::http`), behind the SDK's
//!   `HttpClient` trait, so every call of a command shares one connection pool and one load of
//!   the root certificates (each SDK client used to build its own connector and load them
//!   again), and the proxy variables are honoured as for every other call; plain http only
//!   where the endpoint says so (the sandbox and moto on loopback);
//! - an overall deadline: [`CONNECT_TIMEOUT`] per connection, 20 s per attempt and 60 s per
//!   call, retries included, with tokio's sleep to enforce them (`P0_CALL_TIMEOUT` sets the
//!   call's, a third of it per attempt). These services answer in well under a second;
//!   botocore allows 60 s between reads, but a wait that long is a stall. A stalled server
//!   (half-open TCP after a VPN drop or a laptop's sleep) costs at most a minute.

use crate::credentials::AwsCredentials;
use crate::env;
use crate::http::Http;
use aws_sdk_sts::config::BehaviorVersion;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::sdk_config::{SharedHttpClient, StalledStreamProtectionConfig};
use aws_types::SdkConfig;
use std::time::Duration;

/// Establishing one connection (TCP and TLS), as the process's HTTP client allows.
pub const CONNECT_TIMEOUT: Duration = crate::http::CONNECT_TIMEOUT;

/// An STS client for `region` (AssumeRoleWithSAML, unsigned) over `http`, the process's
/// client. Standard retries.
pub fn sts(http: &Http, region: &str) -> aws_sdk_sts::Client {
    let endpoint = endpoint_override(env::read::AWS_ENDPOINT_URL_STS);
    log_endpoint(Service::Sts, region, endpoint.as_deref());
    aws_sdk_sts::Client::new(&config(http, region, endpoint, deadlines(http)))
}

/// An STS client for `region` whose calls are signed (SigV4) with `credentials` and nothing
/// else: AssumeRole for a chained role. Standard retries.
pub fn sts_signed_with(
    http: &Http,
    region: &str,
    credentials: &AwsCredentials,
) -> aws_sdk_sts::Client {
    let endpoint = endpoint_override(env::read::AWS_ENDPOINT_URL_STS);
    log_endpoint(Service::Sts, region, endpoint.as_deref());
    sts_signed(config(http, region, endpoint, deadlines(http)), credentials)
}

fn sts_signed(config: SdkConfig, credentials: &AwsCredentials) -> aws_sdk_sts::Client {
    let expires = std::time::SystemTime::from(credentials.expiration);
    let static_credentials = aws_sdk_sts::config::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().clone(),
        Some(credentials.session_token.expose().clone()),
        Some(expires),
        "p0",
    );
    let config = aws_sdk_sts::config::Builder::from(&config)
        .credentials_provider(static_credentials)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// An Identity Center OIDC client for `region` (RegisterClient, StartDeviceAuthorization,
/// CreateToken; unsigned). Standard retries.
pub fn sso_oidc(http: &Http, region: &str) -> aws_sdk_ssooidc::Client {
    let endpoint = endpoint_override(env::read::AWS_ENDPOINT_URL_SSO_OIDC);
    log_endpoint(Service::SsoOidc, region, endpoint.as_deref());
    aws_sdk_ssooidc::Client::new(&config(http, region, endpoint, deadlines(http)))
}

/// An Identity Center portal client for `region` (GetRoleCredentials with a bearer token).
/// Retries are off: the caller's own bounded retries decide, and a rejected token must be
/// replaced, not sent again.
pub fn sso(http: &Http, region: &str) -> aws_sdk_sso::Client {
    let endpoint = endpoint_override(env::read::AWS_ENDPOINT_URL_SSO);
    log_endpoint(Service::Sso, region, endpoint.as_deref());
    sso_with(config(http, region, endpoint, deadlines(http)))
}

/// The three AWS services `p0` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Sts,
    Sso,
    SsoOidc,
}

/// Says in the debug log where a client's calls go: the override, or the endpoint the SDK's
/// own rules choose for the region, FIPS and dual-stack settings (the same rules, the same
/// parameters as the client's).
fn log_endpoint(service: Service, region: &str, endpoint: Option<&str>) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    match endpoint {
        Some(url) => {
            tracing::debug!(
                "{service:?} endpoint: {url} (an AWS_ENDPOINT_URL setting; region {region})"
            )
        }
        None => {
            let settings = crate::aws_files::settings::network();
            let (fips, dual_stack) = (settings.use_fips, settings.use_dual_stack);
            match resolved_endpoint(service, region, fips, dual_stack) {
                Ok(url) => tracing::debug!(
                    "{service:?} endpoint: {url} (region {region}, FIPS {fips}, dual-stack {dual_stack})"
                ),
                Err(why) => tracing::debug!("{service:?} endpoint: none for {region}: {why}"),
            }
        }
    }
}

/// The endpoint URL the SDK's endpoint rules resolve for `service` in `region` (no override).
pub fn resolved_endpoint(
    service: Service,
    region: &str,
    use_fips: bool,
    use_dual_stack: bool,
) -> Result<String, String> {
    /// The rules are synchronous: their future is ready at the first poll.
    fn now<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).poll(&mut context) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => unreachable!("the SDK's endpoint rules do not wait"),
        }
    }
    macro_rules! resolve {
        ($krate:ident) => {{
            use $krate::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
            let params = Params::builder()
                .region(region)
                .use_fips(use_fips)
                .use_dual_stack(use_dual_stack)
                .build()
                .map_err(|e| e.to_string())?;
            now(DefaultResolver::new().resolve_endpoint(&params))
                .map(|endpoint| endpoint.url().to_string())
                .map_err(|e| e.to_string())
        }};
    }
    match service {
        Service::Sts => resolve!(aws_sdk_sts),
        Service::Sso => resolve!(aws_sdk_sso),
        Service::SsoOidc => resolve!(aws_sdk_ssooidc),
    }
}

fn sso_with(config: SdkConfig) -> aws_sdk_sso::Client {
    let config = aws_sdk_sso::config::Builder::from(&config)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sso::Client::from_conf(config)
}

/// The endpoint override for one service: its own variable, then `AWS_ENDPOINT_URL`, as the
/// AWS SDKs read them.
pub fn endpoint_override(service_variable: &str) -> Option<String> {
    endpoint_override_from(service_variable, env::get)
}

fn endpoint_override_from(
    service_variable: &str,
    get: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    get(service_variable).or_else(|| get(env::read::AWS_ENDPOINT_URL))
}

/// The message of an SDK failure in one short line: the service's code and message when it
/// answered with one, else the HTTP status; a timeout as such; a failure to connect or to read
/// the answer by its innermost cause (`Connection refused (os error 111)`). Never the request,
/// the headers or the body: the SDK's `Debug` and `DisplayErrorContext` carry all of those.
pub fn describe_sdk_error<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            match (service.err().code(), service.err().message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => format!("{code} (HTTP {status})"),
                (None, Some(message)) => format!("HTTP {status}: {message}"),
                // A success status the SDK could not read as an answer (a body cut short).
                (None, None) if service.raw().status().is_success() => {
                    format!("HTTP {status}, and the answer could not be read")
                }
                (None, None) => format!("HTTP {status}"),
            }
        }
        // The SDK's deadlines: the cause names the one that passed (`operation timeout (all
        // attempts including retries) occurred after 60s`).
        SdkError::TimeoutError(_) => format!(
            "timed out: no answer within the deadline ({})",
            crate::http::innermost_cause(error)
        ),
        // reqwest's: connecting, or (rarely, it is longer than the SDK's) the whole call.
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            // The client's deadlines are not in the error: the cause says which one passed.
            let cause = crate::http::innermost_cause(error);
            if reqwest_error(error).is_some_and(reqwest::Error::is_connect) {
                format!("timed out connecting: no connection within the deadline ({cause})")
            } else {
                format!("timed out: no answer within the deadline ({cause})")
            }
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            format!("no connection: {}", crate::http::innermost_cause(error))
        }
        SdkError::ResponseError(response) => format!(
            "HTTP {}, and the answer could not be read: {}",
            response.raw().status().as_u16(),
            crate::http::innermost_cause(error)
        ),
        _ => crate::http::innermost_cause(error),
    }
}

/// The reqwest error under an SDK failure, if one caused it.
fn reqwest_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a reqwest::Error> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<reqwest::Error>() {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

/// Whether a failed call may succeed if made again: throttling, a server error, a timeout or a
/// connection that failed. A 4xx refusal (a bad request, an unknown resource, no permission)
/// will not.
pub fn may_pass_on_retry<E>(error: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let throttled = matches!(
                service.err().code(),
                Some("TooManyRequestsException" | "ThrottlingException" | "Throttling")
            );
            throttled || service.raw().status().is_server_error()
        }
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        _ => false,
    }
}

/// The deadlines of every client: the call's (the client's, `P0_CALL_TIMEOUT`, else 60 s), a
/// third of it per attempt (so the standard three attempts fit), connecting as reqwest does.
fn deadlines(http: &Http) -> TimeoutConfig {
    deadlines_for(http.call_timeout())
}

fn deadlines_for(call: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(call))
        .operation_attempt_timeout(call / 3)
        .operation_timeout(call)
        .build()
}

/// The configuration every client starts from. FIPS and dual-stack endpoints
/// (`AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`, or the profile's keys:
/// `aws_files::settings`) are the SDK's own endpoint rules' choice, for the region's
/// partition; an endpoint override wins over them, as in botocore (the SDK's rules would
/// refuse FIPS with a custom endpoint instead).
fn config(
    http: &reqwest::Client,
    region: &str,
    endpoint: Option<String>,
    timeouts: TimeoutConfig,
) -> SdkConfig {
    let settings = crate::aws_files::settings::network();
    let (use_fips, use_dual_stack) = match endpoint {
        Some(_) => (false, false),
        None => (settings.use_fips, settings.use_dual_stack),
    };
    let mut config = SdkConfig::builder()
        .use_fips(use_fips)
        .use_dual_stack(use_dual_stack)
        // The type is shared by every SDK crate; sts merely re-exports it.
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .http_client(SharedHttpClient::new(Reqwest(http.clone())))
        // The SDK's runtime features are off, so nothing chooses these for it: the timeouts
        // and retry backoff need a sleep, signing-free calls still need a clock.
        .sleep_impl(TokioSleep::new())
        .time_source(SystemTimeSource::new())
        // Off: the connector takes the request body whole without polling it, so the SDK's
        // upload stall detector saw "0 B/s" whenever a server was slow to answer and reported
        // it as `timed out connecting (minimum throughput ...)` after its 5 s grace period.
        // The deadlines above (and reqwest's) bound every wait instead.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(timeouts);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    config.build()
}

/// The longest answer body an SDK call may get (STS, OIDC and portal answers are a few KiB).
const MAX_ANSWER: usize = 1024 * 1024;

/// The SDK's HTTP client over reqwest's: its pool, its TLS roots, its proxies, its connect
/// timeout. The SDK enforces its own attempt and operation deadlines on top (`deadlines`).
#[derive(Debug, Clone)]
struct Reqwest(reqwest::Client);

impl HttpClient for Reqwest {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Reqwest {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.0.clone();
        HttpConnectorFuture::new(async move { send(&client, request).await })
    }
}

async fn send(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, ConnectorError> {
    let method = reqwest::Method::from_bytes(request.method().as_bytes())
        .map_err(|e| ConnectorError::user(e.into()))?;
    // Every request here is a small form or JSON document, never a stream.
    let body = request
        .body()
        .bytes()
        .ok_or_else(|| ConnectorError::user("a streaming request body".into()))?
        .to_vec();
    let mut builder = client.request(method, request.uri()).body(body);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let mut response = builder.send().await.map_err(connector_error)?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(connector_error)? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(ConnectorError::other(
                format!("an answer longer than {MAX_ANSWER} bytes").into(),
                None,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let status = status
        .try_into()
        .map_err(|e: aws_smithy_runtime_api::http::HttpError| {
            ConnectorError::other(e.into(), None)
        })?;
    let mut answer = HttpResponse::new(status, SdkBody::from(body));
    for (name, value) in headers {
        answer.headers_mut().append(name, value);
    }
    Ok(answer)
}

/// As the SDK's own client classifies them: timeouts and connection failures are transient
/// (retried under the standard policy), anything else is not.
fn connector_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::mpsc;
    use std::time::Instant;

    /// A loopback server answering each connection with the next canned response (then
    /// closing it), and reporting what it received. Its port is chosen by the OS.
    fn serve(responses: Vec<String>) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (sender, received) = mpsc::channel();
        std::thread::spawn(move || {
            for response in responses {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                let request = read_request(&mut stream);
                let _ = sender.send(request);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        (format!("http://{address}"), received)
    }

    fn read_request(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&bytes).to_string();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if bytes.len() >= head_end + 4 + length {
                    return text;
                }
            }
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&bytes).to_string(),
                Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            }
        }
    }

    fn response(status: &str, content_type: &str, headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// The SDK's own rules, through the same parameters `config` gives every client: FIPS and
    /// dual-stack hosts per partition (aws, aws-us-gov, aws-cn, aws-eusc).
    #[test]
    fn fips_and_dual_stack_endpoints_per_partition() {
        let url =
            |service, region, fips, dual| resolved_endpoint(service, region, fips, dual).unwrap();
        use Service::*;
        assert_eq!(
            url(Sts, "us-east-1", false, false),
            "https://sts.us-east-1.amazonaws.com"
        );
        assert_eq!(
            url(Sts, "us-east-1", true, false),
            "https://sts-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            url(Sts, "us-west-2", false, true),
            "https://sts.us-west-2.api.aws"
        );
        assert_eq!(
            url(Sts, "us-west-2", true, true),
            "https://sts-fips.us-west-2.api.aws"
        );
        assert_eq!(
            url(Sts, "us-gov-west-1", true, false),
            "https://sts.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            url(Sts, "us-gov-east-1", false, true),
            "https://sts.us-gov-east-1.api.aws"
        );
        assert_eq!(
            url(Sts, "cn-north-1", false, false),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            url(Sts, "cn-north-1", false, true),
            "https://sts.cn-north-1.api.amazonwebservices.com.cn"
        );
        assert_eq!(
            url(Sts, "eusc-de-east-1", false, false),
            "https://sts.eusc-de-east-1.amazonaws.eu"
        );
        assert_eq!(
            url(Sso, "us-east-1", false, false),
            "https://portal.sso.us-east-1.amazonaws.com"
        );
        assert_eq!(
            url(Sso, "us-east-1", true, false),
            "https://portal.sso-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            url(Sso, "us-east-1", false, true),
            "https://portal.sso.us-east-1.api.aws"
        );
        assert_eq!(
            url(SsoOidc, "us-east-1", false, false),
            "https://oidc.us-east-1.amazonaws.com"
        );
        assert_eq!(
            url(SsoOidc, "us-east-1", true, true),
            "https://oidc-fips.us-east-1.api.aws"
        );
        assert_eq!(
            url(SsoOidc, "cn-northwest-1", false, false),
            "https://oidc.cn-northwest-1.amazonaws.com.cn"
        );
        assert_eq!(
            url(SsoOidc, "eusc-de-east-1", false, false),
            "https://oidc.eusc-de-east-1.amazonaws.eu"
        );
        // Every partition's default region resolves, plain, FIPS and dual-stack, on its own
        // DNS suffix or dual-stack one.
        for partition in crate::partition::Partition::ALL {
            for service in [Sts, Sso, SsoOidc] {
                for (fips, dual) in [(false, false), (true, false), (false, true), (true, true)] {
                    let url = resolved_endpoint(service, partition.default_region(), fips, dual);
                    let url = url
                        .unwrap_or_else(|e| panic!("{service:?} {partition} {fips} {dual}: {e}"));
                    assert!(url.starts_with("https://"), "{url}");
                    if !dual {
                        assert!(url.ends_with(partition.dns_suffix()), "{url}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_service_variable_wins_over_the_general_one() {
        let both = |name: &str| match name {
            "AWS_ENDPOINT_URL_STS" => Some("http://127.0.0.1:1".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:2".to_string()),
            _ => None,
        };
        let general = |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://h:2".to_string());
        assert_eq!(
            endpoint_override_from(env::read::AWS_ENDPOINT_URL_STS, both).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(
            endpoint_override_from(env::read::AWS_ENDPOINT_URL_SSO, general).as_deref(),
            Some("http://h:2")
        );
        assert_eq!(
            endpoint_override_from(env::read::AWS_ENDPOINT_URL_SSO, |_| None),
            None
        );
    }

    /// Plain http to a loopback endpoint, unsigned (no credentials provider, so no
    /// Authorization header and no credential chain), and the service's own error words.
    #[test]
    fn sts_goes_unsigned_to_the_endpoint_and_reports_the_service_error() {
        let error_xml = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad assertion</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
        let (url, received) = serve(vec![response("400 Bad Request", "text/xml", "", error_xml)]);
        let sts = aws_sdk_sts::Client::new(&config(
            &crate::http::client(),
            "us-east-1",
            Some(url),
            deadlines(&crate::http::client()),
        ));
        let error = runtime()
            .block_on(
                sts.assume_role_with_saml()
                    .role_arn("arn:aws:iam::123456789012:role/Admin")
                    .principal_arn("arn:aws:iam::123456789012:saml-provider/okta")
                    .saml_assertion("PHNhbWw+")
                    .send(),
            )
            .unwrap_err();
        assert_eq!(
            describe_sdk_error(&error),
            "InvalidIdentityToken: bad assertion"
        );
        let request = received.recv().unwrap();
        assert!(request.starts_with("POST / HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("Action=AssumeRoleWithSAML"), "{request}");
        assert!(
            !request.to_ascii_lowercase().contains("\r\nauthorization:"),
            "{request}"
        );
    }

    /// A chained AssumeRole is signed with the source credentials (their key in the credential
    /// scope, their session token beside it) and sent where the STS endpoint says.
    #[test]
    fn a_signed_sts_call_uses_the_given_credentials_only() {
        let answer = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIACHAINED</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:p0</AssumedRoleId><Arn>arn:aws:sts::210987654321:assumed-role/Cross/p0</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>";
        let (url, received) = serve(vec![response("200 OK", "text/xml", "", answer)]);
        let source = AwsCredentials {
            access_key_id: "ASIASOURCE".into(),
            secret_access_key: crate::secret::Secret::new("source-secret".into()),
            session_token: crate::secret::Secret::new("source-token".into()),
            expiration: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        let sts = sts_signed(
            config(
                &crate::http::client(),
                "us-east-1",
                Some(url),
                deadlines(&crate::http::client()),
            ),
            &source,
        );
        let output = runtime()
            .block_on(
                sts.assume_role()
                    .role_arn("arn:aws:iam::210987654321:role/Cross")
                    .role_session_name("p0")
                    .send(),
            )
            .unwrap();
        assert_eq!(output.credentials().unwrap().access_key_id(), "ASIACHAINED");
        let request = received.recv().unwrap().to_ascii_lowercase();
        assert!(request.contains("action=assumerole"), "{request}");
        assert!(
            request.contains("authorization: aws4-hmac-sha256 credential=asiasource/"),
            "{request}"
        );
        assert!(
            request.contains("x-amz-security-token: source-token"),
            "{request}"
        );
        assert!(!request.contains("source-secret"), "{request}");
    }

    /// The portal client makes exactly one attempt (its caller retries), and sends the bearer.
    #[test]
    fn sso_does_not_retry() {
        let failure = response(
            "500 Internal Server Error",
            "application/json",
            "x-amzn-ErrorType: InternalServerException\r\n",
            "{\"message\":\"boom\"}",
        );
        let (url, received) = serve(vec![failure.clone(), failure]);
        let sso = sso_with(config(
            &crate::http::client(),
            "us-east-1",
            Some(url),
            deadlines(&crate::http::client()),
        ));
        let error = runtime()
            .block_on(
                sso.get_role_credentials()
                    .account_id("123456789012")
                    .role_name("Dev")
                    .access_token("bearer-1")
                    .send(),
            )
            .unwrap_err();
        assert!(
            error.raw_response().is_some(),
            "{}",
            describe_sdk_error(&error)
        );
        let first = received.recv().unwrap();
        assert!(first.starts_with("GET /federation/credentials?"), "{first}");
        assert!(
            first
                .to_ascii_lowercase()
                .contains("x-amz-sso_bearer_token: bearer-1"),
            "{first}"
        );
        assert!(
            received.recv_timeout(Duration::from_millis(500)).is_err(),
            "a second attempt was made"
        );
    }

    /// An https endpoint gets a TLS handshake (the rustls provider is compiled in and chosen).
    #[test]
    fn https_endpoints_get_tls() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let (sender, first_bytes) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut head = [0u8; 6];
                let _ = stream.read_exact(&mut head);
                let _ = sender.send(head);
            }
        });
        let oidc = aws_sdk_ssooidc::Client::new(&config(
            &crate::http::client(),
            "us-east-1",
            Some(url),
            deadlines(&crate::http::client()),
        ));
        let result = runtime().block_on(
            oidc.register_client()
                .client_name("p0Cli")
                .client_type("public")
                .send(),
        );
        assert!(result.is_err());
        let head = first_bytes
            .recv_timeout(Duration::from_secs(10))
            .expect("the client connected");
        // A TLS record of type handshake (22) carrying a ClientHello (1).
        assert_eq!((head[0], head[5]), (22, 1), "{head:?}");
    }

    /// A server that accepts and never answers costs the operation deadline, not forever.
    #[test]
    fn a_stalled_server_costs_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
        });
        let short = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(Duration::from_millis(300))
            .operation_timeout(Duration::from_millis(1500))
            .build();
        let sts = aws_sdk_sts::Client::new(&config(
            &crate::http::client(),
            "us-east-1",
            Some(url),
            short,
        ));
        let started = Instant::now();
        let error = runtime()
            .block_on(
                sts.assume_role_with_saml()
                    .role_arn("arn:aws:iam::123456789012:role/Admin")
                    .principal_arn("arn:aws:iam::123456789012:saml-provider/okta")
                    .saml_assertion("PHNhbWw+")
                    .send(),
            )
            .unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(error, SdkError::TimeoutError(_)),
            "{}",
            describe_sdk_error(&error)
        );
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }

    /// A server that accepts and stays silent past the SDK's 5 s stall grace period, inside
    /// the deadlines: the deadline ends the call, and the text says no answer came within it
    /// (it was `timed out connecting (minimum throughput ...)`).
    #[test]
    fn silence_is_reported_as_no_answer_within_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
        });
        let deadline = Duration::from_millis(6500);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(deadline)
            .operation_timeout(deadline)
            .build();
        let sts = aws_sdk_sts::Client::new(&config(
            &crate::http::client(),
            "us-east-1",
            Some(url),
            timeouts,
        ));
        let error = runtime()
            .block_on(
                sts.assume_role_with_saml()
                    .role_arn("arn:aws:iam::123456789012:role/Admin")
                    .principal_arn("arn:aws:iam::123456789012:saml-provider/okta")
                    .saml_assertion("PHNhbWw+")
                    .send(),
            )
            .unwrap_err();
        let text = describe_sdk_error(&error);
        assert!(matches!(error, SdkError::TimeoutError(_)), "{text}");
        assert!(
            text.starts_with("timed out: no answer within the deadline (") && text.contains("6.5s"),
            "{text}"
        );
        assert!(!text.contains("throughput"), "{text}");
    }

    /// Failures without a service answer are one short line with the innermost cause.
    #[test]
    fn failures_are_described_in_one_short_line() {
        let refused = aws_sdk_sts::Client::new(&config(
            &crate::http::client(),
            "us-east-1",
            Some("http://127.0.0.1:1".into()),
            deadlines(&crate::http::client()),
        ));
        let error = runtime()
            .block_on(
                refused
                    .assume_role_with_saml()
                    .role_arn("arn:aws:iam::123456789012:role/Admin")
                    .principal_arn("arn:aws:iam::123456789012:saml-provider/okta")
                    .saml_assertion("PHNhbWw+")
                    .send(),
            )
            .unwrap_err();
        let described = describe_sdk_error(&error);
        assert!(described.starts_with("no connection: "), "{described}");
        assert!(described.contains("Connection refused"), "{described}");
        assert!(described.len() < 80, "{described}");
        assert!(may_pass_on_retry(&error));

        let bad_request = response(
            "400 Bad Request",
            "application/json",
            "x-amzn-ErrorType: InvalidRequestException\r\n",
            "{\"message\":\"bad account\"}",
        );
        let (url, _received) = serve(vec![bad_request]);
        let sso = sso_with(config(
            &crate::http::client(),
            "us-east-1",
            Some(url),
            deadlines(&crate::http::client()),
        ));
        let error = runtime()
            .block_on(
                sso.get_role_credentials()
                    .account_id("1")
                    .role_name("Dev")
                    .access_token("t")
                    .send(),
            )
            .unwrap_err();
        assert_eq!(
            describe_sdk_error(&error),
            "InvalidRequestException: bad account"
        );
        assert!(!may_pass_on_retry(&error), "a 400 cannot pass");
    }

    #[test]
    fn every_client_has_an_overall_deadline() {
        let timeouts = deadlines(&crate::http::client());
        let minute = Duration::from_secs(60);
        assert_eq!(deadlines_for(minute), timeouts, "P0_CALL_TIMEOUT is unset");
        let short = deadlines_for(Duration::from_secs(3));
        assert_eq!(short.operation_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(
            short.operation_attempt_timeout(),
            Some(Duration::from_secs(1))
        );
        assert_eq!(short.connect_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(minute / 3));
        assert_eq!(timeouts.operation_timeout(), Some(minute));
        let http = crate::http::client();
        let sts = sts(&http, "us-east-1");
        let oidc = sso_oidc(&http, "us-west-2");
        let sso = sso(&http, "us-west-2");
        assert_eq!(sts.config().timeout_config(), Some(&timeouts));
        assert_eq!(oidc.config().timeout_config(), Some(&timeouts));
        assert_eq!(sso.config().timeout_config(), Some(&timeouts));
        assert!(sts.config().sleep_impl().is_some());
        assert!(sso.config().http_client().is_some());
        assert_eq!(
            sso.config().retry_config().map(|r| r.max_attempts()),
            Some(1)
        );
        assert_eq!(sso.config().region().map(|r| r.as_ref()), Some("us-west-2"));
    }
}
