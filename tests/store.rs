//! Secret stores through the binary: the store choice and how it is reported,
//! the Secret Service, the kernel keyring (with and without a session keyring),
//! the plaintext file store, a missing D-Bus, the JWT cache key and the
//! single-flight exchange.
//!
//! Run inside `keyctl session -` and `scripts/with-secret-service.sh` (as
//! `scripts/test.sh` does), against the local API named by `SDTOKEN_SDAPI_ENV`.
//! Keyring tests use a context name of their own, because the Secret Service,
//! the session keyring and the per-user persistent keyring are shared by every
//! test of the run.

mod common;

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use common::{Run, Sandbox, jwt_account, sdapi, unique_name};

/// The time limit a store failure must stay under when no D-Bus is reachable.
const NO_DBUS_LIMIT: Duration = Duration::from_secs(3);

/// Wraps the binary so that it starts with the user-session keyring as its
/// session keyring, as in shells started without `pam_keyinit`.
fn without_session_keyring() -> Vec<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    vec!["keyctl".into(), "session".into(), format!("_uid_ses.{uid}")]
}

/// Wraps the binary in a new session keyring that it may search but not write,
/// so that the kernel keyring rejects every JWT cache write.
fn read_only_session_keyring() -> Vec<String> {
    ["keyctl", "session", "-", "sh", "-c", "keyctl setperm @s 0x3b3b0000 && exec \"$@\"", "sh"]
        .map(String::from)
        .to_vec()
}

/// Creates a user API token of the seeded user.
fn user_token(prefix: &str) -> String {
    sdapi().create_user_token(&sdapi().user_jwt, &unique_name(prefix)).1
}

/// Creates a user API token of the seeded read-only user, a different identity.
fn readonly_token(prefix: &str) -> String {
    sdapi().create_user_token(&sdapi().readonly_jwt, &unique_name(prefix)).1
}

/// Decodes the claims of a JWT without verifying it.
fn claims(jwt: &str) -> Value {
    let payload = jwt.trim().split('.').nth(1).unwrap_or_else(|| panic!("not a JWT: {jwt:.12}…"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// Runs the binary behind `wrapper` (a command that ends by running its arguments).
fn run_wrapped(sandbox: &Sandbox, wrapper: &[String], args: &[&str], stdin: &str) -> Run {
    let binary = assert_cmd::cargo::cargo_bin("sdtoken");
    let mut command = assert_cmd::Command::new(&wrapper[0]);
    command.args(&wrapper[1..]).arg(&binary).args(args).env_clear();
    for (name, value) in &sandbox.env {
        command.env(name, value);
    }
    Run::from(command.write_stdin(stdin).output().unwrap())
}

/// True when the kernel keyring contains a sdtoken entry for `account`, in the
/// session keyring or in the per-user persistent keyring.
fn keyutils_has(account: &str) -> bool {
    let description = format!("keyring:{account}@sdtoken");
    let script = "keyctl get_persistent @s >/dev/null 2>&1; keyctl search @s user \"$0\" >/dev/null 2>&1";
    Command::new("sh").args(["-c", script, &description]).status().unwrap().success()
}

/// Returns the expiry column of /proc/keys for the sdtoken entry of `account`:
/// `perm` for a key without a timeout, else the time left (such as `1h59m`).
fn kernel_key_expiry(account: &str) -> Option<String> {
    // Reading the key makes it possessed, which /proc/keys needs to list it.
    keyutils_has(account);
    let description = format!(" keyring:{account}@sdtoken:");
    let keys = std::fs::read_to_string("/proc/keys").unwrap();
    let line = keys.lines().find(|line| line.contains(&description))?;
    line.split_whitespace().nth(3).map(str::to_string)
}

/// True when the user-session keyring itself (not a keyring linked to it) contains the entry.
fn user_session_keyring_has(account: &str) -> bool {
    let description = format!("keyring:{account}@sdtoken");
    let listing = Command::new("keyctl").args(["rlist", "@us"]).output().unwrap();
    String::from_utf8_lossy(&listing.stdout).split_whitespace().any(|id| {
        let out = Command::new("keyctl").args(["rdescribe", id]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim_end().ends_with(&format!(";{description}"))
    })
}

/// True when `secret-tool search --all service sdtoken` lists an entry for `account`.
fn secret_service_has(account: &str) -> bool {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "sdtoken", "username", account])
        .output()
        .expect("secret-tool runs (package libsecret-tools)");
    // secret-tool prints the attributes on stderr and the rest of each entry on stdout.
    String::from_utf8_lossy(&out.stderr).contains(&format!("attribute.username = {account}\n"))
}

/// Creates a sandbox that uses the suite's Secret Service.
fn keyring_sandbox() -> Sandbox {
    let mut sandbox = Sandbox::bare();
    sandbox.with_session_bus();
    assert!(
        sandbox.env.iter().any(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS"),
        "no D-Bus session: run the tests inside scripts/with-secret-service.sh"
    );
    sandbox
}

/// Writes a config whose context `name` keeps its token in `store`, and makes it current.
fn write_config(sandbox: &Sandbox, name: &str, store: &str) {
    let dir = sandbox.path("config/sdtoken");
    fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "current-context = \"{name}\"\n\n[contexts.{name}]\napi-url = \"{}\"\nstore = \"{store}\"\n",
        sdapi().url
    );
    fs::write(dir.join("config.toml"), text).unwrap();
}

fn login_args<'a>(context: &'a str, store: &'a str) -> Vec<&'a str> {
    vec!["login", "--with-token", "--context", context, "--store", store, "--api-url", &sdapi().url]
}

fn status_json(sandbox: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["status", "--json"];
    all.extend_from_slice(args);
    let run = sandbox.run(&all, "");
    run.success();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("status --json is not JSON ({e}): {}", run.stdout))
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn secrets_path(sandbox: &Sandbox) -> PathBuf {
    sandbox.path("data/sdtoken/secrets.json")
}

fn secrets_json(sandbox: &Sandbox) -> Value {
    serde_json::from_str(&fs::read_to_string(secrets_path(sandbox)).unwrap()).unwrap()
}

// --- choosing and reporting the store ------------------------------------------

#[test]
fn login_store_flag_is_remembered_per_context() {
    let mut sandbox = Sandbox::bare();
    let context = unique_name("remember");
    sandbox.run(&login_args(&context, "file"), &user_token("remember")).success();

    let config = fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(parsed["contexts"][context.as_str()]["store"].as_str(), Some("file"), "{config}");

    // Without --store the remembered choice wins over the default (keyring) and over SDTOKEN_STORE.
    sandbox.set("SDTOKEN_STORE", "keyutils");
    let status = status_json(&sandbox, &["--context", &context]);
    assert_eq!(status["store"]["kind"], "file");
    assert_eq!(status["valid"], true);
}

#[test]
fn login_reports_where_token_went() {
    let sandbox = Sandbox::bare();
    let context = unique_name("where");
    let run = sandbox.run(&login_args(&context, "file"), &user_token("where"));
    run.success();
    let path = secrets_path(&sandbox);
    assert!(run.stderr.contains(&path.display().to_string()), "login must name the file: {}", run.stderr);
    assert!(run.stderr.contains("plaintext"), "login must say the file is plaintext: {}", run.stderr);
    assert!(run.stdout.is_empty(), "login prints nothing on stdout: {}", run.stdout);
}

#[test]
fn env_store_choice_is_used_by_login() {
    let mut sandbox = Sandbox::bare();
    sandbox.set("SDTOKEN_STORE", "keyutils");
    let context = unique_name("envstore");
    let run = sandbox
        .run(&["login", "--with-token", "--context", &context, "--api-url", &sdapi().url], &user_token("envstore"));
    run.success();
    assert!(run.stderr.contains("keyutils"), "{}", run.stderr);
    assert!(run.stderr.contains("volatile"), "{}", run.stderr);
    assert!(!secrets_path(&sandbox).exists(), "the keyutils login wrote a secrets file");
    assert!(keyutils_has(&format!("api-token/{context}")));

    sandbox.unset("SDTOKEN_STORE");
    let status = status_json(&sandbox, &["--context", &context]);
    assert_eq!(status["store"]["kind"], "keyutils");
    assert_eq!(status["store"]["durability"], "volatile");
    sandbox.run(&["logout", "--context", &context], "").success();
}

#[test]
fn login_store_switch_removes_old_copy() {
    let mut sandbox = keyring_sandbox();
    let context = unique_name("switch");
    let token = user_token("switch");
    let account = format!("api-token/{context}");
    let jwt_entry = jwt_account(&sdapi().url, &token);
    sandbox.run(&login_args(&context, "file"), &token).success();
    assert!(secrets_json(&sandbox)["entries"][&jwt_entry].is_string());

    // File to kernel keyring: no plaintext copy stays behind.
    let run = sandbox.run(&login_args(&context, "keyutils"), &token);
    run.success();
    assert!(run.stderr.contains("Removed the previous copy"), "{}", run.stderr);
    let entries = &secrets_json(&sandbox)["entries"];
    assert!(entries.get(&account).is_none(), "the plaintext copy is still there: {entries}");
    assert!(entries.get(&jwt_entry).is_none(), "the JWT cached beside the plaintext copy is still there");
    assert!(keyutils_has(&account));
    assert_eq!(status_json(&sandbox, &["--context", &context])["store"]["kind"], "keyutils");

    // Kernel keyring to Secret Service: the old copy goes, the JWT cache (the kernel keyring for both) stays filled.
    sandbox.run(&login_args(&context, "keyring"), &token).success();
    assert!(!keyutils_has(&account), "the kernel keyring copy is still there");
    assert!(secret_service_has(&account));
    assert!(keyutils_has(&jwt_entry), "removing the old copy dropped the new login's cached JWT");

    // Back to the file store through SDTOKEN_STORE.
    sandbox.set("SDTOKEN_STORE", "file");
    let run = sandbox.run(&["login", "--with-token", "--context", &context, "--api-url", &sdapi().url], &token);
    run.success();
    assert!(!secret_service_has(&account), "the Secret Service copy is still there");
    assert!(secrets_json(&sandbox)["entries"][&jwt_entry].is_string(), "the new login's JWT was not cached");
    sandbox.run(&["logout", "--context", &context], "").success();
}

#[test]
fn status_names_store_and_durability() {
    let token = user_token("durability");
    let cases = [("file", "plaintext"), ("keyutils", "volatile"), ("keyring", "persistent")];
    for (store, durability) in cases {
        let sandbox = keyring_sandbox();
        let context = unique_name("durability");
        sandbox.run(&login_args(&context, store), &token).success();

        let status = status_json(&sandbox, &["--context", &context]);
        assert_eq!(status["store"]["kind"], store);
        assert_eq!(status["store"]["durability"], durability);
        let text = sandbox.run(&["status", "--context", &context], "");
        text.success();
        let line = text.stdout.lines().find(|l| l.contains("store:")).unwrap_or_default().to_string();
        assert!(line.contains(durability), "{store}: the store line lacks `{durability}`: {}", text.stdout);
        sandbox.run(&["logout", "--context", &context], "").success();
    }
}

// --- Secret Service -----------------------------------------------------------------

#[test]
fn keyring_login_exchange_logout_across_processes() {
    let sandbox = keyring_sandbox();
    let context = unique_name("ss");
    let token = user_token("ss");
    let account = format!("api-token/{context}");
    let jwt_entry = jwt_account(&sdapi().url, &token);

    let started = Instant::now();
    sandbox.run(&login_args(&context, "keyring"), &token).success();
    eprintln!("login with the Secret Service took {} ms", started.elapsed().as_millis());
    assert!(secret_service_has(&account), "the API token is not in the Secret Service");
    // The kernel keyring is usable here, so the JWT cache is there.
    assert!(keyutils_has(&jwt_entry), "the JWT is not cached in the kernel keyring");

    let started = Instant::now();
    let exchange = sandbox.run(&["exchange", "--context", &context], "");
    eprintln!("exchange from the cache took {} ms", started.elapsed().as_millis());
    exchange.success();
    assert_eq!(claims(&exchange.stdout)["username"], sdapi().user.as_str());
    let status = status_json(&sandbox, &["--context", &context]);
    assert_eq!(status["cached"], true);
    assert_eq!(status["store"]["kind"], "keyring");

    sandbox.run(&["logout", "--context", &context], "").success();
    assert!(!secret_service_has(&account), "logout left the API token in the Secret Service");
    assert!(!keyutils_has(&jwt_entry), "logout left the cached JWT in the kernel keyring");
    sandbox.run(&["exchange", "--context", &context], "").expect_code(4);
}

#[test]
fn keyring_caches_jwt_when_kernel_keyring_rejects_writes() {
    let sandbox = keyring_sandbox();
    let wrapper = read_only_session_keyring();
    let context = unique_name("ssjwt");
    let token = user_token("ssjwt");
    let account = format!("api-token/{context}");
    let jwt_entry = jwt_account(&sdapi().url, &token);

    run_wrapped(&sandbox, &wrapper, &login_args(&context, "keyring"), &token).success();
    assert!(secret_service_has(&account), "the API token is not in the Secret Service");
    assert!(secret_service_has(&jwt_entry), "the JWT is not cached in the Secret Service");

    let first = run_wrapped(&sandbox, &wrapper, &["exchange", "--context", &context, "-vv"], "");
    first.success();
    assert!(first.stderr.contains("cached JWT"), "the second process did not read the cache: {}", first.stderr);
    assert!(!first.stderr.contains("GET /v4/auth/token"), "the cached JWT was exchanged again: {}", first.stderr);

    run_wrapped(&sandbox, &wrapper, &["logout", "--context", &context], "").success();
    assert!(!secret_service_has(&account), "logout left the API token in the Secret Service");
    assert!(!secret_service_has(&jwt_entry), "logout left the cached JWT in the Secret Service");
}

// --- kernel keyring ------------------------------------------------------------------

#[test]
fn keyutils_login_exchange_logout_across_processes() {
    let sandbox = Sandbox::bare();
    let context = unique_name("ku");
    let token = user_token("ku");
    let account = format!("api-token/{context}");
    let jwt_entry = jwt_account(&sdapi().url, &token);

    sandbox.run(&login_args(&context, "keyutils"), &token).success();
    assert!(keyutils_has(&account));
    assert!(keyutils_has(&jwt_entry));
    assert_eq!(kernel_key_expiry(&account).as_deref(), Some("perm"), "the API token must not expire");
    let expiry = kernel_key_expiry(&jwt_entry).expect("the cached JWT is in /proc/keys");
    assert_ne!(expiry, "perm", "the cached JWT has no timeout");

    let exchange = sandbox.run(&["exchange", "--context", &context, "-vv"], "");
    exchange.success();
    assert!(!exchange.stderr.contains("GET /v4/auth/token"), "the cached JWT was not used: {}", exchange.stderr);
    assert_eq!(claims(&exchange.stdout)["username"], sdapi().user.as_str());

    sandbox.run(&["logout", "--context", &context], "").success();
    assert!(!keyutils_has(&account), "logout left the API token in the kernel keyring");
    assert!(!keyutils_has(&jwt_entry), "logout left the cached JWT in the kernel keyring");
    sandbox.run(&["exchange", "--context", &context], "").expect_code(4);
}

#[test]
fn keyutils_joins_session_keyring_when_missing() {
    let wrapper = without_session_keyring();
    let mut check = wrapper.clone();
    check.extend(["sh", "-c", "test \"$(keyctl id @s)\" = \"$(keyctl id @us)\""].map(String::from));
    let same = Command::new(&check[0]).args(&check[1..]).stderr(Stdio::null()).status().unwrap();
    assert!(same.success(), "`{}` did not give a process the user-session keyring", wrapper.join(" "));

    let sandbox = Sandbox::bare();
    let context = unique_name("kujoin");
    let token = user_token("kujoin");
    let account = format!("api-token/{context}");

    let mut args = login_args(&context, "keyutils");
    args.push("-vv");
    let login = run_wrapped(&sandbox, &wrapper, &args, &token);
    login.success();
    assert!(login.stderr.contains("joined a new session keyring"), "{}", login.stderr);
    assert!(!user_session_keyring_has(&account), "the API token was written to the user-session keyring");

    // Another process, with its own new session keyring, finds the token and the
    // cached JWT through the persistent keyring.
    let exchange = run_wrapped(&sandbox, &wrapper, &["exchange", "--context", &context, "-vv"], "");
    exchange.success();
    assert!(!exchange.stderr.contains("GET /v4/auth/token"), "the cached JWT was not found: {}", exchange.stderr);
    assert_eq!(claims(&exchange.stdout)["username"], sdapi().user.as_str());

    run_wrapped(&sandbox, &wrapper, &["logout", "--context", &context], "").success();
    run_wrapped(&sandbox, &wrapper, &["exchange", "--context", &context], "").expect_code(4);
    assert!(!keyutils_has(&account), "logout left the API token in the kernel keyring");
    assert!(!keyutils_has(&jwt_account(&sdapi().url, &token)), "logout left the cached JWT");
}

// --- file store -----------------------------------------------------------------------

#[test]
fn file_store_files_are_private() {
    let sandbox = Sandbox::new();
    sandbox.login(&user_token("modes")).success();
    sandbox.run(&["exchange", "--no-cache"], "").success();

    let data = sandbox.path("data/sdtoken");
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("secrets.json")), 0o600, "secrets.json");
    assert_eq!(mode(&data.join("secrets.json.lock")), 0o600, "secrets.json.lock");
    let config = sandbox.path("config/sdtoken");
    assert_eq!(mode(&config), 0o700, "config directory");
    assert_eq!(mode(&config.join("config.toml")), 0o600, "config.toml");
    assert_eq!(mode(&config.join("config.toml.lock")), 0o600, "config.toml.lock");
    let locks: Vec<PathBuf> = fs::read_dir(sandbox.path("run/sdtoken")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!locks.is_empty(), "no JWT lock file was made");
    assert_eq!(mode(&sandbox.path("run/sdtoken")), 0o700, "lock directory");
    for lock in locks {
        assert_eq!(mode(&lock), 0o600, "{}", lock.display());
    }
}

#[test]
fn file_store_concurrent_logins_all_land() {
    let sandbox = Sandbox::new();
    let token = user_token("atomic");
    let contexts: Vec<String> = (0..8).map(|i| format!("atomic{i}")).collect();
    let children: Vec<Child> = contexts
        .iter()
        .map(|context| {
            let mut child =
                spawn(&sandbox, &["login", "--with-token", "--context", context, "--api-url", &sdapi().url]);
            child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
            child
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    let secrets = secrets_json(&sandbox);
    let config: toml::Table =
        toml::from_str(&fs::read_to_string(sandbox.path("config/sdtoken/config.toml")).unwrap()).unwrap();
    for context in &contexts {
        assert_eq!(secrets["entries"][format!("api-token/{context}")], token.as_str(), "{context} lost");
        assert!(config["contexts"].get(context.as_str()).is_some(), "{context} missing from config.toml");
    }
    let leftovers: Vec<String> = fs::read_dir(sandbox.path("data/sdtoken"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn file_store_corrupt_secrets_is_exit_3() {
    let sandbox = Sandbox::new();
    sandbox.login(&user_token("corrupt")).success();
    let path = secrets_path(&sandbox);
    let broken = "{\"entries\": {\"api-token/default\": \"half-writ";
    fs::write(&path, broken).unwrap();

    for args in [&["exchange"][..], &["status"], &["list"]] {
        let run = sandbox.run(args, "");
        run.expect_code(3);
        assert!(run.stderr.contains("secrets.json"), "{args:?}: the error must name the file: {}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{args:?}: no hint: {}", run.stderr);
        assert!(!run.stderr.contains("half-writ"), "{args:?}: the file's text is in the message: {}", run.stderr);
    }
    // A new login must not replace the unreadable file either.
    sandbox.login(&user_token("corrupt")).expect_code(3);
    sandbox.run(&["logout"], "").expect_code(3);
    assert_eq!(fs::read_to_string(&path).unwrap(), broken, "the corrupt secrets file was rewritten");
}

#[test]
fn file_store_bad_cache_entry_is_replaced() {
    let token = user_token("badcache");
    let account = jwt_account(&sdapi().url, &token);
    for bad in [Value::from("not-a-jwt"), Value::from("a.b.c"), Value::from(17), Value::Null] {
        let sandbox = Sandbox::new();
        sandbox.login(&token).success();
        let mut secrets = secrets_json(&sandbox);
        assert!(secrets["entries"][&account].is_string(), "login did not cache the JWT under {account}");
        secrets["entries"][&account] = bad.clone();
        fs::write(secrets_path(&sandbox), secrets.to_string()).unwrap();

        let run = sandbox.run(&["exchange"], "");
        run.success();
        let jwt = run.stdout.trim();
        assert_eq!(claims(jwt)["username"], sdapi().user.as_str());
        assert_eq!(secrets_json(&sandbox)["entries"][&account], jwt, "the bad entry {bad} was not replaced");
        assert_eq!(sandbox.run(&["exchange"], "").success().stdout.trim(), jwt, "the replaced entry is not reused");
    }
}

// --- no D-Bus -------------------------------------------------------------------------

#[test]
fn keyring_without_dbus_fails_fast() {
    for address in [None, Some("unix:path=/nonexistent")] {
        let mut sandbox = Sandbox::bare();
        if let Some(address) = address {
            sandbox.set("DBUS_SESSION_BUS_ADDRESS", address);
        }
        write_config(&sandbox, "nodbus", "keyring");
        for command in ["status", "exchange", "list"] {
            let started = Instant::now();
            let run = sandbox.run(&[command], "");
            let elapsed = started.elapsed();
            eprintln!("{command} without D-Bus ({address:?}) exited {} after {} ms", run.code, elapsed.as_millis());
            run.expect_code(3);
            assert!(elapsed < NO_DBUS_LIMIT, "{command} took {elapsed:?}");
            for remedy in ["--store keyutils", "--store file", "SD_API_TOKEN"] {
                assert!(run.stderr.contains(remedy), "{command}: the message lacks `{remedy}`: {}", run.stderr);
            }
            assert!(run.stdout.is_empty(), "{command}: {}", run.stdout);
        }
    }
}

/// Listens on a Unix socket that accepts connections and never replies, like a
/// hung D-Bus daemon. The listener thread ends with the test process.
fn silent_bus(path: &Path) -> String {
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("unix:path={}", path.display())
}

#[test]
fn keyring_that_never_answers_times_out() {
    let mut sandbox = Sandbox::bare();
    let address = silent_bus(&sandbox.path("silent-bus"));
    sandbox.set("DBUS_SESSION_BUS_ADDRESS", &address);
    write_config(&sandbox, "hung", "keyring");

    for command in ["status", "exchange", "logout"] {
        let started = Instant::now();
        let run = sandbox.run(&[command], "");
        eprintln!("{command} with a silent D-Bus exited {} after {} ms", run.code, started.elapsed().as_millis());
        run.expect_code(3);
        assert!(run.stderr.contains("did not answer within 3 s"), "{command}: {}", run.stderr);
    }
    let config = sandbox.path("config/sdtoken/config.toml");
    let before = fs::read_to_string(&config).unwrap();
    let run = sandbox.run(&login_args("hung", "keyring"), &user_token("hung"));
    run.expect_code(3);
    assert!(run.stderr.contains("did not answer within 3 s"), "login: {}", run.stderr);
    assert_eq!(fs::read_to_string(&config).unwrap(), before, "login changed the config");

    // An environment credential with a working kernel keyring never waits for the keyring.
    sandbox.set("SD_API_TOKEN", &user_token("hungenv"));
    for _ in 0..2 {
        let run = sandbox.run(&["exchange", "-vv"], "");
        run.success();
        assert!(!run.stderr.contains("did not answer"), "exchange called the keyring: {}", run.stderr);
    }
}

#[test]
fn keyring_login_without_dbus_writes_nothing() {
    let mut sandbox = Sandbox::bare();
    sandbox.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let mut args = login_args("nodbus", "keyring");
    args.push("-vv");
    let run = sandbox.run(&args, &user_token("nodbuslogin"));
    run.expect_code(3);
    assert!(run.stderr.contains("--store file"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("/v4/auth/token"),
        "login exchanged the token before opening the store: {}",
        run.stderr
    );
    assert!(!sandbox.path("config/sdtoken/config.toml").exists(), "login wrote a config without storing the token");
    assert!(!secrets_path(&sandbox).exists(), "login fell back to the file store");
}

#[test]
fn env_api_token_works_without_keyring() {
    let mut sandbox = Sandbox::bare();
    write_config(&sandbox, "nodbusenv", "keyring");
    let token = user_token("nodbusenv");
    sandbox.set("SD_API_TOKEN", &token);

    let run = sandbox.run(&["exchange"], "");
    run.success();
    assert_eq!(claims(&run.stdout)["username"], sdapi().user.as_str());
    let status = status_json(&sandbox, &[]);
    assert_eq!(status["source"], "SD_API_TOKEN");
    assert_eq!(status["cached"], true, "the JWT was not cached in the kernel keyring");
    assert!(!secrets_path(&sandbox).exists(), "a JWT was written to disk");
}

// --- cache key ------------------------------------------------------------------------

#[test]
fn cache_separates_env_tokens() {
    let mut sandbox = Sandbox::new();
    sandbox.set("SD_API_URL", &sdapi().url);
    let user = user_token("cachekey");
    let readonly = readonly_token("cachekey");

    sandbox.set("SD_API_TOKEN", &user);
    let first = sandbox.run(&["exchange"], "").success().stdout.clone();
    sandbox.set("SD_API_TOKEN", &readonly);
    let second = sandbox.run(&["exchange"], "").success().stdout.clone();
    assert_eq!(claims(&first)["username"], sdapi().user.as_str());
    assert_eq!(claims(&second)["username"], sdapi().readonly_user.as_str(), "the other token's JWT was reused");

    let status = status_json(&sandbox, &[]);
    assert_eq!(status["username"], sdapi().readonly_user.as_str());
    assert_eq!(status["cached"], true);
    sandbox.set("SD_API_TOKEN", &user);
    assert_eq!(sandbox.run(&["exchange"], "").success().stdout, first, "the first token's cached JWT was lost");
}

#[test]
fn cache_separates_contexts_on_same_server() {
    let sandbox = Sandbox::new();
    let url = sdapi().url.clone();
    for (context, token) in [("one", user_token("ctxone")), ("two", readonly_token("ctxtwo"))] {
        sandbox.run(&["login", "--with-token", "--context", context, "--api-url", &url], &token).success();
    }
    let one = sandbox.run(&["exchange", "--context", "one"], "").success().stdout.clone();
    let two = sandbox.run(&["exchange", "--context", "two"], "").success().stdout.clone();
    assert_ne!(one, two);
    assert_eq!(claims(&one)["username"], sdapi().user.as_str());
    assert_eq!(claims(&two)["username"], sdapi().readonly_user.as_str());
    assert_eq!(sandbox.run(&["exchange", "--context", "one"], "").success().stdout, one);
    assert_eq!(sandbox.run(&["exchange", "--context", "two"], "").success().stdout, two);
}

// --- single flight -------------------------------------------------------------------

/// `tests/sdapi/count-proxy.py` on a free loopback port; stopped by PID when dropped.
struct CountProxy {
    child: Child,
    url: String,
    log: PathBuf,
}

impl CountProxy {
    fn start(dir: &Path) -> CountProxy {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.join("requests.log");
        fs::write(&log, "").unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdapi/count-proxy.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&sdapi().url)
            .arg(&log)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs count-proxy.py");
        let proxy = CountProxy { child, url: format!("http://127.0.0.1:{port}"), log };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "count-proxy.py did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }

    fn requests(&self, line: &str) -> usize {
        fs::read_to_string(&self.log).unwrap().lines().filter(|l| l.starts_with(line)).count()
    }
}

impl Drop for CountProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(sandbox: &Sandbox, args: &[&str]) -> Child {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sdtoken"));
    command.args(args).env_clear().stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (name, value) in &sandbox.env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// Starts 50 `exchange` processes at once and checks that they share one exchange.
fn assert_single_flight(sandbox: &mut Sandbox, label: &str) {
    let proxy = CountProxy::start(sandbox.dir.path());
    sandbox.set("SD_API_URL", &proxy.url);
    sandbox.set("SD_API_TOKEN", &user_token("flight"));

    let started = Instant::now();
    let children: Vec<Child> = (0..50).map(|_| spawn(sandbox, &["exchange"])).collect();
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let elapsed = started.elapsed();
    eprintln!("{label}: 50 concurrent exchanges took {} ms", elapsed.as_millis());

    for output in &outputs {
        assert!(output.status.success(), "{label}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let jwts: HashSet<String> = outputs.iter().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).collect();
    assert_eq!(jwts.len(), 1, "{label}: the processes printed {} different JWTs", jwts.len());
    assert_eq!(
        proxy.requests("GET /v4/auth/token"),
        1,
        "{label}: requests seen:\n{}",
        fs::read_to_string(&proxy.log).unwrap()
    );
}

#[test]
fn single_flight_file_store() {
    let mut sandbox = Sandbox::new();
    assert_single_flight(&mut sandbox, "file store");
    assert!(secrets_path(&sandbox).exists(), "the JWT was not cached in the file store");
}

#[test]
fn single_flight_keyutils() {
    // A context that keeps its token in the keyring, and no D-Bus: the JWT
    // cache of `SD_API_TOKEN` is the kernel keyring alone.
    let mut sandbox = Sandbox::bare();
    write_config(&sandbox, "flight", "keyring");
    assert_single_flight(&mut sandbox, "kernel keyring");
    assert!(!secrets_path(&sandbox).exists(), "a JWT was written to disk");
}
