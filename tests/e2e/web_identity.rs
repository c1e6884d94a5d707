//! Web identity (`p0 run-as --role-arn ARN --web-identity-token-file FILE`): a CI job's OIDC
//! token traded for the role's credentials with AssumeRoleWithWebIdentity (moto, which does not
//! check the token; the sandbox's STS proxy records which token each call carried). No P0, no
//! login, no terminal.

use crate::harness::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

const CI_ROLE: &str = "arn:aws:iam::123456789012:role/ci/Deployer";

fn token_file(sb: &Sandbox, token: &str) -> PathBuf {
    let path = sb.home().join("oidc-token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path
}

fn run_as(sb: &Sandbox, args: &[&str], command: &[&str]) -> Ran {
    sb.run(["run-as"])
        .args(args)
        .arg("--")
        .args(command)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run()
}

fn caller_arn(out: &Output) -> String {
    assert_success(out);
    let identity: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {:?}", stdout(out)));
    identity["Arn"].as_str().unwrap().to_string()
}

#[test]
fn a_ci_job_assumes_the_role_with_its_token_without_p0() {
    // Nobody logged in: web identity never needs P0.
    let sb = Sandbox::start(default_scenario());
    let file = token_file(&sb, "eyJ.first.token");
    let file_arg = file.to_str().unwrap();
    let out = run_as(
        &sb,
        &[
            "--role-arn",
            CI_ROLE,
            "--web-identity-token-file",
            file_arg,
            "--region",
            "us-east-1",
        ],
        &GET_CALLER_IDENTITY,
    );
    assert_eq!(
        caller_arn(&out),
        "arn:aws:sts::123456789012:assumed-role/Deployer/p0"
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_eq!(sb.web_identity_tokens(), ["eyJ.first.token"]);
    assert_eq!(sb.count("sts.AssumeRoleWithWebIdentity"), 1);
    let p0_side: u64 = sb
        .calls()
        .iter()
        .filter(|(name, _)| !name.starts_with("sts"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(p0_side, 0, "{:?}", sb.calls());

    // Cached: the next step of the job makes no STS call of p0's own.
    sb.reset_calls();
    let out = run_as(
        &sb,
        &["--role-arn", CI_ROLE, "--web-identity-token-file", file_arg],
        &["sh", "-c", "echo $P0_RUN_AS"],
    );
    assert_success(&out);
    assert_eq!(stdout(&out).trim(), "123456789012/ci/Deployer");
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());

    // A fetch (here forced) reads the file again: CI rotates it.
    std::fs::write(&file, "eyJ.second.token").unwrap();
    let out = run_as(
        &sb,
        &[
            "--role-arn",
            CI_ROLE,
            "--web-identity-token-file",
            file_arg,
            "--refresh-credentials",
        ],
        &["true"],
    );
    assert_success(&out);
    assert_eq!(sb.web_identity_tokens(), ["eyJ.second.token"]);
}

#[test]
fn the_standard_variables_are_the_defaults_and_never_reach_the_child() {
    let sb = Sandbox::start(default_scenario());
    let file = token_file(&sb, "eyJ.env.token");
    let dump = "import boto3, json, os; print(json.dumps({'arn': boto3.client('sts', region_name='us-east-1').get_caller_identity()['Arn'], 'env': dict(os.environ)}))";
    let py = python().display().to_string();
    let out = sb
        .run(["run-as", "--", &py, "-c", dump])
        .env("AWS_ROLE_ARN", CI_ROLE)
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &file)
        .env("AWS_ROLE_SESSION_NAME", "pipeline-42")
        // Defaults for P0 in the environment do not stand in the way.
        .env("P0_AWS_REASON", "ci")
        .any_stdout()
        .any_stderr()
        .run();
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        seen["arn"],
        "arn:aws:sts::123456789012:assumed-role/Deployer/pipeline-42"
    );
    let env = &seen["env"];
    assert!(
        env.get("AWS_ROLE_ARN").is_none(),
        "the child would assume it again"
    );
    assert!(env.get("AWS_WEB_IDENTITY_TOKEN_FILE").is_none());
    assert!(env["AWS_ACCESS_KEY_ID"]
        .as_str()
        .unwrap()
        .starts_with("ASIA"));
    assert_eq!(sb.web_identity_tokens(), ["eyJ.env.token"]);
}

#[test]
fn bad_token_files_and_mixed_flags_fail_at_once() {
    let sb = Sandbox::start(default_scenario());
    let missing = sb.home().join("no-such-token");
    let err = sb
        .run([
            "run-as",
            "--role-arn",
            CI_ROLE,
            "--web-identity-token-file",
            missing.to_str().unwrap(),
            "--",
            "true",
        ])
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Cannot read the web identity token file") && err.contains("no-such-token"),
        "{err}"
    );
    let empty = token_file(&sb, "");
    let err = sb
        .run([
            "run-as",
            "--role-arn",
            CI_ROLE,
            "--web-identity-token-file",
            empty.to_str().unwrap(),
            "--",
            "true",
        ])
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(err.trim_end().ends_with("is empty"), "{err}");
    let file = token_file(&sb, "eyJ.token");
    let err = sb
        .run(["run-as", "--role-arn", CI_ROLE, "--", "true"])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("--web-identity-token-file"), "{err}");
    let err = sb
        .run([
            "run-as",
            "--role",
            ADMIN,
            "--role-arn",
            CI_ROLE,
            "--web-identity-token-file",
            file.to_str().unwrap(),
            "--",
            "true",
        ])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("--role does not apply to web identity"),
        "{err}"
    );
    let err = sb
        .run([
            "run-as",
            "--role-arn",
            "Deployer",
            "--web-identity-token-file",
            file.to_str().unwrap(),
            "--",
            "true",
        ])
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("not an IAM role ARN"), "{err}");
    assert_eq!(sb.count("sts"), 0, "nothing reached STS");
}

/// The real-time part: `--refresh` renews 12-second credentials every few seconds, and each
/// renewal reads the token file again (rewritten twice meanwhile); the child follows the new
/// keys; p0 prints nothing.
mod slow {
    use super::*;
    use std::time::Duration;

    fn wait_for_token(sb: &Sandbox, token: &str) -> Vec<String> {
        eventually(
            &format!("{token} is sent to STS"),
            Duration::from_secs(60),
            || {
                let tokens = sb.web_identity_tokens();
                tokens.iter().any(|t| t == token).then_some(tokens)
            },
        )
    }

    #[test]
    fn renewals_read_the_rotated_token_file() {
        let sb = Sandbox::start(default_scenario());
        let file = token_file(&sb, "token-1");
        let out = tempfile::tempdir().unwrap();
        // Who the child is and which key it holds, at its start and after the rotations.
        let whoami = format!(
            "{} -c \"import boto3; s = boto3.Session(); print(s.client('sts', region_name='us-east-1').get_caller_identity()['Arn'], s.get_credentials().get_frozen_credentials().access_key)\"",
            python().display()
        );
        let script = format!(
            r#"{whoami} > "$OUT/first"
while [ ! -e "$OUT/stop" ]; do sleep 0.1; done
{whoami} > "$OUT/last""#
        );
        // Exit 0 and an empty stderr: renewals print nothing. Three renewals of 12-second
        // credentials, each waited for up to a minute.
        let p0 = sb
            .run(["run-as", "--refresh", "--role-arn", CI_ROLE])
            .arg("--web-identity-token-file")
            .arg(&file)
            .args(["--duration", "12", "--region", "us-east-1", "--"])
            .args(["sh", "-c", &script])
            .env("OUT", out.path())
            .deadline(Duration::from_secs(240))
            .any_stdout()
            .spawn();
        let tokens = wait_for_token(&sb, "token-1");
        assert_eq!(tokens[0], "token-1");
        std::fs::write(&file, "token-2").unwrap();
        let tokens = wait_for_token(&sb, "token-2");
        std::fs::write(&file, "token-3").unwrap();
        let after = wait_for_token(&sb, "token-3");
        std::fs::write(out.path().join("stop"), "").unwrap();
        p0.wait();
        // Each renewal sent the token the file held then: never an old one after a new one.
        let position = |t: &str| after.iter().position(|x| x == t).unwrap();
        assert!(position("token-1") < position("token-2"));
        assert!(position("token-2") < position("token-3"));
        assert!(
            after[position("token-2")..].iter().all(|t| t != "token-1"),
            "{after:?}"
        );
        assert!(tokens.len() >= 2, "{tokens:?}");
        let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
        let (first, last) = (read("first"), read("last"));
        let fields = |line: &str| -> (String, String) {
            let (arn, key) = line.trim().split_once(' ').expect("ARN and key");
            (arn.to_string(), key.to_string())
        };
        let (first, last) = (fields(&first), fields(&last));
        for arn in [&first.0, &last.0] {
            assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Deployer/p0");
        }
        assert_ne!(first.1, last.1, "the child got renewed keys");
    }
}
