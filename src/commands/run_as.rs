//! `p0 run-as`: credentials for one command, then step aside.
//!
//! The arguments become a plan, the plan's provider gives credentials (the shared cache first,
//! so a warm run makes no network call at all), and the credentials go into the child's
//! environment only. With nothing to supervise, `p0` replaces itself with the command.

use super::{block_on, subshell};
use crate::aws_files;
use crate::cli::{RestartSignal, RunAsArgs};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Reuse};
use crate::error::{Error, Result};
use crate::launch::{self, BoxFuture, ChildEnv, CredentialSource, Signal, Supervision};
use crate::p0::P0Connection;
use crate::plan::{Offline, Plan};
use crate::providers::cached::Cached;
use crate::providers::Provider;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(ctx: Context, args: RunAsArgs) -> Result<u8> {
    // No command: the user's shell, with the credentials (before anything is fetched, so a
    // refused mode costs no request).
    let subshell = subshell::wanted(&args);
    if subshell {
        subshell::check_mode(&args)?;
    }
    let command =
        launch::Command::from_argv(args.command.iter().cloned()).unwrap_or_else(subshell::shell);
    // Before any network call: a mistyped command must not file a request first.
    command.check_runnable()?;
    let p0 = P0Connection::new();
    let offline = Plan::offline_run_as(&ctx, &args)?;
    let (plan, credentials) = match warm(&ctx, &offline, &p0) {
        Some(warm) => warm,
        // Ctrl-C while waiting for an approval or a sign-in ends p0 at once (exit 130).
        None => block_on(async {
            let mut plan = offline.resolve(&ctx, &p0).await?;
            if plan.needs_role() {
                plan = plan.choose_role(&ctx, &p0).await?;
            }
            let credentials = plan.credentials(&ctx, &p0).await?;
            Ok((plan, credentials))
        })?,
    };

    let target = plan.target();
    let mut child_env = child_env(&plan)?;
    if subshell {
        let account = args.account.as_deref().unwrap_or(&target.account_id);
        subshell::announce(&ctx.printer, &command, account, &target.role);
    }
    // Under --refresh the child's SDK walks its default chain, where a `[default]` with keys
    // (or credential_process, sso_*, role_arn) in the user's AWS files comes before the
    // credential endpoint: the child reads private copies without them instead, removed when
    // p0 exits (the supervisor outlives the child, whatever signal ends it).
    let copies = if args.refresh {
        aws_files::ChildCopies::prepare()?
    } else {
        None
    };
    for (name, path) in copies.iter().flat_map(|c| c.vars()) {
        child_env = child_env.with_var(name, path);
    }

    let renewing = || -> Result<Arc<dyn CredentialSource>> {
        let renewal = plan.for_renewal();
        // Renewals never write into the child's terminal, but for a failure that lasts, and
        // never ask for a sign-in there. Their own P0 connection is made with that context
        // (the first one printed the request's progress).
        Ok(Arc::new(Renewing {
            provider: renewal.provider(&P0Connection::new())?,
            reuse: renewal.reuse(),
            ctx: ctx.for_background(),
            current: Mutex::new(credentials.clone()),
        }))
    };
    let mode = if args.refresh {
        Supervision::Refresh {
            source: renewing()?,
        }
    } else if args.restart {
        Supervision::Restart {
            source: renewing()?,
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
    // it cannot run under block_on's interrupt handling.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    let code = runtime.block_on(launch::supervise(&command, &child_env, &ctx.printer, mode));
    drop(copies);
    code
}

/// A warm run: the plan from local files and credentials from the cache, with no runtime, no
/// HTTP client and no network call before exec. `None` when that is not enough.
fn warm(
    ctx: &Context,
    offline: &Offline,
    p0: &Arc<P0Connection>,
) -> Option<(Plan, AwsCredentials)> {
    let plan = offline.local()?;
    let credentials = plan.warm(ctx, p0)?;
    Some((plan.clone(), credentials))
}

/// The child's environment but for the credentials: p0's own environment, the nesting
/// marker and the plan's region.
fn child_env(plan: &Plan) -> Result<ChildEnv> {
    let target = plan.target();
    let marker = launch::check_nesting(&target.account_id, &target.role)?;
    Ok(ChildEnv::inherit(&marker, plan.region()))
}

/// The warm-path front end's `run-as` (`crate::front`): a warm run becomes the command, as
/// [`run`] makes it; otherwise it returns, having changed nothing, and the whole program runs
/// instead. `args` take no subshell and no supervision (the front end's parser accepts none).
pub fn exec_if_warm(ctx: &Context, args: &RunAsArgs) {
    debug_assert!(!args.refresh && !args.restart && !args.command.is_empty());
    let Some(command) = launch::Command::from_argv(args.command.iter().cloned()) else {
        return;
    };
    if command.check_runnable().is_err() {
        return;
    }
    let p0 = P0Connection::new();
    let Ok(Some(offline)) = Plan::offline_run_as_through_p0(ctx, args) else {
        return;
    };
    let Some((plan, credentials)) = warm(ctx, &offline, &p0) else {
        return;
    };
    if let Ok(child_env) = child_env(&plan) {
        ctx.release_warnings();
        // Returns only if exec failed: the whole program tries again and reports it.
        let _ = launch::exec(&command, &child_env.with_credentials(&credentials));
    }
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

/// Renews a supervised child's credentials through the plan's provider and the shared cache,
/// so parallel `p0` processes renewing the same role still fetch once.
struct Renewing {
    provider: Cached<Box<dyn Provider>>,
    reuse: Reuse,
    ctx: Context,
    current: Mutex<AwsCredentials>,
}

impl CredentialSource for Renewing {
    fn current(&self) -> AwsCredentials {
        self.current.lock().expect("never poisoned").clone()
    }

    fn renew(&self) -> BoxFuture<'_, Result<AwsCredentials>> {
        Box::pin(async move {
            let reuse = self.reuse.to_replace(&self.current());
            let fresh = self.provider.credentials(&self.ctx, reuse).await?;
            *self.current.lock().expect("never poisoned") = fresh.clone();
            Ok(fresh)
        })
    }
}
