//! RBAC through casbin: a route guarded by `sys:user:del` (mounted by the test app).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

use crate::helpers::{TestApp, json, make_staff};
use fba_admin::model::{sys_role, sys_role_menu};

const PATH: &str = "/api/v1/__test/perm";

async fn post(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    app.call(reqwest::Method::POST, PATH, Some(token), None)
        .await
}

#[tokio::test]
async fn superuser_passes_and_missing_token_is_401() {
    let app = TestApp::spawn().await;
    let token = app.token_for(1).await;
    let (status, body) = json(app.get_auth(PATH, &token).await).await;
    assert_eq!((status, body["data"].as_str()), (200, Some("admin")));
    let (status, body) = post(&app, &token).await;
    assert_eq!(status, 200, "{body}");
    let resp = app.get(PATH).await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (401, Some("Not authenticated"))
    );
    let (status, body) = json(app.get_auth(PATH, "not-a-jwt").await).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        serde_json::json!({"code": 401, "msg": "Token 无效", "data": null})
    );
    app.stop().await;
}

#[tokio::test]
async fn role_without_the_code_is_403_until_the_menu_is_granted() {
    let app = TestApp::spawn().await;
    let db = &app.app_state.db;
    let token = app.token_for(2).await;
    let (status, body) = json(app.get_auth(PATH, &token).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("Permission Denied"))
    );

    // Grant menu 10 (`sys:user:del`) to role 1 and announce the policy change.
    sys_role_menu::ActiveModel {
        role_id: Set(1),
        menu_id: Set(10),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    app.security
        .rbac
        .policy_changed(&app.app_state.kv)
        .await
        .unwrap();
    fba_common::security::invalidate_user(&app.app_state, 2)
        .await
        .unwrap();
    let (status, body) = json(app.get_auth(PATH, &token).await).await;
    assert_eq!(
        (status, body["data"].as_str()),
        (200, Some("test")),
        "{body}"
    );

    // Writes need staff.
    let (status, body) = post(&app, &token).await;
    assert_eq!(status, 403);
    assert_eq!(body["msg"], "用户已被禁止后台管理操作，请联系系统管理员");
    make_staff(&app, 2).await;
    let (status, _) = post(&app, &token).await;
    assert_eq!(status, 200);

    // A disabled role locks the user out.
    let mut role: sys_role::ActiveModel = sys_role::Entity::find_by_id(1)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .into();
    role.status = Set(0);
    role.update(db).await.unwrap();
    fba_common::security::invalidate_user(&app.app_state, 2)
        .await
        .unwrap();
    let (status, body) = json(app.get_auth(PATH, &token).await).await;
    assert_eq!(status, 403);
    assert_eq!(body["msg"], "用户所属角色已被锁定，请联系系统管理员");
    app.stop().await;
}

#[tokio::test]
async fn a_policy_change_reaches_another_replica_through_the_kv_store() {
    let Some(redis) = crate::helpers::replica_redis() else {
        return;
    };
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_sharing(&a, &redis).await;
    let token = a.token_for(2).await;
    let (status, _) = json(b.get_auth(PATH, &token).await).await;
    assert_eq!(status, 403);
    sys_role_menu::ActiveModel {
        role_id: Set(1),
        menu_id: Set(10),
        ..Default::default()
    }
    .insert(&a.app_state.db)
    .await
    .unwrap();
    a.security
        .rbac
        .policy_changed(&a.app_state.kv)
        .await
        .unwrap();
    let mut allowed = false;
    for _ in 0..50 {
        let (status, _) = json(b.get_auth(PATH, &token).await).await;
        if status == 200 {
            allowed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(allowed, "replica B reloaded its policy after A's change");
    b.stop_shared().await;
    a.stop().await;
}

#[tokio::test]
async fn cached_sidebar_shows_a_new_menu_at_once() {
    let app = TestApp::spawn().await;
    let token = app.token_for(1).await;
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, before) = json(app.get_auth("/api/v1/sys/menus/sidebar", &token).await).await;
    assert_eq!(status, 200);
    assert!(!names(&before).contains(&"CacheProbe".to_owned()));
    let (status, body) = app
        .post_json(
            "/api/v1/sys/menus",
            &token,
            &serde_json::json!({"title": "probe", "name": "CacheProbe", "path": "/probe", "type": 1, "sort": 99, "status": 1, "display": 1, "cache": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, after) = json(app.get_auth("/api/v1/sys/menus/sidebar", &token).await).await;
    assert!(names(&after).contains(&"CacheProbe".to_owned()));
    app.stop().await;
}
