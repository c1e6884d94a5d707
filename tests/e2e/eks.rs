//! `p0 aws eks get-token`: the token checked against the AWS CLI's own `aws eks get-token`,
//! run at the same second with the same credentials (botocore's signer is the independent
//! SigV4 implementation). moto cannot stand in for the cluster's own check (it routes a
//! query-signed `GET /` to its S3), so the signature's check is botocore's.

use crate::harness::*;
use serde_json::Value;
use std::process::Output;

pub(crate) const CLUSTER: &str = "demo-cluster";

/// The real `aws eks get-token` (awscli's code, in-process) with the clocks of botocore's
/// signer and of the CLI's expiration set to the `X-Amz-Date` of p0's token (argv[1], a file
/// holding p0's stdout), for cluster argv[2]. Credentials, region and the STS endpoint come
/// from the environment, as for any aws CLI run.
const AWS_EKS_GET_TOKEN_AT_P0S_SECOND: &str = r#"
import base64, datetime, json, sys, urllib.parse
token = json.load(open(sys.argv[1]))["status"]["token"]
encoded = token[len("k8s-aws-v1."):]
url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
import botocore.auth
import awscli.customizations.eks.get_token as get_token
botocore.auth.get_current_datetime = lambda *args, **kwargs: at
get_token.get_current_datetime = lambda *args, **kwargs: at
from awscli.clidriver import main
sys.argv = ["aws", "eks", "get-token", "--cluster-name", sys.argv[2]]
sys.exit(main())
"#;

/// The role through P0.
pub(crate) const THROUGH_P0: [&str; 4] = ["--account", PROD_LABEL, "--role", ADMIN];

fn get_token(sb: &Sandbox, extra: &[&str], exec_info: Option<&str>) -> Output {
    get_token_from(sb, &THROUGH_P0, extra, exec_info)
}

/// `p0 aws eks get-token` with the credential source `source` (flags as `run-as` takes them).
fn get_token_from(
    sb: &Sandbox,
    source: &[&str],
    extra: &[&str],
    exec_info: Option<&str>,
) -> Output {
    // `--account` is `p0 aws`'s own flag, global to its subcommands.
    let mut command = sb
        .run(["aws", "eks", "get-token", "--cluster-name", CLUSTER])
        .args(source)
        .args(extra)
        .env("P0_RETRY_BASE_MS", "5");
    if let Some(info) = exec_info {
        command = command.env("KUBERNETES_EXEC_INFO", info);
    }
    command.any_code().any_stdout().any_stderr().run().output
}

/// The AWS CLI's output for the token p0 printed, with the role's credentials in its
/// environment through `p0 run-as` (the same cached credentials p0 signed with).
pub(crate) fn aws_cli_at_the_same_second(
    sb: &Sandbox,
    source: &[&str],
    p0_stdout: &[u8],
    exec_info: Option<&str>,
) -> Output {
    let file = sb.home().join("p0-token.json");
    std::fs::write(&file, p0_stdout).unwrap();
    let py = python().display().to_string();
    let mut command = sb
        .run(["run-as"])
        .args(source)
        .args(["--region", "eu-west-1", "--"])
        .args([py.as_str(), "-c", AWS_EKS_GET_TOKEN_AT_P0S_SECOND])
        .arg(&file)
        .arg(CLUSTER);
    if let Some(info) = exec_info {
        command = command.env("KUBERNETES_EXEC_INFO", info);
    }
    command.any_code().any_stdout().any_stderr().run().output
}

#[test]
fn the_token_is_byte_for_byte_the_aws_clis_at_the_same_second() {
    let sb = Sandbox::logged_in(default_scenario());
    let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
    let cold = get_token(&sb, &["--region", "eu-west-1"], Some(info));
    assert_success(&cold);
    let ours: Value = serde_json::from_slice(&cold.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout was {:?}", text(&cold.stdout)));
    assert_eq!(ours["apiVersion"], "client.authentication.k8s.io/v1");

    let theirs = aws_cli_at_the_same_second(&sb, &THROUGH_P0, &cold.stdout, Some(info));
    assert_success(&theirs);
    // The whole output: layout, apiVersion, expirationTimestamp (the CLI's rule) and the
    // token, whose URL holds the endpoint, every query parameter in order and the signature.
    assert_eq!(text(&cold.stdout), text(&theirs.stdout));
    let token = ours["status"]["token"].as_str().unwrap();
    let url = decode(token);
    assert!(url.contains("&X-Amz-Expires=60&"), "{url}");
    assert!(
        url.contains("&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&"),
        "{url}"
    );
    assert!(url.contains("%2Feu-west-1%2Fsts%2Faws4_request&"), "{url}");
}

#[test]
fn web_identity_signs_it_without_p0_as_the_aws_cli_would() {
    let sb = Sandbox::start(default_scenario());
    let file = sb.home().join("oidc-token");
    std::fs::write(&file, "eyJ.ci.token\n").unwrap();
    let file = file.display().to_string();
    let source = [
        "--role-arn",
        "arn:aws:iam::123456789012:role/ci/Deployer",
        "--web-identity-token-file",
        file.as_str(),
    ];
    let ours = get_token_from(&sb, &source, &["--region", "eu-west-1"], None);
    assert_success(&ours);
    assert_eq!(sb.web_identity_tokens(), ["eyJ.ci.token"]);
    let theirs = aws_cli_at_the_same_second(&sb, &source, &ours.stdout, None);
    assert_success(&theirs);
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
}

#[test]
fn a_chained_role_signs_it_as_the_aws_cli_would_with_its_keys() {
    let sb = Sandbox::logged_in(default_scenario());
    let source = [
        "--account",
        PROD_LABEL,
        "--role",
        ADMIN,
        "--chain-role-arn",
        "arn:aws:iam::210987654321:role/team/CrossAccount",
    ];
    let ours = get_token_from(&sb, &source, &["--region", "eu-west-1"], None);
    assert_success(&ours);
    assert_eq!(sb.count("sts.AssumeRole"), 1, "{:?}", sb.calls());
    let theirs = aws_cli_at_the_same_second(&sb, &source, &ours.stdout, None);
    assert_success(&theirs);
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
}

#[test]
fn identity_center_directly_signs_it_as_the_aws_cli_would() {
    let mut scenario = default_scenario();
    scenario["accounts"][1]["permission_sets"][DEVELOPER]["assigned"] = Value::Bool(true);
    let sb = Sandbox::start(scenario);
    let source = [
        "--sso-start-url",
        IDC_START_URL,
        "--sso-region",
        IDC_REGION,
        "--account",
        DEV,
        "--role",
        DEVELOPER,
    ];
    // The device flow once, at a terminal, as a user signs in; then kubectl's runs reuse it.
    let mut sign_in = vec!["run-as"];
    sign_in.extend(source);
    sign_in.extend(["--", "true"]);
    let out = sb.p0_in_terminal(&sign_in);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let ours = get_token_from(&sb, &source, &["--region", "eu-west-1"], None);
    assert_success(&ours);
    assert_eq!(sb.count("p0.command"), 0, "direct mode never asks P0");
    let theirs = aws_cli_at_the_same_second(&sb, &source, &ours.stdout, None);
    assert_success(&theirs);
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
}

#[test]
fn a_warm_token_makes_no_call_and_stdout_is_only_the_exec_credential() {
    let sb = Sandbox::logged_in(default_scenario());
    assert_success(&get_token(&sb, &[], None));
    sb.reset_calls();
    let warm = get_token(&sb, &[], None);
    assert_success(&warm);
    assert_eq!(sb.total_calls(), 0, "a warm token: {:?}", sb.calls());
    assert!(warm.stderr.is_empty(), "{}", stderr(&warm));
    let value: Value = serde_json::from_slice(&warm.stdout).unwrap();
    assert_eq!(value["kind"], "ExecCredential");
    assert_eq!(value["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(value["spec"], serde_json::json!({}));
    // No region anywhere: us-east-1's STS (here the endpoint override) signs it.
    assert!(decode(value["status"]["token"].as_str().unwrap())
        .contains("%2Fus-east-1%2Fsts%2Faws4_request&"));
    // An old kubeconfig's version is answered, with the AWS CLI's warning on stderr only.
    let alpha = r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#;
    let old = get_token(&sb, &[], Some(alpha));
    assert_success(&old);
    let value: Value = serde_json::from_slice(&old.stdout).unwrap();
    assert_eq!(value["apiVersion"], "client.authentication.k8s.io/v1alpha1");
    assert!(
        stderr(&old).contains("deprecated API version"),
        "{}",
        stderr(&old)
    );
}

#[test]
fn without_a_terminal_a_needed_sign_in_fails_fast_with_nothing_on_stdout() {
    let sb = Sandbox::start(default_scenario());
    let out = get_token(&sb, &[], None);
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

fn decode(token: &str) -> String {
    use base64::Engine;
    let encoded = token.strip_prefix("k8s-aws-v1.").expect("the EKS prefix");
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .expect("unpadded base64url");
    String::from_utf8(url).unwrap()
}

/// Creates cluster argv[1] in moto (EKS) with the credentials in the environment, as an
/// administrator would have; prints nothing.
const CREATE_CLUSTER: &str = r#"
import sys, boto3
eks = boto3.client("eks", region_name="eu-west-1")
eks.create_cluster(name=sys.argv[1], roleArn="arn:aws:iam::123456789012:role/eks",
                   resourcesVpcConfig={"subnetIds": []})
"#;

/// Both kubeconfigs (argv[1] p0's, argv[2] the AWS CLI's), read with PyYAML, as JSON:
/// each user's exec plugin apart, since that is where they differ by design.
const READ_BOTH: &str = r#"
import json, sys, yaml
out = []
for path in sys.argv[1:3]:
    config = yaml.safe_load(open(path))
    execs = [user["user"].pop("exec", None) for user in config["users"]]
    out.append({"config": config, "execs": execs})
print(json.dumps(out))
"#;

#[test]
fn update_kubeconfig_writes_what_the_aws_cli_writes_but_the_exec_plugin_and_keeps_the_rest() {
    let sb = Sandbox::logged_in(default_scenario());
    let moto = sb.urls().moto.clone();
    let py = python().display().to_string();
    let as_admin = |script: &str, args: &[&str]| {
        let out = sb
            .run([
                "run-as",
                "--account",
                PROD_LABEL,
                "--role",
                ADMIN,
                "--region",
                "eu-west-1",
            ])
            .args(["--", py.as_str(), "-c", script])
            .args(args)
            .env("AWS_ENDPOINT_URL_EKS", &moto)
            .any_stdout()
            .any_stderr()
            .run();
        out
    };
    as_admin(CREATE_CLUSTER, &[CLUSTER]);

    // A kubeconfig with someone else's entries and a comment, in kubectl's layout.
    let ours = sb.home().join(".kube/config");
    std::fs::create_dir_all(ours.parent().unwrap()).unwrap();
    let before = "apiVersion: v1\n# hand-written\nclusters:\n- cluster:\n    server: https://other.example\n  name: other\ncontexts:\n- context:\n    cluster: other\n    user: other\n  name: other\ncurrent-context: other\nkind: Config\npreferences: {}\nusers:\n- name: other\n  user:\n    token: abc\n";
    std::fs::write(&ours, before).unwrap();
    // Nothing on stdout (the builder's default), as the AWS CLI prints nothing there either.
    let update_kubeconfig = || {
        sb.run(["aws", "--account", PROD_LABEL, "eks", "update-kubeconfig"])
            .args(["--cluster-name", CLUSTER, "--role", ADMIN])
            .args(["--region", "eu-west-1"])
            .env("AWS_ENDPOINT_URL_EKS", &moto)
            .any_stderr()
            .run()
    };
    update_kubeconfig();
    let after = std::fs::read_to_string(&ours).unwrap();
    // Every line that was there is still there, in order, untouched but current-context.
    let kept: Vec<&str> = before
        .lines()
        .filter(|l| !l.starts_with("current-context"))
        .collect();
    let mut rest = after.lines();
    for line in &kept {
        assert!(rest.any(|l| l == *line), "{line:?} lost:\n{after}");
    }
    assert_eq!(
        std::fs::read_to_string(ours.with_file_name("config.bak")).unwrap(),
        before
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&ours).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // The AWS CLI's, from the same start, for the same cluster.
    let theirs = sb.home().join("aws-cli-kubeconfig");
    std::fs::write(&theirs, before).unwrap();
    let theirs_arg = theirs.display().to_string();
    as_admin(
        "import sys; from awscli.clidriver import main; sys.argv = ['aws'] + sys.argv[1:]; sys.exit(main())",
        &["eks", "update-kubeconfig", "--name", CLUSTER, "--kubeconfig", &theirs_arg],
    );
    let ours_arg = ours.display().to_string();
    let both = sb
        .command(python())
        .args(["-c", READ_BOTH, &ours_arg, &theirs_arg])
        .output()
        .unwrap();
    assert_success(&both);
    let both: Value = serde_json::from_slice(&both.stdout).unwrap();
    assert_eq!(both[0]["config"], both[1]["config"]);
    let exec = &both[0]["execs"][1];
    assert_eq!(exec["command"], "p0");
    assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(
        exec["args"],
        serde_json::json!([
            "aws",
            "--account",
            PROD_LABEL,
            "eks",
            "get-token",
            "--cluster-name",
            CLUSTER,
            "--role",
            ADMIN,
            "--region",
            "eu-west-1"
        ])
    );

    // Again: the entries are replaced in place, nothing added twice.
    update_kubeconfig();
    assert_eq!(std::fs::read_to_string(&ours).unwrap(), after);
}
