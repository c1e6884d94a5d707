//! Checks on the repository itself, run with the unit tests: every protocol section the code,
//! the tests, the sandbox and the README cite (`§3.3`, `§5.2–§5.4`) is a heading of
//! `docs/protocol.md`, so a reader can follow each one.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
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

// ---- the architecture: modules and their imports ----

/// The top-level module a file of `src/` belongs to (`src/plan/mod.rs` -> `plan`).
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(repo().join("src")).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The code of a file without comments and without its unit-test module, which may reach
/// anywhere.
fn code_of(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    let end = text[..end]
        .find("#[cfg(test)]\npub(crate) mod tests")
        .unwrap_or(end);
    text[..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which top-level modules each top-level module of `src/` names (`crate::x`).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let path = Regex::new(r"crate::([a-z_0-9]+)").expect("valid regex");
    let group = Regex::new(r"crate::\{([^}]*)\}").expect("valid regex");
    let word = Regex::new(r"\b([a-z_][a-z_0-9]*)\b").expect("valid regex");
    let mut files = Vec::new();
    files_under(&repo().join("src"), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if module == "main" || module == "repo_checks" || name.ends_with("_tests.rs") {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).expect("source is text"));
        let entry = graph.entry(module.clone()).or_default();
        let mut named: Vec<String> = path
            .captures_iter(&code)
            .map(|c| c[1].to_string())
            .collect();
        for g in group.captures_iter(&code) {
            // Only the first word of each item in `crate::{a::b, c}` is a module.
            for item in g[1].split(',') {
                if let Some(first) = word.captures(item.trim()) {
                    named.push(first[1].to_string());
                }
            }
        }
        entry.extend(named.into_iter().filter(|n| *n != module));
    }
    graph
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = module_graph();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_string());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = visit(module, &graph, &mut Vec::new(), &mut done) {
            panic!("an import cycle in src/: {}", cycle.join(" -> "));
        }
    }
    assert!(graph.len() > 10, "the graph was read: {graph:?}");
}

/// The rows of the markdown table that follows `heading` in `text`: the cells of each row.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    text[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_layout_table_lists_every_module_of_src() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let listed: BTreeSet<String> = table_after(&readme, "## Layout")
        .into_iter()
        .filter_map(|row| {
            let path = row.first()?.trim_matches('`').to_string();
            let module = path.strip_prefix("src/")?;
            Some(
                module
                    .trim_end_matches('/')
                    .trim_end_matches(".rs")
                    .to_string(),
            )
        })
        .collect();
    let mut actual = BTreeSet::new();
    for entry in std::fs::read_dir(repo().join("src")).expect("src/") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_str().expect("UTF-8 names");
        let module = name.trim_end_matches(".rs").to_string();
        if module != "repo_checks" {
            actual.insert(module);
        }
    }
    assert_eq!(
        listed, actual,
        "README's Layout table and the modules of src/ differ"
    );
}

#[test]
fn the_readme_exit_code_table_is_the_one_in_the_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let rows: Vec<(String, String)> = table_after(&readme, "### Exit codes")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let expected: Vec<(String, String)> = crate::error::exit::TABLE
        .iter()
        .map(|(code, meaning)| (code.to_string(), meaning.to_string()))
        .collect();
    assert_eq!(
        rows, expected,
        "README's exit codes differ from error::exit::TABLE"
    );
}
