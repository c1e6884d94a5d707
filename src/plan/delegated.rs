//! A plan for AWS access that P0 granted through another kind of request: a database
//! request's `aws-rds` -> `aws` delegation (protocol §3.7). No request is filed for it; the
//! credentials come from the delegation's Identity Center instance, or from the account's own
//! backend (Okta SAML) with the role the grant names.

use super::{stored_login, DirectIdentityCenter, Plan, Source, ThroughP0};
use crate::accounts::AccountLogin;
use crate::backend::Backend;
use crate::context::Context;
use crate::credentials::Reuse;
use crate::error::Result;
use crate::p0::P0Connection;
use crate::providers::identity_center::IdcInstance;
use std::sync::Arc;
use std::time::Duration;

/// The AWS side of a grant P0 made through another request.
#[derive(Debug, Clone)]
pub struct DelegatedGrant {
    pub account_id: String,
    /// The IAM role (Okta SAML) or permission set (Identity Center) P0 provisioned.
    pub role: String,
    /// The delegation's `(idcId, idcRegion)` when it goes through Identity Center.
    pub identity_center: Option<(String, String)>,
}

impl Plan {
    /// The plan for `grant`: credentials with at least `min_lifetime` left (`refresh`: never
    /// cached ones). Through Okta SAML, the account is resolved as every plan's is (the local
    /// copy, else the single-flight fetch), and an Okta SAML account behind a non-Okta login
    /// fails here, before any call.
    pub async fn for_delegated_grant(
        ctx: &Context,
        p0: &Arc<P0Connection>,
        grant: DelegatedGrant,
        min_lifetime: Duration,
        refresh: bool,
    ) -> Result<Plan> {
        let source = match grant.identity_center {
            Some((identity_store_id, region)) => Source::IdentityCenter(DirectIdentityCenter {
                instance: IdcInstance::for_identity_store(&identity_store_id, &region),
                account_id: grant.account_id,
                permission_set: Some(grant.role),
                force_login: false,
            }),
            None => {
                let org = stored_login(ctx)?;
                let account = super::resolve_account(
                    ctx,
                    p0,
                    Some(&grant.account_id),
                    Some(Backend::OktaSaml),
                )
                .await?;
                if let AccountLogin::OktaSaml { .. } = account.login() {
                    org.check_okta_saml(account.id())?;
                }
                Source::P0(ThroughP0 {
                    org: org.slug,
                    account,
                    account_arg: Some(grant.account_id),
                    role: Some(grant.role),
                    reason: None,
                    request: None,
                    duration: None,
                })
            }
        };
        Ok(Plan {
            source,
            reuse: Reuse::new(min_lifetime, refresh),
            region: None,
        })
    }
}
