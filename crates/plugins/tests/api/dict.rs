//! The `dict` plugin (`/api/v1/sys/dict-types`, `/api/v1/sys/dict-datas`) through the real
//! app: FBA's seed (every code the UI reads, idempotent), every route's success, 422, 404,
//! 409, 403 and 401, pagination and filters, and the dict cache changing right after each
//! write.

use fba_admin::model::sys_menu;
use fba_plugins::dict::model::{dict_data, dict_type};
use fba_testing::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail,
    is_fba_datetime, make_staff,
};
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

const TYPES: &str = "/api/v1/sys/dict-types";
const DATAS: &str = "/api/v1/sys/dict-datas";

/// The codes FBA's UI asks for (ui-client-contract §5.5) and FBA's `sys_frontend_config`.
const UI_CODES: [&str; 12] = [
    "sys_status",
    "sys_login_status",
    "sys_choose",
    "sys_menu_type",
    "user_online_status",
    "sys_data_rule_operator",
    "sys_data_rule_expression",
    "sys_plugin_type",
    "task_strategy_type",
    "task_period_type",
    "notice",
    "sys_frontend_config",
];

fn codes_path(code: &str) -> String {
    format!("{DATAS}/type-codes/{code}")
}

async fn type_id(app: &TestApp, code: &str) -> i64 {
    dict_type::Entity::find()
        .filter(dict_type::Column::Code.eq(code))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("type {code}"))
        .id
}

async fn data_id(app: &TestApp, code: &str, label: &str) -> i64 {
    dict_data::Entity::find()
        .filter(dict_data::Column::TypeCode.eq(code))
        .filter(dict_data::Column::Label.eq(label))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("data {code}/{label}"))
        .id
}

async fn counts(app: &TestApp) -> (u64, u64, u64) {
    let db = &app.app_state.db;
    let menus = sys_menu::Entity::find()
        .filter(sys_menu::Column::Perms.like("dict:%"))
        .count(db)
        .await
        .unwrap();
    (
        dict_type::Entity::find().count(db).await.unwrap(),
        dict_data::Entity::find().count(db).await.unwrap(),
        menus,
    )
}

fn data_body(type_id: i64, label: &str, value: &str, sort: i64, status: i64) -> Value {
    json!({
        "type_id": type_id, "label": label, "value": value, "color": "blue",
        "sort": sort, "status": status, "remark": null
    })
}

async fn create_type(app: &TestApp, token: &str, name: &str, code: &str) -> i64 {
    let body = json!({"name": name, "code": code, "status": 1, "remark": "r"});
    let (status, resp) = app.post_json(TYPES, token, &body).await;
    assert_ok_empty(status, &resp);
    type_id(app, code).await
}

async fn create_data(app: &TestApp, token: &str, body: &Value) {
    let (status, resp) = app.post_json(DATAS, token, body).await;
    assert_ok_empty(status, &resp);
}

fn labels(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_seed_gives_the_ui_every_dict_code_with_fbas_rows_and_a_restart_inserts_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    for code in UI_CODES {
        let (status, body) = app.get_json(&codes_path(code), &admin).await;
        assert_eq!(status, 200, "{code}: {body}");
        assert!(!body["data"].as_array().unwrap().is_empty(), "{code}");
    }

    // FBA's rows, enabled only, `sort DESC`, in FBA's shape.
    let sys_status = type_id(&app, "sys_status").await;
    let (status, body) = app.get_json(&codes_path("sys_status"), &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 200);
    let items = body["data"].as_array().unwrap();
    let wire: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap(),
                i["value"].as_str().unwrap(),
                i["color"].as_str().unwrap(),
                i["sort"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(wire, [("正常", "1", "green", 2), ("停用", "0", "red", 1)]);
    let first = &items[0];
    assert_eq!(first["type_id"], sys_status);
    assert_eq!(first["type_code"], "sys_status");
    assert_eq!(first["status"], 1);
    assert_eq!(first["remark"], "正常状态");
    assert!(first["id"].is_i64());
    assert!(is_fba_datetime(&first["created_time"]), "{first}");
    assert!(first["updated_time"].is_null());
    let mut keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "color",
            "created_time",
            "id",
            "label",
            "remark",
            "sort",
            "status",
            "type_code",
            "type_id",
            "updated_time",
            "value"
        ]
    );
    let (_, choose) = app.get_json(&codes_path("sys_choose"), &admin).await;
    let values: Vec<&str> = choose["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["true", "false"]);

    // An unknown code is FBA's 404.
    let (status, body) = app.get_json(&codes_path("no_such_code"), &admin).await;
    assert_error(status, &body, 404, "字典数据不存在");

    // 12 types, 36 entries, the page and its 6 buttons under System.
    assert_eq!(counts(&app).await, (12, 36, 6));
    let db = &app.app_state.db;
    let page = sys_menu::Entity::find()
        .filter(sys_menu::Column::Name.eq("PluginDict"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let system = sys_menu::Entity::find()
        .filter(sys_menu::Column::Name.eq("System"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.parent_id, Some(system.id));
    assert_eq!(
        (page.path.as_deref(), page.component.as_deref(), page.r#type),
        (Some("/plugins/dict"), Some("/plugins/dict/views/index"), 1)
    );
    let buttons = sys_menu::Entity::find()
        .filter(sys_menu::Column::ParentId.eq(page.id))
        .all(db)
        .await
        .unwrap();
    let mut perms: Vec<_> = buttons
        .iter()
        .map(|b| (b.name.as_str(), b.perms.as_deref().unwrap(), b.r#type))
        .collect();
    perms.sort_unstable();
    assert_eq!(
        perms,
        [
            ("AddDictData", "dict:data:add", 2),
            ("AddDictType", "dict:type:add", 2),
            ("DeleteDictData", "dict:data:del", 2),
            ("DeleteDictType", "dict:type:del", 2),
            ("EditDictData", "dict:data:edit", 2),
            ("EditDictType", "dict:type:edit", 2),
        ]
    );

    // A restart runs the seeds again: nothing is inserted twice; a row an administrator
    // deleted stays deleted, one that was edited stays edited.
    let removed = data_id(&app, "notice", "公告").await;
    let (status, body) = app
        .delete_json(DATAS, &admin, Some(&json!({"pks": [removed]})))
        .await;
    assert_ok_empty(status, &body);
    let renamed = data_id(&app, "notice", "通知").await;
    let mut row: dict_data::ActiveModel = dict_data::Entity::find_by_id(renamed)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.label = Set("通知!".into());
    row.update(db).await.unwrap();
    app.app_state
        .modules
        .migrate(db.inner(), &app.app_state.settings)
        .await
        .unwrap();
    app.app_state
        .modules
        .migrate(db.inner(), &app.app_state.settings)
        .await
        .unwrap();
    assert_eq!(counts(&app).await, (12, 35, 6));
    assert!(
        dict_data::Entity::find_by_id(removed)
            .one(db)
            .await
            .unwrap()
            .is_none()
    );
    data_id(&app, "notice", "通知!").await;
    app.stop().await;
}

#[tokio::test]
async fn dict_types_are_created_read_updated_and_deleted_with_fbas_checks() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let id = create_type(&app, &admin, "颜色", "color").await;
    let (status, body) = app.get_json(&format!("{TYPES}/{id}"), &admin).await;
    assert_eq!(status, 200, "{body}");
    let t = &body["data"];
    assert_eq!(
        (&t["name"], &t["code"], &t["remark"], &t["id"]),
        (&json!("颜色"), &json!("color"), &json!("r"), &json!(id))
    );
    assert!(is_fba_datetime(&t["created_time"]));
    assert!(t["updated_time"].is_null());
    assert_eq!(t.as_object().unwrap().len(), 6, "{t}");

    // 409 for a code in use, on create and on update; 404 for an unknown id.
    let (status, body) = app
        .post_json(TYPES, &admin, &json!({"name": "x", "code": "sys_status"}))
        .await;
    assert_error(status, &body, 409, "字典类型已存在");
    let (status, body) = app
        .put_json(
            &format!("{TYPES}/{id}"),
            &admin,
            &json!({"name": "x", "code": "sys_choose"}),
        )
        .await;
    assert_error(status, &body, 409, "字典类型已存在");
    let (status, body) = app.get_json(&format!("{TYPES}/999999"), &admin).await;
    assert_error(status, &body, 404, "字典类型不存在");
    let (status, body) = app
        .put_json(
            &format!("{TYPES}/999999"),
            &admin,
            &json!({"name": "x", "code": "y"}),
        )
        .await;
    assert_error(status, &body, 404, "字典类型不存在");

    // Update (same code is no conflict), then the new values.
    let (status, body) = app
        .put_json(
            &format!("{TYPES}/{id}"),
            &admin,
            &json!({"name": "颜色2", "code": "color"}),
        )
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&format!("{TYPES}/{id}"), &admin).await;
    assert_eq!(body["data"]["name"], "颜色2");
    assert!(body["data"]["remark"].is_null());
    assert!(is_fba_datetime(&body["data"]["updated_time"]));

    // `/all`: every type; `en-US` messages come from the same keys.
    let (_, body) = app.get_json(&format!("{TYPES}/all"), &admin).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 13);
    let resp = app
        .client
        .get(app.url(&format!("{TYPES}/999999")))
        .bearer_auth(&admin)
        .header("Accept-Language", "en-US")
        .send()
        .await
        .unwrap();
    let (status, body) = fba_testing::json(resp).await;
    assert_error(status, &body, 404, "Dictionary type not found");

    // Deleting a type deletes its entries; deleting nothing is FBA's soft failure.
    create_data(&app, &admin, &data_body(id, "红", "red", 1, 1)).await;
    let (status, body) = app
        .delete_json(TYPES, &admin, Some(&json!({"pks": [id]})))
        .await;
    assert_ok_empty(status, &body);
    let left = dict_data::Entity::find()
        .filter(dict_data::Column::TypeId.eq(id))
        .count(&app.app_state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let (status, body) = app
        .delete_json(TYPES, &admin, Some(&json!({"pks": [id]})))
        .await;
    assert_soft_fail(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn dict_types_page_newest_first_and_filter_by_name_and_code() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let a = create_type(&app, &admin, "甲类", "alpha_kind").await;
    let b = create_type(&app, &admin, "乙类", "beta_kind").await;

    let (status, body) = app
        .get_json(&format!("{TYPES}?page=1&size=5"), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    let page = &body["data"];
    assert_eq!(
        (page["total"].as_i64(), page["total_pages"].as_i64()),
        (Some(14), Some(3))
    );
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(&ids[..2], [b, a], "id DESC");
    assert_eq!(page["links"]["next"], format!("{TYPES}?page=2&size=5"));

    let (_, body) = app.get_json(&format!("{TYPES}?code=_kind"), &admin).await;
    assert_eq!(body["data"]["total"], 2);
    let (_, body) = app
        .get_json(&format!("{TYPES}?name=%E7%94%B2&code="), &admin)
        .await;
    assert_eq!(body["data"]["total"], 1);
    assert_eq!(body["data"]["items"][0]["code"], "alpha_kind");
    let (status, body) = app.get_json(&format!("{TYPES}?size=201"), &admin).await;
    assert_422(status, &body, json!(["query", "size"]));
    app.stop().await;
}

#[tokio::test]
async fn dict_data_are_created_read_updated_and_deleted_with_fbas_checks() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let t = create_type(&app, &admin, "尺寸", "size").await;
    let other = create_type(&app, &admin, "形状", "shape").await;

    create_data(&app, &admin, &data_body(t, "小", "s", 1, 1)).await;
    let id = data_id(&app, "size", "小").await;
    let (status, body) = app.get_json(&format!("{DATAS}/{id}"), &admin).await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(
        (
            &d["type_id"],
            &d["type_code"],
            &d["value"],
            &d["color"],
            &d["sort"],
            &d["status"]
        ),
        (
            &json!(t),
            &json!("size"),
            &json!("s"),
            &json!("blue"),
            &json!(1),
            &json!(1)
        )
    );

    // 404 for an unknown type; 409 for a label the type has; the same label in another type
    // is fine.
    let (status, body) = app
        .post_json(DATAS, &admin, &data_body(999_999, "x", "x", 1, 1))
        .await;
    assert_error(status, &body, 404, "字典类型不存在");
    let (status, body) = app
        .post_json(DATAS, &admin, &data_body(t, "小", "s2", 1, 1))
        .await;
    assert_error(status, &body, 409, "字典数据已存在");
    create_data(&app, &admin, &data_body(other, "小", "s", 1, 1)).await;
    create_data(&app, &admin, &data_body(t, "大", "l", 2, 1)).await;

    // Update: 404 for an unknown entry or type, 409 for a label taken in the target type.
    let path = format!("{DATAS}/{id}");
    let (status, body) = app
        .put_json(
            &format!("{DATAS}/999999"),
            &admin,
            &data_body(t, "x", "x", 1, 1),
        )
        .await;
    assert_error(status, &body, 404, "字典数据不存在");
    let (status, body) = app
        .put_json(&path, &admin, &data_body(999_999, "x", "x", 1, 1))
        .await;
    assert_error(status, &body, 404, "字典类型不存在");
    let (status, body) = app
        .put_json(&path, &admin, &data_body(t, "大", "s", 1, 1))
        .await;
    assert_error(status, &body, 409, "字典数据已存在");
    // Moving it to the other type takes that type's code.
    let (status, body) = app
        .put_json(&path, &admin, &data_body(other, "中", "m", 3, 0))
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&path, &admin).await;
    let d = &body["data"];
    assert_eq!(
        (&d["type_id"], &d["type_code"], &d["label"], &d["status"]),
        (&json!(other), &json!("shape"), &json!("中"), &json!(0))
    );
    assert!(is_fba_datetime(&d["updated_time"]));

    let (_, body) = app.get_json(&format!("{DATAS}/all"), &admin).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 39);

    // Delete, then 404; deleting nothing is FBA's soft failure.
    let (status, body) = app
        .delete_json(DATAS, &admin, Some(&json!({"pks": [id, 999_999]})))
        .await;
    assert_ok_empty(status, &body);
    let (status, body) = app.get_json(&path, &admin).await;
    assert_error(status, &body, 404, "字典数据不存在");
    let (status, body) = app
        .delete_json(DATAS, &admin, Some(&json!({"pks": [id]})))
        .await;
    assert_soft_fail(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn dict_data_pages_sort_ascending_and_filter_by_every_parameter() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let t = create_type(&app, &admin, "级别", "level").await;
    for (label, value, sort, status) in [
        ("高", "high", 3, 1),
        ("低", "low", 1, 1),
        ("中", "mid", 2, 0),
    ] {
        create_data(&app, &admin, &data_body(t, label, value, sort, status)).await;
    }

    let (status, body) = app
        .get_json(&format!("{DATAS}?type_code=level"), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total"], 3);
    assert_eq!(
        labels(&body["data"]["items"]),
        ["低", "中", "高"],
        "sort ASC"
    );
    let (_, body) = app
        .get_json(&format!("{DATAS}?type_id={t}&status=1"), &admin)
        .await;
    assert_eq!(labels(&body["data"]["items"]), ["低", "高"]);
    let (_, body) = app
        .get_json(&format!("{DATAS}?type_code=level&value=i"), &admin)
        .await;
    assert_eq!(labels(&body["data"]["items"]), ["中", "高"]);
    let (_, body) = app
        .get_json(&format!("{DATAS}?label=%E4%B8%AD&type_code=level"), &admin)
        .await;
    assert_eq!(labels(&body["data"]["items"]), ["中"]);
    // `type_code` is exact, not LIKE.
    let (_, body) = app
        .get_json(&format!("{DATAS}?type_code=lev"), &admin)
        .await;
    assert_eq!(body["data"]["total"], 0);
    // Empty parameters (what the UI sends for cleared fields) mean no filter.
    let (_, body) = app
        .get_json(
            &format!("{DATAS}?type_code=&label=&status=&type_id="),
            &admin,
        )
        .await;
    assert_eq!(body["data"]["total"], 39);

    let (_, body) = app
        .get_json(&format!("{DATAS}?type_code=level&page=2&size=2"), &admin)
        .await;
    let page = &body["data"];
    assert_eq!(labels(&page["items"]), ["高"]);
    assert_eq!(
        (page["page"].as_i64(), page["total_pages"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        page["links"]["prev"],
        format!("{DATAS}?type_code=level&page=1&size=2")
    );

    let (status, body) = app.get_json(&format!("{DATAS}?status=x"), &admin).await;
    assert_422(status, &body, json!(["query", "status"]));
    let (status, body) = app.get_json(&format!("{DATAS}?type_id=x"), &admin).await;
    assert_422(status, &body, json!(["query", "type_id"]));
    let (status, body) = app.get_json(&format!("{DATAS}?page=0"), &admin).await;
    assert_422(status, &body, json!(["query", "page"]));
    app.stop().await;
}

#[tokio::test]
async fn bad_bodies_and_paths_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let t = type_id(&app, "sys_status").await;

    let cases = [
        (
            Method::POST,
            TYPES.to_owned(),
            json!({"code": "c"}),
            json!(["body", "name"]),
        ),
        (
            Method::POST,
            TYPES.to_owned(),
            json!({"name": "n", "code": "x".repeat(33)}),
            json!(["body", "code"]),
        ),
        (
            Method::POST,
            TYPES.to_owned(),
            json!({"name": 5, "code": "c"}),
            json!(["body", "name"]),
        ),
        (
            Method::PUT,
            format!("{TYPES}/{t}"),
            json!({"name": "n"}),
            json!(["body", "code"]),
        ),
        (
            Method::PUT,
            format!("{TYPES}/x"),
            json!({"name": "n", "code": "c"}),
            json!(["path", "pk"]),
        ),
        (
            Method::DELETE,
            TYPES.to_owned(),
            json!({"pks": 1}),
            json!(["body", "pks"]),
        ),
        (
            Method::DELETE,
            TYPES.to_owned(),
            json!({"pks": [1, "a"]}),
            json!(["body", "pks", 1]),
        ),
        (
            Method::POST,
            DATAS.to_owned(),
            json!({"type_id": t, "label": "l", "value": "v", "status": 1}),
            json!(["body", "sort"]),
        ),
        (
            Method::POST,
            DATAS.to_owned(),
            json!({"type_id": "x", "label": "l", "value": "v", "sort": 1, "status": 1}),
            json!(["body", "type_id"]),
        ),
        (
            Method::POST,
            DATAS.to_owned(),
            json!({"type_id": t, "label": "l", "value": 1, "sort": 1, "status": 1}),
            json!(["body", "value"]),
        ),
        (
            Method::POST,
            DATAS.to_owned(),
            json!({"type_id": t, "label": "l", "value": "v", "sort": 1, "status": 2}),
            json!(["body", "status"]),
        ),
        (
            Method::POST,
            DATAS.to_owned(),
            json!({"type_id": t, "label": "l", "value": "v", "color": "c".repeat(33), "sort": 1, "status": 1}),
            json!(["body", "color"]),
        ),
        (
            Method::PUT,
            format!("{DATAS}/{t}"),
            json!({"type_id": t, "label": "l", "value": "v", "sort": "a", "status": 1}),
            json!(["body", "sort"]),
        ),
        (
            Method::DELETE,
            DATAS.to_owned(),
            json!({}),
            json!(["body", "pks"]),
        ),
    ];
    for (method, path, body, loc) in cases {
        let (status, resp) = app
            .call(method.clone(), &path, Some(&admin), Some(&body))
            .await;
        assert_422(status, &resp, loc.clone());
        assert!(
            resp["msg"].as_str().unwrap().starts_with("请求参数非法: "),
            "{method} {path}: {resp}"
        );
    }
    let (status, body) = app.get_json(&format!("{DATAS}/x"), &admin).await;
    assert_422(status, &body, json!(["path", "pk"]));
    let (status, body) = app.get_json(&format!("{TYPES}/x"), &admin).await;
    assert_422(status, &body, json!(["path", "pk"]));
    app.stop().await;
}

#[tokio::test]
async fn writes_need_their_permission_and_every_route_a_token() {
    let app = TestApp::spawn().await;
    make_staff(&app, 2).await;
    let staff = app.token_for(2).await;

    let writes = [
        (Method::POST, TYPES.to_owned()),
        (Method::PUT, format!("{TYPES}/1")),
        (Method::DELETE, TYPES.to_owned()),
        (Method::POST, DATAS.to_owned()),
        (Method::PUT, format!("{DATAS}/1")),
        (Method::DELETE, DATAS.to_owned()),
    ];
    for (method, path) in &writes {
        let (status, body) = app
            .call(method.clone(), path, Some(&staff), Some(&json!({})))
            .await;
        assert_error(status, &body, 403, "Permission Denied");
    }
    let reads = [
        format!("{TYPES}/all"),
        format!("{TYPES}/1"),
        TYPES.to_owned(),
        format!("{DATAS}/all"),
        format!("{DATAS}/1"),
        codes_path("sys_status"),
        DATAS.to_owned(),
    ];
    for path in &reads {
        let (status, body) = app.get_json(path, &staff).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    for (method, path) in writes
        .iter()
        .cloned()
        .chain(reads.iter().map(|p| (Method::GET, p.clone())))
    {
        let (status, body) = app.call(method, &path, None, Some(&json!({}))).await;
        assert_401(status, &body);
    }
    app.stop().await;
}

#[tokio::test]
async fn cached_dict_reads_change_right_after_every_write() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let db = &app.app_state.db;
    let status_type = type_id(&app, "sys_status").await;
    let enabled = data_id(&app, "sys_status", "正常").await;
    let by_code = codes_path("sys_status");
    let by_id = format!("{DATAS}/{enabled}");

    // Both reads are cached: a change behind the API's back is not seen.
    let (_, before) = app.get_json(&by_code, &admin).await;
    let (_, detail) = app.get_json(&by_id, &admin).await;
    assert_eq!(detail["data"]["label"], "正常");
    let mut row: dict_data::ActiveModel = dict_data::Entity::find_by_id(enabled)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.label = Set("behind".into());
    row.update(db).await.unwrap();
    let (_, cached) = app.get_json(&by_code, &admin).await;
    assert_eq!(cached, before);
    let (_, cached) = app.get_json(&by_id, &admin).await;
    assert_eq!(cached["data"]["label"], "正常");

    // Update: both reads change at once.
    let (status, body) = app
        .put_json(&by_id, &admin, &data_body(status_type, "启用", "1", 2, 1))
        .await;
    assert_ok_empty(status, &body);
    let (_, body) = app.get_json(&by_code, &admin).await;
    assert_eq!(labels(&body["data"]), ["启用", "停用"]);
    let (_, body) = app.get_json(&by_id, &admin).await;
    assert_eq!(body["data"]["label"], "启用");

    // Create (FBA leaves the list stale here): the new enabled entry shows at once; a
    // disabled one never does.
    create_data(&app, &admin, &data_body(status_type, "锁定", "2", 9, 1)).await;
    create_data(&app, &admin, &data_body(status_type, "隐藏", "3", 8, 0)).await;
    let (_, body) = app.get_json(&by_code, &admin).await;
    assert_eq!(labels(&body["data"]), ["锁定", "启用", "停用"]);

    // Delete: gone from both reads.
    let (status, body) = app
        .delete_json(DATAS, &admin, Some(&json!({"pks": [enabled]})))
        .await;
    assert_ok_empty(status, &body);
    let (status, body) = app.get_json(&by_id, &admin).await;
    assert_error(status, &body, 404, "字典数据不存在");
    let (_, body) = app.get_json(&by_code, &admin).await;
    assert_eq!(labels(&body["data"]), ["锁定", "停用"]);

    // Deleting a type drops its cached list (FBA serves it until the TTL ends).
    let choose = type_id(&app, "sys_choose").await;
    let (status, _) = app.get_json(&codes_path("sys_choose"), &admin).await;
    assert_eq!(status, 200);
    let (status, body) = app
        .delete_json(TYPES, &admin, Some(&json!({"pks": [choose]})))
        .await;
    assert_ok_empty(status, &body);
    let (status, body) = app.get_json(&codes_path("sys_choose"), &admin).await;
    assert_error(status, &body, 404, "字典数据不存在");
    app.stop().await;
}

#[tokio::test]
async fn dict_models_openapi_and_the_plugin_switch_follow_fba() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    // The data-permission models, with FBA's class names and column comments.
    let (_, models) = app.get_json("/api/v1/sys/data-rules/models", &admin).await;
    let models = models["data"].as_array().unwrap();
    assert!(models.contains(&json!("DictType")) && models.contains(&json!("DictData")));
    let (status, columns) = app
        .get_json("/api/v1/sys/data-rules/models/DictData/columns", &admin)
        .await;
    assert_eq!(status, 200, "{columns}");
    let own: Vec<(&str, &str)> = columns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["key"].as_str().unwrap().starts_with("__"))
        .map(|c| (c["key"].as_str().unwrap(), c["comment"].as_str().unwrap()))
        .collect();
    assert!(
        own.contains(&("type_code", "对应的字典类型编码")),
        "{own:?}"
    );
    assert!(own.contains(&("status", "状态（0停用 1正常）")), "{own:?}");
    assert!(own.contains(&("type_id", "字典类型关联ID")), "{own:?}");

    // The OpenAPI document: FBA's tags, summaries and operation ids, every route once.
    let (status, doc) = fba_testing::json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    let expected = [
        (
            "/dict-types/all",
            "get",
            "get_all_dict_types",
            "获取所有字典数据",
        ),
        (
            "/dict-types/{pk}",
            "get",
            "get_dict_type",
            "获取字典类型详情",
        ),
        (
            "/dict-types",
            "get",
            "get_dict_types_paginated",
            "分页获取所有字典类型",
        ),
        ("/dict-types", "post", "create_dict_type", "创建字典类型"),
        (
            "/dict-types/{pk}",
            "put",
            "update_dict_type",
            "更新字典类型",
        ),
        (
            "/dict-types",
            "delete",
            "delete_dict_types",
            "批量删除字典类型",
        ),
        (
            "/dict-datas/all",
            "get",
            "get_all_dict_datas",
            "获取所有字典数据",
        ),
        (
            "/dict-datas/{pk}",
            "get",
            "get_dict_data",
            "获取字典数据详情",
        ),
        (
            "/dict-datas/type-codes/{code}",
            "get",
            "get_dict_data_by_type_code",
            "获取字典数据列表",
        ),
        (
            "/dict-datas",
            "get",
            "get_dict_datas_paginated",
            "分页获取所有字典数据",
        ),
        ("/dict-datas", "post", "create_dict_data", "创建字典数据"),
        (
            "/dict-datas/{pk}",
            "put",
            "update_dict_data",
            "更新字典数据",
        ),
        (
            "/dict-datas",
            "delete",
            "delete_dict_datas",
            "批量删除字典数据",
        ),
    ];
    for (path, method, operation_id, summary) in expected {
        let op = &doc["paths"][format!("/api/v1/sys{path}")][method];
        assert_eq!(op["operationId"], operation_id, "{method} {path}");
        assert_eq!(op["summary"], summary, "{method} {path}");
        let tag = if path.starts_with("/dict-types") {
            "系统字典类型"
        } else {
            "系统字典数据"
        };
        assert_eq!(op["tags"], json!([tag]), "{method} {path}");
    }
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/sys/dict-"))
        .map(|(_, item)| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, expected.len());

    // Switched off, every dict route answers 403; switched on, it serves again.
    let switch = "/api/v1/sys/plugins/dict/status";
    let (status, body) = app.put_json(switch, &admin, &json!({})).await;
    assert_ok_empty(status, &body);
    let off = "插件 dict 未启用，请联系系统管理员";
    for path in [
        codes_path("sys_status"),
        TYPES.to_owned(),
        format!("{DATAS}/1"),
    ] {
        let (status, body) = app.get_json(&path, &admin).await;
        assert_error(status, &body, 403, off);
    }
    let (status, body) = app
        .post_json(TYPES, &admin, &json!({"name": "n", "code": "c"}))
        .await;
    assert_error(status, &body, 403, off);
    let (status, body) = app.put_json(switch, &admin, &json!({})).await;
    assert_ok_empty(status, &body);
    let (status, body) = app.get_json(&codes_path("sys_status"), &admin).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_dict_write_on_one_replica_reaches_the_others_cache_within_moments() {
    let Some(redis) = fba_testing::replica_redis() else {
        return;
    };
    let a = TestApp::spawn().await;
    let b = TestApp::builder().sharing(&a, &redis).spawn().await;
    let token_a = a.token_for(1).await;
    let token_b = b.token_for(1).await;
    let path = codes_path("sys_status");

    // B caches the list (both levels), then A changes an entry.
    let (_, body) = b.get_json(&path, &token_b).await;
    assert_eq!(labels(&body["data"]), ["正常", "停用"]);
    let (_, body) = b.get_json(&path, &token_b).await;
    assert_eq!(labels(&body["data"]), ["正常", "停用"]);
    let t = type_id(&a, "sys_status").await;
    let id = data_id(&a, "sys_status", "正常").await;
    let (status, body) = a
        .put_json(
            &format!("{DATAS}/{id}"),
            &token_a,
            &data_body(t, "启用", "1", 2, 1),
        )
        .await;
    assert_ok_empty(status, &body);
    // The Kv level is gone at once; B's local level goes when the invalidation message
    // (`fba:cache:invalidate`) arrives.
    let mut seen = Vec::new();
    for _ in 0..100 {
        let (_, body) = b.get_json(&path, &token_b).await;
        seen = labels(&body["data"])
            .into_iter()
            .map(str::to_owned)
            .collect();
        if seen == ["启用", "停用"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, ["启用", "停用"]);
    b.stop_shared().await;
    a.stop().await;
}
