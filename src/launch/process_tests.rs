//! Process-level tests of `exec` and `supervise`, with real `sh` children and real signals.
//!
//! `exec` replaces the process and `supervise` installs signal handlers for the rest of the
//! process's life, so each case runs in a helper process: this test binary started again with
//! only `helper` selected and the case in an environment variable. The helper is in its own
//! process group (or its own session under a pseudo-terminal, for a real Ctrl-C), so a
//! signal to its group hits the helper and its child and nothing else.
//!
//! These are the one place the exit-code, signal and restart semantics are tested; the
//! end-to-end tests (`tests/e2e`) keep one smoke test per mode through the real binary. The
//! helper sets up what `p0 run-as` has set up by the time it runs the command: Ctrl-C handling
//! for the request phase (tokio's listener, on a runtime of its own) and, when asked, p0's
//! debug log on stderr.

use super::renewal::tests::MintingSource;
use super::{exec, supervise, ChildEnv, Command, Signal, Supervision};
use serde_json::{json, Value};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const CASE: &str = "P0_LAUNCH_TEST_CASE";

/// The helper process. It does nothing unless a test started it with a case.
#[test]
#[ignore = "helper process for the launch tests; runs only when started by them"]
fn helper() {
    let Ok(case) = std::env::var(CASE) else {
        return;
    };
    let case: Value = serde_json::from_str(&case).unwrap();
    if case["log"].as_bool().unwrap_or(false) {
        tracing_subscriber::fmt()
            .with_env_filter("p0=debug")
            .with_writer(std::io::stderr)
            .init();
    }
    // As `p0 run-as` does before it runs the command: the request phase ran, interruptible by
    // Ctrl-C, on a runtime that is gone now, and tokio's SIGINT handler stays registered.
    if !crate::signals::is_ignored(Signal::SIGINT) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let listening = tokio::time::timeout(Duration::ZERO, tokio::signal::ctrl_c());
                assert!(listening.await.is_err(), "no Ctrl-C yet");
            });
    }
    let cmd = Command {
        program: case["program"].as_str().unwrap_or("sh").into(),
        args: vec!["-c".into(), case["script"].as_str().unwrap().into()],
    };
    let lifetime = Duration::from_millis(case["lifetime_ms"].as_u64().unwrap_or(3_600_000));
    let source = Arc::new(MintingSource::new(lifetime, 0));
    let base = ChildEnv::inherit("123456789012/Admin", Some("us-east-1"));
    let code = match case["mode"].as_str().unwrap() {
        "exec" => {
            let env = base.with_credentials(&super::CredentialSource::current(&*source));
            let error = exec(&cmd, &env);
            crate::output::Printer::standard(false).error(&error);
            error.exit_code()
        }
        mode => {
            let supervision = if mode == "refresh" {
                Supervision::Refresh { source }
            } else {
                Supervision::Restart {
                    source,
                    margin: Duration::from_millis(case["margin_ms"].as_u64().unwrap_or(1000)),
                    signal: case["signal"]
                        .as_str()
                        .map_or(Signal::SIGTERM, |s| s.parse().unwrap()),
                    grace: Duration::from_millis(case["grace_ms"].as_u64().unwrap_or(5000)),
                }
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let printer = crate::output::Printer::standard(false);
            match runtime.block_on(supervise(&cmd, &base, &printer, supervision)) {
                Ok(code) => code,
                Err(error) => {
                    crate::output::Printer::standard(false).error(&error);
                    error.exit_code()
                }
            }
        }
    };
    std::process::exit(code.into());
}

/// A running helper, with a scratch directory the child script writes to (`$OUT`).
struct Helper {
    process: Child,
    dir: tempfile::TempDir,
    group: KillGroupOnDrop,
}

/// Kills a helper's process group (the helper, and the command it started, which stays in its
/// group) when dropped: a test that fails or panics leaves nothing running, whatever the
/// command was waiting for.
struct KillGroupOnDrop(nix::unistd::Pid);

impl Drop for KillGroupOnDrop {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(self.0, Signal::SIGKILL);
    }
}

/// The scratch directory of a helper that finished. Until it is dropped, whatever the helper
/// left in its process group may still be observed; then it is killed.
struct Scratch {
    dir: tempfile::TempDir,
    _group: KillGroupOnDrop,
}

impl Scratch {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Helper {
    fn start(case: Value) -> Helper {
        let mut command = Helper::command(&case);
        command.process_group(0);
        Helper::spawn(command)
    }

    /// As `start`, but the helper leads a new session whose controlling terminal is a fresh
    /// pseudo-terminal (its stdin): it and its child are the terminal's foreground process
    /// group, and a Ctrl-C typed on the returned master comes from the tty driver itself.
    fn start_in_terminal(case: Value) -> (Helper, std::fs::File) {
        let pty = nix::pty::openpty(None, None).unwrap();
        // Neither the helper nor its child should hold the master side.
        nix::fcntl::fcntl(
            &pty.master,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        )
        .unwrap();
        let mut command = Helper::command(&case);
        command.stdin(Stdio::from(pty.slave));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let helper = Helper::spawn(command);
        (helper, std::fs::File::from(pty.master))
    }

    fn command(case: &Value) -> std::process::Command {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args(["launch::process_tests::helper", "--exact", "--ignored"])
            .args(["--nocapture", "--test-threads=1"])
            .env(CASE, case.to_string())
            .env("AWS_PROFILE", "must-be-removed")
            .env("AWS_ACCESS_KEY_ID", "AKIAOUTER")
            .env_remove("P0_RUN_AS")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        command
    }

    fn spawn(mut command: std::process::Command) -> Helper {
        let dir = tempfile::tempdir().unwrap();
        let process = command
            .env("OUT", dir.path())
            // A file, not a pipe: a child that outlived the helper would hold a pipe open.
            .stderr(std::fs::File::create(dir.path().join("helper.stderr")).unwrap())
            .spawn()
            .unwrap();
        // The helper leads its own process group (`process_group(0)`, or `setsid`).
        let group = KillGroupOnDrop(nix::unistd::Pid::from_raw(process.id() as i32));
        Helper {
            process,
            dir,
            group,
        }
    }

    fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.process.id() as i32)
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits until the child script wrote `name` (its way of saying its traps are set).
    fn wait_for_file(&self, name: &str) -> String {
        let path = self.out(name);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if text.ends_with('\n') {
                    return text;
                }
            }
            assert!(Instant::now() < deadline, "{name} never appeared");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: Signal) {
        nix::sys::signal::kill(self.pid(), signal).unwrap();
    }

    /// The helper's exit status (the supervisor's, or the exec'd command's), and its stderr.
    fn finish(mut self) -> (std::process::ExitStatus, String, Scratch) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.process.kill();
                panic!("the helper did not finish");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = std::fs::read_to_string(self.out("helper.stderr")).unwrap();
        let scratch = Scratch {
            dir: self.dir,
            _group: self.group,
        };
        (status, stderr, scratch)
    }

    fn exit_code(self) -> (i32, String, Scratch) {
        let (status, stderr, dir) = self.finish();
        let code = status
            .code()
            .unwrap_or_else(|| panic!("helper killed by {:?}: {stderr}", status.signal()));
        (code, stderr, dir)
    }
}

fn run(case: Value) -> (i32, String, Scratch) {
    Helper::start(case).exit_code()
}

/// The modes that keep `p0` beside the child.
const SUPERVISED: [&str; 2] = ["refresh", "restart"];
/// Every way `run-as` runs a child: replaced by it, or beside it.
const MODES: [&str; 3] = ["exec", "refresh", "restart"];

#[test]
fn exit_codes_pass_through_in_every_mode() {
    for mode in MODES {
        for code in [0, 1, 42] {
            let (got, stderr, _) = run(json!({"mode": mode, "script": format!("exit {code}")}));
            assert_eq!(got, code, "{mode}: {stderr}");
        }
    }
}

#[test]
fn death_by_signal_is_128_plus_n_under_supervision_and_the_signal_itself_after_exec() {
    for mode in SUPERVISED {
        let (code, stderr, _) = run(json!({"mode": mode, "script": "kill -TERM $$"}));
        assert_eq!(code, 128 + 15, "{mode}: {stderr}");
        let (code, stderr, _) = run(json!({"mode": mode, "script": "kill -KILL $$"}));
        assert_eq!(code, 128 + 9, "{mode}: {stderr}");
    }
    // p0 became the command: the signal's own status, as if it ran alone.
    let (status, stderr, _) =
        Helper::start(json!({"mode": "exec", "script": "kill -TERM $$"})).finish();
    assert_eq!(status.signal(), Some(15), "{status:?}: {stderr}");
}

#[test]
fn command_not_found_and_not_executable_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "echo hi\n").unwrap();
    for mode in MODES {
        let (code, stderr, _) =
            run(json!({"mode": mode, "script": "", "program": "no-such-p0-cmd"}));
        assert_eq!(code, 127, "{mode}");
        assert_eq!(stderr.trim_end(), "no-such-p0-cmd: command not found");
        let (code, stderr, _) = run(json!({"mode": mode, "script": "", "program": plain}));
        assert_eq!(code, 126, "{mode}");
        assert_eq!(
            stderr.trim_end(),
            format!("{}: permission denied (not executable)", plain.display())
        );
    }
}

/// Lines of the form `NAME=value` for the variables a child reports.
const REPORT_ENV: &str = r#"for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
    AWS_SECURITY_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN P0_RUN_AS OUT; do
  eval "isset=\${$v+x}"; [ -n "$isset" ] && eval "echo $v=\$$v"
done > "$OUT/env"
"#;

fn reported_env(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("env"))
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn exec_replaces_p0_with_the_command() {
    // Which signals the command ignores: Linux shows it in /proc; elsewhere (macOS) that
    // part of the check is not made.
    let ignored = if cfg!(target_os = "linux") {
        "sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status > \"$OUT/ignored\"\n"
    } else {
        ""
    };
    let script = format!("{REPORT_ENV}echo $$ > \"$OUT/pid\"\n{ignored}exit 42");
    let helper = Helper::start(json!({"mode": "exec", "script": script}));
    let helper_pid = helper.pid().as_raw();
    let (code, stderr, dir) = helper.exit_code();
    assert_eq!(code, 42, "{stderr}");
    let pid: i32 = std::fs::read_to_string(dir.path().join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        pid, helper_pid,
        "no wrapper process: the command has p0's pid"
    );
    if cfg!(target_os = "linux") {
        let ignored = u64::from_str_radix(
            std::fs::read_to_string(dir.path().join("ignored"))
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        assert_eq!(ignored & (1 << (13 - 1)), 0, "SIGPIPE is not left ignored");
    }

    let env = reported_env(dir.path());
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIATEST00000000");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "secret-0");
    assert_eq!(env["AWS_SESSION_TOKEN"], "token-0");
    assert_eq!(env["AWS_SECURITY_TOKEN"], "token-0");
    assert!(OffsetDateTime::parse(&env["AWS_CREDENTIAL_EXPIRATION"], &Rfc3339).is_ok());
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["P0_RUN_AS"], "123456789012/Admin");
    assert_eq!(
        env["OUT"],
        dir.path().to_str().unwrap(),
        "other variables pass through"
    );
    assert!(!env.contains_key("AWS_PROFILE"));
    assert!(!env.contains_key("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
}

#[test]
fn a_refresh_child_gets_the_endpoint_and_no_static_keys() {
    let (code, stderr, dir) = run(json!({"mode": "refresh", "script": REPORT_ENV}));
    assert_eq!(code, 0, "{stderr}");
    let env = reported_env(dir.path());
    assert!(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].starts_with("http://127.0.0.1:"));
    assert_eq!(env["AWS_CONTAINER_AUTHORIZATION_TOKEN"].len(), 64);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE",
    ] {
        assert!(!env.contains_key(name), "{name} must not be set");
    }
    assert_eq!(env["P0_RUN_AS"], "123456789012/Admin");
}

/// A child that logs each SIGINT and SIGQUIT it gets, a line each, and exits 7 on SIGTERM.
const LOG_INTERRUPTS: &str = r#"trap 'echo int >> "$OUT/log"' INT
trap 'echo quit >> "$OUT/log"' QUIT
trap 'exit 7' TERM
echo ready > "$OUT/ready"
while :; do sleep 0.05; done
"#;

impl Helper {
    /// Waits until the child logged `expected`, then a while for a (wrong) extra line.
    fn expect_log(&self, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let read = || std::fs::read_to_string(self.out("log")).unwrap_or_default();
        while read().len() < expected.len() {
            assert!(
                Instant::now() < deadline,
                "the child logged only {:?}",
                read()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(read(), expected);
    }
}

#[test]
fn ctrl_c_on_the_terminal_reaches_the_child_exactly_once_and_sigterm_is_forwarded() {
    for mode in MODES {
        let case = json!({"mode": mode, "script": LOG_INTERRUPTS, "log": true});
        let (helper, mut terminal) = Helper::start_in_terminal(case);
        helper.wait_for_file("ready");
        // The line discipline turns ^C into SIGINT for the foreground group (SI_KERNEL).
        std::io::Write::write_all(&mut terminal, b"\x03").unwrap();
        helper.expect_log("int\n");
        helper.signal(Signal::SIGTERM);
        let (code, stderr, _) = helper.exit_code();
        assert_eq!(code, 7, "{mode}: {stderr}");
        if mode != "exec" {
            assert!(
                stderr.contains("SIGINT from the terminal already reached the command"),
                "{mode}: {stderr}"
            );
        }
    }
}

#[test]
fn sigint_and_sigquit_sent_to_p0_alone_reach_the_child_once() {
    for mode in MODES {
        let case = json!({"mode": mode, "script": LOG_INTERRUPTS});
        let helper = Helper::start(case);
        helper.wait_for_file("ready");
        helper.signal(Signal::SIGINT);
        helper.expect_log("int\n");
        helper.signal(Signal::SIGQUIT);
        helper.expect_log("int\nquit\n");
        helper.signal(Signal::SIGTERM);
        let (code, stderr, _) = helper.exit_code();
        assert_eq!(code, 7, "{mode}: {stderr}");
    }
}

#[test]
fn sigterm_and_user_signals_to_the_supervisor_are_forwarded() {
    let script = r#"trap 'echo usr1 >> "$OUT/log"' USR1
trap 'echo hup >> "$OUT/log"' HUP
trap 'echo term >> "$OUT/log"; exit 7' TERM
echo ready > "$OUT/ready"
while :; do sleep 0.05; done
"#;
    let helper = Helper::start(json!({"mode": "refresh", "script": script}));
    helper.wait_for_file("ready");
    helper.signal(Signal::SIGUSR1);
    helper.wait_for_file("log");
    helper.signal(Signal::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(helper.out("log"))
        .unwrap()
        .lines()
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "SIGHUP was not forwarded");
        std::thread::sleep(Duration::from_millis(20));
    }
    helper.signal(Signal::SIGTERM);
    let (code, stderr, dir) = helper.exit_code();
    assert_eq!(code, 7, "{stderr}");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert_eq!(log, "usr1\nhup\nterm\n");
}

#[cfg(target_os = "linux")]
fn is_gone(pid: i32) -> bool {
    // Gone, or a zombie waiting for a reaper that is not us.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Linux only: macOS has no parent-death signal, and there the command outlives a SIGKILLed
/// supervisor (README "Platforms").
#[cfg(target_os = "linux")]
#[test]
fn sigkill_of_the_supervisor_leaves_no_child() {
    let script = r#"echo $$ > "$OUT/pid"
while :; do sleep 0.05; done
"#;
    for mode in SUPERVISED {
        let helper = Helper::start(json!({"mode": mode, "script": script}));
        let child: i32 = helper.wait_for_file("pid").trim().parse().unwrap();
        assert_ne!(child, helper.pid().as_raw(), "{mode} keeps a supervisor");
        assert!(!is_gone(child));
        helper.signal(Signal::SIGKILL);
        // Held, not dropped: dropping it would kill what is left in the group, which is what
        // this test must see the kernel do.
        let (status, _, _scratch) = helper.finish();
        assert_eq!(status.signal(), Some(9));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !is_gone(child) {
            if Instant::now() > deadline {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child), Signal::SIGKILL);
                panic!("{mode}: child {child} outlived its supervisor");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Records each start: the key it got, its expiration and the time it started.
#[cfg(target_os = "linux")]
const RECORD_START: &str = r#"echo "$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY $AWS_CREDENTIAL_EXPIRATION $(date +%s.%N)" >> "$OUT/starts"
"#;
/// macOS's `date` has no `%N` (nanoseconds); perl, which macOS ships, tells the time finely.
#[cfg(not(target_os = "linux"))]
const RECORD_START: &str = r#"echo "$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY $AWS_CREDENTIAL_EXPIRATION $(perl -MTime::HiRes=time -e 'printf "%.6f", time')" >> "$OUT/starts"
"#;

struct Start {
    key: String,
    secret: String,
    expiration: OffsetDateTime,
    at: f64,
}

fn starts(dir: &Path) -> Vec<Start> {
    std::fs::read_to_string(dir.join("starts"))
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            Start {
                key: fields[0].into(),
                secret: fields[1].into(),
                expiration: OffsetDateTime::parse(fields[2], &Rfc3339).unwrap(),
                at: fields[3].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn restart_renews_then_restarts_before_each_expiry() {
    // 4-second credentials, restarted 1.5 s before expiry; the third start exits with 42.
    let script = format!(
        "{RECORD_START}[ \"$(wc -l < \"$OUT/starts\")\" -ge 3 ] && exit 42\n\
         trap 'echo stopped >> \"$OUT/stops\"; exit 0' TERM\n\
         while :; do sleep 0.05; done\n"
    );
    let (code, stderr, dir) = run(json!({
        "mode": "restart", "script": script, "lifetime_ms": 4000, "margin_ms": 1500
    }));
    assert_eq!(code, 42, "the final exit code passes through: {stderr}");
    let starts = starts(dir.path());
    assert_eq!(starts.len(), 3);
    for (i, pair) in starts.windows(2).enumerate() {
        let (before, after) = (&pair[0], &pair[1]);
        assert_ne!(before.key, after.key, "restart {i} got new keys");
        assert!(after.expiration > before.expiration);
        let expired_at = before.expiration.unix_timestamp() as f64;
        assert!(
            after.at < expired_at,
            "restart {i} at {} came after the expiry {expired_at}",
            after.at
        );
    }
    for start in &starts {
        let serial = start.key.trim_start_matches("ASIATEST");
        assert_eq!(
            start.secret,
            format!("secret-{}", serial.parse::<u32>().unwrap())
        );
    }
    let stops = std::fs::read_to_string(dir.path().join("stops")).unwrap();
    assert_eq!(
        stops.lines().count(),
        2,
        "stopped with SIGTERM before each restart"
    );
}

#[test]
fn restart_uses_the_chosen_signal_then_sigkill_after_the_grace() {
    // The child ignores the restart signal: SIGKILL after 300 ms, then a new start.
    let script = format!(
        "{RECORD_START}[ \"$(wc -l < \"$OUT/starts\")\" -ge 2 ] && exit 5\n\
         trap 'echo usr2 >> \"$OUT/signals\"' USR2\n\
         while :; do sleep 0.05; done\n"
    );
    let (code, stderr, dir) = run(json!({
        "mode": "restart", "script": script, "lifetime_ms": 2000, "margin_ms": 1000,
        "signal": "SIGUSR2", "grace_ms": 300
    }));
    assert_eq!(code, 5, "{stderr}");
    assert_eq!(starts(dir.path()).len(), 2);
    let signals = std::fs::read_to_string(dir.path().join("signals")).unwrap();
    assert_eq!(signals, "usr2\n");
}

#[test]
fn a_restart_child_that_exits_on_its_own_is_not_restarted() {
    let script = format!("{RECORD_START}exit 3");
    let (code, stderr, dir) = run(json!({
        "mode": "restart", "script": script, "lifetime_ms": 3_600_000, "margin_ms": 300_000
    }));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(starts(dir.path()).len(), 1);
}

#[test]
fn sigterm_during_a_restart_child_ends_the_run() {
    let script = format!(
        "{RECORD_START}trap 'exit 9' TERM\necho ready > \"$OUT/ready\"\n\
         while :; do sleep 0.05; done\n"
    );
    let helper = Helper::start(json!({
        "mode": "restart", "script": script, "lifetime_ms": 3_600_000, "margin_ms": 300_000
    }));
    helper.wait_for_file("ready");
    helper.signal(Signal::SIGTERM);
    let (code, stderr, dir) = helper.exit_code();
    assert_eq!(code, 9, "{stderr}");
    assert_eq!(starts(dir.path()).len(), 1);
}
