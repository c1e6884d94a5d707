//! `p0 console`: the sign-in URL for a role's console, from the sandbox's AWS sign-in federation
//! endpoint, followed by a real headless chromium to the sandbox's console page; its refusals
//! (a duration that cannot apply, expired or foreign credentials); what a warm run costs; and
//! that the URL and its sign-in token reach nothing but where the user asked for them.

use crate::harness::*;
use serde_json::json;
use std::time::Duration;

/// A role in the other account of the scenario, as a cross-account target.
const CROSS: &str = "arn:aws:iam::210987654321:role/team/CrossAccount";
/// How long chromium may take to load a page (it starts cold, on two busy cores).
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// The page a real headless chromium ends on after following `url`.
fn chromium_dom(url: &str) -> String {
    p0_testkit::browser::Chromium::dump_dom(url, BROWSER_DEADLINE)
}

/// The console page shows this account and role.
fn assert_console_as(dom: &str, account: &str, role: &str) {
    assert!(
        dom.contains(&format!("<dd id=\"account\">{account}</dd>")),
        "not account {account}: {dom}"
    );
    assert!(
        dom.contains(&format!("<dd id=\"role\">{role}")),
        "not role {role}: {dom}"
    );
}

/// The one URL `--url` printed: stdout is that line and nothing else.
fn printed_url(output: &std::process::Output) -> String {
    assert_success(output);
    let out = stdout(output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "stdout is the URL alone: {out:?}");
    assert!(lines[0].contains("/federation?Action=login&"), "{out}");
    lines[0].to_string()
}

/// No secret the sandbox handed out (tokens, keys, sign-in tokens, cookies) is in `text`.
fn assert_no_secret(sb: &Sandbox, text: &str, what: &str) {
    for secret in sb.secrets() {
        assert!(!text.contains(&secret), "a secret in {what}: {text}");
    }
}

#[test]
fn okta_saml_console_in_a_real_browser_then_one_round_trip_when_warm() {
    let sb = Sandbox::logged_in(default_scenario());
    let args = [&CONSOLE_PROD[..], &["--url", "--debug"]].concat();
    let cold = sb.run(&args).any_code().any_stdout().any_stderr().run();
    let url = printed_url(&cold);
    let warning = "it is a credential";
    assert_eq!(
        stderr(&cold).matches(warning).count(),
        1,
        "{}",
        stderr(&cold)
    );
    assert_eq!(sb.count("p0.command"), 1, "the request comes first");
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(sb.count("signin.token"), 1);
    // The sign-in token is a secret the scan knows, the URL carries it, and stderr (with
    // --debug) has neither it nor any other secret.
    let secrets = sb.secrets();
    assert!(
        secrets.iter().any(|s| url.contains(s.as_str())),
        "the URL's sign-in token is in the scan"
    );
    assert!(!stderr(&cold).contains(&url));
    assert_no_secret(&sb, &stderr(&cold), "stderr");
    assert!(url.contains("Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome"));

    assert_console_as(&chromium_dom(&url), PROD, ADMIN);
    assert_eq!(sb.count("signin.login"), 1);

    // Warm: cached credentials, one federation round trip, no P0, Okta or STS call.
    sb.reset_calls();
    let warm = sb
        .run(
            [
                &CONSOLE_PROD[..],
                &["--url", "--service", "s3", "--region", "eu-west-1"],
            ]
            .concat(),
        )
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let url = printed_url(&warm);
    assert!(url.contains("s3%2Fhome%3Fregion%3Deu-west-1"), "{url}");
    assert_eq!(
        sb.calls(),
        [("signin.token".to_string(), 1)].into_iter().collect(),
        "a warm console costs one federation call"
    );

    // --no-browser: the URL on stderr, once, with the warning; stdout empty.
    let shown = sb
        .run([&CONSOLE_PROD[..], &["--no-browser"]].concat())
        .any_code()
        .any_stderr()
        .run();
    assert_success(&shown);
    let err = stderr(&shown);
    assert_eq!(err.matches("/federation?Action=login&").count(), 1, "{err}");
    assert_eq!(err.matches(warning).count(), 1, "{err}");

    // A browser (BROWSER, as the sign-in flows honour it): nothing secret on either stream,
    // diagnostics included, and the browser lands on the console.
    let dir = tempfile::tempdir().unwrap();
    let opened = dir.path().join("opened");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let launched = sb
        .run(CONSOLE_PROD)
        .env("P0_LOG", "trace,hyper=trace,reqwest=trace,html5ever=trace")
        .env_remove("P0_NO_BROWSER")
        .env("BROWSER", &browser)
        .any_code()
        .any_stderr()
        .run();
    assert_success(&launched);
    assert!(
        !stderr(&launched).contains("Action=login"),
        "{}",
        stderr(&launched)
    );
    assert_no_secret(&sb, &stderr(&launched), "stderr with a browser");
    let url = std::fs::read_to_string(&opened).expect("the browser was given the URL");
    assert_console_as(&chromium_dom(&url), PROD, ADMIN);
}

#[test]
fn identity_center_console_in_a_real_browser() {
    let sb = Sandbox::logged_in(default_scenario());
    // The Identity Center sign-in needs a terminal (the device flow); the URL is the one line
    // of the transcript that starts with the endpoint.
    let output = sb.p0_in_terminal(&["console", "--account", "dev", "--role", DEVELOPER, "--url"]);
    let transcript = stdout(&output);
    assert!(output.status.success(), "{transcript}");
    let url = transcript
        .split_whitespace()
        .find(|word| word.starts_with(&sb.urls().signin))
        .unwrap_or_else(|| panic!("no URL in {transcript}"))
        .to_string();
    assert_eq!(sb.count("sso.role_credentials"), 1);
    assert_eq!(sb.count("signin.token"), 1);
    assert_console_as(
        &chromium_dom(&url),
        DEV,
        &format!("AWSReservedSSO_{DEVELOPER}_"),
    );
}

#[test]
fn a_chained_roles_console_and_no_duration_for_it() {
    let sb = Sandbox::logged_in(default_scenario());
    let refused = sb
        .run(
            [
                &CONSOLE_PROD[..],
                &["--chain-role-arn", CROSS, "--duration", "3600"],
            ]
            .concat(),
        )
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(refused.contains("cannot be given a duration"), "{refused}");
    assert_eq!(
        sb.total_calls(),
        0,
        "refused before any call: {:?}",
        sb.calls()
    );

    let out = sb
        .run([&CONSOLE_PROD[..], &["--chain-role-arn", CROSS, "--url"]].concat())
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let url = printed_url(&out);
    assert_eq!(sb.count("sts.AssumeRole"), 1);
    assert_console_as(&chromium_dom(&url), "210987654321", "CrossAccount");
}

#[test]
fn durations_expired_and_foreign_credentials_are_refused_clearly() {
    let sb = Sandbox::logged_in(default_scenario());
    let out_of_range = sb
        .run([&CONSOLE_PROD[..], &["--duration", "600"]].concat())
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        out_of_range.contains("900 to 43200 seconds"),
        "{out_of_range}"
    );
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());

    // A duration the endpoint does not allow for these credentials (the knob): refused with
    // its own message, told apart from refused credentials by asking once without it.
    sb.fault(json!({"endpoint": "signin.token", "signin": "duration"}));
    let refused = sb
        .run([&CONSOLE_PROD[..], &["--duration", "3600", "--url"]].concat())
        .code(64)
        .any_stderr()
        .run_stderr();
    assert!(
        refused.contains("refused a console session of 3600 s"),
        "{refused}"
    );
    assert_eq!(sb.count("signin.token"), 2);
    // Without the knob the same duration is taken.
    printed_url(
        &sb.run([&CONSOLE_PROD[..], &["--duration", "3600", "--url"]].concat())
            .any_code()
            .any_stdout()
            .any_stderr()
            .run(),
    );

    // Credentials AWS sign-in holds expired.
    sb.fault(json!({"endpoint": "signin.token", "signin": "expired"}));
    let expired = sb
        .run([&CONSOLE_PROD[..], &["--url"]].concat())
        .code(69)
        .any_stderr()
        .run_stderr();
    assert!(
        expired.contains("refused the role's credentials"),
        "{expired}"
    );
    assert!(expired.contains("expired"), "{expired}");
    assert!(expired.contains("--fresh-credentials"), "{expired}");
    assert_no_secret(&sb, &expired, "the error");

    // Credentials another STS issued: this sandbox's, shown to another sandbox's sign-in.
    let other = Sandbox::start(default_scenario());
    let foreign = sb
        .run(CONSOLE_PROD)
        .arg("--url")
        .env("AWS_ENDPOINT_URL_SIGNIN", &other.urls().signin)
        .code(69)
        .any_stderr()
        .run();
    let message = stderr(&foreign);
    assert!(
        message.contains("refused the role's credentials"),
        "{message}"
    );
    assert!(
        message.contains("not issued by that partition's STS"),
        "{message}"
    );
    assert_eq!(other.count("signin.token"), 1);
    assert_no_secret(&sb, &message, "the error");
}
