//! `p0 aws rds generate-db-auth-token`: an RDS IAM authentication token, signed with
//! just-in-time credentials (the credential source flags are `eks get-token`'s).

use super::SourceArgs;
use clap::{Args, Subcommand};

pub const GENERATE_DB_AUTH_TOKEN_EXAMPLES: &str = "\
Examples:
  PGPASSWORD=\"$(p0 aws --account prod rds generate-db-auth-token --role Admin \\
      --hostname db.example.us-west-2.rds.amazonaws.com --port 5432 \\
      --username app --region us-west-2)\" \\
    psql \"host=db.example.us-west-2.rds.amazonaws.com user=app sslmode=require\"";

#[derive(Debug, Subcommand)]
pub enum RdsCommand {
    /// Print an IAM authentication token for an RDS database (as
    /// `aws rds generate-db-auth-token`), signed with just-in-time credentials
    #[command(after_help = GENERATE_DB_AUTH_TOKEN_EXAMPLES)]
    GenerateDbAuthToken(DbAuthTokenArgs),
}

/// `p0 aws [--account A] rds generate-db-auth-token --hostname H --port P --username U
/// --region R [credential source flags]`.
#[derive(Debug, Args)]
pub struct DbAuthTokenArgs {
    /// The database's endpoint (host name)
    #[arg(long, value_name = "HOST")]
    pub hostname: String,
    /// The database's port
    #[arg(long)]
    pub port: u16,
    /// The database user the token signs in as
    #[arg(long, value_name = "USER")]
    pub username: String,
    /// The database's region
    #[arg(long)]
    pub region: String,
    #[command(flatten)]
    pub source: SourceArgs,
}
