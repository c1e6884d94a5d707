//! Defect 7: every exit code `p0 --help` documents (generated from `error::exit::TABLE`, which
//! the README's table is checked against) is produced by a real run here, one test per row.

use super::{admin_assigned, p0_bounded};
use crate::harness::*;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

/// The codes the tests below produce, in the table's order.
const PRODUCED: &[&str] = &[
    "0", "1", "2", "4", "64", "69", "75", "76", "77", "78", "126", "127", "128+n",
];

fn with_admin_policy(policy: Value) -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = policy;
    scenario["server_wait_limit_ms"] = json!(300);
    Sandbox::logged_in(scenario)
}

#[test]
fn every_documented_exit_code_has_a_test() {
    let sb = Sandbox::start(default_scenario());
    let help = stdout(&sb.run(["--help"]).any_stdout().any_stderr().run());
    let documented: Vec<&str> = help
        .split("Exit codes:")
        .nth(1)
        .expect("--help lists the exit codes")
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(documented, PRODUCED, "{help}");
}

#[test]
fn exit_0_success() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
}

#[test]
fn exit_1_the_request_errored() {
    let sb = with_admin_policy(json!({"outcome": "error"}));
    let err = sb.run(RUN_ADMIN).code(1).any_stderr().run_stderr();
    assert!(err.contains("Your request encountered an error"), "{err}");
}

#[test]
fn exit_2_the_request_was_denied() {
    let sb = with_admin_policy(json!({"outcome": "deny"}));
    let err = sb.run(RUN_ADMIN).code(2).any_stderr().run_stderr();
    assert!(err.contains("Your request was denied"), "{err}");
}

#[test]
fn exit_4_the_request_did_not_complete() {
    let sb = with_admin_policy(json!({"outcome": "never"}));
    let err = sb.run(RUN_ADMIN).code(4).any_stderr().run_stderr();
    assert!(err.contains("did not complete"), "{err}");
    assert!(
        err.contains("Will wait up to 10 minutes"),
        "the wait announced is the client's real limit: {err}"
    );
}

#[test]
fn exit_64_usage() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(["run-as", "--account", "prod", "--role"])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert_eq!(sb.total_calls(), 0);
}

#[test]
fn exit_69_okta_failures_and_a_redirect_loop() {
    let sb = Sandbox::logged_in(admin_assigned());
    let no_request = [
        "run-as",
        "--account",
        "prod",
        "--role",
        "Admin",
        "--no-request",
        "--",
        "true",
    ];
    for fault in [
        json!({"endpoint": "okta.sso", "status": 500}),
        json!({"endpoint": "okta.token_exchange", "status": 503}),
        json!({"endpoint": "okta.token_exchange", "status": 403}),
    ] {
        sb.fault(fault.clone());
        let err = sb.run(no_request).code(69).any_stderr().run_stderr();
        // §2.2's words for a non-2xx answer.
        let status = fault["status"].to_string();
        assert!(
            err.contains(&format!("Error in fetch request to {}", sb.urls().okta)),
            "{err}"
        );
        assert!(err.contains(&format!("\n{status} ")), "{fault}: {err}");
    }
    sb.fault(json!({"endpoint": "okta.sso", "redirect_loop": true, "times": 0}));
    let err = sb.run(no_request).code(69).any_stderr().run_stderr();
    assert!(err.contains("redirect"), "{err}");
    assert!(!err.contains("Unable to reach the server"), "{err}");
}

#[test]
fn exit_75_another_p0_held_the_lock_too_long() {
    let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 60000}));
    // The first p0 takes the credential lock and waits for the approval.
    let holder = sb.run(RUN_ADMIN).any_code().any_stderr().spawn();
    eventually(
        "the first p0 files its request",
        Duration::from_secs(30),
        || (sb.count("p0.command") > 0).then_some(()),
    );
    let second = p0_bounded(
        &sb,
        &RUN_ADMIN,
        &[("P0_LOCK_TIMEOUT", "1")],
        Duration::from_secs(30),
    );
    // Dropping it kills its process group.
    drop(holder);
    second.assert_code(75);
    assert!(
        second.stderr.contains("another p0 process"),
        "{}",
        second.stderr
    );
}

#[test]
fn exit_76_a_server_sent_data_p0_cannot_use() {
    let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 60000}));
    sb.fault(json!({"endpoint": "p0.poll", "poll": "no_newline", "times": 0}));
    let run = p0_bounded(&sb, &RUN_ADMIN, &[], Duration::from_secs(60));
    run.assert_code(76);
}

#[test]
fn exit_77_never_logged_in() {
    let sb = Sandbox::start(default_scenario());
    let err = sb.run(RUN_ADMIN).code(77).any_stderr().run_stderr();
    assert!(err.contains("p0 login"), "{err}");
}

#[test]
fn exit_78_a_setting_p0_cannot_use() {
    let sb = Sandbox::start(default_scenario());
    let out = sb
        .run(["login", ORG])
        .env("P0_APP_URL", "http://10.0.0.1:1")
        .code(78)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stderr(&out).contains("P0_APP_URL"), "{}", stderr(&out));
}

#[test]
fn exit_126_and_127_the_command_cannot_run() {
    let sb = Sandbox::logged_in(default_scenario());
    let args = ["run-as", "--account", "prod", "--role", "Admin", "--"];
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    sb.run([&args[..], &[plain.to_str().unwrap()]].concat())
        .code(126)
        .any_stderr()
        .run_stderr();
    sb.run([&args[..], &["no-such-command-p0"]].concat())
        .code(127)
        .any_stderr()
        .run_stderr();
}

#[test]
fn exit_128_plus_n_killed_by_a_signal_and_130_for_ctrl_c() {
    let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 60000}));
    for (signal, code) in [(nix::libc::SIGTERM, None), (nix::libc::SIGINT, Some(130))] {
        sb.reset_calls();
        let started = sb.run(RUN_ADMIN).any_code().any_stderr().spawn();
        eventually(
            "p0 starts waiting on the poll stream",
            Duration::from_secs(30),
            || (sb.count("p0.poll") > 0).then_some(()),
        );
        // SAFETY: signalling our own child.
        unsafe { nix::libc::kill(started.pid() as i32, signal) };
        let status = started.wait().status;
        match code {
            // Killed by the signal: a shell reports 128 + n.
            None => assert_eq!(status.signal(), Some(signal), "{status:?}"),
            // Ctrl-C ends the wait with 130 as an exit code of p0's own.
            Some(code) => assert_eq!(status.code(), Some(code), "{status:?}"),
        }
    }
}
