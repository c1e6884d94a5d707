//! `p0 run-as` with no command: `$SHELL` with the credentials, `exit` returning its code.

use crate::harness::*;

/// `p0 run-as --account prod --role Admin [extra]` with no command, under a pseudo-terminal,
/// `SHELL=/bin/sh`, and `typed` typed at the terminal (the shell reads it once started).
fn subshell_in_terminal(sb: &Sandbox, extra: &[&str], typed: &str) -> std::process::Output {
    let p0 = p0_binary().display().to_string();
    let mut args = vec![
        "SHELL=/bin/sh",
        "AWS_DEFAULT_REGION=us-east-1",
        p0.as_str(),
        "run-as",
        "--account",
        PROD_LABEL,
        "--role",
        ADMIN,
    ];
    args.extend(extra);
    sb.in_terminal("env", &args, typed)
}

#[test]
fn a_subshell_at_a_terminal_has_the_credentials_and_exits_with_the_shells_code() {
    let sb = Sandbox::logged_in(default_scenario());
    // The echo of what is typed shows `$P0_RUN_AS` unexpanded: only the shell's output has
    // the values.
    let typed = format!(
        "{} sts get-caller-identity --query Arn --output text; \
         echo \"marker=$P0_RUN_AS key=${{AWS_ACCESS_KEY_ID:+set}}\"; exit 7\n",
        aws_cli_path().display()
    );
    let out = subshell_in_terminal(&sb, &[], &typed);
    let transcript = text(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{transcript}");
    assert!(
        transcript.contains("p0: starting /bin/sh with prod/Admin; exit to return"),
        "{transcript}"
    );
    assert!(
        transcript.contains(&format!(
            "arn:aws:sts::{PROD}:assumed-role/Admin/{USER_EMAIL}"
        )),
        "{transcript}"
    );
    assert!(
        transcript.contains(&format!("marker={PROD}/Admin key=set")),
        "{transcript}"
    );
    assert_eq!(sb.count("p0.command"), 1, "one request, as for any command");
}

#[test]
fn a_refresh_subshell_gives_its_tools_the_endpoint() {
    let sb = Sandbox::logged_in(default_scenario());
    let typed = format!(
        "{} sts get-caller-identity --query Arn --output text; \
         echo \"uri=${{AWS_CONTAINER_CREDENTIALS_FULL_URI:+set}} key=${{AWS_ACCESS_KEY_ID:-none}}\"; \
         exit 3\n",
        aws_cli_path().display()
    );
    let out = subshell_in_terminal(&sb, &["--refresh"], &typed);
    let transcript = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{transcript}");
    assert!(
        transcript.contains(&format!("arn:aws:sts::{PROD}:assumed-role/Admin/")),
        "{transcript}"
    );
    assert!(transcript.contains("uri=set key=none"), "{transcript}");
}

#[test]
fn a_subshell_reads_commands_from_a_pipe_without_the_hint() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb.sh("echo 'echo \"marker=$P0_RUN_AS\"; exit 4' \
         | SHELL=/bin/sh p0 run-as --account prod --role Admin");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("marker={PROD}/Admin\n"));
    assert!(!stderr(&out).contains("starting"), "{}", stderr(&out));
}

#[test]
fn a_nested_subshell_extends_the_marker_chain() {
    let sb = Sandbox::logged_in(default_scenario());
    let out = sb.sh("echo 'echo \"marker=$P0_RUN_AS\"' \
         | P0_RUN_AS=111111111111/Outer SHELL=/bin/sh p0 run-as --account prod --role Admin");
    assert_success(&out);
    assert_eq!(
        stdout(&out),
        format!("marker=111111111111/Outer>{PROD}/Admin\n")
    );
}

#[test]
fn restart_is_refused_for_a_subshell_before_anything_is_requested() {
    let sb = Sandbox::logged_in(default_scenario());
    let message = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--restart",
        ])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(message.contains("--refresh"), "{message}");
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}
