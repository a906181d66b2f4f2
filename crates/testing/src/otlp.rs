//! An OTLP/gRPC receiver on loopback (feature `otlp`): the test of the OpenTelemetry export
//! keeps what it is sent and looks for spans and log records; the bench's collector
//! (`otlp_sink` example) only counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;

/// A span with its resource's attributes.
pub type ResourceSpan = (Vec<KeyValue>, Span);

/// A log record: trace id, body, attributes.
pub type LogRecord = (Vec<u8>, String, Vec<KeyValue>);

/// What the receiver got: counts always, the data itself when made with [`Received::keeping`].
#[derive(Default, Clone)]
pub struct Received {
    keep: bool,
    /// The spans, when kept.
    pub spans: Arc<Mutex<Vec<ResourceSpan>>>,
    /// The log records, when kept.
    pub logs: Arc<Mutex<Vec<LogRecord>>>,
    /// The metric names of every export, when kept.
    pub metrics: Arc<Mutex<Vec<String>>>,
    span_count: Arc<AtomicU64>,
    log_count: Arc<AtomicU64>,
    metric_exports: Arc<AtomicU64>,
}

impl Received {
    /// A receiver that keeps everything it is sent.
    pub fn keeping() -> Self {
        Self {
            keep: true,
            ..Self::default()
        }
    }

    /// A receiver that only counts (a long benchmark).
    pub fn counting() -> Self {
        Self::default()
    }

    /// Spans, log records and metric exports received so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.span_count.load(Ordering::Relaxed),
            self.log_count.load(Ordering::Relaxed),
            self.metric_exports.load(Ordering::Relaxed),
        )
    }

    /// Serves the three OTLP services on `listener` until the task is dropped.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
    ) -> Result<(), tonic::transport::Error> {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self.clone()))
            .add_service(LogsServiceServer::new(self.clone()))
            .add_service(MetricsServiceServer::new(self))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    }

    /// Serves on a free loopback port in the background; returns the endpoint (`http://…`).
    pub async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the OTLP receiver");
        let addr = listener.local_addr().expect("the receiver's address");
        tokio::spawn(self.clone().serve(listener));
        format!("http://{addr}")
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut kept = Vec::new();
        let mut n = 0;
        for rs in request.into_inner().resource_spans {
            let resource = rs.resource.map(|r| r.attributes).unwrap_or_default();
            for ss in rs.scope_spans {
                n += ss.spans.len() as u64;
                if self.keep {
                    kept.extend(ss.spans.into_iter().map(|span| (resource.clone(), span)));
                }
            }
        }
        self.span_count.fetch_add(n, Ordering::Relaxed);
        locked(&self.spans).extend(kept);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let mut kept = Vec::new();
        let mut n = 0;
        for rl in request.into_inner().resource_logs {
            for sl in rl.scope_logs {
                n += sl.log_records.len() as u64;
                if self.keep {
                    kept.extend(sl.log_records.into_iter().map(|record| {
                        let body = record.body.as_ref().map(text).unwrap_or_default();
                        (record.trace_id, body, record.attributes)
                    }));
                }
            }
        }
        self.log_count.fetch_add(n, Ordering::Relaxed);
        locked(&self.logs).extend(kept);
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metric_exports.fetch_add(1, Ordering::Relaxed);
        if self.keep {
            let mut names = locked(&self.metrics);
            for rm in request.into_inner().resource_metrics {
                for sm in rm.scope_metrics {
                    names.extend(sm.metrics.into_iter().map(|m| m.name));
                }
            }
        }
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// An attribute value as text.
pub fn text(v: &AnyValue) -> String {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        other => format!("{other:?}"),
    }
}

/// The value of attribute `key`, as text.
pub fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .map(text)
}

/// Bytes (a trace or span id) as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
