//! `p0 run-as`: credentials for one command, then step aside.
//!
//! Arguments become a plan (through P0, or Identity Center directly), the plan becomes
//! credentials (the shared cache first, so a warm run makes no network call at all), and the
//! credentials go into the child's environment only. With nothing to supervise, `p0` replaces
//! itself with the command.

use crate::backends::idc;
use crate::cli::{RestartSignal, RunAsArgs};
use crate::credentials::{self, AwsCredentials, Reuse, Want};
use crate::env;
use crate::error::{Error, Result};
use crate::launch::{self, BoxFuture, ChildEnv, CredentialSource, Signal, Supervision};
use crate::p0;
use crate::sso_config::{self, SsoInstance};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(args: RunAsArgs) -> Result<u8> {
    let command = launch::Command::from_argv(args.command.iter().cloned())
        .ok_or_else(|| Error::Usage("run-as needs a command to run".into()))?;
    let plan = Plan::from_args(&args)?;
    let reuse = Reuse::configured(args.refresh_credentials);
    // Ctrl-C while waiting for an approval or a sign-in ends p0 at once (exit 130).
    let (account_id, credentials) = p0::block_on(plan.obtain(reuse))?;

    let marker = launch::check_nesting(&account_id, plan.role())?;
    let region = args
        .region
        .clone()
        .or_else(|| env::get(env::read::AWS_REGION))
        .or_else(|| env::get(env::read::AWS_DEFAULT_REGION));
    let child_env = ChildEnv::inherit(&marker, region.as_deref());

    let renewing = || -> Arc<dyn CredentialSource> {
        Arc::new(Renewing {
            plan: plan.for_renewal(),
            current: Mutex::new(credentials.clone()),
        })
    };
    let mode = if args.refresh {
        Supervision::Refresh { source: renewing() }
    } else if args.restart {
        Supervision::Restart {
            source: renewing(),
            margin: Duration::from_secs(args.restart_margin),
            signal: signal_of(args.restart_signal),
            grace: Duration::from_secs(args.restart_grace),
        }
    } else {
        // Nothing to supervise: become the command. Returns only if exec failed.
        return Err(launch::exec(
            &command,
            &child_env.with_credentials(&credentials),
        ));
    };
    // A plain runtime: the supervisor must outlive Ctrl-C (the child gets it and decides), so
    // it cannot run under p0::block_on's interrupt handling.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    runtime.block_on(launch::supervise(&command, &child_env, mode))
}

fn signal_of(signal: RestartSignal) -> Signal {
    match signal {
        RestartSignal::Term => Signal::SIGTERM,
        RestartSignal::Int => Signal::SIGINT,
        RestartSignal::Hup => Signal::SIGHUP,
        RestartSignal::Quit => Signal::SIGQUIT,
        RestartSignal::Usr1 => Signal::SIGUSR1,
        RestartSignal::Usr2 => Signal::SIGUSR2,
    }
}

/// Where the credentials come from: P0 (the default), or Identity Center directly.
#[derive(Debug, Clone)]
enum Plan {
    P0(Want),
    DirectIdc {
        instance: SsoInstance,
        account_id: String,
        permission_set: String,
        force_login: bool,
    },
}

impl Plan {
    fn from_args(args: &RunAsArgs) -> Result<Plan> {
        if args.sso || args.sso_start_url.is_some() || args.sso_region.is_some() {
            let account_id = args.account.clone().ok_or_else(|| {
                Error::Usage(
                    "--account (the AWS account id) is required to use Identity Center directly"
                        .into(),
                )
            })?;
            return Ok(Plan::DirectIdc {
                instance: sso_config::resolve(
                    args.sso_start_url.as_deref(),
                    args.sso_region.as_deref(),
                )?,
                account_id,
                permission_set: args.role.clone(),
                force_login: args.force_refresh,
            });
        }
        Ok(Plan::P0(Want {
            account: args.account.clone(),
            role: args.role.clone(),
            reason: args.reason.clone(),
            request: !args.no_request,
            ..Want::default()
        }))
    }

    /// The same plan for background renewals: never a forced sign-in.
    fn for_renewal(&self) -> Plan {
        let mut plan = self.clone();
        if let Plan::DirectIdc { force_login, .. } = &mut plan {
            *force_login = false;
        }
        plan
    }

    fn role(&self) -> &str {
        match self {
            Plan::P0(want) => &want.role,
            Plan::DirectIdc { permission_set, .. } => permission_set,
        }
    }

    /// The resolved account id, and credentials for the role in it.
    async fn obtain(&self, reuse: Reuse) -> Result<(String, AwsCredentials)> {
        match self {
            Plan::P0(want) => {
                let want = Want {
                    reuse,
                    ..want.clone()
                };
                let (account, credentials) = credentials::obtain(&want).await?;
                Ok((account.id().to_string(), credentials))
            }
            Plan::DirectIdc {
                instance,
                account_id,
                permission_set,
                force_login,
            } => {
                let credentials = idc::role_credentials(
                    &instance.start_url,
                    &instance.region,
                    account_id,
                    permission_set,
                    *force_login,
                    reuse,
                )
                .await?;
                Ok((account_id.clone(), credentials))
            }
        }
    }
}

/// Renews a supervised child's credentials through the same plan and the shared cache, so
/// parallel `p0` processes renewing the same role still fetch once.
struct Renewing {
    plan: Plan,
    current: Mutex<AwsCredentials>,
}

impl CredentialSource for Renewing {
    fn current(&self) -> AwsCredentials {
        self.current.lock().expect("never poisoned").clone()
    }

    fn renew(&self) -> BoxFuture<'_, Result<AwsCredentials>> {
        Box::pin(async move {
            let reuse = Reuse::to_replace(&self.current());
            let (_, fresh) = self.plan.obtain(reuse).await?;
            *self.current.lock().expect("never poisoned") = fresh.clone();
            Ok(fresh)
        })
    }
}
