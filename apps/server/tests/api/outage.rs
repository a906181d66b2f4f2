//! Database outages on a private PostgreSQL server the tests start on their own port and stop
//! and start again: replies stay 503 in FBA's envelope within 2 s (never 500, never the
//! driver's text), requests that need no database keep their speed, the server recovers by
//! itself, and no acknowledged request loses its audit row.
//!
//! They run in the PostgreSQL suite (`FBA_TEST_DATABASE=postgresql`) and need the server's
//! binaries (`initdb`, `pg_ctl`; Debian's `/usr/lib/postgresql/*/bin`); elsewhere they say so
//! and return.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;

use crate::helpers::{TestApp, json};

/// A PostgreSQL server of its own in a temp dir, stopped and removed on drop.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePostgres {
    /// Starts one, with a database `fba`; `None` (and a note) outside the PostgreSQL suite or
    /// without the server's binaries.
    pub async fn start() -> Option<Self> {
        let suite = std::env::var("FBA_TEST_DATABASE").unwrap_or_default();
        if !matches!(suite.as_str(), "postgresql" | "postgres" | "pg") {
            eprintln!("skipped: the outage tests run in the PostgreSQL suite");
            return None;
        }
        let Some(bin) = find_bin() else {
            eprintln!("skipped: no initdb/pg_ctl under /usr/lib/postgresql/*/bin");
            return None;
        };
        let dir = std::env::temp_dir()
            .join("fba-rs-tests")
            .join(format!("pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        let pg = Self {
            bin,
            port: free_port(),
            dir,
            as_postgres,
        };
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&pg.dir));
        }
        let data = pg.data();
        pg.run_blocking(vec![
            "initdb".into(),
            "-D".into(),
            data,
            "-A".into(),
            "trust".into(),
            "-U".into(),
            "postgres".into(),
            "-E".into(),
            "UTF8".into(),
            "--no-sync".into(),
        ])
        .await;
        pg.resume().await;
        let admin = Database::connect(pg.url("postgres")).await.unwrap();
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                "CREATE DATABASE fba",
            ))
            .await
            .unwrap();
        let _ = admin.close().await;
        Some(pg)
    }

    /// `postgres://postgres@127.0.0.1:{port}/{db}`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// Stops the server the way an operator does (`pg_ctl stop -m fast`: sessions in flight
    /// are terminated).
    pub async fn stop(&self) {
        let data = self.data();
        self.run_blocking(vec![
            "pg_ctl".into(),
            "-D".into(),
            data,
            "-m".into(),
            "fast".into(),
            "-w".into(),
            "stop".into(),
        ])
        .await;
    }

    /// Starts the (stopped) server again on the same port.
    pub async fn resume(&self) {
        let data = self.data();
        let log = self.dir.join("server.log").display().to_string();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        self.run_blocking(vec![
            "pg_ctl".into(),
            "-D".into(),
            data,
            "-l".into(),
            log,
            "-w".into(),
            "-o".into(),
            opts,
            "start".into(),
        ])
        .await;
    }

    async fn run_blocking(&self, args: Vec<String>) {
        let cmd = self.command(&args);
        tokio::task::spawn_blocking(move || {
            let mut cmd = cmd;
            run(&mut cmd);
        })
        .await
        .unwrap();
    }

    fn command(&self, args: &[String]) -> Command {
        let program = self.bin.join(&args[0]);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"])
                .arg(program)
                .args(&args[1..]);
            cmd
        } else {
            let mut cmd = Command::new(program);
            cmd.args(&args[1..]);
            cmd
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let args = [
            "pg_ctl".to_owned(),
            "-D".to_owned(),
            self.data(),
            "-m".to_owned(),
            "immediate".to_owned(),
            "stop".to_owned(),
        ];
        let _ = self.command(&args).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("pg_ctl").exists() && b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` with a token: status, body and how long it took.
async fn timed_get(app: &TestApp, path: &str, token: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = app.get_json(path, token).await;
    (status, body, started.elapsed())
}

#[tokio::test]
async fn a_database_outage_is_503_at_once_and_the_server_recovers() {
    let Some(pg) = PrivatePostgres::start().await else {
        return;
    };
    let app =
        TestApp::spawn_on_database(&pg.url("fba"), &[("LOGIN_CAPTCHA_ENABLED", "false")]).await;
    let token = app.token_for(1).await;
    assert_eq!(app.get_json("/api/v1/sys/users/me", &token).await.0, 200);
    assert_eq!(app.get_json("/api/v1/sys/users", &token).await.0, 200);

    pg.stop().await;
    // Every reply that needs the database: 503 in FBA's envelope, within 2 s, no driver text.
    for _ in 0..3 {
        for path in [
            "/api/v1/sys/users",
            "/api/v1/sys/roles",
            "/api/v1/sys/depts",
        ] {
            let (status, body, took) = timed_get(&app, path, &token).await;
            assert_eq!(
                (status, body["code"].as_i64()),
                (503, Some(503)),
                "{path}: {body}"
            );
            assert!(took < Duration::from_secs(2), "{path} took {took:?}");
            let msg = body["msg"].as_str().unwrap_or_default();
            assert!(!msg.contains("error communicating"), "{msg}");
        }
    }
    // Writes and logins too.
    let started = Instant::now();
    let (status, body) = app
        .post_json(
            "/api/v1/sys/roles",
            &token,
            &serde_json::json!({"name": "during-outage", "status": 1}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    let (status, body) = json(
        app.client
            .post(app.url(crate::auth::LOGIN))
            .json(&serde_json::json!({"username": "admin", "password": "123456"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // A flood of them is answered at once, all in the same envelope.
    let started = Instant::now();
    let flood: Vec<_> = (0..50)
        .map(|_| app.get_json("/api/v1/sys/users", &token))
        .collect();
    for (status, body) in futures_util::future::join_all(flood).await {
        assert_eq!(status, 503, "{body}");
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    // What needs no database keeps answering.
    for _ in 0..20 {
        let (status, body, took) = timed_get(&app, "/api/v1/sys/users/me", &token).await;
        assert_eq!(status, 200, "{body}");
        assert!(took < Duration::from_secs(1), "/me took {took:?}");
    }
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["data"]["database"], "down", "{body}");

    pg.resume().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = app.get_json("/api/v1/sys/users", &token).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(Instant::now() < deadline, "no recovery: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Recovered for writes as well.
    let (status, body) = app
        .post_json(
            "/api/v1/sys/roles",
            &token,
            &serde_json::json!({"name": "after-outage", "status": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_outage_under_load_loses_no_audit_row() {
    let Some(pg) = PrivatePostgres::start().await else {
        return;
    };
    let app = Arc::new(
        TestApp::spawn_on_database(&pg.url("fba"), &[("LOGIN_CAPTCHA_ENABLED", "false")]).await,
    );
    let token = app.token_for(1).await;
    assert_eq!(app.get_json("/api/v1/sys/users/me", &token).await.0, 200);

    // Four clients, each request with its own request id; what each one was answered.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for n in 0..4 {
        let (app, token, stop) = (Arc::clone(&app), token.clone(), Arc::clone(&stop));
        clients.push(tokio::spawn(async move {
            let mut answered: Vec<(String, u16, Duration)> = Vec::new();
            let path = if n == 0 {
                "/api/v1/sys/users"
            } else {
                "/api/v1/sys/users/me"
            };
            while !stop.load(Ordering::Relaxed) {
                let rid = uuid::Uuid::new_v4().simple().to_string();
                let started = Instant::now();
                let resp = app
                    .client
                    .get(app.url(path))
                    .bearer_auth(&token)
                    .header("X-Request-ID", &rid)
                    .send()
                    .await;
                if let Ok(resp) = resp {
                    answered.push((rid, resp.status().as_u16(), started.elapsed()));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            answered
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg.stop().await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    pg.resume().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answered = Vec::new();
    for c in clients {
        answered.extend(c.await.unwrap());
    }
    let statuses = answered.iter().fold(HashMap::new(), |mut m, (_, s, _)| {
        *m.entry(*s).or_insert(0usize) += 1;
        m
    });
    eprintln!("replies by status: {statuses:?}");
    assert!(!statuses.contains_key(&500), "{statuses:?}");
    assert!(statuses.get(&503).copied().unwrap_or(0) > 0, "{statuses:?}");
    let slowest = answered.iter().map(|(_, _, d)| *d).max().unwrap();
    assert!(
        slowest < Duration::from_secs(2),
        "slowest reply {slowest:?}"
    );

    // Every answered request has exactly one row, once the spool has been replayed.
    let ids: Vec<&str> = answered.iter().map(|(id, _, _)| id.as_str()).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let counts = loop {
        let counts = rows_per_trace_id(&app, &ids).await;
        if counts.len() == ids.len() || Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let missing = ids.iter().filter(|id| !counts.contains_key(**id)).count();
    let doubled = counts.values().filter(|n| **n != 1).count();
    assert_eq!(
        (missing, doubled),
        (0, 0),
        "{} requests answered, {missing} without a row, {doubled} with more than one",
        ids.len()
    );
    let (_, health) = json(app.get("/health").await).await;
    eprintln!("health after the outage: {health}");
    Arc::try_unwrap(app).ok().unwrap().stop().await;
}

/// How many `sys_opera_log` rows each of `ids` has (ids without a row are absent).
async fn rows_per_trace_id(app: &TestApp, ids: &[&str]) -> HashMap<String, usize> {
    use fba_admin::model::sys_opera_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let mut counts = HashMap::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<String> = sys_opera_log::Entity::find()
            .select_only()
            .column(sys_opera_log::Column::TraceId)
            .filter(sys_opera_log::Column::TraceId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(app.app_state.db.inner())
            .await
            .unwrap_or_default();
        for id in found {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}
