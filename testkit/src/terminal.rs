//! Running a program under a fresh pseudo-terminal, as a human at a terminal would.

use crate::process::wait_with_timeout;
use crate::sandbox::Sandbox;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
        let mut child = command
            .spawn()
            .expect("the program starts under a terminal");
        // The parent's copies of the slave must close, or the master never sees EOF.
        drop(command);
        let mut master = fs::File::from(pty.master);
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
        let mut transcript = Vec::new();
        let mut seen = 0;
        let deadline = std::time::Instant::now() + TERMINAL_RUN_TIMEOUT;
        for (shown, typed) in steps {
            loop {
                let text = String::from_utf8_lossy(&transcript[seen..]).into_owned();
                if let Some(at) = text.find(shown) {
                    seen += text[..at + shown.len()].len();
                    break;
                }
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(left) {
                    Ok(chunk) => transcript.extend_from_slice(&chunk),
                    Err(_) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!(
                            "{args:?} under a terminal never showed {shown:?}; it showed:\n{}",
                            String::from_utf8_lossy(&transcript)
                        );
                    }
                }
            }
            if !typed.is_empty() {
                master
                    .write_all(typed.as_bytes())
                    .expect("input typed on the terminal");
            }
        }
        let status = wait_with_timeout(&mut child, TERMINAL_RUN_TIMEOUT).unwrap_or_else(|| {
            panic!("{args:?} under a terminal ran longer than {TERMINAL_RUN_TIMEOUT:?}")
        });
        // The rest of the transcript, until the reader sees the terminal close.
        while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(10)) {
            transcript.extend_from_slice(&chunk);
        }
        Output {
            status,
            stdout: transcript,
            stderr: Vec::new(),
        }
    }
}
