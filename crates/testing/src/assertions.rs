//! Reading replies and checking FBA's envelope.

use serde_json::{Value, json};

use crate::TestApp;

/// Status and JSON body of a response.
pub async fn json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.expect("a JSON body");
    (status, body)
}

/// Makes `user_id` staff and drops its cached user.
pub async fn make_staff(app: &TestApp, user_id: i64) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let db = &app.app_state.db;
    let mut user: fba_admin::model::sys_user::ActiveModel =
        fba_admin::model::sys_user::Entity::find_by_id(user_id)
            .one(db)
            .await
            .expect("query")
            .expect("the user")
            .into();
    user.is_staff = Set(true);
    user.update(db).await.expect("update");
    fba_common::security::invalidate_user(&app.app_state, user_id)
        .await
        .expect("invalidate");
}

/// `data` is null and the envelope is FBA's plain success.
pub fn assert_ok_empty(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        &json!({"code": 200, "msg": "请求成功", "data": null}),
        "{body}"
    );
}

/// FBA's soft failure: HTTP 200 with code 400 `请求错误`.
pub fn assert_soft_fail(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, &json!({"code": 400, "msg": "请求错误", "data": null}));
}

/// An error envelope with `expected` as status and code and `msg`.
pub fn assert_error(status: u16, body: &Value, expected: u16, msg: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["code"], expected, "{body}");
    assert_eq!(body["msg"], msg, "{body}");
}

/// A 422 whose first error is at `loc`.
pub fn assert_422(status: u16, body: &Value, loc: Value) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], 422, "{body}");
    assert_eq!(body["data"]["errors"][0]["loc"], loc, "{body}");
}

/// FBA's 401 without a token.
pub fn assert_401(status: u16, body: &Value) {
    assert_error(status, body, 401, "Not authenticated");
}

/// A JSON string in FBA's datetime format `YYYY-MM-DD HH:MM:SS`.
pub fn is_fba_datetime(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    s.len() == 19
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
}

/// Every node of a tree (pre-order).
pub fn flatten(nodes: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = nodes.as_array().expect("a list").iter().rev().collect();
    while let Some(n) = stack.pop() {
        out.push(n);
        if let Some(children) = n.get("children").and_then(Value::as_array) {
            stack.extend(children.iter().rev());
        }
    }
    out
}
