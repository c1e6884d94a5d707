//! Defects 3, 4 and 5: the state in `~/.p0` cannot be turned against its owner. State others
//! can write (or that others own) is refused with the fix (exit 78), state others can read is
//! warned about once; stale temporary files (a kill between write and rename) are removed;
//! symlinks and special files are refused, never followed, never allowed to hang `p0` or
//! fill its memory.

use super::p0_bounded;
use crate::harness::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const ENTRY: &str = "aws~okta~acme~123456789012~Admin";

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A logged-in sandbox whose credentials for Admin are cached (a warm run needs no network).
fn warm() -> Sandbox {
    let sb = Sandbox::logged_in(default_scenario());
    sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    sb.reset_calls();
    sb
}

fn state(sb: &Sandbox) -> PathBuf {
    sb.home().join(".p0")
}

fn entry(sb: &Sandbox) -> PathBuf {
    sb.cache_dir().join(format!("{ENTRY}.json"))
}

#[test]
fn state_others_can_write_is_refused_with_the_fix() {
    let sb = warm();
    let root = state(&sb);
    // A warm run reads the identity and the cache entry; `ls` the tenant config.
    let ls: &[&str] = &["ls", "aws", "role"];
    let cases: [(PathBuf, u32, u32, &str, &[&str]); 4] = [
        (root.clone(), 0o777, 0o700, "chmod 700", &RUN_ADMIN),
        (sb.identity_path(), 0o666, 0o600, "chmod 600", &RUN_ADMIN),
        (root.join("config.json"), 0o620, 0o600, "chmod 600", ls),
        (entry(&sb), 0o602, 0o600, "chmod 600", &RUN_ADMIN),
    ];
    for (path, bad, good, fix, command) in cases {
        chmod(&path, bad);
        let err = sb.run(command).code(78).any_stderr().run_stderr();
        assert!(
            err.contains(&path.display().to_string()) && err.contains(fix),
            "{}: {err}",
            path.display()
        );
        assert!(err.contains("other users can write"), "{err}");
        chmod(&path, good);
        sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    }
    // The lock directory matters whenever credentials are fetched.
    let locks = root.join("locks");
    chmod(&locks, 0o777);
    let err = sb
        .run([&RUN_ADMIN[..3], &["--refresh-credentials"], &RUN_ADMIN[3..]].concat())
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(err.contains(&locks.display().to_string()), "{err}");
    assert_eq!(
        sb.total_calls(),
        0,
        "refused before any network call: {:?}",
        sb.calls()
    );
}

/// OpenSSH's rule: state owned by anyone but the user (or root) is not the user's. Only root
/// can make such a file, so this runs as root (CI does); `state::tests` covers the check
/// itself for every user.
#[test]
#[allow(clippy::print_stderr)]
fn state_owned_by_another_user_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("NOT RUN_ADMIN: making a file owned by another user needs root (state::tests cover the check)");
        return;
    }
    let sb = warm();
    let nobody = Some(nix::unistd::Uid::from_raw(65534));
    nix::unistd::chown(&sb.identity_path(), nobody, None).unwrap();
    let err = sb.run(RUN_ADMIN).code(78).any_stderr().run_stderr();
    assert!(err.contains("owned by another user"), "{err}");
    assert!(
        err.contains(&sb.identity_path().display().to_string()),
        "{err}"
    );
}

#[test]
fn state_others_can_read_is_warned_about_once() {
    let sb = warm();
    chmod(&state(&sb), 0o755);
    chmod(&sb.identity_path(), 0o644);
    let out = sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    let err = stderr(&out);
    let root = state(&sb).display().to_string();
    let dir_warnings = err
        .lines()
        .filter(|l| l.contains(&format!("{root} ")) && l.contains("chmod 700"))
        .count();
    assert_eq!(dir_warnings, 1, "{err}");
    assert!(
        err.contains(&format!("chmod 600 {root}/identity.json")),
        "{err}"
    );
}

#[test]
fn stale_temporary_files_are_removed_and_logout_removes_them_all() {
    let sb = Sandbox::logged_in(default_scenario());
    let cache = sb.cache_dir();
    fs::create_dir_all(&cache).unwrap();
    let plant = |path: &Path, age: Duration| {
        fs::write(path, "AKIA-planted-secret").unwrap();
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    };
    let stale = cache.join(".tmp-Stale1");
    let young = cache.join(".tmp-Young1");
    plant(&stale, Duration::from_secs(3600));
    plant(&young, Duration::ZERO);
    // A cold run writes its credentials into the cache, and sweeps what a kill left there.
    sb.run(RUN_ADMIN).any_stdout().any_stderr().run();
    assert!(!stale.exists(), "a stale temporary file survived a write");
    assert!(
        young.exists(),
        "a temporary file being written right now was removed"
    );
    let in_root = state(&sb).join(".tmp-Root1");
    plant(&in_root, Duration::ZERO);
    sb.run(["logout"]).any_stdout().any_stderr().run();
    assert!(
        !in_root.exists() && !young.exists(),
        "logout left a temporary file"
    );
}

#[test]
fn a_symlink_at_a_lock_path_is_refused_and_its_target_not_created() {
    let sb = warm();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("created-by-p0");
    let lock = state(&sb).join("locks").join(format!("{ENTRY}.lock"));
    fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let err = sb
        .run([&RUN_ADMIN[..3], &["--refresh-credentials"], &RUN_ADMIN[3..]].concat())
        .code(78)
        .any_stderr()
        .run_stderr();
    assert!(err.contains(&lock.display().to_string()), "{err}");
    assert!(!target.exists(), "p0 created the symlink's target");
}

#[test]
fn a_symlinked_cache_directory_is_refused_not_followed() {
    let sb = Sandbox::logged_in(default_scenario());
    let elsewhere = tempfile::tempdir().unwrap();
    chmod(elsewhere.path(), 0o755);
    let _ = fs::remove_dir_all(sb.cache_dir());
    std::os::unix::fs::symlink(elsewhere.path(), sb.cache_dir()).unwrap();
    let err = sb.run(RUN_ADMIN).code(78).any_stderr().run_stderr();
    assert!(err.contains(&sb.cache_dir().display().to_string()), "{err}");
    assert_eq!(
        mode(elsewhere.path()),
        0o755,
        "p0 chmodded through the link"
    );
    assert_eq!(
        fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "p0 wrote through the link"
    );
}

#[test]
fn a_fifo_or_dev_zero_at_a_cache_entry_neither_hangs_nor_grows_memory() {
    let sb = warm();
    let path = entry(&sb);
    fs::remove_file(&path).unwrap();
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let run = p0_bounded(&sb, &RUN_ADMIN, &[], Duration::from_secs(20));
    run.assert_code(78);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let run = p0_bounded(&sb, &RUN_ADMIN, &[], Duration::from_secs(20));
    run.assert_code(78);
    assert!(run.max_rss_kib < 64 * 1024, "{} KiB", run.max_rss_kib);
}

#[test]
fn an_oversized_cache_entry_is_a_miss_and_replaced() {
    let sb = warm();
    let path = entry(&sb);
    let mut big = fs::read(&path).unwrap();
    big.resize(2 * 1024 * 1024, b' ');
    fs::write(&path, &big).unwrap();
    let out = sb
        .run([&["--debug"][..], &RUN_ADMIN[..]].concat())
        .any_stdout()
        .any_stderr()
        .run();
    assert!(stderr(&out).contains("ignoring"), "{}", stderr(&out));
    assert!(
        fs::metadata(&path).unwrap().len() < 64 * 1024,
        "replaced by a fresh entry"
    );
}

#[test]
fn a_symlinked_identity_is_refused() {
    let sb = warm();
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("identity.json");
    fs::rename(sb.identity_path(), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, sb.identity_path()).unwrap();
    let err = sb.run(RUN_ADMIN).code(78).any_stderr().run_stderr();
    assert!(err.contains("symbolic link"), "{err}");
}
