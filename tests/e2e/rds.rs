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
