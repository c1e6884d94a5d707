//! Defect 6: the poll stream is bounded. A line that never ends is cut at the line cap (memory
//! stays small) and counts as a failed connection; a stream cut after every heartbeat is
//! reconnected with backoff and given up on, since only data counts as progress.

use super::p0_bounded;
use crate::harness::*;
use serde_json::json;
use std::time::Duration;

fn waiting_sandbox() -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "approve", "after_ms": 600000});
    Sandbox::logged_in(scenario)
}

#[test]
fn a_line_without_a_newline_is_cut_at_the_cap_in_bounded_memory() {
    let sb = waiting_sandbox();
    sb.fault(json!({"endpoint": "p0.poll", "poll": "no_newline", "times": 0}));
    let run = p0_bounded(&sb, &REQUEST_ADMIN, &[], Duration::from_secs(60));
    run.assert_code(76);
    assert!(run.stderr.contains("longer than"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
    // p0 itself is ~15 MiB; the cap keeps a line to 1 MiB however long the stream runs.
    assert!(run.max_rss_kib < 64 * 1024, "{} KiB", run.max_rss_kib);
    // The first connection and eight reconnections, as the §3.1 schedule allows.
    assert_eq!(sb.count("p0.poll"), 9, "{:?}", sb.calls());
}

#[test]
fn heartbeats_do_not_reset_the_reconnect_backoff() {
    let sb = waiting_sandbox();
    // Every connection: one heartbeat, then cut in the middle of a line.
    sb.fault(json!({"endpoint": "p0.poll", "close": true, "times": 0}));
    let run = p0_bounded(&sb, &REQUEST_ADMIN, &[], Duration::from_secs(60));
    run.assert_code(1);
    assert!(
        run.stderr.contains("Unable to reach the server"),
        "{}",
        run.stderr
    );
    assert_eq!(sb.count("p0.poll"), 9, "{:?}", sb.calls());
}
