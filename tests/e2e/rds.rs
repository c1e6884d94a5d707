//! `p0 aws rds generate-db-auth-token` (the plain form: `--hostname --port --username
//! --region`): the token checked against botocore's `generate_db_auth_token` at the same second
//! with the same credentials.

use crate::harness::*;
use std::process::Output;

const HOST: &str = "orders.cluster-abc.eu-west-1.rds.amazonaws.com";
const PORT: &str = "5432";
const USER: &str = "app user";

/// botocore's `generate_db_auth_token` with the signer's clock set to the `X-Amz-Date` of
/// p0's token (argv[1], a file holding p0's stdout); credentials from the environment.
const BOTOCORE_AT_P0S_SECOND: &str = r#"
import datetime, sys, urllib.parse
token = open(sys.argv[1]).read().strip()
query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit("https://" + token).query))
at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
import botocore.auth, boto3
botocore.auth.get_current_datetime = lambda *args, **kwargs: at
rds = boto3.client("rds", region_name="eu-west-1")
print(rds.generate_db_auth_token(DBHostname=sys.argv[2], Port=int(sys.argv[3]), DBUsername=sys.argv[4]))
"#;

fn generate(sb: &Sandbox, source: &[&str]) -> Output {
    sb.run(["aws", "rds", "generate-db-auth-token"])
        .args(["--hostname", HOST, "--port", PORT, "--username", USER])
        .args(["--region", "eu-west-1"])
        .args(source)
        .env("P0_RETRY_BASE_MS", "5")
        .any_code()
        .any_stdout()
        .any_stderr()
        .run()
        .output
}

#[test]
fn the_token_is_byte_for_byte_botocores_at_the_same_second() {
    let sb = Sandbox::logged_in(default_scenario());
    let source = ["--account", PROD_LABEL, "--role", ADMIN];
    let ours = generate(&sb, &source);
    assert_success(&ours);
    let token = text(&ours.stdout);
    assert!(
        token.ends_with('\n') && token.lines().count() == 1,
        "{token:?}"
    );
    assert!(
        token.starts_with(&format!(
            "{HOST}:{PORT}/?Action=connect&DBUser=app%20user&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
        )),
        "{token}"
    );
    assert!(
        token.contains("%2Feu-west-1%2Frds-db%2Faws4_request&"),
        "{token}"
    );
    assert!(token.contains("&X-Amz-Expires=900&"), "{token}");

    let file = sb.home().join("p0-db-token");
    std::fs::write(&file, &ours.stdout).unwrap();
    let py = python().display().to_string();
    let theirs = sb
        .run(["run-as"])
        .args(source)
        .args(["--", py.as_str(), "-c", BOTOCORE_AT_P0S_SECOND])
        .arg(&file)
        .args([HOST, PORT, USER])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(token, text(&theirs.stdout));
    // Warm: no call at all.
    sb.reset_calls();
    assert_success(&generate(&sb, &source));
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
}

// ---- P0's form: --arch mysql|postgres (--role R | --sql SQL) [--instance I] [--database D] ----

const INSTANCE: &str = "orders";
const DB_ROLE: &str = "reader";

/// The default scenario, with a user whose local part needs P0's user name rule, and one
/// postgres instance in `prod` whose grant is the Okta SAML role `Admin`.
fn db_scenario() -> serde_json::Value {
    let mut scenario = default_scenario();
    scenario["user"] = serde_json::json!({"email": "Alice.Smith@example.com"});
    scenario["databases"] = serde_json::json!([{
        "id": INSTANCE, "arch": "postgres", "account": PROD, "grant": ADMIN,
        "hostname": HOST, "port": PORT, "region": "eu-west-1",
        "roles": [DB_ROLE], "default_db": "shop",
    }]);
    scenario
}

#[test]
fn p0s_form_requests_the_db_role_and_signs_with_the_delegations_role() {
    let sb = Sandbox::logged_in(db_scenario());
    let ours = sb
        .run(["aws", "rds", "generate-db-auth-token", "--arch", "postgres"])
        .args(["--role", DB_ROLE, "--instance", INSTANCE])
        .env("P0_RETRY_BASE_MS", "5")
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(
        sb.commands(),
        vec![vec![
            "request",
            "postgres",
            "role",
            DB_ROLE,
            "--instance",
            INSTANCE
        ]]
    );
    let token = text(&ours.stdout);
    assert_eq!(token.lines().count(), 1, "{token:?}");
    assert!(
        token.starts_with(&format!(
            "{HOST}:{PORT}/?Action=connect&DBUser=p0_alice_smith&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
        )),
        "{token}"
    );
    // The instructions: on stderr, with the config's host and default database and the user,
    // and neither the token nor any other secret.
    let err = text(&ours.stderr);
    assert!(
        err.contains(&format!("RDS_HOST={HOST}"))
            && err.contains("port=5432")
            && err.contains("dbname=shop user=p0_alice_smith"),
        "{err}"
    );
    assert!(!err.contains(token.trim()), "{err}");
    for secret in sb.secrets() {
        assert!(!err.contains(&secret), "a secret on stderr: {err}");
    }

    // The same second, the same credentials (the delegation's role, cached), botocore's token.
    let file = sb.home().join("p0-db-token");
    std::fs::write(&file, &ours.stdout).unwrap();
    let py = python().display().to_string();
    let theirs = sb
        .run(["run-as", "--account", PROD, "--role", ADMIN, "--no-request"])
        .args(["--", py.as_str(), "-c", BOTOCORE_AT_P0S_SECOND])
        .arg(&file)
        .args([HOST, PORT, "p0_alice_smith"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(token, text(&theirs.stdout));
}

#[test]
fn p0s_form_refuses_an_instance_p0_does_not_have_and_both_role_and_sql() {
    let sb = Sandbox::logged_in(db_scenario());
    let run = |args: &[&str]| {
        sb.run(["aws", "rds", "generate-db-auth-token", "--arch", "postgres"])
            .args(args)
            .env("P0_RETRY_BASE_MS", "5")
            .any_code()
            .any_stdout()
            .any_stderr()
            .run()
    };
    let both = run(&["--role", DB_ROLE, "--sql", "SELECT 1"]);
    assert!(!both.status.success());
    let neither = run(&["--instance", INSTANCE]);
    assert!(!neither.status.success());
    assert!(
        text(&neither.stderr)
            .contains("Specify the access to request with either --role or --sql."),
        "{}",
        text(&neither.stderr)
    );
    assert!(sb.commands().is_empty(), "{:?}", sb.commands());
    let unknown = run(&["--role", DB_ROLE, "--instance", "payments"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("Unknown postgres instance: payments"),
        "{}",
        text(&unknown.stderr)
    );
    assert!(unknown.stdout.is_empty());
}

#[test]
fn p0s_form_signs_through_identity_center_when_the_delegation_names_it() {
    let mut scenario = db_scenario();
    scenario["databases"] = serde_json::json!([{
        "id": "ledger", "arch": "mysql", "account": DEV, "grant": DEVELOPER,
        "hostname": HOST, "port": "3306", "region": "eu-west-1",
    }]);
    let sb = Sandbox::logged_in(scenario);
    // The Identity Center sign-in once, at a terminal, as a user does.
    let out = sb.p0_in_terminal(&[
        "run-as",
        "--account",
        DEV,
        "--role",
        DEVELOPER,
        "--",
        "true",
    ]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    sb.reset_calls();
    let sql = "SELECT * FROM ledger";
    let ours = sb
        .run(["aws", "rds", "generate-db-auth-token", "--arch", "mysql"])
        .args(["--sql", sql, "--database", "books"])
        .env("P0_RETRY_BASE_MS", "5")
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(
        sb.commands().last().unwrap(),
        &vec!["request", "mysql", "sql", sql, "--database", "books"]
    );
    // The permission set's credentials from the sign-in above are reused (the same Identity
    // Center instance, account and permission set): P0 only, no Okta (which `dev` has not).
    assert!(
        sb.calls()
            .keys()
            .all(|endpoint| endpoint.starts_with("p0.")),
        "{:?}",
        sb.calls()
    );
    let err = text(&ours.stderr);
    assert!(
        err.contains("mysql -h \"$RDS_HOST\"") && err.contains("-P 3306 -u p0_alice_smith books"),
        "{err}"
    );
    let file = sb.home().join("p0-db-token");
    std::fs::write(&file, &ours.stdout).unwrap();
    let py = python().display().to_string();
    let theirs = sb
        .run([
            "run-as",
            "--sso-start-url",
            IDC_START_URL,
            "--sso-region",
            IDC_REGION,
        ])
        .args(["--account", DEV, "--role", DEVELOPER])
        .args(["--", py.as_str(), "-c", BOTOCORE_AT_P0S_SECOND])
        .arg(&file)
        .args([HOST, "3306", "p0_alice_smith"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
}
