//! Migrations and seed data against a fresh database per test, on the backend named by
//! `FBA_TEST_DATABASE` (SQLite by default, `postgresql` or `mysql`).
#![allow(clippy::expect_used)] // a failed expect is a failed test

use chrono::{DateTime, TimeZone, Utc};
use fba_db::testing::TestDatabase;
use fba_migration::seed::{self, MENUS, TEST_PASSWORD};
use fba_migration::{ADMIN_TABLES, Migrator, MigratorTrait};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseConnection, QueryResult, TransactionTrait};

/// A fresh database with the migrations applied.
async fn migrated() -> (TestDatabase, DatabaseConnection) {
    let test_db = TestDatabase::create_from_env()
        .await
        .expect("create the test database");
    let db = test_db
        .connect()
        .await
        .expect("connect to the test database");
    Migrator::up(&db, None).await.expect("apply migrations");
    (test_db, db)
}

/// Closes the pool and drops the database.
async fn finish(test_db: TestDatabase, db: DatabaseConnection) {
    let _ = db.close().await;
    test_db.drop_database().await;
}

/// A migrated database with FBA's test data, seeded inside one transaction.
async fn seeded() -> (TestDatabase, DatabaseConnection) {
    let (test_db, db) = migrated().await;
    let txn = db.begin().await.expect("begin");
    seed::seed_test_data(&txn).await.expect("seed test data");
    txn.commit().await.expect("commit seed");
    (test_db, db)
}

async fn count(db: &DatabaseConnection, table: &'static str) -> i64 {
    let query = Query::select()
        .expr_as(Expr::col("id").count(), "n")
        .from(table)
        .to_owned();
    let row = db
        .query_one(&query)
        .await
        .expect("count query")
        .expect("count row");
    row.try_get::<i64>("", "n").expect("count value")
}

async fn max_id(db: &DatabaseConnection, table: &'static str) -> i64 {
    let query = Query::select()
        .expr_as(Expr::col("id").max(), "m")
        .from(table)
        .to_owned();
    let row = db
        .query_one(&query)
        .await
        .expect("max query")
        .expect("max row");
    row.try_get::<i64>("", "m").expect("max value")
}

async fn row_where(
    db: &DatabaseConnection,
    table: &'static str,
    column: &'static str,
    value: impl Into<Value>,
) -> QueryResult {
    let query = Query::select()
        .column(Asterisk)
        .from(table)
        .and_where(Expr::col(column).eq(value.into()))
        .to_owned();
    db.query_one(&query)
        .await
        .expect("select")
        .unwrap_or_else(|| panic!("no row in {table} with {column}"))
}

async fn insert(db: &DatabaseConnection, table: &'static str, values: &[(&'static str, Value)]) {
    try_insert(db, table, values)
        .await
        .unwrap_or_else(|e| panic!("insert into {table}: {e}"));
}

async fn try_insert(
    db: &DatabaseConnection,
    table: &'static str,
    values: &[(&'static str, Value)],
) -> Result<(), DbErr> {
    let mut stmt = Query::insert();
    stmt.into_table(table)
        .columns(values.iter().map(|(c, _)| *c))
        .values(values.iter().map(|(_, v)| Expr::val(v.clone())))
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    db.execute(&stmt).await.map(|_| ())
}

fn now() -> Value {
    Utc::now().into()
}

/// The columns a new `sys_user` row needs.
fn user_row(username: &str, email: Option<&str>, uuid: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("uuid", uuid.into()),
        ("username", username.into()),
        ("nickname", username.into()),
        ("email", email.map(str::to_owned).into()),
        ("status", 1i32.into()),
        ("is_superuser", false.into()),
        ("is_staff", false.into()),
        ("is_multi_login", false.into()),
        ("join_time", now()),
        ("created_time", now()),
    ]
}

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db)
        .has_table(table)
        .await
        .expect("has_table")
}

#[tokio::test]
async fn up_creates_all_admin_tables_with_their_indexes() {
    let (test_db, db) = migrated().await;
    for table in ADMIN_TABLES {
        assert!(has_table(&db, table).await, "{table} missing");
    }
    let manager = SchemaManager::new(&db);
    let mut expected = vec![
        ("sys_dept", "ix_sys_dept_parent_id".to_owned()),
        ("sys_menu", "ix_sys_menu_parent_id".to_owned()),
        ("sys_user", "ix_sys_user_username".to_owned()),
        ("sys_user", "ix_sys_user_email".to_owned()),
        ("sys_user", "ix_sys_user_status".to_owned()),
        (
            "sys_user_password_history",
            "ix_sys_user_password_history_user_id".to_owned(),
        ),
    ];
    for (table, left, right) in [
        ("sys_user_role", "user_id", "role_id"),
        ("sys_role_menu", "role_id", "menu_id"),
        ("sys_role_data_scope", "role_id", "data_scope_id"),
        ("sys_data_scope_rule", "data_scope_id", "data_rule_id"),
    ] {
        expected.push((table, format!("ix_{table}_{left}_{right}")));
        expected.push((table, format!("ix_{table}_{left}")));
        expected.push((table, format!("ix_{table}_{right}")));
    }
    for (table, index) in expected {
        assert!(
            manager.has_index(table, &index).await.expect("has_index"),
            "{index} missing on {table}"
        );
    }
    finish(test_db, db).await;
}

#[tokio::test]
async fn unique_columns_reject_duplicates() {
    let (test_db, db) = migrated().await;

    insert(
        &db,
        "sys_user",
        &user_row("alice", Some("a@example.com"), "u-1"),
    )
    .await;
    assert!(
        try_insert(&db, "sys_user", &user_row("alice", None, "u-2"))
            .await
            .is_err(),
        "duplicate username accepted"
    );
    assert!(
        try_insert(
            &db,
            "sys_user",
            &user_row("bob", Some("a@example.com"), "u-3")
        )
        .await
        .is_err(),
        "duplicate email accepted"
    );
    assert!(
        try_insert(&db, "sys_user", &user_row("carol", None, "u-1"))
            .await
            .is_err(),
        "duplicate uuid accepted"
    );
    // Emails are optional: several users may have none.
    insert(&db, "sys_user", &user_row("dave", None, "u-4")).await;
    insert(&db, "sys_user", &user_row("erin", None, "u-5")).await;
    assert_eq!(count(&db, "sys_user").await, 3);

    let role = |name: &str| {
        vec![
            ("name", Value::from(name)),
            ("status", 1i32.into()),
            ("is_filter_scopes", true.into()),
            ("created_time", now()),
        ]
    };
    insert(&db, "sys_role", &role("r")).await;
    assert!(try_insert(&db, "sys_role", &role("r")).await.is_err());

    let scope = vec![
        ("name", Value::from("s")),
        ("status", 1i32.into()),
        ("created_time", now()),
    ];
    insert(&db, "sys_data_scope", &scope).await;
    assert!(try_insert(&db, "sys_data_scope", &scope).await.is_err());

    // `column` and `value` are reserved words on every backend.
    let rule = vec![
        ("name", Value::from("rule")),
        ("model", "Dept".into()),
        ("column", "name".into()),
        ("operator", 0i32.into()),
        ("expression", 0i32.into()),
        ("value", "x".into()),
        ("created_time", now()),
    ];
    insert(&db, "sys_data_rule", &rule).await;
    assert!(try_insert(&db, "sys_data_rule", &rule).await.is_err());
    let row = row_where(&db, "sys_data_rule", "column", "name").await;
    assert_eq!(row.try_get::<String>("", "value").expect("value"), "x");

    let pair = vec![("role_id", Value::from(1i64)), ("menu_id", 2i64.into())];
    insert(&db, "sys_role_menu", &pair).await;
    assert!(
        try_insert(&db, "sys_role_menu", &pair).await.is_err(),
        "duplicate role-menu pair accepted"
    );
    insert(
        &db,
        "sys_role_menu",
        &[("role_id", 1i64.into()), ("menu_id", 3i64.into())],
    )
    .await;

    finish(test_db, db).await;
}

#[tokio::test]
async fn seed_inserts_fba_test_data() {
    let (test_db, db) = migrated().await;
    assert!(!seed::is_seeded(&db).await.expect("is_seeded"));
    let txn = db.begin().await.expect("begin");
    seed::seed_test_data(&txn).await.expect("seed");
    txn.commit().await.expect("commit");
    assert!(seed::is_seeded(&db).await.expect("is_seeded"));

    for (table, expected) in [
        ("sys_dept", 1),
        ("sys_role", 1),
        ("sys_user", 2),
        ("sys_menu", 50),
        ("sys_data_scope", 5),
        ("sys_data_rule", 6),
        ("sys_role_menu", 4),
        ("sys_user_role", 2),
        ("sys_role_data_scope", 2),
        ("sys_data_scope_rule", 6),
        ("sys_login_log", 0),
        ("sys_opera_log", 0),
        ("sys_user_password_history", 0),
    ] {
        assert_eq!(count(&db, table).await, expected, "rows in {table}");
    }

    let admin = row_where(&db, "sys_user", "username", "admin").await;
    assert_eq!(admin.try_get::<i64>("", "id").expect("id"), 1);
    assert!(
        admin
            .try_get::<bool>("", "is_superuser")
            .expect("superuser")
    );
    assert!(admin.try_get::<bool>("", "is_staff").expect("staff"));
    assert!(admin.try_get::<bool>("", "is_multi_login").expect("multi"));
    assert_eq!(admin.try_get::<i64>("", "dept_id").expect("dept"), 1);
    assert_eq!(
        admin.try_get::<String>("", "nickname").expect("nickname"),
        "用户88888"
    );
    let hash = admin.try_get::<String>("", "password").expect("password");
    assert!(bcrypt::verify(TEST_PASSWORD, &hash).expect("bcrypt hash"));
    let salt = admin.try_get::<Vec<u8>>("", "salt").expect("salt");
    assert_eq!(salt, b"$2b$12$8y2eNucX19VjmZ3tYhBLcO");
    assert!(hash.starts_with(std::str::from_utf8(&salt).expect("ascii salt")));
    let admin_uuid = admin.try_get::<String>("", "uuid").expect("uuid");
    assert_eq!(admin_uuid.len(), 36);
    let joined: DateTime<Utc> = admin.try_get("", "join_time").expect("join_time");
    assert!((Utc::now() - joined).num_minutes().abs() < 5);

    let test = row_where(&db, "sys_user", "username", "test").await;
    assert!(!test.try_get::<bool>("", "is_superuser").expect("superuser"));
    assert!(!test.try_get::<bool>("", "is_staff").expect("staff"));
    assert_ne!(
        test.try_get::<String>("", "uuid").expect("uuid"),
        admin_uuid
    );

    let dashboard = row_where(&db, "sys_menu", "id", 1i64).await;
    assert_eq!(
        dashboard.try_get::<String>("", "title").expect("title"),
        "page.dashboard.title"
    );
    assert_eq!(dashboard.try_get::<String>("", "link").expect("link"), "");
    assert_eq!(
        dashboard
            .try_get::<Option<i64>>("", "parent_id")
            .expect("parent"),
        None
    );
    let created: DateTime<Utc> = dashboard.try_get("", "created_time").expect("created");
    let expected_created = Utc
        .with_ymd_and_hms(2025, 6, 26, 12, 29, 6)
        .single()
        .expect("valid time");
    assert_eq!(created, expected_created);

    let scope_menu = row_where(&db, "sys_menu", "id", 22i64).await;
    let updated: Option<DateTime<Utc>> = scope_menu.try_get("", "updated_time").expect("updated");
    assert_eq!(
        updated,
        Utc.with_ymd_and_hms(2025, 6, 26, 12, 37, 26).single()
    );

    let apifox = row_where(&db, "sys_menu", "name", "Apifox").await;
    assert_eq!(apifox.try_get::<i32>("", "type").expect("type"), 3);
    assert_eq!(
        apifox
            .try_get::<Option<i64>>("", "parent_id")
            .expect("parent"),
        Some(46)
    );
    let profile = row_where(&db, "sys_menu", "name", "Profile").await;
    assert_eq!(profile.try_get::<i32>("", "display").expect("display"), 0);

    let perms = MENUS.iter().filter_map(|m| m.perms).count();
    assert_eq!(perms, 23);

    let rule = row_where(&db, "sys_data_rule", "id", 6i64).await;
    assert_eq!(
        rule.try_get::<String>("", "column").expect("column"),
        "is_superuser"
    );
    assert_eq!(rule.try_get::<i32>("", "expression").expect("expr"), 1);
    assert_eq!(rule.try_get::<String>("", "value").expect("value"), "1");

    finish(test_db, db).await;
}

#[tokio::test]
async fn ids_continue_after_the_seeded_rows() {
    let (test_db, db) = seeded().await;

    insert(
        &db,
        "sys_dept",
        &[
            ("name", "other".into()),
            ("sort", 0i32.into()),
            ("status", 1i32.into()),
            ("del_flag", false.into()),
            ("created_time", now()),
        ],
    )
    .await;
    insert(
        &db,
        "sys_menu",
        &[
            ("title", "t".into()),
            ("name", "New".into()),
            ("sort", 0i32.into()),
            ("type", 1i32.into()),
            ("status", 1i32.into()),
            ("display", 1i32.into()),
            ("cache", 1i32.into()),
            ("created_time", now()),
        ],
    )
    .await;
    insert(&db, "sys_user", &user_row("newbie", None, "u-new")).await;
    insert(
        &db,
        "sys_data_scope",
        &[
            ("name", "new scope".into()),
            ("status", 1i32.into()),
            ("created_time", now()),
        ],
    )
    .await;
    insert(
        &db,
        "sys_role_menu",
        &[("role_id", 1i64.into()), ("menu_id", 4i64.into())],
    )
    .await;
    insert(
        &db,
        "sys_data_scope_rule",
        &[
            ("data_scope_id", 5i64.into()),
            ("data_rule_id", 1i64.into()),
        ],
    )
    .await;

    for (table, seeded_max) in [
        ("sys_dept", 1),
        ("sys_menu", 50),
        ("sys_user", 2),
        ("sys_data_scope", 5),
        ("sys_role_menu", 4),
        ("sys_data_scope_rule", 6),
    ] {
        assert_eq!(count(&db, table).await, seeded_max + 1, "rows in {table}");
        assert!(max_id(&db, table).await > seeded_max, "new id in {table}");
    }
    finish(test_db, db).await;
}

#[tokio::test]
async fn opera_log_stores_json_long_text_and_doubles() {
    let (test_db, db) = migrated().await;
    let args = serde_json::json!({"query": {"page": 1}, "body": ["a", "b"]});
    let long_msg = "x".repeat(70_000);
    insert(
        &db,
        "sys_opera_log",
        &[
            ("trace_id", "0123456789abcdef0123456789abcdef".into()),
            ("method", "POST".into()),
            ("title", "t".into()),
            ("path", "/api/v1/x".into()),
            ("ip", "127.0.0.1".into()),
            ("args", args.clone().into()),
            ("status", 1i32.into()),
            ("code", "200".into()),
            ("msg", long_msg.as_str().into()),
            ("cost_time", 12.375f64.into()),
            ("opera_time", now()),
            ("created_time", now()),
        ],
    )
    .await;
    let row = row_where(&db, "sys_opera_log", "method", "POST").await;
    assert_eq!(
        row.try_get::<serde_json::Value>("", "args").expect("args"),
        args
    );
    assert_eq!(row.try_get::<String>("", "msg").expect("msg").len(), 70_000);
    assert_eq!(row.try_get::<f64>("", "cost_time").expect("cost"), 12.375);
    finish(test_db, db).await;
}

#[tokio::test]
async fn down_drops_every_table_and_up_is_repeatable() {
    let (test_db, db) = seeded().await;

    Migrator::down(&db, None).await.expect("down");
    for table in ADMIN_TABLES {
        assert!(!has_table(&db, table).await, "{table} still exists");
    }

    Migrator::up(&db, None).await.expect("up again");
    for table in ADMIN_TABLES {
        assert!(has_table(&db, table).await, "{table} missing after up");
    }
    assert!(!seed::is_seeded(&db).await.expect("is_seeded"));
    seed::seed_test_data(&db).await.expect("seed again");
    assert_eq!(count(&db, "sys_menu").await, 50);

    Migrator::reset(&db).await.expect("reset");
    for table in ADMIN_TABLES {
        assert!(!has_table(&db, table).await, "{table} still exists");
    }
    finish(test_db, db).await;
}
