//! `sdtoken exec -- CMD`: run CMD with `SD_API_URL` and `SD_TOKEN` in its
//! environment only, forward SIGINT and SIGTERM to it, and exit with its code.

use std::process::Command;

use crate::auth::{Credential, Session, Source};
use crate::cli::{ExecArgs, TokenTarget};
use crate::error::CliError;
use crate::settings::Settings;

pub fn run(args: ExecArgs, settings: &Settings) -> anyhow::Result<i32> {
    let token_var = token_variable(&args.target)?;
    let (session, _stores, _shadowed) = super::session(settings)?;
    check_build_token(settings, &session, &args.target)?;
    let jwt = session.jwt()?;

    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = Command::new(program);
    command.args(rest).env("SD_API_URL", settings.api_url.v4()).env(&token_var, jwt.token.expose());
    let shown = program.to_string_lossy().into_owned();
    let child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return Ok(report_spawn_error(&shown, &err)),
    };
    Ok(wait_forwarding_signals(child))
}

/// The variable that receives the JWT: `--var NAME`, else `SD_TOKEN`.
pub fn token_variable(target: &TokenTarget) -> anyhow::Result<String> {
    match &target.var {
        Some(name) => {
            crate::shell::validate_var_name(name)?;
            Ok(name.clone())
        }
        None => Ok("SD_TOKEN".to_string()),
    }
}

/// Inside a build, other tools need the build's `SD_TOKEN`: replacing it with the
/// JWT of another credential takes `--var NAME` or `--replace-build-token`.
pub fn check_build_token(settings: &Settings, session: &Session, target: &TokenTarget) -> anyhow::Result<()> {
    let is_build_token = matches!(&session.credential, Credential::Jwt { source: Source::EnvJwt, .. });
    if !settings.in_build || is_build_token || target.var.is_some() || target.replace_build_token {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "inside a build, this would replace the build's `SD_TOKEN` with the JWT of {}",
        session.credential.source().describe()
    ))
    .with_hint("export it under another name with `--var NAME`, or pass `--replace-build-token` to replace it")
    .into())
}

/// Prints why CMD could not start and returns 127 (not found) or 126 (not runnable).
fn report_spawn_error(program: &str, err: &std::io::Error) -> i32 {
    let (code, reason) = match err.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found"),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied"),
        _ => (126, "cannot be run"),
    };
    crate::output::stderr(&format!("sdtoken: error: `{program}`: {reason} ({err})\n"));
    code
}

#[cfg(unix)]
fn wait_forwarding_signals(mut child: std::process::Child) -> i32 {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    use std::os::unix::process::ExitStatusExt;

    let pid = child.id() as libc::pid_t;
    let forwarder = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT]).ok();
    if let Some(mut signals) = forwarder.as_ref().map(|s| s.handle()).and(forwarder) {
        std::thread::spawn(move || {
            for signal in signals.forever() {
                // SAFETY: kill(2) with the child's pid and a valid signal number.
                unsafe {
                    libc::kill(pid, signal);
                }
            }
        });
    }
    match child.wait() {
        Ok(status) => status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        Err(err) => {
            crate::output::stderr(&format!("sdtoken: error: waiting for the command failed: {err}\n"));
            1
        }
    }
}

#[cfg(not(unix))]
fn wait_forwarding_signals(mut child: std::process::Child) -> i32 {
    match child.wait() {
        Ok(status) => status.code().unwrap_or(1),
        Err(err) => {
            crate::output::stderr(&format!("sdtoken: error: waiting for the command failed: {err}\n"));
            1
        }
    }
}
