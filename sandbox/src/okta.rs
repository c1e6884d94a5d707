//! Okta's org authorization server (protocol §2.2, §5.2, §5.3): the device authorization
//! grant, the RFC 8693 exchange for a web SSO token, and the AWS app's SAML post page.

use crate::faults::{SamlFault, Shape};
use crate::saml;
use crate::scenario::{Backend, GrantKind};
use crate::server::ConnKill;
use crate::state::{DeviceKind, DevicePoll, Shared, TokenKind};
use crate::tokens;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::collections::HashMap;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const WEB_SSO_TOKEN_TYPE: &str = "urn:okta:oauth:token-type:web_sso_token";
const WEB_SSO_TOKEN_LIFETIME_SECS: u64 = 300;
/// Scopes the org authorization server knows; anything else is `invalid_scope`.
const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "address",
    "phone",
    "groups",
    "offline_access",
    "device_sso",
    "okta.apps.sso",
];

pub fn router(app: Shared) -> Router {
    Router::new()
        .route("/oauth2/v1/device/authorize", post(device_authorize))
        .route("/oauth2/v1/token", post(token))
        .route("/login/token/sso", get(sso_page))
        .route(
            "/login/login.htm",
            get(|| async { Html(saml::sign_in_page()) }),
        )
        .route("/activate", get(activate_page))
        .with_state(app)
}

pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Invalid value for 'client_id' parameter.",
    )
}

/// Okta's OAuth endpoints take only form posts.
fn form(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, Response> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request must use the 'application/x-www-form-urlencoded' content type.",
        ));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

async fn device_authorize(
    State(app): State<Shared>,
    kill: ConnKill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = app.enter("okta.device_authorize", Shape::Okta, &kill).await {
        return response;
    }
    let fields = match form(&headers, &body) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let okta = &app.scenario.okta;
    if fields.get("client_id") != Some(&okta.client_id) {
        return invalid_client();
    }
    let scope = fields.get("scope").cloned().unwrap_or_default();
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if !scopes.contains(&"openid") || scopes.iter().any(|s| !KNOWN_SCOPES.contains(s)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        );
    }
    let (device_code, user_code) = app.new_device(
        DeviceKind::Okta,
        &okta.client_id,
        scopes.join(" "),
        &okta.device,
    );
    let activate = format!("{}/activate", app.urls.okta);
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": activate,
        "verification_uri_complete": format!("{activate}?user_code={user_code}"),
        "expires_in": okta.device.expires_in,
        "interval": okta.device.interval,
    }))
    .into_response()
}

async fn activate_page(Query(query): Query<HashMap<String, String>>) -> Html<String> {
    let code = saml::xml_escape(query.get("user_code").map(String::as_str).unwrap_or(""));
    Html(format!(
        "<!DOCTYPE html><html><head><title>Activate your device</title></head><body>\
         <h1>Activate your device</h1><p>Confirm this code: <strong>{code}</strong></p>\
         <p>This is the p0 sandbox; devices are approved by its scenario or control port.</p>\
         </body></html>"
    ))
}

async fn token(
    State(app): State<Shared>,
    kill: ConnKill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = url::form_urlencoded::parse(&body)
        .into_owned()
        .collect::<HashMap<String, String>>();
    let (endpoint, exchange) = match fields.get("grant_type").map(String::as_str) {
        Some(TOKEN_EXCHANGE_GRANT) => ("okta.token_exchange", true),
        Some(DEVICE_GRANT) => ("okta.device_token", false),
        _ => {
            app.count("okta.token");
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            );
        }
    };
    let fault = match app.enter(endpoint, Shape::Okta, &kill).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let fields = match form(&headers, &body) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    if fields.get("client_id") != Some(&app.scenario.okta.client_id) {
        return invalid_client();
    }
    if exchange && app.scenario.okta.classic_engine {
        // Web SSO tokens are an Identity Engine feature: a Classic Engine org's authorization
        // server does not offer the token-exchange grant at all.
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server. \
             Configured grant types: [authorization_code, refresh_token, \
             urn:ietf:params:oauth:grant-type:device_code].",
        );
    }
    if exchange {
        let invalid_grant = fault.and_then(|f| f.invalid_grant);
        token_exchange(&app, &fields, invalid_grant)
    } else {
        device_token(&app, &fields)
    }
}

fn device_token(app: &Shared, fields: &HashMap<String, String>) -> Response {
    let okta = &app.scenario.okta;
    let Some(device_code) = fields.get("device_code") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The device_code parameter is required.",
        );
    };
    let bad =
        |error: &str, description: &str| oauth_error(StatusCode::BAD_REQUEST, error, description);
    let device = match app.poll_device(DeviceKind::Okta, device_code, &okta.client_id) {
        DevicePoll::Granted(device) => device,
        DevicePoll::Pending => {
            return bad(
                "authorization_pending",
                "The device authorization is pending. Please try again later.",
            )
        }
        DevicePoll::SlowDown => {
            return bad(
                "slow_down",
                "The client is polling too frequently. Increase the polling interval.",
            )
        }
        DevicePoll::Denied => {
            return bad(
                "access_denied",
                "The resource owner or authorization server denied the request.",
            )
        }
        DevicePoll::Expired => return bad("expired_token", "The device code has expired."),
        DevicePoll::Invalid => {
            return bad(
                "invalid_grant",
                "The device code is invalid or has expired.",
            )
        }
    };
    let scope = device.detail;
    let lifetime = okta.access_token_lifetime_secs;
    let now = tokens::now_secs();
    let issuer = &app.urls.okta;
    let email = &app.scenario.user.email;
    let access_token = tokens::jwt(
        "RS256",
        &tokens::random_alnum(43),
        &json!({
            "ver": 1,
            "jti": format!("AT.{}", tokens::random_b64url(32)),
            "iss": issuer,
            "aud": issuer,
            "iat": now,
            "exp": now + lifetime,
            "cid": okta.client_id,
            "uid": app.okta_user_id,
            "scp": scope.split_whitespace().collect::<Vec<_>>(),
            "auth_time": now,
            "sub": email,
            "email": email,
        }),
    );
    let id_token = tokens::jwt(
        "RS256",
        &tokens::random_alnum(43),
        &json!({
            "sub": app.okta_user_id,
            "email": email,
            "email_verified": true,
            "preferred_username": email,
            "ver": 1,
            "iss": issuer,
            "aud": okta.client_id,
            "iat": now,
            "exp": now + lifetime,
            "jti": format!("ID.{}", tokens::random_b64url(32)),
            "amr": ["pwd"],
            "idp": format!("00o{}", tokens::random_alnum(17)),
            "auth_time": now,
            "at_hash": tokens::random_b64url(16),
        }),
    );
    app.register_token(
        &access_token,
        TokenKind::OktaAccess,
        lifetime,
        Some(scope.clone()),
    );
    app.register_token(&id_token, TokenKind::OktaId, lifetime, None);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "access_token": access_token,
        "scope": scope,
        "id_token": id_token,
    }))
    .into_response()
}

fn token_exchange(
    app: &Shared,
    fields: &HashMap<String, String>,
    invalid_grant_fault: Option<String>,
) -> Response {
    let bad_request = |error: &str, description: String| {
        oauth_error(StatusCode::BAD_REQUEST, error, &description)
    };
    for name in [
        "audience",
        "actor_token",
        "actor_token_type",
        "subject_token",
        "subject_token_type",
        "requested_token_type",
    ] {
        if fields.get(name).is_none_or(String::is_empty) {
            return bad_request(
                "invalid_request",
                format!("The '{name}' parameter is required."),
            );
        }
    }
    for (name, expected) in [
        ("actor_token_type", ACCESS_TOKEN_TYPE),
        ("subject_token_type", ID_TOKEN_TYPE),
        ("requested_token_type", WEB_SSO_TOKEN_TYPE),
    ] {
        if fields[name] != expected {
            return bad_request(
                "invalid_request",
                format!("The '{name}' parameter value is not supported."),
            );
        }
    }
    let audience = &fields["audience"];
    let app_id = audience.strip_prefix("urn:okta:apps:").filter(|id| {
        app.scenario.accounts.iter().any(|a| {
            a.installed
                && a.backend == Backend::OktaSaml
                && app.app_id_of(a).as_deref() == Some(*id)
        })
    });
    let Some(app_id) = app_id else {
        return bad_request(
            "invalid_request",
            format!("The 'audience' parameter value '{audience}' is invalid."),
        );
    };
    if let Some(description) = invalid_grant_fault {
        return bad_request("invalid_grant", description);
    }
    let actor = match app.valid_token(&fields["actor_token"], &[TokenKind::OktaAccess]) {
        Ok(actor) => actor,
        Err(_) => {
            return bad_request(
                "invalid_grant",
                "The 'actor_token' is invalid or has expired.".into(),
            )
        }
    };
    if !actor
        .audience
        .as_deref()
        .is_some_and(|scope| scope.split_whitespace().any(|s| s == "okta.apps.sso"))
    {
        return bad_request(
            "invalid_grant",
            "The 'actor_token' was not issued with the 'okta.apps.sso' scope.".into(),
        );
    }
    if app
        .valid_token(&fields["subject_token"], &[TokenKind::OktaId])
        .is_err()
    {
        return bad_request(
            "invalid_grant",
            "The 'subject_token' is invalid or has expired.".into(),
        );
    }
    let now = tokens::now_secs();
    let web_sso_token = tokens::jwt(
        "RS256",
        &tokens::random_alnum(43),
        &json!({
            "ver": 1,
            "jti": format!("WS.{}", tokens::random_b64url(32)),
            "iss": app.urls.okta,
            "aud": audience,
            "iat": now,
            "exp": now + WEB_SSO_TOKEN_LIFETIME_SECS,
            "uid": app.okta_user_id,
            "sub": app.scenario.user.email,
        }),
    );
    app.register_token(
        &web_sso_token,
        TokenKind::WebSso,
        WEB_SSO_TOKEN_LIFETIME_SECS,
        Some(app_id.to_string()),
    );
    Json(json!({
        "access_token": web_sso_token,
        "issued_token_type": WEB_SSO_TOKEN_TYPE,
        "token_type": "N_A",
        "expires_in": WEB_SSO_TOKEN_LIFETIME_SECS,
    }))
    .into_response()
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `GET /login/token/sso?token=`: a valid, unused web SSO token gets the AWS app's post page
/// with an assertion for the roles assigned right now; anything else lands on the sign-in
/// page (no SAMLResponse), as in a browser without an Okta session.
async fn sso_page(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = match app.enter("okta.sso", Shape::Okta, &kill).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let token = query.get("token").map(String::as_str).unwrap_or("");
    if fault.as_ref().is_some_and(|f| f.redirect_loop) {
        // Back to this very page, as a misconfigured app or proxy does, forever.
        let again = format!("/login/token/sso?token={}", urlencoding(token));
        return (StatusCode::FOUND, [(header::LOCATION, again)]).into_response();
    }
    let info = match app.valid_token(token, &[TokenKind::WebSso]) {
        Ok(info) if app.use_once(token) => info,
        _ => {
            return Redirect::to("/login/login.htm?fromURI=%2Fapp%2Famazon_aws%2Fsso%2Fsaml")
                .into_response()
        }
    };
    match fault.and_then(|f| f.saml) {
        Some(SamlFault::Missing) => return Html(saml::sign_in_page()).into_response(),
        Some(SamlFault::Encrypted) => {
            let xml = saml::encrypted_response_xml(&info.audience.clone().unwrap_or_default());
            let saml_response = tokens::base64_standard(xml.as_bytes());
            app.record_secret(&saml_response);
            return Html(saml::post_form_page(
                Some(&saml_response),
                saml::AWS_SAML_ENDPOINT,
            ))
            .into_response();
        }
        Some(SamlFault::Malformed) => {
            let garbage = tokens::base64_standard(
                b"<saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\"><saml2p:Sta",
            );
            return Html(saml::post_form_page(
                Some(&garbage),
                saml::AWS_SAML_ENDPOINT,
            ))
            .into_response();
        }
        None => {}
    }
    let app_id = info.audience.unwrap_or_default();
    let mut roles = Vec::new();
    // One app posts to one sign-in endpoint: its first account's.
    let mut action = None;
    for account in
        app.scenario.accounts.iter().filter(|a| {
            a.backend == Backend::OktaSaml && app.app_id_of(a).as_deref() == Some(&app_id)
        })
    {
        action.get_or_insert_with(|| account.saml_action());
        let partition = &account.partition;
        let provider = format!(
            "arn:{partition}:iam::{}:saml-provider/{}",
            account.id,
            account.identity_provider.as_deref().unwrap_or_default()
        );
        for role in account.roles.keys() {
            if app.is_assigned(&account.id, GrantKind::Role, role) {
                roles.push((
                    provider.clone(),
                    format!("arn:{partition}:iam::{}:role/{role}", account.id),
                ));
            }
        }
    }
    let action = action.unwrap_or_else(|| saml::AWS_SAML_ENDPOINT.to_string());
    let xml = saml::response_xml(&saml::Assertion {
        destination: &action,
        issuer_app: &app_id,
        email: &app.scenario.user.email,
        roles,
        session_duration_secs: app.scenario.credential_lifetime_secs,
    });
    let saml_response = tokens::base64_standard(xml.as_bytes());
    app.record_secret(&saml_response);
    Html(saml::post_form_page(Some(&saml_response), &action)).into_response()
}
