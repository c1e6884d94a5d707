module completions {

  # Just-in-time AWS credentials from P0 Security, for one command
  export extern p0 [
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
  ]

  # Log in to a P0 organization (Okta device authorization)
  export extern "p0 login" [
    --force                   # Sign in again even if the current session is still valid
    --no-browser              # Print the sign-in link instead of opening a browser (also P0_NO_BROWSER=1)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
    org?: string              # The organization (default: $P0_ORG, then the one you are logged in to)
  ]

  # Forget the stored identity, tenant config and cached credentials
  export extern "p0 logout" [
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
  ]

  # Request access through P0
  export extern "p0 request" [
    --wait(-w)                # Wait for the request to be approved (or denied) before exiting
    --help                    # Print help
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --version(-V)             # Print version
    ...args: string           # What to request, passed to P0 as typed (for example: aws role Admin --reason "deploy")
  ]

  # List what you can request
  export extern "p0 ls" [
    --size: string            # How many items to show
    --json                    # Print the raw JSON response on stdout
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
    ...args: string           # What to list, passed to P0 as typed (for example: aws role)
  ]

  def "nu-complete p0 aws shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # AWS credentials as shell exports, profiles or credential_process
  export extern "p0 aws" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws role shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # IAM roles through Okta SAML
  export extern "p0 aws role" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws role shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws role assume shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Print shell exports for the role's temporary credentials
  export extern "p0 aws role assume" [
    --request                 # Make a P0 access request first (the default)
    --no-request              # Skip the access request: use access you already have
    --duration: string        # Session duration in seconds (DurationSeconds)
    --write-profile: string   # Store the credentials as profile NAME of the shared credentials file instead of printing exports
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws role assume shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
    role?: string             # The role name (with its path, if any); without it, a terminal offers the account's roles to pick from
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws role help" [
  ]

  # Print shell exports for the role's temporary credentials
  export extern "p0 aws role help assume" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws role help help" [
  ]

  def "nu-complete p0 aws permission-set shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Permission sets through AWS IAM Identity Center
  export extern "p0 aws permission-set" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws permission-set shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws permission-set assume shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Print shell exports for the permission set's temporary credentials
  export extern "p0 aws permission-set assume" [
    --write-profile: string   # Store the credentials as profile NAME of the shared credentials file instead of printing exports
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws permission-set assume shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
    permission_set?: string   # The permission set name; without it, a terminal offers the account's permission sets to pick from
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws permission-set help" [
  ]

  # Print shell exports for the permission set's temporary credentials
  export extern "p0 aws permission-set help assume" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws permission-set help help" [
  ]

  def "nu-complete p0 aws credential-process shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Act as an AWS credential_process (for ~/.aws/config profiles): the credentials as the JSON AWS SDKs read, on stdout; anything for a human on the terminal only
  export extern "p0 aws credential-process" [
    --role: string            # The role (Okta SAML) or permission set (Identity Center)
    --permission-set: string  # The role (Okta SAML) or permission set (Identity Center)
    --no-request              # Never file a P0 request: fail unless the role is granted already
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws credential-process shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws eks shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Tokens for Amazon EKS clusters (kubectl), signed with just-in-time credentials
  export extern "p0 aws eks" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws eks shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws eks get-token shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Print a token for an EKS cluster as the ExecCredential kubectl reads (as `aws eks get-token`), signed with just-in-time credentials
  export extern "p0 aws eks get-token" [
    --cluster-name: string    # The cluster's name (signed into the token as `x-k8s-aws-id`)
    --region: string          # The region of the STS endpoint the token is presigned for (default: $AWS_REGION, then $AWS_DEFAULT_REGION, else us-east-1)
    --role: string            # IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    --permission-set: string  # IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    --no-request              # Skip the P0 access request: use access you already have
    --duration: string        # Session duration in seconds (DurationSeconds) for Okta SAML and web identity
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --sso                     # Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    --sso-start-url: string   # Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config)
    --sso-region: string      # Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    --force-refresh           # Direct Identity Center: sign in to Identity Center again even if the cached token is valid
    --role-arn: string        # Web identity, without P0 (CI jobs with an OIDC token): assume this role with AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN). Not the AWS CLI's `--role-arn`, which is p0's --chain-role-arn
    --web-identity-token-file: path # Web identity: the file holding the OIDC token (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    --role-session-name: string # Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws eks get-token shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws eks update-kubeconfig shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Write the cluster, user and context of an EKS cluster into a kubeconfig (as `aws eks update-kubeconfig`), with `p0 aws eks get-token` as the user's exec plugin
  export extern "p0 aws eks update-kubeconfig" [
    --cluster-name: string    # The cluster's name
    --region: string          # The cluster's region (default: $AWS_REGION, then $AWS_DEFAULT_REGION, else us-east-1)
    --alias: string           # The context's name (default: the cluster's ARN)
    --kubeconfig: path        # The kubeconfig to write (default: the first file of $KUBECONFIG, else ~/.kube/config)
    --role: string            # IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    --permission-set: string  # IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    --no-request              # Skip the P0 access request: use access you already have
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws eks update-kubeconfig shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws eks help" [
  ]

  # Print a token for an EKS cluster as the ExecCredential kubectl reads (as `aws eks get-token`), signed with just-in-time credentials
  export extern "p0 aws eks help get-token" [
  ]

  # Write the cluster, user and context of an EKS cluster into a kubeconfig (as `aws eks update-kubeconfig`), with `p0 aws eks get-token` as the user's exec plugin
  export extern "p0 aws eks help update-kubeconfig" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws eks help help" [
  ]

  def "nu-complete p0 aws rds shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # IAM authentication tokens for RDS databases, signed with just-in-time credentials
  export extern "p0 aws rds" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws rds shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws rds generate-db-auth-token arch" [] {
    [ "mysql" "postgres" ]
  }

  def "nu-complete p0 aws rds generate-db-auth-token shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Print an IAM authentication token for an RDS database (as `aws rds generate-db-auth-token`), signed with just-in-time credentials
  export extern "p0 aws rds generate-db-auth-token" [
    --arch: string@"nu-complete p0 aws rds generate-db-auth-token arch" # P0's form: the database's kind (use mysql for MariaDB); --role is then the database role to request through P0
    --sql: string             # P0's form: a SQL script to run; P0 grants only the privileges it requires
    --instance: string        # P0's form: the P0 instance identifier
    --database: string        # P0's form: the database to access
    --hostname: string        # The database's endpoint (host name)
    --port: string            # The database's port
    --username: string        # The database user the token signs in as
    --region: string          # The database's region
    --role: string            # IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    --permission-set: string  # IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    --no-request              # Skip the P0 access request: use access you already have
    --duration: string        # Session duration in seconds (DurationSeconds) for Okta SAML and web identity
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --sso                     # Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    --sso-start-url: string   # Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config)
    --sso-region: string      # Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    --force-refresh           # Direct Identity Center: sign in to Identity Center again even if the cached token is valid
    --role-arn: string        # Web identity, without P0 (CI jobs with an OIDC token): assume this role with AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN). Not the AWS CLI's `--role-arn`, which is p0's --chain-role-arn
    --web-identity-token-file: path # Web identity: the file holding the OIDC token (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    --role-session-name: string # Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws rds generate-db-auth-token shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws rds help" [
  ]

  # Print an IAM authentication token for an RDS database (as `aws rds generate-db-auth-token`), signed with just-in-time credentials
  export extern "p0 aws rds help generate-db-auth-token" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws rds help help" [
  ]

  def "nu-complete p0 aws configure shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Write profiles into the AWS config file whose credentials come from p0
  export extern "p0 aws configure" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws configure shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  def "nu-complete p0 aws configure profile shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Write (or update in place) one profile whose credential_process is this p0
  export extern "p0 aws configure profile" [
    --role: string            # The role (Okta SAML) or permission set (Identity Center)
    --permission-set: string  # The role (Okta SAML) or permission set (Identity Center)
    --region: string          # The profile's region
    --dry-run                 # Print the change as a unified diff on stdout instead of writing it
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws configure profile shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
    name: string              # The profile's name: `[profile NAME]`, used as `aws --profile NAME`
  ]

  def "nu-complete p0 aws configure populate shell" [] {
    [ "posix" "fish" "powershell" ]
  }

  # Write a profile for every account and role you can request (what `p0 ls` lists)
  export extern "p0 aws configure populate" [
    --prefix: string          # Put this before every profile name
    --region: string          # The profiles' region
    --dry-run                 # Print the change as a unified diff on stdout instead of writing it
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --reason: string          # Why you need access (sent with the request)
    --shell: string@"nu-complete p0 aws configure populate shell" # Export syntax of `assume` (default: from $SHELL)
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws configure help" [
  ]

  # Write (or update in place) one profile whose credential_process is this p0
  export extern "p0 aws configure help profile" [
  ]

  # Write a profile for every account and role you can request (what `p0 ls` lists)
  export extern "p0 aws configure help populate" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws configure help help" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws help" [
  ]

  # IAM roles through Okta SAML
  export extern "p0 aws help role" [
  ]

  # Print shell exports for the role's temporary credentials
  export extern "p0 aws help role assume" [
  ]

  # Permission sets through AWS IAM Identity Center
  export extern "p0 aws help permission-set" [
  ]

  # Print shell exports for the permission set's temporary credentials
  export extern "p0 aws help permission-set assume" [
  ]

  # Act as an AWS credential_process (for ~/.aws/config profiles): the credentials as the JSON AWS SDKs read, on stdout; anything for a human on the terminal only
  export extern "p0 aws help credential-process" [
  ]

  # Tokens for Amazon EKS clusters (kubectl), signed with just-in-time credentials
  export extern "p0 aws help eks" [
  ]

  # Print a token for an EKS cluster as the ExecCredential kubectl reads (as `aws eks get-token`), signed with just-in-time credentials
  export extern "p0 aws help eks get-token" [
  ]

  # Write the cluster, user and context of an EKS cluster into a kubeconfig (as `aws eks update-kubeconfig`), with `p0 aws eks get-token` as the user's exec plugin
  export extern "p0 aws help eks update-kubeconfig" [
  ]

  # IAM authentication tokens for RDS databases, signed with just-in-time credentials
  export extern "p0 aws help rds" [
  ]

  # Print an IAM authentication token for an RDS database (as `aws rds generate-db-auth-token`), signed with just-in-time credentials
  export extern "p0 aws help rds generate-db-auth-token" [
  ]

  # Write profiles into the AWS config file whose credentials come from p0
  export extern "p0 aws help configure" [
  ]

  # Write (or update in place) one profile whose credential_process is this p0
  export extern "p0 aws help configure profile" [
  ]

  # Write a profile for every account and role you can request (what `p0 ls` lists)
  export extern "p0 aws help configure populate" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 aws help help" [
  ]

  def "nu-complete p0 run-as restart_signal" [] {
    [ "term" "int" "hup" "quit" "usr1" "usr2" ]
  }

  # Run one command with just-in-time AWS credentials in its environment
  export extern "p0 run-as" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --role: string            # IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account's roles to pick from
    --permission-set: string  # IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account's roles to pick from
    --reason: string          # Why you need access (sent with the request)
    --no-request              # Skip the P0 access request: use access you already have
    --region: string          # AWS region for the command (AWS_REGION and AWS_DEFAULT_REGION)
    --duration: string        # Session duration in seconds (DurationSeconds) for Okta SAML and web identity
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --refresh                 # Keep the command supplied with fresh credentials through a local credential endpoint
    --restart                 # Restart the command with fresh credentials shortly before they expire
    --restart-margin: string  # With --restart: how long before expiry to restart (seconds)
    --restart-signal: string@"nu-complete p0 run-as restart_signal" # With --restart: the signal that asks the command to stop
    --restart-grace: string   # With --restart: seconds to wait after the signal before SIGKILL
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --sso                     # Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    --sso-start-url: string   # Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config); a value that is not a URL is a regex that filters the start URLs in ~/.aws/config
    --sso-region: string      # Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    --force-refresh           # Direct Identity Center: sign in to Identity Center again even if the cached token is valid
    --role-arn: string        # Web identity, without P0 (CI jobs with an OIDC token): assume this role with AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN)
    --web-identity-token-file: path # Web identity: the file holding the OIDC token, read again at every renewal (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    --role-session-name: string # Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
    ...command: string        # The command to run and its arguments (none: start $SHELL with the credentials). A word starting with `-` is an option of p0's until `--`
  ]

  def "nu-complete p0 console service" [] {
    [ "billing" "cloudformation" "cloudtrail" "cloudwatch" "dynamodb" "ec2" "ecr" "ecs" "eks" "iam" "kms" "lambda" "logs" "organizations" "rds" "route53" "s3" "secretsmanager" "sns" "sqs" "ssm" "vpc" ]
  }

  # Open the AWS console as a role, with just-in-time credentials
  export extern "p0 console" [
    --account: string         # AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    --role: string            # IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account's roles to pick from
    --permission-set: string  # IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it, a terminal offers the account's roles to pick from
    --reason: string          # Why you need access (sent with the request)
    --no-request              # Skip the P0 access request: use access you already have
    --region: string          # The console's region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)
    --service: string@"nu-complete p0 console service" # Open this service's console page
    --destination: string     # Open this console URL (of the role's partition) instead of the console's home
    --duration: string        # How long the console session lasts, 900 to 43200 seconds (SessionDuration; not for a chained role). Default: as AWS sign-in decides
    --url                     # Print only the sign-in URL on stdout (for scripts) instead of opening a browser
    --no-browser              # Print the sign-in URL on stderr instead of opening a browser (also P0_NO_BROWSER=1)
    --chain-role-arn: string  # Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials; chained sessions last at most an hour
    --chain-session-name: string # With --chain-role-arn: the chained session's name (default: p0)
    --chain-external-id: string # With --chain-role-arn: the external id the role's trust policy requires
    --fresh-credentials       # Fetch new credentials even if cached ones are still valid (skip the cache)
    --sso                     # Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    --sso-start-url: string   # Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config); a value that is not a URL is a regex that filters the start URLs in ~/.aws/config
    --sso-region: string      # Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    --force-refresh           # Direct Identity Center: sign in to Identity Center again even if the cached token is valid
    --role-arn: string        # Web identity, without P0: assume this role with AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN)
    --web-identity-token-file: path # Web identity: the file holding the OIDC token (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    --role-session-name: string # Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
  ]

  # Show the session, sign-ins, cached credentials and locks (no network call)
  export extern "p0 status" [
    --json                    # Print the status as JSON on stdout
    --check                   # Also verify the P0 session with the server (one authenticated call); exit non-zero when it is not usable
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
  ]

  def "nu-complete p0 completions shell" [] {
    [ "bash" "zsh" "fish" "powershell" "elvish" "nushell" ]
  }

  # Print a shell completion script
  export extern "p0 completions" [
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
    shell: string@"nu-complete p0 completions shell" # The shell to complete for
  ]

  # Print the manual page (roff), generated from these same definitions
  export extern "p0 man" [
    --dir: path               # Write every page (p0.1, p0-run-as.1, ...) into this directory instead of printing p0.1
    --debug                   # Print diagnostics on stderr (never secrets)
    --quiet(-q)               # Print no status lines (warnings, prompts and errors still appear)
    --help(-h)                # Print help
    --version(-V)             # Print version
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 help" [
  ]

  # Log in to a P0 organization (Okta device authorization)
  export extern "p0 help login" [
  ]

  # Forget the stored identity, tenant config and cached credentials
  export extern "p0 help logout" [
  ]

  # Request access through P0
  export extern "p0 help request" [
  ]

  # List what you can request
  export extern "p0 help ls" [
  ]

  # AWS credentials as shell exports, profiles or credential_process
  export extern "p0 help aws" [
  ]

  # IAM roles through Okta SAML
  export extern "p0 help aws role" [
  ]

  # Print shell exports for the role's temporary credentials
  export extern "p0 help aws role assume" [
  ]

  # Permission sets through AWS IAM Identity Center
  export extern "p0 help aws permission-set" [
  ]

  # Print shell exports for the permission set's temporary credentials
  export extern "p0 help aws permission-set assume" [
  ]

  # Act as an AWS credential_process (for ~/.aws/config profiles): the credentials as the JSON AWS SDKs read, on stdout; anything for a human on the terminal only
  export extern "p0 help aws credential-process" [
  ]

  # Tokens for Amazon EKS clusters (kubectl), signed with just-in-time credentials
  export extern "p0 help aws eks" [
  ]

  # Print a token for an EKS cluster as the ExecCredential kubectl reads (as `aws eks get-token`), signed with just-in-time credentials
  export extern "p0 help aws eks get-token" [
  ]

  # Write the cluster, user and context of an EKS cluster into a kubeconfig (as `aws eks update-kubeconfig`), with `p0 aws eks get-token` as the user's exec plugin
  export extern "p0 help aws eks update-kubeconfig" [
  ]

  # IAM authentication tokens for RDS databases, signed with just-in-time credentials
  export extern "p0 help aws rds" [
  ]

  # Print an IAM authentication token for an RDS database (as `aws rds generate-db-auth-token`), signed with just-in-time credentials
  export extern "p0 help aws rds generate-db-auth-token" [
  ]

  # Write profiles into the AWS config file whose credentials come from p0
  export extern "p0 help aws configure" [
  ]

  # Write (or update in place) one profile whose credential_process is this p0
  export extern "p0 help aws configure profile" [
  ]

  # Write a profile for every account and role you can request (what `p0 ls` lists)
  export extern "p0 help aws configure populate" [
  ]

  # Run one command with just-in-time AWS credentials in its environment
  export extern "p0 help run-as" [
  ]

  # Open the AWS console as a role, with just-in-time credentials
  export extern "p0 help console" [
  ]

  # Show the session, sign-ins, cached credentials and locks (no network call)
  export extern "p0 help status" [
  ]

  # Print a shell completion script
  export extern "p0 help completions" [
  ]

  # Print the manual page (roff), generated from these same definitions
  export extern "p0 help man" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "p0 help help" [
  ]

}

export use completions *
