//! Two things at build time:
//!
//! - **How `p0` is linked.** The release artifacts (`scripts/dist`, musl) are static-pie:
//!   position-independent, with no dynamic loader and the relocations packed (RELR), so they are
//!   hardened and still start quickly (BENCHMARKS.md measures both). A glibc build on Linux
//!   (`cargo build`, `cargo install`) is linked as a fixed-address (non-PIE) executable: the
//!   loader then has no relative relocations to apply at every start (about 48,000, which dirtied
//!   some 220 pages before `main`). Why that is safe for this tool, and what it costs, is in the
//!   README ("Performance") and BENCHMARKS.md. Shared libraries, the heap, the stack and mmap stay
//!   randomized.
//! - **What `p0 --version` says** (the long form, for bug reports): the git commit and the target
//!   triple. The commit comes from `P0_BUILD_COMMIT` if set, else from `git` in the checkout, else
//!   from `.cargo_vcs_info.json` (what `cargo package` records, so `cargo install p0` has it too),
//!   else `unknown`.

// Cargo reads a build script's stdout.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    link();
    version();
}

fn link() {
    // `P0_LINK_PIE=1 cargo build --release`: a position-independent glibc binary after all
    // (scripts/bench --pie measures what it costs).
    println!("cargo:rerun-if-env-changed=P0_LINK_PIE");
    let pie = std::env::var_os("P0_LINK_PIE").is_some_and(|v| v == "1");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let libc = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // musl: rustc links static-pie itself (scripts/dist adds RELR, `-z now` and `-z relro`).
    if os == "linux" && libc != "musl" && !pie {
        // After rustc's own `-pie`: the last of the two wins.
        for bin in ["p0", "p0-warm"] {
            println!("cargo:rustc-link-arg-bin={bin}=-no-pie");
        }
    }
}

fn version() {
    println!("cargo:rerun-if-env-changed=P0_BUILD_COMMIT");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let commit = std::env::var("P0_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git_commit(Path::new(&dir)))
        .or_else(|| packaged_commit(Path::new(&dir)))
        .unwrap_or_else(|| "unknown".to_owned());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=P0_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=P0_BUILD_TARGET={target}");
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// The checkout's commit, and the files to watch so that a new commit rebuilds (HEAD, the
/// branch's ref, packed-refs; a worktree keeps them apart).
fn git_commit(dir: &Path) -> Option<String> {
    // Only the checkout p0 itself lives in (not, say, a crate unpacked inside another repo).
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let commit = git(dir, &["rev-parse", "HEAD"])?;
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(dir, &["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    Some(commit)
}

/// `cargo package` writes `{"git": {"sha1": "..."}, ...}` into the crate.
fn packaged_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let at = text.find("\"sha1\"")? + "\"sha1\"".len();
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let sha = rest.strip_prefix('"')?.split('"').next()?;
    (sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha.to_owned())
}
