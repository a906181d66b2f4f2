//! Logging set up once per process with `tracing`.

use std::io::IsTerminal;

use fba_core_conf::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber writing to standard output: `RUST_LOG` if set, else
/// `LOG_STD_LEVEL` (noisy dependencies capped at `warn`); `LOG_FORMAT` picks text lines
/// (coloured only when standard output is a terminal and `NO_COLOR` is unset) or one JSON
/// object per line. Calling it again is harmless.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=info",
            log.level
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let _ = match log.format {
        LogFormat::Text => builder.with_ansi(use_colour()).try_init(),
        LogFormat::Json => builder.with_ansi(false).json().try_init(),
    };
}

/// Colour codes only for a person at a terminal: standard output is a terminal and
/// `NO_COLOR` (<https://no-color.org>) is unset or empty.
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
