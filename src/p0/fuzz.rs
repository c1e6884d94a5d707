//! What the network and the disk hand the P0 client, fuzzed (RELIABILITY.md `Z3`-`Z5`): the
//! request's status stream (line buffer and line parser), the identity file, the tenant config
//! and org documents. No input panics, each is read in bounded time, and what `p0` writes reads
//! back. A bounded pass runs in CI; longer:
//! `PROPTEST_CASES=100000 cargo test --release fuzz::`.

use super::identity::Identity;
use super::org::{OrgDocument, TenantConfig};
use super::request::{parse_line, LineBuffer, LineTooLong, StreamLine};
use crate::fuzzing::{config, BOUND};
use crate::state::StateDir;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// Keys the readers look at, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "type",
            "data",
            "error",
            "request",
            "status",
            "message",
            "credential",
            "org",
            "access_token",
            "id_token",
            "expires_at",
            "expires_in",
            "firebaseSession",
            "idToken",
            "refreshToken",
            "expiresAt",
            "tenantId",
            "auth",
            "config",
            "slug",
            "useProviderToken",
            "fs",
            "appUrl",
            "contactMessage",
            "provider",
            "issuer",
            "clientId",
            "providerId",
            "apiKey",
            "authDomain",
            "projectId",
            "sso",
        ])
        .prop_map(str::to_string),
        ".{0,12}",
    ]
}

/// Any JSON value, nested a few levels, with the keys the readers look at.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        prop::sample::select(vec![
            "heartbeat",
            "data",
            "error",
            "APPROVED",
            "DENIED",
            "NEW",
            "sso",
            "okta",
            "https://example.okta.com",
            "http://127.0.0.1:1",
            "",
            "\0",
        ])
        .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The bytes of `valid` spoiled: cut, a byte replaced, NULs or invalid UTF-8 put in.
fn spoiled(valid: Value) -> impl Strategy<Value = Vec<u8>> {
    let text = serde_json::to_vec(&valid).unwrap();
    let len = text.len();
    (
        0..=len,
        0..=len,
        prop::sample::select(vec![0u8, 0xff, 0xc3, b'"', b'{', b']', b'\n', b'9']),
        0..3u8,
    )
        .prop_map(move |(at, other, byte, how)| {
            let mut bytes = text.clone();
            match how {
                0 => bytes.truncate(at),
                1 if at < len => bytes[at] = byte,
                _ => bytes.insert(at.min(other), byte),
            }
            bytes
        })
}

fn p0_cli_identity() -> Value {
    // The shape P0's CLI writes (§2.4), with a Firebase session as p0 adds it.
    json!({
        "credential": {
            "access_token": "at", "id_token": "it", "token_type": "Bearer",
            "scope": "openid email profile okta.apps.sso", "expires_in": 3600,
            "expires_at": 1_900_000_000.5
        },
        "org": {"tenantId": "t", "auth": {"type": "sso"}, "slug": "acme", "ssoOnly": true},
        "firebaseSession": {"idToken": "f", "refreshToken": "r", "expiresAt": 1_900_000_000.0}
    })
}

/// An identity file holding `bytes`, read as `p0` reads it, and what `p0` does with it.
fn load_identity(bytes: &[u8]) -> Option<Identity> {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path().join(".p0"), "");
    crate::state::write_private(&state.identity_path(), bytes).unwrap();
    let identity = Identity::load(&state).expect("a file of the user's is never refused");
    if let Some(identity) = &identity {
        let _ = (
            identity.slug(),
            identity.is_current_format(),
            identity.credential.remaining(),
        );
        if let Some(firebase) = &identity.firebase {
            let _ = firebase.is_fresh(identity.credential.expires_at);
        }
        let _ = identity.org.okta_login(None);
        let _ = identity.org.uses_provider_token();
        // What p0 writes back reads back the same.
        identity.save(&state).unwrap();
        let again = Identity::load(&state)
            .unwrap()
            .expect("p0's own file reads back");
        let (again, before) = (
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(identity).unwrap(),
        );
        assert!(same(&again, &before), "{again:?}\n{before:?}");
    }
    identity
}

/// Equal, floats to their last digits (serde_json's float parsing, without its
/// `float_roundtrip` feature, may read a huge or tiny number back one ulp off).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-12
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn load_tenant_config(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path().join(".p0"), "");
    crate::state::write_private(&state.config_path(), bytes).unwrap();
    match TenantConfig::load(&state) {
        Ok(config) => {
            let _ = (config.api_url(), config.contact_message());
        }
        Err(e) => assert!(matches!(e, crate::error::Error::MissingConfig), "{e:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    /// However the network cuts the stream, the same lines come out.
    #[test]
    fn any_chunking_yields_the_same_lines(
        lines in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..200), 0..20),
        cuts in prop::collection::vec(0usize..4000, 0..30),
    ) {
        let mut stream = Vec::new();
        for line in &lines {
            stream.extend_from_slice(line);
            stream.push(b'\n');
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
        cuts.push(0);
        cuts.push(stream.len());
        cuts.sort_unstable();
        let mut buffer = LineBuffer::with_max_line(256);
        let mut got = Vec::new();
        for pair in cuts.windows(2) {
            got.extend(buffer.push(&stream[pair[0]..pair[1]]).unwrap());
        }
        let expected: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| l.trim_ascii().to_vec())
            .filter(|l| !l.is_empty())
            .collect();
        prop_assert_eq!(got, expected);
    }

    /// A line that never ends is refused once it passes the cap, and not before.
    #[test]
    fn a_line_past_the_cap_is_refused(chunks in prop::collection::vec(1usize..300, 1..40)) {
        let cap = 1000;
        let mut buffer = LineBuffer::with_max_line(cap);
        let mut pending = 0;
        for chunk in chunks {
            pending += chunk;
            let result = buffer.push(&vec![b'x'; chunk]);
            if pending > cap {
                prop_assert_eq!(result, Err(LineTooLong));
                break;
            }
            prop_assert!(result.unwrap().is_empty());
        }
    }

    /// Any line parses to something; a data line's object comes back whole.
    #[test]
    fn any_line_parses_and_data_comes_back(
        bytes in prop::collection::vec(any::<u8>(), 0..500),
        value in json_value(),
        data in prop::collection::vec((key().prop_filter("not error", |k| k != "error"), json_value()), 0..6),
    ) {
        let started = Instant::now();
        let _ = parse_line(&bytes);
        let _ = parse_line(&serde_json::to_vec(&value).unwrap());
        let data: Map<String, Value> = data.into_iter().collect();
        let line = serde_json::to_vec(&json!({"type": "data", "data": data})).unwrap();
        match parse_line(&line) {
            // As serde_json reads the object back (its float parsing is not exact).
            StreamLine::Data(got) => prop_assert_eq!(
                Value::Object(got),
                serde_json::from_slice::<Value>(&serde_json::to_vec(&data).unwrap()).unwrap()
            ),
            other => prop_assert!(false, "{other:?}"),
        }
        prop_assert!(started.elapsed() < BOUND);
    }

    /// Any identity file is used or ignored (a new login replaces it), never a panic; what p0
    /// writes back reads back.
    #[test]
    fn any_identity_file_is_used_or_ignored(
        spoiled in spoiled(p0_cli_identity()),
        value in json_value(),
        field in prop::sample::select(vec!["/credential", "/credential/expires_at", "/credential/access_token", "/org", "/org/auth", "/org/config", "/org/tenantId", "/firebaseSession", "/firebaseSession/expiresAt"]),
        replacement in json_value(),
    ) {
        let started = Instant::now();
        let _ = load_identity(&spoiled);
        let _ = load_identity(&serde_json::to_vec(&value).unwrap());
        let mut changed = p0_cli_identity();
        if let Some(slot) = changed.pointer_mut(field) {
            *slot = replacement;
        }
        let _ = load_identity(&serde_json::to_vec(&changed).unwrap());
        prop_assert!(started.elapsed() < BOUND);
    }

    /// Any tenant config or org document is used or refused with `MissingConfig` /
    /// a config error, never a panic.
    #[test]
    fn any_config_or_org_document_is_used_or_refused(
        value in json_value(),
        org in json_value(),
        auth in json_value(),
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let started = Instant::now();
        load_tenant_config(&serde_json::to_vec(&value).unwrap());
        load_tenant_config(&bytes);
        let mut document = json!({"tenantId": "t", "slug": "acme", "config": value});
        document["auth"] = auth;
        for candidate in [org, document] {
            if let Ok(org) = serde_json::from_value::<OrgDocument>(candidate) {
                let _ = (org.okta_login(None), org.uses_provider_token());
                if let Some(config) = &org.config {
                    let _ = (config.api_url(), config.contact_message());
                }
            }
        }
        prop_assert!(started.elapsed() < BOUND);
    }
}

/// Inputs no generator reaches in a short run: deep nesting, huge lines, NULs.
#[test]
fn deep_nesting_and_huge_lines_are_bounded() {
    let started = Instant::now();
    // serde_json's recursion limit: an error, not a stack overflow.
    let deep = "[".repeat(1_000_000);
    assert!(matches!(parse_line(deep.as_bytes()), StreamLine::Other));
    let deep_object = "{\"type\":\"data\",\"data\":".repeat(100_000);
    assert!(matches!(
        parse_line(deep_object.as_bytes()),
        StreamLine::Other
    ));
    assert!(matches!(parse_line(&vec![0u8; 1 << 20]), StreamLine::Other));
    // A stream that never ends its line: refused at the cap, each byte scanned once.
    let mut buffer = LineBuffer::default();
    let chunk = vec![b'x'; 4096];
    let mut refused = false;
    for _ in 0..(8 << 20) / chunk.len() {
        if buffer.push(&chunk).is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused);
    for bytes in [deep.as_bytes(), deep_object.as_bytes()] {
        let _ = load_identity(bytes);
        load_tenant_config(bytes);
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
