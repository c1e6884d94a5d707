//! The release's `p0`: a small program for the warm path, with the whole program beside it.
//!
//! Starting the whole program costs more than a warm run's work: its position-independent
//! image has some 43,000 pointers to relocate, on about 200 pages that each take a
//! copy-on-write fault before `main` (BENCHMARKS.md). This front end links only what a warm
//! `run-as`, `credential-process` or `eks get-token` runs (the same code:
//! `commands::run_if_warm`), so it starts in a fraction of that. Whatever else it is asked, and any warm-looking run that turns
//! out not to be (nothing cached, a flag it does not read, an error to report), it hands to the
//! whole program by `exec`: same process, arguments (`argv[0]` included), environment and
//! streams, so the whole program answers exactly as if it had been run directly. (std's exec
//! empties the signal mask and restores SIGPIPE's default, which the whole program's own start
//! sets again; dispositions set to ignore, such as `nohup`'s SIGHUP, stay ignored.)
//!
//! Where the whole program is: `crate::layout`.

use crate::cli::{self, Command};
use crate::context::{Context, Options};
use crate::{env, error, layout, output};
use std::ffi::OsString;
use std::path::PathBuf;
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
    let ctx = Context::holding_warnings(&options).ok()?;
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
    let candidates = layout::whole_program_candidates(&me);
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
