//! The release's `p0`: a small program for the warm path, with the whole program beside it.
//!
//! Starting the whole program costs more than a warm run's work: its position-independent
//! image has some 43,000 pointers to relocate, on about 200 pages that each take a
//! copy-on-write fault before `main` (BENCHMARKS.md). This front end links only what a warm
//! `run-as` or `credential-process` runs (the same code: `commands::run_if_warm`), so it
//! starts in a fraction of that. Whatever else it is asked, and any warm-looking run that turns
//! out not to be (nothing cached, a flag it does not read, an error to report), it hands to the
//! whole program by `exec`: same process, arguments, environment and streams, so the whole
//! program answers exactly as if it had been run directly.
//!
//! Where the whole program is, relative to this one's resolved path: `../libexec/p0/p0` (the
//! release archive and the `.deb`), else `p0` in the same directory when this one has another
//! name (`cargo build` and `cargo install`, where this is `p0-warm`).

use crate::cli::{self, Command};
use crate::context::{Context, Options};
use crate::{env, error, output};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("p0"));
    let words: Vec<OsString> = args.collect();
    if let Some(code) = answer_warm(&words) {
        return ExitCode::from(code);
    }
    hand_over(argv0, &words)
}

/// The answer of a warm run (an exit code), or `None` when the whole program must answer.
fn answer_warm(words: &[OsString]) -> Option<u8> {
    // Completion and diagnostics are the whole program's.
    if env::get_os(env::read::COMPLETE).is_some() || env::get_os(env::read::P0_LOG).is_some() {
        return None;
    }
    let cli = cli::warm::parse(words, |name| std::env::var_os(name))?;
    let options = Options {
        quiet: cli.quiet,
        no_browser: false,
        output_is_read_by_a_program: matches!(cli.command, Command::Aws(_)),
    };
    let ctx = Context::new(&options).ok()?;
    crate::commands::run_if_warm(&ctx, &cli.command)
}

/// Replaces this process with the whole program; returns only if that failed.
fn hand_over(argv0: OsString, words: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let printer = output::Printer::standard(false);
    let whole = match whole_program() {
        Ok(path) => path,
        Err(looked) => {
            printer.error(&format!(
                "p0: the rest of p0 is missing: no program at {looked}. Reinstall p0 (README, \
                 \"Install\") or run the whole program directly."
            ));
            return ExitCode::from(error::exit::CONFIG);
        }
    };
    let failure = std::process::Command::new(&whole)
        .arg0(argv0)
        .args(words)
        .exec();
    printer.error(&format!("p0: could not run {}: {failure}", whole.display()));
    ExitCode::from(error::exit::CONFIG)
}

/// The whole program's path, or where it was looked for.
fn whole_program() -> Result<PathBuf, String> {
    // Resolved: macOS gives the path as run, which may be a symlink (Homebrew's bin/p0).
    let me = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("(p0's own path: {e})"))?;
    let candidates = whole_program_candidates(&me);
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| {
            candidates
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        })
}

/// Where a front end at `front` (a resolved path) looks for the whole program, in order.
fn whole_program_candidates(front: &Path) -> Vec<PathBuf> {
    let dir = front.parent().map(PathBuf::from).unwrap_or_default();
    let mut candidates = vec![dir.join("../libexec/p0/p0")];
    if front.file_name().is_some_and(|name| name != "p0") {
        candidates.push(dir.join("p0"));
    }
    candidates
}

/// Whether `front` is a front end that hands over to the whole program at `whole` (both
/// resolved paths): `p0 aws configure` then writes the front end's path into profiles, so an
/// SDK's `credential_process` gets the warm path's speed too.
pub fn hands_over_to(front: &Path, whole: &Path) -> bool {
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    whole_program_candidates(front)
        .iter()
        .find(|path| path.is_file())
        .is_some_and(|found| same(found, whole))
        && !same(front, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_program_is_in_libexec_or_beside_a_front_end_of_another_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = |p: &str| dir.path().join(p);
        for d in ["bin", "libexec/p0", "cargo"] {
            std::fs::create_dir_all(path(d)).unwrap();
        }
        for f in ["bin/p0", "libexec/p0/p0", "cargo/p0", "cargo/p0-warm"] {
            std::fs::write(path(f), "").unwrap();
        }
        assert!(hands_over_to(&path("bin/p0"), &path("libexec/p0/p0")));
        assert!(hands_over_to(&path("cargo/p0-warm"), &path("cargo/p0")));
        // A whole program named p0 is not its own front end, nor one of another layout.
        assert!(!hands_over_to(&path("cargo/p0"), &path("cargo/p0")));
        assert!(!hands_over_to(&path("bin/p0"), &path("cargo/p0")));
        assert_eq!(
            whole_program_candidates(&path("cargo/p0")),
            vec![path("cargo/../libexec/p0/p0")]
        );
    }
}
