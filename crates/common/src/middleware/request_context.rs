//! The outermost fba middleware: request id, language, client facts, access log.
//!
//! Replaces FBA's Context, Access, I18n and State middlewares with one pass:
//! 1. `X-Request-ID` present but not a UUID → 400 `{"code":400,"msg":"BAD_REQUEST","data":null}`;
//!    absent → a new uuid4 (32 hex);
//! 2. language from `Accept-Language`;
//! 3. [`ClientInfo`] stored in the request extensions (the client ip from the peer, or from a
//!    trusted proxy's headers: [`client_ip_behind`]);
//! 4. the rest of the request runs inside a [`RequestScope`] (trace id, language, prod flag);
//! 5. the request id is echoed in the response header and one access line is logged.
//!
//! With traces exported ([`RequestContext::with_tracing`]) the request runs inside a server
//! span (continuing a W3C `traceparent`), and the request id is that span's trace id, as in
//! FBA's OpenTelemetry mode: a valid incoming `X-Request-ID` is then not reused.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::future::LocalBoxFuture;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Histogram;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TraceContextExt;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use fba_core_conf::TrustedProxies;

use crate::context::{ClientInfo, client_ip_behind};
use crate::i18n;
use crate::scope::RequestScope;

/// Middleware factory; build it once from settings.
#[derive(Clone)]
pub struct RequestContext {
    inner: Rc<Config>,
}

#[derive(Clone)]
struct Config {
    header: HeaderName,
    default_language: &'static str,
    production: bool,
    trusted_proxies: TrustedProxies,
    /// The OpenTelemetry request duration histogram, when traces are exported.
    tracing: Option<Histogram<f64>>,
}

impl RequestContext {
    /// `header` is `TRACE_ID_REQUEST_HEADER_KEY`; an invalid name falls back to `X-Request-ID`.
    /// Forwarded headers name the client only when the peer is one of `trusted_proxies`.
    pub fn new(
        header: &str,
        default_language: &str,
        production: bool,
        trusted_proxies: TrustedProxies,
    ) -> Self {
        let header = HeaderName::from_bytes(header.to_ascii_lowercase().as_bytes())
            .unwrap_or_else(|_| HeaderName::from_static("x-request-id"));
        Self {
            inner: Rc::new(Config {
                header,
                default_language: i18n::canonical(default_language),
                production,
                trusted_proxies,
                tracing: None,
            }),
        }
    }

    /// Runs each request in a server span and records the OpenTelemetry
    /// `http.server.request.duration` histogram when `on` (traces exported:
    /// [`crate::telemetry::Telemetry::exports`]).
    #[must_use]
    pub fn with_tracing(self, on: bool) -> Self {
        let histogram = on.then(|| {
            opentelemetry::global::meter("fba")
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                .build()
        });
        let mut cfg = Rc::unwrap_or_clone(self.inner);
        cfg.tracing = histogram;
        Self {
            inner: Rc::new(cfg),
        }
    }
}

/// Reads W3C trace context from the request headers.
struct HeaderExtractor<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// The server span of a request and its trace id, when its trace is sampled
/// ([`crate::telemetry::keeps`]: the caller's `traceparent` decides in the parent-based
/// samplers); `None` and the caller's trace id, if any, when it is not.
fn request_span(
    req: &ServiceRequest,
    ip: &str,
    route: Option<&str>,
) -> Result<(tracing::Span, String), Option<String>> {
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(req.headers()))
    });
    let caller = parent.span().span_context().clone();
    let caller = caller.is_valid().then_some(caller);
    if !crate::telemetry::keeps(caller.as_ref().map(|c| c.is_sampled())) {
        return Err(caller.map(|c| c.trace_id().to_string()));
    }
    let method = req.method().as_str();
    let name = format!("{method} {}", route.unwrap_or(req.path()));
    let span = tracing::info_span!(
        target: crate::telemetry::HTTP_SPAN_TARGET,
        "request",
        otel.name = name.as_str(),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        url.path = req.path(),
        http.route = route,
        client.address = ip,
        http.response.status_code = tracing::field::Empty,
    );
    if caller.is_some() {
        let _ = span.set_parent(parent);
    }
    let id = span.context().span().span_context().trace_id();
    Ok((span, id.to_string()))
}

impl<S, B> Transform<S, ServiceRequest> for RequestContext
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = RequestContextService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestContextService {
            service: Rc::new(service),
            config: Rc::clone(&self.inner),
        }))
    }
}

/// The middleware service (see the module docs).
pub struct RequestContextService<S> {
    service: Rc<S>,
    config: Rc<Config>,
}

impl<S, B> Service<ServiceRequest> for RequestContextService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let cfg = Rc::clone(&self.config);
        let incoming = req.headers().get(&cfg.header).map(|v| {
            v.to_str().ok().and_then(|s| {
                uuid::Uuid::parse_str(s.trim())
                    .ok()
                    .map(|_| s.trim().to_owned())
            })
        });
        let mut trace_id = match incoming {
            Some(Some(valid)) => valid,
            Some(None) => {
                let resp = HttpResponse::BadRequest()
                    .content_type("application/json")
                    .body(r#"{"code":400,"msg":"BAD_REQUEST","data":null}"#);
                return Box::pin(async move { Ok(req.into_response(resp)) });
            }
            None => uuid::Uuid::new_v4().simple().to_string(),
        };
        let language = i18n::resolve_language(
            req.headers()
                .get("accept-language")
                .and_then(|v| v.to_str().ok()),
            cfg.default_language,
        );
        let ip = client_ip_behind(&req, &cfg.trusted_proxies);
        // The route template (`None`: no route matched), for the span and the histogram.
        let route = cfg
            .tracing
            .as_ref()
            .map(|_| crate::routing::route_pattern(&req));
        // With traces exported the request id is a trace id: the recorded trace's, else the
        // caller's, else a fresh one (a uuid4's 32 hex digits, the form of a trace id).
        let span = match route
            .as_ref()
            .map(|route| request_span(&req, &ip, route.as_deref()))
        {
            Some(Ok((span, id))) => {
                trace_id = id;
                Some(span)
            }
            Some(Err(caller)) => {
                if let Some(id) = caller {
                    trace_id = id;
                }
                None
            }
            None => None,
        };
        let user_agent = req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        req.extensions_mut().insert(ClientInfo {
            trace_id: trace_id.clone(),
            traced: span.is_some(),
            language,
            ip: ip.clone(),
            user_agent,
            start_time: chrono::Utc::now(),
            started,
        });
        let scope = Arc::new(RequestScope {
            trace_id: trace_id.clone(),
            language,
            production: cfg.production,
        });
        let method = req.method().clone();
        let path = req.path().to_owned();
        let service = Rc::clone(&self.service);
        let span_handle = span.clone();
        let route = route
            .flatten()
            .unwrap_or_else(|| crate::metrics::UNMATCHED.to_owned());
        let fut = async move {
            // Errors of inner middleware are rendered inside the scope so they carry the trace id.
            let result = scope
                .run(async move {
                    service.call(req).await.map_err(|err| {
                        let resp = err.as_response_error().error_response();
                        Error::from(actix_web::error::InternalError::from_response(
                            err.to_string(),
                            resp,
                        ))
                    })
                })
                .await;
            let mut res = match result {
                Ok(res) => res.map_into_boxed_body(),
                Err(err) => return Err(err),
            };
            if let Ok(v) = HeaderValue::from_str(&trace_id) {
                res.headers_mut().insert(cfg.header.clone(), v);
            }
            tracing::info!(
                target: "fba::access",
                trace_id = %trace_id,
                ip = %ip,
                method = %method,
                status = res.status().as_u16(),
                path = %path,
                ms = format_args!("{:.3}", started.elapsed().as_secs_f64() * 1000.0),
            );
            if let Some(histogram) = &cfg.tracing {
                let status = res.status().as_u16();
                if let Some(span) = &span_handle {
                    span.record("http.response.status_code", status);
                    if status >= 500 {
                        span.record("otel.status_code", "ERROR");
                    }
                }
                histogram.record(
                    started.elapsed().as_secs_f64(),
                    &[
                        KeyValue::new("http.request.method", method.to_string()),
                        KeyValue::new("http.route", route),
                        KeyValue::new("http.response.status_code", i64::from(status)),
                    ],
                );
            }
            Ok(res)
        };
        match span {
            Some(span) => Box::pin(fut.instrument(span)),
            None => Box::pin(fut),
        }
    }
}
