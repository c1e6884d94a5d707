use super::help;
use clap::Args;

#[derive(Debug, Args)]
#[command(disable_help_flag = true, after_help = help::REQUEST_EXAMPLES)]
pub struct RequestArgs {
    /// Wait for the request to be approved (or denied) before exiting
    #[arg(short, long)]
    pub wait: bool,
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// What to request, passed to P0 as typed (for example: aws role Admin --reason "deploy")
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_help = help::LS_EXAMPLES)]
pub struct LsArgs {
    /// How many items to show
    #[arg(long, default_value_t = 15)]
    pub size: u32,
    /// Print the raw JSON response on stdout
    #[arg(long)]
    pub json: bool,
    /// What to list, passed to P0 as typed (for example: aws role)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}
