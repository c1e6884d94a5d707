//! Defect 1: every call has a deadline. A server that accepts and never answers (a half-open
//! connection after a VPN drop) costs `P0_CALL_TIMEOUT` per call, never forever; a lock holder
//! stuck on one lets go in bounded time; under `--refresh` a renewal stuck on one is abandoned
//! and retried, and the endpoint serves fresh credentials once STS answers again.

use super::{admin_assigned, p0_bounded, Bounded};
use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Longer than any deadline: the server accepts the request and never answers in time.
const BLACK_HOLE_MS: u64 = 600_000;
const CALL_TIMEOUT: (&str, &str) = ("P0_CALL_TIMEOUT", "2");

fn black_hole(sb: &Sandbox, endpoint: &str) {
    sb.fault(json!({"endpoint": endpoint, "latency_ms": BLACK_HOLE_MS, "times": 0}));
}

/// Ended by the deadline with one clear last line, well before the black hole would answer.
fn assert_bounded(run: &Bounded, code: i32, wanted: &str, limit: Duration) {
    run.assert_code(code);
    assert!(
        run.elapsed < limit,
        "took {:?}:\n{}",
        run.elapsed,
        run.stderr
    );
    let line = run.stderr.trim_end().lines().last().unwrap_or_default();
    assert!(
        line.contains(wanted),
        "wanted {wanted:?} in {:?}",
        run.stderr
    );
    assert!(line.len() < 240, "{line}");
}

#[test]
fn a_black_holed_sts_fails_in_bounded_time_and_frees_the_lock() {
    let sb = Sandbox::logged_in(admin_assigned());
    black_hole(&sb, "sts");
    // Two p0 for the same role: the second waits on the first's lock, then tries itself.
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| {
            p0_bounded(
                &sb,
                &RUN_ADMIN_NO_REQUEST,
                &[CALL_TIMEOUT],
                Duration::from_secs(60),
            )
        });
        // The event: the first p0 is calling STS, inside the role's single flight (its lock).
        eventually("the first p0 calls STS", Duration::from_secs(30), || {
            (sb.count("sts.AssumeRoleWithSAML") > 0).then_some(())
        });
        let second = p0_bounded(
            &sb,
            &RUN_ADMIN_NO_REQUEST,
            &[CALL_TIMEOUT],
            Duration::from_secs(60),
        );
        (first.join().unwrap(), second)
    });
    assert_bounded(
        &first,
        69,
        "STS AssumeRoleWithSAML failed: timed out",
        Duration::from_secs(15),
    );
    assert_bounded(
        &second,
        69,
        "STS AssumeRoleWithSAML failed: timed out",
        Duration::from_secs(25),
    );
}

#[test]
fn a_black_holed_okta_fails_in_bounded_time() {
    let sb = Sandbox::logged_in(admin_assigned());
    for endpoint in ["okta.token_exchange", "okta.sso"] {
        sb.clear_faults();
        black_hole(&sb, endpoint);
        let run = p0_bounded(
            &sb,
            &RUN_ADMIN_NO_REQUEST,
            &[CALL_TIMEOUT],
            Duration::from_secs(60),
        );
        assert_bounded(&run, 69, "Okta", Duration::from_secs(15));
        assert!(
            run.stderr.contains("timed out"),
            "{endpoint}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_black_holed_p0_api_fails_in_bounded_time() {
    let sb = Sandbox::logged_in(default_scenario());
    // Creating a request is never sent twice: one deadline, and the user is told to check.
    black_hole(&sb, "p0.command");
    let run = p0_bounded(
        &sb,
        &["request", "aws", "role", "Admin"],
        &[CALL_TIMEOUT],
        Duration::from_secs(60),
    );
    assert_bounded(&run, 1, "may have been received", Duration::from_secs(15));
    assert_eq!(sb.count("p0.command"), 1);
}

/// Real time: a credential lifetime of 12 s, an STS outage across its end, then recovery.
mod slow {
    use super::*;

    #[allow(clippy::print_stderr)]
    fn measured(what: &str) {
        eprintln!("measured: {what}");
    }

    #[test]
    fn under_refresh_a_black_holed_renewal_is_retried_and_the_endpoint_recovers() {
        let mut scenario = default_scenario();
        scenario["credential_lifetime_secs"] = json!(12);
        let sb = Sandbox::logged_in(scenario);
        let out = tempfile::tempdir().unwrap();
        let script = r#"
import json, os, time, urllib.request, urllib.error
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
out = os.environ["OUT"]
log = open(out + "/log", "a", buffering=1)
first = None
deadline = time.time() + 120
while time.time() < deadline:
    try:
        request = urllib.request.Request(uri, headers={"Authorization": token})
        key = json.load(urllib.request.urlopen(request, timeout=2))["AccessKeyId"]
        log.write("200 %s\n" % key)
        first = first or key
        if key != first and os.path.exists(out + "/cleared"):
            break
    except urllib.error.HTTPError as e:
        log.write("%d\n" % e.code)
    time.sleep(0.25)
"#;
        // 30 s to the first answer, 60 s to an expiry during the outage, 90 s to the end.
        let p0 = sb
            .run([
                "run-as",
                "--account",
                "prod",
                "--role",
                "Admin",
                "--refresh",
                "--",
            ])
            .arg(python())
            .args(["-c", script])
            .env("OUT", out.path())
            .env(CALL_TIMEOUT.0, CALL_TIMEOUT.1)
            .deadline(Duration::from_secs(180))
            .any_stderr()
            .spawn();
        let log = || std::fs::read_to_string(out.path().join("log")).unwrap_or_default();
        let wait_for = |what: &str, done: &dyn Fn(&str) -> bool, limit: Duration| {
            eventually(what, limit, || done(&log()).then_some(()));
        };
        wait_for(
            "the first answer",
            &|log| log.starts_with("200 "),
            Duration::from_secs(30),
        );
        // STS stops answering: every renewal attempt hits the deadline and is retried, and
        // once the credentials expire the endpoint says so.
        black_hole(&sb, "sts");
        wait_for(
            "an expiry during the outage",
            &|log| log.contains("503\n"),
            Duration::from_secs(60),
        );
        let answering_again = Instant::now();
        sb.clear_faults();
        std::fs::write(out.path().join("cleared"), "").unwrap();
        let ran = p0.wait();
        let recovery = answering_again.elapsed();
        assert!(recovery < Duration::from_secs(60), "{recovery:?}");
        let stderr = stderr(&ran);
        let served_503 = log().matches("503\n").count();
        measured(&format!(
            "fresh credentials served {recovery:.1?} after STS answered again; \
             {served_503} answers were 503 while it did not"
        ));
        assert_eq!(
            stderr.matches("could not renew credentials").count(),
            1,
            "one line per outage:\n{stderr}"
        );
        assert!(
            stderr.contains("STS AssumeRoleWithSAML failed: timed out"),
            "{stderr}"
        );
        assert!(stderr.contains("p0: credentials renewed."), "{stderr}");
    }
}
