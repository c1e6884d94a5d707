//! The harness of `p0`'s end-to-end tests: the real `p0` binary against a `p0-sandbox` with
//! moto, started by `p0-testkit` (the launcher, control port, pty runner and Python check the
//! sandbox's own tests use too). Here: one logged-in sandbox (`Sandbox::logged_in`), the
//! scenario's names (`PROD`, `ADMIN`, ...), the argv the tests share (`RUN_ADMIN`, ...), and
//! the one way to run `p0` and to wait for something.
//!
//! # Running `p0`: `sb.run(ARGS)`, a builder
//!
//! ```ignore
//! // Exit 0, stdout exactly this, stderr empty (the defaults: 0, "", "").
//! sb.run(["ls"]).stdout("Admin\n").run();
//! // Exit 77, nothing on stdout, stderr containing a piece (several calls: all of them).
//! sb.run(RUN_ADMIN).code(77).stderr_contains("p0 login").run();
//! // The test parses the output itself: say so, then read the `Ran` (derefs to `Output`).
//! let out = sb.run(ASSUME_ADMIN).any_stderr().stdout_contains("export ").run();
//! let vars = exports(&out);
//! // Shortcuts: `.run_stdout()` / `.run_stderr()` return the text after the checks.
//! let err = sb.run(["request"]).code(64).any_stderr().run_stderr();
//! // Environment, stdin, working directory, another deadline, measured time and memory.
//! let ran = sb.run(RUN_ADMIN).env("P0_LOCK_TIMEOUT", "1").stdin("y\n")
//!     .deadline(Duration::from_secs(20)).code(75).any_stderr().run();
//! assert!(ran.elapsed < Duration::from_secs(5) && ran.max_rss_kib < 65536);
//! // In the background: `.spawn()` returns a `Running` (its `.wait()` checks the same way;
//! // dropping it kills p0's process group).
//! let running = sb.run(RUN_ADMIN).any_stderr().spawn();
//! eventually("the request is pending", Duration::from_secs(30), || {
//!     (sb.count("p0.command") == 1).then_some(())
//! });
//! running.wait();
//! ```
//!
//! Every run has a deadline ([`DEADLINE`], 60 s, unless `.deadline(..)`): past it p0's
//! process group is killed and the test fails with the command line and the output so far.
//! Every check fails at the test's own line (`#[track_caller]`). The expectations are exact
//! unless the test asks for less: `.stdout_contains`/`.stderr_contains`, or
//! `.any_stdout()`/`.any_stderr()`/`.any_code()` when the test asserts on that itself.
//! `P0_RETRY_BASE_MS=5` shortens P0 retries. There is no other way to start p0 without a
//! terminal (the raw `Command` is private to the harness). Under a terminal, p0 runs through
//! testkit's pty runner (`sb.p0_in_terminal(args)`, `sb.terminal(..)`, with their own
//! deadline); under strace, through `reliability::run_bounded`.
//!
//! # Waiting: `eventually(what, limit, condition)`
//!
//! Polls `condition` every 20 ms until it returns `Some(value)`; fails with `what` past
//! `limit`. No fixed sleep gates an assertion: wait for the event instead.
//!
//! # Real-time tests
//!
//! A test that must let real time pass (children across credential lifetimes, about a
//! minute or more) lives in a `mod slow` inside its area's module, beside the helpers it
//! shares (`renewals::slow::`, `launch::slow::`, `reliability::deadlines::slow::`), so
//! `cargo test --test e2e -- --skip slow::` leaves them all out. No other marker is used
//! (no `#[ignore]`, no naming scheme).
#![allow(dead_code)] // Not every module uses every helper.

mod run;
mod run_as;

pub use p0_testkit::scenario::*;
pub use p0_testkit::{assert_success, aws_cli_path, python, text};
// Named for the tests' signatures and docs, though most reach them through `sb.run(..)`.
#[allow(unused_imports)]
pub use run::{eventually, Ran, Run, Running, DEADLINE};
pub use run_as::RunAs;

use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::process::Output;

/// The `p0` under test.
pub fn p0_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_p0"))
}

/// The release's warm-path front end (`p0-warm`, installed as `p0`), built beside it.
pub fn front_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_p0-warm"))
}

/// The `p0-sandbox` built with it (`scripts/test` builds the whole workspace first).
pub fn sandbox_binary() -> PathBuf {
    p0_binary().with_file_name("p0-sandbox")
}

/// A sandbox (with its own temp HOME) that runs the real `p0` against itself. Everything of
/// `p0_testkit::Sandbox` (control port, `command`, `in_terminal`, ...) is reachable through it.
pub struct Sandbox(p0_testkit::Sandbox);

impl Deref for Sandbox {
    type Target = p0_testkit::Sandbox;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Sandbox {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Sandbox {
    /// Starts the sandbox (and its moto) for this scenario, nobody logged in.
    pub fn start(scenario: Value) -> Sandbox {
        Sandbox(p0_testkit::Sandbox::start(&sandbox_binary(), scenario))
    }

    /// Starts the sandbox, logs in with `p0 login`, and resets the call counts, so a test
    /// counts only its own calls.
    pub fn logged_in(scenario: Value) -> Sandbox {
        let sb = Sandbox::start(scenario);
        sb.login();
        sb.reset_calls();
        sb
    }

    /// `p0 ARGS` under a pseudo-terminal: it is the controlling terminal (so /dev/tty opens)
    /// and stdin, stdout and stderr. `Output.stdout` is the transcript of both streams exactly
    /// as written (no CR is added); `Output.stderr` is empty.
    pub fn p0_in_terminal(&self, args: &[&str]) -> Output {
        self.in_terminal(p0_binary(), args, "")
    }

    /// `p0 login <org>`; fails the test with p0's output unless it succeeds.
    pub fn login(&self) -> Ran {
        self.run(["login", self.org()])
            .any_stdout()
            .any_stderr()
            .run()
    }

    /// A shell running `script` with the test environment, `p0` first on PATH, no terminal,
    /// and `AWS_DEFAULT_REGION` us-east-1 (the aws CLI v1 reads only that).
    pub fn sh(&self, script: &str) -> Output {
        let p0_dir = p0_binary()
            .parent()
            .expect("p0 lives in a directory")
            .to_path_buf();
        let path = self
            .env_vars()
            .into_iter()
            .find(|(key, _)| key == "PATH")
            .map(|(_, value)| value)
            .unwrap_or_default();
        let mut dirs = vec![p0_dir];
        dirs.extend(std::env::split_paths(&path));
        self.command("sh")
            .arg("-c")
            .arg(script)
            .env("PATH", std::env::join_paths(dirs).unwrap())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("sh runs")
    }

    /// `~/.p0/identity.json`, the session `p0 login` saves.
    pub fn identity_path(&self) -> PathBuf {
        self.home().join(".p0/identity.json")
    }

    pub fn identity(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.identity_path()).expect("identity.json"))
            .unwrap()
    }

    /// Rewrites identity.json after `edit` (an expiry moved, a key removed, ...).
    pub fn edit_identity(&self, edit: impl FnOnce(&mut Value)) {
        let mut value = self.identity();
        edit(&mut value);
        std::fs::write(
            self.identity_path(),
            serde_json::to_vec_pretty(&value).unwrap(),
        )
        .unwrap();
    }

    /// The credential cache directory.
    pub fn cache_dir(&self) -> PathBuf {
        self.home().join(".p0/cache")
    }
}

// The argv the tests share.

/// `p0 run-as --account prod --role Admin -- true`
pub const RUN_ADMIN: [&str; 7] = [
    "run-as",
    "--account",
    "prod",
    "--role",
    "Admin",
    "--",
    "true",
];

/// `p0 run-as --account prod --role Admin --no-request -- true`
pub const RUN_ADMIN_NO_REQUEST: [&str; 8] = [
    "run-as",
    "--account",
    "prod",
    "--role",
    "Admin",
    "--no-request",
    "--",
    "true",
];

/// `p0 aws --account prod role assume Admin`
pub const ASSUME_ADMIN: [&str; 6] = ["aws", "--account", "prod", "role", "assume", "Admin"];

/// `p0 aws --account dev permission-set assume Developer` (Identity Center)
pub const ASSUME_DEV: [&str; 6] = [
    "aws",
    "--account",
    "dev",
    "permission-set",
    "assume",
    "Developer",
];

/// `p0 aws credential-process --account prod --role Admin`
pub const PROCESS_ADMIN: [&str; 6] = [
    "aws",
    "credential-process",
    "--account",
    "prod",
    "--role",
    "Admin",
];

/// `p0 console --account prod --role Admin`
pub const CONSOLE_PROD: [&str; 5] = ["console", "--account", "prod", "--role", ADMIN];

/// `p0 request --wait aws role Admin --account=prod`
pub const REQUEST_ADMIN: [&str; 6] = [
    "request",
    "--wait",
    "aws",
    "role",
    "Admin",
    "--account=prod",
];

/// The `aws` CLI's (not p0's) `sts get-caller-identity --output json`.
pub const GET_CALLER_IDENTITY: [&str; 5] =
    ["aws", "sts", "get-caller-identity", "--output", "json"];

pub fn stdout(output: &Output) -> String {
    text(&output.stdout)
}

pub fn stderr(output: &Output) -> String {
    text(&output.stderr)
}

/// The variables of POSIX export lines, parsed as a shell would.
pub fn exports(output: &Output) -> BTreeMap<String, String> {
    stdout(output)
        .lines()
        .map(|line| {
            let words = shell_words::split(line).expect("valid shell words");
            assert_eq!(words.len(), 2, "{line}");
            assert_eq!(words[0], "export", "{line}");
            let (key, value) = words[1].split_once('=').expect("KEY=value");
            (key.to_string(), value.to_string())
        })
        .collect()
}

/// The wall clock in seconds since the epoch (identity.json's expiry format).
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A terminal transcript without its escape sequences (colours, cursor moves), as the screen's
/// text reads.
pub fn plain(transcript: &str) -> String {
    let mut out = String::with_capacity(transcript.len());
    let mut chars = transcript.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        }
    }
    out
}
