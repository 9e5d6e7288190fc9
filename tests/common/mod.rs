//! Shared test helpers: a sandbox per test (its own config, data and runtime
//! directories and a scrubbed environment), the local real Screwdriver API
//! started by `scripts/test.sh`, and helpers that mint JWTs and seed data
//! through the harness in `tests/sdapi`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use assert_cmd::Command;
use tempfile::TempDir;

/// The local real Screwdriver API, from the `sdapi.env` file named by `SDTOKEN_SDAPI_ENV`.
pub struct SdApi {
    pub url: String,
    pub user: String,
    pub user_jwt: String,
    pub readonly_user: String,
    pub readonly_jwt: String,
    pub pipeline_id: u64,
    /// Every variable of `sdapi.env`, for the harness scripts.
    pub vars: HashMap<String, String>,
}

/// Returns the API started by `scripts/test.sh`; panics with the fix when it is not running.
pub fn sdapi() -> &'static SdApi {
    static API: OnceLock<SdApi> = OnceLock::new();
    API.get_or_init(|| {
        let path = std::env::var("SDTOKEN_SDAPI_ENV").unwrap_or_else(|_| {
            panic!("SDTOKEN_SDAPI_ENV is not set: run the suite with `bash scripts/test.sh`, which starts the local Screwdriver API")
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let vars: HashMap<String, String> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let get = |k: &str| vars.get(k).cloned().unwrap_or_else(|| panic!("{path} has no {k}"));
        SdApi {
            url: get("SDAPI_URL"),
            user: get("SDAPI_USER"),
            user_jwt: get("SDAPI_USER_JWT"),
            readonly_user: get("SDAPI_READONLY_USER"),
            readonly_jwt: get("SDAPI_READONLY_JWT"),
            pipeline_id: get("SDAPI_PIPELINE_ID").parse().expect("SDAPI_PIPELINE_ID is a number"),
            vars,
        }
    })
}

impl SdApi {
    /// Runs `node tests/sdapi/SCRIPT ARGS` with the harness environment; returns its stdout line.
    pub fn node(&self, script: &str, args: &[&str]) -> String {
        let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("sdapi");
        let output = std::process::Command::new("node")
            .arg(lab.join(script))
            .args(args)
            .envs(&self.vars)
            .output()
            .expect("node runs");
        assert!(output.status.success(), "{script} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    /// Mints a JWT with `mint-jwt.js`, e.g. `mint(&["user", "sdlab-user"])`.
    pub fn mint(&self, args: &[&str]) -> String {
        self.node("mint-jwt.js", args)
    }

    /// Seeds a row with `seed.js` and returns its id.
    pub fn seed(&self, args: &[&str]) -> String {
        self.node("seed.js", args)
    }

    /// Gets a build JWT issued by the server itself: a QUEUED build is seeded and its
    /// temporal JWT is exchanged at `POST /v4/builds/{id}/token`, as the launcher does.
    pub fn build_jwt(&self, build_timeout_minutes: i64) -> String {
        let pipeline = self.pipeline_id.to_string();
        let job = next_id().to_string();
        let build = self.seed(&["build", &job, "1"]);
        let temporal =
            self.mint(&["temporal", &build, "--pipeline-id", &pipeline, "--job-id", &job, "--event-id", "1"]);
        let reply = http()
            .post(format!("{}/v4/builds/{build}/token", self.url))
            .bearer_auth(temporal)
            .json(&serde_json::json!({ "buildTimeout": build_timeout_minutes }))
            .send()
            .expect("POST /v4/builds/{id}/token");
        assert_eq!(reply.status().as_u16(), 200, "build token: {}", reply.text().unwrap_or_default());
        reply.json::<serde_json::Value>().unwrap()["token"].as_str().unwrap().to_string()
    }

    /// Creates a user API token through the API with a minted JWT (what a user
    /// does once in the web UI) and returns `(id, value)`.
    pub fn create_user_token(&self, jwt: &str, name: &str) -> (u64, String) {
        self.create_token(jwt, "tokens", name)
    }

    /// Creates a pipeline API token through the API and returns `(id, value)`.
    pub fn create_pipeline_token(&self, jwt: &str, name: &str) -> (u64, String) {
        self.create_token(jwt, &format!("pipelines/{}/tokens", self.pipeline_id), name)
    }

    fn create_token(&self, jwt: &str, path: &str, name: &str) -> (u64, String) {
        let reply = http()
            .post(format!("{}/v4/{path}", self.url))
            .bearer_auth(jwt)
            .json(&serde_json::json!({ "name": name }))
            .send()
            .expect("POST tokens");
        assert_eq!(reply.status().as_u16(), 201, "create token: {}", reply.text().unwrap_or_default());
        let body: serde_json::Value = reply.json().unwrap();
        (body["id"].as_u64().unwrap(), body["value"].as_str().unwrap().to_string())
    }

    /// Lists the tokens the API returns for `path` (`tokens` or `pipelines/1/tokens`).
    pub fn list_tokens(&self, jwt: &str, path: &str) -> Vec<serde_json::Value> {
        let reply = http().get(format!("{}/v4/{path}", self.url)).bearer_auth(jwt).send().expect("GET tokens");
        assert_eq!(reply.status().as_u16(), 200);
        reply.json().unwrap()
    }
}

pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap()
}

/// Returns a number unique within this test process, for token names and ids.
pub fn next_id() -> u32 {
    static COUNTER: AtomicU32 = AtomicU32::new(1);
    std::process::id() % 100_000 * 1000 + COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// Returns a token name unique across test runs and tests: `PREFIX-<pid><n>`.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", next_id())
}

/// One test's private home: config, data, cache and runtime directories, and
/// the environment every sdtoken run in the test gets.
pub struct Sandbox {
    pub dir: TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    /// Creates a sandbox whose logins default to the file store, so tests need no keyring.
    pub fn new() -> Sandbox {
        let mut sandbox = Sandbox::bare();
        sandbox.set("SDTOKEN_STORE", "file");
        sandbox
    }

    /// Creates a sandbox with only PATH, HOME and the XDG directories set.
    pub fn bare() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let mut sandbox = Sandbox { dir, env: Vec::new() };
        sandbox.set("PATH", &std::env::var("PATH").unwrap_or_default());
        sandbox.set("HOME", root.join("home").to_str().unwrap());
        sandbox.set("XDG_CONFIG_HOME", root.join("config").to_str().unwrap());
        sandbox.set("XDG_DATA_HOME", root.join("data").to_str().unwrap());
        sandbox.set("XDG_CACHE_HOME", root.join("cache").to_str().unwrap());
        sandbox.set("XDG_RUNTIME_DIR", root.join("run").to_str().unwrap());
        sandbox
    }

    /// Sets (or replaces) a variable for every later run.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Sandbox {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn unset(&mut self, name: &str) -> &mut Sandbox {
        self.env.retain(|(k, _)| k != name);
        self
    }

    /// Passes the private Secret Service's D-Bus address through, when the suite has one.
    pub fn with_session_bus(&mut self) -> &mut Sandbox {
        if let Ok(address) = std::env::var("DBUS_SESSION_BUS_ADDRESS") {
            self.set("DBUS_SESSION_BUS_ADDRESS", &address);
        }
        self
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Builds the sdtoken command with a scrubbed environment: only the sandbox's variables.
    pub fn cmd(&self) -> Command {
        let mut command = Command::cargo_bin("sdtoken").unwrap();
        command.env_clear();
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs sdtoken with `args` and stdin, returning the output.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let output = self.cmd().args(args).write_stdin(stdin).output().unwrap();
        Run::from(output)
    }

    /// Logs in to the local API with `token` (file store unless the sandbox chose another).
    pub fn login(&self, token: &str) -> Run {
        let url = sdapi().url.clone();
        self.run(&["login", "--with-token", "--api-url", &url], token)
    }
}

/// The outcome of one run: exit code, stdout and stderr as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing both streams on failure.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Run {
        self.expect_code(0)
    }
}

/// `tests/sdapi/count-proxy.py` in front of the local API on a port of its own,
/// so one test can have several servers (URLs) backed by the same API. The log
/// has one `METHOD PATH STATUS` line per request.
pub struct CountingProxy {
    child: std::process::Child,
    pub url: String,
    log: PathBuf,
}

impl CountingProxy {
    /// Starts a proxy that logs to `log`; retries with another port if one is taken meanwhile.
    pub fn start(log: PathBuf) -> CountingProxy {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdapi/count-proxy.py");
        std::fs::write(&log, "").unwrap();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut child = std::process::Command::new("python3")
                .arg(&script)
                .arg(port.to_string())
                .arg(&sdapi().url)
                .arg(&log)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("python3 runs count-proxy.py");
            for _ in 0..400 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return CountingProxy { child, url: format!("http://127.0.0.1:{port}"), log };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("count-proxy.py did not start");
    }

    /// Returns every request so far, one `METHOD PATH STATUS` line each.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap().lines().map(str::to_string).collect()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        // Child::kill signals this proxy's own PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback listener that never responds: a connection to it means a request
/// was attempted. As `HTTPS_PROXY` it also catches requests to any other host.
pub struct Trap {
    listener: std::net::TcpListener,
}

impl Trap {
    pub fn new() -> Trap {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Trap { listener }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.listener.local_addr().unwrap().port())
    }

    /// Returns the proxy variables that send every request of a run to the trap.
    pub fn proxy_vars(&self) -> Vec<(&'static str, String)> {
        ["http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY"].into_iter().map(|k| (k, self.url())).collect()
    }

    /// Connections made so far; the kernel completes the handshake without `accept`.
    pub fn connections(&self) -> usize {
        let mut connections = 0;
        loop {
            match self.listener.accept() {
                Ok(_) => connections += 1,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return connections,
                Err(e) => panic!("accept failed: {e}"),
            }
        }
    }
}

/// Returns the account of a cached JWT: `jwt/` plus the first 16 bytes, in hex,
/// of SHA-256 over a fixed prefix, the normalised API URL and the API token.
/// It mirrors the key the binary computes, so tests can find cache entries.
pub fn jwt_account(url: &str, token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("sdtoken jwt cache v1\n{}\n{token}", url.trim_end_matches('/')));
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("jwt/{hex}")
}

/// Builds a JWT with `claims` and a signature no server made. sdtoken decodes a JWT
/// without checking its signature, so runs that never send it to a server can use it.
pub fn unsigned_jwt(claims: &serde_json::Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    format!("{header}.{}.c2lnbmF0dXJl", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// Builds an unsigned user JWT (username `tester`) that expires in an hour.
pub fn unsigned_user_jwt() -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    unsigned_jwt(&serde_json::json!({"username": "tester", "scope": ["user"], "exp": exp}))
}

/// Waits for `needle` on a pseudo-terminal and returns the output up to and including it.
pub fn expect_text(session: &mut expectrl::Session, needle: &str) -> String {
    let found = session.expect(needle).unwrap_or_else(|e| panic!("waiting for `{needle}`: {e}"));
    let mut text = String::from_utf8_lossy(found.before()).into_owned();
    text.push_str(needle);
    text
}
