//! Choosing a role without `--role`: the roles P0 can grant in the account (its `ls`), those
//! the user holds now marked `(held)` (the SAML assertion's, or Identity Center's
//! ListAccountRoles), in a picker on the terminal, driven here through a pseudo-terminal as a
//! human would (type to filter, Enter); without a terminal, exit 64 with the list.

use crate::harness::*;
use serde_json::json;

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

/// The requests filed (P0's `ls` for the picker is a `/command/` call too).
fn requests(sb: &Sandbox) -> Vec<Vec<String>> {
    sb.commands()
        .into_iter()
        .filter(|argv| argv.first().is_some_and(|w| w == "request"))
        .collect()
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
    // What P0 can grant, the assigned ones marked as held.
    assert!(
        transcript.contains("Auditor (held)") && transcript.contains("Developer (held)"),
        "{transcript}"
    );
    assert!(transcript.contains("Billing"), "{transcript}");
    assert!(!transcript.contains("Billing (held)"), "{transcript}");
    assert_eq!(sb.count("sso.list_account_roles"), 1);
    assert_eq!(
        requests(&sb),
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
        requests(&sb),
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
        transcript.contains("Admin (held)") && transcript.contains("p0-grants/ReadOnly (held)"),
        "the assertion's roles were offered: {transcript}"
    );
    assert!(requests(&sb).is_empty(), "{:?}", sb.commands());
    assert_eq!(sb.count("sts"), 0, "listing roles needs no STS call");
}

#[test]
fn without_a_terminal_the_roles_are_listed_and_the_exit_is_64() {
    let sb = okta_with_two_roles();
    let err = sb
        .run(["run-as", "--account", "prod", "--", "true"])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains(&format!(
            "Name a role with --role (there is no terminal to pick one on). Account {PROD} offers you:\n  Admin (held)\n  p0-grants/ReadOnly (held)"
        )),
        "{err}"
    );
    assert!(requests(&sb).is_empty(), "{:?}", sb.commands());
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
    let err = sb
        .run(["aws", "--account", "dev", "permission-set", "assume"])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("offers you:\n  Auditor (held)\n  Billing\n  Developer (held)"),
        "{err}"
    );
    assert_eq!(sb.count("oidc.device_authorization"), 0);
    assert!(requests(&sb).is_empty(), "{:?}", sb.commands());
}

/// A person whose access is all just-in-time holds nothing yet: the picker offers what P0 can
/// grant, and the role picked is requested.
#[test]
fn with_nothing_held_the_picker_offers_what_p0_can_grant() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb.in_terminal_typing(
        p0_binary(),
        &["run-as", "--account", "prod", "--", "true"],
        &[(PICKER, "\r")],
    );
    let transcript = plain(&text(&out.stdout));
    assert!(out.status.success(), "{transcript}");
    assert!(transcript.contains("Admin"), "{transcript}");
    assert!(!transcript.contains("Admin (held)"), "{transcript}");
    assert_eq!(
        requests(&sb),
        vec![vec!["request", "aws", "role", "Admin", "--account", "prod"]]
    );
}

#[test]
fn an_account_that_offers_no_role_says_how_to_name_one() {
    // P0 lists nothing grantable there, and nothing is held.
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"] = json!({});
    let sb = Sandbox::logged_in(scenario);
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
    assert!(requests(&sb).is_empty(), "{:?}", sb.commands());
}
