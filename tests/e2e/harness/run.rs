//! The one way an e2e test runs `p0`: [`Run`], a builder with a deadline that checks the exit
//! code, stdout and stderr (exactly, unless the test asks for less), and [`eventually`], the one
//! way a test waits for something to happen. See the top of `harness/mod.rs` for examples.

use super::{p0_binary, Sandbox};
use std::ffi::OsString;
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a `p0` run may take unless the test says otherwise ([`Run::deadline`]). Every run
/// in these tests finishes in seconds; a regression that waits (for an approval, a lock, a
/// human) is killed here and fails with what it printed, instead of stalling the suite.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// What a test expects of one output stream.
#[derive(Debug, Clone)]
enum Expected {
    /// Exactly this text (the default: an empty stream).
    Exactly(String),
    /// Each of these pieces, somewhere.
    Contains(Vec<String>),
    /// Anything: the test reads the text itself and asserts on it.
    Anything,
}

impl Expected {
    fn contains(&mut self, piece: &str) {
        match self {
            Expected::Contains(pieces) => pieces.push(piece.to_string()),
            _ => *self = Expected::Contains(vec![piece.to_string()]),
        }
    }

    /// Why `actual` is not what was expected, if it is not.
    fn mismatch(&self, actual: &str) -> Option<String> {
        match self {
            Expected::Exactly(text) if text != actual => Some(format!("expected exactly {text:?}")),
            Expected::Contains(pieces) => {
                let missing: Vec<&String> = pieces
                    .iter()
                    .filter(|p| !actual.contains(p.as_str()))
                    .collect();
                (!missing.is_empty()).then(|| format!("expected it to contain {missing:?}"))
            }
            _ => None,
        }
    }
}

/// `p0 ARGS` against a sandbox: the test environment, no terminal (p0 leads a session and
/// process group of its own), stdin empty, P0 retries shortened (`P0_RETRY_BASE_MS=5`).
///
/// Unless the test says otherwise, [`Run::run`] expects exit code 0, an empty stdout and an
/// empty stderr, and fails past [`DEADLINE`] (killing p0's process group).
#[must_use = "a Run does nothing until .run() or .spawn()"]
pub struct Run {
    command: Command,
    argv: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    deadline: Duration,
    code: Option<i32>,
    stdout: Expected,
    stderr: Expected,
}

impl Sandbox {
    /// `p0 ARGS` as a [`Run`] (what it expects is set on it; nothing runs before `.run()`).
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Run {
        self.run_program(&p0_binary(), args)
    }

    /// [`Sandbox::run`] with another build of p0 (the release's front end, `p0-warm`, or a
    /// copy of it elsewhere).
    pub fn run_program<S: AsRef<std::ffi::OsStr>>(
        &self,
        program: &Path,
        args: impl IntoIterator<Item = S>,
    ) -> Run {
        let mut command = self.command(program);
        command.env("P0_RETRY_BASE_MS", "5");
        Run {
            command,
            argv: Vec::new(),
            stdin: None,
            deadline: DEADLINE,
            code: Some(0),
            stdout: Expected::Exactly(String::new()),
            stderr: Expected::Exactly(String::new()),
        }
        .args(args)
    }
}

impl Run {
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Run {
        self.argv.push(arg.as_ref().to_os_string());
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Run {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(
        mut self,
        key: impl AsRef<std::ffi::OsStr>,
        value: impl AsRef<std::ffi::OsStr>,
    ) -> Run {
        self.command.env(key, value);
        self
    }

    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Run
    where
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        self.command.envs(vars);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.command.current_dir(dir);
        self
    }

    /// What p0 reads on stdin (instead of nothing).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Run {
        self.stdin = Some(input.into());
        self
    }

    /// Another limit than [`DEADLINE`] (a test of a slow path, or one that proves a bound).
    pub fn deadline(mut self, deadline: Duration) -> Run {
        self.deadline = deadline;
        self
    }

    /// The exit code expected (0 unless set).
    pub fn code(mut self, code: i32) -> Run {
        self.code = Some(code);
        self
    }

    /// Any exit code: the test asserts on the status itself.
    pub fn any_code(mut self) -> Run {
        self.code = None;
        self
    }

    /// Exactly this on stdout (empty unless set).
    pub fn stdout(mut self, text: impl Into<String>) -> Run {
        self.stdout = Expected::Exactly(text.into());
        self
    }

    /// stdout contains `piece` (and every other piece asked for).
    pub fn stdout_contains(mut self, piece: &str) -> Run {
        self.stdout.contains(piece);
        self
    }

    /// Any stdout: the test reads it and asserts on it itself.
    pub fn any_stdout(mut self) -> Run {
        self.stdout = Expected::Anything;
        self
    }

    /// Exactly this on stderr (empty unless set).
    pub fn stderr(mut self, text: impl Into<String>) -> Run {
        self.stderr = Expected::Exactly(text.into());
        self
    }

    /// stderr contains `piece` (and every other piece asked for).
    pub fn stderr_contains(mut self, piece: &str) -> Run {
        self.stderr.contains(piece);
        self
    }

    /// Any stderr: the test reads it and asserts on it itself.
    pub fn any_stderr(mut self) -> Run {
        self.stderr = Expected::Anything;
        self
    }

    /// The command line, for failure messages.
    fn shown(&self) -> String {
        let program = Path::new(self.command.get_program()).display().to_string();
        let words: Vec<String> = std::iter::once(program)
            .chain(self.argv.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect();
        shell_words::join(words)
    }

    /// Starts p0 and returns at once; [`Running::wait`] checks what was asked for.
    #[track_caller]
    pub fn spawn(mut self) -> Running {
        let out = tempfile::tempdir().expect("a scratch directory");
        let stdin = match &self.stdin {
            Some(input) => {
                let path = out.path().join("stdin");
                std::fs::write(&path, input).expect("stdin written");
                Stdio::from(File::open(&path).expect("stdin opens"))
            }
            None => Stdio::null(),
        };
        let (stdout, stderr) = (out.path().join("stdout"), out.path().join("stderr"));
        // Files, not pipes: a child p0 started that outlived it would hold a pipe open.
        self.command
            .stdin(stdin)
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"));
        // A program a test has just written (a copy of p0, a script) can be briefly "busy":
        // another test's child, forked while the file was open for writing, holds that
        // descriptor until its own exec closes it. That lasts a moment; anything else fails.
        let busy_until = Instant::now() + Duration::from_secs(5);
        let child = loop {
            match self.command.spawn() {
                Err(e)
                    if e.kind() == std::io::ErrorKind::ExecutableFileBusy
                        && Instant::now() < busy_until =>
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
                result => {
                    break result.unwrap_or_else(|e| panic!("{} did not start: {e}", self.shown()))
                }
            }
        };
        Running {
            shown: self.shown(),
            started: Instant::now(),
            child: Some(child),
            reaped: None,
            out,
            stdout,
            stderr,
            run: self,
        }
    }

    /// Runs p0 to its end (or its deadline) and checks the exit code, stdout and stderr.
    #[track_caller]
    pub fn run(self) -> Ran {
        self.spawn().wait()
    }

    /// [`Run::run`], returning stdout.
    #[track_caller]
    pub fn run_stdout(self) -> String {
        super::stdout(&self.run())
    }

    /// [`Run::run`], returning stderr.
    #[track_caller]
    pub fn run_stderr(self) -> String {
        super::stderr(&self.run())
    }
}

/// A p0 started by [`Run::spawn`]. Dropping it kills p0's process group.
pub struct Running {
    run: Run,
    shown: String,
    started: Instant,
    child: Option<Child>,
    /// Its status, when [`Running::is_running`] saw it end (and reaped it).
    reaped: Option<ExitStatus>,
    out: tempfile::TempDir,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What p0 has written to stdout so far.
    pub fn stdout_so_far(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// What p0 has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The scratch directory p0's streams are written to (removed with this).
    pub fn dir(&self) -> &Path {
        self.out.path()
    }

    /// Whether p0 is still running (once it is not, [`Running::wait`] reports no peak memory).
    pub fn is_running(&mut self) -> bool {
        if self.reaped.is_none() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.reaped = Some(status);
            }
        }
        self.reaped.is_none()
    }

    fn kill_group(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                // p0 leads its own process group (setsid): the group is everything it started.
                let group = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }

    /// Waits for p0 (up to what is left of its deadline), then checks the exit code, stdout
    /// and stderr. Past the deadline, kills p0's process group and fails with the command and
    /// its output so far.
    #[track_caller]
    pub fn wait(mut self) -> Ran {
        let deadline = self.started + self.run.deadline;
        let child = self.child.take().expect("running");
        let pid = child.id() as i32;
        let mut raw_status = 0;
        // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
        let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
        while self.reaped.is_none() {
            // SAFETY: wait4 on our own child, with valid pointers.
            let reaped =
                unsafe { nix::libc::wait4(pid, &mut raw_status, nix::libc::WNOHANG, &mut usage) };
            if reaped == pid {
                break;
            }
            assert!(reaped == 0, "wait4 failed for {}", self.shown);
            if Instant::now() >= deadline {
                self.child = Some(child);
                self.kill_group();
                panic!(
                    "{} ran past its deadline of {:?} and was killed.\nstdout so far:\n{}\nstderr so far:\n{}",
                    self.shown,
                    self.run.deadline,
                    self.stdout_so_far(),
                    self.stderr_so_far()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let elapsed = self.started.elapsed();
        // Reaped already: std's handle is only dropped (it neither waits nor kills).
        drop(child);
        let status = self
            .reaped
            .unwrap_or_else(|| ExitStatus::from_raw(raw_status));
        let ran = Ran {
            output: Output {
                status,
                stdout: std::fs::read(&self.stdout).unwrap_or_default(),
                stderr: std::fs::read(&self.stderr).unwrap_or_default(),
            },
            elapsed,
            // Linux reports ru_maxrss in KiB, macOS in bytes.
            max_rss_kib: if cfg!(target_os = "linux") {
                usage.ru_maxrss
            } else {
                usage.ru_maxrss / 1024
            },
        };
        self.check(&ran);
        ran
    }

    #[track_caller]
    fn check(&self, ran: &Ran) {
        let (stdout, stderr) = (super::stdout(ran), super::stderr(ran));
        let mut problems = Vec::new();
        if let Some(code) = self.run.code {
            if ran.status.code() != Some(code) {
                problems.push(format!("exit code: expected {code}, got {}", ran.status));
            }
        }
        if let Some(why) = self.run.stdout.mismatch(&stdout) {
            problems.push(format!("stdout: {why}"));
        }
        if let Some(why) = self.run.stderr.mismatch(&stderr) {
            problems.push(format!("stderr: {why}"));
        }
        assert!(
            problems.is_empty(),
            "{} ({}, after {:.2?}):\n{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            self.shown,
            ran.status,
            ran.elapsed,
            problems.join("\n")
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// How a [`Run`] went: its `Output` (status, stdout, stderr; reachable as `ran.status` etc.),
/// how long it took, and the most memory it held.
pub struct Ran {
    pub output: Output,
    pub elapsed: Duration,
    /// Peak resident set size, KiB (`ru_maxrss` of wait4).
    pub max_rss_kib: i64,
}

impl std::ops::Deref for Ran {
    type Target = Output;
    fn deref(&self) -> &Output {
        &self.output
    }
}

/// Waits until `condition` returns `Some`, checking every 20 ms, and returns its value; fails
/// with `what` past `limit`. For a yes/no condition: `(cond).then_some(())`.
///
/// The one way a test waits for something: never a fixed sleep before an assertion.
#[track_caller]
pub fn eventually<T>(what: &str, limit: Duration, mut condition: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = condition() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The builder's own checks: a run that waits past its deadline fails with its output so far
/// (and does not stall the suite), and the expectations are exact unless a test asks for less.
mod checks {
    use super::super::*;
    use serde_json::json;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::time::Duration;

    /// The text of the panic `run` ends with (it must end with one).
    fn failure(run: impl FnOnce()) -> String {
        let payload = catch_unwind(AssertUnwindSafe(run)).expect_err("the run must fail");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn a_run_past_its_deadline_is_killed_and_fails_with_its_output_so_far() {
        let mut scenario = default_scenario();
        scenario["accounts"][0]["roles"]["Admin"]["policy"] = json!({"outcome": "never"});
        let sb = Sandbox::logged_in(scenario);
        let started = std::time::Instant::now();
        let text = failure(|| {
            sb.run(REQUEST_ADMIN).deadline(Duration::from_secs(3)).run();
        });
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        assert!(
            text.contains("ran past its deadline of 3s and was killed"),
            "{text}"
        );
        assert!(
            text.contains("request --wait aws role Admin"),
            "the command line: {text}"
        );
        assert!(
            text.contains("Will wait up to 10 minutes"),
            "the output so far: {text}"
        );
    }

    #[test]
    fn expectations_are_exact_unless_a_test_asks_for_less() {
        let sb = Sandbox::start(default_scenario());
        // `p0 --version` prints a line on stdout: the default (an empty stdout) fails.
        let text = failure(|| {
            sb.run(["--version"]).run();
        });
        assert!(text.contains("stdout: expected exactly \"\""), "{text}");
        let text = failure(|| {
            sb.run(["--version"]).stdout("p0").run();
        });
        assert!(text.contains("stdout: expected exactly \"p0\""), "{text}");
        let text = failure(|| {
            sb.run(["--version"]).code(3).any_stdout().run();
        });
        assert!(text.contains("exit code: expected 3"), "{text}");
        let text = failure(|| {
            sb.run(["--version"]).stdout_contains("no such text").run();
        });
        assert!(
            text.contains("expected it to contain [\"no such text\"]"),
            "{text}"
        );
        let version = sb.run(["--version"]).stdout_contains("p0 ").run_stdout();
        sb.run(["--version"]).stdout(version).run();
    }

    #[test]
    fn eventually_returns_the_value_or_fails_with_what_it_waited_for() {
        let mut calls = 0;
        let value = eventually("the third call", Duration::from_secs(5), || {
            calls += 1;
            (calls == 3).then_some(calls)
        });
        assert_eq!(value, 3);
        let text = failure(|| {
            eventually(
                "something that never happens",
                Duration::from_millis(100),
                || None::<()>,
            );
        });
        assert!(
            text.contains("something that never happens: not within 100ms"),
            "{text}"
        );
    }
}
