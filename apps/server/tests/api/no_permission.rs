//! Every protected route refuses a signed-in staff user whose role lacks the route's permission
//! (403 `Permission Denied`), before any input validation, and refuses everyone without a token
//! (401). One table covers them all.

use crate::helpers::{TestApp, json, make_staff};

/// (method, path) of every route behind RBAC or superuser.
const PROTECTED: &[(&str, &str)] = &[
    // SUPER
    ("POST", "/api/v1/sys/users"),
    ("PUT", "/api/v1/sys/users/1"),
    ("PUT", "/api/v1/sys/users/1/permissions?type=staff"),
    ("PUT", "/api/v1/sys/users/1/password"),
    ("GET", "/api/v1/monitors/server"),
    ("GET", "/api/v1/monitors/sessions"),
    ("DELETE", "/api/v1/monitors/sessions/1?session_uuid=x"),
    // RBAC
    ("DELETE", "/api/v1/sys/users/1"),
    ("POST", "/api/v1/sys/depts"),
    ("PUT", "/api/v1/sys/depts/1"),
    ("DELETE", "/api/v1/sys/depts/1"),
    ("POST", "/api/v1/sys/menus"),
    ("PUT", "/api/v1/sys/menus/1"),
    ("DELETE", "/api/v1/sys/menus/1"),
    ("POST", "/api/v1/sys/roles"),
    ("PUT", "/api/v1/sys/roles/1"),
    ("PUT", "/api/v1/sys/roles/1/menus"),
    ("PUT", "/api/v1/sys/roles/1/scopes"),
    ("DELETE", "/api/v1/sys/roles"),
    ("POST", "/api/v1/sys/data-rules"),
    ("PUT", "/api/v1/sys/data-rules/1"),
    ("DELETE", "/api/v1/sys/data-rules"),
    ("POST", "/api/v1/sys/data-scopes"),
    ("PUT", "/api/v1/sys/data-scopes/1"),
    ("PUT", "/api/v1/sys/data-scopes/1/rules"),
    ("DELETE", "/api/v1/sys/data-scopes"),
    ("DELETE", "/api/v1/logs/login"),
    ("DELETE", "/api/v1/logs/login/all"),
    ("DELETE", "/api/v1/logs/opera"),
    ("DELETE", "/api/v1/logs/opera/all"),
    ("POST", "/api/v1/sys/files/upload"),
];

fn request(app: &TestApp, method: &str, path: &str) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    app.client
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .body("{}")
}

#[tokio::test]
async fn every_protected_route_is_403_for_a_role_without_the_permission_and_401_without_a_token() {
    let app = TestApp::spawn().await;
    // User 2 (`test`, role 1 without any of these permissions) becomes staff, so the refusal
    // is the permission itself, not the staff rule.
    make_staff(&app, 2).await;
    let token = app.token_for(2).await;

    let mut failures = Vec::new();
    for (method, path) in PROTECTED {
        let (status, body) = json(
            request(&app, method, path)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if status != 403 || body["msg"] != "Permission Denied" || body["code"] != 403 {
            failures.push(format!("{method} {path}: {status} {body}"));
        }
        let (status, body) = json(request(&app, method, path).send().await.unwrap()).await;
        if status != 401 || body["code"] != 401 {
            failures.push(format!("{method} {path} without token: {status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "routes that did not refuse:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}
