//! The INI dialect of `~/.aws/config` and `~/.aws/credentials`, read as botocore reads it
//! (Python's `configparser`: `=` or `:` between key and value, keys case-insensitive, full-line
//! `#`/`;` comments, indented lines continue the value above, `[name] trailing` is a header)
//! and edited as a pure function text -> text that keeps every byte outside what it changes:
//! comments, blank lines, order, spacing, CRLF or LF, a missing final newline.
//!
//! `ini_roundtrip` splits the text into lines and hands each back raw; the AWS reading of each
//! line is ours, and so are the byte offsets that make an edit a splice of the original text.

use std::collections::BTreeMap;

/// What one line is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `[name]`: the name trimmed, inner whitespace runs collapsed (`[profile  x]` is
    /// `profile x`, as botocore's shlex split reads it).
    Header(String),
    /// `key = value`: the key lowercased (configparser's `optionxform`), the value trimmed.
    Property { key: String, value: String },
    /// An indented line after a property: part of its value (botocore's nested `s3 =` blocks).
    Continuation,
    /// A comment, a blank line, or anything else kept as it is.
    Other,
}

/// One line: its bytes `start..end` in the text, `end` past the line's terminator, if any.
#[derive(Debug, Clone)]
struct Line {
    start: usize,
    /// Where the line's content ends (its terminator starts).
    content_end: usize,
    end: usize,
    kind: Kind,
}

/// A parsed file: its lines, in order, covering the text exactly.
#[derive(Debug)]
struct Lines<'a> {
    text: &'a str,
    lines: Vec<Line>,
}

impl<'a> Lines<'a> {
    fn parse(text: &'a str) -> Lines<'a> {
        let mut lines = Vec::new();
        let mut in_property = false;
        for item in ini_roundtrip::Parser::new(text) {
            let raw = match item {
                ini_roundtrip::Item::SectionEnd => continue,
                ini_roundtrip::Item::Error(raw)
                | ini_roundtrip::Item::Section { raw, .. }
                | ini_roundtrip::Item::Property { raw, .. }
                | ini_roundtrip::Item::Comment { raw }
                | ini_roundtrip::Item::Blank { raw } => raw,
            };
            // Every raw line is a slice of `text`: its offset is where it starts.
            let start = raw.as_ptr() as usize - text.as_ptr() as usize;
            let content_end = start + raw.len();
            let rest = &text.as_bytes()[content_end..];
            let terminator = match rest {
                [b'\r', b'\n', ..] => 2,
                [b'\r' | b'\n', ..] => 1,
                _ => 0,
            };
            let kind = classify(raw, in_property);
            in_property = matches!(kind, Kind::Property { .. } | Kind::Continuation);
            lines.push(Line {
                start,
                content_end,
                end: content_end + terminator,
                kind,
            });
        }
        debug_assert!(lines.windows(2).all(|w| w[0].end == w[1].start));
        Lines { text, lines }
    }

    fn raw(&self, line: &Line) -> &'a str {
        &self.text[line.start..line.content_end]
    }

    /// The newline this file uses (its first line's), `\n` when it has none.
    fn newline(&self) -> &'a str {
        self.lines
            .iter()
            .find(|l| l.end > l.content_end)
            .map(|l| &self.text[l.content_end..l.end])
            .unwrap_or("\n")
    }

    /// The index ranges of the sections whose header `wanted` accepts: header line, end.
    fn sections(&self, wanted: &dyn Fn(&str) -> bool) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            if let Kind::Header(name) = &line.kind {
                if wanted(name) {
                    let end = self.lines[i + 1..]
                        .iter()
                        .position(|l| matches!(l.kind, Kind::Header(_)))
                        .map_or(self.lines.len(), |n| i + 1 + n);
                    found.push((i, end));
                }
            }
        }
        found
    }
}

fn classify(raw: &str, after_property: bool) -> Kind {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Kind::Other;
    }
    let indented = raw.starts_with([' ', '\t']);
    if indented && after_property {
        return Kind::Continuation;
    }
    if let Some(inner) = trimmed.strip_prefix('[') {
        if let Some(close) = inner.rfind(']') {
            return Kind::Header(normalize(&inner[..close]));
        }
        return Kind::Other;
    }
    // configparser's delimiters: whichever of `=` and `:` comes first.
    match trimmed.find(['=', ':']) {
        Some(at) => Kind::Property {
            key: trimmed[..at].trim().to_ascii_lowercase(),
            value: trimmed[at + 1..].trim().to_string(),
        },
        None => Kind::Other,
    }
}

/// A section name as botocore compares it: trimmed, inner whitespace collapsed.
pub fn normalize(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One section as read: its name and its properties (the last of a repeated key wins; a
/// value continued on indented lines reads as its first line, usually empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub properties: BTreeMap<String, String>,
}

impl Section {
    /// A property by key, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Every section of `text`, in order (properties before the first header are left out, as
/// botocore refuses them).
pub fn sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in Lines::parse(text).lines {
        match line.kind {
            Kind::Header(name) => sections.push(Section {
                name,
                properties: BTreeMap::new(),
            }),
            Kind::Property { key, value } => {
                if let Some(section) = sections.last_mut() {
                    section.properties.insert(key, value);
                }
            }
            Kind::Continuation | Kind::Other => {}
        }
    }
    sections
}

/// What to change in one section.
#[derive(Debug, Clone, Default)]
pub struct Edit<'a> {
    /// Set in this order: an existing key keeps its line (rewritten only if its value
    /// differs), a new one goes after the section's last property.
    pub set: Vec<(&'a str, String)>,
    /// Removed, with their continuation lines, from every matching section.
    pub remove: &'a [&'a str],
    /// Comment lines (without the `# `) written above the properties of a new section.
    pub comment: Option<&'a str>,
}

/// A value that cannot be written on one INI line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwritable(pub String);

/// `text` with `edit` applied to the sections `wanted` accepts; when none exists and there is
/// something to set, a new section `[header]` at the end. Every byte outside the touched
/// lines is kept. The value of `set` is written as `key = value`.
pub fn edit(
    text: &str,
    wanted: &dyn Fn(&str) -> bool,
    header: &str,
    edit: &Edit<'_>,
) -> Result<String, Unwritable> {
    for (key, value) in &edit.set {
        for part in [*key, value.as_str()] {
            if part.contains(['\n', '\r']) {
                return Err(Unwritable(format!("{key}: a line break cannot be written")));
            }
        }
    }
    let lines = Lines::parse(text);
    let newline = lines.newline();
    let sections = lines.sections(wanted);
    let removed = |key: &str| edit.remove.iter().any(|r| r.eq_ignore_ascii_case(key));
    let set_value = |key: &str| {
        edit.set
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    };

    // What becomes of each line: kept, replaced by new text, or dropped.
    let mut replacement: Vec<Option<String>> = vec![None; lines.lines.len()];
    let mut dropped = vec![false; lines.lines.len()];
    let mut insert_after: Option<(usize, String)> = None;

    for (n, &(head, end)) in sections.iter().enumerate() {
        let first = n == 0;
        let mut seen: Vec<String> = Vec::new();
        let mut dropping = false;
        for i in head + 1..end {
            let line = &lines.lines[i];
            match &line.kind {
                Kind::Property { key, value } => {
                    dropping = false;
                    let target = if first { set_value(key) } else { None };
                    if let Some(new_value) = target.filter(|_| !seen.contains(key)) {
                        seen.push(key.clone());
                        // Continuation lines belong to the old value.
                        dropping = true;
                        let continued = lines.lines[i + 1..end]
                            .first()
                            .is_some_and(|l| l.kind == Kind::Continuation);
                        if value != new_value || continued {
                            replacement[i] = Some(format!("{key} = {new_value}"));
                        }
                    } else if removed(key) || target.is_some() {
                        // Removed, or a repeat of a key just set (botocore refuses repeats).
                        dropped[i] = true;
                        dropping = true;
                    }
                }
                Kind::Continuation => dropped[i] = dropping,
                Kind::Header(_) | Kind::Other => dropping = false,
            }
        }
        if first {
            let missing: Vec<String> = edit
                .set
                .iter()
                .filter(|(k, _)| !seen.iter().any(|s| s.eq_ignore_ascii_case(k)))
                .map(|(k, v)| format!("{} = {v}", k.to_ascii_lowercase()))
                .collect();
            if !missing.is_empty() {
                // After the last property line kept (or the header), before the comments and
                // blank lines that lead to the next section.
                let at = (head + 1..end)
                    .rev()
                    .find(|&i| {
                        !dropped[i]
                            && matches!(
                                lines.lines[i].kind,
                                Kind::Property { .. } | Kind::Continuation
                            )
                    })
                    .unwrap_or(head);
                insert_after = Some((at, missing.join(newline)));
            }
        }
    }

    let mut out = String::with_capacity(text.len() + 256);
    for (i, line) in lines.lines.iter().enumerate() {
        if dropped[i] {
            continue;
        }
        match &replacement[i] {
            Some(new) => {
                out.push_str(new);
                out.push_str(&text[line.content_end..line.end]);
            }
            None => out.push_str(&text[line.start..line.end]),
        }
        if let Some((at, added)) = &insert_after {
            if *at == i {
                push_lines(&mut out, line.end == line.content_end, added, newline);
            }
        }
    }
    if sections.is_empty() && !edit.set.is_empty() {
        let mut block = format!("[{header}]");
        if let Some(comment) = edit.comment {
            for line in comment.lines() {
                block.push_str(newline);
                block.push_str(format!("# {line}").trim_end());
            }
        }
        for (key, value) in &edit.set {
            block.push_str(newline);
            block.push_str(&format!("{} = {value}", key.to_ascii_lowercase()));
        }
        let unterminated = !out.is_empty() && !out.ends_with(['\n', '\r']);
        let ends_blank = out.is_empty()
            || lines
                .lines
                .last()
                .is_some_and(|l| l.kind == Kind::Other && lines.raw(l).trim().is_empty());
        if unterminated {
            out.push_str(newline);
        }
        if !ends_blank {
            out.push_str(newline);
        }
        out.push_str(&block);
        if !unterminated {
            out.push_str(newline);
        }
    }
    Ok(out)
}

/// Appends `added` (lines joined by `newline`) after a line; at the very end of a file that
/// has no final newline, the file keeps having none.
fn push_lines(out: &mut String, unterminated: bool, added: &str, newline: &str) {
    if unterminated {
        out.push_str(newline);
        out.push_str(added);
    } else {
        out.push_str(added);
        out.push_str(newline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn profile(name: &'static str) -> impl Fn(&str) -> bool {
        move |header: &str| header == format!("profile {name}")
    }

    const CONFIG: &str = "\
# my AWS config
[default]
region = eu-west-1
output=json

; work
[profile  work]
sso_session = corp
s3 =
  max_concurrent_requests = 20
region = us-east-1
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
";

    #[test]
    fn reads_sections_as_botocore_does() {
        let all = sections(CONFIG);
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["default", "profile work", "sso-session corp"]);
        assert_eq!(all[0].get("OUTPUT"), Some("json"));
        assert_eq!(all[1].get("region"), Some("us-east-1"));
        assert_eq!(all[1].get("s3"), Some(""));
        assert_eq!(
            all[1].get("max_concurrent_requests"),
            None,
            "nested, not a key"
        );
        let colon = sections("[x] trailing\nKey: a=b\n");
        assert_eq!(colon[0].name, "x");
        assert_eq!(colon[0].get("key"), Some("a=b"));
    }

    #[test]
    fn updates_in_place_and_keeps_everything_else() {
        let edited = edit(
            CONFIG,
            &profile("work"),
            "profile work",
            &Edit {
                set: vec![("region", "ap-south-1".into()), ("output", "text".into())],
                remove: &["sso_session", "s3"],
                comment: None,
            },
        )
        .unwrap();
        assert_eq!(
            edited,
            "\
# my AWS config
[default]
region = eu-west-1
output=json

; work
[profile  work]
region = ap-south-1
output = text
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
"
        );
    }

    #[test]
    fn an_unchanged_value_keeps_its_line_byte_for_byte() {
        let text = "[profile a]\nregion=us-east-1   \n";
        let same = edit(
            text,
            &profile("a"),
            "profile a",
            &Edit {
                set: vec![("region", "us-east-1".into())],
                ..Edit::default()
            },
        )
        .unwrap();
        assert_eq!(same, text);
    }

    #[test]
    fn a_new_section_goes_at_the_end_in_the_files_style() {
        let set = Edit {
            set: vec![("credential_process", "/bin/p0 x".into())],
            comment: Some("written by p0"),
            ..Edit::default()
        };
        let crlf = edit(
            "[default]\r\nregion = x\r\n",
            &profile("n"),
            "profile n",
            &set,
        )
        .unwrap();
        assert_eq!(
            crlf,
            "[default]\r\nregion = x\r\n\r\n[profile n]\r\n# written by p0\r\ncredential_process = /bin/p0 x\r\n"
        );
        let unterminated = edit("[default]\nregion = x", &profile("n"), "profile n", &set).unwrap();
        assert_eq!(
            unterminated,
            "[default]\nregion = x\n\n[profile n]\n# written by p0\ncredential_process = /bin/p0 x"
        );
        let empty = edit("", &profile("n"), "profile n", &set).unwrap();
        assert_eq!(
            empty,
            "[profile n]\n# written by p0\ncredential_process = /bin/p0 x\n"
        );
        let after_blank = edit("[a]\nk = v\n\n", &profile("n"), "profile n", &set).unwrap();
        assert!(
            after_blank.starts_with("[a]\nk = v\n\n[profile n]\n"),
            "{after_blank:?}"
        );
    }

    #[test]
    fn a_new_key_follows_the_last_property_not_the_trailing_comments() {
        let text = "[profile a]\nregion = x\n\n# about b\n[profile b]\n";
        let edited = edit(
            text,
            &profile("a"),
            "profile a",
            &Edit {
                set: vec![("output", "json".into())],
                ..Edit::default()
            },
        )
        .unwrap();
        assert_eq!(
            edited,
            "[profile a]\nregion = x\noutput = json\n\n# about b\n[profile b]\n"
        );
        // At the end of a file without a final newline, it still has none.
        let edited = edit(
            "[profile a]\nregion = x",
            &profile("a"),
            "profile a",
            &Edit {
                set: vec![("output", "json".into())],
                ..Edit::default()
            },
        )
        .unwrap();
        assert_eq!(edited, "[profile a]\nregion = x\noutput = json");
    }

    #[test]
    fn removing_applies_to_every_matching_section_and_repeats_go() {
        let text = "[default]\naws_access_key_id = A\n[profile default]\nAWS_ACCESS_KEY_ID: B\nregion = r\nregion = s\n";
        let either = |h: &str| h == "default" || h == "profile default";
        let edited = edit(
            text,
            &either,
            "default",
            &Edit {
                remove: &["aws_access_key_id"],
                ..Edit::default()
            },
        )
        .unwrap();
        assert_eq!(
            edited,
            "[default]\n[profile default]\nregion = r\nregion = s\n"
        );
        let set = edit(
            text,
            &|h: &str| h == "profile default",
            "profile default",
            &Edit {
                set: vec![("region", "t".into())],
                ..Edit::default()
            },
        )
        .unwrap();
        assert!(set.ends_with("region = t\n"), "{set}");
        assert_eq!(set.matches("region").count(), 1, "{set}");
    }

    #[test]
    fn line_breaks_in_values_are_refused() {
        let refused = edit(
            "",
            &profile("a"),
            "profile a",
            &Edit {
                set: vec![("credential_process", "a\nb".into())],
                ..Edit::default()
            },
        );
        assert!(refused.is_err());
    }

    /// Lines of the kinds real files have, for the property tests.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("# a comment".to_string()),
            Just("; another = comment".to_string()),
            Just("[default]".to_string()),
            Just("[profile a]".to_string()),
            Just("[profile  b] # trailing".to_string()),
            Just("[sso-session s]".to_string()),
            Just("[broken".to_string()),
            Just("   ".to_string()),
            Just("s3 =".to_string()),
            Just("  max_concurrent_requests = 20".to_string()),
            "[a-z_]{1,12}".prop_map(|k| format!("{k} = value")),
            "[a-z_]{1,12}".prop_map(|k| format!("{k}:v")),
            Just("credential_process = /bin/x".to_string()),
            Just("region=us-east-1".to_string()),
            "[ -~]{0,30}",
        ]
    }

    fn file() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(line(), 0..30),
            prop_oneof![Just("\n"), Just("\r\n")],
            any::<bool>(),
        )
            .prop_map(|(lines, newline, final_newline)| {
                let mut text = lines.join(newline);
                if final_newline && !text.is_empty() {
                    text.push_str(newline);
                }
                text
            })
    }

    /// The exact bytes of the preamble and of each section `touched` refuses, in order.
    fn untouched(text: &str, touched: &dyn Fn(&str) -> bool) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut skipping = false;
        for line in Lines::parse(text).lines {
            if let Kind::Header(name) = &line.kind {
                skipping = touched(name);
                if !skipping {
                    out.push(String::new());
                }
            }
            if !skipping {
                out.last_mut()
                    .unwrap()
                    .push_str(&text[line.start..line.end]);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn parsing_covers_every_byte(text in file()) {
            let lines = Lines::parse(&text);
            let joined: String = lines.lines.iter().map(|l| &text[l.start..l.end]).collect();
            prop_assert_eq!(joined, text);
        }

        #[test]
        fn untouched_sections_are_byte_identical(
            text in file(),
            remove in any::<bool>(),
            value in "[ -~]{0,20}",
        ) {
            let wanted = |h: &str| h == "profile a";
            let set = vec![("credential_process", value.clone()), ("region", "r".to_string())];
            let change = Edit {
                set: if remove { Vec::new() } else { set },
                remove: &["credential_process", "s3", "region"],
                comment: Some("p0"),
            };
            let edited = edit(&text, &wanted, "profile a", &change).unwrap();
            // Outside [profile a], every section is the same, byte for byte; a section
            // appended at the end may add a line break and a blank line before it.
            let mut before = untouched(&text, &wanted);
            let mut after = untouched(&edited, &wanted);
            let appended = !remove && !sections(&text).iter().any(|s| wanted(&s.name));
            if appended {
                let (b, a) = (before.pop().unwrap(), after.pop().unwrap());
                prop_assert_eq!(b.trim_end_matches(['\r', '\n']), a.trim_end_matches(['\r', '\n']));
            }
            prop_assert_eq!(before, after);
            // Editing again changes nothing.
            let again = edit(&edited, &wanted, "profile a", &change).unwrap();
            prop_assert_eq!(&again, &edited);
            // And the section says what was set.
            if !remove {
                let found = sections(&edited);
                let section = found.iter().find(|s| wanted(&s.name)).unwrap();
                prop_assert_eq!(section.get("credential_process"), Some(value.trim()));
                prop_assert_eq!(section.get("region"), Some("r"));
            } else {
                for section in sections(&edited).iter().filter(|s| wanted(&s.name)) {
                    prop_assert_eq!(section.get("credential_process"), None);
                }
            }
        }
    }
}
