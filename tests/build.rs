//! sdtoken inside a Screwdriver build, where `SD_BUILD_ID` and `SD_TOKEN` are set.
//! The tests cover the build JWT used as it is without touching a secret store,
//! expiry warnings and errors, and the rule that protects the build's `SD_TOKEN`.
//! They also cover the explanation of a 403 "Insufficient scope" for build and
//! pipeline tokens.

mod common;

use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use base64::Engine;
use common::{Run, Sandbox, http, sdapi, unique_name};

/// Decodes the claims of a JWT without checking the signature.
fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Returns a build JWT issued by the API (`POST /v4/builds/{id}/token`), valid for 90 minutes.
fn server_build_jwt() -> &'static str {
    static JWT: OnceLock<String> = OnceLock::new();
    JWT.get_or_init(|| sdapi().build_jwt(90))
}

/// Mints a build JWT with the claims of `like`, valid for `minutes` (negative: expired).
fn minted_build_jwt(like: &str, minutes: i64) -> String {
    let claims = claims(like);
    let id = |key: &str| claims[key].to_string();
    let build = claims["username"].to_string().trim_matches('"').to_string();
    sdapi().mint(&[
        "build",
        &build,
        "--pipeline-id",
        &id("pipelineId"),
        "--job-id",
        &id("jobId"),
        "--event-id",
        &id("eventId"),
        "--minutes",
        &minutes.to_string(),
    ])
}

/// Returns one user API token for this test process, created through the API.
fn user_api_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let api = sdapi();
        api.create_user_token(&api.user_jwt, &unique_name("build-user")).1
    })
}

/// Builds the environment of a build step: `SD_BUILD_ID`, `SD_TOKEN` and `SD_API_URL`
/// in the launcher's `…/v4/` form, a default context whose token store is the OS
/// keyring, and no D-Bus session (`Sandbox::bare` passes none through).
fn build_sandbox(jwt: &str) -> Sandbox {
    let mut sandbox = Sandbox::bare();
    let build_id = claims(jwt)["username"].to_string().trim_matches('"').to_string();
    sandbox.set("SD_BUILD_ID", &build_id).set("SD_TOKEN", jwt).set("SD_API_URL", &format!("{}/v4/", sdapi().url));
    let config_dir = sandbox.path("config/sdtoken");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = format!("[contexts.default]\napi-url = \"{}\"\nstore = \"keyring\"\n", sdapi().url);
    std::fs::write(config_dir.join("config.toml"), config).unwrap();
    sandbox
}

/// Starts a fake session bus that counts every connection and closes it at once,
/// so a Secret Service client fails fast. Sets `DBUS_SESSION_BUS_ADDRESS`.
fn bus_sensor(sandbox: &mut Sandbox) -> Arc<AtomicUsize> {
    let path = sandbox.path("bus");
    let listener = UnixListener::bind(&path).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            // Counted before the close, so a client that saw the close was counted.
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    sandbox.set("DBUS_SESSION_BUS_ADDRESS", &format!("unix:path={}", path.display()));
    count
}

/// Returns the value after `Label:` in the text form of `status`.
fn status_field(run: &Run, label: &str) -> Option<String> {
    run.stdout.lines().find_map(|line| line.strip_prefix(label)?.strip_prefix(':').map(|v| v.trim().to_string()))
}

// --- the build token as it is --------------------------------------------------

#[test]
fn build_env_exports_build_token_unchanged() {
    let jwt = server_build_jwt();
    let sandbox = build_sandbox(jwt);

    let run = sandbox.run(&["env", "--shell", "bash"], "");

    run.success();
    let url = format!("{}/v4/", sdapi().url);
    assert_eq!(run.stdout, format!("export SD_API_URL='{url}'\nexport SD_TOKEN='{jwt}'\n"));
    assert_eq!(run.stderr, "");
}

#[test]
fn build_commands_touch_no_secret_store() {
    let jwt = server_build_jwt();
    let mut sandbox = build_sandbox(jwt);
    let connections = bus_sensor(&mut sandbox);

    let run = sandbox.run(&["env", "--shell", "sh"], "");
    assert!(run.success().stdout.contains(jwt));
    let run = sandbox.run(&["exec", "--", "sh", "-c", "printf %s \"$SD_TOKEN\""], "");
    assert_eq!(run.success().stdout, jwt);
    let run = sandbox.run(&["exchange"], "");
    assert_eq!(run.success().stdout, format!("{jwt}\n"));
    sandbox.run(&["list"], "").expect_code(5);
    let run = sandbox.run(&["status", "--json"], "");
    let report: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
    assert_eq!(report["scope"], "build");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "a build command connected to the session bus");

    // The sensor detects a command that reads the keyring: the same context
    // outside a build, where the stored token is the credential.
    sandbox.unset("SD_BUILD_ID").unset("SD_TOKEN");
    sandbox.run(&["exchange"], "").expect_code(3);
    assert!(connections.load(Ordering::SeqCst) > 0, "the sensor missed a keyring lookup");
}

#[test]
fn build_token_near_expiry_warns() {
    let jwt = server_build_jwt();
    let sandbox = build_sandbox(jwt);

    let run = sandbox.run(&["--min-ttl", "3h", "env", "--shell", "sh"], "");

    run.success();
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(run.stdout.contains(jwt));
    assert!(run.stderr.contains("warning: the build token in `SD_TOKEN` expires in"), "{}", run.stderr);
    assert!(run.stderr.contains("cannot be renewed"), "{}", run.stderr);

    let run = sandbox.run(&["env", "--shell", "sh"], "");
    assert_eq!(run.success().stderr, "", "90 minutes left is outside the default --min-ttl of 5m");
}

#[test]
fn expired_build_token_exits_4() {
    let expired = minted_build_jwt(server_build_jwt(), -10);
    let mut sandbox = build_sandbox(&expired);
    let connections = bus_sensor(&mut sandbox);
    let marker = sandbox.path("command-ran");
    let script = format!("touch '{}'", marker.display());
    let commands: [&[&str]; 5] =
        [&["env"], &["exec", "--", "sh", "-c", &script], &["exchange"], &["status"], &["list"]];

    for args in commands {
        let run = sandbox.run(args, "");
        run.expect_code(4);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("build tokens cannot be renewed"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(&expired), "{args:?}: the JWT leaked");
    }
    assert!(!marker.exists(), "exec ran its command with an expired token");
    assert_eq!(connections.load(Ordering::SeqCst), 0);
}

#[test]
fn expired_build_token_not_skipped() {
    let expired = minted_build_jwt(server_build_jwt(), -10);
    let mut sandbox = Sandbox::new();
    sandbox.login(user_api_token()).success();
    let build_id = claims(&expired)["username"].to_string();
    sandbox.set("SD_TOKEN", &expired).set("SD_BUILD_ID", &build_id);

    let run = sandbox.run(&["exchange"], "");

    run.expect_code(4);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("build tokens cannot be renewed"), "{}", run.stderr);
    assert!(!run.stderr.contains("skipping"), "{}", run.stderr);
}

#[test]
fn build_status_shows_scope_and_ids() {
    let jwt = server_build_jwt();
    let expected = claims(jwt);
    let sandbox = build_sandbox(jwt);

    let run = sandbox.run(&["status"], "");
    run.success();
    assert_eq!(status_field(&run, "Scope").as_deref(), Some("build"), "{}", run.stdout);
    assert_eq!(status_field(&run, "Pipeline"), Some(expected["pipelineId"].to_string()), "{}", run.stdout);
    assert_eq!(status_field(&run, "Job"), Some(expected["jobId"].to_string()), "{}", run.stdout);
    assert_eq!(status_field(&run, "Event"), Some(expected["eventId"].to_string()), "{}", run.stdout);
    assert_eq!(status_field(&run, "Credential").as_deref(), Some("`SD_TOKEN`"), "{}", run.stdout);

    let run = sandbox.run(&["status", "--json"], "");
    let report: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
    assert_eq!(report["scope"], "build");
    assert_eq!(report["source"], "SD_TOKEN");
    assert_eq!(report["pipeline_id"], expected["pipelineId"]);
    assert_eq!(report["job_id"], expected["jobId"]);
    assert_eq!(report["event_id"], expected["eventId"]);
    assert_eq!(report["username"], expected["username"].to_string().trim_matches('"'));
    assert_eq!(report["shadowed"], serde_json::json!([]));
}

// --- another credential inside a build ------------------------------------------

#[test]
fn build_api_token_needs_var_flag() {
    let jwt = server_build_jwt();
    let mut sandbox = build_sandbox(jwt);
    sandbox.set("SD_API_TOKEN", user_api_token());
    let connections = bus_sensor(&mut sandbox);
    let marker = sandbox.path("command-ran");
    let script = format!("touch '{}'", marker.display());

    for args in [&["env"][..], &["env", "--shell", "json"], &["exec", "--", "sh", "-c", &script]] {
        let run = sandbox.run(args, "");
        run.expect_code(2);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("--var NAME"), "{}", run.stderr);
        assert!(run.stderr.contains("--replace-build-token"), "{}", run.stderr);
    }
    assert!(!marker.exists(), "exec ran its command after refusing");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the refusal touched a secret store");
}

/// Like `build_sandbox`, but with `SD_API_TOKEN` and the file store, so the
/// JWT cache of the API token works without a keyring.
fn build_sandbox_with_api_token(jwt: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    let build_id = claims(jwt)["username"].to_string().trim_matches('"').to_string();
    sandbox.set("SD_BUILD_ID", &build_id).set("SD_TOKEN", jwt).set("SD_API_URL", &format!("{}/v4/", sdapi().url));
    sandbox.set("SD_API_TOKEN", user_api_token());
    sandbox
}

#[test]
fn build_var_flag_keeps_build_token() {
    let jwt = server_build_jwt();
    let sandbox = build_sandbox_with_api_token(jwt);

    let run = sandbox.run(&["env", "--shell", "json", "--var", "SD_USER_TOKEN"], "");
    let value: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["SD_API_URL", "SD_USER_TOKEN"]);
    assert_eq!(claims(value["SD_USER_TOKEN"].as_str().unwrap())["scope"], serde_json::json!(["user"]));

    let script = "printf '%s\\n%s\\n' \"$SD_TOKEN\" \"$SD_USER_TOKEN\"";
    let run = sandbox.run(&["exec", "--var", "SD_USER_TOKEN", "--", "sh", "-c", script], "");
    let lines: Vec<&str> = run.success().stdout.lines().collect();
    assert_eq!(lines[0], jwt, "the command keeps the build's SD_TOKEN");
    assert_eq!(claims(lines[1])["scope"], serde_json::json!(["user"]));
}

#[test]
fn build_replace_flag_replaces_build_token() {
    let jwt = server_build_jwt();
    let sandbox = build_sandbox_with_api_token(jwt);

    let run = sandbox.run(&["env", "--shell", "json", "--replace-build-token"], "");
    let value: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
    let replaced = value["SD_TOKEN"].as_str().unwrap();
    assert_ne!(replaced, jwt);
    assert_eq!(claims(replaced)["scope"], serde_json::json!(["user"]));

    let run = sandbox.run(&["exec", "--replace-build-token", "--", "sh", "-c", "printf %s \"$SD_TOKEN\""], "");
    assert_eq!(claims(&run.success().stdout)["scope"], serde_json::json!(["user"]));
}

// --- scope explanations ---------------------------------------------------------

#[test]
fn build_token_list_explains_scope() {
    let sandbox = build_sandbox(server_build_jwt());
    let pipeline = sdapi().pipeline_id.to_string();

    for args in [&["list"][..], &["list", "--pipeline", &pipeline], &["create", &unique_name("never-made")]] {
        let run = sandbox.run(args, "");
        run.expect_code(5);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("a build token (scope build)"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("needs a user token (scope user)"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("`SD_API_TOKEN`"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("log in"), "{args:?} suggests a login: {}", run.stderr);
    }
}

#[test]
fn expired_server_kind_build_token_list_exits_4() {
    let expired = minted_build_jwt(server_build_jwt(), -10);
    let sandbox = build_sandbox(&expired);

    let run = sandbox.run(&["list"], "");

    run.expect_code(4);
    assert!(run.stderr.contains("build tokens cannot be renewed"), "{}", run.stderr);
}

/// A pipeline API token, created through the API and deleted when dropped.
struct PipelineToken {
    id: u64,
    value: String,
}

impl PipelineToken {
    fn create() -> PipelineToken {
        let api = sdapi();
        let (id, value) = api.create_pipeline_token(&api.user_jwt, &unique_name("scope-pipeline"));
        PipelineToken { id, value }
    }
}

impl Drop for PipelineToken {
    fn drop(&mut self) {
        let api = sdapi();
        let url = format!("{}/v4/pipelines/{}/tokens/{}", api.url, api.pipeline_id, self.id);
        let _ = http().delete(url).bearer_auth(&api.user_jwt).send();
    }
}

#[test]
fn pipeline_token_list_explains_scope() {
    let token = PipelineToken::create();
    let pipeline = sdapi().pipeline_id.to_string();
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_API_TOKEN", &token.value).set("SD_API_URL", &sdapi().url);

    for args in [&["list"][..], &["list", "--pipeline", &pipeline]] {
        let run = sandbox.run(args, "");
        run.expect_code(5);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("a pipeline token (scope pipeline)"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("needs a user token (scope user)"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("set `SD_API_TOKEN` to a user API token"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("log in"), "{args:?} suggests a login: {}", run.stderr);
    }
}

#[test]
fn stored_pipeline_token_list_names_context() {
    let token = PipelineToken::create();
    let sandbox = Sandbox::new();
    let url = sdapi().url.clone();
    sandbox.run(&["--context", "deploy", "login", "--with-token", "--api-url", &url], &token.value).success();

    let run = sandbox.run(&["--context", "deploy", "list"], "");

    run.expect_code(5);
    assert!(run.stderr.contains("a pipeline token (scope pipeline)"), "{}", run.stderr);
    assert!(run.stderr.contains("context `deploy` stores a pipeline token"), "{}", run.stderr);
}
