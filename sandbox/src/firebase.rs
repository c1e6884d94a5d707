//! Firebase Auth as its emulator serves it (protocol §2.5): Identity Toolkit `signInWithIdp`
//! and `lookup`, Secure Token `token`, all under one `host:port` with the service host as the
//! first path segment (`FIREBASE_AUTH_EMULATOR_HOST`).

use crate::faults::{google_error, Shape};
use crate::server::ConnKill;
use crate::state::{Shared, TokenError, TokenKind};
use crate::tokens;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Refresh tokens outlive everything a test does; only `POST /expire` ends them.
const REFRESH_TOKEN_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

pub fn router(app: Shared) -> Router {
    Router::new()
        .route(
            "/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp",
            post(sign_in_with_idp),
        )
        .route(
            "/identitytoolkit.googleapis.com/v1/accounts:lookup",
            post(lookup),
        )
        .route(
            "/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword",
            post(sign_in_with_password),
        )
        .route("/securetoken.googleapis.com/v1/token", post(refresh))
        .fallback(|| async { google_error(StatusCode::NOT_FOUND, "Not Found", "NOT_FOUND") })
        .with_state(app)
}

fn bad_request(message: &str) -> Response {
    google_error(StatusCode::BAD_REQUEST, message, "INVALID_ARGUMENT")
}

/// The API key, as `?key=` or (as Google also takes it) the `x-goog-api-key` header.
fn check_key(
    app: &Shared,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let header = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match query.get("key").cloned().or(header) {
        Some(key) if *key == app.firebase_api_key => Ok(()),
        _ => Err(bad_request(
            "API key not valid. Please pass a valid API key.",
        )),
    }
}

fn json_body(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| bad_request("Invalid JSON payload received."))
}

/// A fresh Firebase ID token for the user, registered for the bearer check.
fn mint_id_token(app: &Shared) -> String {
    let sc = &app.scenario;
    let now = tokens::now_secs();
    let lifetime = sc.firebase.id_token_lifetime_secs;
    let project = &app.firebase_project;
    let provider = app.firebase_provider_id();
    let mut identities = serde_json::Map::new();
    if provider != "password" {
        identities.insert(provider.clone(), json!([app.okta_user_id]));
    }
    identities.insert("email".into(), json!([sc.user.email]));
    let claims = json!({
        "iss": format!("https://securetoken.google.com/{project}"),
        "aud": project,
        "auth_time": now,
        "user_id": app.firebase_uid,
        "sub": app.firebase_uid,
        "iat": now,
        "exp": now + lifetime,
        "email": sc.user.email,
        "email_verified": true,
        "firebase": {
            "identities": identities,
            "sign_in_provider": provider,
            "tenant": sc.tenant_id,
        },
    });
    let token = tokens::jwt("RS256", &tokens::random_hex(20), &claims);
    app.register_token(&token, TokenKind::FirebaseId, lifetime, None);
    token
}

async fn sign_in_with_idp(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = app.enter("firebase.sign_in", Shape::Google, &kill).await {
        return response;
    }
    if let Err(response) = check_key(&app, &query, &headers) {
        return response;
    }
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let sc = &app.scenario;
    if body["requestUri"].as_str().is_none_or(str::is_empty) {
        return bad_request("MISSING_REQUEST_URI");
    }
    match body["tenantId"].as_str() {
        Some(tenant) if tenant == sc.tenant_id => {}
        // The Okta provider exists only inside the org's tenant.
        None => {
            return bad_request("INVALID_PROVIDER_ID : Provider Id is not enabled in this project.")
        }
        Some(_) => return bad_request("TENANT_NOT_FOUND"),
    }
    let Some(post_body) = body["postBody"].as_str() else {
        return bad_request("MISSING_POST_BODY");
    };
    let fields: HashMap<String, String> = url::form_urlencoded::parse(post_body.as_bytes())
        .into_owned()
        .collect();
    let provider_id = app.firebase_provider_id();
    if sc.login.kind == crate::scenario::LoginKind::Password
        || fields.get("providerId") != Some(&provider_id)
    {
        return bad_request("INVALID_PROVIDER_ID : Provider Id is not supported.");
    }
    let Some(id_token) = fields.get("id_token") else {
        return bad_request("INVALID_IDP_RESPONSE : Missing id_token in the postBody.");
    };
    match app.valid_token(id_token, &[app.provider_token_kinds().1]) {
        Ok(_) => {}
        Err(TokenError::Expired) => {
            return bad_request(
                "INVALID_IDP_RESPONSE : The supplied auth credential is malformed or has expired.",
            )
        }
        Err(TokenError::Unknown) => {
            return bad_request(
                "INVALID_IDP_RESPONSE : Invalid ID token: the signature could not be verified.",
            )
        }
    }
    let raw_user_info = json!({
        "sub": app.okta_user_id,
        "email": sc.user.email,
        "email_verified": true,
    });
    if sc.login.different_provider {
        // The email is already an account's of another provider: Firebase asks to link them
        // and issues no token.
        return Json(json!({
            "kind": "identitytoolkit#VerifyAssertionResponse",
            "federatedId": app.okta_user_id,
            "providerId": provider_id,
            "email": sc.user.email,
            "needConfirmation": true,
            "verifiedProvider": ["password"],
        }))
        .into_response();
    }
    let mut answer = json!({
        "kind": "identitytoolkit#VerifyAssertionResponse",
        "federatedId": app.okta_user_id,
        "providerId": provider_id,
        "email": sc.user.email,
        "emailVerified": true,
        "localId": app.firebase_uid,
        "tenantId": sc.tenant_id,
        "rawUserInfo": raw_user_info.to_string(),
        "oauthIdToken": id_token,
    });
    if body["returnSecureToken"].as_bool() == Some(true) {
        let refresh_token = format!("AMf-vB{}", tokens::random_alnum(180));
        app.register_token(
            &refresh_token,
            TokenKind::FirebaseRefresh,
            REFRESH_TOKEN_LIFETIME_SECS,
            None,
        );
        answer["idToken"] = mint_id_token(&app).into();
        answer["refreshToken"] = refresh_token.into();
        answer["expiresIn"] = sc.firebase.id_token_lifetime_secs.to_string().into();
    }
    Json(answer).into_response()
}

/// Email and password sign-in (password orgs). With email enumeration protection on, as
/// Firebase now defaults, a wrong email and a wrong password are both
/// `INVALID_LOGIN_CREDENTIALS`.
async fn sign_in_with_password(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = app
        .enter("firebase.sign_in_password", Shape::Google, &kill)
        .await
    {
        return response;
    }
    if let Err(response) = check_key(&app, &query, &headers) {
        return response;
    }
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let sc = &app.scenario;
    app.record_secret(&sc.login.password);
    if body["tenantId"].as_str() != Some(sc.tenant_id.as_str()) {
        return bad_request("INVALID_LOGIN_CREDENTIALS");
    }
    if sc.login.kind != crate::scenario::LoginKind::Password {
        return bad_request("PASSWORD_LOGIN_DISABLED");
    }
    let (Some(email), Some(password)) = (body["email"].as_str(), body["password"].as_str()) else {
        return bad_request("MISSING_PASSWORD");
    };
    if email != sc.user.email || password != sc.login.password {
        return bad_request("INVALID_LOGIN_CREDENTIALS");
    }
    let refresh_token = format!("AMf-vB{}", tokens::random_alnum(180));
    app.register_token(
        &refresh_token,
        TokenKind::FirebaseRefresh,
        REFRESH_TOKEN_LIFETIME_SECS,
        None,
    );
    let mut answer = json!({
        "kind": "identitytoolkit#VerifyPasswordResponse",
        "localId": app.firebase_uid,
        "email": sc.user.email,
        "displayName": "",
        "registered": true,
        "refreshToken": refresh_token,
        "expiresIn": sc.firebase.id_token_lifetime_secs.to_string(),
    });
    answer["idToken"] = mint_id_token(&app).into();
    Json(answer).into_response()
}

async fn lookup(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = app.enter("firebase.lookup", Shape::Google, &kill).await {
        return response;
    }
    if let Err(response) = check_key(&app, &query, &headers) {
        return response;
    }
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(id_token) = body["idToken"].as_str() else {
        return bad_request("MISSING_ID_TOKEN");
    };
    if app.valid_token(id_token, &[TokenKind::FirebaseId]).is_err() {
        return bad_request("INVALID_ID_TOKEN");
    }
    let sc = &app.scenario;
    let now_ms = tokens::now_millis().to_string();
    Json(json!({
        "kind": "identitytoolkit#GetAccountInfoResponse",
        "users": [{
            "localId": app.firebase_uid,
            "email": sc.user.email,
            "emailVerified": true,
            "providerUserInfo": [{
                "providerId": app.firebase_provider_id(),
                "federatedId": app.okta_user_id,
                "email": sc.user.email,
                "rawId": app.okta_user_id,
            }],
            "validSince": tokens::now_secs().to_string(),
            "lastLoginAt": now_ms,
            "createdAt": now_ms,
            "lastRefreshAt": tokens::iso8601(tokens::now_secs()),
            "tenantId": sc.tenant_id,
        }]
    }))
    .into_response()
}

/// Secure Token takes a form (as the JS SDK sends it) or JSON.
fn refresh_fields(headers: &HeaderMap, body: &Bytes) -> HashMap<String, String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        serde_json::from_slice::<HashMap<String, Value>>(body)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect()
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    }
}

async fn refresh(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = app.enter("firebase.refresh", Shape::Google, &kill).await {
        return response;
    }
    if let Err(response) = check_key(&app, &query, &headers) {
        return response;
    }
    let fields = refresh_fields(&headers, &body);
    if fields.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return bad_request("INVALID_GRANT_TYPE");
    }
    let Some(refresh_token) = fields.get("refresh_token") else {
        return bad_request("MISSING_REFRESH_TOKEN");
    };
    if app
        .valid_token(refresh_token, &[TokenKind::FirebaseRefresh])
        .is_err()
    {
        return bad_request("INVALID_REFRESH_TOKEN");
    }
    let id_token = mint_id_token(&app);
    Json(json!({
        "access_token": id_token,
        "expires_in": app.scenario.firebase.id_token_lifetime_secs.to_string(),
        "token_type": "Bearer",
        "refresh_token": refresh_token,
        "id_token": id_token,
        "user_id": app.firebase_uid,
        "project_id": "584732519362",
    }))
    .into_response()
}
