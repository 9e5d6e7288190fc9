//! The network settings read from the environment: the proxy variables and the
//! trust store overrides. The HTTP client reads them itself. This module checks
//! them before the first request, so a value the client would ignore or fail on
//! is reported by name and not as a connection error.

use std::path::Path;

use super::error::ApiError;

/// Returns the proxy variable in effect for a scheme, as `(name, value)`: the specific
/// one first (upper case, then lower case), then `ALL_PROXY`. Empty values count
/// as unset. Under CGI (`REQUEST_METHOD` set) `HTTP_PROXY` is not read, because
/// a client's `Proxy:` header would arrive in it.
fn proxy_in_effect(scheme: &str, get: impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    let names: &[&'static str] = match scheme {
        "https" => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        _ if get("REQUEST_METHOD").is_some() => &["http_proxy", "ALL_PROXY", "all_proxy"],
        _ => &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
    };
    names.iter().find_map(|name| get(name).filter(|v| !v.trim().is_empty()).map(|v| (*name, v)))
}

/// Checks the proxy URL a request to an API with `scheme` would use.
fn check_proxy(scheme: &str, get: impl Fn(&str) -> Option<String>) -> Result<(), ApiError> {
    let Some((name, value)) = proxy_in_effect(scheme, get) else { return Ok(()) };
    let trimmed = value.trim();
    let with_scheme = if trimmed.contains("://") { trimmed.to_string() } else { format!("http://{trimmed}") };
    let problem = match reqwest::Url::parse(&with_scheme) {
        Err(e) => Some(format!("it is not a URL ({e})")),
        Ok(url) if url.scheme().starts_with("socks") => Some("SOCKS proxies are not supported".to_string()),
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            Some(format!("the scheme `{}` is not a proxy scheme", url.scheme()))
        }
        Ok(url) if url.host_str().is_none_or(str::is_empty) => Some("it names no host".to_string()),
        Ok(_) => None,
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(ApiError::Setup {
            message: format!(
                "{name} is set to `{}`, which is not a usable proxy: {problem}",
                without_userinfo(trimmed)
            ),
            hint: format!(
                "set {name} to http://HOST:PORT (credentials as http://USER:PASSWORD@HOST:PORT), or unset it to connect directly"
            ),
        }),
    }
}

/// Checks that `SSL_CERT_FILE` names a readable file and each `SSL_CERT_DIR`
/// entry a directory: when either is set, it replaces the system's trust store.
fn check_trust_store(get: impl Fn(&str) -> Option<String>) -> Result<(), ApiError> {
    let hint = "point it at PEM CA certificates, or unset it to use the system's trust store; `--ca-cert FILE` adds certificates to the system's";
    if let Some(file) = get("SSL_CERT_FILE").filter(|v| !v.is_empty())
        && let Err(e) = std::fs::File::open(&file)
    {
        return Err(ApiError::Setup {
            message: format!("SSL_CERT_FILE names `{file}`, which cannot be read: {e}"),
            hint: hint.to_string(),
        });
    }
    if let Some(dirs) = get("SSL_CERT_DIR").filter(|v| !v.is_empty())
        && let Some(missing) = dirs.split(':').find(|d| !d.is_empty() && !Path::new(d).is_dir())
    {
        return Err(ApiError::Setup {
            message: format!("SSL_CERT_DIR names `{missing}`, which is not a directory"),
            hint: hint.to_string(),
        });
    }
    Ok(())
}

/// Checks the environment a request to an API with `scheme` depends on.
pub fn check(scheme: &str) -> Result<(), ApiError> {
    let get = |name: &str| std::env::var(name).ok();
    check_trust_store(get)?;
    check_proxy(scheme, get)
}

/// True when `NO_PROXY` (or, when unset, `no_proxy`) has a `*` entry. The HTTP
/// client matches `*` against host names only; sdtoken applies it to every host.
pub fn no_proxy_lists_wildcard() -> bool {
    let list = std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")).unwrap_or_default();
    list.split(',').any(|entry| entry.trim() == "*")
}

/// Masks anything between `://` (or the start) and the last `@` of `text`.
fn without_userinfo(text: &str) -> String {
    let Some(at) = text.rfind('@') else { return text.to_string() };
    let start = text.find("://").map_or(0, |i| i + 3);
    if start > at {
        return text.to_string();
    }
    format!("{}****{}", &text[..start], &text[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn proxy_in_effect_prefers_specific_then_all() {
        let vars = env(&[("https_proxy", "http://a:1"), ("ALL_PROXY", "http://b:2"), ("HTTP_PROXY", "")]);
        assert_eq!(proxy_in_effect("https", &vars), Some(("https_proxy", "http://a:1".to_string())));
        assert_eq!(proxy_in_effect("http", &vars), Some(("ALL_PROXY", "http://b:2".to_string())));
        let cgi = env(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]);
        assert_eq!(proxy_in_effect("http", &cgi), None);
    }

    #[test]
    fn check_proxy_accepts_usual_forms() {
        for value in ["http://proxy:3128", "https://proxy.example.com", "proxy:3128", "http://u:p@127.0.0.1:8080/"] {
            assert!(check_proxy("https", env(&[("HTTPS_PROXY", value)])).is_ok(), "{value}");
        }
    }

    #[test]
    fn check_proxy_rejects_unusable_values_without_showing_passwords() {
        let cases = [
            ("not a url", "not a URL"),
            ("ftp://127.0.0.1:3", "not a proxy scheme"),
            ("http://127.0.0.1:99999", "not a URL"),
            ("socks5://127.0.0.1:1080", "SOCKS"),
            ("http://user:hunter2@:1", "not a URL"),
        ];
        for (value, problem) in cases {
            let err = check_proxy("https", env(&[("HTTPS_PROXY", value)])).unwrap_err();
            let shown = err.to_string();
            assert!(shown.contains("HTTPS_PROXY"), "{value}: {shown}");
            assert!(shown.contains(problem), "{value}: {shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert_eq!(err.exit_code(), crate::error::ExitCode::Usage);
        }
    }

    #[test]
    fn check_trust_store_names_missing_paths() {
        let err = check_trust_store(env(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let err = check_trust_store(env(&[("SSL_CERT_DIR", "/etc:/nonexistent/certs")])).unwrap_err();
        assert!(err.to_string().contains("`/nonexistent/certs`"), "{err}");
        assert!(check_trust_store(env(&[("SSL_CERT_DIR", "/etc")])).is_ok());
    }

    #[test]
    fn without_userinfo_masks_credentials() {
        assert_eq!(without_userinfo("http://u:p@h:1"), "http://****@h:1");
        assert_eq!(without_userinfo("u:p@h:1"), "****@h:1");
        assert_eq!(without_userinfo("http://h:1"), "http://h:1");
    }
}
