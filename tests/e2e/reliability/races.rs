//! Races: 32 cold `run-as` and 32 cold `credential-process` for one role make one P0 request,
//! one Okta token exchange and one STS call between them (the credential lock's single
//! flight), and every process gets the same credentials; 8 roles at once are each fetched
//! exactly once.

use crate::harness::*;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[allow(clippy::print_stderr)]
fn measured(what: &str) {
    eprintln!("measured: {what}");
}

/// Waits for every child; each must succeed; returns their stdouts.
fn all_succeed(children: Vec<Running>) -> Vec<String> {
    children
        .into_iter()
        .map(|child| stdout(&child.wait()))
        .collect()
}

/// `p0 ARGS` in the background, to succeed; a herd of 32 on two busy cores may take a while.
fn spawn(sb: &Sandbox, args: &[&str]) -> Running {
    sb.run(args)
        .deadline(Duration::from_secs(120))
        .any_stdout()
        .any_stderr()
        .spawn()
}

const COUNTED: [&str; 4] = [
    "p0.command",
    "okta.token_exchange",
    "okta.sso",
    "sts.AssumeRoleWithSAML",
];

/// The calls of `args` run once, cold, on a sandbox of its own: what 32 at once must not
/// exceed.
fn one_run(args: &[&str]) -> Vec<u64> {
    let sb = Sandbox::logged_in(default_scenario());
    all_succeed(vec![spawn(&sb, args)]);
    COUNTED.iter().map(|e| sb.count(e)).collect()
}

fn assert_as_one_run(sb: &Sandbox, args: &[&str], what: &str) {
    let alone = one_run(args);
    let together: Vec<u64> = COUNTED.iter().map(|e| sb.count(e)).collect();
    assert_eq!(
        together,
        alone,
        "{what}: calls to {COUNTED:?} ({:?})",
        sb.calls()
    );
    assert_eq!(alone[0], 1, "one request");
    assert_eq!(alone[3], 1, "one STS call");
}

#[test]
fn thirty_two_cold_run_as_for_one_role_make_one_request_one_exchange_one_sts_call() {
    let sb = Sandbox::logged_in(default_scenario());
    let started = Instant::now();
    // Each child prints the key it was given.
    let args = [
        "run-as",
        "--account",
        "prod",
        "--role",
        "Admin",
        "--",
        "sh",
        "-c",
        "echo $AWS_ACCESS_KEY_ID",
    ];
    let children: Vec<Running> = (0..32).map(|_| spawn(&sb, &args)).collect();
    let keys: BTreeSet<String> = all_succeed(children)
        .into_iter()
        .map(|out| out.trim().to_string())
        .collect();
    measured(&format!("32 cold run-as in {:.2?}", started.elapsed()));
    assert_eq!(keys.len(), 1, "one set of credentials: {keys:?}");
    assert_as_one_run(&sb, &args, "32 run-as");
    assert_eq!(sb.count("okta.token_exchange"), 1);
}

#[test]
fn thirty_two_cold_credential_processes_for_one_role_make_one_of_each() {
    let sb = Sandbox::logged_in(default_scenario());
    let started = Instant::now();
    let args = [
        "aws",
        "credential-process",
        "--account",
        "prod",
        "--role",
        "Admin",
    ];
    let children: Vec<Running> = (0..32).map(|_| spawn(&sb, &args)).collect();
    let keys: BTreeSet<String> = all_succeed(children)
        .into_iter()
        .map(|out| {
            let value: serde_json::Value = serde_json::from_str(&out).expect("the JSON");
            value["AccessKeyId"].as_str().unwrap().to_string()
        })
        .collect();
    measured(&format!(
        "32 cold credential-process in {:.2?}",
        started.elapsed()
    ));
    assert_eq!(keys.len(), 1, "{keys:?}");
    // One exchange to see whether the role is already held (it is asked for only when it is
    // not), one after the approval: as one process alone does.
    assert_as_one_run(&sb, &args, "32 credential-process");
}

#[test]
fn eight_roles_at_once_are_each_fetched_exactly_once() {
    // Eight accounts, each its own Okta app, so that every SAML assertion carries one role
    // (moto refuses an assertion with several Role values: shared/test-peers.md).
    let roles: Vec<String> = (1..=8).map(|i| format!("acct{i}")).collect();
    let accounts: Vec<serde_json::Value> = (1..=8)
        .map(|i| {
            json!({"id": format!("1000000000{i:02}"), "label": format!("acct{i}"),
                   "installed": true, "backend": "okta-saml",
                   "app_id": format!("0oa-app-{i}"), "identity_provider": SAML_PROVIDER,
                   "roles": {"Admin": {"policy": {"outcome": "approve", "after_ms": 100}}}})
        })
        .collect();
    let sb = Sandbox::logged_in(with_accounts(json!(accounts)));
    let started = Instant::now();
    // Four processes per role, all at once.
    let children: Vec<(String, Running)> = roles
        .iter()
        .flat_map(|role| std::iter::repeat_n(role.clone(), 4))
        .map(|role| {
            let child = spawn(
                &sb,
                &[
                    "run-as",
                    "--account",
                    &role,
                    "--role",
                    "Admin",
                    "--",
                    "sh",
                    "-c",
                    "echo $AWS_ACCESS_KEY_ID",
                ],
            );
            (role, child)
        })
        .collect();
    let mut keys: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for (role, child) in children {
        let out = child.wait();
        keys.entry(role)
            .or_default()
            .insert(stdout(&out).trim().to_string());
    }
    let elapsed = started.elapsed();
    measured(&format!("8 roles x 4 processes in {elapsed:.2?}"));
    assert!(elapsed < Duration::from_secs(120), "{elapsed:?}");
    for (role, keys) in &keys {
        assert_eq!(keys.len(), 1, "{role}: {keys:?}");
    }
    let distinct: BTreeSet<&String> = keys.values().flatten().collect();
    assert_eq!(distinct.len(), 8, "each role its own credentials");
    let calls = sb.calls();
    assert_eq!(calls["sts.AssumeRoleWithSAML"], 8, "{calls:?}");
    assert_eq!(calls["p0.command"], 8, "{calls:?}");
    let mut requested: Vec<String> = sb
        .commands()
        .into_iter()
        .map(|argv| argv.join(" "))
        .collect();
    requested.sort();
    assert_eq!(requested.len(), 8, "{requested:?}");
    for role in &roles {
        assert_eq!(
            requested
                .iter()
                .filter(|c| c.ends_with(&format!("--account {role}")))
                .count(),
            1,
            "one request for {role}: {requested:?}"
        );
    }
}
