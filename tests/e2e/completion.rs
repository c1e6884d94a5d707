//! Shell completion of account and role values from what `p0` knows locally: bash sources the
//! shipped `completions/p0.bash`, whose function calls `p0` back (`COMPLETE=bash`), as a user's
//! shell does on TAB.

use crate::harness::*;
use std::path::Path;

/// What bash's completion function for `p0` offers for `line` (completing its last word),
/// sorted.
fn complete(sb: &Sandbox, line: &str) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/p0.bash");
    let p0_dir = p0_binary().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(p0_dir).chain(std::env::split_paths(
            &sb.env_vars()
                .into_iter()
                .find(|(key, _)| key == "PATH")
                .map(|(_, value)| value)
                .unwrap_or_default(),
        )),
    )
    .unwrap();
    let bash = r#"
source "$1"
read -r -a COMP_WORDS <<< "$2"
# A line ending in a space is completing a new, empty word.
if [[ "$2" == *" " ]]; then COMP_WORDS+=(""); fi
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$2"
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
_clap_complete_p0 p0 "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = sb
        .command("bash")
        .args(["-c", bash, "bash"])
        .arg(&script)
        .arg(line)
        .env("PATH", path)
        .output()
        .expect("bash runs");
    assert_success(&out);
    let mut words: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    words.sort();
    words
}

#[test]
fn bash_completes_accounts_and_roles_from_local_files_alone() {
    let sb = Sandbox::logged_in(default_scenario());
    // Right after the login, which keeps a copy of the account config: the accounts, but no
    // roles yet, and no call.
    assert_eq!(
        complete(&sb, "p0 run-as --account "),
        [PROD, DEV, DEV_LABEL, PROD_LABEL]
    );
    assert_eq!(
        complete(&sb, "p0 run-as --account prod --role "),
        Vec::<String>::new()
    );
    assert_eq!(
        sb.total_calls(),
        0,
        "completion made a call: {:?}",
        sb.calls()
    );
    // A run keeps the account config and the roles of the SAML assertion; `ls` names the
    // permission sets.
    sb.run([
        "run-as",
        "--account",
        PROD_LABEL,
        "--role",
        ADMIN,
        "--",
        "true",
    ])
    .any_stdout()
    .any_stderr()
    .run();
    sb.run(["ls", "aws", "permission-set"])
        .any_stdout()
        .any_stderr()
        .run();
    sb.reset_calls();

    assert_eq!(
        complete(&sb, "p0 run-as --account "),
        [PROD, DEV, DEV_LABEL, PROD_LABEL]
    );
    assert_eq!(complete(&sb, "p0 run-as --account pr"), [PROD_LABEL]);
    assert_eq!(complete(&sb, "p0 run-as --account prod --role "), [ADMIN]);
    assert_eq!(
        complete(&sb, &format!("p0 run-as --account {DEV} --role ")),
        [DEVELOPER]
    );
    // Without --account: every account's roles.
    assert_eq!(complete(&sb, "p0 run-as --role "), [ADMIN, DEVELOPER]);
    // The aws families: each offers its own kind (beside the flags, for a positional).
    let values = |line: &str| -> Vec<String> {
        complete(&sb, line)
            .into_iter()
            .filter(|w| !w.starts_with('-'))
            .collect()
    };
    assert_eq!(values("p0 aws role assume "), [ADMIN]);
    assert_eq!(
        values("p0 aws --account dev permission-set assume "),
        [DEVELOPER]
    );
    assert_eq!(values("p0 aws permission-set assume D"), [DEVELOPER]);
    // Flags come from the same definitions; the old names are not offered.
    assert_eq!(complete(&sb, "p0 run-as --fr"), ["--fresh-credentials"]);
    // `p0 console` completes the same accounts and roles, and its services.
    assert_eq!(
        complete(&sb, "p0 console --account "),
        [PROD, DEV, DEV_LABEL, PROD_LABEL]
    );
    assert_eq!(complete(&sb, "p0 console --account prod --role "), [ADMIN]);
    assert_eq!(
        complete(&sb, "p0 console --service s"),
        ["s3", "secretsmanager", "sns", "sqs", "ssm"]
    );
    assert_eq!(
        sb.total_calls(),
        0,
        "completion made a call: {:?}",
        sb.calls()
    );
}
