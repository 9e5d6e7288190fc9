//! The command line as clap parses it: raw input only. `settings` resolves it
//! against the environment and the config file.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store::StoreKind;

mod usage;

pub(crate) use usage::may_be_secret;

const ROOT_EXAMPLES: &str = "\
Examples:
  # Store an API token (a hidden prompt asks for it)
  $ sdtoken login

  # Get a JWT for scripts
  $ JWT=$(sdtoken exchange)

  # Manage tokens
  $ sdtoken create ci-bot --description \"nightly jobs\"
  $ sdtoken list
  $ sdtoken refresh ci-bot

Reference pages: `sdtoken help environment`, `sdtoken help exit-codes`.";

/// Manage Screwdriver CI access tokens and the JWTs they exchange for
#[derive(Debug, Parser)]
#[command(
    name = "sdtoken",
    version,
    disable_help_subcommand = true,
    after_long_help = ROOT_EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Context (Screwdriver instance) to use [default: the current context, else `default`]
    #[arg(long, global = true, env = "SDTOKEN_CONTEXT", value_name = "NAME", hide_env_values = true)]
    pub context: Option<String>,

    /// Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context's URL]
    #[arg(long, global = true, env = "SD_API_URL", value_name = "URL", hide_env_values = true)]
    pub api_url: Option<String>,

    /// Print one JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Never prompt; fail instead when input is needed
    #[arg(long, global = true)]
    pub no_input: bool,

    /// Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only data and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context
    #[arg(long, global = true, env = "SDTOKEN_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Time limit per HTTP request, in seconds
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30, value_parser = parse_timeout, allow_negative_numbers = true)]
    pub timeout: u64,

    /// Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)
    #[arg(long, global = true, value_name = "DURATION", default_value = "5m", value_parser = crate::duration::parse)]
    pub min_ttl: Duration,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Login(LoginArgs),
    Logout(LogoutArgs),
    Status(StatusArgs),
    Exchange(ExchangeArgs),
    Env(EnvArgs),
    Exec(ExecArgs),
    List(ListArgs),
    Create(CreateArgs),
    Update(UpdateArgs),
    Refresh(RefreshArgs),
    Delete(DeleteArgs),
    Context(ContextArgs),
    Completions(CompletionsArgs),
    Help(HelpArgs),
}

/// Store an API token for a context, after checking it with one exchange
///
/// On a terminal a hidden prompt asks for the token. Without one, pass it on stdin
/// with `--with-token`. The token never goes on the command line.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  # Log in to the public instance (hidden prompt)
  $ sdtoken login

  # Log in to another instance from a script
  $ printf %s \"$TOKEN\" | sdtoken login --with-token --context work --api-url https://sd.example.com

  # Keep the token in a 0600 file on a machine without a keyring
  $ sdtoken login --store file")]
pub struct LoginArgs {
    /// Read the token from stdin instead of prompting
    #[arg(long)]
    pub with_token: bool,

    /// Where to keep the token: keyring (OS secret store), keyutils (volatile) or file (plaintext)
    #[arg(long, env = "SDTOKEN_STORE", value_name = "STORE", hide_env_values = true)]
    pub store: Option<StoreKind>,
}

/// Remove the stored API token and cached JWT of a context
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken logout
  $ sdtoken logout --context work")]
pub struct LogoutArgs {}

/// Show the identity, scope, expiry and source of the current credential
///
/// Makes no request while a cached JWT is valid. Exits 0 with a valid
/// credential and 4 with none or an expired one; `--json` prints its document
/// in both cases. Warns when the server's clock differs from the local one by
/// more than 60 s.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken status
  # Check the JWT's signature with the server's public key
  $ sdtoken status --verify
  $ sdtoken status --json | jq .expires_in")]
pub struct StatusArgs {
    /// Check the JWT's RS256 signature against the server's key (GET /v4/auth/key)
    #[arg(long)]
    pub verify: bool,
}

/// Print a JWT for the current credential, as one line on stdout
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ JWT=$(sdtoken exchange)
  # Give curl the JWT as a header on stdin (curl 7.55 or later), keeping it off argv
  $ sdtoken exchange | sed 's/^/Authorization: Bearer /' |
      curl -H @- https://api.screwdriver.cd/v4/pipelines/1
  # Get a JWT valid for at least 30 more minutes
  $ sdtoken exchange --min-ttl 30m")]
pub struct ExchangeArgs {
    /// Exchange even when a cached JWT is still valid; the new JWT replaces it
    #[arg(long)]
    pub no_cache: bool,
}

/// Output format of `env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellKind {
    Sh,
    Bash,
    Zsh,
    Fish,
    Powershell,
    Dotenv,
    Json,
}

/// Print SD_API_URL and SD_TOKEN assignments for eval
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  # Check the exit code, because eval \"$(…)\" hides a failure
  $ out=$(sdtoken env --shell bash) && eval \"$out\"
  $ set -l out (sdtoken env --shell fish | string collect); and eval $out
  # One JSON object with both variables; `--json` is short for `--shell json`
  $ sdtoken env --json | jq -r .SD_API_URL
  # Inside a build, export a user JWT without replacing the build's SD_TOKEN
  $ out=$(sdtoken env --var SD_USER_TOKEN) && eval \"$out\"")]
pub struct EnvArgs {
    /// Output format; `--json` means `--shell json` [default: from $SHELL, else sh]
    #[arg(long, value_enum, value_name = "SHELL")]
    pub shell: Option<ShellKind>,

    #[command(flatten)]
    pub target: TokenTarget,
}

/// Where `env` and `exec` put the JWT.
#[derive(Debug, Args)]
pub struct TokenTarget {
    /// Export the JWT under this variable name instead of SD_TOKEN
    #[arg(long, value_name = "NAME")]
    pub var: Option<String>,

    /// Inside a build, replace the build's SD_TOKEN with the JWT of another credential
    #[arg(long)]
    pub replace_build_token: bool,
}

/// Run a command with SD_API_URL and SD_TOKEN in its environment
///
/// sdtoken exits with the command's exit code, 128+N when a signal N ended it,
/// 127 when it is not found and 126 when it cannot be run.
#[derive(Debug, Args)]
#[command(
    override_usage = "sdtoken exec [OPTIONS] -- <CMD> [ARGS]...",
    after_long_help = "\
Examples:
  $ sdtoken exec -- ./deploy.sh --prod
  # printf is a shell builtin, so the JWT stays off every argv
  $ sdtoken exec -- sh -c 'printf \"Authorization: Bearer %s\\n\" \"$SD_TOKEN\" |
      curl -H @- \"${SD_API_URL}pipelines/1\"'"
)]
pub struct ExecArgs {
    #[command(flatten)]
    pub target: TokenTarget,

    /// The command and its arguments
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Whose tokens to work on.
#[derive(Debug, Args)]
pub struct OwnerArgs {
    /// Work on this pipeline's tokens instead of your user tokens
    #[arg(long, value_name = "ID", value_parser = parse_id, allow_negative_numbers = true)]
    pub pipeline: Option<u64>,
}

/// List tokens: id, name, description and when each was last used
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken list
  $ sdtoken list --pipeline 1234
  $ sdtoken list --json | jq -r '.[].name'")]
pub struct ListArgs {
    #[command(flatten)]
    pub owner: OwnerArgs,
}

/// Create a token and print its value once on stdout
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken create ci-bot --description \"nightly jobs\"
  # A pipeline token, as JSON for a secret manager
  $ sdtoken create deploy --pipeline 1234 --json
  # Create a token and make it this context's API token
  $ sdtoken create laptop --save")]
pub struct CreateArgs {
    /// Token name, 1 to 128 characters, unique among the owner's tokens
    pub name: String,

    /// Description, at most 256 characters
    #[arg(long, short = 'd', value_name = "TEXT")]
    pub description: Option<String>,

    #[command(flatten)]
    pub owner: OwnerArgs,

    /// Store the new value as the API token of the context
    #[arg(long)]
    pub save: bool,
}

/// How to read a TOKEN argument.
#[derive(Debug, Args)]
pub struct ByName {
    /// Treat TOKEN as a name even when it is all digits
    #[arg(long)]
    pub by_name: bool,
}

/// Rename a token or change its description
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken update ci-bot --name ci-nightly
  $ sdtoken update 17 --description \"used by the release job\"")]
pub struct UpdateArgs {
    /// Token id or name
    pub token: String,

    /// New name, 1 to 128 characters
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// New description, at most 256 characters (empty clears it)
    #[arg(long, short = 'd', value_name = "TEXT")]
    pub description: Option<String>,

    #[command(flatten)]
    pub owner: OwnerArgs,

    #[command(flatten)]
    pub by_name: ByName,
}

/// Give a token a new value; the old value stops working at once
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken refresh ci-bot
  # From a script: no prompt, and store the new value in this context
  $ sdtoken refresh laptop --yes --save")]
pub struct RefreshArgs {
    /// Token id or name
    pub token: String,

    #[command(flatten)]
    pub owner: OwnerArgs,

    /// Store the new value as the API token of the context
    #[arg(long)]
    pub save: bool,

    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub by_name: ByName,
}

/// Delete tokens
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken delete ci-bot
  $ sdtoken delete 17 18 --yes
  # Delete every token of a pipeline, one by one
  $ sdtoken delete --all --pipeline 1234 --yes")]
pub struct DeleteArgs {
    /// Token ids or names
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub tokens: Vec<String>,

    /// Delete every token of the pipeline given with --pipeline
    #[arg(long)]
    pub all: bool,

    /// Work on this pipeline's tokens instead of your user tokens
    #[arg(long, value_name = "ID", value_parser = parse_id, allow_negative_numbers = true)]
    pub pipeline: Option<u64>,

    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub by_name: ByName,
}

/// List, switch or remove contexts (one per Screwdriver instance)
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken context list
  $ sdtoken context use work
  $ sdtoken context remove old")]
pub struct ContextArgs {
    #[command(subcommand)]
    pub action: ContextAction,
}

#[derive(Debug, Subcommand)]
pub enum ContextAction {
    /// List contexts and mark the current one
    ///
    /// Prints CURRENT (`*` for the current context), NAME, API URL and STORE:
    /// a table on a terminal, tab-separated rows otherwise, or JSON with `--json`.
    #[command(after_long_help = "\
Examples:
  $ sdtoken context list
  $ sdtoken context list --json | jq -r '.[] | select(.current) | .api_url'")]
    List,
    /// Make NAME the current context
    ///
    /// Commands use the current context unless `--context` or `SDTOKEN_CONTEXT`
    /// names another. Create a context with `sdtoken login --context NAME --api-url URL`.
    #[command(after_long_help = "\
Examples:
  $ sdtoken login --context work --api-url https://sd.example.com
  $ sdtoken context use work
  # Use another context for one command only
  $ sdtoken list --context default")]
    Use {
        /// Context name
        name: String,
    },
    /// Remove a context, its stored API token and its cached JWT
    #[command(after_long_help = "\
Examples:
  $ sdtoken context remove old
  # Keep the context but forget its token
  $ sdtoken logout --context old")]
    Remove {
        /// Context name
        name: String,
    },
}

/// Print a shell completion script
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken completions bash > ~/.local/share/bash-completion/completions/sdtoken
  $ sdtoken completions zsh > \"${fpath[1]}/_sdtoken\"
  $ sdtoken completions fish > ~/.config/fish/completions/sdtoken.fish")]
pub struct CompletionsArgs {
    /// Shell to complete for
    pub shell: clap_complete::Shell,
}

/// Show help for a command, or a reference page: environment, exit-codes
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  $ sdtoken help environment
  $ sdtoken help exit-codes
  $ sdtoken help create")]
pub struct HelpArgs {
    /// A command name, or `environment` or `exit-codes`
    pub topic: Vec<String>,
}

/// Parses the command line and checks the flag combinations that clap cannot
/// express. `--help` and `--version` print on stdout and exit 0; a usage error
/// prints in sdtoken's error format on stderr and exits 2.
pub fn parse() -> Cli {
    use clap::error::ErrorKind;

    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = Cli::try_parse_from(&args).unwrap_or_else(|err| {
        let prints_help = matches!(
            err.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        if prints_help {
            err.exit();
        }
        crate::output::stderr(&usage::render_clap_error(&err, &args));
        std::process::exit(err.exit_code());
    });
    if let Err(err) = usage::check_combinations(&cli) {
        let code = crate::error::report(&err.into());
        std::process::exit(code.code());
    }
    cli
}

/// The largest id the API accepts: its ids are JavaScript numbers, exact up to 2^53 - 1.
const MAX_ID: u64 = (1 << 53) - 1;

/// Parses a positive integer id.
pub fn parse_id(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(id) if id > MAX_ID => Err(format!("`{text}` is not a valid id: it is larger than the maximum, {MAX_ID}")),
        Ok(id) if id > 0 => Ok(id),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
            Err(format!("`{text}` is not a valid id: it is larger than the maximum, {MAX_ID}"))
        }
        _ => Err(format!("`{text}` is not a valid id: ids are positive integers")),
    }
}

/// Parses `--timeout`: whole seconds from 1 to 3600.
fn parse_timeout(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(secs) if (1..=3600).contains(&secs) => Ok(secs),
        _ => Err(format!("`{text}` is not a valid timeout: give whole seconds from 1 to 3600")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parse_id_rejects_zero_and_text() {
        assert_eq!(parse_id("42"), Ok(42));
        for bad in ["0", "-1", "abc", "1.5", "1e3", ""] {
            assert!(parse_id(bad).unwrap_err().contains("ids are positive integers"), "{bad}");
        }
        assert!(parse_id("18446744073709551616").unwrap_err().contains("larger than the maximum"));
    }

    #[test]
    fn exec_keeps_command_flags_for_the_child() {
        let cli = Cli::try_parse_from(["sdtoken", "exec", "--", "ls", "-la", "--json"]).unwrap();
        let Command::Exec(args) = cli.command else { panic!("not exec") };
        assert_eq!(args.command, ["ls", "-la", "--json"]);
        assert!(!cli.global.json);
    }
}
