//! `sdtoken delete`: delete tokens by id or name, or every token of a
//! pipeline one by one (the server's bulk route fails in 8.0.143).

use serde_json::json;

use crate::api::tokens::{self, Owner};
use crate::auth::Session;
use crate::cli::DeleteArgs;
use crate::settings::Settings;

use super::TokenRef;

pub fn run(args: DeleteArgs, settings: &Settings) -> anyhow::Result<i32> {
    let owner = super::owner(args.pipeline);
    let (session, stores, _shadowed) = super::session(settings)?;
    let targets = targets(&session, owner, &args)?;
    if targets.is_empty() {
        crate::output::notice(&format!("Nothing to delete: there are no tokens among {}.", owner.describe()));
        if settings.json {
            crate::output::json(&json!({ "deleted": [], "failed": [] }));
        }
        return Ok(0);
    }
    let names: Vec<String> = targets.iter().map(TokenRef::describe).collect();
    super::confirm(settings, &format!("Delete {} of {}?", names.join(", "), owner.describe()), args.yes)?;

    let (deleted, failed) = delete_each(&session, owner, targets);
    super::refresh::forget_cached_jwts(settings, &stores);
    if settings.json && failed.is_empty() {
        crate::output::json(&json!({
            "deleted": deleted.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
            "failed": [],
        }));
    }
    match failed.into_iter().next() {
        None => Ok(0),
        Some((token, err)) => Err(err.context(format!(
            "failed to delete {}{}",
            token.describe(),
            if deleted.is_empty() { String::new() } else { format!(" (deleted before it: {})", deleted.iter().map(TokenRef::describe).collect::<Vec<_>>().join(", ")) }
        ))),
    }
}

/// The tokens named on the command line, or every token of the pipeline with `--all`.
fn targets(session: &Session, owner: Owner, args: &DeleteArgs) -> anyhow::Result<Vec<TokenRef>> {
    if args.all {
        let list = tokens::list(session, owner)?;
        return Ok(list.into_iter().map(|t| TokenRef { id: t.id, name: Some(t.name) }).collect());
    }
    let mut targets: Vec<TokenRef> = Vec::new();
    for text in &args.tokens {
        let target = super::find_token(session, owner, text, args.by_name.by_name)?;
        if !targets.iter().any(|t| t.id == target.id) {
            targets.push(target);
        }
    }
    Ok(targets)
}

/// Deletes each token; stops at the first failure so the error is clear.
fn delete_each(session: &Session, owner: Owner, targets: Vec<TokenRef>) -> (Vec<TokenRef>, Vec<(TokenRef, anyhow::Error)>) {
    let mut deleted = Vec::new();
    let mut remaining = targets.into_iter();
    for target in remaining.by_ref() {
        match tokens::delete(session, owner, target.id) {
            Ok(()) => {
                crate::output::notice(&format!("Deleted {}.", target.describe()));
                deleted.push(target);
            }
            Err(err) => return (deleted, vec![(target, err)]),
        }
    }
    (deleted, Vec::new())
}

