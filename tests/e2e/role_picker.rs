//! Choosing a role without `--role`: the roles the account offers the user (the SAML
//! assertion's, or Identity Center's ListAccountRoles) in a picker on the terminal, driven here
//! through a pseudo-terminal as a human would (type to filter, Enter); without a terminal, exit
//! 64 with the list.

use crate::harness::*;
use serde_json::{json, Value};

const PICKER: &str = "type to filter";

/// Identity Center account `dev` with three permission sets, two of them assigned.
fn idc_with_permission_sets() -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][1]["permission_sets"] = json!({
        "Auditor": {"assigned": true},
        "Developer": {"assigned": true},
        "Billing": {}
    });
    Sandbox::logged_in(scenario)
}

/// Okta SAML account `prod` with two roles assigned.
fn okta_with_two_roles() -> Sandbox {
    Sandbox::logged_in(with_accounts(json!([okta_account(
        PROD,
        PROD_LABEL,
        json!({"Admin": {"assigned": true}, "p0-grants/ReadOnly": {"assigned": true}})
    )])))
}

#[test]
fn run_as_offers_the_permission_sets_and_runs_with_the_one_typed() {
    let sb = idc_with_permission_sets();
    let out = sb.in_terminal_typing(
        p0_binary(),
        &[
            "run-as",
            "--account",
            DEV_LABEL,
            "--region",
            "us-east-1",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        &[(PICKER, "aud"), ("aud", "\r")],
    );
    let transcript = plain(&text(&out.stdout));
    assert!(out.status.success(), "{transcript}");
    assert!(
        transcript.contains(&format!(
            "arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_Auditor_"
        )),
        "{transcript}"
    );
    // Both assigned permission sets were offered, the unassigned one not.
    assert!(
        transcript.contains("Auditor") && transcript.contains("Developer"),
        "{transcript}"
    );
    assert!(!transcript.contains("Billing"), "{transcript}");
    assert_eq!(sb.count("sso.list_account_roles"), 1);
    assert_eq!(
        sb.commands(),
        vec![vec![
            "request",
            "aws",
            "permission-set",
            "Auditor",
            "--account",
            DEV_LABEL
        ]]
    );
}

#[test]
fn role_assume_offers_the_assertions_roles_and_exports_the_chosen_one() {
    let sb = Sandbox::logged_in(with_accounts(json!([okta_account(
        PROD,
        PROD_LABEL,
        json!({ADMIN: {"assigned": true}})
    )])));
    // stdout goes to the shell's $(...); the picker is drawn on the terminal (stderr).
    let script = format!(
        r#"eval "$({} aws --account prod role assume)" && AWS_DEFAULT_REGION=us-east-1 aws sts get-caller-identity --query Arn --output text"#,
        p0_binary().display()
    );
    let out = sb.in_terminal_typing("sh", &["-c", &script], &[(PICKER, "\r")]);
    let transcript = plain(&text(&out.stdout));
    assert!(out.status.success(), "{transcript}");
    assert!(
        transcript.contains(&format!(
            "arn:aws:sts::{PROD}:assumed-role/Admin/{USER_EMAIL}"
        )),
        "{transcript}"
    );
    assert_eq!(
        sb.commands(),
        vec![vec!["request", "aws", "role", "Admin", "--account", "prod"]]
    );
    // One assertion to list the roles, one for the credentials.
    assert_eq!(sb.count("okta.sso"), 2);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
}

#[test]
fn escape_gives_up_without_a_request() {
    let sb = okta_with_two_roles();
    let out = sb.in_terminal_typing(
        p0_binary(),
        &["run-as", "--account", "prod", "--", "true"],
        &[(PICKER, "\x1b")],
    );
    let transcript = plain(&text(&out.stdout));
    assert_eq!(out.status.code(), Some(130), "{transcript}");
    assert!(
        transcript.contains("Admin") && transcript.contains("p0-grants/ReadOnly"),
        "the assertion's roles were offered: {transcript}"
    );
    assert_eq!(sb.count("p0.command"), 0);
    assert_eq!(sb.count("sts"), 0, "listing roles needs no STS call");
}

#[test]
fn without_a_terminal_the_roles_are_listed_and_the_exit_is_64() {
    let sb = okta_with_two_roles();
    let err = p0_fails(&sb, &["run-as", "--account", "prod", "--", "true"], 64);
    assert!(
        err.contains(&format!(
            "Name a role with --role (there is no terminal to pick one on). Account {PROD} offers you:\n  Admin\n  p0-grants/ReadOnly"
        )),
        "{err}"
    );
    assert_eq!(sb.count("p0.command"), 0);
    assert_eq!(sb.count("sts"), 0);

    // Identity Center: once signed in (at a terminal, as a user would), the same without one.
    let sb = idc_with_permission_sets();
    let signed_in = sb.in_terminal_typing(
        p0_binary(),
        &["run-as", "--account", "dev", "--", "true"],
        &[(PICKER, "\r")],
    );
    assert!(signed_in.status.success(), "{}", text(&signed_in.stdout));
    sb.reset_calls();
    let err = p0_fails(
        &sb,
        &["aws", "--account", "dev", "permission-set", "assume"],
        64,
    );
    assert!(err.contains("offers you:\n  Auditor\n  Developer"), "{err}");
    assert_eq!(sb.count("oidc.device_authorization"), 0);
    assert_eq!(sb.count("p0.command"), 0);
}

#[test]
fn an_account_that_offers_no_role_says_how_to_name_one() {
    // Nothing assigned yet: P0 grants roles on request, so the user must name one.
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb.in_terminal(
        p0_binary(),
        &["run-as", "--account", "prod", "--", "true"],
        "",
    );
    let transcript = plain(&text(&out.stdout));
    assert_eq!(out.status.code(), Some(64), "{transcript}");
    assert!(
        transcript.contains(&format!("Account {PROD} offers you no role right now")),
        "{transcript}"
    );
    let calls: Value = sb.control_get("/calls");
    assert_eq!(calls["commands"], json!([]));
}
