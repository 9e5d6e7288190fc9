//! `sdtoken refresh`: give a token a new value and print it once. Also contains
//! the steps other token commands share: printing a new value, `--save` and its
//! checks, the check that the credential in use survived a refresh or delete,
//! and the explanation of a 404 on a TOKEN argument of digits.

use crate::api::tokens::{self, Owner, WithValue};
use crate::api::{ApiError, ApiUrl};
use crate::auth::{self, Credential, JwtCache, Session, Source, Stores};
use crate::cli::RefreshArgs;
use crate::error::{CliError, ExitCode};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::store::Key;

pub fn run(args: RefreshArgs, settings: &Settings) -> anyhow::Result<i32> {
    super::parse_token_arg(&args.token, args.by_name.by_name)?;
    let owner = super::owner(args.owner.pipeline);
    let acting = acting_settings(settings, owner, args.save);
    if args.save {
        acting.check_context()?;
        check_save_target(settings, &acting, owner)?;
    }

    let (session, stores, _shadowed) = super::session(&acting)?;
    let target = super::find_token(&session, owner, &args.token, args.by_name.by_name)?;
    super::confirm(
        settings,
        &format!("Refresh {} of {}? Its current value stops working at once.", target.describe(), owner.describe()),
        args.yes,
    )?;
    let refreshed =
        tokens::refresh(&session, owner, target.id).map_err(|e| explain_missing_id(e, &args.token, &target, owner))?;
    // Only a user token can manage tokens, so a pipeline token's refresh leaves the
    // credential in use working, unless `--save` replaces a context's token.
    if owner == Owner::User || args.save {
        forget_cached_jwts(&acting, &stores);
    }

    crate::output::notice(&format!(
        "Refreshed token {} (`{}`) in {}. The old value no longer exchanges; JWTs already made from it stay valid until they expire.",
        refreshed.token.id,
        refreshed.token.name,
        owner.describe()
    ));
    print_value(settings, &refreshed);
    if args.save {
        save(settings, &acting, &stores, &refreshed.value, owner)?;
    } else {
        warn_if_credential_stopped_working(&acting, &session, owner, Change::Refreshed);
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

/// Checks where `--save` of a pipeline token would go, before any request.
/// Saved into the current context it would replace the user's own token, so it
/// needs an explicit `--context` naming another one. That context must not
/// already hold a token, or belong to another server than the `acting` one,
/// because `--save` would overwrite it without a way back.
pub fn check_save_target(settings: &Settings, acting: &Settings, owner: Owner) -> anyhow::Result<()> {
    if let Owner::Pipeline(id) = owner {
        check_pipeline_save_target(settings, acting, id)?;
    }
    // The store must work before the server changes anything: a refresh that
    // cannot be saved leaves only the printed copy of the new value.
    let kind = save_store_kind(settings, acting)?;
    let stores = Stores::with_kind(kind, settings.store_budget);
    let probe = stores.token_store().and_then(|store| store.get(&Key::api_token(&settings.context)));
    probe.map_err(|e| {
        let message = format!(
            "cannot save into context `{}`: its {kind} store is unusable; nothing was changed",
            settings.context
        );
        let hint = "for a new context, choose a store that works here with `SDTOKEN_STORE=file` or \
                    `SDTOKEN_STORE=keyutils`; otherwise unlock or start the keyring";
        anyhow::Error::new(e).context(CliError::new(ExitCode::StoreUnavailable, message).with_hint(hint))
    })?;
    Ok(())
}

/// The store `--save` writes to: the target context's own, else `SDTOKEN_STORE`,
/// else the store of the context that makes the request.
fn save_store_kind(settings: &Settings, acting: &Settings) -> anyhow::Result<crate::store::StoreKind> {
    let chosen = settings.context_config().and_then(|c| c.store).is_some()
        || std::env::var_os("SDTOKEN_STORE").is_some_and(|v| !v.is_empty());
    if chosen { settings.token_store_kind() } else { acting.token_store_kind() }
}

fn check_pipeline_save_target(settings: &Settings, acting: &Settings, id: u64) -> anyhow::Result<()> {
    let current = current_context_name(settings);
    if !settings.context_explicit || settings.context == current {
        return Err(CliError::usage(format!(
            "`--save` of a pipeline token needs `--context NAME` naming a context other than `{current}`"
        ))
        .with_hint(format!("the saved token acts as pipeline {id}; for example `--context pipeline-{id}`"))
        .into());
    }
    let Some(existing) = settings.context_config() else { return Ok(()) };
    let target = &settings.context;
    let fix = format!("remove it with `sdtoken context remove {target}` or choose another name; nothing was changed");
    let existing_url = ApiUrl::parse(&existing.api_url).ok();
    if existing_url.as_ref() != Some(&acting.api_url) {
        return Err(CliError::usage(format!(
            "context `{target}` is set up for {}, not for {}",
            existing.api_url, acting.api_url
        ))
        .with_hint(fix)
        .into());
    }
    let stores = Stores::with_kind(settings.token_store_kind()?, settings.store_budget);
    if stores.token_store()?.get(&Key::api_token(target))?.is_some() {
        return Err(CliError::usage(format!("context `{target}` already holds an API token for {}", existing.api_url))
            .with_hint(fix)
            .into());
    }
    Ok(())
}

fn current_context_name(settings: &Settings) -> String {
    settings.config.current_context.clone().unwrap_or_else(|| crate::config::DEFAULT_CONTEXT.to_string())
}

/// Returns the settings whose credential makes the request. With `--pipeline … --save`,
/// `--context` names where the new token goes, and the current context acts.
pub fn acting_settings(settings: &Settings, owner: Owner, save: bool) -> Settings {
    let mut acting = settings.clone();
    if save && matches!(owner, Owner::Pipeline(_)) {
        acting.context = current_context_name(settings);
        acting.context_explicit = false;
        acting.context_origin = match settings.config.current_context {
            Some(_) => crate::settings::ContextOrigin::Current,
            None => crate::settings::ContextOrigin::Default,
        };
        if settings.url_source != crate::settings::UrlSource::Explicit
            && let Some(url) = acting.context_config().and_then(|c| crate::api::ApiUrl::parse(&c.api_url).ok())
        {
            acting.api_url = url;
            acting.url_source = crate::settings::UrlSource::Context;
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

/// The change a command made to the tokens it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Refreshed,
    Deleted,
}

/// Warns when the API token the command acted with no longer exchanges after a
/// refresh or delete of user tokens: it was one of them, and the next command
/// would fail with a 401. Costs one exchange, made without the cache. Pipeline
/// tokens are skipped, because only a user token can manage them.
pub fn warn_if_credential_stopped_working(settings: &Settings, session: &Session, owner: Owner, change: Change) {
    if owner != Owner::User {
        return;
    }
    let Credential::ApiToken { source, .. } = &session.credential else { return };
    let was_cached = session.used_cached_jwt();
    let Err(err) = session.jwt_with(false) else { return };
    let rejected = err.chain().any(|cause| cause.downcast_ref::<ApiError>().is_some_and(|e| e.status() == Some(401)));
    if !rejected {
        tracing::info!("could not check that {} still works: {err:#}", source.describe_credential());
        return;
    }
    crate::output::warn(&stopped_working_message(settings, source, change, was_cached));
}

/// "the API token of context `default` no longer works: it was the token you
/// refreshed; run `sdtoken login` (or use `--save` next time)". With
/// `was_cached`, the token was not exchanged before the change, so it may have
/// stopped working earlier and the cause is only probable.
fn stopped_working_message(settings: &Settings, source: &Source, change: Change, was_cached: bool) -> String {
    let verb = match change {
        Change::Refreshed => "refreshed",
        Change::Deleted => "deleted",
    };
    let subject = match source {
        Source::Stored { context } => format!("the API token of context `{context}`"),
        other => other.describe_credential(),
    };
    let cause = if was_cached { "it was probably the token you" } else { "it was the token you" };
    let fix = match (source, change) {
        (Source::EnvApiToken, Change::Refreshed) => "set `SD_API_TOKEN` to the new value".to_string(),
        (Source::EnvApiToken, Change::Deleted) => "set `SD_API_TOKEN` to another API token".to_string(),
        (_, Change::Refreshed) => format!("run `{}` (or use `--save` next time)", auth::login_command(settings)),
        (_, Change::Deleted) => format!("run `{}` with another API token", auth::login_command(settings)),
    };
    format!("{subject} no longer works: {cause} {verb}; {fix}")
}

/// Explains a 404 for a TOKEN argument read as an id: a token may also be
/// named with digits only, and `--by-name` looks it up by that name.
pub fn explain_missing_id(err: anyhow::Error, text: &str, target: &super::TokenRef, owner: Owner) -> anyhow::Error {
    let token_missing = err.chain().any(|c| {
        c.downcast_ref::<ApiError>().is_some_and(|e| e.status() == Some(404) && e.message().contains("Token"))
    });
    if target.name.is_some() || !token_missing {
        return err;
    }
    let list = match owner {
        Owner::User => "sdtoken list".to_string(),
        Owner::Pipeline(id) => format!("sdtoken list --pipeline {id}"),
    };
    err.context(
        CliError::new(ExitCode::NotFound, format!("no token with id {} among {}", target.id, owner.describe()))
            .with_hint(format!("check the id with `{list}`; if `{text}` is the token's name, pass `--by-name`")),
    )
}

/// Explains a failed `--save`: the printed value is the only copy.
fn unsaved(settings: &Settings, err: crate::store::StoreError) -> anyhow::Error {
    let context = &settings.context;
    anyhow::Error::new(err).context(
        CliError::new(ExitCode::StoreUnavailable, format!("the new value was printed above but could not be saved in context `{context}`"))
            .with_hint(format!("keep the printed value: it is the only copy; store it with `sdtoken login --context {context} --store file` (a hidden prompt), or pipe it to `--with-token`")),
    )
}

/// Stores `value` as the API token of `settings.context` (`--save`), bound to
/// `url`, the server that issued it. The target context may not exist yet, and
/// then `settings.api_url` is only the default, so the URL is passed in. A saved
/// user token makes its context current when none is; a pipeline token never
/// does, because commands would then act as the pipeline.
pub fn save(
    settings: &Settings,
    acting: &Settings,
    stores: &Stores,
    value: &Secret,
    owner: Owner,
) -> anyhow::Result<()> {
    let url = &acting.api_url;
    let kind = save_store_kind(settings, acting)?;
    let target_stores;
    let stores = if kind == stores.token_kind() {
        stores
    } else {
        target_stores = Stores::with_kind(kind, settings.store_budget);
        &target_stores
    };
    let key = Key::api_token(&settings.context);
    let store = stores.token_store().map_err(|e| unsaved(settings, e))?;
    let previous = store.get(&key).ok().flatten();
    store.set(&key, value).map_err(|e| unsaved(settings, e))?;
    if let Some(previous) = previous {
        let previous_url = settings.context_config().and_then(|c| ApiUrl::parse(&c.api_url).ok());
        let previous_url = previous_url.as_ref().unwrap_or(url);
        JwtCache::new(stores.cache_candidates(), auth::fingerprint(previous_url, &previous)).remove();
    }
    settings.config_file.update(|config| {
        config.record_context(&settings.context, url.as_str(), kind, None);
        if config.current_context.is_none() && owner == Owner::User {
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
