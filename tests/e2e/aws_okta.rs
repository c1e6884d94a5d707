//! `p0 aws role assume` end to end: the sandbox's P0 and Okta, moto as STS.

use crate::harness::*;
use serde_json::json;

#[test]
fn exports_evaluated_by_a_shell_give_the_aws_cli_the_assumed_role() {
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb
        .sh(r#"eval "$(p0 aws --account prod role assume Admin)" && aws sts get-caller-identity"#);
    assert!(output.status.success(), "{}", stderr(&output));
    let identity: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let arn = identity["Arn"].as_str().unwrap();
    assert!(
        arn.starts_with(&format!("arn:aws:sts::{PROD}:assumed-role/Admin/")),
        "{arn}"
    );
    assert_eq!(
        sb.commands(),
        vec![vec!["request", "aws", "role", "Admin", "--account", "prod"]]
    );
}

#[test]
fn piped_output_is_only_the_export_lines() {
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb
        .run(["aws", "--account", PROD, "role", "assume", "Admin"])
        .any_stdout()
        .any_stderr()
        .run();
    let vars = exports(&output);
    assert_eq!(
        vars.keys().collect::<Vec<_>>(),
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SECURITY_TOKEN",
            "AWS_SESSION_TOKEN"
        ]
    );
    assert_eq!(vars["AWS_SESSION_TOKEN"], vars["AWS_SECURITY_TOKEN"]);
    assert!(vars["AWS_CREDENTIAL_EXPIRATION"].ends_with('Z'));
    let first: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert!(
        first[0].starts_with("export AWS_ACCESS_KEY_ID="),
        "{first:?}"
    );
}

#[test]
fn by_id_and_by_label_share_one_cache_entry() {
    let sb = Sandbox::logged_in(default_scenario());
    let by_label = exports(
        &sb.run(["aws", "--account", "prod", "role", "assume", "Admin"])
            .any_stdout()
            .any_stderr()
            .run(),
    );
    sb.reset_calls();
    let by_id = exports(
        &sb.run(["aws", "--account", PROD, "role", "assume", "Admin"])
            .any_stdout()
            .any_stderr()
            .run(),
    );
    assert_eq!(by_label["AWS_ACCESS_KEY_ID"], by_id["AWS_ACCESS_KEY_ID"]);
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

#[test]
fn the_account_can_come_from_p0_aws_account() {
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb
        .run::<&str>([])
        .env("P0_AWS_ACCOUNT", "prod")
        .args(["aws", "role", "assume", "Admin"])
        .any_stdout()
        .any_stderr()
        .run();
    assert!(exports(&output).contains_key("AWS_ACCESS_KEY_ID"));
}

#[test]
fn role_paths_are_kept() {
    let sb = Sandbox::logged_in(with_accounts(json!([okta_account(
        PROD,
        "prod",
        json!({"p0-grants/ReadOnly": {"assigned": true, "policy": {"preexisting": true}}})
    )])));
    let output = sb.sh(
        r#"eval "$(p0 aws role assume p0-grants/ReadOnly)" && aws sts get-caller-identity --query Arn --output text"#,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let arn = stdout(&output);
    assert!(arn.contains(&format!("{PROD}:assumed-role/")), "{arn}");
    assert!(arn.contains("ReadOnly/"), "{arn}");
    assert_eq!(
        sb.commands(),
        vec![vec!["request", "aws", "role", "p0-grants/ReadOnly"]]
    );
    // The role path's `/` never becomes a directory of the cache.
    let entries: Vec<String> = std::fs::read_dir(sb.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries
            .iter()
            .any(|name| name.contains("p0-grants%2FReadOnly") && name.ends_with(".json")),
        "{entries:?}"
    );
}

#[test]
fn no_request_skips_p0_and_uses_access_already_held() {
    let sb = Sandbox::logged_in(with_accounts(json!([okta_account(
        PROD,
        "prod",
        json!({"Admin": {"assigned": true}})
    )])));
    sb.run(["aws", "role", "assume", "Admin", "--no-request"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("p0.command"), 0);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
}

#[test]
fn a_role_not_in_the_assertion_lists_the_available_ones_without_waiting() {
    let sb = Sandbox::logged_in(with_accounts(json!([okta_account(
        PROD,
        "prod",
        json!({"Admin": {"assigned": true}, "Auditor": {}})
    )])));
    let started = std::time::Instant::now();
    let err = sb
        .run(["aws", "role", "assume", "Auditor", "--no-request"])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Role Auditor not available. Available roles:\n  Admin\n"),
        "{err}"
    );
    // Nothing was just approved: no waiting for Okta.
    assert_eq!(sb.count("okta.token_exchange"), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn okta_lag_after_a_new_approval_is_waited_out() {
    let mut scenario = default_scenario();
    scenario["okta_role_lag_ms"] = json!(1500);
    let sb = Sandbox::logged_in(scenario);
    let output = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .any_stdout()
        .any_stderr()
        .run();
    assert!(exports(&output).contains_key("AWS_ACCESS_KEY_ID"));
    assert!(sb.count("okta.token_exchange") >= 2, "{:?}", sb.calls());
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert!(
        stderr(&output).contains("Waiting for Okta"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn no_saml_assertion() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post(
        "/faults",
        json!({"endpoint": "okta.sso", "saml": "missing", "times": 0}),
    );
    let err = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("No SAML assertion obtained from Okta."),
        "{err}"
    );
    // The token exchanged during the approval, then one exchanged anew: never more.
    assert_eq!(sb.count("okta.token_exchange"), 2, "{:?}", sb.calls());
    assert_eq!(sb.count("okta.sso"), 2);
}

#[test]
fn invalid_grant_means_the_okta_session_expired_and_forgets_it() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post(
        "/faults",
        json!({"endpoint": "okta.token_exchange", "invalid_grant": "The token is no longer valid.", "times": 0}),
    );
    let err = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Your Okta session has expired. Please log out of Okta in your browser, and re-execute your p0 command to reauthenticate."),
        "{err}"
    );
    assert!(!sb.home().join(".p0/identity.json").exists());
}

#[test]
fn invalid_grant_for_a_misconfigured_app_says_so() {
    // (The assurance error is cured by a new sign-in: real_services.rs.)
    let description =
        "The target audience app must be configured to allow the client to request a 'web_sso_token'.";
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post(
        "/faults",
        json!({"endpoint": "okta.token_exchange", "invalid_grant": description, "times": 0}),
    );
    let err = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(err.contains(description), "{err}");
    assert!(err.contains("Invalid provider configuration"), "{err}");
}

#[test]
fn duration_is_passed_to_sts() {
    // moto ignores DurationSeconds for SAML (the assertion's SessionDuration decides), so this
    // checks the flag is accepted and credentials still come back.
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb
        .run([
            "aws",
            "--account",
            "prod",
            "role",
            "assume",
            "Admin",
            "--duration",
            "900",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    assert!(exports(&output).contains_key("AWS_ACCESS_KEY_ID"));
}

#[test]
fn fish_and_powershell_syntax() {
    let sb = Sandbox::logged_in(default_scenario());
    let fish = stdout(
        &sb.run([
            "aws",
            "--account",
            "prod",
            "--shell",
            "fish",
            "role",
            "assume",
            "Admin",
        ])
        .any_stdout()
        .any_stderr()
        .run(),
    );
    assert!(
        fish.lines().all(|l| l.starts_with("set -gx AWS_")),
        "{fish}"
    );
    let pwsh = sb
        .run::<&str>([])
        .env("SHELL", "/usr/bin/pwsh")
        .args(["aws", "--account", "prod", "role", "assume", "Admin"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let pwsh = stdout(&pwsh);
    assert!(pwsh.lines().all(|l| l.starts_with("$Env:AWS_")), "{pwsh}");
}

#[test]
fn on_a_terminal_the_exports_come_with_instructions() {
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb.p0_in_terminal(&["aws", "--account", "prod", "role", "assume", "Admin"]);
    assert!(output.status.success());
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(text.contains("Execute the following commands:"), "{text}");
    assert!(text.contains("  export AWS_ACCESS_KEY_ID="), "{text}");
    assert!(
        text.contains(r#"eval "$(p0 aws --account prod role assume Admin)""#),
        "{text}"
    );
}

#[test]
fn a_malformed_assertion_is_an_error_not_a_crash() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "okta.sso", "saml": "malformed"}));
    let err = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Could not read the SAML assertion from Okta"),
        "{err}"
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let sb = Sandbox::logged_in(default_scenario());
    let output = sb
        .run([
            "--debug",
            "aws",
            "--account",
            "prod",
            "role",
            "assume",
            "Admin",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    let vars = exports(&output);
    let debug = stderr(&output);
    assert!(!debug.is_empty());
    for secret in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        assert!(!debug.contains(&vars[secret]), "{secret} leaked:\n{debug}");
    }
    assert!(!debug.contains("SAMLResponse="), "{debug}");
    assert!(!debug.contains("token="), "{debug}");
}

#[test]
fn at_a_terminal_an_ended_okta_session_means_a_new_sign_in_and_carrying_on() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post(
        "/faults",
        // The exchange made during the approval (forgotten), then the one after it.
        json!({"endpoint": "okta.token_exchange", "invalid_grant": "The token is no longer valid.", "times": 2}),
    );
    let logins_before = sb.count("okta.device_authorize");
    let out = sb.p0_in_terminal(&["aws", "--account", "prod", "role", "assume", "Admin"]);
    let text = text(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    assert_eq!(sb.count("okta.device_authorize"), logins_before + 1);
    assert_eq!(sb.count("okta.token_exchange"), 3);
    assert!(sb.home().join(".p0/identity.json").exists());
}

/// Okta's token exchange runs while P0 approves the request. A web SSO token that ended while
/// the approval took its time (used, expired: Okta answers both with its sign-in page) is
/// replaced by a new exchange, never turned into a failed run.
#[test]
fn a_web_sso_token_that_ended_during_the_approval_is_exchanged_again() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "approve", "after_ms": 1500});
    let sb = Sandbox::logged_in(scenario);
    let run = sb
        .run(RUN_ADMIN)
        .env("P0_LOG", "p0=debug")
        .stderr_contains("refused the prepared token")
        .spawn();
    eventually(
        "a token exchange during the approval",
        std::time::Duration::from_secs(20),
        || (sb.count("okta.token_exchange") > 0).then_some(()),
    );
    assert_eq!(sb.count("okta.sso"), 0, "the approval is still pending");
    sb.expire("okta_web_sso");
    run.wait();
    assert_eq!(sb.count("okta.token_exchange"), 2, "{:?}", sb.calls());
    assert_eq!(sb.count("okta.sso"), 2);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(sb.commands().len(), 1, "one request");
}
