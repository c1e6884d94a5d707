//! Defect 2: no diagnostics filter a user can write shows a secret. Every flow (login, a P0
//! request, Okta SAML and STS, a Firebase refresh, an Identity Center device flow and
//! GetRoleCredentials) runs at each filter, and everything `p0` wrote is scanned for every
//! secret the sandbox handed out.

use crate::harness::*;

/// What a user might set: everything, our own debug, and the third-party crates that log what
/// they parse or send (html5ever and selectors the Okta page, the SDK its requests).
const FILTERS: [&str; 4] = [
    "trace",
    "debug",
    "html5ever=trace,selectors=trace,scraper=trace,markup5ever=trace",
    "aws_smithy_runtime=trace,aws_smithy_runtime_api=trace,aws_smithy_http_client=trace,aws_sdk_sso=trace,aws_sdk_ssooidc=trace,aws_sdk_sts=trace,hyper=trace,hyper_util=trace,reqwest=trace,rustls=trace,h2=trace",
];

/// Where a secret appears in `output`, with the text before it and only its first characters.
pub(super) fn find_secret(secrets: &[String], what: &str, output: &str) -> Option<String> {
    for secret in secrets {
        // The whole value, and a window from its middle (a log may cut a token short).
        let middle = secret.len() / 2;
        let window = secret.get(middle.saturating_sub(12)..(middle + 12).min(secret.len()));
        for needle in std::iter::once(secret.as_str()).chain(window) {
            if let Some(at) = output.find(needle) {
                let start = output[..at]
                    .char_indices()
                    .rev()
                    .nth(300)
                    .map_or(0, |(i, _)| i);
                return Some(format!(
                    "{what}: a secret the sandbox issued ({} chars) appears in p0's output:\n\
                     ...{}[{}...]",
                    secret.len(),
                    &output[start..at],
                    needle.get(..6).unwrap_or_default()
                ));
            }
        }
    }
    None
}

fn with_filter(sb: &Sandbox, filter: &str, args: &[&str]) -> Ran {
    sb.run(args)
        .env("P0_LOG", filter)
        .env("P0_RETRY_BASE_MS", "5")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run()
}

#[test]
fn no_log_filter_shows_a_secret() {
    let mut leaks = Vec::new();
    for filter in FILTERS {
        let sb = Sandbox::start(default_scenario());
        let mut transcript = String::new();
        let mut run = |args: &[&str]| {
            let out = with_filter(&sb, filter, args);
            assert!(
                out.status.success(),
                "{filter}: p0 {args:?}: {}",
                stderr(&out)
            );
            transcript.push_str(&stderr(&out));
        };
        run(&["login", ORG]);
        run(&[
            "run-as",
            "--account",
            "prod",
            "--role",
            "Admin",
            "--",
            "true",
        ]);
        run(&["ls", "aws", "role"]);
        sb.expire("firebase");
        run(&["ls", "aws", "role"]);
        // Identity Center signs in at a terminal: its device flow and tokens, then the portal.
        let p0 = p0_binary().display().to_string();
        let env_filter = format!("P0_LOG={filter}");
        let out = sb.in_terminal(
            "env",
            &[
                &env_filter,
                &p0,
                "run-as",
                "--account",
                "dev",
                "--role",
                "Developer",
                "--",
                "true",
            ],
            "",
        );
        assert!(out.status.success(), "{filter}: {}", stdout(&out));
        transcript.push_str(&stdout(&out));
        // Under --debug too.
        let out = with_filter(
            &sb,
            filter,
            &[
                "--debug",
                "aws",
                "--account",
                "prod",
                "role",
                "assume",
                "Admin",
                "--refresh-credentials",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        transcript.push_str(&stderr(&out));

        let secrets = sb.secrets();
        assert!(
            secrets.len() > 10,
            "the sandbox recorded its secrets: {}",
            secrets.len()
        );
        if !filter.contains('=') {
            assert!(
                transcript.len() > 1000,
                "{filter}: the filter produced diagnostics"
            );
        }
        leaks.extend(find_secret(
            &secrets,
            &format!("P0_LOG={filter}"),
            &transcript,
        ));
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}
