//! Defect 10: control bytes from argv and from server data reach the terminal escaped (`\x1b`),
//! never raw: a role name, the available-roles list, an account label, a request's message.

use crate::harness::*;
use serde_json::json;

/// No ESC, BEL, CR or C1 control in what `p0` wrote (newlines and tabs are fine).
fn assert_no_raw_controls(what: &str, text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(raw.is_empty(), "raw controls {raw:?} in {what}: {text:?}");
}

#[test]
fn a_role_name_from_argv_is_echoed_escaped() {
    let sb = Sandbox::logged_in(default_scenario());
    let role = "Ad\u{1b}]0;pwned\u{7}min\r\u{9b}";
    let stderr = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            role,
            "--no-request",
            "--",
            "true",
        ])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert_no_raw_controls("stderr", &stderr);
    assert!(
        stderr.contains(r"Role Ad\x1b]0;pwned\x07min\r\u{9b} not available"),
        "{stderr}"
    );
    // clap's own error quotes the argument too.
    let stderr = sb
        .run(["run-as", "--role", "Admin", "--x\ry", "true"])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert_no_raw_controls("a usage error", &stderr);
    assert!(stderr.contains(r"'--x\ry'"), "{stderr}");
}

#[test]
fn server_data_is_shown_escaped() {
    let evil_role = "Evil\u{1b}[2J\u{1b}]0;title\u{7}";
    let scenario = with_accounts(json!([okta_account(
        PROD,
        "prod\u{1b}[31m",
        json!({
            evil_role: {"assigned": true},
            "Admin": {"policy": {"outcome": "deny", "message": "not on call\u{1b}[5m\u{8}"}},
        })
    ),]));
    let sb = Sandbox::logged_in(scenario);

    // The available-roles list, from the SAML assertion.
    let stderr = sb
        .run([
            "run-as",
            "--account",
            PROD,
            "--role",
            "Other",
            "--no-request",
            "--",
            "true",
        ])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert_no_raw_controls("stderr", &stderr);
    assert!(
        stderr.contains(r"  Evil\x1b[2J\x1b]0;title\x07"),
        "{stderr}"
    );

    // A request's message, from P0.
    let stderr = sb
        .run(["run-as", "--account", PROD, "--role", "Admin", "--", "true"])
        .code(2)
        .any_stderr()
        .run_stderr();
    assert_no_raw_controls("stderr", &stderr);
    assert!(
        stderr.contains(r"Your request was denied: not on call\x1b[5m\x08"),
        "{stderr}"
    );

    // Account labels and role names in a listing, on stdout.
    let out = sb
        .run(["ls", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    let listing = stdout(&out);
    assert_no_raw_controls("stdout", &listing);
    assert!(listing.contains(r"prod\x1b[31m"), "{listing}");
    assert!(listing.contains(r"Evil\x1b[2J"), "{listing}");
}
