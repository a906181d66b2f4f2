#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The admin entities against a freshly migrated and seeded database, on the backend named by
//! `FBA_TEST_DATABASE` (SQLite by default, `postgresql` or `mysql`).

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use fba_admin::model::{
    sys_data_rule, sys_data_scope, sys_dept, sys_login_log, sys_menu, sys_opera_log, sys_role,
    sys_user, sys_user_role,
};
use fba_db::testing::TestDatabase;
use fba_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

/// A fresh database with the migrations applied and FBA's test data seeded.
async fn seeded() -> (TestDatabase, DatabaseConnection) {
    let test_db = TestDatabase::create_from_env().await.unwrap();
    let db = test_db.connect().await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    fba_migration::seed::seed_test_data(&db).await.unwrap();
    (test_db, db)
}

/// Closes the pool and drops the database.
async fn finish(test_db: TestDatabase, db: DatabaseConnection) {
    let _ = db.close().await;
    test_db.drop_database().await;
}

/// Now, truncated to what every backend stores (microseconds).
fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[tokio::test]
async fn seeded_rows_load_through_entities_and_relations() {
    let (test_db, db) = seeded().await;

    let admin = sys_user::Entity::find()
        .filter(sys_user::Column::Username.eq("admin"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.id, 1);
    assert!(admin.is_superuser);
    assert!(admin.is_staff);
    assert!(admin.is_multi_login);
    assert_eq!(admin.dept_id, Some(1));
    assert_eq!(admin.status, 1);
    assert_eq!(admin.email.as_deref(), Some("admin@example.com"));
    assert_eq!(
        admin.salt.as_deref(),
        Some(&b"$2b$12$8y2eNucX19VjmZ3tYhBLcO"[..])
    );
    assert!(admin.password.as_deref().unwrap().starts_with("$2b$12$"));
    assert!((Utc::now() - admin.join_time).abs() < TimeDelta::minutes(5));
    assert!(admin.last_login_time.is_some());
    assert_eq!(admin.updated_time, None);

    let dept = admin
        .find_related(sys_dept::Entity)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dept.id, dept.name.as_str()), (1, "测试"));
    assert!(!dept.del_flag);
    assert_eq!(
        dept.find_related(sys_user::Entity)
            .count(&db)
            .await
            .unwrap(),
        2
    );

    let roles = admin.find_related(sys_role::Entity).all(&db).await.unwrap();
    assert_eq!(roles.len(), 1);
    let role = &roles[0];
    assert_eq!((role.id, role.name.as_str()), (1, "测试"));
    assert!(role.is_filter_scopes);

    let menus = role
        .find_related(sys_menu::Entity)
        .order_by_asc(sys_menu::Column::Id)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        menus.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![1, 2, 3, 50]
    );
    assert_eq!(menus[0].r#type, 0);
    assert_eq!(menus[1].r#type, 1);
    assert_eq!(menus[1].parent_id, Some(1));
    assert_eq!(menus[1].link.as_deref(), Some(""));
    let button = sys_menu::Entity::find_by_id(6)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(button.r#type, 2);
    assert_eq!(button.perms.as_deref(), Some("sys:dept:add"));
    let buttons = sys_menu::Entity::find()
        .filter(sys_menu::Column::Type.eq(2))
        .count(&db)
        .await
        .unwrap();
    assert!(buttons > 0);
    let menu_roles = menus[3]
        .find_related(sys_role::Entity)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(menu_roles.len(), 1);

    let scopes = role
        .find_related(sys_data_scope::Entity)
        .order_by_asc(sys_data_scope::Column::Id)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(scopes.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1, 2]);
    let rules = scopes[1]
        .find_related(sys_data_rule::Entity)
        .order_by_asc(sys_data_rule::Column::Id)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rules.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(rules[1].column, "parent_id");
    assert_eq!(rules[1].value, "1");

    let rule = sys_data_rule::Entity::find_by_id(1)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rule.model, "Dept");
    assert_eq!(rule.column, "__dept_id__");
    assert_eq!(rule.value, "${dept_id}");
    // The reserved words `column` and `value` also work in filters and ordering.
    let by_column = sys_data_rule::Entity::find()
        .filter(sys_data_rule::Column::Column.eq("is_superuser"))
        .filter(sys_data_rule::Column::Value.eq("1"))
        .order_by_desc(sys_data_rule::Column::Value)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_column.len(), 1);
    assert_eq!((by_column[0].id, by_column[0].expression), (6, 1));
    let rule_scopes = by_column[0]
        .find_related(sys_data_scope::Entity)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        rule_scopes.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![5]
    );

    let role_users = role
        .find_related(sys_user::Entity)
        .count(&db)
        .await
        .unwrap();
    assert_eq!(role_users, 2);

    finish(test_db, db).await;
}

#[tokio::test]
async fn rows_round_trip_and_delete_through_entities() {
    let (test_db, db) = seeded().await;

    let opera_time = now_micros();
    let args = json!({"path": {"pk": 1}, "body": {"name": "x", "tags": ["a", "b"], "n": 1.5}});
    let opera = sys_opera_log::ActiveModel {
        trace_id: Set("0123456789abcdef0123456789abcdef".to_owned()),
        username: Set(Some("admin".to_owned())),
        method: Set("PUT".to_owned()),
        title: Set("更新用户".to_owned()),
        path: Set("/api/v1/sys/users/1".to_owned()),
        ip: Set("127.0.0.1".to_owned()),
        args: Set(Some(args.clone())),
        status: Set(1),
        code: Set("200".to_owned()),
        msg: Set(Some("请求成功".to_owned())),
        cost_time: Set(12.5),
        opera_time: Set(opera_time),
        created_time: Set(opera_time),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    assert!(opera.id > 0);
    let read = sys_opera_log::Entity::find_by_id(opera.id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, opera);
    assert_eq!(read.args, Some(args));
    assert_eq!(read.opera_time, opera_time);
    assert_eq!(read.cost_time, 12.5);
    assert_eq!(read.country, None);

    let login_time = now_micros();
    let login = sys_login_log::ActiveModel {
        user_uuid: Set(uuid::Uuid::new_v4().to_string()),
        username: Set("admin".to_owned()),
        status: Set(1),
        ip: Set("10.0.0.1".to_owned()),
        country: Set(Some("中国".to_owned())),
        os: Set(Some("Linux".to_owned())),
        msg: Set("登录成功".to_owned()),
        login_time: Set(login_time),
        created_time: Set(login_time),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let read = sys_login_log::Entity::find_by_id(login.id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, login);
    assert_eq!(read.login_time, login_time);

    // Update and delete through the entities.
    let mut active: sys_user::ActiveModel = sys_user::Entity::find_by_id(2)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .into();
    let updated_time = now_micros();
    active.nickname = Set("改名".to_owned());
    active.updated_time = Set(Some(updated_time));
    let user = active.update(&db).await.unwrap();
    assert_eq!(user.nickname, "改名");
    assert_eq!(user.updated_time, Some(updated_time));

    let deleted = login.delete(&db).await.unwrap();
    assert_eq!(deleted.rows_affected, 1);
    assert!(
        sys_login_log::Entity::find_by_id(read.id)
            .one(&db)
            .await
            .unwrap()
            .is_none()
    );
    let deleted = sys_opera_log::Entity::delete_by_id(opera.id)
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected, 1);
    let deleted = sys_user_role::Entity::delete_many()
        .filter(sys_user_role::Column::UserId.eq(2))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected, 1);
    let test_roles = user
        .find_related(sys_role::Entity)
        .count(&db)
        .await
        .unwrap();
    assert_eq!(test_roles, 0);

    finish(test_db, db).await;
}
