//! `sdtoken env`: print `SD_API_URL` and `SD_TOKEN` assignments for the shell.
//! Nothing reaches stdout unless every step succeeded, so `out=$(sdtoken env)`
//! followed by a status check never evaluates half an output.

use crate::cli::{EnvArgs, ShellKind};
use crate::settings::Settings;

pub fn run(args: EnvArgs, settings: &Settings) -> anyhow::Result<i32> {
    // The global `--json` means `--shell json`; `cli::parse` has rejected it next to another `--shell`.
    let shell = match (settings.json, args.shell) {
        (true, _) => ShellKind::Json,
        (false, Some(shell)) => shell,
        (false, None) => crate::shell::detect(std::env::var("SHELL").ok().as_deref()),
    };
    let (session, token_var) = super::exec::prepare(settings, &args.target)?;
    let jwt = session.jwt()?;

    let url = settings.api_url.v4();
    let vars = [("SD_API_URL", url.as_str()), (token_var.as_str(), jwt.token.expose())];
    crate::output::stdout(&crate::shell::render(shell, &vars));
    Ok(0)
}
