//! The broker conformance suite: one set of cases, run against every broker this run can reach
//! — the SQL broker on the test database (not on MySQL, where it is refused), Redis when
//! `FBA_TEST_REDIS_URL` is set, RabbitMQ when built with the `rabbitmq` feature and RabbitMQ
//! answers at 127.0.0.1:5672 (required under `CI=true`).
//!
//! Each test has a store of its own (a fresh database, Redis key namespace or RabbitMQ queue
//! prefix) and unique queue names. Waits poll with deadlines; no case asserts a duration.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fba_task::TaskSettings;
use fba_task::broker::{Broker, Delivery};
use fba_task::message::TaskMessage;
use serde_json::{Map, Value};

/// The lease of the SQL and Redis brokers in these tests.
const VISIBILITY: Duration = Duration::from_secs(3);
/// How long a case waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(25);

/// A broker backend under test.
#[async_trait::async_trait]
trait Backend: Send + Sync {
    /// A broker on this backend's store, as another process would open it.
    async fn open(&self) -> Arc<dyn Broker>;
    /// Queues a payload that is not a [`TaskMessage`] on `queue`.
    async fn publish_garbage(&self, queue: &str);
    /// A fresh queue name.
    fn queue(&self) -> String {
        format!("q-{}", uuid::Uuid::new_v4().simple())
    }
    /// Whether leases run out after the visibility timeout (SQL, Redis); RabbitMQ instead
    /// takes a delivery back when its connection closes.
    fn leases_expire(&self) -> bool {
        true
    }
    /// Whether a job with a future `eta` is held back by the broker (not RabbitMQ).
    fn delays_eta(&self) -> bool {
        true
    }
    /// Removes what the test left (database, keys, queues).
    async fn cleanup(&self) {}
}

fn settings(prefix: &str) -> TaskSettings {
    TaskSettings {
        visibility_timeout: VISIBILITY,
        poll_interval: Duration::from_millis(50),
        redis_prefix: prefix.to_owned(),
        ..TaskSettings::default()
    }
}

fn unique_prefix() -> String {
    format!("fba-test-{}", uuid::Uuid::new_v4().simple())
}

// ----- backends -----

struct Sql {
    app: tokio::sync::Mutex<Option<fba_testing::TestApp>>,
    db: fba_db::Db,
    kv: fba_db::SharedKv,
}

async fn on_sql() -> Option<Box<dyn Backend>> {
    if std::env::var("FBA_TEST_DATABASE").is_ok_and(|kind| kind == "mysql") {
        eprintln!("skipped: the SQL broker is refused on MySQL");
        return None;
    }
    let app = fba_testing::TestApp::spawn().await;
    Some(Box::new(Sql {
        db: app.app_state.db.clone(),
        kv: app.app_state.kv.clone(),
        app: tokio::sync::Mutex::new(Some(app)),
    }))
}

#[async_trait::async_trait]
impl Backend for Sql {
    async fn open(&self) -> Arc<dyn Broker> {
        Arc::new(
            fba_task::broker::sql::SqlBroker::start(
                self.db.clone(),
                self.kv.clone(),
                &settings("fba:celery"),
            )
            .await
            .unwrap(),
        )
    }

    async fn publish_garbage(&self, queue: &str) {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let backend = self.db.get_database_backend();
        let sql = if backend == DbBackend::Postgres {
            "INSERT INTO task_queue (task_id, queue, payload, eta_ms, created_time) \
             VALUES ($1, $2, $3, $4, $5)"
        } else {
            "INSERT INTO task_queue (task_id, queue, payload, eta_ms, created_time) \
             VALUES (?, ?, ?, ?, ?)"
        };
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                vec![
                    "garbage".into(),
                    queue.into(),
                    "{not a message".into(),
                    Utc::now().timestamp_millis().into(),
                    Utc::now().into(),
                ],
            ))
            .await
            .unwrap();
    }

    async fn cleanup(&self) {
        if let Some(app) = self.app.lock().await.take() {
            app.stop().await;
        }
    }
}

struct Redis {
    settings: fba_core_conf::RedisSettings,
    task: TaskSettings,
}

async fn on_redis() -> Option<Box<dyn Backend>> {
    let Some(url) = fba_testing::redis_url() else {
        eprintln!("skipped: FBA_TEST_REDIS_URL is not set");
        return None;
    };
    Some(Box::new(Redis {
        settings: fba_core_conf::RedisSettings {
            url: fba_core_conf::SecretString::from(url),
            timeout_secs: 5,
            pool_size: 4,
            key_namespace: format!("{}:", unique_prefix()),
        },
        task: settings("fba:celery"),
    }))
}

impl Redis {
    async fn typed(&self) -> fba_task::broker::redis::RedisBroker {
        fba_task::broker::redis::RedisBroker::connect(&self.settings, &self.task)
            .await
            .unwrap()
    }
}

#[async_trait::async_trait]
impl Backend for Redis {
    async fn open(&self) -> Arc<dyn Broker> {
        Arc::new(self.typed().await)
    }

    async fn publish_garbage(&self, queue: &str) {
        self.typed()
            .await
            .publish_payload(queue, "{not a message")
            .await
            .unwrap();
    }

    async fn cleanup(&self) {
        use fba_core_conf::ExposeSecret;
        let client = redis::Client::open(self.settings.url.expose_secret()).unwrap();
        let info = client.get_connection_info().clone();
        let db = info
            .redis_settings()
            .clone()
            .set_db(i64::from(self.task.broker_redis_database));
        let client = redis::Client::open(info.set_redis_settings(db)).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.settings.key_namespace))
            .query_async(&mut conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: i64 = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }
}

#[cfg(feature = "rabbitmq")]
struct Rabbit {
    task: TaskSettings,
    queues: std::sync::Mutex<Vec<String>>,
}

#[cfg(feature = "rabbitmq")]
async fn on_rabbitmq() -> Option<Box<dyn Backend>> {
    let task = settings(&unique_prefix());
    let address = format!("{}:{}", task.rabbitmq.host, task.rabbitmq.port);
    let answers = address.parse().is_ok_and(|addr| {
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
    });
    if !answers {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "RabbitMQ does not answer at {address} (required under CI)"
        );
        eprintln!("skipped: RabbitMQ does not answer at {address}");
        return None;
    }
    Some(Box::new(Rabbit {
        task,
        queues: std::sync::Mutex::new(Vec::new()),
    }))
}

#[cfg(feature = "rabbitmq")]
impl Rabbit {
    async fn typed(&self) -> fba_task::broker::amqp::AmqpBroker {
        fba_task::broker::amqp::AmqpBroker::connect(&self.task)
            .await
            .unwrap()
    }
}

#[cfg(feature = "rabbitmq")]
#[async_trait::async_trait]
impl Backend for Rabbit {
    async fn open(&self) -> Arc<dyn Broker> {
        Arc::new(self.typed().await)
    }

    async fn publish_garbage(&self, queue: &str) {
        self.typed()
            .await
            .publish_payload(queue, "{not a message")
            .await
            .unwrap();
    }

    fn queue(&self) -> String {
        let queue = format!("q-{}", uuid::Uuid::new_v4().simple());
        self.queues.lock().unwrap().push(queue.clone());
        queue
    }

    fn leases_expire(&self) -> bool {
        false
    }

    fn delays_eta(&self) -> bool {
        false
    }

    async fn cleanup(&self) {
        use lapin::options::QueueDeleteOptions;
        let broker = self.typed().await;
        let connection = lapin::Connection::connect(
            &format!(
                "amqp://guest:guest@{}:{}/%2f",
                self.task.rabbitmq.host, self.task.rabbitmq.port
            ),
            lapin::ConnectionProperties::default(),
        )
        .await
        .unwrap();
        let channel = connection.create_channel().await.unwrap();
        let queues = self.queues.lock().unwrap().clone();
        for queue in queues {
            channel
                .queue_delete(
                    broker.queue_name(&queue).as_str().into(),
                    QueueDeleteOptions::default(),
                )
                .await
                .unwrap();
        }
    }
}

// ----- helpers -----

fn message(queue: &str) -> TaskMessage {
    let mut m = TaskMessage::new("task_demo", vec![Value::from(1)], Map::new());
    m.queue = queue.to_owned();
    m
}

/// Fetches for `worker` until `want` jobs came (each fetch returning at most `max`) or
/// `PATIENCE` ran out.
async fn fetch_until(
    broker: &dyn Broker,
    worker: &str,
    queue: &str,
    max: usize,
    want: usize,
) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut got = Vec::new();
    while got.len() < want && tokio::time::Instant::now() < deadline {
        let batch = broker
            .fetch(worker, queue, max, Duration::from_millis(500))
            .await
            .unwrap();
        assert!(batch.len() <= max, "{} jobs for max {max}", batch.len());
        got.extend(batch);
    }
    got
}

/// Waits until `len(queue)` is `want`.
async fn wait_len(broker: &dyn Broker, queue: &str, want: u64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let n = broker.len(queue).await.unwrap();
        if n == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "len({queue}) stays {n}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ----- the cases -----

async fn publish_fetch_ack_round_trip(backend: &dyn Backend) {
    let broker = backend.open().await;
    let queue = backend.queue();
    let sent = message(&queue);
    broker.publish(&sent).await.unwrap();
    wait_len(&*broker, &queue, 1).await;
    let got = fetch_until(&*broker, "w1", &queue, 10, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, sent);
    broker.ack("w1", &got[0]).await.unwrap();
    wait_len(&*broker, &queue, 0).await;
    let again = broker
        .fetch("w1", &queue, 10, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(again.is_empty(), "an acknowledged job came back: {again:?}");
}

async fn fetch_returns_at_most_max(backend: &dyn Backend) {
    let broker = backend.open().await;
    let queue = backend.queue();
    let mut ids: Vec<String> = Vec::new();
    for _ in 0..5 {
        let m = message(&queue);
        ids.push(m.id.clone());
        broker.publish(&m).await.unwrap();
    }
    let got = fetch_until(&*broker, "w1", &queue, 2, 5).await;
    let mut got_ids: Vec<String> = got.iter().map(|d| d.message.id.clone()).collect();
    got_ids.sort();
    ids.sort();
    assert_eq!(got_ids, ids, "every job once");
    for d in &got {
        broker.ack("w1", d).await.unwrap();
    }
    wait_len(&*broker, &queue, 0).await;
}

async fn a_leased_job_is_not_handed_to_another_worker(backend: &dyn Backend) {
    let a = backend.open().await;
    let b = backend.open().await;
    let queue = backend.queue();
    a.publish(&message(&queue)).await.unwrap();
    let held = fetch_until(&*a, "w1", &queue, 1, 1).await;
    assert_eq!(held.len(), 1);
    for _ in 0..3 {
        a.keep_alive("w1", &held).await.unwrap();
        for (broker, label) in [(&a, "same process"), (&b, "other process")] {
            let other = broker
                .fetch("w2", &queue, 5, Duration::from_millis(200))
                .await
                .unwrap();
            assert!(other.is_empty(), "{label}: a leased job handed out again");
        }
    }
    a.ack("w1", &held[0]).await.unwrap();
    wait_len(&*b, &queue, 0).await;
}

async fn a_killed_workers_job_is_handed_out_again(backend: &dyn Backend) {
    let a = backend.open().await;
    let b = backend.open().await;
    let queue = backend.queue();
    let sent = message(&queue);
    b.publish(&sent).await.unwrap();
    let held = fetch_until(&*a, "w1", &queue, 1, 1).await;
    assert_eq!(held.len(), 1);
    if backend.leases_expire() {
        // w1 stalls (stops renewing); once the lease runs out recover() returns the job.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if b.recover().await.unwrap() > 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the lease never ran out"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    } else {
        // The worker's process dies: its connection closes.
        drop(a);
    }
    let again = fetch_until(&*b, "w2", &queue, 1, 1).await;
    assert_eq!(again.len(), 1, "the killed worker's job is lost");
    assert_eq!(again[0].message, sent);
    if backend.leases_expire() {
        // The stalled worker wakes up and acknowledges: w2 keeps the job.
        a_late_ack(&held[0], &*b, &queue).await;
    }
    b.ack("w2", &again[0]).await.unwrap();
    wait_len(&*b, &queue, 0).await;
}

async fn a_late_ack(stale: &Delivery, broker: &dyn Broker, queue: &str) {
    broker.ack("w1", stale).await.unwrap();
    assert_eq!(
        broker.len(queue).await.unwrap(),
        1,
        "a stale ack removed w2's job"
    );
}

async fn keep_alive_keeps_the_lease(backend: &dyn Backend) {
    let a = backend.open().await;
    let b = backend.open().await;
    let queue = backend.queue();
    a.publish(&message(&queue)).await.unwrap();
    let held = fetch_until(&*a, "w1", &queue, 1, 1).await;
    assert_eq!(held.len(), 1);
    // Twice the visibility timeout, renewing about every half second.
    let until = tokio::time::Instant::now() + VISIBILITY * 2;
    while tokio::time::Instant::now() < until {
        a.keep_alive("w1", &held).await.unwrap();
        assert_eq!(
            b.recover().await.unwrap(),
            0,
            "a renewed lease was recovered"
        );
        let other = b
            .fetch("w2", &queue, 5, Duration::from_millis(500))
            .await
            .unwrap();
        assert!(other.is_empty(), "a renewed lease was handed out");
    }
    a.ack("w1", &held[0]).await.unwrap();
    wait_len(&*b, &queue, 0).await;
}

async fn a_requeued_job_waits_for_its_eta(backend: &dyn Backend) {
    let broker = backend.open().await;
    let queue = backend.queue();
    broker.publish(&message(&queue)).await.unwrap();
    let held = fetch_until(&*broker, "w1", &queue, 1, 1).await;
    assert_eq!(held.len(), 1);
    let mut retry = held[0].message.clone();
    retry.retries += 1;
    let eta = chrono::DateTime::from_timestamp_millis(
        (Utc::now() + chrono::Duration::seconds(2)).timestamp_millis(),
    )
    .unwrap();
    retry.eta = Some(eta);
    broker.requeue("w1", &held[0], &retry).await.unwrap();
    wait_len(&*broker, &queue, 1).await;
    let again = fetch_until(&*broker, "w1", &queue, 1, 1).await;
    assert_eq!(again.len(), 1);
    if backend.delays_eta() {
        assert!(Utc::now() >= eta, "a job was handed out before its eta");
    }
    assert_eq!(again[0].message, retry, "the requeued version comes back");
    broker.ack("w1", &again[0]).await.unwrap();
    wait_len(&*broker, &queue, 0).await;
}

async fn len_counts_waiting_delayed_and_running_jobs(backend: &dyn Backend) {
    let broker = backend.open().await;
    let queue = backend.queue();
    assert_eq!(broker.len(&queue).await.unwrap(), 0);
    broker.publish(&message(&queue)).await.unwrap();
    broker.publish(&message(&queue)).await.unwrap();
    let mut later = message(&queue);
    later.eta = Some(Utc::now() + chrono::Duration::hours(1));
    broker.publish(&later).await.unwrap();
    wait_len(&*broker, &queue, 3).await;
    let running = fetch_until(&*broker, "w1", &queue, 1, 1).await;
    assert_eq!(running.len(), 1);
    wait_len(&*broker, &queue, 3).await;
    broker.ack("w1", &running[0]).await.unwrap();
    wait_len(&*broker, &queue, 2).await;
    // Another queue is counted apart.
    assert_eq!(broker.len(&backend.queue()).await.unwrap(), 0);
}

async fn undecodable_payloads_do_not_break_fetch(backend: &dyn Backend) {
    let broker = backend.open().await;
    let queue = backend.queue();
    backend.publish_garbage(&queue).await;
    let sent = message(&queue);
    broker.publish(&sent).await.unwrap();
    let got = fetch_until(&*broker, "w1", &queue, 5, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, sent);
    broker.ack("w1", &got[0]).await.unwrap();
    // The garbage is gone too.
    wait_len(&*broker, &queue, 0).await;
}

/// One `#[tokio::test]` per case for a backend.
macro_rules! suite {
    ($backend:ident) => {
        suite!($backend:
            publish_fetch_ack_round_trip,
            fetch_returns_at_most_max,
            a_leased_job_is_not_handed_to_another_worker,
            a_killed_workers_job_is_handed_out_again,
            keep_alive_keeps_the_lease,
            a_requeued_job_waits_for_its_eta,
            len_counts_waiting_delayed_and_running_jobs,
            undecodable_payloads_do_not_break_fetch
        );
    };
    ($backend:ident: $($case:ident),+) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if let Some(backend) = super::$backend().await {
                        super::$case(&*backend).await;
                        backend.cleanup().await;
                    }
                }
            )+
        }
    };
}

suite!(on_sql);
suite!(on_redis);
#[cfg(feature = "rabbitmq")]
suite!(on_rabbitmq);
