//! The accounts of an org's config (§4) and resolution of `--account` / `P0_AWS_ACCOUNT` with
//! P0's own messages.

use crate::backend::{Backend, Families};
use crate::error::{Error, Result};

/// How users log in to an account: the backend and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountLogin {
    /// The partition (aws, aws-us-gov, aws-cn or aws-eusc) is taken from the SAML assertion's role ARNs (§5.4).
    OktaSaml {
        app_id: String,
        identity_provider: String,
    },
    IdentityCenter {
        region: String,
        identity_store_id: String,
    },
}

impl AccountLogin {
    pub fn backend(&self) -> Backend {
        match self {
            AccountLogin::OktaSaml { .. } => Backend::OktaSaml,
            AccountLogin::IdentityCenter { .. } => Backend::IdentityCenter,
        }
    }
}

/// An installed account that `--account` resolved to, with a backend `p0` can use. Only
/// resolution constructs one, so a provider never sees an account that was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAccount {
    id: String,
    label: Option<String>,
    login: AccountLogin,
}

impl ResolvedAccount {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn login(&self) -> &AccountLogin {
        &self.login
    }

    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
}

/// One installed account as the config describes it.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) id: String,
    pub(super) label: Option<String>,
    /// `None` for `iam`, a federated provider other than Okta SAML, or anything newer than
    /// this client.
    pub(super) login: Option<AccountLogin>,
}

impl Item {
    fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id)
    }
}

/// The installed accounts of an org, sorted by id (§4). Read by [`AwsConfig::from_response`]
/// (`parse.rs`).
#[derive(Debug, Clone, Default)]
pub struct AwsConfig {
    /// Sorted by id, ids unique.
    pub(super) installed: Vec<Item>,
}

impl AwsConfig {
    /// Which families the org's installed accounts use.
    pub fn families(&self) -> Families {
        self.installed
            .iter()
            .filter_map(|i| i.login.as_ref().map(AccountLogin::backend))
            .collect()
    }

    /// Resolves `wanted` (an id or label; `None` when only one account is installed) to an
    /// account whose backend `p0` can use, of the `family` asked for if any.
    pub fn resolve(
        &self,
        wanted: Option<&str>,
        family: Option<Backend>,
    ) -> Result<ResolvedAccount> {
        if self.installed.is_empty() {
            return Err(Error::AwsNotInstalled);
        }
        let item = match wanted {
            Some(wanted) => self
                .installed
                .iter()
                .find(|i| i.id == wanted || i.label.as_deref() == Some(wanted))
                .ok_or_else(|| Error::AwsAccountNotInstalled(wanted.to_string()))?,
            None => match self.installed.as_slice() {
                [only] => only,
                many => {
                    return Err(Error::AwsAccountAmbiguous(
                        many.iter().map(|i| i.display_name().to_string()).collect(),
                    ))
                }
            },
        };
        let Some(login) = item.login.clone() else {
            return Err(wrong_family(item, wanted, family));
        };
        if family.is_some_and(|f| f != login.backend()) {
            return Err(wrong_family(item, wanted, family));
        }
        Ok(ResolvedAccount {
            id: item.id.clone(),
            label: item.label.clone(),
            login,
        })
    }
}

/// §4's wrong-login-type texts. Without an explicit family (`p0 run-as`), an account with no
/// usable backend gets the Okta text, the family P0 falls back to.
fn wrong_family(item: &Item, wanted: Option<&str>, family: Option<Backend>) -> Error {
    match family {
        Some(Backend::IdentityCenter) => {
            Error::NotIdc(wanted.unwrap_or(item.display_name()).to_string())
        }
        _ => Error::NotOktaSaml(item.display_name().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mixed_org() -> AwsConfig {
        AwsConfig::from_response(&json!({"config": {"iam-write": {
            "210987654321": {"label": "dev", "state": "installed",
                "login": {"type": "idc", "parent": "o-1", "idcArn": "arn:aws:sso:::instance/ssoins-1",
                          "idcRegion": "us-west-2", "identityStoreId": "d-1234567890"}},
            "123456789012": {"label": "prod", "state": "installed",
                "login": {"type": "federated", "provider": {"type": "okta", "appId": "0oa-aws-prod",
                          "identityProvider": "OktaP0", "method": {"type": "saml"}}}},
            "333333333333": {"state": "installed",
                "login": {"type": "iam", "identity": {"type": "email"}}},
            "444444444444": {"label": "pending", "state": "pending",
                "login": {"type": "idc", "idcRegion": "us-east-1", "identityStoreId": "d-4"}}
        }}}))
    }

    #[test]
    fn resolves_by_id_or_label_and_picks_the_backend_per_account() {
        let config = mixed_org();
        let prod = config.resolve(Some("prod"), None).unwrap();
        assert_eq!(prod, config.resolve(Some("123456789012"), None).unwrap());
        assert_eq!(prod.id(), "123456789012");
        assert_eq!(
            prod.login(),
            &AccountLogin::OktaSaml {
                app_id: "0oa-aws-prod".into(),
                identity_provider: "OktaP0".into()
            }
        );
        let dev = config
            .resolve(Some("dev"), Some(Backend::IdentityCenter))
            .unwrap();
        assert_eq!(
            dev.login(),
            &AccountLogin::IdentityCenter {
                region: "us-west-2".into(),
                identity_store_id: "d-1234567890".into()
            }
        );
        assert_eq!(config.families(), Families::from_iter(Backend::ALL));
    }

    #[test]
    fn protocol_messages_for_unknown_ambiguous_and_missing() {
        let config = mixed_org();
        assert_eq!(
            config
                .resolve(Some("staging"), None)
                .unwrap_err()
                .to_string(),
            "P0 is not installed on AWS account staging"
        );
        // Not installed counts as unknown.
        assert_eq!(
            config
                .resolve(Some("pending"), None)
                .unwrap_err()
                .to_string(),
            "P0 is not installed on AWS account pending"
        );
        assert_eq!(
            config.resolve(None, None).unwrap_err().to_string(),
            "Please select a unique AWS account with --account; valid accounts are:\nprod\ndev\n333333333333"
        );
        let none = AwsConfig::from_response(&json!({"config": {"iam-write": {}}}));
        assert_eq!(
            none.resolve(Some("prod"), None).unwrap_err().to_string(),
            "P0 is not installed on any AWS account"
        );
        assert_eq!(none.families(), Families::default());
    }

    #[test]
    fn the_only_account_needs_no_flag() {
        let config = AwsConfig::from_response(&json!({"config": {"iam-write": {
            "123456789012": {"state": "installed", "login": {"type": "federated",
                "provider": {"type": "okta", "appId": "a", "identityProvider": "p"}}}}}}));
        assert_eq!(config.resolve(None, None).unwrap().id(), "123456789012");
        assert_eq!(config.families(), Families::from_iter([Backend::OktaSaml]));
    }

    #[test]
    fn wrong_family_texts() {
        let config = mixed_org();
        assert_eq!(
            config
                .resolve(Some("210987654321"), Some(Backend::OktaSaml))
                .unwrap_err()
                .to_string(),
            "Account dev is not configured for Okta SAML login."
        );
        assert_eq!(
            config
                .resolve(Some("prod"), Some(Backend::IdentityCenter))
                .unwrap_err()
                .to_string(),
            "Unexpected login type. Expected IDC to be enabled for account prod"
        );
        assert_eq!(
            config
                .resolve(Some("333333333333"), None)
                .unwrap_err()
                .to_string(),
            "Account 333333333333 is not configured for Okta SAML login."
        );
    }
}
