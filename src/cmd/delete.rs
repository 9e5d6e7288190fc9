//! `sdtoken delete`: delete tokens by id or name, or every token of a
//! pipeline one by one (the server's bulk route fails in 8.0.143).

use serde_json::json;

use crate::api::tokens::{self, Owner};
use crate::auth::Session;
use crate::cli::DeleteArgs;
use crate::settings::Settings;

use super::TokenRef;
use super::refresh::Change;

/// A confirmation or error lists at most this many tokens by name and counts the rest.
const MAX_LISTED_TOKENS: usize = 5;

pub fn run(args: DeleteArgs, settings: &Settings) -> anyhow::Result<i32> {
    super::check_token_args(&args.tokens, args.by_name.by_name)?;
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
    super::confirm(settings, &question(&targets, owner, args.all), args.yes)?;

    let (deleted, failed) = delete_each(&session, owner, targets);
    // The credential in use may have been among deleted user tokens. It cannot be a
    // pipeline token, because only a user token can manage tokens.
    if !deleted.is_empty() && owner == Owner::User {
        super::refresh::forget_cached_jwts(settings, &stores);
        super::refresh::warn_if_credential_stopped_working(settings, &session, owner, Change::Deleted);
    }
    if settings.json && failed.is_empty() {
        crate::output::json(&json!({
            "deleted": deleted.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
            "failed": [],
        }));
    }
    match failed.into_iter().next() {
        None => Ok(0),
        Some((token, err)) => {
            let before =
                if deleted.is_empty() { String::new() } else { format!(" (deleted before it: {})", listed(&deleted)) };
            Err(err.context(format!("failed to delete {}{before}", token.describe())))
        }
    }
}

/// Builds the confirmation question. With `--all` it gives the count first,
/// because the list of names is cut after a few.
fn question(targets: &[TokenRef], owner: Owner, all: bool) -> String {
    let count = targets.len();
    match owner {
        Owner::Pipeline(id) if all && count == 1 => {
            format!("Delete the only token of pipeline {id}: {}?", listed(targets))
        }
        Owner::Pipeline(id) if all => format!("Delete all {count} tokens of pipeline {id}: {}?", listed(targets)),
        _ if count == 1 => format!("Delete {} of {}?", listed(targets), owner.describe()),
        _ => format!("Delete {count} of {}: {}?", owner.describe(), listed(targets)),
    }
}

/// "token 1 (`a`), token 2 (`b`) and token 3 (`c`)", cut after `MAX_LISTED_TOKENS` with "and N more".
fn listed(tokens: &[TokenRef]) -> String {
    let names: Vec<String> = tokens.iter().take(MAX_LISTED_TOKENS).map(TokenRef::describe).collect();
    let rest = tokens.len() - names.len();
    match (names.as_slice(), rest) {
        ([only], 0) => only.clone(),
        ([first @ .., last], 0) => format!("{} and {last}", first.join(", ")),
        (shown, rest) => format!("{} and {rest} more", shown.join(", ")),
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
fn delete_each(
    session: &Session,
    owner: Owner,
    targets: Vec<TokenRef>,
) -> (Vec<TokenRef>, Vec<(TokenRef, anyhow::Error)>) {
    let mut deleted = Vec::new();
    let mut remaining = targets.into_iter();
    for target in remaining.by_ref() {
        match tokens::delete(session, owner, target.id) {
            Ok(()) => {
                crate::output::notice(&format!("Deleted {}.", target.describe()));
                deleted.push(target);
            }
            Err(err) => {
                let text = target.id.to_string();
                let err = super::refresh::explain_missing_id(err, &text, &target, owner);
                return (deleted, vec![(target, err)]);
            }
        }
    }
    (deleted, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(count: u64) -> Vec<TokenRef> {
        (1..=count).map(|id| TokenRef { id, name: Some(format!("t{id}")) }).collect()
    }

    #[test]
    fn question_for_all_counts_and_cuts_names() {
        let text = question(&tokens(40), Owner::Pipeline(1), true);
        assert!(text.starts_with("Delete all 40 tokens of pipeline 1: token 1 (`t1`), "), "{text}");
        assert!(text.ends_with("token 5 (`t5`) and 35 more?"), "{text}");
        assert!(!text.contains("`t6`"), "{text}");
    }

    #[test]
    fn question_lists_few_tokens_in_full() {
        assert_eq!(question(&tokens(1), Owner::User, false), "Delete token 1 (`t1`) of your user tokens?");
        assert_eq!(
            question(&tokens(2), Owner::Pipeline(7), false),
            "Delete 2 of the tokens of pipeline 7: token 1 (`t1`) and token 2 (`t2`)?"
        );
        assert_eq!(
            question(&tokens(1), Owner::Pipeline(7), true),
            "Delete the only token of pipeline 7: token 1 (`t1`)?"
        );
    }
}
