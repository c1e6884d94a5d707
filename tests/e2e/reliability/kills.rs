//! SIGKILL at any point: during login, while a request is waited on, while credentials are
//! fetched, while the cache and the AWS files are written, and exactly at each rename (strace
//! stops `p0` at the Nth `rename` and kills it there, for every N until a run completes).
//! Afterwards no file is corrupt, a temporary file left behind is private and removed by the
//! next write once stale, no lock blocks the next run, and the next run succeeds in bounded
//! time.
//!
//! strace is required, not optional: `.ci/run` installs it (`apt-get install strace`) and a
//! test without it fails with that fix.

use super::fault_matrix::assert_state_undamaged;
use super::{admin_assigned, p0_bounded, run_bounded, Bounded};
use crate::harness::*;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

const RUN_ADMIN: &[&str] = &[
    "run-as",
    "--account",
    "prod",
    "--role",
    "Admin",
    "--",
    "true",
];
const FETCH_ADMIN: &[&str] = &[
    "run-as",
    "--account",
    "prod",
    "--role",
    "Admin",
    "--no-request",
    "--",
    "true",
];
const WRITE_PROFILE: &[&str] = &[
    "aws",
    "--account",
    "prod",
    "role",
    "assume",
    "Admin",
    "--no-request",
    "--write-profile",
    "prod-admin",
];
const PROCESS: &[&str] = &[
    "aws",
    "credential-process",
    "--account",
    "prod",
    "--role",
    "Admin",
];

/// The next run must not wait on anything the killed one held.
const NEXT_RUN_LIMIT: Duration = Duration::from_secs(30);

fn strace() -> PathBuf {
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
    {
        let candidate = dir.join("strace");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "strace is needed to kill p0 exactly at a rename: `apt-get install strace` \
         (.ci/run installs it)"
    );
}

fn killed(run: &Bounded) -> bool {
    // strace passes the tracee's death on: it kills itself with the same signal.
    run.status
        .is_some_and(|s| s.signal() == Some(9) || s.code() == Some(137))
}

/// `p0 args` under strace, killed at its `n`th rename (counted over rename, renameat and
/// renameat2, in every thread).
fn kill_at_rename(sb: &Sandbox, args: &[&str], n: usize) -> Bounded {
    let mut command = sb.command(strace());
    command
        .args(["-f", "-qq", "-o", "/dev/null"])
        .args(["-e", "trace=rename,renameat,renameat2"])
        .arg("-e")
        .arg(format!(
            "inject=rename,renameat,renameat2:signal=SIGKILL:when={n}"
        ))
        .arg(p0_binary())
        .args(args)
        .env("P0_RETRY_BASE_MS", "5");
    run_bounded(&mut command, Duration::from_secs(60))
}

/// Every `.tmp-*` / `.p0-tmp-*` file under `dir`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(temporaries(&path));
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("tmp-"))
        {
            out.push(path);
        }
    }
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// After a kill: what is left is whole or private. A temporary file (a kill between write and
/// rename) is 0600 in a 0700 directory; it is then made older than the sweep's age, as if the
/// next run came a minute later.
fn assert_after_kill(sb: &Sandbox, context: &str) -> usize {
    let home = sb.home();
    let left = temporaries(&home.join(".p0"))
        .into_iter()
        .chain(temporaries(&home.join(".aws")))
        .collect::<Vec<_>>();
    for path in &left {
        assert_eq!(mode(path), 0o600, "{context}: {}", path.display());
        assert_eq!(
            mode(path.parent().unwrap()),
            0o700,
            "{context}: {}",
            path.display()
        );
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(120))
            .unwrap();
    }
    // Everything else parses and no lock is held (temporary files aside).
    let renamed: Vec<(PathBuf, PathBuf)> = left
        .iter()
        .map(|path| {
            let aside = std::env::temp_dir().join(format!(
                "p0-kill-{}-{}",
                std::process::id(),
                path.file_name().unwrap().to_string_lossy()
            ));
            std::fs::rename(path, &aside).unwrap();
            (path.clone(), aside)
        })
        .collect();
    let check = std::panic::catch_unwind(|| assert_state_undamaged(home, context));
    for (path, aside) in renamed {
        std::fs::rename(aside, path).unwrap();
    }
    if let Err(panic) = check {
        std::panic::resume_unwind(panic);
    }
    left.len()
}

/// The next run (no strace) succeeds in bounded time and leaves nothing behind.
fn assert_next_run_works(sb: &Sandbox, args: &[&str], context: &str) {
    let run = p0_bounded(sb, args, &[], NEXT_RUN_LIMIT + Duration::from_secs(5));
    assert_eq!(
        run.code(),
        Some(0),
        "{context}: the next run failed after {:?}:\n{}",
        run.elapsed,
        run.stderr
    );
    assert!(run.elapsed < NEXT_RUN_LIMIT, "{context}: {:?}", run.elapsed);
    assert_state_undamaged(sb.home(), context);
}

#[allow(clippy::print_stderr)]
fn measured(what: &str) {
    eprintln!("measured: {what}");
}

/// Kills `args` at its 1st, 2nd, ... rename until a run completes with no rename left to
/// kill at; after each kill, the state and the next run are checked. `reset` puts the state
/// back before each run. Returns how many renames were killed at.
fn every_rename(sb: &Sandbox, args: &[&str], reset: &dyn Fn(&Sandbox)) -> usize {
    for n in 1..=30 {
        reset(sb);
        let run = kill_at_rename(sb, args, n);
        let context = format!("p0 {} killed at rename {n}", args.join(" "));
        if !killed(&run) {
            assert_eq!(run.code(), Some(0), "{context}: {}", run.stderr);
            measured(&format!(
                "{}: killed at each of its {} renames, then completed",
                args.join(" "),
                n - 1
            ));
            return n - 1;
        }
        let left = assert_after_kill(sb, &context);
        measured(&format!("{context}: {left} temporary file(s) left"));
        assert_next_run_works(sb, args, &context);
    }
    panic!("more than 30 renames in p0 {}", args.join(" "));
}

fn logged_out(sb: &Sandbox) {
    let _ = std::fs::remove_dir_all(sb.home().join(".p0"));
}

/// Logged in, nothing cached: a snapshot of `~/.p0` right after the login, put back.
fn from_snapshot(snapshot: PathBuf) -> impl Fn(&Sandbox) {
    move |sb: &Sandbox| {
        let root = sb.home().join(".p0");
        let _ = std::fs::remove_dir_all(&root);
        let status = Command::new("cp")
            .arg("-a")
            .arg(&snapshot)
            .arg(&root)
            .status()
            .unwrap();
        assert!(status.success());
        let _ = std::fs::remove_dir_all(sb.home().join(".aws"));
    }
}

fn snapshot(sb: &Sandbox) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(sb.home().join(".p0"))
        .arg(dir.path().join("p0"))
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn killed_at_every_rename_of_a_login() {
    let sb = Sandbox::start(default_scenario());
    let org = sb.org().to_string();
    let renames = every_rename(&sb, &["login", &org], &logged_out);
    assert!(renames >= 2, "identity and config: {renames}");
}

#[test]
fn killed_at_every_rename_of_a_request_and_fetch() {
    let sb = Sandbox::logged_in(default_scenario());
    let saved = snapshot(&sb);
    let reset = from_snapshot(saved.path().join("p0"));
    let renames = every_rename(&sb, RUN_ADMIN, &reset);
    assert!(renames >= 1, "at least the credentials: {renames}");
}

#[test]
fn killed_at_every_rename_of_a_profile_write() {
    let sb = Sandbox::logged_in(admin_assigned());
    let saved = snapshot(&sb);
    let reset = from_snapshot(saved.path().join("p0"));
    // A previous credentials file, so the backup is written too.
    let with_file = |sb: &Sandbox| {
        reset(sb);
        let aws = sb.home().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(aws.join("credentials"), "[other]\naws_access_key_id = x\n").unwrap();
        std::fs::set_permissions(
            aws.join("credentials"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    };
    let renames = every_rename(&sb, WRITE_PROFILE, &with_file);
    assert!(
        renames >= 3,
        "the cache entry, the backup and the file: {renames}"
    );
    // The credentials file the last run wrote is whole and has the profile.
    let written = std::fs::read_to_string(sb.home().join(".aws/credentials")).unwrap();
    assert!(written.contains("[prod-admin]"), "{written}");
    assert!(written.contains("[other]"), "{written}");
}

/// Kills `p0 args` after each of `delays` (after `started` says it is far enough), then checks
/// the state and the next run.
fn kill_after_delays(
    sb: &Sandbox,
    args: &[&str],
    reset: &dyn Fn(&Sandbox),
    started: &dyn Fn(&Sandbox) -> bool,
    delays: impl Iterator<Item = Duration>,
) {
    let mut kills = 0;
    let mut finished = 0;
    for delay in delays {
        reset(sb);
        sb.reset_calls();
        let mut running = sb.run(args).any_code().any_stdout().any_stderr().spawn();
        eventually("p0 gets there", Duration::from_secs(30), || {
            (started(sb) || !running.is_running()).then_some(())
        });
        // Not a wait for an event: the moment of the kill, spread on purpose.
        std::thread::sleep(delay);
        if running.is_running() {
            // SAFETY: signalling our own child, not reaped yet.
            unsafe { nix::libc::kill(running.pid() as i32, nix::libc::SIGKILL) };
        }
        let status = running.wait().status;
        if status.signal() == Some(9) {
            kills += 1;
        } else {
            finished += 1;
        }
        let context = format!("p0 {} killed after {delay:?}", args.join(" "));
        assert_after_kill(sb, &context);
        assert_next_run_works(sb, args, &context);
    }
    measured(&format!(
        "p0 {}: {kills} kills at spread delays, {finished} runs finished first; each next run worked",
        args.join(" ")
    ));
    // The first delay is 0: that one at least is killed mid-way.
    assert!(kills > 0, "no run was killed: the delays are too long");
}

/// Delays spread evenly over `span` (deterministic, so a failure repeats).
fn spread(span: Duration, count: u32) -> impl Iterator<Item = Duration> {
    (0..count).map(move |i| span * i / count)
}

/// How long `p0 args` takes from `reset` state, uninterrupted (the span to kill within).
fn duration_of(sb: &Sandbox, args: &[&str], reset: &dyn Fn(&Sandbox)) -> Duration {
    reset(sb);
    let run = p0_bounded(sb, args, &[], Duration::from_secs(60));
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    measured(&format!("p0 {} takes {:?}", args.join(" "), run.elapsed));
    run.elapsed
}

#[test]
fn killed_at_spread_moments_of_a_login() {
    let sb = Sandbox::start(default_scenario());
    let org = sb.org().to_string();
    let login = ["login", org.as_str()];
    let span = duration_of(&sb, &login, &logged_out);
    kill_after_delays(
        &sb,
        &login,
        &logged_out,
        &|_| true,
        spread(span * 2 / 3, 12),
    );
}

#[test]
fn killed_at_spread_moments_while_the_request_is_waited_on_and_fetched() {
    let sb = Sandbox::logged_in(default_scenario());
    let saved = snapshot(&sb);
    let reset = from_snapshot(saved.path().join("p0"));
    // Killed once the poll stream is open: the approval comes 200 ms later, then Okta and STS.
    kill_after_delays(
        &sb,
        RUN_ADMIN,
        &reset,
        &|sb| sb.count("p0.poll") > 0,
        spread(Duration::from_millis(250), 12),
    );
}

#[test]
fn killed_at_spread_moments_of_a_fetch_and_cache_write() {
    let sb = Sandbox::logged_in(admin_assigned());
    let saved = snapshot(&sb);
    let reset = from_snapshot(saved.path().join("p0"));
    let span = duration_of(&sb, FETCH_ADMIN, &reset);
    kill_after_delays(
        &sb,
        FETCH_ADMIN,
        &reset,
        &|_| true,
        spread(span * 2 / 3, 12),
    );
    // And a credential-process (the SDKs' way in), killed the same way.
    let span = duration_of(&sb, PROCESS, &reset);
    kill_after_delays(&sb, PROCESS, &reset, &|_| true, spread(span * 2 / 3, 8));
}
