//! Running the child: replace `p0` with it (`exec`), or supervise it while its credentials are
//! kept fresh (`supervise`: a loopback credential endpoint, or restarts before expiry).
//!
//! Nothing here knows about P0, Okta or Identity Center: credentials come in as
//! `AwsCredentials`.

// The lead's `commands/run_as.rs` calls this API; until it lands, nothing outside tests does.
#![allow(dead_code, unused_imports)]

mod child_env;
mod exec;

pub use child_env::{check_nesting, ChildEnv};
pub use exec::exec;

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
}
