//! Departments (`/api/v1/sys/depts`), data rules (`/api/v1/sys/data-rules`), data scopes
//! (`/api/v1/sys/data-scopes`) and the row-level data permission through the real app: every
//! route's success, 422, 404, 403 and 401; that data rules change which departments a
//! restricted user sees (AND and OR groups, templates, superuser, unfiltered roles, no rules);
//! that rule values are data, never SQL; and that changes reach user 2 on the next request.

use fba_admin::model::{
    sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_dept, sys_role, sys_role_data_scope,
};
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail, flatten,
    is_fba_datetime, make_staff,
};

const DEPTS: &str = "/api/v1/sys/depts";
const RULES: &str = "/api/v1/sys/data-rules";
const SCOPES: &str = "/api/v1/sys/data-scopes";

const NOT_STAFF: &str = "用户已被禁止后台管理操作，请联系系统管理员";

/// The tree as `name[child, child[...]]` text, for compact assertions.
fn shape(nodes: &Value) -> String {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let name = n["name"].as_str().unwrap().to_owned();
            match n["children"].as_array() {
                Some(children) => {
                    assert!(!children.is_empty(), "an empty children list: {n}");
                    format!("{name}[{}]", shape(&n["children"]))
                }
                None => {
                    assert!(
                        n["children"].is_null(),
                        "a leaf without children: null: {n}"
                    );
                    name
                }
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn dept_body(name: &str, parent_id: Value, sort: i64) -> Value {
    json!({
        "name": name, "parent_id": parent_id, "sort": sort, "leader": null,
        "phone": null, "email": null, "status": 1, "created_time": "ignored"
    })
}

async fn dept_id(app: &TestApp, name: &str) -> i64 {
    sys_dept::Entity::find()
        .filter(sys_dept::Column::Name.eq(name))
        .filter(sys_dept::Column::DelFlag.eq(false))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("dept {name}"))
        .id
}

async fn create_dept(app: &TestApp, admin: &str, name: &str, parent: Value, sort: i64) -> i64 {
    let (status, body) = app
        .post_json(DEPTS, admin, &dept_body(name, parent, sort))
        .await;
    assert_ok_empty(status, &body);
    dept_id(app, name).await
}

fn rule_body(name: &str, model: &str, column: &str, op: i64, expr: i64, value: &str) -> Value {
    json!({
        "name": name, "model": model, "column": column,
        "operator": op, "expression": expr, "value": value
    })
}

async fn rule_id(app: &TestApp, name: &str) -> i64 {
    sys_data_rule::Entity::find()
        .filter(sys_data_rule::Column::Name.eq(name))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("rule {name}"))
        .id
}

async fn create_rule(app: &TestApp, admin: &str, body: &Value) -> i64 {
    let (status, resp) = app.post_json(RULES, admin, body).await;
    assert_ok_empty(status, &resp);
    rule_id(app, body["name"].as_str().unwrap()).await
}

async fn scope_id(app: &TestApp, name: &str) -> i64 {
    sys_data_scope::Entity::find()
        .filter(sys_data_scope::Column::Name.eq(name))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("scope {name}"))
        .id
}

async fn create_scope(app: &TestApp, admin: &str, name: &str) -> i64 {
    let (status, body) = app
        .post_json(SCOPES, admin, &json!({"name": name, "status": 1}))
        .await;
    assert_ok_empty(status, &body);
    scope_id(app, name).await
}

/// Gives role 1 (user 2's role) exactly the data scopes `scopes` and drops user 2's cache.
async fn set_role_scopes(app: &TestApp, scopes: &[i64]) {
    let db = &app.app_state.db;
    sys_role_data_scope::Entity::delete_many()
        .filter(sys_role_data_scope::Column::RoleId.eq(1))
        .exec(db)
        .await
        .unwrap();
    for &s in scopes {
        sys_role_data_scope::ActiveModel {
            role_id: Set(1),
            data_scope_id: Set(s),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    fba_common::security::invalidate_user(&app.app_state, 2)
        .await
        .unwrap();
}

async fn set_scope_rules(app: &TestApp, admin: &str, scope: i64, rules: &[i64]) {
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{scope}/rules"),
            admin,
            &json!({ "rules": rules }),
        )
        .await;
    if rules.is_empty() {
        assert_soft_fail(status, &body);
    } else {
        assert_ok_empty(status, &body);
    }
}

async fn tree_shape(app: &TestApp, token: &str) -> String {
    let (status, body) = app.get_json(DEPTS, token).await;
    assert_eq!(status, 200, "{body}");
    shape(&body["data"])
}

async fn link_count<E>(app: &TestApp, filter: sea_orm::Condition) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find()
        .filter(filter)
        .count(&app.app_state.db)
        .await
        .unwrap()
}

// ------------------------------------------------------------------------------------------
// Departments
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn dept_tree_nests_sorts_and_filters() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let a = create_dept(&app, &admin, "A", json!(1), 2).await;
    let (status, body) = app
        .post_json(
            DEPTS,
            &admin,
            &json!({"name": "B", "parent_id": 1, "leader": "Alice Smith", "phone": "13800000001",
                "email": "B@Example.COM", "status": 0}),
        )
        .await;
    assert_ok_empty(status, &body);
    let c = create_dept(&app, &admin, "C", json!(a), 0).await;
    create_dept(&app, &admin, "Gone", json!(c), 0).await;
    let (status, body) = app
        .delete_json(
            &format!("{DEPTS}/{}", dept_id(&app, "Gone").await),
            &admin,
            None,
        )
        .await;
    assert_ok_empty(status, &body);

    let (status, body) = app.get_json(DEPTS, &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(shape(&body["data"]), "测试[B, A[C]]");
    let b = flatten(&body["data"])
        .into_iter()
        .find(|n| n["name"] == "B")
        .unwrap()
        .clone();
    let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "children",
            "created_time",
            "del_flag",
            "email",
            "id",
            "leader",
            "name",
            "parent_id",
            "phone",
            "sort",
            "status",
            "updated_time"
        ]
    );
    assert_eq!(
        (
            &b["parent_id"],
            &b["sort"],
            &b["leader"],
            &b["email"],
            &b["status"],
            &b["del_flag"]
        ),
        (
            &json!(1),
            &json!(0),
            &json!("Alice Smith"),
            &json!("B@example.com"),
            &json!(0),
            &json!(false)
        )
    );
    assert!(is_fba_datetime(&b["created_time"]));
    assert!(b["updated_time"].is_null());

    // Filters; a match whose parent is filtered out becomes a root; "" is no filter.
    for (query, expected) in [
        ("?name=C", "C"),
        ("?name=", "测试[B, A[C]]"),
        ("?leader=Smith", "B"),
        ("?phone=138", "B"),
        ("?phone=00000001", ""),
        ("?status=0", "B"),
        ("?status=1", "测试[A[C]]"),
        ("?name=Gone", ""),
    ] {
        let (status, body) = app.get_json(&format!("{DEPTS}{query}"), &admin).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(shape(&body["data"]), expected, "{query}");
    }
    let (status, body) = app.get_json(&format!("{DEPTS}?status=x"), &admin).await;
    assert_422(status, &body, json!(["query", "status"]));
    let (status, body) = app.get_json(&format!("{DEPTS}?name=a%00b"), &admin).await;
    assert_422(status, &body, json!(["query", "name"]));
    app.stop().await;
}

#[tokio::test]
async fn dept_get_create_update_and_their_errors() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.get_json(&format!("{DEPTS}/1"), &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "测试");
    assert!(body["data"].get("children").is_none());
    let (status, body) = app.get_json(&format!("{DEPTS}/999"), &admin).await;
    assert_error(status, &body, 404, "部门不存在");
    let (status, body) = app.get_json(&format!("{DEPTS}/abc"), &admin).await;
    assert_422(status, &body, json!(["path", "pk"]));
    let (status, body) = app
        .get_json(&format!("{DEPTS}/9223372036854775808"), &admin)
        .await;
    assert_422(status, &body, json!(["path", "pk"]));

    // Create: conflicts, missing parent, bad fields.
    let (status, body) = app
        .post_json(DEPTS, &admin, &dept_body("测试", json!(null), 0))
        .await;
    assert_error(status, &body, 409, "部门名称已存在");
    let (status, body) = app
        .post_json(DEPTS, &admin, &dept_body("X", json!(999), 0))
        .await;
    assert_error(status, &body, 404, "父级部门不存在");
    for (field, bad) in [
        ("name", json!("x".repeat(65))),
        ("name", json!("a\u{0}b")),
        ("status", json!(2)),
        ("sort", json!(-1)),
        ("phone", json!("12345")),
        ("email", json!("not-an-email")),
        ("leader", json!("x".repeat(33))),
        ("parent_id", json!("9223372036854775808")),
    ] {
        let mut b = dept_body("X", json!(null), 0);
        b[field] = bad;
        let (status, body) = app.post_json(DEPTS, &admin, &b).await;
        assert_422(status, &body, json!(["body", field]));
    }
    let (status, body) = app.post_json(DEPTS, &admin, &json!({"status": 1})).await;
    assert_422(status, &body, json!(["body", "name"]));
    assert_eq!(
        sys_dept::Entity::find()
            .count(&app.app_state.db)
            .await
            .unwrap(),
        1,
        "nothing stored by refused writes"
    );

    let x = create_dept(&app, &admin, "X", json!(1), 0).await;
    let y = create_dept(&app, &admin, "Y", json!(x), 0).await;

    // Update: success, then each refusal.
    let mut b = dept_body("X2", json!(1), 5);
    b["leader"] = json!("Bob");
    let (status, body) = app.put_json(&format!("{DEPTS}/{x}"), &admin, &b).await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&format!("{DEPTS}/{x}"), &admin).await;
    assert_eq!(
        (
            &body["data"]["name"],
            &body["data"]["sort"],
            &body["data"]["leader"]
        ),
        (&json!("X2"), &json!(5), &json!("Bob"))
    );
    assert!(is_fba_datetime(&body["data"]["updated_time"]));
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/999"),
            &admin,
            &dept_body("Q", json!(null), 0),
        )
        .await;
    assert_error(status, &body, 404, "部门不存在");
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{x}"),
            &admin,
            &dept_body("测试", json!(1), 0),
        )
        .await;
    assert_error(status, &body, 409, "部门名称已存在");
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{x}"),
            &admin,
            &dept_body("X2", json!(999), 0),
        )
        .await;
    assert_error(status, &body, 404, "父级部门不存在");
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{x}"),
            &admin,
            &dept_body("X2", json!(x), 0),
        )
        .await;
    assert_error(status, &body, 403, "禁止关联自身为父级");
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{x}"),
            &admin,
            &dept_body("X2", json!(y), 0),
        )
        .await;
    assert_error(status, &body, 403, "禁止关联自身为父级");
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{x}"),
            &admin,
            &json!({"name": "X2", "status": 9}),
        )
        .await;
    assert_422(status, &body, json!(["body", "status"]));
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/abc"),
            &admin,
            &dept_body("X2", json!(null), 0),
        )
        .await;
    assert_422(status, &body, json!(["path", "pk"]));
    // Keeping its own name is no conflict; no parent makes it a root.
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{x}"),
            &admin,
            &dept_body("X2", json!(null), 0),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &admin).await, "测试, X2[Y]");
    app.stop().await;
}

#[tokio::test]
async fn dept_delete_is_logical_and_refused_with_users_or_children() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let x = create_dept(&app, &admin, "X", json!(1), 0).await;
    let y = create_dept(&app, &admin, "Y", json!(x), 0).await;
    let (status, body) = app.delete_json(&format!("{DEPTS}/1"), &admin, None).await;
    assert_error(status, &body, 409, "部门下存在用户，无法删除");
    let (status, body) = app.delete_json(&format!("{DEPTS}/{x}"), &admin, None).await;
    assert_error(status, &body, 409, "部门下存在子部门，无法删除");
    let (status, body) = app.delete_json(&format!("{DEPTS}/999"), &admin, None).await;
    assert_error(status, &body, 404, "部门不存在");
    let (status, body) = app.delete_json(&format!("{DEPTS}/x"), &admin, None).await;
    assert_422(status, &body, json!(["path", "pk"]));

    let (status, body) = app.delete_json(&format!("{DEPTS}/{y}"), &admin, None).await;
    assert_ok_empty(status, &body);
    let row = sys_dept::Entity::find_by_id(y)
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.del_flag, "the row stays, flagged");
    assert!(row.updated_time.is_some());
    let (status, body) = app.get_json(&format!("{DEPTS}/{y}"), &admin).await;
    assert_error(status, &body, 404, "部门不存在");
    let (status, body) = app.delete_json(&format!("{DEPTS}/{y}"), &admin, None).await;
    assert_error(status, &body, 404, "部门不存在");
    let (status, body) = app
        .put_json(
            &format!("{DEPTS}/{y}"),
            &admin,
            &dept_body("Y", json!(x), 0),
        )
        .await;
    assert_error(status, &body, 404, "部门不存在");
    let (status, body) = app
        .post_json(DEPTS, &admin, &dept_body("Z", json!(y), 0))
        .await;
    assert_error(status, &body, 404, "父级部门不存在");
    // Its name is free again, and X has no children left.
    create_dept(&app, &admin, "Y", json!(null), 0).await;
    let (status, body) = app.delete_json(&format!("{DEPTS}/{x}"), &admin, None).await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &admin).await, "测试, Y");
    app.stop().await;
}

#[tokio::test]
async fn dept_routes_need_a_token_and_writes_need_permission() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let body = dept_body("X", json!(null), 0);
    for (method, path) in [
        (Method::GET, DEPTS.to_owned()),
        (Method::GET, format!("{DEPTS}/1")),
        (Method::POST, DEPTS.to_owned()),
        (Method::PUT, format!("{DEPTS}/1")),
        (Method::DELETE, format!("{DEPTS}/1")),
    ] {
        let (status, resp) = app.call(method.clone(), &path, None, Some(&body)).await;
        assert_401(status, &resp);
        if method != Method::GET {
            let (status, resp) = app.call(method, &path, Some(&user), Some(&body)).await;
            assert_error(status, &resp, 403, NOT_STAFF);
        }
    }
    // Staff without the button code: Permission Denied.
    make_staff(&app, 2).await;
    let (status, resp) = app.post_json(DEPTS, &user, &body).await;
    assert_error(status, &resp, 403, "Permission Denied");
    let (status, resp) = app
        .put_json(
            &format!("{RULES}/1"),
            &user,
            &rule_body("r", "Dept", "name", 0, 0, "x"),
        )
        .await;
    assert_error(status, &resp, 403, "Permission Denied");
    let (status, resp) = app
        .delete_json(SCOPES, &user, Some(&json!({"pks": [1]})))
        .await;
    assert_error(status, &resp, 403, "Permission Denied");
    // Reads are open to every authenticated user.
    let (status, _) = app.get_json(&format!("{DEPTS}/1"), &user).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn dept_update_drops_the_cached_users_of_the_dept() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let user = app.token_for(2).await;
    let (status, _) = app.get_json(DEPTS, &user).await;
    assert_eq!(status, 200);
    let key = fba_common::security::user_cache_key(&app.app_state, 2);
    assert!(app.app_state.kv.get(&key).await.unwrap().is_some());

    let mut b = dept_body("测试", json!(null), 0);
    b["status"] = json!(0);
    let (status, body) = app.put_json(&format!("{DEPTS}/1"), &admin, &b).await;
    assert_ok_empty(status, &body);
    assert!(app.app_state.kv.get(&key).await.unwrap().is_none());
    let (status, body) = app.get_json(DEPTS, &user).await;
    assert_error(status, &body, 403, "用户所属部门已被锁定，请联系系统管理员");
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Data rules
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn data_rule_models_columns_and_templates() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = app.get_json(&format!("{RULES}/models"), &user).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!([
            "__ALL__",
            "Dept",
            "LoginLog",
            "Menu",
            "OperaLog",
            "Role",
            "User",
            "UserPasswordHistory",
            "sys_role_menu",
            "sys_user_role",
            // The task system's models, then the plugins' (dict, config, notice), through the
            // module seam.
            "TaskExtended",
            "TaskScheduler",
            "DictType",
            "DictData",
            "Config",
            "Notice"
        ])
    );
    let (status, body) = app
        .get_json(&format!("{RULES}/models/Dept/columns"), &user)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!([
            {"key": "name", "comment": "部门名称"},
            {"key": "leader", "comment": "负责人"},
            {"key": "phone", "comment": "手机"},
            {"key": "email", "comment": "邮箱"},
            {"key": "status", "comment": "部门状态(0停用 1正常)"},
            {"key": "parent_id", "comment": "父部门ID"},
            {"key": "__dept_id__", "comment": "部门 ID"},
            {"key": "__created_by__", "comment": "创建者"}
        ])
    );
    let (status, body) = app
        .get_json(&format!("{RULES}/models/User/columns"), &user)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0], json!({"key": "uuid", "comment": null}));
    let (status, body) = app
        .get_json(&format!("{RULES}/models/sys_user_role/columns"), &user)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"][0],
        json!({"key": "user_id", "comment": "用户ID"})
    );
    let (status, body) = app
        .get_json(&format!("{RULES}/models/__ALL__/columns"), &user)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!([{"key": "__dept_id__", "comment": "部门 ID"}, {"key": "__created_by__", "comment": "创建者"}])
    );
    let (status, body) = app
        .get_json(&format!("{RULES}/models/Nope/columns"), &user)
        .await;
    assert_error(status, &body, 404, "数据规则可用模型不存在");
    let (status, body) = app
        .get_json(&format!("{RULES}/value-template-variables"), &user)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!([
            {"key": "${user_id}", "comment": "当前登录用户 ID"},
            {"key": "${dept_id}", "comment": "当前登录用户部门 ID"},
            {"key": "${now}", "comment": "当前时间"}
        ])
    );
    for path in [
        "/models",
        "/models/Dept/columns",
        "/value-template-variables",
        "/all",
        "/1",
        "",
    ] {
        let (status, body) = app
            .call(Method::GET, &format!("{RULES}{path}"), None, None)
            .await;
        assert_401(status, &body);
    }
    app.stop().await;
}

#[tokio::test]
async fn data_rule_crud_and_its_errors() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let db = &app.app_state.db;

    let (status, body) = app.get_json(&format!("{RULES}/all"), &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 6);
    let (status, body) = app.get_json(&format!("{RULES}/1"), &admin).await;
    assert_eq!(status, 200, "{body}");
    let rule = &body["data"];
    let mut keys: Vec<&str> = rule
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "column",
            "created_time",
            "expression",
            "id",
            "model",
            "name",
            "operator",
            "updated_time",
            "value"
        ]
    );
    assert_eq!(
        (
            &rule["model"],
            &rule["column"],
            &rule["operator"],
            &rule["expression"],
            &rule["value"]
        ),
        (
            &json!("Dept"),
            &json!("__dept_id__"),
            &json!(0),
            &json!(0),
            &json!("${dept_id}")
        )
    );
    assert!(is_fba_datetime(&rule["created_time"]));
    let (status, body) = app.get_json(&format!("{RULES}/999"), &admin).await;
    assert_error(status, &body, 404, "数据规则不存在");
    let (status, body) = app.get_json(&format!("{RULES}/abc"), &admin).await;
    assert_422(status, &body, json!(["path", "pk"]));

    // Create.
    let body_a = rule_body("规则 A", "Dept", "name", 1, 6, "a, b");
    let a = create_rule(&app, &admin, &body_a).await;
    let (status, body) = app.post_json(RULES, &admin, &body_a).await;
    assert_error(status, &body, 409, "数据规则已存在");
    for (field, bad) in [
        ("operator", json!(2)),
        ("expression", json!(8)),
        ("name", json!("x".repeat(513))),
        ("value", json!("x".repeat(257))),
        ("column", json!("c\u{0}")),
    ] {
        let mut b = rule_body("bad", "Dept", "name", 0, 0, "x");
        b[field] = bad;
        let (status, body) = app.post_json(RULES, &admin, &b).await;
        assert_422(status, &body, json!(["body", field]));
    }
    let (status, body) = app.post_json(RULES, &admin, &json!({"name": "bad"})).await;
    assert_422(status, &body, json!(["body", "model"]));

    // Paginated list with a name filter.
    let (status, body) = app
        .get_json(&format!("{RULES}?page=1&size=2"), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total"], 7);
    assert_eq!(body["data"]["total_pages"], 4);
    assert_eq!(body["data"]["items"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"]["items"][0]["id"], 1);
    assert_eq!(
        body["data"]["links"]["next"],
        format!("{RULES}?page=2&size=2")
    );
    let (status, body) = app
        .get_json(&format!("{RULES}?name=%E8%A7%84%E5%88%99"), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total"], 1);
    assert_eq!(body["data"]["items"][0]["id"], a);
    let (status, body) = app.get_json(&format!("{RULES}?page=0"), &admin).await;
    assert_422(status, &body, json!(["query", "page"]));

    // Update.
    let (status, body) = app
        .put_json(
            &format!("{RULES}/{a}"),
            &admin,
            &rule_body("规则 A2", "User", "username", 0, 1, "x"),
        )
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&format!("{RULES}/{a}"), &admin).await;
    assert_eq!(
        (
            &body["data"]["name"],
            &body["data"]["model"],
            &body["data"]["expression"]
        ),
        (&json!("规则 A2"), &json!("User"), &json!(1))
    );
    assert!(is_fba_datetime(&body["data"]["updated_time"]));
    let (status, body) = app.put_json(&format!("{RULES}/999"), &admin, &body_a).await;
    assert_error(status, &body, 404, "数据规则不存在");
    let (_, seeded) = app.get_json(&format!("{RULES}/1"), &admin).await;
    let taken = seeded["data"]["name"].as_str().unwrap();
    let (status, body) = app
        .put_json(
            &format!("{RULES}/{a}"),
            &admin,
            &rule_body(taken, "Dept", "name", 0, 0, "x"),
        )
        .await;
    assert_error(status, &body, 409, "数据规则已存在");
    let (status, body) = app
        .put_json(
            &format!("{RULES}/{a}"),
            &admin,
            &rule_body("规则 A2", "Dept", "name", 5, 0, "x"),
        )
        .await;
    assert_422(status, &body, json!(["body", "operator"]));

    // Delete: links to scopes go too (seeded scope 2 holds rules 2 and 3).
    let links_of = |ids: Vec<i64>| {
        sea_orm::Condition::all().add(sys_data_scope_rule::Column::DataRuleId.is_in(ids))
    };
    assert_eq!(
        link_count::<sys_data_scope_rule::Entity>(&app, links_of(vec![2, 3])).await,
        2
    );
    let (status, body) = app
        .delete_json(RULES, &admin, Some(&json!({"pks": [2, 3, 999]})))
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(
        link_count::<sys_data_scope_rule::Entity>(&app, links_of(vec![2, 3])).await,
        0
    );
    assert_eq!(sys_data_rule::Entity::find().count(db).await.unwrap(), 5);
    let (status, body) = app
        .delete_json(RULES, &admin, Some(&json!({"pks": [2]})))
        .await;
    assert_soft_fail(status, &body);
    let (status, body) = app
        .delete_json(RULES, &admin, Some(&json!({"pks": []})))
        .await;
    assert_soft_fail(status, &body);
    let (status, body) = app
        .delete_json(RULES, &admin, Some(&json!({"pks": ["x"]})))
        .await;
    assert_422(status, &body, json!(["body", "pks", 0]));
    let (status, body) = app.delete_json(RULES, &admin, Some(&json!({}))).await;
    assert_422(status, &body, json!(["body", "pks"]));
    let (_, body) = app.get_json(&format!("{SCOPES}/2/rules"), &admin).await;
    assert_eq!(body["data"]["rules"], json!([]));

    // Writes need a token and the permission.
    let user = app.token_for(2).await;
    for (method, path, b) in [
        (
            Method::POST,
            RULES.to_owned(),
            rule_body("n", "Dept", "name", 0, 0, "x"),
        ),
        (
            Method::PUT,
            format!("{RULES}/{a}"),
            rule_body("n", "Dept", "name", 0, 0, "x"),
        ),
        (Method::DELETE, RULES.to_owned(), json!({"pks": [a]})),
    ] {
        let (status, resp) = app.call(method.clone(), &path, None, Some(&b)).await;
        assert_401(status, &resp);
        let (status, resp) = app.call(method, &path, Some(&user), Some(&b)).await;
        assert_error(status, &resp, 403, NOT_STAFF);
    }
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Data scopes
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn data_scope_crud_and_its_errors() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let (status, body) = app.get_json(&format!("{SCOPES}/all"), &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    let (status, body) = app.get_json(&format!("{SCOPES}/2"), &admin).await;
    assert_eq!(status, 200, "{body}");
    let mut keys: Vec<&str> = body["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["created_time", "id", "name", "status", "updated_time"]
    );
    assert_eq!(body["data"]["name"], "测试部门及以下数据权限");
    let (status, body) = app.get_json(&format!("{SCOPES}/2/rules"), &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["id"], 2);
    let rule_ids: Vec<i64> = body["data"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(rule_ids, [2, 3]);
    assert!(is_fba_datetime(&body["data"]["rules"][0]["created_time"]));
    for path in ["/999", "/999/rules"] {
        let (status, body) = app.get_json(&format!("{SCOPES}{path}"), &admin).await;
        assert_error(status, &body, 404, "数据范围不存在");
    }
    let (status, body) = app.get_json(&format!("{SCOPES}/abc/rules"), &admin).await;
    assert_422(status, &body, json!(["path", "pk"]));

    // Create, list, filters.
    let s = create_scope(&app, &admin, "范围 S").await;
    let (status, body) = app
        .post_json(SCOPES, &admin, &json!({"name": "范围 S", "status": 1}))
        .await;
    assert_error(status, &body, 409, "数据范围已存在");
    let (status, body) = app
        .post_json(
            SCOPES,
            &admin,
            &json!({"name": "x".repeat(65), "status": 1}),
        )
        .await;
    assert_422(status, &body, json!(["body", "name"]));
    let (status, body) = app
        .post_json(SCOPES, &admin, &json!({"name": "n", "status": "on"}))
        .await;
    assert_422(status, &body, json!(["body", "status"]));
    let (status, body) = app
        .get_json(&format!("{SCOPES}?page=2&size=5"), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["data"]["total"].as_i64(),
            body["data"]["items"][0]["id"].as_i64()
        ),
        (Some(6), Some(s))
    );
    let (status, body) = app
        .get_json(
            &format!("{SCOPES}?name=%E8%8C%83%E5%9B%B4&status=1"),
            &admin,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total"], 1);
    let (status, body) = app.get_json(&format!("{SCOPES}?status=0"), &admin).await;
    assert_eq!((status, &body["data"]["total"]), (200, &json!(0)));
    let (status, body) = app.get_json(&format!("{SCOPES}?status=x"), &admin).await;
    assert_422(status, &body, json!(["query", "status"]));

    // Update.
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}"),
            &admin,
            &json!({"name": "范围 S2", "status": 0}),
        )
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&format!("{SCOPES}/{s}"), &admin).await;
    assert_eq!(
        (&body["data"]["name"], &body["data"]["status"]),
        (&json!("范围 S2"), &json!(0))
    );
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}"),
            &admin,
            &json!({"name": "本部门数据权限", "status": 1}),
        )
        .await;
    assert_error(status, &body, 409, "数据范围已存在");
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/999"),
            &admin,
            &json!({"name": "q", "status": 1}),
        )
        .await;
    assert_error(status, &body, 404, "数据范围不存在");

    // Rules of a scope.
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}/rules"),
            &admin,
            &json!({"rules": [3, 1, 1]}),
        )
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&format!("{SCOPES}/{s}/rules"), &admin).await;
    let ids: Vec<i64> = body["data"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3]);
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}/rules"),
            &admin,
            &json!({"rules": [1, 999]}),
        )
        .await;
    assert_error(status, &body, 404, "数据规则不存在");
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/999/rules"),
            &admin,
            &json!({"rules": [1]}),
        )
        .await;
    assert_error(status, &body, 404, "数据范围不存在");
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}/rules"),
            &admin,
            &json!({"rules": "1"}),
        )
        .await;
    assert_422(status, &body, json!(["body", "rules"]));
    set_scope_rules(&app, &admin, s, &[]).await; // clears, then FBA's soft failure
    let (_, body) = app.get_json(&format!("{SCOPES}/{s}/rules"), &admin).await;
    assert_eq!(body["data"]["rules"], json!([]));

    // Delete: rule and role links go too (seeded role 1 holds scopes 1 and 2).
    let role_links = |ids: Vec<i64>| {
        sea_orm::Condition::all().add(sys_role_data_scope::Column::DataScopeId.is_in(ids))
    };
    let rule_links = |ids: Vec<i64>| {
        sea_orm::Condition::all().add(sys_data_scope_rule::Column::DataScopeId.is_in(ids))
    };
    assert_eq!(
        link_count::<sys_role_data_scope::Entity>(&app, role_links(vec![1, 2])).await,
        2
    );
    let (status, body) = app
        .delete_json(SCOPES, &admin, Some(&json!({"pks": [1, 2]})))
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(
        link_count::<sys_role_data_scope::Entity>(&app, role_links(vec![1, 2])).await,
        0
    );
    assert_eq!(
        link_count::<sys_data_scope_rule::Entity>(&app, rule_links(vec![1, 2])).await,
        0
    );
    let (status, body) = app
        .delete_json(SCOPES, &admin, Some(&json!({"pks": [1]})))
        .await;
    assert_soft_fail(status, &body);
    let (status, body) = app
        .delete_json(SCOPES, &admin, Some(&json!({"pks": [true]})))
        .await;
    assert_422(status, &body, json!(["body", "pks", 0]));

    // Reads need a token; writes need the permission.
    let user = app.token_for(2).await;
    for path in ["/all", "/3", "/3/rules", ""] {
        let (status, body) = app
            .call(Method::GET, &format!("{SCOPES}{path}"), None, None)
            .await;
        assert_401(status, &body);
        let (status, _) = app.get_json(&format!("{SCOPES}{path}"), &user).await;
        assert_eq!(status, 200, "{path}");
    }
    for (method, path, b) in [
        (
            Method::POST,
            SCOPES.to_owned(),
            json!({"name": "n", "status": 1}),
        ),
        (
            Method::PUT,
            format!("{SCOPES}/3"),
            json!({"name": "n", "status": 1}),
        ),
        (
            Method::PUT,
            format!("{SCOPES}/3/rules"),
            json!({"rules": [1]}),
        ),
        (Method::DELETE, SCOPES.to_owned(), json!({"pks": [3]})),
    ] {
        let (status, resp) = app.call(method.clone(), &path, None, Some(&b)).await;
        assert_401(status, &resp);
        let (status, resp) = app.call(method, &path, Some(&user), Some(&b)).await;
        assert_error(status, &resp, 403, NOT_STAFF);
    }
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// The data permission on the department list
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn data_rules_change_what_a_restricted_user_sees() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let user = app.token_for(2).await;

    // Seed: role 1 → scopes 1, 2 → (parent_id = 1) OR (name = '测试'); rule 1 names
    // `__dept_id__`, which `Dept` lacks, so it is skipped.
    let x = create_dept(&app, &admin, "X", json!(1), 1).await;
    create_dept(&app, &admin, "Y", json!(1), 2).await;
    create_dept(&app, &admin, "Z", json!(x), 0).await;
    let everything = "测试[X[Z], Y]";
    assert_eq!(tree_shape(&app, &admin).await, everything);
    assert_eq!(tree_shape(&app, &user).await, "测试[X, Y]");

    // One scope, rules switched through the API (each switch drops user 2's cache).
    let s = create_scope(&app, &admin, "S").await;
    set_role_scopes(&app, &[s]).await;
    let and_parent = create_rule(
        &app,
        &admin,
        &rule_body("A: parent_id == 1", "Dept", "parent_id", 0, 0, "1"),
    )
    .await;
    let and_not_y = create_rule(
        &app,
        &admin,
        &rule_body("A2: name != Y", "Dept", "name", 0, 1, "Y"),
    )
    .await;
    let or_z = create_rule(
        &app,
        &admin,
        &rule_body("B: name == Z", "Dept", "name", 1, 0, "Z"),
    )
    .await;
    let or_in = create_rule(
        &app,
        &admin,
        &rule_body("B2: name in", "Dept", "name", 1, 6, "Y, 测试"),
    )
    .await;
    let user_rule = create_rule(
        &app,
        &admin,
        &rule_body("U: other model", "User", "username", 0, 0, "nobody"),
    )
    .await;

    for (rules, expected) in [
        (vec![and_parent], "X, Y"),
        (vec![or_z], "Z"),
        (vec![and_parent, or_z], "X[Z], Y"),
        (vec![and_parent, and_not_y], "X"),
        (vec![or_z, or_in], "测试[Y], Z"),
        (vec![and_parent, and_not_y, or_z, or_in], "测试[X[Z], Y]"),
        (vec![user_rule], everything),
    ] {
        set_scope_rules(&app, &admin, s, &rules).await;
        assert_eq!(tree_shape(&app, &user).await, expected, "rules {rules:?}");
        assert_eq!(
            tree_shape(&app, &admin).await,
            everything,
            "the superuser sees all"
        );
    }

    // A rule edit applies at once; filters combine with the data permission.
    set_scope_rules(&app, &admin, s, &[and_parent, or_z]).await;
    let (status, body) = app
        .put_json(
            &format!("{RULES}/{and_parent}"),
            &admin,
            &rule_body(
                "A: parent_id == X",
                "Dept",
                "parent_id",
                0,
                0,
                &x.to_string(),
            ),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &user).await, "Z");
    let (_, body) = app.get_json(&format!("{DEPTS}?name=X"), &user).await;
    assert_eq!(shape(&body["data"]), "");

    // Value templates: `${dept_id}` is user 2's dept (1).
    let tpl = create_rule(
        &app,
        &admin,
        &rule_body(
            "T: parent is my dept",
            "Dept",
            "parent_id",
            0,
            0,
            "${dept_id}",
        ),
    )
    .await;
    set_scope_rules(&app, &admin, s, &[tpl]).await;
    assert_eq!(tree_shape(&app, &user).await, "X, Y");

    // A disabled scope, a scope without rules: nothing visible.
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}"),
            &admin,
            &json!({"name": "S", "status": 0}),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &user).await, "");
    let (status, body) = app
        .put_json(
            &format!("{SCOPES}/{s}"),
            &admin,
            &json!({"name": "S", "status": 1}),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &user).await, "X, Y");
    set_scope_rules(&app, &admin, s, &[]).await;
    assert_eq!(tree_shape(&app, &user).await, "");
    set_role_scopes(&app, &[]).await;
    assert_eq!(tree_shape(&app, &user).await, "");

    // Deleting a rule or a scope applies at once too.
    set_role_scopes(&app, &[s]).await;
    set_scope_rules(&app, &admin, s, &[tpl, or_z]).await;
    assert_eq!(tree_shape(&app, &user).await, "X[Z], Y");
    let (status, body) = app
        .delete_json(RULES, &admin, Some(&json!({"pks": [tpl]})))
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &user).await, "Z");
    let (status, body) = app
        .delete_json(SCOPES, &admin, Some(&json!({"pks": [s]})))
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &user).await, "");

    // A role that does not filter by data scopes sees everything.
    let db = &app.app_state.db;
    let mut role: sys_role::ActiveModel = sys_role::Entity::find_by_id(1)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .into();
    role.is_filter_scopes = Set(false);
    role.update(db).await.unwrap();
    fba_common::security::invalidate_user(&app.app_state, 2)
        .await
        .unwrap();
    assert_eq!(tree_shape(&app, &user).await, everything);
    app.stop().await;
}

#[tokio::test]
async fn rule_values_with_sql_metacharacters_are_data() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let user = app.token_for(2).await;
    let nasty = "'; DROP TABLE sys_dept; --";
    create_dept(&app, &admin, "X", json!(1), 0).await;
    let s = create_scope(&app, &admin, "S").await;
    set_role_scopes(&app, &[s]).await;
    let rules = [
        create_rule(&app, &admin, &rule_body("r1", "Dept", "name", 1, 0, nasty)).await,
        create_rule(
            &app,
            &admin,
            &rule_body("r2", "Dept", "parent_id", 1, 0, "1 OR 1=1"),
        )
        .await,
        create_rule(
            &app,
            &admin,
            &rule_body(
                "r3",
                "Dept",
                "name",
                1,
                6,
                "x') OR ('1'='1, y\" OR \"1\"=\"1",
            ),
        )
        .await,
        create_rule(
            &app,
            &admin,
            &rule_body("r4", "Dept", "status", 1, 2, "0 OR 1=1"),
        )
        .await,
        create_rule(
            &app,
            &admin,
            &rule_body("r5", "Dept", "name", 1, 1, "x' OR '1'='1"),
        )
        .await,
    ];
    // r5 (name != "x' OR '1'='1") alone matches every row, honestly.
    set_scope_rules(&app, &admin, s, &rules[..4]).await;
    assert_eq!(tree_shape(&app, &user).await, "", "no extra rows");
    assert_eq!(tree_shape(&app, &admin).await, "测试[X]", "table intact");

    // The text is compared as data: a department with that very name is found.
    let (status, body) = app
        .post_json(DEPTS, &admin, &dept_body(nasty, json!(null), 0))
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(tree_shape(&app, &user).await, nasty);
    set_scope_rules(&app, &admin, s, &rules[4..]).await;
    assert_eq!(tree_shape(&app, &user).await, format!("测试[X], {nasty}"));
    // Searching with metacharacters is data too.
    let (status, body) = app
        .get_json(&format!("{DEPTS}?name=%27%3B%20DROP"), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(shape(&body["data"]), nasty);
    assert_eq!(
        sys_dept::Entity::find()
            .count(&app.app_state.db)
            .await
            .unwrap(),
        3
    );
    app.stop().await;
}
