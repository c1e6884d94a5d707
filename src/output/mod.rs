//! The only place that prints. stdout carries what a script consumes (exports, JSON, a
//! listing); everything meant for the human (status lines, warnings, sign-in prompts, the
//! spinner, the final error) goes through a [`Printer`], which knows where each belongs.
//!
//! clippy's `print_stdout`/`print_stderr` are denied everywhere else.
//!
//! Everything written here may hold text from outside (argv, role names, account labels, a
//! server's messages), so control characters are escaped on the way out (`\x1b`): nothing a
//! server or a pasted argument says can move the cursor, retitle the window or hide a line.

pub mod credential_process;
pub mod credentials_file;
pub mod exec_credential;
pub mod exports;
mod picker;

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

    /// Lets the human pick one of `items` on the terminal (where prompts go, never stdout):
    /// arrow keys, type to filter, Enter. `None` when they press Esc. Ask only when a human is
    /// present (`Context::human`).
    pub fn pick(&self, prompt: &str, items: &[String]) -> crate::error::Result<Option<usize>> {
        picker::pick(self.prompts, prompt, items)
    }

    /// The command's final error: always on stderr, where scripts collect it.
    pub fn error(&self, error: &dyn std::fmt::Display) {
        write_line(Sink::Stderr, &error.to_string());
    }

    /// A spinner with the elapsed time while something slow runs; only when the messages go
    /// to a terminal stderr (a log gets no animation and no control characters), never with
    /// `--quiet`, and never while diagnostics are on (`--debug`, `P0_LOG`: it would redraw over
    /// their lines). Cleared when dropped, so an error or Ctrl-C leaves no half line.
    pub fn spinner(&self, message: &str) -> Progress {
        if self.quiet
            || self.messages != Sink::Stderr
            || !std::io::stderr().is_terminal()
            || tracing::enabled!(tracing::Level::ERROR)
        {
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

/// The widest line written to a terminal: longer messages are wrapped at spaces. Elsewhere (a
/// log, an SDK capturing credential_process's stderr) each message stays one line.
const TERMINAL_WIDTH: usize = 80;

fn write_line(sink: Sink, line: &str) {
    let line = escape_controls(line);
    let (mut out, terminal) = destination(sink);
    let text = if terminal {
        wrap(&line, TERMINAL_WIDTH)
    } else {
        line.into_owned()
    };
    write_to(&mut out, &format!("{text}\n"));
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
    let (mut out, _) = destination(sink);
    write_to(&mut out, &text);
}

/// Where a sink's text goes right now, and whether that is a terminal.
fn destination(sink: Sink) -> (Option<Box<dyn Write>>, bool) {
    let tty = || -> Option<Box<dyn Write>> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .ok()?;
        Some(Box::new(file))
    };
    let stderr = || -> (Option<Box<dyn Write>>, bool) {
        (
            Some(Box::new(std::io::stderr())),
            std::io::stderr().is_terminal(),
        )
    };
    match sink {
        Sink::Stderr => stderr(),
        Sink::Tty => (tty(), true),
        Sink::HumanFirst if std::io::stderr().is_terminal() => stderr(),
        Sink::HumanFirst => match tty() {
            Some(tty) => (Some(tty), true),
            None => stderr(),
        },
    }
}

fn write_to(out: &mut Option<Box<dyn Write>>, text: &str) {
    if let Some(out) = out {
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            tracing::debug!("could not write a message: {e}");
        }
    }
}

/// `text` with each line broken at spaces to fit `width` columns (a word longer than that, a
/// URL say, keeps a line of its own). An indented line (two spaces) is a command to copy and
/// stays whole.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.starts_with("  ") {
            out.push_str(line);
            continue;
        }
        let mut column = 0;
        for (j, word) in line.split(' ').enumerate() {
            let len = word.chars().count();
            if j > 0 {
                if column + 1 + len > width {
                    out.push('\n');
                    column = 0;
                } else {
                    out.push(' ');
                    column += 1;
                }
            }
            out.push_str(word);
            column += len;
        }
    }
    out
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
    fn long_lines_wrap_at_spaces_and_short_ones_stay() {
        assert_eq!(wrap("short line", 80), "short line");
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("one\ntwo three", 5), "one\ntwo\nthree");
        assert_eq!(
            wrap("run:\n  psql \"host=h user=u\"", 8),
            "run:\n  psql \"host=h user=u\""
        );
        let url = "https://d-1234567890.awsapps.com/start";
        assert_eq!(
            wrap(&format!("at {url} now"), 10),
            format!("at\n{url}\nnow")
        );
    }

    #[test]
    fn controls_are_shown_escaped_but_newlines_and_tabs_kept() {
        assert!(matches!(escape_controls("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("Ad\u{1b}]0;x\u{7}min\r\u{7f}\u{9b}2J\u{0}\n\tok é"),
            "Ad\\x1b]0;x\\x07min\\r\\x7f\\u{9b}2J\\x00\n\tok é"
        );
    }
}
