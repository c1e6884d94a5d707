//! Helpers shared by the `p0 aws` end-to-end tests (tests/aws_*.rs).
#![allow(dead_code)] // Each test file uses a different subset.

use crate::common::Sandbox;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;

pub const PROD: &str = "123456789012";
pub const DEV: &str = "210987654321";

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `p0 ARGS` without a terminal.
pub fn p0(sb: &Sandbox, args: &[&str]) -> Output {
    sb.p0().args(args).output().expect("p0 runs")
}

/// Runs `p0 ARGS` and asserts it succeeded.
pub fn p0_ok(sb: &Sandbox, args: &[&str]) -> Output {
    let output = p0(sb, args);
    assert!(
        output.status.success(),
        "p0 {args:?} failed ({:?}):\n{}",
        output.status,
        stderr(&output)
    );
    output
}

/// Runs `p0 ARGS`, asserts it failed with `code`, and returns its stderr.
pub fn p0_fails(sb: &Sandbox, args: &[&str], code: i32) -> String {
    let output = p0(sb, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "p0 {args:?}: stdout {:?} stderr {:?}",
        stdout(&output),
        stderr(&output)
    );
    assert!(output.stdout.is_empty(), "nothing on stdout on failure");
    stderr(&output)
}

/// The variables of POSIX export lines, parsed as a shell would.
pub fn exports(output: &Output) -> BTreeMap<String, String> {
    stdout(output)
        .lines()
        .map(|line| {
            let words = shell_words::split(line).expect("valid shell words");
            assert_eq!(words.len(), 2, "{line}");
            assert_eq!(words[0], "export", "{line}");
            let (key, value) = words[1].split_once('=').expect("KEY=value");
            (key.to_string(), value.to_string())
        })
        .collect()
}

/// A shell running `script` with p0's test environment, p0 first on PATH, no terminal.
pub fn sh(sb: &Sandbox, script: &str) -> Output {
    let p0_dir = crate::common::p0_binary()
        .parent()
        .expect("p0 lives in a directory")
        .to_path_buf();
    let path = sb
        .env_vars()
        .into_iter()
        .find(|(key, _)| key == "PATH")
        .map(|(_, value)| value)
        .unwrap_or_default();
    let mut dirs = vec![p0_dir];
    dirs.extend(std::env::split_paths(&path));
    sb.command("sh")
        .arg("-c")
        .arg(script)
        .env("PATH", std::env::join_paths(dirs).unwrap())
        // The aws CLI v1 reads only AWS_DEFAULT_REGION.
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("sh runs")
}

/// The total of every call the sandbox counted.
pub fn total_calls(sb: &Sandbox) -> u64 {
    sb.calls()
        .iter()
        // `sts` also counts every `sts.<Action>`: count each call once.
        .filter(|(name, _)| !name.starts_with("sts."))
        .map(|(_, n)| n)
        .sum()
}

/// The cache directory of the sandbox's HOME.
pub fn cache_dir(sb: &Sandbox) -> PathBuf {
    sb.home().join(".p0/cache")
}

/// An Okta SAML account with the given roles (each `{"name": policy}` object as the scenario
/// wants them).
pub fn okta_account(id: &str, label: &str, roles: Value) -> Value {
    json!({"id": id, "label": label, "installed": true, "backend": "okta-saml",
           "app_id": "0oa-aws-prod", "identity_provider": "OktaP0", "roles": roles})
}

pub fn idc_account(id: &str, label: &str, permission_sets: Value) -> Value {
    json!({"id": id, "label": label, "installed": true, "backend": "idc",
           "idc_region": "us-west-2", "identity_store_id": "d-1234567890",
           "permission_sets": permission_sets})
}

/// A scenario with `accounts` and the default's other settings.
pub fn scenario(accounts: Value) -> Value {
    let mut scenario = crate::common::default_scenario();
    scenario["accounts"] = accounts;
    scenario
}

/// Starts the sandbox with `scenario` and logs in.
pub fn logged_in(scenario: Value) -> Sandbox {
    let sb = Sandbox::start(scenario);
    sb.login();
    sb.reset_calls();
    sb
}
