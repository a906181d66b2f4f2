//! The shared state every handler can reach through `web::Data<AppState>`.

use std::sync::Arc;

use fba_core_conf::Settings;
use fba_db::{SharedKv, SnowflakeGenerator};
use sea_orm::DatabaseConnection;

/// Settings, the database pool and the Kv store of one app.
#[derive(Clone)]
pub struct AppState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The sea-orm pool.
    pub db: DatabaseConnection,
    /// The Kv store (Redis or in-process).
    pub kv: SharedKv,
    /// Snowflake id generator when `SNOWFLAKE_ENABLED` / `DATABASE_PK_MODE=snowflake`; `None`
    /// means the database assigns ids.
    pub ids: Option<Arc<SnowflakeGenerator>>,
}

impl AppState {
    /// The id for a new row: a snowflake id when enabled, else `None` (the database assigns).
    ///
    /// # Errors
    /// [`crate::AppError::Internal`] when the clock moved back too far.
    pub fn next_id(&self) -> Result<Option<i64>, crate::AppError> {
        self.ids
            .as_ref()
            .map(|g| g.next_id().map_err(crate::AppError::internal))
            .transpose()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("database", &self.settings.database.kind)
            .field("kv", &self.kv.backend())
            .finish()
    }
}
