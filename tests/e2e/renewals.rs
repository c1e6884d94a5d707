//! Renewals beside a supervised child (`--refresh`, `--restart`) are quiet and do not spam
//! approvers: they use the grant that exists (no new P0 request while it holds), never write
//! into the child's terminal, never ask for a sign-in there, and say one line when renewal fails
//! for good. Watched through a pseudo-terminal that p0 and the child share, with 12-second
//! credentials (renewed every few seconds), so these run in real time.

use crate::harness::*;

const LIFETIME_SECS: u64 = 12;

/// Logged in, `prod`/`Admin` approved on request, credentials lasting `LIFETIME_SECS`.
fn short_lived() -> Sandbox {
    let mut scenario = default_scenario();
    scenario["credential_lifetime_secs"] = LIFETIME_SECS.into();
    Sandbox::logged_in(scenario)
}

/// What the terminal showed after `marker`, escape sequences removed.
fn after(transcript: &[u8], marker: &str) -> String {
    let screen = plain(&text(transcript));
    let (_, rest) = screen
        .split_once(marker)
        .unwrap_or_else(|| panic!("{marker:?} never shown:\n{screen}"));
    rest.to_string()
}

/// What p0 printed between the child's two lines, as one message: p0 writes each message as one
/// line, wrapped at spaces to fit an 80-column terminal.
fn between_child_lines(rest: &str) -> Vec<String> {
    let body = rest
        .strip_suffix("child done\n")
        .unwrap_or_else(|| panic!("the child's last line comes last: {rest:?}"));
    let mut messages: Vec<String> = Vec::new();
    for line in body.lines() {
        match messages.last_mut() {
            Some(last) if !line.starts_with("p0: ") => {
                last.push(' ');
                last.push_str(line);
            }
            _ => messages.push(line.to_string()),
        }
    }
    messages
}

fn run_as_args<'a>(mode: &[&'a str], command: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run-as",
        "--account",
        "prod",
        "--role",
        ADMIN,
        "--region",
        "us-east-1",
    ];
    args.extend_from_slice(mode);
    args.push("--");
    args.extend_from_slice(command);
    args
}

mod slow {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        eventually(what, Duration::from_secs(90), || done().then_some(()));
    }

    /// A boto3 child calling STS for about two lifetimes: p0 renews several times through the
    /// existing grant (Okta and STS only) and the terminal shows nothing but the child.
    #[test]
    fn refresh_renewals_make_no_request_and_print_nothing() {
        let sb = short_lived();
        let script = r#"import boto3, time
print("child started", flush=True)
session = boto3.Session()
sts = session.client("sts")
keys, calls, end = set(), 0, time.time() + 26
while time.time() < end:
    sts.get_caller_identity()
    keys.add(session.get_credentials().get_frozen_credentials().access_key)
    calls += 1
    time.sleep(0.5)
print("child done", calls, len(keys), flush=True)
"#;
        let py = python().display().to_string();
        let out = sb.in_terminal(
            p0_binary(),
            &run_as_args(&["--refresh"], &[&py, "-c", script]),
            "",
        );
        let rest = after(&out.stdout, "child started\n");
        assert!(out.status.success(), "{rest}");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        assert_eq!(
            fields[..2],
            ["child", "done"],
            "only the child wrote: {rest:?}"
        );
        assert_eq!(fields.len(), 4, "only the child wrote: {rest:?}");
        let keys: u32 = fields[3].parse().unwrap();
        assert!(keys >= 3, "the child followed the renewals: {rest}");
        assert_eq!(sb.count("p0.command"), 1, "one request, at the start");
        assert!(sb.count("sts.AssumeRoleWithSAML") >= 4, "{:?}", sb.calls());
    }

    /// Restarted twice with new keys, and the terminal shows only the child's own lines.
    #[test]
    fn restart_renewals_make_no_request_and_print_nothing() {
        let sb = short_lived();
        let out_dir = tempfile::tempdir().unwrap();
        let starts = out_dir.path().join("starts");
        let script = format!(
            r#"echo "start $AWS_ACCESS_KEY_ID" | tee -a {starts}
[ "$(wc -l < {starts})" -ge 3 ] && exit 0
trap 'exit 0' TERM
while :; do sleep 0.05; done"#,
            starts = starts.display()
        );
        let out = sb.in_terminal(
            p0_binary(),
            &run_as_args(
                &["--restart", "--restart-margin", "4", "--restart-grace", "2"],
                &["sh", "-c", &script],
            ),
            "",
        );
        let rest = format!("start {}", after(&out.stdout, "start "));
        assert!(out.status.success(), "{rest}");
        let lines: Vec<&str> = rest.lines().collect();
        assert_eq!(lines.len(), 3, "only the child wrote: {rest:?}");
        assert!(
            lines.iter().all(|l| l.starts_with("start ASIA")),
            "{rest:?}"
        );
        assert!(
            lines[0] != lines[1] && lines[1] != lines[2],
            "new keys: {rest}"
        );
        assert_eq!(sb.count("p0.command"), 1, "one request, at the start");
    }

    /// The grant is revoked and the request a renewal files is denied: one line on the
    /// terminal, one request however often renewal is retried, and the child runs on.
    #[test]
    fn a_renewal_denied_for_good_says_one_line_and_asks_once() {
        let sb = short_lived();
        let stop = sb.home().join("stop");
        let script = format!(
            r#"echo "child started"; while [ ! -e {stop} ]; do sleep 0.1; done; echo "child done""#,
            stop = stop.display()
        );
        let mut terminal = sb.terminal(
            p0_binary(),
            &run_as_args(&["--refresh"], &["sh", "-c", &script]),
        );
        terminal.wait_for("child started\n");
        wait_until("a first quiet renewal", || {
            sb.count("sts.AssumeRoleWithSAML") >= 2
        });
        sb.revoke(PROD, ADMIN, json!({"outcome": "deny"}));
        wait_until("the renewal's request", || sb.count("p0.command") >= 2);
        // Retries after the denial (a second apart at first) ask Okta, never P0 again.
        let sso_pages = sb.count("okta.sso");
        wait_until("three retries", || sb.count("okta.sso") >= sso_pages + 3);
        std::fs::write(&stop, "").unwrap();
        terminal.wait_for("child done\n");
        let out = terminal.finish();
        assert!(out.status.success());
        let rest = after(&out.stdout, "child started\n");
        let lines = between_child_lines(&rest);
        assert_eq!(lines.len(), 1, "one line from p0: {rest:?}");
        assert!(
            lines[0].starts_with(
                "p0: could not renew credentials (Your request was denied); the current ones stay in use until "
            ),
            "{rest:?}"
        );
        assert_eq!(sb.count("p0.command"), 2, "{:?}", sb.commands());
    }

    /// The P0 session ends while the child runs: the renewal does not start a device flow
    /// over the child's terminal (nobody may be looking), it says once what to do.
    #[test]
    fn a_renewal_that_needs_a_sign_in_never_prompts_on_the_childs_terminal() {
        let sb = short_lived();
        let stop = sb.home().join("stop");
        let script = format!(
            r#"echo "child started"; while [ ! -e {stop} ]; do sleep 0.1; done; echo "child done""#,
            stop = stop.display()
        );
        let mut terminal = sb.terminal(
            p0_binary(),
            &run_as_args(&["--refresh"], &["sh", "-c", &script]),
        );
        terminal.wait_for("child started\n");
        sb.edit_identity(|identity| {
            identity["credential"]["expires_at"] = json!(now() - 5.0);
        });
        let sts = sb.count("sts.AssumeRoleWithSAML");
        terminal.wait_for("p0: could not renew credentials");
        // Let it retry a few times (1, 2, 4 s apart) before stopping the child. Not a wait for
        // an event: what follows asserts that nothing more happened (no second line, no device
        // flow, no STS call), and a retry without a session makes no call the sandbox could
        // count.
        std::thread::sleep(Duration::from_secs(4));
        std::fs::write(&stop, "").unwrap();
        terminal.wait_for("child done\n");
        let out = terminal.finish();
        assert!(out.status.success());
        let rest = after(&out.stdout, "child started\n");
        let lines = between_child_lines(&rest);
        assert_eq!(lines.len(), 1, "one line from p0: {rest:?}");
        assert!(
            lines[0].contains(&format!("Run `p0 login {ORG}`")),
            "{rest:?}"
        );
        assert_eq!(sb.count("okta.device_authorize"), 0, "no device flow");
        assert_eq!(
            sb.count("sts.AssumeRoleWithSAML"),
            sts,
            "no renewal without a session"
        );
        assert!(sb.pending_devices().is_empty());
    }
}
