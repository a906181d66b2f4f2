//! Opening the stores and preparing the schema: shared by the server and the `fba` CLI.

use fba_common::module::{MigrateOutcome, Modules};
use fba_core_conf::{ConfigError, Settings};
use fba_db::{DbError, KvError, SharedKv};
use sea_orm::{DatabaseConnection, DbErr};

/// A failure while preparing storage.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The database could not be reached.
    #[error(transparent)]
    Database(#[from] DbError),
    /// A migration or the seed failed.
    #[error("migration failed: {0}")]
    Migration(#[from] DbErr),
    /// The Kv store (Redis) could not be reached.
    #[error("kv store: {0}")]
    Kv(#[from] KvError),
    /// Authentication could not be set up (RBAC policy load, whitelist patterns).
    #[error("security: {0}")]
    Security(#[from] fba_common::AppError),
    /// No snowflake node could be leased.
    #[error("snowflake ids: {0}")]
    Snowflake(#[from] fba_db::SnowflakeError),
    /// A module's settings section is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The list of modules cannot make an app.
    #[error(transparent)]
    Modules(#[from] fba_common::module::ModuleError),
    /// A module's operation-log sink or background service could not start.
    #[error("module start-up: {0}")]
    Module(String),
    /// No module provides what the app cannot run without.
    #[error("no module provides {0}: build the server with the `admin` feature")]
    Missing(&'static str),
}

/// Connects to the configured database (behind the outage circuit breaker).
///
/// # Errors
/// [`BootstrapError::Database`] when it cannot be reached.
pub async fn connect_database(settings: &Settings) -> Result<fba_db::Db, BootstrapError> {
    Ok(fba_db::Db::connect(&settings.database).await?)
}

/// Opens Redis when configured, else the in-process store.
///
/// # Errors
/// [`BootstrapError::Kv`] when Redis is configured but does not answer.
pub async fn open_kv(settings: &Settings) -> Result<SharedKv, BootstrapError> {
    Ok(fba_db::kv::open(settings.redis.as_ref()).await?)
}

/// Starts the snowflake generator when enabled (node from settings or leased in the Kv store).
///
/// # Errors
/// [`BootstrapError::Snowflake`] when every node is taken or the Kv store fails.
pub async fn start_ids(
    settings: &Settings,
    kv: &SharedKv,
) -> Result<Option<std::sync::Arc<fba_db::SnowflakeGenerator>>, BootstrapError> {
    if !settings.snowflake.enabled {
        return Ok(None);
    }
    let generator = fba_db::SnowflakeGenerator::start(&settings.snowflake, kv.clone()).await?;
    let (dc, worker) = generator.node();
    tracing::info!(
        datacenter_id = dc,
        worker_id = worker,
        "snowflake ids enabled"
    );
    Ok(Some(std::sync::Arc::new(generator)))
}

/// The state the services take, over opened stores: `settings`, `db`, `kv`, snowflake ids (when
/// enabled, see [`start_ids`]), an empty session cache keeping entries for
/// `TOKEN_LOCAL_CACHE_SECONDS`, `ip_locator` and the two-level cache (unsubscribed: its local
/// level is off until [`fba_common::cache::Cache::watch`]). It starts no watcher: a server subscribes the
/// session cache itself ([`fba_common::security::SessionCache::watch`]); a one-shot command
/// (the `fba` CLI) leaves it unsubscribed, so it remembers nothing, and its revocations still
/// reach every replica through the change channel. Whoever builds one shuts `ids` down on exit
/// ([`fba_db::SnowflakeGenerator::shutdown`]) to release the node lease at once.
///
/// # Errors
/// [`BootstrapError::Snowflake`] when no snowflake node can be leased.
pub async fn app_state(
    settings: std::sync::Arc<Settings>,
    db: fba_db::Db,
    kv: SharedKv,
    ip_locator: fba_common::ip_location::IpLocator,
    modules: Modules,
) -> Result<fba_common::AppState, BootstrapError> {
    let ids = start_ids(&settings, &kv).await?;
    let sessions = fba_common::security::SessionCache::new(std::time::Duration::from_secs(
        settings.token.local_cache_secs,
    ));
    let cache = fba_common::cache::Cache::new(&settings, kv.clone());
    let socket = fba_common::socketio::SocketHub::new(&settings, kv.clone(), &modules);
    Ok(fba_common::AppState {
        settings,
        db,
        kv,
        ids,
        local: std::sync::Arc::default(),
        sessions: std::sync::Arc::new(sessions),
        ip_locator: std::sync::Arc::new(ip_locator),
        modules,
        cache: std::sync::Arc::new(cache),
        socket: std::sync::Arc::new(socket),
    })
}

/// Builds authentication (JWT codec, RBAC policy from the auth store a module provides) and
/// starts the watcher that reloads the policy when another replica announces a change.
///
/// # Errors
/// [`BootstrapError::Missing`] when no module provides an auth store,
/// [`BootstrapError::Security`] when the policy cannot be loaded.
pub async fn security(
    state: &fba_common::AppState,
) -> Result<fba_common::security::Security, BootstrapError> {
    let store = state
        .modules
        .auth_store(state)
        .ok_or(BootstrapError::Missing("the users and roles store"))?;
    let security = fba_common::security::Security::new(&state.settings, store).await?;
    security.rbac.watch(&state.kv).await?;
    Ok(security)
}

/// The modules this build enables ([`crate::modules::enabled`]) and `settings` with their
/// sections registered: what every command starts from.
///
/// # Errors
/// A duplicate module, or an invalid section's one-line error.
pub fn prepare(mut settings: Settings) -> Result<(Settings, Modules), BootstrapError> {
    let modules = crate::modules::with(Vec::new())?;
    register_settings(&mut settings, &modules)?;
    Ok((settings, modules))
}

/// The settings of `modules` registered on `settings` (their sections parsed and validated).
///
/// # Errors
/// The first invalid section's one-line [`ConfigError`].
pub fn register_settings(settings: &mut Settings, modules: &Modules) -> Result<(), ConfigError> {
    modules.register_settings(&mut settings.sections)
}

/// Applies every module's pending migrations, then their seeds: a database whose admin tables
/// are new also gets FBA's test data (admin `admin` / `123456`, roles, depts, the menu tree).
///
/// # Errors
/// [`BootstrapError::Migration`] when a statement fails.
pub async fn migrate(
    db: &DatabaseConnection,
    modules: &Modules,
    settings: &Settings,
) -> Result<MigrateOutcome, BootstrapError> {
    Ok(modules
        .migrate(db, &std::sync::Arc::new(settings.clone()))
        .await?)
}

/// Drops every module's tables and re-creates the schema and the seed rows (with the test
/// data).
///
/// # Errors
/// [`BootstrapError::Migration`] when a statement fails.
pub async fn reset(
    db: &DatabaseConnection,
    modules: &Modules,
    settings: &Settings,
) -> Result<(), BootstrapError> {
    modules
        .reset(db, &std::sync::Arc::new(settings.clone()))
        .await?;
    Ok(())
}

/// Drops every module's tables (the migrations' `down`).
///
/// # Errors
/// [`BootstrapError::Migration`] when a statement fails.
pub async fn drop_all(db: &DatabaseConnection, modules: &Modules) -> Result<(), BootstrapError> {
    Ok(modules.drop_all(db).await?)
}
