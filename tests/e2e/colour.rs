//! Colour only on a terminal, and never with `NO_COLOR`: the help and `--debug`'s diagnostics.

use crate::harness::*;

/// `p0 ARGS` under a pseudo-terminal with `vars` set; the transcript.
fn in_terminal(sb: &Sandbox, vars: &[&str], args: &[&str]) -> String {
    let p0 = p0_binary().display().to_string();
    let mut argv: Vec<&str> = vars.to_vec();
    argv.push(&p0);
    argv.extend(args);
    let out = sb.in_terminal("env", &argv, "");
    text(&out.stdout)
}

const ESC: char = '\u{1b}';

#[test]
fn no_color_leaves_debug_output_on_a_terminal_without_escape_codes() {
    let sb = Sandbox::logged_in(default_scenario());
    let args = ["--debug", "ls", "aws", "role"];
    // The same run with colour has escape codes, so the check below can fail.
    let coloured = in_terminal(&sb, &[], &args);
    assert!(coloured.contains("DEBUG"), "{coloured}");
    assert!(coloured.contains(ESC), "{coloured:?}");

    let plain = in_terminal(&sb, &["NO_COLOR=1"], &args);
    assert!(plain.contains("DEBUG") && plain.contains(ADMIN), "{plain}");
    assert!(!plain.contains(ESC), "{plain:?}");
}

#[test]
fn no_color_leaves_the_help_without_escape_codes() {
    let sb = Sandbox::start(default_scenario());
    let coloured = in_terminal(&sb, &[], &["run-as", "--help"]);
    assert!(coloured.contains(ESC), "{coloured:?}");
    let plain = in_terminal(&sb, &["NO_COLOR=1"], &["run-as", "--help"]);
    assert!(plain.contains("For a long run:"), "{plain}");
    assert!(!plain.contains(ESC), "{plain:?}");
}
