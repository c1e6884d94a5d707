//! Supervising the child when `p0` must stay beside it (`--refresh`, `--restart`).
//!
//! The child inherits the terminal and stdio and stays in `p0`'s process group, so job control
//! and Ctrl-C behave as if it ran alone. `p0` forwards the signals sent to it alone (not the
//! terminal's Ctrl-C, which the child got already; see [`forward`]), dies without leaving the
//! child behind, and exits with the child's status.

use super::exec::resolve;
use super::renewal::{self, Renewer};
use super::{ChildEnv, Command, CredentialServer, CredentialSource};
use crate::env;
use crate::error::{Error, Result};
use crate::output::Printer;
use nix::sys::signal::{kill, Signal};
use nix::unistd::{getpgid, getpgrp, getpid, getppid, Pid};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;
use tokio::process::Child;

/// How the child's credentials are kept fresh while it runs.
pub enum Supervision {
    /// Serve credentials on a loopback container-credentials endpoint, renewed ahead of expiry.
    Refresh { source: Arc<dyn CredentialSource> },
    /// Restart the child with fresh static variables `margin` before expiry: renew first, then
    /// send `signal`, wait up to `grace`, then SIGKILL, and start it again.
    Restart {
        source: Arc<dyn CredentialSource>,
        margin: Duration,
        signal: Signal,
        grace: Duration,
    },
}

/// Runs the command under supervision and returns its exit code, or 128+n when signal n
/// killed it. `env` is the child's environment without credentials ([`ChildEnv::inherit`]);
/// the credentials come from the mode's source.
///
/// Await it on the thread that called `block_on` (or a runtime worker), never inside
/// `spawn_blocking`: on Linux the kernel kills the child when the thread that started it exits
/// (`PR_SET_PDEATHSIG`). The runtime needs its IO and time drivers. Signal handlers stay
/// installed afterwards; `p0` is expected to exit with the returned code.
pub async fn supervise(
    cmd: &Command,
    env: &ChildEnv,
    printer: &Printer,
    mode: Supervision,
) -> Result<u8> {
    // 126/127 before anything starts, with the shell's words.
    let program = resolve(&cmd.program, env.get(env::read::PATH))?;
    // Installed before the child exists, so that no signal sent meanwhile is lost.
    let mut signals = Signals::install()?;
    match mode {
        Supervision::Refresh { source } => {
            let server = CredentialServer::start(source, printer.clone()).await?;
            let env = env.with_endpoint(server.uri(), server.token());
            let mut child = spawn(&program, cmd, &env)?;
            let status = wait_forwarding(&mut child, &mut signals).await?;
            drop(server);
            Ok(exit_code(status))
        }
        Supervision::Restart {
            source,
            margin,
            signal,
            grace,
        } => {
            let restart = Restart {
                printer,
                program: &program,
                cmd,
                env,
                source,
                margin,
                signal,
                grace,
            };
            restart.run(&mut signals).await
        }
    }
}

struct Restart<'a> {
    printer: &'a Printer,
    program: &'a Path,
    cmd: &'a Command,
    env: &'a ChildEnv,
    source: Arc<dyn CredentialSource>,
    margin: Duration,
    signal: Signal,
    grace: Duration,
}

impl Restart<'_> {
    async fn run(self, signals: &mut Signals) -> Result<u8> {
        let mut renewer = Renewer::new(self.source.clone(), self.printer.clone());
        let mut credentials = self.source.current();
        let mut obtained = OffsetDateTime::now_utc();
        loop {
            let env = self.env.with_credentials(&credentials);
            let mut child = spawn(self.program, self.cmd, &env)?;
            let fresh = {
                let due = renewal::due_at(&credentials, obtained, self.margin);
                let renewal = async {
                    renewal::sleep_until(due).await;
                    renewer.renew_after(&credentials).await
                };
                tokio::pin!(renewal);
                loop {
                    tokio::select! {
                        // Ending on its own is the end: no crash-restart loop.
                        status = child.wait() => return Ok(exit_code(status.map_err(wait_error)?)),
                        Some(signal) = signals.next() => forward(&child, signal),
                        fresh = &mut renewal => break fresh,
                    }
                }
            };
            tracing::debug!("restarting the command with renewed credentials");
            if let Some(code) = self.stop(&mut child, signals).await? {
                return Ok(code);
            }
            credentials = fresh;
            obtained = OffsetDateTime::now_utc();
        }
    }

    /// Stops the child for a restart. `Some(code)` when somebody asked `p0` itself to stop
    /// meanwhile: then the child's status is final rather than a reason to restart.
    async fn stop(&self, child: &mut Child, signals: &mut Signals) -> Result<Option<u8>> {
        if let Some(pid) = child_pid(child) {
            let _ = kill(pid, self.signal);
        }
        let grace = tokio::time::sleep(self.grace);
        tokio::pin!(grace);
        let mut killed = false;
        let mut stop_requested = false;
        loop {
            tokio::select! {
                status = child.wait() => {
                    let status = status.map_err(wait_error)?;
                    return Ok(stop_requested.then(|| exit_code(status)));
                }
                _ = &mut grace, if !killed => {
                    killed = true;
                    if let Some(pid) = child_pid(child) {
                        tracing::debug!("the command outlived its grace period: SIGKILL");
                        let _ = kill(pid, Signal::SIGKILL);
                    }
                }
                Some(received) = signals.next() => {
                    stop_requested |= matches!(
                        received.signal,
                        Signal::SIGTERM | Signal::SIGHUP | Signal::SIGINT | Signal::SIGQUIT
                    );
                    forward(child, received);
                }
            }
        }
    }
}

/// Starts the child in `p0`'s process group (the terminal's signals reach it directly), with
/// exactly `env`, and tied to `p0`'s life.
fn spawn(program: &Path, cmd: &Command, env: &ChildEnv) -> Result<Child> {
    let mut command = tokio::process::Command::new(program);
    command
        .arg0(&cmd.program)
        .args(&cmd.args)
        .env_clear()
        .envs(env.vars());
    let parent = getpid();
    // SAFETY: only async-signal-safe system calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // If p0 is SIGKILLed, the child must not live on with a dead credential endpoint.
            // Linux only: macOS has no parent-death signal, so there a SIGKILLed p0 leaves the
            // command running (README "Platforms", RELIABILITY.md).
            #[cfg(target_os = "linux")]
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // p0 may have died before the line above took effect (or, elsewhere, before the
            // command starts: it is not started orphaned).
            if getppid() != parent {
                let _ = kill(getpid(), Signal::SIGKILL);
            }
            Ok(())
        });
    }
    let shown = cmd.program.to_string_lossy().into_owned();
    command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::NotExecutable(shown),
        // resolve() found the file: a missing `#!` interpreter.
        std::io::ErrorKind::NotFound => Error::ExecFailed {
            command: shown,
            reason: "bad interpreter (the program named on its #! line was not found)".into(),
        },
        _ => Error::ExecFailed {
            command: shown,
            reason: e.to_string(),
        },
    })
}

async fn wait_forwarding(child: &mut Child, signals: &mut Signals) -> Result<ExitStatus> {
    loop {
        tokio::select! {
            status = child.wait() => return status.map_err(wait_error),
            Some(signal) = signals.next() => forward(child, signal),
        }
    }
}

fn wait_error(e: std::io::Error) -> Error {
    Error::io("Could not wait for the command", e)
}

/// The child's exit code, or 128+n when signal n killed it (as shells report it).
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => 128u8.wrapping_add(signal as u8),
        (None, None) => crate::error::exit::FAILURE,
    }
}

/// The child's pid while it has not been reaped (so it cannot have been reused).
fn child_pid(child: &Child) -> Option<Pid> {
    child.id().map(|id| Pid::from_raw(id as i32))
}

/// Signals a terminal sends to the whole foreground process group (Ctrl-C, Ctrl-\).
const FROM_TERMINAL: [Signal; 2] = [Signal::SIGINT, Signal::SIGQUIT];
/// Signals sent to `p0` alone (by `kill`, a service manager, a CI runner) that the child must see.
const FORWARDED: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// A signal `p0` received, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Received {
    signal: Signal,
    /// Sent by a process with `kill(2)`/`sigqueue(3)` (`si_code` <= 0), rather than by the
    /// kernel on a terminal's behalf (`SI_KERNEL`: Ctrl-C, Ctrl-\ reach the whole group).
    by_process: bool,
}

/// Whether a signal's `si_code` says a process sent it (`kill(2)`, `sigqueue(3)`, a message
/// queue), not the kernel for a terminal. Linux: the user codes are zero or negative (`SI_USER`
/// 0, `SI_QUEUE` -1, `SI_TKILL` -6), a terminal's `SI_KERNEL` positive. macOS numbers them
/// from 0x10001 (`<sys/signal.h>`: `SI_USER`, `SI_QUEUE`, ..., `SI_MESGQ` 0x10005), which libc
/// does not export there; a terminal's signal has none of them.
#[cfg(target_os = "linux")]
fn sent_by_process(si_code: i32) -> bool {
    si_code <= 0
}

#[cfg(not(target_os = "linux"))]
fn sent_by_process(si_code: i32) -> bool {
    const SI_USER: i32 = 0x10001;
    const SI_QUEUE: i32 = 0x10002;
    const SI_MESGQ: i32 = 0x10005;
    matches!(si_code, SI_USER | SI_QUEUE | SI_MESGQ)
}

/// The rule: SIGINT and SIGQUIT from the terminal already reached the child (same foreground
/// process group), so they are forwarded only if the child left `p0`'s group; sent by a
/// process, they are always forwarded, since nothing says the child got them too. A process
/// that signals the whole group (`kill -INT -PGID`) thus can reach the child twice: `p0` cannot
/// tell that from `kill -INT <p0>`.
fn forward(child: &Child, received: Received) {
    let Received { signal, by_process } = received;
    let Some(pid) = child_pid(child) else { return };
    if FROM_TERMINAL.contains(&signal) && !by_process && same_process_group(pid) {
        // Forwarding would deliver one Ctrl-C twice ("Two interrupts received" in terraform).
        tracing::debug!("{signal} from the terminal already reached the command; not forwarding");
        return;
    }
    tracing::debug!("forwarding {signal} to the command");
    let _ = kill(pid, signal);
}

/// Whether the child is still in `p0`'s process group (it may have made its own, and then the
/// terminal's signals no longer reach it).
fn same_process_group(child: Pid) -> bool {
    getpgid(Some(child)).map_or(true, |group| group == getpgrp())
}

/// The signals `p0` receives while supervising, in arrival order, with their origin.
///
/// Tokio's signal streams do not say who sent a signal, so the handlers (`SA_SIGINFO`, through
/// the registry tokio itself uses) write one byte per signal to a socket pair: the signal
/// number, with the high bit set when a process sent it. Only `write(2)` in the handler.
struct Signals {
    reader: tokio::net::UnixStream,
    ids: Vec<signal_hook_registry::SigId>,
    // Closed only after the handlers are unregistered (fields drop after `Drop::drop`).
    _writer: std::os::unix::net::UnixStream,
}

const BY_PROCESS: u8 = 0x80;

impl Signals {
    /// Catches the terminal's signals (so that `p0` outlives a Ctrl-C and reports the child's
    /// status) and the ones to forward. A signal that was ignored when `p0` started (`nohup`,
    /// a background job) is left ignored, and the child inherits that as it would alone.
    fn install() -> Result<Self> {
        let pipe_error = |e| Error::io("Could not handle signals", e);
        let (reader, writer) = std::os::unix::net::UnixStream::pair().map_err(pipe_error)?;
        // A full buffer drops a signal rather than blocking the handler.
        writer.set_nonblocking(true).map_err(pipe_error)?;
        reader.set_nonblocking(true).map_err(pipe_error)?;
        let reader = tokio::net::UnixStream::from_std(reader).map_err(pipe_error)?;
        let fd = writer.as_raw_fd();
        let mut signals = Signals {
            reader,
            ids: Vec::new(),
            _writer: writer,
        };
        for signal in FROM_TERMINAL.into_iter().chain(FORWARDED) {
            if crate::signals::is_ignored(signal) {
                continue;
            }
            let action = move |info: &nix::libc::siginfo_t| {
                let origin = if sent_by_process(info.si_code) {
                    BY_PROCESS
                } else {
                    0
                };
                let byte = signal as u8 | origin;
                // SAFETY: write(2) is async-signal-safe; `fd` outlives the registration.
                unsafe { nix::libc::write(fd, (&byte as *const u8).cast(), 1) };
            };
            // SAFETY: the action only calls write(2) (async-signal-safe), and the registry
            // keeps errno intact.
            let id = unsafe { signal_hook_registry::register_sigaction(signal as i32, action) }
                .map_err(|e| Error::io(format!("Could not handle {signal}"), e))?;
            signals.ids.push(id);
        }
        Ok(signals)
    }

    async fn next(&mut self) -> Option<Received> {
        loop {
            let mut byte = [0u8; 1];
            match self.reader.read(&mut byte).await {
                Ok(1) => {
                    let signal = Signal::try_from(i32::from(byte[0] & !BY_PROCESS)).ok()?;
                    let by_process = byte[0] & BY_PROCESS != 0;
                    return Some(Received { signal, by_process });
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                _ => return None,
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // Waits for running handlers, so none writes to the socket after it closes.
        for id in self.ids.drain(..) {
            signal_hook_registry::unregister(id);
        }
    }
}
