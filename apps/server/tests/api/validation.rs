//! A 422 lists every invalid field of a JSON body, as pydantic's does: the fields serde refuses
//! (missing, wrong type) and those the schema's checks refuse, in the order FBA's schema
//! declares them; `msg` summarises the first.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const ROLES: &str = "/api/v1/sys/roles";
const USERS: &str = "/api/v1/sys/users";
const MENUS: &str = "/api/v1/sys/menus";
const DEPTS: &str = "/api/v1/sys/depts";
const LOGIN: &str = "/api/v1/auth/login";

/// `(loc, type)` of every error of a 422 (the loc joined with `.`).
fn errors(status: u16, body: &Value) -> Vec<(String, String)> {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], 422, "{body}");
    body["data"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            let loc: Vec<String> = e["loc"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                .collect();
            (loc.join("."), e["type"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn expect(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(l, k)| ((*l).to_owned(), (*k).to_owned()))
        .collect()
}

#[tokio::test]
async fn an_empty_role_body_reports_name_and_status_missing() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.post_json(ROLES, &admin, &json!({})).await;
    assert_eq!(
        errors(status, &body),
        expect(&[("body.name", "missing"), ("body.status", "missing")])
    );
    assert_eq!(body["msg"], "请求参数非法: name 字段为必填项，输入：{}");
    for e in body["data"]["errors"].as_array().unwrap() {
        assert_eq!(e["input"], json!({}), "{e}");
    }

    // a missing field beside fields the checks refuse
    let (status, body) = app.post_json(ROLES, &admin, &json!({"status": 3})).await;
    assert_eq!(
        errors(status, &body),
        expect(&[("body.name", "missing"), ("body.status", "enum")])
    );
    // every field present, three of them invalid
    let bad = json!({"name": "x".repeat(33), "status": 3, "is_filter_scopes": "maybe"});
    let (status, body) = app.post_json(ROLES, &admin, &bad).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.name", "string_too_long"),
            ("body.status", "enum"),
            ("body.is_filter_scopes", "bool_type"),
        ])
    );
    // the same on update
    let (status, body) = app
        .put_json(&format!("{ROLES}/1"), &admin, &json!({"name": 5}))
        .await;
    assert_eq!(
        errors(status, &body),
        expect(&[("body.name", "string_type"), ("body.status", "missing")])
    );
    app.stop().await;
}

#[tokio::test]
async fn user_bodies_report_every_invalid_field() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.post_json(USERS, &admin, &json!({})).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.username", "missing"),
            ("body.password", "missing"),
            ("body.dept_id", "missing"),
            ("body.roles", "missing"),
        ])
    );
    let bad = json!({
        "roles": [1, "a", "b"],
        "username": "u".repeat(65),
        "password": "p",
        "phone": "123",
        "dept_id": "x",
    });
    let (status, body) = app.post_json(USERS, &admin, &bad).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.username", "string_too_long"),
            ("body.phone", "string_pattern_mismatch"),
            ("body.dept_id", "int_parsing"),
            ("body.roles.1", "int_parsing"),
            ("body.roles.2", "int_parsing"),
        ])
    );
    let (status, body) = app
        .put_json(
            &format!("{USERS}/1"),
            &admin,
            &json!({"dept_id": "x", "nickname": 1, "email": "not-an-address"}),
        )
        .await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.dept_id", "int_parsing"),
            ("body.username", "missing"),
            ("body.nickname", "string_type"),
            ("body.email", "value_error"),
            ("body.roles", "missing"),
        ])
    );
    app.stop().await;
}

#[tokio::test]
async fn menu_bodies_report_every_invalid_field() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.post_json(MENUS, &admin, &json!({})).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.title", "missing"),
            ("body.name", "missing"),
            ("body.type", "missing"),
            ("body.status", "missing"),
            ("body.display", "missing"),
            ("body.cache", "missing"),
        ])
    );
    let bad = json!({
        "cache": 1,
        "display": 5,
        "status": 1,
        "type": 9,
        "sort": -1,
        "name": "n",
        "title": "x".repeat(65),
    });
    let (status, body) = app.post_json(MENUS, &admin, &bad).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.title", "string_too_long"),
            ("body.sort", "greater_than_equal"),
            ("body.type", "enum"),
            ("body.display", "enum"),
        ])
    );
    app.stop().await;
}

#[tokio::test]
async fn dept_bodies_report_every_invalid_field() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (status, body) = app.post_json(DEPTS, &admin, &json!({})).await;
    assert_eq!(
        errors(status, &body),
        expect(&[("body.name", "missing"), ("body.status", "missing")])
    );
    let bad = json!({
        "status": 7,
        "email": "bad",
        "phone": "1",
        "parent_id": "p",
        "name": "x".repeat(65),
    });
    let (status, body) = app.put_json(&format!("{DEPTS}/1"), &admin, &bad).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.name", "string_too_long"),
            ("body.parent_id", "int_parsing"),
            ("body.phone", "string_pattern_mismatch"),
            ("body.email", "value_error"),
            ("body.status", "enum"),
        ])
    );
    app.stop().await;
}

#[tokio::test]
async fn bodies_without_checks_and_id_lists_report_every_field_too() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let resp = app
        .client
        .post(app.url(LOGIN))
        .json(&json!({"captcha": 1}))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::json(resp).await;
    assert_eq!(
        errors(status, &body),
        expect(&[
            ("body.username", "missing"),
            ("body.password", "missing"),
            ("body.captcha", "string_type"),
        ])
    );
    let (status, body) = app
        .delete_json(ROLES, &admin, Some(&json!({"pks": ["a", 2, "b"]})))
        .await;
    assert_eq!(
        errors(status, &body),
        expect(&[("body.pks.0", "int_parsing"), ("body.pks.2", "int_parsing")])
    );
    app.stop().await;
}
