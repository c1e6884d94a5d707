//! `p0 run-as` as a parent process: exit codes, signals, no orphans, `--refresh` with real SDK
//! children across several credential lifetimes, and `--restart` before each expiry.
//!
//! The supervisor's own mechanics are covered without P0 by `src/launch/process_tests.rs`;
//! these run the real binary against the sandbox and moto. They are ignored until
//! `src/commands/run_as.rs` calls `launch::exec` / `launch::supervise`: remove the `ignore`
//! attributes then.

mod common;

use common::{default_scenario, python, text, Sandbox};
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::fs::File;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A logged-in sandbox whose STS credentials last `lifetime_secs`.
fn sandbox(lifetime_secs: u64) -> Sandbox {
    let mut scenario = default_scenario();
    scenario["credential_lifetime_secs"] = lifetime_secs.into();
    let sandbox = Sandbox::start(scenario);
    sandbox.login();
    sandbox
}

/// `p0 run-as --account prod --role Admin [mode...] -- sh -c SCRIPT`, running, with `$OUT`
/// a scratch directory. p0 leads its own session and process group (the harness calls
/// setsid), without a terminal unless started with `start_in_terminal`.
struct Run {
    p0: Child,
    out: tempfile::TempDir,
}

/// A failed assertion must not leave p0 (and, through PR_SET_PDEATHSIG, its child) running.
impl Drop for Run {
    fn drop(&mut self) {
        if matches!(self.p0.try_wait(), Ok(None)) {
            let _ = self.p0.kill();
            let _ = self.p0.wait();
        }
    }
}

impl Run {
    fn start(sandbox: &Sandbox, mode: &[&str], script: &str) -> Run {
        Run::spawn(sandbox.p0(), mode, script)
    }

    /// As `start`, but p0's session has a fresh pseudo-terminal (its stdin) as controlling
    /// terminal, and p0's group is its foreground group: a Ctrl-C typed on the returned master
    /// comes from the tty driver, as at a real terminal.
    fn start_in_terminal(sandbox: &Sandbox, mode: &[&str], script: &str) -> (Run, File) {
        let pty = nix::pty::openpty(None, None).unwrap();
        fcntl(&pty.master, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).unwrap();
        let mut command = sandbox.p0();
        command.stdin(Stdio::from(pty.slave));
        // SAFETY: ioctl is async-signal-safe; it runs after the harness's setsid.
        unsafe {
            command.pre_exec(|| {
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        (Run::spawn(command, mode, script), File::from(pty.master))
    }

    fn spawn(mut command: Command, mode: &[&str], script: &str) -> Run {
        let out = tempfile::tempdir().unwrap();
        let p0 = command
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
        Run { p0, out }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.p0.id() as i32)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// Waits until the child script has written a full line to `name` (its traps are set).
    fn wait_for(&self, name: &str) -> String {
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

    fn finish(mut self) -> (ExitStatus, Run) {
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

    fn exit_code(self) -> (i32, Run) {
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

fn run_to_end(sandbox: &Sandbox, mode: &[&str], script: &str) -> (i32, Run) {
    Run::start(sandbox, mode, script).exit_code()
}

/// The three ways `run-as` can run a child.
const MODES: [&[&str]; 3] = [&[], &["--refresh"], &["--restart"]];

#[test]
fn exit_codes_pass_through_in_every_mode() {
    let sandbox = sandbox(3600);
    for mode in MODES {
        for code in [0, 1, 42] {
            let (got, run) = run_to_end(&sandbox, mode, &format!("exit {code}"));
            assert_eq!(got, code, "{mode:?}: {}", run.read("stderr"));
        }
        let (status, run) = Run::start(&sandbox, mode, "kill -TERM $$").finish();
        if mode.is_empty() {
            // p0 became the command: the signal's own status, as if it ran alone.
            assert_eq!(status.signal(), Some(15), "{}", run.read("stderr"));
        } else {
            assert_eq!(
                status.code(),
                Some(128 + 15),
                "{mode:?}: {}",
                run.read("stderr")
            );
        }
    }
}

#[test]
fn not_found_is_127_and_not_executable_is_126_in_every_mode() {
    let sandbox = sandbox(3600);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "echo hi\n").unwrap();
    for mode in MODES {
        let output = sandbox
            .p0()
            .args(["run-as", "--account", "prod", "--role", "Admin"])
            .args(mode)
            .args(["--", "no-such-p0-command"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(127), "{mode:?}");
        // The last line: the first run also reports its access request.
        assert_eq!(
            text(&output.stderr).lines().last(),
            Some("no-such-p0-command: command not found")
        );
        let output = sandbox
            .p0()
            .args(["run-as", "--account", "prod", "--role", "Admin"])
            .args(mode)
            .arg("--")
            .arg(&plain)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(126), "{mode:?}");
        assert!(text(&output.stderr).contains("not executable"));
    }
}

/// Logs each SIGINT and SIGQUIT, a line each; exits 7 on SIGTERM.
const LOG_INTERRUPTS: &str = r#"trap 'echo int >> "$OUT/log"' INT
trap 'echo quit >> "$OUT/log"' QUIT
trap 'exit 7' TERM
echo ready > "$OUT/ready"
while :; do sleep 0.05; done
"#;

impl Run {
    /// Waits until the child logged `expected`, then a while for a (wrong) extra line.
    fn expect_log(&self, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.read("log").len() < expected.len() {
            assert!(
                Instant::now() < deadline,
                "the child logged only {:?}; p0's stderr:\n{}",
                self.read("log"),
                self.read("stderr")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(self.read("log"), expected, "{}", self.read("stderr"));
    }
}

#[test]
fn ctrl_c_on_the_terminal_reaches_the_child_exactly_once_and_sigterm_is_forwarded() {
    let sandbox = sandbox(3600);
    for mode in MODES {
        let (run, mut terminal) = Run::start_in_terminal(&sandbox, mode, LOG_INTERRUPTS);
        run.wait_for("ready");
        // The line discipline turns ^C into SIGINT for the foreground group.
        terminal.write_all(b"\x03").unwrap();
        run.expect_log("int\n");
        kill(run.pid(), Signal::SIGTERM).unwrap();
        let (code, run) = run.exit_code();
        let stderr = run.read("stderr");
        assert_eq!(code, 7, "{mode:?}: {stderr}");
        if !mode.is_empty() {
            assert!(
                stderr.contains("SIGINT from the terminal already reached the command"),
                "{mode:?}: {stderr}"
            );
        }
    }
}

#[test]
fn sigint_and_sigquit_sent_to_p0_alone_reach_the_child_once() {
    let sandbox = sandbox(3600);
    for mode in MODES {
        let run = Run::start(&sandbox, mode, LOG_INTERRUPTS);
        run.wait_for("ready");
        kill(run.pid(), Signal::SIGINT).unwrap();
        run.expect_log("int\n");
        kill(run.pid(), Signal::SIGQUIT).unwrap();
        run.expect_log("int\nquit\n");
        kill(run.pid(), Signal::SIGTERM).unwrap();
        let (code, run) = run.exit_code();
        assert_eq!(code, 7, "{mode:?}: {}", run.read("stderr"));
    }
}

fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn sigkill_of_p0_leaves_no_child() {
    let sandbox = sandbox(3600);
    for mode in [&["--refresh"][..], &["--restart"]] {
        let run = Run::start(
            &sandbox,
            mode,
            "echo $$ > \"$OUT/pid\"\nwhile :; do sleep 0.05; done\n",
        );
        let child: i32 = run.wait_for("pid").trim().parse().unwrap();
        assert_ne!(child, run.pid().as_raw(), "{mode:?} keeps a supervisor");
        kill(run.pid(), Signal::SIGKILL).unwrap();
        let (status, _run) = run.finish();
        assert_eq!(status.signal(), Some(9));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !is_gone(child) {
            if Instant::now() > deadline {
                let _ = kill(Pid::from_raw(child), Signal::SIGKILL);
                panic!("{mode:?}: child {child} outlived p0");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn without_supervision_p0_becomes_the_command() {
    let sandbox = sandbox(3600);
    let run = Run::start(&sandbox, &[], "echo $$ > \"$OUT/pid\"");
    let p0_pid = run.pid().as_raw();
    let (code, run) = run.exit_code();
    assert_eq!(code, 0, "{}", run.read("stderr"));
    assert_eq!(run.read("pid").trim(), p0_pid.to_string());
}

/// Under `--refresh`, a boto3 child calls STS (moto) in a loop across three 20-second
/// credential lifetimes and never fails; it sees renewed keys, and p0's log shows renewals.
#[test]
fn refresh_keeps_a_boto3_child_working_across_three_lifetimes() {
    let lifetime = 20;
    let sandbox = sandbox(lifetime);
    let script = format!(
        r#"{python} - <<'EOF'
import time, boto3
session = boto3.Session()
sts = session.client("sts", region_name="us-east-1")
deadline = time.time() + {seconds}
calls = 0
keys = []
while time.time() < deadline:
    arn = sts.get_caller_identity()["Arn"]
    key = session.get_credentials().get_frozen_credentials().access_key
    if not keys or keys[-1] != key:
        keys.append(key)
    calls += 1
    time.sleep(0.5)
print(arn, calls, len(keys), flush=True)
EOF
"#,
        python = python().display(),
        seconds = lifetime * 3 + 5,
    );
    let (code, run) = run_to_end(&sandbox, &["--refresh"], &script);
    let stderr = run.read("stderr");
    assert_eq!(code, 0, "{stderr}");
    let stdout = run.read("stdout");
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert!(
        fields[0].starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"),
        "{stdout}"
    );
    let calls: u32 = fields[1].parse().unwrap();
    let keys: u32 = fields[2].parse().unwrap();
    assert!(calls > 50, "{stdout}");
    assert!(keys >= 3, "the child followed the renewals: {stdout}");
    assert!(
        stderr.matches("renewed credentials").count() >= 2,
        "the log shows renewals:\n{stderr}"
    );
}

#[test]
fn refresh_works_for_the_aws_cli() {
    let sandbox = sandbox(3600);
    let aws = common::python_bin_dir().join("aws");
    let script = format!(
        "AWS_DEFAULT_REGION=us-east-1 {} sts get-caller-identity --query Arn --output text",
        aws.display()
    );
    let (code, run) = run_to_end(&sandbox, &["--refresh"], &script);
    assert_eq!(code, 0, "{}", run.read("stderr"));
    assert!(run
        .read("stdout")
        .starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"));
}

/// Under `--restart`, a child that records its environment at each start was restarted before
/// each expiry with new keys, and its final exit code passes through.
#[test]
fn restart_before_each_expiry_with_new_keys() {
    let sandbox = sandbox(15);
    let script = r#"echo "$AWS_ACCESS_KEY_ID $AWS_CREDENTIAL_EXPIRATION $(date +%s.%N)" >> "$OUT/starts"
[ "$(wc -l < "$OUT/starts")" -ge 3 ] && exit 42
trap 'exit 0' TERM
while :; do sleep 0.05; done
"#;
    let (code, run) = run_to_end(&sandbox, &["--restart", "--restart-margin", "5"], script);
    assert_eq!(code, 42, "{}", run.read("stderr"));
    let starts: Vec<(String, i64, f64)> = run
        .read("starts")
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let expiration = time::OffsetDateTime::parse(
                fields[1],
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            (
                fields[0].to_string(),
                expiration.unix_timestamp(),
                fields[2].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(starts.len(), 3);
    for pair in starts.windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "new keys at each restart");
        assert!(pair[1].2 < pair[0].1 as f64, "restarted before the expiry");
    }
}
