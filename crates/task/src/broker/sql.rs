//! [`SqlBroker`]: jobs in the `task_queue` table of the app's own database (SQLite or
//! PostgreSQL), so the embedded defaults need no other service.
//!
//! A fetch is one `UPDATE … RETURNING` that leases the oldest due rows to the worker
//! (PostgreSQL skips rows another worker is leasing with `FOR UPDATE SKIP LOCKED`; SQLite runs
//! one writer at a time). A lease that runs out (its worker was killed) makes the row due
//! again. Jobs sent by this process wake its idle workers at once; jobs sent by another process
//! wake them through the Kv store's `{CELERY_REDIS_PREFIX}:wake` channel, or at the next poll.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fba_db::{Db, SharedKv};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{Broker, BrokerError, Delivery};
use crate::message::TaskMessage;
use crate::settings::TaskSettings;

/// The SQL broker.
pub struct SqlBroker {
    db: Db,
    kv: SharedKv,
    wake: Arc<Notify>,
    wake_channel: String,
    poll_interval: Duration,
    visibility_ms: i64,
    listener: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SqlBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlBroker")
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl Drop for SqlBroker {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
        }
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl SqlBroker {
    /// The broker over `db`, listening for wake-ups from other processes on `kv`.
    ///
    /// # Errors
    /// [`BrokerError`] when the Kv subscription fails.
    pub async fn start(db: Db, kv: SharedKv, settings: &TaskSettings) -> Result<Self, BrokerError> {
        let wake = Arc::new(Notify::new());
        let wake_channel = settings.key("wake");
        let mut subscription = kv
            .subscribe(&wake_channel)
            .await
            .map_err(|e| BrokerError::Unavailable(e.to_string()))?;
        let notify = Arc::clone(&wake);
        let listener = tokio::spawn(async move {
            while subscription.recv().await.is_some() {
                notify.notify_waiters();
            }
        });
        Ok(Self {
            db,
            kv,
            wake,
            wake_channel,
            poll_interval: settings.poll_interval,
            visibility_ms: millis(settings.visibility_timeout),
            listener: Some(listener),
        })
    }

    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// `sql` with `?` placeholders, numbered for PostgreSQL.
    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        let backend = self.backend();
        let text = if backend == DbBackend::Postgres {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            out
        } else {
            sql.to_owned()
        };
        Statement::from_sql_and_values(backend, text, values)
    }

    async fn try_fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
    ) -> Result<Vec<Delivery>, BrokerError> {
        let now = now_ms();
        // A read first: an idle poll takes no write lock (SQLite has one for the whole file).
        let due = self
            .db
            .query_one_raw(self.statement(
                "SELECT id FROM task_queue WHERE queue = ? AND eta_ms <= ? \
                 AND (lease_until_ms IS NULL OR lease_until_ms < ?) LIMIT 1",
                vec![queue.into(), now.into(), now.into()],
            ))
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let lock = if self.backend() == DbBackend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE task_queue SET lease_owner = ?, lease_until_ms = ? WHERE id IN \
             (SELECT id FROM task_queue WHERE queue = ? AND eta_ms <= ? \
             AND (lease_until_ms IS NULL OR lease_until_ms < ?) ORDER BY eta_ms, id LIMIT ?{lock}) \
             RETURNING id, payload"
        );
        let rows = self
            .db
            .query_all_raw(self.statement(
                &sql,
                vec![
                    worker.into(),
                    (now + self.visibility_ms).into(),
                    queue.into(),
                    now.into(),
                    now.into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let payload: String = row.try_get("", "payload")?;
            match TaskMessage::decode(&payload) {
                Ok(message) => out.push(Delivery {
                    message,
                    tag: id.to_string(),
                }),
                Err(e) => {
                    tracing::warn!(id, error = %e, "dropping an undecodable task_queue row");
                    self.delete(id).await?;
                }
            }
        }
        out.sort_by_key(|d| d.tag.parse::<i64>().unwrap_or(0));
        Ok(out)
    }

    async fn delete(&self, id: i64) -> Result<(), BrokerError> {
        self.db
            .execute_raw(self.statement("DELETE FROM task_queue WHERE id = ?", vec![id.into()]))
            .await?;
        Ok(())
    }
}

fn tag_id(delivery: &Delivery) -> Result<i64, BrokerError> {
    delivery
        .tag
        .parse()
        .map_err(|_| BrokerError::Command(format!("not a task_queue id: {}", delivery.tag)))
}

#[async_trait::async_trait]
impl Broker for SqlBroker {
    fn kind(&self) -> &'static str {
        "database"
    }

    async fn publish(&self, message: &TaskMessage) -> Result<(), BrokerError> {
        let payload = message
            .encode()
            .map_err(|e| BrokerError::Command(e.to_string()))?;
        let eta = message.eta.map_or_else(now_ms, |t| t.timestamp_millis());
        self.db
            .execute_raw(self.statement(
                "INSERT INTO task_queue (task_id, queue, payload, eta_ms, created_time) \
                 VALUES (?, ?, ?, ?, ?)",
                vec![
                    message.id.as_str().into(),
                    message.queue.as_str().into(),
                    payload.into(),
                    eta.into(),
                    Utc::now().into(),
                ],
            ))
            .await?;
        self.wake.notify_waiters();
        // Other processes' workers: best effort, they poll anyway.
        if let Err(e) = self.kv.publish(&self.wake_channel, &message.queue).await {
            tracing::debug!(error = %e, "task wake-up not published");
        }
        Ok(())
    }

    async fn fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, BrokerError> {
        super::poll_fetch(&self.wake, self.poll_interval, wait, || {
            self.try_fetch(worker, queue, max)
        })
        .await
    }

    async fn ack(&self, worker: &str, delivery: &Delivery) -> Result<(), BrokerError> {
        self.db
            .execute_raw(self.statement(
                "DELETE FROM task_queue WHERE id = ? AND lease_owner = ?",
                vec![tag_id(delivery)?.into(), worker.into()],
            ))
            .await?;
        Ok(())
    }

    async fn requeue(
        &self,
        worker: &str,
        delivery: &Delivery,
        message: &TaskMessage,
    ) -> Result<(), BrokerError> {
        let payload = message
            .encode()
            .map_err(|e| BrokerError::Command(e.to_string()))?;
        let eta = message.eta.map_or_else(now_ms, |t| t.timestamp_millis());
        self.db
            .execute_raw(self.statement(
                "UPDATE task_queue SET payload = ?, eta_ms = ?, lease_owner = NULL, \
                 lease_until_ms = NULL WHERE id = ? AND lease_owner = ?",
                vec![
                    payload.into(),
                    eta.into(),
                    tag_id(delivery)?.into(),
                    worker.into(),
                ],
            ))
            .await?;
        self.wake.notify_waiters();
        Ok(())
    }

    async fn keep_alive(&self, worker: &str, running: &[Delivery]) -> Result<(), BrokerError> {
        if running.is_empty() {
            return Ok(());
        }
        let ids = running
            .iter()
            .map(|d| tag_id(d).map(|id| id.to_string()))
            .collect::<Result<Vec<_>, _>>()?
            .join(",");
        self.db
            .execute_raw(self.statement(
                &format!(
                    "UPDATE task_queue SET lease_until_ms = ? WHERE lease_owner = ? AND id IN ({ids})"
                ),
                vec![(now_ms() + self.visibility_ms).into(), worker.into()],
            ))
            .await?;
        Ok(())
    }

    async fn recover(&self) -> Result<u64, BrokerError> {
        let done = self
            .db
            .execute_raw(self.statement(
                "UPDATE task_queue SET lease_owner = NULL, lease_until_ms = NULL \
                 WHERE lease_until_ms IS NOT NULL AND lease_until_ms < ?",
                vec![now_ms().into()],
            ))
            .await?;
        let recovered = done.rows_affected();
        if recovered > 0 {
            self.wake.notify_waiters();
        }
        Ok(recovered)
    }

    async fn len(&self, queue: &str) -> Result<u64, BrokerError> {
        let row = self
            .db
            .query_one_raw(self.statement(
                "SELECT COUNT(*) AS n FROM task_queue WHERE queue = ?",
                vec![queue.into()],
            ))
            .await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
