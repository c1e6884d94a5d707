//! Choosing the role when none was given: the roles the account offers the user right now (the
//! Okta SAML assertion's roles in that account, or the Identity Center account's permission
//! sets), in a picker on the terminal; without a terminal, a usage error that lists them.

use super::{Plan, Source};
use crate::accounts::AccountLogin;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::p0::P0Connection;
use crate::providers::identity_center::{IdcInstance, IdentityCenter};
use crate::providers::okta_saml::OktaSaml;
use std::sync::Arc;

impl Plan {
    /// The role or permission set asked of P0 or Identity Center (a chained role's source);
    /// `None` for web identity.
    pub fn role(&self) -> Option<&str> {
        self.source.role()
    }

    /// Whether the role (or permission set) is still to be chosen: none was given.
    pub fn needs_role(&self) -> bool {
        self.source.role().is_some_and(str::is_empty)
    }

    /// The plan for the role the user picks among those the account offers. Without a
    /// terminal: `Error::RoleRequired` with the list (exit 64), after the same calls.
    pub async fn choose_role(mut self, ctx: &Context, p0: &Arc<P0Connection>) -> Result<Plan> {
        let (account, roles) = self.source.offered_roles(ctx, p0).await?;
        let role = pick(ctx, account, roles)?;
        self.source.set_role(role);
        Ok(self)
    }
}

impl Source {
    /// The role of the P0 or Identity Center step (a chained role's base, when chained).
    fn role(&self) -> Option<&str> {
        match self {
            Source::P0(via) => Some(&via.role),
            Source::IdentityCenter(direct) => Some(&direct.permission_set),
            Source::WebIdentity(_) => None,
            Source::Chain(chained) => chained.base.role(),
        }
    }

    pub(super) fn set_role(&mut self, role: String) {
        match self {
            Source::P0(via) => via.role = role,
            Source::IdentityCenter(direct) => direct.permission_set = role,
            Source::WebIdentity(_) => {}
            Source::Chain(chained) => chained.base.set_role(role),
        }
    }

    /// The account id, and the roles it offers the user now.
    async fn offered_roles(
        &self,
        ctx: &Context,
        p0: &Arc<P0Connection>,
    ) -> Result<(String, Vec<String>)> {
        let mut source = self;
        while let Source::Chain(chained) = source {
            source = &chained.base;
        }
        let (account_id, roles) = match source {
            Source::P0(via) => {
                let account_id = via.account.id();
                let roles = match via.account.login() {
                    AccountLogin::OktaSaml {
                        app_id,
                        identity_provider,
                    } => {
                        OktaSaml::new(
                            p0.clone(),
                            &via.org,
                            app_id,
                            identity_provider,
                            account_id,
                            "",
                            None,
                        )
                        .offered_roles(ctx)
                        .await?
                    }
                    AccountLogin::IdentityCenter {
                        region,
                        identity_store_id,
                    } => {
                        IdentityCenter::new(
                            IdcInstance::for_identity_store(identity_store_id, region),
                            account_id,
                            "",
                            false,
                        )
                        .offered_permission_sets(ctx)
                        .await?
                    }
                };
                (account_id.to_string(), roles)
            }
            Source::IdentityCenter(direct) => {
                let roles = IdentityCenter::new(
                    direct.instance.clone(),
                    &direct.account_id,
                    "",
                    direct.force_login,
                )
                .offered_permission_sets(ctx)
                .await?;
                (direct.account_id.clone(), roles)
            }
            Source::WebIdentity(web) => {
                return Err(Error::Usage(format!(
                    "web identity assumes {} and no other role",
                    web.role.as_str()
                )))
            }
            Source::Chain(_) => unreachable!("unwrapped above"),
        };
        Ok((account_id, roles))
    }
}

/// The role the human picks; without one to ask, the list in a usage error.
fn pick(ctx: &Context, account: String, mut roles: Vec<String>) -> Result<String> {
    if roles.is_empty() {
        return Err(Error::NoRolesOffered { account });
    }
    if !ctx.human().present() {
        return Err(Error::RoleRequired { account, roles });
    }
    let prompt = format!("Role in account {account} (type to filter, Enter to choose)");
    let chosen = ctx
        .printer
        .pick(&prompt, &roles)?
        .ok_or(Error::Interrupted)?;
    Ok(roles.swap_remove(chosen))
}
