//! Signals at prompts, on a pseudo-terminal. Ctrl-C at the hidden token prompt
//! of `login` or at a confirmation prompt exits 130, and is not killed by the
//! signal. The terminal is left as it was (echo on, canonical mode, cursor
//! shown), and nothing is stored or sent.

mod common;

use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use common::{Sandbox, Trap, expect_text, unsigned_jwt};
use expectrl::WaitStatus;

/// Builds a JWT with a fake signature that is valid for a long time. Prompts
/// come before any request, so it is never sent.
fn user_jwt() -> String {
    unsigned_jwt(&serde_json::json!({"username": "dev", "scope": ["user"], "exp": 4_000_000_000_i64}))
}

/// Starts sdtoken on a pty with echo on, as a login shell leaves it, and with
/// SIGINT, SIGQUIT and SIGTERM at their defaults (a test runner started in the
/// background of a script has SIGINT and SIGQUIT ignored).
fn spawn(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> expectrl::Session {
    let mut command = std::process::Command::new("sh");
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v))).env("TERM", "xterm-256color");
    command.envs(vars.iter().copied());
    // `exec` keeps the pid, so the wait status is sdtoken's own.
    command.arg("-c").arg("stty echo && exec \"$0\" \"$@\"").arg(assert_cmd::cargo::cargo_bin("sdtoken")).args(args);
    // SAFETY: signal(2) is async-signal-safe, as code between fork and exec must be.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM] {
                libc::signal(signal, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    let mut session = expectrl::Session::spawn(command).expect("spawn on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

/// Waits until the hidden prompt has turned echo off, so that input is not discarded.
fn wait_for_echo_off(session: &expectrl::Session) {
    for _ in 0..3000 {
        if !session.get_process().get_echo().unwrap() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the prompt did not turn echo off");
}

/// Reads the pty's local modes (`c_lflag`), also after sdtoken has exited.
fn local_modes(session: &expectrl::Session) -> libc::tcflag_t {
    let master = session.get_process().get_raw_handle().unwrap();
    let mut settings: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr(3) on the pty master fills `settings`.
    assert_eq!(unsafe { libc::tcgetattr(master.as_raw_fd(), &mut settings) }, 0);
    settings.c_lflag
}

/// Reads the rest of the output, and returns it with the wait status.
fn finish(session: &mut expectrl::Session) -> (String, WaitStatus) {
    let rest = session.expect(expectrl::Eof).expect("the process ends");
    let output = String::from_utf8_lossy(rest.get(0).unwrap_or_default()).into_owned();
    (output, session.get_process().wait().unwrap())
}

/// Checks that sdtoken exited with `code` and left the terminal usable.
fn check_restored(session: &mut expectrl::Session, before: &str, code: i32) -> String {
    let (rest, status) = finish(session);
    let output = format!("{before}{rest}");
    assert!(matches!(status, WaitStatus::Exited(_, c) if c == code), "expected exit {code}, got {status:?}:\n{output}");
    let modes = local_modes(session);
    assert_ne!(modes & libc::ECHO, 0, "echo is still off:\n{output}");
    assert_ne!(modes & libc::ICANON, 0, "canonical mode is still off:\n{output}");
    assert_ne!(modes & libc::ISIG, 0, "signal characters are still off:\n{output}");
    assert!(!output.contains("panicked"), "{output}");
    let hidden = output.rfind("\u{1b}[?25l");
    let shown = output.rfind("\u{1b}[?25h");
    assert!(hidden.is_none() || shown > hidden, "the cursor is still hidden:\n{output:?}");
    output
}

fn check_nothing_stored(sandbox: &Sandbox, trap: &Trap) {
    assert!(!sandbox.path("config/sdtoken/config.toml").exists(), "a config was written");
    assert!(!sandbox.path("data/sdtoken/secrets.json").exists(), "a secret was stored");
    assert_eq!(trap.connections(), 0, "a request was sent");
}

#[test]
fn ctrl_c_at_login_prompt_exits_130() {
    let sandbox = Sandbox::new();
    let trap = Trap::new();
    let mut session = spawn(&sandbox, &[], &["login", "--api-url", &trap.url()]);
    let before = expect_text(&mut session, "API token");
    wait_for_echo_off(&session);
    session.send("partial-token\u{3}").unwrap();

    let output = check_restored(&mut session, &before, 130);
    assert!(!output.contains("partial-token"), "the typed text was echoed:\n{output}");
    check_nothing_stored(&sandbox, &trap);
}

#[test]
fn ctrl_c_at_confirmation_exits_130() {
    let trap = Trap::new();
    let url = trap.url();
    let jwt = user_jwt();
    for args in [&["delete", "5", "6"][..], &["refresh", "5"]] {
        let sandbox = Sandbox::new();
        let mut args = args.to_vec();
        args.extend(["--api-url", &url]);
        let mut session = spawn(&sandbox, &[("SD_TOKEN", jwt.as_str())], &args);
        let before = expect_text(&mut session, "[y/N]");
        session.send("\u{3}").unwrap();

        check_restored(&mut session, &before, 130);
        check_nothing_stored(&sandbox, &trap);
    }
}

#[test]
fn other_signals_at_login_prompt_restore_terminal() {
    let trap = Trap::new();
    for (signal, code) in [(expectrl::Signal::SIGTERM, 143), (expectrl::Signal::SIGQUIT, 131)] {
        let sandbox = Sandbox::new();
        let mut session = spawn(&sandbox, &[], &["login", "--api-url", &trap.url()]);
        let before = expect_text(&mut session, "API token");
        wait_for_echo_off(&session);
        session.get_process_mut().signal(signal).unwrap();

        check_restored(&mut session, &before, code);
        check_nothing_stored(&sandbox, &trap);
    }
}
