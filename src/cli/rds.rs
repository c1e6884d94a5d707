//! `p0 aws rds generate-db-auth-token`: an RDS IAM authentication token, signed with
//! just-in-time credentials (the credential source flags are `eks get-token`'s).

use super::SourceArgs;
use clap::{Args, Subcommand};

pub const GENERATE_DB_AUTH_TOKEN_EXAMPLES: &str = "\
Examples:
  # P0's form: request a database role through P0, then the token for it
  PGPASSWORD=\"$(p0 aws rds generate-db-auth-token --arch postgres \\
      --role reader --instance orders)\" \\
    psql \"host=$RDS_HOST user=p0_alice sslmode=require\"
  MYSQL_PWD=\"$(p0 aws rds generate-db-auth-token --arch mysql \\
      --sql 'SELECT * FROM orders' --database shop)\" \\
    mysql -h \"$RDS_HOST\" -u p0_alice
  # The plain form, with any credential source:
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

/// `p0 aws rds generate-db-auth-token --arch mysql|postgres (--role R | --sql SQL)
/// [--instance I] [--database D]` (P0's form: `--role` is the database role), or
/// `p0 aws [--account A] rds generate-db-auth-token --hostname H --port P --username U
/// --region R [credential source flags]` (the plain form).
#[derive(Debug, Args)]
pub struct DbAuthTokenArgs {
    /// P0's form: the database's kind (use mysql for MariaDB); --role is then the database
    /// role to request through P0
    #[arg(long, value_enum, conflicts_with_all = ["hostname", "port", "username", "region"])]
    pub arch: Option<DbArch>,
    /// P0's form: a SQL script to run; P0 grants only the privileges it requires
    #[arg(long, value_name = "SQL", requires = "arch", conflicts_with = "role")]
    pub sql: Option<String>,
    /// P0's form: the P0 instance identifier
    #[arg(long, value_name = "ID", requires = "arch")]
    pub instance: Option<String>,
    /// P0's form: the database to access
    #[arg(long, value_name = "NAME", requires = "arch")]
    pub database: Option<String>,
    /// The database's endpoint (host name)
    #[arg(long, value_name = "HOST", required_unless_present = "arch")]
    pub hostname: Option<String>,
    /// The database's port
    #[arg(long, required_unless_present = "arch")]
    pub port: Option<u16>,
    /// The database user the token signs in as
    #[arg(long, value_name = "USER", required_unless_present = "arch")]
    pub username: Option<String>,
    /// The database's region
    #[arg(long, required_unless_present = "arch")]
    pub region: Option<String>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// The database kinds of P0's form (P0's `mysql` and `postgres` integrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbArch {
    Mysql,
    Postgres,
}

impl DbArch {
    /// P0's integration name (the request's first word, the config's path).
    pub fn word(self) -> &'static str {
        match self {
            DbArch::Mysql => "mysql",
            DbArch::Postgres => "postgres",
        }
    }
}
