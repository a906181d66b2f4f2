//! The shared state every handler can reach through `web::Data<AppState>`.

use std::sync::Arc;

use fba_core_conf::Settings;
use fba_db::SharedKv;
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
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("database", &self.settings.database.kind)
            .field("kv", &self.kv.backend())
            .finish()
    }
}
