//! Bad input through the binary: token names, ids, API URLs, `SD_TOKEN` and
//! `SD_API_TOKEN` values, config files and JWT cache entries.
//!
//! Each bad value must give the documented exit code, an empty stdout, and one
//! error on stderr that names the value (unless it may be a secret) and the fix,
//! never a panic. Input errors are caught before any request: those runs point
//! `--api-url` and every proxy variable at a listener that counts connections,
//! and the test asserts that nothing connected.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Run, Sandbox, Trap, jwt_account, sdapi, unique_name, unsigned_jwt};
use serde_json::{Value, json};

/// Builds a user JWT valid for a long time, so runs that need a credential get past it.
fn user_jwt() -> String {
    unsigned_jwt(&json!({"username": "dev", "scope": ["user"], "exp": 4_000_000_000_i64}))
}

/// One bad input: the command line, extra variables and stdin, and what sdtoken must print.
struct Case {
    args: Vec<String>,
    vars: Vec<(&'static str, String)>,
    stdin: String,
    code: i32,
    /// Texts that stderr must contain: the value as shown and the fix.
    expected: Vec<String>,
    /// Text that must not appear on stderr, because the value may be a secret.
    hidden: Option<String>,
}

impl Case {
    fn new(args: &[&str], code: i32, expected: &[&str]) -> Case {
        Case {
            args: args.iter().map(|a| a.to_string()).collect(),
            vars: Vec::new(),
            stdin: String::new(),
            code,
            expected: expected.iter().map(|e| e.to_string()).collect(),
            hidden: None,
        }
    }

    fn var(mut self, name: &'static str, value: &str) -> Case {
        self.vars.push((name, value.to_string()));
        self
    }

    fn with_jwt(self) -> Case {
        self.var("SD_TOKEN", &user_jwt())
    }

    fn stdin(mut self, text: &str) -> Case {
        self.stdin = text.to_string();
        self
    }

    fn hidden(mut self, text: &str) -> Case {
        self.hidden = Some(text.to_string());
        self
    }
}

/// Creates a sandbox whose every request, to any host or through any proxy, reaches the trap.
fn trapped_sandbox(trap: &Trap) -> Sandbox {
    let mut sandbox = Sandbox::new();
    for (name, value) in trap.proxy_vars() {
        sandbox.set(name, &value);
    }
    sandbox
}

fn run_case(sandbox: &Sandbox, case: &Case) -> Run {
    let mut command = sandbox.cmd();
    // `--timeout` goes first, because after `exec --` it would belong to the child.
    command.args(["--timeout", "3"]).args(&case.args);
    for (name, value) in &case.vars {
        command.env(name, value);
    }
    Run::from(command.write_stdin(case.stdin.as_bytes()).output().unwrap())
}

/// Runs every case and checks the exit code, the streams, and that no request was made.
fn check_cases(cases: &[Case]) {
    let trap = Trap::new();
    let sandbox = trapped_sandbox(&trap);
    for case in cases {
        let run = run_case(&sandbox, case);
        let what = format!("{:?} {:?}", case.args, case.vars.iter().map(|(k, _)| k).collect::<Vec<_>>());
        assert_eq!(run.code, case.code, "{what}: exit code\nstderr:\n{}", run.stderr);
        assert_eq!(run.stdout, "", "{what}: stdout is not empty");
        assert!(run.stderr.starts_with("sdtoken: error: "), "{what}: no error line:\n{}", run.stderr);
        assert_eq!(run.stderr.matches("sdtoken: error: ").count(), 1, "{what}: one error:\n{}", run.stderr);
        assert!(run.stderr.contains("\nhint: "), "{what}: no hint with the fix:\n{}", run.stderr);
        for expected in &case.expected {
            assert!(run.stderr.contains(expected.as_str()), "{what}: `{expected}` missing from:\n{}", run.stderr);
        }
        if let Some(hidden) = &case.hidden {
            assert!(!run.stderr.contains(hidden.as_str()), "{what}: the value leaked:\n{}", run.stderr);
        }
        assert!(!run.stderr.contains("panicked"), "{what}: panic:\n{}", run.stderr);
        assert!(!run.stderr.contains("RUST_BACKTRACE"), "{what}: panic:\n{}", run.stderr);
        assert_eq!(trap.connections(), 0, "{what}: a request was made for bad input");
    }
    assert!(!sandbox.path("config/sdtoken/config.toml").exists(), "bad input wrote a config");
    assert!(!sandbox.path("data/sdtoken/secrets.json").exists(), "bad input stored a secret");
}

#[test]
fn bad_token_names_exit_2() {
    let trap = Trap::new();
    let url = trap.url();
    let long = "x".repeat(129);
    let empty = ["invalid token name: it is empty", "hint: give a name of 1 to 128 characters"];
    let too_long = [
        "invalid token name `xxxxxxxxxxxxxxxxxxxxxxxx…`: it has 129 characters, the maximum is 128",
        "hint: use a shorter name",
    ];
    let newline = ["invalid token name `a\\nb`: it contains the control character U+000A (line feed)", "hint: remove"];
    let tab = ["invalid token name `a\\tb`: it contains the control character U+0009 (tab)", "hint: remove"];

    let mut cases = Vec::new();
    for prefix in [&["create"][..], &["create", "--pipeline", "7"]] {
        let with = |name: &str| -> Vec<String> {
            let mut args: Vec<String> = prefix.iter().map(|a| a.to_string()).collect();
            args.extend([name.to_string(), "--api-url".to_string(), url.clone()]);
            args
        };
        cases.push((with(""), &empty[..]));
        cases.push((with(&long), &too_long[..]));
        cases.push((with("a\nb"), &newline[..]));
        cases.push((with("a\tb"), &tab[..]));
    }
    for (name, expected) in [("", &empty[..]), (long.as_str(), &too_long), ("a\nb", &newline), ("a\tb", &tab)] {
        let args = ["update", "17", "--name", name, "--api-url", &url];
        cases.push((args.iter().map(|a| a.to_string()).collect(), expected));
    }
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(args, expected)| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            Case::new(&args, 2, expected).with_jwt()
        })
        .collect();
    check_cases(&cases);
}

#[test]
fn bad_ids_exit_2() {
    let trap = Trap::new();
    let url = trap.url();
    let mut cases = Vec::new();
    for id in ["0", "-1", "abc", "1e3"] {
        let message =
            format!("invalid value '{id}' for '--pipeline <ID>': `{id}` is not a valid id: ids are positive integers");
        for command in [&["list"][..], &["create", "ci-bot"], &["delete", "--all", "--yes"], &["refresh", "5", "--yes"]]
        {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(["--pipeline", id, "--api-url", &url]);
            cases.push(Case::new(&args, 2, &[&message, "hint: see `sdtoken "]).with_jwt());
        }
    }
    let zero = [
        "`0` is not a valid id: ids are positive integers",
        "hint: see the token ids with `sdtoken list`; for a token named `0`, add `--by-name`",
    ];
    for command in [
        &["update", "0", "--name", "x"][..],
        &["refresh", "0", "--yes"],
        &["delete", "0", "--yes"],
        &["delete", "5", "0", "--yes"],
    ] {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(["--api-url", &url]);
        cases.push(Case::new(&args, 2, &zero).with_jwt());
        // Without any credential the id is still checked first.
        cases.push(Case::new(&args, 2, &zero));
    }
    let huge = "18446744073709551616";
    cases.push(
        Case::new(
            &["delete", huge, "--yes", "--api-url", &url],
            2,
            &[&format!("`{huge}` is not a valid id: it is larger than the maximum")],
        )
        .with_jwt(),
    );
    check_cases(&cases);
}

#[test]
fn bad_timeouts_exit_2() {
    let trap = Trap::new();
    let mut sandbox = trapped_sandbox(&trap);
    sandbox.set("SD_TOKEN", &user_jwt());
    for value in ["0", "1.5", "-1", "3601", "abc"] {
        let run = sandbox.run(&["--timeout", value, "--api-url", &trap.url(), "list"], "");
        run.expect_code(2);
        assert!(run.stdout.is_empty());
        let message = format!("`{value}` is not a valid timeout: give whole seconds from 1 to 3600");
        assert!(run.stderr.contains(&message), "{value}: {}", run.stderr);
    }
    assert_eq!(trap.connections(), 0);
}

#[test]
fn bad_api_urls_exit_2() {
    let trap = Trap::new();
    let hostport = trap.url().trim_start_matches("http://").to_string();
    let mut cases = Vec::new();
    for origin in ["--api-url", "SD_API_URL"] {
        let bad = [
            (
                hostport.clone(),
                vec![
                    format!("`{hostport}` in `{origin}`: it has no scheme"),
                    format!("hint: write the scheme too: `https://{hostport}`"),
                ],
            ),
            (
                format!("ftp://{hostport}"),
                vec![
                    format!("`ftp://{hostport}` in `{origin}`: the scheme must be https"),
                    "hint: use a URL such as".to_string(),
                ],
            ),
            (
                format!("http://{hostport}/?x=1"),
                vec![
                    format!("`http://{hostport}/?…` in `{origin}`: it must not have a query"),
                    format!("as in `http://{hostport}/`"),
                ],
            ),
            (
                format!("http://{hostport}/#x"),
                vec![
                    format!("`http://{hostport}/#x` in `{origin}`: it must not have a fragment"),
                    format!("as in `http://{hostport}/`"),
                ],
            ),
            (
                format!("http://{hostport}/ v4"),
                vec![
                    format!("`http://{hostport}/ v4` in `{origin}`: it contains whitespace"),
                    "hint: remove the whitespace from the URL".to_string(),
                ],
            ),
            (
                format!("http://{hostport}/v4/v4/"),
                vec![
                    format!("`http://{hostport}/v4/v4/` in `{origin}`: it ends in `/v4` twice"),
                    "hint: give the URL with one `/v4` at most".to_string(),
                ],
            ),
        ];
        for (url, expected) in bad {
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            for command in [&["list"][..], &["status"], &["exchange"], &["create", "ci-bot"]] {
                let case = if origin == "--api-url" {
                    let mut args = command.to_vec();
                    args.extend(["--api-url", &url]);
                    Case::new(&args, 2, &expected)
                } else {
                    Case::new(command, 2, &expected).var("SD_API_URL", &url)
                };
                cases.push(case.with_jwt());
            }
        }
        // A query may hold an API token, as in the URLs of older Screwdriver clients.
        let secret_query = format!("http://{hostport}/v4?api_token=c4n4ry");
        let case = if origin == "--api-url" {
            Case::new(&["list", "--api-url", &secret_query], 2, &["must not have a query"])
        } else {
            Case::new(&["list"], 2, &["must not have a query"]).var("SD_API_URL", &secret_query)
        };
        cases.push(case.with_jwt().hidden("c4n4ry"));
    }
    check_cases(&cases);
}

#[test]
fn api_url_whitespace_is_trimmed_with_warning() {
    let trap = Trap::new();
    let sandbox = trapped_sandbox(&trap);
    let url = trap.url();
    for (origin, spaced) in [("--api-url", format!(" {url} ")), ("SD_API_URL", format!("\t{url}/v4/\n"))] {
        let mut command = sandbox.cmd();
        command.env("SD_TOKEN", user_jwt()).args(["env", "--shell", "sh"]);
        if origin == "--api-url" {
            command.args(["--api-url", &spaced]);
        } else {
            command.env("SD_API_URL", &spaced);
        }
        let run = Run::from(command.output().unwrap());
        run.success();
        let trimmed = spaced.trim();
        assert!(
            run.stderr
                .contains(&format!("warning: ignoring the whitespace around the API URL `{trimmed}` in `{origin}`")),
            "{origin}: {}",
            run.stderr
        );
        assert!(run.stdout.starts_with(&format!("export SD_API_URL='{url}/v4/'\n")), "{origin}: {}", run.stdout);
    }
    assert_eq!(trap.connections(), 0);
}

#[test]
fn malformed_sd_token_exits_4_without_echo() {
    let canary = "c4n4ry";
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    let payload = |text: &str| format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(text));
    let values = [
        (format!("not-a-jwt-{canary}"), "it has no dots"),
        (format!("{header}.{canary}"), "it has 2 dot-separated parts"),
        (format!("{header}.{canary}!!*.c2ln"), "its payload is not base64url"),
        (payload(&format!("{canary}, not JSON")), "its payload is not JSON"),
        (payload(&format!("[\"{canary}\"]")), "its payload is not a JSON object"),
        (payload(&format!("{{\"username\":\"{canary}\",\"scope\":[\"user\"]}}")), "it has no `exp` claim"),
        (payload(&format!("{{\"exp\":\"{canary}\"}}")), "its `exp` claim is not a number"),
        (payload("{\"exp\":-9223372036854775808,\"c\":\"c4n4ry\"}"), "its `exp` claim is not a number"),
        (format!("Bearer {}", payload(&format!("{{\"exp\":1,\"c\":\"{canary}\"}}"))), "it starts with `Bearer `"),
        (
            format!("x!x.{}", payload(&format!("{{\"exp\":1,\"c\":\"{canary}\"}}")).split_once('.').unwrap().1),
            "its header is not base64url-encoded JSON",
        ),
    ];
    let url = Trap::new().url();
    let mut cases = Vec::new();
    for (value, defect) in &values {
        for command in [&["status"][..], &["exchange"], &["env"], &["list"], &["exec", "--", "true"]] {
            let mut args = command.to_vec();
            args.splice(0..0, ["--api-url", url.as_str()]);
            let message = format!("`SD_TOKEN` is not a valid JWT: {defect}");
            let case = Case::new(&args, 4, &[&message, "hint: unset `SD_TOKEN`"]);
            cases.push(case.var("SD_TOKEN", value).hidden(canary));
        }
    }
    check_cases(&cases);
}

#[test]
fn numeric_username_claim_is_valid() {
    let trap = Trap::new();
    let sandbox = trapped_sandbox(&trap);
    let jwt = unsigned_jwt(&json!({
        "username": 12345, "scope": ["build"], "pipelineId": 1, "jobId": 2, "eventId": 3,
        "isPR": false, "exp": 4_000_000_000_i64,
    }));
    let run_with_jwt = |args: &[&str]| {
        Run::from(sandbox.cmd().env("SD_TOKEN", &jwt).args(["--api-url", &trap.url()]).args(args).output().unwrap())
    };

    let status = run_with_jwt(&["status", "--json"]);
    status.success();
    let document: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(document["username"], "12345", "{document}");
    assert_eq!(document["scope"], "build", "{document}");
    let text = run_with_jwt(&["status"]);
    text.success();
    assert!(text.stdout.contains("12345"), "{}", text.stdout);

    let exchange = run_with_jwt(&["exchange"]);
    exchange.success();
    assert_eq!(exchange.stdout, format!("{jwt}\n"));
    let env = run_with_jwt(&["env", "--shell", "sh"]);
    env.success();
    assert!(env.stdout.contains(&format!("export SD_TOKEN='{jwt}'\n")), "{}", env.stdout);
    assert_eq!(trap.connections(), 0, "a JWT in SD_TOKEN is used as it is");
}

#[test]
fn bad_api_token_text_is_rejected() {
    let url = Trap::new().url();
    let hint_env = "hint: set `SD_API_TOKEN` to the 43-character value";
    let hint_login = "hint: paste the token exactly as";
    let cases = [
        Case::new(
            &["exchange", "--api-url", &url],
            4,
            &["`SD_API_TOKEN` is not a valid API token: it contains whitespace", hint_env],
        )
        .var("SD_API_TOKEN", "c4n4ry c4n4ry")
        .hidden("c4n4ry"),
        Case::new(
            &["list", "--api-url", &url],
            4,
            &["`SD_API_TOKEN` is not a valid API token: it contains U+00E9", hint_env],
        )
        .var("SD_API_TOKEN", "c4n4ryé")
        .hidden("c4n4ry"),
        Case::new(&["exchange", "--api-url", &url], 4, &["control character U+0001", hint_env])
            .var("SD_API_TOKEN", "c4n4ry\u{1}")
            .hidden("c4n4ry"),
        // NUL cannot travel in argv or the environment, but stdin carries it.
        Case::new(
            &["login", "--with-token", "--api-url", &url],
            2,
            &["invalid API token: it contains the control character U+0000", hint_login],
        )
        .stdin("c4n4ry\0c4n4ry")
        .hidden("c4n4ry"),
        Case::new(
            &["login", "--with-token", "--api-url", &url],
            2,
            &["invalid API token: it contains whitespace", hint_login],
        )
        .stdin("c4n4ry\nc4n4ry\n")
        .hidden("c4n4ry"),
    ];
    check_cases(&cases);
}

// --- config.toml --------------------------------------------------------------

fn config_path(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.path("config/sdtoken/config.toml")
}

fn write_config(sandbox: &Sandbox, bytes: &[u8]) {
    let path = config_path(sandbox);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Commands that read the config, and some that would write it.
fn config_commands(url: &str) -> Vec<(Vec<String>, String)> {
    let commands: [(&[&str], &str); 7] = [
        (
            &["login", "--with-token", "--store", "file", "--api-url", url],
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        ),
        (&["login", "--with-token", "--context", "b", "--api-url", url], "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"),
        (&["context", "use", "a"], ""),
        (&["context", "remove", "a"], ""),
        (&["context", "list"], ""),
        (&["logout"], ""),
        (&["status"], ""),
    ];
    commands.iter().map(|(args, stdin)| (args.iter().map(|a| a.to_string()).collect(), stdin.to_string())).collect()
}

#[test]
fn malformed_config_names_line_and_stays_untouched() {
    let trap = Trap::new();
    let sandbox = trapped_sandbox(&trap);
    let url = trap.url();
    let configs: [(&[u8], &str); 4] = [
        (b"current-context = \"a\"\n\n[contexts.a]\napi-url = http://127.0.0.1:9\n", "line 4, column 11: "),
        (
            b"current-context = \"a\"\n[contexts.a]\napi-url = \"http://127.0.0.1:9\"\nstore = \"vault\"\n",
            "line 4, column 9: unknown variant `vault`",
        ),
        (b"current-context = 5\n", "line 1, column 19: invalid type: integer `5`, expected a string"),
        (b"current-context = \"a\xff\"\n", "it is not UTF-8 text"),
    ];
    for (config, detail) in configs {
        write_config(&sandbox, config);
        let path = config_path(&sandbox);
        for (args, stdin) in config_commands(&url) {
            let run = Run::from(sandbox.cmd().args(&args).write_stdin(stdin).output().unwrap());
            let what = format!("{args:?} with {}", String::from_utf8_lossy(config));
            assert_eq!(run.code, 1, "{what}\n{}", run.stderr);
            assert_eq!(run.stdout, "", "{what}");
            let message = format!("sdtoken: error: the config file `{}` is malformed: {detail}", path.display());
            assert!(run.stderr.starts_with(&message), "{what}: expected `{message}` in:\n{}", run.stderr);
            assert!(run.stderr.contains("hint: fix or move the file"), "{what}: {}", run.stderr);
            assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
            assert_eq!(std::fs::read(&path).unwrap(), config, "{what}: the config changed");
        }
    }
    assert!(!sandbox.path("data/sdtoken/secrets.json").exists(), "a login stored a token despite the config");
    assert_eq!(trap.connections(), 0);
}

#[test]
fn bad_context_api_url_names_file() {
    let trap = Trap::new();
    let sandbox = trapped_sandbox(&trap);
    let config = b"current-context = \"a\"\n[contexts.a]\napi-url = \"sd.example.com\"\nstore = \"file\"\n";
    write_config(&sandbox, config);
    let path = config_path(&sandbox);
    for args in [&["status"][..], &["exchange"], &["list"]] {
        let run = sandbox.run(args, "");
        run.expect_code(1);
        assert_eq!(run.stdout, "", "{args:?}");
        let message = format!(
            "the config file `{}` is malformed: context `a` has an invalid `api-url`: invalid API URL `sd.example.com`: it has no scheme",
            path.display()
        );
        assert!(run.stderr.contains(&message), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(
                "hint: fix `api-url` in the file, or log in again with `sdtoken login --context a --api-url URL`"
            ),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(std::fs::read(&path).unwrap(), config, "{args:?}: the config changed");
    }

    // The context commands only warn, so the broken context can be listed and removed.
    let listed = sandbox.run(&["context", "list"], "");
    listed.success();
    assert!(listed.stdout.contains("sd.example.com"), "{}", listed.stdout);
    assert!(listed.stderr.contains("sdtoken: warning: the config file"), "{}", listed.stderr);
    assert!(listed.stderr.contains("has an invalid `api-url`"), "{}", listed.stderr);
    sandbox.run(&["context", "remove", "a"], "").success();
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(!written.contains("[contexts.a]"), "{written}");
    assert_eq!(trap.connections(), 0);
}

#[test]
fn unknown_config_keys_survive_context_use_and_login() {
    let sandbox = Sandbox::new();
    let url = &sdapi().url;
    let config = format!(
        "current-context = \"a\"\ncolour = \"auto\"\n\n[contexts.a]\napi-url = \"{url}\"\nstore = \"file\"\nteam = \"ci\"\n\n[contexts.b]\napi-url = \"{url}\"\nstore = \"file\"\n"
    );
    write_config(&sandbox, config.as_bytes());

    let switched = sandbox.run(&["context", "use", "b"], "");
    switched.success();
    let warning = format!(
        "sdtoken: warning: `{}` has unknown keys, kept as they are: colour, contexts.a.team",
        config_path(&sandbox).display()
    );
    assert!(switched.stderr.contains(&warning), "{}", switched.stderr);
    let written = std::fs::read_to_string(config_path(&sandbox)).unwrap();
    assert!(written.contains("current-context = \"b\""), "{written}");
    assert!(written.contains("colour = \"auto\""), "{written}");
    assert!(written.contains("team = \"ci\""), "{written}");

    let token = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("bad-input-keys")).1;
    let login = sandbox.run(&["login", "--with-token", "--context", "c", "--api-url", url], &token);
    login.success();
    assert!(login.stderr.contains(&warning), "{}", login.stderr);
    let written = std::fs::read_to_string(config_path(&sandbox)).unwrap();
    assert!(written.contains("[contexts.c]"), "{written}");
    assert!(written.contains("colour = \"auto\""), "{written}");
    assert!(written.contains("team = \"ci\""), "{written}");

    let quiet = sandbox.run(&["-q", "context", "use", "a"], "");
    quiet.success();
    assert_eq!(quiet.stderr, "", "-q prints only data and errors");
}

// --- JWT cache ----------------------------------------------------------------

fn secrets_path(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.path("data/sdtoken/secrets.json")
}

fn secrets(sandbox: &Sandbox) -> Value {
    serde_json::from_str(&std::fs::read_to_string(secrets_path(sandbox)).unwrap()).unwrap()
}

/// Returns the `exp` claim of a JWT.
fn exp_of(jwt: &str) -> i64 {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["exp"].as_i64().unwrap()
}

#[test]
fn corrupt_cache_entry_is_replaced_by_exchange() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let token = api.create_user_token(&api.user_jwt, &unique_name("bad-input-cache")).1;
    sandbox.login(&token).success();
    let account = jwt_account(&api.url, &token);
    assert!(secrets(&sandbox)["entries"][&account].is_string(), "login cached no JWT under {account}");

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    let entries = [
        ("garbage", Value::from("c4n4ry garbage")),
        ("a number", Value::from(5)),
        ("an object", json!({"token": "c4n4ry"})),
        ("three parts, no JWT", Value::from("c4n4ry.c4n4ry.c4n4ry")),
        ("no exp", Value::from(format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"scope":["user"]}"#)))),
        ("expired", Value::from(api.mint(&["user", &api.user, "--minutes", "-10"]))),
        ("within --min-ttl", Value::from(api.mint(&["user", &api.user, "--minutes", "2"]))),
    ];
    for (what, entry) in entries {
        let mut contents = secrets(&sandbox);
        contents["entries"][&account] = entry.clone();
        std::fs::write(secrets_path(&sandbox), contents.to_string()).unwrap();

        let run = sandbox.run(&["exchange"], "");
        run.success();
        let jwt = run.stdout.trim_end();
        assert_ne!(Value::from(jwt), entry, "{what}: the bad entry was used");
        assert!(exp_of(jwt) > now_epoch() + 300, "{what}: the new JWT expires too soon");
        assert_eq!(secrets(&sandbox)["entries"][&account], jwt, "{what}: the entry was not replaced");
        assert_eq!(secrets(&sandbox)["entries"]["api-token/default"], token.as_str(), "{what}: the API token changed");
        assert!(!run.stderr.contains("c4n4ry"), "{what}: {}", run.stderr);

        // The replaced entry serves the next run.
        let again = sandbox.run(&["exchange"], "");
        again.success();
        assert_eq!(again.stdout.trim_end(), jwt, "{what}: the fresh entry was not reused");
    }
}

/// Seconds since the Unix epoch.
fn now_epoch() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn unknown_name_with_line_break_is_shown_escaped() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let name = format!("{}\nsecond line", unique_name("bad-input-missing"));
    let run = Run::from(
        sandbox
            .cmd()
            .env("SD_TOKEN", &api.user_jwt)
            .env("SD_API_URL", &api.url)
            .args(["delete", &name, "--yes"])
            .output()
            .unwrap(),
    );
    run.expect_code(6);
    assert_eq!(run.stdout, "");
    let shown = name.replace('\n', "\\n");
    assert!(run.stderr.contains(&format!("no token named `{shown}` among your user tokens")), "{}", run.stderr);
    assert!(!run.stderr.contains(&name), "the line break was printed as it is: {}", run.stderr);
}

#[test]
fn config_comments_survive_rewrites() {
    let sandbox = Sandbox::new();
    let url = &sdapi().url;
    let config = format!(
        "# contexts written by hand\ncurrent-context = \"a\" # the usual one\n\n# production\n[contexts.a]\napi-url = \"{url}\"\nstore = \"file\"\n\n# staging\n[contexts.b]\napi-url = \"{url}\"\nstore = \"file\"\n"
    );
    write_config(&sandbox, config.as_bytes());

    sandbox.run(&["context", "use", "b"], "").success();
    let written = std::fs::read_to_string(config_path(&sandbox)).unwrap();
    let expected = config.replace("current-context = \"a\"", "current-context = \"b\"");
    assert_eq!(written, expected);

    sandbox.run(&["context", "use", "a"], "").success();
    sandbox.run(&["context", "remove", "b"], "").success();
    let written = std::fs::read_to_string(config_path(&sandbox)).unwrap();
    assert!(written.starts_with("# contexts written by hand\ncurrent-context = \"a\" # the usual one\n"), "{written}");
    assert!(written.contains("# production\n[contexts.a]"), "{written}");
    assert!(!written.contains("[contexts.b]"), "{written}");
}
