//! The network settings read from the environment: the proxy variables and the
//! trust store overrides. The HTTP client reads them itself. This module checks
//! them before the first request, so a value the client would ignore or fail on
//! is reported by name and not as a connection error.

use std::path::Path;

use super::error::ApiError;
use super::url::ApiUrl;

/// Returns the proxy variable in effect for a scheme, as `(name, value)`: the specific
/// one first (upper case, then lower case), then `ALL_PROXY`. Empty values count
/// as unset. Under CGI (`REQUEST_METHOD` set) `HTTP_PROXY` is not read, because
/// a client's `Proxy:` header would arrive in it.
fn proxy_in_effect(scheme: &str, get: &impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    let names: &[&'static str] = match scheme {
        "https" => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        _ if get("REQUEST_METHOD").is_some() => &["http_proxy", "ALL_PROXY", "all_proxy"],
        _ => &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
    };
    names.iter().find_map(|name| get(name).filter(|v| !v.trim().is_empty()).map(|v| (*name, v)))
}

/// The proxy requests to the API go through, from the environment.
pub struct ProxySetting {
    /// The client's proxy, with any credentials of the URL.
    pub proxy: reqwest::Proxy,
    /// The variable and the URL with its password masked, such as `HTTPS_PROXY (http://proxy:3128)`.
    pub shown: String,
}

/// Returns the proxy for requests to `base`: the variable in effect for its
/// scheme, unless `NO_PROXY` (or `no_proxy`) matches its host. Surrounding
/// whitespace is ignored. A value that is not an http(s) URL is a usage error.
fn proxy_setting(base: &ApiUrl, get: impl Fn(&str) -> Option<String>) -> Result<Option<ProxySetting>, ApiError> {
    let Some((name, value)) = proxy_in_effect(base.scheme(), &get) else { return Ok(None) };
    let no_proxy = get("NO_PROXY").or_else(|| get("no_proxy")).unwrap_or_default();
    if no_proxy.split(',').any(|entry| entry.trim() == "*") {
        return Ok(None);
    }
    let url = parse_proxy_url(name, value.trim())?;
    let proxy = reqwest::Proxy::all(url.as_str())
        .map_err(|e| unusable_proxy(name, Some(&url), &e.to_string()))?
        .no_proxy(reqwest::NoProxy::from_string(&no_proxy));
    Ok(Some(ProxySetting { proxy, shown: format!("{name} ({})", masked(&url)) }))
}

/// Parses a proxy variable's value; a value without a scheme means `http://`.
fn parse_proxy_url(name: &'static str, value: &str) -> Result<reqwest::Url, ApiError> {
    let with_scheme = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    // A value that does not parse is not shown: where its password ends is unknown.
    let url =
        reqwest::Url::parse(&with_scheme).map_err(|e| unusable_proxy(name, None, &format!("it is not a URL ({e})")))?;
    let problem = match url.scheme() {
        scheme if scheme.starts_with("socks") => Some("SOCKS proxies are not supported".to_string()),
        "http" | "https" => None,
        scheme => Some(format!("the scheme `{scheme}` is not a proxy scheme")),
    };
    let problem = problem.or_else(|| url.host_str().is_none_or(str::is_empty).then(|| "it names no host".to_string()));
    match problem {
        Some(problem) => Err(unusable_proxy(name, Some(&url), &problem)),
        None => Ok(url),
    }
}

fn unusable_proxy(name: &str, url: Option<&reqwest::Url>, problem: &str) -> ApiError {
    let value = url.map_or(String::new(), |url| format!(" (`{}`)", masked(url)));
    ApiError::Setup {
        message: format!("{name}{value} is not a usable proxy: {problem}"),
        hint: format!(
            "set {name} to http://HOST:PORT, with credentials as http://USER:PASSWORD@HOST:PORT \
             (percent-encode `@`, `:`, `/` and `#` in them), or unset it to connect directly"
        ),
    }
}

/// Returns the URL for messages: its password masked, without a trailing slash.
fn masked(url: &reqwest::Url) -> String {
    super::url::with_password_masked(url).as_str().trim_end_matches('/').to_string()
}

/// Checks that `SSL_CERT_FILE` names a readable file and each `SSL_CERT_DIR`
/// entry a directory: when either is set, it replaces the system's trust store.
fn check_trust_store(get: impl Fn(&str) -> Option<String>) -> Result<(), ApiError> {
    let hint = "point it at PEM CA certificates, or unset it to use the system's trust store; `--ca-cert FILE` adds certificates to the system's";
    if let Some(file) = get("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        let problem = match std::fs::read(&file) {
            Err(e) => Some(format!("which cannot be read: {e}")),
            Ok(pem) => match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(certificates) if !certificates.is_empty() => None,
                _ => Some("which contains no PEM certificate".to_string()),
            },
        };
        if let Some(problem) = problem {
            return Err(ApiError::Setup {
                message: format!("invalid SSL_CERT_FILE: it names `{file}`, {problem}"),
                hint: hint.to_string(),
            });
        }
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

/// Checks the trust store variables and returns the proxy for requests to `base`.
pub fn check(base: &ApiUrl) -> Result<Option<ProxySetting>, ApiError> {
    let get = |name: &str| std::env::var(name).ok();
    check_trust_store(get)?;
    proxy_setting(base, get)
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

    fn https_base() -> ApiUrl {
        ApiUrl::parse("https://api.example.com").unwrap()
    }

    #[test]
    fn proxy_setting_accepts_usual_forms() {
        let values = ["http://proxy:3128", "https://proxy.example.com", "proxy:3128", " http://u:p@127.0.0.1:8080/\n"];
        for value in values {
            let setting = proxy_setting(&https_base(), env(&[("HTTPS_PROXY", value)])).unwrap();
            assert!(setting.is_some(), "{value}");
        }
    }

    #[test]
    fn proxy_setting_masks_password() {
        let vars = env(&[("HTTPS_PROXY", "http://alice:hunter2@proxy:3128")]);
        let setting = proxy_setting(&https_base(), vars).unwrap().unwrap();
        assert_eq!(setting.shown, "HTTPS_PROXY (http://alice:****@proxy:3128)");
    }

    #[test]
    fn proxy_setting_skips_wildcard_no_proxy() {
        let vars = env(&[("HTTPS_PROXY", "http://proxy:3128"), ("no_proxy", "a.test, *")]);
        assert!(proxy_setting(&https_base(), vars).unwrap().is_none());
    }

    #[test]
    fn proxy_setting_rejects_unusable_values() {
        let cases = [
            ("not a url", "not a URL"),
            ("ftp://127.0.0.1:3", "not a proxy scheme"),
            ("http://127.0.0.1:99999", "not a URL"),
            ("socks5://127.0.0.1:1080", "SOCKS"),
            ("http://user:hunter2@:1", "not a URL"),
            ("http://alice:hunter2", "not a URL"),
            ("ftp://alice:hunter2@proxy", "not a proxy scheme"),
        ];
        for (value, problem) in cases {
            let err = proxy_setting(&https_base(), env(&[("HTTPS_PROXY", value)])).err().expect(value);
            let shown = err.to_string();
            assert!(shown.contains("HTTPS_PROXY"), "{value}: {shown}");
            assert!(shown.contains(problem), "{value}: {shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert_eq!(err.exit_code(), crate::error::ExitCode::Usage);
        }
    }

    #[test]
    fn check_trust_store_names_bad_paths() {
        let err = check_trust_store(env(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let err = check_trust_store(env(&[("SSL_CERT_FILE", "/etc/hostname")])).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let err = check_trust_store(env(&[("SSL_CERT_FILE", "/etc")])).unwrap_err();
        assert!(err.to_string().contains("cannot be read"), "{err}");
        let err = check_trust_store(env(&[("SSL_CERT_DIR", "/etc:/nonexistent/certs")])).unwrap_err();
        assert!(err.to_string().contains("`/nonexistent/certs`"), "{err}");
        assert!(check_trust_store(env(&[("SSL_CERT_DIR", "/etc")])).is_ok());
    }
}
