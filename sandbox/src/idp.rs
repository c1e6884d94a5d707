//! The identity providers of non-Okta orgs, on one port (`idp` on the ready line), each at the
//! paths its real service uses so that only the base URL differs:
//!
//! - Google (`P0_GOOGLE_ENDPOINT_URL`): `GET /o/oauth2/v2/auth`, `POST /token`;
//! - Entra (`P0_MICROSOFT_ENDPOINT_URL`): `GET /{tenant}/oauth2/v2.0/authorize`,
//!   `POST /{tenant}/oauth2/v2.0/token` (codes and refresh tokens);
//! - PingOne (the org document's `providerDomain`): `POST /{env}/as/device_authorization`,
//!   `POST /{env}/as/token`.
//!
//! The authorize endpoints check the client, the loopback `redirect_uri` and the PKCE
//! challenge, then show a sign-in page whose form (submitted by its own script, as a person's
//! click would) redirects the browser to `redirect_uri` with a code, or with `access_denied`.
//! The token endpoints redeem a code once, within its lifetime, for the same client and
//! `redirect_uri`, and only with the verifier whose S256 hash is the challenge.

use crate::faults::Shape;
use crate::okta::oauth_error;
use crate::scenario::{Approval, LoginKind};
use crate::server::ConnKill;
use crate::state::{DeviceKind, DevicePoll, Shared, TokenKind};
use crate::tokens;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use sha2::Digest;
use std::collections::HashMap;
use std::time::Instant;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flavor {
    Google,
    Entra,
}

impl Flavor {
    fn endpoint(self, what: &str) -> String {
        match self {
            Flavor::Google => format!("google.{what}"),
            Flavor::Entra => format!("entra.{what}"),
        }
    }
}

/// An authorization in progress: asked for at the authorize endpoint, then a code.
#[derive(Clone, Debug)]
struct Authorization {
    flavor: Flavor,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    state: Option<String>,
    created: Instant,
    used: bool,
}

#[derive(Default)]
pub struct IdpState {
    /// Sign-in pages shown, by their transaction id.
    pending: HashMap<String, Authorization>,
    /// Codes issued, by code.
    codes: HashMap<String, Authorization>,
}

pub fn router(app: Shared) -> Router {
    Router::new().fallback(dispatch).with_state(app)
}

async fn dispatch(
    State(app): State<Shared>,
    kill: ConnKill,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let sc = &app.scenario;
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["o", "oauth2", "v2", "auth"]) => {
            authorize(&app, &kill, Flavor::Google, &query).await
        }
        ("POST", ["token"]) => token(&app, &kill, Flavor::Google, &headers, &body).await,
        ("GET", [tenant, "oauth2", "v2.0", "authorize"]) if *tenant == sc.login.tenant => {
            authorize(&app, &kill, Flavor::Entra, &query).await
        }
        ("POST", [tenant, "oauth2", "v2.0", "token"]) if *tenant == sc.login.tenant => {
            token(&app, &kill, Flavor::Entra, &headers, &body).await
        }
        ("POST", [env, "as", "device_authorization"]) if *env == sc.login.environment_id => {
            ping_device_authorize(&app, &kill, &headers, &body).await
        }
        ("POST", [env, "as", "token"]) if *env == sc.login.environment_id => {
            ping_token(&app, &kill, &headers, &body).await
        }
        ("GET", [env, "activate"]) if *env == sc.login.environment_id => Html(
            "<!DOCTYPE html><html><head><title>PingOne</title></head><body>\
             <h1>Activate your device</h1><p>This is the p0 sandbox; devices are approved by \
             its scenario or control port.</p></body></html>",
        )
        .into_response(),
        ("POST", ["signin"]) => sign_in(&app, &kill, &body).await,
        _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn error_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!DOCTYPE html><html><head><title>Sign-in error</title></head><body>\
             <h1>Sign-in error</h1><p>{}</p></body></html>",
            crate::saml::xml_escape(message)
        )),
    )
        .into_response()
}

/// A loopback redirect (RFC 8252 section 7.3: any port): Google registers `127.0.0.1`,
/// Entra `localhost`.
fn redirect_ok(flavor: Flavor, redirect_uri: &str) -> bool {
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return false;
    };
    let host = match flavor {
        Flavor::Google => "127.0.0.1",
        Flavor::Entra => "localhost",
    };
    url.scheme() == "http"
        && url.host_str() == Some(host)
        && url.port().is_some()
        && url.path() == "/"
        && url.query().is_none()
}

async fn authorize(
    app: &Shared,
    kill: &ConnKill,
    flavor: Flavor,
    query: &HashMap<String, String>,
) -> Response {
    if let Err(response) = app
        .enter(&flavor.endpoint("authorize"), Shape::Okta, kill)
        .await
    {
        return response;
    }
    let login = &app.scenario.login;
    let get = |name: &str| query.get(name).cloned().unwrap_or_default();
    let expected_kind = match flavor {
        Flavor::Google => matches!(login.kind, LoginKind::Google | LoginKind::GoogleOidc),
        Flavor::Entra => login.kind == LoginKind::Entra,
    };
    if !expected_kind || get("client_id") != login.client_id {
        return error_page("Error 401: invalid_client. The OAuth client was not found.");
    }
    let redirect_uri = get("redirect_uri");
    if !redirect_ok(flavor, &redirect_uri) {
        return error_page("Error 400: redirect_uri_mismatch");
    }
    // Past this point errors go back to the client, as the IdPs do.
    let challenge = get("code_challenge");
    let scope = get("scope");
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let problem = if get("response_type") != "code" {
        Some(("unsupported_response_type", "response_type must be code"))
    } else if get("code_challenge_method") != "S256" || !(43..=128).contains(&challenge.len()) {
        Some(("invalid_request", "PKCE with S256 is required"))
    } else if !scopes.contains(&"openid") || !scopes.contains(&"email") {
        Some(("invalid_scope", "openid and email are required"))
    } else {
        None
    };
    let state = query.get("state").cloned();
    if let Some((error, description)) = problem {
        return redirect(
            &redirect_uri,
            &[("error", error), ("error_description", description)],
            state.as_deref(),
        );
    }
    let transaction = tokens::random_b64url(24);
    app.idp
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pending
        .insert(
            transaction.clone(),
            Authorization {
                flavor,
                client_id: login.client_id.clone(),
                redirect_uri,
                challenge,
                scope,
                state,
                created: Instant::now(),
                used: false,
            },
        );
    let email = crate::saml::xml_escape(&app.scenario.user.email);
    Html(format!(
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>\
         <h1>Sign in</h1><p>Continue as <strong>{email}</strong> (p0 sandbox).</p>\
         <form id=\"signin\" method=\"post\" action=\"/signin\">\
         <input type=\"hidden\" name=\"txn\" value=\"{transaction}\">\
         <button type=\"submit\">Continue</button></form>\
         <script>document.getElementById('signin').submit();</script>\
         </body></html>"
    ))
    .into_response()
}

fn redirect(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut url = url::Url::parse(redirect_uri).expect("checked before");
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params {
            pairs.append_pair(k, v);
        }
        if let Some(state) = state {
            pairs.append_pair("state", state);
        }
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response()
}

/// The sign-in page's form: the person's answer, then the redirect to the client.
async fn sign_in(app: &Shared, kill: &ConnKill, body: &Bytes) -> Response {
    if let Err(response) = app.enter("idp.sign_in", Shape::Okta, kill).await {
        return response;
    }
    let fields: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let pending = fields.get("txn").and_then(|t| {
        app.idp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pending
            .remove(t)
    });
    let Some(authorization) = pending else {
        return error_page("This sign-in has expired or was already completed.");
    };
    let login = &app.scenario.login;
    let state = if login.wrong_state {
        Some(tokens::random_b64url(24))
    } else {
        authorization.state.clone()
    };
    if login.approval == Approval::Deny {
        let description = match authorization.flavor {
            Flavor::Google => "The user denied access.",
            Flavor::Entra => "AADSTS65004: User declined to consent to access the app.",
        };
        return redirect(
            &authorization.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", description),
            ],
            state.as_deref(),
        );
    }
    let code = match authorization.flavor {
        Flavor::Google => format!("4/0A{}", tokens::random_b64url(48)),
        Flavor::Entra => format!("1.A{}", tokens::random_b64url(96)),
    };
    app.record_secret(&code);
    let redirect_uri = authorization.redirect_uri.clone();
    app.idp
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .codes
        .insert(
            code.clone(),
            Authorization {
                created: Instant::now(),
                ..authorization
            },
        );
    redirect(&redirect_uri, &[("code", &code)], state.as_deref())
}

fn form(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, Response> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded.",
        ));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

async fn token(
    app: &Shared,
    kill: &ConnKill,
    flavor: Flavor,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let fields: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let refresh = fields.get("grant_type").map(String::as_str) == Some("refresh_token");
    let endpoint = if refresh && flavor == Flavor::Entra {
        flavor.endpoint("refresh")
    } else {
        flavor.endpoint("token")
    };
    if let Err(response) = app.enter(&endpoint, Shape::Okta, kill).await {
        return response;
    }
    let fields = match form(headers, body) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let login = &app.scenario.login;
    let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let bad =
        |error: &str, description: &str| oauth_error(StatusCode::BAD_REQUEST, error, description);
    if get("client_id") != login.client_id {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    // Google's installed-app clients send their (public) secret.
    if flavor == Flavor::Google && get("client_secret") != login.client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    match get("grant_type").as_str() {
        "authorization_code" => {}
        "refresh_token" if flavor == Flavor::Entra => {
            return match app.valid_token(&get("refresh_token"), &[TokenKind::IdpRefresh]) {
                Ok(_) => issue(app, flavor, "openid profile email offline_access"),
                Err(_) => bad(
                    "invalid_grant",
                    "AADSTS700082: The refresh token has expired due to inactivity.",
                ),
            };
        }
        _ => return bad("unsupported_grant_type", "The grant type is not supported."),
    }
    let code = get("code");
    let authorization = {
        let mut idp = app.idp.lock().unwrap_or_else(|e| e.into_inner());
        match idp.codes.get_mut(&code) {
            Some(a) if a.flavor == flavor => {
                let was_used = a.used;
                a.used = true;
                Some((a.clone(), was_used))
            }
            _ => None,
        }
    };
    let invalid_code = match flavor {
        Flavor::Google => "Malformed auth code.",
        Flavor::Entra => "AADSTS9002313: Invalid request. Request is malformed or invalid.",
    };
    let Some((authorization, was_used)) = authorization else {
        return bad("invalid_grant", invalid_code);
    };
    if was_used {
        return bad(
            "invalid_grant",
            match flavor {
                Flavor::Google => "Bad Request",
                Flavor::Entra => "AADSTS54005: OAuth2 Authorization code was already redeemed.",
            },
        );
    }
    if authorization.created.elapsed().as_secs() >= login.code_lifetime_secs {
        return bad(
            "invalid_grant",
            match flavor {
                Flavor::Google => "Bad Request",
                Flavor::Entra => {
                    "AADSTS70008: The provided authorization code or refresh token has expired."
                }
            },
        );
    }
    if get("redirect_uri") != authorization.redirect_uri
        || authorization.client_id != get("client_id")
    {
        return bad("invalid_grant", "redirect_uri_mismatch");
    }
    if challenge_of(&get("code_verifier")) != authorization.challenge {
        return bad(
            "invalid_grant",
            match flavor {
                Flavor::Google => "Invalid code verifier.",
                Flavor::Entra => "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            },
        );
    }
    issue(app, flavor, &authorization.scope)
}

/// The token answer of a sign-in or refresh: an id token (JWT), an access token and, for
/// Entra with `offline_access`, a new refresh token.
fn issue(app: &Shared, flavor: Flavor, scope: &str) -> Response {
    let sc = &app.scenario;
    let lifetime = sc.login.access_token_lifetime_secs;
    let now = tokens::now_secs();
    let issuer = match flavor {
        Flavor::Google => "https://accounts.google.com".to_string(),
        Flavor::Entra => format!("{}/{}/v2.0", app.urls.idp, sc.login.tenant),
    };
    let id_token = tokens::jwt(
        "RS256",
        &tokens::random_hex(20),
        &json!({
            "iss": issuer, "aud": sc.login.client_id, "sub": app.okta_user_id,
            "email": sc.user.email, "email_verified": true, "iat": now, "exp": now + lifetime,
        }),
    );
    let access_token = match flavor {
        Flavor::Google => format!("ya29.{}", tokens::random_b64url(120)),
        Flavor::Entra => tokens::jwt(
            "RS256",
            &tokens::random_hex(20),
            &json!({"aud": "00000003-0000-0000-c000-000000000000", "iss": issuer,
                    "iat": now, "exp": now + lifetime, "scp": scope}),
        ),
    };
    app.register_token(&access_token, TokenKind::IdpAccess, lifetime, None);
    app.register_token(&id_token, TokenKind::IdpId, lifetime, None);
    let mut answer = json!({
        "access_token": access_token,
        "expires_in": lifetime,
        "id_token": id_token,
        "scope": scope,
        "token_type": "Bearer",
    });
    if flavor == Flavor::Entra && scope.split_whitespace().any(|s| s == "offline_access") {
        let refresh_token = format!("0.A{}", tokens::random_b64url(150));
        app.register_token(&refresh_token, TokenKind::IdpRefresh, 90 * 24 * 3600, None);
        answer["refresh_token"] = refresh_token.into();
        answer["ext_expires_in"] = lifetime.into();
    }
    Json(answer).into_response()
}

async fn ping_device_authorize(
    app: &Shared,
    kill: &ConnKill,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    if let Err(response) = app.enter("ping.device_authorize", Shape::Okta, kill).await {
        return response;
    }
    let fields = match form(headers, body) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let login = &app.scenario.login;
    if login.kind != LoginKind::Ping || fields.get("client_id") != Some(&login.client_id) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Request denied: Unsupported authentication method",
        );
    }
    let scope = fields.get("scope").cloned().unwrap_or_default();
    if !scope.split_whitespace().any(|s| s == "openid") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "openid is required",
        );
    }
    let (device_code, user_code) =
        app.new_device(DeviceKind::Ping, &login.client_id, scope, &login.device);
    let activate = format!("{}/{}/activate", app.urls.idp, login.environment_id);
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": activate,
        "verification_uri_complete": format!("{activate}?user_code={user_code}"),
        "expires_in": login.device.expires_in,
        "interval": login.device.interval,
    }))
    .into_response()
}

async fn ping_token(app: &Shared, kill: &ConnKill, headers: &HeaderMap, body: &Bytes) -> Response {
    if let Err(response) = app.enter("ping.device_token", Shape::Okta, kill).await {
        return response;
    }
    let fields = match form(headers, body) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let login = &app.scenario.login;
    let bad =
        |error: &str, description: &str| oauth_error(StatusCode::BAD_REQUEST, error, description);
    if fields.get("grant_type").map(String::as_str) != Some(DEVICE_GRANT) {
        return bad("unsupported_grant_type", "The grant type is not supported.");
    }
    let device_code = fields.get("device_code").cloned().unwrap_or_default();
    let client_id = fields.get("client_id").cloned().unwrap_or_default();
    let device = match app.poll_device(DeviceKind::Ping, &device_code, &client_id) {
        DevicePoll::Granted(device) => device,
        DevicePoll::Pending => {
            return bad("authorization_pending", "The authorization is pending.")
        }
        DevicePoll::SlowDown => return bad("slow_down", "Slow down."),
        DevicePoll::Denied => return bad("access_denied", "The user denied the request."),
        DevicePoll::Expired => return bad("expired_token", "The device code has expired."),
        DevicePoll::Invalid => return bad("invalid_grant", "The device code is invalid."),
    };
    let sc = &app.scenario;
    let lifetime = login.access_token_lifetime_secs;
    let now = tokens::now_secs();
    let issuer = format!("{}/{}/as", app.urls.idp, login.environment_id);
    let id_token = tokens::jwt(
        "RS256",
        &tokens::random_hex(20),
        &json!({"iss": issuer, "aud": login.client_id, "sub": app.okta_user_id,
                "email": sc.user.email, "iat": now, "exp": now + lifetime}),
    );
    let access_token = tokens::jwt(
        "RS256",
        &tokens::random_hex(20),
        &json!({"iss": issuer, "client_id": login.client_id, "sub": app.okta_user_id,
                "scope": device.detail, "iat": now, "exp": now + lifetime}),
    );
    app.register_token(&access_token, TokenKind::IdpAccess, lifetime, None);
    app.register_token(&id_token, TokenKind::IdpId, lifetime, None);
    Json(json!({
        "access_token": access_token,
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": device.detail,
    }))
    .into_response()
}
