//! Logging and OpenTelemetry, set up once per process by every app (server, worker, CLI).
//!
//! [`init`] installs the global `tracing` subscriber: log lines on standard output
//! (`LOG_STD_LEVEL`, `LOG_FORMAT`) and, when `GRAFANA_METRICS_ENABLE` is on and
//! `GRAFANA_OTLP_GRPC_ENDPOINT` is not empty, FBA's OTLP/gRPC export of
//! - traces: one server span per HTTP request (a W3C `traceparent` header continues the
//!   caller's trace), with child spans for every database statement (sea-orm) and Redis
//!   command, and one consumer span per task run continuing the trace of the request that sent
//!   the job ([`current_traceparent`], [`continue_trace`]);
//! - logs: every log line, carrying the trace and span id of the request it belongs to;
//! - metrics: the HTTP server duration histogram of the OpenTelemetry conventions.
//!
//! The resource is FBA's: `service.name`, `service.version`, `deployment.environment`. With
//! the export off nothing of it is built, and the spans it would record are disabled at their
//! call sites (no cost per request).
//!
//! Sampling (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`: [`TraceSampling`]) is decided
//! by fba before a trace's first span is built ([`keeps_trace`]): a request or task run that is
//! not sampled gets no span at all, and database or Redis spans are only recorded inside a
//! recorded span, so an unsampled request costs next to nothing.

use std::io::IsTerminal;
use std::sync::OnceLock;

use fba_core_conf::{LogFormat, Settings};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets, dynamic_filter_fn, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// The span target of the per-request server span.
pub const HTTP_SPAN_TARGET: &str = "fba::http";

/// The span target of a task run (a worker's consumer span, continuing the trace of the request
/// or scheduler that sent the job).
pub const TASK_SPAN_TARGET: &str = "fba::task";

/// The W3C `traceparent` of the current span's trace, when traces are exported and the span
/// belongs to one: what a job carries so its run continues the sender's trace. `None` with the
/// export off.
pub fn current_traceparent() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut carrier));
    carrier.remove("traceparent")
}

/// The trace context of a W3C `traceparent` (invalid when the value is).
fn parent_context(traceparent: &str) -> opentelemetry::Context {
    let carrier =
        std::collections::HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier))
}

/// Makes `span` continue the trace of `traceparent` (as its child); an invalid value is
/// ignored.
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let parent = parent_context(traceparent);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Which traces are recorded: the OpenTelemetry SDK's standard `OTEL_TRACES_SAMPLER`
/// (`always_on`, `always_off`, `traceidratio`, and the `parentbased_` forms, which follow a
/// caller's sampled flag) and `OTEL_TRACES_SAMPLER_ARG` (the ratio, 0 to 1). Unset, every
/// trace is recorded and a caller's decision is followed (`parentbased_always_on`, the SDK's
/// default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceSampling {
    /// Follow the caller's sampled flag when there is a caller.
    parent_based: bool,
    /// The share of new traces recorded, 0 to 1.
    ratio: f64,
}

impl Default for TraceSampling {
    fn default() -> Self {
        Self {
            parent_based: true,
            ratio: 1.0,
        }
    }
}

impl TraceSampling {
    /// Reads the two variables through `var` (the process environment at start-up).
    ///
    /// # Errors
    /// [`TelemetryError::Sampler`] for an unknown sampler or a ratio that is missing, not a
    /// number or outside 0 to 1 (the SDK would silently fall back to sampling everything).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, TelemetryError> {
        let Some(sampler) = var("OTEL_TRACES_SAMPLER").filter(|v| !v.trim().is_empty()) else {
            return Ok(Self::default());
        };
        let sampler = sampler.trim().to_ascii_lowercase();
        let (parent_based, root) = match sampler.strip_prefix("parentbased_") {
            Some(root) => (true, root),
            None => (false, sampler.as_str()),
        };
        let invalid = |reason: &str| TelemetryError::Sampler {
            value: sampler.clone(),
            reason: reason.to_owned(),
        };
        let ratio = match root {
            "always_on" => 1.0,
            "always_off" => 0.0,
            "traceidratio" => {
                let arg = var("OTEL_TRACES_SAMPLER_ARG").unwrap_or_default();
                match arg.trim().parse::<f64>() {
                    Ok(r) if (0.0..=1.0).contains(&r) => r,
                    _ => {
                        return Err(invalid(&format!(
                            "OTEL_TRACES_SAMPLER_ARG={arg:?} is not a ratio from 0 to 1"
                        )));
                    }
                }
            }
            _ => {
                return Err(invalid(
                    "expected always_on, always_off, traceidratio or a parentbased_ form of them",
                ));
            }
        };
        Ok(Self {
            parent_based,
            ratio,
        })
    }

    /// Whether a trace is recorded: `parent` is the caller's sampled flag (`None` without a
    /// caller); `random` gives 64 random bits, drawn only for a ratio strictly between 0 and 1.
    pub fn keeps(&self, parent: Option<bool>, random: impl FnOnce() -> u64) -> bool {
        match parent {
            Some(sampled) if self.parent_based => sampled,
            _ if self.ratio >= 1.0 => true,
            _ if self.ratio <= 0.0 => false,
            // The top 53 bits as a fraction of 1, as exact as an f64 allows.
            #[allow(clippy::cast_precision_loss)]
            _ => ((random() >> 11) as f64 / (1u64 << 53) as f64) < self.ratio,
        }
    }
}

/// The sampling of this process: set by [`init`] when traces are exported.
static SAMPLING: OnceLock<TraceSampling> = OnceLock::new();

/// Whether the trace of a request or task run whose caller sent `parent` (its sampled flag;
/// `None` without a caller) is recorded: false when traces are not exported. Decide before
/// building the trace's first span, and build none when this says no.
pub fn keeps(parent: Option<bool>) -> bool {
    SAMPLING
        .get()
        .is_some_and(|s| s.keeps(parent, || uuid::Uuid::new_v4().as_u64_pair().1))
}

/// [`keeps`] for a job that carries its sender's W3C `traceparent` (if any).
pub fn keeps_trace(traceparent: Option<&str>) -> bool {
    use opentelemetry::trace::TraceContextExt;
    if SAMPLING.get().is_none() {
        return false;
    }
    let parent = traceparent.map(|tp| {
        let cx = parent_context(tp);
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid().then(|| sc.is_sampled())
    });
    keeps(parent.flatten())
}

/// Why the telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// An OTLP exporter could not be built.
    #[error("cannot build the OTLP exporter for {endpoint}: {reason}")]
    Exporter {
        /// `GRAFANA_OTLP_GRPC_ENDPOINT`.
        endpoint: String,
        /// The exporter's error.
        reason: String,
    },
    /// `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` are not usable.
    #[error("invalid OTEL_TRACES_SAMPLER={value:?}: {reason}")]
    Sampler {
        /// `OTEL_TRACES_SAMPLER`.
        value: String,
        /// What is wrong.
        reason: String,
    },
}

/// The running telemetry: keep it for the life of the process and call
/// [`Telemetry::shutdown`] at the end so the last spans and logs are sent.
#[derive(Debug, Default)]
pub struct Telemetry {
    otel: Option<Providers>,
}

#[derive(Debug)]
struct Providers {
    tracer: SdkTracerProvider,
    logger: SdkLoggerProvider,
    meter: SdkMeterProvider,
}

impl Telemetry {
    /// Whether traces are exported (the request id is then the trace id).
    pub fn exports(&self) -> bool {
        self.otel.is_some()
    }

    /// Sends what is buffered and stops the exporters (on a blocking thread: the gRPC client
    /// runs on the caller's runtime, which must stay free meanwhile).
    pub async fn shutdown(self) {
        let Some(p) = self.otel else { return };
        let done = tokio::task::spawn_blocking(move || {
            let _ = p.tracer.shutdown();
            let _ = p.logger.shutdown();
            let _ = p.meter.shutdown();
        });
        let _ = done.await;
    }
}

/// The filter of the log lines: `RUST_LOG` if set, else `LOG_STD_LEVEL` with noisy
/// dependencies capped at `warn`.
fn log_filter(level: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{level},sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=info,\
             opentelemetry=warn,opentelemetry_sdk=warn,h2=warn,tonic=warn,hyper=warn"
        ))
    })
}

/// Sets up logging only (tools that never export, such as the CLI): see [`init`]. The filter
/// is the subscriber's own (not a per-layer one), so disabled call sites cost nothing.
pub fn init_logs(settings: &Settings) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(log_filter(&settings.log.level))
        .with_target(true);
    let _ = match settings.log.format {
        LogFormat::Text => builder.with_ansi(use_colour()).try_init(),
        LogFormat::Json => builder.with_ansi(false).json().try_init(),
    };
}

/// Installs the global subscriber and, when configured, the OTLP exporters; `service` is the
/// resource's `service.name` (`fba_server` for the server, as in FBA). Must run inside the
/// Tokio runtime the app serves on (the gRPC client lives there). Calling it again keeps the
/// first subscriber.
///
/// # Errors
/// [`TelemetryError`] when an exporter cannot be built.
pub fn init(settings: &Settings, service: &str) -> Result<Telemetry, TelemetryError> {
    let Some(endpoint) = settings.grafana.export_endpoint() else {
        init_logs(settings);
        return Ok(Telemetry::default());
    };
    let sampling = TraceSampling::from_vars(|name| std::env::var(name).ok())?;
    let providers = providers(settings, service, endpoint)?;
    let _ = SAMPLING.set(sampling);
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_meter_provider(providers.meter.clone());
    let tracer = providers.tracer.tracer("fba");
    // Spans only (log lines go through the log bridge, not as span events): the request
    // and task spans (built only for sampled traces: `keeps`), and sea-orm's statement spans
    // and the Kv commands inside one of them (none for an unsampled request, nor for
    // background work such as the operation log's writer).
    let span_filter = Targets::new()
        .with_target(HTTP_SPAN_TARGET, tracing::Level::INFO)
        .with_target(TASK_SPAN_TARGET, tracing::Level::INFO)
        .with_target("sea_orm", tracing::Level::INFO)
        .with_target("fba_db::kv", tracing::Level::DEBUG)
        .and(dynamic_filter_fn(|meta, cx| {
            meta.is_span()
                && (meta.target() == HTTP_SPAN_TARGET
                    || meta.target() == TASK_SPAN_TARGET
                    || cx.lookup_current().is_some())
        }));
    // Per span only what the backends show: no source location, thread or busy/idle timing
    // attributes (each costs work on every span of every request).
    let traces = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_target(false)
        .with_filter(span_filter);
    let logs =
        opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(&providers.logger)
            .with_filter(log_filter(&settings.log.level).and(filter_fn(|meta| meta.is_event())));
    let installed = Registry::default()
        .with(stdout_layer(settings))
        .with(traces)
        .with(logs)
        .try_init()
        .is_ok();
    if installed {
        tracing::info!(endpoint, "exporting traces, metrics and logs over OTLP");
    }
    Ok(Telemetry {
        otel: Some(providers),
    })
}

fn providers(
    settings: &Settings,
    service: &str,
    endpoint: &str,
) -> Result<Providers, TelemetryError> {
    let err = |e: &dyn std::fmt::Display| TelemetryError::Exporter {
        endpoint: endpoint.to_owned(),
        reason: e.to_string(),
    };
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service.to_owned())
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new(
                "deployment.environment",
                if settings.environment.is_prod() {
                    "prod"
                } else {
                    "dev"
                },
            ),
        ])
        .build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| err(&e))?;
    let logs = opentelemetry_otlp::LogExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| err(&e))?;
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| err(&e))?;
    Ok(Providers {
        // Every span that is built is recorded: the sampling is decided before (`keeps`).
        tracer: SdkTracerProvider::builder()
            .with_sampler(Sampler::AlwaysOn)
            .with_resource(resource.clone())
            .with_batch_exporter(spans)
            .build(),
        logger: SdkLoggerProvider::builder()
            .with_resource(resource.clone())
            .with_batch_exporter(logs)
            .build(),
        meter: SdkMeterProvider::builder()
            .with_resource(resource)
            .with_periodic_exporter(metrics)
            .build(),
    })
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Log lines on standard output in `LOG_FORMAT`: text (coloured only when standard output is
/// a terminal and `NO_COLOR` is unset or empty) or one JSON object per line.
fn stdout_layer(settings: &Settings) -> BoxedLayer {
    let filter = log_filter(&settings.log.level);
    let layer = tracing_subscriber::fmt::layer().with_target(true);
    match settings.log.format {
        LogFormat::Text => layer.with_ansi(use_colour()).with_filter(filter).boxed(),
        LogFormat::Json => layer.with_ansi(false).json().with_filter(filter).boxed(),
    }
}

/// Colour codes only for a person at a terminal (<https://no-color.org>).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampling(vars: &[(&str, &str)]) -> Result<TraceSampling, TelemetryError> {
        TraceSampling::from_vars(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn unset_records_every_trace_and_follows_the_caller() {
        let s = sampling(&[]).unwrap();
        assert_eq!(s, TraceSampling::default());
        assert!(s.keeps(None, || 0) && s.keeps(None, || u64::MAX));
        // Nothing random is drawn when every trace is kept (the default, on every request).
        assert!(s.keeps(None, || unreachable!("no draw at ratio 1")));
        assert!(s.keeps(Some(true), || 0));
        assert!(!s.keeps(Some(false), || 0));
    }

    #[test]
    fn a_ratio_keeps_that_share_of_new_traces() {
        let s = sampling(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .unwrap();
        assert!(s.keeps(None, || 0));
        assert!(s.keeps(None, || u64::MAX / 4 - 4096));
        assert!(!s.keeps(None, || u64::MAX / 4 + 4096));
        assert!(!s.keeps(None, || u64::MAX));
        let kept = (0..4096u64)
            .filter(|i| s.keeps(None, || i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            .count();
        assert!((900..1150).contains(&kept), "{kept} of 4096 kept");
        // A caller's decision wins in the parent-based form only.
        assert!(s.keeps(Some(true), || u64::MAX));
        assert!(!s.keeps(Some(false), || 0));
        let plain = sampling(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .unwrap();
        assert!(!plain.keeps(Some(true), || u64::MAX));
        assert!(plain.keeps(Some(false), || 0));
    }

    #[test]
    fn always_off_and_always_on() {
        let off = sampling(&[("OTEL_TRACES_SAMPLER", "always_off")]).unwrap();
        assert!(!off.keeps(None, || 0) && !off.keeps(Some(true), || 0));
        let parent_off = sampling(&[("OTEL_TRACES_SAMPLER", "parentbased_always_off")]).unwrap();
        assert!(!parent_off.keeps(None, || 0) && parent_off.keeps(Some(true), || 0));
        let on = sampling(&[("OTEL_TRACES_SAMPLER", "ALWAYS_ON")]).unwrap();
        assert!(on.keeps(Some(false), || u64::MAX));
    }

    #[test]
    fn unusable_values_are_refused() {
        for vars in [
            &[("OTEL_TRACES_SAMPLER", "jaeger_remote")][..],
            &[("OTEL_TRACES_SAMPLER", "traceidratio")][..],
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ][..],
            &[
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "ten"),
            ][..],
        ] {
            let err = sampling(vars).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid OTEL_TRACES_SAMPLER="),
                "{err}"
            );
        }
    }
}
