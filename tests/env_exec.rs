//! `sdtoken env` and `sdtoken exec` through the binary: assignments evaluated
//! by real shells, exit codes and signals of `exec`, where the variables reach,
//! `SD_TOKEN` outside a build, and the rule that an error leaves stdout empty.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::Engine;
use common::{Run, Sandbox, sdapi, unique_name};

/// Returns the directory of the sdtoken binary, for shells that run it through PATH.
fn bin_dir() -> PathBuf {
    assert_cmd::cargo::cargo_bin("sdtoken").parent().unwrap().to_path_buf()
}

/// Returns the sandbox's environment with the binary's directory first in PATH.
fn shell_env(sandbox: &Sandbox) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = sandbox.env.iter().filter(|(k, _)| k != "PATH").cloned().collect();
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    env.push(("PATH".to_string(), path));
    env
}

/// Builds a std `Command` for sdtoken with only the sandbox's environment, and
/// SIGINT and SIGQUIT at their defaults, as in an interactive terminal. A test
/// runner started as a background job of a script has them ignored, and sdtoken
/// passes an ignored signal on to its child as ignored.
fn sdtoken_process(sandbox: &Sandbox) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sdtoken"));
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    reset_interrupt_signals(&mut command);
    command
}

fn reset_interrupt_signals(command: &mut Command) {
    // SAFETY: signal(2) is async-signal-safe, as code between fork and exec must be.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
}

/// Mints a user JWT valid for `minutes` (negative: expired).
fn user_jwt(minutes: i64) -> String {
    let api = sdapi();
    api.mint(&["user", &api.user, "--minutes", &minutes.to_string()])
}

/// Returns one user API token for this test process, created through the API.
fn user_api_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let api = sdapi();
        api.create_user_token(&api.user_jwt, &unique_name("env-exec")).1
    })
}

/// Decodes the claims of a JWT without checking the signature.
fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Parses the NUL-separated output of `env -0`.
fn parse_env0(bytes: &[u8]) -> HashMap<String, String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Returns a loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Builds a sandbox whose only credential is `SD_TOKEN`, aimed at the local API.
fn sandbox_with_jwt(jwt: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_TOKEN", jwt).set("SD_API_URL", &sdapi().url);
    sandbox
}

/// Writes an executable `pwn` into `dir` that records each run in `dir/pwned`.
fn install_pwn(dir: &Path) {
    let script = dir.join("pwn");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$0 $*\" >> '{}/pwned'\n", dir.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// --- env: real shells --------------------------------------------------------

/// Lists the shells that evaluate `env` output, each with a script that runs
/// sdtoken as documented, evaluates its output in a shell that never had
/// `SD_TOKEN`, and prints the resulting environment with `env -0`.
fn shell_cases() -> Vec<(&'static str, Vec<&'static str>)> {
    let posix = "out=$(SD_TOKEN=\"$SOURCE_JWT\" sdtoken env --shell KIND --api-url \"$SOURCE_URL\") \
                 && unset SOURCE_JWT && eval \"$out\" && exec env -0";
    let fish = "set -l out (SD_TOKEN=$SOURCE_JWT sdtoken env --shell fish --api-url $SOURCE_URL | string collect); \
                and eval $out; and set -e SOURCE_JWT; and exec env -0";
    vec![
        ("sh", vec!["sh", "-c", posix]),
        ("bash", vec!["bash", "--norc", "--noprofile", "-c", posix]),
        ("zsh", vec!["zsh", "-f", "-c", posix]),
        ("fish", vec!["fish", "--no-config", "-c", fish]),
    ]
}

#[test]
fn env_output_round_trips_in_real_shells() {
    let jwt = user_jwt(60);
    // Everything in this prefix survives URL parsing unencoded, and each command
    // separator or substitution in it would run `pwn` if a shell evaluated it.
    let prefix = "/p'$(pwn);pwn|pwn&pwn(pwn)!%-~*[x]@=+,";
    let url = format!("{}{prefix}/", sdapi().url);
    let expected_url = format!("{}{prefix}/v4/", sdapi().url);

    for (kind, argv) in shell_cases() {
        let sandbox = Sandbox::new();
        let pwn_dir = sandbox.path("bin");
        std::fs::create_dir_all(&pwn_dir).unwrap();
        install_pwn(&pwn_dir);
        let mut env = shell_env(&sandbox);
        for (name, value) in env.iter_mut() {
            if name == "PATH" {
                *value = format!("{}:{value}", pwn_dir.display());
            }
        }
        let script = argv.last().unwrap().replace("KIND", kind);

        let output = Command::new(argv[0])
            .args(&argv[1..argv.len() - 1])
            .arg(&script)
            .env_clear()
            .envs(env)
            .env("SOURCE_JWT", &jwt)
            .env("SOURCE_URL", &url)
            .current_dir(sandbox.path(""))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}; install it with scripts/install-deps.sh", argv[0]));

        assert!(!pwn_dir.join("pwned").exists(), "{kind} ran a command from the URL");
        assert!(output.status.success(), "{kind}: {}", String::from_utf8_lossy(&output.stderr));
        let exported = parse_env0(&output.stdout);
        assert_eq!(exported.get("SD_TOKEN"), Some(&jwt), "{kind}: SD_TOKEN");
        assert_eq!(exported.get("SD_API_URL"), Some(&expected_url), "{kind}: SD_API_URL");
        assert!(!exported.contains_key("SOURCE_JWT"), "{kind}: the script did not run to the end");
    }
}

#[test]
fn env_shell_defaults_from_shell_variable() {
    let jwt = user_jwt(60);
    let url = format!("{}/v4/", sdapi().url);
    let posix = format!("export SD_API_URL='{url}'\nexport SD_TOKEN='{jwt}'\n");
    let fish = format!("set -gx SD_API_URL '{url}'\nset -gx SD_TOKEN '{jwt}'\n");
    let cases = [
        (Some("/usr/bin/fish"), fish.as_str()),
        (Some("/bin/bash"), posix.as_str()),
        (Some("/usr/bin/zsh"), posix.as_str()),
        (Some("/bin/tcsh"), posix.as_str()),
        (None, posix.as_str()),
    ];
    for (shell, expected) in cases {
        let mut sandbox = sandbox_with_jwt(&jwt);
        if let Some(shell) = shell {
            sandbox.set("SHELL", shell);
        }
        let run = sandbox.run(&["env"], "");
        run.success();
        assert_eq!(run.stdout, expected, "SHELL={shell:?}");
    }

    let mut sandbox = sandbox_with_jwt(&jwt);
    sandbox.set("SHELL", "/usr/bin/fish");
    let run = sandbox.run(&["env", "--shell", "bash"], "");
    assert_eq!(run.success().stdout, posix, "--shell wins over SHELL");
}

#[test]
fn env_formats_powershell_dotenv_and_json() {
    let jwt = user_jwt(60);
    let url = format!("{}/v4/", sdapi().url);
    let sandbox = sandbox_with_jwt(&jwt);

    let run = sandbox.run(&["env", "--shell", "powershell"], "");
    assert_eq!(run.success().stdout, format!("$env:SD_API_URL = '{url}'\n$env:SD_TOKEN = '{jwt}'\n"));

    let run = sandbox.run(&["env", "--shell", "dotenv"], "");
    assert_eq!(run.success().stdout, format!("SD_API_URL=\"{url}\"\nSD_TOKEN=\"{jwt}\"\n"));

    let run = sandbox.run(&["env", "--shell", "json"], "");
    let value: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
    assert_eq!(value, serde_json::json!({ "SD_API_URL": url, "SD_TOKEN": jwt }));
}

#[test]
fn env_normalises_api_url_to_v4_slash() {
    let jwt = user_jwt(60);
    let base = &sdapi().url;
    let forms = [base.clone(), format!("{base}/"), format!("{base}/v4"), format!("{base}/v4/")];
    for form in &forms {
        for via_env in [false, true] {
            let mut sandbox = sandbox_with_jwt(&jwt);
            let mut args = vec!["env", "--shell", "json"];
            if via_env {
                sandbox.set("SD_API_URL", form);
            } else {
                sandbox.unset("SD_API_URL");
                args.extend(["--api-url", form.as_str()]);
            }
            let run = sandbox.run(&args, "");
            let value: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
            assert_eq!(value["SD_API_URL"], format!("{base}/v4/"), "{form} (from SD_API_URL: {via_env})");
            assert_eq!(value["SD_TOKEN"], jwt.as_str(), "the JWT is exported unchanged");
        }
    }
}

#[test]
fn env_var_flag_renames_token_variable() {
    let jwt = user_jwt(60);
    let sandbox = sandbox_with_jwt(&jwt);

    let run = sandbox.run(&["env", "--shell", "sh", "--var", "MY_JWT"], "");
    let url = format!("{}/v4/", sdapi().url);
    assert_eq!(run.success().stdout, format!("export SD_API_URL='{url}'\nexport MY_JWT='{jwt}'\n"));

    for bad in ["1X", "MY-JWT", "A B", "X;rm", ""] {
        let run = sandbox.run(&["env", "--var", bad], "");
        run.expect_code(2);
        assert_eq!(run.stdout, "", "--var {bad:?}");
    }
}

#[test]
fn fish_documented_form_skips_eval_on_failure() {
    let sandbox = Sandbox::new();
    let script = "set -l out (sdtoken env --shell fish --api-url $SOURCE_URL | string collect); \
                  and eval $out; and echo evaluated; or echo skipped";
    let output = Command::new("fish")
        .args(["--no-config", "-c", script])
        .env_clear()
        .envs(shell_env(&sandbox))
        .env("SOURCE_URL", &sdapi().url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run fish: {e}; install it with scripts/install-deps.sh"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stdout, "skipped\n", "stderr: {stderr}");
    assert!(stderr.contains("sdtoken: error:"), "{stderr}");
}

#[test]
fn env_json_flag_means_shell_json() {
    let jwt = user_jwt(60);
    let sandbox = sandbox_with_jwt(&jwt);
    let url = format!("{}/v4/", sdapi().url);
    let expected = serde_json::json!({ "SD_API_URL": url, "SD_TOKEN": jwt });

    for args in [&["env", "--json"][..], &["--json", "env"], &["env", "--json", "--shell", "json"]] {
        let run = sandbox.run(args, "");
        let value: serde_json::Value = serde_json::from_str(&run.success().stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", run.stdout));
        assert_eq!(value, expected, "{args:?}");
    }

    let run = sandbox.run(&["env", "--json", "--shell", "bash"], "");
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("`--json` cannot be combined with `--shell bash`"), "{}", run.stderr);
}

#[test]
fn exec_rejects_json_flag() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let marker = sandbox.path("command-ran");
    let script = format!("touch '{}'", marker.display());
    for args in [&["--json", "exec", "--", "sh", "-c", &script][..], &["exec", "--json", "--", "sh", "-c", &script]] {
        let run = sandbox.run(args, "");
        run.expect_code(2);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("`exec` does not take `--json`"), "{}", run.stderr);
        assert!(!marker.exists(), "{args:?}: exec ran its command");
    }

    // After `--`, `--json` belongs to the command.
    let run = sandbox.run(&["exec", "--", "echo", "--json"], "");
    assert_eq!(run.success().stdout, "--json\n");
}

#[test]
fn var_flag_rejects_clobbering_names() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let marker = sandbox.path("command-ran");
    let script = format!("touch '{}'", marker.display());
    for name in [
        "SD_API_URL",
        "SD_API_TOKEN",
        "PATH",
        "path",
        "HOME",
        "IFS",
        "LD_PRELOAD",
        "DYLD_LIBRARY_PATH",
        "PS1",
        "BASH_ENV",
    ] {
        for args in
            [vec!["env", "--shell", "sh", "--var", name], vec!["exec", "--var", name, "--", "sh", "-c", &script]]
        {
            let run = sandbox.run(&args, "");
            run.expect_code(2);
            assert_eq!(run.stdout, "", "{args:?}");
            assert!(run.stderr.contains(&format!("invalid variable name `{name}` for `--var`")), "{}", run.stderr);
            assert!(
                run.stderr.contains("hint: choose a name of your own, such as `--var SD_USER_TOKEN`"),
                "{}",
                run.stderr
            );
        }
    }
    assert!(!marker.exists(), "exec ran its command with a rejected --var");
}

#[test]
fn var_sd_token_in_build_keeps_guard() {
    let pipeline = sdapi().pipeline_id.to_string();
    let build_jwt = sdapi().mint(&["build", "1", "--pipeline-id", &pipeline, "--job-id", "1", "--event-id", "1"]);
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_BUILD_ID", "1").set("SD_TOKEN", &build_jwt).set("SD_API_URL", &sdapi().url);
    sandbox.set("SD_API_TOKEN", user_api_token());
    let marker = sandbox.path("command-ran");
    let script = format!("touch '{}'", marker.display());

    for args in [vec!["env", "--var", "SD_TOKEN"], vec!["exec", "--var", "SD_TOKEN", "--", "sh", "-c", &script]] {
        let run = sandbox.run(&args, "");
        run.expect_code(2);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("--replace-build-token"), "{}", run.stderr);
    }
    assert!(!marker.exists(), "exec replaced the build's SD_TOKEN");
}

#[test]
fn env_warnings_go_to_stderr_only() {
    let jwt = user_jwt(2);
    let sandbox = sandbox_with_jwt(&jwt);

    let run = sandbox.run(&["env", "--shell", "bash"], "");

    run.success();
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    assert!(run.stderr.contains("within --min-ttl"), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(lines[0].starts_with("export SD_API_URL="), "{}", lines[0]);
    assert_eq!(lines[1], format!("export SD_TOKEN='{jwt}'"));
    assert!(!run.stderr.contains(&jwt), "the JWT leaked to stderr");
}

// --- exec: exit codes and signals ----------------------------------------------

#[test]
fn exec_exits_with_command_code() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    for code in [0, 3, 42] {
        let run = sandbox.run(&["exec", "--", "sh", "-c", &format!("exit {code}")], "");
        run.expect_code(code);
        assert_eq!(run.stderr, "", "exit {code}");
    }
}

#[test]
fn exec_missing_command_exits_127() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    for command in ["sdtoken-test-no-such-command", "./no-such-file"] {
        let run = sandbox.run(&["exec", "--", command], "");
        run.expect_code(127);
        assert!(run.stderr.contains("command not found"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn exec_unrunnable_command_exits_126() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let script = sandbox.path("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let directory = sandbox.path("a-directory");
    std::fs::create_dir(&directory).unwrap();

    for path in [&script, &directory] {
        let run = sandbox.run(&["exec", "--", path.to_str().unwrap()], "");
        run.expect_code(126);
        assert_eq!(run.stdout, "", "{}", path.display());
    }
}

#[test]
fn exec_signal_death_exits_128_plus_n() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    for (signal, code) in [("TERM", 143), ("KILL", 137), ("HUP", 129)] {
        let run = sandbox.run(&["exec", "--", "sh", "-c", &format!("kill -{signal} $$")], "");
        run.expect_code(code);
    }
}

/// Starts `exec` with a child that traps `signal`, waits until the trap is set,
/// sends `signal` to sdtoken (not to the child) and returns the outcome.
fn signal_sdtoken(signal: libc::c_int, trap: &str) -> Run {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let script = format!("trap 'echo got {trap}; exit 7' {trap}; echo ready; while :; do sleep 0.1; done");
    let mut child = sdtoken_process(&sandbox)
        .args(["exec", "--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "ready\n");

    // SAFETY: kill(2) with the pid of a process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);

    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    Run { code: status.code().unwrap_or(-1), stdout: first + &rest, stderr }
}

#[test]
fn exec_forwards_sigterm_to_child() {
    let run = signal_sdtoken(libc::SIGTERM, "TERM");
    run.expect_code(7);
    assert_eq!(run.stdout, "ready\ngot TERM\n");
}

#[test]
fn exec_forwards_sigint_to_child() {
    let run = signal_sdtoken(libc::SIGINT, "INT");
    run.expect_code(7);
    assert_eq!(run.stdout, "ready\ngot INT\n");
}

/// Ctrl-C on a terminal reaches every process of the foreground group, the
/// child included, so sdtoken must not send it a second SIGINT. The child counts
/// its SIGINTs. A SIGTERM sent afterwards to sdtoken is forwarded after any SIGINT
/// that sdtoken forwarded, so the count that the child reports then is final.
#[test]
fn exec_terminal_interrupt_reaches_child_once() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let script = "n=0; trap 'n=$((n+1)); echo interrupt $n' INT; \
                  trap 'echo terminated after $n; exit 9' TERM; \
                  echo ready; while :; do sleep 0.1; done";
    let mut command = sdtoken_process(&sandbox);
    command.args(["exec", "--", "sh", "-c", script]);
    let mut session = expectrl::Session::spawn(command).unwrap();
    session.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    let pid = session.get_process().pid().as_raw();

    session.expect("ready").unwrap();
    session.send([3u8]).unwrap();
    session.expect("interrupt 1").unwrap();
    // SAFETY: kill(2) with the pid of a process this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let captures = session.expect(expectrl::Regex("terminated after ([0-9]+)")).unwrap();
    let before = String::from_utf8_lossy(captures.before()).into_owned();
    let count = String::from_utf8_lossy(captures.get(1).unwrap()).into_owned();

    let mut status = 0;
    // SAFETY: waitpid(2) on the pid of our own child, with a valid status pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(count, "1", "the child got a second SIGINT; output before: {before:?}");
    assert!(!before.contains("interrupt 2"), "{before:?}");
    assert!(libc::WIFEXITED(status), "wait status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), 9);
}

#[test]
fn exec_keeps_ignored_signals_ignored() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let ignored_mask = |ignore_int: bool| -> u64 {
        let mut command = sdtoken_process(&sandbox);
        if ignore_int {
            // SAFETY: signal(2) is async-signal-safe, as code between fork and exec must be.
            unsafe {
                command.pre_exec(|| {
                    libc::signal(libc::SIGINT, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        let output = command.args(["exec", "--", "grep", "^SigIgn:", "/proc/self/status"]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let line = String::from_utf8(output.stdout).unwrap();
        u64::from_str_radix(line.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap()
    };
    let sigint_bit = 1 << (libc::SIGINT - 1);

    assert_eq!(ignored_mask(true) & sigint_bit, sigint_bit, "SIGINT ignored by the caller stays ignored");
    assert_eq!(ignored_mask(false) & sigint_bit, 0, "SIGINT at its default stays at its default");
}

// --- exec: environment and argv ------------------------------------------------

#[test]
fn exec_variables_reach_only_the_command() {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_API_TOKEN", user_api_token());
    let url = sdapi().url.clone();
    let script = format!("sdtoken --api-url {url} exec -- env -0; printf '\\n--\\n'; env -0");

    let output = Command::new("sh").args(["-c", &script]).env_clear().envs(shell_env(&sandbox)).output().unwrap();

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = output.stdout;
    let split = text.windows(4).position(|w| w == b"\n--\n").expect("both parts");
    let child = parse_env0(&text[..split]);
    let after = parse_env0(&text[split + 4..]);
    assert_eq!(child.get("SD_API_URL"), Some(&format!("{url}/v4/")));
    let jwt = child.get("SD_TOKEN").expect("the command gets SD_TOKEN");
    assert_eq!(claims(jwt)["scope"], serde_json::json!(["user"]));
    assert!(!after.contains_key("SD_TOKEN"), "SD_TOKEN leaked into the calling shell");
    assert!(!after.contains_key("SD_API_URL"), "SD_API_URL leaked into the calling shell");
    assert_eq!(after.get("SD_API_TOKEN").map(String::as_str), Some(user_api_token()));
}

#[test]
fn exec_passes_stdin_and_stdout_through() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    let run = sandbox.run(&["exec", "--", "cat"], "line one\nline two\n");
    run.success();
    assert_eq!(run.stdout, "line one\nline two\n");
}

#[test]
fn exec_keeps_secrets_off_argv() {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_API_TOKEN", user_api_token()).set("SD_API_URL", &sdapi().url);
    let script =
        "printf '%s\\n' \"$SD_TOKEN\"; tr '\\0' ' ' < /proc/$$/cmdline; echo; tr '\\0' ' ' < /proc/$PPID/cmdline";

    let run = sandbox.run(&["exec", "--", "sh", "-c", script], "");

    run.success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    let (jwt, child_argv, sdtoken_argv) = (lines[0], lines[1], lines[2]);
    assert_eq!(claims(jwt)["scope"], serde_json::json!(["user"]));
    assert!(child_argv.starts_with("sh -c "), "{child_argv}");
    assert!(sdtoken_argv.contains("exec -- sh -c"), "{sdtoken_argv}");
    for argv in [child_argv, sdtoken_argv] {
        assert!(!argv.contains(jwt), "the JWT is on argv: {argv}");
        assert!(!argv.contains(user_api_token()), "the API token is on argv: {argv}");
    }
}

// --- SD_TOKEN outside a build --------------------------------------------------

#[test]
fn stale_sd_token_is_skipped_for_stored_token() {
    let mut sandbox = Sandbox::new();
    sandbox.login(user_api_token()).success();

    for (minutes, state) in [(-10, "has expired"), (2, "within --min-ttl")] {
        let stale = user_jwt(minutes);
        sandbox.set("SD_TOKEN", &stale);

        let run = sandbox.run(&["exchange"], "");

        run.success();
        assert!(run.stderr.contains("skipping `SD_TOKEN`"), "{}", run.stderr);
        assert!(run.stderr.contains(state), "{}", run.stderr);
        let jwt = run.stdout.trim_end();
        assert_ne!(jwt, stale);
        assert_eq!(claims(jwt)["scope"], serde_json::json!(["user"]));

        let run = sandbox.run(&["status", "--json"], "");
        let report: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
        assert_eq!(report["source"], "stored");
        assert_eq!(report["shadowed"], serde_json::json!(["SD_TOKEN"]));
    }
}

#[test]
fn fresh_sd_token_wins_over_stored_token() {
    let mut sandbox = Sandbox::new();
    sandbox.login(user_api_token()).success();
    let jwt = user_jwt(60);
    sandbox.set("SD_TOKEN", &jwt);

    let run = sandbox.run(&["exchange"], "");

    assert_eq!(run.success().stdout, format!("{jwt}\n"));
    assert!(!run.stderr.contains("skipping"), "{}", run.stderr);
}

#[test]
fn expired_sd_token_without_stored_token_exits_4() {
    let stale = user_jwt(-10);
    let sandbox = sandbox_with_jwt(&stale);
    for args in [&["exchange"][..], &["env"], &["exec", "--", "true"]] {
        let run = sandbox.run(args, "");
        run.expect_code(4);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("expired"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(&stale), "{args:?}: the JWT leaked");
    }
}

#[test]
fn malformed_sd_token_exits_4_without_echo() {
    let canary = "c4n4ry7q";
    let fake_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"{canary}\":1}}"));
    let values = [
        format!("not-a-jwt-{canary}"),
        format!("aaaa.{canary}!!.bbbb"),
        format!("eyJhbGciOiJSUzI1NiJ9.{fake_payload}.{canary}"),
        format!("{canary}.{canary}"),
    ];
    let commands: [&[&str]; 6] =
        [&["env"], &["exec", "--", "true"], &["exchange"], &["status"], &["list"], &["-vvv", "exchange"]];
    for value in &values {
        let sandbox = sandbox_with_jwt(value);
        for args in commands {
            let run = sandbox.run(args, "");
            run.expect_code(4);
            assert_eq!(run.stdout, "", "{args:?} with {value}");
            assert!(run.stderr.contains("`SD_TOKEN` is not a valid JWT"), "{args:?}: {}", run.stderr);
            assert!(!run.stderr.contains(canary), "{args:?} echoed the value: {}", run.stderr);
        }
    }
}

// --- the stdout contract -------------------------------------------------------

/// Each error path below leaves the stdout of `env`, `exec`, `exchange` and
/// `status` empty, with the documented exit code, and `exec` does not start its command.
#[test]
fn errors_leave_stdout_empty() {
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let rejected = "bogusbogusbogusbogusbogusbogusbogusbogus123";
    // (description, variables, extra global args, expected code)
    type Setup<'a> = (&'a str, Vec<(&'a str, String)>, Vec<String>, i32);
    let setups: Vec<Setup> = vec![
        ("no credential", vec![], vec!["--api-url".into(), sdapi().url.clone()], 4),
        (
            "rejected API token",
            vec![("SD_API_TOKEN", rejected.to_string())],
            vec!["--api-url".into(), sdapi().url.clone()],
            4,
        ),
        (
            "unreachable server",
            vec![("SD_API_TOKEN", rejected.to_string())],
            vec!["--api-url".into(), closed.clone(), "--timeout".into(), "5".into()],
            8,
        ),
        (
            "JWT given as API token",
            vec![("SD_API_TOKEN", user_jwt(60))],
            vec!["--api-url".into(), sdapi().url.clone()],
            4,
        ),
        ("invalid API URL", vec![("SD_TOKEN", user_jwt(60))], vec!["--api-url".into(), "ftp://127.0.0.1".into()], 2),
    ];
    for (description, vars, global, code) in &setups {
        let mut sandbox = Sandbox::new();
        for (name, value) in vars {
            sandbox.set(name, value);
        }
        let marker = sandbox.path("command-ran");
        let exec_script = format!("echo ran; touch '{}'", marker.display());
        let commands: Vec<Vec<&str>> = vec![
            vec!["env"],
            vec!["env", "--shell", "json"],
            vec!["exec", "--", "sh", "-c", &exec_script],
            vec!["exchange"],
            vec!["exchange", "--json"],
            vec!["status"],
        ];
        for command in commands {
            let args: Vec<&str> = global.iter().map(String::as_str).chain(command.iter().copied()).collect();
            let run = sandbox.run(&args, "");
            assert_eq!(run.code, *code, "{description}: {args:?}\nstderr: {}", run.stderr);
            assert_eq!(run.stdout, "", "{description}: {args:?} wrote to stdout");
            assert!(run.stderr.contains("sdtoken: error:"), "{description}: {args:?}: {}", run.stderr);
            assert!(!marker.exists(), "{description}: exec ran its command after an error");
        }
    }
}

#[test]
fn env_usage_errors_leave_stdout_empty() {
    let sandbox = sandbox_with_jwt(&user_jwt(60));
    for args in [
        &["env", "--shell", "tcsh"][..],
        &["env", "--var", "9LIVES"],
        &["exec"],
        &["exec", "--var", "A-B", "--", "true"],
    ] {
        let run = sandbox.run(args, "");
        run.expect_code(2);
        assert_eq!(run.stdout, "", "{args:?}");
    }
}
