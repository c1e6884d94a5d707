//! Reliability and security (issue 11): one module per defect fixed, each test named in
//! RELIABILITY.md's table, which says what was tried, what `p0` does, its exit code, how long it
//! takes and what it leaves behind. Run them all: `scripts/test --test e2e -- reliability::`.
#![allow(dead_code)] // Not every module uses every helper.

mod aws_errors;
mod control_bytes;
mod deadlines;
mod diagnostics;
mod exit_codes;
mod fault_matrix;
// strace, which stops p0 at exactly the n-th rename, is Linux's (README "Platforms").
#[cfg(target_os = "linux")]
mod kills;
mod poll_stream;
mod races;
mod secret_scan;
mod session_herd;
mod state_files;
mod typos;

use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// How a process ran: its status (`None` when it was killed for running past the limit), its
/// output, how long it took and the most memory it held.
pub struct Bounded {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident set size, KiB (`ru_maxrss` of wait4).
    pub max_rss_kib: i64,
}

impl Bounded {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Panics unless the process exited with `code` (not killed, not timed out).
    #[allow(clippy::print_stderr)]
    pub fn assert_code(&self, code: i32) -> &Self {
        // For RELIABILITY.md's "time taken" (`--nocapture` shows it).
        eprintln!(
            "measured: exit {:?} after {:.2?}, peak RSS {} KiB, last line {:?}",
            self.code(),
            self.elapsed,
            self.max_rss_kib,
            self.stderr.trim_end().lines().last().unwrap_or_default()
        );
        assert_eq!(
            self.code(),
            Some(code),
            "after {:?} (status {:?}):\nstdout:\n{}\nstderr:\n{}",
            self.elapsed,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `command` (stdout and stderr to files), killing it past `limit`; reports its peak
/// memory from the kernel (wait4), so a test can bound time and memory at once. Only for a
/// program other than p0 (strace running p0): p0 itself runs through `sb.run(..)`.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Bounded {
    let out = tempfile::tempdir().unwrap();
    let (stdout, stderr) = (out.path().join("stdout"), out.path().join("stderr"));
    let started = Instant::now();
    let child = command
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .expect("the command starts");
    let pid = child.id() as i32;
    let mut raw_status = 0;
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: wait4 on our own child, with valid pointers.
        let reaped =
            unsafe { nix::libc::wait4(pid, &mut raw_status, nix::libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break;
        }
        assert!(reaped == 0, "wait4 failed");
        if !killed && started.elapsed() > limit {
            // SAFETY: signalling our own unreaped child.
            unsafe { nix::libc::kill(pid, nix::libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    // Reaped already: std's handle is only dropped (it neither waits nor kills).
    drop(child);
    Bounded {
        status: (!killed).then(|| ExitStatus::from_raw(raw_status)),
        stdout: std::fs::read_to_string(stdout).unwrap_or_default(),
        stderr: std::fs::read_to_string(stderr).unwrap_or_default(),
        elapsed,
        // Linux reports ru_maxrss in KiB, macOS in bytes.
        max_rss_kib: if cfg!(target_os = "linux") {
            usage.ru_maxrss
        } else {
            usage.ru_maxrss / 1024
        },
    }
}

/// `p0 ARGS` through the harness's one builder (its environment, P0 retries shortened), any
/// exit code and output, killed (failing the test) past `limit`: how long it took and the most
/// memory it held, for the tests that bound both.
pub fn p0_bounded(
    sb: &crate::harness::Sandbox,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Bounded {
    let ran = sb
        .run(args)
        .envs(env.iter().copied())
        .deadline(limit)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    Bounded::from(ran)
}

impl From<crate::harness::Ran> for Bounded {
    fn from(ran: crate::harness::Ran) -> Bounded {
        Bounded {
            status: Some(ran.status),
            stdout: crate::harness::stdout(&ran),
            stderr: crate::harness::stderr(&ran),
            elapsed: ran.elapsed,
            max_rss_kib: ran.max_rss_kib,
        }
    }
}

/// The default scenario with `Admin` already assigned to the user, so `--no-request` goes
/// straight to Okta and STS.
pub fn admin_assigned() -> serde_json::Value {
    let mut scenario = crate::harness::default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["assigned"] = true.into();
    scenario
}
