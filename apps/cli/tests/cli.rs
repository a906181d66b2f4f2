//! The `fba` binary against a fresh database of the backend under test.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Command, Output};

use fba_core_conf::{Settings, Source};
use fba_db::testing::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

fn fba(db: &TestDatabase, args: &[&str]) -> Output {
    fba_command(db, args).output().expect("run fba")
}

fn fba_command(db: &TestDatabase, args: &[&str]) -> Command {
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
    cmd
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
        Some("72"),
        "FBA's 50 menus, the dict, config and notice plugins' 16 and the agent's 6"
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
    // The API's 409 message (the service's rule, not a copy in the CLI).
    assert!(text(&out).contains("用户名已注册"), "{}", text(&out));
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
    // The API's password policy and message.
    assert!(
        text(&out).contains("密码长度不能少于 6 个字符"),
        "{}",
        text(&out)
    );

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
        Some("72")
    );
    // Every module's seed ran again: the UI's dict codes are back.
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM sys_dict_data WHERE type_code = 'sys_status'"
        )
        .await
        .as_deref(),
        Some("2")
    );

    db.close().await.unwrap();
    tdb.drop_database().await;
}

/// `fba` on the blocking pool, so a server running in this test keeps being served meanwhile.
async fn fba_async(db: &TestDatabase, args: &[&str]) -> Output {
    let mut cmd = fba_command(db, args);
    tokio::task::spawn_blocking(move || cmd.output().expect("run fba"))
        .await
        .unwrap()
}

#[tokio::test]
async fn create_superuser_and_reset_password_apply_the_api_password_policy() {
    let tdb = TestDatabase::create_from_env().await.unwrap();
    let out = fba(&tdb, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let db = tdb.connect().await.unwrap();

    // Long enough for the old CLI rule, but the API also wants a digit and a letter.
    let out = fba(
        &tdb,
        &[
            "create-superuser",
            "--username",
            "weak",
            "--password",
            "abcdefgh",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("密码必须包含数字"), "{}", text(&out));
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM sys_user WHERE username = 'weak'")
            .await
            .as_deref(),
        Some("0")
    );

    let out = fba(
        &tdb,
        &[
            "reset-password",
            "--username",
            "test",
            "--password",
            "12345678",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("密码必须包含字母"), "{}", text(&out));

    // The password history applies: the password just set cannot be set again.
    let out = fba(
        &tdb,
        &[
            "reset-password",
            "--username",
            "test",
            "--password",
            "Changed123",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = fba(
        &tdb,
        &[
            "reset-password",
            "--username",
            "test",
            "--password",
            "Changed123",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("新密码不能与最近 3 次使用的密码相同"),
        "{}",
        text(&out)
    );

    // A superuser gets its first password into the history too.
    let out = fba(
        &tdb,
        &[
            "create-superuser",
            "--username",
            "root3",
            "--password",
            "Strong123",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let history = scalar(
        &db,
        "SELECT COUNT(*) FROM sys_user_password_history h JOIN sys_user u ON u.id = h.user_id \
         WHERE u.username = 'root3'",
    )
    .await;
    assert_eq!(history.as_deref(), Some("1"));
    let flags = scalar(
        &db,
        "SELECT COUNT(*) FROM sys_user WHERE username = 'root3' AND is_superuser = true \
         AND is_staff = true AND is_multi_login = true AND dept_id IS NULL",
    )
    .await;
    assert_eq!(flags.as_deref(), Some("1"));

    db.close().await.unwrap();
    tdb.drop_database().await;
}

/// On a shared store (Redis), a token issued by a running server before `fba reset-password`
/// is refused afterwards: the CLI deletes the sessions and announces it, so the server's
/// session cache forgets them too. (With the in-process store the CLI cannot reach the
/// server's memory; the policy test above covers that case.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_password_ends_the_sessions_a_running_server_issued() {
    let Some(redis) = std::env::var("FBA_TEST_REDIS_URL")
        .ok()
        .filter(|r| !r.is_empty())
    else {
        eprintln!("skipped: FBA_TEST_REDIS_URL is not set");
        return;
    };
    let tdb = TestDatabase::create_from_env().await.unwrap();
    let spool = std::env::temp_dir()
        .join("fba-rs-tests")
        .join(format!("cli-spool-{}", tdb.name()));
    let mut pairs = vec![
        ("DATABASE_URL".to_owned(), tdb.url().to_owned()),
        ("SERVER_PORT".to_owned(), "0".to_owned()),
        ("SERVER_WORKERS".to_owned(), "1".to_owned()),
        ("LOG_STD_LEVEL".to_owned(), "warn".to_owned()),
        ("PASSWORD_BCRYPT_COST".to_owned(), "4".to_owned()),
        (
            "OPERA_LOG_SPOOL_DIR".to_owned(),
            spool.display().to_string(),
        ),
        ("REDIS_URL".to_owned(), redis),
        // The namespace `fba` gets in this file.
        (
            "REDIS_KEY_NAMESPACE".to_owned(),
            format!("test:{}:", tdb.name()),
        ),
    ];
    if let Some(p) = tdb.sqlite_path() {
        pairs.push(("SQLITE_PATH".to_owned(), p.display().to_string()));
    }
    let settings = Settings::from_source(&Source::from_pairs(pairs)).unwrap();
    let app = fba_server::Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let security = app.security();
    let handle = app.handle();
    let running = tokio::spawn(app.run_until_stopped());

    let user_id = fba_admin::service::user::id_by_username(&state.db, "test")
        .await
        .unwrap()
        .unwrap();
    let session = fba_admin::service::token::create_session(
        &state,
        &security,
        user_id,
        true,
        &serde_json::json!({"username": "test"}),
        true,
    )
    .await
    .unwrap();
    fba_agent::tls::install_default_provider();
    let client = reqwest::Client::new();
    let me = || {
        client
            .get(format!("{address}/api/v1/sys/users/me"))
            .bearer_auth(&session.access.token)
            .send()
    };
    // 200, and the server now remembers the session in its session cache.
    assert_eq!(me().await.unwrap().status(), 200);
    assert_eq!(me().await.unwrap().status(), 200);

    let out = fba_async(
        &tdb,
        &[
            "reset-password",
            "--username",
            "test",
            "--password",
            "NewPass123",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));

    // The announcement reaches the server's watcher asynchronously.
    let mut status = 0;
    for _ in 0..50 {
        status = me().await.unwrap().status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "the token issued before the reset still works");
    let keys = state.keys();
    for prefix in keys.user_session_prefixes(user_id) {
        assert!(
            state.kv.keys_with_prefix(&prefix).await.unwrap().is_empty(),
            "{prefix} left behind"
        );
    }

    handle.stop(true).await;
    let _ = running.await;
    let _ = std::fs::remove_dir_all(&spool);
    state.kv.delete_prefix("").await.unwrap();
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
