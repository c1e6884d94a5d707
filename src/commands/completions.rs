//! `p0 completions SHELL`: the completion script for a shell.
//!
//! For bash, zsh, fish, PowerShell and elvish the script is clap_complete's dynamic one: on
//! each TAB it asks `p0` itself (`COMPLETE=bash p0 -- p0 WORDS...`, answered at the top of
//! `main`), so subcommands and flags come from the very definitions that parse the command
//! line, and `--account`/`--role` values from the local account config (`crate::completion`).
//! It is the same text `COMPLETE=bash p0` prints. Nushell gets a static script from
//! clap_complete_nushell (flags and subcommands, no values).

use crate::cli::{Cli, CompletionShell};
use crate::env;
use clap::CommandFactory;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

pub fn run(shell: CompletionShell) -> crate::error::Result<u8> {
    crate::output::stdout(&script(shell))?;
    Ok(0)
}

pub fn script(shell: CompletionShell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Powershell => &Powershell,
        CompletionShell::Elvish => &Elvish,
        CompletionShell::Nushell => {
            let mut out = Vec::new();
            clap_complete::generate(
                clap_complete_nushell::Nushell,
                &mut Cli::command(),
                "p0",
                &mut out,
            );
            return String::from_utf8(out).expect("completion scripts are UTF-8");
        }
    };
    let mut out = Vec::new();
    completer
        .write_registration(env::read::COMPLETE, "p0", "p0", "p0", &mut out)
        .expect("writing to memory");
    let mut script = String::from_utf8(out).expect("completion scripts are UTF-8");
    if shell == CompletionShell::Zsh {
        // Installed as `_p0` in $fpath, the file is the body of the autoloaded `_p0`: it must
        // also complete on that first call, not only register the function.
        script.push_str(ZSH_AUTOLOAD);
    }
    script
}

const ZSH_AUTOLOAD: &str = r#"
if [ "$funcstack[1]" = "_p0" ]; then
    _clap_dynamic_completer_p0 "$@"
fi
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;
    use std::path::Path;

    /// The shipped scripts and where they live in `completions/`.
    const SHIPPED: [(CompletionShell, &str); 6] = [
        (CompletionShell::Bash, "p0.bash"),
        (CompletionShell::Zsh, "_p0"),
        (CompletionShell::Fish, "p0.fish"),
        (CompletionShell::Powershell, "_p0.ps1"),
        (CompletionShell::Elvish, "p0.elv"),
        (CompletionShell::Nushell, "p0.nu"),
    ];

    /// The scripts shipped in completions/ are the generated ones (regenerate with
    /// `scripts/completions` after changing a flag or upgrading clap_complete).
    #[test]
    fn shipped_completions_match_the_cli() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for (shell, file) in SHIPPED {
            let shipped = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("completions/{file}: {e}; run scripts/completions"));
            assert!(
                shipped == script(shell),
                "completions/{file} is stale; run scripts/completions"
            );
        }
        // Every shell offered is shipped, and nothing else is in the directory.
        assert_eq!(SHIPPED.len(), CompletionShell::value_variants().len());
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut expected: Vec<String> = SHIPPED.iter().map(|(_, f)| f.to_string()).collect();
        expected.sort();
        assert_eq!(
            files, expected,
            "completions/ holds exactly the shipped scripts"
        );
    }

    #[test]
    fn dynamic_scripts_call_p0_back_and_nushell_lists_every_subcommand() {
        for (shell, _) in SHIPPED {
            if shell == CompletionShell::Nushell {
                continue;
            }
            let script = script(shell);
            assert!(script.contains("COMPLETE"), "{shell:?}: {script}");
            assert!(script.contains("p0"), "{shell:?}: {script}");
        }
        let nu = script(CompletionShell::Nushell);
        for word in [
            "login",
            "logout",
            "request",
            "run-as",
            "status",
            "permission-set",
            "credential-process",
        ] {
            assert!(nu.contains(word), "{word} missing from nushell completions");
        }
    }
}
