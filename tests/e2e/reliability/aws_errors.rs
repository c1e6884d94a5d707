//! Defect 8: AWS failures read as one short line with the service's code and message (or the
//! HTTP status, or the innermost network cause), never the SDK's debug dump; what cannot
//! succeed is not retried.

use super::admin_assigned;
use crate::harness::*;
use serde_json::json;

/// The last line (the error) is short and has none of the SDK's debug output.
fn assert_readable(stderr: &str, wanted: &str) {
    let line = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(line.contains(wanted), "wanted {wanted:?} in {stderr}");
    assert!(line.len() < 240, "{} characters: {line}", line.len());
    for dump in [
        "Response {",
        "headers",
        "HeaderMap",
        "body:",
        "SdkBody",
        "raw:",
        "ServiceError {",
    ] {
        assert!(!stderr.contains(dump), "{dump:?} in {stderr}");
    }
}

#[test]
fn sts_failures_are_the_services_words_or_the_network_cause() {
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
    sb.fault(json!({"endpoint": "sts.AssumeRoleWithSAML", "status": 500, "times": 0}));
    let err = sb.run(no_request).code(69).any_stderr().run_stderr();
    assert_readable(
        &err,
        "STS AssumeRoleWithSAML failed: InternalFailure: Internal Server Error",
    );

    let out = sb
        .run(no_request)
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
        .code(69)
        .any_stdout()
        .any_stderr()
        .run();
    assert_readable(&stderr(&out), "Connection refused");
}

#[test]
fn identity_center_failures_are_the_services_words() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "oidc.register", "status": 500, "times": 0}));
    let out = sb.p0_in_terminal(&ASSUME_DEV);
    assert_eq!(out.status.code(), Some(69), "{}", stdout(&out));
    assert_readable(
        &stdout(&out),
        "InternalServerException: Internal Server Error",
    );
    // Nothing listening: the cause, not the connector's debug dump.
    let p0 = p0_binary().display().to_string();
    let out = sb.in_terminal(
        "env",
        &[
            &["AWS_ENDPOINT_URL_SSO_OIDC=http://127.0.0.1:1", &p0][..],
            &ASSUME_DEV[..],
        ]
        .concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(69), "{}", stdout(&out));
    assert_readable(
        &stdout(&out),
        "sso-oidc failed: no connection: Connection refused",
    );
}

#[test]
fn get_role_credentials_gives_its_last_error_and_retries_only_what_may_pass() {
    let sb = Sandbox::logged_in(default_scenario());
    assert!(sb.p0_in_terminal(&ASSUME_DEV).status.success());
    let refresh = [&ASSUME_DEV[..], &["--refresh-credentials"]].concat();

    // A server error may pass: retried, then reported with the service's words.
    sb.fault(json!({"endpoint": "sso.role_credentials", "status": 500, "times": 0}));
    sb.reset_calls();
    let err = sb.run(&refresh).code(69).any_stderr().run_stderr();
    assert!(
        err.contains("InternalServerException: Internal Server Error"),
        "{err}"
    );
    assert_eq!(sb.count("sso.role_credentials"), 5);
    sb.clear_faults();

    // A bad request cannot: one call, its words.
    sb.fault(json!({"endpoint": "sso.role_credentials", "status": 400, "times": 0}));
    sb.reset_calls();
    let err = sb.run(&refresh).code(69).any_stderr().run_stderr();
    assert_readable(&err, "InvalidRequestException: Bad Request");
    assert_eq!(sb.count("sso.role_credentials"), 1, "{:?}", sb.calls());
    sb.clear_faults();

    // No assignment (ForbiddenException) cannot pass either, unless access was just granted.
    sb.reset_calls();
    let err = sb
        .run([
            "run-as",
            "--sso-start-url",
            IDC_START_URL,
            "--sso-region",
            IDC_REGION,
            "--account",
            DEV,
            "--role",
            "NotAssigned",
            "--",
            "true",
        ])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert_readable(
        &err,
        &format!("Permission set NotAssigned is not assigned to you in account {DEV}."),
    );
    assert_eq!(sb.count("sso.role_credentials"), 1, "{:?}", sb.calls());
}
