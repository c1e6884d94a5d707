//! Credentials as shell exports (protocol §8), quoted so any value survives `eval`.
//!
//! Piped, stdout gets only the lines (for `eval "$(p0 aws ...)"`); on a terminal the lines are
//! indented on stdout and the instructions around them go to stderr.

use super::Printer;
use crate::credentials::AwsCredentials;
use crate::env;
use crate::error::Result;

/// The export syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellKind {
    /// POSIX shells: `export KEY='value'`
    Posix,
    /// fish: `set -gx KEY 'value'`
    Fish,
    /// PowerShell: `$Env:KEY = 'value'`
    Powershell,
}

/// The variables exported, in order, with their values.
fn variables(credentials: &AwsCredentials) -> Vec<(&'static str, String)> {
    let session_token = credentials.session_token.expose().clone();
    let vars = vec![
        (
            env::child::AWS_ACCESS_KEY_ID,
            credentials.access_key_id.clone(),
        ),
        (
            env::child::AWS_SECRET_ACCESS_KEY,
            credentials.secret_access_key.expose().clone(),
        ),
        (env::child::AWS_SESSION_TOKEN, session_token.clone()),
        // botocore reads this one first: a stale value would win over the new session token.
        (env::child::AWS_SECURITY_TOKEN, session_token),
        (
            env::child::AWS_CREDENTIAL_EXPIRATION,
            credentials.expiration_rfc3339(),
        ),
    ];
    vars.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// The export syntax: `--shell`, else the basename of `$SHELL`, else POSIX.
pub fn shell_kind(explicit: Option<ShellKind>) -> ShellKind {
    explicit.unwrap_or_else(|| shell_kind_of(env::get(env::read::SHELL).as_deref()))
}

fn shell_kind_of(shell: Option<&str>) -> ShellKind {
    let name = shell
        .and_then(|s| std::path::Path::new(s).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match name {
        "fish" => ShellKind::Fish,
        "pwsh" | "pwsh.exe" | "powershell" | "powershell.exe" => ShellKind::Powershell,
        _ => ShellKind::Posix,
    }
}

/// One line per variable, in `shell`'s syntax.
pub fn export_lines(credentials: &AwsCredentials, shell: ShellKind) -> Vec<String> {
    variables(credentials)
        .into_iter()
        .map(|(key, value)| match shell {
            ShellKind::Posix => format!("export {key}={}", shell_words::quote(&value)),
            ShellKind::Fish => format!("set -gx {key} {}", fish_quote(&value)),
            ShellKind::Powershell => format!("$Env:{key} = {}", powershell_quote(&value)),
        })
        .collect()
}

/// fish single quotes: only `\` and `'` are special inside them.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// PowerShell single quotes: a `'` is written twice.
fn powershell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// How to evaluate the output of `command` in `shell`, for the hint shown on a terminal.
fn eval_hint(command: &[String], shell: ShellKind) -> String {
    let command = shell_words::join(command);
    match shell {
        ShellKind::Posix => format!("eval \"$({command})\""),
        ShellKind::Fish => format!("{command} | source"),
        ShellKind::Powershell => format!("{command} | Invoke-Expression"),
    }
}

/// Prints the exports: only the lines when stdout is piped; with instructions (on stderr) and
/// the `eval` hint for `command` (the user's own invocation) when it is a terminal.
pub fn print(
    printer: &Printer,
    credentials: &AwsCredentials,
    shell: ShellKind,
    command: &[String],
    stdout_is_terminal: bool,
) -> Result<()> {
    let lines = export_lines(credentials, shell);
    if !stdout_is_terminal {
        return super::stdout(&lines.iter().map(|l| format!("{l}\n")).collect::<String>());
    }
    printer.status("Execute the following commands:\n");
    super::stdout(&lines.iter().map(|l| format!("  {l}\n")).collect::<String>())?;
    printer.status(&format!(
        "\nOr, populate these environment variables by evaluating the output of this command:\n\n  {}",
        eval_hint(command, shell)
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use time::macros::datetime;

    fn credentials(secret: &str) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new(secret.into()),
            session_token: Secret::new("FwoG/ZXIvYXdz+token==".into()),
            expiration: datetime!(2026-11-22 13:26:06.868841 UTC),
        }
    }

    #[test]
    fn posix_lines_in_order_and_quoted() {
        let lines = export_lines(&credentials("wJalr/K7MDENG+bPxRfiCY"), ShellKind::Posix);
        assert_eq!(
            lines,
            [
                "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE",
                "export AWS_SECRET_ACCESS_KEY=wJalr/K7MDENG+bPxRfiCY",
                "export AWS_SESSION_TOKEN='FwoG/ZXIvYXdz+token=='",
                "export AWS_SECURITY_TOKEN='FwoG/ZXIvYXdz+token=='",
                "export AWS_CREDENTIAL_EXPIRATION=2026-11-22T13:26:06Z",
            ]
        );
    }

    #[test]
    fn hostile_values_survive_each_shell() {
        let creds = credentials("a'b $(rm -rf ~) \\ `x`");
        let posix = &export_lines(&creds, ShellKind::Posix)[1];
        assert_eq!(
            shell_words::split(posix).unwrap()[1],
            "AWS_SECRET_ACCESS_KEY=a'b $(rm -rf ~) \\ `x`"
        );
        assert_eq!(
            export_lines(&creds, ShellKind::Fish)[1],
            r"set -gx AWS_SECRET_ACCESS_KEY 'a\'b $(rm -rf ~) \\ `x`'"
        );
        assert_eq!(
            export_lines(&creds, ShellKind::Powershell)[1],
            r"$Env:AWS_SECRET_ACCESS_KEY = 'a''b $(rm -rf ~) \ `x`'"
        );
    }

    #[test]
    fn posix_output_evaluates_in_a_real_shell() {
        let creds = credentials("a'b $(echo pwned) \\ \"q\"");
        let script = format!(
            "{}\nprintf '%s' \"$AWS_SECRET_ACCESS_KEY\"",
            export_lines(&creds, ShellKind::Posix).join("\n")
        );
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "a'b $(echo pwned) \\ \"q\""
        );
    }

    #[test]
    fn shell_comes_from_the_flag_then_shell_basename() {
        assert_eq!(shell_kind_of(Some("/usr/bin/fish")), ShellKind::Fish);
        assert_eq!(shell_kind_of(Some("/opt/pwsh")), ShellKind::Powershell);
        assert_eq!(shell_kind_of(Some("/bin/zsh")), ShellKind::Posix);
        assert_eq!(shell_kind_of(None), ShellKind::Posix);
        assert_eq!(shell_kind(Some(ShellKind::Fish)), ShellKind::Fish);
    }

    #[test]
    fn eval_hints_quote_the_command() {
        let command: Vec<String> = [
            "p0",
            "aws",
            "--account",
            "my prod",
            "role",
            "assume",
            "Admin",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            eval_hint(&command, ShellKind::Posix),
            r#"eval "$(p0 aws --account 'my prod' role assume Admin)""#
        );
        assert_eq!(
            eval_hint(&command, ShellKind::Fish),
            "p0 aws --account 'my prod' role assume Admin | source"
        );
    }
}
