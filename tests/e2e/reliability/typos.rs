//! Defect 11: a mistyped option must not become the command, and a command that cannot run must
//! fail before anything is requested.

use crate::harness::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_mistyped_option_is_a_usage_error_with_a_suggestion_and_files_nothing() {
    let sb = Sandbox::logged_in(default_scenario());
    let stderr = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--regoin",
            "us-east-1",
            "aws",
            "sts",
            "get-caller-identity",
        ])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        stderr.contains("unexpected argument '--regoin'")
            && stderr.contains("tip: a similar argument exists: '--region'"),
        "{stderr}"
    );
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

#[test]
fn a_missing_or_unrunnable_command_fails_before_any_request() {
    let sb = Sandbox::logged_in(default_scenario());
    let stderr = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--",
            "no-such-command-p0",
        ])
        .code(127)
        .any_stderr()
        .run_stderr();
    assert!(
        stderr.contains("no-such-command-p0: command not found"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let plain = plain.display().to_string();
    sb.run([
        "run-as",
        "--account",
        "prod",
        "--role",
        "Admin",
        "--",
        &plain,
    ])
    .code(126)
    .any_stderr()
    .run_stderr();
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

/// Options after the command are the command's, and `--` still allows a command whose name
/// starts with a dash.
#[test]
fn words_after_the_command_and_after_a_double_dash_are_the_commands() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "sh",
            "-c",
            r#"printf '%s\n' "$@""#,
            "x",
            "--recursive",
            "--region",
            "eu-west-1",
            "--",
            "-y",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(stdout(&out), "--recursive\n--region\neu-west-1\n--\n-y\n");
    let dir = tempfile::tempdir().unwrap();
    let weird = dir.path().join("-weird-command");
    std::fs::write(&weird, "#!/bin/sh\necho \"weird $1\"\n").unwrap();
    std::fs::set_permissions(&weird, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let out = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--",
            "-weird-command",
            "-v",
        ])
        .env("PATH", path)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&out);
    assert_eq!(stdout(&out), "weird -v\n");
}
