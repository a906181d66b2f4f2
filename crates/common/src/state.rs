//! The shared state every handler can reach through `web::Data<AppState>`.

use std::sync::Arc;

use fba_core_conf::Settings;
use fba_db::{Db, SharedKv, SnowflakeGenerator};

use crate::ip_location::IpLocator;
use crate::module::Modules;
use crate::security::SessionCache;

/// Settings, the database pool and the Kv store of one app.
#[derive(Clone)]
pub struct AppState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The sea-orm pool behind the outage circuit breaker ([`Db`]).
    pub db: Db,
    /// The Kv store (Redis or in-process).
    pub kv: SharedKv,
    /// Snowflake id generator when `SNOWFLAKE_ENABLED` / `DATABASE_PK_MODE=snowflake`; `None`
    /// means the database assigns ids.
    pub ids: Option<Arc<SnowflakeGenerator>>,
    /// Small in-process caches of rarely changing data (see [`LocalCache`]).
    pub local: Arc<LocalCache>,
    /// Sessions and users this replica read recently (see [`SessionCache`]).
    pub sessions: Arc<SessionCache>,
    /// Country, region and city of client ips (`IP_LOCATION_*`, see [`IpLocator`]).
    pub ip_locator: Arc<IpLocator>,
    /// The modules the app is made of (their data-permission models, names).
    pub modules: Modules,
    /// FBA's two-level cache (in-process + Kv store) of read-mostly rows.
    pub cache: Arc<crate::cache::Cache>,
    /// The Socket.IO sockets of this replica and the broadcast to every replica's
    /// ([`crate::socketio::SocketHub::emit`]).
    pub socket: Arc<crate::socketio::SocketHub>,
}

/// In-process cache slots tagged with a generation: a slot is valid while its generation equals
/// the caller's current one (e.g. [`crate::security::Rbac::generation`], which every replica
/// bumps when roles or menus change).
#[derive(Default)]
pub struct LocalCache {
    slots: std::sync::RwLock<std::collections::HashMap<&'static str, Slot>>,
}

/// A cached value and the generation it belongs to.
type Slot = (u64, Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for LocalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCache").finish_non_exhaustive()
    }
}

impl LocalCache {
    /// The value of `key` cached at `generation`, if any.
    pub fn get<T: Send + Sync + 'static>(
        &self,
        key: &'static str,
        generation: u64,
    ) -> Option<Arc<T>> {
        let slots = self.slots.read().ok()?;
        let (g, value) = slots.get(key)?;
        if *g != generation {
            return None;
        }
        Arc::clone(value).downcast::<T>().ok()
    }

    /// Stores `value` for `key` at `generation`.
    pub fn put<T: Send + Sync + 'static>(&self, key: &'static str, generation: u64, value: Arc<T>) {
        if let Ok(mut slots) = self.slots.write() {
            slots.insert(key, (generation, value));
        }
    }
}

impl AppState {
    /// The Kv key names for this app's settings (see [`crate::kv_keys`]).
    pub fn keys(&self) -> crate::kv_keys::KvKeys<'_> {
        crate::kv_keys::KvKeys::new(&self.settings)
    }

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
            .field("local", &self.local)
            .finish()
    }
}
