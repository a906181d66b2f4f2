//! [`Db`]: the app's database pool behind a circuit breaker, so an outage is answered 503 at
//! once instead of after the pool's acquire timeout.
//!
//! sqlx retries a refused connection until the acquire deadline (`DATABASE_POOL_TIMEOUT`, 30 s
//! by default), so with the server down every request used to hang that long and then fail; a
//! connection lost in flight failed with the driver's text. Here:
//! - every statement and `begin` run through [`Db`]. A connection-level failure
//!   ([`is_connection_error`]) or a statement still waiting after [`SLOW_AFTER`] starts a probe;
//! - the probe pings over its own one-connection pool with a short timeout. When the ping fails
//!   the breaker opens: statements waiting on the pool are cancelled and new ones fail at once
//!   with [`DbErr::ConnectionAcquire`] (503 upstream). The probe repeats every
//!   [`PROBE_INTERVAL`]; the first ping that answers closes the breaker, after the pool's idle
//!   connections (dead since the outage) have been checked and the dead ones discarded;
//! - SQLite (a file, never "down") runs without a breaker.
//!
//! Statements inside a transaction run on the transaction's own connection, not through the
//! breaker; a failure there is still a connection error that upstream maps to 503.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use fba_core_conf::{DatabaseKind, DatabaseSettings};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, IsolationLevel, QueryResult, RuntimeErr, Statement, TransactionError,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::watch;

use crate::connection::{DbError, ping};

/// A statement waiting this long (for a pooled connection, usually) starts a probe.
pub const SLOW_AFTER: Duration = Duration::from_millis(500);
/// How long the probe's ping may take before the database counts as down.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause between two pings while the breaker is open.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// The app's database: a sea-orm pool behind a circuit breaker (see the module docs). Cheap to
/// clone; implements [`ConnectionTrait`] and [`TransactionTrait`], so crud code generic over
/// them takes `&Db` as it takes a `DatabaseConnection`.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    gate: Option<Arc<Gate>>,
}

#[derive(Debug)]
struct Gate {
    /// `true` while the database is known to be down.
    open: watch::Sender<bool>,
    probing: AtomicBool,
    probe: DatabaseConnection,
    pool: DatabaseConnection,
    trips: AtomicU64,
}

/// What the breaker has seen, for `/health` and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BreakerState {
    /// The database is known to be down: statements fail at once.
    pub open: bool,
    /// How many times the breaker has opened since start.
    pub trips: u64,
}

impl Db {
    /// Opens the pool `settings` describe ([`crate::connect`]) and, except on SQLite, the
    /// breaker's one-connection probe pool.
    ///
    /// # Errors
    /// [`DbError`] when the database cannot be reached.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let conn = crate::connect(settings).await?;
        if settings.kind == DatabaseKind::Sqlite {
            return Ok(Self::unguarded(conn));
        }
        let mut probe = settings.clone();
        probe.pool.min_connections = 0;
        probe.pool.max_connections = 1;
        probe.pool.acquire_timeout_secs = 1;
        let probe = crate::connection::connect_with(&probe, true).await?;
        let (open, _) = watch::channel(false);
        Ok(Self {
            gate: Some(Arc::new(Gate {
                open,
                probing: AtomicBool::new(false),
                probe,
                pool: conn.clone(),
                trips: AtomicU64::new(0),
            })),
            conn,
        })
    }

    /// A handle on `conn` without a breaker (SQLite, tools, tests).
    pub fn unguarded(conn: DatabaseConnection) -> Self {
        Self { conn, gate: None }
    }

    /// The pool itself, bypassing the breaker (migrations and tools).
    pub fn inner(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Whether the breaker is open and how often it opened.
    pub fn breaker(&self) -> BreakerState {
        self.gate
            .as_ref()
            .map(|g| BreakerState {
                open: *g.open.borrow(),
                trips: g.trips.load(Ordering::Relaxed),
            })
            .unwrap_or_default()
    }

    fn is_open(&self) -> bool {
        self.gate.as_ref().is_some_and(|g| *g.open.borrow())
    }

    /// Closes the pools.
    ///
    /// # Errors
    /// The driver error.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(gate) = &self.gate {
            let _ = gate.probe.clone().close().await;
        }
        self.conn.close().await
    }

    /// Runs `op` unless the breaker is open; cancels it when the breaker opens meanwhile; starts
    /// a probe when it fails on the connection or waits longer than [`SLOW_AFTER`].
    async fn guard<T, F>(&self, op: F) -> Result<T, DbErr>
    where
        F: Future<Output = Result<T, DbErr>> + Send,
    {
        let Some(gate) = &self.gate else {
            return op.await;
        };
        if *gate.open.borrow() {
            return Err(unavailable());
        }
        let mut rx = gate.open.subscribe();
        let opened = async move {
            loop {
                if *rx.borrow_and_update() {
                    return;
                }
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::pin!(op, opened);
        let slow = tokio::time::sleep(SLOW_AFTER);
        tokio::pin!(slow);
        let mut slow_seen = false;
        loop {
            tokio::select! {
                result = &mut op => {
                    if let Err(e) = &result
                        && is_connection_error(e)
                    {
                        Gate::suspect(gate);
                    }
                    return result;
                }
                () = &mut opened => return Err(unavailable()),
                () = &mut slow, if !slow_seen => {
                    slow_seen = true;
                    Gate::suspect(gate);
                }
            }
        }
    }
}

impl Gate {
    /// Starts the probe unless one is running.
    fn suspect(gate: &Arc<Self>) {
        if gate.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let gate = Arc::clone(gate);
        tokio::spawn(async move { gate.probe_until_up().await });
    }

    async fn probe_until_up(&self) {
        loop {
            let up = matches!(
                tokio::time::timeout(PROBE_TIMEOUT, ping(&self.probe)).await,
                Ok(Ok(()))
            );
            if up {
                if *self.open.borrow() {
                    let dropped = self.discard_dead_idle().await;
                    self.open.send_replace(false);
                    tracing::warn!(
                        dead_connections_dropped = dropped,
                        "database reachable again: circuit breaker closed"
                    );
                }
                self.probing.store(false, Ordering::Release);
                return;
            }
            if !self.open.send_replace(true) {
                let trips = self.trips.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(
                    trips,
                    "database unreachable: circuit breaker open, answering 503 at once"
                );
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }

    /// Pings every idle connection of the app's pool and closes the ones that died during the
    /// outage, so the first requests after it do not meet them. Returns how many were dropped.
    async fn discard_dead_idle(&self) -> usize {
        match self.pool.get_database_backend() {
            DbBackend::Postgres => discard_dead(self.pool.get_postgres_connection_pool()).await,
            DbBackend::MySql => discard_dead(self.pool.get_mysql_connection_pool()).await,
            _ => 0,
        }
    }
}

async fn discard_dead<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> usize {
    use sea_orm::sqlx::Connection;
    let mut held = Vec::new();
    let mut dropped = 0;
    while let Some(mut conn) = pool.try_acquire() {
        let alive = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, conn.ping()).await,
            Ok(Ok(()))
        );
        if !alive {
            conn.close_on_drop();
            dropped += 1;
        }
        held.push(conn);
    }
    drop(held);
    dropped
}

fn unavailable() -> DbErr {
    DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
}

/// Whether `e` says the database could not be reached or the connection was lost (as opposed to
/// a statement the database refused): pool timeouts, I/O and protocol failures, PostgreSQL's
/// connection-exception and shutdown codes (class 08, 57P01–57P03), MySQL/MariaDB's lost and
/// killed connections.
pub fn is_connection_error(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_connection_error(e)
        }
        _ => false,
    }
}

/// The SQLSTATE of a statement the database refused (`"22021"`, `"23505"`, ...), if any.
pub fn sqlstate(e: &DbErr) -> Option<String> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    }
}

fn sqlx_connection_error(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "70100") {
                return true;
            }
            db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|m| matches!(m.number(), 1053 | 1927 | 2006 | 2013 | 4031))
        }
        _ => false,
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.guard(self.conn.execute_raw(stmt)).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.guard(self.conn.execute_unprepared(sql)).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.guard(self.conn.query_one_raw(stmt)).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.guard(self.conn.query_all_raw(stmt)).await
    }

    fn support_returning(&self) -> bool {
        self.conn.support_returning()
    }
}

#[async_trait::async_trait]
impl TransactionTrait for Db {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.guard(self.conn.begin()).await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.guard(self.conn.begin_with_config(isolation_level, access_mode))
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.guard(self.conn.begin_with_options(options)).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            )
                -> std::pin::Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        if self.is_open() {
            return Err(TransactionError::Connection(unavailable()));
        }
        self.conn.transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            )
                -> std::pin::Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        if self.is_open() {
            return Err(TransactionError::Connection(unavailable()));
        }
        self.conn
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_statements_are_not_connection_errors() {
        assert!(is_connection_error(&unavailable()));
        assert!(!is_connection_error(&DbErr::RecordNotFound("x".into())));
        assert!(!is_connection_error(&DbErr::Custom("x".into())));
    }
}
