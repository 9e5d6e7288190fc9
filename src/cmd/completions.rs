//! `sdtoken completions SHELL`: print a completion script on stdout.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> anyhow::Result<i32> {
    let mut text = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "sdtoken", &mut text);
    crate::output::stdout(&String::from_utf8_lossy(&text));
    Ok(0)
}
