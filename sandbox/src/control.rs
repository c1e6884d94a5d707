//! The control port (README "Control port"): call counts, faults, device approval and token
//! expiry, for tests to steer and observe the services.

use crate::faults::{Fault, ENDPOINTS};
use crate::scenario::{Backend, GrantKind, Policy};
use crate::state::{Shared, TokenKind};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router(app: Shared) -> Router {
    Router::new()
        .route("/calls", get(calls))
        .route("/calls/reset", post(reset_calls))
        .route("/endpoints", get(endpoints))
        .route("/faults", post(add_faults))
        .route("/faults/clear", post(clear_faults))
        .route("/device/pending", get(pending_devices))
        .route("/device/approve", post(approve_devices))
        .route("/expire", post(expire))
        .route("/accounts/reinstall", post(reinstall))
        .route("/revoke", post(revoke))
        .route("/secrets", get(secrets))
        .route("/services/stop", post(stop_service))
        .route("/services/start", post(start_service))
        .with_state(app)
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

fn body_json(body: &Bytes) -> Result<Value, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid JSON: {e}")))
}

async fn calls(State(app): State<Shared>) -> Json<Value> {
    let (counts, commands) = app.calls();
    Json(json!({
        "counts": counts,
        "commands": commands,
        "web_identity_tokens": app.web_identity_tokens(),
    }))
}

/// The endpoint names counts and faults use, so a client need not keep its own copy.
async fn endpoints() -> Json<Value> {
    Json(json!(ENDPOINTS))
}

async fn secrets(State(app): State<Shared>) -> Json<Value> {
    Json(json!(app.secrets()))
}

async fn stop_service(State(app): State<Shared>, body: Bytes) -> Response {
    switch_service(&app, body, false)
}

async fn start_service(State(app): State<Shared>, body: Bytes) -> Response {
    switch_service(&app, body, true)
}

/// `{"service": NAME}`: stops or starts that service's port.
fn switch_service(app: &Shared, body: Bytes, up: bool) -> Response {
    let value = match body_json(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let name = value.get("service").and_then(Value::as_str).unwrap_or("");
    if !app.set_service(name, up) {
        return bad_request(format!(
            "\"service\" must be one of {}; got {name:?}",
            crate::state::SERVICES.join(", ")
        ));
    }
    Json(json!({ "ok": true })).into_response()
}

async fn reset_calls(State(app): State<Shared>) -> Json<Value> {
    app.reset_calls();
    Json(json!({ "ok": true }))
}

/// Parses one fault object or an array of them, checking each.
pub fn parse_faults(value: Value) -> Result<Vec<Fault>, String> {
    let faults: Vec<Fault> = if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|fault| vec![fault])
    }
    .map_err(|e| format!("invalid fault: {e}"))?;
    for fault in &faults {
        fault.validate()?;
    }
    Ok(faults)
}

async fn add_faults(State(app): State<Shared>, body: Bytes) -> Response {
    let value = match body_json(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    match parse_faults(value) {
        Ok(faults) => {
            let added = faults.len();
            app.add_faults(faults);
            Json(json!({ "ok": true, "added": added })).into_response()
        }
        Err(message) => bad_request(message),
    }
}

async fn clear_faults(State(app): State<Shared>) -> Json<Value> {
    let cleared = app.clear_faults();
    Json(json!({ "ok": true, "cleared": cleared }))
}

async fn pending_devices(State(app): State<Shared>) -> Json<Value> {
    let pending: Vec<Value> = app
        .pending_devices()
        .into_iter()
        .map(|(kind, user_code)| json!({ "kind": kind.name(), "user_code": user_code }))
        .collect();
    Json(Value::Array(pending))
}

async fn approve_devices(State(app): State<Shared>, body: Bytes) -> Response {
    let value = match body_json(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let user_code = value.get("user_code").and_then(Value::as_str);
    let approved = app.approve_devices(user_code);
    if user_code.is_some() && approved == 0 {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no pending device authorization has that user code" })),
        )
            .into_response();
    }
    Json(json!({ "ok": true, "approved": approved })).into_response()
}

async fn expire(State(app): State<Shared>, body: Bytes) -> Response {
    let value = match body_json(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let what = value.get("what").and_then(Value::as_str).unwrap_or("");
    if what == "idc_instance" {
        // The instance was deleted and created again: its registrations and tokens are gone.
        app.forget_idc_clients();
        app.expire(TokenKind::group("idc").unwrap_or_default());
        return Json(json!({ "ok": true })).into_response();
    }
    match TokenKind::group(what) {
        Some(kinds) => {
            app.expire(kinds);
            Json(json!({ "ok": true })).into_response()
        }
        None => bad_request(format!(
            "\"what\" must be okta, okta_web_sso, firebase, firebase_refresh, idc, idc_instance, idp, idp_refresh or all; got {what:?}"
        )),
    }
}

/// `{"account": ID, "app_id": NEW}`: an admin reinstalled the okta-saml account's Okta AWS
/// app. P0's account config names the new id; Okta refuses the old one (the token exchange's
/// `audience` is invalid).
async fn reinstall(State(app): State<Shared>, body: Bytes) -> Response {
    let value = match body_json(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let account_id = value.get("account").and_then(Value::as_str).unwrap_or("");
    let app_id = value.get("app_id").and_then(Value::as_str).unwrap_or("");
    let known = app
        .scenario
        .account(account_id)
        .is_some_and(|a| a.backend == crate::scenario::Backend::OktaSaml);
    if !known || app_id.is_empty() {
        return bad_request(format!(
            "\"account\" must name an okta-saml account and \"app_id\" a new app id; got {value}"
        ));
    }
    app.reinstall_app(account_id, app_id);
    Json(json!({ "ok": true })).into_response()
}

/// `{"account": ID, "name": NAME, "then": POLICY}`: the user no longer holds that role (Okta
/// SAML account) or permission set (Identity Center account); later requests for it follow
/// `then` when given.
async fn revoke(State(app): State<Shared>, body: Bytes) -> Response {
    let value = match body_json(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let account_id = value.get("account").and_then(Value::as_str).unwrap_or("");
    let name = value.get("name").and_then(Value::as_str).unwrap_or("");
    let Some(account) = app.scenario.account(account_id) else {
        return bad_request(format!("no account {account_id:?} in the scenario"));
    };
    let kind = match account.backend {
        Backend::OktaSaml => GrantKind::Role,
        Backend::Idc => GrantKind::PermissionSet,
        Backend::Iam => return bad_request(format!("account {account_id} grants nothing")),
    };
    if !account.grantables(kind).contains_key(name) {
        return bad_request(format!(
            "account {account_id} has no {} {name:?}",
            kind.word()
        ));
    }
    let then = match value.get("then") {
        None | Some(Value::Null) => None,
        Some(policy) => match serde_json::from_value::<Policy>(policy.clone()) {
            Ok(policy) => Some(policy),
            Err(e) => return bad_request(format!("invalid \"then\" policy: {e}")),
        },
    };
    app.revoke(account_id, kind, name, then);
    Json(json!({ "ok": true })).into_response()
}
