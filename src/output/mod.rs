//! The only place that prints. stdout carries what a script consumes (exports, JSON, a
//! listing); everything meant for the human (status lines, warnings, sign-in prompts, the
//! spinner, the final error) goes through a [`Printer`], which knows where each belongs.
//!
//! clippy's `print_stdout`/`print_stderr` are denied everywhere else.
//!
//! Everything written here may hold text from outside (argv, role names, account labels, a
//! server's messages), so control characters are escaped on the way out (`\x1b`): nothing a
//! server or a pasted argument says can move the cursor, retitle the window or hide a line.

pub mod exports;

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

/// Where a kind of output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Standard error.
    Stderr,
    /// The controlling terminal (`/dev/tty`), for a caller that captures both stdout and
    /// stderr (an SDK running `p0` as a credential_process); dropped when there is none.
    Tty,
    /// Standard error when it is a terminal; else the controlling terminal when there is
    /// one (stderr is being captured while a human waits); else standard error (a CI log).
    HumanFirst,
}

/// Status lines, warnings, prompts and progress for one command.
#[derive(Debug, Clone)]
pub struct Printer {
    messages: Sink,
    prompts: Sink,
    quiet: bool,
}

impl Printer {
    /// An ordinary command: messages on stderr, prompts where the human will see them.
    /// `quiet` drops status lines (never warnings, prompts or errors).
    pub fn standard(quiet: bool) -> Printer {
        Printer {
            messages: Sink::Stderr,
            prompts: Sink::HumanFirst,
            quiet,
        }
    }

    /// A command whose stdout and stderr are read by a program (credential_process): anything
    /// for the human goes to the terminal, and stderr keeps only the final error line.
    pub fn terminal_only(quiet: bool) -> Printer {
        Printer {
            messages: Sink::Tty,
            prompts: Sink::Tty,
            quiet,
        }
    }

    /// The same printer without status lines: for work in the background (renewals), which
    /// must not write into the child's terminal unless something is wrong.
    pub fn quieted(&self) -> Printer {
        Printer {
            quiet: true,
            ..self.clone()
        }
    }

    /// A line about what is happening (`Waiting for access to be provisioned`).
    pub fn status(&self, line: &str) {
        if !self.quiet {
            write_line(self.messages, line);
        }
    }

    /// Something the user should know even with `--quiet`.
    pub fn warn(&self, line: &str) {
        write_line(self.messages, line);
    }

    /// Text the human must act on (a sign-in link and code), controls escaped.
    pub fn prompt(&self, text: &str) {
        write_text(self.prompts, text);
    }

    /// The command's final error: always on stderr, where scripts collect it.
    pub fn error(&self, error: &dyn std::fmt::Display) {
        write_line(Sink::Stderr, &error.to_string());
    }

    /// A spinner with the elapsed time while something slow runs; only when the messages go
    /// to a terminal stderr (a log gets no animation and no control characters), and never
    /// with `--quiet`. Cleared when dropped, so an error or Ctrl-C leaves no half line.
    pub fn spinner(&self, message: &str) -> Progress {
        if self.quiet || self.messages != Sink::Stderr || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let style = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("static template");
        let bar = indicatif::ProgressBar::new_spinner()
            .with_style(style)
            .with_message(escape_controls(message).into_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }
}

fn write_line(sink: Sink, line: &str) {
    write_text(sink, &format!("{line}\n"));
}

/// `text` with every C0 and C1 control character and DEL shown escaped (`\x1b`, `\u{9b}`),
/// except newline and tab, so that it cannot drive the terminal it is shown on.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let is_raw = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(is_raw) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_raw(c) => escaped.push(c),
            '\r' => escaped.push_str("\\r"),
            c if (c as u32) < 0x80 => escaped.push_str(&format!("\\x{:02x}", c as u32)),
            c => escaped.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(escaped)
}

fn write_text(sink: Sink, text: &str) {
    let text = escape_controls(text);
    let text = text.as_ref();
    let tty = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .ok()
    };
    let written = match sink {
        Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        Sink::Tty => match tty() {
            Some(mut tty) => tty.write_all(text.as_bytes()),
            None => Ok(()),
        },
        Sink::HumanFirst => match (!std::io::stderr().is_terminal()).then(tty).flatten() {
            Some(mut tty) => tty.write_all(text.as_bytes()),
            None => std::io::stderr().lock().write_all(text.as_bytes()),
        },
    };
    if let Err(e) = written {
        tracing::debug!("could not write a message: {e}");
    }
}

/// A running spinner (see [`Printer::spinner`]).
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Writes what a script consumes to stdout. stdout may be a closed pipe (`p0 ls | head -1`):
/// that ends the output quietly instead of failing the command.
pub fn stdout(text: &str) -> crate::error::Result<()> {
    let text = escape_controls(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::error::Error::io("writing to stdout", e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_escaped_but_newlines_and_tabs_kept() {
        assert!(matches!(escape_controls("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("Ad\u{1b}]0;x\u{7}min\r\u{7f}\u{9b}2J\u{0}\n\tok é"),
            "Ad\\x1b]0;x\\x07min\\r\\x7f\\u{9b}2J\\x00\n\tok é"
        );
    }
}
