//! The tests that must run in real time: supervised children across several real credential
//! lifetimes (moto's STS, renewed through P0 and Okta), about a minute and a half. CI runs
//! them; a quick local run skips them: `cargo test --test e2e -- --skip slow::`.

use crate::harness::*;
use crate::launch::sandbox;

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
