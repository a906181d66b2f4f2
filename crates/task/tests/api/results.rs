//! `/api/v1/task-results` through the real app: FBA's `TaskResult` shape with the decoded
//! `result`/`args`/`kwargs`, the list's filters (`name` LIKE, `task_id` exact), order (`id
//! DESC`) and pages, the batch delete and its soft failure, 404, 422 with its `loc`, 403
//! without `sys:task:del`, 401 without a token.

use fba_task::results::{Outcome, record};
use fba_task::{TaskMessage, TaskStatus};
use fba_testing::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail,
    is_fba_datetime, make_staff,
};
use reqwest::Method;
use serde_json::{Map, Value, json};

const RESULTS: &str = "/api/v1/task-results";

/// Records a job of task `name` in `status`; its job id.
async fn recorded(
    app: &TestApp,
    name: &str,
    args: Vec<Value>,
    kwargs: Value,
    status: TaskStatus,
    outcome: Outcome,
) -> String {
    let kwargs: Map<String, Value> = serde_json::from_value(kwargs).unwrap();
    let message = TaskMessage::new(name, args, kwargs);
    record(
        &app.app_state.db,
        &message,
        status,
        "fba-worker@test",
        outcome,
    )
    .await
    .expect("result recorded");
    message.id
}

/// The result of job `task_id` as the list shows it.
async fn by_task_id(app: &TestApp, token: &str, task_id: &str) -> Value {
    let (status, page) = app
        .get_json(&format!("{RESULTS}?task_id={task_id}"), token)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"]["total"], 1, "{page}");
    page["data"]["items"][0].clone()
}

fn names(page: &Value) -> Vec<&str> {
    page["data"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn results_show_fba_fields_with_decoded_values() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let ok_id = recorded(
        &app,
        "rs_result_ok",
        vec![json!("你好，")],
        json!({"world": "世界"}),
        TaskStatus::Success,
        Outcome {
            result: Some(json!("你好，世界")),
            traceback: None,
        },
    )
    .await;
    let failure =
        json!({"exc_type": "TypeError", "exc_message": ["bad"], "exc_module": "builtins"});
    let failed_id = recorded(
        &app,
        "rs_result_failed",
        vec![json!(1), json!([2])],
        json!({}),
        TaskStatus::Failure,
        Outcome {
            result: Some(failure.clone()),
            traceback: Some("Traceback (most recent call last): ...".into()),
        },
    )
    .await;

    let row = by_task_id(&app, &admin, &ok_id).await;
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "args",
            "date_done",
            "id",
            "kwargs",
            "name",
            "queue",
            "result",
            "retries",
            "status",
            "task_id",
            "traceback",
            "worker"
        ]
    );
    assert_eq!(
        (&row["task_id"], &row["status"], &row["name"]),
        (&json!(ok_id), &json!("SUCCESS"), &json!("rs_result_ok"))
    );
    assert_eq!(row["result"], "你好，世界");
    assert_eq!(row["args"], json!(["你好，"]));
    assert_eq!(row["kwargs"], json!({"world": "世界"}));
    assert_eq!(
        (
            &row["worker"],
            &row["retries"],
            &row["queue"],
            &row["traceback"]
        ),
        (
            &json!("fba-worker@test"),
            &json!(0),
            &json!("celery"),
            &Value::Null
        )
    );
    assert!(is_fba_datetime(&row["date_done"]), "{row}");

    // The detail is the same object.
    let id = row["id"].as_i64().unwrap();
    let (status, detail) = app.get_json(&format!("{RESULTS}/{id}"), &admin).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["data"], row);

    // A failure shows Celery's exception dict and the traceback.
    let row = by_task_id(&app, &admin, &failed_id).await;
    assert_eq!(row["status"], "FAILURE");
    assert_eq!(row["result"], failure);
    assert_eq!(row["args"], json!([1, [2]]));
    assert_eq!(row["kwargs"], json!({}));
    assert!(row["traceback"].as_str().unwrap().starts_with("Traceback"));

    // A later state of the same job updates its row in place.
    let message = TaskMessage {
        id: ok_id.clone(),
        ..TaskMessage::new("rs_result_ok", vec![json!("x")], Map::new())
    };
    record(
        &app.app_state.db,
        &message,
        TaskStatus::Revoked,
        "fba-worker@test",
        Outcome::default(),
    )
    .await
    .unwrap();
    let row = by_task_id(&app, &admin, &ok_id).await;
    assert_eq!(row["id"], id);
    assert_eq!(
        (&row["status"], &row["result"]),
        (&json!("REVOKED"), &Value::Null)
    );

    // Unknown ids are FBA's 404; a non-integer id is a 422 on the path.
    let (status, reply) = app.get_json(&format!("{RESULTS}/999999"), &admin).await;
    assert_error(status, &reply, 404, "任务结果不存在");
    let (status, reply) = app.get_json(&format!("{RESULTS}/abc"), &admin).await;
    assert_422(status, &reply, json!(["path", "pk"]));
    // Reads need a token only.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let (status, reply) = app.get_json(&format!("{RESULTS}/{id}"), &user).await;
    assert_eq!((status, &reply["data"]["id"]), (200, &json!(id)), "{reply}");
    for path in [format!("{RESULTS}/{id}"), RESULTS.to_owned()] {
        let (status, reply) = app.call(Method::GET, &path, None, None).await;
        assert_401(status, &reply);
    }
    app.stop().await;
}

#[tokio::test]
async fn results_list_filters_orders_newest_first_and_pages() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let mut ids = Vec::new();
    for name in [
        "rs_list_alpha",
        "rs_list_beta",
        "rs_list_alpha_two",
        "rs_other",
    ] {
        ids.push(
            recorded(
                &app,
                name,
                Vec::new(),
                json!({}),
                TaskStatus::Success,
                Outcome::default(),
            )
            .await,
        );
    }
    let list = |query: &str| {
        let app = &app;
        let admin = &admin;
        let query = query.to_owned();
        async move {
            let (status, page) = app.get_json(&format!("{RESULTS}?{query}"), admin).await;
            assert_eq!(status, 200, "{query}: {page}");
            page
        }
    };
    assert_eq!(
        names(&list("name=rs_list").await),
        ["rs_list_alpha_two", "rs_list_beta", "rs_list_alpha"]
    );
    assert_eq!(
        names(&list("name=alpha").await),
        ["rs_list_alpha_two", "rs_list_alpha"]
    );
    assert_eq!(
        names(&list(&format!("task_id={}", ids[1])).await),
        ["rs_list_beta"]
    );
    // `task_id` is exact, not LIKE.
    let prefix = &ids[1][..8];
    assert_eq!(list(&format!("task_id={prefix}")).await["data"]["total"], 0);
    // Empty filters filter nothing; unknown parameters are ignored.
    assert_eq!(list("name=rs_&task_id=&x=1").await["data"]["total"], 4);

    let second = list("name=rs_&page=2&size=3").await;
    assert_eq!(names(&second), ["rs_list_alpha"]);
    let data = &second["data"];
    assert_eq!(
        (
            &data["total"],
            &data["page"],
            &data["size"],
            &data["total_pages"]
        ),
        (&json!(4), &json!(2), &json!(3), &json!(2))
    );
    for (query, loc) in [
        ("page=0", json!(["query", "page"])),
        ("size=201", json!(["query", "size"])),
    ] {
        let (status, reply) = app.get_json(&format!("{RESULTS}?{query}"), &admin).await;
        assert_422(status, &reply, loc);
    }
    app.stop().await;
}

#[tokio::test]
async fn results_delete_in_batches_and_needs_its_permission() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let mut pks = Vec::new();
    for name in ["rs_del_a", "rs_del_b", "rs_del_c"] {
        let task_id = recorded(
            &app,
            name,
            Vec::new(),
            json!({}),
            TaskStatus::Success,
            Outcome::default(),
        )
        .await;
        pks.push(
            by_task_id(&app, &admin, &task_id).await["id"]
                .as_i64()
                .unwrap(),
        );
    }

    // A staff user without `sys:task:del` is refused; no token is a 401.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let body = json!({"pks": [pks[0]]});
    let (status, reply) = app.delete_json(RESULTS, &user, Some(&body)).await;
    assert_error(status, &reply, 403, "Permission Denied");
    let (status, reply) = app.call(Method::DELETE, RESULTS, None, Some(&body)).await;
    assert_401(status, &reply);

    // Bad bodies name the field.
    for (bad, loc) in [
        (json!({"pks": "1"}), json!(["body", "pks"])),
        (json!({"pks": [1, "x"]}), json!(["body", "pks", 1])),
        (json!({}), json!(["body", "pks"])),
    ] {
        let (status, reply) = app.delete_json(RESULTS, &admin, Some(&bad)).await;
        assert_422(status, &reply, loc);
    }

    // Two deleted (ids as numeric strings are accepted, unknown ids ignored).
    let body = json!({"pks": [pks[0], pks[1].to_string(), 999_999]});
    let (status, reply) = app.delete_json(RESULTS, &admin, Some(&body)).await;
    assert_ok_empty(status, &reply);
    let (_, page) = app
        .get_json(&format!("{RESULTS}?name=rs_del"), &admin)
        .await;
    assert_eq!(names(&page), ["rs_del_c"]);
    let (status, reply) = app.get_json(&format!("{RESULTS}/{}", pks[0]), &admin).await;
    assert_error(status, &reply, 404, "任务结果不存在");

    // Nothing left to delete: FBA's soft failure.
    for body in [json!({"pks": [pks[0]]}), json!({"pks": []})] {
        let (status, reply) = app.delete_json(RESULTS, &admin, Some(&body)).await;
        assert_soft_fail(status, &reply);
    }
    app.stop().await;
}
