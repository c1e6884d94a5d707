//! `p0 ls ARGS... [--size N] [--json]` (§9): what the user can request. Items go to stdout (one
//! per line, or JSON); the heading and notes go to stderr.

use super::block_on;
use crate::accounts;
use crate::backend::Backend;
use crate::cli::LsArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{self, Printer};
use crate::p0::{Listing, P0Client};

struct Options {
    size: usize,
    json: bool,
    words: Vec<String>,
}

pub fn run(ctx: &Context, args: LsArgs) -> Result<u8> {
    let options = split_options(args)?;
    block_on(async {
        let client = P0Client::connect(ctx).await?;
        // The admin listing has its own endpoint (§0 table).
        let admin = options
            .words
            .iter()
            .any(|w| w == "--all" || w == "--principal" || w.starts_with("--principal="));
        let mut argv = vec!["ls".to_string()];
        argv.extend(options.words.iter().cloned());
        // §9: P0's CLI asks for twice the size it shows.
        argv.extend(["--size".to_string(), (2 * options.size).to_string()]);
        let progress = ctx.printer.spinner("Listing accessible resources");
        let listing = client.list(argv, admin).await;
        drop(progress);
        let mut listing = listing?;
        remember_roles(ctx, &client, &options.words, &listing);
        if listing.items.len() > options.size {
            listing.items.truncate(options.size);
            listing.is_truncated = true;
        }
        if options.json {
            output::stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&listing).expect("listing serializes")
            ))?;
        } else {
            print_text(&ctx.printer, &mut listing, &options.words)?;
        }
        Ok(0)
    })
}

/// `ls aws role` and `ls aws permission-set` name roles and the accounts offering them: kept
/// for `--role <TAB>`, which must not ask the network. Items carry the account id as `group`
/// (§9); an item without one is skipped.
fn remember_roles(ctx: &Context, client: &P0Client, words: &[String], listing: &Listing) {
    let kinds = Backend::ALL.map(Backend::request_word);
    match words {
        [aws, kind, ..] if aws == "aws" && kinds.contains(&kind.as_str()) => {}
        _ => return,
    }
    let seen = listing
        .items
        .iter()
        .filter_map(|item| Some((item.group.as_deref()?, item.key.as_str())));
    accounts::remember_roles(&ctx.cache(), client.org(), seen);
}

fn print_text(printer: &Printer, listing: &mut Listing, words: &[String]) -> Result<()> {
    let label = plural(listing.arg.as_deref().unwrap_or("item"));
    if listing.items.is_empty() {
        printer.status(&format!("No {label}"));
        return Ok(());
    }
    let truncation = if listing.is_truncated {
        format!(" the first {}", listing.items.len())
    } else {
        String::new()
    };
    let postfix = match &listing.term {
        Some(term) if !term.is_empty() => format!(" matching '{term}'"),
        _ if listing.is_truncated => format!(
            " (use `p0 ls {} <like>` to narrow results, or --size)",
            words.join(" ")
        ),
        _ => String::new(),
    };
    printer.status(&format!("Showing{truncation} {label}{postfix}."));
    printer.status("Resources marked with * are already accessible to you:");
    // Accessible first, otherwise in the server's order.
    listing
        .items
        .sort_by_key(|item| !item.is_preexisting.unwrap_or(false));
    let width = listing.items.iter().map(|i| i.key.len()).max().unwrap_or(0);
    let plain = listing
        .items
        .iter()
        .all(|i| i.group.is_none() && i.key == i.value);
    let mut out = String::new();
    for item in &listing.items {
        let mark = if item.is_preexisting.unwrap_or(false) {
            "* "
        } else {
            "  "
        };
        if plain {
            out.push_str(&format!("{mark}{}\n", item.key));
        } else {
            let detail = match &item.group {
                Some(group) => format!("{group} / {}", item.value),
                None => item.value.clone(),
            };
            out.push_str(&format!("{mark}{:width$} - {detail}\n", item.key));
        }
    }
    output::stdout(&out)
}

fn plural(word: &str) -> String {
    if word.ends_with('s') {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `--size N`, `--size=N` and `--json` are ours wherever they appear (clap hands everything
/// after the first word to `ARGS`).
fn split_options(args: LsArgs) -> Result<Options> {
    let mut options = Options {
        size: args.size as usize,
        json: args.json,
        words: Vec::new(),
    };
    let mut words = args.args.into_iter();
    while let Some(word) = words.next() {
        let size = match word.as_str() {
            "--json" => {
                options.json = true;
                continue;
            }
            "--size" => words.next(),
            _ => match word.strip_prefix("--size=") {
                Some(value) => Some(value.to_string()),
                None => {
                    if word != "--debug" {
                        options.words.push(word);
                    }
                    continue;
                }
            },
        };
        options.size = size
            .and_then(|s| s.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| Error::Usage("--size needs a positive number".into()))?;
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(words: &[&str]) -> Result<Options> {
        split_options(LsArgs {
            size: 15,
            json: false,
            args: words.iter().map(|w| w.to_string()).collect(),
        })
    }

    #[test]
    fn trailing_options_are_ours() {
        let o = options(&["aws", "role", "--size", "3", "--json"]).unwrap();
        assert_eq!((o.size, o.json), (3, true));
        assert_eq!(o.words, ["aws", "role"]);
        let o = options(&["aws", "--size=7", "permission-set"]).unwrap();
        assert_eq!(o.size, 7);
        assert_eq!(o.words, ["aws", "permission-set"]);
        assert!(options(&["aws", "--size"]).is_err());
        assert!(options(&["aws", "--size", "0"]).is_err());
    }

    #[test]
    fn labels_are_plural() {
        assert_eq!(plural("role"), "roles");
        assert_eq!(plural("permission-set"), "permission-sets");
        assert_eq!(plural("items"), "items");
    }
}
