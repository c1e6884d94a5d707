//! `p0 request [--wait] ARGS...` (§3.2, §3.3): create an access request and, with `--wait`,
//! follow it to a decision. Human text on stderr; the exit code tells scripts the outcome.

use super::block_on;
use crate::cli::RequestArgs;
use crate::context::Context;
use crate::error::Result;
use crate::p0::{P0Client, Submitted};

pub fn run(ctx: &Context, args: RequestArgs) -> Result<u8> {
    let (wait, words) = split_options(args.wait, args.args);
    block_on(async {
        let client = P0Client::connect(ctx).await?;
        let created = match client.submit(words, "Requesting access").await? {
            Submitted::AlreadyHad => return Ok(0),
            Submitted::Created(created) => created,
        };
        if let Some(message) = created.message() {
            ctx.printer.status(message);
        }
        if wait {
            client.report_granted(&client.settle(created).await?);
        }
        Ok(0)
    })
}

/// The user's words without `--wait`/`-w` and `--debug`, which are ours wherever they appear
/// (clap hands everything after the first word to `ARGS`); the rest goes to P0 as typed.
fn split_options(wait: bool, words: Vec<String>) -> (bool, Vec<String>) {
    let mut waiting = wait;
    let rest = words
        .into_iter()
        .filter(|word| match word.as_str() {
            "--wait" | "-w" => {
                waiting = true;
                false
            }
            "--debug" => false,
            _ => true,
        })
        .collect();
    (waiting, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_options_are_taken_out_wherever_they_are() {
        let words = [
            "aws", "role", "Admin", "-w", "--reason", "deploy", "--debug",
        ]
        .map(String::from)
        .to_vec();
        let (wait, rest) = split_options(false, words);
        assert!(wait);
        assert_eq!(rest, ["aws", "role", "Admin", "--reason", "deploy"]);
        assert_eq!(split_options(true, vec![]), (true, vec![]));
    }
}
