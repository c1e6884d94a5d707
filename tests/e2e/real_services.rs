//! Issue 19: `p0` recovers from the real P0's, Okta's and Identity Center's answers as they
//! come, each through the sandbox knob that makes it answer so.

use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

const RUN_ADMIN: [&str; 7] = [
    "run-as", "--account", "prod", "--role", "Admin", "--", "true",
];
const ASSUME_ADMIN: [&str; 6] = ["aws", "--account", "prod", "role", "assume", "Admin"];
const ASSURANCE: &str =
    "The application's assurance requirements are not met by the 'subject_token'.";

fn with_admin_policy(policy: serde_json::Value) -> Sandbox {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] = policy;
    Sandbox::logged_in(scenario)
}

// ---- 1: Okta's assurance error is cured by a fresh sign-in ----

#[test]
fn okta_assurance_error_at_a_terminal_signs_in_again_and_succeeds() {
    let sb = Sandbox::logged_in(default_scenario());
    // Once: the exchange made during the approval. Only the one after it counts.
    sb.fault(json!({"endpoint": "okta.token_exchange", "invalid_grant": ASSURANCE, "times": 2}));
    let logins = sb.count("okta.device_authorize");
    let out = sb.p0_in_terminal(&ASSUME_ADMIN);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{all}");
    assert!(all.contains("AWS_ACCESS_KEY_ID"), "{all}");
    assert_eq!(sb.count("okta.device_authorize"), logins + 1, "one new sign-in");
    assert!(sb.identity_path().exists());
}

#[test]
fn okta_assurance_error_without_a_person_forgets_the_login() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "okta.token_exchange", "invalid_grant": ASSURANCE, "times": 0}));
    let err = p0_fails(&sb, &ASSUME_ADMIN, 77);
    assert!(err.contains("needs a more recent sign-in"), "{err}");
    assert!(err.contains(ASSURANCE), "{err}");
    assert!(
        !sb.identity_path().exists(),
        "forgotten, as on a session end"
    );
}

// ---- 2: the exchange made while P0 approves is reused only when it worked ----

#[test]
fn a_failed_exchange_during_the_approval_is_made_again_after_it() {
    for fault in [
        json!({"endpoint": "okta.token_exchange", "status": 503}),
        json!({"endpoint": "okta.token_exchange", "invalid_grant": "The token is no longer valid."}),
    ] {
        let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 500}));
        sb.fault(fault.clone());
        let out = p0(&sb, &RUN_ADMIN);
        assert!(out.status.success(), "{fault}: {}", stderr(&out));
        assert_eq!(sb.count("okta.token_exchange"), 2, "{fault}");
        assert!(sb.identity_path().exists(), "{fault}: not forgotten");
    }
}

// ---- 3: APPROVED at create time waits for the stream's DONE ----

#[test]
fn approved_at_create_time_waits_for_provisioning() {
    let sb = with_admin_policy(json!({"create_status": "APPROVED", "after_ms": 800}));
    let out = p0(&sb, &RUN_ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.count("p0.poll"), 1, "{:?}", sb.calls());
    // No role-lag wait was needed: the grant was provisioned when the stream said DONE.
    assert!(!stderr(&out).contains("Waiting for Okta"), "{}", stderr(&out));
}

// ---- 4: what P0 says reaches the user, never stdout ----

#[test]
fn the_requests_message_and_p0s_warnings_go_to_stderr() {
    let mut scenario = default_scenario();
    scenario["command_warnings"] = json!(["Scheduled maintenance at 22:00 UTC."]);
    scenario["min_client_version"] = json!("999.0.0");
    let sb = Sandbox::logged_in(scenario);
    let out = p0_ok(&sb, &ASSUME_ADMIN);
    let (out_text, err) = (stdout(&out), stderr(&out));
    assert!(
        err.contains("Requested AWS role Admin in account"),
        "the create answer's message: {err}"
    );
    assert!(
        err.contains("P0: Scheduled maintenance at 22:00 UTC."),
        "{err}"
    );
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        err.contains(&format!("This client (p0/{version} (")) && err.contains("is out of date"),
        "P0 can read the version in the User-Agent: {err}"
    );
    assert!(
        out_text.lines().all(|l| l.starts_with("export AWS_")),
        "{out_text}"
    );
}

#[test]
fn a_current_client_gets_no_version_warning() {
    let mut scenario = default_scenario();
    scenario["min_client_version"] = json!(env!("CARGO_PKG_VERSION"));
    let sb = Sandbox::logged_in(scenario);
    let err = stderr(&p0_ok(&sb, &ASSUME_ADMIN));
    assert!(!err.contains("out of date"), "{err}");
}

// ---- 9: a registration Identity Center no longer knows is replaced ----

#[test]
fn a_registration_the_recreated_instance_refuses_is_replaced() {
    let assume_dev = [
        "aws",
        "--account",
        "dev",
        "permission-set",
        "assume",
        "Developer",
        "--refresh-credentials",
    ];
    let sb = Sandbox::logged_in(default_scenario());
    assert!(sb.p0_in_terminal(&assume_dev).status.success());
    sb.control_post("/expire", json!({"what": "idc_instance"}));
    sb.reset_calls();
    let out = sb.p0_in_terminal(&assume_dev);
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(sb.count("oidc.register"), 1, "{:?}", sb.calls());
    // The refused start, then the one with the new registration.
    assert_eq!(sb.count("oidc.device_authorization"), 2, "{:?}", sb.calls());
    // Kept for the next run.
    sb.reset_calls();
    assert!(sb.p0_in_terminal(&assume_dev).status.success());
    assert_eq!(sb.count("oidc.register"), 0);
    assert_eq!(sb.count("oidc.device_authorization"), 0);
}

// ---- 12: Okta's rate limit, a Classic Engine org, an encrypted assertion ----

#[test]
fn an_okta_rate_limit_is_waited_out_until_its_reset() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "okta.sso", "status": 429, "rate_limit_reset_secs": 1}));
    let out = p0(&sb, &ASSUME_ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.count("okta.sso"), 2);
}

#[test]
fn an_okta_rate_limit_beyond_the_deadline_fails_at_once_naming_the_reset() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.fault(json!({"endpoint": "okta.sso", "status": 429, "rate_limit_reset_secs": 40, "times": 0}));
    let started = Instant::now();
    let out = sb
        .p0()
        .args(ASSUME_ADMIN)
        .env("P0_RETRY_BASE_MS", "5")
        .env("P0_CALL_TIMEOUT", "5")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("Okta is rate-limiting these calls"), "{err}");
    assert!(err.contains("later than p0 waits for one call (5 s)"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(sb.count("okta.sso"), 1, "no retry that cannot pass");
}

#[test]
fn a_classic_engine_org_is_named_as_the_cause() {
    let mut scenario = default_scenario();
    scenario["okta"] = json!({"classic_engine": true});
    let sb = Sandbox::logged_in(scenario);
    let err = p0_fails(&sb, &ASSUME_ADMIN, 69);
    assert!(err.contains("Okta Classic Engine"), "{err}");
    assert!(err.contains("Identity Engine"), "{err}");
    assert_eq!(err.matches("Classic Engine").count(), 1, "one message: {err}");
}

#[test]
fn an_encrypted_assertion_is_named_with_no_role_lag_wait() {
    let sb = with_admin_policy(json!({"outcome": "approve"}));
    sb.fault(json!({"endpoint": "okta.sso", "saml": "encrypted", "times": 0}));
    let started = Instant::now();
    let err = p0_fails(&sb, &RUN_ADMIN, 69);
    assert!(err.contains("encrypted SAML assertion"), "{err}");
    assert!(!err.contains("Waiting for Okta"), "{err}");
    assert_eq!(sb.count("okta.sso"), 1);
    assert!(started.elapsed() < Duration::from_secs(20));
}

// ---- hostile testing ----

#[test]
fn a_poll_line_about_another_request_is_ignored() {
    let sb = with_admin_policy(json!({"outcome": "approve", "after_ms": 300}));
    sb.fault(json!({"endpoint": "p0.poll", "poll": "other_request"}));
    let out = p0(&sb, &RUN_ADMIN);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("denied"), "{}", stderr(&out));
}
