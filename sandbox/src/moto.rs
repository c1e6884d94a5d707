//! moto's server as a child process: started on an OS-chosen port, its output relayed to our
//! stderr, and never outliving the sandbox (killed on exit, and on Linux by the kernel if the
//! sandbox itself is SIGKILLed).

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start(python: &str) -> Result<Moto, String> {
        let mut command = Command::new(python);
        command
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let parent = std::process::id();
        // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                // Linux only: macOS has no parent-death signal, so there a SIGKILLed sandbox
                // leaves moto's server running (a normal exit still stops it: `stop`).
                #[cfg(target_os = "linux")]
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect (or before the exec).
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("{python} -m moto.server: {e}"))?;
        let (tx, rx) = mpsc::channel::<String>();
        relay(child.stdout.take().expect("piped stdout"), tx.clone());
        relay(child.stderr.take().expect("piped stderr"), tx);
        let mut output = String::new();
        let deadline = std::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = running_on(&line) {
                        return Ok(Moto { child, url });
                    }
                    output.push_str(&line);
                    output.push('\n');
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "no \"Running on\" line within {} s; its output:\n{output}",
                        STARTUP_TIMEOUT.as_secs()
                    ));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                    return Err(format!(
                        "it exited ({status}) before listening (is moto[server] installed for \
                         {python}? run scripts/python-env); its output:\n{output}"
                    ));
                }
            }
        }
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `http://127.0.0.1:PORT` from werkzeug's ` * Running on http://127.0.0.1:PORT` line.
fn running_on(line: &str) -> Option<String> {
    let rest = line.split("Running on ").nth(1)?;
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://")
        .then(|| url.trim_end_matches('/').to_string())
}

/// Sends each line to `tx` until the receiver is gone (startup is over), then copies the
/// rest to our stderr so moto's request log stays visible.
fn relay(stream: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        let reader = BufReader::new(stream);
        let mut startup = true;
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if startup && tx.send(line.clone()).is_ok() {
                continue;
            }
            startup = false;
            eprintln!("moto: {line}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::running_on;

    #[test]
    fn the_port_comes_from_werkzeugs_banner() {
        assert_eq!(
            running_on(" * Running on http://127.0.0.1:38877"),
            Some("http://127.0.0.1:38877".into())
        );
        assert_eq!(running_on("Press CTRL+C to quit"), None);
    }
}
