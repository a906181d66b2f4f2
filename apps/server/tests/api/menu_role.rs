//! Menus (`/api/v1/sys/menus`, incl. the vben5 sidebar) and roles (`/api/v1/sys/roles`) through
//! the real app: every route's success, 422, 404, 403 and 401, and that a role or menu change
//! reaches user 2 on the next request (cached user dropped, RBAC policy reloaded).

use fba_admin::model::{sys_role, sys_role_data_scope, sys_role_menu, sys_user_role};
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail, flatten,
    is_fba_datetime, make_staff,
};

const MENUS: &str = "/api/v1/sys/menus";
const SIDEBAR: &str = "/api/v1/sys/menus/sidebar";
const ROLES: &str = "/api/v1/sys/roles";

fn names(nodes: &Value) -> Vec<&str> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect()
}

fn find<'a>(nodes: &'a Value, name: &str) -> &'a Value {
    flatten(nodes)
        .into_iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("{name} in the tree"))
}

fn menu_body(title: &str, name: &str, parent_id: Value) -> Value {
    json!({
        "title": title, "name": name, "path": "/x/y", "parent_id": parent_id, "sort": 3,
        "icon": "mdi:x", "type": 1, "component": "/x/index", "perms": null,
        "status": 1, "display": 1, "cache": 1, "link": "", "remark": "r",
        "created_time": "ignored"
    })
}

async fn role_menu_ids(app: &TestApp, role_id: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = sys_role_menu::Entity::find()
        .filter(sys_role_menu::Column::RoleId.eq(role_id))
        .all(&app.app_state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.menu_id)
        .collect();
    ids.sort_unstable();
    ids
}

// ------------------------------------------------------------------------------------------
// Sidebar
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn admin_sidebar_is_the_vben5_tree_of_every_non_button_menu() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.get_json(SIDEBAR, &admin).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(
        names(data),
        [
            "Dashboard",
            "System",
            "Scheduler",
            "Log",
            "Monitor",
            "Project",
            "Profile",
            "Agent"
        ]
    );
    let all = flatten(data);
    assert_eq!(
        all.len(),
        32,
        "50 seeded menus minus 23 buttons, plus the dict, config and notice pages and the agent's two"
    );
    assert!(all.iter().all(|n| n["type"] != 2));

    let dashboard = &data[0];
    assert_eq!(names(&dashboard["children"]), ["Analytics", "Workspace"]);
    let analytics = &dashboard["children"][0];
    let mut keys: Vec<&str> = analytics
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "component",
            "created_time",
            "id",
            "meta",
            "name",
            "parent_id",
            "path",
            "perms",
            "remark",
            "sort",
            "type",
            "updated_time"
        ],
        "a leaf has no children key and no meta columns at top level"
    );
    assert_eq!(analytics["id"], 2);
    assert_eq!(analytics["parent_id"], 1);
    assert_eq!(analytics["path"], "/analytics");
    assert_eq!(analytics["component"], "/dashboard/analytics/index");
    assert_eq!(
        analytics["meta"],
        json!({
            "title": "page.dashboard.analytics", "icon": "lucide:area-chart", "iframeSrc": "",
            "link": "", "keepAlive": 1, "hideInMenu": false, "menuVisibleWithForbidden": false
        })
    );
    // ISO-8601 here (untyped payload in FBA), not FBA's `YYYY-MM-DD HH:MM:SS`.
    assert_eq!(analytics["created_time"], "2025-06-26T12:29:06Z");
    assert_eq!(analytics["updated_time"], Value::Null);
    assert_eq!(
        find(data, "SysDataScope")["updated_time"],
        "2025-06-26T12:37:26Z"
    );

    let system = &data[1];
    assert_eq!(
        names(&system["children"]),
        [
            "SysDept",
            "SysUser",
            "SysRole",
            "SysMenu",
            "SysDataPermission",
            "PluginConfig",
            "SysPlugin",
            "PluginDict",
            "PluginNotice"
        ]
    );
    assert_eq!(system["component"], Value::Null);
    assert!(
        find(data, "SysUser").get("children").is_none(),
        "its only children are buttons"
    );
    assert_eq!(
        names(&find(data, "SysDataPermission")["children"]),
        ["SysDataScope", "SysDataRule"]
    );
    let document = find(data, "Document");
    assert_eq!(
        document["meta"]["link"],
        "https://fastapi-practices.github.io/fastapi_best_architecture_docs"
    );
    assert_eq!(document["meta"]["iframeSrc"], "");
    let apifox = find(data, "Apifox");
    assert!(
        apifox["meta"]["iframeSrc"]
            .as_str()
            .unwrap()
            .starts_with("https://apifox.com/")
    );
    assert_eq!(apifox["meta"]["link"], "");
    let profile = find(data, "Profile");
    assert_eq!(profile["meta"]["hideInMenu"], true);
    assert!(profile.get("children").is_none());
    app.stop().await;
}

#[tokio::test]
async fn user_sidebar_holds_the_menus_of_its_enabled_roles_and_needs_a_token() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = app.get_json(SIDEBAR, &user).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(names(data), ["Dashboard", "Profile"]);
    assert_eq!(names(&data[0]["children"]), ["Analytics", "Workspace"]);
    assert!(data[0]["children"][1].get("children").is_none());
    assert!(data[1].get("children").is_none());
    assert_eq!(data[1]["meta"]["title"], "page.menu.profile");

    let (status, body) = app.call(Method::GET, SIDEBAR, None, None).await;
    assert_401(status, &body);

    // Quirk 23: FBA returns every menu when the enabled roles grant none; we return [].
    sys_role_menu::Entity::delete_many()
        .filter(sys_role_menu::Column::RoleId.eq(1))
        .exec(&app.app_state.db)
        .await
        .unwrap();
    fba_common::security::invalidate_user(&app.app_state, 2)
        .await
        .unwrap();
    let (status, body) = app.get_json(SIDEBAR, &user).await;
    assert_eq!((status, &body["data"]), (200, &json!([])), "{body}");
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Menu reads
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn menu_tree_nests_every_menu_with_null_children_on_leaves_and_filters() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = app.get_json(MENUS, &user).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(
        flatten(data).len(),
        72,
        "FBA's 50, the plugins' 16 and the agent's 6"
    );
    assert_eq!(
        names(data),
        [
            "Dashboard",
            "System",
            "Scheduler",
            "Log",
            "Monitor",
            "Project",
            "Profile",
            "Agent"
        ]
    );
    let add_dept = find(data, "AddSysDept");
    assert_eq!(add_dept["children"], Value::Null);
    assert!(add_dept.as_object().unwrap().contains_key("children"));
    assert_eq!(add_dept["title"], "新增");
    assert_eq!(add_dept["perms"], "sys:dept:add");
    assert_eq!(add_dept["type"], 2);
    assert_eq!(add_dept["display"], 0);
    assert_eq!(add_dept["link"], "");
    assert_eq!(add_dept["created_time"], "2025-06-26 20:29:06");
    assert_eq!(
        names(&find(data, "SysRole")["children"]),
        [
            "AddSysRole",
            "EditSysRole",
            "EditSysRoleMenu",
            "EditSysRoleScope",
            "DeleteSysRole"
        ]
    );

    let (_, body) = app
        .get_json(&format!("{MENUS}?title=page.dashboard"), &user)
        .await;
    assert_eq!(names(&body["data"]), ["Dashboard"]);
    assert_eq!(
        names(&body["data"][0]["children"]),
        ["Analytics", "Workspace"]
    );
    // A match whose parent is filtered out becomes a root.
    let (_, body) = app
        .get_json(&format!("{MENUS}?title=sysDataRule"), &user)
        .await;
    assert_eq!(names(&body["data"]), ["SysDataRule"]);
    assert_eq!(body["data"][0]["children"], Value::Null);
    let (_, body) = app.get_json(&format!("{MENUS}?status=0"), &user).await;
    assert_eq!(body["data"], json!([]));
    let (_, body) = app
        .get_json(&format!("{MENUS}?status=1&title="), &user)
        .await;
    assert_eq!(
        flatten(&body["data"]).len(),
        72,
        "an empty filter is no filter"
    );

    let (status, body) = app.get_json(&format!("{MENUS}?status=abc"), &user).await;
    assert_422(status, &body, json!(["query", "status"]));
    let (status, body) = app.call(Method::GET, MENUS, None, None).await;
    assert_401(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn one_menu_is_its_detail_or_404() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = app.get_json(&format!("{MENUS}/47"), &user).await;
    assert_eq!(status, 200, "{body}");
    let m = &body["data"];
    assert_eq!(m["id"], 47);
    assert_eq!(m["name"], "Document");
    assert_eq!(m["type"], 4);
    assert_eq!(m["parent_id"], 46);
    assert_eq!(m["status"], 1);
    assert_eq!(m["cache"], 1);
    assert_eq!(m["remark"], Value::Null);
    assert!(m["link"].as_str().unwrap().starts_with("https://"));
    assert!(is_fba_datetime(&m["created_time"]));
    assert!(m.get("children").is_none());

    let (status, body) = app.get_json(&format!("{MENUS}/99999"), &user).await;
    assert_error(status, &body, 404, "菜单不存在");
    let (status, body) = app.get_json(&format!("{MENUS}/abc"), &user).await;
    assert_422(status, &body, json!(["path", "pk"]));
    let (status, body) = app
        .get_json(&format!("{MENUS}/99999999999999999999"), &user)
        .await;
    assert_422(status, &body, json!(["path", "pk"]));
    let (status, body) = app
        .call(Method::GET, &format!("{MENUS}/1"), None, None)
        .await;
    assert_401(status, &body);
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Menu writes
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_menu_checks_title_parent_and_every_field() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app
        .post_json(MENUS, &admin, &menu_body("Reports", "Reports", json!(4)))
        .await;
    assert_ok_empty(status, &body);
    let (_, tree) = app.get_json(MENUS, &admin).await;
    let created = find(&tree["data"], "Reports");
    assert_eq!(created["parent_id"], 4);
    assert_eq!(created["sort"], 3);
    assert_eq!(created["remark"], "r");
    assert_eq!(created["updated_time"], Value::Null);
    assert!(is_fba_datetime(&created["created_time"]));
    assert!(
        names(&find(&tree["data"], "System")["children"]).contains(&"Reports"),
        "nested under its parent"
    );

    // Defaults: sort 0, optional fields absent.
    let minimal =
        json!({"title": "Min", "name": "Min", "type": 0, "status": 1, "display": 1, "cache": 0});
    let (status, body) = app.post_json(MENUS, &admin, &minimal).await;
    assert_ok_empty(status, &body);

    let (status, body) = app
        .post_json(MENUS, &admin, &menu_body("Reports", "Other", json!(null)))
        .await;
    assert_error(status, &body, 409, "菜单标题已存在");
    // Titles only clash with non-button menus: another "新增" button is fine.
    let mut button = menu_body("新增", "AddReport", json!(5));
    button["type"] = json!(2);
    let (status, body) = app.post_json(MENUS, &admin, &button).await;
    assert_ok_empty(status, &body);
    let (status, body) = app
        .post_json(MENUS, &admin, &menu_body("Orphan", "Orphan", json!(99999)))
        .await;
    assert_error(status, &body, 404, "父级菜单不存在");

    let long = "x".repeat(65);
    for (patch, loc) in [
        (json!({"title": long}), "title"),
        (json!({"name": long}), "name"),
        (json!({"path": "p".repeat(201)}), "path"),
        (json!({"icon": "i".repeat(129)}), "icon"),
        (json!({"component": "c".repeat(257)}), "component"),
        (json!({"perms": "p".repeat(129)}), "perms"),
        (json!({"name": "nul\u{0}"}), "name"),
        (json!({"type": 5}), "type"),
        (json!({"status": 2}), "status"),
        (json!({"display": "x"}), "display"),
        (json!({"cache": null}), "cache"),
        (json!({"sort": -1}), "sort"),
        (json!({"sort": 2_147_483_648i64}), "sort"),
        (
            json!({"parent_id": 9_223_372_036_854_775_808u64}),
            "parent_id",
        ),
        (json!({"parent_id": "abc"}), "parent_id"),
    ] {
        let mut body = menu_body("Bad", "Bad", json!(null));
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, resp) = app.post_json(MENUS, &admin, &body).await;
        assert_422(status, &resp, json!(["body", loc]));
    }
    let (status, body) = app
        .post_json(MENUS, &admin, &json!({"title": "t", "name": "n"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["data"]["errors"][0]["type"], "missing");
    let (_, tree) = app.get_json(MENUS, &admin).await;
    assert_eq!(
        flatten(&tree["data"]).len(),
        75,
        "nothing stored by refused requests"
    );

    let user = app.token_for(2).await;
    let (status, _) = app
        .post_json(MENUS, &user, &menu_body("U", "U", json!(null)))
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .call(
            Method::POST,
            MENUS,
            None,
            Some(&menu_body("U", "U", json!(null))),
        )
        .await;
    assert_401(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn updating_a_menu_checks_existence_title_and_parent() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let mut body = menu_body("page.dashboard.analytics", "Analytics", json!(1));
    body["remark"] = json!("changed");
    body["sort"] = json!(9);
    let (status, resp) = app.put_json(&format!("{MENUS}/2"), &admin, &body).await;
    assert_ok_empty(status, &resp);
    let (_, detail) = app.get_json(&format!("{MENUS}/2"), &admin).await;
    assert_eq!(detail["data"]["remark"], "changed");
    assert_eq!(detail["data"]["sort"], 9);
    assert_eq!(detail["data"]["path"], "/x/y");
    assert!(is_fba_datetime(&detail["data"]["updated_time"]));

    let (status, resp) = app.put_json(&format!("{MENUS}/99999"), &admin, &body).await;
    assert_error(status, &resp, 404, "菜单不存在");
    let (status, resp) = app
        .put_json(
            &format!("{MENUS}/2"),
            &admin,
            &menu_body("page.menu.system", "Analytics", json!(1)),
        )
        .await;
    assert_error(status, &resp, 409, "菜单标题已存在");
    let (status, resp) = app
        .put_json(
            &format!("{MENUS}/2"),
            &admin,
            &menu_body("A", "A", json!(99999)),
        )
        .await;
    assert_error(status, &resp, 404, "父级菜单不存在");
    let (status, resp) = app
        .put_json(
            &format!("{MENUS}/2"),
            &admin,
            &menu_body("A", "A", json!(2)),
        )
        .await;
    assert_error(status, &resp, 403, "禁止关联自身为父级");
    // Beyond FBA: a descendant as parent would cut both out of every tree.
    let (status, resp) = app
        .put_json(
            &format!("{MENUS}/1"),
            &admin,
            &menu_body("page.dashboard.title", "Dashboard", json!(2)),
        )
        .await;
    assert_error(status, &resp, 403, "禁止关联自身为父级");
    let (status, resp) = app
        .put_json(
            &format!("{MENUS}/2"),
            &admin,
            &menu_body(&"x".repeat(65), "A", json!(1)),
        )
        .await;
    assert_422(status, &resp, json!(["body", "title"]));
    let (status, resp) = app.put_json(&format!("{MENUS}/abc"), &admin, &body).await;
    assert_422(status, &resp, json!(["path", "pk"]));

    let user = app.token_for(2).await;
    let (status, _) = app.put_json(&format!("{MENUS}/2"), &user, &body).await;
    assert_eq!(status, 403);
    let (status, resp) = app
        .call(Method::PUT, &format!("{MENUS}/2"), None, Some(&body))
        .await;
    assert_401(status, &resp);
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_menu_refuses_parents_and_drops_its_role_links() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let user = app.token_for(2).await;
    // Warm user 2's cache with Profile (menu 50) in its sidebar.
    let (_, before) = app.get_json(SIDEBAR, &user).await;
    assert_eq!(names(&before["data"]), ["Dashboard", "Profile"]);

    let (status, body) = app.delete_json(&format!("{MENUS}/4"), &admin, None).await;
    assert_error(status, &body, 409, "菜单下存在子菜单，无法删除");
    let (status, body) = app.delete_json(&format!("{MENUS}/50"), &admin, None).await;
    assert_ok_empty(status, &body);
    assert_eq!(role_menu_ids(&app, 1).await, [1, 2, 3]);
    let (status, body) = app.get_json(&format!("{MENUS}/50"), &admin).await;
    assert_error(status, &body, 404, "菜单不存在");
    let (_, after) = app.get_json(SIDEBAR, &user).await;
    assert_eq!(
        names(&after["data"]),
        ["Dashboard"],
        "user 2's cache was dropped"
    );

    // FBA answers an unknown menu with the soft failure.
    let (status, body) = app.delete_json(&format!("{MENUS}/50"), &admin, None).await;
    assert_soft_fail(status, &body);
    let (status, body) = app.delete_json(&format!("{MENUS}/abc"), &admin, None).await;
    assert_422(status, &body, json!(["path", "pk"]));
    let (status, _) = app.delete_json(&format!("{MENUS}/3"), &user, None).await;
    assert_eq!(status, 403);
    let (status, body) = app
        .call(Method::DELETE, &format!("{MENUS}/3"), None, None)
        .await;
    assert_401(status, &body);
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Role reads
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn role_lists_pages_and_filters() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = app.get_json(&format!("{ROLES}/all"), &user).await;
    assert_eq!(status, 200, "{body}");
    let role = &body["data"][0];
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(role["id"], 1);
    assert_eq!(role["name"], "测试");
    assert_eq!(role["status"], 1);
    assert_eq!(role["is_filter_scopes"], true);
    assert!(is_fba_datetime(&role["created_time"]));
    assert!(role.get("menus").is_none());

    let (status, body) = app.get_json(ROLES, &user).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total"], 1);
    assert_eq!(body["data"]["items"][0]["name"], "测试");
    assert_eq!(
        body["data"]["links"]["first"],
        "/api/v1/sys/roles?page=1&size=20"
    );
    let (_, body) = app
        .get_json(&format!("{ROLES}?name=测&status=1"), &user)
        .await;
    assert_eq!(body["data"]["total"], 1);
    let (_, body) = app.get_json(&format!("{ROLES}?name=zzz"), &user).await;
    assert_eq!(
        (body["data"]["total"].clone(), body["data"]["items"].clone()),
        (json!(0), json!([]))
    );
    let (_, body) = app.get_json(&format!("{ROLES}?status=0"), &user).await;
    assert_eq!(body["data"]["total"], 0);
    let (_, body) = app.get_json(&format!("{ROLES}?page=5"), &user).await;
    assert_eq!(
        (body["data"]["total"].clone(), body["data"]["items"].clone()),
        (json!(1), json!([]))
    );

    let (status, body) = app.get_json(&format!("{ROLES}?status=x"), &user).await;
    assert_422(status, &body, json!(["query", "status"]));
    let (status, body) = app.get_json(&format!("{ROLES}?size=0"), &user).await;
    assert_422(status, &body, json!(["query", "size"]));
    let (status, body) = app.call(Method::GET, ROLES, None, None).await;
    assert_401(status, &body);
    let (status, body) = app
        .call(Method::GET, &format!("{ROLES}/all"), None, None)
        .await;
    assert_401(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn role_detail_menu_tree_and_scope_ids() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = app.get_json(&format!("{ROLES}/1"), &user).await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["name"], "测试");
    let menu_ids: Vec<i64> = d["menus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(menu_ids, [1, 2, 3, 50]);
    assert!(d["menus"][0].get("children").is_none());
    assert_eq!(d["scopes"][0]["id"], 1);
    assert_eq!(d["scopes"][0]["name"], "本部门数据权限");
    assert_eq!(d["scopes"][0]["rules"][0]["column"], "__dept_id__");
    assert_eq!(d["scopes"][1]["rules"].as_array().unwrap().len(), 2);

    let (status, body) = app.get_json(&format!("{ROLES}/1/menus"), &user).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body["data"]), ["Dashboard", "Profile"]);
    assert_eq!(
        names(&body["data"][0]["children"]),
        ["Analytics", "Workspace"]
    );
    assert_eq!(body["data"][1]["children"], Value::Null);
    assert!(is_fba_datetime(&body["data"][0]["created_time"]));

    let (status, body) = app.get_json(&format!("{ROLES}/1/scopes"), &user).await;
    assert_eq!((status, &body["data"]), (200, &json!([1, 2])), "{body}");

    for path in ["", "/menus", "/scopes"] {
        let (status, body) = app.get_json(&format!("{ROLES}/99999{path}"), &user).await;
        assert_error(status, &body, 404, "角色不存在");
        let (status, body) = app.get_json(&format!("{ROLES}/abc{path}"), &user).await;
        assert_422(status, &body, json!(["path", "pk"]));
        let (status, body) = app
            .call(Method::GET, &format!("{ROLES}/1{path}"), None, None)
            .await;
        assert_401(status, &body);
    }
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Role writes
// ------------------------------------------------------------------------------------------

async fn role_id(app: &TestApp, name: &str) -> i64 {
    sys_role::Entity::find()
        .filter(sys_role::Column::Name.eq(name))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn creating_and_updating_roles() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app
        .post_json(
            ROLES,
            &admin,
            &json!({"name": "ops", "status": 1, "remark": "r"}),
        )
        .await;
    assert_ok_empty(status, &body);
    let id = role_id(&app, "ops").await;
    let (_, detail) = app.get_json(&format!("{ROLES}/{id}"), &admin).await;
    assert_eq!(detail["data"]["is_filter_scopes"], true, "default");
    assert_eq!(detail["data"]["menus"], json!([]));
    assert_eq!(detail["data"]["scopes"], json!([]));
    assert_eq!(detail["data"]["updated_time"], Value::Null);

    let (status, body) = app
        .post_json(ROLES, &admin, &json!({"name": "ops", "status": 1}))
        .await;
    assert_error(status, &body, 409, "角色已存在");
    for (body, loc) in [
        (json!({"name": "x".repeat(33), "status": 1}), "name"),
        (json!({"name": "a\u{0}", "status": 1}), "name"),
        (json!({"name": "a", "status": 2}), "status"),
        (
            json!({"name": "a", "status": 1, "is_filter_scopes": "maybe"}),
            "is_filter_scopes",
        ),
        (json!({"name": 5, "status": 1}), "name"),
        (json!({"status": 1}), "name"),
    ] {
        let (status, resp) = app.post_json(ROLES, &admin, &body).await;
        assert_422(status, &resp, json!(["body", loc]));
    }

    let update = json!({"name": "ops2", "status": 0, "is_filter_scopes": false, "remark": null});
    let (status, body) = app
        .put_json(&format!("{ROLES}/{id}"), &admin, &update)
        .await;
    assert_ok_empty(status, &body);
    let (_, detail) = app.get_json(&format!("{ROLES}/{id}"), &admin).await;
    assert_eq!(detail["data"]["name"], "ops2");
    assert_eq!(detail["data"]["status"], 0);
    assert_eq!(detail["data"]["is_filter_scopes"], false);
    assert_eq!(detail["data"]["remark"], Value::Null);
    assert!(is_fba_datetime(&detail["data"]["updated_time"]));
    let (status, body) = app
        .put_json(
            &format!("{ROLES}/{id}"),
            &admin,
            &json!({"name": "测试", "status": 1}),
        )
        .await;
    assert_error(status, &body, 409, "角色已存在");
    let (status, body) = app
        .put_json(&format!("{ROLES}/99999"), &admin, &update)
        .await;
    assert_error(status, &body, 404, "角色不存在");
    let (status, body) = app
        .put_json(
            &format!("{ROLES}/{id}"),
            &admin,
            &json!({"name": "a", "status": "x"}),
        )
        .await;
    assert_422(status, &body, json!(["body", "status"]));

    let user = app.token_for(2).await;
    let (status, _) = app
        .post_json(ROLES, &user, &json!({"name": "u", "status": 1}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.put_json(&format!("{ROLES}/{id}"), &user, &update).await;
    assert_eq!(status, 403);
    let (status, body) = app
        .call(
            Method::POST,
            ROLES,
            None,
            Some(&json!({"name": "u", "status": 1})),
        )
        .await;
    assert_401(status, &body);
    let (status, body) = app
        .call(Method::PUT, &format!("{ROLES}/{id}"), None, Some(&update))
        .await;
    assert_401(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn replacing_role_menus_and_scopes() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let path = format!("{ROLES}/1/menus");
    let (status, body) = app
        .put_json(&path, &admin, &json!({"menus": [1, 2, 3, 50, "9", 9]}))
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(
        role_menu_ids(&app, 1).await,
        [1, 2, 3, 9, 50],
        "duplicates stored once"
    );
    let (status, body) = app
        .put_json(&path, &admin, &json!({"menus": [1, 99999]}))
        .await;
    assert_error(status, &body, 404, "菜单不存在");
    assert_eq!(role_menu_ids(&app, 1).await, [1, 2, 3, 9, 50], "unchanged");
    let (status, body) = app
        .put_json(
            &format!("{ROLES}/99999/menus"),
            &admin,
            &json!({"menus": [1]}),
        )
        .await;
    assert_error(status, &body, 404, "角色不存在");
    let (status, body) = app
        .put_json(&path, &admin, &json!({"menus": [1, "x"]}))
        .await;
    assert_422(status, &body, json!(["body", "menus", 1]));
    let (status, body) = app.put_json(&path, &admin, &json!({"menus": 1})).await;
    assert_422(status, &body, json!(["body", "menus"]));
    let (status, body) = app.put_json(&path, &admin, &json!({})).await;
    assert_422(status, &body, json!(["body", "menus"]));
    // FBA: an empty list clears the menus, then answers the soft failure.
    let (status, body) = app.put_json(&path, &admin, &json!({"menus": []})).await;
    assert_soft_fail(status, &body);
    assert!(role_menu_ids(&app, 1).await.is_empty());

    let path = format!("{ROLES}/1/scopes");
    let (status, body) = app
        .put_json(&path, &admin, &json!({"scopes": [3, 5]}))
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&path, &admin).await;
    assert_eq!(body["data"], json!([3, 5]));
    let (status, body) = app
        .put_json(&path, &admin, &json!({"scopes": [99999]}))
        .await;
    assert_error(status, &body, 404, "数据范围不存在");
    let (status, body) = app
        .put_json(
            &format!("{ROLES}/99999/scopes"),
            &admin,
            &json!({"scopes": [1]}),
        )
        .await;
    assert_error(status, &body, 404, "角色不存在");
    let (status, body) = app
        .put_json(
            &path,
            &admin,
            &json!({"scopes": [9_223_372_036_854_775_808u64]}),
        )
        .await;
    assert_422(status, &body, json!(["body", "scopes", 0]));
    let (status, body) = app.put_json(&path, &admin, &json!({"scopes": []})).await;
    assert_soft_fail(status, &body);
    let (_, body) = app.get_json(&path, &admin).await;
    assert_eq!(body["data"], json!([]));

    let user = app.token_for(2).await;
    let (status, _) = app
        .put_json(&format!("{ROLES}/1/menus"), &user, &json!({"menus": [1]}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .put_json(&format!("{ROLES}/1/scopes"), &user, &json!({"scopes": [1]}))
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("{ROLES}/1/menus"),
            None,
            Some(&json!({"menus": [1]})),
        )
        .await;
    assert_401(status, &body);
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("{ROLES}/1/scopes"),
            None,
            Some(&json!({"scopes": [1]})),
        )
        .await;
    assert_401(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn deleting_roles_removes_their_links() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let db = &app.app_state.db;
    let (status, body) = app
        .post_json(ROLES, &admin, &json!({"name": "temp", "status": 1}))
        .await;
    assert_ok_empty(status, &body);
    let id = role_id(&app, "temp").await;
    app.put_json(
        &format!("{ROLES}/{id}/menus"),
        &admin,
        &json!({"menus": [1, 2]}),
    )
    .await;
    app.put_json(
        &format!("{ROLES}/{id}/scopes"),
        &admin,
        &json!({"scopes": [1]}),
    )
    .await;
    sys_user_role::ActiveModel {
        user_id: Set(2),
        role_id: Set(id),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();

    let (status, body) = app
        .delete_json(ROLES, &admin, Some(&json!({"pks": [id, 99999]})))
        .await;
    assert_ok_empty(status, &body);
    assert!(
        sys_role::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .is_none()
    );
    assert!(role_menu_ids(&app, id).await.is_empty());
    let scopes = sys_role_data_scope::Entity::find()
        .filter(sys_role_data_scope::Column::RoleId.eq(id))
        .count(db)
        .await
        .unwrap();
    let users = sys_user_role::Entity::find()
        .filter(sys_user_role::Column::RoleId.eq(id))
        .count(db)
        .await
        .unwrap();
    assert_eq!((scopes, users), (0, 0), "no orphaned links (FBA quirk 18)");

    let (status, body) = app
        .delete_json(ROLES, &admin, Some(&json!({"pks": [99999]})))
        .await;
    assert_soft_fail(status, &body);
    let (status, body) = app
        .delete_json(ROLES, &admin, Some(&json!({"pks": "x"})))
        .await;
    assert_422(status, &body, json!(["body", "pks"]));
    let (status, body) = app.delete_json(ROLES, &admin, Some(&json!({}))).await;
    assert_422(status, &body, json!(["body", "pks"]));
    let user = app.token_for(2).await;
    let (status, _) = app
        .delete_json(ROLES, &user, Some(&json!({"pks": [1]})))
        .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .call(Method::DELETE, ROLES, None, Some(&json!({"pks": [1]})))
        .await;
    assert_401(status, &body);
    assert!(
        sys_role::Entity::find_by_id(1)
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
    app.stop().await;
}

// ------------------------------------------------------------------------------------------
// Changes reach the user on the next request
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn role_and_menu_changes_apply_to_user_2_on_its_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let new_role = json!({"name": "by-user-2", "status": 1});

    let (status, body) = app.post_json(ROLES, &user, &new_role).await;
    assert_error(status, &body, 403, "Permission Denied");
    let (_, sidebar) = app.get_json(SIDEBAR, &user).await;
    assert_eq!(names(&sidebar["data"]), ["Dashboard", "Profile"]);

    // Grant the SysRole page (11) and its "add" button (12, `sys:role:add`).
    let (status, body) = app
        .put_json(
            &format!("{ROLES}/1/menus"),
            &admin,
            &json!({"menus": [1, 2, 3, 50, 11, 12]}),
        )
        .await;
    assert_ok_empty(status, &body);
    let (status, body) = app.post_json(ROLES, &user, &new_role).await;
    assert_ok_empty(status, &body);
    let (_, sidebar) = app.get_json(SIDEBAR, &user).await;
    // SysRole's parent (System) is not granted, so it is a root, in sort order.
    assert_eq!(names(&sidebar["data"]), ["Dashboard", "SysRole", "Profile"]);

    // Disabling the button menu withdraws the code.
    let mut button = menu_body("新增", "AddSysRole", json!(11));
    button["type"] = json!(2);
    button["perms"] = json!("sys:role:add");
    button["status"] = json!(0);
    let (status, body) = app.put_json(&format!("{MENUS}/12"), &admin, &button).await;
    assert_ok_empty(status, &body);
    let (status, body) = app
        .post_json(ROLES, &user, &json!({"name": "again", "status": 1}))
        .await;
    assert_error(status, &body, 403, "Permission Denied");

    // Disabling the role locks the user out.
    let (status, body) = app
        .put_json(
            &format!("{ROLES}/1"),
            &admin,
            &json!({"name": "测试", "status": 0}),
        )
        .await;
    assert_ok_empty(status, &body);
    let (status, body) = app.get_json(SIDEBAR, &user).await;
    assert_error(status, &body, 403, "用户所属角色已被锁定，请联系系统管理员");
    app.stop().await;
}

#[tokio::test]
async fn a_role_menu_change_reaches_another_replica() {
    let Some(redis) = crate::helpers::replica_redis() else {
        return;
    };
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_sharing(&a, &redis).await;
    make_staff(&a, 2).await;
    let admin = a.token_for(1).await;
    let user = a.token_for(2).await;
    let body = json!({"name": "replica", "status": 1});
    let (status, _) = b.post_json(ROLES, &user, &body).await;
    assert_eq!(status, 403);
    let (status, resp) = a
        .put_json(
            &format!("{ROLES}/1/menus"),
            &admin,
            &json!({"menus": [1, 2, 3, 50, 12]}),
        )
        .await;
    assert_ok_empty(status, &resp);
    let mut allowed = false;
    for _ in 0..50 {
        let (status, _) = b.post_json(ROLES, &user, &body).await;
        if status == 200 {
            allowed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(allowed, "replica B applied the new role menus");
    b.stop_shared().await;
    a.stop().await;
}

#[tokio::test]
async fn concurrent_writes_all_succeed() {
    // SQLite: a deferred transaction that read before another connection wrote used to fail at
    // once with "database is locked" (500); write transactions now take the lock up front.
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let creates = (0..24).map(|i| {
        let app = &app;
        let admin = &admin;
        async move {
            app.post_json(
                ROLES,
                admin,
                &json!({"name": format!("concurrent-{i}"), "status": 1}),
            )
            .await
        }
    });
    let menus = (0..8).map(|_| {
        let app = &app;
        let admin = &admin;
        async move {
            app.put_json(
                &format!("{ROLES}/1/menus"),
                admin,
                &json!({"menus": [1, 2, 3]}),
            )
            .await
        }
    });
    let (created, assigned) = tokio::join!(
        futures_util::future::join_all(creates),
        futures_util::future::join_all(menus)
    );
    for (status, body) in created.iter().chain(assigned.iter()) {
        assert_eq!((*status, body["code"].as_i64()), (200, Some(200)), "{body}");
    }
    let (_, all) = app.get_json(&format!("{ROLES}/all"), &admin).await;
    let names = all["data"].as_array().unwrap();
    let made = names
        .iter()
        .filter(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("concurrent-"))
        })
        .count();
    assert_eq!(made, 24, "every acknowledged create was stored");
    app.stop().await;
}
