//! `p0` writing the AWS shared files: `p0 aws configure profile|populate` (the config file,
//! edited byte for byte outside the profile it touches) and `--write-profile` (the credentials
//! file). The real aws CLI reads the results.

use crate::harness::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A config file as people keep them: comments, blank lines, other profiles, a nested block.
const CONFIG: &str = "\
# my AWS settings
[default]
region = eu-west-1
output=json

; the work account, through Identity Center
[profile work]
sso_session = corp
region = us-east-1
s3 =
  max_concurrent_requests = 20

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
";

const CREATED_BY: &str = "# Credentials from P0 Security (written by `p0 aws configure`)";

pub(crate) fn config_path(sb: &Sandbox) -> PathBuf {
    sb.home().join(".aws/config")
}

pub(crate) fn credentials_path(sb: &Sandbox) -> PathBuf {
    sb.home().join(".aws/credentials")
}

pub(crate) fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The credential_process line `configure` writes for this p0.
fn process_line(rest: &str) -> String {
    format!(
        "credential_process = {} aws credential-process {rest}",
        shell_words::quote(&p0_binary().display().to_string())
    )
}

/// `aws configure get KEY --profile PROFILE`: what botocore reads from the file.
fn aws_get(sb: &Sandbox, key: &str, profile: &str) -> String {
    let out = sb
        .aws_cli()
        .args(["configure", "get", key, "--profile", profile])
        .output()
        .unwrap();
    stdout(&out).trim().to_string()
}

fn caller_arn(sb: &Sandbox, profile: &str) -> String {
    let out = sb
        .aws_cli()
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            profile,
            "--query",
            "Arn",
            "--output",
            "text",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    stdout(&out).trim().to_string()
}

pub(crate) fn admin_arn() -> String {
    format!("arn:aws:sts::{PROD}:assumed-role/Admin/{USER_EMAIL}")
}

#[test]
fn configure_profile_keeps_every_other_byte_and_updates_in_place() {
    let sb = Sandbox::logged_in(default_scenario());
    let path = config_path(&sb);
    write(&path, CONFIG);
    let configure = [
        "aws",
        "configure",
        "profile",
        "prod-admin",
        "--account",
        "prod",
    ];
    sb.run([&configure[..], &["--role", "Admin"]].concat())
        .any_stderr()
        .run();
    let first = format!(
        "{CONFIG}\n[profile prod-admin]\n{CREATED_BY}\n{}\n",
        process_line("--account prod --role Admin")
    );
    assert_eq!(read(&path), first);
    assert_eq!(read(&sb.home().join(".aws/config.p0.bak")), CONFIG);

    // Again, with a region and a reason: the same section, updated where it is.
    sb.run(
        [
            &configure[..],
            &[
                "--role",
                "Admin",
                "--region",
                "eu-central-1",
                "--reason",
                "on call",
            ],
        ]
        .concat(),
    )
    .any_stdout()
    .any_stderr()
    .run();
    let second = format!(
        "{CONFIG}\n[profile prod-admin]\n{CREATED_BY}\n{}\nregion = eu-central-1\n",
        process_line("--account prod --role Admin --reason 'on call'")
    );
    assert_eq!(read(&path), second);
    // Unchanged a third time: nothing is rewritten.
    let out = sb
        .run(
            [
                &configure[..],
                &[
                    "--role",
                    "Admin",
                    "--region",
                    "eu-central-1",
                    "--reason",
                    "on call",
                ],
            ]
            .concat(),
        )
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stderr(&out).contains("up to date"), "{}", stderr(&out));
    assert_eq!(read(&path), second);

    // A profile in the middle becomes p0's: its Identity Center settings go, the rest stays.
    sb.run([
        "aws",
        "configure",
        "profile",
        "work",
        "--account",
        "prod",
        "--role",
        "Admin",
    ])
    .any_stdout()
    .any_stderr()
    .run();
    let (head, tail) = second.split_once("[profile work]\n").unwrap();
    let tail = tail.split_once("\n\n").unwrap().1;
    assert_eq!(
        read(&path),
        format!(
            "{head}[profile work]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n{}\n\n{tail}",
            process_line("--account prod --role Admin")
        )
    );
    // botocore reads the edited file as meant.
    assert_eq!(aws_get(&sb, "region", "prod-admin"), "eu-central-1");
    assert_eq!(aws_get(&sb, "region", "default"), "eu-west-1");
    assert_eq!(aws_get(&sb, "sso_session", "work"), "");
    assert_eq!(caller_arn(&sb, "work"), admin_arn());
}

/// A role in the scenario's other account, as a cross-account target.
const CROSS: &str = "arn:aws:iam::210987654321:role/team/CrossAccount";

#[test]
fn a_chained_profile_is_a_linked_pair_the_aws_cli_chains_itself() {
    let sb = Sandbox::logged_in(default_scenario());
    let path = config_path(&sb);
    write(&path, CONFIG);
    let configure = [
        "aws",
        "configure",
        "profile",
        "cross",
        "--account",
        "prod",
        "--role",
        "Admin",
        "--chain-role-arn",
        CROSS,
        "--chain-external-id",
        "ext-42",
    ];
    let out = sb
        .run(configure)
        .env("P0_RETRY_BASE_MS", "5")
        .any_stdout()
        .any_stderr()
        .run();
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("Wrote [profile cross-p0-base], [profile cross] to "),
        "{}",
        stderr(&out)
    );
    let expected = format!(
        "{CONFIG}\n[profile cross-p0-base]\n{CREATED_BY}\n{}\n\
         \n[profile cross]\n{CREATED_BY}\nrole_arn = {CROSS}\nsource_profile = cross-p0-base\n\
         role_session_name = p0\nexternal_id = ext-42\n",
        process_line("--account prod --role Admin")
    );
    assert_eq!(read(&path), expected);
    assert_eq!(sb.total_calls(), 0, "nothing asked yet: {:?}", sb.calls());

    // The aws CLI runs p0 for the base and assumes the chained role itself.
    assert_eq!(
        caller_arn(&sb, "cross"),
        "arn:aws:sts::210987654321:assumed-role/CrossAccount/p0"
    );
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(sb.count("sts.AssumeRole"), 1);
    assert_eq!(
        sb.commands(),
        vec![vec!["request", "aws", "role", "Admin", "--account", "prod"]],
        "P0 is asked for the base role only"
    );
    // The base is the P0 role, from p0's cache.
    assert_eq!(caller_arn(&sb, "cross-p0-base"), admin_arn());
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);

    // Again: nothing changes, not even the backup.
    let again = sb
        .run(configure)
        .env("P0_RETRY_BASE_MS", "5")
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stderr(&again).contains("up to date"), "{}", stderr(&again));
    assert_eq!(read(&path), expected);
    assert_eq!(read(&sb.home().join(".aws/config.p0.bak")), CONFIG);

    // Another session name, and no external id: the pair is updated in place.
    sb.run(
        [
            &configure[..10],
            &["--chain-session-name", "deploy", "--region", "us-east-1"],
        ]
        .concat(),
    )
    .env("P0_RETRY_BASE_MS", "5")
    .any_stdout()
    .any_stderr()
    .run();
    assert_eq!(
        read(&path),
        expected
            .replace(
                "role_session_name = p0\nexternal_id = ext-42\n",
                "role_session_name = deploy\nregion = us-east-1\n"
            )
            .replace(
                &format!("{}\n", process_line("--account prod --role Admin")),
                &format!(
                    "{}\nregion = us-east-1\n",
                    process_line("--account prod --role Admin")
                )
            )
    );
    assert_eq!(
        caller_arn(&sb, "cross"),
        "arn:aws:sts::210987654321:assumed-role/CrossAccount/deploy"
    );

    // A profile of the base's name that p0 did not write is never taken over.
    let taken = "[profile other-p0-base]\nsso_session = corp\n";
    write(&path, taken);
    let err = sb
        .run([
            "aws",
            "configure",
            "profile",
            "other",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--chain-role-arn",
            CROSS,
        ])
        .env("P0_RETRY_BASE_MS", "5")
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("[profile other-p0-base] exists and does not use p0"),
        "{err}"
    );
    assert_eq!(read(&path), taken);
    // Nor is a role that is not an ARN written down.
    let err = sb
        .run([
            "aws",
            "configure",
            "profile",
            "other",
            "--role",
            "Admin",
            "--chain-role-arn",
            "CrossAccount",
        ])
        .env("P0_RETRY_BASE_MS", "5")
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("is not an IAM role ARN"), "{err}");
}

#[test]
fn parallel_configure_runs_resolve_the_account_as_a_plan_does_with_one_fetch() {
    let sb = Sandbox::logged_in(default_scenario());
    // With the local copy of the account config: no call at all.
    sb.run([
        "aws",
        "configure",
        "profile",
        "p",
        "--account",
        "prod",
        "--role",
        "Admin",
    ])
    .env("P0_RETRY_BASE_MS", "5")
    .any_stdout()
    .any_stderr()
    .run();
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
    // Without it, a burst (a setup script writing several profiles at once) fetches it once.
    std::fs::remove_file(sb.cache_dir().join("aws-config~acme.json")).unwrap();
    let children: Vec<_> = (0..8)
        .map(|n| {
            sb.run(["aws", "configure", "profile", &format!("p{n}")])
                .args(["--account", "prod", "--role", "Admin"])
                .any_stdout()
                .any_stderr()
                .spawn()
        })
        .collect();
    for child in children {
        child.wait();
    }
    assert_eq!(
        sb.count("p0.aws_config"),
        1,
        "one fetch for all: {:?}",
        sb.calls()
    );
    let written = read(&config_path(&sb));
    for n in 0..8 {
        assert!(written.contains(&format!("[profile p{n}]\n")), "{written}");
    }
}

#[test]
fn configure_honours_aws_config_file_and_checks_what_it_writes() {
    let sb = Sandbox::logged_in(default_scenario());
    let elsewhere = sb.home().join("elsewhere/aws-config");
    let out = sb
        .run::<&str>([])
        .env("AWS_CONFIG_FILE", &elsewhere)
        .args([
            "aws",
            "configure",
            "profile",
            "p",
            "--account",
            "prod",
            "--role",
            "Admin",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&out);
    assert!(read(&elsewhere).contains("[profile p]\n"));
    assert_eq!(mode(&elsewhere), 0o600);
    assert!(!config_path(&sb).exists());

    let bad = sb
        .run([
            "aws",
            "configure",
            "profile",
            "two words",
            "--role",
            "Admin",
            "--account",
            "prod",
        ])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(bad.contains("profile name"), "{bad}");
    let unknown = sb
        .run([
            "aws",
            "configure",
            "profile",
            "p",
            "--role",
            "Admin",
            "--account",
            "nope",
        ])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(unknown.contains("nope"), "{unknown}");
}

#[test]
fn populate_dry_run_prints_the_diff_and_the_real_run_writes_it() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["p0-grants/ReadOnly"] =
        serde_json::json!({"policy": {"outcome": "approve"}});
    let sb = Sandbox::logged_in(scenario);
    let path = config_path(&sb);
    // A profile of another tool with a name populate would use: left alone.
    let before = "[profile dev.Developer]\ncredential_process = /usr/local/bin/other-tool dev\n";
    write(&path, before);

    let dry = sb
        .run([
            "aws",
            "configure",
            "populate",
            "--region",
            "us-east-1",
            "--dry-run",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(read(&path), before, "a dry run writes nothing");
    let diff = stdout(&dry);
    let shown = path.display().to_string();
    assert!(
        diff.starts_with(&format!("--- {shown}\n+++ {shown}\n@@ ")),
        "{diff}"
    );
    assert!(
        stderr(&dry).contains("[profile dev.Developer] exists and does not use p0"),
        "{}",
        stderr(&dry)
    );
    let added: String = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| format!("{}\n", &l[1..]))
        .collect();
    let expected_added = format!(
        "\n[profile prod.Admin]\n{CREATED_BY}\n{}\nregion = us-east-1\n\
         \n[profile prod.p0-grants-ReadOnly]\n{CREATED_BY}\n{}\nregion = us-east-1\n",
        process_line(&format!("--account {PROD} --role Admin")),
        process_line(&format!("--account {PROD} --role p0-grants/ReadOnly")),
    );
    assert_eq!(added, expected_added, "{diff}");
    assert!(!diff
        .lines()
        .any(|l| l.starts_with('-') && !l.starts_with("---")));
    assert_eq!(
        sb.commands(),
        [
            ["ls", "aws", "role", "--size", "1000"],
            ["ls", "aws", "permission-set", "--size", "1000"]
        ]
    );

    // The real run writes exactly what the dry run showed.
    sb.run(["aws", "configure", "populate", "--region", "us-east-1"])
        .any_stderr()
        .run();
    assert_eq!(read(&path), format!("{before}{expected_added}"));
    assert_eq!(caller_arn(&sb, "prod.Admin"), admin_arn());
    // Run again: profiles p0 wrote are updated (here: unchanged), nothing is duplicated.
    let again = sb
        .run(["aws", "configure", "populate", "--region", "us-east-1"])
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stderr(&again).contains("up to date"), "{}", stderr(&again));
    // With a prefix and one account.
    let dry = sb
        .run([
            "aws",
            "--account",
            "prod",
            "configure",
            "populate",
            "--prefix",
            "p0-",
            "--dry-run",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    let diff = stdout(&dry);
    assert!(diff.contains("+[profile p0-prod.Admin]"), "{diff}");
    assert!(!diff.contains("+[profile dev"), "{diff}");
}

#[test]
fn write_profile_stores_the_credentials_for_the_aws_cli() {
    let sb = Sandbox::logged_in(default_scenario());
    let path = credentials_path(&sb);
    let before = "# long-term keys\n[default]\naws_access_key_id = AKIAOLDEXAMPLE\naws_secret_access_key = old\n\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n";
    write(&path, before);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let assume = [
        "aws",
        "--account",
        "prod",
        "role",
        "assume",
        "Admin",
        "--write-profile",
        "prod-admin",
    ];
    let out = sb.run(assume).any_stderr().run();
    assert!(stderr(&out).contains("[prod-admin]"), "{}", stderr(&out));
    let written = read(&path);
    let section = written
        .strip_prefix(before)
        .unwrap_or_else(|| panic!("the other sections are kept byte for byte:\n{written}"));
    let keys = aws_files_section(section);
    assert!(keys["aws_access_key_id"].starts_with("ASIA"), "{section}");
    assert!(!keys["aws_secret_access_key"].is_empty());
    assert!(!keys["aws_session_token"].is_empty());
    assert!(keys["x_security_token_expires"].ends_with('Z'));
    assert_eq!(mode(&path), 0o600);
    let backup = sb.home().join(".aws/credentials.p0.bak");
    assert_eq!(read(&backup), before);
    assert_eq!(mode(&backup), 0o600);
    // No secret leaked to the terminal or a log line.
    assert!(!stderr(&out).contains(&keys["aws_secret_access_key"]));
    assert_eq!(caller_arn(&sb, "prod-admin"), admin_arn());

    // Fresh credentials replace the old ones in place.
    sb.run([&assume[..], &["--refresh-credentials"]].concat())
        .any_stdout()
        .any_stderr()
        .run();
    let rewritten = read(&path);
    let section = rewritten.strip_prefix(before).unwrap();
    assert_eq!(section.matches("[prod-admin]").count(), 1);
    assert_ne!(
        aws_files_section(section)["aws_access_key_id"],
        keys["aws_access_key_id"]
    );

    // AWS_SHARED_CREDENTIALS_FILE is where it goes when set.
    let elsewhere = sb.home().join("creds");
    let out = sb
        .run::<&str>([])
        .env("AWS_SHARED_CREDENTIALS_FILE", &elsewhere)
        .args(assume)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    assert_success(&out);
    assert!(read(&elsewhere).contains("[prod-admin]"));
}

/// The `key = value` lines of a one-section text.
fn aws_files_section(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
