//! The command line as users see it. Snapshots cover `--help` of every command
//! and the main error cases. Other tests cover the one error format, the reference
//! pages, completions, `--json` documents, and tables and colour on a terminal.
//! The confirmation prompt and the hidden token prompt are driven through a pty.
//!
//! Snapshots live in `tests/snapshots/*.txt`; rewrite them with
//! `SDTOKEN_UPDATE_SNAPSHOTS=1 cargo test --test cli`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Run, Sandbox, expect_text, sdapi, unique_name};
use serde_json::{Value, json};

/// Nothing listens here; commands that fail before any request may name it.
const NO_SERVER: &str = "http://127.0.0.1:9";

/// Runs sdtoken in `sandbox` with extra variables for this run only.
fn run_with(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = sandbox.cmd();
    for (name, value) in vars {
        command.env(name, value);
    }
    Run::from(command.args(args).output().unwrap())
}

// ---------------------------------------------------------------------------
// Snapshots

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("snapshots")
}

/// Formats a run for a snapshot: the command, exit code, stdout and stderr.
fn snapshot_text(args: &[&str], run: &Run) -> String {
    let quoted: Vec<String> =
        args.iter().map(|a| if a.is_empty() || a.contains(' ') { format!("'{a}'") } else { a.to_string() }).collect();
    format!("$ sdtoken {}\nexit: {}\n--- stdout\n{}--- stderr\n{}", quoted.join(" "), run.code, run.stdout, run.stderr)
}

/// Compares `text` with `tests/snapshots/NAME.txt` (or rewrites it with
/// `SDTOKEN_UPDATE_SNAPSHOTS=1`); returns a description of the difference.
fn check_snapshot(name: &str, text: &str) -> Option<String> {
    let path = snapshot_dir().join(format!("{name}.txt"));
    if std::env::var_os("SDTOKEN_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&path, text).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    (expected != text).then(|| format!("{}:\n--- expected\n{expected}--- actual\n{text}", path.display()))
}

#[track_caller]
fn assert_snapshots(mismatches: Vec<String>) {
    assert!(
        mismatches.is_empty(),
        "{} snapshot(s) differ; if the change is intended, rerun with SDTOKEN_UPDATE_SNAPSHOTS=1\n\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Reads the subcommand names listed under `Commands:` in a help text.
fn listed_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Finds every command path (`[]`, `["login"]`, …, `["context", "use"]`) by walking `--help`.
fn command_paths(sandbox: &Sandbox) -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    let mut index = 0;
    while index < paths.len() {
        let path = paths[index].clone();
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        for name in listed_commands(&sandbox.run(&args, "").stdout) {
            let mut child = path.clone();
            child.push(name);
            paths.push(child);
        }
        index += 1;
    }
    paths
}

#[test]
fn help_of_every_command_matches_snapshot() {
    let sandbox = Sandbox::new();
    let paths = command_paths(&sandbox);
    assert!(paths.len() >= 18, "commands found: {paths:?}");
    let mut mismatches = Vec::new();
    let mut names = Vec::new();
    for path in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let run = sandbox.run(&args, "");
        let name = if path.is_empty() { "help-sdtoken".to_string() } else { format!("help-{}", path.join("-")) };
        mismatches.extend(check_snapshot(&name, &snapshot_text(&args, &run)));
        names.push(format!("{name}.txt"));
    }
    // A snapshot of a command that no longer exists is stale.
    for entry in std::fs::read_dir(snapshot_dir()).unwrap().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with("help-") && !file.starts_with("help-topic-") && !names.contains(&file) {
            mismatches.push(format!("{file}: no such command any more; delete the file"));
        }
    }
    assert_snapshots(mismatches);
}

#[test]
fn help_of_every_command_has_examples() {
    let sandbox = Sandbox::new();
    for path in command_paths(&sandbox) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let run = sandbox.run(&args, "");
        run.success();
        let examples = run.stdout.split("\nExamples:\n").nth(1).unwrap_or_else(|| panic!("{args:?}: no Examples"));
        assert!(examples.contains("  $ sdtoken "), "{args:?}: no `$ sdtoken` example line");
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[test]
fn help_subcommand_matches_help_flag() {
    let sandbox = Sandbox::new();
    for path in [&["create"][..], &["context", "use"]] {
        let mut topic = vec!["help"];
        topic.extend_from_slice(path);
        let mut flag = path.to_vec();
        flag.push("--help");
        let by_topic = sandbox.run(&topic, "");
        by_topic.success();
        assert_eq!(by_topic.stdout, sandbox.run(&flag, "").stdout, "{path:?}");
    }
}

#[test]
fn reference_pages_match_snapshot() {
    let sandbox = Sandbox::new();
    let mut mismatches = Vec::new();
    for (name, args) in [
        ("help-topic-environment", &["help", "environment"][..]),
        ("help-topic-exit-codes", &["help", "exit-codes"]),
        ("error-help-unknown-topic", &["help", "nope"]),
    ] {
        mismatches.extend(check_snapshot(name, &snapshot_text(args, &sandbox.run(args, ""))));
    }
    assert_snapshots(mismatches);
}

/// Builds a JWT with a far-future `exp` and a dummy signature, for commands that fail before any request.
fn offline_jwt() -> String {
    let encode = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        encode(json!({"alg": "RS256", "typ": "JWT"})),
        encode(json!({"username": "offline-user", "scope": ["user"], "exp": 4_102_444_800_i64}))
    )
}

#[test]
fn error_cases_match_snapshot() {
    let sandbox = Sandbox::new();
    let jwt = offline_jwt();
    let long_name = "n".repeat(129);
    let with_jwt: &[(&str, &str)] = &[("SD_TOKEN", &jwt), ("SD_API_URL", NO_SERVER)];
    let cases: Vec<(&str, Vars, Vec<&str>)> = vec![
        ("error-not-logged-in-status", &[], vec!["status", "--api-url", NO_SERVER]),
        ("error-not-logged-in-list", &[], vec!["list", "--api-url", NO_SERVER]),
        ("error-not-logged-in-context", &[], vec!["exchange", "--context", "work", "--api-url", NO_SERVER]),
        ("error-bad-name-empty", with_jwt, vec!["create", ""]),
        ("error-bad-name-long", with_jwt, vec!["create", &long_name]),
        ("error-bad-context-name", &[], vec!["status", "--context", "a/b"]),
        ("error-bad-url-scheme", &[], vec!["list", "--api-url", "ftp://sd.example.com"]),
        ("error-bad-url-plain-http", &[], vec!["list", "--api-url", "http://sd.example.com"]),
        ("error-bad-pipeline-id", &[], vec!["list", "--pipeline", "0"]),
        ("error-missing-yes-refresh", with_jwt, vec!["refresh", "17"]),
        ("error-missing-yes-delete", with_jwt, vec!["delete", "17", "18"]),
        ("error-no-input-refresh", with_jwt, vec!["refresh", "17", "--no-input"]),
        ("error-login-without-terminal", &[], vec!["login", "--api-url", NO_SERVER]),
        ("error-unknown-context-use", &[], vec!["context", "use", "nope"]),
        ("error-unknown-context-remove", &[], vec!["context", "remove", "nope"]),
        ("error-unknown-command", &[], vec!["lst"]),
        ("error-missing-argument", &[], vec!["create"]),
        ("error-malformed-sd-token", &[("SD_TOKEN", "not-a-jwt"), ("SD_API_URL", NO_SERVER)], vec!["exchange"]),
        ("error-update-nothing", with_jwt, vec!["update", "17"]),
        ("error-login-token-argument", &[], vec!["login", "--with-token", "jCxPh_r_8IxcCanaryCanaryCanary"]),
        ("error-login-token-flag", &[], vec!["login", "--token", "jCxPh_r_8IxcCanaryCanaryCanary"]),
        ("error-delete-all-without-pipeline", with_jwt, vec!["delete", "--all", "--yes"]),
        ("error-store-from-environment", &[("SDTOKEN_STORE", "plain")], vec!["login", "--api-url", NO_SERVER]),
    ];
    let mut mismatches = Vec::new();
    for (name, vars, args) in &cases {
        let run = run_with(&sandbox, vars, args);
        assert_eq!(run.stdout, "", "{name}: stdout must be empty on error");
        assert_error_format(&run.stderr);
        mismatches.extend(check_snapshot(name, &snapshot_text(args, &run)));
    }

    // A context stored for one server, used with another.
    let other = Sandbox::new();
    let config = other.path("config/sdtoken/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!("current-context = \"default\"\n\n[contexts.default]\napi-url = \"{NO_SERVER}\"\n"),
    )
    .unwrap();
    let args = ["list", "--api-url", "http://127.0.0.1:10"];
    let run = other.run(&args, "");
    assert_error_format(&run.stderr);
    mismatches.extend(check_snapshot("error-other-server-than-context", &snapshot_text(&args, &run)));
    assert_snapshots(mismatches);
}

/// Extra environment variables for one run.
type Vars<'a> = &'a [(&'a str, &'a str)];

/// Asserts the one error format: `sdtoken: error: …`, indented continuation or
/// `  caused by: …` lines, then `hint: …` lines, and nothing after the hints.
#[track_caller]
fn assert_error_format(stderr: &str) {
    let mut lines = stderr.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("sdtoken: error: ")), "first line:\n{stderr}");
    let mut in_hints = false;
    for line in lines {
        if line.starts_with("hint: ") {
            in_hints = true;
        } else {
            assert!(!in_hints, "a line after the hints: `{line}` in:\n{stderr}");
            assert!(line.starts_with("  "), "an unindented line `{line}` in:\n{stderr}");
        }
    }
    assert!(stderr.ends_with('\n'), "{stderr}");
}

// ---------------------------------------------------------------------------
// Arguments that may be secrets

/// A value that looks like an API token; no part of it may be printed back.
const CANARY: &str = "jCxPh_r_8IxcCanaryQ2PlBn3TZqYvW0sEk4uHdRmLa7";

#[test]
fn secret_arguments_are_never_echoed() {
    let sandbox = Sandbox::new();
    let with_token_equals = format!("--with-token={CANARY}");
    let token_equals = format!("--token={CANARY}");
    let pipeline_equals = format!("--pipeline={CANARY}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["login", CANARY],
        vec!["login", "--with-token", CANARY],
        vec!["login", &with_token_equals],
        vec!["login", "--token", CANARY],
        vec!["login", &token_equals],
        vec!["exchange", CANARY],
        vec!["create", "ci-bot", CANARY],
        vec!["list", CANARY],
        vec!["list", &pipeline_equals],
        vec![CANARY],
        vec!["context", "list", CANARY],
        vec!["help", CANARY],
        vec!["help", "create", CANARY],
    ];
    for args in &cases {
        let run = run_with(&sandbox, &[("SD_API_URL", NO_SERVER)], args);
        run.expect_code(2);
        assert_error_format(&run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.contains(&CANARY[..8]), "{args:?} echoed the value:\n{}", run.stderr);
        assert!(!run.stderr.contains(&CANARY[CANARY.len() - 8..]), "{args:?} echoed the value:\n{}", run.stderr);
    }
}

#[test]
fn unexpected_argument_gives_position_and_length() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["exchange", CANARY], "");
    run.expect_code(2);
    let expected = format!(
        "sdtoken: error: unexpected argument at position 2 ({} characters, not shown because it may be a secret)\n",
        CANARY.len()
    );
    assert!(run.stderr.starts_with(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("hint: usage: `sdtoken exchange [OPTIONS]`"), "{}", run.stderr);
}

#[test]
fn login_token_argument_hints_stdin_or_prompt() {
    let sandbox = Sandbox::new();
    let hint = "hint: login does not take the token as an argument: pipe it to `sdtoken login --with-token`, \
                or run `sdtoken login` on a terminal for a hidden prompt";
    for args in [&["login", CANARY][..], &["login", "--with-token", CANARY], &["login", "--token", CANARY]] {
        let run = sandbox.run(args, "");
        run.expect_code(2);
        assert!(run.stderr.contains(hint), "{args:?}:\n{}", run.stderr);
        assert!(!run.stderr.contains("--store"), "{args:?} points to --store:\n{}", run.stderr);
    }
}

#[test]
fn delete_all_without_pipeline_asks_for_pipeline() {
    let sandbox = Sandbox::new();
    let vars = [("SD_TOKEN", offline_jwt()), ("SD_API_URL", NO_SERVER.to_string())];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = run_with(&sandbox, &vars, &["delete", "--all", "--yes"]);
    run.expect_code(2);
    assert_error_format(&run.stderr);
    assert!(run.stderr.starts_with("sdtoken: error: `--all` needs `--pipeline ID`"), "{}", run.stderr);
    assert!(!run.stderr.contains("TOKENS"), "{}", run.stderr);
}

#[test]
fn invalid_store_from_environment_names_variable() {
    let sandbox = Sandbox::new();
    let run = run_with(&sandbox, &[("SDTOKEN_STORE", "plain")], &["login", "--api-url", NO_SERVER]);
    run.expect_code(2);
    assert_error_format(&run.stderr);
    assert!(run.stderr.starts_with("sdtoken: error: invalid value 'plain' in `SDTOKEN_STORE`"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: set `SDTOKEN_STORE` to a valid value, or unset it"), "{}", run.stderr);

    // The same value on the command line names the option.
    let run = sandbox.run(&["login", "--store", "plain", "--api-url", NO_SERVER], "");
    run.expect_code(2);
    assert!(run.stderr.contains("for '--store <STORE>'"), "{}", run.stderr);
    assert!(!run.stderr.contains("SDTOKEN_STORE"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// Help text that matches the behaviour

#[test]
fn verbose_flag_logs_requests_as_documented() {
    let sandbox = Sandbox::new();
    let help = sandbox.run(&["--help"], "");
    assert!(help.stdout.contains("-v requests, -vv details, -vvv headers (secrets redacted)"), "{}", help.stdout);

    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    let quiet = run_with(&sandbox, &vars, &["list"]);
    quiet.success();
    assert!(!quiet.stderr.contains("GET /v4/tokens"), "a request line without -v:\n{}", quiet.stderr);
    let verbose = run_with(&sandbox, &vars, &["-v", "list"]);
    verbose.success();
    assert!(verbose.stderr.contains("GET /v4/tokens -> 200 in "), "no request line at -v:\n{}", verbose.stderr);
    assert!(!verbose.stderr.contains(&sdapi().user_jwt), "the JWT was logged");
}

#[test]
fn help_examples_keep_secrets_off_argv() {
    let sandbox = Sandbox::new();
    for command in ["exchange", "exec"] {
        let help = sandbox.run(&[command, "--help"], "");
        help.success();
        assert!(!help.stdout.contains("Bearer $"), "{command}: a JWT on curl's argv:\n{}", help.stdout);
        assert!(help.stdout.contains("curl -H @-"), "{command}: {}", help.stdout);
    }
    let env = sandbox.run(&["env", "--help"], "");
    assert!(!env.stdout.contains("| source"), "a fish example that hides failures:\n{}", env.stdout);
    assert!(
        env.stdout.contains("set -l out (sdtoken env --shell fish | string collect); and eval $out"),
        "{}",
        env.stdout
    );
}

#[test]
fn reference_pages_state_the_rules() {
    let sandbox = Sandbox::new();
    let environment = sandbox.run(&["help", "environment"], "").stdout;
    assert!(environment.contains("expires within --min-ttl"), "{environment}");
    assert!(environment.contains("$XDG_CACHE_HOME/sdtoken/locks"), "{environment}");
    let exit_codes = sandbox.run(&["help", "exit-codes"], "").stdout;
    assert!(exit_codes.contains("a confirmation answered no"), "{exit_codes}");
}

#[test]
fn login_report_names_store_and_durability() {
    let sandbox = Sandbox::new();
    let (_, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-wording"));
    let file = sandbox.login(&value);
    file.success();
    assert!(file.stderr.contains(", which is plaintext with mode 0600:"), "{}", file.stderr);

    let context = unique_name("cli-keyutils");
    let args = ["login", "--with-token", "--store", "keyutils", "--context", &context, "--api-url", &sdapi().url];
    let keyutils = sandbox.run(&args, &value);
    keyutils.success();
    assert!(!keyutils.stderr.contains(") ("), "two brackets in a row:\n{}", keyutils.stderr);
    assert!(
        keyutils.stderr.contains("stored in the kernel keyring (keyutils), which is volatile: it is gone at reboot."),
        "{}",
        keyutils.stderr
    );
    sandbox.run(&["logout", "--context", &context], "").success();
}

// ---------------------------------------------------------------------------
// Server errors: 401, 403, 404

#[test]
fn error_401_hints_login_or_env_token() {
    let sandbox = Sandbox::new();
    let vars = [("SD_API_TOKEN", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"), ("SD_API_URL", sdapi().url.as_str())];
    let run = run_with(&sandbox, &vars, &["list"]);
    run.expect_code(4);
    assert_error_format(&run.stderr);
    assert!(run.stderr.contains("rejected the API token in `SD_API_TOKEN`"), "{}", run.stderr);
    assert!(run.stderr.contains("\n  caused by: GET /v4/auth/token returned 401 Unauthorized"), "{}", run.stderr);
    assert!(run.stderr.contains("\nhint: the token in `SD_API_TOKEN`"), "{}", run.stderr);

    // A JWT whose payload was altered after signing: the server rejects its signature.
    let parts: Vec<&str> = sdapi().user_jwt.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["username"] = json!("mallory");
    let altered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2]);
    let run = run_with(&sandbox, &[("SD_TOKEN", &altered), ("SD_API_URL", &sdapi().url)], &["list"]);
    run.expect_code(4);
    assert_error_format(&run.stderr);
    assert!(run.stderr.contains("hint: log in again with `sdtoken login`, or check `SD_API_TOKEN`"), "{}", run.stderr);
}

#[test]
fn error_403_names_the_scope() {
    let sandbox = Sandbox::new();
    let build = sdapi().mint(&[
        "build",
        "1",
        "--pipeline-id",
        &sdapi().pipeline_id.to_string(),
        "--job-id",
        "1",
        "--event-id",
        "1",
    ]);
    let run = run_with(&sandbox, &[("SD_TOKEN", &build), ("SD_API_URL", &sdapi().url)], &["list"]);
    run.expect_code(5);
    assert_error_format(&run.stderr);
    assert!(run.stderr.starts_with("sdtoken: error: build tokens cannot manage tokens"), "{}", run.stderr);
    assert!(run.stderr.contains("a build token (scope build)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("\n  caused by: GET /v4/tokens returned 403 Forbidden: Insufficient scope"),
        "{}",
        run.stderr
    );

    let pipeline = sdapi().pipeline_id.to_string();
    let readonly = [("SD_TOKEN", sdapi().readonly_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    let run = run_with(&sandbox, &readonly, &["list", "--pipeline", &pipeline]);
    run.expect_code(5);
    assert_error_format(&run.stderr);
    assert!(run.stderr.contains("hint: pipeline tokens need admin rights"), "{}", run.stderr);
}

#[test]
fn error_404_pipeline_hints_the_id() {
    let sandbox = Sandbox::new();
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    let run = run_with(&sandbox, &vars, &["list", "--pipeline", "987654321"]);
    run.expect_code(6);
    assert_error_format(&run.stderr);
    assert!(run.stderr.contains("Pipeline does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: check the pipeline id"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// Completions

#[test]
fn completions_command_prints_committed_scripts() {
    let sandbox = Sandbox::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "sdtoken.bash"),
        ("zsh", "_sdtoken"),
        ("fish", "sdtoken.fish"),
        ("powershell", "_sdtoken.ps1"),
        ("elvish", "sdtoken.elv"),
    ] {
        let run = sandbox.run(&["completions", shell], "");
        run.success();
        let committed = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(run.stdout == committed, "completions/{file} differs from `sdtoken completions {shell}`");
    }
    assert!(dir.join("man").join("sdtoken.1").is_file());
}

// ---------------------------------------------------------------------------
// JSON documents

/// Lists the keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> =
        value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().cloned().collect();
    keys.sort_unstable();
    keys
}

fn json_of(run: &Run) -> Value {
    run.success();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", run.stdout))
}

const TOKEN_KEYS: [&str; 6] = ["description", "id", "last_used", "last_used_epoch", "name", "pipeline_id"];

#[test]
fn json_outputs_have_documented_keys() {
    let sandbox = Sandbox::new();
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    let name = unique_name("cli-json");
    let with_value: Vec<&str> = TOKEN_KEYS.iter().copied().chain(["value"]).collect::<Vec<_>>();
    let mut with_value_sorted = with_value.clone();
    with_value_sorted.sort_unstable();

    let created = json_of(&run_with(&sandbox, &vars, &["create", &name, "--description", "json check", "--json"]));
    assert_eq!(keys(&created), with_value_sorted);
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["last_used"], Value::Null);
    let id = created["id"].as_u64().unwrap().to_string();

    let updated = json_of(&run_with(&sandbox, &vars, &["update", &id, "--description", "changed", "--json"]));
    assert_eq!(keys(&updated), TOKEN_KEYS);
    assert_eq!(updated["description"], "changed");

    let listed = json_of(&run_with(&sandbox, &vars, &["list", "--json"]));
    let mine = listed.as_array().unwrap().iter().find(|t| t["name"] == name.as_str()).expect("listed");
    assert_eq!(keys(mine), TOKEN_KEYS);

    let refreshed = json_of(&run_with(&sandbox, &vars, &["refresh", &id, "--yes", "--json"]));
    assert_eq!(keys(&refreshed), with_value_sorted);
    assert_ne!(refreshed["value"], created["value"]);

    let exchange_vars = [("SD_API_TOKEN", refreshed["value"].as_str().unwrap()), ("SD_API_URL", sdapi().url.as_str())];
    let exchanged = json_of(&run_with(&sandbox, &exchange_vars, &["exchange", "--json"]));
    assert_eq!(keys(&exchanged), ["cached", "expires_at", "expires_at_epoch", "expires_in", "scope", "token"]);
    assert!(exchanged["expires_at"].as_str().unwrap().ends_with('Z'));

    let deleted = json_of(&run_with(&sandbox, &vars, &["delete", &id, "--yes", "--json"]));
    assert_eq!(keys(&deleted), ["deleted", "failed"]);
    // Deleting by id makes no list request, so the name is not known.
    assert_eq!(deleted["deleted"], json!([{ "id": created["id"], "name": null }]));
    assert_eq!(deleted["failed"], json!([]));
}

// ---------------------------------------------------------------------------
// Terminal output: tables, colour, UTC times

#[test]
fn list_without_terminal_prints_tab_separated_utc_rows() {
    let sandbox = Sandbox::new();
    let name = unique_name("cli-rows");
    let (_, value) = sdapi().create_user_token(&sdapi().user_jwt, &name);
    // An exchange sets `lastUsed`.
    run_with(&sandbox, &[("SD_API_TOKEN", &value), ("SD_API_URL", &sdapi().url)], &["exchange"]).success();

    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str()), ("TZ", "Asia/Tokyo")];
    let run = run_with(&sandbox, &vars, &["list"]);
    run.success();
    assert!(!run.stdout.contains('│'), "box drawing without a terminal");
    assert!(!run.stdout.contains('─'), "box drawing without a terminal");
    assert!(!run.stdout.contains("NAME"), "no header without a terminal");
    let row = run.stdout.lines().find(|l| l.split('\t').nth(1) == Some(name.as_str())).expect("a row for the token");
    let cells: Vec<&str> = row.split('\t').collect();
    assert_eq!(cells.len(), 4, "{row}");
    assert!(cells[3].contains('T'), "last used in RFC 3339: {row}");
    assert!(cells[3].ends_with('Z'), "last used in UTC: {row}");

    let listed = json_of(&run_with(&sandbox, &vars, &["list", "--json"]));
    let mine = listed.as_array().unwrap().iter().find(|t| t["name"] == name.as_str()).unwrap();
    assert!(mine["last_used"].as_str().unwrap().ends_with('Z'), "{mine}");
}

/// Starts sdtoken on a pseudo-terminal with the sandbox's environment.
fn pty(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> expectrl::Session {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("sdtoken"));
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v))).env("TERM", "xterm-256color");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.args(args);
    let mut session = expectrl::Session::spawn(command).expect("spawn on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

/// Reads the rest of the output and returns it with the exit code.
fn finish(mut session: expectrl::Session) -> (String, i32) {
    let rest = session.expect(expectrl::Eof).expect("the process ends");
    let output = String::from_utf8_lossy(rest.get(0).unwrap_or_default()).into_owned();
    match session.get_process().wait().unwrap() {
        expectrl::WaitStatus::Exited(_, code) => (output, code),
        other => panic!("sdtoken did not exit normally: {other:?}\n{output}"),
    }
}

#[test]
fn list_on_terminal_prints_table_with_bold_header() {
    let sandbox = Sandbox::new();
    let name = unique_name("cli-table");
    sdapi().create_user_token(&sdapi().user_jwt, &name);
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let (table, code) = finish(pty(&sandbox, &vars, &["list"]));
    assert_eq!(code, 0, "{table}");
    assert!(table.contains('│'), "no table:\n{table}");
    assert!(table.contains('─'), "no table:\n{table}");
    assert!(table.contains("NAME"), "no header:\n{table}");
    assert!(table.contains("LAST USED"), "no header:\n{table}");
    assert!(table.contains("\u{1b}[1m"), "no bold header:\n{table}");

    let mut no_color = vars.to_vec();
    no_color.push(("NO_COLOR", "1"));
    let (plain, code) = finish(pty(&sandbox, &no_color, &["list"]));
    assert_eq!(code, 0, "{plain}");
    assert!(plain.contains('│'), "no table:\n{plain}");
    assert!(plain.contains("NAME"), "no header:\n{plain}");
    assert!(!plain.contains('\u{1b}'), "escape sequences despite NO_COLOR:\n{plain}");
}

/// Removes ANSI escape sequences such as `ESC[1m`.
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip `[`, parameters and the final letter.
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// Lists the table lines (those drawn with `│`) without styling, with their widths in characters.
fn table_lines(output: &str) -> Vec<(String, usize)> {
    strip_ansi(output)
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| line.contains('│'))
        .map(|line| (line.to_string(), line.chars().count()))
        .collect()
}

#[test]
fn list_on_zero_width_terminal_uses_80_columns() {
    let sandbox = Sandbox::new();
    let name = unique_name("cli-width");
    let description = "a description long enough to need wrapping on any terminal narrower than two hundred columns, \
                       so the table fills the whole width it is given and no more than that";
    let created = run_with(
        &sandbox,
        &[("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())],
        &["create", &name, "--description", description],
    );
    created.success();
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    for (no_color, columns, expected) in
        [(false, None, 80), (true, None, 80), (false, Some("120"), 120), (true, Some("120"), 120)]
    {
        let mut run_vars = vars.to_vec();
        if no_color {
            run_vars.push(("NO_COLOR", "1"));
        }
        if let Some(columns) = columns {
            run_vars.push(("COLUMNS", columns));
        }
        // The pty gets 80x24 when it is spawned; sdtoken starts only after the
        // size is set to 0x0 and a line arrives on its input.
        let mut session = pty_shell(&sandbox, &run_vars, "read -r go && exec \"$0\" list");
        session.get_process_mut().set_window_size(0, 0).unwrap();
        session.send_line("").unwrap();
        let (output, code) = finish(session);
        assert_eq!(code, 0, "{output}");
        let case = format!("NO_COLOR: {no_color}, COLUMNS: {columns:?}");
        let lines = table_lines(&output);
        let widest = lines.iter().map(|(_, width)| *width).max().unwrap_or(0);
        // Wrapping at word boundaries can leave the description column a word narrower than the room it has.
        assert!(widest <= expected, "{case}: wider than {expected} columns:\n{output}");
        assert!(widest + 12 >= expected, "{case}: much narrower than {expected} columns:\n{output}");
        let row =
            lines.iter().find(|(line, _)| line.contains(&name)).unwrap_or_else(|| panic!("{case}: no row:\n{output}"));
        assert!(row.0.contains(&format!(" {name} ")), "{case}: the name was wrapped: {}", row.0);
    }
}

#[test]
fn help_on_terminal_respects_no_color() {
    let sandbox = Sandbox::new();
    let (styled, code) = finish(pty(&sandbox, &[], &["--help"]));
    assert_eq!(code, 0);
    assert!(styled.contains('\u{1b}'), "no styling on a terminal:\n{styled}");
    let (plain, code) = finish(pty(&sandbox, &[("NO_COLOR", "1")], &["--help"]));
    assert_eq!(code, 0);
    assert!(plain.contains("Usage:"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "escape sequences despite NO_COLOR:\n{plain}");
}

// ---------------------------------------------------------------------------
// Prompts

/// Checks whether `GET /v4/auth/token` accepts `value`.
fn exchanges(value: &str) -> bool {
    let reply = common::http().get(format!("{}/v4/auth/token", sdapi().url)).bearer_auth(value).send().unwrap();
    reply.status().is_success()
}

#[test]
fn refresh_prompt_answer_no_changes_nothing() {
    let sandbox = Sandbox::new();
    let (id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-no"));
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let mut session = pty(&sandbox, &vars, &["refresh", &id.to_string()]);
    let prompt = expect_text(&mut session, "[y/N]");
    assert!(prompt.contains(&format!("Refresh token {id}")), "{prompt}");
    session.send("n").unwrap();
    let (output, code) = finish(session);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("cancelled; nothing was changed"), "{output}");
    assert!(exchanges(&value), "the token was refreshed despite the answer `n`");
}

#[test]
fn refresh_prompt_escape_changes_nothing() {
    let sandbox = Sandbox::new();
    let (id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-esc"));
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let mut session = pty(&sandbox, &vars, &["refresh", &id.to_string()]);
    expect_text(&mut session, "[y/N]");
    session.send("\x1b").unwrap();
    let (output, code) = finish(session);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("cancelled; nothing was changed"), "{output}");
    assert!(exchanges(&value), "the token was refreshed despite Escape");
}

#[test]
fn refresh_prompt_answer_yes_refreshes() {
    let sandbox = Sandbox::new();
    let (id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-yes"));
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let mut session = pty(&sandbox, &vars, &["refresh", &id.to_string()]);
    expect_text(&mut session, "[y/N]");
    session.send("y").unwrap();
    let (output, code) = finish(session);
    assert_eq!(code, 0, "{output}");
    let new_value = output
        .lines()
        .map(str::trim)
        .find(|l| l.len() == value.len() && !l.contains(' ') && *l != value)
        .unwrap_or_else(|| panic!("no new value in:\n{output}"));
    assert!(!exchanges(&value), "the old value still works");
    assert!(exchanges(new_value), "the new value does not work");
}

#[test]
fn no_input_forbids_prompt_on_terminal() {
    let sandbox = Sandbox::new();
    let (id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-noinput"));
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let (output, code) = finish(pty(&sandbox, &vars, &["delete", &id.to_string(), "--no-input"]));
    assert_eq!(code, 2, "{output}");
    assert!(!output.contains("[y/N]"), "prompted despite --no-input:\n{output}");
    assert!(output.contains("`--no-input` forbids prompts"), "{output}");
    assert!(output.contains("`--yes`"), "{output}");
    assert!(exchanges(&value), "the token was deleted");
}

#[test]
fn missing_yes_without_terminal_exits_2() {
    let sandbox = Sandbox::new();
    let (id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-batch"));
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    for command in ["refresh", "delete"] {
        let run = run_with(&sandbox, &vars, &[command, &id.to_string()]);
        run.expect_code(2);
        assert!(run.stderr.contains("hint: pass `--yes` to confirm"), "{}", run.stderr);
    }
    assert!(exchanges(&value), "the token changed without confirmation");
}

/// Runs `sh -c SCRIPT` on a pty with the sdtoken binary as `$0`.
fn pty_shell(sandbox: &Sandbox, vars: &[(&str, &str)], script: &str) -> expectrl::Session {
    let mut command = std::process::Command::new("sh");
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v))).env("TERM", "xterm-256color");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.arg("-c").arg(script).arg(assert_cmd::cargo::cargo_bin("sdtoken"));
    let mut session = expectrl::Session::spawn(command).expect("spawn on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

#[test]
fn prompt_needs_terminal_on_stdin_and_stderr() {
    let sandbox = Sandbox::new();
    let (id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-streams"));
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    let stderr_file = sandbox.path("stderr.txt");
    let stderr_path = stderr_file.to_str().unwrap();

    // stdin is not a terminal: no prompt, exit 2.
    let (output, code) = finish(pty_shell(&sandbox, &vars, &format!("exec \"$0\" refresh {id} </dev/null")));
    assert_eq!(code, 2, "{output}");
    assert!(!output.contains("[y/N]"), "prompted without a terminal on stdin:\n{output}");
    assert!(output.contains("`--yes`"), "{output}");

    // stderr is not a terminal: no prompt, exit 2.
    let (output, code) = finish(pty_shell(&sandbox, &vars, &format!("exec \"$0\" refresh {id} 2>{stderr_path}")));
    assert_eq!(code, 2, "{output}");
    let stderr = std::fs::read_to_string(&stderr_file).unwrap();
    assert!(!stderr.contains("[y/N]"), "prompted without a terminal on stderr:\n{stderr}");
    assert!(stderr.contains("`--yes`"), "{stderr}");

    // stdout is not a terminal: the prompt still appears on stderr.
    let mut session = pty_shell(&sandbox, &vars, &format!("exec \"$0\" refresh {id} >/dev/null"));
    expect_text(&mut session, "[y/N]");
    session.send("n").unwrap();
    assert_eq!(finish(session).1, 1);
    assert!(exchanges(&value), "the token changed without confirmation");
}

/// Starts sdtoken with `args` (no quoting needed) on a pty and returns the
/// session once the hidden token prompt reads input, with the text before it.
fn hidden_prompt(sandbox: &Sandbox, args: &[&str]) -> (expectrl::Session, String) {
    // The pty starts with echo off; `stty echo` turns it on, so that the prompt
    // turning it off shows when the prompt is ready.
    let script = format!("stty echo && exec \"$0\" {}", args.join(" "));
    let mut session = pty_shell(sandbox, &[], &script);
    let text = expect_text(&mut session, "API token");
    // The prompt turns echo off and discards pending input in one step, so
    // input sent before echo is off could be lost.
    for _ in 0..3000 {
        if !session.get_process().get_echo().unwrap() {
            return (session, text);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the prompt did not turn echo off:\n{text}");
}

#[test]
fn login_prompt_empty_answer_exits_2() {
    let sandbox = Sandbox::new();
    let (mut session, before) = hidden_prompt(&sandbox, &["login", "--context", "cc", "--api-url", &sdapi().url]);
    assert!(!before.contains("sdtoken create"), "the prompt suggests a command that needs a login:\n{before}");
    session.send_line("").unwrap();
    let (output, code) = finish(session);
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("sdtoken: error: the API token is empty"), "{output}");
    assert!(!sandbox.path("config/sdtoken/config.toml").exists(), "an empty login created the context");
}

#[test]
fn login_prompt_end_of_input_exits_2() {
    let sandbox = Sandbox::new();
    let (mut session, _) = hidden_prompt(&sandbox, &["login", "--context", "cc", "--api-url", &sdapi().url]);
    // Ctrl-D at the start of a line is end of input on a terminal.
    session.send("\u{4}").unwrap();
    let (output, code) = finish(session);
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("sdtoken: error: the API token is empty"), "{output}");
}

#[test]
fn login_prompt_does_not_echo_token() {
    let sandbox = Sandbox::new();
    let (_, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("cli-login"));

    let (mut session, mut output) = hidden_prompt(&sandbox, &["login", "--api-url", &sdapi().url]);
    session.send_line(&value).unwrap();
    let (rest, code) = finish(session);
    output.push_str(&rest);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains(&format!("Logged in to {} as {}", sdapi().url, sdapi().user)), "{output}");
    assert!(!output.contains(&value), "the token was echoed:\n{output}");
    assert!(!output.contains(&value[..8]), "part of the token was echoed:\n{output}");
    sandbox.run(&["status"], "").success();
}
