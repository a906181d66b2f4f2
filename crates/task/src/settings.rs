//! `CELERY_*` and `TASK_*`: the task system's settings section ([`TaskSettings`]), with FBA's
//! names where FBA has the setting.

use std::time::Duration;

use fba_core_conf::{ConfigError, Section, Source};
use secrecy::SecretString;

/// Where jobs wait for a worker (`CELERY_BROKER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// `database`: a table of the app's own SQL database (SQLite or PostgreSQL); no other
    /// service. The embedded default.
    Database,
    /// `redis`: Redis database `CELERY_BROKER_REDIS_DATABASE` of the configured Redis.
    Redis,
    /// `rabbitmq`: RabbitMQ at `CELERY_RABBITMQ_*` (needs the `rabbitmq` cargo feature).
    RabbitMq,
}

impl BrokerKind {
    /// The `CELERY_BROKER` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::Redis => "redis",
            Self::RabbitMq => "rabbitmq",
        }
    }
}

/// Whether `fba-server` runs a worker and the scheduler in its own process
/// (`TASK_EMBEDDED_WORKER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddedWorker {
    /// `auto` (default): on when the Kv store is in-process (no Redis configured), since a
    /// separate `fba-worker` could not share worker heartbeats and the scheduler lock then.
    Auto,
    /// `true`: always.
    On,
    /// `false`: never (run `fba-worker`).
    Off,
}

/// `CELERY_RABBITMQ_*`: where RabbitMQ is.
#[derive(Debug, Clone)]
pub struct RabbitMqSettings {
    /// `CELERY_RABBITMQ_HOST` (`127.0.0.1`).
    pub host: String,
    /// `CELERY_RABBITMQ_PORT` (5672).
    pub port: u16,
    /// `CELERY_RABBITMQ_USERNAME` (`guest`).
    pub username: String,
    /// `CELERY_RABBITMQ_PASSWORD` (`guest`).
    pub password: SecretString,
    /// `CELERY_RABBITMQ_VHOST` (`''`: the default vhost `/`).
    pub vhost: String,
}

impl RabbitMqSettings {
    /// The AMQP URL (FBA's `amqp://{user}:{password}@{host}:{port}/{vhost}`), with the empty
    /// vhost spelled as the default vhost `/` (`%2f`), as kombu reads FBA's empty one.
    pub fn url(&self) -> String {
        use secrecy::ExposeSecret;
        let vhost = self.vhost.trim_start_matches('/');
        format!(
            "amqp://{}:{}@{}:{}/{}",
            self.username,
            self.password.expose_secret(),
            self.host,
            self.port,
            if vhost.is_empty() { "%2f" } else { vhost },
        )
    }
}

/// The task system's settings.
#[derive(Debug, Clone)]
pub struct TaskSettings {
    /// `CELERY_BROKER`: `database`, `redis` or `rabbitmq`; unset (`None`), the SQL database on
    /// SQLite and PostgreSQL and Redis on MySQL (FBA's default is `redis`).
    pub broker: Option<BrokerKind>,
    /// `CELERY_BROKER_REDIS_DATABASE` (1): the Redis database the Redis broker uses.
    pub broker_redis_database: u8,
    /// `CELERY_RABBITMQ_*`.
    pub rabbitmq: RabbitMqSettings,
    /// `CELERY_REDIS_PREFIX` (`fba:celery`): the prefix of every Kv key of the task system
    /// (worker heartbeats, revocations, the scheduler lock and `last_update`).
    pub redis_prefix: String,
    /// `CELERY_TASK_MAX_RETRIES` (5): how often a job failing with a retryable error (a
    /// database error) is retried before it is recorded as `FAILURE`.
    pub max_retries: u32,
    /// `TASK_RETRY_DELAY_MS` (1000): the first retry's delay, doubled for each later one (at
    /// most 10 minutes).
    pub retry_delay: Duration,
    /// `TASK_TIME_LIMIT` seconds (0 = none, the default, as Celery's): a run taking longer is
    /// stopped and recorded as a `TimeLimitExceeded` failure.
    pub time_limit: Option<Duration>,
    /// `TASK_WORKER_CONCURRENCY` (16): jobs one worker runs at once.
    pub concurrency: usize,
    /// `TASK_EMBEDDED_WORKER` (`auto`).
    pub embedded_worker: EmbeddedWorker,
    /// `TASK_POLL_INTERVAL_MS` (200): how often an idle worker of the SQL broker looks for
    /// jobs sent by another process (jobs sent in-process wake it at once).
    pub poll_interval: Duration,
    /// `TASK_VISIBILITY_TIMEOUT` seconds (30): a job whose worker stopped renewing its lease
    /// this long (a killed worker) is handed to another worker.
    pub visibility_timeout: Duration,
    /// `TASK_HEARTBEAT_INTERVAL` seconds (2): how often a worker announces itself (what
    /// `registered`, `cancel`, `execute` and `task_worker_status` see); it counts as gone three
    /// intervals after its last announcement.
    pub heartbeat_interval: Duration,
    /// `TASK_SCHEDULER_TICK_MS` (1000): how often the scheduler looks for due entries.
    pub scheduler_tick: Duration,
}

impl TaskSettings {
    /// Whether the server runs an in-process worker, given whether its Kv store is
    /// in-process.
    pub fn embedded(&self, kv_in_process: bool) -> bool {
        match self.embedded_worker {
            EmbeddedWorker::Auto => kv_in_process,
            EmbeddedWorker::On => true,
            EmbeddedWorker::Off => false,
        }
    }

    /// The section registered in `settings`, or the defaults when the task module did not
    /// register it (an app built without it).
    pub fn of(settings: &fba_core_conf::Settings) -> Self {
        settings.section::<Self>().cloned().unwrap_or_default()
    }

    /// The Kv key of a name under `CELERY_REDIS_PREFIX` (`fba:celery:beat_lock`).
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.redis_prefix)
    }
}

impl Default for TaskSettings {
    fn default() -> Self {
        // The defaults are what an empty source parses to.
        match Self::from_source(&Source::default()) {
            Ok(s) => s,
            Err(e) => unreachable!("the task defaults are valid: {e}"),
        }
    }
}

impl Section for TaskSettings {
    const NAME: &'static str = "task";

    fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let broker = match src.get("CELERY_BROKER") {
            None => None,
            Some(_) => Some(
                match src
                    .choice(
                        "CELERY_BROKER",
                        "database",
                        &["database", "redis", "rabbitmq"],
                    )?
                    .as_str()
                {
                    "redis" => BrokerKind::Redis,
                    "rabbitmq" => BrokerKind::RabbitMq,
                    _ => BrokerKind::Database,
                },
            ),
        };
        let embedded_worker = match src
            .choice("TASK_EMBEDDED_WORKER", "auto", &["auto", "true", "false"])?
            .as_str()
        {
            "true" => EmbeddedWorker::On,
            "false" => EmbeddedWorker::Off,
            _ => EmbeddedWorker::Auto,
        };
        let time_limit: u64 = src.int("TASK_TIME_LIMIT", 0, 0, 7 * 24 * 3600)?;
        // An empty value reads as unset (the default), like every setting.
        let prefix = src.string("CELERY_REDIS_PREFIX", "fba:celery");
        Ok(Self {
            broker,
            broker_redis_database: src.int("CELERY_BROKER_REDIS_DATABASE", 1, 0, 255)?,
            rabbitmq: RabbitMqSettings {
                host: src.string("CELERY_RABBITMQ_HOST", "127.0.0.1"),
                port: src.int("CELERY_RABBITMQ_PORT", 5672, 1, 65535)?,
                username: src.string("CELERY_RABBITMQ_USERNAME", "guest"),
                password: SecretString::from(src.string("CELERY_RABBITMQ_PASSWORD", "guest")),
                vhost: src.string("CELERY_RABBITMQ_VHOST", ""),
            },
            redis_prefix: prefix,
            max_retries: src.int("CELERY_TASK_MAX_RETRIES", 5, 0, 100)?,
            retry_delay: Duration::from_millis(src.int("TASK_RETRY_DELAY_MS", 1000, 1, 600_000)?),
            time_limit: (time_limit > 0).then(|| Duration::from_secs(time_limit)),
            concurrency: src.int("TASK_WORKER_CONCURRENCY", 16, 1, 10_000)?,
            embedded_worker,
            poll_interval: Duration::from_millis(src.int(
                "TASK_POLL_INTERVAL_MS",
                200,
                10,
                60_000,
            )?),
            visibility_timeout: Duration::from_secs(src.int(
                "TASK_VISIBILITY_TIMEOUT",
                30,
                2,
                86_400,
            )?),
            heartbeat_interval: Duration::from_secs(src.int(
                "TASK_HEARTBEAT_INTERVAL",
                2,
                1,
                60,
            )?),
            scheduler_tick: Duration::from_millis(src.int(
                "TASK_SCHEDULER_TICK_MS",
                1000,
                50,
                60_000,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_fba_names() {
        let d = TaskSettings::default();
        assert_eq!(d.broker, None);
        assert_eq!(d.max_retries, 5);
        assert_eq!(d.redis_prefix, "fba:celery");
        assert_eq!(d.key("beat_lock"), "fba:celery:beat_lock");
        assert_eq!(d.time_limit, None);
        assert!(d.embedded(true) && !d.embedded(false));
        let s = TaskSettings::from_source(&Source::from_pairs([
            ("CELERY_BROKER", "RabbitMQ"),
            ("CELERY_RABBITMQ_VHOST", "/fba"),
            ("TASK_TIME_LIMIT", "3"),
            ("TASK_EMBEDDED_WORKER", "false"),
        ]))
        .unwrap();
        assert_eq!(s.broker, Some(BrokerKind::RabbitMq));
        assert_eq!(s.rabbitmq.url(), "amqp://guest:guest@127.0.0.1:5672/fba");
        assert_eq!(d.rabbitmq.url(), "amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(s.time_limit, Some(Duration::from_secs(3)));
        assert!(!s.embedded(true));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("CELERY_BROKER", "sqs"),
            ("CELERY_TASK_MAX_RETRIES", "-1"),
            ("TASK_WORKER_CONCURRENCY", "0"),
            ("TASK_EMBEDDED_WORKER", "maybe"),
            ("TASK_VISIBILITY_TIMEOUT", "1"),
        ] {
            let err = TaskSettings::from_source(&Source::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var(), var, "{var}={value}");
        }
    }
}
