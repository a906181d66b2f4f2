//! [`RequestMetrics`]: the request counts of [`super::Metrics`], labelled with the route
//! template. Wrap it inside the request-context middleware (it reads [`ClientInfo`] for the
//! arrival time and the trace id) and outside the operation log and the JWT middleware, so
//! every answer is counted.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage};
use futures_util::future::LocalBoxFuture;
use prometheus_client::metrics::gauge::Gauge;

use super::{ExceptionLabels, Metrics, ResponseLabels, RouteLabels, UNMATCHED};
use crate::context::ClientInfo;
use crate::error::ErrorOutcome;

/// The middleware factory: a pass-through without metrics.
#[derive(Clone)]
pub struct RequestMetrics {
    config: Option<Arc<Config>>,
}

struct Config {
    metrics: Metrics,
    prefix: String,
    exemplars: bool,
}

impl RequestMetrics {
    /// Counts the requests under `prefix` (`FASTAPI_API_V1_PATH`) into `metrics` (nothing when
    /// `None`); `exemplars` attaches the trace id to each cost observation (when traces are
    /// exported, so the id leads somewhere).
    pub fn new(metrics: Option<Metrics>, prefix: &str, exemplars: bool) -> Self {
        Self {
            config: metrics.map(|metrics| {
                Arc::new(Config {
                    metrics,
                    prefix: prefix.to_owned(),
                    exemplars,
                })
            }),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = RequestMetricsService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(RequestMetricsService {
            service: Rc::new(service),
            config: self.config.clone(),
        }))
    }
}

/// The service of [`RequestMetrics`].
pub struct RequestMetricsService<S> {
    service: Rc<S>,
    config: Option<Arc<Config>>,
}

/// Brings the in-progress gauge back down however the request ends (a client that goes away
/// drops the future).
struct InProgress(Gauge);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl<S, B> Service<ServiceRequest> for RequestMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let Some(cfg) = self
            .config
            .as_ref()
            .filter(|c| req.path().starts_with(&c.prefix))
            .cloned()
        else {
            return Box::pin(async move {
                service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body)
            });
        };
        let labels = RouteLabels {
            method: req.method().as_str().to_owned(),
            path: crate::routing::route_pattern(&req).unwrap_or_else(|| UNMATCHED.to_owned()),
        };
        let (started, trace_id) = match req.extensions().get::<ClientInfo>() {
            Some(c) => (
                c.started,
                (cfg.exemplars && c.traced).then(|| c.trace_id.clone()),
            ),
            None => (Instant::now(), None),
        };
        let m = &cfg.metrics.inner;
        let gauge = m.in_progress.get_or_create_owned(&labels);
        gauge.inc();
        let in_progress = InProgress(gauge);
        m.requests.get_or_create(&labels).inc();
        Box::pin(async move {
            let result = service.call(req).await;
            let (status, code) = match &result {
                Ok(res) => (
                    res.status().as_u16(),
                    ErrorOutcome::of_response(res.response()).map_or(200, |o| o.code),
                ),
                Err(err) => (
                    err.as_response_error().status_code().as_u16(),
                    ErrorOutcome::of_error(err).code,
                ),
            };
            let m = &cfg.metrics.inner;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            m.cost.get_or_create(&labels).observe(
                elapsed_ms,
                trace_id.map(|id| [("TraceID", id)]),
                None,
            );
            if status >= 500 {
                m.exceptions
                    .get_or_create(&ExceptionLabels {
                        method: labels.method.clone(),
                        path: labels.path.clone(),
                        exception_type: exception_type(status),
                    })
                    .inc();
            }
            m.responses
                .get_or_create(&ResponseLabels {
                    method: labels.method,
                    path: labels.path,
                    status_code: code,
                })
                .inc();
            drop(in_progress);
            result.map(ServiceResponse::map_into_boxed_body)
        })
    }
}

/// The error type of a 5xx answer: its reason phrase without spaces (`InternalServerError`,
/// `ServiceUnavailable`), as FBA names an exception by its class.
fn exception_type(status: u16) -> String {
    actix_web::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map_or_else(
            || format!("Http{status}"),
            |r| r.split_whitespace().collect(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_types_are_reason_phrases_in_one_word() {
        assert_eq!(exception_type(500), "InternalServerError");
        assert_eq!(exception_type(503), "ServiceUnavailable");
        assert_eq!(exception_type(599), "Http599");
    }
}
