//! Running the child: replace `p0` with it (`exec`), or supervise it while its credentials are
//! kept fresh (`supervise`: a loopback credential endpoint, or restarts before expiry).
//!
//! Nothing here knows about P0, Okta or Identity Center: credentials come in as
//! [`AwsCredentials`] and renewed ones from a [`CredentialSource`].

mod child_env;
mod exec;
#[cfg(test)]
mod process_tests;
mod renewal;
mod server;
mod supervisor;

pub use child_env::{check_nesting, ChildEnv};
pub use exec::exec;
pub use nix::sys::signal::Signal;
pub use server::CredentialServer;
pub use supervisor::{supervise, Supervision};

use crate::credentials::AwsCredentials;
use crate::error::Result;
use std::ffi::OsString;

/// The command to run, as the user typed it (the program is looked up on the child's PATH).
#[derive(Debug, Clone)]
pub struct Command {
    pub program: OsString,
    pub args: Vec<OsString>,
}

impl Command {
    /// `argv[0]` is the program; the rest are its arguments. `None` for an empty argv.
    pub fn from_argv(argv: impl IntoIterator<Item = OsString>) -> Option<Self> {
        let mut argv = argv.into_iter();
        let program = argv.next()?;
        Some(Command {
            program,
            args: argv.collect(),
        })
    }

    /// Looks the program up on this process's `PATH` (which the child inherits) as `exec`
    /// will: a command that cannot run is 127/126 before any request is filed or any
    /// credential fetched.
    pub fn check_runnable(&self) -> Result<()> {
        let path = crate::env::all_os()
            .find(|(name, _)| name == crate::env::read::PATH)
            .map(|(_, value)| value);
        exec::resolve(&self.program, path.as_deref()).map(|_| ())
    }
}

/// The crate's one `BoxFuture`, named here too for the implementors of [`CredentialSource`].
pub use crate::BoxFuture;

/// Where a supervised child's renewed credentials come from.
pub trait CredentialSource: Send + Sync {
    /// The credentials to start with.
    fn current(&self) -> AwsCredentials;
    /// Credentials that expire later than the ones handed out so far. It may take long (a
    /// device authorization on the terminal): the supervisor keeps serving the current ones
    /// meanwhile, and retries failures with backoff.
    fn renew(&self) -> BoxFuture<'_, Result<AwsCredentials>>;
}
