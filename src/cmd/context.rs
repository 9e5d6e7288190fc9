//! `sdtoken context list|use|remove`: the contexts in the config file.

use serde_json::json;

use crate::auth::{self, Stores};
use crate::cli::{ContextAction, ContextArgs};
use crate::config::{ContextConfig, DEFAULT_CONTEXT, validate_context_name};
use crate::error::{CliError, ExitCode};
use crate::settings::Settings;

pub fn run(args: ContextArgs, settings: &Settings) -> anyhow::Result<i32> {
    match args.action {
        ContextAction::List => list(settings),
        ContextAction::Use { name } => use_context(settings, &name),
        ContextAction::Remove { name } => remove(settings, &name),
    }
}

fn list(settings: &Settings) -> anyhow::Result<i32> {
    let current = settings.config.current_context.as_deref().unwrap_or(DEFAULT_CONTEXT);
    let contexts = &settings.config.contexts;
    if settings.json {
        let items: Vec<_> = contexts
            .iter()
            .map(|(name, c)| {
                let store = c.store.unwrap_or(crate::store::StoreKind::Keyring);
                json!({ "name": name, "api_url": c.api_url, "store": store.as_str(), "current": name == current })
            })
            .collect();
        crate::output::json(&items);
        return Ok(0);
    }
    if contexts.is_empty() {
        crate::output::notice("No contexts yet. Create one with `sdtoken login`.");
        return Ok(0);
    }
    let rows = contexts
        .iter()
        .map(|(name, c)| {
            let marker = if name == current { "*" } else { "" };
            let store = c.store.unwrap_or(crate::store::StoreKind::Keyring);
            vec![marker.to_string(), name.clone(), c.api_url.clone(), store.to_string()]
        })
        .collect();
    crate::output::table(&["CURRENT", "NAME", "API URL", "STORE"], rows);
    Ok(0)
}

fn use_context(settings: &Settings, name: &str) -> anyhow::Result<i32> {
    validate_context_name(name)?;
    settings.config_file.update(|config| {
        if !config.contexts.contains_key(name) {
            return Err(unknown_context(name).into());
        }
        config.current_context = Some(name.to_string());
        Ok(())
    })?;
    crate::output::notice(&format!("Switched to context `{name}`."));
    warn_environment_overrides(name);
    Ok(0)
}

/// Variables left by `sdtoken env` keep winning over the context just chosen.
fn warn_environment_overrides(name: &str) {
    let set: Vec<&str> = ["SD_API_TOKEN", "SD_TOKEN", "SD_API_URL"]
        .into_iter()
        .filter(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
        .collect();
    if !set.is_empty() {
        let names: Vec<String> = set.iter().map(|v| format!("`{v}`")).collect();
        let (verb, pronoun) = if set.len() == 1 { ("is", "it") } else { ("are", "them") };
        crate::output::warn(&format!(
            "{} {verb} set in the environment and override context `{name}`; unset {pronoun} to use the context",
            names.join(", ")
        ));
    }
}

fn remove(settings: &Settings, name: &str) -> anyhow::Result<i32> {
    validate_context_name(name)?;
    let Some(context) = settings.config.contexts.get(name) else {
        return Err(unknown_context(name).into());
    };
    // The secrets go first: a failure there leaves the context in place to retry.
    let had_token = remove_secrets(settings, name, context)?;

    let (was_current, remaining) = settings.config_file.update(|config| {
        config.contexts.remove(name);
        let was_current = config.current_context.as_deref() == Some(name);
        if was_current {
            config.current_context = None;
        }
        Ok((was_current, config.contexts.keys().cloned().collect::<Vec<String>>()))
    })?;
    let token = if had_token { " and its stored token" } else { "" };
    crate::output::notice(&format!("Removed context `{name}`{token}."));
    if was_current {
        crate::output::notice(&after_removing_current(name, &remaining));
    }
    Ok(0)
}

/// Removes the stored API token of context `name` and its cached JWT.
/// Returns false when no token was stored.
fn remove_secrets(settings: &Settings, name: &str, context: &ContextConfig) -> anyhow::Result<bool> {
    let stores = Stores::with_kind(context.store.unwrap_or(crate::store::StoreKind::Keyring), settings.store_budget);
    let url = crate::api::ApiUrl::parse(&context.api_url).ok();
    Ok(auth::remove_context_token(&stores, name, url.as_ref())?)
}

/// Says which context commands use once the current one `name` is gone, and how to pick another.
fn after_removing_current(name: &str, remaining: &[String]) -> String {
    if remaining.is_empty() {
        return format!(
            "`{name}` was the current context, and no context is left; create one with `sdtoken login --api-url URL`."
        );
    }
    if remaining.iter().any(|c| c == DEFAULT_CONTEXT) {
        let others: Vec<&str> = remaining.iter().map(String::as_str).filter(|c| *c != DEFAULT_CONTEXT).collect();
        let now = format!("`{name}` was the current context; commands now use context `{DEFAULT_CONTEXT}`.");
        if others.is_empty() {
            return now;
        }
        let others = crate::settings::list_names(others.into_iter());
        return format!("{now} To use {others} instead, run `sdtoken context use NAME`.");
    }
    let pick = crate::settings::pick_context_hint(remaining.iter().map(String::as_str));
    format!("`{name}` was the current context, and no context is current now; {pick}.")
}

fn unknown_context(name: &str) -> CliError {
    CliError::new(ExitCode::NotFound, format!("no context named `{name}`"))
        .with_hint("see the contexts with `sdtoken context list`, or create one with `sdtoken login --context NAME`")
}
