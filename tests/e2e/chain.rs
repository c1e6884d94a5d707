//! Role chaining (`--chain-role-arn`): the P0 role's credentials, then STS AssumeRole into
//! another role with them, the way a `role_arn` + `source_profile` profile does. moto plays
//! STS: the chained role's ARN comes back from GetCallerIdentity through the real aws CLI.

use crate::harness::*;
use serde_json::Value;

/// A role in the other account of the scenario, as a cross-account target.
pub(crate) const CROSS: &str = "arn:aws:iam::210987654321:role/team/CrossAccount";

fn caller(sb: &Sandbox, extra: &[&str]) -> String {
    let out = sb
        .run(["run-as", "--account", "prod", "--role", ADMIN])
        .args(extra)
        .args(["--region", "us-east-1", "--"])
        .args(["aws", "sts", "get-caller-identity", "--output", "json"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&out);
    let identity: Value = serde_json::from_slice(&out.stdout).unwrap();
    identity["Arn"].as_str().unwrap().to_string()
}

#[test]
fn run_as_chains_into_the_cross_account_role_and_caches_both_links() {
    let sb = Sandbox::logged_in(default_scenario());
    assert_eq!(
        caller(&sb, &["--chain-role-arn", CROSS]),
        "arn:aws:sts::210987654321:assumed-role/CrossAccount/p0"
    );
    assert_eq!(sb.count("p0.command"), 1);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(sb.count("sts.AssumeRole"), 1);

    // Warm: both links come from the cache.
    sb.reset_calls();
    let warm = sb
        .run(["run-as", "--account", "prod", "--role", ADMIN])
        .args([
            "--chain-role-arn",
            CROSS,
            "--",
            "sh",
            "-c",
            "echo $P0_RUN_AS",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&warm);
    assert_eq!(stdout(&warm).trim(), "210987654321/team/CrossAccount");
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());

    // The P0 role's own entry is the chain's source: shared, not fetched again.
    assert_eq!(
        caller(&sb, &[]),
        format!("arn:aws:sts::{PROD}:assumed-role/Admin/{USER_EMAIL}")
    );
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 0, "{:?}", sb.calls());

    // Another session name is another chained session (and cache entry).
    assert_eq!(
        caller(
            &sb,
            &["--chain-role-arn", CROSS, "--chain-session-name", "deploy"]
        ),
        "arn:aws:sts::210987654321:assumed-role/CrossAccount/deploy"
    );
    assert_eq!(sb.count("sts.AssumeRole"), 1);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 0);
}

#[test]
fn assume_exports_the_chained_role_with_its_session_name_and_external_id() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb.sh(&format!(
        r#"eval "$(p0 aws --account prod role assume Admin --chain-role-arn {CROSS} --chain-session-name ci-deploy --chain-external-id ext-42)" && aws sts get-caller-identity --query Arn --output text"#
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "arn:aws:sts::210987654321:assumed-role/CrossAccount/ci-deploy"
    );
    assert_eq!(sb.count("sts.AssumeRole"), 1);
    assert_eq!(
        sb.commands(),
        vec![vec!["request", "aws", "role", "Admin", "--account", "prod"]],
        "P0 is asked for the source role only"
    );
}

#[test]
fn a_chain_role_that_is_not_a_role_arn_is_a_usage_error_before_any_request() {
    let sb = Sandbox::logged_in(default_scenario());
    let err = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            ADMIN,
            "--chain-role-arn",
            "CrossAccount",
            "--",
            "true",
        ])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("--chain-role-arn: \"CrossAccount\" is not an IAM role ARN"),
        "{err}"
    );
    let err = sb
        .run(["aws", "role", "assume", ADMIN, "--chain-session-name", "x"])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("--chain-role-arn"), "{err}");
    assert_eq!(sb.count("p0.command"), 0);
}

#[test]
fn sts_refusing_the_chained_role_is_a_backend_failure() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(serde_json::json!({"endpoint": "sts.AssumeRole", "status": 500, "times": 0}));
    let err = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            ADMIN,
            "--chain-role-arn",
            CROSS,
            "--",
            "true",
        ])
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("STS AssumeRole failed"), "{err}");
    // The source credentials were fetched and kept for the next try.
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
}
