//! AWS IAM Identity Center (protocol §6; the wire shapes the AWS SDKs and botocore accept): the
//! sso-oidc device flow, the portal's ListAccountRoles, and its GetRoleCredentials, whose
//! credentials come from moto's AssumeRole so STS recognises them.

use crate::faults::{aws_json_error, Shape};
use crate::scenario::{Backend, GrantKind};
use crate::server::ConnKill;
use crate::state::{DeviceKind, DevicePoll, IdcClient, Shared, TokenInfo, TokenKind};
use crate::tokens;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CLIENT_SECRET_LIFETIME_SECS: u64 = 90 * 24 * 3600;
const REFRESH_TOKEN_LIFETIME_SECS: u64 = 90 * 24 * 3600;

pub fn oidc_router(app: Shared) -> Router {
    Router::new()
        .route("/client/register", post(register_client))
        .route("/device_authorization", post(device_authorization))
        .route("/token", post(create_token))
        .with_state(app)
}

pub fn portal_router(app: Shared) -> Router {
    Router::new()
        .route("/federation/credentials", get(role_credentials))
        .route("/assignment/roles", get(account_roles))
        .with_state(app)
}

/// sso-oidc errors: the type in `x-amzn-ErrorType`, an OAuth `error` in the body.
fn oidc_error(status: StatusCode, kind: &str, error: &str, description: &str) -> Response {
    aws_json_error(
        status,
        kind,
        json!({ "error": error, "error_description": description }),
    )
}

fn invalid_request(description: &str) -> Response {
    oidc_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "invalid_request",
        description,
    )
}

fn invalid_client() -> Response {
    oidc_error(
        StatusCode::UNAUTHORIZED,
        "InvalidClientException",
        "invalid_client",
        "Invalid client provided",
    )
}

fn json_object(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| invalid_request("The request body is not a JSON object"))
}

fn string_field<'a>(body: &'a Value, name: &str) -> Result<&'a str, Response> {
    body[name]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_request(&format!("{name} is required")))
}

async fn register_client(State(app): State<Shared>, kill: ConnKill, body: Bytes) -> Response {
    if let Err(response) = app.enter("oidc.register", Shape::AwsJson, &kill).await {
        return response;
    }
    let body = match json_object(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Err(response) = string_field(&body, "clientName") {
        return response;
    }
    match string_field(&body, "clientType") {
        Ok("public") => {}
        Ok(_) => {
            return oidc_error(
                StatusCode::BAD_REQUEST,
                "InvalidClientMetadataException",
                "invalid_client_metadata",
                "Only public clients are supported",
            )
        }
        Err(response) => return response,
    }
    let issued_at = tokens::now_secs();
    let client_id = tokens::random_b64url(33);
    let client_secret = tokens::jwt(
        "HS384",
        "key-1564028099",
        &json!({"serialized": tokens::random_b64url(180)}),
    );
    let expires_at = issued_at + CLIENT_SECRET_LIFETIME_SECS;
    app.record_secret(&client_secret);
    app.register_idc_client(
        &client_id,
        IdcClient {
            secret: client_secret.clone(),
            expires_at,
        },
    );
    Json(json!({
        "clientId": client_id,
        "clientSecret": client_secret,
        "clientIdIssuedAt": issued_at,
        "clientSecretExpiresAt": expires_at,
    }))
    .into_response()
}

fn check_client(app: &Shared, body: &Value) -> Result<String, Response> {
    let client_id = string_field(body, "clientId")?;
    let secret = string_field(body, "clientSecret")?;
    if !app.idc_client_ok(client_id, secret) {
        return Err(invalid_client());
    }
    Ok(client_id.to_string())
}

async fn device_authorization(State(app): State<Shared>, kill: ConnKill, body: Bytes) -> Response {
    if let Err(response) = app
        .enter("oidc.device_authorization", Shape::AwsJson, &kill)
        .await
    {
        return response;
    }
    let body = match json_object(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let client_id = match check_client(&app, &body) {
        Ok(client_id) => client_id,
        Err(response) => return response,
    };
    let start_url = match string_field(&body, "startUrl") {
        Ok(start_url) => start_url,
        Err(response) => return response,
    };
    let account = app
        .scenario
        .accounts
        .iter()
        .find(|a| a.backend == Backend::Idc && a.start_url().as_deref() == Some(start_url));
    let Some(account) = account else {
        return invalid_request("Invalid start URL");
    };
    let settings = &app.scenario.idc.device;
    let store = account.identity_store_id.clone().unwrap_or_default();
    let region = account.idc_region.as_deref().unwrap_or("us-east-1");
    let (device_code, user_code) = app.new_device(DeviceKind::Idc, &client_id, store, settings);
    let verification = format!("https://device.sso.{region}.amazonaws.com/");
    Json(json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": verification,
        "verificationUriComplete": format!("{verification}?user_code={user_code}"),
        "expiresIn": settings.expires_in,
        "interval": settings.interval,
    }))
    .into_response()
}

async fn create_token(State(app): State<Shared>, kill: ConnKill, body: Bytes) -> Response {
    if let Err(response) = app.enter("oidc.token", Shape::AwsJson, &kill).await {
        return response;
    }
    let body = match json_object(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let client_id = match check_client(&app, &body) {
        Ok(client_id) => client_id,
        Err(response) => return response,
    };
    let (identity_store, refresh_token) = match body["grantType"].as_str() {
        Some(DEVICE_GRANT) => match device_grant(&app, &body, &client_id) {
            Ok(identity_store) => (identity_store, None),
            Err(response) => return response,
        },
        // As botocore's SSO token provider renews an expired access token.
        Some("refresh_token") => {
            let token = match string_field(&body, "refreshToken") {
                Ok(token) => token,
                Err(response) => return response,
            };
            match app.valid_token(token, &[TokenKind::IdcRefresh]) {
                Ok(info) => (info.audience.unwrap_or_default(), Some(token.to_string())),
                Err(_) => {
                    return oidc_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidGrantException",
                        "invalid_grant",
                        "Invalid refresh token provided",
                    )
                }
            }
        }
        _ => {
            return oidc_error(
                StatusCode::BAD_REQUEST,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                "Unsupported grant type",
            )
        }
    };
    let lifetime = app.scenario.idc.token_lifetime_secs;
    let access_token = format!("aoa{}", tokens::random_b64url(240));
    app.register_token(
        &access_token,
        TokenKind::IdcAccess,
        lifetime,
        Some(identity_store.clone()),
    );
    let refresh_token = refresh_token.unwrap_or_else(|| {
        let token = format!("aor{}", tokens::random_b64url(240));
        app.register_token(
            &token,
            TokenKind::IdcRefresh,
            REFRESH_TOKEN_LIFETIME_SECS,
            Some(identity_store),
        );
        token
    });
    Json(json!({
        "accessToken": access_token,
        "tokenType": "Bearer",
        "expiresIn": lifetime,
        "refreshToken": refresh_token,
    }))
    .into_response()
}

/// A device-code poll; the identity store of its start URL once granted.
fn device_grant(app: &Shared, body: &Value, client_id: &str) -> Result<String, Response> {
    let device_code = string_field(body, "deviceCode")?;
    let bad = |kind: &str, error: &str, description: &str| {
        Err(oidc_error(
            StatusCode::BAD_REQUEST,
            kind,
            error,
            description,
        ))
    };
    match app.poll_device(DeviceKind::Idc, device_code, client_id) {
        DevicePoll::Granted(device) => Ok(device.detail),
        DevicePoll::Pending => bad(
            "AuthorizationPendingException",
            "authorization_pending",
            "Authorization is still pending",
        ),
        DevicePoll::SlowDown => bad("SlowDownException", "slow_down", "Slow down"),
        DevicePoll::Denied => bad("AccessDeniedException", "access_denied", "Access denied"),
        DevicePoll::Expired => bad(
            "ExpiredTokenException",
            "expired_token",
            "Device code has expired",
        ),
        DevicePoll::Invalid => bad(
            "InvalidGrantException",
            "invalid_grant",
            "Invalid device code provided",
        ),
    }
}

/// The portal's sign-in check: the `x-amz-sso_bearer_token` header must hold a live Identity
/// Center access token, else the portal's 401.
fn portal_session(app: &Shared, headers: &HeaderMap) -> Result<TokenInfo, Response> {
    let token = headers
        .get("x-amz-sso_bearer_token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    app.valid_token(token, &[TokenKind::IdcAccess])
        .map_err(|_| {
            portal_error(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                "Session token not found or invalid",
            )
        })
}

fn portal_error(status: StatusCode, kind: &str, message: &str) -> Response {
    aws_json_error(status, kind, json!({ "message": message }))
}

async fn role_credentials(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = app
        .enter("sso.role_credentials", Shape::AwsJson, &kill)
        .await
    {
        return response;
    }
    let (Some(account_id), Some(role_name)) = (query.get("account_id"), query.get("role_name"))
    else {
        return portal_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "account_id and role_name are required",
        );
    };
    let token = match portal_session(&app, &headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    let account = app
        .scenario
        .account(account_id)
        .filter(|a| a.backend == Backend::Idc && a.identity_store_id == token.audience);
    let allowed = account.is_some_and(|a| {
        a.permission_sets.contains_key(role_name)
            && app.is_assigned(&a.id, GrantKind::PermissionSet, role_name)
    });
    let Some(account) = account.filter(|_| allowed) else {
        return portal_error(StatusCode::FORBIDDEN, "ForbiddenException", "No access");
    };
    let region = account.idc_region.as_deref().unwrap_or("us-east-1");
    let suffix = tokens::stable_hex16(&format!("{}/{role_name}", account.id));
    let role_arn = format!(
        "arn:aws:iam::{}:role/aws-reserved/sso.amazonaws.com/{region}/AWSReservedSSO_{role_name}_{suffix}",
        account.id
    );
    match assume_role(&app, &role_arn).await {
        Ok(credentials) => Json(json!({ "roleCredentials": credentials })).into_response(),
        Err(e) => {
            eprintln!("p0-sandbox: portal: AssumeRole on moto failed: {e}");
            portal_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                "Internal error",
            )
        }
    }
}

/// Page size when the request sets no `max_result` (botocore's model allows 1 to 100).
const DEFAULT_ROLE_PAGE: usize = 20;

/// ListAccountRoles (`GET /assignment/roles?account_id=&max_result=&next_token=`, bearer in
/// `x-amz-sso_bearer_token`): the permission sets assigned to the user in that account right
/// now, sorted, `{roleList: [{roleName, accountId}], nextToken}` (the token only when more
/// follow). An account of another identity store, or none, lists nothing.
async fn account_roles(
    State(app): State<Shared>,
    kill: ConnKill,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = app
        .enter("sso.list_account_roles", Shape::AwsJson, &kill)
        .await
    {
        return response;
    }
    let Some(account_id) = query.get("account_id").filter(|id| !id.is_empty()) else {
        return portal_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "account_id is required",
        );
    };
    let page_size = match query.get("max_result").map(|m| m.parse::<usize>()) {
        None => DEFAULT_ROLE_PAGE,
        Some(Ok(size)) if (1..=100).contains(&size) => size,
        Some(_) => {
            return portal_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                "max_result must be between 1 and 100",
            )
        }
    };
    let token = match portal_session(&app, &headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    let names: Vec<&String> = app
        .scenario
        .account(account_id)
        .filter(|a| a.backend == Backend::Idc && a.identity_store_id == token.audience)
        .map(|a| {
            a.permission_sets
                .keys()
                .filter(|name| app.is_assigned(&a.id, GrantKind::PermissionSet, name))
                .collect()
        })
        .unwrap_or_default();
    let start = match query.get("next_token").map(|t| role_page_start(t)) {
        None => 0,
        Some(Some(start)) if start <= names.len() => start,
        Some(_) => {
            return portal_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                "Invalid next token",
            )
        }
    };
    let end = (start + page_size).min(names.len());
    let roles: Vec<Value> = names[start..end]
        .iter()
        .map(|name| json!({ "roleName": name, "accountId": account_id }))
        .collect();
    let mut answer = json!({ "roleList": roles });
    if end < names.len() {
        answer["nextToken"] = json!(tokens::base64_standard(format!("roles:{end}").as_bytes()));
    }
    Json(answer).into_response()
}

/// Where the page a `next_token` names starts (the token is opaque to clients).
fn role_page_start(token: &str) -> Option<usize> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("roles:")?
        .parse()
        .ok()
}

/// The text of `<tag>` in moto's XML answer.
pub(crate) fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// AssumeRole on moto, straight to moto (not through the counting proxy: these calls are
/// the portal's, not the client's). moto picks the STS backend from the SigV4 credential
/// scope and the account from the access key, so the request carries a well-formed (unchecked)
/// Authorization header with moto's default test key.
async fn assume_role(app: &Shared, role_arn: &str) -> Result<Value, String> {
    let now = time::OffsetDateTime::now_utc();
    let date = format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let amz_date = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{date}/us-east-1/sts/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, Signature={}",
        tokens::random_hex(32)
    );
    let form = [
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", app.scenario.user.email.as_str()),
        (
            "DurationSeconds",
            &app.scenario.credential_lifetime_secs.to_string(),
        ),
    ];
    let answer = app
        .http
        .post(format!("{}/", app.urls.moto))
        .header("authorization", authorization)
        .header("x-amz-date", amz_date)
        .form(&form)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status();
    let body = answer.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {body}"));
    }
    let field = |tag: &str| xml_text(&body, tag).ok_or_else(|| format!("no <{tag}> in {body}"));
    let expiration = field("Expiration")?;
    app.record_secret(field("SecretAccessKey")?);
    app.record_secret(field("SessionToken")?);
    // The portal's own long-term key assumed the role: not role chaining.
    crate::signin::record_sts_answer(app, &body, false);
    let expiration_ms =
        time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("bad Expiration {expiration:?}: {e}"))?
            .unix_timestamp_nanos()
            / 1_000_000;
    Ok(json!({
        "accessKeyId": field("AccessKeyId")?,
        "secretAccessKey": field("SecretAccessKey")?,
        "sessionToken": field("SessionToken")?,
        "expiration": expiration_ms as i64,
    }))
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn xml_text_finds_a_tag() {
        let xml = "<A><AccessKeyId>ASIA1</AccessKeyId></A>";
        assert_eq!(xml_text(xml, "AccessKeyId"), Some("ASIA1"));
        assert_eq!(xml_text(xml, "Missing"), None);
    }
}
