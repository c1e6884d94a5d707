//! Finding the command as a shell would, and replacing `p0` with it.

use super::{ChildEnv, Command};
use crate::env;
use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::sys::signal::{signal, SigHandler, Signal};
use nix::unistd::{access, execve, AccessFlags};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The search path a shell uses when `PATH` is unset (as `execvp` does).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// Looks `program` up as a shell does: a name containing `/` is used as it is; otherwise the
/// first executable regular file in `path`'s directories (an empty entry is the current
/// directory). A match that is not executable is remembered: with no executable one,
/// the command is "not executable" (126) rather than "not found" (127).
pub fn resolve(program: &OsStr, path: Option<&OsStr>) -> Result<PathBuf> {
    let shown = || program.to_string_lossy().into_owned();
    if program.is_empty() {
        return Err(Error::CommandNotFound(shown()));
    }
    if program.as_bytes().contains(&b'/') {
        let candidate = PathBuf::from(program);
        return match candidate.metadata() {
            Err(_) => Err(Error::CommandNotFound(shown())),
            Ok(meta) if meta.is_file() && is_executable(&candidate) => Ok(candidate),
            Ok(_) => Err(Error::NotExecutable(shown())),
        };
    }
    let path = path.unwrap_or(OsStr::new(DEFAULT_PATH));
    let mut not_executable = false;
    for dir in path.as_bytes().split(|&b| b == b':') {
        let candidate = if dir.is_empty() {
            PathBuf::from(program)
        } else {
            Path::new(OsStr::from_bytes(dir)).join(program)
        };
        match candidate.metadata() {
            Ok(meta) if meta.is_file() => {
                if is_executable(&candidate) {
                    return Ok(candidate);
                }
                not_executable = true;
            }
            _ => continue,
        }
    }
    if not_executable {
        Err(Error::NotExecutable(shown()))
    } else {
        Err(Error::CommandNotFound(shown()))
    }
}

fn is_executable(path: &Path) -> bool {
    access(path, AccessFlags::X_OK).is_ok()
}

/// Replaces `p0` with the command: no wrapper process stays, so the exit status, signals, job
/// control and the pid are the command's own. Returns only when that could not happen.
pub fn exec(cmd: &Command, env: &ChildEnv) -> Error {
    match try_exec(cmd, env) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn try_exec(cmd: &Command, env: &ChildEnv) -> Result<std::convert::Infallible> {
    let shown = cmd.program.to_string_lossy().into_owned();
    let path = resolve(&cmd.program, env.get(env::read::PATH))?;
    let nul_error = |what: &str| Error::ExecFailed {
        command: shown.clone(),
        reason: format!("{what} contains a NUL byte"),
    };
    let c_path = CString::new(path.into_os_string().into_vec()).map_err(|_| nul_error("path"))?;
    let mut argv = Vec::with_capacity(cmd.args.len() + 1);
    for arg in std::iter::once(&cmd.program).chain(&cmd.args) {
        argv.push(CString::new(arg.as_bytes()).map_err(|_| nul_error("an argument"))?);
    }
    let mut envp = Vec::new();
    for (name, value) in env.vars() {
        let mut entry = OsString::with_capacity(name.len() + value.len() + 1);
        entry.push(name);
        entry.push("=");
        entry.push(value);
        envp.push(CString::new(entry.into_vec()).map_err(|_| nul_error("the environment"))?);
    }

    // The Rust runtime ignores SIGPIPE, and an ignored signal stays ignored across exec:
    // `p0 run-as -- yes | head` must end `yes` the way a shell would.
    // SAFETY: resetting a disposition to the default installs no handler.
    unsafe {
        let _ = signal(Signal::SIGPIPE, SigHandler::SigDfl);
    }

    let errno = match execve(&c_path, &argv, &envp) {
        Ok(never) => match never {},
        Err(errno) => errno,
    };
    match errno {
        // A file without a `#!` line: shells (and execvp) run it with /bin/sh.
        Errno::ENOEXEC => {
            let mut sh_argv = vec![CString::new("/bin/sh").expect("no NUL"), c_path.clone()];
            sh_argv.extend(argv.into_iter().skip(1));
            let errno = match execve(c"/bin/sh", &sh_argv, &envp) {
                Ok(never) => match never {},
                Err(errno) => errno,
            };
            Err(Error::ExecFailed {
                command: shown,
                reason: errno.desc().to_lowercase(),
            })
        }
        Errno::EACCES => Err(Error::NotExecutable(shown)),
        // The file exists (resolve found it): ENOENT here means its `#!` interpreter is missing.
        Errno::ENOENT => Err(Error::ExecFailed {
            command: shown,
            reason: "bad interpreter (the program named on its #! line was not found)".into(),
        }),
        other => Err(Error::ExecFailed {
            command: shown,
            reason: other.desc().to_lowercase(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn file(dir: &Path, name: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    fn search(program: &str, dirs: &[&Path]) -> Result<PathBuf> {
        let path = std::env::join_paths(dirs).unwrap();
        resolve(OsStr::new(program), Some(&path))
    }

    #[test]
    fn not_found_names_the_command() {
        let empty = tempfile::tempdir().unwrap();
        let e = search("no-such-cmd", &[empty.path()]).unwrap_err();
        assert_eq!(e.to_string(), "no-such-cmd: command not found");
        assert_eq!(e.exit_code(), 127);
        assert!(matches!(
            resolve(OsStr::new(""), None),
            Err(Error::CommandNotFound(_))
        ));
    }

    #[test]
    fn the_first_executable_match_wins_and_a_non_executable_one_is_126() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        file(first.path(), "tool", 0o644);
        let e = search("tool", &[first.path()]).unwrap_err();
        assert_eq!(e.to_string(), "tool: permission denied (not executable)");
        assert_eq!(e.exit_code(), 126);
        // A shell keeps looking past a non-executable file.
        let runnable = file(second.path(), "tool", 0o755);
        assert_eq!(
            search("tool", &[first.path(), second.path()]).unwrap(),
            runnable
        );
    }

    #[test]
    fn directories_are_skipped() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        fs::create_dir(first.path().join("tool")).unwrap();
        assert!(matches!(
            search("tool", &[first.path()]),
            Err(Error::CommandNotFound(_))
        ));
        let runnable = file(second.path(), "tool", 0o755);
        assert_eq!(
            search("tool", &[first.path(), second.path()]).unwrap(),
            runnable
        );
    }

    #[test]
    fn a_name_with_a_slash_is_not_searched() {
        let dir = tempfile::tempdir().unwrap();
        let runnable = file(dir.path(), "tool", 0o755);
        let plain = file(dir.path(), "plain", 0o644);
        let empty = tempfile::tempdir().unwrap();
        let found = resolve(runnable.as_os_str(), Some(empty.path().as_os_str())).unwrap();
        assert_eq!(found, runnable);
        assert!(matches!(
            resolve(plain.as_os_str(), None),
            Err(Error::NotExecutable(_))
        ));
        assert!(matches!(
            resolve(dir.path().as_os_str(), None),
            Err(Error::NotExecutable(_))
        ));
        let missing = dir.path().join("missing");
        assert!(matches!(
            resolve(missing.as_os_str(), None),
            Err(Error::CommandNotFound(_))
        ));
        // Relative to the current directory: the name is kept as it is.
        assert_eq!(
            resolve(OsStr::new("./definitely-missing/x"), None)
                .unwrap_err()
                .to_string(),
            "./definitely-missing/x: command not found"
        );
    }

    #[test]
    fn unset_path_uses_the_shell_default() {
        assert_eq!(
            resolve(OsStr::new("sh"), None).unwrap(),
            PathBuf::from("/bin/sh")
        );
    }
}
