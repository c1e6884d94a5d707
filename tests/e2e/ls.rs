//! `p0 ls` (text and `--json`), and the rule that stdout carries only command output.

use crate::harness::*;
use serde_json::{json, Value};

/// Default scenario plus a few more roles in `prod`, logged in.
fn sandbox() -> Sandbox {
    let mut scenario = default_scenario();
    let roles = &mut scenario["accounts"][0]["roles"];
    for name in ["Auditor", "Billing", "Deployer"] {
        roles[name] = json!({"policy": {"outcome": "approve"}});
    }
    Sandbox::logged_in(scenario)
}

#[test]
fn roles_are_listed_on_stdout_one_per_line() {
    let sb = sandbox();
    let out = sb
        .run(["ls", "aws", "role"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Showing"), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for role in ["Admin", "Auditor", "Billing", "Deployer"] {
        assert!(stdout.contains(role), "{role} in {stdout}");
    }
    // §9: twice the shown size is asked for.
    assert_eq!(
        sb.commands(),
        vec![vec!["ls", "aws", "role", "--size", "30"]]
    );
}

#[test]
fn json_output_is_the_listing() {
    let sb = sandbox();
    let out = sb
        .run(["ls", "aws", "role", "--json"])
        .any_stdout()
        .any_stderr()
        .run();
    let listing: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let keys: Vec<&str> = listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(keys.contains(&"Admin"));
    assert_eq!(listing["isTruncated"], false);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn size_limits_what_is_shown() {
    let sb = sandbox();
    let out = sb
        .run(["ls", "aws", "role", "--size", "2", "--json"])
        .any_stdout()
        .any_stderr()
        .run();
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["items"].as_array().unwrap().len(), 2);
    assert_eq!(listing["isTruncated"], true);
    assert_eq!(
        sb.commands(),
        vec![vec!["ls", "aws", "role", "--size", "4"]]
    );

    let out = sb
        .run(["ls", "--size=1", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(text(&out.stdout).lines().count(), 1);
    assert!(text(&out.stderr).contains("the first 1"));
}

#[test]
fn listing_is_retried_through_a_429_storm() {
    let sb = sandbox();
    sb.control_post(
        "/faults",
        json!({"endpoint": "p0.command", "status": 429, "times": 3}),
    );
    let out = sb
        .run(["ls", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("p0.command"), 4);
    assert_eq!(text(&out.stdout).lines().count(), 4);
}

#[test]
fn nothing_but_command_output_reaches_stdout() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "approve", "after_ms": 300});
    scenario["okta"]["device"]["pending_polls"] = json!(1);
    let sb = Sandbox::start(scenario);

    // Login: link, code, progress and result all on stderr.
    let out = sb.run(["login", "acme"]).any_stdout().any_stderr().run();
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("Waiting for authorization..."));

    // Requests, with and without waiting, and their failures.
    for args in [
        &[
            "request",
            "--wait",
            "aws",
            "role",
            "Admin",
            "--account",
            "prod",
        ][..],
        &["request", "aws", "role", "Admin", "--account", "prod"][..],
        &["request", "aws", "role", "Nope", "--account", "prod"][..],
    ] {
        let out = sb.run(args).any_code().any_stdout().any_stderr().run();
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }

    // ls: exactly the items on stdout, every decoration on stderr.
    let out = sb
        .run(["ls", "aws", "role"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .all(|line| line.contains("Admin") || line.contains("ReadOnly")),
        "{stdout}"
    );
    assert!(!stdout.contains("Showing"));

    // Logout too.
    let out = sb
        .run(["logout"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(text(&out.stdout), "");
}
