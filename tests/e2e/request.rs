//! `p0 request`: every outcome with its exit code and stderr text, the poll stream's heartbeats
//! and cuts, retries (429 storms, 500s, lost connections) and Ctrl-C, against the sandbox.

use crate::harness::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A sandbox whose `Admin` role in `prod` has `policy`, logged in.
fn with_policy(policy: Value) -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = policy;
    Sandbox::logged_in(scenario)
}

fn request(sb: &Sandbox, extra: &[&str]) -> Ran {
    let mut args = vec!["request"];
    args.extend_from_slice(extra);
    args.extend(["aws", "role", "Admin", "--account", "prod"]);
    sb.run(&args)
        .env("P0_RETRY_BASE_MS", "5")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run()
}

/// Runs `p0 request --wait` and checks the exit code, that stdout stays empty, and that
/// stderr contains `expected`.
fn outcome(policy: Value, code: i32, expected: &str) -> (Sandbox, String) {
    let sb = with_policy(policy);
    let out = request(&sb, &["--wait"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(expected), "wanted {expected:?} in {err}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    (sb, err)
}

#[test]
fn an_approved_request_exits_0_and_says_so() {
    let (sb, err) = outcome(
        json!({"outcome": "approve", "after_ms": 300}),
        0,
        "Your request was approved",
    );
    assert!(err.contains("Will wait up to 10 minutes for this request to complete..."));
    assert_eq!(
        sb.commands(),
        vec![vec!["request", "aws", "role", "Admin", "--account", "prod"]]
    );
    assert_eq!(sb.count("p0.poll"), 1);
}

#[test]
fn options_pass_through_in_the_users_order() {
    let sb = with_policy(json!({"outcome": "approve"}));
    sb.run([
        "request",
        "aws",
        "role",
        "Admin",
        "--reason",
        "deploy",
        "--wait",
        "--account",
        "prod",
    ])
    .any_stdout()
    .any_stderr()
    .run();
    assert_eq!(
        sb.commands(),
        vec![vec![
            "request",
            "aws",
            "role",
            "Admin",
            "--reason",
            "deploy",
            "--account",
            "prod"
        ]]
    );
    assert_eq!(sb.count("p0.poll"), 1);
}

#[test]
fn without_wait_the_request_is_only_created() {
    let sb = with_policy(json!({"outcome": "never"}));
    let out = request(&sb, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(sb.count("p0.command"), 1);
    assert_eq!(sb.count("p0.poll"), 0);
}

#[test]
fn a_denied_request_exits_2() {
    outcome(json!({"outcome": "deny"}), 2, "Your request was denied");
}

#[test]
fn the_servers_reason_is_appended() {
    let (_, err) = outcome(
        json!({"outcome": "deny", "message": "not on call"}),
        2,
        "Your request was denied: not on call",
    );
    assert!(!err.contains("Your request was approved"));
}

#[test]
fn an_errored_request_exits_1() {
    outcome(
        json!({"outcome": "error"}),
        1,
        "Your request encountered an error",
    );
}

#[test]
fn expired_and_revoked_access_exit_1() {
    outcome(json!({"outcome": "expired"}), 1, "Your access has expired");
    outcome(json!({"outcome": "revoked"}), 1, "Your access was revoked");
}

#[test]
fn a_request_the_server_gives_up_on_exits_4() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = json!({"outcome": "never"});
    scenario["server_wait_limit_ms"] = json!(1200);
    scenario["heartbeat_ms"] = json!(200);
    let sb = Sandbox::logged_in(scenario);
    let out = request(&sb, &["--wait"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("Your request did not complete: P0 ended its wait without a decision"),
        "{err}"
    );
}

#[test]
fn existing_access_is_found_not_requested() {
    let (_, err) = outcome(json!({"preexisting": true}), 0, "Existing access found.");
    assert!(!err.contains("Your request was approved"), "{err}");
    let (_, err) = outcome(json!({"outcome": "already"}), 0, "Existing access found.");
    assert!(!err.contains("Will wait"), "{err}");
}

#[test]
fn persistent_and_preapproved_access_is_quiet() {
    for flag in ["persistent", "preapproved"] {
        let (_, err) = outcome(json!({flag: true}), 0, "");
        assert!(!err.contains("Your request was approved"), "{flag}: {err}");
    }
}

#[test]
fn heartbeats_keep_the_wait_alive() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "approve", "after_ms": 1000});
    scenario["heartbeat_ms"] = json!(100);
    let sb = Sandbox::logged_in(scenario);
    let out = sb
        .run([
            "request",
            "--wait",
            "aws",
            "role",
            "Admin",
            "--account",
            "prod",
        ])
        .env("P0_LOG", "p0=debug")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.matches("poll: heartbeat").count() >= 3, "{err}");
    assert_eq!(sb.count("p0.poll"), 1);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_stream_cut_mid_line_is_resumed() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "approve", "after_ms": 600});
    scenario["heartbeat_ms"] = json!(100);
    scenario["faults"] = json!([{"endpoint": "p0.poll", "close": true, "times": 2}]);
    let sb = Sandbox::logged_in(scenario);
    let out = request(&sb, &["--wait"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Your request was approved"));
    assert_eq!(sb.count("p0.poll"), 3);
    assert_eq!(sb.commands().len(), 1, "one request, never a second");
}

#[test]
fn a_429_storm_is_ridden_out() {
    let sb = with_policy(json!({"outcome": "approve"}));
    sb.control_post(
        "/faults",
        json!([{"endpoint": "p0.command", "status": 429, "times": 5},
               {"endpoint": "p0.poll", "status": 429, "times": 3}]),
    );
    let out = request(&sb, &["--wait"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sb.count("p0.command"), 6);
    assert_eq!(sb.count("p0.poll"), 4);
}

#[test]
fn an_endless_429_gives_up_after_eight_retries() {
    let sb = with_policy(json!({"outcome": "approve"}));
    sb.control_post(
        "/faults",
        json!({"endpoint": "p0.command", "status": 429, "times": 0}),
    );
    let out = request(&sb, &["--wait"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(sb.count("p0.command"), 9);
}

#[test]
fn a_500_is_reported_not_retried() {
    let sb = with_policy(json!({"outcome": "approve"}));
    sb.control_post(
        "/faults",
        json!({"endpoint": "p0.command", "status": 500, "times": 1}),
    );
    let out = request(&sb, &["--wait"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.trim().is_empty());
    assert_eq!(sb.count("p0.command"), 1);

    sb.control_post(
        "/faults",
        json!({"endpoint": "p0.poll", "status": 500, "times": 1}),
    );
    let out = request(&sb, &["--wait"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn a_create_lost_after_sending_is_not_repeated() {
    let sb = with_policy(json!({"outcome": "approve"}));
    sb.control_post(
        "/faults",
        json!({"endpoint": "p0.command", "close": true, "times": 1}),
    );
    let out = request(&sb, &["--wait"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("may have been received"), "{err}");
    assert_eq!(sb.count("p0.command"), 1);
}

#[test]
fn an_unreachable_api_is_retried_then_reported() {
    let sb = with_policy(json!({"outcome": "approve"}));
    let config_path = sb.home().join(".p0/config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["appUrl"] = json!("http://127.0.0.1:9");
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let started = Instant::now();
    let out = request(&sb, &["--wait"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "Network error: Unable to reach the server at http://127.0.0.1:9/o/acme/command/."
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A refused connection never reached the server, so even the create is retried, eight
    // times, on the §3.1 schedule (shrunk by P0_RETRY_BASE_MS).
    let out = sb
        .run(["request", "aws", "role", "Admin"])
        .env("P0_RETRY_BASE_MS", "5")
        .env("P0_LOG", "p0=debug")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert_eq!(err.matches("/o/acme/command/ failed").count(), 9, "{err}");
    for (retry, nominal_ms) in [(1, 5), (5, 80), (6, 150), (8, 150)] {
        let line = format!("retry {retry} of 8 for http://127.0.0.1:9/o/acme/command/ in ");
        let delay = err
            .lines()
            .find_map(|l| l.split_once(&line).map(|(_, d)| d.to_string()))
            .unwrap_or_else(|| panic!("no {line:?} in {err}"));
        let ms: f64 = match delay.strip_suffix("ms") {
            Some(ms) => ms.parse().unwrap(),
            None => delay.trim_end_matches('s').parse::<f64>().unwrap() * 1000.0,
        };
        let nominal = nominal_ms as f64;
        assert!(
            ms >= nominal * 0.5 && ms <= nominal * 1.5,
            "retry {retry}: {delay}"
        );
    }
}

#[test]
fn bad_arguments_show_the_servers_help() {
    let sb = with_policy(json!({"outcome": "approve"}));
    let out = sb
        .run(["request", "aws", "role"])
        .code(1)
        .any_stderr()
        .run();
    assert!(!text(&out.stderr).trim().is_empty());
}

#[test]
fn ctrl_c_while_waiting_exits_130_at_once_and_leaves_no_partial_state() {
    let sb = with_policy(json!({"outcome": "never"}));
    let before = std::fs::read(sb.home().join(".p0/identity.json")).unwrap();
    let request = sb
        .run([
            "request",
            "--wait",
            "aws",
            "role",
            "Admin",
            "--account",
            "prod",
        ])
        .code(130)
        .stderr_contains("Will wait up to 10 minutes")
        .stderr_contains("Interrupted")
        .spawn();
    // The event: p0 said it waits, and the sandbox holds its poll stream open.
    eventually(
        "p0 waits on the request's poll stream",
        Duration::from_secs(30),
        || {
            (sb.count("p0.poll") > 0
                && request
                    .stderr_so_far()
                    .contains("Will wait up to 10 minutes"))
            .then_some(())
        },
    );
    let interrupted = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &request.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    request.wait();
    assert!(interrupted.elapsed() < Duration::from_secs(2));
    // Nothing half-written: the identity is untouched and no temporary file is left.
    assert_eq!(
        std::fs::read(sb.home().join(".p0/identity.json")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(sb.home().join(".p0"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_spinner_only_on_a_terminal() {
    let sb = with_policy(json!({"outcome": "approve", "after_ms": 800}));
    let args = [
        "request",
        "--wait",
        "aws",
        "role",
        "Admin",
        "--account",
        "prod",
    ];
    let out = sb.p0_in_terminal(&args);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("Your request was approved"), "{shown}");
    assert!(
        shown.contains("Waiting for the request to be decided"),
        "{shown}"
    );

    let out = request(&sb, &["--wait"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("Waiting for the request to be decided"),
        "{err}"
    );
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "control characters: {err:?}"
    );
}
