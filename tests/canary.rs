//! Canary tests: every command runs at `-vvv` with a known API token and its
//! JWT, on success paths and on failure paths (connection refused, a wrong API
//! token, a server answering 500 or 401 to everything, and a server that echoes
//! the `Authorization` header back), with the credential stored, in
//! `SD_API_TOKEN` or in `SD_TOKEN`. No run may show a secret on stderr, and only
//! `exchange`, `env`, `create`, `refresh` and the child of `exec` may show one
//! on stdout.
//!
//! Needs the local API named by `SDTOKEN_SDAPI_ENV`; the keyring variant runs
//! inside `scripts/with-secret-service.sh`.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use common::{Run, Sandbox, jwt_account, sdapi, unique_name};

/// Exit codes of the failure paths.
const NETWORK: i32 = 8;
const NOT_AUTHENTICATED: i32 = 4;
const SERVER: i32 = 9;

/// Every JSON Web Token begins with the base64url form of `{"`.
const JWT_PREFIX: &str = "eyJ";

/// The child of `exec`, which prints the JWT it was given.
const PRINT_TOKEN: &str = "printf %s \"$SD_TOKEN\"";

/// What a command may print and how it should exit.
struct Case {
    args: Vec<String>,
    code: i32,
    /// True for the commands whose stdout may carry a secret.
    prints_secret: bool,
}

fn case(args: &[&str], code: i32, prints_secret: bool) -> Case {
    Case { args: args.iter().map(|a| a.to_string()).collect(), code, prints_secret }
}

/// The credential a scenario runs with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Credential {
    /// The API token in `SD_API_TOKEN`, with an empty JWT cache.
    EnvApiToken,
    /// A JWT in `SD_TOKEN`.
    EnvJwt,
    /// The API token stored in the file store, with its JWT cached.
    StoredAndCached,
}

/// Lists every command that can fail on the server side, with the exit code
/// expected when the server fails with `failure`. Commands that need no request with
/// this credential succeed.
fn failing_cases(credential: Credential, failure: i32) -> Vec<Case> {
    // An exchange is needed unless the credential is a JWT or one is cached.
    let jwt_at_hand = credential != Credential::EnvApiToken;
    let local = if jwt_at_hand { 0 } else { failure };
    vec![
        case(&["status"], local, false),
        case(&["status", "--json"], local, false),
        case(&["status", "--verify"], failure, false),
        case(&["exchange"], local, true),
        case(&["exchange", "--json"], local, true),
        case(&["env", "--shell", "sh"], local, true),
        case(&["exec", "--", "sh", "-c", PRINT_TOKEN], local, true),
        case(&["list"], failure, false),
        case(&["list", "--json"], failure, false),
        case(&["create", "canary-never-made"], failure, true),
        case(&["update", "1", "--description", "canary"], failure, false),
        case(&["refresh", "1", "--yes"], failure, true),
        case(&["delete", "1", "--yes"], failure, false),
        case(&["context", "list"], 0, false),
        case(&["logout"], 0, false),
    ]
}

/// The runs of one test and every secret seen so far.
struct Canary {
    secrets: Vec<String>,
    runs: Vec<(String, Run, bool)>,
}

impl Canary {
    fn new(secrets: &[&str]) -> Canary {
        Canary { secrets: secrets.iter().map(|s| s.to_string()).collect(), runs: Vec::new() }
    }

    fn learn(&mut self, secret: &str) {
        let secret = secret.trim();
        if !secret.is_empty() && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
        }
    }

    /// Runs `sdtoken -vvv ARGS` and checks its exit code; the streams are checked in `finish`.
    fn run(&mut self, label: &str, sandbox: &Sandbox, case: &Case, stdin: &str) -> Run {
        let mut args = vec!["-vvv".to_string()];
        args.extend(case.args.iter().cloned());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = sandbox.run(&refs, stdin);
        let label = format!("{label}: sdtoken {}", case.args.join(" "));
        assert_eq!(run.code, case.code, "{label}: unexpected exit code\nstderr:\n{}", self.mask(&run.stderr));
        if case.prints_secret && case.code == 0 {
            assert!(self.learn_from_stdout(&run.stdout) > 0, "{label}: no JWT or token value on stdout");
        }
        self.runs.push((
            label,
            Run { code: run.code, stdout: run.stdout.clone(), stderr: run.stderr.clone() },
            case.prints_secret,
        ));
        run
    }

    /// Learns every JWT and token value on a stdout that may carry them, and returns how many it saw.
    fn learn_from_stdout(&mut self, stdout: &str) -> usize {
        let words: Vec<String> = stdout
            .split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '=')
            .filter(|w| w.len() >= 40 && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .map(str::to_string)
            .collect();
        for word in &words {
            self.learn(word);
        }
        words.len()
    }

    fn mask(&self, text: &str) -> String {
        self.secrets
            .iter()
            .enumerate()
            .fold(text.to_string(), |t, (i, s)| t.replace(s.as_str(), &format!("<SECRET {i}>")))
    }

    /// Checks every recorded run against every secret learned in the test.
    fn finish(&self) {
        assert!(!self.runs.is_empty());
        for (label, run, prints_secret) in &self.runs {
            self.assert_clean(label, "stderr", &run.stderr);
            if !prints_secret {
                self.assert_clean(label, "stdout", &run.stdout);
            }
        }
    }

    fn assert_clean(&self, label: &str, stream: &str, text: &str) {
        for (i, secret) in self.secrets.iter().enumerate() {
            assert!(!text.contains(secret.as_str()), "{label}: secret {i} is on {stream}:\n{}", self.mask(text));
        }
        assert!(
            !text.contains(JWT_PREFIX),
            "{label}: something shaped like a JWT is on {stream}:\n{}",
            self.mask(text)
        );
    }

    /// Asserts that the `-vvv` request log shows the `Authorization` header redacted.
    fn assert_bearer_redacted(&self, label_part: &str) {
        let matching: Vec<_> = self.runs.iter().filter(|(label, _, _)| label.contains(label_part)).collect();
        assert!(!matching.is_empty(), "no run matches `{label_part}`");
        for (label, run, _) in matching {
            assert!(
                run.stderr.contains("authorization: Bearer <redacted>"),
                "{label}: the -vvv log lacks the redacted Authorization header:\n{}",
                self.mask(&run.stderr)
            );
        }
    }
}

/// Creates a user API token and exchanges it for a JWT.
fn canary_token() -> (String, String) {
    let token = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("canary")).1;
    let reply = common::http()
        .get(format!("{}/v4/auth/token", sdapi().url))
        .bearer_auth(&token)
        .send()
        .expect("GET /v4/auth/token");
    assert_eq!(reply.status().as_u16(), 200);
    let jwt = reply.json::<serde_json::Value>().unwrap()["token"].as_str().unwrap().to_string();
    (token, jwt)
}

/// Makes up a 43-character API token that the server never issued.
fn wrong_token() -> String {
    format!("canaryWrong{:032}", common::next_id())
}

/// Writes a file-store setup whose context `default` points at `url`, with
/// `token` stored and, when given, `jwt` cached for it.
fn seed_stored(sandbox: &Sandbox, url: &str, token: &str, jwt: Option<&str>) {
    let config = sandbox.path("config/sdtoken");
    fs::create_dir_all(&config).unwrap();
    let text = format!("current-context = \"default\"\n\n[contexts.default]\napi-url = \"{url}\"\nstore = \"file\"\n");
    fs::write(config.join("config.toml"), text).unwrap();
    let mut entries = serde_json::json!({ "api-token/default": token });
    if let Some(jwt) = jwt {
        entries[jwt_account(url, token)] = serde_json::Value::from(jwt);
    }
    let data = sandbox.path("data/sdtoken");
    fs::create_dir_all(&data).unwrap();
    fs::write(data.join("secrets.json"), serde_json::json!({ "entries": entries }).to_string()).unwrap();
}

/// Creates a sandbox that uses `credential` against `url`.
fn sandbox_for(credential: Credential, url: &str, token: &str, jwt: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    match credential {
        Credential::EnvApiToken => {
            sandbox.set("SD_API_URL", url).set("SD_API_TOKEN", token);
        }
        Credential::EnvJwt => {
            sandbox.set("SD_API_URL", url).set("SD_TOKEN", jwt);
        }
        Credential::StoredAndCached => seed_stored(&sandbox, url, token, Some(jwt)),
    }
    sandbox
}

/// Runs every command against a failing server at `url` with each credential,
/// then `login` with the token, and checks all streams.
fn check_failing_server(label: &str, url: &str, failure: i32, extra_secrets: &[&str]) -> Canary {
    let (token, jwt) = canary_token();
    let mut secrets = vec![token.as_str(), jwt.as_str()];
    secrets.extend_from_slice(extra_secrets);
    let mut canary = Canary::new(&secrets);

    for credential in [Credential::EnvApiToken, Credential::EnvJwt, Credential::StoredAndCached] {
        for case in failing_cases(credential, failure) {
            // A fresh sandbox per run, so a logout or a dropped cache entry affects no later run.
            let sandbox = sandbox_for(credential, url, &token, &jwt);
            canary.run(&format!("{label}, {credential:?}"), &sandbox, &case, "");
        }
    }
    let sandbox = Sandbox::new();
    canary.run(label, &sandbox, &case(&["login", "--with-token", "--api-url", url], failure, false), &token);
    canary.finish();
    canary.assert_bearer_redacted("sdtoken list");
    canary
}

// --- success paths --------------------------------------------------------------------

/// Runs every command on its success path with the token stored in `store`.
fn check_success_stored(store: &str) {
    let (token, jwt) = canary_token();
    let mut canary = Canary::new(&[&token, &jwt]);
    let mut sandbox = if store == "keyring" { Sandbox::bare() } else { Sandbox::new() };
    sandbox.with_session_bus();
    let context = unique_name("canary");
    sandbox.set("SDTOKEN_CONTEXT", &context);
    let url = sdapi().url.clone();
    let name = unique_name("canary-made");
    let label = format!("stored in {store}");

    let login = case(&["login", "--with-token", "--store", store, "--api-url", &url], 0, false);
    canary.run(&label, &sandbox, &login, &token);
    for case in [
        case(&["status"], 0, false),
        case(&["status", "--verify"], 0, false),
        case(&["status", "--json"], 0, false),
        case(&["exchange"], 0, true),
        case(&["exchange", "--json"], 0, true),
        case(&["exchange", "--no-cache"], 0, true),
        case(&["env", "--shell", "sh"], 0, true),
        case(&["env", "--shell", "json"], 0, true),
        case(&["list"], 0, false),
        case(&["list", "--json"], 0, false),
        case(&["create", &name, "--description", "canary"], 0, true),
        case(&["update", &name, "--description", "canary renamed"], 0, false),
        case(&["refresh", &name, "--yes"], 0, true),
        case(&["delete", &name, "--yes"], 0, false),
        case(&["context", "list"], 0, false),
        case(&["context", "list", "--json"], 0, false),
    ] {
        canary.run(&label, &sandbox, &case, "");
    }
    let exec = canary.run(&label, &sandbox, &case(&["exec", "--", "sh", "-c", PRINT_TOKEN], 0, true), "");
    assert!(exec.stdout.starts_with(JWT_PREFIX), "the child of exec did not get the JWT");
    canary.run(&label, &sandbox, &case(&["logout"], 0, false), "");
    canary.finish();
    canary.assert_bearer_redacted("sdtoken list");
    canary.assert_bearer_redacted("sdtoken create");
}

#[test]
fn canary_success_file_store() {
    check_success_stored("file");
}

#[test]
fn canary_success_keyring_store() {
    check_success_stored("keyring");
}

#[test]
fn canary_success_env_credentials() {
    let (token, jwt) = canary_token();
    let mut canary = Canary::new(&[&token, &jwt, &sdapi().user_jwt]);
    let url = sdapi().url.clone();
    let variants: [(&str, Vec<(&str, &str)>); 3] = [
        ("SD_API_TOKEN", vec![("SD_API_TOKEN", token.as_str())]),
        ("SD_TOKEN", vec![("SD_TOKEN", sdapi().user_jwt.as_str())]),
        ("both", vec![("SD_API_TOKEN", token.as_str()), ("SD_TOKEN", jwt.as_str())]),
    ];
    for (label, vars) in variants {
        let mut sandbox = Sandbox::new();
        sandbox.set("SD_API_URL", &url);
        for (name, value) in vars {
            sandbox.set(name, value);
        }
        let name = unique_name("canary-env");
        for case in [
            case(&["status"], 0, false),
            case(&["status", "--verify"], 0, false),
            case(&["status", "--json"], 0, false),
            case(&["exchange"], 0, true),
            case(&["env", "--shell", "dotenv"], 0, true),
            case(&["exec", "--", "sh", "-c", PRINT_TOKEN], 0, true),
            case(&["list"], 0, false),
            case(&["create", &name], 0, true),
            case(&["update", &name, "--description", "canary"], 0, false),
            case(&["refresh", &name, "--yes"], 0, true),
            case(&["delete", &name, "--yes"], 0, false),
            case(&["context", "list"], 0, false),
            case(&["logout"], 0, false),
        ] {
            canary.run(label, &sandbox, &case, "");
        }
    }
    canary.finish();
    canary.assert_bearer_redacted("sdtoken list");
}

// --- failure paths --------------------------------------------------------------------

#[test]
fn canary_connection_refused() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    check_failing_server("connection refused", &format!("http://127.0.0.1:{port}"), NETWORK, &[]);
}

#[test]
fn canary_server_500() {
    let server = httpmock::MockServer::start();
    server.mock(|_when, then| {
        then.status(500).header("content-type", "application/json").body(
            r#"{"statusCode":500,"error":"Internal Server Error","message":"An internal server error occurred"}"#,
        );
    });
    check_failing_server("server 500", &server.base_url(), SERVER, &[]);
}

#[test]
fn canary_server_401() {
    let server = httpmock::MockServer::start();
    server.mock(|_when, then| {
        then.status(401)
            .header("content-type", "application/json")
            .body(r#"{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}"#);
    });
    check_failing_server("server 401", &server.base_url(), NOT_AUTHENTICATED, &[]);
}

#[test]
fn canary_server_echoes_credential() {
    let url = start_echo_server();
    let canary = check_failing_server("echoing server", &url, NOT_AUTHENTICATED, &[]);
    let echoed = canary.runs.iter().filter(|(_, run, _)| run.stderr.contains("Bearer <redacted>\"")).count();
    assert!(echoed > 0, "no run reported the echoed credential in redacted form");
}

#[test]
fn canary_wrong_api_token() {
    let wrong = wrong_token();
    let url = sdapi().url.clone();
    let mut canary = Canary::new(&[&wrong]);

    let mut sandbox = Sandbox::new();
    sandbox.set("SD_API_URL", &url).set("SD_API_TOKEN", &wrong);
    for case in failing_cases(Credential::EnvApiToken, NOT_AUTHENTICATED) {
        canary.run("wrong SD_API_TOKEN", &sandbox, &case, "");
    }
    for case in failing_cases(Credential::EnvApiToken, NOT_AUTHENTICATED) {
        let sandbox = Sandbox::new();
        seed_stored(&sandbox, &url, &wrong, None);
        canary.run("wrong stored token", &sandbox, &case, "");
    }
    let login = case(&["login", "--with-token", "--api-url", &url], NOT_AUTHENTICATED, false);
    canary.run("wrong token", &Sandbox::new(), &login, &wrong);
    canary.finish();
}

/// Starts a loopback server that answers every request with 401 and echoes the
/// request's `Authorization` header in the body and in a response header, as a
/// misbehaving proxy might. Returns its base URL; the thread ends with the test process.
fn start_echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer_with_echo(stream));
        }
    });
    url
}

fn answer_with_echo(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut authorization = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("authorization:") {
            authorization = line["authorization:".len()..].trim().to_string();
        } else if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    let _ = std::io::Read::read_exact(&mut reader, &mut body);
    let message = serde_json::json!({
        "statusCode": 401,
        "error": format!("Unauthorized {authorization}"),
        "message": format!("rejected \"{authorization}\""),
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nx-echo: {authorization}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{message}",
        message.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}
