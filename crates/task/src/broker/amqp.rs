//! [`AmqpBroker`]: jobs in RabbitMQ (AMQP 0.9.1, through lapin, plain TCP), feature
//! `rabbitmq`.
//!
//! Layout: one durable queue per task queue, named `{CELERY_REDIS_PREFIX}:{queue}`
//! (`fba:celery:celery`; a test isolates itself with its own prefix), fed through the default
//! exchange with persistent messages (delivery mode 2) and publisher confirms, so
//! [`Broker::publish`] returns once RabbitMQ has the job. Each `(worker, queue)` pair consumes on
//! a channel of its own with a prefetch of `TASK_WORKER_CONCURRENCY`; the delivery tag handed
//! to the worker is `{consumer number}.{AMQP delivery tag}`. A consumer whose worker stopped
//! fetching 30 s ago and runs none of its jobs is closed, which gives back what it prefetched.
//!
//! Leases are RabbitMQ's own: a delivery stays unacknowledged until [`Broker::ack`], and the
//! unacknowledged deliveries of a worker whose connection closes (killed) go back to the queue
//! by RabbitMQ itself, so [`Broker::keep_alive`] and [`Broker::recover`] do nothing. RabbitMQ
//! has no delayed delivery: a job with an `eta` is delivered at once and the worker holds it
//! until its `eta`. [`Broker::len`] counts the ready messages RabbitMQ reports plus the
//! deliveries this process holds (another process's unacknowledged deliveries are not
//! visible over AMQP).
//!
//! A broken connection is opened again by the next call; the deliveries held on it are then
//! RabbitMQ's again (acknowledging them is a no-op, they run again: at least once).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::uri::{AMQPAuthority, AMQPUri, AMQPUserInfo};
use lapin::{Acker, BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use secrecy::ExposeSecret;
use tokio::sync::mpsc;

use super::{Broker, BrokerError, Delivery};
use crate::message::TaskMessage;
use crate::settings::{RabbitMqSettings, TaskSettings};

/// How long opening the connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// AMQP delivery mode of a message stored on disk.
const PERSISTENT: u8 = 2;
/// A consumer whose worker has not fetched for this long and runs none of its jobs is closed,
/// giving its prefetched deliveries back (a stopped worker's).
const IDLE_CONSUMER: Duration = Duration::from_secs(30);

/// The RabbitMQ broker.
pub struct AmqpBroker {
    rabbitmq: RabbitMqSettings,
    /// The URL without its password, for errors.
    redacted: String,
    /// `CELERY_REDIS_PREFIX`, in front of every queue name.
    prefix: String,
    prefetch: u16,
    link: tokio::sync::Mutex<Option<Arc<Link>>>,
    next_consumer: AtomicU64,
}

impl std::fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpBroker")
            .field("url", &self.redacted)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// One open connection: the publishing channel and the consumers. Closed when dropped (lapin's
/// own channels keep a connection open otherwise), which gives its deliveries back.
struct Link {
    connection: Arc<Connection>,
    publisher: tokio::sync::Mutex<Option<Channel>>,
    /// By `(worker, queue)`.
    consumers: tokio::sync::Mutex<HashMap<(String, String), Arc<Consumer>>>,
    /// By consumer number (the first part of a delivery tag).
    by_number: Mutex<HashMap<u64, Arc<Consumer>>>,
}

impl Drop for Link {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let connection = Arc::clone(&self.connection);
        runtime.spawn(async move {
            if let Err(e) = connection.close(200, "OK".into()).await {
                tracing::debug!(error = %e, "RabbitMQ connection not closed cleanly");
            }
        });
    }
}

/// One `(worker, queue)` consumer on a channel of its own.
struct Consumer {
    /// The first part of its delivery tags.
    number: u64,
    channel: Channel,
    /// Kept so the consumption lasts as long as this value.
    _consumer: lapin::Consumer,
    inbox: tokio::sync::Mutex<mpsc::UnboundedReceiver<lapin::message::Delivery>>,
    shared: Arc<ConsumerShared>,
    /// Deliveries handed to the worker and not yet acknowledged or requeued.
    handed_out: AtomicUsize,
    /// When its worker last fetched.
    last_fetch: Mutex<Instant>,
}

impl Consumer {
    /// Whether its worker is gone: no fetch for [`IDLE_CONSUMER`] and no job running.
    fn abandoned(&self, now: Instant) -> bool {
        self.handed_out.load(Ordering::Acquire) == 0
            && now.duration_since(*lock(&self.last_fetch)) > IDLE_CONSUMER
    }
}

/// What the consumer's delivery callback shares with the broker.
struct ConsumerShared {
    /// The deliveries RabbitMQ gave this consumer and it has not acknowledged (prefetched or
    /// handed to the worker), by AMQP delivery tag.
    held: Mutex<HashMap<u64, Acker>>,
    /// The consumer was cancelled or its channel closed.
    dead: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Socket and connection-state failures are [`BrokerError::Unavailable`], refusals by the
/// server (a protocol error) [`BrokerError::Command`].
fn amqp_error(e: &lapin::Error) -> BrokerError {
    use lapin::ErrorKind;
    match e.kind() {
        ErrorKind::ProtocolError(_)
        | ErrorKind::ParsingError(_)
        | ErrorKind::SerialisationError(_)
        | ErrorKind::InvalidProtocolVersion(_) => BrokerError::Command(e.to_string()),
        _ => BrokerError::Unavailable(e.to_string()),
    }
}

/// `{consumer}.{delivery tag}` split back.
fn parse_tag(tag: &str) -> Result<(u64, u64), BrokerError> {
    tag.split_once('.')
        .and_then(|(consumer, delivery)| Some((consumer.parse().ok()?, delivery.parse().ok()?)))
        .ok_or_else(|| BrokerError::Command(format!("not an AMQP delivery tag: {tag}")))
}

impl AmqpBroker {
    /// Connects to RabbitMQ at `CELERY_RABBITMQ_*`.
    ///
    /// # Errors
    /// [`BrokerError::Unavailable`] when RabbitMQ cannot be reached or refuses the login in
    /// time.
    pub async fn connect(settings: &TaskSettings) -> Result<Self, BrokerError> {
        let rabbitmq = &settings.rabbitmq;
        let broker = Self {
            rabbitmq: rabbitmq.clone(),
            redacted: format!(
                "amqp://{}:***@{}:{}/{}",
                rabbitmq.username,
                rabbitmq.host,
                rabbitmq.port,
                rabbitmq.vhost.trim_start_matches('/')
            ),
            prefix: settings.redis_prefix.clone(),
            prefetch: u16::try_from(settings.concurrency)
                .unwrap_or(u16::MAX)
                .max(1),
            link: tokio::sync::Mutex::new(None),
            next_consumer: AtomicU64::new(1),
        };
        broker.link().await?;
        Ok(broker)
    }

    /// The RabbitMQ queue of task queue `queue` (`{CELERY_REDIS_PREFIX}:{queue}`).
    pub fn queue_name(&self, queue: &str) -> String {
        format!("{}:{queue}", self.prefix)
    }

    /// Queues a raw `payload` on `queue`, as a foreign producer would (a payload that is not a
    /// [`TaskMessage`] is dropped with a warning by the fetch that meets it).
    ///
    /// # Errors
    /// [`BrokerError`] when RabbitMQ did not confirm it.
    pub async fn publish_payload(&self, queue: &str, payload: &str) -> Result<(), BrokerError> {
        self.send(queue, payload.as_bytes(), None).await
    }

    /// Where RabbitMQ is: FBA's vhost spelling (`''` or `/` the default vhost `/`, `/fba` or
    /// `fba` the vhost `fba`).
    fn uri(&self) -> AMQPUri {
        let vhost = self.rabbitmq.vhost.trim_start_matches('/');
        AMQPUri {
            authority: AMQPAuthority {
                userinfo: AMQPUserInfo {
                    username: self.rabbitmq.username.clone(),
                    password: self.rabbitmq.password.expose_secret().to_owned(),
                },
                host: self.rabbitmq.host.clone(),
                port: self.rabbitmq.port,
            },
            vhost: if vhost.is_empty() { "/" } else { vhost }.to_owned(),
            ..AMQPUri::default()
        }
    }

    /// The open connection, opened again when it broke.
    async fn link(&self) -> Result<Arc<Link>, BrokerError> {
        let mut slot = self.link.lock().await;
        if let Some(link) = slot.as_ref()
            && link.connection.status().connected()
        {
            return Ok(Arc::clone(link));
        }
        *slot = None;
        let unavailable =
            |detail: String| BrokerError::Unavailable(format!("{}: {detail}", self.redacted));
        let connection = tokio::time::timeout(
            CONNECT_TIMEOUT,
            Connection::connect_uri(self.uri(), ConnectionProperties::default()),
        )
        .await
        .map_err(|_| unavailable("no answer in time".into()))?
        .map_err(|e| unavailable(e.to_string()))?;
        let link = Arc::new(Link {
            connection: Arc::new(connection),
            publisher: tokio::sync::Mutex::new(None),
            consumers: tokio::sync::Mutex::new(HashMap::new()),
            by_number: Mutex::new(HashMap::new()),
        });
        *slot = Some(Arc::clone(&link));
        Ok(link)
    }

    /// The link, or none when it broke (its deliveries are RabbitMQ's again).
    async fn current_link(&self) -> Option<Arc<Link>> {
        self.link
            .lock()
            .await
            .as_ref()
            .filter(|l| l.connection.status().connected())
            .cloned()
    }

    /// Declares `name` durable on `channel`; its ready message count.
    async fn declare(channel: &Channel, name: &str) -> Result<u32, BrokerError> {
        let queue = channel
            .queue_declare(
                name.into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| amqp_error(&e))?;
        Ok(queue.message_count())
    }

    /// The publishing channel (publisher confirms on), opened again when it closed.
    async fn publisher(&self, link: &Link) -> Result<Channel, BrokerError> {
        let mut slot = link.publisher.lock().await;
        if let Some(channel) = slot.as_ref()
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        let channel = link
            .connection
            .create_channel()
            .await
            .map_err(|e| amqp_error(&e))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| amqp_error(&e))?;
        *slot = Some(channel.clone());
        Ok(channel)
    }

    /// Publishes `payload` to the queue of `queue` and waits for RabbitMQ's confirmation.
    async fn send(
        &self,
        queue: &str,
        payload: &[u8],
        message_id: Option<&str>,
    ) -> Result<(), BrokerError> {
        let link = self.link().await?;
        let channel = self.publisher(&link).await?;
        let name = self.queue_name(queue);
        Self::declare(&channel, &name).await?;
        let mut properties = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_content_type("application/json".into());
        if let Some(id) = message_id {
            properties = properties.with_message_id(id.into());
        }
        let confirm = channel
            .basic_publish(
                "".into(),
                name.as_str().into(),
                BasicPublishOptions::default(),
                payload,
                properties,
            )
            .await
            .map_err(|e| amqp_error(&e))?
            .await
            .map_err(|e| amqp_error(&e))?;
        match confirm {
            Confirmation::Nack(_) => Err(BrokerError::Command(format!(
                "RabbitMQ refused a message for queue {name}"
            ))),
            Confirmation::Ack(_) | Confirmation::NotRequested => Ok(()),
        }
    }

    /// The consumer of `worker` on `queue`, started when it has none (or its channel closed).
    async fn consumer(
        &self,
        link: &Link,
        worker: &str,
        queue: &str,
    ) -> Result<(u64, Arc<Consumer>), BrokerError> {
        let mut consumers = link.consumers.lock().await;
        let key = (worker.to_owned(), queue.to_owned());
        let now = Instant::now();
        let abandoned: Vec<(String, String)> = consumers
            .iter()
            .filter(|(k, c)| **k != key && c.abandoned(now))
            .map(|(k, _)| k.clone())
            .collect();
        for gone in abandoned {
            if let Some(old) = consumers.remove(&gone) {
                lock(&link.by_number).remove(&old.number);
                tracing::debug!(worker = %gone.0, queue = %gone.1, "closing an idle RabbitMQ consumer");
                let channel = old.channel.clone();
                tokio::spawn(async move {
                    if let Err(e) = channel.close(200, "OK".into()).await {
                        tracing::debug!(error = %e, "idle RabbitMQ consumer not closed cleanly");
                    }
                });
            }
        }
        if let Some(existing) = consumers.get(&key)
            && !existing.shared.dead.load(Ordering::Acquire)
            && existing.channel.status().connected()
        {
            return Ok((existing.number, Arc::clone(existing)));
        }
        if let Some(old) = consumers.remove(&key) {
            lock(&link.by_number).remove(&old.number);
        }
        let channel = link
            .connection
            .create_channel()
            .await
            .map_err(|e| amqp_error(&e))?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| amqp_error(&e))?;
        let name = self.queue_name(queue);
        Self::declare(&channel, &name).await?;
        let number = self.next_consumer.fetch_add(1, Ordering::Relaxed);
        let consumer = channel
            .basic_consume(
                name.as_str().into(),
                format!("{worker}#{number}").into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| amqp_error(&e))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(ConsumerShared {
            held: Mutex::new(HashMap::new()),
            dead: AtomicBool::new(false),
        });
        let callback = Arc::clone(&shared);
        // Runs synchronously for each delivery, in order; the returned future does nothing.
        consumer.set_delegate(move |delivery: lapin::message::DeliveryResult| {
            match delivery {
                Ok(Some(delivery)) => {
                    lock(&callback.held).insert(delivery.delivery_tag, delivery.acker.clone());
                    if tx.send(delivery).is_err() {
                        callback.dead.store(true, Ordering::Release);
                    }
                }
                Ok(None) | Err(_) => {
                    // Cancelled or the channel closed: RabbitMQ has the deliveries back.
                    callback.dead.store(true, Ordering::Release);
                    lock(&callback.held).clear();
                }
            }
            async {}
        });
        let consumer = Arc::new(Consumer {
            number,
            channel,
            _consumer: consumer,
            inbox: tokio::sync::Mutex::new(rx),
            shared,
            handed_out: AtomicUsize::new(0),
            last_fetch: Mutex::new(now),
        });
        consumers.insert(key, Arc::clone(&consumer));
        lock(&link.by_number).insert(number, Arc::clone(&consumer));
        Ok((number, consumer))
    }

    /// The acker of a delivery this process still holds, taken out of its consumer's list;
    /// `None` when RabbitMQ has it back (the channel or connection closed since).
    async fn take_acker(&self, delivery: &Delivery) -> Result<Option<Acker>, BrokerError> {
        let (number, tag) = parse_tag(&delivery.tag)?;
        let Some(link) = self.current_link().await else {
            return Ok(None);
        };
        let Some(consumer) = lock(&link.by_number).get(&number).cloned() else {
            return Ok(None);
        };
        let acker = lock(&consumer.shared.held).remove(&tag);
        if acker.is_some() {
            consumer.handed_out.fetch_sub(1, Ordering::AcqRel);
        }
        Ok(acker)
    }

    /// Removes a delivery for good.
    async fn ack_tag(&self, delivery: &Delivery) -> Result<(), BrokerError> {
        if let Some(acker) = self.take_acker(delivery).await? {
            acker
                .ack(BasicAckOptions::default())
                .await
                .map_err(|e| amqp_error(&e))?;
        } else {
            tracing::debug!(tag = %delivery.tag, "ack of a delivery RabbitMQ has taken back");
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Broker for AmqpBroker {
    fn kind(&self) -> &'static str {
        "rabbitmq"
    }

    async fn publish(&self, message: &TaskMessage) -> Result<(), BrokerError> {
        let payload = message
            .encode()
            .map_err(|e| BrokerError::Command(e.to_string()))?;
        self.send(&message.queue, payload.as_bytes(), Some(&message.id))
            .await
    }

    async fn fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, BrokerError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let deadline = tokio::time::Instant::now() + wait;
        let link = self.link().await?;
        let (number, consumer) = self.consumer(&link, worker, queue).await?;
        *lock(&consumer.last_fetch) = Instant::now();
        let mut inbox = consumer.inbox.lock().await;
        let mut out = Vec::new();
        while out.len() < max {
            let next = if out.is_empty() {
                match tokio::time::timeout_at(deadline, inbox.recv()).await {
                    Ok(next) => next,
                    Err(_) => break,
                }
            } else {
                match inbox.try_recv() {
                    Ok(next) => Some(next),
                    Err(_) => break,
                }
            };
            let Some(raw) = next else {
                // The consumer's channel closed: the next fetch starts another one.
                if out.is_empty() {
                    return Err(BrokerError::Unavailable(format!(
                        "{}: the consumer of {queue} stopped",
                        self.redacted
                    )));
                }
                break;
            };
            let tag = format!("{number}.{}", raw.delivery_tag);
            match std::str::from_utf8(&raw.data)
                .map_err(|e| e.to_string())
                .and_then(|text| TaskMessage::decode(text).map_err(|e| e.to_string()))
            {
                Ok(message) => {
                    consumer.handed_out.fetch_add(1, Ordering::AcqRel);
                    out.push(Delivery { message, tag });
                }
                Err(error) => {
                    tracing::warn!(
                        queue,
                        tag,
                        error,
                        "dropping an undecodable RabbitMQ message"
                    );
                    lock(&consumer.shared.held).remove(&raw.delivery_tag);
                    raw.acker
                        .ack(BasicAckOptions::default())
                        .await
                        .map_err(|e| amqp_error(&e))?;
                }
            }
        }
        *lock(&consumer.last_fetch) = Instant::now();
        Ok(out)
    }

    async fn ack(&self, _worker: &str, delivery: &Delivery) -> Result<(), BrokerError> {
        self.ack_tag(delivery).await
    }

    async fn requeue(
        &self,
        _worker: &str,
        delivery: &Delivery,
        message: &TaskMessage,
    ) -> Result<(), BrokerError> {
        if message == &delivery.message {
            // Unchanged (a worker stopping): back to the queue as it was.
            if let Some(acker) = self.take_acker(delivery).await? {
                acker
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    })
                    .await
                    .map_err(|e| amqp_error(&e))?;
            }
            return Ok(());
        }
        // The new version first: a failure in between leaves a duplicate, never a loss.
        let payload = message
            .encode()
            .map_err(|e| BrokerError::Command(e.to_string()))?;
        self.send(
            &delivery.message.queue,
            payload.as_bytes(),
            Some(&message.id),
        )
        .await?;
        self.ack_tag(delivery).await
    }

    async fn keep_alive(&self, _worker: &str, _running: &[Delivery]) -> Result<(), BrokerError> {
        // RabbitMQ keeps a delivery with its consumer while the connection lives.
        Ok(())
    }

    async fn recover(&self) -> Result<u64, BrokerError> {
        // RabbitMQ requeues a closed connection's deliveries itself.
        Ok(0)
    }

    async fn release(&self, worker: &str) -> Result<(), BrokerError> {
        let Some(link) = self.current_link().await else {
            return Ok(());
        };
        let mine: Vec<Arc<Consumer>> = {
            let mut consumers = link.consumers.lock().await;
            let keys: Vec<(String, String)> = consumers
                .keys()
                .filter(|(w, _)| w == worker)
                .cloned()
                .collect();
            keys.iter().filter_map(|k| consumers.remove(k)).collect()
        };
        for consumer in mine {
            lock(&link.by_number).remove(&consumer.number);
            // Closing the channel returns its unacknowledged deliveries to the queue.
            consumer
                .channel
                .close(200, "OK".into())
                .await
                .map_err(|e| amqp_error(&e))?;
        }
        Ok(())
    }

    async fn len(&self, queue: &str) -> Result<u64, BrokerError> {
        let link = self.link().await?;
        let channel = self.publisher(&link).await?;
        let ready = Self::declare(&channel, &self.queue_name(queue)).await?;
        let mut held = 0usize;
        for ((_, consumer_queue), consumer) in link.consumers.lock().await.iter() {
            if consumer_queue == queue && !consumer.shared.dead.load(Ordering::Acquire) {
                held += lock(&consumer.shared.held).len();
            }
        }
        Ok(u64::from(ready) + u64::try_from(held).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_junk_is_refused() {
        assert_eq!(parse_tag("3.17").unwrap(), (3, 17));
        assert!(parse_tag("17").is_err());
        assert!(parse_tag("a.b").is_err());
    }
}
