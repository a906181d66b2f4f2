//! The `notice` plugin (`/api/v1/sys/notices`) through the real app: every route's success,
//! 422 with its `loc`, 404 and soft failure, 403 without the permission, 401 without a token,
//! the list's filters, order and pages, the seeded menus and sample notice, the data model,
//! the OpenAPI paths, and the plugin's switch (`PUT /sys/plugins/notice/status`).

use fba_testing::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail, flatten,
    is_fba_datetime, make_staff,
};
use reqwest::Method;
use serde_json::{Value, json};

const NOTICES: &str = "/api/v1/sys/notices";

/// FBA's sample notice, seeded with the plugin.
const SAMPLE_TITLE: &str = "hahahahahaahahaha";

fn body(title: &str, notice_type: i64, status: i64) -> Value {
    json!({"title": title, "type": notice_type, "status": status, "content": format!("# {title}")})
}

/// Creates a notice as `token` and returns its id (the newest notice titled `title`).
async fn create(app: &TestApp, token: &str, b: &Value) -> i64 {
    let (status, reply) = app.post_json(NOTICES, token, b).await;
    assert_ok_empty(status, &reply);
    let title = b["title"].as_str().unwrap();
    let (_, page) = app
        .get_json(&format!("{NOTICES}?title={title}&size=200"), token)
        .await;
    page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == title)
        .and_then(|n| n["id"].as_i64())
        .unwrap_or_else(|| panic!("{title} listed: {page}"))
}

fn titles(page: &Value) -> Vec<&str> {
    page["data"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn notice_crud_round_trip_keeps_fba_shapes() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    // FBA's sample notice is there on a fresh database.
    let (status, page) = app.get_json(NOTICES, &admin).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(titles(&page), [SAMPLE_TITLE]);
    let sample = &page["data"]["items"][0];
    assert_eq!((&sample["type"], &sample["status"]), (&json!(0), &json!(1)));
    assert_eq!(sample["created_time"], "2025-12-15 15:33:16");
    assert!(sample["content"].as_str().unwrap().contains("fba yyds"));

    let id = create(&app, &admin, &body("维护通知", 0, 1)).await;
    let (status, detail) = app.get_json(&format!("{NOTICES}/{id}"), &admin).await;
    assert_eq!(status, 200, "{detail}");
    let data = &detail["data"];
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "content",
            "created_time",
            "id",
            "status",
            "title",
            "type",
            "updated_time"
        ]
    );
    assert_eq!(
        (
            &data["title"],
            &data["type"],
            &data["status"],
            &data["content"]
        ),
        (
            &json!("维护通知"),
            &json!(0),
            &json!(1),
            &json!("# 维护通知")
        )
    );
    assert!(is_fba_datetime(&data["created_time"]), "{data}");
    assert_eq!(data["updated_time"], Value::Null);

    // Update: every field overwritten, `updated_time` stamped; lax ints accepted.
    let changed =
        json!({"title": "系统公告", "type": "1", "status": 0, "content": "新内容", "id": 77});
    let (status, reply) = app
        .put_json(&format!("{NOTICES}/{id}"), &admin, &changed)
        .await;
    assert_ok_empty(status, &reply);
    let (_, detail) = app.get_json(&format!("{NOTICES}/{id}"), &admin).await;
    let data = &detail["data"];
    assert_eq!(
        (
            &data["id"],
            &data["title"],
            &data["type"],
            &data["status"],
            &data["content"]
        ),
        (
            &json!(id),
            &json!("系统公告"),
            &json!(1),
            &json!(0),
            &json!("新内容")
        )
    );
    assert!(is_fba_datetime(&data["updated_time"]), "{data}");

    // Delete: gone afterwards; ids given as numeric strings are accepted.
    let (status, reply) = app
        .delete_json(NOTICES, &admin, Some(&json!({"pks": [id.to_string()]})))
        .await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app.get_json(&format!("{NOTICES}/{id}"), &admin).await;
    assert_error(status, &reply, 404, "通知公告不存在");
    app.stop().await;
}

#[tokio::test]
async fn notice_unknown_ids_are_404_and_writes_changing_nothing_soft_fail() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let (status, reply) = app.get_json(&format!("{NOTICES}/999999"), &admin).await;
    assert_error(status, &reply, 404, "通知公告不存在");
    let (status, reply) = app
        .put_json(&format!("{NOTICES}/999999"), &admin, &body("x", 0, 1))
        .await;
    assert_error(status, &reply, 404, "通知公告不存在");
    let (status, reply) = app
        .delete_json(NOTICES, &admin, Some(&json!({"pks": [999_999]})))
        .await;
    assert_soft_fail(status, &reply);
    let (status, reply) = app
        .delete_json(NOTICES, &admin, Some(&json!({"pks": []})))
        .await;
    assert_soft_fail(status, &reply);

    // The message follows the request's language.
    let (status, reply) = fba_testing::json(
        app.client
            .get(app.url(&format!("{NOTICES}/999999")))
            .bearer_auth(&admin)
            .header("accept-language", "en-US,en;q=0.9")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &reply, 404, "Notice does not exist");
    app.stop().await;
}

#[tokio::test]
async fn notice_bodies_and_filters_are_validated_with_their_loc() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let ok = body("t", 0, 1);

    let cases = [
        ("title", json!("x".repeat(65)), "string_too_long"),
        ("title", json!(5), "string_type"),
        ("type", json!(2), "enum"),
        ("type", json!("x"), "enum"),
        ("status", json!(-1), "enum"),
        ("content", json!("a\u{0}b"), "value_error"),
        ("content", Value::Null, "string_type"),
    ];
    for (field, bad, kind) in cases {
        let mut b = ok.clone();
        b[field] = bad;
        for (status, reply) in [
            app.post_json(NOTICES, &admin, &b).await,
            app.put_json(&format!("{NOTICES}/1"), &admin, &b).await,
        ] {
            assert_422(status, &reply, json!(["body", field]));
            assert_eq!(reply["data"]["errors"][0]["type"], kind, "{reply}");
        }
    }
    // A missing field, and every bad field named at once.
    let (status, reply) = app
        .post_json(
            NOTICES,
            &admin,
            &json!({"title": "t", "type": 0, "status": 1}),
        )
        .await;
    assert_422(status, &reply, json!(["body", "content"]));
    assert_eq!(reply["data"]["errors"][0]["type"], "missing");
    let (status, reply) = app
        .post_json(
            NOTICES,
            &admin,
            &json!({"title": "x".repeat(65), "type": 9, "status": 9, "content": ""}),
        )
        .await;
    assert_eq!(status, 422, "{reply}");
    let locs: Vec<&Value> = reply["data"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"][1])
        .collect();
    assert_eq!(locs, [&json!("title"), &json!("type"), &json!("status")]);
    // 64 characters (not bytes) fit.
    let (status, reply) = app
        .post_json(NOTICES, &admin, &body(&"通".repeat(64), 1, 1))
        .await;
    assert_ok_empty(status, &reply);

    // Delete body.
    for (bad, loc) in [
        (json!({"pks": "1"}), json!(["body", "pks"])),
        (json!({"pks": [1, "x"]}), json!(["body", "pks", 1])),
        (json!({}), json!(["body", "pks"])),
    ] {
        let (status, reply) = app.delete_json(NOTICES, &admin, Some(&bad)).await;
        assert_422(status, &reply, loc);
    }
    // Path and query.
    let (status, reply) = app.get_json(&format!("{NOTICES}/abc"), &admin).await;
    assert_422(status, &reply, json!(["path", "pk"]));
    for (query, loc) in [
        ("type=x", json!(["query", "type"])),
        ("status=1.5", json!(["query", "status"])),
        ("page=0", json!(["query", "page"])),
        ("size=201", json!(["query", "size"])),
    ] {
        let (status, reply) = app.get_json(&format!("{NOTICES}?{query}"), &admin).await;
        assert_422(status, &reply, loc);
    }
    app.stop().await;
}

#[tokio::test]
async fn notice_list_filters_and_pages_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (_, page) = app.get_json(NOTICES, &admin).await;
    let sample = page["data"]["items"][0]["id"].as_i64().unwrap();
    let (status, reply) = app
        .delete_json(NOTICES, &admin, Some(&json!({"pks": [sample]})))
        .await;
    assert_ok_empty(status, &reply);

    for (title, notice_type, status) in [
        ("停机通知 A", 0, 1),
        ("版本公告 B", 1, 1),
        ("停机通知 C", 0, 0),
        ("版本公告 D", 1, 0),
        ("其他 E", 0, 1),
    ] {
        create(&app, &admin, &body(title, notice_type, status)).await;
    }

    let list = |query: &str| {
        let app = &app;
        let admin = &admin;
        let query = query.to_owned();
        async move {
            let (status, page) = app.get_json(&format!("{NOTICES}?{query}"), admin).await;
            assert_eq!(status, 200, "{query}: {page}");
            page
        }
    };
    let all = list("").await;
    assert_eq!(
        titles(&all),
        [
            "其他 E",
            "版本公告 D",
            "停机通知 C",
            "版本公告 B",
            "停机通知 A"
        ]
    );
    assert_eq!(all["data"]["total"], 5);
    assert_eq!(
        titles(&list("title=停机").await),
        ["停机通知 C", "停机通知 A"]
    );
    assert_eq!(titles(&list("type=1").await), ["版本公告 D", "版本公告 B"]);
    assert_eq!(
        titles(&list("status=0").await),
        ["版本公告 D", "停机通知 C"]
    );
    assert_eq!(
        titles(&list("title=通知&type=0&status=1").await),
        ["停机通知 A"]
    );
    // Empty filters (what the UI sends for emptied fields) filter nothing.
    assert_eq!(list("title=&type=&status=").await["data"]["total"], 5);
    assert_eq!(list("title=nothing").await["data"]["total"], 0);

    // Pages: FBA's shape, links keeping the filters.
    let second = list("type=0&page=2&size=2").await;
    let data = &second["data"];
    assert_eq!(titles(&second), ["停机通知 A"]);
    assert_eq!(
        (
            &data["total"],
            &data["page"],
            &data["size"],
            &data["total_pages"]
        ),
        (&json!(3), &json!(2), &json!(2), &json!(2))
    );
    assert_eq!(
        data["links"]["first"],
        "/api/v1/sys/notices?type=0&page=1&size=2"
    );
    let past = list("page=9&size=2").await;
    assert_eq!(
        (titles(&past).len(), &past["data"]["total"]),
        (0, &json!(5))
    );
    app.stop().await;
}

#[tokio::test]
async fn notice_writes_need_their_permission_reads_a_token() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let id = create(&app, &admin, &body("权限", 0, 1)).await;
    // User 2 (role 1, none of the notice permissions) as staff: the refusal is the permission.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let detail = format!("{NOTICES}/{id}");
    let pks = json!({"pks": [id]});

    let (status, reply) = app.get_json(NOTICES, &user).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = app.get_json(&detail, &user).await;
    assert_eq!((status, &reply["data"]["id"]), (200, &json!(id)), "{reply}");
    let writes = [
        (Method::POST, NOTICES.to_owned(), body("x", 0, 1)),
        (Method::PUT, detail.clone(), body("x", 0, 1)),
        (Method::DELETE, NOTICES.to_owned(), pks.clone()),
    ];
    for (method, path, b) in &writes {
        let (status, reply) = app.call(method.clone(), path, Some(&user), Some(b)).await;
        assert_error(status, &reply, 403, "Permission Denied");
    }
    // Without a token every route is 401.
    for (method, path) in [
        (Method::GET, NOTICES),
        (Method::GET, detail.as_str()),
        (Method::POST, NOTICES),
        (Method::PUT, detail.as_str()),
        (Method::DELETE, NOTICES),
    ] {
        let (status, reply) = app.call(method, path, None, Some(&pks)).await;
        assert_401(status, &reply);
    }

    // The seeded buttons carry the codes the routes check: granting `AddNotice` (and its
    // menu) to role 1 lets user 2 create, and nothing else.
    let (_, tree) = app.get_json("/api/v1/sys/menus", &admin).await;
    let menu_id = |name: &str| {
        flatten(&tree["data"])
            .into_iter()
            .find(|n| n["name"] == name)
            .and_then(|n| n["id"].as_i64())
            .unwrap_or_else(|| panic!("{name} seeded"))
    };
    let grant = json!({"menus": [menu_id("PluginNotice"), menu_id("AddNotice")]});
    let (status, reply) = app
        .put_json("/api/v1/sys/roles/1/menus", &admin, &grant)
        .await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app.post_json(NOTICES, &user, &body("员工", 1, 1)).await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app.put_json(&detail, &user, &body("x", 0, 1)).await;
    assert_error(status, &reply, 403, "Permission Denied");
    app.stop().await;
}

#[tokio::test]
async fn notice_seed_menus_data_model_and_openapi_follow_fba() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let (status, tree) = app.get_json("/api/v1/sys/menus", &admin).await;
    assert_eq!(status, 200, "{tree}");
    let nodes = flatten(&tree["data"]);
    let system = nodes.iter().find(|n| n["name"] == "System").unwrap();
    let menu = flatten(&system["children"])
        .into_iter()
        .find(|n| n["name"] == "PluginNotice")
        .expect("PluginNotice under System");
    assert_eq!(
        (
            &menu["title"],
            &menu["path"],
            &menu["sort"],
            &menu["icon"],
            &menu["type"],
            &menu["component"],
            &menu["perms"],
        ),
        (
            &json!("notice.menu"),
            &json!("/plugins/notice"),
            &json!(9),
            &json!("fe:notice-push"),
            &json!(1),
            &json!("/plugins/notice/views/index"),
            &Value::Null,
        )
    );
    let buttons: Vec<(&str, &str, &str, i64)> = menu["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap(),
                b["title"].as_str().unwrap(),
                b["perms"].as_str().unwrap(),
                b["type"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        buttons,
        [
            ("AddNotice", "新增", "sys:notice:add", 2),
            ("EditNotice", "修改", "sys:notice:edit", 2),
            ("DeleteNotice", "删除", "sys:notice:del", 2),
        ]
    );

    // The data model, for data rules.
    let (_, models) = app.get_json("/api/v1/sys/data-rules/models", &admin).await;
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .contains(&json!("Notice")),
        "{models}"
    );
    let (status, columns) = app
        .get_json("/api/v1/sys/data-rules/models/Notice/columns", &admin)
        .await;
    assert_eq!(status, 200, "{columns}");
    let own: Vec<(&str, &str)> = columns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["key"].as_str().unwrap().starts_with("__"))
        .map(|c| (c["key"].as_str().unwrap(), c["comment"].as_str().unwrap()))
        .collect();
    assert_eq!(
        own,
        [
            ("title", "标题"),
            ("type", "类型（0：通知、1：公告）"),
            ("status", "状态（0：隐藏、1：显示）"),
            ("content", "内容"),
        ]
    );

    // The OpenAPI document: FBA's tag, summaries and operation ids.
    let (status, doc) = fba_testing::json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    let expected = [
        (
            "/api/v1/sys/notices/{pk}",
            "get",
            "get_notice",
            "获取通知公告详情",
        ),
        (
            "/api/v1/sys/notices/{pk}",
            "put",
            "update_notice",
            "更新通知公告",
        ),
        (
            "/api/v1/sys/notices",
            "get",
            "get_notices_paginated",
            "分页获取所有通知公告",
        ),
        (
            "/api/v1/sys/notices",
            "post",
            "create_notice",
            "创建通知公告",
        ),
        (
            "/api/v1/sys/notices",
            "delete",
            "delete_notices",
            "批量删除通知公告",
        ),
    ];
    for (path, method, operation_id, summary) in expected {
        let op = &doc["paths"][path][method];
        assert_eq!(op["operationId"], operation_id, "{method} {path}");
        assert_eq!(op["summary"], summary, "{method} {path}");
        assert_eq!(op["tags"], json!(["系统通知公告"]), "{method} {path}");
        assert_eq!(
            op["security"],
            json!([{"HTTPBearer": []}]),
            "{method} {path}"
        );
    }
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with(NOTICES))
        .map(|(_, item)| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, expected.len());
    app.stop().await;
}

#[tokio::test]
async fn notice_plugin_switch_turns_its_routes_off_and_on() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let id = create(&app, &admin, &body("开关", 0, 1)).await;
    let detail = format!("{NOTICES}/{id}");
    let switch = "/api/v1/sys/plugins/notice/status";
    let enable = |plugins: &Value| {
        plugins["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["plugin"]["name"] == "notice")
            .map(|p| p["plugin"]["enable"].clone())
            .unwrap_or_else(|| panic!("notice listed: {plugins}"))
    };

    let (_, plugins) = app.get_json("/api/v1/sys/plugins", &admin).await;
    assert_eq!(enable(&plugins), "1");

    let (status, reply) = app.put_json(switch, &admin, &json!({})).await;
    assert_ok_empty(status, &reply);
    let (_, plugins) = app.get_json("/api/v1/sys/plugins", &admin).await;
    assert_eq!(enable(&plugins), "0");
    let off = "插件 notice 未启用，请联系系统管理员";
    let calls = [
        (Method::GET, NOTICES.to_owned(), None),
        (Method::GET, detail.clone(), None),
        (Method::POST, NOTICES.to_owned(), Some(body("关", 0, 1))),
        (Method::PUT, detail.clone(), Some(body("关", 0, 1))),
        (
            Method::DELETE,
            NOTICES.to_owned(),
            Some(json!({"pks": [id]})),
        ),
    ];
    for (method, path, b) in &calls {
        let (status, reply) = app
            .call(method.clone(), path, Some(&admin), b.as_ref())
            .await;
        assert_error(status, &reply, 403, off);
    }
    // Other plugins and the core keep serving.
    let (status, reply) = app.get_json("/api/v1/sys/roles/all", &admin).await;
    assert_eq!(status, 200, "{reply}");

    let (status, reply) = app.put_json(switch, &admin, &json!({})).await;
    assert_ok_empty(status, &reply);
    let (_, plugins) = app.get_json("/api/v1/sys/plugins", &admin).await;
    assert_eq!(enable(&plugins), "1");
    let (status, reply) = app.get_json(&detail, &admin).await;
    assert_eq!(
        (status, &reply["data"]["title"]),
        (200, &json!("开关")),
        "{reply}"
    );
    let (status, reply) = app.put_json(&detail, &admin, &body("开关 2", 1, 1)).await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app
        .delete_json(NOTICES, &admin, Some(&json!({"pks": [id]})))
        .await;
    assert_ok_empty(status, &reply);
    app.stop().await;
}
