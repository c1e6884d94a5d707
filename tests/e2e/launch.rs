//! `p0 run-as` as a parent process, one quick smoke test per way of running the child; the
//! real-time ones (credentials renewed across lifetimes, about a minute and a half) are in
//! `slow`.
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

/// The tests that must run in real time: supervised children across several real credential
/// lifetimes (moto's STS, renewed through P0 and Okta). CI runs them; a quick local run skips
/// them: `cargo test --test e2e -- --skip slow::`.
mod slow {
    use super::*;

    /// Under `--refresh`, a boto3 child calls STS (moto) in a loop across three 20-second
    /// credential lifetimes and never fails; it sees renewed keys, and p0's log shows renewals.
    #[test]
    fn refresh_keeps_a_boto3_child_working_across_three_lifetimes() {
        let lifetime = 20;
        let sandbox = sandbox(lifetime);
        let script = format!(
            r#"{python} - <<'PYTHON'
import time, boto3
session = boto3.Session()
sts = session.client("sts", region_name="us-east-1")
deadline = time.time() + {seconds}
calls = 0
keys = []
while time.time() < deadline:
    arn = sts.get_caller_identity()["Arn"]
    key = session.get_credentials().get_frozen_credentials().access_key
    if not keys or keys[-1] != key:
        keys.append(key)
    calls += 1
    time.sleep(0.5)
print(arn, calls, len(keys), flush=True)
PYTHON
"#,
            python = python().display(),
            seconds = lifetime * 3 + 5,
        );
        let (code, run) = RunAs::to_end(&sandbox, &["--refresh"], &script);
        let stderr = run.read("stderr");
        assert_eq!(code, 0, "{stderr}");
        let stdout = run.read("stdout");
        let fields: Vec<&str> = stdout.split_whitespace().collect();
        assert!(
            fields[0].starts_with(&format!("arn:aws:sts::{PROD}:assumed-role/Admin/")),
            "{stdout}"
        );
        let calls: u32 = fields[1].parse().unwrap();
        let keys: u32 = fields[2].parse().unwrap();
        assert!(calls > 50, "{stdout}");
        assert!(keys >= 3, "the child followed the renewals: {stdout}");
        assert!(
            stderr.matches("renewed credentials").count() >= 2,
            "the log shows renewals:\n{stderr}"
        );
    }

    /// Under `--restart`, a child that records its environment at each start was restarted before
    /// each expiry with new keys, and its final exit code passes through.
    #[test]
    fn restart_before_each_expiry_with_new_keys() {
        let sandbox = sandbox(15);
        // The time of each start: macOS's `date` has no `%N`; perl, which macOS ships, has it.
        let now = if cfg!(target_os = "linux") {
            "date +%s.%N"
        } else {
            "perl -MTime::HiRes=time -e 'printf \"%.6f\", time'"
        };
        let script = format!(
            r#"echo "$AWS_ACCESS_KEY_ID $AWS_CREDENTIAL_EXPIRATION $({now})" >> "$OUT/starts"
[ "$(wc -l < "$OUT/starts")" -ge 3 ] && exit 42
trap 'exit 0' TERM
while :; do sleep 0.05; done
"#
        );
        let (code, run) = RunAs::to_end(&sandbox, &["--restart", "--restart-margin", "5"], &script);
        assert_eq!(code, 42, "{}", run.read("stderr"));
        let starts: Vec<(String, i64, f64)> = run
            .read("starts")
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                let expiration = time::OffsetDateTime::parse(
                    fields[1],
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap();
                (
                    fields[0].to_string(),
                    expiration.unix_timestamp(),
                    fields[2].parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(starts.len(), 3);
        for pair in starts.windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "new keys at each restart");
            assert!(pair[1].2 < pair[0].1 as f64, "restarted before the expiry");
        }
    }
}
