//! Logging to stderr, set by `-v` (requests), `-vv` (details) and `-vvv`
//! (headers, with `Authorization` redacted). Only sdtoken's own events are
//! shown, so no library can log a header or URL that carries a secret.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let filter = Targets::new().with_target("sdtoken", level);
    let layer = fmt::layer().with_writer(std::io::stderr).with_target(false).without_time().with_ansi(false);
    tracing_subscriber::registry().with(filter).with(layer).init();
}
