//! AWS partitions and enterprise network settings end to end (issue 19, items 10 and 11): the
//! sandbox's Okta app posts to each partition's sign-in endpoint with that partition's ARNs
//! (scenario knobs `partition` and `signin_region`), moto assumes the role, and `--debug` says
//! which STS region `p0` chose. Where the STS host itself matters (a regional, FIPS or
//! dual-stack one), no endpoint override is set and a loopback proxy (`HTTPS_PROXY`) records
//! the host `p0` asks it to CONNECT to, then refuses: nothing leaves the machine.

use crate::harness::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The default scenario with `prod` (Okta SAML, `Admin`) in `partition`, its Okta app posting
/// to the regional sign-in endpoint of `signin_region` when given.
fn scenario(partition: &str, signin_region: Option<&str>) -> Value {
    let mut account = okta_account(
        PROD,
        PROD_LABEL,
        json!({ADMIN: {"policy": {"outcome": "approve"}}}),
    );
    account["partition"] = json!(partition);
    if let Some(region) = signin_region {
        account["signin_region"] = json!(region);
    }
    with_accounts(json!([account]))
}

/// `p0 --debug aws ... role assume Admin` through moto; the credentials work for the aws CLI,
/// and the debug log names the STS region chosen.
fn assumes_through_moto(partition: &str, signin_region: Option<&str>, sts_region: &str) {
    let sb = Sandbox::logged_in(scenario(partition, signin_region));
    let output = sb
        .run(["--debug"])
        .args(ASSUME_ADMIN)
        .any_code()
        .any_stdout()
        .any_stderr()
        .run();
    let log = stderr(&output);
    assert!(output.status.success(), "{partition}: {log}");
    assert!(
        log.contains(&format!("Sts endpoint: {}", sb.urls().sts))
            && log.contains(&format!("region {sts_region})")),
        "{partition}: STS in {sts_region} expected:\n{log}"
    );
    let vars = exports(&output);
    let identity = sb
        .aws_cli()
        .args(["sts", "get-caller-identity"])
        .envs(&vars)
        .output()
        .unwrap();
    assert_success(&identity);
    // moto names every assumed role in the `aws` partition; the account and role are what
    // the assertion said.
    let identity: Value = serde_json::from_slice(&identity.stdout).unwrap();
    assert!(
        identity["Arn"]
            .as_str()
            .unwrap()
            .contains(&format!("{PROD}:assumed-role/Admin/")),
        "{identity}"
    );
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1, "{:?}", sb.calls());
}

#[test]
fn a_regional_commercial_sign_in_sends_sts_to_that_region() {
    assumes_through_moto("aws", Some("eu-west-1"), "eu-west-1");
}

#[test]
fn govcloud_roles_go_to_govclouds_sts() {
    assumes_through_moto("aws-us-gov", None, "us-gov-west-1");
}

#[test]
fn china_roles_are_no_longer_dropped() {
    // Before: `Role Admin not available. Available roles:` (the aws-cn ARN was not read).
    assumes_through_moto("aws-cn", Some("cn-northwest-1"), "cn-northwest-1");
}

#[test]
fn european_sovereign_cloud_roles_are_assumed() {
    assumes_through_moto("aws-eusc", None, "eusc-de-east-1");
}

#[test]
fn identity_center_in_china_uses_its_start_url_form() {
    let mut scenario = default_scenario();
    scenario["accounts"][1]["idc_region"] = json!("cn-northwest-1");
    let sb = Sandbox::logged_in(scenario);
    let output = sb.p0_in_terminal(&[
        "aws",
        "--account",
        "dev",
        "permission-set",
        "assume",
        "Developer",
    ]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    // The sandbox's Identity Center knows the account only by the start URL AWS shows for it.
    assert_eq!(sb.count("oidc.device_authorization"), 1);
    assert_eq!(sb.count("sso.role_credentials"), 1);
}

/// A loopback HTTPS proxy that records the target of each CONNECT and refuses it (502), for
/// at most `limit` connections or 60 s.
fn recording_proxy(limit: usize) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, targets) = mpsc::channel();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = 0;
        while served < limit && Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                match stream.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&head);
            if let Some(target) = head.lines().next().and_then(|l| l.strip_prefix("CONNECT ")) {
                let _ = sender.send(target.split(' ').next().unwrap_or("").to_string());
            }
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, targets)
}

/// The host `p0 aws ... role assume Admin` connects to for STS, with no endpoint override and
/// `vars` set, through the recording proxy. The call itself then fails (exit 69).
fn sts_host(sb: &Sandbox, vars: &[(&str, &str)]) -> String {
    let (proxy, targets) = recording_proxy(8);
    let output = sb
        .run(ASSUME_ADMIN)
        .env_remove("AWS_ENDPOINT_URL_STS")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTPS_PROXY", &proxy)
        .env("P0_CALL_TIMEOUT", "6")
        .envs(vars.iter().copied())
        .code(69)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(
        stderr(&output).contains("STS AssumeRoleWithSAML failed"),
        "{}",
        stderr(&output)
    );
    targets
        .recv_timeout(Duration::from_secs(10))
        .expect("p0 asked the proxy for STS")
}

#[test]
fn the_sts_host_follows_the_sign_in_region_and_the_fips_and_dual_stack_settings() {
    let sb = Sandbox::logged_in(scenario("aws", Some("eu-west-1")));
    assert_eq!(sts_host(&sb, &[]), "sts.eu-west-1.amazonaws.com:443");
    assert_eq!(
        sts_host(&sb, &[("AWS_USE_FIPS_ENDPOINT", "true")]),
        "sts-fips.eu-west-1.amazonaws.com:443"
    );
    assert_eq!(
        sts_host(&sb, &[("AWS_USE_DUALSTACK_ENDPOINT", "true")]),
        "sts.eu-west-1.api.aws:443"
    );
    // The profile in effect says it when the variables do not.
    let config = sb.home().join(".aws/config");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        "[default]\nuse_fips_endpoint = true\n[profile v6]\nuse_dualstack_endpoint = true\n",
    )
    .unwrap();
    assert_eq!(sts_host(&sb, &[]), "sts-fips.eu-west-1.amazonaws.com:443");
    assert_eq!(
        sts_host(&sb, &[("AWS_PROFILE", "v6")]),
        "sts.eu-west-1.api.aws:443"
    );
    assert_eq!(
        sts_host(&sb, &[("AWS_USE_FIPS_ENDPOINT", "false")]),
        "sts.eu-west-1.amazonaws.com:443"
    );
}

#[test]
fn china_dual_stack_sts_is_on_chinas_own_suffix() {
    let sb = Sandbox::logged_in(scenario("aws-cn", None));
    assert_eq!(sts_host(&sb, &[]), "sts.cn-north-1.amazonaws.com.cn:443");
    assert_eq!(
        sts_host(&sb, &[("AWS_USE_DUALSTACK_ENDPOINT", "true")]),
        "sts.cn-north-1.api.amazonwebservices.com.cn:443"
    );
}

/// A TLS-inspecting proxy in front of P0 and STS, with a CA of its own: refused without the
/// bundle (a clear message, exit 78, at once rather than after P0's retries), trusted with
/// `AWS_CA_BUNDLE` or the profile's `ca_bundle`.
#[test]
fn a_ca_bundle_makes_a_tls_inspecting_proxy_trusted_for_p0_and_sts() {
    let sb = Sandbox::start(default_scenario());
    let ca = p0_testkit::tls::TestCa::new();
    let p0_front = ca.front(&sb.urls().p0);
    let sts_front = ca.front(&sb.urls().sts);
    let bundle = sb.home().join("proxy-ca.pem");
    std::fs::write(&bundle, ca.pem()).unwrap();
    let login = |vars: &[(&str, &str)]| {
        sb.run(["login", sb.org()])
            .env("P0_APP_URL", &p0_front.url)
            .envs(vars.iter().copied())
            .any_code()
            .any_stdout()
            .any_stderr()
            .run()
    };

    let started = Instant::now();
    let refused = login(&[]);
    let text = stderr(&refused);
    assert_eq!(refused.status.code(), Some(78), "{text}");
    assert!(
        text.contains(&format!("The TLS certificate of {}", p0_front.url))
            && text.contains(
                "is not one this machine trusts (invalid peer certificate: UnknownIssuer)"
            )
            && text.contains("set AWS_CA_BUNDLE (or ca_bundle in ~/.aws/config)"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no retries of a refused certificate"
    );

    // A bundle that cannot be used is said, and the call still fails on the certificate.
    let missing = sb.home().join("missing.pem");
    let unusable = login(&[("AWS_CA_BUNDLE", missing.to_str().unwrap())]);
    let text = stderr(&unusable);
    assert_eq!(unusable.status.code(), Some(78), "{text}");
    assert!(
        text.contains(&format!(
            "p0: warning: AWS_CA_BUNDLE names {}, which cannot be read",
            missing.display()
        )),
        "{text}"
    );

    let trusted = login(&[("AWS_CA_BUNDLE", bundle.to_str().unwrap())]);
    assert!(trusted.status.success(), "{}", stderr(&trusted));

    // STS behind the proxy (P0 reached directly): the SDK's call, through the same client,
    // refuses it too...
    let assume = |p0_url: &str, vars: &[(&str, &str)]| {
        sb.run(ASSUME_ADMIN)
            .arg("--refresh-credentials")
            .env("P0_APP_URL", p0_url)
            .env("AWS_ENDPOINT_URL_STS", &sts_front.url)
            .envs(vars.iter().copied())
            .any_code()
            .any_stdout()
            .any_stderr()
            .run()
    };
    let refused = assume(&sb.urls().p0, &[]);
    let text = stderr(&refused);
    assert_eq!(refused.status.code(), Some(69), "{text}");
    assert!(
        text.contains("STS AssumeRoleWithSAML failed")
            && text.contains("invalid peer certificate: UnknownIssuer"),
        "{text}"
    );
    // ... and the profile in effect's `ca_bundle` makes P0 and STS both trusted.
    std::fs::create_dir_all(sb.home().join(".aws")).unwrap();
    std::fs::write(
        sb.home().join(".aws/config"),
        format!("[profile corp]\nca_bundle = {}\n", bundle.display()),
    )
    .unwrap();
    let through = assume(&p0_front.url, &[("AWS_PROFILE", "corp")]);
    assert!(through.status.success(), "{}", stderr(&through));
    assert!(exports(&through).contains_key("AWS_SESSION_TOKEN"));
    assert!(sb.count("sts.AssumeRoleWithSAML") >= 1, "{:?}", sb.calls());
}

/// The same proxy in front of Identity Center's portal (GetRoleCredentials, through the SDK
/// and the one client): refused without the bundle, trusted with `AWS_CA_BUNDLE`.
#[test]
fn a_ca_bundle_makes_identity_center_behind_the_proxy_trusted() {
    let sb = Sandbox::logged_in(default_scenario());
    let assume_dev = [
        "aws",
        "--account",
        "dev",
        "permission-set",
        "assume",
        "Developer",
    ];
    // Sign in to Identity Center once (plain endpoints), so the token is cached.
    let signed_in = sb.p0_in_terminal(&assume_dev);
    assert!(signed_in.status.success(), "{}", stdout(&signed_in));
    let ca = p0_testkit::tls::TestCa::new();
    let sso_front = ca.front(&sb.urls().sso);
    let bundle = sb.home().join("proxy-ca.pem");
    std::fs::write(&bundle, ca.pem()).unwrap();
    let fetch = |vars: &[(&str, &str)]| {
        sb.run(assume_dev)
            .arg("--refresh-credentials")
            .env("AWS_ENDPOINT_URL_SSO", &sso_front.url)
            .envs(vars.iter().copied())
            .any_code()
            .any_stdout()
            .any_stderr()
            .run()
    };
    sb.reset_calls();
    let refused = fetch(&[]);
    let text = stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(
        text.contains("invalid peer certificate: UnknownIssuer"),
        "{text}"
    );
    assert_eq!(sb.count("sso.role_credentials"), 0, "nothing got through");
    let trusted = fetch(&[("AWS_CA_BUNDLE", bundle.to_str().unwrap())]);
    assert!(trusted.status.success(), "{}", stderr(&trusted));
    assert!(exports(&trusted).contains_key("AWS_SESSION_TOKEN"));
    assert_eq!(sb.count("sso.role_credentials"), 1);
}
