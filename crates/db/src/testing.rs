//! Fresh, uniquely named databases for integration tests, so tests can run in parallel and repeat.
//!
//! The backend comes from `FBA_TEST_DATABASE` (`sqlite`, the default, `postgresql` or `mysql`);
//! the servers from `FBA_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432`) and
//! `FBA_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`). Databases are named
//! `fba_test_<random>`; `.ci/run` drops leftovers of earlier runs.

use std::path::PathBuf;

use fba_core_conf::DatabaseKind;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr};

/// Default PostgreSQL server for tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432";
/// Default MySQL/MariaDB server for tests.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306";

/// One throw-away database.
#[derive(Debug)]
pub struct TestDatabase {
    kind: DatabaseKind,
    name: String,
    server_url: String,
    url: String,
    sqlite_path: Option<PathBuf>,
}

/// The backend named by `FBA_TEST_DATABASE`.
///
/// # Errors
/// [`DbErr::Custom`] for an unknown name.
pub fn kind_from_env() -> Result<DatabaseKind, DbErr> {
    match std::env::var("FBA_TEST_DATABASE")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "sqlite" => Ok(DatabaseKind::Sqlite),
        "postgresql" | "postgres" | "pg" => Ok(DatabaseKind::Postgres),
        "mysql" | "mariadb" => Ok(DatabaseKind::Mysql),
        other => Err(DbErr::Custom(format!(
            "FBA_TEST_DATABASE={other:?}: expected sqlite, postgresql or mysql"
        ))),
    }
}

impl TestDatabase {
    /// Creates a fresh database on the backend named by `FBA_TEST_DATABASE`.
    ///
    /// # Errors
    /// When the server cannot be reached or refuses `CREATE DATABASE`.
    pub async fn create_from_env() -> Result<Self, DbErr> {
        Self::create(kind_from_env()?).await
    }

    /// Creates a fresh database on `kind`.
    ///
    /// # Errors
    /// When the server cannot be reached or refuses `CREATE DATABASE`.
    pub async fn create(kind: DatabaseKind) -> Result<Self, DbErr> {
        let name = format!("fba_test_{}", uuid_like());
        match kind {
            DatabaseKind::Sqlite => {
                let dir = std::env::temp_dir().join("fba-rs-tests");
                std::fs::create_dir_all(&dir).map_err(|e| DbErr::Custom(e.to_string()))?;
                let path = dir.join(format!("{name}.db"));
                Ok(Self {
                    kind,
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    server_url: String::new(),
                    name,
                    sqlite_path: Some(path),
                })
            }
            DatabaseKind::Postgres | DatabaseKind::Mysql => {
                let pg = kind == DatabaseKind::Postgres;
                let server_url = if pg {
                    env_or("FBA_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
                } else {
                    env_or("FBA_TEST_MYSQL_URL", DEFAULT_MYSQL_URL)
                };
                let admin = admin_connection(kind, &server_url).await?;
                let ddl = if pg {
                    format!("CREATE DATABASE \"{name}\"")
                } else {
                    format!(
                        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                };
                admin.execute_unprepared(&ddl).await?;
                let _ = admin.close().await;
                let url = if pg {
                    format!("{server_url}/{name}")
                } else {
                    format!("{server_url}/{name}?charset=utf8mb4")
                };
                Ok(Self {
                    kind,
                    name,
                    server_url,
                    url,
                    sqlite_path: None,
                })
            }
        }
    }

    /// The backend.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL for `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file, for SQLite databases.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        self.sqlite_path.as_deref()
    }

    /// A small pool to the database.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn connect(&self) -> Result<DatabaseConnection, DbErr> {
        let mut opts = sea_orm::ConnectOptions::new(self.url.clone());
        opts.max_connections(5).sqlx_logging(false);
        Database::connect(opts).await
    }

    /// Drops the database (best effort: errors are ignored).
    pub async fn drop_database(self) {
        match self.kind {
            DatabaseKind::Sqlite => {
                if let Some(p) = &self.sqlite_path {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                    }
                }
            }
            DatabaseKind::Postgres | DatabaseKind::Mysql => {
                if let Ok(admin) = admin_connection(self.kind, &self.server_url).await {
                    let ddl = if self.kind == DatabaseKind::Postgres {
                        format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)
                    } else {
                        format!("DROP DATABASE IF EXISTS `{}`", self.name)
                    };
                    let _ = admin.execute_unprepared(&ddl).await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

async fn admin_connection(
    kind: DatabaseKind,
    server_url: &str,
) -> Result<DatabaseConnection, DbErr> {
    let url = if kind == DatabaseKind::Postgres {
        format!("{server_url}/postgres")
    } else {
        server_url.to_owned()
    };
    let mut opts = sea_orm::ConnectOptions::new(url);
    opts.max_connections(1).sqlx_logging(false);
    Database::connect(opts).await
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().trim_end_matches('/').to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// 16 random hex characters (process id, time and a counter mixed through the std hasher).
fn uuid_like() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", h.finish())
}
