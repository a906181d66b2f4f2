//! Opening the stores and preparing the schema: shared by the server and the `fba` CLI.

use fba_core_conf::Settings;
use fba_db::{DbError, KvError, SharedKv};
use fba_migration::{Migrator, MigratorTrait};
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
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrateOutcome {
    /// Migrations applied now.
    pub applied: usize,
    /// Whether FBA's test data was inserted (a database that had no schema before).
    pub seeded: bool,
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
/// `TOKEN_LOCAL_CACHE_SECONDS` and `ip_locator`. It starts no watcher: a server subscribes the
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
) -> Result<fba_common::AppState, BootstrapError> {
    let ids = start_ids(&settings, &kv).await?;
    let sessions = fba_common::security::SessionCache::new(std::time::Duration::from_secs(
        settings.token.local_cache_secs,
    ));
    Ok(fba_common::AppState {
        settings,
        db,
        kv,
        ids,
        local: std::sync::Arc::default(),
        sessions: std::sync::Arc::new(sessions),
        ip_locator: std::sync::Arc::new(ip_locator),
    })
}

/// Builds authentication (JWT codec, RBAC policy from the database) and starts the watcher
/// that reloads the policy when another replica announces a change.
///
/// # Errors
/// [`BootstrapError::Security`] when the policy cannot be loaded.
pub async fn security(
    settings: &Settings,
    db: &fba_db::Db,
    kv: &SharedKv,
) -> Result<fba_common::security::Security, BootstrapError> {
    let store = std::sync::Arc::new(fba_admin::service::auth_store::DbAuthStore::new(db.clone()));
    let security = fba_common::security::Security::new(settings, store).await?;
    security.rbac.watch(kv).await?;
    Ok(security)
}

/// Applies pending migrations; a database that had none applied before also gets FBA's test
/// data (admin `admin` / `123456`, roles, depts, the menu tree) in one transaction.
///
/// # Errors
/// [`BootstrapError::Migration`] when a statement fails.
pub async fn migrate(db: &DatabaseConnection) -> Result<MigrateOutcome, BootstrapError> {
    let before = Migrator::get_applied_migrations(db).await?.len();
    let pending = Migrator::get_pending_migrations(db).await?.len();
    Migrator::up(db, None).await?;
    let mut seeded = false;
    if before == 0 && !fba_migration::seed::is_seeded(db).await? {
        seed(db).await?;
        seeded = true;
    }
    Ok(MigrateOutcome {
        applied: pending,
        seeded,
    })
}

/// Inserts FBA's test data in one transaction.
///
/// # Errors
/// [`BootstrapError::Migration`] when an insert fails (for example, data already present).
pub async fn seed(db: &DatabaseConnection) -> Result<(), BootstrapError> {
    let txn = fba_db::begin_write(db).await?;
    fba_migration::seed::seed_test_data(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Drops every table and re-creates the schema and the test data.
///
/// # Errors
/// [`BootstrapError::Migration`] when a statement fails.
pub async fn reset(db: &DatabaseConnection) -> Result<(), BootstrapError> {
    Migrator::reset(db).await?;
    Migrator::up(db, None).await?;
    seed(db).await
}

/// Drops every table (the migrations' `down`).
///
/// # Errors
/// [`BootstrapError::Migration`] when a statement fails.
pub async fn drop_all(db: &DatabaseConnection) -> Result<(), BootstrapError> {
    Ok(Migrator::reset(db).await?)
}
