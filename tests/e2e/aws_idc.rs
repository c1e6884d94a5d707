//! `p0 aws permission-set assume` end to end against the sandbox's Identity Center.

use crate::harness::*;
use serde_json::json;

#[test]
fn a_device_authorization_then_credentials_then_the_cache() {
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb.p0_in_terminal(&ASSUME_DEV);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("confirm that AWS displays this code"),
        "{text}"
    );
    assert_eq!(sb.count("oidc.register"), 1);
    assert_eq!(sb.count("oidc.device_authorization"), 1);
    assert_eq!(sb.count("sso.role_credentials"), 1);
    assert_eq!(
        sb.commands(),
        vec![vec![
            "request",
            "aws",
            "permission-set",
            "Developer",
            "--account",
            "dev"
        ]]
    );

    // Cached: no terminal needed, no call at all.
    sb.reset_calls();
    let output = sb.run(ASSUME_DEV).any_stdout().any_stderr().run();
    assert!(exports(&output).contains_key("AWS_SESSION_TOKEN"));
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());

    // New credentials reuse the cached token and client registration: no device flow.
    let refreshed = [&ASSUME_DEV[..], &["--refresh-credentials"]].concat();
    sb.run(&refreshed).any_stdout().any_stderr().run();
    assert_eq!(sb.count("oidc.register"), 0);
    assert_eq!(sb.count("oidc.device_authorization"), 0);
    assert_eq!(sb.count("sso.role_credentials"), 1);
    assert_eq!(
        sb.count("p0.command"),
        1,
        "a fetch on a cache miss requests"
    );
}

#[test]
fn without_a_terminal_the_device_authorization_fails_fast() {
    let sb = Sandbox::logged_in(default_scenario());
    let err = sb.run(ASSUME_DEV).code(77).any_stderr().run_stderr();
    assert!(err.contains("AWS IAM Identity Center"), "{err}");
    assert!(err.contains("no terminal"), "{err}");
    assert_eq!(sb.count("oidc.device_authorization"), 0);
}

#[test]
fn a_rejected_token_is_replaced_by_one_fresh_device_flow() {
    let sb = Sandbox::logged_in(default_scenario());
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    sb.control_post("/expire", json!({"what": "idc"}));
    sb.reset_calls();
    let refreshed = [&ASSUME_DEV[..], &["--refresh-credentials"]].concat();

    // Without a terminal the rejected token cannot be replaced.
    sb.run(&refreshed).code(77).any_stderr().run_stderr();

    let output = sb.p0_in_terminal(&refreshed);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(sb.count("oidc.device_authorization"), 1, "{:?}", sb.calls());
    // The client registration is still good (its expiry is in seconds, and compared so).
    assert_eq!(sb.count("oidc.register"), 0);

    sb.reset_calls();
    sb.run([&ASSUME_DEV[..], &["--refresh-credentials"]].concat())
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("oidc.device_authorization"), 0);
}

#[test]
fn get_role_credentials_failing_times_out_with_p0s_text() {
    let sb = Sandbox::logged_in(default_scenario());
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    sb.control_post(
        "/faults",
        json!({"endpoint": "sso.role_credentials", "status": 500, "times": 0}),
    );
    sb.reset_calls();
    let err = sb
        .run([&ASSUME_DEV[..], &["--refresh-credentials"]].concat())
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Timed out fetching AWS credentials. Try again, and if this issue persists, contact support@p0.dev."),
        "{err}"
    );
    assert_eq!(sb.count("sso.role_credentials"), 5);
}

#[test]
fn a_transient_failure_is_retried() {
    let sb = Sandbox::logged_in(default_scenario());
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    sb.control_post(
        "/faults",
        json!({"endpoint": "sso.role_credentials", "status": 500, "times": 2}),
    );
    sb.reset_calls();
    sb.run([&ASSUME_DEV[..], &["--refresh-credentials"]].concat())
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("sso.role_credentials"), 3);
}

#[test]
fn exports_evaluated_by_a_shell_give_the_aws_cli_the_permission_set() {
    let sb = Sandbox::logged_in(default_scenario());
    // The first run signs in to Identity Center on a terminal; the shell then hits the cache.
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    let output = sb.sh(
        r#"eval "$(p0 aws --account dev permission-set assume Developer)" && aws sts get-caller-identity --query Arn --output text"#,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let arn = stdout(&output);
    assert!(arn.contains(":assumed-role/"), "{arn}");
    assert!(arn.contains("Developer"), "{arn}");
}

#[test]
fn pending_and_slow_down_polls_are_waited_out() {
    let mut scenario = default_scenario();
    scenario["idc"]["device"] = json!({"approval": "auto", "interval": 0,
                                        "pending_polls": 2, "slow_down_polls": 1});
    let sb = Sandbox::logged_in(scenario);
    let output = sb.p0_in_terminal(&ASSUME_DEV);
    assert!(output.status.success(), "{}", stdout(&output));
    assert_eq!(sb.count("oidc.token"), 4, "{:?}", sb.calls());
}

#[test]
fn a_denied_device_authorization_fails() {
    let mut scenario = default_scenario();
    scenario["idc"]["device"] = json!({"approval": "deny", "interval": 0});
    let sb = Sandbox::logged_in(scenario);
    let output = sb.p0_in_terminal(&ASSUME_DEV);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("Access denied, try again"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_expired_token_is_renewed_with_its_refresh_token_without_a_human() {
    let mut scenario = default_scenario();
    // Shorter than the margin p0 keeps: the cached access token is never used as is.
    scenario["idc"]["token_lifetime_secs"] = json!(60);
    let sb = Sandbox::logged_in(scenario);
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    sb.reset_calls();
    sb.run([&ASSUME_DEV[..], &["--refresh-credentials"]].concat())
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("oidc.device_authorization"), 0, "{:?}", sb.calls());
    assert_eq!(sb.count("oidc.token"), 1, "one refresh_token grant");
    assert_eq!(sb.count("oidc.register"), 0);
    assert_eq!(sb.count("sso.role_credentials"), 1);
}

#[test]
fn a_refresh_that_fails_in_transit_keeps_the_refresh_token() {
    let mut scenario = default_scenario();
    scenario["idc"]["token_lifetime_secs"] = json!(60);
    let sb = Sandbox::logged_in(scenario);
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    let refreshed = [&ASSUME_DEV[..], &["--refresh-credentials"]].concat();
    // Identity Center unreachable for every attempt the SDK makes: an error, not a demand
    // for a human sign-in (77), and the refresh token survives it.
    sb.control_post(
        "/faults",
        json!({"endpoint": "oidc.token", "status": 500, "times": 3}),
    );
    let output = sb
        .run(&refreshed)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert!(!output.status.success(), "{}", stderr(&output));
    assert_ne!(output.status.code(), Some(77), "{}", stderr(&output));
    sb.reset_calls();
    sb.run(&refreshed).any_stdout().any_stderr().run();
    assert_eq!(sb.count("oidc.device_authorization"), 0, "{:?}", sb.calls());
    assert_eq!(sb.count("oidc.token"), 1, "one refresh_token grant");
}
