//! A `p0 run-as` left running in the background, for the tests that watch it over time: a
//! [`Running`] from the one builder (`sb.run(..).spawn()`) with a scratch `$OUT` directory.

use super::{eventually, Ran, Running, Sandbox};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// How long a background run may take, start to end: the real-time tests run children
/// across several credential lifetimes.
const RUN_AS_DEADLINE: Duration = Duration::from_secs(180);

/// `p0 run-as --account prod --role Admin [mode...] -- sh -c SCRIPT`, running, with `$OUT` a
/// scratch directory and p0's debug log on its stderr (`read("stderr")`). p0 leads its own
/// session and process group, without a terminal; dropping this kills the group.
pub struct RunAs {
    running: Option<Running>,
    ran: Option<Ran>,
    out: tempfile::TempDir,
}

impl RunAs {
    pub fn start(sandbox: &Sandbox, mode: &[&str], script: &str) -> RunAs {
        let out = tempfile::tempdir().unwrap();
        let running = sandbox
            .run(["run-as", "--account", "prod", "--role", "Admin"])
            .args(mode)
            .args(["--", "sh", "-c", script])
            .env("OUT", out.path())
            .env("P0_LOG", "p0=debug")
            .deadline(RUN_AS_DEADLINE)
            .any_code()
            .any_stdout()
            .any_stderr()
            .spawn();
        RunAs {
            running: Some(running),
            ran: None,
            out,
        }
    }

    /// Starts it and waits for its exit code (panics if a signal killed p0).
    pub fn to_end(sandbox: &Sandbox, mode: &[&str], script: &str) -> (i32, RunAs) {
        RunAs::start(sandbox, mode, script).exit_code()
    }

    pub fn pid(&self) -> u32 {
        self.running.as_ref().expect("still running").pid()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    /// A file in `$OUT`, or p0's `stdout` or `stderr` (so far); empty if missing.
    pub fn read(&self, name: &str) -> String {
        match (name, &self.running, &self.ran) {
            ("stdout", Some(running), _) => running.stdout_so_far(),
            ("stderr", Some(running), _) => running.stderr_so_far(),
            ("stdout", None, Some(ran)) => super::stdout(ran),
            ("stderr", None, Some(ran)) => super::stderr(ran),
            _ => std::fs::read_to_string(self.path(name)).unwrap_or_default(),
        }
    }

    /// Waits until the child script has written a full line to `name`.
    pub fn wait_for(&self, name: &str) -> String {
        eventually(
            &format!("a line in $OUT/{name}"),
            Duration::from_secs(60),
            || Some(self.read(name)).filter(|text| text.ends_with('\n')),
        )
    }

    /// Waits for p0 to end (failing the test, p0's group killed, past the deadline).
    pub fn finish(mut self) -> (ExitStatus, RunAs) {
        let ran = self.running.take().expect("still running").wait();
        let status = ran.status;
        self.ran = Some(ran);
        (status, self)
    }

    pub fn exit_code(self) -> (i32, RunAs) {
        let (status, run) = self.finish();
        let code = status.code().unwrap_or_else(|| {
            panic!(
                "p0 was killed by {:?}; stderr:\n{}",
                status.signal(),
                run.read("stderr")
            )
        });
        (code, run)
    }
}
