# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_p0_global_optspecs
    string join \n debug q/quiet h/help V/version
end

function __fish_p0_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_p0_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_p0_using_subcommand
    set -l cmd (__fish_p0_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c p0 -n "__fish_p0_needs_command" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_needs_command" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_needs_command" -s h -l help -d 'Print help'
complete -c p0 -n "__fish_p0_needs_command" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_needs_command" -f -a "login" -d 'Log in to a P0 organization (Okta device authorization)'
complete -c p0 -n "__fish_p0_needs_command" -f -a "logout" -d 'Forget the stored identity, tenant config and cached credentials'
complete -c p0 -n "__fish_p0_needs_command" -f -a "request" -d 'Request access through P0'
complete -c p0 -n "__fish_p0_needs_command" -f -a "ls" -d 'List what you can request'
complete -c p0 -n "__fish_p0_needs_command" -f -a "aws" -d 'Get AWS credentials as shell exports'
complete -c p0 -n "__fish_p0_needs_command" -f -a "run-as" -d 'Run one command with just-in-time AWS credentials in its environment'
complete -c p0 -n "__fish_p0_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c p0 -n "__fish_p0_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c p0 -n "__fish_p0_using_subcommand login" -l refresh -d 'Log in again even if the current session is still valid'
complete -c p0 -n "__fish_p0_using_subcommand login" -l no-browser -d 'Print the sign-in link instead of opening a browser (also P0_NO_BROWSER=1)'
complete -c p0 -n "__fish_p0_using_subcommand login" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand login" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand login" -s h -l help -d 'Print help'
complete -c p0 -n "__fish_p0_using_subcommand login" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand logout" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand logout" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand logout" -s h -l help -d 'Print help'
complete -c p0 -n "__fish_p0_using_subcommand logout" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand request" -s w -l wait -d 'Wait for the request to be approved (or denied) before exiting'
complete -c p0 -n "__fish_p0_using_subcommand request" -l help -d 'Print help'
complete -c p0 -n "__fish_p0_using_subcommand request" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand request" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand request" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand ls" -l size -d 'How many items to show' -r
complete -c p0 -n "__fish_p0_using_subcommand ls" -l json -d 'Print the raw JSON response on stdout'
complete -c p0 -n "__fish_p0_using_subcommand ls" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand ls" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand ls" -s h -l help -d 'Print help'
complete -c p0 -n "__fish_p0_using_subcommand ls" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -l account -d 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -l reason -d 'Why you need access (sent with the request)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -l shell -d 'Export syntax (default: from $SHELL)' -r -f -a "posix\t'POSIX shells: `export KEY=\'value\'`'
fish\t'fish: `set -gx KEY \'value\'`'
powershell\t'PowerShell: `$Env:KEY = \'value\'`'"
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -l refresh-credentials -d 'Fetch new credentials even if cached ones are still valid'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -f -a "role" -d 'IAM roles through Okta SAML'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -f -a "permission-set" -d 'Permission sets through AWS IAM Identity Center'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -f -a "credential-process" -d 'Act as an AWS credential_process (for ~/.aws/config profiles)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and not __fish_seen_subcommand_from role permission-set credential-process help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -l account -d 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -l reason -d 'Why you need access (sent with the request)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -l shell -d 'Export syntax (default: from $SHELL)' -r -f -a "posix\t'POSIX shells: `export KEY=\'value\'`'
fish\t'fish: `set -gx KEY \'value\'`'
powershell\t'PowerShell: `$Env:KEY = \'value\'`'"
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -l refresh-credentials -d 'Fetch new credentials even if cached ones are still valid'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -f -a "assume" -d 'Print shell exports for the role\'s temporary credentials'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from role" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -l account -d 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -l reason -d 'Why you need access (sent with the request)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -l shell -d 'Export syntax (default: from $SHELL)' -r -f -a "posix\t'POSIX shells: `export KEY=\'value\'`'
fish\t'fish: `set -gx KEY \'value\'`'
powershell\t'PowerShell: `$Env:KEY = \'value\'`'"
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -l refresh-credentials -d 'Fetch new credentials even if cached ones are still valid'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -f -a "assume" -d 'Print shell exports for the permission set\'s temporary credentials'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from permission-set" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -l role -l permission-set -d 'The role (Okta SAML) or permission set (Identity Center)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -l account -d 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -l reason -d 'Why you need access (sent with the request)' -r
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -l shell -d 'Export syntax (default: from $SHELL)' -r -f -a "posix\t'POSIX shells: `export KEY=\'value\'`'
fish\t'fish: `set -gx KEY \'value\'`'
powershell\t'PowerShell: `$Env:KEY = \'value\'`'"
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -l refresh-credentials -d 'Fetch new credentials even if cached ones are still valid'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from credential-process" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "role" -d 'IAM roles through Okta SAML'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "permission-set" -d 'Permission sets through AWS IAM Identity Center'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "credential-process" -d 'Act as an AWS credential_process (for ~/.aws/config profiles)'
complete -c p0 -n "__fish_p0_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l account -d 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l role -l permission-set -d 'IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account\'s roles to pick from' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l reason -d 'Why you need access (sent with the request)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l region -d 'AWS region for the command (AWS_REGION and AWS_DEFAULT_REGION)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l duration -d 'Session duration in seconds (DurationSeconds) for Okta SAML and web identity' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l chain-role-arn -d 'Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l chain-session-name -d 'With --chain-role-arn: the chained session\'s name (default: p0)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l chain-external-id -d 'With --chain-role-arn: the external id the role\'s trust policy requires' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l restart-margin -d 'With --restart: how long before expiry to restart (seconds)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l restart-signal -d 'With --restart: the signal that asks the command to stop' -r -f -a "term\t''
int\t''
hup\t''
quit\t''
usr1\t''
usr2\t''"
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l restart-grace -d 'With --restart: seconds to wait after the signal before SIGKILL' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l sso-start-url -d 'Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config); a value that is not a URL is a regex that filters the start URLs in ~/.aws/config' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l sso-region -d 'Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l role-arn -d 'Web identity, without P0 (CI jobs with an OIDC token): assume this role with AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l web-identity-token-file -d 'Web identity: the file holding the OIDC token, read again at every renewal (default: $AWS_WEB_IDENTITY_TOKEN_FILE)' -r -F
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l role-session-name -d 'Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)' -r
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l no-request -d 'Skip the P0 access request: use access you already have'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l refresh-credentials -d 'Fetch new credentials even if cached ones are still valid'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l refresh -d 'Keep the command supplied with fresh credentials through a local credential endpoint'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l restart -d 'Restart the command with fresh credentials shortly before they expire'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l sso -d 'Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l force-refresh -d 'Direct Identity Center: log in again even if the cached token is valid'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -s h -l help -d 'Print help'
complete -c p0 -n "__fish_p0_using_subcommand run-as" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand completions" -l debug -d 'Print diagnostics on stderr (never secrets)'
complete -c p0 -n "__fish_p0_using_subcommand completions" -s q -l quiet -d 'Print no status lines (warnings, prompts and errors still appear)'
complete -c p0 -n "__fish_p0_using_subcommand completions" -s h -l help -d 'Print help'
complete -c p0 -n "__fish_p0_using_subcommand completions" -s V -l version -d 'Print version'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "login" -d 'Log in to a P0 organization (Okta device authorization)'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "logout" -d 'Forget the stored identity, tenant config and cached credentials'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "request" -d 'Request access through P0'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "ls" -d 'List what you can request'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "aws" -d 'Get AWS credentials as shell exports'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "run-as" -d 'Run one command with just-in-time AWS credentials in its environment'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c p0 -n "__fish_p0_using_subcommand help; and not __fish_seen_subcommand_from login logout request ls aws run-as completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c p0 -n "__fish_p0_using_subcommand help; and __fish_seen_subcommand_from aws" -f -a "role" -d 'IAM roles through Okta SAML'
complete -c p0 -n "__fish_p0_using_subcommand help; and __fish_seen_subcommand_from aws" -f -a "permission-set" -d 'Permission sets through AWS IAM Identity Center'
complete -c p0 -n "__fish_p0_using_subcommand help; and __fish_seen_subcommand_from aws" -f -a "credential-process" -d 'Act as an AWS credential_process (for ~/.aws/config profiles)'
