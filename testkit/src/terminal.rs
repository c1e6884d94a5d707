//! Running a program under a fresh pseudo-terminal, as a human at a terminal would.

use crate::process::wait_with_timeout;
use crate::sandbox::Sandbox;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A run under a terminal that takes longer than this is killed and the test fails.
const TERMINAL_RUN_TIMEOUT: Duration = Duration::from_secs(120);

impl Sandbox {
    /// `program ARGS` with the test environment under a fresh pseudo-terminal: it is the
    /// controlling terminal (so /dev/tty opens) and stdin, stdout and stderr, 120x40.
    /// `input` is typed on the terminal once the program has started. `Output.stdout` is the
    /// transcript of both streams exactly as written (no CR is added); `Output.stderr` is empty.
    pub fn in_terminal(&self, program: impl AsRef<OsStr>, args: &[&str], input: &str) -> Output {
        self.in_terminal_typing(program, args, &[("", input)])
    }

    /// As [`Sandbox::in_terminal`], typing as a human at the screen would: for each
    /// `(shown, typed)` in order, waits until the transcript shows `shown` (after the previous
    /// step's), then types `typed`. A step whose text never shows fails the test.
    pub fn in_terminal_typing(
        &self,
        program: impl AsRef<OsStr>,
        args: &[&str],
        steps: &[(&str, &str)],
    ) -> Output {
        let mut terminal = self.terminal(program, args);
        for (shown, typed) in steps {
            terminal.wait_for(shown);
            terminal.type_text(typed);
        }
        terminal.finish()
    }

    /// `program ARGS` started under a fresh pseudo-terminal (as [`Sandbox::in_terminal`]),
    /// for a test to watch and type into while it runs.
    pub fn terminal(&self, program: impl AsRef<OsStr>, args: &[&str]) -> Terminal {
        use nix::sys::termios::{tcgetattr, tcsetattr, OutputFlags, SetArg};
        let size = nix::pty::Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("a pseudo-terminal");
        let mut termios = tcgetattr(&pty.slave).expect("terminal attributes");
        termios.output_flags.remove(OutputFlags::ONLCR);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &termios).expect("terminal attributes set");
        let mut command = Command::new(program);
        self.apply_env(&mut command);
        command
            .env("TERM", "xterm-256color")
            .args(args)
            .stdin(Stdio::from(pty.slave.try_clone().expect("a slave fd")))
            .stdout(Stdio::from(pty.slave.try_clone().expect("a slave fd")))
            .stderr(Stdio::from(pty.slave));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .expect("the program starts under a terminal");
        // The parent's copies of the slave must close, or the master never sees EOF.
        drop(command);
        let master = fs::File::from(pty.master);
        let mut reader = master.try_clone().expect("a master fd");
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // Ends with EIO once every holder of the slave side has exited.
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 || tx.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            master,
            output: rx,
            transcript: Vec::new(),
            seen: 0,
            deadline: Instant::now() + TERMINAL_RUN_TIMEOUT,
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }
}

/// A program running under a pseudo-terminal ([`Sandbox::terminal`]). Dropping it kills the
/// program if it is still running.
pub struct Terminal {
    child: Child,
    master: fs::File,
    output: mpsc::Receiver<Vec<u8>>,
    transcript: Vec<u8>,
    /// How much of the transcript earlier `wait_for` calls consumed.
    seen: usize,
    deadline: Instant,
    args: Vec<String>,
}

impl Terminal {
    /// Waits until the screen shows `text` after what earlier calls waited for, and returns
    /// the transcript up to its end. The program ending first, or the run's time limit, fails
    /// the test.
    pub fn wait_for(&mut self, text: &str) -> String {
        loop {
            let unseen = String::from_utf8_lossy(&self.transcript[self.seen..]).into_owned();
            if let Some(at) = unseen.find(text) {
                self.seen += unseen[..at + text.len()].len();
                return String::from_utf8_lossy(&self.transcript[..self.seen]).into_owned();
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.transcript.extend_from_slice(&chunk),
                Err(_) => panic!(
                    "{:?} under a terminal never showed {text:?}; it showed:\n{}",
                    self.args,
                    String::from_utf8_lossy(&self.transcript)
                ),
            }
        }
    }

    /// Types `text` on the terminal's keyboard.
    pub fn type_text(&mut self, text: &str) {
        if !text.is_empty() {
            self.master
                .write_all(text.as_bytes())
                .expect("input typed on the terminal");
        }
    }

    /// Waits for the program to end; `Output.stdout` is the whole transcript of both streams
    /// exactly as written, `Output.stderr` is empty.
    pub fn finish(mut self) -> Output {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let status = wait_with_timeout(&mut self.child, left).unwrap_or_else(|| {
            panic!(
                "{:?} under a terminal ran longer than {TERMINAL_RUN_TIMEOUT:?}",
                self.args
            )
        });
        // The rest of the transcript, until the reader sees the terminal close.
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_secs(10)) {
            self.transcript.extend_from_slice(&chunk);
        }
        Output {
            status,
            stdout: std::mem::take(&mut self.transcript),
            stderr: Vec::new(),
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
