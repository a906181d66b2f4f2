//! The relational database connection: one sea-orm pool for SQLite, PostgreSQL or MySQL/MariaDB.
//!
//! Owns connection options only; schema lives in `fba-migration`, queries in the domain crates.

use std::time::Duration;

use fba_core_conf::{DatabaseKind, DatabaseSettings, ExposeSecret};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

/// Why the database could not be reached or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The SQLite file's directory could not be created.
    #[error("cannot create the directory for {path}: {source}")]
    SqliteDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Connecting or a start-up statement failed.
    #[error("database {url}: {source}")]
    Connect {
        /// The URL with the password redacted.
        url: String,
        /// The driver error.
        source: DbErr,
    },
}

/// A pooled connection idle at least this long is pinged before use (a dead one is replaced).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// SQLite's page cache per connection: 512 KiB (`PRAGMA cache_size`, negative = KiB) instead of
/// SQLite's 2 MiB. Every pooled connection keeps its own cache and, over time, each one takes
/// a turn at the operation log's batch inserts into a large table and fills it: 8 connections
/// held up to 16 MiB. The admin tables a request reads are a few pages each.
const SQLITE_CACHE_SIZE: &str = "-512";

/// Opens the pool described by `settings` and checks it with one round trip.
///
/// For SQLite the file's directory is created, and WAL journaling, a busy timeout, foreign
/// keys off (FBA has none) and a 512 KiB page cache are set on every connection.
///
/// # Errors
/// [`DbError`] when the directory cannot be created or the server does not answer.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbError> {
    connect_with(settings, false).await
}

/// [`connect`]; `always_test` pings every connection before use (the breaker's probe pool).
pub(crate) async fn connect_with(
    settings: &DatabaseSettings,
    always_test: bool,
) -> Result<DatabaseConnection, DbError> {
    if let Some(dir) = settings
        .sqlite_path
        .as_ref()
        .and_then(|p| p.parent())
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| DbError::SqliteDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mut opts = ConnectOptions::new(settings.url.expose_secret().to_owned());
    if settings.kind == DatabaseKind::Sqlite {
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(false)
                .pragma("cache_size", SQLITE_CACHE_SIZE)
        });
    }
    if let Some(capacity) = settings.pool.statement_cache {
        match settings.kind {
            DatabaseKind::Postgres => {
                opts.map_sqlx_postgres_opts(move |o| o.statement_cache_capacity(capacity));
            }
            DatabaseKind::Mysql => {
                opts.map_sqlx_mysql_opts(move |o| o.statement_cache_capacity(capacity));
            }
            DatabaseKind::Sqlite => {
                opts.map_sqlx_sqlite_opts(move |o| o.statement_cache_capacity(capacity));
            }
        }
    }
    let pool = &settings.pool;
    let max = if settings.kind == DatabaseKind::Sqlite {
        pool.max_connections.min(8)
    } else {
        pool.max_connections
    };
    opts.max_connections(max)
        .min_connections(pool.min_connections.min(max))
        .acquire_timeout(Duration::from_secs(pool.acquire_timeout_secs))
        .connect_timeout(Duration::from_secs(pool.acquire_timeout_secs))
        .max_lifetime(Duration::from_secs(pool.max_lifetime_secs))
        .idle_timeout(Duration::from_secs(600))
        // FBA pings on every checkout (`pool_pre_ping`); a round trip per query is the largest
        // cost of a short read, so only a connection idle for a while is checked first.
        .test_before_acquire_if_idle_for(if always_test {
            Duration::ZERO
        } else {
            PING_IF_IDLE_FOR
        })
        .sqlx_logging(settings.echo)
        .sqlx_logging_level(tracing::log::LevelFilter::Info);
    let db = Database::connect(opts)
        .await
        .map_err(|source| DbError::Connect {
            url: settings.redacted_url(),
            source,
        })?;
    ping(&db).await.map_err(|source| DbError::Connect {
        url: settings.redacted_url(),
        source,
    })?;
    Ok(db)
}

/// Starts a transaction that is going to write.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start, waiting up to the
/// busy timeout for another writer. A plain (deferred) `BEGIN` that reads first and writes later
/// fails at once with "database is locked" when another connection wrote in between, which
/// concurrent admin writes hit. PostgreSQL and MySQL begin as usual.
///
/// # Errors
/// The driver error.
pub async fn begin_write<C>(db: &C) -> Result<DatabaseTransaction, DbErr>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
{
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// One `SELECT 1` round trip.
///
/// # Errors
/// The driver error when the database does not answer.
pub async fn ping<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, "SELECT 1"))
        .await
        .map(|_| ())
}

/// How many connections a pool holds now (for FBA's `fba_sqlalchemy_pool_connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Open connections, idle or in use.
    pub size: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
}

impl PoolStats {
    /// Connections lent out to a query or transaction now.
    pub fn checked_out(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// The pool counts of `db` (all zero for a connection that is not a pool).
pub fn pool_stats(db: &DatabaseConnection) -> PoolStats {
    use sea_orm::DatabaseConnectionType as C;
    fn of<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> PoolStats {
        PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        }
    }
    match &db.inner {
        // The pool getters panic on another variant: each is called on its own.
        C::SqlxPostgresPoolConnection(_) => of(db.get_postgres_connection_pool()),
        C::SqlxMySqlPoolConnection(_) => of(db.get_mysql_connection_pool()),
        C::SqlxSqlitePoolConnection(_) => of(db.get_sqlite_connection_pool()),
        _ => PoolStats::default(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use sea_orm::{ConnectionTrait, Statement};

    #[tokio::test]
    async fn sqlite_connections_keep_a_small_page_cache() {
        let dir = std::env::temp_dir().join(format!("fba-db-cache-{}", uuid::Uuid::new_v4()));
        let path = dir.join("fba.db");
        let source = fba_core_conf::Source::from_pairs([("SQLITE_PATH", path.to_str().unwrap())]);
        let settings = fba_core_conf::Settings::from_source(&source).unwrap();
        let db = super::connect(&settings.database).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA cache_size",
            ))
            .await
            .unwrap()
            .unwrap();
        let size: i64 = row.try_get_by_index(0).unwrap();
        assert_eq!(size.to_string(), super::SQLITE_CACHE_SIZE);
        db.close().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}
