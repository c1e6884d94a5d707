//! The secret scan (RELIABILITY.md `S1`): the everyday flows run at every log level a user can
//! set, and everything `p0` wrote, stdout and stderr, is scanned for every secret the sandbox
//! issued (`GET /secrets`: Okta access, id and web SSO tokens, SAML assertions, Firebase ID and
//! refresh tokens, device codes, Identity Center client secrets and tokens, AWS secret keys and
//! session tokens).
//!
//! Exempt, and only these values in only these places: the secret key and session token on the
//! stdout of `role assume` / `permission-set assume` (the exports a script `eval`s: that is the
//! command's whole point) and of `credential-process` (the JSON the SDK reads). They are cut
//! out of that stdout by parsing it, so anything else there (another secret, a token) is
//! still found. Each level gets its own sandbox and runs in its own thread.

use super::diagnostics::find_secret;
use crate::harness::*;
use std::process::Output;

/// `P0_LOG` unset, each level, `--debug` alone, and the third-party targets that log what they
/// parse and send.
const LEVELS: [Option<&str>; 8] = [
    None,
    Some("error"),
    Some("warn"),
    Some("info"),
    Some("debug"),
    Some("trace"),
    Some("--debug"),
    Some("html5ever=trace,aws_smithy_runtime=trace,hyper=trace,reqwest=trace"),
];

/// Renewed `--refresh` credentials: renewal is due a quarter into their life (3 s).
const LIFETIME_SECS: u64 = 12;

/// What `p0` wrote, with the secrets that belong there cut out.
struct Transcript {
    level: String,
    text: String,
    /// Exempt values found where they belong (proof that the scan sees secrets at all).
    exempted: Vec<String>,
    /// The stdouts they were cut from, as written.
    uncut: String,
}

impl Transcript {
    fn add(&mut self, what: &str, text: &str) {
        self.text.push_str(&format!("\n== {what}\n{text}"));
    }

    /// stdout of an assume: each export's value of the two secret variables cut out.
    fn add_exports(&mut self, what: &str, out: &Output) {
        let mut stdout = stdout(out);
        self.uncut.push_str(&stdout);
        let vars = exports(out);
        for key in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            let value = vars.get(key).unwrap_or_else(|| panic!("{what}: no {key}"));
            stdout = stdout.replace(value.as_str(), "<exempt>");
            self.exempted.push(value.clone());
        }
        self.add(&format!("{what} (stdout)"), &stdout);
        self.add(&format!("{what} (stderr)"), &stderr(out));
    }

    /// stdout of credential-process: the JSON's two secret values cut out.
    fn add_process_json(&mut self, what: &str, out: &Output) {
        let mut stdout = stdout(out);
        self.uncut.push_str(&stdout);
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("the JSON");
        for key in ["SecretAccessKey", "SessionToken"] {
            let value = json[key]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: {key}"));
            stdout = stdout.replace(value, "<exempt>");
            self.exempted.push(value.to_string());
        }
        self.add(&format!("{what} (stdout)"), &stdout);
        self.add(&format!("{what} (stderr)"), &stderr(out));
    }
}

/// `p0 ARGS` at `level`, no terminal.
fn run(sb: &Sandbox, level: Option<&str>, args: &[&str]) -> Ran {
    let run = match level {
        Some("--debug") => sb.run(["--debug"]).env_remove("P0_LOG"),
        Some(filter) => sb.run::<&str>([]).env("P0_LOG", filter),
        None => sb.run::<&str>([]).env_remove("P0_LOG"),
    };
    run.args(args).any_stdout().any_stderr().run()
}

/// Every flow at `level`, in a sandbox of its own.
fn flows(level: Option<&str>) -> (Transcript, Vec<String>) {
    let mut scenario = default_scenario();
    scenario["credential_lifetime_secs"] = LIFETIME_SECS.into();
    let sb = Sandbox::start(scenario);
    let mut t = Transcript {
        level: format!("{level:?}"),
        text: String::new(),
        exempted: Vec::new(),
        uncut: String::new(),
    };
    let both = |out: &Output| format!("{}{}", stdout(out), stderr(out));

    // Login: Okta device flow, Firebase sign-in.
    t.add("login", &both(&run(&sb, level, &["login", ORG])));
    // Run-as through Okta: the P0 request, the SSO page and its assertion, STS.
    let okta = ["run-as", "--account", "prod", "--role", ADMIN, "--", "true"];
    t.add("run-as okta", &both(&run(&sb, level, &okta)));
    // Run-as through Identity Center, signed in at a terminal: client registration, device
    // flow, tokens, GetRoleCredentials. The transcript holds both streams.
    let p0 = p0_binary().display().to_string();
    let mut terminal: Vec<String> = vec!["-u".into(), "P0_LOG".into()];
    match level {
        Some("--debug") => terminal.extend([p0, "--debug".into()]),
        Some(filter) => terminal.extend([format!("P0_LOG={filter}"), p0]),
        None => terminal.push(p0),
    }
    terminal.extend(
        [
            "run-as",
            "--account",
            "dev",
            "--role",
            "Developer",
            "--",
            "true",
        ]
        .map(String::from),
    );
    let terminal: Vec<&str> = terminal.iter().map(String::as_str).collect();
    let out = sb.in_terminal("env", &terminal, "");
    assert!(out.status.success(), "{level:?}: {}", stdout(&out));
    t.add("run-as idc (terminal)", &stdout(&out));
    // Exports, both backends.
    let out = run(
        &sb,
        level,
        &["aws", "--account", "prod", "role", "assume", ADMIN],
    );
    t.add_exports("role assume", &out);
    let idc = [
        "aws",
        "--account",
        "dev",
        "permission-set",
        "assume",
        "Developer",
    ];
    t.add_exports("permission-set assume", &run(&sb, level, &idc));
    // credential_process.
    let process = [
        "aws",
        "credential-process",
        "--account",
        "prod",
        "--role",
        ADMIN,
    ];
    t.add_process_json("credential-process", &run(&sb, level, &process));
    // --refresh with renewals: the child lives for two renewal periods.
    let before = sb.count("sts.AssumeRoleWithSAML");
    let refresh = [
        "run-as",
        "--account",
        "prod",
        "--role",
        ADMIN,
        "--refresh",
        "--",
        "sleep",
        "7",
    ];
    t.add("run-as --refresh", &both(&run(&sb, level, &refresh)));
    let renewals = sb.count("sts.AssumeRoleWithSAML") - before;
    assert!(
        renewals >= 2,
        "{level:?}: at least one renewal: {renewals} STS calls"
    );
    // A Firebase refresh, then status.
    sb.expire("firebase");
    t.add(
        "ls (Firebase refresh)",
        &both(&run(&sb, level, &["ls", "aws", "role"])),
    );
    t.add("status", &both(&run(&sb, level, &["status"])));
    (t, sb.secrets())
}

#[test]
#[allow(clippy::print_stderr)]
fn no_output_at_any_level_shows_a_secret() {
    let started = std::time::Instant::now();
    let results: Vec<(Transcript, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = LEVELS
            .iter()
            .map(|level| scope.spawn(move || flows(*level)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut leaks = Vec::new();
    for (t, secrets) in &results {
        // The scan can fail: the sandbox listed its secrets, and the exempt ones are among them.
        assert!(secrets.len() > 15, "{}: {} secrets", t.level, secrets.len());
        assert_eq!(t.exempted.len(), 6, "{}", t.level);
        for value in &t.exempted {
            assert!(
                secrets.contains(value),
                "{}: an exempt value was issued",
                t.level
            );
        }
        // The levels took effect: trace shows much, nothing set shows only messages.
        match t.level.as_str() {
            r#"Some("trace")"# | r#"Some("debug")"# | r#"Some("--debug")"# => {
                assert!(t.text.len() > 5000, "{}: diagnostics shown", t.level)
            }
            _ => {}
        }
        leaks.extend(find_secret(secrets, &t.level, &t.text));
    }
    eprintln!(
        "secret scan: {} levels in {:?}",
        results.len(),
        started.elapsed()
    );
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}

/// The logins that are not Okta's (Google's and Entra's codes, PKCE verifiers and tokens,
/// Entra's refresh token and its renewal, PingOne's device code and tokens, a password and the
/// Firebase tokens it gives) at the levels that show the most: nothing p0 writes holds any of
/// them. The password is among the sandbox's secrets once used.
#[test]
fn no_output_of_a_google_entra_ping_or_password_session_shows_a_secret() {
    use crate::login_kinds::{scenario, start_login};
    const PASSWORD: &str = "correct horse battery staple";
    let mut leaks = Vec::new();
    for level in [
        "trace",
        "html5ever=trace,aws_smithy_runtime=trace,hyper=trace,reqwest=trace",
    ] {
        for kind in ["google", "entra", "ping", "password"] {
            let sb = Sandbox::start(scenario(kind));
            let what = format!("{kind} at {level}");
            let mut text = String::new();
            let env = [
                ("P0_LOG", level),
                ("P0_EMAIL", USER_EMAIL),
                ("P0_PASSWORD", PASSWORD),
            ];
            match kind {
                "google" | "entra" => {
                    let pending = start_login(&sb, &env, &[]);
                    p0_testkit::browser::follow(&pending.url);
                    let (status, err) = pending.finish();
                    assert!(status.success(), "{what}: {err}");
                    text.push_str(&err);
                }
                _ => {
                    let out = sb
                        .run(["login", ORG])
                        .envs(env.iter().copied())
                        .any_stdout()
                        .any_stderr()
                        .run();
                    text.push_str(&format!("{}{}", stdout(&out), stderr(&out)));
                }
            }
            // The session at its end: Entra renews with its refresh token, password signs in
            // again, the others refresh the Firebase token.
            sb.edit_identity(|identity| {
                if kind == "entra" || kind == "password" {
                    identity["credential"]["expires_at"] = (now() + 20.0).into();
                }
                identity["firebaseSession"]["expiresAt"] = (now() - 1.0).into();
            });
            for args in [&["ls", "aws", "permission-set"][..], &["status"][..]] {
                let out = sb.run(args).envs(env).any_stdout().any_stderr().run();
                text.push_str(&format!("{}{}", stdout(&out), stderr(&out)));
            }
            if kind == "entra" {
                assert_eq!(sb.count("entra.refresh"), 1, "{what}");
            }
            let secrets = sb.secrets();
            assert!(secrets.len() > 4, "{what}: {} secrets", secrets.len());
            if kind == "password" {
                assert!(secrets.iter().any(|s| s == PASSWORD), "{what}");
            }
            // The scan sees what it should: at `trace` p0 tells a lot (third-party crates are
            // capped at info whatever the filter says).
            if level == "trace" {
                assert!(text.len() > 2000, "{what}: diagnostics shown");
            }
            leaks.extend(find_secret(&secrets, &what, &text));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}
