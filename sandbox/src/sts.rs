//! The STS endpoint: a proxy that forwards every request to moto verbatim (method, path,
//! query, headers, body), counting `sts` and `sts.<Action>` and applying faults on the way.

use crate::faults::{status_response, Shape};
use crate::server::ConnKill;
use crate::state::Shared;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::time::Duration;

const MAX_BODY: usize = 16 * 1024 * 1024;

pub fn router(app: Shared) -> Router {
    Router::new().fallback(proxy).with_state(app)
}

/// Headers that describe one hop, not the message, and so are not forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

/// A Query-protocol parameter (`Action`, `WebIdentityToken`), from the query string or a form
/// body.
fn parameter(name: &str, query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Option<String> {
    let from = |data: &[u8]| {
        url::form_urlencoded::parse(data)
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    if let Some(found) = query.and_then(|q| from(q.as_bytes())) {
        return Some(found);
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    is_form.then(|| from(body)).flatten()
}

/// The access key id a SigV4 `Authorization` header names (`Credential=AKID/date/...`).
fn signing_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let credential = value.split("Credential=").nth(1)?;
    Some(credential.split('/').next()?.to_string())
}

async fn proxy(State(app): State<Shared>, kill: ConnKill, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return status_response(Shape::AwsQuery, 413);
    };
    let query = parts.uri.query();
    let action = parameter("Action", query, &parts.headers, &body);
    if action.as_deref() == Some("AssumeRoleWithWebIdentity") {
        // What the client sent, for tests of token rotation (moto does not check tokens).
        let token = parameter("WebIdentityToken", query, &parts.headers, &body);
        app.record_web_identity_token(token.unwrap_or_default());
    }
    // AssumeRole signed with the keys of a role session this STS issued: role chaining.
    let chained = action.as_deref() == Some("AssumeRole")
        && signing_key(&parts.headers).is_some_and(|key| app.session(&key).is_some());
    app.count("sts");
    let action_endpoint = action.as_ref().map(|a| format!("sts.{a}"));
    if let Some(endpoint) = &action_endpoint {
        app.count(endpoint);
    }
    let mut endpoints = vec!["sts"];
    endpoints.extend(action_endpoint.as_deref());
    if let Some(fault) = app.take_fault(&endpoints) {
        if let Err(response) = crate::state::apply_fault(fault, Shape::AwsQuery, &kill, false).await
        {
            return response;
        }
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let url = format!("{}{}", app.urls.moto, path_and_query);
    let mut upstream = app
        .http
        .request(parts.method.clone(), &url)
        .timeout(Duration::from_secs(60))
        .body(body);
    for (name, value) in parts.headers.iter() {
        if !hop_by_hop(name) {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("p0-sandbox: sts proxy: moto did not answer: {e}");
            return status_response(Shape::AwsQuery, 502);
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !hop_by_hop(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    match answer.bytes().await {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            for tag in ["SecretAccessKey", "SessionToken"] {
                if let Some(value) = crate::idc::xml_text(&text, tag) {
                    app.record_secret(value);
                }
            }
            if status.is_success() {
                crate::signin::record_sts_answer(&app, &text, chained);
            }
            (status, headers, Body::from(bytes)).into_response()
        }
        Err(_) => status_response(Shape::AwsQuery, 502),
    }
}
