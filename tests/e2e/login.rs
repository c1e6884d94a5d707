//! `p0 login` / `p0 logout` and the session every other command relies on, against the
//! sandbox's P0, Okta and Firebase (emulator paths).

use crate::harness::*;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

/// Sign-in traffic of any kind: Okta, Firebase.
fn sign_in_calls(sb: &Sandbox) -> u64 {
    [
        "okta.device_authorize",
        "okta.device_token",
        "firebase.sign_in",
        "firebase.refresh",
        "firebase.lookup",
    ]
    .iter()
    .map(|name| sb.count(name))
    .sum()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn login_to_a_firebase_org_keeps_p0s_files_and_the_firebase_session() {
    let sb = Sandbox::start(default_scenario());
    let out = sb.run(["login", "acme"]).any_code().any_stderr().run();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("confirm that Okta displays this code:"),
        "{err}"
    );
    assert!(err.contains(&format!(
        "Saving authorization to {}.",
        sb.identity_path().display()
    )));
    assert!(err.contains("You are now logged in to the acme organization, and can use the p0 CLI."));
    assert_eq!(sb.count("okta.device_authorize"), 1);
    assert_eq!(sb.count("firebase.sign_in"), 1);
    assert_eq!(sb.count("p0.account"), 1);

    // §2.4 and §1.5 formats, private files in a private directory.
    let identity = sb.identity();
    assert_eq!(identity["org"]["slug"], "acme");
    assert!(identity["credential"]["access_token"].is_string());
    assert!(identity["credential"]["id_token"].is_string());
    let expires_at = identity["credential"]["expires_at"].as_f64().unwrap();
    assert!(expires_at > now() + 3000.0 && expires_at < now() + 3600.0);
    assert!(identity["firebaseSession"]["refreshToken"].is_string());
    let raw = std::fs::read_to_string(sb.identity_path()).unwrap();
    assert!(raw.starts_with("{\n  \""), "2-space JSON: {raw}");
    let config: Value =
        serde_json::from_slice(&std::fs::read(sb.home().join(".p0/config.json")).unwrap()).unwrap();
    assert!(config["appUrl"].is_string() && config["fs"]["apiKey"].is_string());
    assert_eq!(mode(&sb.identity_path()), 0o600);
    assert_eq!(mode(&sb.home().join(".p0/config.json")), 0o600);
    assert_eq!(mode(&sb.home().join(".p0")), 0o700);
}

#[test]
fn login_to_a_provider_token_org_skips_firebase() {
    let mut scenario = default_scenario();
    scenario["use_provider_token"] = json!(true);
    let sb = Sandbox::start(scenario);
    sb.run(["login", "acme"]).any_stderr().run();
    assert_eq!(sb.count("firebase.sign_in"), 0);
    assert_eq!(sb.count("p0.account"), 1);
    assert!(sb.identity().get("firebaseSession").is_none());

    sb.reset_calls();
    sb.run(["request", "aws", "role", "Admin", "--account", "prod"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sign_in_calls(&sb), 0);
    assert_eq!(sb.count("p0.command"), 1);
}

#[test]
fn a_second_command_within_the_hour_makes_no_sign_in_call() {
    let sb = Sandbox::logged_in(default_scenario());
    for _ in 0..2 {
        sb.run(["ls", "aws", "role"])
            .any_stdout()
            .any_stderr()
            .run();
    }
    let out = sb.run(["login"]).any_code().any_stdout().any_stderr().run();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("You are currently logged in to the acme organization."),
        "{err}"
    );
    assert_eq!(sign_in_calls(&sb), 0, "{:?}", sb.calls());
    assert_eq!(sb.count("p0.command"), 2);
}

#[test]
fn an_expired_firebase_token_is_refreshed_without_okta() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.edit_identity(|identity| {
        identity["firebaseSession"]["expiresAt"] = json!(now() - 10.0);
    });
    sb.reset_calls();
    sb.run(["ls", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("firebase.refresh"), 1);
    assert_eq!(sb.count("firebase.sign_in"), 0);
    assert_eq!(sb.count("okta.device_authorize"), 0);
    let refreshed = sb.identity()["firebaseSession"]["expiresAt"]
        .as_f64()
        .unwrap();
    assert!(refreshed > now() + 600.0);
}

#[test]
fn an_identity_written_by_p0s_cli_is_used_and_extended() {
    let sb = Sandbox::logged_in(default_scenario());
    // P0's CLI rewrites the file without our key; we sign in to Firebase once and carry on.
    sb.edit_identity(|identity| {
        identity.as_object_mut().unwrap().remove("firebaseSession");
    });
    sb.reset_calls();
    sb.run(["ls", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("firebase.sign_in"), 1);
    assert_eq!(sb.count("okta.device_authorize"), 0);
    assert!(sb.identity()["firebaseSession"].is_object());
}

#[test]
fn an_expired_session_without_a_terminal_fails_at_once_with_the_hint() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() - 5.0);
    });
    sb.reset_calls();
    let started = Instant::now();
    let out = sb
        .run([
            "request",
            "--wait",
            "aws",
            "role",
            "Admin",
            "--account",
            "prod",
        ])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(err.contains("p0 login acme"), "{err}");
    assert!(err.contains("no terminal"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sb.count("okta.device_authorize"), 0);
    assert_eq!(sb.count("p0.command"), 0);
}

#[test]
fn a_session_the_server_ended_without_a_terminal_fails_with_77() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post("/expire", json!({"what": "all"}));
    sb.reset_calls();
    let out = sb
        .run(["ls", "aws", "role"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(err.contains("p0 login acme"), "{err}");
    assert_eq!(sb.count("okta.device_authorize"), 0);
}

#[test]
fn an_expired_session_with_a_terminal_signs_in_again_and_carries_on() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() - 5.0);
    });
    sb.reset_calls();
    let out = sb.p0_in_terminal(&[
        "request",
        "--wait",
        "aws",
        "role",
        "Admin",
        "--account",
        "prod",
    ]);
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("confirm that Okta displays this code:"),
        "{shown}"
    );
    assert!(shown.contains("Your request was approved"), "{shown}");
    assert_eq!(sb.count("okta.device_authorize"), 1);
    assert_eq!(sb.count("p0.command"), 1);
    let expires_at = sb.identity()["credential"]["expires_at"].as_f64().unwrap();
    assert!(expires_at > now() + 3000.0);
}

#[test]
fn the_sign_in_prompt_reaches_the_terminal_when_stderr_is_captured() {
    // An SDK running `p0` as a credential_process captures stderr: the human at the terminal
    // must still see the code they are asked to confirm, or the wait is for nobody.
    let sb = Sandbox::logged_in(default_scenario());
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() - 5.0);
    });
    let captured = sb.home().join("captured-stderr");
    let script = format!(
        "exec '{}' ls aws role 2>'{}'",
        env!("CARGO_BIN_EXE_p0"),
        captured.display()
    );
    let out = sb.in_terminal("/bin/sh", &["-c", &script], "");
    let on_terminal = text(&out.stdout);
    let on_stderr = std::fs::read_to_string(&captured).unwrap();
    assert!(out.status.success(), "{on_terminal}{on_stderr}");
    assert!(
        on_terminal.contains("confirm that Okta displays this code:"),
        "terminal: {on_terminal}\nstderr: {on_stderr}"
    );
    assert!(!on_stderr.contains("confirm that Okta"), "{on_stderr}");
}

#[test]
fn a_session_the_server_ended_with_a_terminal_signs_in_again() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post("/expire", json!({"what": "all"}));
    sb.reset_calls();
    let out = sb.p0_in_terminal(&["ls", "aws", "role"]);
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{shown}");
    assert_eq!(sb.count("okta.device_authorize"), 1);
    assert!(shown.contains("Admin"), "{shown}");
}

#[test]
fn slow_down_widens_the_interval_instead_of_failing() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"]["slow_down_polls"] = json!(1);
    scenario["okta"]["device"]["pending_polls"] = json!(1);
    let sb = Sandbox::start(scenario);
    let started = Instant::now();
    sb.run(["login", "acme"]).any_stdout().any_stderr().run();
    assert_eq!(sb.count("okta.device_token"), 3);
    // RFC 8628: every poll after slow_down waits 5 s longer.
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[test]
fn a_dropped_okta_connection_is_retried_not_fatal() {
    // Repeating a device authorization or a token poll cannot do anything twice that matters
    // (at worst a spare device code, or `invalid_grant` for a code already redeemed), so a cut
    // connection during a login is retried like any other network failure.
    let mut scenario = default_scenario();
    scenario["faults"] = json!([
        {"endpoint": "okta.device_authorize", "close": true},
        {"endpoint": "okta.device_token", "close": true}
    ]);
    let sb = Sandbox::start(scenario);
    sb.run(["login", "acme"]).any_stdout().any_stderr().run();
    assert_eq!(sb.count("okta.device_authorize"), 2);
    assert!(sb.identity_path().exists());
}

#[test]
fn a_denied_device_authorization_ends_the_login() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"]["approval"] = json!("deny");
    let sb = Sandbox::start(scenario);
    let out = sb
        .run(["login", "acme"])
        .code(1)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(text(&out.stderr).contains("Access denied, try again"));
    assert!(!sb.identity_path().exists());
}

#[test]
fn an_expired_device_code_ends_the_login() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"]["approval"] = json!("manual");
    scenario["okta"]["device"]["expires_in"] = json!(2);
    scenario["okta"]["device"]["interval"] = json!(1);
    let sb = Sandbox::start(scenario);
    let out = sb
        .run(["login", "acme"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Expired awaiting in-browser authorization."),
        "{err}"
    );
    assert!(!sb.identity_path().exists());
}

#[test]
fn a_manual_approval_is_waited_for() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"]["approval"] = json!("manual");
    scenario["okta"]["device"]["interval"] = json!(1);
    let sb = Sandbox::start(scenario);
    let login = sb
        .run(["login", "acme"])
        .stderr_contains("Waiting for authorization...")
        .spawn();
    // The event: p0 asked for the device code and was told at least once that it is pending.
    eventually(
        "p0 polls the pending device authorization",
        Duration::from_secs(30),
        || (sb.count("okta.device_token") > 0 && !sb.pending_devices().is_empty()).then_some(()),
    );
    assert_eq!(sb.approve_devices(), 1);
    login.wait();
    assert!(sb.count("okta.device_token") >= 2, "{:?}", sb.calls());
}

#[test]
fn unknown_orgs_and_unreachable_servers_have_the_protocol_texts() {
    let sb = Sandbox::start(default_scenario());
    let out = sb
        .run(["login", "no-such-org"])
        .code(1)
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(text(&out.stderr).trim(), "Could not find organization");

    let out = sb
        .run(["login", "acme"])
        .env("P0_RETRY_BASE_MS", "1")
        .env("P0_APP_URL", "http://127.0.0.1:9")
        .code(1)
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(
        text(&out.stderr).trim(),
        "Network error: Unable to reach the server at http://127.0.0.1:9/orgs/acme."
    );

    let out = sb.run(["login"]).code(64).any_stdout().any_stderr().run();
    assert!(text(&out.stderr).contains("The organization ID is required."));

    let out = sb
        .run(["ls", "aws", "role"])
        .code(77)
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(
        text(&out.stderr).trim(),
        "Please run `p0 login <organization>`."
    );
}

#[test]
fn logout_forgets_identity_config_and_cache() {
    let sb = Sandbox::logged_in(default_scenario());
    std::fs::create_dir_all(sb.home().join(".p0/cache")).unwrap();
    std::fs::write(sb.home().join(".p0/cache/x.json"), "{}").unwrap();
    sb.run(["logout"]).any_stderr().run();
    for name in ["identity.json", "config.json", "cache"] {
        assert!(!sb.home().join(".p0").join(name).exists(), "{name}");
    }
}

#[test]
fn p0_org_names_the_state_files() {
    let sb = Sandbox::start(default_scenario());
    sb.run(["login"])
        .env("P0_ORG", "acme")
        .any_stdout()
        .any_stderr()
        .run();
    assert!(sb.home().join(".p0/identity-acme.json").exists());
    assert!(sb.home().join(".p0/config-acme.json").exists());
    assert!(!sb.identity_path().exists());
}

#[test]
fn an_id_token_the_server_refuses_is_refreshed_once() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.control_post("/expire", json!({"what": "firebase"}));
    sb.reset_calls();
    let out = sb
        .run(["ls", "aws", "role"])
        .env("P0_LOG", "p0=debug")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("the bearer was refused"), "{err}");
    assert_eq!(sb.count("firebase.refresh"), 1);
    assert_eq!(sb.count("firebase.sign_in"), 0);
    assert_eq!(sb.count("okta.device_authorize"), 0);
    assert_eq!(sb.count("p0.command"), 2);
}

#[test]
fn parallel_commands_renew_the_session_once() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.edit_identity(|identity| {
        identity["firebaseSession"]["expiresAt"] = json!(now() - 10.0);
    });
    sb.reset_calls();
    let children: Vec<Running> = (0..8)
        .map(|_| {
            sb.run(["ls", "aws", "role"])
                .any_stdout()
                .any_stderr()
                .spawn()
        })
        .collect();
    for child in children {
        child.wait();
    }
    assert_eq!(
        sb.count("firebase.refresh") + sb.count("firebase.sign_in"),
        1
    );
    assert_eq!(sb.count("p0.command"), 8);
}

#[test]
fn debug_output_never_shows_a_token() {
    let sb = Sandbox::start(default_scenario());
    let secrets = |identity: &Value| -> Vec<String> {
        [
            &identity["credential"]["access_token"],
            &identity["credential"]["id_token"],
            &identity["firebaseSession"]["idToken"],
            &identity["firebaseSession"]["refreshToken"],
        ]
        .iter()
        .map(|v| v.as_str().expect("a token").to_string())
        .collect()
    };
    let login = sb
        .run(["--debug", "login", "acme"])
        .any_stdout()
        .any_stderr()
        .run();
    let mut tokens = secrets(&sb.identity());
    sb.edit_identity(|identity| {
        identity["firebaseSession"]["expiresAt"] = json!(now() - 10.0);
    });
    let request = sb
        .run([
            "--debug",
            "request",
            "--wait",
            "aws",
            "role",
            "Admin",
            "--account",
            "prod",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    tokens.extend(secrets(&sb.identity()));
    let shown = format!("{}{}", text(&login.stderr), text(&request.stderr));
    // The debug channel is on and talks about the very calls that carry the tokens.
    assert!(shown.contains("signing in to Firebase"), "{shown}");
    assert!(
        shown.contains("refreshing the Firebase ID token"),
        "{shown}"
    );
    assert!(shown.contains("/oauth2/v1/token -> 200"), "{shown}");
    for token in tokens {
        assert!(token.len() > 8);
        assert!(!shown.contains(&token), "a token reached the debug output");
    }
    let config: Value =
        serde_json::from_slice(&std::fs::read(sb.home().join(".p0/config.json")).unwrap()).unwrap();
    let api_key = config["fs"]["apiKey"].as_str().unwrap();
    assert!(!shown.contains(&format!("key={api_key}")), "{shown}");
}

#[test]
fn debug_output_of_a_failed_call_never_shows_its_query() {
    // reqwest's own error text names the full URL, Firebase's `?key=` included.
    let mut scenario = default_scenario();
    scenario["faults"] = json!([{"endpoint": "firebase.sign_in", "close": true}]);
    let sb = Sandbox::start(scenario);
    let out = sb
        .run(["--debug", "login", "acme"])
        .env("P0_RETRY_BASE_MS", "5")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let shown = text(&out.stderr);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("accounts:signInWithIdp?<redacted> failed"),
        "{shown}"
    );
    assert!(!shown.contains("key="), "{shown}");
}

#[test]
fn ctrl_c_during_login_exits_130_and_writes_nothing() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"]["approval"] = json!("manual");
    scenario["okta"]["device"]["interval"] = json!(1);
    let sb = Sandbox::start(scenario);
    let mut login = sb.run(["login", "acme"]).code(130).any_stderr().spawn();
    eventually(
        "p0 waits for authorization",
        Duration::from_secs(30),
        || {
            assert!(
                login.is_running(),
                "p0 ended early:\n{}",
                login.stderr_so_far()
            );
            login
                .stderr_so_far()
                .contains("Waiting for authorization...")
                .then_some(())
        },
    );
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &login.pid().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    login.wait();
    assert!(sent.elapsed() < Duration::from_secs(2));
    assert!(!sb.identity_path().exists());
}

#[test]
fn a_session_about_to_end_is_renewed_by_login() {
    let sb = Sandbox::logged_in(default_scenario());
    // §2.1: `p0 login` wants more than 5 minutes left; other commands accept more than 1.
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() + 200.0);
    });
    sb.reset_calls();
    sb.run(["ls", "aws", "role"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("okta.device_authorize"), 0);
    let out = sb
        .run(["login", "acme"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("You are now logged in"), "{err}");
    assert_eq!(sb.count("okta.device_authorize"), 1);
    assert_eq!(sb.count("p0.org"), 1);
}

#[test]
fn a_missing_config_file_says_how_to_recover() {
    let sb = Sandbox::logged_in(default_scenario());
    std::fs::remove_file(sb.home().join(".p0/config.json")).unwrap();
    let out = sb
        .run(["ls", "aws", "role"])
        .code(77)
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(
        text(&out.stderr).trim(),
        "Missing config file. Please login again using 'p0 login <organization>'."
    );
}

#[test]
fn without_a_terminal_an_expired_session_fails_at_once_even_while_another_p0_signs_in() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() - 5.0);
    });
    // Another p0 holds the session lock (a sign-in at some terminal, or a stuck process).
    let lock = sb.home().join(".p0/identity.lock");
    let mut holder = std::process::Command::new(python())
        .args([
            "-c",
            "import fcntl, sys, time\n\
             f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n\
             print('held', flush=True); time.sleep(60)",
            lock.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "held");

    let started = Instant::now();
    let out = sb
        .run(["ls", "aws", "role"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let elapsed = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(err.contains("p0 login acme"), "{err}");
    assert!(elapsed < Duration::from_secs(10), "waited {elapsed:?}");
}
