//! Checks on the repository itself, run with the unit tests: every protocol section the code,
//! the tests, the sandbox and the README cite (`§3.3`, `§5.2–§5.4`) is a heading of
//! `docs/protocol.md`, so a reader can follow each one.

use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// `§N` or `§N.M`, a range's far end, and an `RFC NNNN` before it (another document's section).
static CITATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(RFC ?\d+,? )?§(\d+(?:\.\d+)*)(?:\s*[–-]\s*§?(\d+(?:\.\d+)*))?")
        .expect("valid regex")
});

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The section numbers `docs/protocol.md` has headings for: `## 3. Access requests` is `3`,
/// `### 3.3 Wait: ...` is `3.3`.
fn sections(protocol: &str) -> BTreeSet<String> {
    let heading = Regex::new(r"(?m)^#{2,4} (\d+(?:\.\d+)*)\.? ").expect("valid regex");
    heading
        .captures_iter(protocol)
        .map(|c| c[1].to_string())
        .collect()
}

/// The protocol sections `text` cites. `§N` after `RFC NNNN` is the RFC's own section, not
/// ours; `§3.2–3.4` cites both ends.
fn citations(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for c in CITATION.captures_iter(text) {
        if c.get(1).is_some() {
            continue;
        }
        for number in [c.get(2), c.get(3)].into_iter().flatten() {
            found.push(number.as_str().trim_end_matches('.').to_string());
        }
    }
    found
}

/// Every text file under `dir`, skipping build output and hidden directories.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files_under(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_cited_protocol_section_exists() {
    let protocol = std::fs::read_to_string(repo().join("docs/protocol.md"))
        .expect("docs/protocol.md is readable");
    let known = sections(&protocol);
    let mut files = vec![repo().join("README.md")];
    for dir in ["src", "tests", "sandbox", "docs"] {
        files_under(&repo().join(dir), &mut files);
    }
    let mut cited = 0;
    let mut unknown = Vec::new();
    for file in &files {
        // Binary files hold no citations.
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            for section in citations(line) {
                cited += 1;
                if !known.contains(&section) {
                    let shown = file.strip_prefix(repo()).unwrap_or(file);
                    unknown.push(format!("{}:{}: §{section}", shown.display(), number + 1));
                }
            }
        }
    }
    // The walk must have seen the citations that exist today (there are well over a hundred).
    assert!(
        cited > 100,
        "only {cited} citations found: is the walk broken?"
    );
    assert!(
        unknown.is_empty(),
        "cited sections docs/protocol.md has no heading for:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_protocol_has_sections_zero_to_ten() {
    let protocol = std::fs::read_to_string(repo().join("docs/protocol.md")).unwrap();
    let known = sections(&protocol);
    for top in 0..=10 {
        assert!(known.contains(&top.to_string()), "no section {top}");
    }
    assert!(known.contains("3.3") && known.contains("6.4"), "{known:?}");
}

#[test]
fn citations_are_read_as_the_code_writes_them() {
    assert_eq!(citations("the §3.1 schedule"), ["3.1"]);
    assert_eq!(citations("(§5.3, §5.4)"), ["5.3", "5.4"]);
    assert_eq!(citations("Access requests (§3.2–§3.4)"), ["3.2", "3.4"]);
    assert_eq!(citations("§2.1 step 5."), ["2.1"]);
    assert_eq!(citations("protocol §1."), ["1"]);
    // Another document's sections are not ours.
    assert!(citations("RFC 8628 §3.5: on `slow_down`").is_empty());
    assert_eq!(
        sections("## 3. Access requests\n### 3.3 Wait: x\n#### not a section\n"),
        BTreeSet::from(["3".to_string(), "3.3".to_string()])
    );
}
