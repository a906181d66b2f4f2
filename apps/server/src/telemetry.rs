//! Logging set up once per process with `tracing`.

use fba_core_conf::LogSettings;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: `RUST_LOG` if set, else `LOG_STD_LEVEL` (noisy dependencies
/// capped at `warn`). Calling it again is harmless.
pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=info",
            log.level
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .try_init();
}
