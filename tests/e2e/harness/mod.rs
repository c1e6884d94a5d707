//! The harness of `p0`'s end-to-end tests: the real `p0` binary against a `p0-sandbox` with
//! moto, started by `p0-testkit` (the launcher, control port, pty runner and Python check the
//! sandbox's own tests use too). Here: one way to run `p0` (`p0`, `p0_ok`, `p0_fails`), one
//! logged-in sandbox (`Sandbox::logged_in`), and the scenario's names (`PROD`, `ADMIN`, ...).
#![allow(dead_code)] // Not every module uses every helper.

mod run_as;

pub use p0_testkit::scenario::*;
pub use p0_testkit::{assert_success, aws_cli_path, python, text};
pub use run_as::RunAs;

use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::process::{Command, Output};

/// The `p0` under test.
pub fn p0_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_p0"))
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

    /// The real `p0` with the test environment and no controlling terminal, so every "no
    /// human present" path is deterministic.
    pub fn p0(&self) -> Command {
        self.command(p0_binary())
    }

    /// `p0 ARGS` under a pseudo-terminal: it is the controlling terminal (so /dev/tty opens)
    /// and stdin, stdout and stderr. `Output.stdout` is the transcript of both streams exactly
    /// as written (no CR is added); `Output.stderr` is empty.
    pub fn p0_in_terminal(&self, args: &[&str]) -> Output {
        self.in_terminal(p0_binary(), args, "")
    }

    /// `p0 login <org>`; panics with p0's output unless it succeeds.
    pub fn login(&self) -> Output {
        let output = self
            .p0()
            .args(["login", self.org()])
            .output()
            .expect("p0 runs");
        assert!(
            output.status.success(),
            "p0 login {} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.org(),
            output.status,
            text(&output.stdout),
            text(&output.stderr)
        );
        output
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

/// Runs `p0 ARGS` without a terminal, P0 retries shortened (`P0_RETRY_BASE_MS=5`).
pub fn p0(sb: &Sandbox, args: &[&str]) -> Output {
    sb.p0()
        .args(args)
        .env("P0_RETRY_BASE_MS", "5")
        .output()
        .expect("p0 runs")
}

/// Runs `p0 ARGS` (as [`p0`]) and asserts it succeeded.
pub fn p0_ok(sb: &Sandbox, args: &[&str]) -> Output {
    let output = p0(sb, args);
    assert!(
        output.status.success(),
        "p0 {args:?} failed ({:?}):\n{}",
        output.status,
        stderr(&output)
    );
    output
}

/// Runs `p0 ARGS` (as [`p0`]), asserts it failed with `code` and printed nothing on stdout,
/// and returns its stderr.
pub fn p0_fails(sb: &Sandbox, args: &[&str], code: i32) -> String {
    let output = p0(sb, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "p0 {args:?}: stdout {:?} stderr {:?}",
        stdout(&output),
        stderr(&output)
    );
    assert!(output.stdout.is_empty(), "nothing on stdout on failure");
    stderr(&output)
}

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
