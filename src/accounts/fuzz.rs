//! The org's account config and its local copy, fuzzed (RELIABILITY.md `Z6`): any config
//! resolves to an account or an error, never a panic; any local copy is used or ignored; the
//! lenient reader reads every body as the tree reference does, from a tree and from text.
//! Longer: `PROPTEST_CASES=100000 cargo test --release fuzz::`.

use super::local_copy::{local_config, local_copy_key, store_local_config};
use super::parse::tests::{from_text, reference, shown};
use super::{known_accounts, known_roles, AwsConfig};
use crate::backend::Backend;
use crate::cache::Cache;
use crate::fuzzing::config;
use crate::p0::fuzz::json_value;
use crate::state::StateDir;
use proptest::prelude::*;
use serde_json::json;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// One `iam-write` item, built from the fields `from_response` reads, any of them wrong.
fn item() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        Just(json!("")),
        Just(json!("x")),
        Just(json!("us-east-1")),
        json_value()
    ];
    (
        prop_oneof![Just(json!("installed")), Just(json!("stage")), json_value()],
        prop_oneof![Just(json!("Prod")), Just(json!("")), json_value()],
        prop_oneof![Just(json!("federated")), Just(json!("idc")), json_value()],
        prop_oneof![Just(json!("okta")), json_value()],
        prop_oneof![Just(json!("saml")), json_value()],
        text.clone(),
        text.clone(),
        text,
    )
        .prop_map(|(state, label, kind, provider, method, a, b, c)| {
            json!({
                "state": state, "label": label,
                "login": {
                    "type": kind, "idcRegion": a, "identityStoreId": b,
                    "provider": {"type": provider, "method": {"type": method},
                        "appId": b, "identityProvider": c},
                },
            })
        })
}

fn body() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        prop::collection::vec(("[0-9]{1,12}|.{0,8}", item()), 0..8).prop_map(|items| {
            let items: Map<String, Value> = items.into_iter().collect();
            json!({"config": {"iam-write": items}})
        }),
    ]
}

fn families() -> impl Strategy<Value = Option<Backend>> {
    prop_oneof![
        Just(None),
        Just(Some(Backend::OktaSaml)),
        Just(Some(Backend::IdentityCenter))
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_config_resolves_or_refuses(
        body in body(),
        wanted in prop_oneof![Just(None), Just(Some("Prod".to_string())), "[0-9]{1,12}|.{0,8}".prop_map(Some)],
        family in families(),
    ) {
        let started = Instant::now();
        let config = AwsConfig::from_response(&body);
        let _ = config.families();
        if let (Ok(account), Some(family)) = (config.resolve(wanted.as_deref(), family), family) {
            prop_assert_eq!(account.login().backend(), family);
        }
        prop_assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn any_local_copy_is_used_or_ignored(
        body in body(),
        fetched_at in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(0)],
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path().join(".p0"), "");
        let cache = Cache::new(&state, Duration::ZERO);
        let copy = serde_json::to_vec(&json!({"fetched_at": fetched_at, "body": body})).unwrap();
        for contents in [copy, bytes] {
            crate::state::write_private(&cache.path(&local_copy_key("acme")), &contents).unwrap();
            let _ = local_config(&cache, "acme").unwrap();
            let _ = known_accounts(&cache, "acme");
            let _ = known_roles(&cache, "acme");
        }
        // What p0 keeps reads back as the same config.
        store_local_config(&cache, "acme", &body).unwrap();
        let kept = local_config(&cache, "acme").unwrap().expect("just kept");
        prop_assert_eq!(format!("{kept:?}"), format!("{:?}", AwsConfig::from_response(&body)));
    }

    #[test]
    fn the_reader_reads_as_the_tree_reference(body in body()) {
        let reference = shown(&reference(&body));
        prop_assert_eq!(&shown(&AwsConfig::from_response(&body)), &reference);
        let read = from_text(&body.to_string()).expect("any JSON reads");
        prop_assert_eq!(shown(&read), reference);
    }
}
