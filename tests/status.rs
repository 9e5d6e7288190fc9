//! `sdtoken status` against the local Screwdriver API. The tests cover what it
//! shows for user, pipeline and build credentials, which source wins and what it
//! shadows, and that a valid cached JWT costs no request. They also cover
//! `--verify`, the clock-skew warning, the exit codes and the frozen `--json` schema.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{CountingProxy, Run, Sandbox, sdapi, unique_name};
use serde_json::{Value, json};

/// Runs sdtoken in `sandbox` with extra variables for this run only.
fn run_with(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = sandbox.cmd();
    for (name, value) in vars {
        command.env(name, value);
    }
    Run::from(command.args(args).output().unwrap())
}

fn status_json(sandbox: &Sandbox, vars: &[(&str, &str)], args: &[&str]) -> (Run, Value) {
    let mut all = vec!["status", "--json"];
    all.extend_from_slice(args);
    let run = run_with(sandbox, vars, &all);
    let document = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}\nstderr:\n{}", run.stdout, run.stderr));
    (run, document)
}

/// A sandbox logged in to `url` with a new user API token; returns the token too.
fn logged_in(url: &str) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let (_, token) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("status"));
    sandbox.run(&["login", "--with-token", "--api-url", url], &token).success();
    (sandbox, token)
}

/// Decodes the claims of a JWT without checking it.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Names the JSON type of `value` as the schema table spells it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The `status --json` schema: every key is always present, with one of these types.
const SCHEMA: &[(&str, &[&str])] = &[
    ("context", &["string"]),
    ("api_url", &["string"]),
    ("valid", &["bool"]),
    ("source", &["string", "null"]),
    ("shadowed", &["array"]),
    ("store", &["object"]),
    ("jwt_cache", &["string", "null"]),
    ("cached", &["bool", "null"]),
    ("username", &["string", "null"]),
    ("scm_context", &["string", "null"]),
    ("scope", &["string", "null"]),
    ("scopes", &["array"]),
    ("pipeline_id", &["integer", "null"]),
    ("job_id", &["integer", "null"]),
    ("event_id", &["integer", "null"]),
    ("is_pr", &["bool", "null"]),
    ("issued_at", &["string", "null"]),
    ("issued_at_epoch", &["integer", "null"]),
    ("expires_at", &["string", "null"]),
    ("expires_at_epoch", &["integer", "null"]),
    ("expires_in", &["integer", "null"]),
    ("verified", &["bool", "null"]),
    ("clock_offset", &["integer", "null"]),
    ("error", &["string", "null"]),
];

const STORE_SCHEMA: &[(&str, &[&str])] =
    &[("kind", &["string"]), ("durability", &["string"]), ("name", &["string", "null"]), ("used", &["bool"])];

#[track_caller]
fn assert_schema(document: &Value, schema: &[(&str, &[&str])]) {
    let object = document.as_object().expect("the document is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = schema.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected, "key set of {document:#}");
    for (key, types) in schema {
        let actual = type_name(&object[*key]);
        assert!(types.contains(&actual), "`{key}` is {actual}, expected one of {types:?}");
    }
}

#[track_caller]
fn assert_status_schema(document: &Value) {
    assert_schema(document, SCHEMA);
    assert_schema(&document["store"], STORE_SCHEMA);
    for item in document["shadowed"].as_array().unwrap().iter().chain(document["scopes"].as_array().unwrap()) {
        assert!(item.is_string(), "{item}");
    }
}

/// Asserts an RFC 3339 UTC time such as `2026-12-04T20:17:50Z` and returns its epoch seconds.
#[track_caller]
fn assert_utc(text: &str) -> i64 {
    assert!(text.ends_with('Z'), "not UTC: {text}");
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("not RFC 3339: {text}: {e}"))
        .unix_timestamp()
}

#[test]
fn status_cached_jwt_makes_no_request() {
    let sandbox_dir = tempfile::tempdir().unwrap();
    let proxy = CountingProxy::start(sandbox_dir.path().join("requests.log"));
    let (sandbox, _) = logged_in(&proxy.url);
    let after_login = proxy.requests();
    assert_eq!(after_login, ["GET /v4/auth/token 200"], "login exchanges once");

    let first = sandbox.run(&["status"], "");
    first.success();
    let second = sandbox.run(&["status"], "");
    second.success();

    assert_eq!(proxy.requests(), after_login, "status with a valid cached JWT sent a request");
    assert!(second.stdout.contains("JWT read from the cache"), "{}", second.stdout);
    assert!(!second.stderr.contains("clock"), "{}", second.stderr);
}

#[test]
fn status_shows_user_identity_expiry_and_store() {
    let (sandbox, _) = logged_in(&sdapi().url);
    let run = sandbox.run(&["status"], "");
    run.success();
    let text = &run.stdout;
    let line = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{label}:")).map(str::trim))
            .unwrap_or_else(|| panic!("no `{label}:` line in\n{text}"))
            .to_string()
    };
    assert_eq!(line("Context"), "default");
    assert_eq!(line("API URL"), sdapi().url);
    assert_eq!(line("Credential"), "the API token stored for context `default`");
    assert!(line("Identity").starts_with(&format!("{} (", sdapi().user)), "{text}");
    assert_eq!(line("Scope"), "user");
    assert!(line("Token store").starts_with("file "), "{text}");
    assert!(line("Token store").ends_with("secrets.json (plaintext file, mode 0600)"), "{text}");

    let expires = line("Expires");
    let (at, left) = expires.split_once(" (in ").expect("expiry and seconds left");
    let epoch = assert_utc(at);
    let left: i64 = left.trim_end_matches(" s)").parse().unwrap();
    assert!(left > 0, "{expires}");
    assert!(left <= 7200, "{expires}");
    // `expires_in` counts from the run, a moment ago.
    assert!((epoch - left - time::OffsetDateTime::now_utc().unix_timestamp()).abs() <= 60, "{expires}");
}

#[test]
fn status_json_schema_is_frozen() {
    let (sandbox, _) = logged_in(&sdapi().url);
    let (run, valid) = status_json(&sandbox, &[], &[]);
    run.success();
    assert_status_schema(&valid);
    assert_eq!(valid["valid"], true);
    assert_eq!(valid["source"], "stored");
    assert_eq!(valid["cached"], true);
    assert_eq!(valid["scope"], "user");
    assert_eq!(valid["scopes"], json!(["user"]));
    assert_eq!(valid["username"], sdapi().user.as_str());
    assert_eq!(valid["store"]["kind"], "file");
    assert_eq!(valid["error"], Value::Null);
    let epoch = assert_utc(valid["expires_at"].as_str().unwrap());
    assert_eq!(valid["expires_at_epoch"], epoch);
    assert_utc(valid["issued_at"].as_str().unwrap());

    let empty = Sandbox::new();
    let (run, missing) = status_json(&empty, &[], &["--api-url", &sdapi().url]);
    run.expect_code(4);
    assert_status_schema(&missing);
    assert_eq!(missing["valid"], false);
    assert_eq!(missing["source"], Value::Null);
    assert!(missing["error"].as_str().unwrap().contains("not logged in"), "{missing}");
}

#[test]
fn status_without_credential_exits_4() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["status", "--api-url", &sdapi().url], "");
    run.expect_code(4);
    assert_eq!(run.stdout, "", "stdout must be empty on error");
    assert!(run.stderr.starts_with("sdtoken: error: not logged in"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("hint: run `sdtoken login --api-url {}`", sdapi().url)), "{}", run.stderr);
}

#[test]
fn status_expired_jwt_exits_4_with_claims() {
    let sandbox = Sandbox::new();
    let expired = sdapi().mint(&["user", &sdapi().user, "--minutes", "-10"]);
    let vars = [("SD_TOKEN", expired.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.expect_code(4);
    assert_status_schema(&document);
    assert_eq!(document["valid"], false);
    assert_eq!(document["source"], "SD_TOKEN");
    assert_eq!(document["username"], sdapi().user.as_str());
    assert!(document["expires_in"].as_i64().unwrap() < 0, "{document}");
    assert!(document["error"].as_str().unwrap().contains("expired"), "{document}");
    assert!(run.stderr.contains("sdtoken: error: the JWT in `SD_TOKEN` expired at"), "{}", run.stderr);

    let text = run_with(&sandbox, &vars, &["status"]);
    text.expect_code(4);
    assert_eq!(text.stdout, "");
}

#[test]
fn status_env_api_token_shadows_stored_token() {
    let (sandbox, _) = logged_in(&sdapi().url);
    let (_, other) = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("status-env"));
    let vars = [("SD_API_TOKEN", other.as_str())];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    assert_eq!(document["source"], "SD_API_TOKEN");
    assert_eq!(document["shadowed"], json!(["stored"]));
    assert_eq!(document["cached"], false, "a new credential is exchanged");

    let text = run_with(&sandbox, &vars, &["status"]);
    text.success();
    assert!(text.stdout.contains("Credential:  `SD_API_TOKEN`\n"), "{}", text.stdout);
    assert!(text.stdout.contains("Shadows:     the API token stored for context `default`\n"), "{}", text.stdout);
}

#[test]
fn status_env_jwt_shadows_stored_token() {
    let (sandbox, _) = logged_in(&sdapi().url);
    let vars = [("SD_TOKEN", sdapi().user_jwt.as_str())];
    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    assert_eq!(document["source"], "SD_TOKEN");
    assert_eq!(document["shadowed"], json!(["stored"]));
    assert_eq!(document["cached"], Value::Null);
    assert_eq!(document["jwt_cache"], Value::Null);
}

#[test]
fn status_pipeline_token_shows_pipeline_scope() {
    let sandbox = Sandbox::new();
    let (_, token) = sdapi().create_pipeline_token(&sdapi().user_jwt, &unique_name("status-pipe"));
    let vars = [("SD_API_TOKEN", token.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    assert_status_schema(&document);
    assert_eq!(document["scope"], "pipeline");
    assert_eq!(document["pipeline_id"], sdapi().pipeline_id);
    assert_eq!(document["source"], "SD_API_TOKEN");

    let text = run_with(&sandbox, &vars, &["status"]);
    text.success();
    assert!(text.stdout.contains("Scope:       pipeline\n"), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("Pipeline:    {}\n", sdapi().pipeline_id)), "{}", text.stdout);
}

#[test]
fn status_build_token_shows_ids() {
    let sandbox = Sandbox::new();
    let jwt = sdapi().build_jwt(90);
    let claims = claims(&jwt);
    let build_id = claims["username"].to_string();
    let vars = [("SD_TOKEN", jwt.as_str()), ("SD_BUILD_ID", build_id.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    assert_status_schema(&document);
    assert_eq!(document["scope"], "build");
    assert_eq!(document["source"], "SD_TOKEN");
    assert_eq!(document["username"], build_id.as_str());
    assert_eq!(document["pipeline_id"], claims["pipelineId"]);
    assert_eq!(document["job_id"], claims["jobId"]);
    assert_eq!(document["event_id"], claims["eventId"]);
    assert_eq!(document["is_pr"], false);
    let left = document["expires_in"].as_i64().unwrap();
    assert!(left > 80 * 60, "a 90-minute build token: {left}");
    assert!(left <= 90 * 60, "a 90-minute build token: {left}");

    let text = run_with(&sandbox, &vars, &["status"]);
    text.success();
    assert!(text.stdout.contains(&format!("Identity:    build {build_id} (")), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("Job:         {}\n", claims["jobId"])), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("Event:       {}\n", claims["eventId"])), "{}", text.stdout);
}

#[test]
fn status_verify_accepts_server_jwt() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = CountingProxy::start(dir.path().join("requests.log"));
    let (sandbox, _) = logged_in(&proxy.url);
    let before = proxy.requests().len();

    let (run, document) = status_json(&sandbox, &[], &["--verify"]);
    run.success();
    assert_eq!(document["verified"], true);
    assert_eq!(document["valid"], true);
    assert_eq!(proxy.requests()[before..], ["GET /v4/auth/key 200"], "only the key is fetched");

    let text = sandbox.run(&["status", "--verify"], "");
    text.success();
    assert!(text.stdout.contains("Signature:   verified with the server's key\n"), "{}", text.stdout);
}

/// Alters `username` in the harness's user JWT and keeps the original signature.
fn tampered_jwt() -> String {
    let jwt = &sdapi().user_jwt;
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload = claims(jwt);
    payload["username"] = json!("mallory");
    format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2])
}

#[test]
fn status_verify_rejects_tampered_payload() {
    let sandbox = Sandbox::new();
    let tampered = tampered_jwt();
    let vars = [("SD_TOKEN", tampered.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let (run, document) = status_json(&sandbox, &vars, &["--verify"]);
    run.expect_code(4);
    assert_status_schema(&document);
    assert_eq!(document["verified"], false);
    assert_eq!(document["valid"], false);
    assert_eq!(document["username"], "mallory");
    assert!(run.stderr.contains("the signature does not match the server's key"), "{}", run.stderr);

    // Without --verify the claims are only decoded, so the altered JWT looks valid.
    run_with(&sandbox, &vars, &["status"]).success();
}

#[test]
fn status_verify_rejects_jwt_of_other_key() {
    let sandbox = Sandbox::new();
    let key = sandbox.path("other-key.pem");
    let openssl = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&key)
        .output()
        .expect("openssl runs");
    assert!(openssl.status.success(), "{}", String::from_utf8_lossy(&openssl.stderr));
    let foreign = sdapi().mint(&["user", &sdapi().user, "--key", key.to_str().unwrap()]);
    let vars = [("SD_TOKEN", foreign.as_str()), ("SD_API_URL", sdapi().url.as_str())];

    let run = run_with(&sandbox, &vars, &["status", "--verify"]);
    run.expect_code(4);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("sdtoken: error: the JWT failed verification"), "{}", run.stderr);
    assert!(run.stderr.contains("\nhint: the credential was not issued by"), "{}", run.stderr);
}

/// Formats the time `offset` seconds from now as an HTTP date (`Fri, 04 Dec 2026 21:00:00 GMT`).
fn http_date(offset: i64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at.format(&format).unwrap()
}

#[test]
fn status_warns_on_server_clock_skew() {
    let server = httpmock::MockServer::start();
    let jwt = sdapi().mint(&["user", &sdapi().user]);
    let skewed = server.mock(|when, then| {
        when.method("GET").path("/v4/auth/token");
        then.status(200).header("date", http_date(3600)).json_body(json!({ "token": jwt }));
    });
    let sandbox = Sandbox::new();
    let vars = [("SD_API_TOKEN", "api-token-for-the-mock"), ("SD_API_URL", &server.base_url())];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    skewed.assert();
    let offset = document["clock_offset"].as_i64().unwrap();
    // The header was fixed when the mock was set up, a moment before the request.
    assert!((3000..=3600).contains(&offset), "{offset}");
    assert!(
        run.stderr.contains("sdtoken: warning: the local clock is") && run.stderr.contains("behind the server's"),
        "{}",
        run.stderr
    );
}

#[test]
fn status_no_warning_when_clocks_agree() {
    let server = httpmock::MockServer::start();
    let jwt = sdapi().mint(&["user", &sdapi().user]);
    server.mock(|when, then| {
        when.method("GET").path("/v4/auth/token");
        then.status(200).header("date", http_date(0)).json_body(json!({ "token": jwt }));
    });
    let sandbox = Sandbox::new();
    let vars = [("SD_API_TOKEN", "api-token-for-the-mock"), ("SD_API_URL", &server.base_url())];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    assert!(document["clock_offset"].as_i64().unwrap().abs() <= 30, "{document}");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn status_other_api_url_than_context_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let other = CountingProxy::start(dir.path().join("other.log"));
    let (sandbox, _) = logged_in(&sdapi().url);

    let run = sandbox.run(&["status", "--api-url", &other.url], "");
    run.expect_code(4);
    assert!(run.stderr.contains(&format!("belongs to {}, not to {}", sdapi().url, other.url)), "{}", run.stderr);
    assert!(run.stderr.contains("hint: log in to"), "{}", run.stderr);
    assert!(other.requests().is_empty(), "the stored token went to another server: {:?}", other.requests());
}

#[test]
fn status_malformed_sd_token_names_source() {
    let sandbox = Sandbox::new();
    let vars = [("SD_TOKEN", "not-a-jwt"), ("SD_API_URL", sdapi().url.as_str())];
    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.expect_code(4);
    assert_status_schema(&document);
    assert_eq!(document["source"], "SD_TOKEN");
    assert!(document["error"].as_str().unwrap().contains("`SD_TOKEN` is not a valid JWT"), "{document}");

    let vars = [("SD_API_TOKEN", sdapi().user_jwt.as_str()), ("SD_API_URL", sdapi().url.as_str())];
    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.expect_code(4);
    assert_eq!(document["source"], "SD_API_TOKEN");
}

#[test]
fn status_in_build_shows_store_unused() {
    let (sandbox, _) = logged_in(&sdapi().url);
    let jwt = sdapi().build_jwt(90);
    let vars = [("SD_TOKEN", jwt.as_str()), ("SD_BUILD_ID", "1")];

    let (run, document) = status_json(&sandbox, &vars, &[]);
    run.success();
    assert_status_schema(&document);
    assert_eq!(document["store"]["used"], false);
    assert_eq!(document["store"]["name"], Value::Null);
    assert_eq!(document["shadowed"], json!([]));
    let text = run_with(&sandbox, &vars, &["status"]);
    text.success();
    assert!(
        text.stdout.contains("Token store: not used: inside a build, `SD_TOKEN` is the credential\n"),
        "{}",
        text.stdout
    );

    // Outside a build the same credential shadows the stored token, and the store is used.
    let (run, document) = status_json(&sandbox, &[("SD_TOKEN", jwt.as_str())], &[]);
    run.success();
    assert_eq!(document["store"]["used"], true);
    assert_eq!(document["shadowed"], json!(["stored"]));
}

#[test]
fn status_login_hint_keeps_url() {
    let sandbox = Sandbox::new();
    let token = sdapi().create_user_token(&sdapi().user_jwt, &unique_name("status-hint")).1;
    sandbox.run(&["login", "--with-token", "--context", "none", "--api-url", &sdapi().url], &token).success();
    sandbox.run(&["logout", "--context", "none"], "").success();

    let run = sandbox.run(&["status", "--context", "none", "--api-url", &sdapi().url], "");
    run.expect_code(4);
    let login = format!("hint: run `sdtoken login --context none --api-url {}`", sdapi().url);
    assert!(run.stderr.contains(&login), "{}", run.stderr);
    // With the context's own URL the hint needs no URL: login reads it from the context.
    let run = sandbox.run(&["status", "--context", "none"], "");
    run.expect_code(4);
    assert!(run.stderr.contains("hint: run `sdtoken login --context none`, or"), "{}", run.stderr);
}
