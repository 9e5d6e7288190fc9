//! `sdtoken exec -- CMD`: run CMD with `SD_API_URL` and `SD_TOKEN` in its
//! environment only, forward SIGINT, SIGTERM, SIGHUP and SIGQUIT to it, and
//! exit with its code.
//!
//! This module also contains what `env` shares with `exec`: the variable that
//! receives the JWT and the rule that protects a build's own `SD_TOKEN`.

use std::process::Command;

use crate::auth::{self, Credential, Session, Source, Stores};
use crate::cli::{ExecArgs, TokenTarget};
use crate::error::CliError;
use crate::settings::Settings;

pub fn run(args: ExecArgs, settings: &Settings) -> anyhow::Result<i32> {
    let (session, token_var) = prepare(settings, &args.target)?;
    let jwt = session.jwt()?;

    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = Command::new(program);
    command.args(rest).env("SD_API_URL", settings.api_url.v4()).env(&token_var, jwt.token.expose());
    let program_name = program.to_string_lossy().into_owned();
    Ok(run_forwarding_signals(command, &program_name))
}

/// Resolves the credential, applies the build-token rule and builds the session.
/// The rule is checked before the JWT cache is opened, so a refusal touches no store.
/// Returns the session and the variable that receives the JWT.
pub fn prepare(settings: &Settings, target: &TokenTarget) -> anyhow::Result<(Session, String)> {
    let token_var = token_variable(target)?;
    let stores = Stores::new(settings)?;
    let resolved = auth::resolve(settings, &stores, false)?;
    check_build_token(settings, &resolved.credential, target)?;
    let session = super::session_for(settings, &stores, resolved.credential)?;
    Ok((session, token_var))
}

/// Returns the variable that receives the JWT: `--var NAME`, else `SD_TOKEN`.
fn token_variable(target: &TokenTarget) -> anyhow::Result<String> {
    match &target.var {
        Some(name) => {
            crate::shell::validate_var_name(name)?;
            Ok(name.clone())
        }
        None => Ok("SD_TOKEN".to_string()),
    }
}

/// Inside a build, other tools need the build's `SD_TOKEN`: replacing it with the
/// JWT of another credential takes `--var NAME` (a name other than `SD_TOKEN`)
/// or `--replace-build-token`.
fn check_build_token(settings: &Settings, credential: &Credential, target: &TokenTarget) -> anyhow::Result<()> {
    let is_build_token = matches!(credential, Credential::Jwt { source: Source::EnvJwt, .. });
    let other_var = target.var.as_deref().is_some_and(|name| !name.eq_ignore_ascii_case("SD_TOKEN"));
    if !settings.in_build || is_build_token || other_var || target.replace_build_token {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "inside a build, this would replace the build's `SD_TOKEN` with the JWT of {}",
        credential.source().describe()
    ))
    .with_hint("export it under another name with `--var NAME`, or pass `--replace-build-token` to replace it")
    .into())
}

/// Prints why CMD could not start and returns 127 (not found) or 126 (not runnable).
fn report_spawn_error(program: &str, err: &std::io::Error) -> i32 {
    let (code, reason, hint) = match err.kind() {
        std::io::ErrorKind::NotFound => {
            (127, "command not found", "check the name, or give its path; `PATH` is searched")
        }
        std::io::ErrorKind::PermissionDenied => {
            (126, "permission denied", "make the file executable (`chmod +x`), or run it through its interpreter")
        }
        _ => (126, "cannot be run", "check that it is an executable file"),
    };
    crate::output::stderr(&format!(
        "sdtoken: error: `{program}`: {reason}, because the system reported: {err}\nhint: {hint}\n"
    ));
    code
}

/// Starts `command`, waits for it and returns its exit code, or 128+N when signal N ended it.
#[cfg(unix)]
fn run_forwarding_signals(mut command: Command, program_name: &str) -> i32 {
    use std::os::unix::process::ExitStatusExt;

    if let Err(err) = forward::install() {
        tracing::warn!("signals will not be forwarded to the command: {err}");
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return report_spawn_error(program_name, &err),
    };
    forward::set_child(child.id() as libc::pid_t);
    let waited = child.wait();
    // The pid is free for reuse once the child is reaped, so stop forwarding to it.
    forward::set_child(0);
    match waited {
        Ok(status) => status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        Err(err) => {
            crate::output::stderr(&format!("sdtoken: error: waiting for `{program_name}` failed: {err}\n"));
            1
        }
    }
}

#[cfg(not(unix))]
fn run_forwarding_signals(mut command: Command, program_name: &str) -> i32 {
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return report_spawn_error(program_name, &err),
    };
    match child.wait() {
        Ok(status) => status.code().unwrap_or(1),
        Err(err) => {
            crate::output::stderr(&format!("sdtoken: error: waiting for `{program_name}` failed: {err}\n"));
            1
        }
    }
}

/// Forwarding of signals sent to sdtoken to the child.
///
/// A signal that the terminal sends (Ctrl-C, Ctrl-\, hang-up) goes to the whole
/// foreground process group, so a child that is still in sdtoken's group has
/// received it already and is not sent a second one. A signal sent by the child
/// itself is not sent back to it either. Signals that arrive before the child
/// exists are kept and sent once it does.
#[cfg(unix)]
mod forward {
    use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

    const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

    /// The child's pid; 0 before it is spawned and after it is reaped.
    static CHILD: AtomicI32 = AtomicI32::new(0);
    /// Bit N is set while signal N waits to be forwarded.
    static PENDING: AtomicU64 = AtomicU64::new(0);

    /// Installs the handlers; from now on these signals no longer end sdtoken. A
    /// signal that sdtoken was started with ignored (`nohup`, a background job of a
    /// script) stays ignored, so the child inherits that as it would without sdtoken.
    pub fn install() -> std::io::Result<()> {
        for signal in SIGNALS {
            if is_ignored(signal)? {
                continue;
            }
            // SAFETY: the action only uses atomics, getpgid(2), getpgrp(2) and
            // kill(2), which are async-signal-safe, and it does not allocate.
            unsafe { signal_hook_registry::register_sigaction(signal, on_signal) }?;
        }
        Ok(())
    }

    fn is_ignored(signal: libc::c_int) -> std::io::Result<bool> {
        // SAFETY: sigaction(2) with a null new action only reads the current one
        // into `current`, a zeroed plain C struct.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(current.sa_sigaction == libc::SIG_IGN)
    }

    /// Records the child's pid (0: none) and sends it the signals that arrived before it existed.
    pub fn set_child(pid: libc::pid_t) {
        CHILD.store(pid, Ordering::SeqCst);
        if pid > 0 {
            send_pending(pid);
        }
    }

    fn on_signal(info: &libc::siginfo_t) {
        let child = CHILD.load(Ordering::SeqCst);
        if child > 0 && (child_has_it(info, child) || sent_by(info, child)) {
            return;
        }
        PENDING.fetch_or(1 << info.si_signo, Ordering::SeqCst);
        // Read the pid again, because the main thread may have stored it after the
        // first read. Whichever side swaps PENDING to 0 sends the signals it held.
        let child = CHILD.load(Ordering::SeqCst);
        if child > 0 {
            send_pending(child);
        }
    }

    fn send_pending(child: libc::pid_t) {
        let pending = PENDING.swap(0, Ordering::SeqCst);
        for signal in SIGNALS {
            if pending & (1 << signal) != 0 {
                // SAFETY: kill(2) with the child's pid and a valid signal number.
                unsafe {
                    libc::kill(child, signal);
                }
            }
        }
    }

    /// True for a terminal-generated signal while the child is in sdtoken's process group.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn child_has_it(info: &libc::siginfo_t, child: libc::pid_t) -> bool {
        // SAFETY: getpgid(2) and getpgrp(2) only read process state.
        info.si_code == libc::SI_KERNEL && unsafe { libc::getpgid(child) == libc::getpgrp() }
    }

    /// Other systems do not mark terminal-generated signals, so every signal is forwarded.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn child_has_it(_info: &libc::siginfo_t, _child: libc::pid_t) -> bool {
        false
    }

    fn sent_by(info: &libc::siginfo_t, child: libc::pid_t) -> bool {
        // SAFETY: for signals sent with kill(2) the kernel fills in `si_pid`.
        info.si_code == libc::SI_USER && unsafe { info.si_pid() } == child
    }
}
