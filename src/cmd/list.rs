//! `sdtoken list`: the user's or a pipeline's tokens, as a table on a
//! terminal, tab-separated rows otherwise, or JSON.

use crate::api::tokens;
use crate::cli::ListArgs;
use crate::settings::Settings;

pub fn run(args: ListArgs, settings: &Settings) -> anyhow::Result<i32> {
    let owner = super::owner(args.owner.pipeline);
    let (session, _stores, _shadowed) = super::session(settings)?;
    let list = tokens::list(&session, owner)?;

    if settings.json {
        let items: Vec<_> = list.iter().map(|t| super::token_json(t, None)).collect();
        crate::output::json(&items);
        return Ok(0);
    }
    if list.is_empty() {
        let (empty, create) = match owner {
            tokens::Owner::User => ("You have no user tokens.".to_string(), "sdtoken create NAME".to_string()),
            tokens::Owner::Pipeline(id) => {
                (format!("Pipeline {id} has no tokens."), format!("sdtoken create NAME --pipeline {id}"))
            }
        };
        crate::output::notice(&format!("{empty} Create one with `{create}`."));
        return Ok(0);
    }
    let rows = list
        .iter()
        .map(|t| {
            let last_used = super::parse_time(&t.last_used).map_or_else(|| "never".to_string(), crate::jwt::rfc3339);
            vec![t.id.to_string(), t.name.clone(), t.description.clone().unwrap_or_default(), last_used]
        })
        .collect();
    crate::output::table(&["ID", "NAME", "DESCRIPTION", "LAST USED"], rows);
    Ok(0)
}
