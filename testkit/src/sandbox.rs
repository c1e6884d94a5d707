//! One `p0-sandbox` (sandbox/README.md) with its moto, a temp HOME, the environment that points
//! clients at it, and its control port.
//!
//! Every `Sandbox` has its own services on OS-chosen ports and its own temp HOME, so tests run
//! in parallel.

use crate::process::wait_with_timeout;
use crate::python::{aws_cli_path, python, python_bin_dir};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The base URLs the sandbox printed on its ready line.
#[derive(Debug, Clone)]
pub struct Urls {
    pub p0: String,
    pub firebase_emulator_host: String,
    pub okta: String,
    /// Google, Entra and PingOne (`P0_GOOGLE_ENDPOINT_URL`, `P0_MICROSOFT_ENDPOINT_URL`).
    pub idp: String,
    pub sso_oidc: String,
    pub sso: String,
    pub sts: String,
    /// The AWS sign-in federation endpoint (`/federation`) and its stand-in console.
    pub signin: String,
    pub moto: String,
    pub control: String,
}

pub struct Sandbox {
    child: Child,
    /// Closing it makes the sandbox exit (`--exit-on-stdin-eof`), even if this process dies.
    stdin: Option<ChildStdin>,
    dir: tempfile::TempDir,
    home: PathBuf,
    urls: Urls,
    scenario: Value,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The `(status, JSON body)` of an answer; a non-JSON body becomes a JSON string.
fn status_and_json(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, Value) {
    let mut response = response.unwrap_or_else(|e| panic!("control call failed: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

impl Sandbox {
    /// Starts `binary` (a built `p0-sandbox`) with this scenario and the test python's moto,
    /// with a fresh temp HOME; waits for its ready line.
    pub fn start(binary: &Path, scenario: Value) -> Sandbox {
        assert!(
            binary.exists(),
            "{} is missing: build the workspace first (`cargo build --workspace`; \
             scripts/test does)",
            binary.display()
        );
        let python = python();
        let dir = tempfile::Builder::new()
            .prefix("p0-test-")
            .tempdir()
            .expect("a temp dir");
        let home = dir.path().join("home");
        fs::create_dir(&home).expect("the temp HOME");
        let scenario_path = dir.path().join("scenario.json");
        fs::write(
            &scenario_path,
            serde_json::to_vec_pretty(&scenario).unwrap(),
        )
        .expect("the scenario file");
        let log_path = dir.path().join("sandbox.log");
        let log = fs::File::create(&log_path).expect("the sandbox log");
        let mut child = Command::new(binary)
            .arg("--scenario")
            .arg(&scenario_path)
            .arg("--moto-python")
            .arg(&python)
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(STARTUP_TIMEOUT).unwrap_or_default();
        let ready: Option<Value> = serde_json::from_str(line.trim()).ok();
        let Some(ready) = ready else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "p0-sandbox did not become ready within {} s (stdout: {line:?}); its stderr:\n{}",
                STARTUP_TIMEOUT.as_secs(),
                fs::read_to_string(&log_path).unwrap_or_default()
            );
        };
        let field = |name: &str| {
            ready[name]
                .as_str()
                .unwrap_or_else(|| panic!("ready line lacks {name}: {ready}"))
                .to_string()
        };
        let urls = Urls {
            p0: field("p0"),
            firebase_emulator_host: field("firebase_emulator_host"),
            okta: field("okta"),
            idp: field("idp"),
            sso_oidc: field("sso_oidc"),
            sso: field("sso"),
            sts: field("sts"),
            signin: field("signin"),
            moto: field("moto"),
            control: field("control"),
        };
        Sandbox {
            stdin: child.stdin.take(),
            child,
            dir,
            home,
            urls,
            scenario,
        }
    }

    pub fn org(&self) -> &str {
        self.scenario["org"]
            .as_str()
            .expect("the scenario names an org")
    }

    pub fn scenario(&self) -> &Value {
        &self.scenario
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn urls(&self) -> &Urls {
        &self.urls
    }

    /// The sandbox process id (to signal it in lifecycle tests).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILLs the sandbox: it gets no chance to stop moto itself.
    pub fn kill_now(&self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill the sandbox");
    }

    /// Closes the sandbox's stdin (it exits, stopping moto) and waits up to `timeout`.
    pub fn close_stdin_and_wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        drop(self.stdin.take());
        wait_with_timeout(&mut self.child, timeout)
    }

    /// The sandbox's stderr so far (its log, with moto's request log).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("sandbox.log")).unwrap_or_default()
    }

    /// The environment every child gets: endpoints pointed at the sandbox, HOME (and XDG
    /// dirs) in the temp dir, no browser, the venv first on PATH. Every other `AWS_*`, `P0_*`
    /// and `FIREBASE_*` variable of the test process is removed (see `apply_env`).
    pub fn env_vars(&self) -> Vec<(String, OsString)> {
        let home = self.home.clone();
        let mut path = OsString::from(python_bin_dir());
        if let Some(existing) = std::env::var_os("PATH") {
            path.push(":");
            path.push(existing);
        }
        vec![
            ("HOME".into(), home.clone().into()),
            ("XDG_CONFIG_HOME".into(), home.join(".config").into()),
            ("XDG_CACHE_HOME".into(), home.join(".cache").into()),
            ("XDG_DATA_HOME".into(), home.join(".local/share").into()),
            ("XDG_STATE_HOME".into(), home.join(".local/state").into()),
            ("P0_APP_URL".into(), self.urls.p0.clone().into()),
            (
                "FIREBASE_AUTH_EMULATOR_HOST".into(),
                self.urls.firebase_emulator_host.clone().into(),
            ),
            ("AWS_ENDPOINT_URL_STS".into(), self.urls.sts.clone().into()),
            (
                "AWS_ENDPOINT_URL_SIGNIN".into(),
                self.urls.signin.clone().into(),
            ),
            ("AWS_ENDPOINT_URL_SSO".into(), self.urls.sso.clone().into()),
            (
                "AWS_ENDPOINT_URL_SSO_OIDC".into(),
                self.urls.sso_oidc.clone().into(),
            ),
            ("P0_NO_BROWSER".into(), "1".into()),
            // Endpoint settings a user of a sovereign cloud (or a proxy) sets the same way.
            (
                "P0_GOOGLE_ENDPOINT_URL".into(),
                self.urls.idp.clone().into(),
            ),
            (
                "P0_MICROSOFT_ENDPOINT_URL".into(),
                self.urls.idp.clone().into(),
            ),
            // Tests run in parallel: each browser sign-in listens on a port of its own.
            ("P0_LOGIN_REDIRECT_PORT".into(), "0".into()),
            ("PATH".into(), path),
        ]
    }

    /// Applies `env_vars` to a command after removing the test process's own `AWS_*`,
    /// `P0_*` and `FIREBASE_*` variables.
    pub fn apply_env(&self, command: &mut Command) {
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("AWS_") || key.starts_with("P0_") || key.starts_with("FIREBASE_") {
                command.env_remove(key.as_ref());
            }
        }
        for (key, value) in self.env_vars() {
            command.env(key, value);
        }
    }

    /// Any program with the test environment, stdin null, and no controlling terminal (it
    /// leads a session of its own), so every "no human present" path is deterministic.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        self.apply_env(&mut command);
        command.stdin(Stdio::null());
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()
                    .map(|_| ())
                    .map_err(std::io::Error::from)
            });
        }
        command
    }

    /// The venv's `aws` CLI (v1) with the test environment and `AWS_DEFAULT_REGION`
    /// us-east-1 (the CLI v1 reads no other region variable).
    pub fn aws_cli(&self) -> Command {
        let mut command = self.command(aws_cli_path());
        command.env("AWS_DEFAULT_REGION", "us-east-1");
        command
    }

    // ---- the control port ----

    pub fn control_get(&self, path: &str) -> Value {
        let (status, body) =
            status_and_json(agent().get(format!("{}{path}", self.urls.control)).call());
        assert!(
            status < 300,
            "GET {path} on the control port: {status} {body}"
        );
        body
    }

    pub fn control_post(&self, path: &str, body: Value) -> Value {
        let (status, answer) = status_and_json(
            agent()
                .post(format!("{}{path}", self.urls.control))
                .send_json(&body),
        );
        assert!(
            status < 300,
            "POST {path} {body} on the control port: {status} {answer}"
        );
        answer
    }

    /// Call counts by endpoint name (`p0.command`, `sts.AssumeRoleWithSAML`, ...).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        serde_json::from_value(self.control_get("/calls")["counts"].clone())
            .expect("counts are numbers")
    }

    pub fn count(&self, endpoint: &str) -> u64 {
        self.calls().get(endpoint).copied().unwrap_or(0)
    }

    /// The total of every call the sandbox counted (`sts` counts each `sts.<Action>` too:
    /// each call is counted once here).
    pub fn total_calls(&self) -> u64 {
        self.calls()
            .iter()
            .filter(|(name, _)| !name.starts_with("sts."))
            .map(|(_, n)| n)
            .sum()
    }

    /// Every argv posted to `/o/{org}/command/`, in order.
    pub fn commands(&self) -> Vec<Vec<String>> {
        serde_json::from_value(self.control_get("/calls")["commands"].clone())
            .expect("commands are string arrays")
    }

    /// The `WebIdentityToken` of every AssumeRoleWithWebIdentity sent to STS, in order.
    pub fn web_identity_tokens(&self) -> Vec<String> {
        serde_json::from_value(self.control_get("/calls")["web_identity_tokens"].clone())
            .expect("tokens are strings")
    }

    /// Takes a role (Okta SAML account) or permission set (Identity Center account) away from
    /// the user; later requests for it follow `then` (a scenario policy) when it is not null.
    pub fn revoke(&self, account: &str, name: &str, then: Value) {
        self.control_post(
            "/revoke",
            json!({ "account": account, "name": name, "then": then }),
        );
    }

    pub fn reset_calls(&self) {
        self.control_post("/calls/reset", json!({}));
    }

    /// Adds a fault object (or an array of them).
    pub fn fault(&self, fault: Value) {
        self.control_post("/faults", fault);
    }

    /// Removes every pending fault (the outage they model ends).
    pub fn clear_faults(&self) {
        self.control_post("/faults/clear", json!({}));
    }

    /// Stops a service (`p0`, `firebase`, `okta`, `sso_oidc`, `sso`, `sts` or `signin`): its port refuses
    /// connections and the open ones are dropped, until [`Sandbox::start_service`].
    pub fn stop_service(&self, name: &str) {
        self.control_post("/services/stop", json!({ "service": name }));
    }

    /// Starts a stopped service again on the same port.
    pub fn start_service(&self, name: &str) {
        self.control_post("/services/start", json!({ "service": name }));
    }

    /// Expires every token of a kind issued so far: `okta`, `firebase`, `firebase_refresh`,
    /// `idc` or `all`.
    pub fn expire(&self, what: &str) {
        self.control_post("/expire", json!({ "what": what }));
    }

    /// Every secret value the sandbox has handed out so far: tokens, device codes, client
    /// secrets, SAML assertions, AWS secret keys and session tokens (none may reach output).
    pub fn secrets(&self) -> Vec<String> {
        serde_json::from_value(self.control_get("/secrets")).expect("secrets are strings")
    }

    /// `[{"kind": "okta"|"idc", "user_code": ...}]` awaiting approval.
    pub fn pending_devices(&self) -> Vec<Value> {
        match self.control_get("/device/pending") {
            Value::Array(items) => items,
            other => panic!("pending devices: {other}"),
        }
    }

    /// Approves every pending device authorization; returns how many.
    pub fn approve_devices(&self) -> u64 {
        self.control_post("/device/approve", json!({}))["approved"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Waits (up to `timeout`) until a device authorization is pending, then approves it.
    pub fn approve_next_device(&self, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(device) = self.pending_devices().into_iter().next() {
                self.control_post(
                    "/device/approve",
                    json!({ "user_code": device["user_code"] }),
                );
                return device;
            }
            assert!(
                Instant::now() < deadline,
                "no device authorization became pending"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let mut start = log.len().saturating_sub(6000);
            while !log.is_char_boundary(start) {
                start += 1;
            }
            let tail = &log[start..];
            let tail = tail
                .get(tail.find('\n').map_or(0, |i| i + 1)..)
                .unwrap_or(tail);
            eprintln!("---- p0-sandbox log (tail) ----\n{tail}\n---- end of p0-sandbox log ----");
        }
        // Closing stdin lets the sandbox stop moto itself; a kill is the fallback.
        drop(self.stdin.take());
        if wait_with_timeout(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
