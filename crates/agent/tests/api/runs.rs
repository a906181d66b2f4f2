//! Runs through the API: a message's SSE stream and the stored session, reattaching with
//! `Last-Event-ID`, a client that goes away, cancel, 409 for a second run, an interrupt
//! resumed through the API and after a restart of the server, files, tasks, models, MCP.

use std::time::Duration;

use fba_agent::testkit::llm::{FakeLlm, Turn};
use fba_db::testing::TestDatabase;
use fba_testing::{TestApp, assert_error, assert_ok_empty, base_pairs};
use serde_json::json;

use crate::support::{AGENT, Setup, create_session, post_raw, read_sse, stop_reason, wait_detail};

#[tokio::test]
async fn a_message_streams_its_run_then_files_reattach_and_catalogue() {
    let fake = FakeLlm::start([
        Turn::tool_call(
            "write_file",
            json!({"file_path": "results/report.md", "content": "# Report\n\n5\n"}),
        )
        .with_tool_call(
            "write_todos",
            json!({"todos": [{"content": "report", "status": "completed"}]}),
        ),
        Turn::text("The report is in results/report.md."),
    ])
    .unwrap();
    let setup = Setup::new(&fake);
    let app = setup.spawn().await;
    let admin = app.token_for(1).await;

    let (status, reply) = app.get_json(&format!("{AGENT}/models"), &admin).await;
    assert_eq!(status, 200, "{reply}");
    let aliases: Vec<&str> = reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["alias"].as_str().unwrap())
        .collect();
    assert_eq!(aliases, ["fake", "fake-openai"]);
    assert_eq!(reply["data"][1]["wire"], "openai");
    let (status, reply) = app.get_json(&format!("{AGENT}/mcp/servers"), &admin).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"][0]["name"], "demo");
    assert_eq!(reply["data"][0]["connected"], true, "{reply}");
    let (status, reply) = app.get_json(&format!("{AGENT}/health"), &admin).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["data"]["isolation"]["layer"].is_string(), "{reply}");

    let (status, reply) = app
        .post_json(
            &format!("{AGENT}/sessions"),
            &admin,
            &json!({"title": "first"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["data"]["isolation"]["layer"].is_string());
    let id = reply["data"]["session"]["id"].as_str().unwrap().to_owned();

    let resp = post_raw(
        &app,
        &format!("{AGENT}/sessions/{id}/messages"),
        &admin,
        &json!({"content": "Write the report."}),
    )
    .await;
    let frames = read_sse(resp).await;
    let seqs: Vec<u64> = frames.iter().map(|f| f.seq()).collect();
    assert_eq!(seqs, (1..=frames.len() as u64).collect::<Vec<_>>());
    assert!(frames.iter().all(|f| f.id.starts_with("run-1:")));
    let types: Vec<&str> = frames
        .iter()
        .map(|f| f.event.as_str())
        .filter(|t| *t != "text_delta" && *t != "usage")
        .collect();
    assert_eq!(
        types,
        [
            "run_started",
            "tool_call",
            "tool_call",
            "todos",
            "tool_result",
            "tool_result",
            "run_finished"
        ]
    );
    assert_eq!(stop_reason(&frames), "end_turn");

    // The session as stored.
    let detail = wait_detail(&app, &admin, &id, |d| d["active_run"].is_null()).await;
    assert_eq!(detail["title"], "first");
    assert_eq!(detail["messages"].as_array().unwrap().len(), 5, "{detail}");
    // As rows: one per message, in order.
    {
        use fba_agent::module::model::agent_message;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let rows = agent_message::Entity::find()
            .filter(agent_message::Column::SessionId.eq(id.as_str()))
            .order_by_asc(agent_message::Column::Seq)
            .all(&app.app_state.db)
            .await
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
    }
    assert_eq!(detail["usage"]["calls"], 2);
    assert_eq!(detail["todos"][0]["content"], "report");
    assert_eq!(detail["status"], "idle");
    let (_, list) = app.get_json(&format!("{AGENT}/sessions"), &admin).await;
    assert_eq!(list["data"]["total"], 1);
    assert_eq!(list["data"]["items"][0]["id"], id.as_str());

    // Reattach: only the later events, from the header or ?after=.
    let events = format!("{AGENT}/sessions/{id}/runs/run-1/events");
    let resp = app
        .client
        .get(app.url(&events))
        .bearer_auth(&admin)
        .header("Last-Event-ID", "run-1:3")
        .send()
        .await
        .unwrap();
    let replay = read_sse(resp).await;
    assert_eq!(replay, frames[3..].to_vec());
    let resp = app
        .get_auth(&format!("{events}?after=run-1:5"), &admin)
        .await;
    assert_eq!(read_sse(resp).await, frames[5..].to_vec());
    let (status, reply) = app
        .get_json(&format!("{AGENT}/sessions/{id}/runs/run-9/events"), &admin)
        .await;
    assert_error(status, &reply, 404, "运行不存在");

    // Files: the tree without the internal dirs unless all, a view, a download.
    let files = format!("{AGENT}/sessions/{id}/files");
    let (status, reply) = app.get_json(&files, &admin).await;
    assert_eq!(status, 200, "{reply}");
    let paths: Vec<&str> = reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"results/report.md"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("tools")), "{paths:?}");
    let (_, reply) = app.get_json(&format!("{files}?all=1"), &admin).await;
    assert!(
        reply["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"].as_str().unwrap().starts_with("tools/"))
    );
    let (status, reply) = app
        .get_json(&format!("{files}/results/report.md"), &admin)
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"]["content"], "# Report\n\n5\n");
    assert_eq!(reply["data"]["path"], "results/report.md");
    let resp = app
        .get_auth(&format!("{files}/results/report.md?download=1"), &admin)
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"report.md\""
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"# Report\n\n5\n");
    // Escapes are refused: a symlink out of the workspace, and `..`.
    let workspace = std::fs::read_dir(setup.dir.join("data"))
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    let ws_dir = walk_find(&workspace, "results").unwrap();
    std::os::unix::fs::symlink("/etc", ws_dir.join("etc")).unwrap();
    let (status, reply) = app
        .get_json(&format!("{files}/results/etc/passwd"), &admin)
        .await;
    assert_eq!(status, 403, "{reply}");
    let (status, reply) = app
        .get_json(
            &format!("{files}/results/..%2F..%2F..%2Fetc%2Fpasswd"),
            &admin,
        )
        .await;
    assert_eq!(status, 403, "{reply}");
    let (status, reply) = app.get_json(&format!("{files}/nope.txt"), &admin).await;
    assert_eq!(status, 404, "{reply}");

    // Tasks: none yet.
    let (status, reply) = app
        .get_json(&format!("{AGENT}/sessions/{id}/tasks"), &admin)
        .await;
    assert_eq!((status, reply["data"].clone()), (200, json!([])));
    let (status, reply) = app
        .get_json(&format!("{AGENT}/sessions/{id}/tasks/1"), &admin)
        .await;
    assert_error(status, &reply, 404, "后台任务不存在");

    // Update, clear, delete.
    let detail_path = format!("{AGENT}/sessions/{id}");
    let (status, reply) = app
        .put_json(
            &detail_path,
            &admin,
            &json!({"title": "renamed", "plan_mode": true}),
        )
        .await;
    assert_ok_empty(status, &reply);
    let (_, reply) = app.get_json(&detail_path, &admin).await;
    assert_eq!(
        (&reply["data"]["title"], &reply["data"]["plan_mode"]),
        (&json!("renamed"), &json!(true))
    );
    let (status, reply) = app
        .post_json(&format!("{detail_path}/clear"), &admin, &json!({}))
        .await;
    assert_ok_empty(status, &reply);
    let (_, reply) = app.get_json(&detail_path, &admin).await;
    assert_eq!(reply["data"]["messages"], json!([]));
    {
        use fba_agent::module::model::agent_message;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let left = agent_message::Entity::find()
            .filter(agent_message::Column::SessionId.eq(id.as_str()))
            .count(&app.app_state.db)
            .await
            .unwrap();
        assert_eq!(left, 0, "a clear rewrites the stored conversation");
    }
    assert_eq!(reply["data"]["usage"]["calls"], 2, "tokens stay");
    assert!(!ws_dir.join("report.md").exists());
    let (status, reply) = app.delete_json(&detail_path, &admin, None).await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app.get_json(&detail_path, &admin).await;
    assert_error(status, &reply, 404, "会话不存在");
    assert!(!workspace.exists());
    assert_eq!(fake.remaining(), 0);
    app.stop().await;
}

fn walk_find(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            if entry.file_name() == name {
                return Some(path);
            }
            if let Some(found) = walk_find(&path, name) {
                return Some(found);
            }
        }
    }
    None
}

#[tokio::test]
async fn a_client_that_goes_away_does_not_stop_the_run_and_cancel_does() {
    let slow = "one two three four five six seven eight nine ten";
    let fake = FakeLlm::start([
        Turn::text(slow).chunk_delay(Duration::from_millis(150)),
        Turn::text(slow).chunk_delay(Duration::from_millis(500)),
        Turn::text(slow).chunk_delay(Duration::from_millis(500)),
    ])
    .unwrap();
    let setup = Setup::new(&fake);
    let app = setup.spawn().await;
    let admin = app.token_for(1).await;
    let id = create_session(&app, &admin, json!({})).await;
    let messages = format!("{AGENT}/sessions/{id}/messages");

    // The client reads the first chunk and goes away; the run finishes and is stored.
    let mut resp = post_raw(&app, &messages, &admin, &json!({"content": "hi"})).await;
    assert_eq!(resp.status(), 200);
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("run_started"));
    drop(resp);
    let detail = wait_detail(&app, &admin, &id, |d| {
        d["active_run"].is_null() && d["messages"].as_array().is_some_and(|m| m.len() == 2)
    })
    .await;
    assert_eq!(
        detail["messages"][1]["content"][0]["text"], slow,
        "{detail}"
    );

    // A second run: a concurrent message is 409; cancel stops it.
    let resp = post_raw(&app, &messages, &admin, &json!({"content": "again"})).await;
    let (status, reply) = app
        .post_json(&messages, &admin, &json!({"content": "too"}))
        .await;
    assert_error(status, &reply, 409, "会话正在运行中");
    let session = format!("{AGENT}/sessions/{id}");
    let (status, reply) = app
        .put_json(&session, &admin, &json!({"plan_mode": true}))
        .await;
    assert_error(status, &reply, 409, "会话正在运行中");
    let (status, reply) = app
        .post_json(&format!("{session}/clear"), &admin, &json!({}))
        .await;
    assert_error(status, &reply, 409, "会话正在运行中");
    let cancel = format!("{AGENT}/sessions/{id}/runs/run-2/cancel");
    let (status, reply) = app.post_json(&cancel, &admin, &json!({})).await;
    assert_ok_empty(status, &reply);
    let frames = read_sse(resp).await;
    assert_eq!(stop_reason(&frames), "cancelled");
    wait_detail(&app, &admin, &id, |d| d["active_run"].is_null()).await;
    let (status, reply) = app.post_json(&cancel, &admin, &json!({})).await;
    assert_error(status, &reply, 409, "运行已结束");
    let (status, reply) = app
        .post_json(
            &format!("{AGENT}/sessions/{id}/runs/run-7/cancel"),
            &admin,
            &json!({}),
        )
        .await;
    assert_error(status, &reply, 404, "运行不存在");

    // Deleting during a run stops it and leaves no row behind.
    let resp = post_raw(&app, &messages, &admin, &json!({"content": "third"})).await;
    let (status, reply) = app.delete_json(&session, &admin, None).await;
    fba_testing::assert_ok_empty(status, &reply);
    assert_eq!(stop_reason(&read_sse(resp).await), "cancelled");
    tokio::time::sleep(Duration::from_millis(300)).await;
    {
        use fba_agent::module::model::{agent_checkpoint, agent_message, agent_session};
        use sea_orm::{EntityTrait, PaginatorTrait};
        let db = &app.app_state.db;
        assert_eq!(agent_message::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(agent_checkpoint::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(agent_session::Entity::find().count(db).await.unwrap(), 0);
    }
    app.stop().await;
}

#[tokio::test]
async fn an_interrupt_resumes_through_the_api_and_after_a_restart() {
    let fake = FakeLlm::start([
        Turn::tool_call("submit_plan", json!({"description": "1. add"})),
        Turn::text("I will revise."),
        Turn::tool_call("submit_plan", json!({"description": "1. add 2 and 3"})),
        Turn::text("Done as planned."),
    ])
    .unwrap();
    let setup = Setup::new(&fake);
    let db = TestDatabase::create_from_env().await.unwrap();
    let mut pairs = base_pairs(&db);
    pairs.extend(setup.pairs());
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let spawn = || {
        TestApp::builder()
            .settings(&pairs)
            .on_database(db.url())
            .spawn()
    };
    let app = spawn().await;
    let admin = app.token_for(1).await;
    let id = create_session(&app, &admin, json!({"plan_mode": true})).await;
    let messages = format!("{AGENT}/sessions/{id}/messages");
    let interrupts = format!("{AGENT}/sessions/{id}/interrupts");

    let frames =
        read_sse(post_raw(&app, &messages, &admin, &json!({"content": "Plan."})).await).await;
    assert_eq!(stop_reason(&frames), "interrupted");
    let interrupt = frames.iter().find(|f| f.event == "interrupt").unwrap();
    assert_eq!(interrupt.data["kind"], "plan");
    let iid = interrupt.data["id"].as_str().unwrap().to_owned();
    let detail = wait_detail(&app, &admin, &id, |d| d["active_run"].is_null()).await;
    assert_eq!(detail["pending_interrupt"]["id"], iid.as_str());
    assert_eq!(detail["status"], "interrupted");
    // Not the pending one: 404; a bad decision: 422.
    let (status, reply) = app
        .post_json(
            &format!("{interrupts}/nope"),
            &admin,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(status, 404, "{reply}");
    let (status, reply) = app
        .post_json(
            &format!("{interrupts}/{iid}"),
            &admin,
            &json!({"decision": "maybe"}),
        )
        .await;
    fba_testing::assert_422(status, &reply, json!(["body", "decision"]));
    // Rejected with feedback, through the API.
    let frames = read_sse(
        post_raw(
            &app,
            &format!("{interrupts}/{iid}"),
            &admin,
            &json!({"decision": "reject", "feedback": "fewer steps"}),
        )
        .await,
    )
    .await;
    assert_eq!(stop_reason(&frames), "end_turn");
    assert!(frames.iter().all(|f| f.id.starts_with("run-2:")));
    wait_detail(&app, &admin, &id, |d| d["active_run"].is_null()).await;
    // A new plan waits for approval when the server stops.
    let frames =
        read_sse(post_raw(&app, &messages, &admin, &json!({"content": "Again."})).await).await;
    assert_eq!(stop_reason(&frames), "interrupted");
    let iid = frames.iter().find(|f| f.event == "interrupt").unwrap().data["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_detail(&app, &admin, &id, |d| d["active_run"].is_null()).await;
    app.stop_shared().await;

    // Another server on the same database resumes the pending interrupt.
    let app = spawn().await;
    let admin = app.token_for(1).await;
    let detail = wait_detail(&app, &admin, &id, |_| true).await;
    assert_eq!(detail["pending_interrupt"]["id"], iid.as_str());
    let frames = read_sse(
        post_raw(
            &app,
            &format!("{interrupts}/{iid}"),
            &admin,
            &json!({"decision": "approve"}),
        )
        .await,
    )
    .await;
    assert_eq!(stop_reason(&frames), "end_turn");
    assert!(
        frames.iter().all(|f| f.id.starts_with("run-4:")),
        "{frames:#?}"
    );
    assert!(frames.iter().any(|f| f.event == "plan"));
    let detail = wait_detail(&app, &admin, &id, |d| d["active_run"].is_null()).await;
    assert_eq!(detail["plan"], "1. add 2 and 3");
    assert_eq!(detail["pending_interrupt"], json!(null));
    assert_eq!(detail["plan_mode"], false);
    assert_eq!(detail["usage"]["calls"], 4);
    assert_eq!(fake.remaining(), 0);
    app.stop_shared().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_background_task_is_listed_with_its_result() {
    // The main agent and the subagent share the fake model and ask it at the same time: the
    // answers are alike, so their order does not matter (the third serves a notice round).
    let fake = FakeLlm::start([
        Turn::tool_call(
            "task",
            json!({"description": "Say done.", "subagent_type": "general-purpose"}),
        ),
        Turn::text("done"),
        Turn::text("done"),
        Turn::text("done"),
    ])
    .unwrap();
    let setup = Setup::with_subagents(&fake, &["general-purpose"]);
    let app = setup.spawn().await;
    let admin = app.token_for(1).await;
    let id = create_session(&app, &admin, json!({})).await;
    let frames = read_sse(
        post_raw(
            &app,
            &format!("{AGENT}/sessions/{id}/messages"),
            &admin,
            &json!({"content": "Delegate."}),
        )
        .await,
    )
    .await;
    assert_eq!(stop_reason(&frames), "end_turn");
    let started = frames.iter().find(|f| f.event == "task_started").unwrap();
    assert_eq!(started.data["number"], 1);
    let detail = wait_detail(&app, &admin, &id, |d| d["tasks"][0]["status"] == "done").await;
    assert_eq!(detail["tasks"][0]["result"], "done");
    let (status, reply) = app
        .get_json(&format!("{AGENT}/sessions/{id}/tasks"), &admin)
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"][0]["description"], "Say done.");
    for n in ["1", "Task-1"] {
        let (status, reply) = app
            .get_json(&format!("{AGENT}/sessions/{id}/tasks/{n}"), &admin)
            .await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["data"]["subagent_type"], "general-purpose");
        assert_eq!(reply["data"]["status"], "done");
    }
    app.stop().await;
}
