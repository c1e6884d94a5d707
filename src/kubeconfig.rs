//! A kubeconfig's cluster, user and context entries, written as `aws eks update-kubeconfig`
//! writes them (awscli `customizations/eks/update_kubeconfig.py`: PyYAML's block style, lists
//! at their key's indentation, keys in its order), and edited line by line so that every other
//! byte of the file stays as it was: other entries, comments, order, blank lines. The AWS CLI
//! rewrites the whole file through PyYAML instead, dropping comments.
//!
//! The editor knows the block layout `kubectl` and the AWS CLI write (`clusters:` at the left
//! margin, `- ` items under it at any indentation, each with a `name:`); a section in flow
//! style (`clusters: [{...}]`) with entries in it is refused rather than guessed at.

/// One entry of a section, rendered at indentation 0 (`- cluster:\n    server: ...\n  name: ...`).
pub struct Entry {
    pub name: String,
    pub text: String,
}

/// What `update-kubeconfig` writes.
pub struct Update {
    pub cluster: Entry,
    pub context: Entry,
    pub user: Entry,
    pub current_context: String,
}

/// A YAML scalar as PyYAML would write it: plain when that reads back as the same string,
/// else single-quoted.
pub fn scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@+=".contains(&b))
        && !value.ends_with(':')
        && !value.contains(": ")
        && value.parse::<f64>().is_err()
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        )
        && !value.starts_with(':')
        && value != "-";
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// The file with `update` applied; `existing` is the file's text, if any.
pub fn apply(existing: Option<&str>, update: &Update) -> Result<String, String> {
    let Some(text) = existing.filter(|t| !t.trim().is_empty()) else {
        return Ok(format!(
            "apiVersion: v1\nclusters:\n{}contexts:\n{}current-context: {}\nkind: Config\npreferences: {{}}\nusers:\n{}",
            update.cluster.text,
            update.context.text,
            scalar(&update.current_context),
            update.user.text
        ));
    };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    if lines.last().is_some_and(|l| !l.ends_with('\n')) {
        let last = lines.pop().expect("a last line");
        lines.push(format!("{last}\n"));
    }
    for (key, entry) in [
        ("clusters", &update.cluster),
        ("contexts", &update.context),
        ("users", &update.user),
    ] {
        lines = set_entry(lines, key, entry)?;
    }
    let current = format!("current-context: {}\n", scalar(&update.current_context));
    match top_level(&lines, "current-context") {
        Some((start, _)) => lines[start] = current,
        None => lines.push(current),
    }
    Ok(lines.concat())
}

/// The lines `[start, end)` of the top-level key `key` (its own line and what belongs to it).
fn top_level(lines: &[String], key: &str) -> Option<(usize, usize)> {
    let is_key_line = |line: &str| {
        let first = line.chars().next();
        first.is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-')
    };
    let start = lines.iter().position(|line| {
        line.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let end = (start + 1..lines.len())
        .find(|&i| is_key_line(&lines[i]))
        .unwrap_or(lines.len());
    Some((start, end))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn set_entry(mut lines: Vec<String>, key: &str, entry: &Entry) -> Result<Vec<String>, String> {
    let Some((start, end)) = top_level(&lines, key) else {
        lines.push(format!("{key}:\n"));
        lines.push(entry.text.clone());
        return Ok(lines);
    };
    let value = without_comment(&lines[start][key.len() + 1..]);
    if !value.is_empty() {
        if matches!(value, "[]" | "null" | "~" | "{}") {
            lines[start] = format!("{key}:\n");
            lines.insert(start + 1, entry.text.clone());
            return Ok(lines);
        }
        return Err(format!(
            "its `{key}` is not in block style; p0 edits only the layout kubectl writes"
        ));
    }
    // The items: lines starting with `- ` at the first item's indentation.
    let first_item = (start + 1..end).find(|&i| lines[i].trim_start().starts_with("- "));
    let Some(first_item) = first_item else {
        lines.insert(end, entry.text.clone());
        return Ok(lines);
    };
    let indent = indent_of(&lines[first_item]);
    let item_starts: Vec<usize> = (first_item..end)
        .filter(|&i| indent_of(&lines[i]) == indent && lines[i].trim_start().starts_with("- "))
        .collect();
    let pad = " ".repeat(indent);
    let rendered: String = entry
        .text
        .split_inclusive('\n')
        .map(|line| format!("{pad}{line}"))
        .collect();
    for (n, &item) in item_starts.iter().enumerate() {
        let mut item_end = item_starts.get(n + 1).copied().unwrap_or(end);
        // Trailing blank lines and comments stay where they are.
        while item_end > item + 1 && {
            let t = lines[item_end - 1].trim();
            t.is_empty() || t.starts_with('#')
        } {
            item_end -= 1;
        }
        let name_prefixes = [format!("{pad}  name:"), format!("{pad}- name:")];
        let named = lines[item..item_end].iter().any(|line| {
            name_prefixes.iter().any(|prefix| {
                line.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| unquote(without_comment(rest)) == entry.name)
            })
        });
        if named {
            lines.splice(item..item_end, [rendered]);
            return Ok(lines);
        }
    }
    // A new entry, after the last one (and before any trailing blank lines or comments).
    let mut at = end;
    while at > first_item + 1 && {
        let t = lines[at - 1].trim();
        t.is_empty() || t.starts_with('#')
    } {
        at -= 1;
    }
    lines.insert(at, rendered);
    Ok(lines)
}

fn without_comment(value: &str) -> &str {
    value.split(" #").next().unwrap_or("").trim()
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        inner.to_string()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(name: &str) -> Update {
        let entry = |section: &str| Entry {
            name: name.to_string(),
            text: format!("- {section}: new\n  name: {name}\n"),
        };
        Update {
            cluster: entry("cluster"),
            context: entry("context"),
            user: entry("user"),
            current_context: name.to_string(),
        }
    }

    const OTHERS: &str = "\
apiVersion: v1
# my clusters
clusters:
- cluster:
    server: https://other.example
  name: other   # keep me
contexts:
  - context:
      cluster: other
    name: other
current-context: other
kind: Config
preferences: {}
users:
- name: 'other'
  user:
    token: abc

";

    #[test]
    fn other_entries_stay_byte_for_byte_and_ours_are_added() {
        let out = apply(
            Some(OTHERS),
            &update("arn:aws:eks:us-west-2:1:cluster/demo"),
        )
        .unwrap();
        assert_eq!(
            out,
            "\
apiVersion: v1
# my clusters
clusters:
- cluster:
    server: https://other.example
  name: other   # keep me
- cluster: new
  name: arn:aws:eks:us-west-2:1:cluster/demo
contexts:
  - context:
      cluster: other
    name: other
  - context: new
    name: arn:aws:eks:us-west-2:1:cluster/demo
current-context: arn:aws:eks:us-west-2:1:cluster/demo
kind: Config
preferences: {}
users:
- name: 'other'
  user:
    token: abc
- user: new
  name: arn:aws:eks:us-west-2:1:cluster/demo

"
        );
        // Again: the same entries are replaced, not added twice.
        let again = apply(Some(&out), &update("arn:aws:eks:us-west-2:1:cluster/demo")).unwrap();
        assert_eq!(again, out);
        // An existing entry of that name is replaced in place.
        let replaced = apply(Some(OTHERS), &update("other")).unwrap();
        assert!(
            replaced.contains("- cluster: new\n  name: other\n"),
            "{replaced}"
        );
        assert!(!replaced.contains("https://other.example"), "{replaced}");
        assert!(
            replaced.contains("  - context: new\n    name: other\n"),
            "{replaced}"
        );
        assert!(!replaced.contains("token: abc"), "{replaced}");
    }

    #[test]
    fn empty_sections_and_flow_style() {
        let out = apply(
            Some("apiVersion: v1\nclusters: []\nusers: null\n"),
            &update("x"),
        )
        .unwrap();
        assert_eq!(
            out,
            "apiVersion: v1\nclusters:\n- cluster: new\n  name: x\nusers:\n- user: new\n  name: x\ncontexts:\n- context: new\n  name: x\ncurrent-context: x\n"
        );
        assert!(apply(Some("clusters: [{name: a}]\n"), &update("x")).is_err());
    }

    #[test]
    fn scalars_are_plain_when_plain_reads_back_the_same() {
        assert_eq!(
            scalar("arn:aws:eks:us-west-2:1:cluster/demo"),
            "arn:aws:eks:us-west-2:1:cluster/demo"
        );
        assert_eq!(scalar("--region"), "--region");
        assert_eq!(scalar("123456789012"), "'123456789012'");
        assert_eq!(scalar("yes"), "'yes'");
        assert_eq!(scalar("it's"), "'it''s'");
        assert_eq!(scalar("a b"), "'a b'");
    }
}
