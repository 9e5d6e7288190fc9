//! Contexts and `config.toml`: login into named contexts, `--context` and
//! `SDTOKEN_CONTEXT`, `context list|use|remove`, concurrent logins under the
//! config lock, malformed and unknown-key configs, and that each context's
//! token and JWT cache stay with the server it was stored for.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{CountingProxy, Run, Sandbox, Trap, sdapi, unique_name};
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
    sandbox.run(&["status", "--context", "gone", "--api-url", &sdapi().url], "").expect_code(6);
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

/// Runs sdtoken with every proxy variable aimed at `trap`, plus `vars`.
fn run_trapped(sandbox: &Sandbox, trap: &Trap, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let proxies = trap.proxy_vars();
    let mut all: Vec<(&str, &str)> = proxies.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(vars);
    run_with(sandbox, &all, args)
}

#[track_caller]
fn expect_no_context(run: &Run, name: &str) {
    run.expect_code(6);
    assert_eq!(run.stdout, "", "stdout must be empty on error");
    assert!(run.stderr.starts_with(&format!("sdtoken: error: no context named `{name}`")), "{}", run.stderr);
}

#[test]
fn missing_named_context_exits_6_without_request() {
    let sandbox = Sandbox::new();
    let proxy = CountingProxy::start(sandbox.path("requests.log"));
    login(&sandbox, "work", &proxy.url, &new_token("ctx-missing")).success();
    let logins = proxy.requests().len();
    let trap = Trap::new();

    // (missing context name, extra variables, arguments)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        ("r0", vec![("SD_API_TOKEN", "fake-api-token")], vec!["--context", "r0", "exchange"]),
        ("nosuch", vec![], vec!["--context", "nosuch", "list"]),
        ("nosuch", vec![("SD_TOKEN", sdapi().user_jwt.as_str())], vec!["--context", "nosuch", "list"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo"), ("SD_API_TOKEN", "fake-api-token")], vec!["exchange"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo")], vec!["env", "--shell", "sh"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo")], vec!["exec", "--", "true"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo")], vec!["status"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo")], vec!["create", "never-made", "--pipeline", "1"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo")], vec!["delete", "1", "--yes"]),
        ("typo", vec![("SDTOKEN_CONTEXT", "typo")], vec!["logout"]),
    ];
    for (name, vars, args) in &cases {
        let run = run_trapped(&sandbox, &trap, vars, args);
        expect_no_context(&run, name);
        assert!(run.stderr.contains("hint: the contexts are `work`;"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("`sdtoken login --context {name} --api-url URL`")),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(trap.connections(), 0, "a request left for another server");
    assert_eq!(proxy.requests().len(), logins, "a request reached the context's server");
}

#[test]
fn missing_context_hint_keeps_given_api_url() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["--context", "r0", "list", "--api-url", &sdapi().url], "");
    expect_no_context(&run, "r0");
    assert!(run.stderr.contains("there are no contexts yet"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("`sdtoken login --context r0 --api-url {}`", sdapi().url)), "{}", run.stderr);
}

#[test]
fn current_context_missing_from_config_exits_6() {
    let sandbox = Sandbox::new();
    let trap = Trap::new();
    login(&sandbox, "work", &sdapi().url, &new_token("ctx-current-missing")).success();
    let text = config_text(&sandbox).replace("current-context = \"work\"", "current-context = \"gone\"");
    std::fs::write(config_path(&sandbox), text).unwrap();

    let run = run_trapped(&sandbox, &trap, &[("SD_API_TOKEN", "fake-api-token")], &["exchange"]);
    expect_no_context(&run, "gone");
    assert!(run.stderr.contains("`current-context`"), "{}", run.stderr);
    let (status, document) = {
        let run = run_trapped(&sandbox, &trap, &[], &["status", "--json"]);
        let document: Value = serde_json::from_str(&run.stdout).unwrap();
        (run, document)
    };
    status.expect_code(6);
    assert_eq!(document["valid"], false);
    assert!(document["error"].as_str().unwrap().contains("no context named `gone`"), "{document}");
    assert_eq!(trap.connections(), 0, "a request left for another server");
    // The named context still works.
    sandbox.run(&["--context", "work", "exchange"], "").success();
}

#[test]
fn no_context_named_keeps_public_default() {
    let sandbox = Sandbox::new();
    let trap = Trap::new();
    // No config and no context named: the contract's default context and URL.
    let run = run_trapped(&sandbox, &trap, &[], &["list"]);
    run.expect_code(4);
    assert!(run.stderr.contains("no credential for context `default` (https://api.screwdriver.cd)"), "{}", run.stderr);
    // The trap does catch an https request made through the proxy variables;
    // the `.invalid` host never resolves, so nothing leaves the machine without them.
    let caught = run_trapped(
        &sandbox,
        &trap,
        &[("SD_API_TOKEN", "fake-api-token")],
        &["exchange", "--api-url", "https://sd.example.invalid", "--timeout", "1"],
    );
    caught.expect_code(8);
    assert!(trap.connections() >= 1, "the proxy variables did not reach the trap");
}

#[test]
fn env_credential_over_named_context_warns() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-shadow");
    login(&sandbox, "default", &sdapi().url, &token).success();
    login(&sandbox, "ro", &sdapi().url, &token).success();
    let jwt = sdapi().user_jwt.as_str();
    let warning = "`SD_TOKEN` takes precedence over the token stored for context `ro`; unset it to use the context";

    let by_flag = run_with(&sandbox, &[("SD_TOKEN", jwt)], &["--context", "ro", "list"]);
    by_flag.success();
    assert!(by_flag.stderr.contains(&format!("sdtoken: warning: {warning}")), "{}", by_flag.stderr);
    let by_env = run_with(&sandbox, &[("SD_TOKEN", jwt), ("SDTOKEN_CONTEXT", "ro")], &["exchange"]);
    by_env.success();
    assert!(by_env.stderr.contains(warning), "{}", by_env.stderr);
    let api_token = run_with(&sandbox, &[("SD_API_TOKEN", &token)], &["--context", "ro", "exchange"]);
    api_token.success();
    assert!(
        api_token.stderr.contains("`SD_API_TOKEN` takes precedence over the token stored for context `ro`"),
        "{}",
        api_token.stderr
    );

    // Without --context the environment wins quietly, as the precedence order defines.
    let unnamed = run_with(&sandbox, &[("SD_TOKEN", jwt)], &["exchange"]);
    unnamed.success();
    assert!(!unnamed.stderr.contains("warning"), "{}", unnamed.stderr);
}

#[test]
fn build_token_over_named_context_warns() {
    let sandbox = Sandbox::new();
    login(&sandbox, "ro", &sdapi().url, &new_token("ctx-build-shadow")).success();
    let build = sdapi().build_jwt(90);
    let vars = [("SD_TOKEN", build.as_str()), ("SD_BUILD_ID", "1")];

    let quiet = run_with(&sandbox, &vars, &["exchange"]);
    quiet.success();
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
    let named = run_with(&sandbox, &vars, &["--context", "ro", "exchange"]);
    named.success();
    assert!(
        named.stderr.contains("`SD_TOKEN` takes precedence over the token stored for context `ro`"),
        "{}",
        named.stderr
    );
}

#[test]
fn context_remove_current_names_next_step() {
    let sandbox = Sandbox::new();
    let trap = Trap::new();
    let token = new_token("ctx-remove-current");
    login(&sandbox, "a", &sdapi().url, &token).success();
    login(&sandbox, "b", &sdapi().url, &token).success();
    sandbox.run(&["logout", "--context", "b"], "").success();

    let removed = sandbox.run(&["context", "remove", "a"], "");
    removed.success();
    assert!(removed.stderr.contains("Removed context `a` and its stored token.\n"), "{}", removed.stderr);
    assert!(
        removed.stderr.contains("`a` was the current context, and no context is current now"),
        "{}",
        removed.stderr
    );
    assert!(removed.stderr.contains("switch to `b` with `sdtoken context use b`"), "{}", removed.stderr);

    // Nothing is current and no URL is given: no silent fallback to the public server.
    let run = run_trapped(&sandbox, &trap, &[("SD_API_TOKEN", "fake-api-token")], &["exchange"]);
    run.expect_code(6);
    assert!(run.stderr.starts_with("sdtoken: error: no context is current"), "{}", run.stderr);
    assert!(run.stderr.contains("`sdtoken context use b`"), "{}", run.stderr);
    assert_eq!(trap.connections(), 0, "a request left for another server");

    let removed = sandbox.run(&["context", "remove", "b"], "");
    removed.success();
    assert_eq!(removed.stderr, "Removed context `b`.\n");
}

#[test]
fn context_remove_current_falls_back_to_default() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-remove-default");
    login(&sandbox, "default", &sdapi().url, &token).success();
    login(&sandbox, "work", &sdapi().url, &token).success();
    sandbox.run(&["context", "use", "work"], "").success();

    let removed = sandbox.run(&["context", "remove", "work"], "");
    removed.success();
    assert!(removed.stderr.contains("commands now use context `default`"), "{}", removed.stderr);
    let status: Value = serde_json::from_str(&sandbox.run(&["status", "--json"], "").stdout).unwrap();
    assert_eq!(status["context"], "default");
    assert_eq!(status["valid"], true);
}

#[test]
fn env_shadows_context_of_other_url() {
    let sandbox = Sandbox::new();
    let token = new_token("ctx-other-url");
    login(&sandbox, "default", &sdapi().url, &token).success();
    let localhost = sdapi().url.replace("127.0.0.1", "localhost");
    login(&sandbox, "lh", &localhost, &token).success();
    // What `sdtoken env` leaves behind for the default context.
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let status = run_with(&sandbox, &vars, &["--context", "lh", "--json", "status"]);
    status.success();
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["shadowed"], serde_json::json!(["stored"]), "{}", status.stdout);

    let list = run_with(&sandbox, &vars, &["--context", "lh", "list"]);
    list.success();
    assert!(list.stderr.contains("unset it and `SD_API_URL` to use the context"), "{}", list.stderr);

    let switched = run_with(&sandbox, &vars, &["context", "use", "lh"]);
    switched.success();
    assert!(
        switched.stderr.contains("`SD_TOKEN`, `SD_API_URL` are set in the environment and override context `lh`"),
        "{}",
        switched.stderr
    );
    let quiet = run_with(&sandbox, &[], &["context", "use", "default"]);
    quiet.success();
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
}
