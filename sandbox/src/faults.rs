//! Injected faults (README "Faults") and the error bodies each real service answers with, so a
//! client under test sees a 500 or 429 exactly as it would from P0, Google, Okta or AWS.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub endpoint: String,
    /// How many calls it applies to; 0 means every call from now on.
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub close: bool,
    #[serde(default)]
    pub saml: Option<SamlFault>,
    #[serde(default)]
    pub invalid_grant: Option<String>,
    #[serde(default)]
    pub poll: Option<PollFault>,
    /// Answer with a redirect back to the same URL (a misconfigured app or proxy).
    #[serde(default)]
    pub redirect_loop: bool,
    /// Answer 200 with a body cut short in the service's own content type (JSON, or STS's
    /// XML), as a proxy that drops the end of an answer or a server that crashed mid-write
    /// sends; on `p0.poll`, a data line that is not JSON, then the end of the stream.
    #[serde(default)]
    pub malformed: bool,
    /// On `signin.token`: answer as AWS sign-in does for credentials that have expired, or
    /// for a `SessionDuration` it does not allow (both a 400, see [`signin_refusal`]).
    #[serde(default)]
    pub signin: Option<SigninFault>,
    /// With `"status": 429` on an Okta endpoint: when Okta's rate-limit window resets
    /// (`X-Rate-Limit-Reset`, epoch seconds), this many seconds from now. Okta's windows are a
    /// minute long, so 60 at most; 60 when not given.
    #[serde(default)]
    pub rate_limit_reset_secs: Option<u64>,
}

/// What a fault makes the sign-in federation endpoint's `getSigninToken` refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigninFault {
    /// The session's credentials count as expired, whatever their `Expiration`.
    Expired,
    /// A `SessionDuration` is refused (as for a role-chained session); none sent still works.
    Duration,
}

/// What a fault does to the poll stream (`p0.poll`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollFault {
    /// After the first heartbeat, bytes without a newline until the client goes away (a
    /// broken proxy or server that never ends a line).
    NoNewline,
    /// After the first heartbeat, nothing at all (no heartbeat, no data), the connection held
    /// open: a half-open connection after a VPN drop, or a proxy that buffers the stream.
    Silent,
    /// First a data line about another request (a denied one, with its own `id`), then the
    /// stream as usual: a proxy or server that mixes streams up.
    OtherRequest,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamlFault {
    Missing,
    Malformed,
    /// The AWS app encrypts its assertions (Okta's "Assertion Encryption" setting): an
    /// `EncryptedAssertion` whose roles only the service provider's key can read.
    Encrypted,
}

pub const ENDPOINTS: &[&str] = &[
    "p0.org",
    "p0.account",
    "p0.aws_config",
    "p0.db_config",
    "p0.command",
    "p0.poll",
    "firebase.sign_in",
    "firebase.refresh",
    "firebase.lookup",
    "okta.device_authorize",
    "okta.device_token",
    "okta.token_exchange",
    "okta.sso",
    "google.authorize",
    "google.token",
    "entra.authorize",
    "entra.token",
    "entra.refresh",
    "ping.device_authorize",
    "ping.device_token",
    "idp.sign_in",
    "firebase.sign_in_password",
    "oidc.register",
    "oidc.device_authorization",
    "oidc.token",
    "sso.role_credentials",
    "sso.list_account_roles",
    "sts",
    "signin.token",
    "signin.login",
];

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        let known = ENDPOINTS.contains(&self.endpoint.as_str())
            || self
                .endpoint
                .strip_prefix("sts.")
                .is_some_and(|action| !action.is_empty());
        if !known {
            return Err(format!(
                "unknown fault endpoint {:?}; known: {}, sts.<Action>",
                self.endpoint,
                ENDPOINTS.join(", ")
            ));
        }
        if let Some(status) = self.status {
            if StatusCode::from_u16(status).is_err() || status < 400 {
                return Err(format!("fault status {status} is not an error status"));
            }
        }
        if self.saml.is_some() && self.endpoint != "okta.sso" {
            return Err("a `saml` fault applies only to okta.sso".into());
        }
        if self.invalid_grant.is_some() && self.endpoint != "okta.token_exchange" {
            return Err("an `invalid_grant` fault applies only to okta.token_exchange".into());
        }
        if self.poll.is_some() && self.endpoint != "p0.poll" {
            return Err("a `poll` fault applies only to p0.poll".into());
        }
        if self.rate_limit_reset_secs.is_some()
            && (self.status != Some(429) || !self.endpoint.starts_with("okta."))
        {
            return Err("`rate_limit_reset_secs` applies only with status 429 on okta.*".into());
        }
        if self.rate_limit_reset_secs.is_some_and(|secs| secs > 60) {
            return Err(
                "Okta's rate-limit windows are a minute: `rate_limit_reset_secs` <= 60".into(),
            );
        }
        if self.redirect_loop && self.endpoint != "okta.sso" {
            return Err("a `redirect_loop` fault applies only to okta.sso".into());
        }
        if self.signin.is_some() && self.endpoint != "signin.token" {
            return Err("a `signin` fault applies only to signin.token".into());
        }
        if self.malformed && self.endpoint.starts_with("signin.") {
            return Err("the sign-in endpoint's errors are status faults or `signin`".into());
        }
        if self.malformed && self.endpoint == "okta.sso" {
            return Err("okta.sso answers HTML: use `\"saml\": \"malformed\"`".into());
        }
        let effects = [
            self.status.is_some(),
            self.latency_ms.is_some(),
            self.close,
            self.saml.is_some(),
            self.invalid_grant.is_some(),
            self.poll.is_some(),
            self.redirect_loop,
            self.malformed,
            self.signin.is_some(),
        ];
        if !effects.contains(&true) {
            return Err(format!("fault on {} has no effect", self.endpoint));
        }
        Ok(())
    }
}

/// Which real service's error conventions a failure must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    P0,
    Google,
    Okta,
    /// Identity Center (sso-oidc and the portal): JSON with `x-amzn-ErrorType`.
    AwsJson,
    /// STS's Query protocol: an XML ErrorResponse.
    AwsQuery,
    /// The AWS sign-in federation endpoint: an HTML error page.
    Signin,
}

/// Okta's rate-limit headers on a 429: the window's limit, nothing remaining, and its reset
/// in epoch seconds `reset_in_secs` from now. Okta sends no Retry-After.
pub fn okta_rate_limited(reset_in_secs: u64) -> Response {
    let mut response = status_response(Shape::Okta, 429);
    let reset = crate::tokens::now_secs() + reset_in_secs;
    let headers = response.headers_mut();
    headers.insert("x-rate-limit-limit", HeaderValue::from_static("600"));
    headers.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
    headers.insert("x-rate-limit-reset", HeaderValue::from(reset));
    response
}

/// The answer a real service gives with this status.
pub fn status_response(shape: Shape, status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = code.canonical_reason().unwrap_or("Error");
    let throttled = status == 429;
    match shape {
        // P0's rate limiter sits in front of the API and answers in plain text (the client
        // turns that into `HTTP Error: 429 Too Many Requests`, §3.1); the API itself answers
        // errors as `{error}`.
        Shape::P0 if throttled => (code, reason.to_string()).into_response(),
        Shape::P0 => (code, Json(json!({ "error": reason }))).into_response(),
        Shape::Google => {
            let (message, status_text) = if throttled {
                ("TOO_MANY_ATTEMPTS_TRY_LATER", "RESOURCE_EXHAUSTED")
            } else if status >= 500 {
                ("INTERNAL_ERROR", "INTERNAL")
            } else {
                ("INVALID_ARGUMENT", "INVALID_ARGUMENT")
            };
            google_error(code, message, status_text)
        }
        Shape::Okta => {
            let (error_code, summary) = match status {
                429 => (
                    "E0000047",
                    "API call exceeded rate limit due to too many requests.",
                ),
                403 => (
                    "E0000006",
                    "You do not have permission to perform the requested action",
                ),
                404 => ("E0000007", "Not found: Resource not found"),
                400..=499 => ("E0000001", "Api validation failed"),
                _ => ("E0000009", "Internal Server Error"),
            };
            let body = json!({
                "errorCode": error_code,
                "errorSummary": summary,
                "errorLink": error_code,
                "errorId": format!("oae{}", crate::tokens::random_alnum(19)),
                "errorCauses": [],
            });
            (code, Json(body)).into_response()
        }
        Shape::AwsJson => {
            let kind = match status {
                429 => "TooManyRequestsException",
                401 => "UnauthorizedException",
                403 => "ForbiddenException",
                404 => "ResourceNotFoundException",
                400..=499 => "InvalidRequestException",
                _ => "InternalServerException",
            };
            aws_json_error(code, kind, json!({ "message": reason }))
        }
        Shape::Signin => signin_error(code, reason, "The server could not answer the request."),
        Shape::AwsQuery => {
            let (kind, code_name) = match status {
                429 => ("Sender", "Throttling"),
                403 => ("Sender", "AccessDenied"),
                400..=499 => ("Sender", "InvalidParameterValue"),
                _ => ("Receiver", "InternalFailure"),
            };
            let body = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                 <Type>{kind}</Type><Code>{code_name}</Code><Message>{reason}</Message></Error>\
                 <RequestId>{}</RequestId></ErrorResponse>",
                crate::tokens::uuid()
            );
            (code, [("content-type", "text/xml")], body).into_response()
        }
    }
}

/// A 200 answer whose body is cut short: valid up to a point, then nothing (no closing
/// brace or tag), in the service's content type.
pub fn malformed_response(shape: Shape) -> Response {
    match shape {
        Shape::AwsQuery => (
            StatusCode::OK,
            [("content-type", "text/xml")],
            "<AssumeRoleWithSAMLResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <AssumeRoleWithSAMLResult><Credentials><AccessKeyId>ASIA",
        )
            .into_response(),
        Shape::AwsJson => {
            let mut response = (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"roleCredentials\": {\"accessKeyId\": \"ASIA",
            )
                .into_response();
            response.headers_mut().insert(
                "x-amzn-requestid",
                HeaderValue::from_str(&crate::tokens::uuid()).unwrap(),
            );
            response
        }
        Shape::P0 | Shape::Google | Shape::Okta | Shape::Signin => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"ok\": true, \"id\": \"",
        )
            .into_response(),
    }
}

/// The sign-in federation endpoint's error page: HTML, as its servlet container writes it
/// (users of the real endpoint quote `Invalid credentials parameter` / `The request sent by the
/// client was syntactically incorrect.` with a 400).
pub fn signin_error(code: StatusCode, message: &str, description: &str) -> Response {
    let body = format!(
        "<html><head><title>Error {status}</title></head><body><h1>HTTP Status {status} - \
         {message}</h1><p><b>type</b> Status report</p><p><b>message</b> {message}</p>\
         <p><b>description</b> {description}</p></body></html>",
        status = code.as_u16()
    );
    (code, [("content-type", "text/html;charset=utf-8")], body).into_response()
}

/// What `getSigninToken` answers for credentials it will not sign in with (unknown, expired)
/// and for a `SessionDuration` it does not allow: the same 400 for each.
pub fn signin_refusal() -> Response {
    signin_error(
        StatusCode::BAD_REQUEST,
        "Invalid credentials parameter",
        "The request sent by the client was syntactically incorrect.",
    )
}

/// Google's REST error shape (Identity Toolkit, Secure Token).
pub fn google_error(code: StatusCode, message: &str, status_text: &str) -> Response {
    let body = json!({
        "error": {
            "code": code.as_u16(),
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": "invalid"}],
            "status": status_text,
        }
    });
    (code, Json(body)).into_response()
}

/// An AWS JSON-protocol error: the type in `x-amzn-ErrorType` (which the SDKs classify by) and
/// in the body's `__type`.
pub fn aws_json_error(code: StatusCode, kind: &str, mut body: serde_json::Value) -> Response {
    if let Some(object) = body.as_object_mut() {
        object.insert("__type".into(), kind.into());
    }
    let mut response = (code, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(kind) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response.headers_mut().insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&crate::tokens::uuid()).unwrap(),
    );
    response
}
