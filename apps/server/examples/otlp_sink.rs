//! An OTLP/gRPC receiver that accepts and counts what it is sent: the collector of
//! `BENCH_TELEMETRY=on scripts/bench.sh`, so the export is measured against a live endpoint
//! (an unreachable one would make the exporters retry and drop instead).
//!
//! `cargo run --release -p fba-server --example otlp_sink -- 4317`; prints the counts every
//! ten seconds.

use std::time::Duration;

use fba_testing::otlp::Received;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(4317);
    let sink = Received::counting();
    let report = sink.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let (spans, logs, metric_exports) = report.counts();
            println!("spans {spans} logs {logs} metric exports {metric_exports}");
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    sink.serve(listener).await?;
    Ok(())
}
