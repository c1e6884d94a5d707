//! The private copies of the AWS files a `--refresh` child gets, so that a `[default]` with
//! credentials on disk (keys in the credentials file, a `credential_process` in the config)
//! cannot take it over: boto3 and the aws CLI under `p0 run-as --refresh` are p0's role, the
//! rest of the user's settings still apply, and the copies go when p0 exits.

use crate::aws_profiles::{admin_arn, config_path, credentials_path, mode, read, write};
use crate::harness::*;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A script for the child: boto3 and the aws CLI each print the caller's ARN, and the child
/// keeps a copy of the files it was pointed at.
fn identity_script() -> String {
    format!(
        r#"{python} -c "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])" > "$OUT/boto3"
{aws} sts get-caller-identity --query Arn --output text > "$OUT/cli"
echo "$AWS_CONFIG_FILE" > "$OUT/config_path"
echo "$AWS_SHARED_CREDENTIALS_FILE" > "$OUT/credentials_path"
cat "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE" > "$OUT/files" 2>/dev/null
true
"#,
        python = python().display(),
        aws = aws_cli_path().display(),
    )
}

#[test]
fn a_refresh_child_ignores_keys_in_the_default_profile_of_the_credentials_file() {
    let sb = Sandbox::logged_in(default_scenario());
    let credentials = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI\n\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n";
    write(&credentials_path(&sb), credentials);
    // Without p0 the [default] keys are who the SDK is: moto's user for unknown keys.
    let alone = sb.sh("aws sts get-caller-identity --query Arn --output text");
    assert_success(&alone);
    assert_eq!(
        stdout(&alone).trim(),
        format!("arn:aws:sts::{PROD}:user/moto")
    );

    let script = format!("export AWS_DEFAULT_REGION=us-east-1\n{}", identity_script());
    let (code, run) = RunAs::to_end(&sb, &["--refresh"], &script);
    assert_eq!(code, 0, "{}", run.read("stderr"));
    assert_eq!(
        run.read("boto3").trim(),
        admin_arn(),
        "{}",
        run.read("stderr")
    );
    assert_eq!(run.read("cli").trim(), admin_arn());
    // The child's copy: [default] without keys, [other] as it was.
    let copy = run.read("files");
    assert!(
        copy.contains("[default]\n\n[other]\naws_access_key_id = AKIAOTHER\n"),
        "{copy}"
    );
    assert!(!copy.contains("AKIAIOSFODNN7EXAMPLE"), "{copy}");
    let private = PathBuf::from(run.read("credentials_path").trim());
    assert!(
        private.starts_with(std::env::temp_dir()),
        "{}",
        private.display()
    );
    assert!(
        !private.parent().unwrap().exists(),
        "the private copies are removed when p0 exits"
    );
    // The user's own file is untouched.
    assert_eq!(read(&credentials_path(&sb)), credentials);
}

#[test]
fn a_refresh_child_ignores_a_credential_process_in_the_default_profile_of_the_config() {
    let sb = Sandbox::logged_in(default_scenario());
    let other_tool = sb.home().join("other-tool");
    write(
        &other_tool,
        "#!/bin/sh\nprintf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIAOTHEREXAMPLE\",\"SecretAccessKey\":\"other\"}'\n",
    );
    std::fs::set_permissions(&other_tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The region comes from the file only: the child's copy must keep it.
    let config = format!(
        "[default]\nregion = us-east-1\ncredential_process = {}\n\n[profile kept]\nregion = eu-west-3\n",
        other_tool.display()
    );
    write(&config_path(&sb), &config);
    let alone = sb
        .aws_cli()
        .args([
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ])
        .output()
        .unwrap();
    assert_success(&alone);
    assert_eq!(
        stdout(&alone).trim(),
        format!("arn:aws:sts::{PROD}:user/moto")
    );

    let (code, run) = RunAs::to_end(&sb, &["--refresh"], &identity_script());
    assert_eq!(code, 0, "{}", run.read("stderr"));
    assert_eq!(
        run.read("boto3").trim(),
        admin_arn(),
        "{}",
        run.read("stderr")
    );
    assert_eq!(run.read("cli").trim(), admin_arn());
    let copy = run.read("files");
    assert_eq!(
        copy,
        "[default]\nregion = us-east-1\n\n[profile kept]\nregion = eu-west-3\n"
    );
    // Only the file that needed it was copied.
    assert_eq!(run.read("credentials_path").trim(), "");
    assert_eq!(read(&config_path(&sb)), config);
}

#[test]
fn the_private_copies_go_when_a_signal_ends_the_run() {
    let sb = Sandbox::logged_in(default_scenario());
    write(
        &credentials_path(&sb),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n",
    );
    let run = RunAs::start(
        &sb,
        &["--refresh"],
        r#"echo "$AWS_SHARED_CREDENTIALS_FILE" > "$OUT/path"
trap 'exit 0' TERM
while :; do sleep 0.05; done"#,
    );
    let private = PathBuf::from(run.wait_for("path").trim());
    assert!(private.exists());
    assert_eq!(mode(private.parent().unwrap()), 0o700);
    assert_eq!(mode(&private), 0o600);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(run.pid() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let (code, _run) = run.exit_code();
    assert_eq!(code, 0, "the child's own exit");
    assert!(!private.parent().unwrap().exists(), "{}", private.display());
}
