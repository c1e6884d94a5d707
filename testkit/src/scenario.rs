//! The one set of names the tests share: the default scenario's org, accounts, roles and ids,
//! and builders for scenarios that differ from it (sandbox/README.md describes the format).

use serde_json::{json, Value};

pub const ORG: &str = "acme";
pub const USER_EMAIL: &str = "alice@example.com";

/// The Okta SAML account: id, label, its role, Okta app and SAML identity provider.
pub const PROD: &str = "123456789012";
pub const PROD_LABEL: &str = "prod";
pub const ADMIN: &str = "Admin";
pub const OKTA_APP_ID: &str = "0oa-aws-prod";
pub const SAML_PROVIDER: &str = "OktaP0";

/// The Identity Center account: id, label, its permission set, region and instance.
pub const DEV: &str = "210987654321";
pub const DEV_LABEL: &str = "dev";
pub const DEVELOPER: &str = "Developer";
pub const IDC_REGION: &str = "us-west-2";
pub const IDENTITY_STORE_ID: &str = "d-1234567890";
pub const IDC_START_URL: &str = "https://d-1234567890.awsapps.com/start";

/// Org `acme`; `prod` (123456789012, Okta SAML, role `Admin`) and `dev` (210987654321,
/// Identity Center in us-west-2, permission set `Developer`), both approved at once; device
/// flows approved automatically with interval 0.
pub fn default_scenario() -> Value {
    json!({
        "org": ORG,
        "okta": {"device": {"approval": "auto", "interval": 0}},
        "idc": {"device": {"approval": "auto", "interval": 0}},
        "accounts": [
            okta_account(PROD, PROD_LABEL, json!({ADMIN: {"policy": {"outcome": "approve"}}})),
            idc_account(DEV, DEV_LABEL, json!({DEVELOPER: {"policy": {"outcome": "approve"}}})),
        ]
    })
}

/// An installed Okta SAML account of the default Okta app with `roles` (`{"name": {...}}` as
/// the scenario wants them).
pub fn okta_account(id: &str, label: &str, roles: Value) -> Value {
    json!({"id": id, "label": label, "installed": true, "backend": "okta-saml",
           "app_id": OKTA_APP_ID, "identity_provider": SAML_PROVIDER, "roles": roles})
}

/// An installed Identity Center account of the default instance with `permission_sets`.
pub fn idc_account(id: &str, label: &str, permission_sets: Value) -> Value {
    json!({"id": id, "label": label, "installed": true, "backend": "idc",
           "idc_region": IDC_REGION, "identity_store_id": IDENTITY_STORE_ID,
           "permission_sets": permission_sets})
}

/// The default scenario with other `accounts`.
pub fn with_accounts(accounts: Value) -> Value {
    let mut scenario = default_scenario();
    scenario["accounts"] = accounts;
    scenario
}
