//! `p0 run-as`: credentials for one command, then step aside.
//!
//! The arguments become a plan, the plan's provider gives credentials (the shared cache first,
//! so a warm run makes no network call at all), and the credentials go into the child's
//! environment only. With nothing to supervise, `p0` replaces itself with the command.

use super::block_on;
use crate::cli::{RestartSignal, RunAsArgs};
use crate::context::Context;
use crate::credentials::{AwsCredentials, Reuse};
use crate::error::{Error, Result};
use crate::launch::{self, BoxFuture, ChildEnv, CredentialSource, Signal, Supervision};
use crate::p0::P0Connection;
use crate::plan::Plan;
use crate::providers::cached::Cached;
use crate::providers::Provider;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(ctx: Context, args: RunAsArgs) -> Result<u8> {
    let command = launch::Command::from_argv(args.command.iter().cloned())
        .ok_or_else(|| Error::Usage("run-as needs a command to run".into()))?;
    // Before any network call: a mistyped command must not file a request first.
    command.check_runnable()?;
    let p0 = P0Connection::new();
    // A warm run: the plan from local files and credentials from the cache, with no runtime,
    // no HTTP client and no network call before exec.
    let warm = Plan::for_run_as_offline(&ctx, &args)?.and_then(|plan| {
        let credentials = plan.provider(&p0).cached(&ctx, plan.reuse)?;
        Some((plan, credentials))
    });
    let (plan, credentials) = match warm {
        Some(warm) => warm,
        // Ctrl-C while waiting for an approval or a sign-in ends p0 at once (exit 130).
        None => block_on(async {
            let plan = Plan::for_run_as(&ctx, &p0, &args).await?;
            let credentials = plan.provider(&p0).credentials(&ctx, plan.reuse).await?;
            Ok((plan, credentials))
        })?,
    };

    let target = plan.target();
    let marker = launch::check_nesting(&target.account_id, &target.role)?;
    let child_env = ChildEnv::inherit(&marker, plan.region.as_deref());

    let renewing = || -> Arc<dyn CredentialSource> {
        let renewal = plan.for_renewal();
        Arc::new(Renewing {
            provider: renewal.provider(&p0),
            reuse: renewal.reuse,
            // Renewals never write into the child's terminal, but for a failure that lasts.
            ctx: ctx.quieted(),
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
    // it cannot run under block_on's interrupt handling.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    runtime.block_on(launch::supervise(&command, &child_env, &ctx.printer, mode))
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
