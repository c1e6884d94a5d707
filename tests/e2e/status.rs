//! `p0 status`: the session, the Identity Center sign-ins, the cached credentials and the locks
//! held, from local files alone, and never a secret.

use crate::harness::*;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Logged in, with credentials cached for prod/Admin (Okta SAML) and dev/Developer (Identity
/// Center, after one sign-in at a terminal).
fn two_cached_roles() -> Sandbox {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run([
        "run-as",
        "--account",
        PROD_LABEL,
        "--role",
        ADMIN,
        "--",
        "true",
    ])
    .any_stdout()
    .any_stderr()
    .run();
    let idc = sb.p0_in_terminal(&[
        "run-as",
        "--account",
        DEV_LABEL,
        "--role",
        DEVELOPER,
        "--",
        "true",
    ]);
    assert!(idc.status.success(), "{}", text(&idc.stdout));
    sb.reset_calls();
    sb
}

/// Every secret the sandbox issued that `p0` kept: each string under a secret-bearing key of
/// every JSON file in the state directory (tokens, client secrets, keys, the Firebase API key).
fn issued_secrets(home: &Path) -> Vec<(String, String)> {
    const SECRET_KEYS: &[&str] = &[
        "access_token",
        "id_token",
        "refresh_token",
        "idToken",
        "refreshToken",
        "client_secret",
        "access_key_id",
        "secret_access_key",
        "session_token",
        "apiKey",
    ];
    fn walk(value: &Value, found: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        Value::String(s) if SECRET_KEYS.contains(&key.as_str()) => {
                            found.push((key.clone(), s.clone()))
                        }
                        _ => walk(value, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    files(&home.join(".p0"), &mut paths);
    let mut found = Vec::new();
    for path in paths {
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        walk(&value, &mut found);
    }
    found
}

/// Fails if `output` shows any secret, or a long piece of one (a JWT's segment).
fn assert_no_secret(output: &str, secrets: &[(String, String)]) {
    for (key, secret) in secrets {
        let pieces = std::iter::once(secret.as_str())
            .chain(secret.split('.').filter(|piece| piece.len() >= 16));
        for piece in pieces {
            assert!(!output.contains(piece), "status shows a {key}:\n{output}");
        }
    }
}

#[test]
fn status_shows_the_session_sign_ins_and_credentials_with_no_call_and_no_secret() {
    let sb = two_cached_roles();
    let secrets = issued_secrets(sb.home());
    let kinds = |key: &str| secrets.iter().filter(|(k, _)| k == key).count();
    // The scan sees what was issued: Okta and Identity Center tokens, Firebase's, the OIDC
    // client's secret, and both credentials' keys.
    assert!(
        kinds("access_token") >= 2 && kinds("id_token") >= 1,
        "{secrets:?}"
    );
    assert!(
        kinds("idToken") == 1 && kinds("refreshToken") == 1,
        "{secrets:?}"
    );
    assert!(
        kinds("refresh_token") >= 1 && kinds("client_secret") == 1,
        "{secrets:?}"
    );
    assert!(
        kinds("secret_access_key") == 2 && kinds("access_key_id") == 2,
        "{secrets:?}"
    );

    let human = sb.run(["status"]).any_stdout().any_stderr().run();
    let json = sb.run(["status", "--json"]).any_stdout().any_stderr().run();
    assert_eq!(sb.total_calls(), 0, "no network call: {:?}", sb.calls());
    for out in [&human, &json] {
        assert_no_secret(&format!("{}{}", stdout(out), stderr(out)), &secrets);
    }

    let text = stdout(&human);
    for expected in [
        format!("Organization:  {ORG}"),
        format!("User:          {USER_EMAIL}"),
        format!("{IDC_START_URL} ({IDC_REGION})"),
        "renews without a sign-in".to_string(),
        format!("{PROD_LABEL} ({PROD})"),
        format!("{DEV_LABEL} ({DEV})"),
        "Locks held now: none".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing:\n{text}");
    }
    assert!(text.contains("P0 session:    ends "), "{text}");

    let report: Value = serde_json::from_str(&stdout(&json)).expect("JSON on stdout");
    assert_eq!(report["logged_in"], true);
    assert_eq!(report["org"], ORG);
    assert_eq!(report["user"], USER_EMAIL);
    let session_left = report["session"]["seconds_left"].as_i64().unwrap();
    assert!((3000..=3600).contains(&session_left), "{report}");
    assert!(report.get("check").is_none(), "no check unless asked");
    let idc = report["identity_center"].as_array().unwrap();
    assert_eq!(idc.len(), 1, "{report}");
    assert_eq!(idc[0]["start_url"], IDC_START_URL);
    assert_eq!(idc[0]["renewable"], true);
    let credentials = report["credentials"].as_array().unwrap();
    let summary: Vec<(String, String, String, String)> = credentials
        .iter()
        .map(|c| {
            (
                c["account_id"].as_str().unwrap().to_string(),
                c["account_label"].as_str().unwrap().to_string(),
                c["role"].as_str().unwrap().to_string(),
                c["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                PROD.to_string(),
                PROD_LABEL.to_string(),
                ADMIN.to_string(),
                "Okta SAML".to_string()
            ),
            (
                DEV.to_string(),
                DEV_LABEL.to_string(),
                DEVELOPER.to_string(),
                "AWS IAM Identity Center".to_string()
            ),
        ]
    );
    for c in credentials {
        let left = c["seconds_left"].as_i64().unwrap();
        assert!((3000..=3600).contains(&left), "{c}");
    }
    assert_eq!(report["locks_held"], serde_json::json!([]));
}

#[test]
fn status_reports_locks_another_process_holds_without_waiting() {
    let sb = two_cached_roles();
    // What another p0 fetching prod/Admin and signing in would hold.
    let hold = |path: &Path| {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        file.lock().unwrap();
        file
    };
    let credential_lock = sb
        .home()
        .join(format!(".p0/locks/aws~okta~{ORG}~{PROD}~{ADMIN}.lock"));
    let _fetching = hold(&credential_lock);
    let session_lock = sb.home().join(".p0/identity.lock");
    let _signing_in = hold(&session_lock);

    // Past 20 s it would be waiting for a lock: the run fails there.
    let json = sb
        .run(["status", "--json"])
        .deadline(Duration::from_secs(20))
        .any_stdout()
        .any_stderr()
        .run_stdout();
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report["locks_held"],
        serde_json::json!([
            {"kind": "session"},
            {"kind": "credentials", "account_id": PROD, "role": ADMIN,
             "source": "Okta SAML", "source_id": "okta_saml"}
        ]),
        "{report}"
    );
    let text = stdout(&sb.run(["status"]).any_stdout().any_stderr().run());
    assert!(
        text.contains(&format!("credentials for {PROD}/{ADMIN}")),
        "{text}"
    );
}

#[test]
fn check_verifies_the_session_with_one_call_and_fails_once_it_has_ended() {
    let sb = two_cached_roles();
    let ok = sb
        .run(["status", "--check", "--json"])
        .any_stdout()
        .any_stderr()
        .run();
    let report: Value = serde_json::from_str(&stdout(&ok)).unwrap();
    assert_eq!(report["check"], serde_json::json!({"ok": true}));
    assert_eq!(sb.count("p0.account"), 1, "{:?}", sb.calls());

    sb.reset_calls();
    sb.edit_identity(|identity| identity["credential"]["expires_at"] = (now() - 10.0).into());
    let ended = sb
        .run(["status", "--check"])
        .code(77)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(
        stdout(&ended).contains("P0 session:    ended"),
        "{}",
        stdout(&ended)
    );
    assert!(stdout(&ended).contains("Check:         failed"));
    assert!(stderr(&ended).contains("p0 login"), "{}", stderr(&ended));
    assert_eq!(
        sb.total_calls(),
        0,
        "no sign-in from status: {:?}",
        sb.calls()
    );
}

#[test]
fn status_without_a_login_says_so() {
    let sb = Sandbox::start(default_scenario());
    let out = sb.run(["status", "--json"]).any_stdout().any_stderr().run();
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["logged_in"], false);
    assert_eq!(report["credentials"], serde_json::json!([]));
    assert!(
        stdout(&sb.run(["status"]).any_stdout().any_stderr().run()).starts_with("Not logged in")
    );
    assert_eq!(sb.total_calls(), 0);
}

#[test]
fn status_names_chained_and_web_identity_entries_and_their_locks() {
    const CROSS: &str = "arn:aws:iam::210987654321:role/team/CrossAccount";
    const CI_ROLE: &str = "arn:aws:iam::123456789012:role/ci/Deployer";
    let sb = Sandbox::logged_in(default_scenario());
    sb.run([
        "run-as",
        "--account",
        "prod",
        "--role",
        ADMIN,
        "--chain-role-arn",
        CROSS,
        "--chain-session-name",
        "deploy",
        "--",
        "true",
    ])
    .env("P0_RETRY_BASE_MS", "5")
    .any_stdout()
    .any_stderr()
    .run();
    let token = sb.home().join("oidc-token");
    std::fs::write(&token, "eyJ.a.token\n").unwrap();
    sb.run([
        "run-as",
        "--role-arn",
        CI_ROLE,
        "--web-identity-token-file",
        token.to_str().unwrap(),
        "--",
        "true",
    ])
    .env("P0_RETRY_BASE_MS", "5")
    .any_stdout()
    .any_stderr()
    .run();
    // Another p0 refreshing the chained credentials holds the lock named after their entry.
    let chain_entry = std::fs::read_dir(sb.home().join(".p0/cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|name| name.starts_with("aws~chain~"))
        .expect("a chained entry in the cache");
    let lock_path = sb
        .home()
        .join(".p0/locks")
        .join(chain_entry.replace(".json", ".lock"));
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    held.lock().unwrap();
    sb.reset_calls();

    let json = sb
        .run(["status", "--json"])
        .env("P0_RETRY_BASE_MS", "5")
        .any_stdout()
        .any_stderr()
        .run();
    let report: Value = serde_json::from_str(&stdout(&json)).expect("JSON on stdout");
    let credentials = report["credentials"].as_array().unwrap();
    let by_source = |id: &str| {
        let found: Vec<&Value> = credentials
            .iter()
            .filter(|c| c["source_id"] == id)
            .collect();
        assert_eq!(found.len(), 1, "one {id} entry: {report}");
        found[0].clone()
    };
    let chain = by_source("chain");
    assert_eq!(chain["source"], "chained role", "{chain}");
    assert_eq!(chain["account_id"], "210987654321");
    assert_eq!(chain["role"], "team/CrossAccount");
    assert_eq!(chain["role_arn"], CROSS);
    assert_eq!(chain["session_name"], "deploy");
    assert_eq!(
        chain["via"],
        serde_json::json!({
            "source": "Okta SAML", "source_id": "okta_saml", "account_id": PROD, "role": ADMIN
        })
    );
    let web = by_source("web_identity");
    assert_eq!(web["source"], "web identity", "{web}");
    assert_eq!(web["account_id"], PROD);
    assert_eq!(web["role"], "ci/Deployer");
    assert_eq!(web["role_arn"], CI_ROLE);
    assert_eq!(web["session_name"], "p0");
    assert!(web.get("via").is_none(), "{web}");
    let okta = by_source("okta_saml");
    assert_eq!(okta["source"], "Okta SAML");
    assert_eq!(
        report["other_entries"],
        serde_json::json!([
            {"kind": "account_config", "org": ORG},
            {"kind": "known_roles", "org": ORG}
        ]),
        "{report}"
    );
    assert_eq!(
        report["locks_held"],
        serde_json::json!([{
            "kind": "credentials", "account_id": "210987654321", "role": "team/CrossAccount",
            "source": "chained role", "source_id": "chain"
        }]),
        "{report}"
    );

    let text = stdout(
        &sb.run(["status"])
            .env("P0_RETRY_BASE_MS", "5")
            .any_stdout()
            .any_stderr()
            .run(),
    );
    for expected in [
        format!("chained role via Okta SAML ({PROD}/{ADMIN})"),
        "ci/Deployer".to_string(),
        "web identity".to_string(),
        format!("the account config of {ORG}"),
        format!("the roles seen offered in {ORG}"),
        "credentials for 210987654321/team/CrossAccount (chained role)".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        !text
            .lines()
            .any(|l| l.ends_with("  other") || l.contains("unknown:")),
        "every entry is named:\n{text}"
    );
    assert_eq!(sb.total_calls(), 0, "no network call: {:?}", sb.calls());
}
