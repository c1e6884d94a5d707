//! The sandbox checked by clients nobody here wrote: botocore drives its Identity Center, the
//! aws CLI takes its SAML assertion to moto, plain HTTP walks its Okta, Firebase and P0 APIs
//! as the protocol describes them. Plus its faults, expiry and the poll stream, and the test
//! harness itself (`p0-testkit`, which `p0`'s end-to-end tests use too).

use p0_testkit::{default_scenario, text, Sandbox};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

/// This crate's `p0-sandbox` (with the test python's moto) running `scenario`.
fn start(scenario: Value) -> Sandbox {
    Sandbox::start(Path::new(env!("CARGO_BIN_EXE_p0-sandbox")), scenario)
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

// ---- plain HTTP, as any client would speak it ----

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = response.expect("the sandbox answers");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn post_form(url: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    answer(agent().post(url).send_form(fields.iter().copied()))
}

fn post_json(url: &str, body: &Value) -> (u16, Value) {
    answer(agent().post(url).send_json(body))
}

fn get_bearer(url: &str, bearer: &str) -> (u16, Value) {
    answer(
        agent()
            .get(url)
            .header("authorization", &format!("Bearer {bearer}"))
            .call(),
    )
}

fn post_bearer(url: &str, bearer: &str, body: &Value) -> (u16, Value) {
    answer(
        agent()
            .post(url)
            .header("authorization", &format!("Bearer {bearer}"))
            .send_json(body),
    )
}

struct OktaTokens {
    access_token: String,
    id_token: String,
}

fn org_document(sb: &Sandbox) -> Value {
    let (status, document) = answer(agent().get(format!("{}/orgs/acme", sb.urls().p0)).call());
    assert_eq!(status, 200, "{document}");
    document
}

/// The Okta device flow of §2.2, polling through whatever the scenario answers first.
fn okta_device_login(sb: &Sandbox) -> (OktaTokens, Vec<String>) {
    let okta = &sb.urls().okta;
    let (status, device) = post_form(
        &format!("{okta}/oauth2/v1/device/authorize"),
        &[
            ("client_id", "0oa-cli"),
            ("scope", "openid email profile okta.apps.sso"),
        ],
    );
    assert_eq!(status, 200, "{device}");
    let device_code = device["device_code"].as_str().unwrap();
    let mut errors = Vec::new();
    for _ in 0..10 {
        let (status, token) = post_form(
            &format!("{okta}/oauth2/v1/token"),
            &[
                ("client_id", "0oa-cli"),
                ("device_code", device_code),
                ("grant_type", DEVICE_GRANT),
            ],
        );
        if status == 200 {
            assert_eq!(token["token_type"], "Bearer");
            assert_eq!(token["scope"], "openid email profile okta.apps.sso");
            let tokens = OktaTokens {
                access_token: token["access_token"].as_str().unwrap().into(),
                id_token: token["id_token"].as_str().unwrap().into(),
            };
            return (tokens, errors);
        }
        assert_eq!(status, 400, "{token}");
        let error = token["error"].as_str().unwrap().to_string();
        let terminal = !matches!(error.as_str(), "authorization_pending" | "slow_down");
        errors.push(error);
        if terminal {
            break;
        }
    }
    panic!("the device flow did not succeed: {errors:?}");
}

/// §2.5 over REST: the Firebase ID token the P0 API takes as bearer, and the refresh token.
fn firebase_sign_in(sb: &Sandbox, okta: &OktaTokens) -> (String, String) {
    let document = org_document(sb);
    let key = document["config"]["fs"]["apiKey"].as_str().unwrap();
    let post_body = format!(
        "id_token={}&access_token={}&providerId={}",
        okta.id_token,
        okta.access_token,
        document["auth"]["provider"]["providerId"].as_str().unwrap()
    );
    let (status, answer) = post_json(
        &format!(
            "http://{}/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp?key={key}",
            sb.urls().firebase_emulator_host
        ),
        &json!({
            "requestUri": "http://localhost",
            "returnSecureToken": true,
            "tenantId": document["tenantId"],
            "postBody": post_body,
        }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["expiresIn"], "3600");
    assert_eq!(answer["email"], "alice@example.com");
    (
        answer["idToken"].as_str().unwrap().into(),
        answer["refreshToken"].as_str().unwrap().into(),
    )
}

/// The `exp` and `email` claims of a JWT-shaped token.
fn jwt_claims(token: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not JWT-shaped: {token}");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

/// Decodes the `&#xHH;` and named entities Okta writes into attribute values.
fn html_unescape(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find(';').expect("entities end with ;");
        let entity = &rest[start + 1..end];
        let decoded = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            hex if hex.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&hex[2..], 16).unwrap()).unwrap()
            }
            other => panic!("unexpected entity &{other};"),
        };
        out.push(decoded);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The token exchange of §5.2 and the SSO page of §5.3: the SAMLResponse value as served
/// (entity-encoded) and decoded.
fn saml_response(sb: &Sandbox, okta: &OktaTokens) -> Option<(String, String)> {
    let page = sso_page(sb, okta);
    let marker = "name=\"SAMLResponse\" type=\"hidden\" value=\"";
    let start = page.find(marker)? + marker.len();
    let raw = &page[start..start + page[start..].find('"').unwrap()];
    Some((raw.to_string(), html_unescape(raw)))
}

/// Okta's SSO page for the AWS app, through a fresh web SSO token.
fn sso_page(sb: &Sandbox, okta: &OktaTokens) -> String {
    let (status, exchanged) = post_form(
        &format!("{}/oauth2/v1/token", sb.urls().okta),
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("audience", "urn:okta:apps:0oa-aws-prod"),
            ("client_id", "0oa-cli"),
            ("actor_token", &okta.access_token),
            (
                "actor_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("subject_token", &okta.id_token),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
            (
                "requested_token_type",
                "urn:okta:oauth:token-type:web_sso_token",
            ),
        ],
    );
    assert_eq!(status, 200, "{exchanged}");
    assert_eq!(
        exchanged["issued_token_type"],
        "urn:okta:oauth:token-type:web_sso_token"
    );
    assert_eq!(exchanged["token_type"], "N_A");
    let web_sso_token = exchanged["access_token"].as_str().unwrap();
    let (status, page) = answer(
        agent()
            .get(format!("{}/login/token/sso", sb.urls().okta))
            .query("token", web_sso_token)
            .header("accept", "application/json")
            .call(),
    );
    assert_eq!(status, 200);
    page.as_str().expect("an HTML page").to_string()
}

fn decode_assertion(b64: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    String::from_utf8(STANDARD.decode(b64).expect("base64")).expect("UTF-8 XML")
}

fn aws_json(output: std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "aws failed: {}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("aws prints JSON")
}

// ---- the harness itself ----

#[test]
fn children_run_without_a_terminal_unless_asked_for_one() {
    let sb = start(default_scenario());
    let probe = "if (: </dev/tty) 2>/dev/null; then echo tty; else echo no-tty; fi; \
                 echo \"$HOME|$P0_APP_URL|$AWS_ENDPOINT_URL_STS|$P0_NO_BROWSER|${AWS_PROFILE-unset}\"";
    let output = sb
        .command("sh")
        .args(["-c", probe])
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let out = text(&output.stdout);
    let expected = format!(
        "no-tty\n{}|{}|{}|1|unset\n",
        sb.home().display(),
        sb.urls().p0,
        sb.urls().sts
    );
    assert_eq!(out, expected);

    let output = sb.in_terminal(
        "sh",
        &[
            "-c",
            "test -t 0 && test -t 1 && test -t 2 && (: </dev/tty) && echo all-terminals",
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert_eq!(text(&output.stdout), "all-terminals\n");
}

/// Whether something still listens at `http://127.0.0.1:PORT`.
fn listening(url: &str) -> bool {
    let address = url.trim_start_matches("http://");
    std::net::TcpStream::connect(address).is_ok()
}

fn wait_until_closed(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while listening(url) {
        assert!(Instant::now() < deadline, "{url} still listens");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn moto_never_outlives_the_sandbox() {
    let mut sb = start(default_scenario());
    let moto = sb.urls().moto.clone();
    assert!(listening(&moto));
    let status = sb.close_stdin_and_wait(Duration::from_secs(5));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    wait_until_closed(&moto);

    let sb = start(default_scenario());
    let moto = sb.urls().moto.clone();
    sb.kill_now();
    wait_until_closed(&moto);
}

// ---- P0, Okta and Firebase as the protocol describes them ----

#[test]
fn okta_device_flow_firebase_and_the_p0_api_work_together() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"] = json!({"pending_polls": 1, "slow_down_polls": 1, "interval": 0});
    scenario["heartbeat_ms"] = json!(50);
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "approve", "after_ms": 300});
    // Object order in the AWS config must follow the scenario, not the ids.
    scenario["accounts"].as_array_mut().unwrap().reverse();
    let sb = start(scenario);

    let document = org_document(&sb);
    assert_eq!(document["auth"]["type"], "sso");
    let provider = &document["auth"]["provider"];
    assert_eq!(provider["ssoProvider"], "oidc-pkce");
    assert_eq!(provider["providerType"], "okta");
    assert_eq!(
        provider["providerDomain"].as_str(),
        Some(sb.urls().okta.as_str())
    );
    assert_eq!(
        document["config"]["appUrl"].as_str(),
        Some(sb.urls().p0.as_str())
    );
    assert!(document.get("useProviderToken").is_none());
    let (status, missing) = answer(agent().get(format!("{}/orgs/other", sb.urls().p0)).call());
    assert_eq!((status, missing), (404, json!({"error": "Not found"})));

    let (okta, errors) = okta_device_login(&sb);
    assert_eq!(errors, ["authorization_pending", "slow_down"]);
    let claims = jwt_claims(&okta.id_token);
    assert_eq!(claims["email"], "alice@example.com");
    assert!(claims["exp"].as_u64().is_some() && claims["sub"].is_string());

    let p0 = &sb.urls().p0;
    let (status, _) = get_bearer(&format!("{p0}/o/acme/account"), &okta.access_token);
    assert_eq!(status, 401, "a Firebase org does not take the Okta token");
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    assert_eq!(jwt_claims(&bearer)["email"], "alice@example.com");
    let (status, _) = get_bearer(&format!("{p0}/o/acme/account"), &bearer);
    assert_eq!(status, 200);
    let (status, body) = get_bearer(&format!("{p0}/o/acme/account"), "garbage");
    assert_eq!((status, body), (401, json!({"error": "Unauthorized"})));

    // Raw text: the object order is part of the contract.
    let mut config = agent()
        .get(format!("{p0}/o/acme/integrations/aws/config"))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    let config = config.body_mut().read_to_string().unwrap();
    let idc_at = config.find("\"210987654321\"").unwrap();
    let okta_at = config.find("\"123456789012\"").unwrap();
    assert!(idc_at < okta_at, "scenario order lost: {config}");
    let config: Value = serde_json::from_str(&config).unwrap();
    let prod = &config["config"]["iam-write"]["123456789012"];
    assert_eq!(prod["state"], "installed");
    assert_eq!(
        prod["login"],
        json!({"type": "federated", "provider": {"type": "okta", "appId": "0oa-aws-prod",
               "identityProvider": "OktaP0", "method": {"type": "saml"}}})
    );
    let dev = &config["config"]["iam-write"]["210987654321"]["login"];
    assert_eq!(dev["idcRegion"], "us-west-2");
    assert_eq!(dev["identityStoreId"], "d-1234567890");

    let command = format!("{p0}/o/acme/command/");
    let (status, created) = post_bearer(
        &command,
        &bearer,
        &json!({"argv": ["request", "aws", "role", "Admin", "--account", "prod", "--reason", "deploy"],
                "scriptName": "p0"}),
    );
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["ok"], true);
    assert_eq!(created["isPreexisting"], false);
    let id = created["id"].as_str().unwrap();

    let started = Instant::now();
    let mut stream = agent()
        .get(format!("{p0}/o/acme/command/{id}/poll"))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    let lines: Vec<Value> = BufReader::new(stream.body_mut().as_reader())
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    let (data, heartbeats) = lines.split_last().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(heartbeats.len() >= 3, "{lines:?}");
    assert!(heartbeats
        .iter()
        .all(|l| *l == json!({"type": "heartbeat"})));
    assert_eq!(data["type"], "data");
    assert_eq!(data["data"]["request"]["status"], "APPROVED");

    let (status, bad) = post_bearer(
        &command,
        &bearer,
        &json!({"argv": ["request", "aws", "role", "Nope", "--account", "prod"], "scriptName": "p0"}),
    );
    assert_eq!(status, 400);
    assert!(bad["error"].as_str().unwrap().contains("Nope"), "{bad}");
    let (status, listed) = post_bearer(
        &command,
        &bearer,
        &json!({"argv": ["ls", "aws", "permission-set", "--size", "30"], "scriptName": "p0"}),
    );
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["key"], "Developer");
    assert_eq!(listed["isTruncated"], false);
    assert_eq!(listed["arg"], "permission-set");

    assert_eq!(sb.count("okta.device_token"), 3);
    assert_eq!(sb.count("firebase.sign_in"), 1);
    assert_eq!(sb.count("p0.command"), 3);
    assert_eq!(
        sb.commands()[2],
        ["ls", "aws", "permission-set", "--size", "30"]
    );
    sb.reset_calls();
    assert!(sb.calls().is_empty());
}

#[test]
fn provider_token_orgs_take_the_okta_access_token() {
    let mut scenario = default_scenario();
    scenario["use_provider_token"] = json!(true);
    let sb = start(scenario);
    assert_eq!(org_document(&sb)["useProviderToken"], true);
    let (okta, _) = okta_device_login(&sb);
    let account = format!("{}/o/acme/account", sb.urls().p0);
    assert_eq!(get_bearer(&account, &okta.access_token).0, 200);
    assert_eq!(get_bearer(&account, &okta.id_token).0, 401);
    sb.expire("okta");
    assert_eq!(get_bearer(&account, &okta.access_token).0, 401);
}

#[test]
fn expiry_refresh_and_device_outcomes() {
    let mut scenario = default_scenario();
    scenario["okta"]["device"] = json!({"approval": "manual"});
    let sb = start(scenario);
    let okta_url = sb.urls().okta.clone();
    let authorize = || {
        post_form(
            &format!("{okta_url}/oauth2/v1/device/authorize"),
            &[
                ("client_id", "0oa-cli"),
                ("scope", "openid email profile okta.apps.sso"),
            ],
        )
        .1
    };
    let poll = |device: &Value| {
        post_form(
            &format!("{okta_url}/oauth2/v1/token"),
            &[
                ("client_id", "0oa-cli"),
                ("device_code", device["device_code"].as_str().unwrap()),
                ("grant_type", DEVICE_GRANT),
            ],
        )
    };
    let (status, wrong_client) = post_form(
        &format!("{okta_url}/oauth2/v1/device/authorize"),
        &[("client_id", "someone-else"), ("scope", "openid")],
    );
    assert_eq!(
        (status, &wrong_client["error"]),
        (401, &json!("invalid_client"))
    );

    let device = authorize();
    assert_eq!(poll(&device).1["error"], "authorization_pending");
    let pending = sb.pending_devices();
    assert_eq!(
        pending,
        [json!({"kind": "okta", "user_code": device["user_code"]})]
    );
    sb.approve_next_device(Duration::from_secs(5));
    let (status, tokens) = poll(&device);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        poll(&device).1["error"],
        "invalid_grant",
        "a device code is single-use"
    );
    let okta = OktaTokens {
        access_token: tokens["access_token"].as_str().unwrap().into(),
        id_token: tokens["id_token"].as_str().unwrap().into(),
    };

    let (bearer, refresh_token) = firebase_sign_in(&sb, &okta);
    let account = format!("{}/o/acme/account", sb.urls().p0);
    assert_eq!(get_bearer(&account, &bearer).0, 200);
    sb.expire("firebase");
    assert_eq!(get_bearer(&account, &bearer).0, 401);
    let key = org_document(&sb)["config"]["fs"]["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let securetoken = format!(
        "http://{}/securetoken.googleapis.com/v1/token?key={key}",
        sb.urls().firebase_emulator_host
    );
    let (status, refreshed) = post_form(
        &securetoken,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ],
    );
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["expires_in"], "3600");
    assert_eq!(
        get_bearer(&account, refreshed["id_token"].as_str().unwrap()).0,
        200
    );
    let (status, bad) = post_form(
        &securetoken,
        &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
    );
    assert_eq!(
        (status, &bad["error"]["message"]),
        (400, &json!("INVALID_REFRESH_TOKEN"))
    );

    // An expired Okta session: Firebase refuses its id_token as Google does.
    sb.expire("okta");
    let document = org_document(&sb);
    let (status, refused) = post_json(
        &format!(
            "http://{}/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp?key={key}",
            sb.urls().firebase_emulator_host
        ),
        &json!({"requestUri": "http://localhost", "returnSecureToken": true,
                "tenantId": document["tenantId"],
                "postBody": format!("id_token={}&providerId=oidc.okta-acme", okta.id_token)}),
    );
    assert_eq!(status, 400);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("INVALID_IDP_RESPONSE : "), "{refused}");
    assert_eq!(refused["error"]["code"], 400);

    let denied_sb = start({
        let mut s = default_scenario();
        s["okta"]["device"] = json!({"approval": "deny"});
        s["idc"]["device"] = json!({"expires_in": 0});
        s
    });
    let device = post_form(
        &format!("{}/oauth2/v1/device/authorize", denied_sb.urls().okta),
        &[("client_id", "0oa-cli"), ("scope", "openid")],
    )
    .1;
    let (status, denied) = post_form(
        &format!("{}/oauth2/v1/token", denied_sb.urls().okta),
        &[
            ("client_id", "0oa-cli"),
            ("device_code", device["device_code"].as_str().unwrap()),
            ("grant_type", DEVICE_GRANT),
        ],
    );
    assert_eq!((status, &denied["error"]), (400, &json!("access_denied")));

    // Identity Center: a device code past its expires_in.
    let oidc = &denied_sb.urls().sso_oidc;
    let client = post_json(
        &format!("{oidc}/client/register"),
        &json!({"clientName": "t", "clientType": "public"}),
    )
    .1;
    let credentials =
        json!({"clientId": client["clientId"], "clientSecret": client["clientSecret"]});
    let mut start = credentials.clone();
    start["startUrl"] = json!("https://d-1234567890.awsapps.com/start");
    let auth = post_json(&format!("{oidc}/device_authorization"), &start).1;
    let mut create = credentials.clone();
    create["grantType"] = json!(DEVICE_GRANT);
    create["deviceCode"] = auth["deviceCode"].clone();
    let mut expired = agent()
        .post(format!("{oidc}/token"))
        .send_json(&create)
        .unwrap();
    assert_eq!(expired.status().as_u16(), 400);
    assert_eq!(
        expired.headers()["x-amzn-errortype"].to_str().unwrap(),
        "ExpiredTokenException"
    );
    let body: Value = serde_json::from_str(&expired.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["error"], "expired_token");
    let mut wrong_start = credentials;
    wrong_start["startUrl"] = json!("https://d-0000000000.awsapps.com/start");
    assert_eq!(
        post_json(&format!("{oidc}/device_authorization"), &wrong_start).0,
        400
    );
}

// ---- faults ----

#[test]
fn faults_answer_as_each_service_would_and_wear_off() {
    let mut scenario = default_scenario();
    scenario["faults"] = json!([{"endpoint": "p0.org", "status": 500, "times": 2}]);
    let sb = start(scenario);
    let org = format!("{}/orgs/acme", sb.urls().p0);
    let get = || answer(agent().get(&org).call());
    assert_eq!(get(), (500, json!({"error": "Internal Server Error"})));
    assert_eq!(get().0, 500);
    assert_eq!(get().0, 200, "times: 2 wears off");

    sb.fault(json!({"endpoint": "p0.org", "status": 429}));
    let (status, body) = get();
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!("Too Many Requests"),
        "P0's rate limiter answers in text"
    );

    sb.fault(json!({"endpoint": "p0.org", "latency_ms": 300}));
    let started = Instant::now();
    assert_eq!(get().0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    sb.fault(json!({"endpoint": "p0.org", "close": true}));
    assert!(
        agent().get(&org).call().is_err(),
        "the connection closes unanswered"
    );
    assert_eq!(get().0, 200);

    sb.fault(json!([
        {"endpoint": "firebase.sign_in", "status": 429},
        {"endpoint": "oidc.token", "status": 500},
        {"endpoint": "sts.GetCallerIdentity", "status": 500},
    ]));
    let (status, google) = post_json(
        &format!(
            "http://{}/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp?key=x",
            sb.urls().firebase_emulator_host
        ),
        &json!({}),
    );
    assert_eq!(status, 429);
    assert_eq!(google["error"]["message"], "TOO_MANY_ATTEMPTS_TRY_LATER");
    let mut oidc = agent()
        .post(format!("{}/token", sb.urls().sso_oidc))
        .send_json(json!({}))
        .unwrap();
    assert_eq!(oidc.status().as_u16(), 500);
    assert_eq!(
        oidc.headers()["x-amzn-errortype"].to_str().unwrap(),
        "InternalServerException"
    );
    let _ = oidc.body_mut().read_to_string();
    let (status, sts) = post_form(
        &format!("{}/", sb.urls().sts),
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    );
    assert_eq!(status, 500);
    assert!(sts
        .as_str()
        .unwrap()
        .contains("<Code>InternalFailure</Code>"));

    let (status, rejected) = answer(
        agent()
            .post(format!("{}/faults", sb.urls().control))
            .send_json(json!({"endpoint": "p0.nothing", "status": 500})),
    );
    assert_eq!(status, 400, "{rejected}");

    let counts = sb.calls();
    assert_eq!(counts["p0.org"], 7);
    assert_eq!(counts["sts"], 1);
    assert_eq!(counts["sts.GetCallerIdentity"], 1);
}

#[test]
fn the_poll_stream_heartbeats_waits_and_can_be_cut() {
    let mut scenario = default_scenario();
    scenario["heartbeat_ms"] = json!(50);
    scenario["server_wait_limit_ms"] = json!(400);
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"outcome": "never", "message": "still waiting on the approvers"});
    scenario["accounts"][1]["permission_sets"]["Developer"]["policy"] =
        json!({"outcome": "deny", "message": "not today"});
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let p0 = sb.urls().p0.clone();
    let create = |argv: Value| {
        let (status, created) = post_bearer(
            &format!("{p0}/o/acme/command/"),
            &bearer,
            &json!({"argv": argv, "scriptName": "p0"}),
        );
        assert_eq!(status, 200, "{created}");
        created["id"].as_str().unwrap().to_string()
    };
    let open = |id: &str| {
        agent()
            .get(format!("{p0}/o/acme/command/{id}/poll"))
            .header("authorization", &format!("Bearer {bearer}"))
            .call()
            .unwrap()
    };

    let never = create(json!(["request", "aws", "role", "Admin"]));
    let started = Instant::now();
    let mut stream = open(&never);
    let lines: Vec<String> = BufReader::new(stream.body_mut().as_reader())
        .lines()
        .map(Result::unwrap)
        .collect();
    assert!(started.elapsed() >= Duration::from_millis(400));
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let status = last["data"]["request"]["status"].as_str().unwrap();
    assert!(
        !["APPROVED", "DONE", "DENIED", "ERRORED", "EXPIRED", "REVOKED"].contains(&status),
        "the server's wait limit ends with a non-terminal status, got {status}"
    );
    assert!(lines.len() >= 5, "heartbeats every 50 ms: {lines:?}");

    let denied = create(json!([
        "request",
        "aws",
        "permission-set",
        "Developer",
        "--account",
        "210987654321"
    ]));
    let mut stream = open(&denied);
    let body = stream.body_mut().read_to_string().unwrap();
    let data: Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
    assert_eq!(data["data"]["request"]["status"], "DENIED");
    assert_eq!(data["data"]["request"]["error"]["message"], "not today");

    sb.fault(json!({"endpoint": "p0.poll", "close": true}));
    let mut stream = open(&denied);
    let mut received = Vec::new();
    let outcome = stream.body_mut().as_reader().read_to_end(&mut received);
    let received = String::from_utf8_lossy(&received);
    assert!(
        outcome.is_err(),
        "a cut stream is an error, not a clean end: {received:?}"
    );
    let (first, rest) = received.split_once('\n').expect("one whole line first");
    assert_eq!(first, r#"{"type":"heartbeat"}"#);
    assert!(
        !rest.is_empty() && !rest.contains('\n'),
        "then half a line: {rest:?}"
    );
}

#[test]
fn malformed_answers_silent_streams_and_stopped_services() {
    let sb = start(default_scenario());
    // A 200 answer cut short, in each service's content type.
    let org = format!("{}/orgs/acme", sb.urls().p0);
    sb.fault(json!({"endpoint": "p0.org", "malformed": true}));
    let mut response = agent().get(&org).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.body_mut().read_to_string().unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    assert_eq!(answer(agent().get(&org).call()).0, 200, "worn off");
    sb.fault(json!({"endpoint": "sts.GetCallerIdentity", "malformed": true}));
    let (status, sts) = post_form(
        &format!("{}/", sb.urls().sts),
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    );
    assert_eq!(status, 200);
    let sts = sts.as_str().unwrap();
    assert!(
        sts.starts_with("<AssumeRoleWithSAMLResponse") && !sts.contains("</"),
        "{sts}"
    );
    let refused = agent()
        .post(format!("{}/faults", sb.urls().control))
        .send_json(json!({"endpoint": "okta.sso", "malformed": true}));
    assert_eq!(answer(refused).0, 400, "okta.sso answers HTML");

    // A silent poll stream: one heartbeat, then nothing while the connection stays open.
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let p0 = sb.urls().p0.clone();
    let (_, created) = post_bearer(
        &format!("{p0}/o/acme/command/"),
        &bearer,
        &json!({"argv": ["request", "aws", "role", "Admin"], "scriptName": "p0"}),
    );
    let id = created["id"].as_str().unwrap().to_string();
    sb.fault(json!({"endpoint": "p0.poll", "poll": "silent"}));
    let address = p0.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    std::io::Write::write_all(
        &mut socket,
        format!(
            "GET /o/acme/command/{id}/poll HTTP/1.1\r\nhost: {address}\r\n\
             authorization: Bearer {bearer}\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let ended = loop {
        match socket.read(&mut buffer) {
            Ok(0) => break "closed",
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(_) => break "silent",
        }
    };
    let received = String::from_utf8_lossy(&received);
    assert_eq!(ended, "silent", "{received}");
    assert_eq!(received.matches("heartbeat").count(), 1, "{received}");
    assert!(!received.contains("\"data\""), "{received}");

    // A malformed data line, then the end of the stream.
    sb.fault(json!({"endpoint": "p0.poll", "malformed": true}));
    let mut stream = agent()
        .get(format!("{p0}/o/acme/command/{id}/poll"))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    let body = stream.body_mut().read_to_string().unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(serde_json::from_str::<Value>(lines[1]).is_err(), "{body}");

    // A stopped service refuses connections, then comes back on the same port.
    let sts = sb.urls().sts.clone();
    assert!(listening(&sts));
    sb.stop_service("sts");
    wait_until_closed(&sts);
    let error = std::net::TcpStream::connect(sts.trim_start_matches("http://")).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    sb.start_service("sts");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !listening(&sts) {
        assert!(Instant::now() < deadline, "sts never came back");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, _) = post_form(
        &format!("{sts}/"),
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    );
    assert_eq!(status, 200);
}

// ---- Okta SAML to moto through the aws CLI ----

/// Knobs `partition` and `signin_region`: the app's form posts to that partition's sign-in
/// endpoint (regional when asked), with that partition's ARNs, and moto takes them.
#[test]
fn each_partition_has_its_arns_and_sign_in_endpoint() {
    for (partition, region, action) in [
        ("aws", None, "https://signin.aws.amazon.com/saml"),
        (
            "aws",
            Some("eu-west-1"),
            "https://eu-west-1.signin.aws.amazon.com/saml",
        ),
        (
            "aws-us-gov",
            None,
            "https://signin.amazonaws-us-gov.com/saml",
        ),
        (
            "aws-cn",
            Some("cn-northwest-1"),
            "https://cn-northwest-1.signin.amazonaws.cn/saml",
        ),
        (
            "aws-eusc",
            None,
            "https://eusc-de-east-1.signin.amazonaws-eusc.eu/saml",
        ),
    ] {
        let mut scenario = default_scenario();
        let prod = &mut scenario["accounts"][0];
        prod["partition"] = json!(partition);
        prod["signin_region"] = json!(region);
        prod["roles"]["Admin"]["assigned"] = json!(true);
        let sb = start(scenario);
        let (okta, _) = okta_device_login(&sb);
        let page = sso_page(&sb, &okta);
        let encoded: String = action
            .chars()
            .map(|c| match c {
                ':' => "&#x3a;".to_string(),
                '/' => "&#x2f;".to_string(),
                c => c.to_string(),
            })
            .collect();
        assert!(
            page.contains(&format!("action=\"{encoded}\"")),
            "{partition}: {page}"
        );
        let (_, assertion) = saml_response(&sb, &okta).unwrap();
        let xml = decode_assertion(&assertion);
        let role = format!("arn:{partition}:iam::123456789012:role/Admin");
        let provider = format!("arn:{partition}:iam::123456789012:saml-provider/OktaP0");
        assert!(xml.contains(&format!(">{provider},{role}<")), "{xml}");
        assert!(xml.contains(&format!("Destination=\"{action}\"")), "{xml}");
        let assumed = aws_json(
            sb.aws_cli()
                .args(["sts", "assume-role-with-saml", "--no-sign-request"])
                .args([
                    "--output",
                    "json",
                    "--role-arn",
                    &role,
                    "--principal-arn",
                    &provider,
                ])
                .args(["--saml-assertion", &assertion])
                .args(["--endpoint-url", &sb.urls().sts])
                .output()
                .unwrap(),
        );
        assert!(
            assumed["Credentials"]["SessionToken"].is_string(),
            "{assumed}"
        );
    }
}

#[test]
fn the_saml_assertion_lists_assigned_roles_and_moto_accepts_it() {
    let mut scenario = default_scenario();
    scenario["okta_role_lag_ms"] = json!(300);
    scenario["credential_lifetime_secs"] = json!(900);
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);

    // Not assigned yet: no Role attribute at all.
    let (_, before) = saml_response(&sb, &okta).expect("a SAMLResponse");
    assert!(!decode_assertion(&before).contains("Attributes/Role\""));

    let (status, created) = post_bearer(
        &format!("{}/o/acme/command/", sb.urls().p0),
        &bearer,
        &json!({"argv": ["request", "aws", "role", "Admin"], "scriptName": "p0"}),
    );
    assert_eq!(status, 200, "{created}");
    // Okta lags behind P0's approval.
    let (_, lagging) = saml_response(&sb, &okta).unwrap();
    assert!(!decode_assertion(&lagging).contains("role/Admin"));
    std::thread::sleep(Duration::from_millis(350));
    let (raw, assertion) = saml_response(&sb, &okta).unwrap();
    assert!(
        raw.contains("&#x") && !raw.contains('+') && !raw.contains('='),
        "{raw}"
    );
    let xml = decode_assertion(&assertion);
    for expected in [
        "<saml2p:Response",
        "<saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>",
        "<saml2:Audience>urn:amazon:webservices</saml2:Audience>",
        ">arn:aws:iam::123456789012:saml-provider/OktaP0,arn:aws:iam::123456789012:role/Admin<",
        ">alice@example.com</saml2:AttributeValue>",
        ">900</saml2:AttributeValue>",
    ] {
        assert!(xml.contains(expected), "{expected} missing from {xml}");
    }

    let assumed = aws_json(
        sb.aws_cli()
            .args([
                "sts",
                "assume-role-with-saml",
                "--no-sign-request",
                "--output",
                "json",
            ])
            .args(["--role-arn", "arn:aws:iam::123456789012:role/Admin"])
            .args([
                "--principal-arn",
                "arn:aws:iam::123456789012:saml-provider/OktaP0",
            ])
            .args(["--saml-assertion", &assertion])
            .args(["--endpoint-url", &sb.urls().sts])
            .output()
            .unwrap(),
    );
    let credentials = &assumed["Credentials"];
    let identity = aws_json(
        sb.aws_cli()
            .args(["sts", "get-caller-identity", "--output", "json"])
            .env(
                "AWS_ACCESS_KEY_ID",
                credentials["AccessKeyId"].as_str().unwrap(),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                credentials["SecretAccessKey"].as_str().unwrap(),
            )
            .env(
                "AWS_SESSION_TOKEN",
                credentials["SessionToken"].as_str().unwrap(),
            )
            .output()
            .unwrap(),
    );
    assert_eq!(
        identity["Arn"],
        "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com"
    );
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(sb.count("sts.GetCallerIdentity"), 1);
    assert_eq!(sb.count("okta.token_exchange"), 3);
}

#[test]
fn saml_and_token_exchange_faults() {
    let sb = start(default_scenario());
    let (okta, _) = okta_device_login(&sb);
    sb.fault(json!({"endpoint": "okta.sso", "saml": "missing"}));
    assert!(saml_response(&sb, &okta).is_none());
    sb.fault(json!({"endpoint": "okta.sso", "saml": "malformed"}));
    let (_, malformed) = saml_response(&sb, &okta).unwrap();
    assert!(!decode_assertion(&malformed).contains("</saml2p:Response>"));

    let description = "The target audience app must be configured to allow the client to request a 'web_sso_token'.";
    sb.fault(json!({"endpoint": "okta.token_exchange", "invalid_grant": description}));
    let exchange = |audience: &str, actor: &str| {
        post_form(
            &format!("{}/oauth2/v1/token", sb.urls().okta),
            &[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("audience", audience),
                ("client_id", "0oa-cli"),
                ("actor_token", actor),
                (
                    "actor_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
                ("subject_token", &okta.id_token),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
                (
                    "requested_token_type",
                    "urn:okta:oauth:token-type:web_sso_token",
                ),
            ],
        )
    };
    let (status, refused) = exchange("urn:okta:apps:0oa-aws-prod", &okta.access_token);
    assert_eq!(status, 400);
    assert_eq!(
        refused,
        json!({"error": "invalid_grant", "error_description": description})
    );
    assert_eq!(
        exchange("urn:okta:apps:unknown", &okta.access_token).1["error"],
        "invalid_request"
    );
    assert_eq!(
        exchange("urn:okta:apps:0oa-aws-prod", "forged").1["error"],
        "invalid_grant"
    );
    assert_eq!(
        exchange("urn:okta:apps:0oa-aws-prod", &okta.access_token).0,
        200
    );
}

// ---- Identity Center through botocore, credentials checked by the aws CLI ----

const BOTOCORE_IDC: &str = r#"
import json, sys, urllib.request
import botocore.session
from botocore.exceptions import ClientError

oidc_url, portal_url, control_url = sys.argv[1:4]
session = botocore.session.get_session()
oidc = session.create_client("sso-oidc", region_name="us-west-2", endpoint_url=oidc_url)
sso = session.create_client("sso", region_name="us-west-2", endpoint_url=portal_url)
client = oidc.register_client(clientName="fidelity", clientType="public")
auth = oidc.start_device_authorization(
    clientId=client["clientId"], clientSecret=client["clientSecret"],
    startUrl="https://d-1234567890.awsapps.com/start")
token_args = dict(clientId=client["clientId"], clientSecret=client["clientSecret"],
                  grantType="urn:ietf:params:oauth:grant-type:device_code",
                  deviceCode=auth["deviceCode"])
seen = []
for _ in range(2):
    try:
        oidc.create_token(**token_args)
    except oidc.exceptions.AuthorizationPendingException:
        seen.append("pending")
    except oidc.exceptions.SlowDownException:
        seen.append("slow_down")
request = urllib.request.Request(
    control_url + "/device/approve", data=json.dumps({"user_code": auth["userCode"]}).encode(),
    headers={"content-type": "application/json"}, method="POST")
urllib.request.urlopen(request).read()
token = oidc.create_token(**token_args)

def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None

unassigned = error_code(lambda: sso.get_role_credentials(
    roleName="Developer", accountId="210987654321", accessToken=token["accessToken"]))
forged = error_code(lambda: sso.get_role_credentials(
    roleName="Developer", accountId="210987654321", accessToken="forged"))
print(json.dumps({
    "client": client, "auth": auth, "seen": seen, "token": token,
    "unassigned": unassigned, "forged": forged,
}))
sys.stdout.flush()
# The test grants the permission set (a P0 request), then asks for credentials.
sys.stdin.readline()
# Renewed as botocore's SSO token provider does it.
renewed = oidc.create_token(
    clientId=client["clientId"], clientSecret=client["clientSecret"],
    grantType="refresh_token", refreshToken=token["refreshToken"])
creds = sso.get_role_credentials(
    roleName="Developer", accountId="210987654321", accessToken=renewed["accessToken"])
print(json.dumps(creds["roleCredentials"]))
"#;

#[test]
fn botocore_drives_identity_center_and_the_credentials_work_in_sts() {
    use std::io::Write;
    use std::process::Stdio;
    let mut scenario = default_scenario();
    scenario["idc"]["device"] = json!({"approval": "manual", "slow_down_polls": 1});
    scenario["credential_lifetime_secs"] = json!(900);
    let sb = start(scenario);

    let mut python = sb
        .command(p0_testkit::python())
        .args([
            "-c",
            BOTOCORE_IDC,
            &sb.urls().sso_oidc,
            &sb.urls().sso,
            &sb.urls().control,
        ])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(python.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let first: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
        let mut stderr = String::new();
        python
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        panic!("botocore script failed: {line}\n{stderr}")
    });
    let expires_at = first["client"]["clientSecretExpiresAt"].as_u64().unwrap();
    let issued_at = first["client"]["clientIdIssuedAt"].as_u64().unwrap();
    assert_eq!(
        expires_at - issued_at,
        90 * 24 * 3600,
        "epoch seconds, 90 days"
    );
    assert!(first["auth"]["verificationUriComplete"]
        .as_str()
        .unwrap()
        .ends_with(first["auth"]["userCode"].as_str().unwrap()));
    assert_eq!(first["seen"], json!(["slow_down", "pending"]));
    assert_eq!(first["token"]["tokenType"], "Bearer");
    assert_eq!(first["unassigned"], "ForbiddenException");
    assert_eq!(first["forged"], "UnauthorizedException");

    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let (status, _) = post_bearer(
        &format!("{}/o/acme/command/", sb.urls().p0),
        &bearer,
        &json!({"argv": ["request", "aws", "permission-set", "Developer", "--account", "dev"],
                "scriptName": "p0"}),
    );
    assert_eq!(status, 200);
    python.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = python.wait().unwrap();
    let mut stderr = String::new();
    python
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{rest}\n{stderr}");
    let credentials: Value = serde_json::from_str(rest.trim()).unwrap();
    let expiration_ms = credentials["expiration"].as_u64().unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        expiration_ms > now_ms + 890_000 && expiration_ms < now_ms + 910_000,
        "epoch milliseconds, credential_lifetime_secs ahead: {expiration_ms} vs {now_ms}"
    );

    let identity = aws_json(
        sb.aws_cli()
            .args(["sts", "get-caller-identity", "--output", "json"])
            .env(
                "AWS_ACCESS_KEY_ID",
                credentials["accessKeyId"].as_str().unwrap(),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                credentials["secretAccessKey"].as_str().unwrap(),
            )
            .env(
                "AWS_SESSION_TOKEN",
                credentials["sessionToken"].as_str().unwrap(),
            )
            .output()
            .unwrap(),
    );
    let arn = identity["Arn"].as_str().unwrap();
    let prefix = "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Developer_";
    assert!(arn.starts_with(prefix), "{arn}");
    let suffix = arn[prefix.len()..]
        .strip_suffix("/alice@example.com")
        .unwrap();
    assert_eq!(suffix.len(), 16);
    assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()));
    let counts = sb.calls();
    assert_eq!(counts["oidc.register"], 1);
    assert_eq!(counts["oidc.token"], 4);
    assert_eq!(counts["sso.role_credentials"], 3);
    assert_eq!(counts["sts.GetCallerIdentity"], 1);
}

#[test]
fn request_policies_and_account_resolution() {
    let mut scenario = default_scenario();
    let roles = &mut scenario["accounts"][0]["roles"];
    roles["p0-grants/ReadOnly"] = json!({"assigned": true, "policy": {"preexisting": true}});
    roles["Audit"] = json!({"policy": {"outcome": "already"}});
    roles["Break"] = json!({"policy": {"outcome": "error", "message": "boom",
                                       "persistent": true, "preapproved": true}});
    let accounts = scenario["accounts"].as_array_mut().unwrap();
    accounts.push(
        json!({"id": "111111111111", "label": "staging", "backend": "okta-saml",
        "app_id": "0oa-aws-staging", "identity_provider": "OktaP0",
        "roles": {"Admin": {}}}),
    );
    accounts.push(
        json!({"id": "222222222222", "label": "legacy", "installed": false,
        "backend": "okta-saml", "app_id": "0oa-aws-legacy", "identity_provider": "OktaP0",
        "roles": {"Admin": {}}}),
    );
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let p0 = sb.urls().p0.clone();
    let create = |argv: &[&str]| {
        post_bearer(
            &format!("{p0}/o/acme/command/"),
            &bearer,
            &json!({"argv": argv, "scriptName": "p0"}),
        )
    };
    let first_data_line = |id: &str| {
        let mut stream = agent()
            .get(format!("{p0}/o/acme/command/{id}/poll"))
            .header("authorization", &format!("Bearer {bearer}"))
            .call()
            .unwrap();
        let body = stream.body_mut().read_to_string().unwrap();
        let line = body
            .lines()
            .find(|l| l.contains("\"data\""))
            .unwrap()
            .to_string();
        serde_json::from_str::<Value>(&line).unwrap()["data"]["request"].clone()
    };

    let (status, existing) = create(&["request", "aws", "role", "p0-grants/ReadOnly"]);
    assert_eq!(status, 200, "{existing}");
    assert_eq!(existing["isPreexisting"], true);
    assert_eq!(existing["request"]["status"], "DONE");
    assert_eq!(
        first_data_line(existing["id"].as_str().unwrap())["status"],
        "DONE"
    );

    assert_eq!(
        create(&["request", "aws", "role", "Audit"]).1,
        json!({"error": "This principal already has this access"})
    );

    let (_, broken) = create(&["request", "aws", "role", "Break", "--reason", "x"]);
    assert_eq!(
        (&broken["isPersistent"], &broken["isPreapproved"]),
        (&json!(true), &json!(true))
    );
    let resolved = first_data_line(broken["id"].as_str().unwrap());
    assert_eq!(resolved["status"], "ERRORED");
    assert_eq!(resolved["error"]["message"], "boom");

    // Admin exists in prod and staging: --account decides, by id or label.
    let (status, ambiguous) = create(&["request", "aws", "role", "Admin"]);
    assert_eq!(status, 400);
    assert!(
        ambiguous["error"].as_str().unwrap().contains("--account"),
        "{ambiguous}"
    );
    assert_eq!(
        create(&[
            "request",
            "aws",
            "role",
            "Admin",
            "--account",
            "111111111111"
        ])
        .0,
        200
    );
    assert_eq!(
        create(&["request", "--account=staging", "aws", "role", "Admin"]).0,
        200
    );
    let (status, pending) = create(&["request", "aws", "role", "Admin", "--account", "legacy"]);
    assert_eq!(
        status, 400,
        "a pending account takes no requests: {pending}"
    );
    let (status, wrong_kind) = create(&[
        "request",
        "aws",
        "permission-set",
        "Developer",
        "--account",
        "prod",
    ]);
    assert_eq!(status, 400, "{wrong_kind}");
    // The only account offering a permission set needs no --account.
    assert_eq!(
        create(&["request", "aws", "permission-set", "Developer"]).0,
        200
    );

    let (status, listed) = create(&["ls", "aws", "role", "a", "--size", "2"]);
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        listed["isTruncated"], true,
        "five roles contain 'a', two are shown"
    );
    assert_eq!(listed["term"], "a");

    let (_, saml) = saml_response(&sb, &okta).unwrap();
    let xml = decode_assertion(&saml);
    assert!(
        xml.contains(",arn:aws:iam::123456789012:role/p0-grants/ReadOnly<"),
        "{xml}"
    );
    assert!(
        xml.contains(",arn:aws:iam::123456789012:role/Audit<"),
        "`already` holds it"
    );
    assert!(
        !xml.contains("111111111111"),
        "another app's account is not in this assertion"
    );
    assert_eq!(sb.count("p0.command"), 10);
}

// ---- ListAccountRoles, revocation and web identity, as botocore sees them ----

const BOTOCORE_ROLES: &str = r#"
import json, sys
import botocore.session
from botocore.exceptions import ClientError

oidc_url, portal_url = sys.argv[1:3]
session = botocore.session.get_session()
oidc = session.create_client("sso-oidc", region_name="us-west-2", endpoint_url=oidc_url)
sso = session.create_client("sso", region_name="us-west-2", endpoint_url=portal_url)
client = oidc.register_client(clientName="fidelity", clientType="public")
auth = oidc.start_device_authorization(
    clientId=client["clientId"], clientSecret=client["clientSecret"],
    startUrl="https://d-1234567890.awsapps.com/start")
token = oidc.create_token(
    clientId=client["clientId"], clientSecret=client["clientSecret"],
    grantType="urn:ietf:params:oauth:grant-type:device_code", deviceCode=auth["deviceCode"])

def listing():
    pages = sso.get_paginator("list_account_roles").paginate(
        accountId="210987654321", accessToken=token["accessToken"],
        PaginationConfig={"PageSize": 2})
    pages = list(pages)
    return {"pages": len(pages),
            "roles": [r["roleName"] for p in pages for r in p["roleList"]],
            "accounts": sorted({r["accountId"] for p in pages for r in p["roleList"]})}

def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None

print(json.dumps({
    "listed": listing(),
    "other_account": sso.list_account_roles(
        accountId="123456789012", accessToken=token["accessToken"])["roleList"],
    "forged": error_code(lambda: sso.list_account_roles(
        accountId="210987654321", accessToken="forged")),
}))
sys.stdout.flush()
# The test revokes a permission set, then asks again.
sys.stdin.readline()
print(json.dumps({
    "listed": listing(),
    "revoked": error_code(lambda: sso.get_role_credentials(
        roleName="Auditor", accountId="210987654321", accessToken=token["accessToken"])),
}))
"#;

#[test]
fn list_account_roles_pages_through_assigned_permission_sets_and_revocation_removes_one() {
    use std::io::Write;
    use std::process::Stdio;
    let mut scenario = default_scenario();
    scenario["accounts"][1]["permission_sets"] = json!({
        "Auditor": {"assigned": true}, "Billing": {"assigned": true},
        "Developer": {"assigned": true}, "Unassigned": {}
    });
    let sb = start(scenario);
    let mut python = sb
        .command(p0_testkit::python())
        .args(["-c", BOTOCORE_ROLES, &sb.urls().sso_oidc, &sb.urls().sso])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(python.stdout.take().unwrap());
    let mut read_answer = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str::<Value>(&line).ok()
    };
    let first = read_answer().unwrap_or_else(|| {
        let mut stderr = String::new();
        let _ = python.stderr.take().unwrap().read_to_string(&mut stderr);
        panic!("botocore script failed:\n{stderr}")
    });
    assert_eq!(
        first["listed"],
        json!({"pages": 2, "roles": ["Auditor", "Billing", "Developer"],
               "accounts": ["210987654321"]})
    );
    assert_eq!(first["other_account"], json!([]));
    assert_eq!(first["forged"], "UnauthorizedException");
    assert_eq!(sb.count("sso.list_account_roles"), 4);

    sb.control_post(
        "/revoke",
        json!({"account": "210987654321", "name": "Auditor"}),
    );
    python.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let second = read_answer().expect("the second answer");
    assert!(python.wait().unwrap().success());
    assert_eq!(
        second["listed"],
        json!({"pages": 1, "roles": ["Billing", "Developer"], "accounts": ["210987654321"]})
    );
    assert_eq!(second["revoked"], "ForbiddenException");
}

#[test]
fn a_revoked_role_leaves_the_assertion_and_its_next_request_follows_the_new_policy() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"] = json!({"assigned": true});
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let assertion = |okta: &OktaTokens| {
        let (_, b64) = saml_response(&sb, okta).expect("an assertion");
        decode_assertion(&b64)
    };
    assert!(assertion(&okta).contains("role/Admin"));

    let refused = agent()
        .post(format!("{}/revoke", sb.urls().control))
        .send_json(json!({"account": "123456789012", "name": "Nope"}));
    assert_eq!(answer(refused).0, 400);
    sb.control_post(
        "/revoke",
        json!({"account": "123456789012", "name": "Admin", "then": {"outcome": "deny"}}),
    );
    assert!(
        !assertion(&okta).contains("role/Admin"),
        "revoked roles leave the assertion"
    );
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let p0 = sb.urls().p0.clone();
    let (status, created) = post_bearer(
        &format!("{p0}/o/acme/command/"),
        &bearer,
        &json!({"argv": ["request", "aws", "role", "Admin"], "scriptName": "p0"}),
    );
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    let mut stream = agent()
        .get(format!("{p0}/o/acme/command/{id}/poll"))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    let body = stream.body_mut().read_to_string().unwrap();
    let line = body.lines().find(|l| l.contains("\"data\"")).unwrap();
    let resolved = serde_json::from_str::<Value>(line).unwrap()["data"]["request"].clone();
    assert_eq!(resolved["status"], "DENIED");
    assert!(
        !assertion(&okta).contains("role/Admin"),
        "a denied request grants nothing"
    );
}

#[test]
fn the_sts_proxy_records_each_web_identity_token() {
    let sb = start(default_scenario());
    for token in ["first-token-abcd", "second-token-efgh"] {
        let identity = aws_json(
            sb.aws_cli()
                .args([
                    "sts",
                    "assume-role-with-web-identity",
                    "--role-arn",
                    "arn:aws:iam::123456789012:role/CI",
                    "--role-session-name",
                    "ci",
                    "--web-identity-token",
                    token,
                    "--output",
                    "json",
                ])
                .env("AWS_ENDPOINT_URL_STS", &sb.urls().sts)
                .output()
                .unwrap(),
        );
        assert_eq!(
            identity["AssumedRoleUser"]["Arn"],
            "arn:aws:sts::123456789012:assumed-role/CI/ci"
        );
    }
    assert_eq!(
        sb.control_get("/calls")["web_identity_tokens"],
        json!(["first-token-abcd", "second-token-efgh"])
    );
    assert_eq!(sb.count("sts.AssumeRoleWithWebIdentity"), 2);
}

/// What the reliability tests lean on: every secret handed out is listed, an outage can be
/// ended, Okta's SSO page can loop, and a poll line can never end.
#[test]
fn secrets_are_listed_faults_cleared_and_pages_loop_or_never_end() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["assigned"] = json!(true);
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let (_, assertion) = saml_response(&sb, &okta).expect("an assertion");
    let secrets = sb.secrets();
    for (what, secret) in [
        ("the Okta access token", &okta.access_token),
        ("the Okta id token", &okta.id_token),
        ("the Firebase ID token", &bearer),
        ("the SAML assertion", &assertion),
    ] {
        assert!(secrets.contains(secret), "{what} is not listed");
    }

    sb.fault(json!({"endpoint": "p0.org", "status": 500, "times": 0}));
    let org = format!("{}/orgs/acme", sb.urls().p0);
    assert_eq!(answer(agent().get(&org).call()).0, 500);
    sb.clear_faults();
    assert_eq!(answer(agent().get(&org).call()).0, 200);

    sb.fault(json!({"endpoint": "okta.sso", "redirect_loop": true}));
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let looped = no_redirects
        .get(format!("{}/login/token/sso?token=abc", sb.urls().okta))
        .call()
        .unwrap();
    assert_eq!(looped.status().as_u16(), 302);
    assert_eq!(looped.headers()["location"], "/login/token/sso?token=abc");

    let created = post_bearer(
        &format!("{}/o/acme/command/", sb.urls().p0),
        &bearer,
        &json!({"argv": ["request", "aws", "role", "Admin"], "scriptName": "p0"}),
    )
    .1;
    sb.fault(json!({"endpoint": "p0.poll", "poll": "no_newline"}));
    let mut stream = agent()
        .get(format!(
            "{}/o/acme/command/{}/poll",
            sb.urls().p0,
            created["id"].as_str().unwrap()
        ))
        .header("authorization", &format!("Bearer {bearer}"))
        .call()
        .unwrap();
    let mut reader = BufReader::new(stream.body_mut().as_reader());
    let mut heartbeat = String::new();
    reader.read_line(&mut heartbeat).unwrap();
    assert_eq!(heartbeat, "{\"type\":\"heartbeat\"}\n");
    let mut line = vec![0u8; 512 * 1024];
    reader.read_exact(&mut line).unwrap();
    assert!(!line.contains(&b'\n'), "half a MiB and still no newline");
}

/// `GET /endpoints` (what the benchmark adds latency to) names exactly the endpoints the
/// README lists under "Endpoint names", and a fault on each is accepted.
#[test]
fn endpoints_are_the_readme_list_and_each_takes_a_fault() {
    let sb = start(default_scenario());
    let listed: Vec<String> = serde_json::from_value(sb.control_get("/endpoints")).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Endpoint names (for counts and faults)")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README's Endpoint names section");
    let documented: Vec<String> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.contains('<'))
        .map(str::to_string)
        .collect();
    assert_eq!(listed, documented);
    for endpoint in &listed {
        sb.fault(json!({"endpoint": endpoint, "latency_ms": 1, "times": 1}));
    }
    sb.clear_faults();
}

/// The aws CLI's AssumeRole through the STS proxy, signed with `keys` (access key id, secret,
/// session token if any): the new session's credentials.
fn assume_role(sb: &Sandbox, role_arn: &str, keys: (&str, &str, Option<&str>)) -> Value {
    let mut command = sb.aws_cli();
    command
        .args(["sts", "assume-role", "--output", "json"])
        .args(["--role-arn", role_arn, "--role-session-name", "fidelity"])
        .args(["--endpoint-url", &sb.urls().sts])
        .env("AWS_ACCESS_KEY_ID", keys.0)
        .env("AWS_SECRET_ACCESS_KEY", keys.1);
    if let Some(token) = keys.2 {
        command.env("AWS_SESSION_TOKEN", token);
    }
    aws_json(command.output().unwrap())["Credentials"].clone()
}

/// `getSigninToken` with these credentials (and `SessionDuration` when given).
fn signin_token(sb: &Sandbox, credentials: &Value, duration: Option<&str>) -> (u16, Value) {
    let session = json!({
        "sessionId": credentials["AccessKeyId"],
        "sessionKey": credentials["SecretAccessKey"],
        "sessionToken": credentials["SessionToken"],
    })
    .to_string();
    let mut query = vec![("Action", "getSigninToken"), ("Session", session.as_str())];
    if let Some(duration) = duration {
        query.push(("SessionDuration", duration));
    }
    let mut request = agent().get(format!("{}/federation", sb.urls().signin));
    for (key, value) in query {
        request = request.query(key, value);
    }
    answer(request.call())
}

/// The sign-in federation endpoint takes only role sessions its STS issued, unexpired, with a
/// `SessionDuration` in range and none for a chained session; its token signs a browser in to
/// the console page of that role, through a redirect and a cookie.
#[test]
fn the_federation_endpoint_signs_in_sessions_its_sts_issued() {
    let sb = start(default_scenario());
    let admin = "arn:aws:iam::123456789012:role/Admin";
    let first = assume_role(&sb, admin, ("AKIAIOSFODNN7EXAMPLE", "not-checked", None));
    let (status, token) = signin_token(&sb, &first, Some("3600"));
    assert_eq!(status, 200, "{token}");
    let token = token["SigninToken"].as_str().unwrap().to_string();
    assert!(
        sb.secrets().contains(&token),
        "the token is a recorded secret"
    );

    // Refusals: all the same 400 page.
    let mut forged = first.clone();
    forged["SecretAccessKey"] = json!("forged");
    for (credentials, duration) in [
        (&forged, None),
        (&first, Some("899")),
        (&first, Some("43201")),
    ] {
        let (status, body) = signin_token(&sb, credentials, duration);
        assert_eq!(status, 400, "{duration:?}");
        assert!(body
            .as_str()
            .unwrap()
            .contains("Invalid credentials parameter"));
    }
    // A role-chained session: no SessionDuration, but fine without one.
    let chained = assume_role(
        &sb,
        "arn:aws:iam::210987654321:role/Cross",
        (
            first["AccessKeyId"].as_str().unwrap(),
            first["SecretAccessKey"].as_str().unwrap(),
            first["SessionToken"].as_str(),
        ),
    );
    assert_eq!(signin_token(&sb, &chained, Some("900")).0, 400);
    assert_eq!(signin_token(&sb, &chained, None).0, 200);
    // The knobs.
    sb.fault(json!({"endpoint": "signin.token", "signin": "expired"}));
    assert_eq!(signin_token(&sb, &first, None).0, 400);
    sb.fault(json!({"endpoint": "signin.token", "signin": "duration"}));
    assert_eq!(signin_token(&sb, &first, Some("900")).0, 400);
    assert_eq!(signin_token(&sb, &first, None).0, 200);

    // Login: a redirect with a cookie, then the console page names the account and role.
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let federation = format!("{}/federation", sb.urls().signin);
    let login = |destination: &str| {
        no_redirects
            .get(&federation)
            .query("Action", "login")
            .query("Issuer", "fidelity")
            .query("Destination", destination)
            .query("SigninToken", &token)
            .call()
            .unwrap()
    };
    assert_eq!(login("https://evil.example/").status().as_u16(), 400);
    let landed = login("https://console.aws.amazon.com/s3/home");
    assert_eq!(landed.status().as_u16(), 302);
    assert_eq!(landed.headers()["location"], "/console");
    let cookie = landed.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, page) = answer(
        agent()
            .get(format!("{}/console", sb.urls().signin))
            .header("cookie", &cookie)
            .call(),
    );
    assert_eq!(status, 200);
    let page = page.as_str().unwrap().to_string();
    assert!(
        page.contains("<dd id=\"account\">123456789012</dd>"),
        "{page}"
    );
    assert!(page.contains("<dd id=\"role\">Admin</dd>"), "{page}");
    let (status, _) = answer(agent().get(format!("{}/console", sb.urls().signin)).call());
    assert_eq!(status, 401, "no cookie, no console");
    assert_eq!(sb.count("signin.login"), 2);
}

// ---- Google, Entra, PingOne and password sign-in ----

fn login_scenario(login: Value) -> Value {
    let mut scenario = default_scenario();
    scenario["login"] = login;
    scenario
}

fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// An authorize URL of the sandbox's Entra as a client would build it.
fn entra_authorize(sb: &Sandbox, challenge: &str, redirect: &str, state: &str) -> String {
    let client = sb.scenario()["login"]["client_id"]
        .as_str()
        .unwrap_or("p0-cli-sandbox.apps.example")
        .to_string();
    let mut url = url::Url::parse(&format!(
        "{}/acme.onmicrosoft.com/oauth2/v2.0/authorize",
        sb.urls().idp
    ))
    .unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("redirect_uri", redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", state);
    url.to_string()
}

const ENTRA_CLIENT: &str = "p0-cli-sandbox.apps.example";
const REDIRECT: &str = "http://localhost:9/";

fn entra_code(sb: &Sandbox, verifier: &str, state: &str) -> (String, Option<String>) {
    let visit = p0_testkit::browser::follow(&entra_authorize(sb, &s256(verifier), REDIRECT, state));
    assert_eq!(visit.page_status, 200, "{visit:?}");
    let redirect = visit.redirect.expect("the sign-in redirects");
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    (
        p0_testkit::browser::query_param(&redirect, "code").unwrap_or_default(),
        p0_testkit::browser::query_param(&redirect, "state"),
    )
}

#[test]
fn entra_checks_pkce_redeems_codes_once_and_refreshes() {
    let sb = start(login_scenario(json!({"kind": "entra"})));
    let token_url = format!("{}/acme.onmicrosoft.com/oauth2/v2.0/token", sb.urls().idp);
    let verifier = "v".repeat(64);
    // A redirect that is not loopback is an error page, never a redirect.
    let visit = p0_testkit::browser::follow(&entra_authorize(
        &sb,
        &s256(&verifier),
        "https://evil.example/",
        "s",
    ));
    assert_eq!(visit.page_status, 400);
    assert!(visit.redirect.is_none());

    let (code, state) = entra_code(&sb, &verifier, "state-1");
    assert_eq!(state.as_deref(), Some("state-1"));
    let redeem = |code: &str, verifier: &str| {
        post_form(
            &token_url,
            &[
                ("client_id", ENTRA_CLIENT),
                ("code", code),
                ("code_verifier", verifier),
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT),
            ],
        )
    };
    let (status, refused) = redeem(&code, &"w".repeat(64));
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "invalid_grant");
    assert!(refused["error_description"]
        .as_str()
        .unwrap()
        .contains("AADSTS501481"));

    let (code, _) = entra_code(&sb, &verifier, "state-2");
    let (status, tokens) = redeem(&code, &verifier);
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let (status, again) = redeem(&code, &verifier);
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // The id token signs in to Firebase as the org's provider.
    let document = org_document(&sb);
    assert_eq!(document["auth"]["provider"]["ssoProvider"], "azure-oidc");
    let key = document["config"]["fs"]["apiKey"].as_str().unwrap();
    let firebase = format!(
        "http://{}/identitytoolkit.googleapis.com/v1/accounts:signInWithIdp?key={key}",
        sb.urls().firebase_emulator_host
    );
    let post_body = format!(
        "id_token={}&access_token={}&providerId=oidc.sandbox-idp",
        tokens["id_token"].as_str().unwrap(),
        tokens["access_token"].as_str().unwrap()
    );
    let (status, session) = post_json(
        &firebase,
        &json!({"requestUri": "http://localhost", "returnSecureToken": true,
                "tenantId": "acme-tenant", "postBody": post_body}),
    );
    assert_eq!(status, 200, "{session}");
    let (status, _) = get_bearer(
        &format!("{}/o/acme/account", sb.urls().p0),
        session["idToken"].as_str().unwrap(),
    );
    assert_eq!(status, 200);

    // The refresh token renews, counted apart from code redemptions.
    sb.reset_calls();
    let refresh = |token: &str| {
        post_form(
            &token_url,
            &[
                ("client_id", ENTRA_CLIENT),
                ("grant_type", "refresh_token"),
                ("refresh_token", token),
                ("scope", "openid profile email offline_access"),
            ],
        )
    };
    let (status, renewed) = refresh(&refresh_token);
    assert_eq!(status, 200, "{renewed}");
    assert!(renewed["id_token"].is_string() && renewed["refresh_token"].is_string());
    assert_eq!(sb.count("entra.refresh"), 1);
    assert_eq!(sb.count("entra.token"), 0);
    sb.expire("idp_refresh");
    let (status, refused) = refresh(renewed["refresh_token"].as_str().unwrap());
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Every token, code and refresh token is among the secrets.
    let secrets = sb.secrets();
    for value in [&code, &refresh_token] {
        assert!(secrets.contains(value));
    }
}

#[test]
fn the_sign_in_knobs_deny_mismatch_and_expire() {
    let verifier = "v".repeat(64);
    let denied = start(login_scenario(json!({"kind": "entra", "approval": "deny"})));
    let visit =
        p0_testkit::browser::follow(&entra_authorize(&denied, &s256(&verifier), REDIRECT, "s"));
    let redirect = visit.redirect.unwrap();
    assert_eq!(
        p0_testkit::browser::query_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        p0_testkit::browser::query_param(&redirect, "state").as_deref(),
        Some("s")
    );
    drop(denied);

    let mismatch = start(login_scenario(
        json!({"kind": "entra", "wrong_state": true}),
    ));
    let (_, state) = entra_code(&mismatch, &verifier, "mine");
    assert_ne!(state.as_deref(), Some("mine"));
    drop(mismatch);

    let expired = start(login_scenario(
        json!({"kind": "google", "code_lifetime_secs": 0}),
    ));
    let mut url = url::Url::parse(&format!("{}/o/oauth2/v2/auth", expired.urls().idp)).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", ENTRA_CLIENT)
        .append_pair("code_challenge", &s256(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("redirect_uri", "http://127.0.0.1:9")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email");
    let visit = p0_testkit::browser::follow(url.as_str());
    let code = p0_testkit::browser::query_param(&visit.redirect.unwrap(), "code").unwrap();
    let (status, refused) = post_form(
        &format!("{}/token", expired.urls().idp),
        &[
            ("client_id", ENTRA_CLIENT),
            ("client_secret", "GOCSPX-sandbox-public-pkce-secret"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://127.0.0.1:9"),
        ],
    );
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        org_document(&expired)["config"]["google"]["clientId"],
        ENTRA_CLIENT
    );
}

#[test]
fn ping_device_flow_and_password_sign_in() {
    let ping = start(login_scenario(
        json!({"kind": "ping", "device": {"approval": "auto", "interval": 0}}),
    ));
    let document = org_document(&ping);
    let provider = &document["auth"]["provider"];
    assert_eq!(provider["providerType"], "ping");
    let base = format!(
        "{}/{}",
        provider["providerDomain"].as_str().unwrap(),
        provider["environmentId"].as_str().unwrap()
    );
    let (status, device) = post_form(
        &format!("{base}/as/device_authorization"),
        &[
            ("client_id", ENTRA_CLIENT),
            ("scope", "openid email profile"),
        ],
    );
    assert_eq!(status, 200, "{device}");
    let (status, tokens) = post_form(
        &format!("{base}/as/token"),
        &[
            ("client_id", ENTRA_CLIENT),
            ("device_code", device["device_code"].as_str().unwrap()),
            ("grant_type", DEVICE_GRANT),
        ],
    );
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());
    drop(ping);

    let password = start(login_scenario(json!({"kind": "password"})));
    let document = org_document(&password);
    assert_eq!(document["auth"], json!({"type": "password"}));
    let key = document["config"]["fs"]["apiKey"].as_str().unwrap();
    let url = format!(
        "http://{}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key={key}",
        password.urls().firebase_emulator_host
    );
    let sign_in = |pw: &str| {
        post_json(
            &url,
            &json!({"email": "alice@example.com", "password": pw,
                    "returnSecureToken": true, "tenantId": "acme-tenant"}),
        )
    };
    let (status, refused) = sign_in("wrong");
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["message"], "INVALID_LOGIN_CREDENTIALS");
    let (status, session) = sign_in("correct horse battery staple");
    assert_eq!(status, 200, "{session}");
    let (status, _) = get_bearer(
        &format!("{}/o/acme/account", password.urls().p0),
        session["idToken"].as_str().unwrap(),
    );
    assert_eq!(status, 200);
    assert!(password
        .secrets()
        .contains(&"correct horse battery staple".to_string()));
}

/// Issue 19's knobs, each answering as the real service does: Okta's 429 with its rate-limit
/// headers and no Retry-After; a Classic Engine org's token endpoint without the exchange
/// grant; an encrypted assertion; P0's create answer `APPROVED` then `DONE` on the stream;
/// `warnings` for an out-of-date User-Agent; a poll line of another request; a recreated
/// Identity Center instance refusing an old registration.
#[test]
fn issue_19_knobs_answer_as_the_real_services_do() {
    let mut scenario = default_scenario();
    scenario["accounts"][0]["roles"]["Admin"]["policy"] =
        json!({"create_status": "APPROVED", "after_ms": 100});
    scenario["command_warnings"] = json!(["Maintenance tonight."]);
    scenario["min_client_version"] = json!("1.2.0");
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);

    // Okta's 429: epoch-second reset, nothing remaining, no Retry-After.
    sb.fault(json!({"endpoint": "okta.sso", "status": 429, "rate_limit_reset_secs": 7}));
    let response = agent()
        .get(format!("{}/login/token/sso", sb.urls().okta))
        .query("token", "x")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset: u64 = header("x-rate-limit-reset").unwrap().parse().unwrap();
    assert!((now + 6..=now + 8).contains(&reset), "{reset} vs {now}");
    assert_eq!(header("x-rate-limit-remaining").as_deref(), Some("0"));
    assert!(header("x-rate-limit-limit").is_some());
    assert!(header("retry-after").is_none());

    // An encrypted assertion: no readable attribute at all.
    sb.fault(json!({"endpoint": "okta.sso", "saml": "encrypted"}));
    let (_, encrypted) = saml_response(&sb, &okta).unwrap();
    let xml = decode_assertion(&encrypted);
    assert!(xml.contains("<saml2:EncryptedAssertion"), "{xml}");
    assert!(xml.contains("<xenc:CipherValue>"), "{xml}");
    assert!(!xml.contains("Attributes/Role"), "{xml}");

    // P0: an approved-at-once request, its warnings, and DONE on the stream.
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let p0 = sb.urls().p0.clone();
    let create = |agent_header: &str| {
        answer(
            agent()
                .post(format!("{p0}/o/acme/command/"))
                .header("authorization", &format!("Bearer {bearer}"))
                .header("user-agent", agent_header)
                .send_json(
                    json!({"argv": ["request", "aws", "role", "Admin"], "scriptName": "p0"}),
                ),
        )
    };
    let (status, old) = create("p0/1.1.9 (linux; x86_64)");
    assert_eq!(status, 200, "{old}");
    assert_eq!(old["request"]["status"], "APPROVED");
    let warnings = old["warnings"].as_array().unwrap();
    assert_eq!(warnings[0], "Maintenance tonight.");
    assert!(
        warnings[1].as_str().unwrap().contains("out of date"),
        "{warnings:?}"
    );
    let (_, current) = create("p0/1.2.0 (linux; x86_64)");
    assert_eq!(current["warnings"], json!(["Maintenance tonight."]));
    let poll = |id: &str| {
        agent()
            .get(format!("{p0}/o/acme/command/{id}/poll"))
            .header("authorization", &format!("Bearer {bearer}"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    };
    let id = current["id"].as_str().unwrap().to_string();
    let body = poll(&id);
    let data: Value =
        serde_json::from_str(body.lines().find(|l| l.contains("\"data\"")).unwrap()).unwrap();
    assert_eq!(data["data"]["request"]["status"], "DONE", "provisioned");

    // A line about another request first, then this one's.
    sb.fault(json!({"endpoint": "p0.poll", "poll": "other_request"}));
    let body = poll(&id);
    let lines: Vec<Value> = body
        .lines()
        .filter(|l| l.contains("\"data\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert_ne!(lines[0]["data"]["id"], json!(id));
    assert_eq!(lines[0]["data"]["request"]["status"], "DENIED");
    assert_eq!(lines[1]["data"]["request"]["status"], "DONE");
}

#[test]
fn a_classic_engine_org_has_no_token_exchange_and_a_recreated_instance_forgets_clients() {
    let mut scenario = default_scenario();
    scenario["okta"] = json!({"classic_engine": true});
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let (status, refused) = post_form(
        &format!("{}/oauth2/v1/token", sb.urls().okta),
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("audience", "urn:okta:apps:0oa-aws-prod"),
            ("client_id", "0oa-cli"),
            ("actor_token", &okta.access_token),
            (
                "actor_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("subject_token", &okta.id_token),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
            (
                "requested_token_type",
                "urn:okta:oauth:token-type:web_sso_token",
            ),
        ],
    );
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "unsupported_grant_type", "{refused}");

    // Identity Center: a registration from before the instance was recreated is refused.
    let oidc = &sb.urls().sso_oidc;
    let (status, client) = post_json(
        &format!("{oidc}/client/register"),
        &json!({"clientName": "p0", "clientType": "public"}),
    );
    assert_eq!(status, 200, "{client}");
    let start_authorization = || {
        post_json(
            &format!("{oidc}/device_authorization"),
            &json!({"clientId": client["clientId"], "clientSecret": client["clientSecret"],
                    "startUrl": "https://d-1234567890.awsapps.com/start"}),
        )
    };
    assert_eq!(start_authorization().0, 200);
    sb.control_post("/expire", json!({"what": "idc_instance"}));
    let (status, refused) = start_authorization();
    assert_eq!(status, 401, "{refused}");
    assert_eq!(refused["__type"], "InvalidClientException", "{refused}");
}

/// An admin reinstalls an account's Okta AWS app: P0's config names the new id, Okta knows
/// only that one.
#[test]
fn a_reinstalled_okta_app_changes_the_config_and_okta_together() {
    let sb = start(default_scenario());
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let config_url = format!("{}/o/acme/integrations/aws/config", sb.urls().p0);
    let app_id = |config: &Value| {
        config["config"]["iam-write"]["123456789012"]["login"]["provider"]["appId"].clone()
    };
    let (_, before) = get_bearer(&config_url, &bearer);
    assert_eq!(app_id(&before), "0oa-aws-prod", "{before}");
    sb.control_post(
        "/accounts/reinstall",
        json!({"account": "123456789012", "app_id": "0oa-aws-prod-2"}),
    );
    let (_, after) = get_bearer(&config_url, &bearer);
    assert_eq!(app_id(&after), "0oa-aws-prod-2", "{after}");
    let exchange = |audience: &str| {
        post_form(
            &format!("{}/oauth2/v1/token", sb.urls().okta),
            &[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("audience", audience),
                ("client_id", "0oa-cli"),
                ("actor_token", &okta.access_token),
                (
                    "actor_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
                ("subject_token", &okta.id_token),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
                (
                    "requested_token_type",
                    "urn:okta:oauth:token-type:web_sso_token",
                ),
            ],
        )
    };
    let (status, refused) = exchange("urn:okta:apps:0oa-aws-prod");
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "invalid_request", "{refused}");
    assert_eq!(exchange("urn:okta:apps:0oa-aws-prod-2").0, 200);
}

/// P0's database request over plain HTTP, as `src/commands/aws/rds.ts` reads it: the request
/// object's instance and `aws-rds` -> `aws` delegation (with `idcId`/`idcRegion` for an
/// Identity Center account), the grant it makes, and the `iam-write` config of the arch.
#[test]
fn database_requests_carry_the_delegation_and_the_integration_config_the_endpoint() {
    let mut scenario = default_scenario();
    scenario["databases"] = json!([
        {"id": "orders", "arch": "postgres", "account": "123456789012", "grant": "Admin",
         "hostname": "orders.example", "port": "5432", "region": "eu-west-1",
         "roles": ["reader"], "default_db": "shop"},
        {"id": "ledger", "arch": "mysql", "account": "210987654321", "grant": "Developer",
         "hostname": "ledger.example", "port": "3306", "region": "us-west-2"}
    ]);
    let sb = start(scenario);
    let (okta, _) = okta_device_login(&sb);
    let (bearer, _) = firebase_sign_in(&sb, &okta);
    let p0 = &sb.urls().p0;
    let command = format!("{p0}/o/acme/command/");

    let (status, created) = post_bearer(
        &command,
        &bearer,
        &json!({"argv": ["request", "postgres", "role", "reader", "--instance", "orders"],
                "scriptName": "p0"}),
    );
    assert_eq!(status, 200, "{created}");
    let request = &created["request"];
    assert_eq!(request["type"], "postgres");
    assert_eq!(request["principal"], "alice@example.com");
    assert_eq!(request["permission"]["instanceId"], "orders");
    let rds = &request["delegation"][0];
    assert_eq!(rds["key"], "aws-rds");
    let aws = &rds["request"]["delegation"][0];
    assert_eq!(aws["key"], "aws");
    assert_eq!(aws["request"]["generated"]["name"], "Admin");
    assert_eq!(aws["request"]["permission"]["accountId"], "123456789012");
    assert_eq!(
        aws["request"]["permission"]["arn"],
        "arn:aws:rds:eu-west-1:123456789012:db:orders"
    );
    assert!(aws["request"]["permission"].get("idcId").is_none());

    let (_, mysql) = post_bearer(
        &command,
        &bearer,
        &json!({"argv": ["request", "mysql", "sql", "SELECT 1"], "scriptName": "p0"}),
    );
    let aws = &mysql["request"]["delegation"][0]["request"]["delegation"][0]["request"];
    assert_eq!(aws["permission"]["idcId"], "d-1234567890");
    assert_eq!(aws["permission"]["idcRegion"], "us-west-2");
    assert_eq!(aws["generated"]["name"], "Developer");

    let (status, bad) = post_bearer(
        &command,
        &bearer,
        &json!({"argv": ["request", "postgres", "role", "admin"], "scriptName": "p0"}),
    );
    assert_eq!(status, 400, "{bad}");

    let (status, config) = get_bearer(
        &format!("{p0}/o/acme/integrations/postgres/config"),
        &bearer,
    );
    assert_eq!(status, 200);
    assert_eq!(
        config["config"]["iam-write"]["orders"],
        json!({"state": "installed", "hostname": "orders.example", "port": "5432",
               "defaultDb": "shop",
               "hosting": {"type": "aws-rds",
                           "databaseArn": "arn:aws:rds:eu-west-1:123456789012:db:orders",
                           "vpcId": config["config"]["iam-write"]["orders"]["hosting"]["vpcId"]}})
    );
    assert!(config["config"]["iam-write"].get("ledger").is_none());
    let (status, _) = get_bearer(
        &format!("{p0}/o/acme/integrations/postgres/config"),
        "garbage",
    );
    assert_eq!(status, 401);
}
