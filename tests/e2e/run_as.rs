//! End-to-end `p0 run-as` with the real `aws` CLI and boto3 as children, against the sandbox
//! (P0, Okta, Firebase, Identity Center) and moto (STS).

use crate::harness::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Output;

/// A sandbox where the user already holds the Identity Center permission set (no P0 needed).
fn assigned_in_identity_center() -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][1]["permission_sets"]["Developer"]["assigned"] = Value::Bool(true);
    Sandbox::start(scenario)
}

/// Signs in to Identity Center once, at a terminal, as a user would; later runs without a
/// terminal reuse the cached token.
fn sign_in_to_identity_center(sb: &Sandbox) {
    let out = sb.p0_in_terminal(&[
        "run-as",
        "--account",
        "dev",
        "--role",
        "Developer",
        "--",
        "true",
    ]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

fn run_as(sb: &Sandbox, account: &str, role: &str, command: &[&str]) -> Ran {
    sb.run([
        "run-as",
        "--account",
        account,
        "--role",
        role,
        "--region",
        "us-east-1",
        "--",
    ])
    .args(command)
    .any_code()
    .any_stdout()
    .any_stderr()
    .run()
}

fn caller_arn(out: &Output) -> String {
    assert_success(out);
    let identity: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout was {:?}", stdout(out)));
    identity["Arn"].as_str().expect("Arn").to_string()
}

fn python_env_dump() -> Vec<String> {
    vec![
        python().display().to_string(),
        "-c".into(),
        "import json, os; print(json.dumps(dict(os.environ)))".into(),
    ]
}

#[test]
fn okta_saml_child_sees_the_assumed_role_through_the_aws_cli() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = run_as(
        &sb,
        PROD,
        "Admin",
        &["aws", "sts", "get-caller-identity", "--output", "json"],
    );
    assert_eq!(
        caller_arn(&out),
        format!("arn:aws:sts::{PROD}:assumed-role/Admin/alice@example.com")
    );
    assert_eq!(sb.count("p0.command"), 1);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(
        sb.commands().last().unwrap(),
        &["request", "aws", "role", "Admin", "--account", PROD]
    );
}

#[test]
fn identity_center_child_sees_the_permission_set_role_through_boto3() {
    let sb = Sandbox::logged_in(default_scenario());
    sign_in_to_identity_center(&sb);
    let py = python().display().to_string();
    let out = run_as(
        &sb,
        "dev",
        "Developer",
        &[
            &py,
            "-c",
            "import boto3, json; print(json.dumps(boto3.client('sts').get_caller_identity()))",
        ],
    );
    let arn = caller_arn(&out);
    assert!(
        arn.starts_with(&format!(
            "arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_Developer_"
        )),
        "{arn}"
    );
    // The terminal run fetched them; this one came from the cache.
    assert_eq!(sb.count("sso.role_credentials"), 1);
}

#[test]
fn the_child_environment_is_set_and_cleaned() {
    let sb = Sandbox::logged_in(default_scenario());
    let dump = python_env_dump();
    let out = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--region",
            "eu-west-1",
            "--",
        ])
        .args(&dump)
        .env("AWS_PROFILE", "stale")
        .env("AWS_DEFAULT_PROFILE", "stale")
        .env("AWS_CREDENTIAL_FILE", "/nonexistent")
        .env("AWS_SDK_LOAD_CONFIG", "1")
        .env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x")
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/x")
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale")
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent")
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent")
        .env("AWS_ROLE_ARN", "arn:aws:iam::1:role/x")
        .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
        .env("AWS_SESSION_TOKEN", "stale")
        .env("AWS_SECURITY_TOKEN", "stale")
        .env("MY_OWN_VARIABLE", "kept as is")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&out);
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    for removed in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CREDENTIAL_FILE",
        "AWS_SDK_LOAD_CONFIG",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ] {
        assert!(env.get(removed).is_none(), "{removed} reached the child");
    }
    let var = |k: &str| {
        env[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} not set"))
            .to_string()
    };
    assert!(var("AWS_ACCESS_KEY_ID") != "AKIASTALE");
    assert!(!var("AWS_SECRET_ACCESS_KEY").is_empty());
    assert!(var("AWS_SESSION_TOKEN") != "stale");
    assert_eq!(var("AWS_SECURITY_TOKEN"), var("AWS_SESSION_TOKEN"));
    assert!(time_like(&var("AWS_CREDENTIAL_EXPIRATION")));
    assert_eq!(var("AWS_REGION"), "eu-west-1");
    assert_eq!(var("AWS_DEFAULT_REGION"), "eu-west-1");
    assert_eq!(var("P0_RUN_AS"), format!("{PROD}/Admin"));
    assert_eq!(var("MY_OWN_VARIABLE"), "kept as is");
    assert_eq!(var("HOME"), sb.home().display().to_string());
    assert!(var("PATH").contains(".venv") || !var("PATH").is_empty());
}

fn time_like(value: &str) -> bool {
    value.len() >= 20 && value.as_bytes()[4] == b'-' && value.contains('T')
}

#[test]
fn no_secret_appears_in_the_child_argv() {
    let sb = Sandbox::logged_in(default_scenario());
    // The child prints its own command line as the kernel records it (Linux: /proc; macOS:
    // ps, which asks the kernel with sysctl(KERN_PROCARGS2)).
    let own_argv = if cfg!(target_os = "linux") {
        "tr '\\0' ' ' < /proc/$$/cmdline; echo; env"
    } else {
        "ps -ww -o command= -p $$; env"
    };
    let out = run_as(&sb, PROD, "Admin", &["sh", "-c", own_argv]);
    assert_success(&out);
    let text = stdout(&out);
    let (cmdline, env) = text.split_once('\n').unwrap();
    let secret = env
        .lines()
        .find_map(|l| l.strip_prefix("AWS_SECRET_ACCESS_KEY="))
        .expect("secret in the environment");
    assert!(!cmdline.contains(secret));
    assert!(!stderr(&out).contains(secret), "secret on stderr");
}

#[test]
fn exit_codes_pass_through() {
    let sb = Sandbox::logged_in(default_scenario());
    for code in [0, 1, 42] {
        let out = run_as(&sb, PROD, "Admin", &["sh", "-c", &format!("exit {code}")]);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    }
    // One P0 request for all of them: the later runs come from the cache.
    assert_eq!(sb.count("p0.command"), 1);
}

#[test]
fn death_by_signal_is_the_childs_own() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = run_as(&sb, PROD, "Admin", &["sh", "-c", "kill -TERM $$"]);
    assert_eq!(
        out.status.signal(),
        Some(libc_sigterm()),
        "{:?} {}",
        out.status,
        stderr(&out)
    );
}

fn libc_sigterm() -> i32 {
    nix::sys::signal::Signal::SIGTERM as i32
}

#[test]
fn command_not_found_is_127_and_not_executable_is_126() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = run_as(&sb, PROD, "Admin", &["no-such-command-p0-test"]);
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert!(err.contains("no-such-command-p0-test"), "{err}");
    assert_eq!(
        err.trim()
            .lines()
            .last()
            .unwrap()
            .matches("no-such-command")
            .count(),
        1
    );

    let script = sb.home().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_as(&sb, PROD, "Admin", &[script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("not-executable.sh"));
}

#[test]
fn child_stdout_is_byte_identical_to_running_it_alone() {
    let sb = Sandbox::logged_in(default_scenario());
    let py = python().display().to_string();
    let program =
        "import sys; sys.stdout.buffer.write(bytes(range(256)) * 300 + b'\\r\\n\\x00end')";
    let alone = std::process::Command::new(&py)
        .args(["-c", program])
        .output()
        .unwrap();
    let under_p0 = run_as(&sb, PROD, "Admin", &[&py, "-c", program]);
    assert_success(&under_p0);
    assert_eq!(under_p0.stdout, alone.stdout);
    // The first run (request, approval) and a cached one alike.
    let cached = run_as(&sb, PROD, "Admin", &[&py, "-c", program]);
    assert_eq!(cached.stdout, alone.stdout);
}

#[test]
fn a_cached_credential_starts_the_child_with_no_network_call() {
    let sb = Sandbox::logged_in(default_scenario());
    let first = run_as(&sb, PROD, "Admin", &["true"]);
    assert_success(&first);
    sb.reset_calls();
    let out = run_as(
        &sb,
        "prod",
        "Admin",
        &["aws", "sts", "get-caller-identity", "--output", "json"],
    );
    assert!(caller_arn(&out).ends_with(":assumed-role/Admin/alice@example.com"));
    let calls = sb.calls();
    let p0_side: u64 = calls
        .iter()
        .filter(|(k, _)| !k.starts_with("sts"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(p0_side, 0, "calls on the cached path: {calls:?}");
    // The child's own get-caller-identity is the only STS call.
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 0);
}

#[test]
fn nested_run_as_works_and_the_inner_one_wins() {
    let sb = Sandbox::logged_in(default_scenario());
    sign_in_to_identity_center(&sb);
    let p0 = env!("CARGO_BIN_EXE_p0");
    let out = run_as(
        &sb,
        PROD,
        "Admin",
        &[
            p0,
            "run-as",
            "--account",
            "dev",
            "--role",
            "Developer",
            "--region",
            "us-east-1",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ],
    );
    let arn = caller_arn(&out);
    assert!(
        arn.contains(&format!("{DEV}:assumed-role/AWSReservedSSO_Developer_")),
        "{arn}"
    );
}

#[test]
fn a_true_cycle_is_refused() {
    let sb = Sandbox::logged_in(default_scenario());
    // A wrapper named like the command it wraps, that calls p0 run-as again: infinite recursion.
    let bin = sb.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("deploy");
    let p0 = env!("CARGO_BIN_EXE_p0");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nexec {p0} run-as --account prod --role Admin -- deploy \"$@\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = sb
        .run::<&str>([])
        .env("PATH", path)
        .args([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--",
            "deploy",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cycle"), "{}", stderr(&out));
}

/// Runs `aws sts get-caller-identity` under direct Identity Center with `instance_args`, at a
/// terminal (the first run signs in), and checks the permission set's role is who it is.
fn assert_direct_caller_is_the_permission_set(sb: &Sandbox, instance_args: &[&str]) {
    let mut args = vec!["run-as"];
    args.extend_from_slice(instance_args);
    args.extend([
        "--account",
        DEV,
        "--role",
        "Developer",
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
    ]);
    let out = sb.p0_in_terminal(&args);
    let text = text(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("AWSReservedSSO_Developer_"), "{text}");
}

#[test]
fn direct_identity_center_with_an_explicit_start_url() {
    let sb = assigned_in_identity_center();
    assert_direct_caller_is_the_permission_set(
        &sb,
        &[
            "--sso-start-url",
            IDC_START_URL,
            "--sso-region",
            "us-west-2",
        ],
    );
    assert_eq!(sb.count("p0.command"), 0, "direct mode never asks P0");
    assert_eq!(sb.count("oidc.device_authorization"), 1);
    // A second run reuses the cached token and credentials: no new device flow.
    let again = sb
        .run([
            "run-as",
            "--sso-start-url",
            IDC_START_URL,
            "--sso-region",
            "us-west-2",
            "--account",
            DEV,
            "--role",
            "Developer",
            "--",
            "true",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&again);
    assert_eq!(sb.count("oidc.device_authorization"), 1);
    // The same instance spelled with a trailing slash shares the cached token.
    let slash = format!("{IDC_START_URL}/");
    let again = sb
        .run([
            "run-as",
            "--sso-start-url",
            &slash,
            "--sso-region",
            "us-west-2",
            "--account",
            DEV,
            "--role",
            "Developer",
            "--refresh-credentials",
            "--",
            "true",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&again);
    assert_eq!(sb.count("oidc.device_authorization"), 1);
}

#[test]
fn direct_identity_center_from_environment_variables() {
    let sb = assigned_in_identity_center();
    // Without a terminal the device authorization cannot happen: fail fast with exit 77.
    let out = sb
        .run::<&str>([])
        .env("AWS_DEFAULT_SSO_START_URL", IDC_START_URL)
        .env("AWS_DEFAULT_SSO_REGION", "us-west-2")
        .args([
            "run-as",
            "--sso",
            "--account",
            DEV,
            "--role",
            "Developer",
            "--",
            "true",
        ])
        .code(77)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stderr(&out).contains("no terminal"), "{}", stderr(&out));
    assert_eq!(sb.count("oidc.token"), 0);
}

#[test]
fn direct_identity_center_from_a_config_file_regex() {
    let sb = assigned_in_identity_center();
    let aws_dir = sb.home().join(".aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    std::fs::write(
        aws_dir.join("config"),
        format!(
            "[profile other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n\n\
             [sso-session main]\nsso_start_url = {IDC_START_URL}\nsso_region = us-west-2\n"
        ),
    )
    .unwrap();
    assert_direct_caller_is_the_permission_set(&sb, &["--sso-start-url", "d-12345"]);

    // A regex that matches both instances is refused with the list.
    let out = sb
        .run([
            "run-as",
            "--sso-start-url",
            "awsapps",
            "--account",
            DEV,
            "--role",
            "Developer",
            "--",
            "true",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("other.awsapps.com") && err.contains("d-1234567890"),
        "{err}"
    );
}

#[test]
fn without_a_session_and_without_a_terminal_it_fails_fast() {
    let sb = Sandbox::start(default_scenario());
    let started = std::time::Instant::now();
    let out = run_as(&sb, PROD, "Admin", &["true"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("p0 login"), "{}", stderr(&out));
}

#[test]
fn a_denied_request_exits_2_without_running_the_command() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = serde_json::json!({"outcome": "deny"});
    let sb = Sandbox::logged_in(scenario);
    let marker = sb.home().join("ran");
    let out = run_as(&sb, PROD, "Admin", &["touch", marker.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("Your request was denied"));
    assert!(!marker.exists());
}

#[test]
fn the_double_dash_is_optional() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--region",
            "us-east-1",
        ])
        .args(["aws", "sts", "get-caller-identity", "--output", "json"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert!(caller_arn(&out).ends_with(":assumed-role/Admin/alice@example.com"));
}

#[test]
fn defaults_come_from_the_environment() {
    let sb = Sandbox::logged_in(default_scenario());
    let dump = python_env_dump();
    let out = sb
        .run::<&str>([])
        .env("P0_AWS_ACCOUNT", "prod")
        .env("P0_AWS_ROLE", "Admin")
        .env("P0_AWS_REASON", "from the environment")
        .arg("run-as")
        .args(&dump)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&out);
    assert_eq!(
        sb.commands().last().unwrap(),
        &[
            "request",
            "aws",
            "role",
            "Admin",
            "--reason",
            "from the environment",
            "--account",
            "prod"
        ]
    );
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["P0_RUN_AS"], format!("{PROD}/Admin"));
}

#[test]
fn an_ignored_sigint_stays_ignored_for_the_child() {
    let sb = Sandbox::logged_in(default_scenario());
    let py = python().display().to_string();
    let p0 = env!("CARGO_BIN_EXE_p0");
    // As `nohup`-like launchers and background jobs leave it: SIGINT ignored before p0 starts.
    let script = format!(
        "trap '' INT; exec {p0} run-as --account prod --role Admin -- {py} -c \
         'import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)'"
    );
    let out = sb.command("sh").args(["-c", &script]).output().unwrap();
    assert_success(&out);
    assert_eq!(stdout(&out).trim(), "True");
}
