//! Defect 9: in the last minutes of the Okta session a fresh Firebase ID token is capped at the
//! session's end; it still counts as fresh, so 32 parallel commands refresh it once, not once
//! per call per process.

use crate::harness::*;
use serde_json::json;

#[allow(clippy::print_stderr)]
fn report(elapsed: std::time::Duration, refreshes: u64) {
    eprintln!("measured: 32 parallel runs in {elapsed:.2?}, {refreshes} Firebase refresh(es)");
}

#[test]
fn thirty_two_parallel_runs_near_the_okta_sessions_end_refresh_once() {
    let sb = Sandbox::logged_in(default_scenario());
    let now = now();
    sb.edit_identity(|identity| {
        // Four minutes left on Okta's session; the Firebase token is due for renewal.
        identity["credential"]["expires_at"] = json!(now + 240.0);
        identity["firebaseSession"]["expiresAt"] = json!(now + 30.0);
    });
    sb.reset_calls();
    let started = std::time::Instant::now();
    // 32 at once on two busy cores: more than the default deadline.
    let runs: Vec<Running> = (0..32)
        .map(|_| {
            sb.run(["ls", "aws", "role"])
                .deadline(std::time::Duration::from_secs(120))
                .any_stdout()
                .any_stderr()
                .spawn()
        })
        .collect();
    for run in runs {
        run.wait();
    }
    report(started.elapsed(), sb.count("firebase.refresh"));
    assert_eq!(sb.count("p0.command"), 32);
    assert_eq!(sb.count("firebase.refresh"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("firebase.sign_in"), 0, "{:?}", sb.calls());
    // And a later command in the same minutes reuses it too.
    sb.run(["ls", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("firebase.refresh"), 1, "{:?}", sb.calls());
}
