//! The typed [`Settings`] and the rules that turn raw variables into them.
//!
//! Variable names and defaults follow FBA v1.13 (`backend/core/conf.py`); additions of this
//! project (`DATABASE_URL`, `REDIS_URL`, `SQLITE_PATH`, `SERVER_HOST`, `SERVER_PORT`, ...) are
//! listed in `docs/configuration.md`.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::{ConfigError, EXAMPLE_TOKEN_SECRET_KEY, Section, Sections, Source};

/// Every setting of an fba-rs process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENVIRONMENT`: `dev` (default) or `prod`.
    pub environment: Environment,
    /// Where the HTTP server listens.
    pub server: ServerSettings,
    /// API prefix, title and the documentation pages.
    pub api: ApiSettings,
    /// The relational database.
    pub database: DatabaseSettings,
    /// Redis; `None` selects the in-process Kv store.
    pub redis: Option<RedisSettings>,
    /// The two-level cache.
    pub cache: CacheSettings,
    /// Snowflake primary keys.
    pub snowflake: SnowflakeSettings,
    /// JWT access and refresh tokens.
    pub token: TokenSettings,
    /// Password policy and account locking.
    pub user_security: UserSecuritySettings,
    /// Login captcha and failure counting.
    pub login: LoginSettings,
    /// CORS.
    pub cors: CorsSettings,
    /// Request ids.
    pub trace: TraceSettings,
    /// Operation log middleware.
    pub opera_log: OperaLogSettings,
    /// File uploads.
    pub upload: UploadSettings,
    /// Demo mode (read-only API).
    pub demo: DemoSettings,
    /// Languages.
    pub i18n: I18nSettings,
    /// Time zone and formats.
    pub time: TimeSettings,
    /// Logging.
    pub log: LogSettings,
    /// Rate limiting.
    pub limiter: LimiterSettings,
    /// IP geolocation mode.
    pub ip_location: IpLocationSettings,
    /// RBAC mode.
    pub rbac: RbacSettings,
    /// Prometheus metrics and OpenTelemetry export (`GRAFANA_*`).
    pub grafana: GrafanaSettings,
    /// The sections other crates own ([`Section`]), registered at start-up by their modules,
    /// and the raw source they are parsed from.
    pub sections: Sections,
}

/// The deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Development: docs on, detailed errors.
    Dev,
    /// Production: docs off, HTTP error bodies masked as FBA masks them.
    Prod,
}

impl Environment {
    /// `true` for [`Environment::Prod`].
    pub fn is_prod(self) -> bool {
        matches!(self, Self::Prod)
    }
}

/// `SERVER_HOST` / `SERVER_PORT` / `SERVER_WORKERS`.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Host to bind (default `127.0.0.1`).
    pub host: String,
    /// Port to bind (default `8000`; `0` picks a free port).
    pub port: u16,
    /// Worker threads (default: number of CPUs).
    pub workers: Option<usize>,
    /// Seconds to wait for in-flight requests on shutdown.
    pub shutdown_timeout_secs: u64,
    /// `SERVER_TRUSTED_PROXIES` (fba-rs): peers whose `X-Real-IP` / `X-Forwarded-For` are
    /// believed (addresses or CIDRs). Empty (the default): the socket's peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// `SERVER_BODY_TIMEOUT` (fba-rs): seconds a client has to send a request body (408 after).
    pub body_timeout_secs: u64,
    /// `SERVER_MAX_CONNECTIONS` (fba-rs): open connections the whole server accepts at once.
    pub max_connections: usize,
}

/// Which peers may say who the client is (`SERVER_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TrustedProxies {
    /// Trust no peer: forwarded headers are ignored (the default).
    #[default]
    None,
    /// Trust every peer (`*`): FBA's behaviour, only safe when no client can reach the server
    /// except through a proxy that overwrites the headers.
    All,
    /// Trust peers inside these networks.
    Networks(Vec<ipnet::IpNet>),
}

impl TrustedProxies {
    /// Whether `peer` is a trusted proxy.
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        let peer = canonical_ip(peer);
        match self {
            Self::None => false,
            Self::All => true,
            Self::Networks(nets) => nets.iter().any(|n| n.contains(&peer)),
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it is.
pub fn canonical_ip(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}

impl ServerSettings {
    /// `host:port`.
    pub fn bind_addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// `FASTAPI_*` settings.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// `FASTAPI_API_V1_PATH` (`/api/v1`).
    pub v1_path: String,
    /// `FASTAPI_TITLE` (`fba`).
    pub title: String,
    /// `FASTAPI_DESCRIPTION`.
    pub description: String,
    /// `FASTAPI_DOCS_URL` (`/docs`); `None` in prod.
    pub docs_url: Option<String>,
    /// `FASTAPI_REDOC_URL` (`/redoc`); `None` in prod.
    pub redoc_url: Option<String>,
    /// `FASTAPI_OPENAPI_URL` (`/openapi`); `None` in prod disables all three.
    pub openapi_url: Option<String>,
    /// `FASTAPI_STATIC_FILES`; `false` in prod.
    pub static_files: bool,
}

/// Which database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// An SQLite file (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl DatabaseKind {
    /// The `DATABASE_TYPE` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgresql",
            Self::Mysql => "mysql",
        }
    }
}

/// How primary keys are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    /// Database auto-increment (FBA's default).
    Autoincrement,
    /// Application-generated snowflake ids.
    Snowflake,
}

/// The relational database.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// Engine.
    pub kind: DatabaseKind,
    /// Connection URL (from `DATABASE_URL` or assembled from `DATABASE_HOST` etc.).
    pub url: SecretString,
    /// `DATABASE_SCHEMA`: the database name (`fba`).
    pub schema: String,
    /// `SQLITE_PATH` for [`DatabaseKind::Sqlite`] (`data/fba.db`).
    pub sqlite_path: Option<PathBuf>,
    /// `DATABASE_PK_MODE`.
    pub pk_mode: PkMode,
    /// `DATABASE_ECHO`: log every statement.
    pub echo: bool,
    /// Connection pool.
    pub pool: PoolSettings,
}

impl DatabaseSettings {
    /// The URL with any password replaced by `***`, for logs.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

/// Pool sizes and timeouts (FBA: size 10, overflow 20, timeout 30 s, recycle 3600 s).
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// `DATABASE_POOL_SIZE`: connections kept open.
    pub min_connections: u32,
    /// `DATABASE_POOL_SIZE + DATABASE_POOL_MAX_OVERFLOW`.
    pub max_connections: u32,
    /// `DATABASE_POOL_TIMEOUT` seconds to wait for a connection.
    pub acquire_timeout_secs: u64,
    /// `DATABASE_POOL_RECYCLE` seconds before a connection is replaced.
    pub max_lifetime_secs: u64,
    /// Prepared statements each connection keeps (not a setting; `None` = the driver's 100).
    /// Pools that send many one-off statements (the operation log's bulk inserts) use a small
    /// cache so large statement texts are not kept per connection.
    pub statement_cache: Option<usize>,
}

/// Redis.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// Connection URL (from `REDIS_URL` or `REDIS_HOST` etc.).
    pub url: SecretString,
    /// `REDIS_TIMEOUT` seconds for connect and commands.
    pub timeout_secs: u64,
    /// `REDIS_POOL_SIZE`.
    pub pool_size: usize,
    /// `REDIS_KEY_NAMESPACE`: prepended to every key and channel (empty = FBA's exact keys).
    /// Lets several deployments or test runs share one Redis without seeing each other.
    pub key_namespace: String,
}

impl RedisSettings {
    /// The URL with any password replaced by `***`, for logs.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

/// `CACHE_*`.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// `CACHE_LOCAL_ENABLED`.
    pub local_enabled: bool,
    /// `CACHE_LOCAL_MAXSIZE`.
    pub local_maxsize: u64,
    /// `CACHE_LOCAL_TTL` seconds.
    pub local_ttl_secs: u64,
    /// `CACHE_REDIS_TTL` seconds.
    pub redis_ttl_secs: u64,
    /// `CACHE_CONFIG_REDIS_PREFIX`.
    pub config_prefix: String,
    /// `CACHE_DICT_REDIS_PREFIX`.
    pub dict_prefix: String,
    /// `CACHE_PUBSUB_CHANNEL`.
    pub pubsub_channel: String,
}

/// `SNOWFLAKE_*`.
#[derive(Debug, Clone)]
pub struct SnowflakeSettings {
    /// On when `SNOWFLAKE_ENABLED` or `DATABASE_PK_MODE=snowflake`.
    pub enabled: bool,
    /// `SNOWFLAKE_DATACENTER_ID` (0..=31); with `worker_id`, both or neither.
    pub datacenter_id: Option<u8>,
    /// `SNOWFLAKE_WORKER_ID` (0..=31).
    pub worker_id: Option<u8>,
    /// `SNOWFLAKE_REDIS_PREFIX`.
    pub redis_prefix: String,
    /// `SNOWFLAKE_HEARTBEAT_INTERVAL_SECONDS`.
    pub heartbeat_secs: u64,
    /// `SNOWFLAKE_NODE_TTL_SECONDS`.
    pub node_ttl_secs: u64,
}

/// JWT signing algorithm (HMAC family, as FBA's `TOKEN_ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAlgorithm {
    /// HMAC-SHA256 (FBA's default).
    Hs256,
    /// HMAC-SHA384.
    Hs384,
    /// HMAC-SHA512.
    Hs512,
}

/// `TOKEN_*`.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `TOKEN_SECRET_KEY`.
    pub secret_key: SecretString,
    /// `TOKEN_ALGORITHM`.
    pub algorithm: TokenAlgorithm,
    /// `TOKEN_EXPIRE_SECONDS`.
    pub expire_secs: u64,
    /// `TOKEN_REFRESH_EXPIRE_SECONDS`.
    pub refresh_expire_secs: u64,
    /// `TOKEN_REDIS_PREFIX`.
    pub redis_prefix: String,
    /// `TOKEN_EXTRA_INFO_REDIS_PREFIX`.
    pub extra_info_redis_prefix: String,
    /// `TOKEN_ONLINE_REDIS_PREFIX`.
    pub online_redis_prefix: String,
    /// `TOKEN_REFRESH_REDIS_PREFIX`.
    pub refresh_redis_prefix: String,
    /// `TOKEN_REQUEST_PATH_EXCLUDE`: paths where an `Authorization` header is ignored.
    pub request_path_exclude: Vec<String>,
    /// `TOKEN_REQUEST_PATH_EXCLUDE_PATTERN`: regexes (anchored at the start) likewise.
    pub request_path_exclude_pattern: Vec<String>,
    /// `JWT_USER_REDIS_PREFIX`: cached user objects.
    pub user_redis_prefix: String,
    /// `TOKEN_LOCAL_CACHE_SECONDS` (ours; default 30, 0 disables): how long a replica may
    /// answer from process memory that a session is live and who its user is, without asking
    /// the Kv store. Revocations and user changes reach every replica's memory at once through
    /// the Kv store's pub/sub channel; this bound only matters if that channel silently fails.
    pub local_cache_secs: u64,
}

/// `USER_*` password policy and lock-out.
#[derive(Debug, Clone)]
pub struct UserSecuritySettings {
    /// `USER_LOCK_REDIS_PREFIX`.
    pub lock_redis_prefix: String,
    /// `USER_LOCK_THRESHOLD` failed logins before locking (0 disables).
    pub lock_threshold: u32,
    /// `USER_LOCK_SECONDS`.
    pub lock_secs: u64,
    /// `USER_PASSWORD_EXPIRY_DAYS` (0 never).
    pub password_expiry_days: u32,
    /// `USER_PASSWORD_REMINDER_DAYS` (0 never).
    pub password_reminder_days: u32,
    /// `USER_PASSWORD_HISTORY_CHECK_COUNT`.
    pub password_history_check_count: u32,
    /// `USER_PASSWORD_MIN_LENGTH`.
    pub password_min_length: u32,
    /// `USER_PASSWORD_MAX_LENGTH`.
    pub password_max_length: u32,
    /// `USER_PASSWORD_REQUIRE_SPECIAL_CHAR`.
    pub password_require_special_char: bool,
    /// `PASSWORD_BCRYPT_COST` (12, as FBA's pwdlib/bcrypt).
    pub bcrypt_cost: u32,
}

/// `LOGIN_*`.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// `LOGIN_CAPTCHA_ENABLED`.
    pub captcha_enabled: bool,
    /// `LOGIN_CAPTCHA_REDIS_PREFIX`.
    pub captcha_redis_prefix: String,
    /// `LOGIN_CAPTCHA_EXPIRE_SECONDS`.
    pub captcha_expire_secs: u64,
    /// `LOGIN_FAILURE_PREFIX`.
    pub failure_prefix: String,
}

/// `CORS_*` and `MIDDLEWARE_CORS`.
#[derive(Debug, Clone)]
pub struct CorsSettings {
    /// `MIDDLEWARE_CORS`.
    pub enabled: bool,
    /// `CORS_ALLOWED_ORIGINS`.
    pub allowed_origins: Vec<String>,
    /// `CORS_EXPOSE_HEADERS`.
    pub expose_headers: Vec<String>,
}

/// `TRACE_ID_*`.
#[derive(Debug, Clone)]
pub struct TraceSettings {
    /// `TRACE_ID_REQUEST_HEADER_KEY` (`X-Request-ID`).
    pub header: String,
    /// `TRACE_ID_LOG_DEFAULT_VALUE` (`-`).
    pub default_value: String,
}

/// `GRAFANA_*`: observability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrafanaSettings {
    /// `GRAFANA_METRICS_ENABLE`: serve `/metrics` and record FBA's request, queue and pool
    /// metrics; with an endpoint also export traces, metrics and logs over OTLP. Defaults to on
    /// in prod (FBA forces it on there; here an explicit `false` is respected).
    pub metrics_enable: bool,
    /// `GRAFANA_OTLP_GRPC_ENDPOINT` (`http://fba_alloy:4317`): the OTLP/gRPC collector, as a
    /// URL (FBA's `host:port` form gets `http://`). Set it to an empty value to serve `/metrics`
    /// without exporting anything.
    pub otlp_grpc_endpoint: Option<String>,
}

impl GrafanaSettings {
    /// The OTLP endpoint when traces, metrics and logs are exported: the metrics are on and
    /// an endpoint is set.
    pub fn export_endpoint(&self) -> Option<&str> {
        self.otlp_grpc_endpoint
            .as_deref()
            .filter(|_| self.metrics_enable)
    }
}

/// `OPERA_LOG_*`.
#[derive(Debug, Clone)]
pub struct OperaLogSettings {
    /// `OPERA_LOG_PATH_EXCLUDE`.
    pub path_exclude: Vec<String>,
    /// `OPERA_LOG_REDACT_KEYS`.
    pub redact_keys: Vec<String>,
    /// `OPERA_LOG_QUEUE_MAXSIZE`.
    pub queue_maxsize: usize,
    /// `OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE`.
    pub batch_size: usize,
    /// `OPERA_LOG_QUEUE_TIMEOUT` seconds between flushes at the most (the writer caps the wait
    /// at 500 ms so a lone row is written within about a second).
    pub flush_secs: u64,
    /// `OPERA_LOG_SPOOL_DIR` (fba-rs, `data/opera-log-spool`): where rows wait while the
    /// database is unreachable or the queue is full (one file per process).
    pub spool_dir: PathBuf,
    /// `OPERA_LOG_SPOOL_MAX_BYTES` (fba-rs, 1 GiB): largest spool file; rows beyond it are
    /// dropped, counted and logged.
    pub spool_max_bytes: u64,
}

/// `UPLOAD_*`.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// `UPLOAD_DIR` (`static/upload`).
    pub dir: PathBuf,
    /// `UPLOAD_READ_SIZE`.
    pub read_size: usize,
    /// `UPLOAD_IMAGE_EXT_INCLUDE`.
    pub image_ext: Vec<String>,
    /// `UPLOAD_IMAGE_SIZE_MAX` bytes.
    pub image_size_max: u64,
    /// `UPLOAD_VIDEO_EXT_INCLUDE`.
    pub video_ext: Vec<String>,
    /// `UPLOAD_VIDEO_SIZE_MAX` bytes.
    pub video_size_max: u64,
}

/// `DEMO_MODE*`.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    /// `DEMO_MODE`.
    pub enabled: bool,
    /// `DEMO_MODE_EXCLUDE`: `METHOD path` pairs still allowed.
    pub exclude: Vec<(String, String)>,
}

/// Languages.
#[derive(Debug, Clone)]
pub struct I18nSettings {
    /// `I18N_DEFAULT_LANGUAGE` (`zh-CN`).
    pub default_language: String,
}

/// `DATETIME_*`.
#[derive(Debug, Clone)]
pub struct TimeSettings {
    /// `DATETIME_TIMEZONE` (`Asia/Shanghai`).
    pub timezone: chrono_tz::Tz,
    /// `DATETIME_FORMAT` (`%Y-%m-%d %H:%M:%S`).
    pub format: String,
}

/// `LOG_*`.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `LOG_STD_LEVEL` (`INFO`); `RUST_LOG` overrides it with a full filter.
    pub level: String,
    /// `LOG_FORMAT` (fba-rs): `text` (default) or `json`.
    pub format: LogFormat,
}

/// `LOG_FORMAT` (fba-rs): how log lines are written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `text`: human-readable lines, coloured only when the output is a terminal.
    Text,
    /// `json`: one JSON object per line (timestamp, level, target, fields, message) for log
    /// shippers.
    Json,
}

impl LogFormat {
    /// The setting's value (`text`, `json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

/// `REQUEST_LIMITER_*` and the per-route limits.
#[derive(Debug, Clone)]
pub struct LimiterSettings {
    /// `REQUEST_LIMITER_REDIS_PREFIX`.
    pub redis_prefix: String,
    /// `LOGIN_RATE_LIMIT_PER_MINUTE` per client ip (FBA: 5).
    pub login_per_minute: u32,
    /// `CAPTCHA_RATE_LIMIT_PER_30S` per client ip (FBA: 5).
    pub captcha_per_30s: u32,
}

/// `IP_LOCATION_*`.
#[derive(Debug, Clone)]
pub struct IpLocationSettings {
    /// `IP_LOCATION_PARSE`: `offline` (default), `online` or `false`.
    pub mode: IpLocationMode,
    /// `IP_LOCATION_REDIS_PREFIX` (read for compatibility; locations are not cached in the Kv
    /// store, an in-memory lookup is cheaper than the round trip).
    pub redis_prefix: String,
    /// `IP_LOCATION_EXPIRE_SECONDS` (read for compatibility, see `redis_prefix`).
    pub expire_secs: u64,
    /// `IP_LOCATION_XDB_PATH` (fba-rs): the ip2region xdb file, relative to the working
    /// directory (default `static/ip2region_v4.xdb`, FBA's `STATIC_DIR / 'ip2region_v4.xdb'`).
    pub xdb_path: PathBuf,
}

/// `IP_LOCATION_PARSE`: how the country, region and city of a client ip are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpLocationMode {
    /// `offline`: from the ip2region xdb file at `IP_LOCATION_XDB_PATH`.
    Offline,
    /// `online`: FBA asks ip-api.com; fba-rs answers from the xdb file as for `offline`.
    Online,
    /// `false`: no lookups, the location fields stay null.
    Off,
}

impl IpLocationMode {
    /// The setting's value as FBA spells it (`offline`, `online`, `false`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Online => "online",
            Self::Off => "false",
        }
    }
}

/// `RBAC_*`.
#[derive(Debug, Clone)]
pub struct RbacSettings {
    /// `RBAC_ROLE_MENU_MODE`.
    pub role_menu_mode: bool,
    /// `RBAC_ROLE_MENU_EXCLUDE`: permission codes every staff user has.
    pub role_menu_exclude: Vec<String>,
}

const MAX_SECS: u64 = 10 * 365 * 24 * 3600;

impl Settings {
    /// Loads settings from `.env` in the working directory (if any) and the process environment.
    ///
    /// # Errors
    /// The first [`ConfigError`] met, naming the variable.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(Path::new(".env"))
    }

    /// Like [`Settings::load`] with an explicit `.env` path.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load_from(env_file: &Path) -> Result<Self, ConfigError> {
        Self::from_source(&Source::from_env_and_file(env_file)?)
    }

    /// Builds settings from raw values.
    ///
    /// # Errors
    /// The first [`ConfigError`] met, naming the variable.
    pub fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let environment = match src.choice("ENVIRONMENT", "dev", &["dev", "prod"])?.as_str() {
            "prod" => Environment::Prod,
            _ => Environment::Dev,
        };
        let prod = environment.is_prod();
        let database = database(src)?;
        let snowflake = snowflake(src, database.pk_mode)?;
        Ok(Self {
            environment,
            server: ServerSettings {
                host: src.string("SERVER_HOST", "127.0.0.1"),
                port: src.int("SERVER_PORT", 8000u16, 0, u16::MAX)?,
                workers: src.opt_int("SERVER_WORKERS", 1usize, 1024)?,
                shutdown_timeout_secs: src.int("SERVER_SHUTDOWN_TIMEOUT", 30u64, 0, 3600)?,
                trusted_proxies: trusted_proxies(src)?,
                body_timeout_secs: src.int("SERVER_BODY_TIMEOUT", 60u64, 1, 86_400)?,
                max_connections: src.int("SERVER_MAX_CONNECTIONS", 10_000usize, 1, 1_000_000)?,
            },
            api: api(src, prod)?,
            database,
            redis: redis(src)?,
            cache: CacheSettings {
                local_enabled: src.bool("CACHE_LOCAL_ENABLED", true)?,
                local_maxsize: src.int("CACHE_LOCAL_MAXSIZE", 100_000u64, 1, u64::MAX)?,
                local_ttl_secs: src.int("CACHE_LOCAL_TTL", 7200u64, 1, MAX_SECS)?,
                redis_ttl_secs: src.int("CACHE_REDIS_TTL", 7200u64, 1, MAX_SECS)?,
                config_prefix: src.string("CACHE_CONFIG_REDIS_PREFIX", "fba:cache:config"),
                dict_prefix: src.string("CACHE_DICT_REDIS_PREFIX", "fba:cache:dict"),
                pubsub_channel: src.string("CACHE_PUBSUB_CHANNEL", "fba:cache:invalidate"),
            },
            snowflake,
            token: token(src, prod)?,
            user_security: user_security(src)?,
            login: LoginSettings {
                captcha_enabled: src.bool("LOGIN_CAPTCHA_ENABLED", true)?,
                captcha_redis_prefix: src.string("LOGIN_CAPTCHA_REDIS_PREFIX", "fba:login:captcha"),
                captcha_expire_secs: src.int(
                    "LOGIN_CAPTCHA_EXPIRE_SECONDS",
                    300u64,
                    1,
                    MAX_SECS,
                )?,
                failure_prefix: src.string("LOGIN_FAILURE_PREFIX", "fba:login:failure"),
            },
            cors: CorsSettings {
                enabled: src.bool("MIDDLEWARE_CORS", true)?,
                allowed_origins: src.list(
                    "CORS_ALLOWED_ORIGINS",
                    &["http://127.0.0.1", "http://localhost:5173"],
                ),
                expose_headers: src.list("CORS_EXPOSE_HEADERS", &["X-Request-ID"]),
            },
            trace: TraceSettings {
                header: src.string("TRACE_ID_REQUEST_HEADER_KEY", "X-Request-ID"),
                default_value: src.string("TRACE_ID_LOG_DEFAULT_VALUE", "-"),
            },
            opera_log: opera_log(src)?,
            upload: upload(src)?,
            demo: demo(src)?,
            i18n: I18nSettings {
                default_language: src
                    .choice("I18N_DEFAULT_LANGUAGE", "zh-CN", &["zh-cn", "en-us"])
                    .map(|l| if l == "en-us" { "en-US" } else { "zh-CN" }.to_owned())?,
            },
            time: time(src)?,
            log: LogSettings {
                level: src
                    .choice(
                        "LOG_STD_LEVEL",
                        "info",
                        &[
                            "trace", "debug", "info", "success", "warning", "warn", "error",
                            "critical",
                        ],
                    )
                    .map(|l| match l.as_str() {
                        "success" => "info".to_owned(),
                        "warning" => "warn".to_owned(),
                        "critical" => "error".to_owned(),
                        _ => l,
                    })?,
                format: match src
                    .choice("LOG_FORMAT", "text", &["text", "json"])?
                    .as_str()
                {
                    "json" => LogFormat::Json,
                    _ => LogFormat::Text,
                },
            },
            limiter: LimiterSettings {
                redis_prefix: src.string("REQUEST_LIMITER_REDIS_PREFIX", "fba:limiter"),
                login_per_minute: src.int("LOGIN_RATE_LIMIT_PER_MINUTE", 5u32, 0, 1_000_000)?,
                captcha_per_30s: src.int("CAPTCHA_RATE_LIMIT_PER_30S", 5u32, 0, 1_000_000)?,
            },
            ip_location: ip_location(src)?,
            grafana: grafana(src, prod)?,
            rbac: RbacSettings {
                role_menu_mode: src.bool("RBAC_ROLE_MENU_MODE", true)?,
                role_menu_exclude: src.list("RBAC_ROLE_MENU_EXCLUDE", &[]),
            },
            sections: Sections::new(src.clone()),
        })
    }

    /// Section `T` of another crate, when its module registered it at start-up
    /// ([`Sections::register`]).
    pub fn section<T: Section>(&self) -> Option<&T> {
        self.sections.get::<T>()
    }
}

fn trusted_proxies(src: &Source) -> Result<TrustedProxies, ConfigError> {
    const NAME: &str = "SERVER_TRUSTED_PROXIES";
    let items = src.list(NAME, &[]);
    if items.iter().any(|i| i == "*") {
        return Ok(TrustedProxies::All);
    }
    if items.is_empty() {
        return Ok(TrustedProxies::None);
    }
    let mut nets = Vec::with_capacity(items.len());
    for item in &items {
        let net = item
            .parse::<ipnet::IpNet>()
            .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| {
                ConfigError::invalid(
                    NAME,
                    item,
                    "IP addresses or CIDRs separated by commas, or *",
                )
            })?;
        nets.push(net);
    }
    Ok(TrustedProxies::Networks(nets))
}

fn api(src: &Source, prod: bool) -> Result<ApiSettings, ConfigError> {
    let v1_path = src.string("FASTAPI_API_V1_PATH", "/api/v1");
    if !v1_path.starts_with('/') || v1_path.ends_with('/') {
        return Err(ConfigError::invalid(
            "FASTAPI_API_V1_PATH",
            &v1_path,
            "a path starting with '/' and not ending with '/'",
        ));
    }
    let url = |name: &str, default: &str| -> Result<Option<String>, ConfigError> {
        match src.get_raw(name).map(str::trim) {
            Some("") | Some("None") | Some("null") => Ok(None),
            Some(v) if !v.starts_with('/') => Err(ConfigError::invalid(
                name,
                v,
                "a path starting with '/', or empty to disable",
            )),
            Some(v) => Ok(Some(v.to_owned())),
            None => Ok(Some(default.to_owned())),
        }
    };
    let openapi_url = if prod {
        None
    } else {
        url("FASTAPI_OPENAPI_URL", "/openapi")?
    };
    let (docs_url, redoc_url) = if openapi_url.is_some() {
        (
            url("FASTAPI_DOCS_URL", "/docs")?,
            url("FASTAPI_REDOC_URL", "/redoc")?,
        )
    } else {
        (None, None)
    };
    Ok(ApiSettings {
        v1_path,
        title: src.string("FASTAPI_TITLE", "fba"),
        description: src.string("FASTAPI_DESCRIPTION", "FastAPI Best Architecture"),
        docs_url,
        redoc_url,
        openapi_url,
        static_files: !prod && src.bool("FASTAPI_STATIC_FILES", true)?,
    })
}

fn database(src: &Source) -> Result<DatabaseSettings, ConfigError> {
    const KINDS: &[&str] = &["sqlite", "postgresql", "mysql"];
    let explicit_url = src.opt_string("DATABASE_URL");
    let kind_from_url = match explicit_url.as_deref() {
        None => None,
        Some(u) => Some(kind_of_url(u).ok_or_else(|| {
            ConfigError::invalid(
                "DATABASE_URL",
                &redact_url(u),
                "a URL starting with sqlite:, postgres://, postgresql:// or mysql://",
            )
        })?),
    };
    let kind = match (src.get("DATABASE_TYPE"), kind_from_url) {
        (None, Some(k)) => k,
        (None, None) => DatabaseKind::Sqlite,
        (Some(_), from_url) => {
            let k = match src.choice("DATABASE_TYPE", "sqlite", KINDS)?.as_str() {
                "postgresql" => DatabaseKind::Postgres,
                "mysql" => DatabaseKind::Mysql,
                _ => DatabaseKind::Sqlite,
            };
            if let Some(u) = from_url.filter(|u| *u != k) {
                return Err(ConfigError::invalid(
                    "DATABASE_TYPE",
                    k.as_str(),
                    &format!("{} to match DATABASE_URL", u.as_str()),
                ));
            }
            k
        }
    };
    let schema = src.string("DATABASE_SCHEMA", "fba");
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ConfigError::invalid(
            "DATABASE_SCHEMA",
            &schema,
            "letters, digits and '_' only",
        ));
    }
    let sqlite_path = (kind == DatabaseKind::Sqlite)
        .then(|| PathBuf::from(src.string("SQLITE_PATH", "data/fba.db")));
    let url = match (explicit_url, kind) {
        (Some(u), _) => u,
        (None, DatabaseKind::Sqlite) => format!(
            "sqlite://{}?mode=rwc",
            sqlite_path
                .as_deref()
                .unwrap_or(Path::new("data/fba.db"))
                .display()
        ),
        (None, DatabaseKind::Postgres | DatabaseKind::Mysql) => {
            let pg = kind == DatabaseKind::Postgres;
            let host = src.string("DATABASE_HOST", "127.0.0.1");
            let port: u16 = src.int("DATABASE_PORT", if pg { 5432 } else { 3306 }, 1, u16::MAX)?;
            let user = src.string("DATABASE_USER", if pg { "postgres" } else { "root" });
            let password = src
                .get_raw("DATABASE_PASSWORD")
                .unwrap_or("")
                .trim()
                .to_owned();
            let auth = if password.is_empty() {
                percent_encode(&user)
            } else {
                format!("{}:{}", percent_encode(&user), percent_encode(&password))
            };
            if pg {
                format!("postgres://{auth}@{host}:{port}/{schema}")
            } else {
                let charset = src.string("DATABASE_CHARSET", "utf8mb4");
                format!("mysql://{auth}@{host}:{port}/{schema}?charset={charset}")
            }
        }
    };
    let pk_mode = match src
        .choice(
            "DATABASE_PK_MODE",
            "autoincrement",
            &["autoincrement", "snowflake"],
        )?
        .as_str()
    {
        "snowflake" => PkMode::Snowflake,
        _ => PkMode::Autoincrement,
    };
    let size: u32 = src.int("DATABASE_POOL_SIZE", 10, 1, 10_000)?;
    let overflow: u32 = src.int("DATABASE_POOL_MAX_OVERFLOW", 20, 0, 10_000)?;
    Ok(DatabaseSettings {
        kind,
        url: SecretString::from(url),
        schema,
        sqlite_path,
        pk_mode,
        echo: src
            .get("DATABASE_ECHO")
            .is_some_and(|v| v != "False" && v != "false" && v != "0"),
        pool: PoolSettings {
            min_connections: size.min(2),
            max_connections: size + overflow,
            acquire_timeout_secs: src.int("DATABASE_POOL_TIMEOUT", 30, 1, 3600)?,
            max_lifetime_secs: src.int("DATABASE_POOL_RECYCLE", 3600, 1, MAX_SECS)?,
            statement_cache: None,
        },
    })
}

fn kind_of_url(url: &str) -> Option<DatabaseKind> {
    if url.starts_with("sqlite:") {
        Some(DatabaseKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DatabaseKind::Postgres)
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        Some(DatabaseKind::Mysql)
    } else {
        None
    }
}

fn redis(src: &Source) -> Result<Option<RedisSettings>, ConfigError> {
    let url = match (src.opt_string("REDIS_URL"), src.opt_string("REDIS_HOST")) {
        (Some(u), _) => {
            if !(u.starts_with("redis://")
                || u.starts_with("rediss://")
                || u.starts_with("unix://"))
            {
                return Err(ConfigError::invalid(
                    "REDIS_URL",
                    &redact_url(&u),
                    "a URL starting with redis://, rediss:// or unix://",
                ));
            }
            u
        }
        (None, Some(host)) => {
            let port: u16 = src.int("REDIS_PORT", 6379, 1, u16::MAX)?;
            let db: u32 = src.int("REDIS_DATABASE", 0, 0, 15)?;
            let password = src
                .get_raw("REDIS_PASSWORD")
                .unwrap_or("")
                .trim()
                .to_owned();
            let auth = if password.is_empty() {
                String::new()
            } else {
                format!(":{}@", percent_encode(&password))
            };
            format!("redis://{auth}{host}:{port}/{db}")
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(RedisSettings {
        url: SecretString::from(url),
        timeout_secs: src.int("REDIS_TIMEOUT", 5, 1, 3600)?,
        pool_size: src.int("REDIS_POOL_SIZE", 32usize, 1, 10_000)?,
        key_namespace: src
            .get_raw("REDIS_KEY_NAMESPACE")
            .unwrap_or("")
            .trim()
            .to_owned(),
    }))
}

fn snowflake(src: &Source, pk_mode: PkMode) -> Result<SnowflakeSettings, ConfigError> {
    let datacenter_id = src.opt_int("SNOWFLAKE_DATACENTER_ID", 0u8, 31)?;
    let worker_id = src.opt_int("SNOWFLAKE_WORKER_ID", 0u8, 31)?;
    if datacenter_id.is_some() != worker_id.is_some() {
        let missing = if datacenter_id.is_none() {
            "SNOWFLAKE_DATACENTER_ID"
        } else {
            "SNOWFLAKE_WORKER_ID"
        };
        return Err(ConfigError::Missing {
            var: missing.to_owned(),
            reason:
                "SNOWFLAKE_DATACENTER_ID and SNOWFLAKE_WORKER_ID are set together or not at all"
                    .to_owned(),
        });
    }
    let heartbeat_secs = src.int("SNOWFLAKE_HEARTBEAT_INTERVAL_SECONDS", 30u64, 1, 3600)?;
    let node_ttl_secs = src.int("SNOWFLAKE_NODE_TTL_SECONDS", 60u64, 2, 7200)?;
    if node_ttl_secs <= heartbeat_secs {
        return Err(ConfigError::invalid(
            "SNOWFLAKE_NODE_TTL_SECONDS",
            &node_ttl_secs.to_string(),
            "more than SNOWFLAKE_HEARTBEAT_INTERVAL_SECONDS",
        ));
    }
    Ok(SnowflakeSettings {
        enabled: src.bool("SNOWFLAKE_ENABLED", false)? || pk_mode == PkMode::Snowflake,
        datacenter_id,
        worker_id,
        redis_prefix: src.string("SNOWFLAKE_REDIS_PREFIX", "fba:snowflake"),
        heartbeat_secs,
        node_ttl_secs,
    })
}

fn token(src: &Source, prod: bool) -> Result<TokenSettings, ConfigError> {
    let secret = match src.get("TOKEN_SECRET_KEY") {
        Some(s) => s.to_owned(),
        None if prod => {
            return Err(ConfigError::Missing {
                var: "TOKEN_SECRET_KEY".to_owned(),
                reason:
                    "required when ENVIRONMENT=prod (generate one with `openssl rand -base64 32`)"
                        .to_owned(),
            });
        }
        None => EXAMPLE_TOKEN_SECRET_KEY.to_owned(),
    };
    if prod && secret == EXAMPLE_TOKEN_SECRET_KEY {
        return Err(ConfigError::refused(
            "TOKEN_SECRET_KEY",
            "the example key from .env.example must not be used when ENVIRONMENT=prod",
        ));
    }
    if secret.len() < 16 {
        return Err(ConfigError::invalid(
            "TOKEN_SECRET_KEY",
            "***",
            "at least 16 characters",
        ));
    }
    let algorithm = match src
        .choice("TOKEN_ALGORITHM", "HS256", &["hs256", "hs384", "hs512"])?
        .as_str()
    {
        "hs384" => TokenAlgorithm::Hs384,
        "hs512" => TokenAlgorithm::Hs512,
        _ => TokenAlgorithm::Hs256,
    };
    let v1 = src.string("FASTAPI_API_V1_PATH", "/api/v1");
    Ok(TokenSettings {
        secret_key: SecretString::from(secret),
        algorithm,
        expire_secs: src.int("TOKEN_EXPIRE_SECONDS", 86_400u64, 1, MAX_SECS)?,
        refresh_expire_secs: src.int("TOKEN_REFRESH_EXPIRE_SECONDS", 604_800u64, 1, MAX_SECS)?,
        redis_prefix: src.string("TOKEN_REDIS_PREFIX", "fba:token"),
        extra_info_redis_prefix: src
            .string("TOKEN_EXTRA_INFO_REDIS_PREFIX", "fba:token_extra_info"),
        online_redis_prefix: src.string("TOKEN_ONLINE_REDIS_PREFIX", "fba:token_online"),
        refresh_redis_prefix: src.string("TOKEN_REFRESH_REDIS_PREFIX", "fba:refresh_token"),
        request_path_exclude: match src.get("TOKEN_REQUEST_PATH_EXCLUDE") {
            Some(_) => src.list("TOKEN_REQUEST_PATH_EXCLUDE", &[]),
            None => vec![format!("{v1}/auth/login")],
        },
        request_path_exclude_pattern: src.list("TOKEN_REQUEST_PATH_EXCLUDE_PATTERN", &[]),
        user_redis_prefix: src.string("JWT_USER_REDIS_PREFIX", "fba:user"),
        local_cache_secs: src.int("TOKEN_LOCAL_CACHE_SECONDS", 30u64, 0, 3_600)?,
    })
}

fn user_security(src: &Source) -> Result<UserSecuritySettings, ConfigError> {
    let min: u32 = src.int("USER_PASSWORD_MIN_LENGTH", 6, 1, 128)?;
    let max: u32 = src.int("USER_PASSWORD_MAX_LENGTH", 32, 1, 128)?;
    if max < min {
        return Err(ConfigError::invalid(
            "USER_PASSWORD_MAX_LENGTH",
            &max.to_string(),
            &format!("at least USER_PASSWORD_MIN_LENGTH ({min})"),
        ));
    }
    Ok(UserSecuritySettings {
        lock_redis_prefix: src.string("USER_LOCK_REDIS_PREFIX", "fba:user:lock"),
        lock_threshold: src.int("USER_LOCK_THRESHOLD", 5, 0, 1_000_000)?,
        lock_secs: src.int("USER_LOCK_SECONDS", 300, 1, MAX_SECS)?,
        password_expiry_days: src.int("USER_PASSWORD_EXPIRY_DAYS", 365, 0, 36_500)?,
        password_reminder_days: src.int("USER_PASSWORD_REMINDER_DAYS", 7, 0, 36_500)?,
        password_history_check_count: src.int("USER_PASSWORD_HISTORY_CHECK_COUNT", 3, 0, 100)?,
        password_min_length: min,
        password_max_length: max,
        password_require_special_char: src.bool("USER_PASSWORD_REQUIRE_SPECIAL_CHAR", false)?,
        bcrypt_cost: src.int("PASSWORD_BCRYPT_COST", 12, 4, 31)?,
    })
}

fn grafana(src: &Source, prod: bool) -> Result<GrafanaSettings, ConfigError> {
    const VAR: &str = "GRAFANA_OTLP_GRPC_ENDPOINT";
    let endpoint = match src.get_raw(VAR).map(str::trim) {
        Some("") => None,
        Some(raw) => Some(raw),
        None => Some("fba_alloy:4317"),
    };
    let otlp_grpc_endpoint = endpoint
        .map(|raw| {
            let url = if raw.contains("://") {
                raw.to_owned()
            } else {
                format!("http://{raw}")
            };
            match url::Url::parse(&url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(url),
                _ => Err(ConfigError::invalid(
                    VAR,
                    raw,
                    "host:port or an http(s) URL, or empty to export nothing",
                )),
            }
        })
        .transpose()?;
    Ok(GrafanaSettings {
        metrics_enable: src.bool("GRAFANA_METRICS_ENABLE", prod)?,
        otlp_grpc_endpoint,
    })
}

fn opera_log(src: &Source) -> Result<OperaLogSettings, ConfigError> {
    let v1 = src.string("FASTAPI_API_V1_PATH", "/api/v1");
    let default_exclude = [
        "/favicon.ico".to_owned(),
        "/docs".to_owned(),
        "/redoc".to_owned(),
        "/openapi".to_owned(),
        format!("{v1}/auth/login/swagger"),
        format!("{v1}/oauth2/github/callback"),
        format!("{v1}/oauth2/google/callback"),
    ];
    let defaults: Vec<&str> = default_exclude.iter().map(String::as_str).collect();
    Ok(OperaLogSettings {
        path_exclude: src.list("OPERA_LOG_PATH_EXCLUDE", &defaults),
        redact_keys: src.list(
            "OPERA_LOG_REDACT_KEYS",
            &[
                "password",
                "old_password",
                "new_password",
                "confirm_password",
            ],
        ),
        queue_maxsize: src.int("OPERA_LOG_QUEUE_MAXSIZE", 2_000usize, 1, 10_000_000)?,
        batch_size: src.int("OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE", 100usize, 1, 100_000)?,
        flush_secs: src.int("OPERA_LOG_QUEUE_TIMEOUT", 60u64, 1, 3600)?,
        spool_dir: PathBuf::from(src.string("OPERA_LOG_SPOOL_DIR", "data/opera-log-spool")),
        spool_max_bytes: src.int("OPERA_LOG_SPOOL_MAX_BYTES", 1u64 << 30, 0, u64::MAX)?,
    })
}

fn ip_location(src: &Source) -> Result<IpLocationSettings, ConfigError> {
    let mode = match src
        .choice(
            "IP_LOCATION_PARSE",
            "offline",
            &["offline", "online", "false"],
        )?
        .as_str()
    {
        "online" => IpLocationMode::Online,
        "false" => IpLocationMode::Off,
        _ => IpLocationMode::Offline,
    };
    Ok(IpLocationSettings {
        mode,
        redis_prefix: src.string("IP_LOCATION_REDIS_PREFIX", "fba:ip:location"),
        expire_secs: src.int("IP_LOCATION_EXPIRE_SECONDS", 86_400u64, 1, MAX_SECS)?,
        xdb_path: PathBuf::from(src.string("IP_LOCATION_XDB_PATH", "static/ip2region_v4.xdb")),
    })
}

fn upload(src: &Source) -> Result<UploadSettings, ConfigError> {
    let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_ascii_lowercase()).collect();
    Ok(UploadSettings {
        dir: PathBuf::from(src.string("UPLOAD_DIR", "static/upload")),
        read_size: src.int("UPLOAD_READ_SIZE", 1024usize, 1, 64 * 1024 * 1024)?,
        image_ext: lower(src.list(
            "UPLOAD_IMAGE_EXT_INCLUDE",
            &["jpg", "jpeg", "png", "gif", "webp"],
        )),
        image_size_max: src.int("UPLOAD_IMAGE_SIZE_MAX", 5 * 1024 * 1024u64, 1, u64::MAX)?,
        video_ext: lower(src.list("UPLOAD_VIDEO_EXT_INCLUDE", &["mp4", "mov", "avi", "flv"])),
        video_size_max: src.int("UPLOAD_VIDEO_SIZE_MAX", 20 * 1024 * 1024u64, 1, u64::MAX)?,
    })
}

fn demo(src: &Source) -> Result<DemoSettings, ConfigError> {
    let v1 = src.string("FASTAPI_API_V1_PATH", "/api/v1");
    let defaults = [
        format!("POST {v1}/auth/login"),
        format!("POST {v1}/auth/logout"),
        format!("GET {v1}/auth/captcha"),
        format!("POST {v1}/auth/refresh"),
    ];
    let defaults: Vec<&str> = defaults.iter().map(String::as_str).collect();
    let mut exclude = Vec::new();
    for item in src.list("DEMO_MODE_EXCLUDE", &defaults) {
        let (method, path) = item.split_once(' ').ok_or_else(|| {
            ConfigError::invalid(
                "DEMO_MODE_EXCLUDE",
                &item,
                "items of the form 'METHOD /path'",
            )
        })?;
        exclude.push((method.to_ascii_uppercase(), path.trim().to_owned()));
    }
    Ok(DemoSettings {
        enabled: src.bool("DEMO_MODE", false)?,
        exclude,
    })
}

fn time(src: &Source) -> Result<TimeSettings, ConfigError> {
    let tz_name = src.string("DATETIME_TIMEZONE", "Asia/Shanghai");
    let timezone = tz_name.parse::<chrono_tz::Tz>().map_err(|_| {
        ConfigError::invalid(
            "DATETIME_TIMEZONE",
            &tz_name,
            "an IANA time zone such as Asia/Shanghai",
        )
    })?;
    Ok(TimeSettings {
        timezone,
        format: src.string("DATETIME_FORMAT", "%Y-%m-%d %H:%M:%S"),
    })
}

/// Percent-encodes a URL userinfo component (RFC 3986 unreserved characters stay).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_source(&Source::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.environment, Environment::Dev);
        assert_eq!(s.database.kind, DatabaseKind::Sqlite);
        assert_eq!(
            s.database.url.expose_secret(),
            "sqlite://data/fba.db?mode=rwc"
        );
        assert!(s.redis.is_none());
        assert_eq!(s.server.bind_addr(), "127.0.0.1:8000");
        assert_eq!(s.api.openapi_url.as_deref(), Some("/openapi"));
        assert_eq!(s.token.request_path_exclude, vec!["/api/v1/auth/login"]);
        assert_eq!(s.i18n.default_language, "zh-CN");
        assert_eq!(s.time.timezone, chrono_tz::Asia::Shanghai);
    }

    #[test]
    fn grafana_is_off_in_dev_on_in_prod_and_takes_fba_endpoints() {
        let dev = settings(&[]).unwrap().grafana;
        assert!(!dev.metrics_enable);
        assert_eq!(
            dev.otlp_grpc_endpoint.as_deref(),
            Some("http://fba_alloy:4317")
        );
        let on = settings(&[
            ("GRAFANA_METRICS_ENABLE", "true"),
            ("GRAFANA_OTLP_GRPC_ENDPOINT", "127.0.0.1:4317"),
        ])
        .unwrap()
        .grafana;
        assert!(on.metrics_enable);
        assert_eq!(
            on.otlp_grpc_endpoint.as_deref(),
            Some("http://127.0.0.1:4317")
        );
        let metrics_only = settings(&[("GRAFANA_OTLP_GRPC_ENDPOINT", "")])
            .unwrap()
            .grafana;
        assert_eq!(metrics_only.otlp_grpc_endpoint, None);
        let err = settings(&[("GRAFANA_OTLP_GRPC_ENDPOINT", "ftp://x:1")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting GRAFANA_OTLP_GRPC_ENDPOINT=\"ftp://x:1\": expected host:port or an \
             http(s) URL, or empty to export nothing"
        );
    }

    #[test]
    fn invalid_database_type_names_variable_and_choices() {
        let err = settings(&[("DATABASE_TYPE", "oracle")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting DATABASE_TYPE=\"oracle\": expected one of sqlite, postgresql, mysql"
        );
    }

    #[test]
    fn postgres_url_is_assembled_from_fba_variables() {
        let s = settings(&[
            ("DATABASE_TYPE", "postgresql"),
            ("DATABASE_HOST", "db"),
            ("DATABASE_PASSWORD", "p@ss word"),
        ])
        .unwrap();
        assert_eq!(
            s.database.url.expose_secret(),
            "postgres://postgres:p%40ss%20word@db:5432/fba"
        );
        assert_eq!(
            s.database.redacted_url(),
            "postgres://postgres:***@db:5432/fba"
        );
    }

    #[test]
    fn database_url_sets_kind_and_conflicting_type_is_refused() {
        let s = settings(&[("DATABASE_URL", "mysql://root@127.0.0.1:3306/x")]).unwrap();
        assert_eq!(s.database.kind, DatabaseKind::Mysql);
        let err = settings(&[
            ("DATABASE_URL", "mysql://root@127.0.0.1:3306/x"),
            ("DATABASE_TYPE", "postgresql"),
        ])
        .unwrap_err();
        assert_eq!(err.var(), "DATABASE_TYPE");
    }

    #[test]
    fn prod_refuses_example_secret_and_requires_one() {
        let err = settings(&[("ENVIRONMENT", "prod")]).unwrap_err();
        assert!(matches!(err, ConfigError::Missing { ref var, .. } if var == "TOKEN_SECRET_KEY"));
        let err = settings(&[
            ("ENVIRONMENT", "prod"),
            ("TOKEN_SECRET_KEY", EXAMPLE_TOKEN_SECRET_KEY),
        ])
        .unwrap_err();
        assert!(matches!(err, ConfigError::Refused { ref var, .. } if var == "TOKEN_SECRET_KEY"));
        let s = settings(&[
            ("ENVIRONMENT", "prod"),
            ("TOKEN_SECRET_KEY", "a-real-secret-of-32-characters!!"),
        ])
        .unwrap();
        assert!(s.api.openapi_url.is_none() && s.api.docs_url.is_none());
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let err = settings(&[("SERVER_PORT", "70000")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting SERVER_PORT=\"70000\": expected an integer from 0 to 65535"
        );
        assert_eq!(
            settings(&[("SNOWFLAKE_WORKER_ID", "3")]).unwrap_err().var(),
            "SNOWFLAKE_DATACENTER_ID"
        );
        assert_eq!(
            settings(&[("REDIS_URL", "http://x")]).unwrap_err().var(),
            "REDIS_URL"
        );
        assert_eq!(
            settings(&[("DATETIME_TIMEZONE", "Mars/Base")])
                .unwrap_err()
                .var(),
            "DATETIME_TIMEZONE"
        );
    }

    #[test]
    fn redis_from_host_and_lists_in_both_spellings() {
        let s = settings(&[
            ("REDIS_HOST", "127.0.0.1"),
            ("REDIS_DATABASE", "2"),
            ("CORS_ALLOWED_ORIGINS", "[\"http://a\", \"http://b\"]"),
            ("OPERA_LOG_REDACT_KEYS", "password,token"),
        ])
        .unwrap();
        assert_eq!(
            s.redis.unwrap().url.expose_secret(),
            "redis://127.0.0.1:6379/2"
        );
        assert_eq!(s.cors.allowed_origins, vec!["http://a", "http://b"]);
        assert_eq!(s.opera_log.redact_keys, vec!["password", "token"]);
    }

    #[test]
    fn ip_location_modes_and_xdb_path() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.ip_location.mode, IpLocationMode::Offline);
        assert_eq!(
            s.ip_location.xdb_path,
            PathBuf::from("static/ip2region_v4.xdb")
        );
        let s = settings(&[
            ("IP_LOCATION_PARSE", "False"),
            ("IP_LOCATION_XDB_PATH", "/srv/ip.xdb"),
        ])
        .unwrap();
        assert_eq!(s.ip_location.mode, IpLocationMode::Off);
        assert_eq!(s.ip_location.mode.as_str(), "false");
        assert_eq!(s.ip_location.xdb_path, PathBuf::from("/srv/ip.xdb"));
        let s = settings(&[("IP_LOCATION_PARSE", "online")]).unwrap();
        assert_eq!(s.ip_location.mode, IpLocationMode::Online);
        let err = settings(&[("IP_LOCATION_PARSE", "maybe")]).unwrap_err();
        assert_eq!(err.var(), "IP_LOCATION_PARSE");
    }

    #[test]
    fn log_format_is_text_by_default_json_on_request_and_else_refused() {
        assert_eq!(settings(&[]).unwrap().log.format, LogFormat::Text);
        let s = settings(&[("LOG_FORMAT", "JSON")]).unwrap();
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(s.log.format.as_str(), "json");
        assert_eq!(
            settings(&[("LOG_FORMAT", "text")]).unwrap().log.format,
            LogFormat::Text
        );
        let err = settings(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting LOG_FORMAT=\"xml\": expected one of text, json"
        );
    }

    #[test]
    fn snowflake_pk_mode_enables_snowflake() {
        let s = settings(&[("DATABASE_PK_MODE", "snowflake")]).unwrap();
        assert!(s.snowflake.enabled);
        assert_eq!(s.database.pk_mode, PkMode::Snowflake);
    }
}
