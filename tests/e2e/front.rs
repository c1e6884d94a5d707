//! The release's `p0`: the warm-path front end (`p0-warm`, installed as `bin/p0` with the whole
//! program as `libexec/p0/p0`; src/front.rs). A warm `run-as` or `credential-process` is
//! answered by the front end alone; everything else is handed to the whole program, and the
//! user sees exactly what the whole program says.

use crate::harness::*;
use std::path::{Path, PathBuf};

/// Copies a program with `cp`, so that no descriptor open for writing on the copy exists in
/// this process, where another test's fork could inherit it and make the copy "busy" to exec.
fn copy_program(from: &Path, to: &Path) {
    let copied = std::process::Command::new("cp")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(copied.success(), "cp {} {}", from.display(), to.display());
}

/// The release layout in a temp dir: `bin/p0` a copy of the front end, `libexec/p0/p0` the
/// whole program (a symlink to the build's).
fn release_layout() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    std::fs::create_dir_all(dir.path().join("libexec/p0")).unwrap();
    let front = dir.path().join("bin/p0");
    copy_program(&front_binary(), &front);
    std::os::unix::fs::symlink(p0_binary(), dir.path().join("libexec/p0/p0")).unwrap();
    (dir, front)
}

/// The front end alone, as `p0`, with no whole program to hand anything to: whatever it
/// answers, it answered itself.
fn lone_front() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let front = dir.path().join("p0");
    copy_program(&front_binary(), &front);
    (dir, front)
}

/// `run-as --account prod --role Admin -- sh -c SCRIPT`
fn run_admin_sh(script: &str) -> Vec<&str> {
    let mut argv = RUN_ADMIN[..RUN_ADMIN.len() - 1].to_vec();
    argv.extend(["sh", "-c", script]);
    argv
}

/// The same words through the whole program and through `front`: the same exit code, stdout
/// and stderr.
fn same_answer(sb: &Sandbox, front: &Path, args: &[&str]) -> Ran {
    let whole = sb.run(args).any_code().any_stdout().any_stderr().run();
    let fronted = sb
        .run_program(front, args)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(
        (fronted.status.code(), stdout(&fronted), stderr(&fronted)),
        (whole.status.code(), stdout(&whole), stderr(&whole)),
        "{args:?}"
    );
    fronted
}

#[test]
fn warm_runs_are_answered_by_the_front_end_alone() {
    let sb = Sandbox::logged_in(default_scenario());
    // Cold, through the whole program: the request, the sign-in, the cache.
    sb.run(RUN_ADMIN).any_stderr().run();
    sb.run(PROCESS_ADMIN).any_stdout().run();
    sb.reset_calls();
    let (_dir, front) = lone_front();

    let key = |program: &Path| {
        sb.run_program(program, run_admin_sh("printf %s \"$AWS_ACCESS_KEY_ID\""))
            .any_stdout()
            .run_stdout()
    };
    let fronted = key(&front);
    assert!(fronted.starts_with("ASIA"), "{fronted}");
    assert_eq!(fronted, key(&p0_binary()), "the same cached credentials");
    // The command's exit code is the run's.
    sb.run_program(&front, run_admin_sh("exit 7")).code(7).run();
    // credential_process: the same JSON, byte for byte.
    let json = sb
        .run_program(&front, PROCESS_ADMIN)
        .any_stdout()
        .run_stdout();
    assert_eq!(json, sb.run(PROCESS_ADMIN).any_stdout().run_stdout());
    assert!(json.contains("\"AccessKeyId\":\"ASIA"), "{json}");
    // Warm means no call to anyone.
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

#[test]
fn what_the_front_end_cannot_answer_the_whole_program_does_alike() {
    let sb = Sandbox::logged_in(default_scenario());
    let (_dir, front) = release_layout();
    // Cold: handed over, and the whole program files the request and runs the command.
    let cold = sb
        .run_program(&front, run_admin_sh("printf %s \"$AWS_ACCESS_KEY_ID\""))
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stdout(&cold).starts_with("ASIA"), "{}", stdout(&cold));
    assert_eq!(sb.count("p0.command"), 1);
    // Everything else, word for word what the whole program says.
    for args in [
        &["--version"][..],
        &["--help"],
        &["run-as", "--help"],
        &["run-as", "--bogus", "--", "true"],
        &["aws", "credential-process"],
        &["status"],
        &[
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--",
            "no-such-command-p0",
        ],
        &[
            "run-as",
            "--account",
            "nowhere",
            "--role",
            "Admin",
            "--",
            "true",
        ],
    ] {
        same_answer(&sb, &front, args);
    }
    // And warm, the front end's own answer is the whole program's too.
    let warm = same_answer(&sb, &front, &run_admin_sh("exit 3"));
    assert_eq!(warm.status.code(), Some(3));
}

#[test]
fn alone_the_front_end_says_what_is_missing_and_asks_nobody() {
    let sb = Sandbox::logged_in(default_scenario());
    let (_dir, front) = lone_front();
    let stderr = sb
        .run_program(&front, RUN_ADMIN)
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(stderr.contains("libexec/p0/p0"), "{stderr}");
    assert!(stderr.contains("Reinstall p0"), "{stderr}");
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

#[test]
fn profiles_configured_through_the_front_end_name_it_and_the_aws_cli_runs_it() {
    let sb = Sandbox::logged_in(default_scenario());
    let (_dir, front) = release_layout();
    sb.run_program(
        &front,
        [
            "aws",
            "configure",
            "profile",
            "prod-admin",
            "--account",
            "prod",
            "--role",
            "Admin",
        ],
    )
    .any_stderr()
    .run();
    let config = std::fs::read_to_string(sb.home().join(".aws/config")).unwrap();
    let line = format!(
        "credential_process = {} aws credential-process --account prod --role Admin",
        front.display()
    );
    assert!(config.lines().any(|l| l == line), "{config}");
    // The real aws CLI runs it: cold (handed to the whole program), then warm (the front
    // end's own answer).
    for _ in 0..2 {
        let out = sb
            .aws_cli()
            .args(["sts", "get-caller-identity", "--profile", "prod-admin"])
            .args(["--query", "Arn", "--output", "text"])
            .output()
            .unwrap();
        assert_success(&out);
        assert_eq!(stdout(&out).trim(), crate::aws_profiles::admin_arn());
    }
}

#[test]
fn every_backend_s_warm_entry_is_found_by_the_front_end_alone() {
    let mut scenario = default_scenario();
    scenario["accounts"][1]["permission_sets"]["Developer"]["assigned"] = true.into();
    let sb = Sandbox::logged_in(scenario);
    let show = ["--", "sh", "-c", "echo $P0_RUN_AS"];
    let chained = [
        &[
            "run-as",
            "--account",
            "prod",
            "--role",
            ADMIN,
            "--chain-role-arn",
        ][..],
        &[crate::chain::CROSS],
        &show,
    ]
    .concat();
    let identity_center = [
        &["run-as", "--account", "dev", "--role", "Developer"][..],
        &show,
    ]
    .concat();
    // Cold, through the whole program (Identity Center's sign-in needs a terminal).
    sb.run(&chained).any_stdout().any_stderr().run();
    let signed_in = sb.p0_in_terminal(&identity_center);
    assert!(signed_in.status.success(), "{}", text(&signed_in.stdout));
    sb.reset_calls();
    let (_dir, front) = lone_front();
    let answer = |args: &[&str]| sb.run_program(&front, args).any_stdout().run_stdout();
    assert_eq!(answer(&chained).trim(), "210987654321/team/CrossAccount");
    assert_eq!(answer(&identity_center).trim(), format!("{DEV}/Developer"));
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

#[test]
fn web_identity_from_the_environment_is_left_to_the_whole_program() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(RUN_ADMIN).any_stderr().run();
    let token = sb.home().join("oidc-token");
    std::fs::write(&token, "eyJ.env.token\n").unwrap();
    let (_dir, front) = lone_front();
    // The standard variables make `run-as` without --account/--role a web identity run, which
    // the front end hands over (to nothing here: 78) before it looks at P0's files.
    let stderr = sb
        .run_program(&front, ["run-as", "--", "true"])
        .env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci/Deployer")
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token)
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(stderr.contains("libexec/p0/p0"), "{stderr}");
}

#[test]
fn a_warm_eks_token_from_the_front_end_alone_is_the_aws_cli_s() {
    use crate::eks::{aws_cli_at_the_same_second, CLUSTER, THROUGH_P0};
    let sb = Sandbox::logged_in(default_scenario());
    let args = [
        &["aws", "eks", "get-token", "--cluster-name", CLUSTER][..],
        &THROUGH_P0,
        &["--region", "eu-west-1"],
    ]
    .concat();
    sb.run(&args).any_stdout().any_stderr().run();
    sb.reset_calls();
    let (_dir, front) = lone_front();
    let ours = sb.run_program(&front, &args).any_stdout().run();
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
    let theirs = aws_cli_at_the_same_second(&sb, &THROUGH_P0, &ours.stdout, None);
    assert_success(&theirs);
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
}

#[test]
fn a_state_warning_is_shown_once_whether_the_front_end_answers_or_hands_over() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::logged_in(default_scenario());
    let identity = sb.identity_path();
    std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warning = format!(
        "p0: warning: other users can read {} (it may hold secrets); fix it with: chmod 600 {}",
        identity.display(),
        identity.display()
    );
    let (_dir, front) = release_layout();
    // Cold: the front end reads the identity (and holds the warning), then hands over.
    let cold = sb
        .run_program(&front, run_admin_sh("exit 0"))
        .any_stderr()
        .run_stderr();
    assert_eq!(cold.matches(&warning).count(), 1, "{cold}");
    // Warm: the front end's own answer, with the whole program's stderr.
    let warm = same_answer(&sb, &front, &run_admin_sh("exit 0"));
    assert_eq!(stderr(&warm), format!("{warning}\n"));
}
