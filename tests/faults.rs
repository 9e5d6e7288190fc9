//! Fault matrix against a scripted loopback HTTP server: the failures a real
//! Screwdriver API cannot be made to produce on demand (502, 503, 429 with
//! `Retry-After`, non-JSON bodies, lost replies, timeouts, refused connections).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Sandbox;

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

/// Builds a user JWT that expires in an hour; sdtoken does not check its signature.
fn user_jwt() -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"username":"tester","scope":["user"],"exp":{exp}}}"#));
    format!("{header}.{payload}.c2ln")
}

fn sandbox_for(server: &ScriptServer) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_TOKEN", &user_jwt()).set("SD_API_URL", &server.url());
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
fn server_error_exits_9_with_message() {
    let body = r#"{"statusCode":500,"error":"Internal Server Error","message":"db down"}"#;
    let server = ScriptServer::start(vec![reply(500, body)]);
    let run = sandbox_for(&server).run(&["list"], "");
    run.expect_code(9);
    assert!(run.stderr.contains("db down"), "{}", run.stderr);
    assert!(run.stderr.starts_with("sdtoken: error: "), "{}", run.stderr);
}

#[test]
fn non_json_success_body_exits_9() {
    let server = ScriptServer::start(vec![reply(200, "<html>login page</html>")]);
    let run = sandbox_for(&server).run(&["list"], "");
    run.expect_code(9);
    assert!(run.stdout.is_empty());
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

#[test]
fn refused_connection_exits_8() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_TOKEN", &user_jwt()).set("SD_API_URL", &format!("http://127.0.0.1:{port}"));
    let run = sandbox.run(&["list"], "");
    run.expect_code(8);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}
