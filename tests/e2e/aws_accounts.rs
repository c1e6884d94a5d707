//! Account resolution (protocol §4) end to end: ids, labels, a mixed org, and P0's messages.

use crate::harness::*;
use serde_json::json;

#[test]
fn a_mixed_org_serves_both_families() {
    let sb = Sandbox::logged_in(default_scenario());
    let role = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .any_stdout()
        .any_stderr()
        .run();
    assert!(exports(&role).contains_key("AWS_ACCESS_KEY_ID"));
    // The Identity Center account needs one device authorization, on a terminal.
    let ps = sb.p0_in_terminal(&[
        "aws",
        "--account",
        "dev",
        "permission-set",
        "assume",
        "Developer",
    ]);
    assert!(ps.status.success(), "{}{}", stdout(&ps), stderr(&ps));
    assert_eq!(
        sb.commands(),
        vec![
            vec!["request", "aws", "role", "Admin", "--account", "prod"],
            vec![
                "request",
                "aws",
                "permission-set",
                "Developer",
                "--account",
                "dev"
            ],
        ]
    );
}

#[test]
fn the_wrong_family_is_refused_with_p0s_texts() {
    let sb = Sandbox::logged_in(default_scenario());
    let err = sb
        .run(["aws", "--account", "dev", "role", "assume", "Admin"])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Account dev is not configured for Okta SAML login."),
        "{err}"
    );
    let err = sb
        .run([
            "aws",
            "--account",
            "prod",
            "permission-set",
            "assume",
            "Developer",
        ])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Unexpected login type. Expected IDC to be enabled for account prod"),
        "{err}"
    );
    // Refused before anything was requested.
    assert_eq!(sb.count("p0.command"), 0);
}

#[test]
fn unknown_and_ambiguous_accounts() {
    let sb = Sandbox::logged_in(default_scenario());
    let err = sb
        .run(["aws", "--account", "staging", "role", "assume", "Admin"])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("P0 is not installed on AWS account staging"),
        "{err}"
    );
    let err = sb
        .run(["aws", "role", "assume", "Admin"])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains(
            "Please select a unique AWS account with --account; valid accounts are:\nprod\ndev"
        ),
        "{err}"
    );
}

#[test]
fn an_org_without_installed_accounts() {
    let mut pending = okta_account(PROD, "prod", json!({"Admin": {}}));
    pending["installed"] = json!(false);
    let sb = Sandbox::logged_in(with_accounts(json!([pending])));
    let err = sb
        .run(["aws", "role", "assume", "Admin"])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("P0 is not installed on any AWS account"),
        "{err}"
    );
}

#[test]
fn a_new_account_is_found_although_an_older_config_is_cached() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .any_stdout()
        .any_stderr()
        .run();
    // The local copy of the config knows no "staging": P0 is asked again before failing.
    sb.reset_calls();
    sb.run(["aws", "--account", "staging", "role", "assume", "Admin"])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert_eq!(sb.count("p0.aws_config"), 1, "{:?}", sb.calls());
}
