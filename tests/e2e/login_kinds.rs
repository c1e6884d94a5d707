//! Every kind of P0 login (Google, Entra, PingOne, email/password; Okta is `login.rs`) against
//! the sandbox's identity providers, the browser sign-in's loopback listener, and what each
//! kind can do afterwards (Identity Center yes, Okta SAML no).
//!
//! The browser step is taken as a browser takes it (`p0_testkit::browser::follow`: the sign-in
//! page, its form, the redirect to p0's listener), and by a real headless Chromium once per
//! browser flow. Each test's listener has a port of its own (`P0_LOGIN_REDIRECT_PORT=0`, a
//! setting a user can also make) except the two that check P0's registered ports, which hold
//! [`REGISTERED_PORTS`] so they never run at once.

use crate::harness::*;
use p0_testkit::browser::{self, Chromium};
use serde_json::{json, Value};
use std::process::ExitStatus;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Held by the tests that listen on P0's registered ports (52700, 52701).
static REGISTERED_PORTS: Mutex<()> = Mutex::new(());

const LOGIN_DEADLINE: Duration = Duration::from_secs(60);

/// The default scenario with this kind of login (Ping's device approved at once).
pub(crate) fn scenario(kind: &str) -> Value {
    let mut scenario = default_scenario();
    scenario["login"] = json!({"kind": kind, "device": {"approval": "auto", "interval": 0}});
    scenario
}

/// `p0 login acme` running, and the sign-in link it printed.
pub(crate) struct PendingLogin {
    running: Running,
    pub(crate) url: String,
}

pub(crate) fn start_login(sb: &Sandbox, env: &[(&str, &str)], remove: &[&str]) -> PendingLogin {
    let mut run = sb
        .run(["login", "acme"])
        .envs(env.iter().copied())
        // Up to a minute to the link, and a minute more to the end.
        .deadline(2 * LOGIN_DEADLINE)
        .any_code()
        .any_stdout()
        .any_stderr();
    for key in remove {
        run = run.env_remove(key);
    }
    let mut running = run.spawn();
    let url = eventually("p0 prints a sign-in link", LOGIN_DEADLINE, || {
        let stderr = running.stderr_so_far();
        // Whole lines only: the link may be half written.
        let whole = &stderr[..stderr.rfind('\n').map_or(0, |end| end + 1)];
        let link = whole
            .lines()
            .find(|line| line.trim_start().starts_with("http"))
            .map(|line| line.trim().to_string());
        assert!(
            link.is_some() || running.is_running(),
            "p0 ended without a sign-in link:\n{stderr}"
        );
        link
    });
    PendingLogin { running, url }
}

impl PendingLogin {
    /// Waits for `p0 login` to end: its status and everything it wrote on stderr.
    pub(crate) fn finish(self) -> (ExitStatus, String) {
        let ran = self.running.wait();
        (ran.status, stderr(&ran))
    }

    fn running(&mut self) -> bool {
        self.running.is_running()
    }

    /// The port of the listener, from the link's `redirect_uri`.
    fn port(&self) -> u16 {
        let redirect = browser::query_param(&self.url, "redirect_uri").expect("a redirect_uri");
        redirect
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap()
    }
}

/// A browser login (Google, Entra) completed as a browser would; asserts success.
fn browser_login(sb: &Sandbox) -> String {
    let pending = start_login(sb, &[], &[]);
    let visit = browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert!(status.success(), "{err}\n{visit:?}");
    let (code, page) = visit.landing.expect("p0's listener answered");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("You can close this tab"), "{page}");
    err
}

/// What every kind can do after logging in: Identity Center, by `permission-set assume` and
/// `run-as` (the first at a terminal for the Identity Center device authorization).
fn identity_center_works(sb: &Sandbox) {
    let out = sb.p0_in_terminal(&ASSUME_DEV);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("AWS_SESSION_TOKEN"), "{text}");
    let out = sb
        .run([
            "run-as",
            "--account",
            "dev",
            "--role",
            "Developer",
            "--",
            "sh",
            "-c",
            "test -n \"$AWS_SESSION_TOKEN\" && echo has-credentials",
        ])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(stdout(&out).trim(), "has-credentials");
    assert_eq!(sb.count("sso.role_credentials"), 1, "{:?}", sb.calls());
}

#[test]
fn google_login_then_identity_center() {
    let sb = Sandbox::start(scenario("google"));
    let err = browser_login(&sb);
    assert!(err.contains("To sign in with Google, visit:"), "{err}");
    assert!(
        err.contains("You are now logged in to the acme organization"),
        "{err}"
    );
    assert_eq!(sb.count("google.authorize"), 1);
    assert_eq!(sb.count("google.token"), 1);
    assert_eq!(sb.count("firebase.sign_in"), 1);
    let identity = sb.identity();
    assert_eq!(identity["org"]["auth"]["provider"]["ssoProvider"], "google");
    assert!(identity["credential"]["id_token"].is_string());
    identity_center_works(&sb);
}

#[test]
fn google_oidc_signs_in_to_firebase_as_its_own_provider() {
    let sb = Sandbox::start(scenario("google-oidc"));
    browser_login(&sb);
    assert_eq!(sb.count("firebase.sign_in"), 1);
    sb.run(["ls", "aws", "permission-set"])
        .any_stdout()
        .any_stderr()
        .run();
}

#[test]
fn entra_login_then_identity_center() {
    let sb = Sandbox::start(scenario("entra"));
    let err = browser_login(&sb);
    assert!(err.contains("Microsoft Entra ID"), "{err}");
    assert_eq!(sb.count("entra.authorize"), 1);
    assert_eq!(sb.count("entra.token"), 1);
    let identity = sb.identity();
    assert!(identity["credential"]["refresh_token"].is_string());
    let raw = std::fs::read_to_string(sb.identity_path()).unwrap();
    assert!(raw.contains("refresh_token"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(sb.identity_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    identity_center_works(&sb);
}

#[test]
fn ping_login_then_identity_center() {
    let sb = Sandbox::start(scenario("ping"));
    let out = sb
        .run(["login", "acme"])
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("confirm that PingOne displays this code:"),
        "{err}"
    );
    assert_eq!(sb.count("ping.device_authorize"), 1);
    assert_eq!(sb.count("firebase.sign_in"), 1);
    identity_center_works(&sb);
}

#[test]
fn password_login_then_identity_center_and_the_password_is_never_stored() {
    let sb = Sandbox::start(scenario("password"));
    let password = "correct horse battery staple";
    sb.run(["login", "acme"])
        .env("P0_EMAIL", USER_EMAIL)
        .env("P0_PASSWORD", password)
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("firebase.sign_in_password"), 1);
    assert_eq!(sb.count("firebase.sign_in"), 0);
    let raw = std::fs::read_to_string(sb.identity_path()).unwrap();
    assert!(!raw.contains(password));
    assert_eq!(sb.identity()["credential"]["access_token"], "PASSWORD");
    identity_center_works(&sb);
}

#[test]
fn password_errors_have_their_texts() {
    let sb = Sandbox::start(scenario("password"));
    let err = sb.run(["login", "acme"]).code(77).any_stderr().run_stderr();
    assert!(
        err.contains("Your organization uses email / password login. The P0_EMAIL and P0_PASSWORD environment variables must be set."),
        "{err}"
    );
    let out = sb
        .run(["login", "acme"])
        .env("P0_EMAIL", USER_EMAIL)
        .env("P0_PASSWORD", "wrong")
        .code(77)
        .any_stdout()
        .any_stderr()
        .run();
    let err = stderr(&out);
    assert!(err.contains("INVALID_LOGIN_CREDENTIALS"), "{err}");
    assert!(!sb.identity_path().exists());
}

#[test]
fn an_okta_saml_account_behind_a_google_login_fails_clearly_before_any_request() {
    let sb = Sandbox::start(scenario("google"));
    browser_login(&sb);
    sb.reset_calls();
    let err = sb
        .run(["aws", "--account", "prod", "role", "assume", "Admin"])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(
        err.contains("Account 123456789012 uses Okta SAML, which needs an Okta sign-in, but your organization signs in with Google."),
        "{err}"
    );
    let err = sb
        .run([
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--",
            "true",
        ])
        .code(1)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("uses Okta SAML"), "{err}");
    assert!(
        sb.commands().is_empty(),
        "no P0 request: {:?}",
        sb.commands()
    );
    assert_eq!(sb.count("okta.token_exchange"), 0);
}

#[test]
fn an_entra_session_past_its_lifetime_renews_with_no_browser() {
    let sb = Sandbox::start(scenario("entra"));
    browser_login(&sb);
    // The access token (and the Firebase token capped by it) is at its end.
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() + 20.0);
        identity["firebaseSession"]["expiresAt"] = json!(now() + 20.0);
    });
    sb.reset_calls();
    // No terminal, no browser: renewed all the same.
    sb.run(["ls", "aws", "permission-set"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("entra.refresh"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("entra.authorize"), 0);
    assert_eq!(sb.count("entra.token"), 0);
    assert_eq!(sb.count("firebase.sign_in"), 1);
    let identity = sb.identity();
    assert!(identity["credential"]["expires_at"].as_f64().unwrap() > now() + 3000.0);
    // The next command uses the renewed session.
    sb.reset_calls();
    sb.run(["ls", "aws", "permission-set"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("entra.refresh"), 0);

    // `p0 status` says how the session goes on.
    let out = sb.run(["status"]).any_stdout().any_stderr().run();
    let text = stdout(&out);
    assert!(text.contains("Login:         Microsoft Entra ID"), "{text}");
    assert!(text.contains("renews"), "{text}");
    let json: Value = serde_json::from_slice(
        &sb.run(["status", "--json"])
            .any_stdout()
            .any_stderr()
            .run()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["login"], "entra");
    assert_eq!(json["session"]["renews"], true);

    // Entra refuses the refresh token (invalid_grant): a person must sign in again.
    sb.expire("idp_refresh");
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() + 20.0);
        identity["firebaseSession"]["expiresAt"] = json!(now() + 20.0);
    });
    sb.reset_calls();
    let err = sb
        .run(["ls", "aws", "permission-set"])
        .code(77)
        .any_stderr()
        .run_stderr();
    assert!(err.contains("needs you to sign in"), "{err}");
    assert_eq!(sb.count("entra.refresh"), 1);
    assert_eq!(sb.count("entra.authorize"), 0);
}

#[test]
fn consent_denied_ends_the_login_with_the_providers_words() {
    let mut sc = scenario("entra");
    sc["login"]["approval"] = json!("deny");
    let sb = Sandbox::start(sc);
    let pending = start_login(&sb, &[], &[]);
    let visit = browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("The Microsoft Entra ID sign-in failed: access_denied"),
        "{err}"
    );
    assert_eq!(visit.landing.map(|l| l.0), Some(400));
    assert_eq!(sb.count("entra.token"), 0);
    assert!(!sb.identity_path().exists());
}

#[test]
fn an_expired_code_ends_the_login() {
    let mut sc = scenario("google");
    sc["login"]["code_lifetime_secs"] = json!(0);
    let sb = Sandbox::start(sc);
    let pending = start_login(&sb, &[], &[]);
    browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("invalid_grant"), "{err}");
    assert_eq!(sb.count("google.token"), 1);
}

#[test]
fn the_listener_refuses_a_wrong_state() {
    let mut sc = scenario("google");
    sc["login"]["wrong_state"] = json!(true);
    let sb = Sandbox::start(sc);
    let pending = start_login(&sb, &[], &[]);
    let visit = browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("belongs to another sign-in (its state does not match)"),
        "{err}"
    );
    let (code, page) = visit.landing.expect("the listener answered");
    assert_eq!(code, 400);
    assert!(!page.contains("received your sign-in"), "{page}");
    // The code was never redeemed.
    assert_eq!(sb.count("google.token"), 0);
}

#[test]
fn the_listener_takes_one_request_only() {
    let sb = Sandbox::start(scenario("google"));
    // The code exchange takes a while, so p0 is still running after the redirect.
    sb.fault(json!({"endpoint": "google.token", "latency_ms": 1500}));
    let mut pending = start_login(&sb, &[], &[]);
    let visit = browser::follow(&pending.url);
    let redirect = visit.redirect.clone().expect("a redirect to p0");
    assert_eq!(visit.landing.as_ref().map(|l| l.0), Some(200));
    assert!(pending.running(), "p0 is exchanging the code");
    // The same redirect again (a replay, another tab): nobody listens any more.
    let port = pending.port();
    let again = std::net::TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_secs(2),
    );
    assert!(again.is_err(), "a second connection was accepted");
    assert!(
        pending.running(),
        "still exchanging: the refusal was the listener's"
    );
    let (status, err) = pending.finish();
    assert!(status.success(), "{err}");
    assert!(redirect.contains("code="));
    assert_eq!(sb.count("google.token"), 1);
}

/// The listener binds 127.0.0.1 only: this machine's other address (eth0's) does not reach
/// it while it waits, 127.0.0.1 does. (A peer check in the code refuses non-loopback peers
/// too, but a socket bound to 127.0.0.1 never sees one; what this test shows is the binding.)
#[test]
fn the_listener_is_not_reachable_from_another_address() {
    let other = {
        let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        // No packet is sent: connecting a UDP socket only picks the route's source address.
        probe
            .connect("192.0.2.254:9")
            .or_else(|_| probe.connect("10.255.255.1:9"))
            .unwrap();
        probe.local_addr().unwrap().ip()
    };
    assert!(
        !other.is_loopback(),
        "this machine has a non-loopback address: {other}"
    );
    let sb = Sandbox::start(scenario("google"));
    let mut pending = start_login(&sb, &[], &[]);
    let port = pending.port();
    let outside = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::new(other, port),
        Duration::from_secs(2),
    );
    assert!(outside.is_err(), "the listener answered on {other}:{port}");
    assert!(pending.running());
    let visit = browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert!(status.success(), "{err}");
    assert_eq!(visit.landing.map(|l| l.0), Some(200));
}

#[test]
fn the_listener_times_out() {
    let sb = Sandbox::start(scenario("entra"));
    let started = Instant::now();
    let pending = start_login(&sb, &[("P0_LOGIN_TIMEOUT", "2")], &[]);
    let (status, err) = pending.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("The Microsoft Entra ID sign-in did not come back to p0 within 2 s."),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!sb.identity_path().exists());
}

#[test]
fn a_taken_port_is_reported() {
    let sb = Sandbox::start(scenario("google"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = sb
        .run(["login", "acme"])
        .env("P0_LOGIN_REDIRECT_PORT", &port)
        .code(78)
        .any_stdout()
        .any_stderr()
        .run();
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "Could not listen on 127.0.0.1:{port} for the Google sign-in: the port is in use"
        )),
        "{err}"
    );
    assert_eq!(sb.count("google.authorize"), 0);
}

#[test]
fn without_a_port_setting_p0s_registered_ports_are_used() {
    let _ports = REGISTERED_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    for (kind, redirect) in [
        ("google", "http://127.0.0.1:52700"),
        ("entra", "http://localhost:52701"),
    ] {
        let sb = Sandbox::start(scenario(kind));
        let pending = start_login(&sb, &[], &["P0_LOGIN_REDIRECT_PORT"]);
        assert_eq!(
            browser::query_param(&pending.url, "redirect_uri").as_deref(),
            Some(redirect)
        );
        assert_eq!(
            browser::query_param(&pending.url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let visit = browser::follow(&pending.url);
        let (status, err) = pending.finish();
        assert!(status.success(), "{kind}: {err}\n{visit:?}");
    }
}

#[test]
fn over_ssh_the_person_is_told_to_forward_the_port() {
    let sb = Sandbox::start(scenario("google"));
    let pending = start_login(
        &sb,
        &[("SSH_CONNECTION", "192.0.2.9 50000 192.0.2.2 22")],
        &[],
    );
    let port = pending.port();
    browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert!(status.success(), "{err}");
    assert!(err.contains("over SSH"), "{err}");
    assert!(
        err.contains(&format!("ssh -L {port}:127.0.0.1:{port}")),
        "{err}"
    );
}

/// A real browser from the sandbox's sign-in page to p0's listener.
fn chromium_login(kind: &str) {
    let sb = Sandbox::start(scenario(kind));
    let pending = start_login(&sb, &[], &[]);
    let browser = Chromium::open(&pending.url);
    let (status, err) = pending.finish();
    drop(browser);
    assert!(status.success(), "{err}\n{}", sb.log());
    assert_eq!(sb.count("idp.sign_in"), 1);
    assert!(sb.identity_path().exists());
}

#[test]
fn a_real_browser_signs_in_with_google() {
    chromium_login("google");
}

#[test]
fn a_real_browser_signs_in_with_entra() {
    chromium_login("entra");
}

#[test]
fn parallel_commands_renew_an_entra_session_once() {
    let sb = Sandbox::start(scenario("entra"));
    browser_login(&sb);
    sb.edit_identity(|identity| {
        identity["credential"]["expires_at"] = json!(now() + 20.0);
        identity["firebaseSession"]["expiresAt"] = json!(now() + 20.0);
    });
    sb.reset_calls();
    let children: Vec<Running> = (0..6)
        .map(|_| {
            sb.run(["ls", "aws", "permission-set"])
                .any_stdout()
                .any_stderr()
                .spawn()
        })
        .collect();
    for child in children {
        child.wait();
    }
    assert_eq!(sb.count("entra.refresh"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("firebase.sign_in"), 1);
    assert_eq!(sb.count("entra.authorize"), 0);
}

#[test]
fn an_account_of_another_provider_has_p0s_text() {
    let mut sc = scenario("google");
    sc["login"]["different_provider"] = json!(true);
    let sb = Sandbox::start(sc);
    let pending = start_login(&sb, &[], &[]);
    browser::follow(&pending.url);
    let (status, err) = pending.finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("Can not sign in: this user has previously signed in with a different identity provider.\nPlease contact support@p0.dev for assistance."),
        "{err}"
    );
}
