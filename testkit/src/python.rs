//! The Python test peers: moto's server (the sandbox's STS), boto3/botocore and the aws CLI
//! (real children of `p0 run-as`, and independent clients of the sandbox).
//!
//! `P0_TEST_PYTHON` names the interpreter (CI and `scripts/test` always set it); without it,
//! `<repo>/.venv/bin/python` (what `scripts/python-env` prepares). Either way it is checked once
//! per test binary, and a test that needs it fails loudly when it is unusable: never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The repository root (where the workspace's Cargo.toml, `scripts/` and `.venv` live).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ sits in the repository root")
        .to_path_buf()
}

/// The venv's python, checked: it runs, imports boto3 and botocore, and its `aws` CLI answers
/// `--version`. Panics with what is wrong and how to fix it otherwise.
pub fn python() -> PathBuf {
    static CHECKED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match CHECKED.get_or_init(check) {
        Ok(python) => python.clone(),
        Err(problem) => panic!("{problem}"),
    }
}

/// The directory holding the venv's `python`, `aws` and friends.
pub fn python_bin_dir() -> PathBuf {
    python()
        .parent()
        .expect("python lives in a directory")
        .to_path_buf()
}

/// The venv's aws CLI (v1).
pub fn aws_cli_path() -> PathBuf {
    python_bin_dir().join("aws")
}

fn check() -> Result<PathBuf, String> {
    let (python, origin) = match std::env::var_os("P0_TEST_PYTHON").filter(|v| !v.is_empty()) {
        Some(python) => (PathBuf::from(python), "P0_TEST_PYTHON"),
        None => (
            repo_root().join(".venv/bin/python"),
            "the repository's .venv",
        ),
    };
    let fix = "run `scripts/python-env` (it prepares .venv with the pinned moto, boto3 and aws \
               CLI) or set P0_TEST_PYTHON to such a python";
    if !python.exists() {
        return Err(format!(
            "the test python {} (from {origin}) does not exist: {fix}",
            python.display()
        ));
    }
    run(
        Command::new(&python).args(["-c", "import boto3, botocore"]),
        &format!("{} (from {origin}) cannot import boto3", python.display()),
        fix,
    )?;
    let aws = python
        .parent()
        .expect("python lives in a directory")
        .join("aws");
    run(
        Command::new(&aws).arg("--version"),
        &format!(
            "the aws CLI beside the test python ({}) does not run",
            aws.display()
        ),
        fix,
    )?;
    Ok(python)
}

fn run(command: &mut Command, what: &str, fix: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .env_remove("PYTHONPATH")
        .output()
        .map_err(|e| format!("{what}: {e}; {fix}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} ({}):\n{}\n{fix}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim_end()
    ))
}
