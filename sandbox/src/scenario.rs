//! The scenario file (sandbox/README.md "Scenario file"): every field but `org` and `accounts`
//! has the default the README shows.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub org: String,
    #[serde(default = "default_tenant_id")]
    pub tenant_id: String,
    #[serde(default)]
    pub use_provider_token: bool,
    #[serde(default)]
    pub user: User,
    #[serde(default)]
    pub login: Login,
    #[serde(default)]
    pub okta: Okta,
    #[serde(default)]
    pub firebase: Firebase,
    #[serde(default)]
    pub idc: Idc,
    pub accounts: Vec<Account>,
    #[serde(default = "default_credential_lifetime")]
    pub credential_lifetime_secs: u64,
    #[serde(default)]
    pub okta_role_lag_ms: u64,
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    #[serde(default = "default_server_wait_limit_ms")]
    pub server_wait_limit_ms: u64,
    #[serde(default)]
    pub faults: Vec<crate::faults::Fault>,
    /// Warnings every `/command/` answer carries (P0 telling out-of-date clients).
    #[serde(default)]
    pub command_warnings: Vec<String>,
    /// The oldest `p0` P0 accepts without a warning: a `/command/` call whose User-Agent is
    /// not `p0/{version}` with a version at least this one gets a warning saying so.
    #[serde(default)]
    pub min_client_version: Option<String>,
    /// RDS databases of P0's `mysql` and `postgres` integrations (IAM authentication): what
    /// `request mysql|postgres role R` grants, and their `iam-write` integration config.
    #[serde(default)]
    pub databases: Vec<Database>,
}

/// An RDS instance P0 manages access to. A request for it grants, through the `aws-rds` ->
/// `aws` delegation, `grant` in `account` (a role of an Okta SAML account, a permission set
/// of an Identity Center one), under that grant's policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// P0's instance id (`--instance`).
    pub id: String,
    /// `mysql` or `postgres`.
    pub arch: String,
    /// The AWS account id of the instance.
    pub account: String,
    /// The role or permission set the delegation names (`generated.name`).
    pub grant: String,
    pub hostname: String,
    /// As P0 stores it: a string.
    pub port: String,
    pub region: String,
    /// The database roles that can be requested (`role R`); any SQL script can be.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub default_db: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub email: String,
}

impl Default for User {
    fn default() -> Self {
        User {
            email: "alice@example.com".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Okta {
    pub client_id: String,
    pub provider_id: String,
    pub access_token_lifetime_secs: u64,
    pub device: DeviceSettings,
    /// A Classic Engine org: the token exchange for a web SSO token (Identity Engine only) is
    /// refused as an unsupported grant type.
    pub classic_engine: bool,
}

impl Default for Okta {
    fn default() -> Self {
        Okta {
            client_id: "0oa-cli".into(),
            provider_id: "oidc.okta-acme".into(),
            access_token_lifetime_secs: 3600,
            device: DeviceSettings::default(),
            classic_engine: false,
        }
    }
}

/// How the org signs in (sandbox/README.md "Scenario file"): the kind chooses the org
/// document and which identity provider of the `idp` service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginKind {
    Okta,
    Google,
    GoogleOidc,
    Entra,
    Ping,
    Password,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Login {
    pub kind: LoginKind,
    /// The OAuth client of Google, Entra and Ping.
    pub client_id: String,
    /// Google's public PKCE client secret (`publicClientSecretForPkce`).
    pub client_secret: String,
    /// The Firebase provider of Entra and Ping (`providerId`).
    pub provider_id: String,
    /// Entra's `microsoftPrimaryDomain`.
    pub tenant: String,
    /// PingOne's `environmentId`.
    pub environment_id: String,
    /// The sign-in page's answer: `auto` lets the person in, `deny` is consent refused.
    pub approval: Approval,
    /// The redirect carries another `state` than the one asked for.
    pub wrong_state: bool,
    /// How long an authorization code can be redeemed (0: it has expired when redeemed).
    pub code_lifetime_secs: u64,
    pub access_token_lifetime_secs: u64,
    /// Ping's device authorization.
    pub device: DeviceSettings,
    /// The password of `user.email` for password orgs.
    pub password: String,
    /// Firebase finds the user's account linked to another identity provider.
    pub different_provider: bool,
}

impl Default for Login {
    fn default() -> Self {
        Login {
            kind: LoginKind::Okta,
            client_id: "p0-cli-sandbox.apps.example".into(),
            client_secret: "GOCSPX-sandbox-public-pkce-secret".into(),
            provider_id: "oidc.sandbox-idp".into(),
            tenant: "acme.onmicrosoft.com".into(),
            environment_id: "5f1c2b7e-env-acme".into(),
            approval: Approval::Auto,
            wrong_state: false,
            code_lifetime_secs: 60,
            access_token_lifetime_secs: 3600,
            device: DeviceSettings::default(),
            password: "correct horse battery staple".into(),
            different_provider: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Firebase {
    pub id_token_lifetime_secs: u64,
}

impl Default for Firebase {
    fn default() -> Self {
        Firebase {
            id_token_lifetime_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Idc {
    pub token_lifetime_secs: u64,
    pub device: DeviceSettings,
}

impl Default for Idc {
    fn default() -> Self {
        Idc {
            token_lifetime_secs: 28800,
            device: DeviceSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Auto,
    Manual,
    Deny,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceSettings {
    pub approval: Approval,
    pub pending_polls: u32,
    pub slow_down_polls: u32,
    pub expires_in: u64,
    pub interval: u64,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            approval: Approval::Auto,
            pending_polls: 0,
            slow_down_polls: 0,
            expires_in: 600,
            interval: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    OktaSaml,
    Idc,
    Iam,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default = "yes")]
    pub installed: bool,
    pub backend: Backend,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub identity_provider: Option<String>,
    #[serde(default)]
    pub idc_region: Option<String>,
    #[serde(default)]
    pub identity_store_id: Option<String>,
    /// The AWS partition of the account (`aws`, `aws-us-gov`, `aws-cn`, `aws-eusc`): its
    /// role and SAML provider ARNs, and the sign-in endpoint its Okta app posts to.
    #[serde(default = "aws")]
    pub partition: String,
    /// The region of the Okta app's regional sign-in endpoint (its SAML form's `action`,
    /// `https://{region}.signin.aws.amazon.com/saml`); none: the partition's global one.
    #[serde(default)]
    pub signin_region: Option<String>,
    /// Okta SAML roles, by name (a path such as `p0-grants/ReadOnly` is part of the name).
    #[serde(default)]
    pub roles: BTreeMap<String, Grantable>,
    /// Identity Center permission sets, by name.
    #[serde(default)]
    pub permission_sets: BTreeMap<String, Grantable>,
}

fn aws() -> String {
    "aws".to_string()
}

impl Account {
    pub fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id)
    }

    /// The AWS access portal of the account's identity store, in its region's partition's
    /// form, as AWS shows it to an admin.
    pub fn start_url(&self) -> Option<String> {
        let store = self.identity_store_id.as_deref()?;
        let region = self.idc_region.as_deref().unwrap_or("us-east-1");
        Some(if region.starts_with("us-gov-") {
            format!("https://start.us-gov-home.awsapps.com/directory/{store}")
        } else if region.starts_with("cn-") {
            format!("https://start.{region}.home.awsapps.cn/directory/{store}")
        } else if region.starts_with("eusc-") {
            format!("https://{store}.{region}.portal.amazonaws.eu")
        } else {
            format!("https://{store}.awsapps.com/start")
        })
    }

    /// Where the account's Okta app posts its SAML response: AWS sign-in's SAML endpoint in
    /// the account's partition, regional when `signin_region` says so (AWS Sign-In endpoints;
    /// the European Sovereign Cloud has regional ones only).
    pub fn saml_action(&self) -> String {
        let domain = match self.partition.as_str() {
            "aws-us-gov" => "signin.amazonaws-us-gov.com",
            "aws-cn" => "signin.amazonaws.cn",
            "aws-eusc" => "signin.amazonaws-eusc.eu",
            _ => "signin.aws.amazon.com",
        };
        let region = match (self.signin_region.as_deref(), self.partition.as_str()) {
            (Some(region), _) => Some(region),
            (None, "aws-eusc") => Some("eusc-de-east-1"),
            (None, _) => None,
        };
        match region {
            Some(region) => format!("https://{region}.{domain}/saml"),
            None => format!("https://{domain}/saml"),
        }
    }

    /// The roles or permission sets a request of this kind can name.
    pub fn grantables(&self, kind: GrantKind) -> &BTreeMap<String, Grantable> {
        match kind {
            GrantKind::Role => &self.roles,
            GrantKind::PermissionSet => &self.permission_sets,
        }
    }

    pub fn serves(&self, kind: GrantKind) -> bool {
        matches!(
            (kind, self.backend),
            (GrantKind::Role, Backend::OktaSaml) | (GrantKind::PermissionSet, Backend::Idc)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantKind {
    Role,
    PermissionSet,
}

impl GrantKind {
    pub fn word(self) -> &'static str {
        match self {
            GrantKind::Role => "role",
            GrantKind::PermissionSet => "permission-set",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grantable {
    #[serde(default)]
    pub assigned: bool,
    #[serde(default)]
    pub policy: Policy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    #[default]
    Approve,
    Deny,
    Error,
    Never,
    Expired,
    Revoked,
    Already,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub outcome: Outcome,
    pub after_ms: u64,
    pub preexisting: bool,
    pub persistent: bool,
    pub preapproved: bool,
    pub message: Option<String>,
    /// The status the create answer carries (`NEW` unless preexisting, then `DONE`). With
    /// `APPROVED` (approved at once, provisioning still running), the stream's line says
    /// `DONE` once provisioned (`after_ms`).
    pub create_status: Option<String>,
}

fn default_tenant_id() -> String {
    "acme-tenant".into()
}
fn default_credential_lifetime() -> u64 {
    3600
}
fn default_heartbeat_ms() -> u64 {
    1000
}
fn default_server_wait_limit_ms() -> u64 {
    300_000
}
fn yes() -> bool {
    true
}

impl Scenario {
    /// Rejects scenarios the services could not represent, so a typo fails at startup instead
    /// of as a puzzling test failure.
    pub fn validate(&self) -> Result<(), String> {
        for db in &self.databases {
            if !matches!(db.arch.as_str(), "mysql" | "postgres") {
                return Err(format!("database {}: arch is mysql or postgres", db.id));
            }
            let Some(account) = self.account(&db.account) else {
                return Err(format!("database {}: no account {}", db.id, db.account));
            };
            let grants = match account.backend {
                Backend::OktaSaml => &account.roles,
                Backend::Idc => &account.permission_sets,
                Backend::Iam => return Err(format!("database {}: an iam account", db.id)),
            };
            if !grants.contains_key(&db.grant) {
                return Err(format!(
                    "database {}: account {} has no {}",
                    db.id, db.account, db.grant
                ));
            }
        }
        for account in &self.accounts {
            let id = &account.id;
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("account id {id:?} is not 12 digits"));
            }
            match account.backend {
                Backend::OktaSaml => {
                    if account.app_id.is_none() || account.identity_provider.is_none() {
                        return Err(format!(
                            "okta-saml account {id} needs app_id and identity_provider"
                        ));
                    }
                }
                Backend::Idc => {
                    if account.idc_region.is_none() || account.identity_store_id.is_none() {
                        return Err(format!(
                            "idc account {id} needs idc_region and identity_store_id"
                        ));
                    }
                }
                Backend::Iam => {}
            }
        }
        Ok(())
    }

    pub fn database(&self, arch: &str, id: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.arch == arch && d.id == id)
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}
