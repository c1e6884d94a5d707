use clap::Args;

/// `--chain-role-arn` and its companions: after the credentials `p0` gets (through P0, Identity
/// Center directly, or web identity), STS AssumeRole into another role with them, as a linked
/// profile's `role_arn` + `source_profile` does. Flattened (`#[command(flatten)] chain:
/// ChainArgs`) into every command that hands out credentials, and passed on as `Wanted::chain`;
/// and into `configure profile`, which writes such a linked pair for the SDKs to chain.
#[derive(Debug, Clone, Default, Args)]
pub struct ChainArgs {
    /// Then assume this role (STS AssumeRole, e.g. cross-account) with those credentials;
    /// chained sessions last at most an hour
    #[arg(long, value_name = "ARN")]
    pub chain_role_arn: Option<String>,
    /// With --chain-role-arn: the chained session's name (default: p0)
    #[arg(long, value_name = "NAME", requires = "chain_role_arn")]
    pub chain_session_name: Option<String>,
    /// With --chain-role-arn: the external id the role's trust policy requires
    #[arg(long, value_name = "ID", requires = "chain_role_arn")]
    pub chain_external_id: Option<String>,
}
