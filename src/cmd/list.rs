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
        crate::output::notice(&format!("No tokens: {} is empty. Create one with `sdtoken create NAME`.", owner.describe()));
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
