//! `/metrics` (`GRAFANA_METRICS_ENABLE`): FBA's metric names and labels, counted after known
//! requests, and scraped by a real Prometheus server answering a PromQL query.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, assert_401, assert_error, json};

const ME: &str = "/api/v1/sys/users/me";

/// Metrics on, nothing exported over OTLP.
const METRICS_ON: &[(&str, &str)] = &[
    ("GRAFANA_METRICS_ENABLE", "true"),
    ("GRAFANA_OTLP_GRPC_ENDPOINT", ""),
];

async fn scrape(app: &TestApp) -> String {
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    resp.text().await.unwrap()
}

/// The value of the sample `name{labels}` (labels in exposition order), if present.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{name}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn route(method: &str, path: &str) -> String {
    format!("app_name=\"fba_server\",method=\"{method}\",path=\"{path}\"")
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_envelope_code() {
    let app = TestApp::spawn_with(METRICS_ON).await;
    let token = app.token_for(1).await;
    for _ in 0..3 {
        let (status, _) = app.get_json(ME, &token).await;
        assert_eq!(status, 200);
    }
    // Refused by the JWT middleware: counted with its code.
    let (status, body) = json(app.get(ME).await).await;
    assert_401(status, &body);
    // Two ids, one route.
    for id in [1, 2] {
        let (status, body) = app
            .get_json(&format!("/api/v1/sys/users/{id}"), &token)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = app.get_json("/api/v1/no/such/route/42", &token).await;
    assert_error(status, &body, 404, "Not Found");
    // Not under the API prefix: not counted.
    assert_eq!(app.get("/health").await.status().as_u16(), 200);

    let text = scrape(&app).await;
    let me = route("GET", ME);
    assert_eq!(sample(&text, "fba_request_total", &me), Some(4.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "fba_response_total",
            &format!("{me},status_code=\"200\"")
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "fba_response_total",
            &format!("{me},status_code=\"401\"")
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "fba_request_in_progress", &me),
        Some(0.0),
        "{text}"
    );
    // The cost histogram: FBA's buckets (ms) and ours above them, cumulative, all 4 requests.
    assert_eq!(
        sample(&text, "fba_request_cost_time_count", &me),
        Some(4.0),
        "{text}"
    );
    for le in ["0.005", "1.0", "10.0", "10000.0", "+Inf"] {
        // The exposition puts `le` after the registry's `app_name`.
        let v = sample(
            &text,
            "fba_request_cost_time_bucket",
            &format!("app_name=\"fba_server\",le=\"{le}\",method=\"GET\",path=\"{ME}\""),
        );
        assert!(v.is_some(), "bucket {le} missing:\n{text}");
        if le == "+Inf" || le == "10000.0" {
            assert_eq!(v, Some(4.0), "{text}");
        }
    }
    assert!(
        sample(&text, "fba_request_cost_time_sum", &me).is_some_and(|ms| ms > 0.0),
        "{text}"
    );
    let by_id = route("GET", "/api/v1/sys/users/{pk}");
    assert_eq!(
        sample(&text, "fba_request_total", &by_id),
        Some(2.0),
        "{text}"
    );
    assert!(!text.contains("path=\"/api/v1/sys/users/1\""), "{text}");
    assert!(!text.contains("/no/such/route"), "{text}");
    assert_eq!(
        sample(
            &text,
            "fba_response_total",
            &format!("{},status_code=\"404\"", route("GET", "unmatched"))
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("path=\"/health\""), "{text}");
    // No server errors happened.
    assert!(!text.contains("fba_exception_total{"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn server_errors_count_as_exceptions_and_custom_codes_as_themselves() {
    let app = TestApp::spawn_with(METRICS_ON).await;
    let token = app.token_for(1).await;
    for code in ["500", "503", "503", "40001"] {
        let (status, _) = app
            .get_json(&format!("/api/v1/__test/fail/{code}"), &token)
            .await;
        assert!(status >= 400, "{code}: {status}");
    }
    let text = scrape(&app).await;
    let fail = route("GET", "/api/v1/__test/fail/{code}");
    for (kind, n) in [("InternalServerError", 1.0), ("ServiceUnavailable", 2.0)] {
        assert_eq!(
            sample(
                &text,
                "fba_exception_total",
                &format!("{fail},exception_type=\"{kind}\"")
            ),
            Some(n),
            "{text}"
        );
    }
    for (code, n) in [("500", 1.0), ("503", 2.0), ("40001", 1.0)] {
        assert_eq!(
            sample(
                &text,
                "fba_response_total",
                &format!("{fail},status_code=\"{code}\"")
            ),
            Some(n),
            "{text}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn pool_and_process_metrics_are_read_at_each_scrape() {
    let app = TestApp::spawn_with(METRICS_ON).await;
    let text = scrape(&app).await;
    // The operation log's queue and the database pool.
    assert!(
        sample(
            &text,
            "fba_queue_size",
            "app_name=\"fba_server\",queue_name=\"opera_log_queue\""
        )
        .is_some(),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "fba_sqlalchemy_pool_connections",
            "app_name=\"fba_server\",state=\"size\""
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(text.contains("\nprocess_resident_memory_bytes "), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn the_operation_log_queue_reports_its_batches() {
    let app = TestApp::spawn_with(METRICS_ON).await;
    let token = app.token_for(1).await;
    let (status, _) = app.get_json(ME, &token).await;
    assert_eq!(status, 200);
    let labels = "app_name=\"fba_server\",queue_name=\"opera_log_queue\"";
    // The writer takes the row off the queue within about a second.
    let mut batches = None;
    for _ in 0..50 {
        let text = scrape(&app).await;
        batches = sample(&text, "fba_queue_batch_dequeue_cost_time_count", labels);
        if batches.is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(batches.is_some_and(|n| n >= 1.0), "{batches:?}");
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_not_served_when_disabled() {
    let app = TestApp::spawn_with(&[("GRAFANA_METRICS_ENABLE", "false")]).await;
    let (status, body) = json(app.get("/metrics").await).await;
    assert_error(status, &body, 404, "Not Found");
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_grafana_setting_is_refused_at_start_up() {
    let source = fba_core_conf::Source::from_pairs([
        ("GRAFANA_METRICS_ENABLE", "maybe"),
        ("GRAFANA_OTLP_GRPC_ENDPOINT", "x:1"),
    ]);
    let err = fba_core_conf::Settings::from_source(&source).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting GRAFANA_METRICS_ENABLE=\"maybe\": expected a boolean (true/false, 1/0)"
    );
}

/// A Prometheus server scraping `target` every second, on a free port, with its data in a
/// temporary directory; stopped when dropped.
struct Prometheus {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn start_prometheus(target: &str) -> Prometheus {
    let dir = std::env::temp_dir().join(format!("fba-prometheus-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  \
             - job_name: fba_server\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let binary = std::env::var("FBA_TEST_PROMETHEUS").unwrap_or_else(|_| "prometheus".into());
    let child = Command::new(&binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {binary} (scripts/test.sh installs the Debian package): {e}")
        });
    Prometheus { child, port, dir }
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_server_and_answers_promql() {
    let app = TestApp::spawn_with(METRICS_ON).await;
    let token = app.token_for(1).await;
    for _ in 0..5 {
        let (status, _) = app.get_json(ME, &token).await;
        assert_eq!(status, 200);
    }
    let target = app.url("").trim_start_matches("http://").to_owned();
    let prometheus = start_prometheus(target.trim_end_matches('/'));
    let client = fba_testing::http_client_builder().build().unwrap();
    let query = format!(
        "sum(fba_request_total{{job=\"fba_server\",app_name=\"fba_server\",path=\"{ME}\",method=\"GET\"}})"
    );
    let url = format!("http://127.0.0.1:{}/api/v1/query", prometheus.port);
    let mut last = Value::Null;
    let mut value = None;
    // Prometheus starts, scrapes every second, and the query sees the last scrape.
    for _ in 0..60 {
        if let Ok(resp) = client
            .get(&url)
            .query(&[("query", query.as_str())])
            .send()
            .await
            && let Ok(body) = resp.json::<Value>().await
        {
            value = body["data"]["result"][0]["value"][1]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok());
            last = body;
            if value.is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(value, Some(5.0), "last answer: {last}");
    // The scrape itself was healthy.
    let up = client
        .get(&url)
        .query(&[("query", "up{job=\"fba_server\"}")])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(up["data"]["result"][0]["value"][1], "1", "{up}");
    // Every query of the dashboard in docs/ runs, and the ones over gauges find series.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/grafana/fba_server.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$app_name", "fba_server")
                .replace("$job", "fba_server")
                .replace("$__rate_interval", "1m");
            let answer = client
                .get(&url)
                .query(&[("query", expr.as_str())])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap();
            assert_eq!(answer["status"], "success", "{expr}: {answer}");
            if !expr.contains("rate(") && !expr.contains("fba_exception") {
                assert!(
                    !answer["data"]["result"].as_array().unwrap().is_empty(),
                    "no series for {expr}: {answer}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 14, "{checked}");
    drop(prometheus);
    app.stop().await;
}
