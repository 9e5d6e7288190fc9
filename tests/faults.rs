//! Server faults the real Screwdriver API cannot be made to produce on demand.
//! Retries run against a scripted loopback server (502, 503, 429 with
//! `Retry-After`, lost replies). A fault matrix runs against httpmock (refused
//! connections, timeouts, 5xx, HTML, truncated and empty bodies, 401, 403, 404,
//! 409) and checks that the stored token and the cached JWT survive.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{Sandbox, unsigned_user_jwt};

/// One scripted reply: status, extra headers and body. `None` as status means
/// "accept the request and never answer".
struct Scripted {
    status: Option<u16>,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

fn reply(status: u16, body: &'static str) -> Scripted {
    Scripted { status: Some(status), headers: Vec::new(), body }
}

/// A server that replies to requests in order from a script and records each
/// request line. Requests beyond the script get 500.
struct ScriptServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ScriptServer {
    fn start(script: Vec<Scripted>) -> ScriptServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        thread::spawn(move || {
            let mut script = script.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let next = script.next().unwrap_or_else(|| reply(500, "{}"));
                serve(stream, next, &seen);
            }
        });
        ScriptServer { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, scripted: Scripted, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
        if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    seen.lock().unwrap().push(line.trim().to_string());
    let Some(status) = scripted.status else {
        thread::sleep(Duration::from_secs(30));
        return;
    };
    let mut text = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\nconnection: close\r\n");
    for (name, value) in &scripted.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("content-length: {}\r\n\r\n{}", scripted.body.len(), scripted.body));
    let mut stream = stream;
    let _ = stream.write_all(text.as_bytes());
}

fn sandbox_for(server: &ScriptServer) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_TOKEN", &unsigned_user_jwt()).set("SD_API_URL", &server.url());
    sandbox
}

const LIST: &str = r#"[{"id":1,"name":"a","lastUsed":""}]"#;

#[test]
fn get_retries_after_502_and_503() {
    let server = ScriptServer::start(vec![reply(502, "<html>bad gateway</html>"), reply(503, "{}"), reply(200, LIST)]);
    let run = sandbox_for(&server).run(&["list"], "");
    run.success();
    assert_eq!(run.stdout, "1\ta\t\tnever\n");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn get_gives_up_after_three_attempts() {
    let server = ScriptServer::start(vec![reply(503, "{}"), reply(503, "{}"), reply(503, "{}"), reply(200, LIST)]);
    let run = sandbox_for(&server).run(&["list"], "");
    run.expect_code(9);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("(after 3 attempts)"), "{}", run.stderr);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn rate_limit_honours_retry_after() {
    let limited = Scripted { status: Some(429), headers: vec![("retry-after", "1")], body: "{}" };
    let server = ScriptServer::start(vec![limited, reply(200, LIST)]);
    let started = std::time::Instant::now();
    sandbox_for(&server).run(&["list"], "").success();
    assert!(started.elapsed() >= Duration::from_secs(1), "the retry came before Retry-After");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn unavailable_honours_retry_after() {
    let unavailable = Scripted { status: Some(503), headers: vec![("retry-after", "1")], body: "{}" };
    let server = ScriptServer::start(vec![unavailable, reply(200, LIST)]);
    let started = std::time::Instant::now();
    sandbox_for(&server).run(&["list"], "").success();
    assert!(started.elapsed() >= Duration::from_secs(1), "the retry came before Retry-After");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn long_retry_after_fails_at_once() {
    let limited = Scripted { status: Some(429), headers: vec![("retry-after", "3600")], body: "{}" };
    let server = ScriptServer::start(vec![limited, reply(200, LIST)]);
    let run = sandbox_for(&server).run(&["list"], "");
    run.expect_code(9);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn create_is_never_retried() {
    let server = ScriptServer::start(vec![reply(503, "{}"), reply(201, "{}")]);
    let run = sandbox_for(&server).run(&["create", "ci-bot"], "");
    run.expect_code(9);
    assert!(run.stdout.is_empty());
    assert_eq!(server.requests(), ["POST /v4/tokens HTTP/1.1"]);
}

#[test]
fn refresh_is_never_retried() {
    let server = ScriptServer::start(vec![reply(502, "{}"), reply(200, "{}")]);
    let run = sandbox_for(&server).run(&["refresh", "7", "--yes"], "");
    run.expect_code(9);
    assert_eq!(server.requests(), ["PUT /v4/tokens/7/refresh HTTP/1.1"]);
}

#[test]
fn delete_retry_that_finds_404_succeeds() {
    let not_found = r#"{"statusCode":404,"error":"Not Found","message":"Token does not exist."}"#;
    let server = ScriptServer::start(vec![reply(503, "{}"), reply(404, not_found)]);
    let run = sandbox_for(&server).run(&["delete", "7", "--yes"], "");
    run.success();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn delete_404_without_retry_is_not_found() {
    let not_found = r#"{"statusCode":404,"error":"Not Found","message":"Token does not exist."}"#;
    let server = ScriptServer::start(vec![reply(404, not_found)]);
    let run = sandbox_for(&server).run(&["delete", "7", "--yes"], "");
    run.expect_code(6);
    assert!(run.stderr.contains("Token does not exist"), "{}", run.stderr);
}

#[test]
fn bad_request_after_local_checks_exits_1() {
    let body = r#"{"statusCode":400,"error":"Bad Request","message":"Invalid request payload input"}"#;
    let server = ScriptServer::start(vec![reply(400, body)]);
    sandbox_for(&server).run(&["create", "ok-name"], "").expect_code(1);
}

#[test]
fn unanswered_request_times_out_with_exit_8() {
    let silent = || Scripted { status: None, headers: Vec::new(), body: "" };
    let server = ScriptServer::start(vec![silent(), silent(), silent()]);
    let run = sandbox_for(&server).run(&["--timeout", "1", "create", "slow"], "");
    run.expect_code(8);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

// --- the fault matrix with a stored API token and a cached JWT ---
//
// Each row logs in with the file store, so the API token and the JWT cache live
// in one file. Then the server fails one way, and the row checks the exit code,
// that stdout is empty, that the message names the failure, and what is left.
// A transient failure leaves the stored token and the cached JWT byte for byte.
// A rejected credential may drop the cached JWT, but never the stored token.

const API_TOKEN: &str = "fault-matrix-api-token-6d1e";

fn json_reply(status: u16, error: &str, message: &str) -> String {
    serde_json::json!({ "statusCode": status, "error": error, "message": message }).to_string()
}

/// Logs a new sandbox in to `url`, whose server must serve the exchange.
fn logged_in_at(url: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.run(&["login", "--with-token", "--api-url", url], API_TOKEN).success();
    sandbox
}

/// Logs in through `server`, then removes its exchange mock.
fn logged_in(server: &httpmock::MockServer) -> Sandbox {
    let mut exchange = server.mock(|when, then| {
        when.method("GET").path("/v4/auth/token");
        then.status(200)
            .header("content-type", "application/json")
            .body(format!(r#"{{"token":"{}"}}"#, unsigned_user_jwt()));
    });
    let sandbox = logged_in_at(&server.base_url());
    exchange.assert_calls(1);
    exchange.delete();
    sandbox
}

fn secrets(sandbox: &Sandbox) -> Vec<u8> {
    std::fs::read(sandbox.path("data/sdtoken/secrets.json")).expect("the file store exists")
}

/// Reads the stored API token of the default context from the file store.
fn stored_token(sandbox: &Sandbox) -> Option<String> {
    let file: serde_json::Value = serde_json::from_slice(&secrets(sandbox)).unwrap();
    let entries = file["entries"].as_object().unwrap();
    entries.iter().find(|(account, _)| !account.starts_with("jwt/")).and_then(|(_, v)| v.as_str()).map(str::to_string)
}

/// One row: the failure is set up on `server` by `arrange`, then `args` run.
struct Row {
    name: &'static str,
    args: &'static [&'static str],
    arrange: fn(&httpmock::MockServer),
    code: i32,
    names: &'static [&'static str],
    /// True when the failure is transient: the file store must be unchanged.
    transient: bool,
}

fn check_row(row: &Row) {
    let server = httpmock::MockServer::start();
    let sandbox = logged_in(&server);
    let before = secrets(&sandbox);
    (row.arrange)(&server);
    let run = sandbox.run(row.args, "");
    assert_eq!(run.code, row.code, "{}: exit code\n{}", row.name, run.stderr);
    assert!(run.stdout.is_empty(), "{}: stdout: {}", row.name, run.stdout);
    for needle in row.names {
        assert!(run.stderr.contains(needle), "{}: `{needle}` missing from:\n{}", row.name, run.stderr);
    }
    assert!(run.stderr.starts_with("sdtoken: error: "), "{}: {}", row.name, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains(API_TOKEN), "{}: the API token was shown", row.name);
    if row.transient {
        assert_eq!(secrets(&sandbox), before, "{}: the stored token or cached JWT changed", row.name);
    }
    assert_eq!(stored_token(&sandbox).as_deref(), Some(API_TOKEN), "{}: the stored token is gone", row.name);
}

fn tokens_reply(server: &httpmock::MockServer, status: u16, content_type: &str, body: &str) {
    let (content_type, body) = (content_type.to_string(), body.to_string());
    server.mock(move |when, then| {
        when.method("GET").path("/v4/tokens");
        then.status(status).header("content-type", content_type).body(body);
    });
}

const MATRIX: &[Row] = &[
    Row {
        name: "server never answers",
        args: &["--timeout", "1", "list"],
        arrange: |s| {
            s.mock(|when, then| {
                when.method("GET").path("/v4/tokens");
                then.status(200).delay(Duration::from_secs(5)).body(LIST);
            });
        },
        code: 8,
        names: &["timed out", "--timeout SECS"],
        transient: true,
    },
    Row {
        name: "500",
        args: &["list"],
        arrange: |s| {
            tokens_reply(
                s,
                500,
                "application/json",
                r#"{"statusCode":500,"error":"Internal Server Error","message":"db down"}"#,
            )
        },
        code: 9,
        names: &["500", "db down", "the server failed"],
        transient: true,
    },
    Row {
        name: "502",
        args: &["list"],
        arrange: |s| tokens_reply(s, 502, "text/html", "<html><body>Bad Gateway</body></html>"),
        code: 9,
        names: &["502", "HTML page", "(after 3 attempts)"],
        transient: true,
    },
    Row {
        name: "503",
        args: &["list"],
        arrange: |s| tokens_reply(s, 503, "application/json", "{}"),
        code: 9,
        names: &["503", "gives no message", "(after 3 attempts)"],
        transient: true,
    },
    Row {
        name: "429 with Retry-After",
        args: &["list"],
        arrange: |s| {
            s.mock(|when, then| {
                when.method("GET").path("/v4/tokens");
                then.status(429).header("retry-after", "1").body("{}");
            });
        },
        code: 9,
        names: &["429", "(after 3 attempts)", "rate limiting"],
        transient: true,
    },
    Row {
        name: "an HTML login page instead of JSON",
        args: &["list"],
        arrange: |s| tokens_reply(s, 200, "text/html", "<!DOCTYPE html>\n<html><form action=\"/sso\"></form></html>"),
        code: 9,
        names: &["HTML page", "login page or a proxy"],
        transient: true,
    },
    Row {
        name: "truncated JSON",
        args: &["list"],
        arrange: |s| tokens_reply(s, 200, "application/json", r#"[{"id":1,"name":"a","last"#),
        code: 9,
        names: &["cut short"],
        transient: true,
    },
    Row {
        name: "empty 200",
        args: &["list"],
        arrange: |s| tokens_reply(s, 200, "application/json", ""),
        code: 9,
        names: &["empty"],
        transient: true,
    },
    Row {
        name: "401 Expired token",
        args: &["list"],
        arrange: |s| {
            // The cached JWT is rejected, one fresh exchange succeeds, and the retry is rejected too.
            tokens_reply(s, 401, "application/json", &json_reply(401, "Unauthorized", "Expired token"));
            s.mock(|when, then| {
                when.method("GET").path("/v4/auth/token");
                then.status(200).body(format!(r#"{{"token":"{}"}}"#, unsigned_user_jwt()));
            });
        },
        code: 4,
        names: &["401", "Expired token", "sdtoken login"],
        transient: false,
    },
    Row {
        name: "401 Bad token",
        args: &["list"],
        arrange: |s| {
            // The cached JWT is rejected, and so is the stored API token on exchange.
            tokens_reply(s, 401, "application/json", &json_reply(401, "Unauthorized", "Bad token"));
            s.mock(|when, then| {
                when.method("GET").path("/v4/auth/token");
                then.status(401).body(json_reply(401, "Unauthorized", "Bad token"));
            });
        },
        code: 4,
        names: &["rejected", "Bad token"],
        transient: false,
    },
    Row {
        name: "403 Insufficient scope",
        args: &["list"],
        arrange: |s| tokens_reply(s, 403, "application/json", &json_reply(403, "Forbidden", "Insufficient scope")),
        code: 5,
        names: &["403", "Insufficient scope", "`sdtoken status`"],
        transient: true,
    },
    Row {
        name: "404",
        args: &["delete", "7", "--yes"],
        arrange: |s| {
            s.mock(|when, then| {
                when.method("DELETE").path("/v4/tokens/7");
                then.status(404).body(json_reply(404, "Not Found", "Token does not exist"));
            });
        },
        code: 6,
        names: &["404", "Token does not exist", "sdtoken list"],
        transient: true,
    },
    Row {
        name: "409",
        args: &["create", "taken"],
        arrange: |s| {
            s.mock(|when, then| {
                when.method("POST").path("/v4/tokens");
                then.status(409).body(json_reply(409, "Conflict", "Token with name taken already exists"));
            });
        },
        code: 7,
        names: &["409", "already exists", "choose another name"],
        transient: true,
    },
];

#[test]
fn fault_matrix_keeps_stored_token_and_cache() {
    let rows: Vec<_> = MATRIX.iter().map(|row| thread::spawn(move || check_row(row))).collect();
    let failed: Vec<_> = rows.into_iter().zip(MATRIX).filter_map(|(h, row)| h.join().err().map(|_| row.name)).collect();
    assert!(failed.is_empty(), "failed rows: {failed:?}");
}

#[test]
fn refused_connection_keeps_stored_token_and_cache() {
    // A one-shot server serves the login's exchange, then closes its port.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let body = format!(r#"{{"token":"{}"}}"#, unsigned_user_jwt());
    let once = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let seen = Mutex::new(Vec::new());
        let leaked: &'static str = Box::leak(body.into_boxed_str());
        serve(stream, reply(200, leaked), &seen);
    });
    let sandbox = logged_in_at(&url);
    once.join().unwrap();
    let before = secrets(&sandbox);
    let run = sandbox.run(&["list"], "");
    run.expect_code(8);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("could not connect"), "{}", run.stderr);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
    assert!(run.stderr.contains("(after 3 attempts)"), "{}", run.stderr);
    assert!(run.stderr.contains("that the server is up"), "{}", run.stderr);
    assert_eq!(secrets(&sandbox), before);
}

#[test]
fn failed_exchange_keeps_a_valid_cached_jwt() {
    // `exchange --no-cache` sends a request even though the cache contains a valid JWT,
    // and a server failure must not cost that JWT.
    let server = httpmock::MockServer::start();
    let sandbox = logged_in(&server);
    let before = secrets(&sandbox);
    let failing = server.mock(|when, then| {
        when.method("GET").path("/v4/auth/token");
        then.status(503).body("{}");
    });
    let run = sandbox.run(&["exchange", "--no-cache"], "");
    run.expect_code(9);
    assert!(run.stdout.is_empty());
    failing.assert_calls(3);
    assert_eq!(secrets(&sandbox), before);
    let cached = sandbox.run(&["exchange"], "");
    cached.success();
    failing.assert_calls(3);
}
