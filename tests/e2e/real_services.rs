//! Issue 19: `p0` recovers from the real P0's, Okta's and Identity Center's answers as they
//! come, each through the sandbox knob that makes it answer so.

use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

const ASSURANCE: &str =
    "The application's assurance requirements are not met by the 'subject_token'.";

fn with_admin_policy(policy: serde_json::Value) -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = policy;
    Sandbox::logged_in(scenario)
}

// ---- 1: Okta's assurance error is cured by a fresh sign-in ----

#[test]
fn okta_assurance_error_at_a_terminal_signs_in_again_and_succeeds() {
    let sb = Sandbox::logged_in(default_scenario());
    // Once: the exchange made during the approval. Only the one after it counts.
    sb.fault(json!({"endpoint": "okta.token_exchange", "invalid_grant": ASSURANCE, "times": 2}));
    let logins = sb.count("okta.device_authorize");
    let out = sb.p0_in_terminal(&ASSUME_ADMIN);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{all}");
    assert!(all.contains("AWS_ACCESS_KEY_ID"), "{all}");
    assert_eq!(
        sb.count("okta.device_authorize"),
        logins + 1,
        "one new sign-in"
    );
    assert!(sb.identity_path().exists());
}

#[test]
fn okta_assurance_error_without_a_person_forgets_the_login() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "okta.token_exchange", "invalid_grant": ASSURANCE, "times": 0}));
    let err = sb.run(ASSUME_ADMIN).code(77).any_stderr().run_stderr();
    assert!(err.contains("needs a more recent sign-in"), "{err}");
    assert!(err.contains(ASSURANCE), "{err}");
    assert!(
        !sb.identity_path().exists(),
        "forgotten, as on a session end"
    );
}

// ---- 2: the exchange made while P0 approves is reused only when it worked ----

#[test]
fn a_failed_exchange_during_the_approval_is_made_again_after_it() {
    for fault in [
        json!({"endpoint": "okta.token_exchange", "status": 503}),
        json!({"endpoint": "okta.token_exchange", "invalid_grant": "The token is no longer valid."}),
    ] {
        let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 500}));
        sb.fault(fault.clone());
        sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
        assert_eq!(sb.count("okta.token_exchange"), 2, "{fault}");
        assert!(sb.identity_path().exists(), "{fault}: not forgotten");
    }
}

// ---- 3: APPROVED at create time waits for the stream's DONE ----

#[test]
fn approved_at_create_time_waits_for_provisioning() {
    let sb = with_admin_policy(json!({"create_status": "APPROVED", "after_ms": 800}));
    let out = sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    assert_eq!(sb.count("p0.poll"), 1, "{:?}", sb.calls());
    // No role-lag wait was needed: the grant was provisioned when the stream said DONE.
    assert!(
        !stderr(&out).contains("Waiting for Okta"),
        "{}",
        stderr(&out)
    );
}

// ---- 4: what P0 says reaches the user, never stdout ----

#[test]
fn the_requests_message_and_p0s_warnings_go_to_stderr() {
    let mut scenario = default_scenario();
    scenario["command_warnings"] = json!(["Scheduled maintenance at 22:00 UTC."]);
    scenario["min_client_version"] = json!("999.0.0");
    let sb = Sandbox::logged_in(scenario);
    let out = sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
    let (out_text, err) = (stdout(&out), stderr(&out));
    assert!(
        err.contains("Requested AWS role Admin in account"),
        "the create answer's message: {err}"
    );
    assert!(
        err.contains("P0: Scheduled maintenance at 22:00 UTC."),
        "{err}"
    );
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        err.contains(&format!("This client (p0/{version} (")) && err.contains("is out of date"),
        "P0 can read the version in the User-Agent: {err}"
    );
    assert!(
        out_text.lines().all(|l| l.starts_with("export AWS_")),
        "{out_text}"
    );
}

#[test]
fn a_current_client_gets_no_version_warning() {
    let mut scenario = default_scenario();
    scenario["min_client_version"] = json!(env!("CARGO_PKG_VERSION"));
    let sb = Sandbox::logged_in(scenario);
    let err = stderr(&sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run());
    assert!(!err.contains("out of date"), "{err}");
}

// ---- 8: Okta's lag is waited out whenever P0 says the role is held ----

#[test]
fn existing_access_okta_does_not_show_yet_is_waited_for() {
    for policy in [json!({"outcome": "already"}), json!({"preexisting": true})] {
        let mut scenario = default_scenario();
        scenario["okta_role_lag_ms"] = json!(1500);
        scenario["accounts"][0]["roles"]["Admin"]["policy"] = policy.clone();
        let sb = Sandbox::logged_in(scenario);
        let out = sb
            .run(ASSUME_ADMIN)
            .any_code()
            .any_stdout()
            .any_stderr()
            .run();
        let err = stderr(&out);
        assert!(out.status.success(), "{policy}: {err}");
        assert!(err.contains("Existing access found."), "{policy}: {err}");
        assert!(
            err.contains("Waiting for Okta to make role Admin available"),
            "{err}"
        );
        assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    }
}

// ---- 9: a registration Identity Center no longer knows is replaced ----

#[test]
fn a_registration_the_recreated_instance_refuses_is_replaced() {
    let assume_dev = [
        "aws",
        "--account",
        "dev",
        "permission-set",
        "assume",
        "Developer",
        "--refresh-credentials",
    ];
    let sb = Sandbox::logged_in(default_scenario());
    assert!(sb.p0_in_terminal(&assume_dev).status.success());
    sb.control_post("/expire", json!({"what": "idc_instance"}));
    sb.reset_calls();
    let out = sb.p0_in_terminal(&assume_dev);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(sb.count("oidc.register"), 1, "{:?}", sb.calls());
    // The refused start, then the one with the new registration.
    assert_eq!(sb.count("oidc.device_authorization"), 2, "{:?}", sb.calls());
    // Kept for the next run.
    sb.reset_calls();
    assert!(sb.p0_in_terminal(&assume_dev).status.success());
    assert_eq!(sb.count("oidc.register"), 0);
    assert_eq!(sb.count("oidc.device_authorization"), 0);
}

// ---- 12: Okta's rate limit, a Classic Engine org, an encrypted assertion ----

#[test]
fn an_okta_rate_limit_is_waited_out_until_its_reset() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "okta.sso", "status": 429, "rate_limit_reset_secs": 1}));
    sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
    assert_eq!(sb.count("okta.sso"), 2);
}

#[test]
fn an_okta_rate_limit_beyond_the_deadline_fails_at_once_naming_the_reset() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(
        json!({"endpoint": "okta.sso", "status": 429, "rate_limit_reset_secs": 40, "times": 0}),
    );
    let started = Instant::now();
    let out = sb
        .run(ASSUME_ADMIN)
        .env("P0_RETRY_BASE_MS", "5")
        .env("P0_CALL_TIMEOUT", "5")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("Okta is rate-limiting these calls"), "{err}");
    assert!(
        err.contains("later than p0 waits for one call (5 s)"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(sb.count("okta.sso"), 1, "no retry that cannot pass");
}

#[test]
fn a_classic_engine_org_is_named_as_the_cause() {
    let mut scenario = default_scenario();
    scenario["okta"] = json!({"classic_engine": true});
    let sb = Sandbox::logged_in(scenario);
    let err = sb.run(ASSUME_ADMIN).code(69).any_stderr().run_stderr();
    assert!(err.contains("Okta Classic Engine"), "{err}");
    assert!(err.contains("Identity Engine"), "{err}");
    assert_eq!(
        err.matches("Classic Engine").count(),
        1,
        "one message: {err}"
    );
}

#[test]
fn an_encrypted_assertion_is_named_with_no_role_lag_wait() {
    let sb = with_admin_policy(json!({"outcome": "approve"}));
    sb.fault(json!({"endpoint": "okta.sso", "saml": "encrypted", "times": 0}));
    let started = Instant::now();
    let err = sb.run(RUN_ADMIN).code(69).any_stderr().run_stderr();
    assert!(err.contains("encrypted SAML assertion"), "{err}");
    assert!(!err.contains("Waiting for Okta"), "{err}");
    assert_eq!(sb.count("okta.sso"), 1);
    assert!(started.elapsed() < Duration::from_secs(20));
}

// ---- hostile testing ----

#[test]
fn a_poll_line_about_another_request_is_ignored() {
    let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 300}));
    sb.fault(json!({"endpoint": "p0.poll", "poll": "other_request"}));
    let out = sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    assert!(!stderr(&out).contains("denied"), "{}", stderr(&out));
}

#[test]
fn login_with_identity_json_a_directory_fails_before_any_sign_in() {
    let sb = Sandbox::start(default_scenario());
    let identity = sb.identity_path();
    std::fs::create_dir_all(&identity).unwrap();
    let out = sb.p0_in_terminal(&["login", "acme"]);
    let transcript = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(78), "{transcript}");
    assert!(
        transcript.contains(&format!("rm -r {}", identity.display())),
        "a fix that works on a directory: {transcript}"
    );
    assert_eq!(
        sb.count("okta.device_authorize"),
        0,
        "nobody was asked to sign in"
    );
}

#[test]
fn a_lock_path_that_is_a_directory_exits_78_with_a_fix() {
    let sb = Sandbox::logged_in(default_scenario());
    let locks = sb.home().join(".p0/locks");
    std::fs::create_dir_all(&locks).unwrap();
    // The lock of this role's cache entry, made a directory.
    let lock = locks.join(format!("aws~okta~acme~{PROD}~Admin.lock"));
    std::fs::create_dir_all(&lock).unwrap();
    let out = sb
        .run(ASSUME_ADMIN)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains(&format!("rm -r {}", lock.display())), "{err}");
}

/// The resident memory of `pid`, KiB (`VmRSS`, `VmHWM`; Linux's /proc).
#[cfg(target_os = "linux")]
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Any local user can open connections to the `--refresh` endpoint. Floods of idle ones are
/// capped (connections beyond the limit wait in the kernel's backlog, idle ones are dropped at
/// the header deadline), and memory freed after one is given back, so the supervisor does not
/// keep a flood's worth for the rest of a long run.
#[cfg(target_os = "linux")]
#[test]
#[allow(clippy::print_stderr)] // the `measured:` line
fn floods_of_idle_connections_leave_the_refresh_supervisor_small() {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    let sb = Sandbox::logged_in(default_scenario());
    let run = RunAs::start(
        &sb,
        &["--refresh"],
        r#"printf '%s %s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" > "$OUT/uri.tmp" && mv "$OUT/uri.tmp" "$OUT/uri"
n=0; while [ ! -e "$OUT/stop" ] && [ $n -lt 1800 ]; do sleep 0.1; n=$((n+1)); done"#,
    );
    let line = run.wait_for("uri");
    let (uri, token) = line.trim().split_once(' ').unwrap();
    let rest = uri.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let address: SocketAddr = authority.parse().unwrap();
    let get = |token: &str| {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    assert!(get(token).starts_with("HTTP/1.1 200"));
    let before = memory_kib(run.pid());
    const FLOOD: usize = 12_000;
    for _ in 0..2 {
        let mut held = Vec::new();
        let flooding = Instant::now();
        while held.len() < FLOOD && flooding.elapsed() < Duration::from_secs(3) {
            // A full backlog drops the SYN: that attempt times out, the next may pass.
            if let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_millis(50)) {
                // Half a request: the server reads, buffers and waits.
                let _ = (&stream).write_all(b"GET / HTTP/1.1\r\nX-Flood: ");
                held.push(stream);
            }
        }
        drop(held);
        // A real client is answered again once the flood is gone.
        assert!(get(token).starts_with("HTTP/1.1 200"));
    }
    // The server drops what the flood left (closed sockets, header deadlines) and trims.
    let after = eventually(
        "the supervisor's memory within 16 MiB of before the floods",
        Duration::from_secs(20),
        || Some(memory_kib(run.pid())).filter(|now| now.0 < before.0 + 16 * 1024),
    );
    eprintln!(
        "measured: supervisor RSS {} KiB before, {} KiB after 2 floods of up to {FLOOD} idle connections (peak {} KiB)",
        before.0, after.0, after.1
    );
    assert!(get(token).starts_with("HTTP/1.1 200"));
    std::fs::write(run.path("stop"), "").unwrap();
    assert!(
        after.0 < before.0 + 16 * 1024,
        "kept {} KiB more than before the floods",
        after.0 - before.0
    );
    assert!(after.1 < 96 * 1024, "peak {} KiB", after.1);
}

// ---- 6: an old account config is fetched again on a cold run, never on a warm one ----

/// Sets the local copy of the account config's `fetched_at` to `seconds_ago`.
fn age_config_copy(sb: &Sandbox, seconds_ago: i64) {
    let dir = sb.home().join(".p0/cache");
    let copy = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("aws-config~")
        })
        .expect("a local copy of the account config");
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&copy).unwrap()).unwrap();
    value["fetched_at"] = json!(now() as i64 - seconds_ago);
    std::fs::write(&copy, serde_json::to_vec(&value).unwrap()).unwrap();
}

#[test]
fn a_cold_run_refetches_an_account_config_older_than_ten_minutes() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    // Warm (credentials cached): files only, however old the copy (within its 12 hours).
    age_config_copy(&sb, 11 * 60);
    sb.reset_calls();
    sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
    // Cold (--refresh-credentials): a copy this old is fetched again, once.
    let cold = [&RUN_ADMIN[..5], &["--refresh-credentials", "--", "true"]].concat();
    sb.run(&cold).any_stdout().any_stderr().run();
    assert_eq!(sb.count("p0.aws_config"), 1, "{:?}", sb.calls());
    // A young copy is used as it is.
    sb.reset_calls();
    sb.run(&cold).any_stdout().any_stderr().run();
    assert_eq!(sb.count("p0.aws_config"), 0, "{:?}", sb.calls());
}

#[test]
fn a_reinstalled_okta_app_is_found_by_fetching_the_config_again_once() {
    let sb = Sandbox::logged_in(default_scenario());
    // The local copy (fetched at login) still names the old app id.
    sb.control_post(
        "/accounts/reinstall",
        json!({"account": PROD, "app_id": "0oa-aws-prod-2"}),
    );
    sb.reset_calls();
    sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    // Okta refused the old app id (the exchange during the approval, and the one after it);
    // the config fetched again named the new one.
    assert_eq!(sb.count("p0.aws_config"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("okta.token_exchange"), 3, "{:?}", sb.calls());
    // A failure the config does not explain is not retried: one fetch, no second attempt.
    sb.fault(json!({"endpoint": "sts.AssumeRoleWithSAML", "status": 403, "times": 0}));
    sb.reset_calls();
    let cold = [&RUN_ADMIN[..5], &["--refresh-credentials", "--", "true"]].concat();
    sb.run(&cold).code(69).any_stderr().run_stderr();
    assert_eq!(sb.count("p0.aws_config"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1, "{:?}", sb.calls());
}
