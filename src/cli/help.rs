//! The words `--help` shows beyond each flag's own line: the headings that group the flags by
//! what they are for, and one or two real examples per command. The man page is generated
//! from the same definitions, so it carries them too.

/// Flags for commands that outlive one set of credentials (about an hour).
pub const LONG_RUN: &str = "For a long run";
/// Flags for when cached credentials or sign-ins seem out of date.
pub const STALE: &str = "When credentials look stale";
/// Flags for CI jobs that hold an OIDC token (AssumeRoleWithWebIdentity, without P0).
pub const WEB_IDENTITY: &str = "Web identity without P0 (CI)";
/// Flags for AWS IAM Identity Center without P0 (as `aws-sso-util run-as`).
pub const DIRECT_IDC: &str = "Identity Center without P0";

pub const ROOT_EXAMPLES: &str = "\
Examples:
  p0 login acme
  p0 run-as --account prod --role Admin -- terraform plan
  p0 run-as --account prod --role Admin          # a subshell; `exit` returns
  p0 status
  p0 --version --verbose     # version, git commit and target (bug reports)";

pub const LOGIN_EXAMPLES: &str = "\
Examples:
  p0 login acme
  p0 login --force                 # sign in again although the session is valid
  P0_NO_BROWSER=1 p0 login acme    # over SSH: print the link, open no browser";

pub const LOGOUT_EXAMPLES: &str = "\
Examples:
  p0 logout && p0 login acme       # start over with an empty cache";

pub const REQUEST_EXAMPLES: &str = "\
Examples:
  p0 request aws role Admin --account prod --reason \"incident 42\" --wait
  p0 request aws permission-set Developer --account dev";

pub const LS_EXAMPLES: &str = "\
Examples:
  p0 ls aws role
  p0 ls aws permission-set --json | jq -r '.items[].key'";

pub const AWS_EXAMPLES: &str = "\
Examples:
  eval \"$(p0 aws --account prod role assume Admin)\"
  # ~/.aws/config: a profile the aws CLI and the SDKs run p0 for
  [profile prod-admin]
  credential_process = p0 aws credential-process --account prod --role Admin";

pub const ROLE_ASSUME_EXAMPLES: &str = "\
Examples:
  eval \"$(p0 aws --account prod role assume Admin)\"
  p0 aws --account prod role assume Admin --shell fish | source";

pub const PERMISSION_SET_ASSUME_EXAMPLES: &str = "\
Examples:
  eval \"$(p0 aws --account dev permission-set assume Developer)\"";

pub const CREDENTIAL_PROCESS_EXAMPLES: &str = "\
Examples:
  # ~/.aws/config (p0 aws configure profile writes it for you)
  [profile prod-admin]
  credential_process = p0 aws credential-process --account prod --role Admin";

pub const CONFIGURE_EXAMPLES: &str = "\
Examples:
  p0 aws configure profile prod-admin --account prod --role Admin
  # profile cross assumes the role with cross-p0-base's credentials
  p0 aws configure profile cross --account prod --role Admin \\
      --chain-role-arn arn:aws:iam::210987654321:role/Deployer
  p0 aws configure populate --prefix p0- --dry-run";

pub const STATUS_EXAMPLES: &str = "\
Examples:
  p0 status
  p0 status --check || p0 login        # in a script: is the session still good?
  p0 status --json | jq '.credentials[] | select(.seconds_left < 600)'";

pub const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  echo 'source <(p0 completions bash)' >> ~/.bashrc
  echo 'source <(p0 completions zsh)' >> ~/.zshrc
  p0 completions fish > ~/.config/fish/completions/p0.fish";

pub const MAN_EXAMPLES: &str = "\
Examples:
  p0 man | man -l -
  p0 man --dir ~/.local/share/man/man1   # every page, for `man p0-run-as`";

const RUN_AS_EXAMPLES: &str = "\
Examples:
  p0 run-as --account prod --role Admin -- aws s3 ls
  p0 run-as --account prod --role Admin          # a subshell; `exit` returns
  p0 run-as --account prod --role Admin --refresh -- terraform apply
  alias prod='p0 run-as --account prod --role Admin --'
  # Makefile: parallel targets (make -j) share one request and one fetch
  deploy: ; p0 run-as --role Deployer --reason \"$(REASON)\" -- terraform apply";

const CONSOLE_EXAMPLES: &str = "\
Examples:
  p0 console --account prod --role Admin
  p0 console --account dev --role Developer --service s3 --region eu-west-1
  p0 console --account prod --role Admin --chain-role-arn \\
      arn:aws:iam::210987654321:role/Auditor
  p0 console --account prod --role Admin --url    # only the URL: a credential!
  p0 console --account prod --role Admin --no-browser  # URL on stderr";

/// console's examples, then the exit codes.
pub fn console_after_help() -> String {
    format!("{CONSOLE_EXAMPLES}\n\n{}", crate::error::exit::help())
}

/// run-as's examples, then the exit codes (the child's own code passes through).
pub fn run_as_after_help() -> String {
    format!("{RUN_AS_EXAMPLES}\n\n{}", crate::error::exit::help())
}

/// The root's examples, then the exit codes.
pub fn root_after_help() -> String {
    format!("{ROOT_EXAMPLES}\n\n{}", crate::error::exit::help())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_fit_80_columns() {
        for text in [
            ROOT_EXAMPLES,
            LOGIN_EXAMPLES,
            LOGOUT_EXAMPLES,
            REQUEST_EXAMPLES,
            LS_EXAMPLES,
            AWS_EXAMPLES,
            ROLE_ASSUME_EXAMPLES,
            PERMISSION_SET_ASSUME_EXAMPLES,
            CREDENTIAL_PROCESS_EXAMPLES,
            STATUS_EXAMPLES,
            COMPLETIONS_EXAMPLES,
            MAN_EXAMPLES,
            RUN_AS_EXAMPLES,
            CONSOLE_EXAMPLES,
        ] {
            for line in text.lines() {
                assert!(line.chars().count() <= 80, "too wide: {line}");
            }
        }
    }
}
