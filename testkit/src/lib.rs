//! The test harness shared by `p0`'s end-to-end tests (`tests/e2e`) and the sandbox's own tests
//! (`sandbox/tests`): one source of truth for starting a `p0-sandbox` with moto, talking to its
//! control port, running programs under a pseudo-terminal, and finding the Python peers (moto,
//! boto3, the aws CLI).
//!
//! It knows nothing of `p0`: a test crate passes the sandbox binary it was built with and adds
//! its own helpers on top (`p0`'s harness wraps [`Sandbox`] and runs the real `p0`).

// Test support: what it prints is a failing test's diagnostics.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod browser;
mod process;
mod python;
mod sandbox;
pub mod scenario;
mod terminal;
pub mod tls;
pub use terminal::Terminal;

pub use process::{assert_success, text, wait_with_timeout};
pub use python::{aws_cli_path, python, python_bin_dir, repo_root};
pub use sandbox::{Sandbox, Urls};
pub use scenario::default_scenario;
