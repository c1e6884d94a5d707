//! Choosing one item from a list on the terminal (the role picker): arrow keys, type to filter
//! (fuzzy), Enter to choose, Esc to give up. Drawn with dialoguer where the printer's prompts
//! go: standard error when it is the terminal, else the controlling terminal itself; never
//! standard output, which belongs to a script.

use super::Sink;
use crate::error::{Error, Result};
use std::io::IsTerminal;

/// The index the human chose, or `None` when they pressed Esc.
pub(super) fn pick(sink: Sink, prompt: &str, items: &[String]) -> Result<Option<usize>> {
    let term = terminal(sink).ok_or_else(|| {
        Error::io(
            "opening the terminal to pick on",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })?;
    let result = dialoguer::FuzzySelect::with_theme(&dialoguer::theme::ColorfulTheme::default())
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .max_length(15)
        .interact_on_opt(&term);
    // An error (Ctrl-C) may leave the cursor hidden.
    let _ = term.show_cursor();
    match result {
        Ok(chosen) => Ok(chosen),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            Err(Error::Interrupted)
        }
        Err(dialoguer::Error::IO(e)) => Err(Error::io("reading the terminal", e)),
    }
}

/// Standard error when it is the terminal and prompts may go there, else `/dev/tty`.
fn terminal(sink: Sink) -> Option<dialoguer::console::Term> {
    if sink != Sink::Tty && std::io::stderr().is_terminal() {
        return Some(dialoguer::console::Term::stderr());
    }
    let read = std::fs::File::open("/dev/tty").ok()?;
    let write = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .ok()?;
    Some(dialoguer::console::Term::read_write_pair(read, write))
}
