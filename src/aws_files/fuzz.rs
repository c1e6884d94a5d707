//! `~/.aws/config` and `~/.aws/credentials` as `p0` reads and edits them, fuzzed (RELIABILITY.md
//! `Z7`): any text reads without a panic in bounded time; an edit is a splice: what it sets
//! reads back, every other section reads the same, and the bytes before the edited section are
//! untouched; an edit that changes nothing gives the text back byte for byte. Longer:
//! `PROPTEST_CASES=100000 cargo test --release fuzz::`.

use super::*;
use crate::fuzzing::{config, BOUND};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Lines of what people and tools put in these files, never naming profile `p0fuzz`.
fn file_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[default]".to_string()),
        Just("[profile dev]".to_string()),
        Just("[ profile   prod ]".to_string()),
        Just("[sso-session corp]".to_string()),
        Just("[dev] trailing".to_string()),
        Just("[".to_string()),
        Just("region = us-east-1".to_string()),
        Just("aws_access_key_id=AKIA".to_string()),
        Just("aws_secret_access_key : s".to_string()),
        Just("AWS_SESSION_TOKEN = t".to_string()),
        Just("s3 =".to_string()),
        Just("  max_concurrent_requests = 20".to_string()),
        Just("\tcontinued".to_string()),
        Just("# comment".to_string()),
        Just("; comment".to_string()),
        Just("key = value # not a comment".to_string()),
        Just("=".to_string()),
        Just("\u{feff}".to_string()),
        Just("\0".to_string()),
        Just(String::new()),
        "[ -~]{0,30}".prop_filter("not p0fuzz", |l| !l.contains("p0fuzz")),
        any::<String>().prop_filter("not p0fuzz", |l| !l.contains("p0fuzz")),
    ];
    (
        prop::collection::vec(line, 0..30),
        prop::sample::select(vec!["\n", "\r\n"]),
        any::<bool>(),
    )
        .prop_map(|(lines, newline, final_newline)| {
            let mut text = lines.join(newline);
            if final_newline && !text.is_empty() {
                text.push_str(newline);
            }
            text
        })
}

/// A value `p0` writes: one line, no surrounding whitespace (botocore trims it).
fn value() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,30}[!-~])?"
}

fn kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![Just(FileKind::Config), Just(FileKind::Credentials)]
}

/// Every section but profile `name`'s, as read.
fn others(text: &str, kind: FileKind, name: &str) -> Vec<Section> {
    sections(text)
        .into_iter()
        .filter(|s| !kind.is_profile(&s.name, name))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_reads(text in file_text(), raw in any::<String>(), kind in kind()) {
        let started = Instant::now();
        for text in [&text, &raw] {
            let _ = sections(text);
            let _ = profile(text, kind, "default");
            if let Some(edited) = without_default_credentials(text, kind) {
                let default = profile(&edited, kind, "default");
                for key in CREDENTIAL_KEYS {
                    prop_assert!(default.as_ref().and_then(|s| s.get(key)).is_none());
                }
                prop_assert_eq!(others(&edited, kind, "default"), others(text, kind, "default"));
            }
        }
        prop_assert!(started.elapsed() < BOUND);
    }

    #[test]
    fn an_edit_that_changes_nothing_keeps_every_byte(text in file_text(), kind in kind()) {
        let edited = edit_profile(&text, kind, "dev", &Edit::default()).unwrap();
        prop_assert_eq!(edited, text);
    }

    #[test]
    fn a_profile_written_reads_back_and_nothing_else_changes(
        text in file_text(),
        kind in kind(),
        first in prop::collection::vec((prop::sample::select(vec!["region", "output", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "credential_process"]), value()), 1..5),
        second in prop::collection::vec((prop::sample::select(vec!["region", "output", "credential_process", "x_security_token_expires"]), value()), 1..4),
    ) {
        let name = "p0fuzz";
        // p0 sets each key once per edit.
        let once_each = |pairs: Vec<(&'static str, String)>| {
            let mut seen = Vec::new();
            pairs.into_iter().filter(|(k, _)| { let new = !seen.contains(k); seen.push(*k); new }).collect::<Vec<_>>()
        };
        let (first, second) = (once_each(first), once_each(second));
        let set = |pairs: &[(&'static str, String)]| Edit { set: pairs.to_vec(), ..Edit::default() };
        // A new section at the end: the text before it is the old text.
        let once = edit_profile(&text, kind, name, &set(&first)).unwrap();
        prop_assert!(once.starts_with(&text), "{once:?}");
        // Set again: a splice of the section, everything before it untouched.
        let twice = edit_profile(&once, kind, name, &set(&second)).unwrap();
        prop_assert!(twice.starts_with(&text), "{twice:?}");
        let section = profile(&twice, kind, name).expect("the profile is there");
        let mut expected = std::collections::BTreeMap::new();
        for (key, value) in first.iter().chain(&second) {
            expected.insert(key.to_string(), value.clone());
        }
        prop_assert_eq!(&section.properties, &expected);
        prop_assert_eq!(others(&twice, kind, name), others(&text, kind, name));
        // Removed again: the other keys stay.
        let keys: Vec<&str> = second.iter().map(|(k, _)| *k).collect();
        let removed = edit_profile(&twice, kind, name, &Edit { remove: &keys, ..Edit::default() }).unwrap();
        let section = profile(&removed, kind, name).expect("the profile is there");
        for key in &keys {
            prop_assert!(section.get(key).is_none());
        }
        prop_assert!(removed.starts_with(&text));
    }
}

/// A huge line, many sections, NULs: bounded.
#[test]
fn huge_files_are_bounded() {
    let started = Instant::now();
    let huge_line = format!("[default]\nregion = {}\n", "x".repeat(4 << 20));
    let many = "[profile a]\nregion = r\n  nested = 1\n".repeat(50_000);
    let nuls = "\0".repeat(1 << 20);
    for text in [&huge_line, &many, &nuls] {
        let _ = sections(text);
        let edited = edit_profile(
            text,
            FileKind::Config,
            "p0fuzz",
            &Edit {
                set: vec![("region", "eu-west-1".to_string())],
                ..Edit::default()
            },
        )
        .unwrap();
        assert!(edited.starts_with(text.as_str()));
        let _ = without_default_credentials(text, FileKind::Credentials);
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
