//! `sdtoken refresh`: give a token a new value and print it once. Also holds
//! the steps `create` shares: printing a new value and `--save`.

use anyhow::Context as _;

use crate::api::ApiUrl;
use crate::api::tokens::{self, Owner, WithValue};
use crate::auth::{self, JwtCache, Stores};
use crate::cli::RefreshArgs;
use crate::config::ContextConfig;
use crate::error::CliError;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::Key;

pub fn run(args: RefreshArgs, settings: &Settings) -> anyhow::Result<i32> {
    let owner = super::owner(args.owner.pipeline);
    if args.save {
        check_save_target(settings, owner)?;
    }
    let acting = acting_settings(settings, owner, args.save);

    let (session, stores, _shadowed) = super::session(&acting)?;
    let target = super::find_token(&session, owner, &args.token, args.by_name.by_name)?;
    super::confirm(
        settings,
        &format!("Refresh {} of {}? Its current value stops working at once", target.describe(), owner.describe()),
        args.yes,
    )?;
    let refreshed = tokens::refresh(&session, owner, target.id)?;
    forget_cached_jwts(&acting, &stores);

    crate::output::notice(&format!(
        "Refreshed token {} (`{}`). The old value no longer exchanges; JWTs already made from it stay valid until they expire.",
        refreshed.token.id, refreshed.token.name
    ));
    print_value(settings, &refreshed);
    if args.save {
        save(settings, &acting.api_url, &stores, &refreshed.value)?;
    }
    Ok(0)
}

/// Prints a new token value on stdout: the bare value, or the token as JSON.
pub fn print_value(settings: &Settings, token: &WithValue) {
    if settings.json {
        crate::output::json(&super::token_json(&token.token, Some(&token.value)));
    } else {
        crate::output::stdout_line(token.value.expose());
    }
}

/// A pipeline token saved into the current context would replace the user's
/// own token, so `--save` with `--pipeline` needs an explicit `--context`.
pub fn check_save_target(settings: &Settings, owner: Owner) -> Result<(), CliError> {
    let Owner::Pipeline(id) = owner else { return Ok(()) };
    let acting = current_context_name(settings);
    if !settings.context_explicit || settings.context == acting {
        return Err(CliError::usage(format!(
            "`--save` of a pipeline token needs `--context NAME` naming a context other than `{acting}`"
        ))
        .with_hint(format!("the saved token acts as pipeline {id}; for example `--context pipeline-{id}`")));
    }
    Ok(())
}

fn current_context_name(settings: &Settings) -> String {
    settings.config.current_context.clone().unwrap_or_else(|| crate::config::DEFAULT_CONTEXT.to_string())
}

/// The settings whose credential makes the request. With `--pipeline … --save`,
/// `--context` names where the new token goes, and the current context acts.
pub fn acting_settings(settings: &Settings, owner: Owner, save: bool) -> Settings {
    let mut acting = settings.clone();
    if save && matches!(owner, Owner::Pipeline(_)) {
        acting.context = current_context_name(settings);
        if settings.url_source != crate::settings::UrlSource::Explicit
            && let Some(url) = acting.context_config().and_then(|c| crate::api::ApiUrl::parse(&c.api_url).ok())
        {
            acting.api_url = url;
        }
    }
    acting
}

/// Drops the cached JWTs of the credentials in play: after a refresh or delete
/// they may belong to a token that no longer exchanges.
pub fn forget_cached_jwts(settings: &Settings, stores: &Stores) {
    let mut tokens: Vec<Secret> = settings.env.api_token.iter().cloned().collect();
    if auth::check_stored_url(settings).is_ok()
        && let Ok(store) = stores.token_store()
        && let Ok(Some(token)) = store.get(&Key::api_token(&settings.context))
    {
        tokens.push(token);
    }
    let candidates = stores.cache_candidates();
    for token in tokens {
        JwtCache::new(candidates.clone(), auth::fingerprint(&settings.api_url, &token)).remove();
    }
}

/// Stores `value` as the API token of `settings.context` (`--save`), bound to
/// `url`, the server that issued it. The target context may not exist yet, and
/// then `settings.api_url` is only the default, so the URL is passed in.
pub fn save(settings: &Settings, url: &ApiUrl, stores: &Stores, value: &Secret) -> anyhow::Result<()> {
    let kind = settings.token_store_kind()?;
    let target_stores;
    let stores = if kind == stores.token_kind() {
        stores
    } else {
        target_stores = Stores::with_kind(kind, settings.store_budget);
        &target_stores
    };
    let store = stores.token_store()?;
    let key = Key::api_token(&settings.context);
    let previous = store.get(&key).ok().flatten();
    store
        .set(&key, value)
        .with_context(|| format!("the new value was printed above but could not be saved in the {}", store.describe()))?;
    if let Some(previous) = previous {
        let previous_url = settings.context_config().and_then(|c| ApiUrl::parse(&c.api_url).ok());
        let previous_url = previous_url.as_ref().unwrap_or(url);
        JwtCache::new(stores.cache_candidates(), auth::fingerprint(previous_url, &previous)).remove();
    }
    settings.config_file.update(|config| {
        let entry = config.contexts.entry(settings.context.clone()).or_insert_with(|| ContextConfig {
            api_url: String::new(),
            store: None,
            unknown: Default::default(),
        });
        entry.api_url = url.to_string();
        entry.store = Some(kind);
        if config.current_context.is_none() {
            config.current_context = Some(settings.context.clone());
        }
        Ok(())
    })?;
    crate::output::notice(&format!(
        "Saved the new value as the API token of context `{}` in the {}.",
        settings.context,
        store.describe()
    ));
    if settings.env.api_token.is_some() {
        crate::output::warn("`SD_API_TOKEN` is set and takes precedence over the saved token; update or unset it");
    }
    Ok(())
}
