//! OpenTelemetry export (`GRAFANA_METRICS_ENABLE` with `GRAFANA_OTLP_GRPC_ENDPOINT`): an OTLP
//! gRPC receiver served here on loopback gets the request's server span with its database
//! (and Redis) child spans, the log lines of the request carrying the same trace id, and the
//! HTTP duration metric. Its own test binary: the subscriber and the exporters are global.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use fba_testing::otlp::{Received, ResourceSpan, attr, hex};
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

/// Whether `span` descends from the span `ancestor` (by the parent links among `spans`).
fn descends_from(spans: &[Span], span: &Span, ancestor: &[u8]) -> bool {
    let mut parent = span.parent_span_id.clone();
    for _ in 0..32 {
        if parent.is_empty() {
            return false;
        }
        if parent == ancestor {
            return true;
        }
        match spans.iter().find(|s| s.span_id == parent) {
            Some(p) => parent = p.parent_span_id.clone(),
            None => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_exports_its_span_tree_its_logs_and_the_duration_metric() {
    let received = Received::keeping();
    let endpoint = received.start().await;
    let grafana = [
        ("GRAFANA_METRICS_ENABLE", "true"),
        ("GRAFANA_OTLP_GRPC_ENDPOINT", endpoint.as_str()),
        ("LOG_STD_LEVEL", "info"),
        ("TASK_EMBEDDED_WORKER", "true"),
    ];
    let settings =
        fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs(grafana)).unwrap();
    let telemetry = fba_common::telemetry::init(&settings, "fba_server").unwrap();
    assert!(telemetry.exports());
    let app = fba_testing::TestApp::builder()
        .settings(&grafana)
        .spawn()
        .await;
    let token = app.token_for(1).await;

    // A new trace: the request id is its trace id.
    let resp = app
        .client
        .get(app.url("/api/v1/sys/users?page=1&size=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(request_id.len(), 32, "{request_id}");

    // A caller's trace is continued: same trace id, the caller's span as parent.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let resp = app
        .client
        .get(app.url("/api/v1/sys/users/me"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-request-id"], caller_trace);

    // A caller that did not sample its trace: the request id is still that trace's id, and
    // nothing of the trace is recorded (no span is built for it).
    let unsampled_trace = "6bf92f3577b34da6a3ce929d0e0e4738";
    let resp = app
        .client
        .get(app.url("/api/v1/sys/users?page=1&size=5"))
        .bearer_auth(&token)
        .header(
            "traceparent",
            format!("00-{unsampled_trace}-{caller_span}-00"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-request-id"], unsampled_trace);

    // A job sent by a request runs in the request's trace: executing a schedule entry.
    let job_trace = "5bf92f3577b34da6a3ce929d0e0e4737";
    let (code, body) = app
        .post_json(
            "/api/v1/schedulers",
            &token,
            &serde_json::json!({
                "name": "traced", "task": "task_demo_params", "args": "[\"a\"]",
                "kwargs": "{\"world\": \"b\"}", "type": 1, "crontab": "0 0 1 1 *",
            }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (_, page) = app.get_json("/api/v1/schedulers?name=traced", &token).await;
    let pk = page["data"]["items"][0]["id"].as_i64().unwrap();
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/schedulers/{pk}/execute")))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{job_trace}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, results) = app
            .get_json("/api/v1/task-results?name=task_demo_params", &token)
            .await;
        if results["data"]["items"][0]["status"] == "SUCCESS" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{results}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    app.stop().await;
    // Flushes the batches to the receiver.
    telemetry.shutdown().await;

    let spans: Vec<ResourceSpan> = received.spans.lock().unwrap().clone();
    let (resource, server) = spans
        .iter()
        .find(|(_, s)| hex(&s.trace_id) == request_id && s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("no server span of trace {request_id} among {}", spans.len()));
    assert_eq!(server.name, "GET /api/v1/sys/users");
    assert!(server.parent_span_id.is_empty());
    assert_eq!(
        attr(&server.attributes, "http.route").as_deref(),
        Some("/api/v1/sys/users")
    );
    assert_eq!(
        attr(&server.attributes, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        attr(resource, "service.name").as_deref(),
        Some("fba_server")
    );
    assert_eq!(
        attr(resource, "deployment.environment").as_deref(),
        Some("dev")
    );
    assert!(attr(resource, "service.version").is_some());

    let all: Vec<Span> = spans.iter().map(|(_, s)| s.clone()).collect();
    let children: Vec<&Span> = all
        .iter()
        .filter(|s| hex(&s.trace_id) == request_id && descends_from(&all, s, &server.span_id))
        .collect();
    let database = children
        .iter()
        .filter(|s| attr(&s.attributes, "db.system").is_some_and(|d| d != "redis"))
        .count();
    assert!(
        database >= 2,
        "the page and its count are two statements: {children:#?}"
    );
    assert!(children.iter().all(|s| s.kind == SpanKind::Client as i32));
    if fba_testing::redis_url().is_some() {
        assert!(
            children
                .iter()
                .any(|s| attr(&s.attributes, "db.system").as_deref() == Some("redis")),
            "a Redis command of the request (the session check): {children:#?}"
        );
    }

    assert!(
        !all.iter().any(|s| hex(&s.trace_id) == unsampled_trace),
        "the unsampled request's trace is not recorded"
    );
    // Statements and Redis commands are recorded inside a request or a task run only, not as
    // traces of their own (the worker's polling, the operation log's writer).
    let orphans: Vec<&Span> = all
        .iter()
        .filter(|s| s.parent_span_id.is_empty() && attr(&s.attributes, "db.system").is_some())
        .collect();
    assert!(orphans.is_empty(), "{orphans:#?}");

    let continued = all
        .iter()
        .find(|s| hex(&s.trace_id) == caller_trace && s.kind == SpanKind::Server as i32)
        .expect("the continued trace's server span");
    assert_eq!(hex(&continued.parent_span_id), caller_span);

    // The job's run: a consumer span under the execute request's server span, same trace.
    let execute = all
        .iter()
        .find(|s| hex(&s.trace_id) == job_trace && s.kind == SpanKind::Server as i32)
        .expect("the execute request's server span");
    let run = all
        .iter()
        .find(|s| hex(&s.trace_id) == job_trace && s.name == "run task_demo_params")
        .unwrap_or_else(|| panic!("no task span in trace {job_trace}"));
    assert_eq!(run.kind, SpanKind::Consumer as i32);
    assert!(descends_from(&all, run, &execute.span_id), "{run:#?}");
    assert!(
        all.iter().any(|s| hex(&s.trace_id) == job_trace
            && attr(&s.attributes, "db.system").is_some()
            && descends_from(&all, s, &run.span_id)),
        "the run's result writes are its children"
    );

    // The access line of the request, exported as a log record of the same trace.
    let logs = received.logs.lock().unwrap().clone();
    let access = logs
        .iter()
        .find(|(trace, _, attrs)| {
            hex(trace) == request_id && attr(attrs, "path").as_deref() == Some("/api/v1/sys/users")
        })
        .unwrap_or_else(|| panic!("no log record of trace {request_id} among {}", logs.len()));
    assert_eq!(attr(&access.2, "trace_id").as_deref(), Some(&*request_id));

    let metrics = received.metrics.lock().unwrap().clone();
    assert!(
        metrics.iter().any(|m| m == "http.server.request.duration"),
        "{metrics:?}"
    );
    // Give the exporters' threads a moment to end before the runtime goes.
    tokio::time::sleep(Duration::from_millis(10)).await;
}
