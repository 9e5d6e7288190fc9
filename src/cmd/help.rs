//! `sdtoken help [TOPIC]`: a command's help, or the reference pages on
//! environment variables and exit codes.

use clap::CommandFactory;

use crate::cli::{Cli, HelpArgs};
use crate::error::CliError;

pub const ENVIRONMENT: &str = "\
Environment variables

Credentials (the first one set wins):
  SD_API_TOKEN        An API token (user or pipeline), for example a Screwdriver secret.
                      It is exchanged for a JWT, and the JWT is cached.
  SD_TOKEN            A JWT, used as it is: never exchanged, cached or renewed. Inside a
                      build it is the build token. Outside a build, when a stored token
                      exists, an SD_TOKEN that has expired or expires within --min-ttl is
                      skipped with a warning, and the stored token is used.
  (stored token)      The API token that `sdtoken login` stored for the context.

Settings:
  SD_API_URL          The API URL, like --api-url. `https://host`, `https://host/v4` and
                      `https://host/v4/` mean the same server. Default: the context's URL,
                      else https://api.screwdriver.cd.
  SD_BUILD_ID         Set by Screwdriver builds; with SD_TOKEN it marks a build, where `env`
                      and `exec` keep the build token unless --var or --replace-build-token.
  SDTOKEN_CONTEXT     The context to use, like --context.
  SDTOKEN_STORE       The store for `login`, and for `--save` into a context that does not
                      exist yet: keyring, keyutils or file, like --store.
  SDTOKEN_CONFIG_DIR  The directory of config.toml. Default: $XDG_CONFIG_HOME/sdtoken.
  XDG_CONFIG_HOME     Base of the config directory (default ~/.config).
  XDG_DATA_HOME       Base of the file store, sdtoken/secrets.json (default ~/.local/share).
  XDG_RUNTIME_DIR     Directory of the JWT cache lock files: $XDG_RUNTIME_DIR/sdtoken.
  XDG_CACHE_HOME      Without XDG_RUNTIME_DIR, the lock files go to
                      $XDG_CACHE_HOME/sdtoken/locks (default ~/.cache).
  SHELL               The default format of `sdtoken env`.
  NO_COLOR            Turns colour off when set to a non-empty value.
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY
                      The proxy for https:// and http:// API URLs; ALL_PROXY when the
                      specific one is unset. Lower-case names work too.
  NO_PROXY            Hosts reached directly: names (with their subdomains), IP
                      addresses, CIDR ranges, or * for every host.
  SDTOKEN_CA_CERT     A PEM file of extra CA certificates, like --ca-cert.
  SSL_CERT_FILE, SSL_CERT_DIR
                      A trust store to use in place of the system's; --ca-cert adds
                      certificates to it instead.
";

pub const EXIT_CODES: &str = "\
Exit codes

  0    success
  1    other failure, including a server 400 after sdtoken's own checks passed
       and a confirmation answered no
  2    usage error: bad flags or arguments, invalid input caught before any request,
       missing --yes without a terminal, a name that matches several tokens
  3    secret store unavailable: no keyring, locked, or timed out
  4    not authenticated: no credential, malformed SD_TOKEN, API token rejected,
       JWT expired and not renewable
  5    forbidden: the credential's scope or permissions do not allow this
  6    not found: token, pipeline, user or context does not exist
  7    conflict: a token with that name exists, or the pipeline is being deleted
  8    network or TLS failure, timeout
  9    server failure: 5xx, 429 after retries, or a response that is not the expected JSON
  130  interrupted: Ctrl-C at a prompt; other signals at a prompt give 128+N
       (129 SIGHUP, 131 SIGQUIT, 143 SIGTERM), with the terminal restored
  exec: the command's own exit code; 128+N when signal N ended it, 127 when it is
        not found, 126 when it cannot be run
";

pub fn run(args: HelpArgs) -> anyhow::Result<i32> {
    let topic: Vec<&str> = args.topic.iter().map(String::as_str).collect();
    match topic.as_slice() {
        [] => print_help(Cli::command()),
        ["environment"] | ["env-vars"] => crate::output::stdout(ENVIRONMENT),
        ["exit-codes"] => crate::output::stdout(EXIT_CODES),
        path => {
            // Building propagates the global options and full names to the subcommands.
            let mut command = Cli::command();
            command.build();
            for name in path {
                command = command.find_subcommand(name).cloned().ok_or_else(|| unknown_topic(path))?;
            }
            print_help(command);
        }
    }
    Ok(0)
}

/// Names the unknown topic, unless a word of it could be a secret typed in the wrong place.
fn unknown_topic(path: &[&str]) -> CliError {
    let message = if path.iter().any(|word| crate::cli::may_be_secret(word)) {
        "no help topic or command by that name (not shown because it may be a secret)".to_string()
    } else {
        format!("no help topic or command named `{}`", path.join(" "))
    };
    CliError::usage(message).with_hint("try `sdtoken help environment`, `sdtoken help exit-codes` or `sdtoken --help`")
}

fn print_help(mut command: clap::Command) {
    crate::output::stdout(&command.render_long_help().to_string());
}
