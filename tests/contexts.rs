//! Contexts and `config.toml`: login into named contexts, `--context` and
//! `SDTOKEN_CONTEXT`, `context list|use|remove`, concurrent logins under the
//! config lock, malformed and unknown-key configs, and that each context's
//! token and JWT cache stay with the server it was stored for.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{CountingProxy, Run, Sandbox, sdapi, unique_name};
use serde_json::Value;

/// Runs sdtoken in `sandbox` with extra variables for this run only.
fn run_with(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = sandbox.cmd();
    for (name, value) in vars {
        command.env(name, value);
    }
    Run::from(command.args(args).output().unwrap())
}

fn new_token(prefix: &str) -> String {
    sdapi().create_user_token(&sdapi().user_jwt, &unique_name(prefix)).1
}

fn login(sandbox: &Sandbox, context: &str, url: &str, token: &str) -> Run {
    sandbox.run(&["login", "--with-token", "--context", context, "--api-url", url], token)
}

/// `$XDG_CONFIG_HOME/sdtoken/config.toml` of the sandbox.
fn config_path(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.path("config").join("sdtoken").join("config.toml")
}

fn config_text(sandbox: &Sandbox) -> String {
    std::fs::read_to_string(config_path(sandbox)).unwrap()
}

fn context_list(sandbox: &Sandbox) -> Vec<Value> {
    let run = sandbox.run(&["context", "list", "--json"], "");
    run.success();
    serde_json::from_str::<Value>(&run.stdout).unwrap().as_array().unwrap().clone()
}

#[test]
fn login_into_named_context_writes_config_without_secret() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-config");
    login(&sandbox, "work", &sdapi().url, &token).success();

    let config = config_text(&sandbox);
    assert!(config.contains("current-context = \"work\""), "{config}");
    assert!(config.contains("[contexts.work]"), "{config}");
    assert!(config.contains(&format!("api-url = \"{}\"", sdapi().url)), "{config}");
    assert!(config.contains("store = \"file\""), "{config}");
    assert!(!config.contains(&token), "config.toml holds the token");
    assert!(!config.contains("eyJ"), "config.toml holds a JWT");
}

#[test]
fn config_dir_env_overrides_xdg() {
    let mut sandbox = Sandbox::new();
    let dir = sandbox.path("custom-config");
    sandbox.set("SDTOKEN_CONFIG_DIR", dir.to_str().unwrap());
    login(&sandbox, "default", &sdapi().url, &new_token("ctx-dir")).success();

    assert!(dir.join("config.toml").is_file());
    assert!(!config_path(&sandbox).exists(), "the XDG config was written despite SDTOKEN_CONFIG_DIR");
}

/// Starts a loopback HTTP server that keeps every request waiting until `count`
/// have arrived, then sends `body` to all of them at once, so the clients go on at the same moment.
fn barrier_server(count: usize, body: String) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let handle = std::thread::spawn(move || {
        let mut waiting = Vec::new();
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            read_request_head(&mut stream);
            waiting.push(stream);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        for mut stream in waiting {
            stream.write_all(response.as_bytes()).unwrap();
        }
    });
    (url, handle)
}

fn read_request_head(stream: &mut std::net::TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match std::io::Read::read(stream, &mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
}

/// Starts `sdtoken login --with-token` for `context`, writing `token` to its stdin.
fn spawn_login(sandbox: &Sandbox, context: &str, url: &str, token: &str) -> std::process::Child {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sdtoken"))
        .env_clear()
        .envs(sandbox.env.iter().map(|(k, v)| (k, v)))
        .args(["login", "--with-token", "--context", context, "--api-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
    child
}

#[test]
fn concurrent_logins_into_two_contexts_both_land() {
    let sandbox = Sandbox::new();
    let body = serde_json::json!({ "token": sdapi().mint(&["user", &sdapi().user]) }).to_string();
    for round in 0..8 {
        // Both exchanges are answered at the same moment, so both logins then
        // store their token and update config.toml at the same time.
        let (url, server) = barrier_server(2, body.clone());
        let names = [format!("a{round}"), format!("b{round}")];
        let children: Vec<_> =
            names.iter().map(|name| spawn_login(&sandbox, name, &url, &format!("token-{name}"))).collect();
        for child in children {
            Run::from(child.wait_with_output().unwrap()).success();
        }
        server.join().unwrap();
        let config = config_text(&sandbox);
        for name in &names {
            assert!(config.contains(&format!("[contexts.{name}]")), "round {round}: `{name}` is missing:\n{config}");
        }
    }
    assert_eq!(context_list(&sandbox).len(), 16);
    // The tokens landed in the secrets file as well.
    let secrets = std::fs::read_to_string(sandbox.path("data/sdtoken/secrets.json")).unwrap();
    for round in 0..8 {
        for name in [format!("a{round}"), format!("b{round}")] {
            assert!(secrets.contains(&format!("\"api-token/{name}\": \"token-{name}\"")), "{name}: {secrets}");
        }
    }
}

#[test]
fn context_list_json_and_rows() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-list");
    login(&sandbox, "first", &sdapi().url, &token).success();
    login(&sandbox, "second", &sdapi().url, &token).success();

    let contexts = context_list(&sandbox);
    assert_eq!(contexts.len(), 2);
    for context in &contexts {
        let mut keys: Vec<&str> = context.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["api_url", "current", "name", "store"]);
        assert_eq!(context["api_url"], sdapi().url.as_str());
        assert_eq!(context["store"], "file");
        assert_eq!(context["current"], context["name"] == "first", "the first login became current");
    }

    let rows = sandbox.run(&["context", "list"], "");
    rows.success();
    assert_eq!(rows.stdout, format!("*\tfirst\t{url}\tfile\n\tsecond\t{url}\tfile\n", url = sdapi().url));
}

#[test]
fn context_use_switches_current_context() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-use");
    login(&sandbox, "one", &sdapi().url, &token).success();
    let second = login(&sandbox, "two", &sdapi().url, &token);
    second.success();
    assert!(second.stderr.contains("sdtoken context use two"), "{}", second.stderr);

    let used = sandbox.run(&["context", "use", "two"], "");
    used.success();
    assert!(used.stderr.contains("Switched to context `two`"), "{}", used.stderr);
    let status: Value = serde_json::from_str(&sandbox.run(&["status", "--json"], "").stdout).unwrap();
    assert_eq!(status["context"], "two");
    assert!(config_text(&sandbox).contains("current-context = \"two\""));
}

#[test]
fn context_flag_and_env_select_context() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-select");
    login(&sandbox, "one", &sdapi().url, &token).success();
    login(&sandbox, "two", &sdapi().url, &token).success();

    let by_flag: Value =
        serde_json::from_str(&sandbox.run(&["status", "--json", "--context", "two"], "").stdout).unwrap();
    assert_eq!(by_flag["context"], "two");
    let by_env: Value =
        serde_json::from_str(&run_with(&sandbox, &[("SDTOKEN_CONTEXT", "two")], &["status", "--json"]).stdout).unwrap();
    assert_eq!(by_env["context"], "two");
    let flag_wins = run_with(&sandbox, &[("SDTOKEN_CONTEXT", "two")], &["status", "--json", "--context", "one"]);
    assert_eq!(serde_json::from_str::<Value>(&flag_wins.stdout).unwrap()["context"], "one");
}

#[test]
fn context_use_unknown_exits_6() {
    let sandbox = Sandbox::new();
    login(&sandbox, "real", &sdapi().url, &new_token("ctx-unknown")).success();
    let before = config_text(&sandbox);

    for action in ["use", "remove"] {
        let run = sandbox.run(&["context", action, "nope"], "");
        run.expect_code(6);
        assert!(run.stderr.starts_with("sdtoken: error: no context named `nope`\n"), "{}", run.stderr);
        assert!(run.stderr.contains("hint: see the contexts with `sdtoken context list`"), "{}", run.stderr);
    }
    assert_eq!(config_text(&sandbox), before);
}

#[test]
fn context_remove_deletes_context_and_token() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-remove");
    login(&sandbox, "keep", &sdapi().url, &token).success();
    login(&sandbox, "gone", &sdapi().url, &token).success();

    sandbox.run(&["context", "remove", "gone"], "").success();
    let config = config_text(&sandbox);
    assert!(!config.contains("[contexts.gone]"), "{config}");
    assert!(config.contains("[contexts.keep]"), "{config}");
    let secrets = std::fs::read_to_string(sandbox.path("data/sdtoken/secrets.json")).unwrap();
    assert!(!secrets.contains("api-token/gone"), "{secrets}");
    assert!(secrets.contains("api-token/keep"), "{secrets}");
    sandbox.run(&["status", "--context", "gone", "--api-url", &sdapi().url], "").expect_code(4);
    sandbox.run(&["status", "--context", "keep"], "").success();
}

#[test]
fn malformed_config_is_an_error_and_left_unchanged() {
    let sandbox = Sandbox::new();
    let path = config_path(&sandbox);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let malformed = "current-context = \"a\"\n[contexts.a\napi-url = \"x\"\n";
    std::fs::write(&path, malformed).unwrap();

    let login = login(&sandbox, "b", &sdapi().url, &new_token("ctx-malformed"));
    login.expect_code(1);
    assert!(login.stderr.starts_with("sdtoken: error: the config file `"), "{}", login.stderr);
    assert!(login.stderr.contains("is malformed"), "{}", login.stderr);
    assert!(login.stderr.contains("hint: fix or move the file"), "{}", login.stderr);
    for args in [&["context", "list"][..], &["context", "use", "a"], &["status"]] {
        sandbox.run(args, "").expect_code(1);
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), malformed);
}

#[test]
fn unknown_config_keys_warn_and_are_kept() {
    let sandbox = Sandbox::new();
    let path = config_path(&sandbox);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let config = format!(
        "current-context = \"a\"\ntheme = \"dark\"\n\n[contexts.a]\napi-url = \"{}\"\nstore = \"file\"\nteam = \"ci\"\n",
        sdapi().url
    );
    std::fs::write(&path, config).unwrap();

    let login = login(&sandbox, "b", &sdapi().url, &new_token("ctx-unknown-keys"));
    login.success();
    let warnings: Vec<&str> = login.stderr.lines().filter(|l| l.starts_with("sdtoken: warning:")).collect();
    assert_eq!(warnings.len(), 1, "one warning per run: {}", login.stderr);
    assert!(warnings[0].contains("unknown keys, kept as they are: theme, contexts.a.team"), "{}", warnings[0]);

    let written = config_text(&sandbox);
    assert!(written.contains("theme = \"dark\""), "{written}");
    assert!(written.contains("team = \"ci\""), "{written}");
    assert!(written.contains("[contexts.b]"), "{written}");
}

/// Two contexts on two servers: count proxies on two ports in front of the
/// same API, so each proxy URL is a server of its own.
#[test]
fn contexts_keep_their_own_server_token_and_cache() {
    let sandbox = Sandbox::new();
    let proxy_a = CountingProxy::start(sandbox.path("a.log"));
    let proxy_b = CountingProxy::start(sandbox.path("b.log"));
    let (token_b_id, token_b) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("ctx-server-b"));
    login(&sandbox, "a", &proxy_a.url, &new_token("ctx-server-a")).success();
    login(&sandbox, "b", &proxy_b.url, &token_b).success();
    assert_eq!(proxy_a.requests(), ["GET /v4/auth/token 200"]);
    assert_eq!(proxy_b.requests(), ["GET /v4/auth/token 200"]);

    // Each context's cached JWT serves it: no request anywhere.
    for context in ["a", "b", "a", "b"] {
        sandbox.run(&["exchange", "--context", context], "").success();
    }
    assert_eq!(proxy_a.requests().len(), 1);
    assert_eq!(proxy_b.requests().len(), 1);

    // A fresh exchange goes to the context's own server only.
    sandbox.run(&["exchange", "--context", "a", "--no-cache"], "").success();
    assert_eq!(proxy_a.requests().len(), 2);
    assert_eq!(proxy_b.requests().len(), 1);

    // Naming the other server sends nothing and exits 4 with a hint.
    for run in [
        sandbox.run(&["exchange", "--context", "a", "--api-url", &proxy_b.url], ""),
        run_with(&sandbox, &[("SD_API_URL", &proxy_b.url)], &["exchange", "--context", "a"]),
    ] {
        run.expect_code(4);
        assert_eq!(run.stdout, "");
        assert!(run.stderr.contains(&format!("belongs to {}, not to {}", proxy_a.url, proxy_b.url)), "{}", run.stderr);
        assert!(run.stderr.contains(&format!("--api-url {}", proxy_b.url)), "{}", run.stderr);
    }
    assert_eq!(proxy_b.requests().len(), 1, "context a's token reached server b");

    // Each context sends its own token: deleting b's token breaks only b.
    let deleted = common::http()
        .delete(format!("{}/v4/tokens/{token_b_id}", sdapi().url))
        .bearer_auth(&sdapi().user_jwt)
        .send()
        .unwrap();
    assert!(deleted.status().is_success());
    sandbox.run(&["exchange", "--context", "b", "--no-cache"], "").expect_code(4);
    sandbox.run(&["exchange", "--context", "a", "--no-cache"], "").success();
}
