//! `sdtoken create`: create a user or pipeline token and print its value
//! once; `--save` stores it as a context's API token.

use crate::api::tokens;
use crate::cli::CreateArgs;
use crate::settings::Settings;

pub fn run(args: CreateArgs, settings: &Settings) -> anyhow::Result<i32> {
    super::validate_name(&args.name)?;
    if let Some(description) = &args.description {
        super::validate_description(description)?;
    }
    let owner = super::owner(args.owner.pipeline);
    let acting = super::refresh::acting_settings(settings, owner, args.save);
    if args.save {
        acting.check_context()?;
        super::refresh::check_save_target(settings, &acting, owner)?;
    }

    let (session, stores, _shadowed) = super::session(&acting)?;
    let created = tokens::create(&session, owner, &args.name, args.description.as_deref())?;
    crate::output::notice(&format!(
        "Created token {} (`{}`) in {}. Its value is shown only now.",
        created.token.id,
        created.token.name,
        owner.describe()
    ));
    super::refresh::print_value(settings, &created);
    if args.save {
        super::refresh::save(settings, &acting, &stores, &created.value, owner)?;
    }
    Ok(0)
}
