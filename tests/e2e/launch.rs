//! `p0 run-as` as a parent process, one quick smoke test per way of running the child; the
//! real-time ones (credentials renewed across lifetimes) are in `_slow`.
//!
//! The exit-code, signal and restart semantics of `exec` and `supervise` are tested once, with
//! real `sh` children and real signals but no P0, in `src/launch/process_tests.rs`.

use crate::harness::*;

/// A logged-in sandbox whose STS credentials last `lifetime_secs`.
pub(crate) fn sandbox(lifetime_secs: u64) -> Sandbox {
    let mut scenario = default_scenario();
    scenario["credential_lifetime_secs"] = lifetime_secs.into();
    Sandbox::logged_in(scenario)
}

#[test]
fn without_supervision_p0_becomes_the_command() {
    let sandbox = sandbox(3600);
    let run = RunAs::start(&sandbox, &[], "echo $$ > \"$OUT/pid\"; exit 3");
    let p0_pid = run.pid();
    let (code, run) = run.exit_code();
    assert_eq!(code, 3, "{}", run.read("stderr"));
    assert_eq!(run.read("pid").trim(), p0_pid.to_string());
}

#[test]
fn refresh_works_for_the_aws_cli() {
    let sandbox = sandbox(3600);
    let script = format!(
        "AWS_DEFAULT_REGION=us-east-1 {} sts get-caller-identity --query Arn --output text",
        aws_cli_path().display()
    );
    let (code, run) = RunAs::to_end(&sandbox, &["--refresh"], &script);
    assert_eq!(code, 0, "{}", run.read("stderr"));
    assert!(
        run.read("stdout")
            .starts_with(&format!("arn:aws:sts::{PROD}:assumed-role/Admin/")),
        "{}",
        run.read("stdout")
    );
}

#[test]
fn restart_starts_the_child_with_static_keys_and_passes_its_exit_code() {
    let sandbox = sandbox(3600);
    let script = r#"[ -n "$AWS_ACCESS_KEY_ID" ] && [ -n "$AWS_SESSION_TOKEN" ] \
&& [ -z "${AWS_CONTAINER_CREDENTIALS_FULL_URI+x}" ] && echo $$ > "$OUT/pid"
exit 5"#;
    let run = RunAs::start(&sandbox, &["--restart"], script);
    let p0_pid = run.pid();
    let (code, run) = run.exit_code();
    assert_eq!(code, 5, "{}", run.read("stderr"));
    let child_pid = run.read("pid");
    assert!(!child_pid.is_empty(), "the child lacked static keys");
    assert_ne!(
        child_pid.trim(),
        p0_pid.to_string(),
        "p0 stays as supervisor"
    );
}
