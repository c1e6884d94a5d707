//! `p0 aws credential-process`: what AWS SDKs run from a `credential_process` profile. Its
//! stdout is the JSON and nothing else in every case; prompts go to the terminal; parallel SDK
//! processes share one fetch; credentials an SDK would refresh at once are renewed first.

use crate::harness::*;
use serde::Deserialize;
use std::process::Stdio;

/// The process credential provider's JSON, read strictly: these fields, no others, in this
/// order, and not one byte before or after.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ProcessCredentials {
    version: u8,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

fn strict_json(stdout: &[u8]) -> ProcessCredentials {
    let parsed: ProcessCredentials = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout was {:?}", text(stdout)));
    assert_eq!(
        serde_json::to_vec(&parsed).unwrap(),
        stdout,
        "stdout is exactly the JSON"
    );
    assert_eq!(parsed.version, 1);
    assert!(parsed.access_key_id.starts_with("ASIA"), "{parsed:?}");
    time::OffsetDateTime::parse(
        &parsed.expiration,
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339 expiration");
    parsed
}

/// Minutes left before an expiration.
fn minutes_left(expiration: &str) -> i64 {
    let at =
        time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
            .unwrap();
    (at - time::OffsetDateTime::now_utc()).whole_minutes()
}

fn process(sb: &Sandbox, args: &[&str]) -> Ran {
    sb.run(args).any_code().any_stdout().any_stderr().run()
}

#[test]
fn stdout_is_exactly_the_json_cold_and_warm_and_stderr_stays_empty() {
    let sb = Sandbox::logged_in(default_scenario());
    let cold = process(&sb, &PROCESS_ADMIN);
    assert_success(&cold);
    let first = strict_json(&cold.stdout);
    // Status lines ("Checking for access in P0", ...) went to a terminal there is none of.
    assert!(cold.stderr.is_empty(), "{}", stderr(&cold));
    // The first ask files the request the role needs, once.
    assert_eq!(sb.count("p0.command"), 1);

    sb.reset_calls();
    let warm = process(&sb, &PROCESS_ADMIN);
    assert_success(&warm);
    assert_eq!(strict_json(&warm.stdout).access_key_id, first.access_key_id);
    assert!(warm.stderr.is_empty(), "{}", stderr(&warm));
    assert_eq!(sb.total_calls(), 0, "a warm answer: {:?}", sb.calls());
}

#[test]
fn failures_print_one_line_on_stderr_and_nothing_on_stdout() {
    // Nobody logged in.
    let sb = Sandbox::start(default_scenario());
    let out = process(&sb, &PROCESS_ADMIN);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("p0 login"), "{}", stderr(&out));

    // A denied request.
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = serde_json::json!({"outcome": "deny"});
    let sb = Sandbox::logged_in(scenario);
    let out = process(&sb, &PROCESS_ADMIN);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim_end(),
        "Your request was denied",
        "only the final error line"
    );
}

#[test]
fn a_needed_sign_in_without_a_terminal_fails_at_once_with_77() {
    let sb = Sandbox::logged_in(default_scenario());
    let started = std::time::Instant::now();
    // Identity Center needs its own sign-in (a device authorization) first.
    let out = process(
        &sb,
        &[
            "aws",
            "credential-process",
            "--account",
            "dev",
            "--role",
            "Developer",
        ],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no terminal"), "{}", stderr(&out));
    assert_eq!(sb.count("oidc.device_authorization"), 0);
    assert_eq!(sb.count("p0.command"), 0, "no request it could not use");
}

#[test]
fn at_a_terminal_the_device_prompt_goes_to_the_tty_and_not_to_the_sdk() {
    let sb = Sandbox::logged_in(default_scenario());
    let out_dir = tempfile::tempdir().unwrap();
    let (out, err) = (out_dir.path().join("out"), out_dir.path().join("err"));
    // As an SDK runs it: stdout and stderr captured, the terminal still the controlling one.
    let script = format!(
        "{} aws credential-process --account dev --role Developer >{} 2>{}",
        p0_binary().display(),
        out.display(),
        err.display()
    );
    let run = sb.in_terminal("sh", &["-c", &script], "");
    let transcript = text(&run.stdout);
    assert!(run.status.success(), "{transcript}");
    assert!(
        transcript.contains("To sign in with AWS, visit:"),
        "the prompt is on the terminal: {transcript:?}"
    );
    assert!(
        transcript.contains("Your request was approved"),
        "{transcript:?}"
    );
    assert!(
        !transcript.contains("AccessKeyId"),
        "no credentials on the terminal"
    );
    strict_json(&std::fs::read(&out).unwrap());
    let captured = std::fs::read_to_string(&err).unwrap();
    assert!(captured.is_empty(), "nothing on stderr: {captured:?}");
    assert_eq!(sb.count("oidc.device_authorization"), 1);
}

#[test]
fn parallel_processes_at_a_terminal_open_one_device_flow() {
    let sb = Sandbox::logged_in(default_scenario());
    let dir = tempfile::tempdir().unwrap();
    // Four SDK processes asking at once, each with its output captured.
    let script = format!(
        "for i in 1 2 3 4; do {p0} aws credential-process --account dev --role Developer \
         >{dir}/out$i 2>{dir}/err$i & done; wait",
        p0 = p0_binary().display(),
        dir = dir.path().display()
    );
    let run = sb.in_terminal("sh", &["-c", &script], "");
    let transcript = text(&run.stdout);
    assert!(run.status.success(), "{transcript}");
    assert_eq!(
        transcript.matches("To sign in with AWS, visit:").count(),
        1,
        "{transcript}"
    );
    let keys: std::collections::BTreeSet<String> = (1..=4)
        .map(|i| {
            let err = std::fs::read_to_string(dir.path().join(format!("err{i}"))).unwrap();
            assert!(err.is_empty(), "{err}");
            strict_json(&std::fs::read(dir.path().join(format!("out{i}"))).unwrap()).access_key_id
        })
        .collect();
    assert_eq!(keys.len(), 1, "one fetch, shared");
    assert_eq!(sb.count("oidc.device_authorization"), 1);
    assert_eq!(
        sb.count("sso.role_credentials"),
        2,
        "not granted, then granted"
    );
    assert_eq!(sb.count("p0.command"), 1);
}

#[test]
fn sixteen_parallel_aws_calls_through_a_profile_make_one_sts_call() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run([
        "aws",
        "configure",
        "profile",
        "prod-admin",
        "--account",
        "prod",
        "--role",
        "Admin",
        "--region",
        "us-east-1",
    ])
    .any_stdout()
    .any_stderr()
    .run();
    sb.reset_calls();
    let children: Vec<_> = (0..16)
        .map(|_| {
            sb.aws_cli()
                .args([
                    "sts",
                    "get-caller-identity",
                    "--profile",
                    "prod-admin",
                    "--query",
                    "Arn",
                    "--output",
                    "text",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_success(&out);
        assert_eq!(
            stdout(&out).trim(),
            format!("arn:aws:sts::{PROD}:assumed-role/Admin/{USER_EMAIL}")
        );
    }
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1, "{:?}", sb.calls());
    assert!(sb.count("p0.command") <= 1, "{:?}", sb.commands());
    assert_eq!(sb.count("sts.GetCallerIdentity"), 16);
}

#[test]
fn credentials_an_sdk_would_refresh_at_once_are_renewed_first_without_a_new_request() {
    // Ten-minute credentials: inside botocore's 15-minute refresh window from the start.
    let mut scenario = default_scenario();
    scenario["credential_lifetime_secs"] = 600.into();
    let sb = Sandbox::logged_in(scenario);
    let exported = exports(
        &sb.run(["aws", "--account", "prod", "role", "assume", "Admin"])
            .any_stdout()
            .any_stderr()
            .run(),
    );
    sb.reset_calls();
    let out = process(&sb, &PROCESS_ADMIN);
    assert_success(&out);
    let handed = strict_json(&out.stdout);
    assert_ne!(
        handed.access_key_id, exported["AWS_ACCESS_KEY_ID"],
        "the cached ten-minute credentials were not handed to the SDK"
    );
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(
        sb.count("p0.command"),
        0,
        "the grant holds: no new request {:?}",
        sb.commands()
    );

    // Credentials with more than the window left come straight from the cache.
    let mut scenario = default_scenario();
    scenario["credential_lifetime_secs"] = 1800.into();
    let sb = Sandbox::logged_in(scenario);
    let exported = exports(
        &sb.run(["aws", "--account", "prod", "role", "assume", "Admin"])
            .any_stdout()
            .any_stderr()
            .run(),
    );
    sb.reset_calls();
    let handed = strict_json(&process(&sb, &PROCESS_ADMIN).stdout);
    assert_eq!(handed.access_key_id, exported["AWS_ACCESS_KEY_ID"]);
    assert!(minutes_left(&handed.expiration) > 16);
    assert_eq!(sb.total_calls(), 0);
}

#[test]
fn a_chained_process_whose_cache_expired_uses_the_grant_and_files_no_request() {
    const CROSS: &str = "arn:aws:iam::210987654321:role/team/CrossAccount";
    let chained = [&PROCESS_ADMIN[..], &["--chain-role-arn", CROSS]].concat();
    let sb = Sandbox::logged_in(default_scenario());
    let first = strict_json(&process(&sb, &chained).stdout);
    assert_eq!(sb.count("p0.command"), 1, "the first ask files the request");
    assert_eq!(sb.count("sts.AssumeRole"), 1);

    // Every cached entry, the chained role's (an hour) and its source's, now has less left
    // than the minimum asked for: to p0 they have expired, as they would an hour later.
    sb.reset_calls();
    let out = sb
        .run(&chained)
        .env("P0_MIN_CREDENTIAL_LIFETIME", "7200")
        .any_stdout()
        .any_stderr()
        .run();
    let renewed = strict_json(&out.stdout);
    assert_ne!(renewed.access_key_id, first.access_key_id, "renewed");
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("sts.AssumeRole"), 1, "{:?}", sb.calls());
    assert_eq!(
        sb.count("p0.command"),
        0,
        "the grant holds: no new request {:?}",
        sb.commands()
    );
}
