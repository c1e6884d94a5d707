//! One file per subcommand; each takes the context and its parsed arguments and returns the
//! exit code.

mod aws;
mod completions;
mod configure;
mod console;
mod credential_process;
mod eks;
mod login;
mod logout;
mod ls;
mod man;
mod rds;
mod request;
mod run_as;
mod status;
mod subshell;

use crate::cli::{AwsCommand, Command, EksCommand};
use crate::context::Context;
use crate::error::{Error, Result};
use std::future::Future;

/// Runs the parsed command and returns the process exit code.
pub fn run(ctx: Context, command: Command) -> Result<u8> {
    match command {
        Command::Login(args) => login::run(&ctx, args),
        Command::Logout => logout::run(&ctx),
        Command::Request(args) => request::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::Aws(args) => aws::run(&ctx, args),
        Command::RunAs(args) => run_as::run(ctx, args),
        Command::Console(args) => console::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Completions { shell } => completions::run(shell),
        Command::Man(args) => man::run(args),
    }
}

/// The warm-path front end's share of [`run`] (`crate::front`): a warm `run-as` becomes its
/// command (and does not return), a warm `credential-process` is answered (its exit code).
/// `None` when the command is not one of those or not warm: nothing was done, and the whole
/// program runs it.
pub fn run_if_warm(ctx: &Context, command: &Command) -> Option<u8> {
    match command {
        Command::RunAs(args) => {
            run_as::exec_if_warm(ctx, args);
            None
        }
        Command::Aws(args) => match &args.command {
            AwsCommand::Eks {
                command: EksCommand::GetToken(get_token),
            } => eks::answer_if_warm(ctx, eks::AwsWanted::of(&args.flags), get_token),
            AwsCommand::CredentialProcess(_) => {
                let wanted = crate::plan::Wanted::aws(&args.flags, &args.command)?;
                credential_process::answer_if_warm(ctx, wanted)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Runs a command's async body on a single-threaded runtime, ended by Ctrl-C with
/// `Error::Interrupted` (exit 130). Dropping the future abandons any wait; files are only ever
/// replaced whole, so nothing partial is left behind.
pub fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    runtime.block_on(interruptible(future))
}

async fn interruptible<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    let interrupted = async {
        // Ignored SIGINT (nohup, a background job) stays ignored: no handler of ours, which
        // would also reset it to the default for a command `run-as` execs afterwards.
        let ignored = crate::signals::is_ignored(nix::sys::signal::Signal::SIGINT);
        if ignored || tokio::signal::ctrl_c().await.is_err() {
            // No signal handling available: never interrupt.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = future => result,
        () = interrupted => Err(Error::Interrupted),
    }
}
