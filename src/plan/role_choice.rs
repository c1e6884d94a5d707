//! Choosing the role when none was given: the roles P0 can grant in the account (P0's `ls`),
//! with the ones the user holds right now marked (the Okta SAML assertion's roles in that
//! account, or the Identity Center account's permission sets), in a picker on the terminal;
//! without a terminal, a usage error that lists them. Direct Identity Center (no P0) offers
//! the permission sets held.

use super::{AccountBackend, Plan, Source};
use crate::backend::Backend;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::p0::P0Connection;
use std::sync::Arc;

impl Plan {
    /// The role or permission set asked of P0 or Identity Center (a chained role's source);
    /// `None` for web identity.
    pub fn role(&self) -> Option<&str> {
        self.source.role()
    }

    /// Whether the role (or permission set) is still to be chosen: none was given.
    pub fn needs_role(&self) -> bool {
        self.source.role_slot().is_some_and(|role| role.is_none())
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
        self.role_slot().and_then(|role| role.as_deref())
    }

    /// Where the P0 or Identity Center step keeps its role; `None` for web identity.
    fn role_slot(&self) -> Option<&Option<String>> {
        match self {
            Source::P0(via) => Some(&via.role),
            Source::IdentityCenter(direct) => Some(&direct.permission_set),
            Source::WebIdentity(_) => None,
            Source::Chain(chained) => chained.base.role_slot(),
        }
    }

    pub(super) fn set_role(&mut self, role: String) {
        match self {
            Source::P0(via) => via.role = Some(role),
            Source::IdentityCenter(direct) => direct.permission_set = Some(role),
            Source::WebIdentity(_) => {}
            Source::Chain(chained) => chained.base.set_role(role),
        }
    }

    /// The account id, and the roles it offers the user now.
    async fn offered_roles(
        &self,
        ctx: &Context,
        p0: &Arc<P0Connection>,
    ) -> Result<(String, Vec<Offered>)> {
        let mut source = self;
        while let Source::Chain(chained) = source {
            source = &chained.base;
        }
        let (account_id, roles) = match source {
            Source::P0(via) => {
                let account_id = via.account.id();
                let account_backend = AccountBackend::of(p0, &via.org, &via.account);
                let held = account_backend.offered_roles(ctx);
                let backend = via.account.login().backend();
                let (grantable, held) = tokio::join!(grantable(ctx, p0, backend, account_id), held);
                // Okta shows no assertion at all to someone the AWS app is not assigned to
                // yet (all their access just-in-time): they hold nothing there.
                let held = match held {
                    Err(Error::NoSamlAssertion) => Vec::new(),
                    other => other?,
                };
                (account_id.to_string(), merge(grantable?, held))
            }
            Source::IdentityCenter(direct) => {
                let roles = direct.backend().offered_roles(ctx).await?;
                (direct.account_id.clone(), merge(Vec::new(), roles))
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

/// A role the picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offered {
    name: String,
    /// The user holds it right now (no approval needed).
    held: bool,
}

impl Offered {
    fn label(&self) -> String {
        if self.held {
            format!("{} {HELD_MARK}", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// How the picker and the list mark a role the user holds now.
const HELD_MARK: &str = "(held)";
/// How many items P0's `ls` is asked for (its argv carries twice what is shown, §9).
const LS_SIZE: usize = 500;

/// The roles (or permission sets) P0 can grant in `account_id`: its `ls` items whose `group`
/// is the account.
async fn grantable(
    ctx: &Context,
    p0: &Arc<P0Connection>,
    backend: Backend,
    account_id: &str,
) -> Result<Vec<String>> {
    let client = p0.client(ctx).await?;
    let argv = ["ls", "aws", backend.request_word(), "--size"]
        .map(String::from)
        .into_iter()
        .chain([(2 * LS_SIZE).to_string()])
        .collect();
    let listing = client.list(argv, false).await?;
    Ok(listing
        .items
        .into_iter()
        .filter(|item| item.group.as_deref() == Some(account_id))
        .map(|item| item.key)
        .collect())
}

/// P0's grantable roles in its order, each marked when held, then any held role P0 did not
/// list (standing access granted outside P0).
fn merge(grantable: Vec<String>, held: Vec<String>) -> Vec<Offered> {
    let mut offered: Vec<Offered> = Vec::new();
    for name in grantable {
        if !offered.iter().any(|o| o.name == name) {
            let held = held.contains(&name);
            offered.push(Offered { name, held });
        }
    }
    for name in held {
        if !offered.iter().any(|o| o.name == name) {
            offered.push(Offered { name, held: true });
        }
    }
    offered
}

/// The role the human picks; without one to ask, the list in a usage error.
fn pick(ctx: &Context, account: String, mut roles: Vec<Offered>) -> Result<String> {
    if roles.is_empty() {
        return Err(Error::NoRolesOffered { account });
    }
    let labels: Vec<String> = roles.iter().map(Offered::label).collect();
    if !ctx.human().present() {
        return Err(Error::RoleRequired {
            account,
            roles: labels,
        });
    }
    let prompt = format!(
        "Role in account {account}, {HELD_MARK} if you have it now (type to filter, Enter to choose)"
    );
    let chosen = ctx
        .printer
        .pick(&prompt, &labels)?
        .ok_or(Error::Interrupted)?;
    Ok(roles.swap_remove(chosen).name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p0s_roles_come_first_and_held_ones_are_marked() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let offered = merge(
            names(&["Admin", "Billing", "Admin"]),
            names(&["Billing", "Standing"]),
        );
        let labels: Vec<String> = offered.iter().map(Offered::label).collect();
        assert_eq!(labels, ["Admin", "Billing (held)", "Standing (held)"]);
        assert!(merge(Vec::new(), Vec::new()).is_empty());
    }
}
