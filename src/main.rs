//! sdtoken: create, list, rename, refresh and delete Screwdriver API tokens,
//! exchange them for JWTs, and hand those JWTs to scripts and builds.
//!
//! `main` parses the command line, sets up logging, runs the command and maps
//! any error to the documented exit code.

mod api;
mod auth;
mod cli;
mod cmd;
mod config;
mod duration;
mod error;
mod fsutil;
mod interrupt;
mod jwt;
mod logging;
mod output;
mod secret;
mod settings;
mod shell;
mod store;

fn main() {
    api::drop_empty_trust_store_variables();
    let cli = cli::parse();
    logging::init(cli.global.verbose, cli.global.quiet);
    output::set_quiet(cli.global.quiet);
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err).code(),
    };
    std::process::exit(code);
}
