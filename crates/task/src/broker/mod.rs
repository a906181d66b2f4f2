//! [`Broker`]: where jobs wait for a worker. Three implementations, chosen by `CELERY_BROKER`:
//! [`sql::SqlBroker`] (a table of the app's SQLite or PostgreSQL database),
//! [`redis::RedisBroker`] and, with the `rabbitmq` feature, [`amqp::AmqpBroker`].
//!
//! Delivery is at least once: a worker leases the jobs it fetches, renews the leases while they
//! run ([`Broker::keep_alive`]) and acknowledges each one when it is done ([`Broker::ack`]); the
//! jobs of a worker that stops renewing (killed) go back to the queue after
//! `TASK_VISIBILITY_TIMEOUT`.

#[cfg(feature = "rabbitmq")]
pub mod amqp;
pub mod redis;
pub mod sql;

use std::time::Duration;

use crate::message::TaskMessage;

/// A broker failure.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The broker's service cannot be reached (an outage): retry later.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker refused a command.
    #[error("broker error: {0}")]
    Command(String),
}

impl From<sea_orm::DbErr> for BrokerError {
    fn from(e: sea_orm::DbErr) -> Self {
        if fba_db::is_connection_error(&e) {
            Self::Unavailable(e.to_string())
        } else {
            Self::Command(e.to_string())
        }
    }
}

impl From<BrokerError> for fba_common::AppError {
    fn from(e: BrokerError) -> Self {
        match e {
            BrokerError::Unavailable(detail) => fba_common::AppError::Unavailable(detail),
            BrokerError::Command(detail) => fba_common::AppError::Internal(detail),
        }
    }
}

/// Calls `try_fetch` until it finds jobs or `wait` has passed, in between sleeping until `wake`
/// is notified (a job sent by this process) or `poll` has passed (one sent by another): the
/// waiting part of [`Broker::fetch`] for the brokers that poll.
///
/// # Errors
/// The first error of `try_fetch`.
pub(crate) async fn poll_fetch<F, Fut>(
    wake: &tokio::sync::Notify,
    poll: Duration,
    wait: Duration,
    mut try_fetch: F,
) -> Result<Vec<Delivery>, BrokerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Delivery>, BrokerError>>,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Armed before looking, so a job sent during the look still wakes the sleep below.
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let found = try_fetch().await?;
        let now = tokio::time::Instant::now();
        if !found.is_empty() || now >= deadline {
            return Ok(found);
        }
        let nap = poll.min(deadline - now);
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep(nap) => {}
        }
    }
}

/// One fetched job: its message and the broker's handle on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The job.
    pub message: TaskMessage,
    /// The broker's handle (a row id, the raw payload, an AMQP delivery tag).
    pub tag: String,
}

/// Where jobs wait for a worker.
#[async_trait::async_trait]
pub trait Broker: Send + Sync + 'static {
    /// `database`, `redis` or `rabbitmq`.
    fn kind(&self) -> &'static str;

    /// Queues `message`; a message with an `eta` in the future is handed out at its `eta`.
    ///
    /// # Errors
    /// [`BrokerError`] when it could not be stored (the caller must not report it sent).
    async fn publish(&self, message: &TaskMessage) -> Result<(), BrokerError>;

    /// Up to `max` due jobs of `queue`, leased to `worker`. Waits up to `wait` for one when none
    /// is due; returns an empty list when none came.
    ///
    /// # Errors
    /// [`BrokerError`]; a message that cannot be decoded is dropped with a warning, not an
    /// error.
    async fn fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, BrokerError>;

    /// Removes a job `worker` is done with (finished, failed for good, revoked, expired).
    ///
    /// # Errors
    /// [`BrokerError`]; the job is then handed out again after the visibility timeout.
    async fn ack(&self, worker: &str, delivery: &Delivery) -> Result<(), BrokerError>;

    /// Replaces a job `worker` holds by `message` (a retry with its new `eta` and count, or the
    /// same message at shutdown) and releases it.
    ///
    /// # Errors
    /// [`BrokerError`]; the old job is then handed out again after the visibility timeout.
    async fn requeue(
        &self,
        worker: &str,
        delivery: &Delivery,
        message: &TaskMessage,
    ) -> Result<(), BrokerError>;

    /// Renews `worker`'s leases on `running` for another visibility timeout.
    ///
    /// # Errors
    /// [`BrokerError`].
    async fn keep_alive(&self, worker: &str, running: &[Delivery]) -> Result<(), BrokerError>;

    /// Returns the jobs whose lease ran out (a killed worker's) to their queue; how many.
    ///
    /// # Errors
    /// [`BrokerError`].
    async fn recover(&self) -> Result<u64, BrokerError>;

    /// Lets go of whatever the broker keeps for `worker` once it stopped (its RabbitMQ
    /// consumers, whose prefetched jobs go back to the queue at once). Called by a worker's
    /// graceful stop after its unfinished jobs were put back; nothing to do for the SQL and
    /// Redis brokers, which keep nothing per worker.
    ///
    /// # Errors
    /// [`BrokerError`].
    async fn release(&self, worker: &str) -> Result<(), BrokerError> {
        let _ = worker;
        Ok(())
    }

    /// Jobs not yet acknowledged in `queue` (waiting, delayed or running).
    ///
    /// # Errors
    /// [`BrokerError`].
    async fn len(&self, queue: &str) -> Result<u64, BrokerError>;
}
