//! Access: 401 without a token and 403 without the permission on every route, 404 for another
//! user's session and unknown ids, 422 for bad bodies, 503 when the agent is not configured.

use fba_agent::testkit::llm::FakeLlm;
use fba_testing::{TestApp, assert_401, assert_422, assert_error, flatten, make_staff};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{AGENT, Setup, create_session};

/// Every route of a session `id`, with a body that would pass validation.
fn routes(id: &str) -> Vec<(Method, String, Value)> {
    let s = format!("{AGENT}/sessions/{id}");
    vec![
        (Method::GET, format!("{AGENT}/models"), json!(null)),
        (Method::GET, format!("{AGENT}/mcp/servers"), json!(null)),
        (Method::GET, format!("{AGENT}/health"), json!(null)),
        (Method::GET, format!("{AGENT}/sessions"), json!(null)),
        (Method::POST, format!("{AGENT}/sessions"), json!({})),
        (Method::GET, s.clone(), json!(null)),
        (Method::PUT, s.clone(), json!({"title": "x"})),
        (Method::DELETE, s.clone(), json!(null)),
        (Method::POST, format!("{s}/clear"), json!({})),
        (
            Method::POST,
            format!("{s}/messages"),
            json!({"content": "hi"}),
        ),
        (Method::GET, format!("{s}/runs/run-1/events"), json!(null)),
        (Method::POST, format!("{s}/runs/run-1/cancel"), json!({})),
        (
            Method::POST,
            format!("{s}/interrupts/x"),
            json!({"decision": "approve"}),
        ),
        (Method::GET, format!("{s}/tasks"), json!(null)),
        (Method::GET, format!("{s}/tasks/1"), json!(null)),
        (Method::GET, format!("{s}/files"), json!(null)),
        (Method::GET, format!("{s}/files/results/a.txt"), json!(null)),
    ]
}

async fn call(app: &TestApp, token: Option<&str>, route: &(Method, String, Value)) -> (u16, Value) {
    let body = (!route.2.is_null()).then_some(&route.2);
    app.call(route.0.clone(), &route.1, token, body).await
}

#[tokio::test]
async fn every_route_needs_a_token_its_permission_and_the_owner() {
    let fake = FakeLlm::start([]).unwrap();
    let setup = Setup::new(&fake);
    let app = setup.spawn().await;
    let admin = app.token_for(1).await;
    let id = create_session(&app, &admin, json!({"title": "admin's"})).await;

    for route in routes(&id) {
        let (status, reply) = call(&app, None, &route).await;
        assert_401(status, &reply);
    }
    // User 2 (role 1, no agent permission) as staff: every route is refused.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    for route in routes(&id) {
        let (status, reply) = call(&app, Some(&user), &route).await;
        assert_error(status, &reply, 403, "Permission Denied");
    }

    // Granted the seeded menus, user 2 still sees only their own sessions.
    let (_, tree) = app.get_json("/api/v1/sys/menus", &admin).await;
    let menu_id = |name: &str| {
        flatten(&tree["data"])
            .into_iter()
            .find(|n| n["name"] == name)
            .and_then(|n| n["id"].as_i64())
            .unwrap_or_else(|| panic!("{name} seeded"))
    };
    let perms: Vec<&str> = flatten(&tree["data"])
        .into_iter()
        .filter_map(|n| n["perms"].as_str())
        .filter(|p| p.starts_with("agent:"))
        .collect();
    assert_eq!(
        perms,
        [
            "agent:session:view",
            "agent:session:add",
            "agent:session:edit",
            "agent:session:del"
        ]
    );
    let grant = json!({"menus": [
        menu_id("Agent"), menu_id("AgentSession"), menu_id("ViewAgentSession"),
        menu_id("AddAgentSession"), menu_id("EditAgentSession"), menu_id("DeleteAgentSession"),
    ]});
    let (status, reply) = app
        .put_json("/api/v1/sys/roles/1/menus", &admin, &grant)
        .await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = app.get_json(&format!("{AGENT}/sessions"), &user).await;
    assert_eq!(
        (status, &reply["data"]["total"]),
        (200, &json!(0)),
        "{reply}"
    );
    for route in routes(&id).into_iter().skip(5) {
        let (status, reply) = call(&app, Some(&user), &route).await;
        assert_error(status, &reply, 404, "会话不存在");
    }
    for route in routes("00000000-0000-0000-0000-000000000000")
        .into_iter()
        .skip(5)
    {
        let (status, reply) = call(&app, Some(&admin), &route).await;
        assert_error(status, &reply, 404, "会话不存在");
    }
    // The owner's unknown run, task and interrupt are 404 too.
    let (status, _) = call(&app, Some(&admin), &routes(&id)[10]).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, Some(&admin), &routes(&id)[12]).await;
    assert_eq!(status, 404);

    // 422 for bad bodies.
    let sessions = format!("{AGENT}/sessions");
    let (status, reply) = app
        .post_json(&sessions, &admin, &json!({"model": "nope"}))
        .await;
    assert_422(status, &reply, json!(["body", "model"]));
    let (status, reply) = app.post_json(&sessions, &admin, &json!({"title": 5})).await;
    assert_422(status, &reply, json!(["body", "title"]));
    let (status, reply) = app
        .post_json(&sessions, &admin, &json!({"plan_mode": "sometimes"}))
        .await;
    assert_422(status, &reply, json!(["body", "plan_mode"]));
    let messages = format!("{sessions}/{id}/messages");
    let (status, reply) = app.post_json(&messages, &admin, &json!({})).await;
    assert_422(status, &reply, json!(["body", "content"]));
    let (status, reply) = app
        .post_json(&messages, &admin, &json!({"content": "  "}))
        .await;
    assert_422(status, &reply, json!(["body", "content"]));
    let (status, reply) = app
        .put_json(
            &format!("{sessions}/{id}"),
            &admin,
            &json!({"plan_mode": []}),
        )
        .await;
    assert_422(status, &reply, json!(["body", "plan_mode"]));
    let (status, reply) = app
        .post_json(
            &format!("{sessions}/{id}/interrupts/x"),
            &admin,
            &json!({"feedback": "no decision"}),
        )
        .await;
    assert_422(status, &reply, json!(["body", "decision"]));
    app.stop().await;
}

#[tokio::test]
async fn without_a_configuration_the_routes_answer_503_and_health_says_so() {
    let dir = std::env::temp_dir().join(format!("fba-agent-api-{}", uuid::Uuid::new_v4()));
    let data = dir.display().to_string();
    // A `config.yaml` that is not there: the settings refuse it at start-up, with one line.
    let db = fba_db::testing::TestDatabase::create_from_env()
        .await
        .unwrap();
    let mut pairs = fba_testing::base_pairs(&db);
    pairs.push(("AGENT_CONFIG_FILE".into(), format!("{data}/config.yaml")));
    let settings =
        fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs(pairs)).unwrap();
    let err = fba_server::Application::build_with_modules(settings, Vec::new())
        .await
        .err()
        .expect("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "invalid setting AGENT_CONFIG_FILE=\"{data}/config.yaml\": expected an existing file"
        )
    );
    db.drop_database().await;

    // No file anywhere the search looks (this test's working directory has none).
    let app = TestApp::builder()
        .settings(&[("AGENT_DATA_DIR", &data)])
        .spawn()
        .await;
    let admin = app.token_for(1).await;
    for route in routes("00000000-0000-0000-0000-000000000000")
        .into_iter()
        .take(5)
    {
        let (status, reply) = call(&app, Some(&admin), &route).await;
        assert_eq!(status, 503, "{reply}");
        let msg = reply["msg"].as_str().unwrap();
        assert!(
            msg.starts_with("agent not configured: config.yaml not found"),
            "{msg}"
        );
    }
    let (status, health) = fba_testing::json(app.get("/health").await).await;
    assert_eq!(status, 200, "{health}");
    let text = health.to_string();
    assert!(text.contains("agent not configured"), "{text}");
    // The routes are documented in the app's OpenAPI.
    let (_, doc) = fba_testing::json(app.get("/openapi").await).await;
    for (method, path) in [
        ("get", "/api/v1/agent/models"),
        ("post", "/api/v1/agent/sessions"),
        ("post", "/api/v1/agent/sessions/{id}/messages"),
        ("get", "/api/v1/agent/sessions/{id}/runs/{run}/events"),
        ("post", "/api/v1/agent/sessions/{id}/interrupts/{iid}"),
        ("get", "/api/v1/agent/sessions/{id}/files/{path}"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["tags"],
            json!(["AI 助手"]),
            "{method} {path}"
        );
    }
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
