//! The AWS sign-in federation endpoint (`/federation`), as "Enable custom identity broker access
//! to the AWS console" (IAM User Guide) documents it, and a stand-in for the console it signs
//! in to.
//!
//! - `GET /federation?Action=getSigninToken&SessionDuration=N&Session={json}`: the session's
//!   `sessionId`, `sessionKey` and `sessionToken` must be a role session this sandbox's STS
//!   issued (through the counting proxy, or for the Identity Center portal) and not expired;
//!   `SessionDuration` is 900 to 43200 and refused for a role-chained session. Answers
//!   `{"SigninToken": "..."}`, valid 15 minutes; every refusal is the same 400 page.
//! - `GET /federation?Action=login&Issuer=..&Destination=..&SigninToken=..`: a valid token and a
//!   console URL of an AWS partition as `Destination` open a console session (a cookie) and
//!   redirect to `/console`, the page that names the account and role.

use crate::faults::{signin_error, signin_refusal, SigninFault};
use crate::server::ConnKill;
use crate::state::{ConsoleSession, IssuedSession, Shared, SigninToken};
use crate::tokens;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

/// How long a sign-in token can be used (the guide: "valid for 15 minutes").
const TOKEN_LIFETIME_SECS: u64 = 15 * 60;
/// `SessionDuration`'s range (15 minutes to 12 hours).
const DURATION_RANGE: std::ops::RangeInclusive<u64> = 900..=43_200;
/// The console session cookie.
const COOKIE: &str = "aws-console-session";

pub fn router(app: Shared) -> Router {
    Router::new()
        .route("/federation", get(federation))
        .route("/console", get(console))
        .with_state(app)
}

/// Records a role session from STS's XML answer (AssumeRole, AssumeRoleWithSAML,
/// AssumeRoleWithWebIdentity), so the federation endpoint accepts its credentials.
pub fn record_sts_answer(app: &Shared, xml: &str, chained: bool) {
    let text = |tag| crate::idc::xml_text(xml, tag);
    let (Some(key), Some(secret), Some(token), Some(expiration), Some(arn)) = (
        text("AccessKeyId"),
        text("SecretAccessKey"),
        text("SessionToken"),
        text("Expiration"),
        text("Arn"),
    ) else {
        return;
    };
    let Ok(expires) =
        time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
    else {
        return;
    };
    app.record_session(
        key,
        IssuedSession {
            secret_access_key: secret.to_string(),
            session_token: token.to_string(),
            expires_at: expires.unix_timestamp().max(0) as u64,
            arn: arn.to_string(),
            chained,
        },
    );
}

async fn federation(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match query.get("Action").map(String::as_str) {
        Some("getSigninToken") => signin_token(app, kill, query).await,
        Some("login") => login(app, kill, query).await,
        _ => signin_error(
            StatusCode::BAD_REQUEST,
            "Invalid Action parameter",
            "The request sent by the client was syntactically incorrect.",
        ),
    }
}

async fn signin_token(app: Shared, kill: ConnKill, query: HashMap<String, String>) -> Response {
    let fault = match app
        .enter("signin.token", crate::faults::Shape::Signin, &kill)
        .await
    {
        Ok(fault) => fault.and_then(|f| f.signin),
        Err(response) => return response,
    };
    let Some(session) = query
        .get("Session")
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
    else {
        return signin_refusal();
    };
    let field = |name| session.get(name).and_then(serde_json::Value::as_str);
    let (Some(key), Some(secret), Some(token)) = (
        field("sessionId"),
        field("sessionKey"),
        field("sessionToken"),
    ) else {
        return signin_refusal();
    };
    let Some(issued) = app
        .session(key)
        .filter(|s| s.secret_access_key == secret && s.session_token == token)
    else {
        eprintln!("p0-sandbox: signin: credentials this STS did not issue");
        return signin_refusal();
    };
    if issued.expires_at <= tokens::now_secs() || fault == Some(SigninFault::Expired) {
        eprintln!("p0-sandbox: signin: expired credentials");
        return signin_refusal();
    }
    let duration = match query.get("SessionDuration") {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(seconds) if DURATION_RANGE.contains(&seconds) => {
                if issued.chained || fault == Some(SigninFault::Duration) {
                    eprintln!("p0-sandbox: signin: SessionDuration not allowed for this session");
                    return signin_refusal();
                }
                Some(seconds)
            }
            _ => {
                eprintln!("p0-sandbox: signin: SessionDuration out of range");
                return signin_refusal();
            }
        },
    };
    // Real sign-in tokens are long opaque strings of URL-safe characters.
    let signin_token = tokens::random_b64url(384);
    app.record_secret(&signin_token);
    app.add_signin_token(
        &signin_token,
        SigninToken {
            session: issued,
            issued_at: tokens::now_secs(),
            duration,
        },
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "SigninToken": signin_token }).to_string(),
    )
        .into_response()
}

/// Whether `url` is an https URL on an AWS partition's console host (or a regional one).
fn is_console_url(url: &str) -> bool {
    const CONSOLE_HOSTS: [&str; 4] = [
        "console.aws.amazon.com",
        "console.amazonaws-us-gov.com",
        "console.amazonaws.cn",
        "console.amazonaws-eusc.eu",
    ];
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    url.scheme() == "https"
        && CONSOLE_HOSTS
            .iter()
            .any(|c| host == *c || host.ends_with(&format!(".{c}")))
}

async fn login(app: Shared, kill: ConnKill, query: HashMap<String, String>) -> Response {
    if let Err(response) = app
        .enter("signin.login", crate::faults::Shape::Signin, &kill)
        .await
    {
        return response;
    }
    let now = tokens::now_secs();
    let Some(signin) = query
        .get("SigninToken")
        .and_then(|token| app.signin_token(token))
        .filter(|t| now < t.issued_at + TOKEN_LIFETIME_SECS)
    else {
        return signin_error(
            StatusCode::BAD_REQUEST,
            "Invalid SigninToken parameter",
            "The sign-in token is invalid or has expired.",
        );
    };
    let Some(destination) = query.get("Destination").filter(|d| is_console_url(d)) else {
        return signin_error(
            StatusCode::BAD_REQUEST,
            "Invalid Destination parameter",
            "The destination is not a console URL.",
        );
    };
    let ends_at = match signin.duration {
        Some(seconds) => signin.issued_at + seconds,
        None => signin.session.expires_at,
    };
    let cookie = tokens::random_b64url(32);
    app.record_secret(&cookie);
    app.add_console_session(
        &cookie,
        ConsoleSession {
            session: signin.session,
            destination: destination.clone(),
            ends_at,
        },
    );
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, "/console".to_string()),
            (
                header::SET_COOKIE,
                format!("{COOKIE}={cookie}; Path=/; HttpOnly"),
            ),
        ],
    )
        .into_response()
}

/// The stand-in console: which account and role the browser is signed in as.
async fn console(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(String::from)
        });
    let Some(console) = cookie
        .and_then(|c| app.console_session(&c))
        .filter(|c| tokens::now_secs() < c.ends_at)
    else {
        return (
            StatusCode::UNAUTHORIZED,
            Html("<html><body><h1>Not signed in</h1></body></html>".to_string()),
        )
            .into_response();
    };
    let (account, role, session) = console.session.principal();
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    Html(format!(
        "<!doctype html><html><head><title>AWS Management Console (p0-sandbox)</title></head>\
         <body><h1>AWS Management Console</h1><dl>\
         <dt>Account</dt><dd id=\"account\">{}</dd>\
         <dt>Role</dt><dd id=\"role\">{}</dd>\
         <dt>Session</dt><dd id=\"session\">{}</dd>\
         <dt>Destination</dt><dd id=\"destination\">{}</dd>\
         <dt>Session ends</dt><dd id=\"ends\">{}</dd></dl></body></html>",
        escape(&account),
        escape(&role),
        escape(&session),
        escape(&console.destination),
        tokens::iso8601(console.ends_at),
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_console_urls_of_a_partition() {
        assert!(is_console_url("https://console.aws.amazon.com/"));
        assert!(is_console_url(
            "https://us-west-2.console.aws.amazon.com/s3/home?region=us-west-2"
        ));
        assert!(is_console_url("https://console.amazonaws.cn/ec2/home"));
        assert!(!is_console_url("http://console.aws.amazon.com/"));
        assert!(!is_console_url(
            "https://evil.example/console.aws.amazon.com"
        ));
        assert!(!is_console_url("https://notconsole.aws.amazon.com/"));
    }

    #[test]
    fn the_principal_comes_from_the_assumed_role_arn() {
        let session = IssuedSession {
            secret_access_key: String::new(),
            session_token: String::new(),
            expires_at: 0,
            arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com".into(),
            chained: false,
        };
        assert_eq!(
            session.principal(),
            (
                "123456789012".into(),
                "Admin".into(),
                "alice@example.com".into()
            )
        );
    }
}
