//! The human at the keyboard, if any: whether one can be asked for something (a sign-in in the
//! browser), and whether a browser should be opened for them.
//!
//! Probed once per process (in [`crate::context::Context`]) and only when something needs to
//! know: a warm run never looks.

use std::sync::OnceLock;

#[derive(Debug, Default)]
pub struct Human {
    present: OnceLock<bool>,
    no_browser: bool,
}

impl Human {
    /// `no_browser`: print sign-in links only (`--no-browser` or `P0_NO_BROWSER`).
    pub fn new(no_browser: bool) -> Human {
        Human {
            present: OnceLock::new(),
            no_browser,
        }
    }

    /// Whether a human can be asked: the controlling terminal can be opened. In CI, cron or a
    /// pipeline there is none, and `p0` must fail fast instead of waiting for somebody who
    /// cannot see the prompt.
    pub fn present(&self) -> bool {
        *self.present.get_or_init(|| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .is_ok()
        })
    }

    /// Nobody to ask, whatever the terminal: background work beside a child that owns it.
    pub fn absent() -> Human {
        Human {
            present: OnceLock::from(false),
            no_browser: true,
        }
    }

    pub fn opens_browser(&self) -> bool {
        !self.no_browser
    }
}

/// Opens `url` in a browser without blocking and without failing when there is none.
pub fn open_browser(url: &str) {
    let url = url.to_string();
    // webbrowser may block while a launcher starts; a detached thread keeps p0 moving.
    std::thread::spawn(move || {
        if let Err(e) = webbrowser::open(&url) {
            tracing::debug!("could not open a browser: {e}");
        }
    });
}

/// Opens `url` in a browser (`BROWSER` first, as the sign-in flows do) and waits for the
/// launcher, at most `limit`, for a command that exits right after: false when no browser could
/// be started in that time. The URL never appears in a message or a log.
pub fn open_browser_and_wait(url: &str, limit: std::time::Duration) -> bool {
    let url = url.to_string();
    let (done, opened) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = webbrowser::open(&url);
        if let Err(e) = &result {
            tracing::debug!("could not open a browser: {}", e.kind());
        }
        let _ = done.send(result.is_ok());
    });
    opened.recv_timeout(limit).unwrap_or(false)
}
