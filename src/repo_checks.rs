//! Checks on the repository itself, run with the unit tests: every protocol section the code,
//! the tests, the sandbox, the README and CONTRIBUTING.md cite (`§3.3`, `§5.2–§5.4`) is a
//! heading of `docs/protocol.md`, so a reader can follow each one. The user guide (README.md)
//! holds the tables a user reads: exit codes, environment variables, the run-as command's
//! environment, troubleshooting. The contributor guide (CONTRIBUTING.md) holds the layout table
//! and the dependencies, each checked against the tree and `Cargo.toml`.

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
    let mut files = vec![repo().join("README.md"), repo().join("CONTRIBUTING.md")];
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
        .unwrap_or_else(|| panic!("no {heading:?} in the document"));
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

fn contributing() -> String {
    std::fs::read_to_string(repo().join("CONTRIBUTING.md")).expect("CONTRIBUTING.md")
}

#[test]
fn the_contributing_layout_table_lists_every_module_of_src() {
    let listed: BTreeSet<String> = table_after(&contributing(), "## Layout")
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
        "CONTRIBUTING.md's Layout table and the modules of src/ differ"
    );
}

/// The names of the dependencies (normal, dev and target-specific) of `Cargo.toml`'s own
/// package, and of the workspace's shared ones.
fn dependency_names(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line.trim_matches(['[', ']']).ends_with("dependencies");
            continue;
        }
        if !in_dependencies {
            continue;
        }
        if let Some((key, _)) = line.split_once('=') {
            // `base64.workspace = true` names `base64`.
            let name = key.trim().split('.').next().unwrap_or_default();
            if !name.is_empty() && !name.starts_with('#') {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// The dependencies `section` does not name (as a whole word: `aws-sdk-sts` is not `aws-sdk-sso`).
fn unexplained(section: &str, names: &BTreeSet<String>) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            let word = Regex::new(&format!(r"(^|[^\w-]){}($|[^\w-])", regex::escape(name)))
                .expect("valid regex");
            !word.is_match(section)
        })
        .cloned()
        .collect()
}

/// Every dependency `Cargo.toml` declares is named, with its reason, under CONTRIBUTING.md's
/// "Dependencies, and why" (a new one without a reason fails here).
#[test]
fn every_dependency_is_explained_in_contributing() {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).expect("Cargo.toml");
    let names = dependency_names(&manifest);
    assert!(names.len() > 20, "the manifest was read: {names:?}");
    let contributing = contributing();
    let gaps = unexplained(section(&contributing, "Dependencies, and why"), &names);
    assert!(
        gaps.is_empty(),
        "CONTRIBUTING.md's \"Dependencies, and why\" does not name: {gaps:?}"
    );
}

#[test]
fn an_unexplained_dependency_is_reported() {
    let manifest = "[package]\nname = \"p0\"\n[dependencies]\nclap = \"4\"\n\
        aws-sdk-sts = { version = \"1\" }\nbase64.workspace = true\n[dev-dependencies]\n\
        proptest = \"1\"\n[lints]\nclippy = \"deny\"\n";
    let names = dependency_names(manifest);
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(
        unexplained(
            "- clap: the command line. base64. aws-sdk-sts-extra: no.",
            &names
        ),
        vec!["aws-sdk-sts".to_string(), "proptest".to_string()]
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

// ---- the README's environment variables: one table, the code's one list ----

/// What follows `opening` (which ends with `{`) in `source`, up to its matching `}`. Braces
/// inside string literals would count too; the items read here have none.
fn braced<'a>(source: &'a str, opening: &str) -> &'a str {
    let start = source
        .find(opening)
        .unwrap_or_else(|| panic!("no `{opening}`"))
        + opening.len();
    let mut depth = 1;
    for (offset, c) in source[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return &source[start..start + offset];
        }
    }
    panic!("`{opening}` is never closed")
}

/// The body of `pub mod NAME { ... }` in `source`.
fn module_body<'a>(source: &'a str, name: &str) -> &'a str {
    braced(source, &format!("pub mod {name} {{"))
}

/// The variables `pub mod NAME` of `src/env.rs` declares: the value of each
/// `pub const X: &str = "X";` (or `= super::other::X;`, the same variable declared in another
/// module). Any other form of constant fails, so none can be skipped unseen; and a constant is
/// named as its variable, so the README's names are the code's values.
fn env_module(source: &str, name: &str) -> BTreeSet<String> {
    let body = module_body(source, name);
    let constant = Regex::new(
        r#"pub const ([A-Z][A-Z0-9_]*): &str =\s*(?:"([A-Z][A-Z0-9_]*)"|super::[a-z_]+::([A-Z][A-Z0-9_]*));"#,
    )
    .expect("valid regex");
    let mut found = BTreeSet::new();
    let mut read = 0;
    for c in constant.captures_iter(body) {
        read += 1;
        let value = c.get(2).or(c.get(3)).expect("one alternative").as_str();
        assert_eq!(
            &c[1], value,
            "env::{name}::{} names another variable",
            &c[1]
        );
        found.insert(value.to_string());
    }
    let declared = body
        .lines()
        .filter(|line| !line.trim_start().starts_with("//") && line.contains("const "))
        .count();
    assert_eq!(
        declared, read,
        "src/env.rs `mod {name}` has a constant of a form this check cannot read"
    );
    found
}

/// The variable names in the first column of the table after `heading` (a cell may name
/// several: `` `P0_AWS_ACCOUNT`, `P0_AWS_ROLE` ``).
fn variables_in_table(readme: &str, heading: &str) -> BTreeSet<String> {
    let name = Regex::new(r"`([A-Z][A-Z0-9_]*)`").expect("valid regex");
    table_after(readme, heading)
        .iter()
        .filter_map(|row| row.first())
        .flat_map(|cell| {
            name.captures_iter(cell)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What the README's table says that the code does not, and the other way round.
fn table_differences(listed: &BTreeSet<String>, code: &BTreeSet<String>) -> Vec<String> {
    let mut problems: Vec<String> = code
        .difference(listed)
        .map(|v| format!("missing from the README: {v}"))
        .collect();
    problems.extend(
        listed
            .difference(code)
            .map(|v| format!("in the README but not in the code: {v}")),
    );
    problems
}

fn env_source() -> String {
    std::fs::read_to_string(repo().join("src/env.rs")).expect("src/env.rs")
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).expect("README.md")
}

/// Every variable `p0` reads (`env::read`) is a row of the README's one table, and no row
/// names a variable it does not read.
#[test]
fn the_readme_env_table_lists_exactly_the_variables_p0_reads() {
    let code = env_module(&env_source(), "read");
    let listed = variables_in_table(&readme(), "### Environment variables");
    let problems = table_differences(&listed, &code);
    assert!(
        problems.is_empty(),
        "README's environment table and src/env.rs `mod read` differ:\n{}",
        problems.join("\n")
    );
}

/// The run-as section lists what the command's environment gets (`env::child`) and loses
/// (`env::REMOVED_FROM_CHILD`).
#[test]
fn the_readme_run_as_section_lists_what_the_command_gets_and_loses() {
    let readme = readme();
    let set = env_module(&env_source(), "child");
    let problems = table_differences(
        &variables_in_table(&readme, "#### Set for the command"),
        &set,
    );
    assert!(
        problems.is_empty(),
        "README's \"Set for the command\" and src/env.rs `mod child` differ:\n{}",
        problems.join("\n")
    );
    let removed: BTreeSet<String> = crate::env::REMOVED_FROM_CHILD
        .iter()
        .map(|v| v.to_string())
        .collect();
    let problems = table_differences(
        &variables_in_table(&readme, "#### Removed from the command"),
        &removed,
    );
    assert!(
        problems.is_empty(),
        "README's \"Removed from the command\" and env::REMOVED_FROM_CHILD differ:\n{}",
        problems.join("\n")
    );
}

/// The checks above can fail: the parser sees the forms `src/env.rs` uses, and a table
/// without a variable (P0_FS_API_KEY was once missing) or with a stray one is reported.
#[test]
fn the_env_checks_see_a_missing_or_extra_variable() {
    let source = r#"
pub mod read {
    /// A doc comment.
    pub const P0_ORG: &str = "P0_ORG";
    pub const P0_FS_API_KEY: &str = "P0_FS_API_KEY";
    pub const P0_RUN_AS: &str = super::child::P0_RUN_AS;
    pub mod nested { }
}
pub mod child {
    pub const P0_RUN_AS: &str = "P0_RUN_AS";
}
"#;
    let code = env_module(source, "read");
    assert_eq!(
        code,
        BTreeSet::from(["P0_ORG", "P0_FS_API_KEY", "P0_RUN_AS"].map(String::from))
    );
    let readme = "### Environment variables\n\n| Variable | Effect |\n|---|---|\n\
        | `P0_ORG` | the org |\n| `P0_RUN_AS`, `P0_EXTRA` | two in one cell |\n\n## Next\n";
    let listed = variables_in_table(readme, "### Environment variables");
    assert_eq!(
        table_differences(&listed, &code),
        [
            "missing from the README: P0_FS_API_KEY",
            "in the README but not in the code: P0_EXTRA"
        ]
    );
    let real = env_module(&env_source(), "read");
    for known in ["P0_FS_API_KEY", "P0_RUN_AS", "NO_COLOR", "AWS_ROLE_ARN"] {
        assert!(real.contains(known), "{known} not read from src/env.rs");
    }
    assert!(env_module(&env_source(), "child").contains("AWS_SECURITY_TOKEN"));
}

#[test]
#[should_panic(expected = "a form this check cannot read")]
fn an_env_constant_of_another_form_is_not_skipped() {
    env_module(
        "pub mod read {\n    pub(crate) const X: &str = \"X\";\n}\n",
        "read",
    );
}

// ---- troubleshooting: every failure a user can see ----

/// Each variant of `error::Error` in `source` (src/error.rs) with its `#[error("...")]` format
/// string, in order.
fn error_variants(source: &str) -> Vec<(String, String)> {
    let attribute = Regex::new(r#"#\[error\("((?:[^"\\]|\\.)*)""#).expect("valid regex");
    let variant = Regex::new(r"^\s*([A-Z][A-Za-z0-9]*)\b").expect("valid regex");
    let mut variants = Vec::new();
    let mut format = None;
    for line in braced(source, "pub enum Error {").lines() {
        if let Some(c) = attribute.captures(line) {
            format = Some(c[1].to_string());
        } else if line.trim_start().starts_with("///") || line.trim_start().starts_with("#[") {
            continue;
        } else if let Some(c) = variant.captures(line) {
            let format = format
                .take()
                .unwrap_or_else(|| panic!("{} has no #[error]", &c[1]));
            variants.push((c[1].to_string(), format));
        }
    }
    variants
}

/// The variants `Error::exit_code` names: the compiler makes that match exhaustive (it has no
/// wildcard), so they are all the variants there are.
fn variants_given_an_exit_code(source: &str) -> BTreeSet<String> {
    let name = Regex::new(r"\b([A-Z][a-z][A-Za-z0-9]*)\b").expect("valid regex");
    let code: String = braced(source, "pub fn exit_code(&self) -> u8 {")
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    name.captures_iter(&code)
        .map(|c| c[1].to_string())
        .filter(|n| n != "Error")
        .collect()
}

/// Text as it is compared: no markdown emphasis or code marks, one space between words,
/// lower case (a README sentence may start with a message's middle).
fn normalized(text: &str) -> String {
    text.replace(['`', '*', '\\'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The words that identify a message: the first eight of its first stretch of fixed text
/// (between placeholders and line breaks) of at least four words, else of its longest stretch
/// of at least two.
fn fixed_words(format: &str) -> Option<String> {
    let placeholder = Regex::new(r"\{[^{}]*\}").expect("valid regex");
    let text = format.replace("\\n", "\n").replace("\\\"", "\"");
    let stretches: Vec<Vec<&str>> = placeholder
        .split(&text)
        .flat_map(|s| s.split('\n'))
        .map(|stretch| {
            stretch
                .trim_start_matches(|c: char| c.is_whitespace() || ":,.;)".contains(c))
                .split_whitespace()
                .collect()
        })
        .collect();
    let chosen = match stretches.iter().find(|words| words.len() >= 4) {
        Some(words) => words,
        None => stretches
            .iter()
            .filter(|words| words.len() >= 2)
            .reduce(|best, words| {
                if words.len() > best.len() {
                    words
                } else {
                    best
                }
            })?,
    };
    Some(chosen.iter().take(8).copied().collect::<Vec<_>>().join(" "))
}

/// Variants whose text is built elsewhere (`{0}`) or too short to look for: the messages p0
/// builds for them that the troubleshooting section must quote (each also in src/, so a quote
/// cannot outlive its message). `Api` carries P0's own words, which the section describes.
const BUILT_ELSEWHERE: &[(&str, &[&str])] = &[
    (
        "LoginMisconfigured",
        &[
            "Missing provider type for OIDC PKCE login",
            "Azure login requires a configured Microsoft primary domain.",
            "Azure login requires a configured client ID.",
            "expected ping OIDC provider",
            "Login requires a configured provider domain.",
            "Your organization's login configuration does not support this access.",
        ],
    ),
    (
        "Usage",
        &[
            "is not an IAM role ARN",
            "does not apply to web identity",
            "--restart needs a command",
            "cannot be an AWS profile name",
        ],
    ),
    (
        "Config",
        &[
            "Cannot read the web identity token file",
            "is not a valid org document",
            "Refusing insecure URL",
            "exists and does not use p0; it would be the source_profile of",
        ],
    ),
    (
        "RemoteData",
        &[
            "The P0 organization's settings name a URL p0 cannot use",
            "P0's status stream for the request sent a line longer",
        ],
    ),
    ("UnsafeState", &["Refusing to use", "Fix it with:"]),
    ("Io", &["renewing took longer than"]),
    ("Api", &[]),
    (
        "SsoInstance",
        &[
            "No AWS IAM Identity Center instance found",
            "Several AWS IAM Identity Center instances match",
            "No region for Identity Center start URL",
        ],
    ),
    ("Okta", &["Okta at", "Error in fetch request to"]),
    ("Aws", &["STS AssumeRoleWithSAML", "sso-oidc"]),
    ("Interrupted", &["Interrupted"]),
];

/// The text of `## heading` up to the next `## `.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(&format!("\n## {heading}"))
        .unwrap_or_else(|| panic!("no \"## {heading}\" in the document"));
    let rest = &text[start + 1..];
    match rest[3..].find("\n## ") {
        Some(end) => &rest[..end + 3],
        None => rest,
    }
}

/// What the troubleshooting section misses: for each variant of `error_source`'s `Error`, its
/// fixed words, or the quotes `BUILT_ELSEWHERE` gives it.
fn troubleshooting_gaps(error_source: &str, troubleshooting: &str, code: &str) -> Vec<String> {
    let section = normalized(troubleshooting);
    let variants = error_variants(error_source);
    let mut gaps = Vec::new();
    let names: BTreeSet<String> = variants.iter().map(|(name, _)| name.clone()).collect();
    for (name, _) in BUILT_ELSEWHERE {
        if !names.contains(*name) {
            gaps.push(format!("BUILT_ELSEWHERE names {name}, which is no variant"));
        }
    }
    for (name, format) in &variants {
        let elsewhere = BUILT_ELSEWHERE.iter().find(|(n, _)| n == name);
        match (fixed_words(format), elsewhere) {
            (Some(words), None) => {
                if !section.contains(&normalized(&words)) {
                    gaps.push(format!("{name}: \"{words}\""));
                }
            }
            (None, Some((_, quotes))) => {
                for quote in *quotes {
                    if !code.contains(quote) {
                        gaps.push(format!("{name}: \"{quote}\" is no longer in src/"));
                    } else if !section.contains(&normalized(quote)) {
                        gaps.push(format!("{name}: \"{quote}\""));
                    }
                }
            }
            (Some(words), Some(_)) => gaps.push(format!(
                "{name} has fixed words (\"{words}\"): take it out of BUILT_ELSEWHERE"
            )),
            (None, None) => gaps.push(format!(
                "{name}'s text ({format:?}) is built elsewhere: add it to BUILT_ELSEWHERE with \
                 the messages p0 builds for it"
            )),
        }
    }
    gaps
}

/// Every file of src/ but this one, for the quotes of `BUILT_ELSEWHERE`.
fn source_text() -> String {
    let mut files = Vec::new();
    files_under(&repo().join("src"), &mut files);
    files
        .iter()
        .filter(|f| !f.ends_with("repo_checks.rs"))
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A user who sees any of p0's failures finds it, by its words, in the README's
/// troubleshooting section (what it means, what to do).
#[test]
fn the_troubleshooting_section_covers_every_failure() {
    let error_source = std::fs::read_to_string(repo().join("src/error.rs")).expect("error.rs");
    let parsed: BTreeSet<String> = error_variants(&error_source)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        parsed,
        variants_given_an_exit_code(&error_source),
        "the #[error] attributes read are not every variant of Error"
    );
    let readme = readme();
    let gaps = troubleshooting_gaps(
        &error_source,
        section(&readme, "Troubleshooting"),
        &source_text(),
    );
    assert!(
        gaps.is_empty(),
        "README's Troubleshooting section does not quote these messages:\n{}",
        gaps.join("\n")
    );
}

#[test]
fn a_message_the_troubleshooting_section_lacks_is_reported() {
    assert_eq!(
        fixed_words("Timed out after {seconds} s waiting for another p0 process holding {path}")
            .as_deref(),
        Some("s waiting for another p0 process holding")
    );
    assert_eq!(
        fixed_words("{0}: command not found").as_deref(),
        Some("command not found")
    );
    assert_eq!(
        fixed_words("Role {role} not available. Available roles:\\n{}").as_deref(),
        Some("not available. Available roles:")
    );
    assert_eq!(fixed_words("{context}: {source}"), None);
    assert_eq!(fixed_words("Interrupted"), None);
    let source = r#"
pub enum Error {
    /// Doc.
    #[error("Could not determine your home directory")]
    NoHomeDirectory,
    #[error("{0}: command not found")]
    CommandNotFound(String),
    #[error("{0}")]
    Mystery(String),
}
"#;
    assert_eq!(
        error_variants(source),
        [
            ("NoHomeDirectory", "Could not determine your home directory"),
            ("CommandNotFound", "{0}: command not found"),
            ("Mystery", "{0}"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let gaps = troubleshooting_gaps(
        source,
        "`Could not determine your\n home directory`: set HOME.",
        "",
    );
    assert!(
        gaps.iter().any(|g| g.starts_with("CommandNotFound:")),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| g.starts_with("Mystery's text")),
        "{gaps:?}"
    );
    assert!(
        !gaps.iter().any(|g| g.starts_with("NoHomeDirectory")),
        "{gaps:?}"
    );
    assert!(gaps
        .iter()
        .any(|g| g.contains("BUILT_ELSEWHERE names Usage")));
}
