//! `/health`, the API docs, and a real seeded database behind them.

use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{TestApp, json};

#[tokio::test]
async fn health_reports_both_stores() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 200);
    assert_eq!(body["data"]["status"], "ok");
    assert_eq!(body["data"]["database"], "ok");
    assert_eq!(body["data"]["kv"], "ok");
    let expected_kv = if crate::helpers::redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["data"]["kv_backend"], expected_kv);
    app.stop().await;
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.app_state.db.clone().close().await.expect("close pool");
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], 503);
    assert_eq!(body["data"]["database"], "down");
    assert_eq!(body["data"]["kv"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn openapi_and_doc_pages_are_served_in_dev() {
    let app = TestApp::spawn().await;
    let (status, doc) = json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["title"], "fba");
    assert!(doc["paths"]["/health"]["get"].is_object());
    for page in ["/docs", "/redoc"] {
        let resp = app.get(page).await;
        assert_eq!(resp.status().as_u16(), 200, "{page}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("/openapi"), "{page}");
    }
    app.stop().await;
}

#[tokio::test]
async fn first_start_seeds_fba_test_data() {
    let app = TestApp::spawn().await;
    let db = &app.app_state.db;
    let count = |table: &'static str| async move {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(count("sys_user").await, 2);
    assert_eq!(count("sys_menu").await, 50);
    assert_eq!(count("sys_role").await, 1);
    assert_eq!(count("sys_dept").await, 1);
    assert_eq!(count("sys_data_rule").await, 6);
    let admin = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT password FROM sys_user WHERE username = 'admin'",
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = admin.try_get("", "password").unwrap();
    assert!(bcrypt::verify("123456", &hash).unwrap());
    app.stop().await;
}

#[tokio::test]
async fn snowflake_mode_leases_a_node_and_makes_fba_layout_ids() {
    let app = TestApp::spawn_with(&[("DATABASE_PK_MODE", "snowflake")]).await;
    let ids = app.app_state.ids.clone().expect("snowflake generator");
    let (dc, worker) = ids.node();
    let key = fba_db::snowflake::node_key("fba:snowflake", dc, worker);
    let lease = app.app_state.kv.get(&key).await.unwrap();
    assert!(
        lease.is_some_and(|v| v.starts_with("pid:")),
        "node lease in the Kv store"
    );
    let a = app.app_state.next_id().unwrap().unwrap();
    let b = app.app_state.next_id().unwrap().unwrap();
    assert!(b > a);
    let parts = fba_db::snowflake::SnowflakeParts::decode(a);
    assert_eq!((parts.datacenter_id, parts.worker_id), (dc, worker));
    app.stop().await;
}
