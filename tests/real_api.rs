//! Conformance of the token lifecycle against the real local Screwdriver API,
//! through the built binary. The tests cover user and pipeline tokens from
//! create to delete, the exchange and its cache, the retry after a rejected
//! cached JWT, `--save`, input checks, confirmations, exit codes and which
//! stream carries what.
//!
//! Request counts come from `tests/sdapi/count-proxy.py`, started per test on a
//! free loopback port in front of the API.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread::sleep;
use std::time::Duration;

use base64::Engine as _;
use common::{Run, Sandbox, Trap, next_id, sdapi, unique_name};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Helpers

/// `tests/sdapi/count-proxy.py` in front of the API: one log line per request,
/// `METHOD PATH STATUS`, plus `API_TOKEN_IN_QUERY` when the URL held `api_token`.
struct CountProxy {
    child: Child,
    url: String,
    log: PathBuf,
}

impl CountProxy {
    fn start(sandbox: &Sandbox) -> CountProxy {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdapi/count-proxy.py");
        let log = sandbox.path("requests.log");
        std::fs::write(&log, "").unwrap();
        // Another process may take the port between the probe and the bind; then the
        // proxy exits and the next port is tried.
        for _ in 0..5 {
            let port = free_port();
            let mut child = std::process::Command::new("python3")
                .arg(&script)
                .arg(port.to_string())
                .arg(&sdapi().url)
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("python3 runs count-proxy.py");
            if wait_until_listening(&mut child, port) {
                return CountProxy { child, url: format!("http://127.0.0.1:{port}"), log };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("count-proxy.py did not start");
    }

    /// Returns every request so far, one `METHOD PATH STATUS[ FLAG]` line each.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap().lines().map(str::to_string).collect()
    }

    /// Returns the requests made after the first `since` ones.
    fn requests_since(&self, since: usize) -> Vec<String> {
        self.requests().into_iter().skip(since).collect()
    }
}

impl Drop for CountProxy {
    fn drop(&mut self) {
        // Child::kill signals this child's own PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls until `port` accepts connections; false when the child exited first.
fn wait_until_listening(child: &mut Child, port: u16) -> bool {
    for _ in 0..400 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        sleep(Duration::from_millis(25));
    }
    false
}

/// Counts the `lines` that start with `prefix`, such as `GET /v4/auth/token`.
fn count(lines: &[String], prefix: &str) -> usize {
    lines.iter().filter(|l| l.starts_with(prefix)).count()
}

/// Runs sdtoken in `sandbox` with extra variables for this run only.
fn run_with(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = sandbox.cmd();
    for (name, value) in vars {
        command.env(name, value);
    }
    Run::from(command.args(args).write_stdin("").output().unwrap())
}

/// `exchange` of `value` through `SD_API_TOKEN`, against `url`.
fn exchange_value(sandbox: &Sandbox, value: &str, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["exchange", "--api-url", url];
    args.extend_from_slice(extra);
    run_with(sandbox, &[("SD_API_TOKEN", value)], &args)
}

/// Asserts a failure: the exit code, an empty stdout, and stderr containing each of `needles`.
#[track_caller]
fn expect_failure(run: &Run, code: i32, needles: &[&str]) {
    run.expect_code(code);
    assert_eq!(run.stdout, "", "stdout must be empty on error\nstderr:\n{}", run.stderr);
    for needle in needles {
        assert!(run.stderr.contains(needle), "stderr lacks `{needle}`:\n{}", run.stderr);
    }
}

/// Asserts that stdout is exactly one line and returns it.
#[track_caller]
fn single_line(run: &Run) -> String {
    run.success();
    assert!(run.stdout.ends_with('\n'), "stdout does not end with a newline: {:?}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout is not one line: {:?}", run.stdout);
    lines[0].to_string()
}

/// Asserts that `run` printed a new token value (43 base64url characters) and nothing else.
#[track_caller]
fn printed_value(run: &Run) -> String {
    let value = single_line(run);
    assert_eq!(value.len(), 43, "not a token value: {value}");
    assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "not base64url: {value}");
    value
}

/// Decodes the claims of a JWT without checking the signature.
fn claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {jwt}");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url payload");
    serde_json::from_slice(&payload).expect("JSON claims")
}

/// The API path of the owner's token collection: `tokens` or `pipelines/ID/tokens`.
fn collection(pipeline: Option<u64>) -> String {
    match pipeline {
        None => "tokens".to_string(),
        Some(id) => format!("pipelines/{id}/tokens"),
    }
}

/// The token with `id` as the API lists it, if it exists.
fn api_token(pipeline: Option<u64>, id: u64) -> Option<Value> {
    let api = sdapi();
    api.list_tokens(&api.user_jwt, &collection(pipeline)).into_iter().find(|t| t["id"].as_u64() == Some(id))
}

fn api_names(pipeline: Option<u64>) -> Vec<String> {
    let api = sdapi();
    let list = api.list_tokens(&api.user_jwt, &collection(pipeline));
    list.iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

/// The server's `lastUsed` of a user token: empty until its first exchange.
fn last_used(id: u64) -> String {
    let token = api_token(None, id).expect("the token exists");
    token["lastUsed"].as_str().unwrap().to_string()
}

/// Deletes a token through the API, as another client would.
fn api_delete(pipeline: Option<u64>, id: u64) {
    let api = sdapi();
    let reply = common::http()
        .delete(format!("{}/v4/{}/{id}", api.url, collection(pipeline)))
        .bearer_auth(&api.user_jwt)
        .send()
        .expect("DELETE token");
    assert_eq!(reply.status().as_u16(), 204, "delete token {id}: {}", reply.text().unwrap_or_default());
}

/// A sandbox logged in to `url` with a new user token; returns the token's id and value.
fn logged_in(sandbox: &Sandbox, url: &str, prefix: &str) -> (u64, String) {
    let api = sdapi();
    let (id, value) = api.create_user_token(&api.user_jwt, &unique_name(prefix));
    let login = sandbox.run(&["login", "--with-token", "--api-url", url], &value);
    login.success();
    assert_eq!(login.stdout, "", "login prints nothing on stdout");
    (id, value)
}

/// The file store's entries (`$XDG_DATA_HOME/sdtoken/secrets.json`).
fn secrets(sandbox: &Sandbox) -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(secrets_path(sandbox)).unwrap();
    let contents: Value = serde_json::from_str(&text).unwrap();
    contents["entries"].as_object().unwrap().clone()
}

fn secrets_path(sandbox: &Sandbox) -> PathBuf {
    sandbox.path("data/sdtoken/secrets.json")
}

/// The key of the single cached JWT in the file store (`jwt/<fingerprint>`).
fn cached_jwt_key(sandbox: &Sandbox) -> Option<String> {
    let keys: Vec<String> = secrets(sandbox).keys().filter(|k| k.starts_with("jwt/")).cloned().collect();
    assert!(keys.len() <= 1, "several cached JWTs: {keys:?}");
    keys.into_iter().next()
}

/// Replaces the cached JWT in the file store with `jwt`.
fn overwrite_cached_jwt(sandbox: &Sandbox, jwt: &str) {
    let key = cached_jwt_key(sandbox).expect("a cached JWT");
    let mut entries = secrets(sandbox);
    entries.insert(key, Value::String(jwt.to_string()));
    let text = serde_json::to_string(&serde_json::json!({ "entries": entries })).unwrap();
    std::fs::write(secrets_path(sandbox), text).unwrap();
}

/// A user JWT for the seeded user that expires in 2 hours but is signed with a
/// freshly generated key, so the server responds with 401 `Invalid token`.
fn foreign_key_jwt(sandbox: &Sandbox) -> String {
    let key = sandbox.path("foreign.pem");
    let status = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl genrsa failed");
    let api = sdapi();
    api.mint(&["user", &api.user, "--minutes", "120", "--key", key.to_str().unwrap()])
}

/// Finds token `id` in `list --json` output and checks its keys against the documented set.
#[track_caller]
fn json_item(list: &Value, id: u64) -> Value {
    let item = list.as_array().expect("a JSON array").iter().find(|t| t["id"].as_u64() == Some(id)).cloned();
    let item = item.unwrap_or_else(|| panic!("token {id} is not in {list}"));
    let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["description", "id", "last_used", "last_used_epoch", "name", "pipeline_id"]);
    item
}

/// Finds the tab-separated row of token `id` in non-TTY `list` output.
#[track_caller]
fn table_row(stdout: &str, id: u64) -> String {
    let prefix = format!("{id}\t");
    let row = stdout.lines().find(|l| l.starts_with(&prefix));
    row.unwrap_or_else(|| panic!("no row for token {id} in:\n{stdout}")).to_string()
}

fn epoch_of(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp()
}

// ---------------------------------------------------------------------------
// The whole lifecycle, for user tokens and for pipeline tokens

/// Creates, lists, updates, refreshes and deletes one token of `pipeline`'s
/// owner, checking the server's view, exit codes and streams at each step.
fn token_lifecycle(pipeline: Option<u64>) {
    let api = sdapi();
    let url = api.url.as_str();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, url, "life-login");
    let pipeline_text = pipeline.map(|p| p.to_string());
    let owner: Vec<&str> = match &pipeline_text {
        Some(p) => vec!["--pipeline", p],
        None => vec![],
    };
    let with_owner =
        |args: &[&str]| -> Vec<String> { args.iter().chain(owner.iter()).map(|s| s.to_string()).collect() };
    let run = |args: Vec<String>| -> Run {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sandbox.run(&args, "")
    };

    // create: the value alone on stdout, the notice on stderr
    let name = unique_name("life");
    let created = run(with_owner(&["create", &name, "--description", "first"]));
    let first_value = printed_value(&created);
    assert!(created.stderr.contains("Created token"), "{}", created.stderr);
    assert!(!created.stderr.contains(&first_value), "the value leaked to stderr");
    let server = api.list_tokens(&api.user_jwt, &collection(pipeline));
    let id = server.iter().find(|t| t["name"] == name.as_str()).expect("the server lists the new token")["id"]
        .as_u64()
        .unwrap();

    // list: tab-separated rows without a header or box drawing
    let listed = run(with_owner(&["list"]));
    listed.success();
    assert_eq!(table_row(&listed.stdout, id), format!("{id}\t{name}\tfirst\tnever"));
    assert!(!listed.stdout.lines().any(|l| l.starts_with("ID\t")), "header on a non-TTY:\n{}", listed.stdout);
    assert!(!listed.stdout.contains('│'), "box drawing on a non-TTY:\n{}", listed.stdout);
    assert!(!listed.stdout.contains('─'), "box drawing on a non-TTY:\n{}", listed.stdout);

    // list --json: the documented schema
    let listed = run(with_owner(&["list", "--json"]));
    listed.success();
    let item = json_item(&serde_json::from_str(&listed.stdout).unwrap(), id);
    assert_eq!(item["name"], name.as_str());
    assert_eq!(item["description"], "first");
    assert_eq!(item["pipeline_id"], pipeline.map_or(Value::Null, Value::from));
    assert_eq!(item["last_used"], Value::Null);
    assert_eq!(item["last_used_epoch"], Value::Null);

    // update by name: nothing on stdout
    let new_name = unique_name("life-renamed");
    let updated = run(with_owner(&["update", &name, "--name", &new_name, "--description", "second"]));
    updated.success();
    assert_eq!(updated.stdout, "");
    assert!(updated.stderr.contains("Updated token"), "{}", updated.stderr);
    let server = api_token(pipeline, id).expect("still there after update");
    assert_eq!(server["name"], new_name.as_str());
    assert_eq!(server["description"], "second");

    // refresh by id: the new value alone on stdout
    let refreshed = run(with_owner(&["refresh", &id.to_string(), "--yes"]));
    let second_value = printed_value(&refreshed);
    assert_ne!(second_value, first_value);
    assert!(!refreshed.stderr.contains(&second_value), "the value leaked to stderr");
    assert!(refreshed.stderr.contains("Refreshed token"), "{}", refreshed.stderr);

    // the old value no longer exchanges, the new one does
    let old = exchange_value(&sandbox, &first_value, url, &[]);
    expect_failure(&old, 4, &["rejected"]);
    assert!(!old.stderr.contains(&first_value), "the API token leaked to stderr");
    let exchanged = exchange_value(&sandbox, &second_value, url, &[]);
    let jwt = single_line(&exchanged);
    assert!(!exchanged.stderr.contains(&jwt), "the JWT leaked to stderr");
    let expected_scope = if pipeline.is_some() { "pipeline" } else { "user" };
    assert_eq!(claims(&jwt)["scope"], serde_json::json!([expected_scope]));
    if let Some(pipeline) = pipeline {
        assert_eq!(claims(&jwt)["pipelineId"], pipeline);
    }

    // list --json after the exchange: last used as RFC 3339 and epoch, matching the server
    let listed = run(with_owner(&["list", "--json"]));
    listed.success();
    let item = json_item(&serde_json::from_str(&listed.stdout).unwrap(), id);
    let server_used = api_token(pipeline, id).unwrap()["lastUsed"].as_str().unwrap().to_string();
    assert!(!server_used.is_empty(), "the exchange did not set lastUsed");
    assert_eq!(item["last_used_epoch"], epoch_of(&server_used));
    assert_eq!(epoch_of(item["last_used"].as_str().unwrap()), epoch_of(&server_used));
    assert!(item["last_used"].as_str().unwrap().ends_with('Z'), "not UTC: {}", item["last_used"]);

    // delete by the new name: nothing on stdout, gone on the server
    let deleted = run(with_owner(&["delete", &new_name, "--yes"]));
    deleted.success();
    assert_eq!(deleted.stdout, "");
    assert!(deleted.stderr.contains("Deleted token"), "{}", deleted.stderr);
    assert!(api_token(pipeline, id).is_none(), "token {id} still exists");

    // the deleted value no longer exchanges; the failure also drops its cached JWT
    let gone = exchange_value(&sandbox, &second_value, url, &["--no-cache"]);
    expect_failure(&gone, 4, &["rejected"]);
    let gone = exchange_value(&sandbox, &second_value, url, &[]);
    expect_failure(&gone, 4, &["rejected"]);
}

#[test]
fn user_token_lifecycle() {
    token_lifecycle(None);
}

#[test]
fn pipeline_token_lifecycle() {
    token_lifecycle(Some(sdapi().pipeline_id));
}

#[test]
fn pipeline_token_exchanges_to_pipeline_scope() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let (_, value) = api.create_pipeline_token(&api.user_jwt, &unique_name("scope"));

    let status = run_with(&sandbox, &[("SD_API_TOKEN", &value)], &["status", "--json", "--api-url", &api.url]);
    status.success();
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["scope"], "pipeline");
    assert_eq!(report["pipeline_id"], api.pipeline_id);
    assert_eq!(report["source"], "SD_API_TOKEN");
    assert_eq!(report["valid"], true);
}

#[test]
fn token_argument_all_digits_needs_by_name() {
    let sandbox = Sandbox::new();
    let url = sdapi().url.as_str();
    logged_in(&sandbox, url, "digits-login");
    // Nine digits: far above any id the test server hands out.
    let name = format!("{}", 900_000_000 + next_id() % 100_000_000);
    sandbox.run(&["create", &name], "").success();

    let as_id = sandbox.run(&["update", &name, "--description", "by id"], "");
    expect_failure(&as_id, 6, &[&format!("/v4/tokens/{name}")]);

    let by_name = sandbox.run(&["update", &name, "--by-name", "--description", "by name"], "");
    by_name.success();
    let listed = sandbox.run(&["list", "--json"], "");
    let list: Value = serde_json::from_str(&listed.stdout).unwrap();
    let item = list.as_array().unwrap().iter().find(|t| t["name"] == name.as_str()).expect("listed").clone();
    assert_eq!(item["description"], "by name");

    sandbox.run(&["delete", &name, "--by-name", "--yes"], "").success();
    assert!(!api_names(None).contains(&name), "the digit-named token still exists");
}

// ---------------------------------------------------------------------------
// Deleting every token of a pipeline

#[test]
fn delete_all_removes_each_pipeline_token() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "all-login");
    // A pipeline of this test alone, so no other test's tokens are deleted. The
    // fake GitHub serves one repository, so the pipeline reuses it with its own
    // root directory in the SCM URI.
    let root = format!("123456:main:sdtoken-delete-all-{}", next_id());
    let pipeline: u64 = api.seed(&["pipeline", &root, "sdlab/demo", &api.user]).parse().unwrap();
    let pipeline_text = pipeline.to_string();
    for n in 0..3 {
        sandbox.run(&["create", &format!("all-{n}"), "--pipeline", &pipeline_text], "").success();
    }
    assert_eq!(api_names(Some(pipeline)).len(), 3);

    let before = proxy.requests().len();
    let deleted = sandbox.run(&["delete", "--all", "--pipeline", &pipeline_text, "--yes"], "");
    deleted.success();
    assert_eq!(deleted.stdout, "");
    assert_eq!(deleted.stderr.matches("Deleted token").count(), 3, "{}", deleted.stderr);

    assert!(api_names(Some(pipeline)).is_empty(), "tokens remain: {:?}", api_names(Some(pipeline)));
    let requests = proxy.requests_since(before);
    let one_by_one = format!("DELETE /v4/pipelines/{pipeline}/tokens/");
    assert_eq!(count(&requests, &one_by_one), 3, "{requests:?}");
    let bulk = format!("DELETE /v4/pipelines/{pipeline}/tokens ");
    assert_eq!(count(&requests, &bulk), 0, "the bulk route was used: {requests:?}");

    let again = sandbox.run(&["delete", "--all", "--pipeline", &pipeline_text, "--yes"], "");
    again.success();
    assert!(again.stderr.contains("Nothing to delete"), "{}", again.stderr);
}

// ---------------------------------------------------------------------------
// Server errors and their exit codes

#[test]
fn duplicate_name_exits_7() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &api.url, "dup-login");
    let pipeline = api.pipeline_id.to_string();

    let name = unique_name("dup");
    sandbox.run(&["create", &name], "").success();
    let again = sandbox.run(&["create", &name], "");
    expect_failure(&again, 7, &["already exists", &name]);

    let name = unique_name("dup-pipe");
    sandbox.run(&["create", &name, "--pipeline", &pipeline], "").success();
    let again = sandbox.run(&["create", &name, "--pipeline", &pipeline], "");
    expect_failure(&again, 7, &["already exists", &name, &format!("`sdtoken list --pipeline {pipeline}`")]);
}

#[test]
fn unknown_token_or_pipeline_exits_6() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &api.url, "unknown-login");
    let pipeline = api.pipeline_id.to_string();
    let missing_name = unique_name("missing");
    let list_hint = format!("`sdtoken list --pipeline {pipeline}`");

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["update", "999999", "--description", "x"], "Token does not exist"),
        (vec!["refresh", "999999", "--yes"], "Token does not exist"),
        (vec!["delete", "999999", "--yes"], "Token does not exist"),
        (vec!["update", "999999", "--description", "x", "--pipeline", &pipeline], "Token does not exist"),
        (vec!["update", &missing_name, "--description", "x"], "no token named"),
        (vec!["delete", &missing_name, "--yes", "--pipeline", &pipeline], "no token named"),
        (vec!["refresh", &missing_name, "--yes", "--pipeline", &pipeline], &list_hint),
        (vec!["list", "--pipeline", "999999"], "Pipeline does not exist"),
        (vec!["create", "x", "--pipeline", "999999"], "Pipeline does not exist"),
    ];
    for (args, needle) in cases {
        let run = sandbox.run(&args, "");
        assert_eq!(run.code, 6, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn readonly_user_on_pipeline_tokens_exits_5() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let (_, value) = api.create_user_token(&api.readonly_jwt, &unique_name("readonly"));
    sandbox.login(&value).success();
    let pipeline = api.pipeline_id.to_string();

    let listed = sandbox.run(&["list", "--pipeline", &pipeline], "");
    expect_failure(&listed, 5, &["admin permission"]);
    let name = unique_name("readonly-create");
    let created = sandbox.run(&["create", &name, "--pipeline", &pipeline], "");
    expect_failure(&created, 5, &["admin permission"]);
    assert!(!api_names(Some(api.pipeline_id)).contains(&name));
}

#[test]
fn build_token_cannot_manage_tokens() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let build_jwt = api.build_jwt(90);
    let vars = [("SD_TOKEN", build_jwt.as_str()), ("SD_BUILD_ID", "1")];

    let listed = run_with(&sandbox, &vars, &["list", "--api-url", &api.url]);
    expect_failure(&listed, 5, &["build tokens cannot manage tokens"]);
    assert!(!listed.stderr.contains(&build_jwt), "the JWT leaked to stderr");
}

// ---------------------------------------------------------------------------
// The exchange and its cache

#[test]
fn exchange_second_call_makes_no_request() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    let (id, value) = api.create_user_token(&api.user_jwt, &unique_name("cache"));
    assert_eq!(last_used(id), "");

    let first = single_line(&exchange_value(&sandbox, &value, &proxy.url, &[]));
    let used_first = last_used(id);
    assert!(!used_first.is_empty(), "the first exchange did not reach the server");
    let second = single_line(&exchange_value(&sandbox, &value, &proxy.url, &[]));
    let used_second = last_used(id);
    let third = single_line(&exchange_value(&sandbox, &value, &proxy.url, &[]));
    let used_third = last_used(id);

    assert_eq!(second, first, "the second exchange printed another JWT");
    assert_eq!(third, first, "the third exchange printed another JWT");
    assert_eq!(used_second, used_first, "the second exchange reached the server");
    assert_eq!(used_third, used_second, "the third exchange reached the server");
    let requests = proxy.requests();
    assert_eq!(requests, ["GET /v4/auth/token 200"]);

    // --no-cache exchanges, which moves lastUsed: the checks above can see a request.
    single_line(&exchange_value(&sandbox, &value, &proxy.url, &["--no-cache"]));
    assert_ne!(last_used(id), used_third, "--no-cache did not reach the server");
    assert_eq!(count(&proxy.requests(), "GET /v4/auth/token 200"), 2);
}

#[test]
fn api_token_never_in_url() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    let (_, value) = logged_in(&sandbox, &proxy.url, "url");
    let pipeline = api.pipeline_id.to_string();

    sandbox.run(&["exchange", "--no-cache"], "").success();
    sandbox.run(&["list"], "").success();
    sandbox.run(&["list", "--pipeline", &pipeline], "").success();
    exchange_value(&sandbox, &value, &proxy.url, &["--no-cache"]).success();

    let requests = proxy.requests();
    assert!(count(&requests, "GET /v4/auth/token 200") >= 3, "{requests:?}");
    let flagged: Vec<&String> = requests.iter().filter(|l| l.contains("API_TOKEN_IN_QUERY")).collect();
    assert!(flagged.is_empty(), "API token in a URL: {flagged:?}");
}

#[test]
fn rejected_cached_jwt_is_renewed_once() {
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "retry");
    let bad_jwt = foreign_key_jwt(&sandbox);
    overwrite_cached_jwt(&sandbox, &bad_jwt);

    let before = proxy.requests().len();
    let listed = sandbox.run(&["list"], "");
    listed.success();
    let requests = proxy.requests_since(before);
    assert_eq!(requests, ["GET /v4/tokens 401", "GET /v4/auth/token 200", "GET /v4/tokens 200"]);

    let key = cached_jwt_key(&sandbox).expect("the new JWT is cached");
    assert_ne!(secrets(&sandbox)[&key], bad_jwt.as_str(), "the rejected JWT is still cached");
    let before = proxy.requests().len();
    sandbox.run(&["list"], "").success();
    assert_eq!(proxy.requests_since(before), ["GET /v4/tokens 200"]);
}

#[test]
fn persistent_401_does_not_loop() {
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    let (id, _) = logged_in(&sandbox, &proxy.url, "no-loop");
    api_delete(None, id);
    let bad_jwt = foreign_key_jwt(&sandbox);
    overwrite_cached_jwt(&sandbox, &bad_jwt);

    let before = proxy.requests().len();
    let listed = sandbox.run(&["list"], "");
    expect_failure(&listed, 4, &["rejected"]);
    let requests = proxy.requests_since(before);
    assert_eq!(requests, ["GET /v4/tokens 401", "GET /v4/auth/token 401"]);
    assert_eq!(cached_jwt_key(&sandbox), None, "a JWT is still cached for the deleted token");
}

// ---------------------------------------------------------------------------
// --save

#[test]
fn create_save_stores_new_value() {
    let sandbox = Sandbox::new();
    let url = sdapi().url.as_str();
    let (old_id, _) = logged_in(&sandbox, url, "save-create-login");
    let used_old = last_used(old_id);

    let name = unique_name("save-create");
    let created = sandbox.run(&["create", &name, "--save"], "");
    let value = printed_value(&created);
    assert!(created.stderr.contains("Saved the new value"), "{}", created.stderr);
    assert_eq!(secrets(&sandbox)["api-token/default"], value.as_str());

    single_line(&sandbox.run(&["exchange"], ""));
    let server = api_names(None);
    assert!(server.contains(&name));
    let new_id = sdapi()
        .list_tokens(&sdapi().user_jwt, "tokens")
        .into_iter()
        .find(|t| t["name"] == name.as_str())
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    assert!(!last_used(new_id).is_empty(), "the exchange did not use the saved value");
    assert_eq!(last_used(old_id), used_old, "the exchange used the old value");

    let status = sandbox.run(&["status", "--json"], "");
    status.success();
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["source"], "stored");
    assert_eq!(report["scope"], "user");
    assert_eq!(report["valid"], true);
}

#[test]
fn refresh_save_replaces_stored_token() {
    let sandbox = Sandbox::new();
    let url = sdapi().url.as_str();
    let (id, old_value) = logged_in(&sandbox, url, "save-refresh");

    let refreshed = sandbox.run(&["refresh", &id.to_string(), "--yes", "--save"], "");
    let value = printed_value(&refreshed);
    assert_eq!(secrets(&sandbox)["api-token/default"], value.as_str());

    let used_before = last_used(id);
    single_line(&sandbox.run(&["exchange"], ""));
    assert_ne!(last_used(id), used_before, "the exchange after refresh --save made no request");
    let status = sandbox.run(&["status", "--json"], "");
    status.success();
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["source"], "stored");
    assert_eq!(report["valid"], true);
    expect_failure(&exchange_value(&sandbox, &old_value, url, &["--no-cache"]), 4, &["rejected"]);
}

#[test]
fn pipeline_save_needs_other_context() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &api.url, "save-pipe");
    let pipeline = api.pipeline_id.to_string();

    let name = unique_name("save-pipe");
    let created = sandbox.run(&["create", &name, "--pipeline", &pipeline, "--save"], "");
    expect_failure(&created, 2, &["--context"]);
    let same = sandbox.run(&["create", &name, "--pipeline", &pipeline, "--save", "--context", "default"], "");
    expect_failure(&same, 2, &["--context"]);
    assert!(!api_names(Some(api.pipeline_id)).contains(&name), "the token was created");

    let created = sandbox.run(&["create", &name, "--pipeline", &pipeline, "--save", "--context", "deploy"], "");
    let value = printed_value(&created);
    assert_eq!(secrets(&sandbox)["api-token/deploy"], value.as_str());
    let config = std::fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap();
    let config: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(config["contexts"]["deploy"]["api-url"].as_str(), Some(api.url.as_str()));
    assert_eq!(config["current-context"].as_str(), Some("default"), "--save switched the current context");

    let status = sandbox.run(&["status", "--json", "--context", "deploy"], "");
    status.success();
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["scope"], "pipeline");
    assert_eq!(report["pipeline_id"], api.pipeline_id);
    assert_eq!(report["source"], "stored");

    let refreshed = sandbox.run(&["refresh", &name, "--pipeline", &pipeline, "--yes", "--save"], "");
    expect_failure(&refreshed, 2, &["--context"]);
    // The context already has a token, so a new value goes there only once it is removed.
    let args = ["refresh", &name, "--pipeline", &pipeline, "--yes", "--save", "--context", "deploy"];
    expect_failure(&sandbox.run(&args, ""), 2, &["context `deploy` already holds an API token"]);
    sandbox.run(&["context", "remove", "deploy"], "").success();
    let refreshed = sandbox.run(&args, "");
    let new_value = printed_value(&refreshed);
    assert_eq!(secrets(&sandbox)["api-token/deploy"], new_value.as_str());
    let exchanged = sandbox.run(&["exchange", "--context", "deploy"], "");
    assert_eq!(claims(&single_line(&exchanged))["scope"], serde_json::json!(["pipeline"]));
}

// ---------------------------------------------------------------------------
// Input checks and confirmations

#[test]
fn invalid_input_exits_2_before_any_request() {
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "input");
    let long_name = "n".repeat(129);
    let long_description = "d".repeat(257);
    let name = unique_name("input");

    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["create", &long_name], vec!["129", "128"]),
        (vec!["create", ""], vec!["empty", "128"]),
        (vec!["create", &name, "--description", &long_description], vec!["257", "256"]),
        (vec!["update", &name, "--name", &long_name], vec!["129", "128"]),
        (vec!["update", &name, "--description", &long_description], vec!["257", "256"]),
        (vec!["list", "--pipeline", "0"], vec!["`0`", "positive"]),
        (vec!["list", "--pipeline", "abc"], vec!["`abc`", "positive"]),
        (vec!["create", &name, "--pipeline", "0"], vec!["`0`", "positive"]),
    ];
    let before = proxy.requests().len();
    for (args, needles) in cases {
        let run = sandbox.run(&args, "");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        for needle in needles {
            assert!(run.stderr.contains(needle), "{args:?}: stderr lacks `{needle}`: {}", run.stderr);
        }
    }
    assert_eq!(proxy.requests_since(before), Vec::<String>::new(), "requests were made");
}

#[test]
fn invalid_api_url_exits_2_without_connecting() {
    let sandbox = Sandbox::new();
    // Any request would go to the trap: as the API URL, or as the proxy of a non-loopback URL.
    let trap = Trap::new();
    let proxy_vars = [("http_proxy", trap.url()), ("https_proxy", trap.url()), ("ALL_PROXY", trap.url())];
    let mut vars: Vec<(&str, &str)> = proxy_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("SD_API_TOKEN", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"));

    let ftp = run_with(&sandbox, &vars, &["list", "--api-url", "ftp://x"]);
    expect_failure(&ftp, 2, &["ftp://x", "scheme"]);
    let plain = run_with(&sandbox, &vars, &["list", "--api-url", "http://example.com"]);
    expect_failure(&plain, 2, &["http://example.com", "https"]);
    assert_eq!(trap.connections(), 0, "a request was attempted");

    // The trap does see a request that passes the checks.
    let reached = run_with(&sandbox, &vars, &["list", "--api-url", &trap.url(), "--timeout", "1"]);
    assert_eq!(reached.code, 8, "{}", reached.stderr);
    assert!(trap.connections() >= 1, "the trap saw no connection");
}

#[test]
fn refresh_and_delete_without_yes_exit_2() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &api.url, "yes-login");
    let (id, value) = api.create_user_token(&api.user_jwt, &unique_name("yes"));
    let id_text = id.to_string();

    let refreshed = sandbox.run(&["refresh", &id_text], "");
    expect_failure(&refreshed, 2, &["--yes"]);
    let deleted = sandbox.run(&["delete", &id_text], "");
    expect_failure(&deleted, 2, &["--yes"]);

    assert!(api_token(None, id).is_some(), "the token was deleted");
    single_line(&exchange_value(&sandbox, &value, &api.url, &[]));
    api_delete(None, id);
}

// ---------------------------------------------------------------------------
// Guards around --save, refresh and delete, and the wording of their messages

/// Writes `text` as the sandbox's config.toml.
fn write_config(sandbox: &Sandbox, text: &str) {
    let dir = sandbox.path("config/sdtoken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

#[test]
fn pipeline_save_refuses_context_in_use() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "guard-login");
    let pipeline = api.pipeline_id.to_string();
    let first = unique_name("guard-first");
    printed_value(&sandbox.run(&["create", &first, "--pipeline", &pipeline, "--save", "--context", "deploy"], ""));
    let stored = secrets(&sandbox)["api-token/deploy"].clone();
    // A context of another server, without a token.
    let config = std::fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap();
    write_config(&sandbox, &format!("{config}\n[contexts.far]\napi-url = \"http://127.0.0.1:9\"\nstore = \"file\"\n"));

    let before = proxy.requests().len();
    let second = unique_name("guard-second");
    let taken = sandbox.run(&["create", &second, "--pipeline", &pipeline, "--save", "--context", "deploy"], "");
    expect_failure(
        &taken,
        2,
        &[
            &format!("context `deploy` already holds an API token for {}", proxy.url),
            "`sdtoken context remove deploy` or choose another name",
        ],
    );
    let far = sandbox.run(&["refresh", &first, "--pipeline", &pipeline, "--yes", "--save", "--context", "far"], "");
    expect_failure(&far, 2, &[&format!("context `far` is set up for http://127.0.0.1:9, not for {}", proxy.url)]);
    assert_eq!(proxy.requests_since(before), Vec::<String>::new(), "requests were made");
    assert!(!api_names(Some(api.pipeline_id)).contains(&second), "the token was created");
    assert_eq!(secrets(&sandbox)["api-token/deploy"], stored, "the stored token was replaced");
}

#[test]
fn pipeline_save_does_not_become_current() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let (_, value) = api.create_user_token(&api.user_jwt, &unique_name("save-current"));
    let vars = [("SD_API_TOKEN", value.as_str()), ("SD_API_URL", api.url.as_str())];
    let pipeline = api.pipeline_id.to_string();
    let name = unique_name("save-current-pipe");

    let created =
        run_with(&sandbox, &vars, &["create", &name, "--pipeline", &pipeline, "--save", "--context", "deploy"]);
    printed_value(&created);
    let config = std::fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap();
    let config: toml::Table = toml::from_str(&config).unwrap();
    assert!(config.get("current-context").is_none(), "the pipeline token's context became current: {config}");
}

#[test]
fn refresh_own_token_warns_it_stopped_working() {
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    let (id, _) = logged_in(&sandbox, &proxy.url, "own-refresh");

    let before = proxy.requests().len();
    let refreshed = sandbox.run(&["refresh", &id.to_string(), "--yes"], "");
    printed_value(&refreshed);
    assert!(
        refreshed.stderr.contains("sdtoken: warning: the API token of context `default` no longer works: it was"),
        "{}",
        refreshed.stderr
    );
    assert!(
        refreshed.stderr.contains("the token you refreshed; run `sdtoken login` (or use `--save` next time)"),
        "{}",
        refreshed.stderr
    );
    let requests = proxy.requests_since(before);
    assert_eq!(requests, [format!("PUT /v4/tokens/{id}/refresh 200"), "GET /v4/auth/token 401".to_string()]);
}

#[test]
fn refresh_other_token_checks_once_and_stays_quiet() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "other-refresh");
    let (other, _) = api.create_user_token(&api.user_jwt, &unique_name("other-refresh-target"));

    let before = proxy.requests().len();
    let refreshed = sandbox.run(&["refresh", &other.to_string(), "--yes"], "");
    printed_value(&refreshed);
    assert!(!refreshed.stderr.contains("warning"), "{}", refreshed.stderr);
    let requests = proxy.requests_since(before);
    assert_eq!(requests, [format!("PUT /v4/tokens/{other}/refresh 200"), "GET /v4/auth/token 200".to_string()]);
    // The check cached a fresh JWT, so the next command needs no exchange.
    let before = proxy.requests().len();
    sandbox.run(&["list"], "").success();
    assert_eq!(proxy.requests_since(before), ["GET /v4/tokens 200"]);
}

#[test]
fn delete_own_token_warns_it_stopped_working() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let (id, value) = api.create_user_token(&api.user_jwt, &unique_name("own-delete"));
    let vars = [("SD_API_TOKEN", value.as_str())];

    let deleted = run_with(&sandbox, &vars, &["delete", &id.to_string(), "--yes", "--api-url", &api.url]);
    deleted.success();
    assert!(
        deleted.stderr.contains(
            "sdtoken: warning: the API token in `SD_API_TOKEN` no longer works: it was the token you deleted; \
             set `SD_API_TOKEN` to another API token"
        ),
        "{}",
        deleted.stderr
    );
}

#[test]
fn pipeline_token_refresh_makes_no_check() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "pipe-refresh");
    let (id, _) = api.create_pipeline_token(&api.user_jwt, &unique_name("pipe-refresh"));

    let before = proxy.requests().len();
    let pipeline = api.pipeline_id.to_string();
    printed_value(&sandbox.run(&["refresh", &id.to_string(), "--pipeline", &pipeline, "--yes"], ""));
    assert_eq!(
        count(&proxy.requests_since(before), "GET /v4/auth/token"),
        0,
        "a pipeline token cannot be the credential"
    );
}

#[test]
fn rejected_token_messages_name_it_once() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    let (id, value) = logged_in(&sandbox, &api.url, "wording");
    api_delete(None, id);

    let stored = sandbox.run(&["exchange", "--no-cache", "-vv"], "");
    expect_failure(
        &stored,
        4,
        &[
            &format!("sdtoken: error: {} rejected the API token stored for context `default`\n", api.url),
            "exchanging the API token stored for context `default`",
        ],
    );
    assert!(!stored.stderr.contains("from the API token"), "{}", stored.stderr);
    let env = exchange_value(&sandbox, &value, &api.url, &["--no-cache"]);
    expect_failure(&env, 4, &[&format!("sdtoken: error: {} rejected the API token in `SD_API_TOKEN`\n", api.url)]);
}

#[test]
fn update_pipeline_token_names_pipeline() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &api.url, "update-pipe");
    let (id, _) = api.create_pipeline_token(&api.user_jwt, &unique_name("update-pipe"));
    let pipeline = api.pipeline_id.to_string();

    let updated = sandbox.run(&["update", &id.to_string(), "--pipeline", &pipeline, "--description", "d"], "");
    updated.success();
    let expected = format!("Updated token {id} (`");
    assert!(updated.stderr.contains(&expected), "{}", updated.stderr);
    assert!(updated.stderr.contains(&format!("`) in the tokens of pipeline {pipeline}.\n")), "{}", updated.stderr);
}

#[test]
fn missing_id_hint_mentions_by_name() {
    let api = sdapi();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &api.url, "by-name-hint");
    let pipeline = api.pipeline_id.to_string();

    for args in [
        vec!["update", "999999", "--description", "x"],
        vec!["refresh", "999999", "--yes"],
        vec!["delete", "999999", "--yes"],
        vec!["delete", "999999", "--yes", "--pipeline", &pipeline],
    ] {
        let run = sandbox.run(&args, "");
        expect_failure(&run, 6, &["no token with id 999999 among", "Token does not exist"]);
        assert!(run.stderr.contains("if `999999` is the token's name, pass `--by-name`"), "{args:?}: {}", run.stderr);
    }
    // A name that is not digits was looked up by name, so the hint does not apply.
    let named = sandbox.run(&["update", &unique_name("no-such"), "--description", "x"], "");
    named.expect_code(6);
    assert!(!named.stderr.contains("--by-name"), "{}", named.stderr);
}

#[test]
fn min_ttl_beyond_jwt_lifetime_warns() {
    let (_id, value) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("min-ttl"));
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_API_TOKEN", &value).set("SD_API_URL", &sdapi().url);

    let long = sandbox.run(&["--min-ttl", "3h", "exchange"], "");
    long.success();
    assert!(long.stderr.contains("no longer than --min-ttl (10800 s)"), "{}", long.stderr);

    let usual = sandbox.run(&["exchange"], "");
    usual.success();
    assert!(!usual.stderr.contains("--min-ttl"), "{}", usual.stderr);
}

#[test]
fn save_into_new_context_uses_acting_store() {
    let api = sdapi();
    let mut sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "save-store-login");
    // From here on only the context's remembered store decides; no keyring is reachable.
    sandbox.unset("SDTOKEN_STORE");
    let pipeline = api.pipeline_id.to_string();
    let name = unique_name("save-store");

    let created = sandbox.run(&["create", &name, "--pipeline", &pipeline, "--save", "--context", "pipe1"], "");
    created.success();
    assert_eq!(secrets(&sandbox)["api-token/pipe1"].as_str(), Some(created.stdout.trim()));
    let config = std::fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap();
    assert!(config.contains("[contexts.pipe1]"), "{config}");
    assert!(config.matches("store = \"file\"").count() >= 2, "{config}");
}

#[test]
fn unusable_save_store_fails_before_request() {
    let api = sdapi();
    let mut sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "save-broken-login");
    let pipeline = api.pipeline_id.to_string();
    let name = unique_name("save-broken");
    printed_value(&sandbox.run(&["create", &name, "--pipeline", &pipeline], ""));

    // The keyring store cannot work: the sandbox has no D-Bus session.
    sandbox.set("SDTOKEN_STORE", "keyring");
    let before = proxy.requests().len();
    let run = sandbox.run(&["refresh", &name, "--pipeline", &pipeline, "--yes", "--save", "--context", "pipe2"], "");
    expect_failure(&run, 3, &["cannot save into context `pipe2`", "nothing was changed"]);
    assert_eq!(proxy.requests_since(before), Vec::<String>::new(), "requests were made");
}

#[test]
fn pipeline_token_changes_keep_the_cached_user_jwt() {
    let sandbox = Sandbox::new();
    let proxy = CountProxy::start(&sandbox);
    logged_in(&sandbox, &proxy.url, "pipeline-change");
    sandbox.run(&["exchange"], "").success();
    let pipeline = sdapi().pipeline_id.to_string();
    let name = unique_name("pipeline-change");
    let created = sandbox.run(&["create", &name, "--pipeline", &pipeline, "--json"], "");
    created.success();
    let id = serde_json::from_str::<Value>(&created.stdout).unwrap()["id"].to_string();

    let before = proxy.requests().len();
    sandbox.run(&["refresh", &id, "--pipeline", &pipeline, "--yes"], "").success();
    sandbox.run(&["delete", &id, "--pipeline", &pipeline, "--yes"], "").success();
    sandbox.run(&["exchange"], "").success();
    let requests = proxy.requests_since(before);
    let path = format!("/v4/pipelines/{pipeline}/tokens/{id}");
    assert_eq!(requests, [format!("PUT {path}/refresh 200"), format!("DELETE {path} 204")]);
}
