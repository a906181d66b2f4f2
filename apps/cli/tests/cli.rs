//! The `fba` binary against a fresh database of the backend under test.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Command, Output};

use fba_db::testing::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

fn fba(db: &TestDatabase, args: &[&str]) -> Output {
    let dir = std::env::temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fba"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.url())
        .env("PASSWORD_BCRYPT_COST", "4")
        .env("LOG_STD_LEVEL", "warn")
        .args(["--env-file", "/nonexistent/.env"])
        .args(args);
    if let Some(p) = db.sqlite_path() {
        cmd.env("SQLITE_PATH", p);
    }
    if let Ok(redis) = std::env::var("FBA_TEST_REDIS_URL")
        && !redis.is_empty()
    {
        cmd.env("REDIS_URL", redis)
            .env("REDIS_KEY_NAMESPACE", format!("test:{}:", db.name()));
    }
    cmd.output().expect("run fba")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Option<String> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .ok()??;
    row.try_get_by_index::<String>(0)
        .ok()
        .or_else(|| row.try_get_by_index::<i64>(0).ok().map(|n| n.to_string()))
}

#[tokio::test]
async fn database_lifecycle_and_accounts() {
    let tdb = TestDatabase::create_from_env().await.unwrap();

    let out = fba(&tdb, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("test data inserted"), "{}", text(&out));
    let db = tdb.connect().await.unwrap();
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM sys_menu")
            .await
            .as_deref(),
        Some("50")
    );

    // A second migrate is a no-op and does not seed twice.
    let out = fba(&tdb, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM sys_user")
            .await
            .as_deref(),
        Some("2")
    );

    let out = fba(
        &tdb,
        &[
            "create-superuser",
            "--username",
            "root2",
            "--password",
            "secret123",
            "--email",
            "r@x.io",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let hash = scalar(
        &db,
        "SELECT password FROM sys_user WHERE username = 'root2'",
    )
    .await
    .unwrap();
    assert!(bcrypt::verify("secret123", &hash).unwrap());
    let flags = scalar(&db, "SELECT COUNT(*) FROM sys_user WHERE username = 'root2' AND is_superuser = true AND is_staff = true").await;
    assert_eq!(flags.as_deref(), Some("1"));

    let out = fba(
        &tdb,
        &[
            "create-superuser",
            "--username",
            "root2",
            "--password",
            "secret123",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("taken"), "{}", text(&out));
    let out = fba(
        &tdb,
        &[
            "create-superuser",
            "--username",
            "short",
            "--password",
            "123",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("6 to 32"), "{}", text(&out));

    let out = fba(
        &tdb,
        &[
            "reset-password",
            "--username",
            "test",
            "--password",
            "newpass1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let hash = scalar(&db, "SELECT password FROM sys_user WHERE username = 'test'")
        .await
        .unwrap();
    assert!(bcrypt::verify("newpass1", &hash).unwrap());
    let out = fba(
        &tdb,
        &[
            "reset-password",
            "--username",
            "nobody",
            "--password",
            "newpass1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no user named nobody"),
        "{}",
        text(&out)
    );

    let out = fba(&tdb, &["drop-db", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        scalar(&db, "SELECT COUNT(*) FROM sys_user").await.is_none(),
        "tables dropped"
    );

    let out = fba(&tdb, &["init-db", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM sys_user")
            .await
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM sys_menu")
            .await
            .as_deref(),
        Some("50")
    );

    db.close().await.unwrap();
    tdb.drop_database().await;
}

#[test]
fn init_db_without_yes_asks_and_cancels() {
    let out = Command::new(env!("CARGO_BIN_EXE_fba"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "sqlite:///nonexistent-dir/x.db")
        .args(["--env-file", "/nonexistent/.env", "init-db"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("cancelled"));
}

#[test]
fn invalid_settings_exit_2_with_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_fba"))
        .env_clear()
        .env("DATABASE_PK_MODE", "uuid")
        .args(["--env-file", "/nonexistent/.env", "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_PK_MODE"));
}
