//! `sdtoken update`: rename a token or change its description.

use crate::api::tokens;
use crate::cli::UpdateArgs;
use crate::error::CliError;
use crate::settings::Settings;

pub fn run(args: UpdateArgs, settings: &Settings) -> anyhow::Result<i32> {
    if args.name.is_none() && args.description.is_none() {
        return Err(CliError::usage("nothing to update")
            .with_hint("pass `--name NAME`, `--description TEXT` or both")
            .into());
    }
    if let Some(name) = &args.name {
        super::validate_name(name)?;
    }
    if let Some(description) = &args.description {
        super::validate_description(description)?;
    }
    super::parse_token_arg(&args.token, args.by_name.by_name)?;
    let owner = super::owner(args.owner.pipeline);

    let (session, _stores, _shadowed) = super::session(settings)?;
    let target = super::find_token(&session, owner, &args.token, args.by_name.by_name)?;
    let token = tokens::update(&session, owner, target.id, args.name.as_deref(), args.description.as_deref())
        .map_err(|e| super::refresh::explain_missing_id(e, &args.token, &target, owner))?;

    crate::output::notice(&format!("Updated token {} (`{}`) in {}.", token.id, token.name, owner.describe()));
    if settings.json {
        crate::output::json(&super::token_json(&token, None));
    }
    Ok(0)
}
