//! What `configure` writes into the AWS config file, as text: a profile whose
//! `credential_process` is this `p0`, or, with a chained role, a linked pair (the way Okta's
//! AWS CLI guide sets up role chaining): a base profile `NAME-p0-base` whose credentials come
//! from `p0`, and profile `NAME` with `role_arn` and `source_profile = NAME-p0-base`, which the
//! AWS CLI and SDKs chain themselves (STS AssumeRole with the base's credentials). Pure: the
//! file is read, locked and written by the caller.

use crate::aws_files::{self, Edit, FileKind, Section};
use crate::error::{Error, Result};

/// The comment above a profile `p0` creates (either of a linked pair: the chained one's
/// credentials come from P0 too, through its base).
const CREATED_BY: &str = "Credentials from P0 Security (written by `p0 aws configure`)";
/// What a chained profile's base is called: `NAME-p0-base`.
pub const BASE_SUFFIX: &str = "-p0-base";

/// One profile to write.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    /// `--account` as it will be passed: as the user typed it, else the account id.
    pub account: String,
    pub role: String,
    pub reason: Option<String>,
    pub region: Option<String>,
    /// A role the AWS CLI and SDKs assume with these credentials (`--chain-role-arn`).
    pub chain: Option<Chain>,
}

/// The chained role of a linked pair (`--chain-role-arn` and its companions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// A checked IAM role ARN.
    pub role_arn: String,
    /// `role_session_name`: `--chain-session-name`, else `p0` as for `run-as
    /// --chain-role-arn` (the SDKs would make up a `botocore-session-*` name of their own).
    pub session_name: String,
    pub external_id: Option<String>,
}

/// One section to write: its profile name and the change.
struct Written {
    name: String,
    edit: Edit<'static>,
    /// The base of a linked pair: a name the user did not give.
    base: bool,
}

impl Profile {
    /// The `credential_process` line: this `p0`'s absolute path and its arguments, quoted for
    /// a POSIX shell (botocore splits it with shlex; the Go and Rust SDKs run it with `sh -c`).
    fn credential_process(&self, p0: &str) -> String {
        let mut words = vec![
            p0,
            "aws",
            "credential-process",
            "--account",
            &self.account,
            "--role",
            &self.role,
        ];
        if let Some(reason) = &self.reason {
            words.extend(["--reason", reason]);
        }
        shell_words::join(words)
    }

    /// The base profile of a chained one.
    pub fn base_name(&self) -> Option<String> {
        self.chain
            .as_ref()
            .map(|_| format!("{}{BASE_SUFFIX}", self.name))
    }

    /// The sections this profile is: itself; chained, its base first, then itself.
    fn sections(&self, p0: &str) -> Vec<Written> {
        let region = self.region.iter().map(|r| ("region", r.clone()));
        let from_p0 = |name: String, base: bool| {
            let mut set = vec![("credential_process", self.credential_process(p0))];
            set.extend(region.clone());
            Written {
                name,
                edit: Edit {
                    set,
                    // Anything that would win over credential_process in an SDK's chain
                    // (role_arn, sso_*, keys) goes: the profile is p0's now.
                    remove: aws_files::CREDENTIAL_KEYS,
                    comment: Some(CREATED_BY),
                },
                base,
            }
        };
        let (Some(chain), Some(base)) = (&self.chain, self.base_name()) else {
            return vec![from_p0(self.name.clone(), false)];
        };
        let mut set = vec![
            ("role_arn", chain.role_arn.clone()),
            ("source_profile", base.clone()),
            ("role_session_name", chain.session_name.clone()),
        ];
        set.extend(chain.external_id.iter().map(|s| ("external_id", s.clone())));
        set.extend(region.clone());
        let chained = Written {
            name: self.name.clone(),
            edit: Edit {
                set,
                // What is not set here goes (credential_process, an external_id no longer
                // asked for, sso_*, keys).
                remove: aws_files::CREDENTIAL_KEYS,
                comment: Some(CREATED_BY),
            },
            base: false,
        };
        vec![from_p0(base, true), chained]
    }
}

/// What to do with a profile that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// The user named it: it becomes p0's.
    Replace,
    /// Written by `populate`: only profiles that are p0's already are updated.
    KeepUnlessOurs,
}

/// Whether a profile's credentials come from `p0 aws credential-process` already.
pub fn is_ours(section: &Section) -> bool {
    section
        .get("credential_process")
        .and_then(|line| shell_words::split(line).ok())
        .is_some_and(|words| words.get(1..3) == Some(&["aws".into(), "credential-process".into()]))
}

/// The config file's text after writing `profiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    /// The profiles written (bases included), in order.
    pub written: Vec<String>,
    /// The profiles left as they were (not p0's, under [`Existing::KeepUnlessOurs`]).
    pub kept: Vec<String>,
}

/// `text` (the config file) with `profiles` written in, for this `p0` at path `p0`. The base
/// of a linked pair is only ever a profile of p0's: one of the same name that gets its
/// credentials elsewhere is an error, not overwritten.
pub fn edit_config(
    text: &str,
    profiles: &[Profile],
    p0: &str,
    existing: Existing,
) -> Result<Edited> {
    let mut after = text.to_string();
    let mut written = Vec::new();
    let mut kept = Vec::new();
    for profile in profiles {
        let sections = profile.sections(p0);
        let not_ours = |name: &str| {
            aws_files::profile(&after, FileKind::Config, name).is_some_and(|s| !is_ours(&s))
        };
        if let Some(base) = sections.iter().find(|s| s.base && not_ours(&s.name)) {
            return Err(Error::Config(format!(
                "[profile {}] exists and does not use p0; it would be the source_profile of \
                 [profile {}]: rename or remove it, or choose another profile name",
                base.name, profile.name
            )));
        }
        if existing == Existing::KeepUnlessOurs && not_ours(&profile.name) {
            kept.push(profile.name.clone());
            continue;
        }
        for section in sections {
            after =
                aws_files::edit_profile(&after, FileKind::Config, &section.name, &section.edit)?;
            written.push(section.name);
        }
    }
    Ok(Edited {
        text: after,
        written,
        kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(account: &str, role: &str, reason: Option<&str>) -> Profile {
        Profile {
            name: "x".into(),
            account: account.into(),
            role: role.into(),
            reason: reason.map(String::from),
            region: None,
            chain: None,
        }
    }

    const CROSS: &str = "arn:aws:iam::210987654321:role/team/CrossAccount";

    fn chained(session_name: Option<&str>, external_id: Option<&str>) -> Profile {
        Profile {
            name: "cross".into(),
            account: "prod".into(),
            role: "Admin".into(),
            reason: Some("on call".into()),
            region: Some("eu-west-1".into()),
            chain: Some(Chain {
                role_arn: CROSS.into(),
                session_name: session_name.unwrap_or("p0").into(),
                external_id: external_id.map(String::from),
            }),
        }
    }

    #[test]
    fn the_credential_process_line_survives_shlex_and_sh() {
        let line = profile("my prod", "p0-grants/Read'Only", Some("it's $(urgent)"))
            .credential_process("/opt/my tools/p0");
        let words = shell_words::split(&line).unwrap();
        assert_eq!(
            words,
            [
                "/opt/my tools/p0",
                "aws",
                "credential-process",
                "--account",
                "my prod",
                "--role",
                "p0-grants/Read'Only",
                "--reason",
                "it's $(urgent)"
            ]
        );
        // And sh reads the same words.
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf '%s\\n' {}", &line["'/opt/my tools/p0'".len()..]),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "aws\ncredential-process\n--account\nmy prod\n--role\np0-grants/Read'Only\n--reason\nit's $(urgent)\n"
        );
        let plain = profile("123456789012", "Admin", None).credential_process("/usr/bin/p0");
        assert_eq!(
            plain,
            "/usr/bin/p0 aws credential-process --account 123456789012 --role Admin"
        );
    }

    #[test]
    fn only_p0_profiles_count_as_ours() {
        let ours = aws_files::sections(
            "[profile a]\ncredential_process = '/x y/p0' aws credential-process --role R\n",
        );
        assert!(is_ours(&ours[0]));
        let theirs = aws_files::sections(
            "[profile a]\ncredential_process = /usr/bin/aws-vault export --format=json a\n[profile b]\nsso_session = x\n",
        );
        assert!(!is_ours(&theirs[0]) && !is_ours(&theirs[1]));
    }

    #[test]
    fn a_chained_profile_is_a_linked_pair_written_once() {
        let before = "[default]\nregion = us-east-1\n";
        let profiles = [chained(Some("deploy"), Some("ext-42"))];
        let edited = edit_config(before, &profiles, "/usr/bin/p0", Existing::Replace).unwrap();
        assert_eq!(
            edited.text,
            "[default]\nregion = us-east-1\n\
             \n[profile cross-p0-base]\n\
             # Credentials from P0 Security (written by `p0 aws configure`)\n\
             credential_process = /usr/bin/p0 aws credential-process --account prod --role Admin --reason 'on call'\n\
             region = eu-west-1\n\
             \n[profile cross]\n\
             # Credentials from P0 Security (written by `p0 aws configure`)\n\
             role_arn = arn:aws:iam::210987654321:role/team/CrossAccount\n\
             source_profile = cross-p0-base\n\
             role_session_name = deploy\n\
             external_id = ext-42\n\
             region = eu-west-1\n"
        );
        assert_eq!(edited.written, ["cross-p0-base", "cross"]);
        // Again: byte for byte the same file.
        let again = edit_config(&edited.text, &profiles, "/usr/bin/p0", Existing::Replace).unwrap();
        assert_eq!(again.text, edited.text);

        // Without the session name and external id: p0's default name, no external id, the
        // rest where it is.
        let fewer = edit_config(
            &edited.text,
            &[chained(None, None)],
            "/usr/bin/p0",
            Existing::Replace,
        )
        .unwrap();
        assert_eq!(
            fewer.text,
            edited
                .text
                .replace("role_session_name = deploy\n", "role_session_name = p0\n")
                .replace("external_id = ext-42\n", "")
        );

        // Unchained again: the profile gets its credentials from p0 itself (the base stays,
        // unused).
        let unchained = Profile {
            chain: None,
            ..chained(None, None)
        };
        let plain =
            edit_config(&fewer.text, &[unchained], "/usr/bin/p0", Existing::Replace).unwrap();
        let (head, tail) = plain.text.split_once("[profile cross]\n").unwrap();
        assert!(head.contains("[profile cross-p0-base]\n"), "{}", plain.text);
        assert_eq!(
            tail,
            "# Credentials from P0 Security (written by `p0 aws configure`)\n\
             region = eu-west-1\n\
             credential_process = /usr/bin/p0 aws credential-process --account prod --role Admin --reason 'on call'\n"
        );
    }

    #[test]
    fn a_profile_that_is_not_p0s_is_never_taken_as_a_base() {
        let before = "[profile cross-p0-base]\nsso_session = corp\n";
        let err = edit_config(
            before,
            &[chained(None, None)],
            "/usr/bin/p0",
            Existing::Replace,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("[profile cross-p0-base] exists and does not use p0"),
            "{err}"
        );
        // The chained profile itself, named by the user, is replaced as any other.
        let before = "[profile cross]\nsso_session = corp\nregion = us-west-2\n";
        let edited = edit_config(
            before,
            &[chained(None, None)],
            "/usr/bin/p0",
            Existing::Replace,
        )
        .unwrap();
        assert!(
            edited.text.starts_with(
                "[profile cross]\nregion = eu-west-1\nrole_arn = arn:aws:iam::210987654321:role/team/CrossAccount\nsource_profile = cross-p0-base\nrole_session_name = p0\n"
            ),
            "{}",
            edited.text
        );
    }

    #[test]
    fn populate_keeps_profiles_that_are_not_p0s() {
        let before = "[profile x]\ncredential_process = /usr/local/bin/other-tool\n";
        let edited = edit_config(
            before,
            &[profile("prod", "Admin", None)],
            "/usr/bin/p0",
            Existing::KeepUnlessOurs,
        )
        .unwrap();
        assert_eq!(edited.text, before);
        assert_eq!(edited.kept, ["x"]);
        assert!(edited.written.is_empty());
    }
}
