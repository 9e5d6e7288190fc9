//! `sdtoken env`: print `SD_API_URL` and `SD_TOKEN` assignments for the shell.

use crate::cli::EnvArgs;
use crate::settings::Settings;

pub fn run(args: EnvArgs, settings: &Settings) -> anyhow::Result<i32> {
    let shell = args.shell.unwrap_or_else(|| crate::shell::detect(std::env::var("SHELL").ok().as_deref()));
    let token_var = super::exec::token_variable(&args.target)?;
    let (session, _stores, _shadowed) = super::session(settings)?;
    super::exec::check_build_token(settings, &session, &args.target)?;
    let jwt = session.jwt()?;

    let url = settings.api_url.v4();
    let vars = [("SD_API_URL", url.as_str()), (token_var.as_str(), jwt.token.expose())];
    crate::output::stdout(&crate::shell::render(shell, &vars));
    Ok(0)
}
