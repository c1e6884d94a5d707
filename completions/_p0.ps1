
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'p0' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'p0'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'p0' {
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a P0 organization (Okta device authorization)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the stored identity, tenant config and cached credentials')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Request access through P0')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List what you can request')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'Get AWS credentials as shell exports')
            [CompletionResult]::new('run-as', 'run-as', [CompletionResultType]::ParameterValue, 'Run one command with just-in-time AWS credentials in its environment')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;login' {
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Log in again even if the current session is still valid')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Print the sign-in link instead of opening a browser (also P0_NO_BROWSER=1)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;logout' {
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;request' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait for the request to be approved (or denied) before exiting')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the request to be approved (or denied) before exiting')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;ls' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'How many items to show')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the raw JSON response on stdout')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;aws' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Export syntax (default: from $SHELL)')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'IAM roles through Okta SAML')
            [CompletionResult]::new('permission-set', 'permission-set', [CompletionResultType]::ParameterValue, 'Permission sets through AWS IAM Identity Center')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Act as an AWS credential_process (for ~/.aws/config profiles)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;aws;role' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Export syntax (default: from $SHELL)')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the role''s temporary credentials')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;aws;role;assume' {
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session duration in seconds (DurationSeconds)')
            [CompletionResult]::new('--chain-role-arn', '--chain-role-arn', [CompletionResultType]::ParameterName, 'Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour')
            [CompletionResult]::new('--chain-session-name', '--chain-session-name', [CompletionResultType]::ParameterName, 'With --chain-role-arn: the chained session''s name (default: p0)')
            [CompletionResult]::new('--chain-external-id', '--chain-external-id', [CompletionResultType]::ParameterName, 'With --chain-role-arn: the external id the role''s trust policy requires')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Export syntax (default: from $SHELL)')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Make a P0 access request first (the default)')
            [CompletionResult]::new('--no-request', '--no-request', [CompletionResultType]::ParameterName, 'Skip the access request: use access you already have')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;aws;role;help' {
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the role''s temporary credentials')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;aws;role;help;assume' {
            break
        }
        'p0;aws;role;help;help' {
            break
        }
        'p0;aws;permission-set' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Export syntax (default: from $SHELL)')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the permission set''s temporary credentials')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;aws;permission-set;assume' {
            [CompletionResult]::new('--chain-role-arn', '--chain-role-arn', [CompletionResultType]::ParameterName, 'Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour')
            [CompletionResult]::new('--chain-session-name', '--chain-session-name', [CompletionResultType]::ParameterName, 'With --chain-role-arn: the chained session''s name (default: p0)')
            [CompletionResult]::new('--chain-external-id', '--chain-external-id', [CompletionResultType]::ParameterName, 'With --chain-role-arn: the external id the role''s trust policy requires')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Export syntax (default: from $SHELL)')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;aws;permission-set;help' {
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the permission set''s temporary credentials')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;aws;permission-set;help;assume' {
            break
        }
        'p0;aws;permission-set;help;help' {
            break
        }
        'p0;aws;credential-process' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role (Okta SAML) or permission set (Identity Center)')
            [CompletionResult]::new('--permission-set', '--permission-set', [CompletionResultType]::ParameterName, 'The role (Okta SAML) or permission set (Identity Center)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Export syntax (default: from $SHELL)')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;aws;help' {
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'IAM roles through Okta SAML')
            [CompletionResult]::new('permission-set', 'permission-set', [CompletionResultType]::ParameterValue, 'Permission sets through AWS IAM Identity Center')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Act as an AWS credential_process (for ~/.aws/config profiles)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;aws;help;role' {
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the role''s temporary credentials')
            break
        }
        'p0;aws;help;role;assume' {
            break
        }
        'p0;aws;help;permission-set' {
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the permission set''s temporary credentials')
            break
        }
        'p0;aws;help;permission-set;assume' {
            break
        }
        'p0;aws;help;credential-process' {
            break
        }
        'p0;aws;help;help' {
            break
        }
        'p0;run-as' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account''s roles to pick from')
            [CompletionResult]::new('--permission-set', '--permission-set', [CompletionResultType]::ParameterName, 'IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account''s roles to pick from')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need access (sent with the request)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region for the command (AWS_REGION and AWS_DEFAULT_REGION)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Session duration in seconds (DurationSeconds) for Okta SAML and web identity')
            [CompletionResult]::new('--chain-role-arn', '--chain-role-arn', [CompletionResultType]::ParameterName, 'Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour')
            [CompletionResult]::new('--chain-session-name', '--chain-session-name', [CompletionResultType]::ParameterName, 'With --chain-role-arn: the chained session''s name (default: p0)')
            [CompletionResult]::new('--chain-external-id', '--chain-external-id', [CompletionResultType]::ParameterName, 'With --chain-role-arn: the external id the role''s trust policy requires')
            [CompletionResult]::new('--restart-margin', '--restart-margin', [CompletionResultType]::ParameterName, 'With --restart: how long before expiry to restart (seconds)')
            [CompletionResult]::new('--restart-signal', '--restart-signal', [CompletionResultType]::ParameterName, 'With --restart: the signal that asks the command to stop')
            [CompletionResult]::new('--restart-grace', '--restart-grace', [CompletionResultType]::ParameterName, 'With --restart: seconds to wait after the signal before SIGKILL')
            [CompletionResult]::new('--sso-start-url', '--sso-start-url', [CompletionResultType]::ParameterName, 'Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config); a value that is not a URL is a regex that filters the start URLs in ~/.aws/config')
            [CompletionResult]::new('--sso-region', '--sso-region', [CompletionResultType]::ParameterName, 'Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)')
            [CompletionResult]::new('--role-arn', '--role-arn', [CompletionResultType]::ParameterName, 'Web identity, without P0 (CI jobs with an OIDC token): assume this role with AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN)')
            [CompletionResult]::new('--web-identity-token-file', '--web-identity-token-file', [CompletionResultType]::ParameterName, 'Web identity: the file holding the OIDC token, read again at every renewal (default: $AWS_WEB_IDENTITY_TOKEN_FILE)')
            [CompletionResult]::new('--role-session-name', '--role-session-name', [CompletionResultType]::ParameterName, 'Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)')
            [CompletionResult]::new('--no-request', '--no-request', [CompletionResultType]::ParameterName, 'Skip the P0 access request: use access you already have')
            [CompletionResult]::new('--refresh-credentials', '--refresh-credentials', [CompletionResultType]::ParameterName, 'Fetch new credentials even if cached ones are still valid')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Keep the command supplied with fresh credentials through a local credential endpoint')
            [CompletionResult]::new('--restart', '--restart', [CompletionResultType]::ParameterName, 'Restart the command with fresh credentials shortly before they expire')
            [CompletionResult]::new('--sso', '--sso', [CompletionResultType]::ParameterName, 'Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)')
            [CompletionResult]::new('--force-refresh', '--force-refresh', [CompletionResultType]::ParameterName, 'Direct Identity Center: log in again even if the cached token is valid')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;completions' {
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print diagnostics on stderr (never secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no status lines (warnings, prompts and errors still appear)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'p0;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a P0 organization (Okta device authorization)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the stored identity, tenant config and cached credentials')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Request access through P0')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List what you can request')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'Get AWS credentials as shell exports')
            [CompletionResult]::new('run-as', 'run-as', [CompletionResultType]::ParameterValue, 'Run one command with just-in-time AWS credentials in its environment')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'p0;help;login' {
            break
        }
        'p0;help;logout' {
            break
        }
        'p0;help;request' {
            break
        }
        'p0;help;ls' {
            break
        }
        'p0;help;aws' {
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'IAM roles through Okta SAML')
            [CompletionResult]::new('permission-set', 'permission-set', [CompletionResultType]::ParameterValue, 'Permission sets through AWS IAM Identity Center')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Act as an AWS credential_process (for ~/.aws/config profiles)')
            break
        }
        'p0;help;aws;role' {
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the role''s temporary credentials')
            break
        }
        'p0;help;aws;role;assume' {
            break
        }
        'p0;help;aws;permission-set' {
            [CompletionResult]::new('assume', 'assume', [CompletionResultType]::ParameterValue, 'Print shell exports for the permission set''s temporary credentials')
            break
        }
        'p0;help;aws;permission-set;assume' {
            break
        }
        'p0;help;aws;credential-process' {
            break
        }
        'p0;help;run-as' {
            break
        }
        'p0;help;completions' {
            break
        }
        'p0;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
