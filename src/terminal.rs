//! Talking to the human: whether there is one, prompts, opening a browser.
//!
//! stdout belongs to scripts (exports, JSON, a child's output); nothing here writes to it.

use crate::env;
use std::io::{IsTerminal, Write};

/// Whether stderr is a terminal (spinners and colour only then; plain lines otherwise).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether stdout is a terminal (exports are then shown with instructions).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether a human can be asked for something (a sign-in in the browser): the controlling
/// terminal can be opened. In CI, cron or a pipeline there is none, and `p0` must fail fast
/// instead of waiting for somebody who cannot see the prompt.
pub fn human_present() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

/// Whether links should be printed only (`--no-browser` or `P0_NO_BROWSER`).
pub fn browser_disabled(flag: bool) -> bool {
    flag || env::flag(env::read::P0_NO_BROWSER)
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

/// Writes `text` where the human who must act will read it: stderr when it is a terminal;
/// else the controlling terminal, since a caller that captures stderr (an SDK running `p0` as
/// a credential_process) would hide the prompt while the human waits for nothing; else stderr
/// (a CI log, where `p0 login` still shows its link).
pub fn notify_human(text: &str) {
    let tty = if stderr_is_terminal() {
        None
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .ok()
    };
    let written = match tty {
        Some(mut tty) => tty.write_all(text.as_bytes()),
        None => std::io::stderr().lock().write_all(text.as_bytes()),
    };
    if let Err(e) = written {
        tracing::debug!("could not show a prompt: {e}");
    }
}

/// Shows a device-authorization prompt (see `notify_human`): the link and the code to confirm.
/// `provider` is the name the user will see in the browser ("Okta", "AWS").
pub fn show_device_prompt(
    provider: &str,
    verification_url: &str,
    user_code: &str,
    no_browser: bool,
) {
    let open = !browser_disabled(no_browser);
    let intro = if open {
        format!("Opening {provider} sign-in in your browser. If it does not open, visit:")
    } else {
        format!("To sign in with {provider}, visit:")
    };
    notify_human(&format!(
        "{intro}\n  {verification_url}\n\
         When prompted, confirm that {provider} displays this code:\n  {user_code}\n\
         Waiting for authorization...\n"
    ));
    if open {
        open_browser(verification_url);
    }
}

/// A spinner with the elapsed time on stderr while something slow runs, only when stderr is a
/// terminal (a log or CI output gets no animation and no control characters). Cleared when
/// dropped, so an error or Ctrl-C never leaves half a line behind.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub fn spinner(message: &str) -> Progress {
        if !stderr_is_terminal() {
            return Progress { bar: None };
        }
        let style = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("static template");
        let bar = indicatif::ProgressBar::new_spinner()
            .with_style(style)
            .with_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
