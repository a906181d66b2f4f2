//! User management through the real app (`/api/v1/sys/users`; the current user's `/me*` routes
//! are tested in `user_me.rs`, departments in `data_permission.rs`).

/// User management (`/api/v1/sys/users`, except the `/me*` routes): every route's success,
/// 422, 404, 409, 403 and 401, the sessions each write ends, and the list's total counting
/// users rather than user×role rows.
mod users {
    use fba_admin::model::{sys_user, sys_user_password_history, sys_user_role};
    use reqwest::Method;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use serde_json::{Value, json};

    use crate::helpers::{
        TestApp, assert_401, assert_422, assert_error, assert_ok_empty, is_fba_datetime, json,
    };

    const USERS: &str = "/api/v1/sys/users";
    const LOCKED: &str = "用户已被锁定，请联系系统管理员";

    async fn put_empty(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
        app.call(Method::PUT, path, Some(token), None).await
    }

    fn sorted_keys(v: &Value) -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    const USER_KEYS: [&str; 16] = [
        "avatar",
        "dept",
        "dept_id",
        "email",
        "id",
        "is_multi_login",
        "is_staff",
        "is_superuser",
        "join_time",
        "last_login_time",
        "nickname",
        "phone",
        "roles",
        "status",
        "username",
        "uuid",
    ];

    async fn user_row(app: &TestApp, id: i64) -> Option<sys_user::Model> {
        sys_user::Entity::find_by_id(id)
            .one(&app.app_state.db)
            .await
            .unwrap()
    }

    async fn user_role_ids(app: &TestApp, id: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = sys_user_role::Entity::find()
            .filter(sys_user_role::Column::UserId.eq(id))
            .all(&app.app_state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.role_id)
            .collect();
        ids.sort_unstable();
        ids
    }

    async fn history_count(app: &TestApp, id: i64) -> u64 {
        sys_user_password_history::Entity::find()
            .filter(sys_user_password_history::Column::UserId.eq(id))
            .count(&app.app_state.db)
            .await
            .unwrap()
    }

    /// A second role (`角色二`, no menus) made through the API; its id.
    async fn second_role(app: &TestApp, admin: &str) -> i64 {
        let (status, body) = app
            .post_json(
                "/api/v1/sys/roles",
                admin,
                &json!({"name": "角色二", "status": 1}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, all) = app.get_json("/api/v1/sys/roles/all", admin).await;
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "角色二")
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    fn new_user(username: &str) -> Value {
        json!({
            "username": username, "password": "Secret123", "nickname": null,
            "email": "", "phone": "13812345678", "dept_id": 1, "roles": [1],
            "selectAccount": "ignored"
        })
    }

    async fn create(app: &TestApp, admin: &str, body: &Value) -> Value {
        let (status, resp) = app.post_json(USERS, admin, body).await;
        assert_eq!(status, 200, "{resp}");
        resp["data"].clone()
    }

    // --------------------------------------------------------------------------------------
    // GET /{pk}, GET /{pk}/roles
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_detail_has_the_dept_object_and_roles_with_menus_and_scopes() {
        let app = TestApp::spawn().await;
        let token = app.token_for(2).await;
        let (status, body) = app.get_json(&format!("{USERS}/2"), &token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["code"], 200);
        let data = &body["data"];
        assert_eq!(sorted_keys(data), USER_KEYS);
        assert_eq!(data["id"], 2);
        assert_eq!(data["username"], "test");
        assert_eq!(data["nickname"], "用户66666");
        assert_eq!(data["status"], 1);
        assert_eq!(data["is_staff"], false);
        assert!(is_fba_datetime(&data["join_time"]), "{data}");
        let dept = &data["dept"];
        assert_eq!(dept["id"], 1);
        assert_eq!(dept["name"], "测试");
        assert_eq!(dept["del_flag"], false);
        assert!(is_fba_datetime(&dept["created_time"]), "{dept}");
        let roles = data["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 1);
        assert_eq!(roles[0]["name"], "测试");
        let menu_ids: Vec<i64> = roles[0]["menus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        assert_eq!(menu_ids, [1, 2, 3, 50]);
        let scopes = roles[0]["scopes"].as_array().unwrap();
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[1]["rules"].as_array().unwrap().len(), 2);

        let (status, body) = app.get_json(&format!("{USERS}/999999"), &token).await;
        assert_error(status, &body, 404, "用户不存在");
        let (status, body) = app.get_json(&format!("{USERS}/abc"), &token).await;
        assert_422(status, &body, json!(["path", "pk"]));
        let (status, body) = app
            .get_json(&format!("{USERS}/9223372036854775808"), &token)
            .await;
        assert_422(status, &body, json!(["path", "pk"]));
        let (status, body) = app
            .call(Method::GET, &format!("{USERS}/2"), None, None)
            .await;
        assert_401(status, &body);
        app.stop().await;
    }

    #[tokio::test]
    async fn user_roles_are_role_details_or_404() {
        let app = TestApp::spawn().await;
        let token = app.token_for(2).await;
        let (status, body) = app.get_json(&format!("{USERS}/1/roles"), &token).await;
        assert_eq!(status, 200, "{body}");
        let roles = body["data"].as_array().unwrap();
        assert_eq!(roles.len(), 1);
        assert_eq!(
            sorted_keys(&roles[0]),
            [
                "created_time",
                "id",
                "is_filter_scopes",
                "name",
                "remark",
                "status",
                "updated_time"
            ]
        );
        assert_eq!(roles[0]["name"], "测试");
        let (status, body) = app.get_json(&format!("{USERS}/999999/roles"), &token).await;
        assert_error(status, &body, 404, "用户不存在");
        let (status, body) = app.get_json(&format!("{USERS}/x/roles"), &token).await;
        assert_422(status, &body, json!(["path", "pk"]));
        let (status, body) = app
            .call(Method::GET, &format!("{USERS}/1/roles"), None, None)
            .await;
        assert_401(status, &body);
        app.stop().await;
    }

    // --------------------------------------------------------------------------------------
    // GET /
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_list_counts_users_not_user_role_rows_and_filters() {
        let app = TestApp::spawn_with(&[("PASSWORD_BCRYPT_COST", "4")]).await;
        let admin = app.token_for(1).await;
        let role2 = second_role(&app, &admin).await;
        for (name, phone) in [
            ("alice", "13900000001"),
            ("bob", "13900000002"),
            ("carol", "15000000003"),
        ] {
            let mut body = new_user(name);
            body["phone"] = json!(phone);
            body["roles"] = json!([1, role2]);
            create(&app, &admin, &body).await;
        }
        let token = app.token_for(2).await;

        let (status, body) = app.get_json(USERS, &token).await;
        assert_eq!(status, 200, "{body}");
        let data = &body["data"];
        // 5 users, 8 user×role rows: the total counts users.
        assert_eq!(data["total"], 5, "{data}");
        assert_eq!(data["page"], 1);
        assert_eq!(data["size"], 20);
        assert_eq!(data["total_pages"], 1);
        let items = data["items"].as_array().unwrap();
        let names: Vec<&str> = items
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["carol", "bob", "alice", "test", "admin"]);
        assert_eq!(sorted_keys(&items[0]), USER_KEYS);
        assert_eq!(items[0]["dept"]["name"], "测试");
        let roles = items[0]["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 2);
        for role in roles {
            assert_eq!(role["menus"], json!([]));
            assert_eq!(role["scopes"], json!([]));
        }

        let (_, body) = app
            .get_json(&format!("{USERS}?size=2&page=2"), &token)
            .await;
        assert_eq!(body["data"]["total"], 5);
        assert_eq!(body["data"]["total_pages"], 3);
        let names: Vec<&str> = body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alice", "test"]);
        assert_eq!(
            body["data"]["links"]["next"],
            "/api/v1/sys/users?page=3&size=2"
        );

        let (_, body) = app.get_json(&format!("{USERS}?phone=1390"), &token).await;
        assert_eq!(body["data"]["total"], 2);
        let (_, body) = app
            .get_json(&format!("{USERS}?username=o&dept=1&status=1"), &token)
            .await;
        assert_eq!(body["data"]["total"], 2, "{body}");
        let (_, body) = app
            .get_json(&format!("{USERS}?username=&phone=&dept=&status="), &token)
            .await;
        assert_eq!(body["data"]["total"], 5);
        let (_, body) = app.get_json(&format!("{USERS}?dept=2"), &token).await;
        assert_eq!(body["data"]["total"], 0);
        assert_eq!(body["data"]["items"], json!([]));
        let (_, body) = app.get_json(&format!("{USERS}?status=0"), &token).await;
        assert_eq!(body["data"]["total"], 0);

        let (status, body) = app.get_json(&format!("{USERS}?dept=abc"), &token).await;
        assert_422(status, &body, json!(["query", "dept"]));
        let (status, body) = app
            .get_json(&format!("{USERS}?dept=9223372036854775808"), &token)
            .await;
        assert_422(status, &body, json!(["query", "dept"]));
        let (status, body) = app
            .get_json(&format!("{USERS}?username=a%00b"), &token)
            .await;
        assert_422(status, &body, json!(["query", "username"]));
        let (status, body) = app.get_json(&format!("{USERS}?page=0"), &token).await;
        assert_422(status, &body, json!(["query", "page"]));
        let (status, body) = app.call(Method::GET, USERS, None, None).await;
        assert_401(status, &body);
        app.stop().await;
    }

    // --------------------------------------------------------------------------------------
    // POST /
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_create_stores_a_hashed_password_roles_and_history() {
        let app = crate::auth::spawn_no_captcha(&[("PASSWORD_BCRYPT_COST", "4")]).await;
        let admin = app.token_for(1).await;
        let data = create(&app, &admin, &new_user("newbie")).await;
        assert_eq!(sorted_keys(&data), USER_KEYS);
        assert_eq!(data["username"], "newbie");
        assert_eq!(data["nickname"], "newbie");
        assert_eq!(data["email"], Value::Null);
        assert_eq!(data["phone"], "13812345678");
        assert_eq!(data["status"], 1);
        assert_eq!(data["is_superuser"], false);
        assert_eq!(data["is_staff"], false);
        assert_eq!(data["is_multi_login"], false);
        assert_eq!(data["last_login_time"], Value::Null);
        assert_eq!(data["dept"]["name"], "测试");
        assert_eq!(data["roles"][0]["name"], "测试");
        assert_eq!(data["roles"][0]["menus"].as_array().unwrap().len(), 4);
        let id = data["id"].as_i64().unwrap();
        let row = user_row(&app, id).await.unwrap();
        let hash = row.password.clone().unwrap();
        assert!(hash.starts_with("$2b$04$"), "{hash}");
        assert_eq!(row.salt.as_deref(), Some(&hash.as_bytes()[..29]));
        assert!(row.last_password_changed_time.is_some());
        assert_eq!(user_role_ids(&app, id).await, [1]);
        assert_eq!(history_count(&app, id).await, 1);
        // The new account signs in with its password.
        let resp = crate::auth::post_login(
            &app,
            &json!({"username": "newbie", "password": "Secret123"}),
        )
        .await;
        let (status, body) = json(resp).await;
        assert_eq!(status, 200, "{body}");

        // A nickname and an e-mail are kept; no roles is allowed.
        let mut body = new_user("second");
        body["nickname"] = json!("第二");
        body["email"] = json!("Second@Example.COM");
        body["roles"] = json!([]);
        body["phone"] = Value::Null;
        let data = create(&app, &admin, &body).await;
        assert_eq!(data["nickname"], "第二");
        assert_eq!(data["email"], "Second@example.com");
        assert_eq!(data["phone"], Value::Null);
        assert_eq!(data["roles"], json!([]));
        app.stop().await;
    }

    #[tokio::test]
    async fn user_create_in_snowflake_mode_uses_app_assigned_ids() {
        let app = TestApp::spawn_with(&[
            ("DATABASE_PK_MODE", "snowflake"),
            ("PASSWORD_BCRYPT_COST", "4"),
        ])
        .await;
        let admin = app.token_for(1).await;
        let data = create(&app, &admin, &new_user("flake")).await;
        let id = data["id"].as_i64().unwrap();
        assert!(id > 1 << 40, "{id}");
        assert_eq!(user_role_ids(&app, id).await, [1]);
        let history = sys_user_password_history::Entity::find()
            .filter(sys_user_password_history::Column::UserId.eq(id))
            .one(&app.app_state.db)
            .await
            .unwrap()
            .unwrap();
        assert!(history.id > 1 << 40, "{}", history.id);
        let (status, body) = app.get_json(&format!("{USERS}/{id}"), &admin).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["username"], "flake");
        app.stop().await;
    }

    #[tokio::test]
    async fn user_create_refusals_are_fba_errors() {
        let app = TestApp::spawn_with(&[("PASSWORD_BCRYPT_COST", "4")]).await;
        let admin = app.token_for(1).await;
        let (status, body) = app.post_json(USERS, &admin, &new_user("test")).await;
        assert_error(status, &body, 409, "用户名已注册");
        let mut b = new_user("u1");
        b["password"] = json!("");
        let (status, body) = app.post_json(USERS, &admin, &b).await;
        assert_error(status, &body, 400, "密码不允许为空");
        let mut b = new_user("u1");
        b["dept_id"] = json!(999);
        let (status, body) = app.post_json(USERS, &admin, &b).await;
        assert_error(status, &body, 404, "部门不存在");
        let mut b = new_user("u1");
        b["roles"] = json!([1, 999]);
        let (status, body) = app.post_json(USERS, &admin, &b).await;
        assert_error(status, &body, 404, "角色不存在");
        let mut b = new_user("u1");
        b["email"] = json!("test@example.com");
        let (status, body) = app.post_json(USERS, &admin, &b).await;
        assert_error(status, &body, 409, "邮箱已被绑定");

        for (field, value, loc) in [
            ("phone", json!("12345678901"), json!(["body", "phone"])),
            ("phone", json!("1381234567x"), json!(["body", "phone"])),
            (
                "username",
                json!("u".repeat(65)),
                json!(["body", "username"]),
            ),
            ("username", json!("a\u{0}b"), json!(["body", "username"])),
            (
                "nickname",
                json!("n".repeat(65)),
                json!(["body", "nickname"]),
            ),
            ("email", json!("not-an-email"), json!(["body", "email"])),
            (
                "password",
                json!("p".repeat(73)),
                json!(["body", "password"]),
            ),
            (
                "dept_id",
                json!(9_223_372_036_854_775_808u64),
                json!(["body", "dept_id"]),
            ),
            ("dept_id", json!("x"), json!(["body", "dept_id"])),
            (
                "roles",
                json!([1, 9_223_372_036_854_775_808u64]),
                json!(["body", "roles", 1]),
            ),
            ("roles", json!(1), json!(["body", "roles"])),
        ] {
            let mut b = new_user("u1");
            b[field] = value;
            let (status, body) = app.post_json(USERS, &admin, &b).await;
            assert_422(status, &body, loc);
        }
        let (status, body) = app
            .post_json(USERS, &admin, &json!({"username": "u1"}))
            .await;
        assert_422(status, &body, json!(["body", "password"]));
        // Nothing was stored by the refusals.
        let count = sys_user::Entity::find()
            .count(&app.app_state.db)
            .await
            .unwrap();
        assert_eq!(count, 2);

        let user2 = app.token_for(2).await;
        let (status, body) = app.post_json(USERS, &user2, &new_user("u1")).await;
        assert_error(status, &body, 403, "Permission Denied");
        let (status, body) = app
            .call(Method::POST, USERS, None, Some(&new_user("u1")))
            .await;
        assert_401(status, &body);
        app.stop().await;
    }

    // --------------------------------------------------------------------------------------
    // PUT /{pk}
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_update_replaces_roles_and_reaches_the_users_next_request() {
        let app = TestApp::spawn().await;
        let admin = app.token_for(1).await;
        let role2 = second_role(&app, &admin).await;
        let user2 = app.token_for(2).await;
        // Warm user 2's cache.
        let (_, me) = app.get_json("/api/v1/sys/users/me", &user2).await;
        assert_eq!(me["data"]["roles"], json!(["测试"]));

        let body = json!({
            "username": "test2", "nickname": "新昵称", "avatar": "https://example.com/a.png",
            "email": "t2@example.com", "phone": "13700000000", "dept_id": 1,
            "roles": [role2, 1, role2]
        });
        let (status, resp) = app.put_json(&format!("{USERS}/2"), &admin, &body).await;
        assert_ok_empty(status, &resp);
        let row = user_row(&app, 2).await.unwrap();
        assert_eq!(row.username, "test2");
        assert_eq!(row.nickname, "新昵称");
        assert_eq!(row.avatar.as_deref(), Some("https://example.com/a.png"));
        assert_eq!(row.email.as_deref(), Some("t2@example.com"));
        assert_eq!(row.phone.as_deref(), Some("13700000000"));
        assert!(row.updated_time.is_some());
        let mut expected = vec![1, role2];
        expected.sort_unstable();
        assert_eq!(user_role_ids(&app, 2).await, expected);
        // The cached user was dropped: user 2 sees the change at once.
        let (_, me) = app.get_json("/api/v1/sys/users/me", &user2).await;
        assert_eq!(me["data"]["nickname"], "新昵称");
        assert_eq!(me["data"]["roles"].as_array().unwrap().len(), 2);

        // Absent optional fields stay, null clears, "" e-mail clears; an empty role list.
        let body =
            json!({"username": "test2", "nickname": "n", "email": "", "phone": null, "roles": []});
        let (status, resp) = app.put_json(&format!("{USERS}/2"), &admin, &body).await;
        assert_ok_empty(status, &resp);
        let row = user_row(&app, 2).await.unwrap();
        assert_eq!(row.avatar.as_deref(), Some("https://example.com/a.png"));
        assert_eq!(row.dept_id, Some(1));
        assert_eq!(row.email, None);
        assert_eq!(row.phone, None);
        assert!(user_role_ids(&app, 2).await.is_empty());
        app.stop().await;
    }

    #[tokio::test]
    async fn user_update_refusals_are_fba_errors() {
        let app = TestApp::spawn().await;
        let admin = app.token_for(1).await;
        let base = json!({"username": "test", "nickname": "n", "roles": [1]});
        let (status, body) = app
            .put_json(&format!("{USERS}/999999"), &admin, &base)
            .await;
        assert_error(status, &body, 404, "用户不存在");
        let mut b = base.clone();
        b["username"] = json!("admin");
        let (status, body) = app.put_json(&format!("{USERS}/2"), &admin, &b).await;
        assert_error(status, &body, 409, "用户名已注册");
        let mut b = base.clone();
        b["email"] = json!("admin@example.com");
        let (status, body) = app.put_json(&format!("{USERS}/2"), &admin, &b).await;
        assert_error(status, &body, 409, "邮箱已被绑定");
        let mut b = base.clone();
        b["dept_id"] = json!(42);
        let (status, body) = app.put_json(&format!("{USERS}/2"), &admin, &b).await;
        assert_error(status, &body, 404, "部门不存在");
        let mut b = base.clone();
        b["roles"] = json!([77]);
        let (status, body) = app.put_json(&format!("{USERS}/2"), &admin, &b).await;
        assert_error(status, &body, 404, "角色不存在");
        // Keeping one's own e-mail is no conflict.
        let mut b = base.clone();
        b["email"] = json!("test@example.com");
        let (status, body) = app.put_json(&format!("{USERS}/2"), &admin, &b).await;
        assert_ok_empty(status, &body);

        for (field, value, loc) in [
            ("phone", json!("99999999999"), json!(["body", "phone"])),
            ("avatar", json!("ftp://x/y.png"), json!(["body", "avatar"])),
            (
                "username",
                json!("u".repeat(65)),
                json!(["body", "username"]),
            ),
            ("nickname", json!("a\u{0}"), json!(["body", "nickname"])),
            (
                "dept_id",
                json!("-9223372036854775809"),
                json!(["body", "dept_id"]),
            ),
            ("roles", json!(["x"]), json!(["body", "roles", 0])),
        ] {
            let mut b = base.clone();
            b[field] = value;
            let (status, body) = app.put_json(&format!("{USERS}/2"), &admin, &b).await;
            assert_422(status, &body, loc);
        }
        let (status, body) = app
            .put_json(&format!("{USERS}/2"), &admin, &json!({"username": "t"}))
            .await;
        assert_422(status, &body, json!(["body", "nickname"]));
        let (status, body) = app
            .put_json(&format!("{USERS}/99999999999999999999"), &admin, &base)
            .await;
        assert_422(status, &body, json!(["path", "pk"]));
        assert_eq!(user_row(&app, 2).await.unwrap().username, "test");

        let user2 = app.token_for(2).await;
        let (status, body) = app.put_json(&format!("{USERS}/2"), &user2, &base).await;
        assert_error(status, &body, 403, "Permission Denied");
        let (status, body) = app
            .call(Method::PUT, &format!("{USERS}/2"), None, Some(&base))
            .await;
        assert_401(status, &body);
        app.stop().await;
    }

    // --------------------------------------------------------------------------------------
    // PUT /{pk}/permissions
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_permission_toggles_flip_flags_and_refuse_self() {
        let app = TestApp::spawn().await;
        let admin = app.token_for(1).await;
        let path = |t: &str| format!("{USERS}/2/permissions?type={t}");
        for (kind, check) in [
            (
                "superuser",
                (|u: &sys_user::Model| u.is_superuser) as fn(&sys_user::Model) -> bool,
            ),
            ("staff", |u| u.is_staff),
            ("multi_login", |u| u.is_multi_login),
        ] {
            let (status, body) = put_empty(&app, &path(kind), &admin).await;
            assert_ok_empty(status, &body);
            assert!(check(&user_row(&app, 2).await.unwrap()), "{kind} on");
            let (status, body) = put_empty(&app, &path(kind), &admin).await;
            assert_ok_empty(status, &body);
            assert!(!check(&user_row(&app, 2).await.unwrap()), "{kind} off");
        }
        for kind in ["superuser", "staff", "status"] {
            let (status, body) =
                put_empty(&app, &format!("{USERS}/1/permissions?type={kind}"), &admin).await;
            assert_error(status, &body, 403, "禁止修改自身权限");
        }
        let (status, body) = put_empty(&app, &path("owner"), &admin).await;
        assert_error(status, &body, 400, "权限类型不存在");
        let (status, body) = put_empty(&app, &format!("{USERS}/2/permissions"), &admin).await;
        assert_422(status, &body, json!(["query", "type"]));
        let (status, body) = put_empty(
            &app,
            &format!("{USERS}/999999/permissions?type=staff"),
            &admin,
        )
        .await;
        assert_error(status, &body, 404, "用户不存在");
        let (status, body) =
            put_empty(&app, &format!("{USERS}/1e3/permissions?type=staff"), &admin).await;
        assert_422(status, &body, json!(["path", "pk"]));

        let user2 = app.token_for(2).await;
        let (status, body) = put_empty(&app, &path("staff"), &user2).await;
        assert_error(status, &body, 403, "Permission Denied");
        let (status, body) = app.call(Method::PUT, &path("staff"), None, None).await;
        assert_401(status, &body);
        app.stop().await;
    }

    #[tokio::test]
    async fn user_disabled_by_status_loses_its_sessions_and_new_tokens_are_403() {
        let app = TestApp::spawn().await;
        let admin = app.token_for(1).await;
        let user2 = app.token_for(2).await;
        let (status, _) = app.get_json("/api/v1/sys/users/me", &user2).await;
        assert_eq!(status, 200);
        let (status, body) =
            put_empty(&app, &format!("{USERS}/2/permissions?type=status"), &admin).await;
        assert_ok_empty(status, &body);
        assert_eq!(user_row(&app, 2).await.unwrap().status, 0);
        // The live session was ended.
        let (status, body) = app.get_json("/api/v1/sys/users/me", &user2).await;
        assert_error(status, &body, 401, "Token 已过期");
        // A token issued anyway meets the locked account.
        let fresh = app.token_for(2).await;
        let (status, body) = app.get_json("/api/v1/sys/users/me", &fresh).await;
        assert_error(status, &body, 403, LOCKED);
        // Enabled again: usable.
        let (status, body) =
            put_empty(&app, &format!("{USERS}/2/permissions?type=status"), &admin).await;
        assert_ok_empty(status, &body);
        let fresh = app.token_for(2).await;
        let (status, _) = app.get_json("/api/v1/sys/users/me", &fresh).await;
        assert_eq!(status, 200);
        app.stop().await;
    }

    #[tokio::test]
    async fn user_multi_login_off_ends_other_sessions() {
        let app = TestApp::spawn().await;
        let admin = app.token_for(1).await;
        let admin_other = app.token_for(1).await;
        // User 2 is not multi-login: switch it on, take two sessions, switch it off.
        let path2 = format!("{USERS}/2/permissions?type=multi_login");
        let (status, body) = put_empty(&app, &path2, &admin).await;
        assert_ok_empty(status, &body);
        let a = app.token_for(2).await;
        let b = app.token_for(2).await;
        let (status, body) = put_empty(&app, &path2, &admin).await;
        assert_ok_empty(status, &body);
        for t in [&a, &b] {
            let (status, _) = app.get_json("/api/v1/sys/users/me", t).await;
            assert_eq!(status, 401);
        }
        // Admin switches its own multi-login off: its current session stays, the other goes.
        let (status, body) = put_empty(
            &app,
            &format!("{USERS}/1/permissions?type=multi_login"),
            &admin,
        )
        .await;
        assert_ok_empty(status, &body);
        assert!(!user_row(&app, 1).await.unwrap().is_multi_login);
        let (status, _) = app.get_json("/api/v1/sys/users/me", &admin).await;
        assert_eq!(status, 200);
        let (status, body) = app.get_json("/api/v1/sys/users/me", &admin_other).await;
        assert_error(status, &body, 401, "Token 已过期");
        app.stop().await;
    }

    // --------------------------------------------------------------------------------------
    // PUT /{pk}/password
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_password_reset_applies_the_policy_and_ends_sessions() {
        let app = crate::auth::spawn_no_captcha(&[("PASSWORD_BCRYPT_COST", "4")]).await;
        let admin = app.token_for(1).await;
        let user2 = app.token_for(2).await;
        let path = format!("{USERS}/2/password");
        let old_hash = user_row(&app, 2).await.unwrap().password;
        let (status, body) = app
            .put_json(&path, &admin, &json!({"password": "abc"}))
            .await;
        assert_error(status, &body, 400, "密码长度不能少于 6 个字符");
        let (status, body) = app
            .put_json(&path, &admin, &json!({"password": "abcdefgh"}))
            .await;
        assert_error(status, &body, 400, "密码必须包含数字");

        let (status, body) = app
            .put_json(&path, &admin, &json!({"password": "NewPass123"}))
            .await;
        assert_ok_empty(status, &body);
        let row = user_row(&app, 2).await.unwrap();
        assert_ne!(row.password, old_hash);
        assert_eq!(history_count(&app, 2).await, 1);
        // Every session of user 2 ended; the new password signs in.
        let (status, _) = app.get_json("/api/v1/sys/users/me", &user2).await;
        assert_eq!(status, 401);
        let resp =
            crate::auth::post_login(&app, &json!({"username": "test", "password": "NewPass123"}))
                .await;
        assert_eq!(resp.status().as_u16(), 200);
        // The same password again is refused by the history check.
        let (status, body) = app
            .put_json(&path, &admin, &json!({"password": "NewPass123"}))
            .await;
        assert_error(status, &body, 400, "新密码不能与最近 3 次使用的密码相同");

        let (status, body) = app
            .put_json(
                &format!("{USERS}/999999/password"),
                &admin,
                &json!({"password": "NewPass123"}),
            )
            .await;
        assert_error(status, &body, 404, "用户不存在");
        let (status, body) = app
            .put_json(&path, &admin, &json!({"password": "a1\u{0}bcdef"}))
            .await;
        assert_422(status, &body, json!(["body", "password"]));
        let (status, body) = app.put_json(&path, &admin, &json!({"pwd": "x"})).await;
        assert_422(status, &body, json!(["body", "password"]));
        let user2 = app.token_for(2).await;
        let (status, body) = app
            .put_json(&path, &user2, &json!({"password": "NewPass456"}))
            .await;
        assert_error(status, &body, 403, "Permission Denied");
        let (status, body) = app
            .call(
                Method::PUT,
                &path,
                None,
                Some(&json!({"password": "NewPass456"})),
            )
            .await;
        assert_401(status, &body);
        app.stop().await;
    }

    // --------------------------------------------------------------------------------------
    // DELETE /{pk}
    // --------------------------------------------------------------------------------------

    #[tokio::test]
    async fn user_delete_needs_the_permission_and_removes_user_links_and_sessions() {
        let app = TestApp::spawn_with(&[("PASSWORD_BCRYPT_COST", "4")]).await;
        let admin = app.token_for(1).await;
        let id = create(&app, &admin, &new_user("doomed")).await["id"]
            .as_i64()
            .unwrap();
        let doomed = app.token_for(id).await;
        let (status, _) = app.get_json("/api/v1/sys/users/me", &doomed).await;
        assert_eq!(status, 200);

        // User 2 is not staff, then staff without `sys:user:del`.
        let user2 = app.token_for(2).await;
        let (status, body) = app
            .delete_json(&format!("{USERS}/{id}"), &user2, None)
            .await;
        assert_error(
            status,
            &body,
            403,
            "用户已被禁止后台管理操作，请联系系统管理员",
        );
        let (status, body) =
            put_empty(&app, &format!("{USERS}/2/permissions?type=staff"), &admin).await;
        assert_ok_empty(status, &body);
        let (status, body) = app
            .delete_json(&format!("{USERS}/{id}"), &user2, None)
            .await;
        assert_error(status, &body, 403, "Permission Denied");
        let (status, body) = app
            .call(Method::DELETE, &format!("{USERS}/{id}"), None, None)
            .await;
        assert_401(status, &body);

        let (status, body) = app
            .delete_json(&format!("{USERS}/{id}"), &admin, None)
            .await;
        assert_ok_empty(status, &body);
        assert!(user_row(&app, id).await.is_none());
        assert!(user_role_ids(&app, id).await.is_empty());
        assert_eq!(history_count(&app, id).await, 0);
        // Its session is gone; a token minted for the id finds no user.
        let (status, _) = app.get_json("/api/v1/sys/users/me", &doomed).await;
        assert_eq!(status, 401);
        let orphan = app.token_for(id).await;
        let (status, body) = app.get_json("/api/v1/sys/users/me", &orphan).await;
        assert_error(status, &body, 401, "Token 无效");

        let (status, body) = app
            .delete_json(&format!("{USERS}/{id}"), &admin, None)
            .await;
        assert_error(status, &body, 404, "用户不存在");
        let (status, body) = app
            .delete_json(&format!("{USERS}/-9223372036854775809"), &admin, None)
            .await;
        assert_422(status, &body, json!(["path", "pk"]));
        app.stop().await;
    }
}
