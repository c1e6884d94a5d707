//! A `p0 run-as` left running in the background, for the tests that watch it over time.

use super::Sandbox;
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// `p0 run-as --account prod --role Admin [mode...] -- sh -c SCRIPT`, running, with `$OUT` a
/// scratch directory and p0's debug log in `$OUT/stderr`. p0 leads its own session and
/// process group, without a terminal.
pub struct RunAs {
    p0: Child,
    out: tempfile::TempDir,
}

/// A failed assertion must not leave p0 (and, through PR_SET_PDEATHSIG, its child) running.
impl Drop for RunAs {
    fn drop(&mut self) {
        if matches!(self.p0.try_wait(), Ok(None)) {
            let _ = self.p0.kill();
            let _ = self.p0.wait();
        }
    }
}

impl RunAs {
    pub fn start(sandbox: &Sandbox, mode: &[&str], script: &str) -> RunAs {
        let out = tempfile::tempdir().unwrap();
        let p0 = sandbox
            .p0()
            .args(["run-as", "--account", "prod", "--role", "Admin"])
            .args(mode)
            .args(["--", "sh", "-c", script])
            .env("OUT", out.path())
            .env("P0_LOG", "p0=debug")
            .stdout(File::create(out.path().join("stdout")).unwrap())
            // Files, not pipes: a child that outlived p0 would hold a pipe open.
            .stderr(File::create(out.path().join("stderr")).unwrap())
            .spawn()
            .expect("p0 runs");
        RunAs { p0, out }
    }

    /// Starts it and waits for its exit code (panics if a signal killed p0).
    pub fn to_end(sandbox: &Sandbox, mode: &[&str], script: &str) -> (i32, RunAs) {
        RunAs::start(sandbox, mode, script).exit_code()
    }

    pub fn pid(&self) -> u32 {
        self.p0.id()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    /// A file in `$OUT` (`stdout` and `stderr` are p0's), empty if missing.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// Waits until the child script has written a full line to `name`.
    pub fn wait_for(&self, name: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.read(name);
            if text.ends_with('\n') {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never appeared; p0's stderr:\n{}",
                self.read("stderr")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn finish(mut self) -> (ExitStatus, RunAs) {
        let deadline = Instant::now() + Duration::from_secs(180);
        let status = loop {
            if let Some(status) = self.p0.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.p0.kill();
                panic!("p0 did not finish; stderr:\n{}", self.read("stderr"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
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
