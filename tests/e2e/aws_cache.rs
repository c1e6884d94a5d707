//! The shared credential cache end to end: hits with no network at all, `make -j` safety,
//! corrupt entries, the minimum lifetime and forced refreshes.

use crate::harness::*;
use std::collections::BTreeSet;

fn admin_entry(sb: &Sandbox) -> std::path::PathBuf {
    sb.cache_dir()
        .join(format!("aws~okta~acme~{PROD}~Admin.json"))
}

#[test]
fn a_cache_hit_makes_no_network_call_at_all() {
    let sb = Sandbox::logged_in(default_scenario());
    let first = exports(&sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run());
    sb.reset_calls();
    let second = exports(&sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run());
    assert_eq!(first, second);
    assert_eq!(sb.total_calls(), 0, "{:?}", sb.calls());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(admin_entry(&sb)).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_first_run_after_a_login_resolves_the_account_locally() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
    assert_eq!(sb.count("p0.aws_config"), 0, "{:?}", sb.calls());
    assert_eq!(sb.count("p0.command"), 1);
}

#[test]
fn sixteen_parallel_cold_runs_share_one_fetch() {
    let sb = Sandbox::logged_in(default_scenario());
    // Without the local copy of the account config, every process needs it too.
    std::fs::remove_file(sb.cache_dir().join("aws-config~acme.json")).unwrap();
    let children: Vec<Running> = (0..16)
        .map(|_| {
            sb.run(ASSUME_ADMIN)
                .deadline(std::time::Duration::from_secs(120))
                .any_stdout()
                .any_stderr()
                .spawn()
        })
        .collect();
    let keys: BTreeSet<String> = children
        .into_iter()
        .map(|child| exports(&child.wait())["AWS_ACCESS_KEY_ID"].clone())
        .collect();
    assert_eq!(keys.len(), 1, "every process got the same credentials");
    assert_eq!(sb.count("p0.command"), 1, "{:?}", sb.calls());
    assert_eq!(sb.count("okta.token_exchange"), 1);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    assert_eq!(
        sb.count("p0.aws_config"),
        1,
        "one fetch of the config for all"
    );
}

#[test]
fn a_corrupt_entry_is_replaced() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
    let entry = admin_entry(&sb);
    let whole = std::fs::read(&entry).unwrap();
    for broken in [
        &whole[..whole.len() / 2],
        b"\0\x01 not json".as_slice(),
        b"",
    ] {
        std::fs::write(&entry, broken).unwrap();
        sb.reset_calls();
        let output = sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
        assert!(exports(&output).contains_key("AWS_ACCESS_KEY_ID"));
        assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
        let fixed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&entry).unwrap()).expect("rewritten whole");
        assert!(fixed.is_object());
    }
}

#[test]
fn credentials_too_close_to_expiry_are_fetched_again() {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
    sb.reset_calls();
    // The sandbox's credentials last an hour: demanding more than that is a miss.
    sb.run::<&str>([])
        .env("P0_MIN_CREDENTIAL_LIFETIME", "7200")
        .args(ASSUME_ADMIN)
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
}

#[test]
fn refresh_credentials_forces_a_new_fetch() {
    let sb = Sandbox::logged_in(default_scenario());
    let first = exports(&sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run());
    sb.reset_calls();
    let refreshed = exports(
        &sb.run([&ASSUME_ADMIN[..], &["--refresh-credentials"]].concat())
            .any_stdout()
            .any_stderr()
            .run(),
    );
    assert_ne!(first["AWS_ACCESS_KEY_ID"], refreshed["AWS_ACCESS_KEY_ID"]);
    assert_eq!(sb.count("sts.AssumeRoleWithSAML"), 1);
    // And the refreshed credentials are what the cache serves next.
    sb.reset_calls();
    let again = exports(&sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run());
    assert_eq!(again["AWS_ACCESS_KEY_ID"], refreshed["AWS_ACCESS_KEY_ID"]);
    assert_eq!(sb.total_calls(), 0);
}

#[test]
fn a_stuck_holder_of_the_lock_ends_in_a_clear_timeout() {
    let sb = Sandbox::logged_in(default_scenario());
    let locks = sb.home().join(".p0/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held =
        std::fs::File::create(locks.join(format!("aws~okta~acme~{PROD}~Admin.lock"))).unwrap();
    held.lock().unwrap();
    let output = sb
        .run::<&str>([])
        .env("P0_LOCK_TIMEOUT", "1")
        .args(ASSUME_ADMIN)
        .code(75)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(
        stderr(&output).contains("waiting for another p0 process"),
        "{}",
        stderr(&output)
    );
    assert_eq!(sb.count("p0.command"), 0);
    held.unlock().unwrap();
    sb.run(ASSUME_ADMIN).any_stdout().any_stderr().run();
}
