//! The P0 API (protocol §1.4, §3, §4, §9): org discovery, the login-time account check, the
//! AWS integration config, commands (`request`, `ls`) and the NDJSON poll stream.

use crate::faults::{PollFault, Shape};
use crate::scenario::{Account, Backend, Database, GrantKind, Outcome};
use crate::server::ConnKill;
use crate::state::{AccessRequest, Shared, TokenKind};
use crate::tokens;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

pub fn router(app: Shared) -> Router {
    Router::new()
        .route("/orgs/{org}", get(org_document))
        .route("/o/{org}/account", get(account))
        .route("/o/{org}/integrations/aws/config", get(aws_config))
        .route("/o/{org}/integrations/mysql/config", get(mysql_config))
        .route(
            "/o/{org}/integrations/postgres/config",
            get(postgres_config),
        )
        .route("/o/{org}/command/", post(command))
        .route("/o/{org}/command", post(command))
        .route("/o/{org}/command/{id}/poll", get(poll))
        .route("/cli/version", get(cli_version))
        .fallback(not_found)
        .with_state(app)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

async fn cli_version() -> Json<Value> {
    Json(json!({ "version": "0.27.0" }))
}

/// A JSON object that keeps insertion order (serde_json's map sorts without the
/// `preserve_order` feature, which would leak into the `p0` build through feature unification).
pub struct Ordered(pub Vec<(String, Value)>);

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The org document's `auth` for the scenario's kind of login, as P0 configures each.
fn auth_value(app: &Shared) -> Value {
    use crate::scenario::LoginKind;
    let sc = &app.scenario;
    let login = &sc.login;
    let provider = match login.kind {
        LoginKind::Okta => json!({
            "ssoProvider": "oidc-pkce",
            "providerType": "okta",
            "providerDomain": app.urls.okta,
            "clientId": sc.okta.client_id,
            "providerId": sc.okta.provider_id,
        }),
        LoginKind::Google => json!({"ssoProvider": "google"}),
        LoginKind::GoogleOidc => json!({"ssoProvider": "google-oidc"}),
        LoginKind::Entra => json!({
            "ssoProvider": "azure-oidc",
            "microsoftPrimaryDomain": login.tenant,
            "clientId": login.client_id,
            "providerId": login.provider_id,
        }),
        LoginKind::Ping => json!({
            "ssoProvider": "oidc-pkce",
            "providerType": "ping",
            "providerDomain": app.urls.idp,
            "environmentId": login.environment_id,
            "clientId": login.client_id,
            "providerId": login.provider_id,
        }),
        LoginKind::Password => return json!({"type": "password"}),
    };
    json!({"type": "sso", "provider": provider})
}

pub fn org_document_value(app: &Shared) -> Value {
    let sc = &app.scenario;
    let project = &app.firebase_project;
    let mut document = json!({
        "tenantId": sc.tenant_id,
        "auth": auth_value(app),
        "config": {
            "fs": {
                "apiKey": app.firebase_api_key,
                "authDomain": format!("{project}.firebaseapp.com"),
                "projectId": project,
                "storageBucket": format!("{project}.appspot.com"),
                "messagingSenderId": "584732519362",
                "appId": "1:584732519362:web:5c1f0e7b2a9d4c3e8f6a1b",
            },
            "appUrl": app.urls.p0,
            "environment": "sandbox",
            "contactMessage": "Please contact support@p0.dev for assistance.",
            "helpMessage": "For help, see https://docs.p0.dev or ask in #p0-help.",
        },
    });
    if sc.use_provider_token {
        document["useProviderToken"] = Value::Bool(true);
    }
    if matches!(
        sc.login.kind,
        crate::scenario::LoginKind::Google | crate::scenario::LoginKind::GoogleOidc
    ) {
        document["config"]["google"] = json!({
            "clientId": sc.login.client_id,
            "publicClientSecretForPkce": sc.login.client_secret,
        });
    }
    document
}

async fn org_document(
    State(app): State<Shared>,
    kill: ConnKill,
    Path(org): Path<String>,
) -> Response {
    if let Err(response) = app.enter("p0.org", Shape::P0, &kill).await {
        return response;
    }
    if org != app.scenario.org {
        return not_found().await;
    }
    Json(org_document_value(&app)).into_response()
}

/// Org in the path, then the bearer (§3.1): a Firebase ID token issued here, or the Okta
/// access token for a `useProviderToken` org.
fn authorize(app: &Shared, org: &str, headers: &HeaderMap) -> Result<(), Response> {
    if org != app.scenario.org {
        return Err(error(StatusCode::NOT_FOUND, "Not found"));
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let kind = if app.scenario.use_provider_token {
        app.provider_token_kinds().0
    } else {
        TokenKind::FirebaseId
    };
    match bearer.map(|token| app.valid_token(token, &[kind])) {
        Some(Ok(_)) => Ok(()),
        _ => Err(error(StatusCode::UNAUTHORIZED, "Unauthorized")),
    }
}

async fn account(
    State(app): State<Shared>,
    kill: ConnKill,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = app.enter("p0.account", Shape::P0, &kill).await {
        return response;
    }
    if let Err(response) = authorize(&app, &org, &headers) {
        return response;
    }
    Json(json!({
        "account": {
            "email": app.scenario.user.email,
            "uid": app.firebase_uid,
            "org": org,
            "roles": ["member"],
        }
    }))
    .into_response()
}

/// The §4 document as text: object order is scenario order (clients pick the subcommand
/// family from the first installed item), which a `serde_json::Value` would sort away.
pub fn aws_config_body(app: &Shared) -> String {
    let items = app
        .scenario
        .accounts
        .iter()
        .map(|account| (account.id.clone(), config_item(app, account)))
        .collect();
    let items = serde_json::to_string(&Ordered(items)).expect("JSON values serialize");
    format!("{{\"config\":{{\"iam-write\":{items}}}}}")
}

fn config_item(app: &Shared, account: &Account) -> Value {
    let login = match account.backend {
        Backend::OktaSaml => json!({
            "type": "federated",
            "provider": {
                "type": "okta",
                "appId": app.app_id_of(account),
                "identityProvider": account.identity_provider,
                "method": { "type": "saml" },
            }
        }),
        Backend::Idc => {
            let instance = tokens::stable_hex16(account.identity_store_id.as_deref().unwrap_or(""));
            json!({
                "type": "idc",
                "parent": account.id,
                "idcArn": format!("arn:aws:sso:::instance/ssoins-{instance}"),
                "idcRegion": account.idc_region,
                "identityStoreId": account.identity_store_id,
            })
        }
        Backend::Iam => json!({ "type": "iam", "identity": { "type": "email" } }),
    };
    let mut item = json!({
        "state": if account.installed { "installed" } else { "pending" },
        "login": login,
    });
    if let Some(label) = &account.label {
        item["label"] = Value::String(label.clone());
    }
    item
}

async fn aws_config(
    State(app): State<Shared>,
    kill: ConnKill,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = app.enter("p0.aws_config", Shape::P0, &kill).await {
        return response;
    }
    if let Err(response) = authorize(&app, &org, &headers) {
        return response;
    }
    let body = aws_config_body(&app);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A database integration's config (P0's `iam-write` items of `mysql` or `postgres`): by
/// instance id, its state, endpoint, port (a string) and RDS hosting.
pub fn db_config_value(app: &Shared, arch: &str) -> Value {
    let items: Map<String, Value> = app
        .scenario
        .databases
        .iter()
        .filter(|db| db.arch == arch)
        .map(|db| {
            let mut item = json!({
                "state": "installed",
                "hostname": db.hostname,
                "port": db.port,
                "hosting": {
                    "type": "aws-rds",
                    "databaseArn": db_arn(db),
                    "vpcId": db_vpc(db),
                },
            });
            if let Some(default_db) = &db.default_db {
                item["defaultDb"] = json!(default_db);
            }
            (db.id.clone(), item)
        })
        .collect();
    json!({ "config": { "iam-write": items } })
}

fn db_arn(db: &Database) -> String {
    let partition = app_partition(&db.region);
    format!(
        "arn:{partition}:rds:{}:{}:db:{}",
        db.region, db.account, db.id
    )
}

fn app_partition(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

fn db_vpc(db: &Database) -> String {
    format!("vpc-{}", &tokens::stable_hex16(&db.id)[..8])
}

async fn db_config(
    app: Shared,
    kill: ConnKill,
    org: String,
    headers: HeaderMap,
    arch: &str,
) -> Response {
    if let Err(response) = app.enter("p0.db_config", Shape::P0, &kill).await {
        return response;
    }
    if let Err(response) = authorize(&app, &org, &headers) {
        return response;
    }
    Json(db_config_value(&app, arch)).into_response()
}

async fn mysql_config(
    State(app): State<Shared>,
    kill: ConnKill,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    db_config(app, kill, org, headers, "mysql").await
}

async fn postgres_config(
    State(app): State<Shared>,
    kill: ConnKill,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    db_config(app, kill, org, headers, "postgres").await
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Request {
        kind: GrantKind,
        name: String,
        reason: Option<String>,
        account: Option<String>,
    },
    /// `request mysql|postgres role R|sql S [--instance I] [--database D]`.
    DbRequest {
        arch: String,
        access: DbAccess,
        instance: Option<String>,
        database: Option<String>,
        reason: Option<String>,
    },
    Ls {
        what: LsWhat,
        term: String,
        size: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DbAccess {
    Role(String),
    Sql(String),
}

const DB_REQUEST_HELP: &str = "p0 request <mysql|postgres> <role|sql> <value>

Request access to a database role, or to the privileges a SQL script needs

Positionals:
  value  The role, or the SQL script  [string] [required]

Options:
  --instance  P0 instance identifier  [string]
  --database  Database to access  [string]
  --reason    Why you need this access  [string]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LsWhat {
    Grant(GrantKind),
    Account,
}

const REQUEST_HELP: &str = "p0 request aws <role|permission-set> <name>

Request access to an AWS IAM role (Okta SAML) or Identity Center permission set

Positionals:
  name  The role or permission set to request  [string] [required]

Options:
  --reason   Why you need this access  [string]
  --account  AWS account ID or alias  [string]";

const LS_HELP: &str = "p0 ls aws <role|permission-set|account> [term]

List AWS resources you can request

Positionals:
  term  Only show items containing this text  [string]

Options:
  --size  Maximum number of items to return  [number]";

fn usage_error(help: &str, problem: &str) -> String {
    format!("{problem}\n\n{help}")
}

/// Positional words and `(option, value)` pairs.
type SplitArgs = (Vec<String>, Vec<(String, String)>);

/// Options in any order, as `--opt value` or `--opt=value`.
fn split_options(args: &[String], known: &[&str], help: &str) -> Result<SplitArgs, String> {
    let mut positionals = Vec::new();
    let mut options = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let Some(option) = arg.strip_prefix("--") else {
            positionals.push(arg.clone());
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (option, None),
        };
        if !known.contains(&name) {
            return Err(usage_error(help, &format!("Unknown argument: {name}")));
        }
        let value = match inline {
            Some(value) => value,
            None => iter.next().cloned().ok_or_else(|| {
                usage_error(help, &format!("Not enough arguments following: {name}"))
            })?,
        };
        options.push((name.to_string(), value));
    }
    Ok((positionals, options))
}

fn option(options: &[(String, String)], name: &str) -> Option<String> {
    options
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

fn grant_kind(word: &str) -> Option<GrantKind> {
    match word {
        "role" => Some(GrantKind::Role),
        "permission-set" => Some(GrantKind::PermissionSet),
        _ => None,
    }
}

fn parse_command(argv: &[String]) -> Result<Command, String> {
    match argv.first().map(String::as_str) {
        Some("request")
            if matches!(argv.get(1).map(String::as_str), Some("mysql" | "postgres")) =>
        {
            let (positionals, options) = split_options(
                &argv[1..],
                &["instance", "database", "reason"],
                DB_REQUEST_HELP,
            )?;
            let words: Vec<&str> = positionals.iter().map(String::as_str).collect();
            let (arch, access) = match words.as_slice() {
                [arch, "role", role] => (arch, DbAccess::Role(role.to_string())),
                [arch, "sql", sql] => (arch, DbAccess::Sql(sql.to_string())),
                [_, kind, _] => {
                    return Err(usage_error(
                        DB_REQUEST_HELP,
                        &format!("Unknown database access type: {kind}"),
                    ))
                }
                _ => {
                    return Err(usage_error(
                        DB_REQUEST_HELP,
                        "Not enough non-option arguments: got fewer than required",
                    ))
                }
            };
            Ok(Command::DbRequest {
                arch: arch.to_string(),
                access,
                instance: option(&options, "instance"),
                database: option(&options, "database"),
                reason: option(&options, "reason"),
            })
        }
        Some("request") => {
            let (positionals, options) =
                split_options(&argv[1..], &["reason", "account"], REQUEST_HELP)?;
            let words: Vec<&str> = positionals.iter().map(String::as_str).collect();
            match words.as_slice() {
                ["aws", kind, name] => {
                    let kind = grant_kind(kind).ok_or_else(|| {
                        usage_error(REQUEST_HELP, &format!("Unknown AWS access type: {kind}"))
                    })?;
                    Ok(Command::Request {
                        kind,
                        name: name.to_string(),
                        reason: option(&options, "reason"),
                        account: option(&options, "account"),
                    })
                }
                ["aws", _] | ["aws"] => Err(usage_error(
                    REQUEST_HELP,
                    "Not enough non-option arguments: got fewer than required",
                )),
                [other, ..] if *other != "aws" => Err(usage_error(
                    REQUEST_HELP,
                    &format!("Unknown resource type: {other}"),
                )),
                _ => Err(usage_error(REQUEST_HELP, "Unknown arguments")),
            }
        }
        Some("ls") => {
            let (positionals, options) = split_options(&argv[1..], &["size"], LS_HELP)?;
            let words: Vec<&str> = positionals.iter().map(String::as_str).collect();
            let (what, term) = match words.as_slice() {
                ["aws", what, rest @ ..] if rest.len() <= 1 => {
                    let what = match *what {
                        "account" => LsWhat::Account,
                        other => LsWhat::Grant(grant_kind(other).ok_or_else(|| {
                            usage_error(LS_HELP, &format!("Unknown AWS resource: {other}"))
                        })?),
                    };
                    (what, rest.first().unwrap_or(&"").to_string())
                }
                _ => return Err(usage_error(LS_HELP, "Unknown arguments")),
            };
            let size = match option(&options, "size") {
                None => 15,
                Some(value) => value.parse().map_err(|_| {
                    usage_error(
                        LS_HELP,
                        &format!("Invalid --size: {value:?} is not a number"),
                    )
                })?,
            };
            Ok(Command::Ls { what, term, size })
        }
        Some(other) => Err(format!("Unknown command: {other}")),
        None => Err("Missing command".into()),
    }
}

/// The installed account a request names (by id or label), or the only one that offers this
/// role or permission set.
fn resolve_account<'a>(
    app: &'a Shared,
    kind: GrantKind,
    name: &str,
    account: Option<&str>,
) -> Result<&'a Account, String> {
    let installed = app.scenario.accounts.iter().filter(|a| a.installed);
    let what = kind.word();
    match account {
        Some(wanted) => {
            let found = installed
                .clone()
                .find(|a| a.id == wanted || a.label.as_deref() == Some(wanted))
                .ok_or_else(|| {
                    usage_error(REQUEST_HELP, &format!("Unknown AWS account: {wanted}"))
                })?;
            if !found.serves(kind) {
                return Err(usage_error(
                    REQUEST_HELP,
                    &format!(
                        "AWS account {} is not configured for {what} requests",
                        found.display_name()
                    ),
                ));
            }
            if !found.grantables(kind).contains_key(name) {
                return Err(usage_error(
                    REQUEST_HELP,
                    &format!(
                        "Unknown AWS {what} {name} in account {}",
                        found.display_name()
                    ),
                ));
            }
            Ok(found)
        }
        None => {
            let candidates: Vec<&Account> = installed
                .filter(|a| a.serves(kind) && a.grantables(kind).contains_key(name))
                .collect();
            match candidates.as_slice() {
                [only] => Ok(only),
                [] => Err(usage_error(REQUEST_HELP, &format!("Unknown AWS {what}: {name}"))),
                several => Err(usage_error(
                    REQUEST_HELP,
                    &format!(
                        "AWS {what} {name} exists in several accounts ({}); choose one with --account",
                        several
                            .iter()
                            .map(|a| a.display_name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
    }
}

async fn command(
    State(app): State<Shared>,
    kill: ConnKill,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = app.enter("p0.command", Shape::P0, &kill).await {
        return response;
    }
    if let Err(response) = authorize(&app, &org, &headers) {
        return response;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Invalid JSON body");
    };
    let Some(argv) = body["argv"].as_array().and_then(|items| {
        items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>()
    }) else {
        return error(StatusCode::BAD_REQUEST, "Missing argv");
    };
    app.record_command(argv.clone());
    let response = match parse_command(&argv) {
        Err(help) => error(StatusCode::BAD_REQUEST, &help),
        Ok(Command::Ls { what, term, size }) => ls(&app, what, term, size),
        Ok(Command::Request {
            kind,
            name,
            reason,
            account,
        }) => match resolve_account(&app, kind, &name, account.as_deref()) {
            Err(help) => error(StatusCode::BAD_REQUEST, &help),
            Ok(account) => create_request(&app, account, kind, &name, reason, None),
        },
        Ok(Command::DbRequest {
            arch,
            access,
            instance,
            database,
            reason,
        }) => match resolve_database(&app, &arch, &access, instance.as_deref()) {
            Err(help) => error(StatusCode::BAD_REQUEST, &help),
            Ok(db) => {
                let account = app.scenario.account(&db.account).expect("validated");
                let kind = match account.backend {
                    Backend::Idc => GrantKind::PermissionSet,
                    _ => GrantKind::Role,
                };
                let shape = db_request_shape(account, db, &access, database.as_deref());
                create_request(&app, account, kind, &db.grant, reason, Some(shape))
            }
        },
    };
    with_warnings(response, command_warnings(&app, &headers)).await
}

/// The database a request names (`--instance`), or the only one of its kind; a role request
/// must name one of its roles.
fn resolve_database<'a>(
    app: &'a Shared,
    arch: &str,
    access: &DbAccess,
    instance: Option<&str>,
) -> Result<&'a Database, String> {
    let db = match instance {
        Some(id) => app.scenario.database(arch, id).ok_or_else(|| {
            usage_error(DB_REQUEST_HELP, &format!("Unknown {arch} instance: {id}"))
        })?,
        None => {
            let all: Vec<&Database> = app
                .scenario
                .databases
                .iter()
                .filter(|d| d.arch == arch)
                .collect();
            match all.as_slice() {
                [only] => *only,
                [] => return Err(format!("No {arch} instances are installed")),
                _ => {
                    return Err(usage_error(
                        DB_REQUEST_HELP,
                        "Several instances are installed; choose one with --instance",
                    ))
                }
            }
        }
    };
    if let DbAccess::Role(role) = access {
        if !db.roles.contains(role) {
            return Err(format!("Unknown {arch} role {role} in instance {}", db.id));
        }
    }
    Ok(db)
}

/// What a database request object says over the AWS one (P0's `DbPermissionSpec`): its type,
/// the instance, and the `aws-rds` -> `aws` delegation to the grant that lets the principal
/// sign the IAM token (with `idcId`/`idcRegion` when the account is Identity Center's).
fn db_request_shape(
    account: &Account,
    db: &Database,
    access: &DbAccess,
    database: Option<&str>,
) -> Value {
    let mut aws_permission = json!({
        "accountId": account.id,
        "account": account.display_name(),
        "arn": db_arn(db),
        "name": db.id,
    });
    if account.backend == Backend::Idc {
        aws_permission["idcId"] = json!(account.identity_store_id);
        aws_permission["idcRegion"] = json!(account.idc_region);
    }
    let mut permission = json!({ "instanceId": db.id });
    match access {
        DbAccess::Role(role) => permission["role"] = json!(role),
        DbAccess::Sql(sql) => permission["sql"] = json!(sql),
    }
    if let Some(database) = database {
        permission["database"] = json!(database);
    }
    json!({
        "type": db.arch,
        "permission": permission,
        "generated": {},
        "delegation": [{
            "key": "aws-rds",
            "request": {
                "permission": { "vpcId": db_vpc(db) },
                "delegation": [{
                    "key": "aws",
                    "request": {
                        "type": "aws",
                        "permission": aws_permission,
                        "generated": { "name": db.grant },
                    },
                }],
            },
        }],
    })
}

/// The warnings a `/command/` answer carries: the scenario's, and one for a client older than
/// `min_client_version` (judged by its User-Agent, `p0/{version} ...`).
fn command_warnings(app: &Shared, headers: &HeaderMap) -> Vec<String> {
    let mut warnings = app.scenario.command_warnings.clone();
    if let Some(minimum) = &app.scenario.min_client_version {
        let agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let version = agent
            .split_whitespace()
            .next()
            .and_then(|product| product.strip_prefix("p0/"));
        let current = version.and_then(version_numbers);
        let wanted = version_numbers(minimum);
        if current.is_none() || current < wanted {
            warnings.push(format!(
                "This client ({}) is out of date: P0 needs p0 {minimum} or later. Please update.",
                if agent.is_empty() {
                    "no User-Agent"
                } else {
                    agent
                }
            ));
        }
    }
    warnings
}

fn version_numbers(version: &str) -> Option<Vec<u64>> {
    version.split('.').map(|part| part.parse().ok()).collect()
}

/// Adds `warnings` to a successful JSON answer (an error answer stays as it is).
async fn with_warnings(response: Response, warnings: Vec<String>) -> Response {
    if warnings.is_empty() || !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "answer too large");
    };
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    answer.insert("warnings".into(), json!(warnings));
    (parts.status, Json(Value::Object(answer))).into_response()
}

fn ls(app: &Shared, what: LsWhat, term: String, size: usize) -> Response {
    let needle = term.to_lowercase();
    let mut items = Vec::new();
    for account in app.scenario.accounts.iter().filter(|a| a.installed) {
        match what {
            LsWhat::Account => items.push(json!({
                "key": account.id,
                "value": account.label.clone().unwrap_or_default(),
                "group": format!("{:?}", account.backend).to_lowercase(),
            })),
            LsWhat::Grant(kind) if account.serves(kind) => {
                for name in account.grantables(kind).keys() {
                    items.push(json!({
                        "key": name,
                        "value": account.display_name(),
                        "group": account.id,
                    }));
                }
            }
            LsWhat::Grant(_) => {}
        }
    }
    items.retain(|item| {
        item["key"]
            .as_str()
            .is_some_and(|key| key.to_lowercase().contains(&needle))
    });
    let truncated = items.len() > size;
    items.truncate(size);
    let arg = match what {
        LsWhat::Account => "account",
        LsWhat::Grant(kind) => kind.word(),
    };
    Json(json!({
        "ok": true,
        "items": items,
        "isTruncated": truncated,
        "term": term,
        "arg": arg,
    }))
    .into_response()
}

fn request_object(app: &Shared, id: &str, request: &AccessRequest, status: &str) -> Value {
    let mut object = json!({
        "id": id,
        "status": status,
        "principal": app.scenario.user.email,
        "type": "aws",
        "permission": {
            "type": request.kind.word(),
            "name": request.name,
            "accountId": request.account_id,
        },
    });
    if let Some(message) = &request.message {
        object["error"] = json!({ "message": message });
    }
    if let (Some(Value::Object(db)), Some(fields)) = (&request.db, object.as_object_mut()) {
        fields.extend(db.clone());
    }
    object
}

fn create_request(
    app: &Shared,
    account: &Account,
    kind: GrantKind,
    name: &str,
    reason: Option<String>,
    db: Option<Value>,
) -> Response {
    let policy = app.policy(&account.id, kind, name);
    let now = Instant::now();
    // Okta shows what P0 grants a while later, existing access included (a grant P0 made a
    // moment ago, in another request or as standing access).
    let lag = match account.backend {
        Backend::OktaSaml => Duration::from_millis(app.scenario.okta_role_lag_ms),
        _ => Duration::ZERO,
    };
    if policy.outcome == Outcome::Already {
        app.assign(&account.id, kind, name, now + lag);
        return error(
            StatusCode::BAD_REQUEST,
            "This principal already has this access",
        );
    }
    let id = tokens::random_alnum(20);
    let after = Duration::from_millis(policy.after_ms);
    let (status, resolves_at) = if policy.preexisting {
        app.assign(&account.id, kind, name, now + lag);
        ("DONE", Some(now))
    } else {
        let resolves_at = now + after;
        let final_status = match policy.outcome {
            // Approved at once: the stream's line waits for the provisioning, and says DONE.
            Outcome::Approve if policy.create_status.as_deref() == Some("APPROVED") => {
                app.assign(&account.id, kind, name, resolves_at + lag);
                Some("DONE")
            }
            Outcome::Approve => {
                app.assign(&account.id, kind, name, resolves_at + lag);
                Some("APPROVED")
            }
            Outcome::Deny => Some("DENIED"),
            Outcome::Error => Some("ERRORED"),
            Outcome::Expired => Some("EXPIRED"),
            Outcome::Revoked => Some("REVOKED"),
            Outcome::Never | Outcome::Already => None,
        };
        match final_status {
            Some(status) => (status, Some(resolves_at)),
            None => ("PENDING_APPROVAL", None),
        }
    };
    let request = AccessRequest {
        account_id: account.id.clone(),
        kind,
        name: name.to_string(),
        resolves_at,
        status,
        message: policy.message.clone(),
        db,
    };
    app.add_request(&id, request.clone());
    let created_status = match &policy.create_status {
        Some(status) => status.as_str(),
        None if policy.preexisting => "DONE",
        None => "NEW",
    };
    let what = match &request.db {
        Some(db) => format!(
            "{} access to instance {}",
            db["type"].as_str().unwrap_or_default(),
            db["permission"]["instanceId"].as_str().unwrap_or_default()
        ),
        None => format!(
            "AWS {} {name} in account {}",
            kind.word(),
            account.display_name()
        ),
    };
    let message = if policy.preexisting {
        format!("You already have access to {what}.")
    } else if policy.preapproved {
        format!("Your request for {what} was pre-approved (request {id}).")
    } else {
        let reason = reason.map(|r| format!(" Reason: {r}.")).unwrap_or_default();
        format!("Requested {what} (request {id}); it will be reviewed shortly.{reason}")
    };
    let mut request_json = request_object(app, &id, &request, created_status);
    if let (false, Some(object)) = (policy.preexisting, request_json.as_object_mut()) {
        // The outcome's message belongs to the resolved request, not to the new one.
        object.remove("error");
    }
    Json(json!({
        "ok": true,
        "message": message,
        "id": id,
        "request": request_json,
        "isPreexisting": policy.preexisting,
        "isPersistent": policy.persistent,
        "isPreapproved": policy.preapproved,
    }))
    .into_response()
}

// ---- the poll stream ----

type Chunk = Result<Bytes, std::io::Error>;

async fn poll(
    State(app): State<Shared>,
    kill: ConnKill,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let fault = match app.enter("p0.poll", Shape::P0, &kill).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    if let Err(response) = authorize(&app, &org, &headers) {
        return response;
    }
    let Some(request) = app.request(&id) else {
        return not_found().await;
    };
    let cut = fault.as_ref().is_some_and(|f| f.close);
    let malformed = fault.as_ref().is_some_and(|f| f.malformed);
    let poll_fault = fault.and_then(|f| f.poll);
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(8);
    if poll_fault == Some(PollFault::NoNewline) {
        tokio::spawn(endless_line(tx));
    } else if poll_fault == Some(PollFault::Silent) {
        tokio::spawn(silence(tx));
    } else if malformed {
        tokio::spawn(malformed_line(tx));
    } else if poll_fault == Some(PollFault::OtherRequest) {
        let other = json!({
            "type": "data",
            "data": {
                "id": tokens::random_alnum(20),
                "request": {"status": "DENIED", "error": {"message": "another request's outcome"}},
            },
        });
        tokio::spawn(async move {
            if tx.send(Ok(Bytes::from(format!("{other}\n")))).await.is_ok() {
                stream_request(app.clone(), id, request, cut, tx).await;
            }
        });
    } else {
        tokio::spawn(stream_request(app.clone(), id, request, cut, tx));
    }
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The `no_newline` fault: a heartbeat, then 64 KiB chunks of one line that never ends, as
/// fast as the client reads them, until it goes away.
async fn endless_line(tx: tokio::sync::mpsc::Sender<Chunk>) {
    let heartbeat = Bytes::from_static(b"{\"type\":\"heartbeat\"}\n");
    if tx.send(Ok(heartbeat)).await.is_err() {
        return;
    }
    let mut line = b"{\"type\":\"data\",\"data\":\"".to_vec();
    line.resize(64 * 1024, b'x');
    let chunk = Bytes::from(line);
    let filler = Bytes::from(vec![b'x'; 64 * 1024]);
    if tx.send(Ok(chunk)).await.is_err() {
        return;
    }
    while tx.send(Ok(filler.clone())).await.is_ok() {}
}

/// The `silent` fault: a heartbeat, then nothing, the connection held open until the client
/// goes away.
async fn silence(tx: tokio::sync::mpsc::Sender<Chunk>) {
    let heartbeat = Bytes::from_static(b"{\"type\":\"heartbeat\"}\n");
    if tx.send(Ok(heartbeat)).await.is_ok() {
        tx.closed().await;
    }
}

/// The `malformed` fault: a heartbeat, a data line that is not JSON, then the end of the
/// stream.
async fn malformed_line(tx: tokio::sync::mpsc::Sender<Chunk>) {
    let lines = Bytes::from_static(
        b"{\"type\":\"heartbeat\"}\n{\"type\":\"data\",\"data\":{\"request\":{\"status\":\n",
    );
    let _ = tx.send(Ok(lines)).await;
}

/// Heartbeats until the request resolves (or the server's wait limit passes), then one data
/// line, then the end of the stream. A `close` fault cuts it inside a line.
async fn stream_request(
    app: Shared,
    id: String,
    request: AccessRequest,
    cut: bool,
    tx: tokio::sync::mpsc::Sender<Chunk>,
) {
    let heartbeat = Bytes::from_static(b"{\"type\":\"heartbeat\"}\n");
    let opened = Instant::now();
    let deadline = request
        .resolves_at
        .unwrap_or_else(|| opened + Duration::from_millis(app.scenario.server_wait_limit_ms));
    let period = Duration::from_millis(app.scenario.heartbeat_ms.max(1));
    let data = json!({
        "type": "data",
        "data": { "request": request_object(&app, &id, &request, request.status) },
    });
    let data_line = Bytes::from(format!("{data}\n"));
    if cut {
        let _ = tx.send(Ok(heartbeat)).await;
        let _ = tx.send(Ok(data_line.slice(..data_line.len() / 2))).await;
        // Let the half line reach the socket before the connection breaks.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tx
            .send(Err(std::io::Error::other("stream cut by a fault")))
            .await;
        return;
    }
    let mut next_beat = opened;
    loop {
        let now = Instant::now();
        if now >= deadline {
            let _ = tx.send(Ok(data_line)).await;
            return;
        }
        if now >= next_beat {
            if tx.send(Ok(heartbeat.clone())).await.is_err() {
                return; // the client went away
            }
            next_beat += period;
        }
        tokio::time::sleep_until(next_beat.min(deadline).into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn request_options_come_in_any_order_and_either_form() {
        let expected = Command::Request {
            kind: GrantKind::Role,
            name: "Admin".into(),
            reason: Some("deploy".into()),
            account: Some("prod".into()),
        };
        for words in [
            &[
                "request",
                "aws",
                "role",
                "Admin",
                "--reason",
                "deploy",
                "--account",
                "prod",
            ][..],
            &[
                "request",
                "--account",
                "prod",
                "aws",
                "role",
                "Admin",
                "--reason=deploy",
            ][..],
        ] {
            assert_eq!(parse_command(&argv(words)), Ok(expected.clone()));
        }
    }

    #[test]
    fn database_requests_parse_as_p0s_cli_sends_them() {
        assert_eq!(
            parse_command(&argv(&[
                "request",
                "postgres",
                "role",
                "reader",
                "--instance",
                "orders",
                "--database",
                "shop"
            ]))
            .unwrap(),
            Command::DbRequest {
                arch: "postgres".into(),
                access: DbAccess::Role("reader".into()),
                instance: Some("orders".into()),
                database: Some("shop".into()),
                reason: None,
            }
        );
        assert_eq!(
            parse_command(&argv(&["request", "mysql", "sql", "SELECT 1"])).unwrap(),
            Command::DbRequest {
                arch: "mysql".into(),
                access: DbAccess::Sql("SELECT 1".into()),
                instance: None,
                database: None,
                reason: None,
            }
        );
        assert!(parse_command(&argv(&["request", "mysql", "table", "x"])).is_err());
        assert!(parse_command(&argv(&["request", "mysql", "role"])).is_err());
        assert!(
            parse_command(&argv(&["request", "mysql", "role", "r", "--account", "a"])).is_err()
        );
    }

    #[test]
    fn bad_argv_gets_help_text() {
        let e =
            parse_command(&argv(&["request", "aws", "role", "Admin", "--bogus", "x"])).unwrap_err();
        assert!(
            e.contains("Unknown argument: bogus") && e.contains("--account"),
            "{e}"
        );
        assert!(parse_command(&argv(&["request", "aws", "role"])).is_err());
        assert!(parse_command(&argv(&["request", "aws", "bucket", "x"])).is_err());
        assert!(parse_command(&argv(&["request", "aws", "role", "A", "--reason"])).is_err());
    }

    #[test]
    fn ls_takes_a_term_and_a_size() {
        assert_eq!(
            parse_command(&argv(&[
                "ls",
                "aws",
                "permission-set",
                "dev",
                "--size",
                "30"
            ])),
            Ok(Command::Ls {
                what: LsWhat::Grant(GrantKind::PermissionSet),
                term: "dev".into(),
                size: 30
            })
        );
    }
}
