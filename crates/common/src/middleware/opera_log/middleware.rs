//! The [`OperaLog`] actix middleware: decides which requests are logged, captures the body
//! (giving an identical payload back to the handler), runs the request and hands the row to the
//! queue's [`OperaLogSender`] before the response leaves. It writes nothing itself.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, web};
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use super::{
    ErrorOutcome, OperaLogRecord, OperaLogSender, OperaLogStatsHandle, RouteTitles, build_args,
};
use crate::context::{ClientInfo, client_ip};
use crate::security::{AuthContext, Security, bearer};

/// Extra bytes allowed above the largest upload for the multipart framing.
const MULTIPART_SLACK: usize = 64 * 1024;

/// The operation-log middleware (see the module docs). Wrap it inside the request-context
/// middleware and outside the JWT middleware.
#[derive(Clone)]
pub struct OperaLog {
    config: Arc<Config>,
}

struct Config {
    prefix: String,
    exclude: Vec<String>,
    redact: Vec<String>,
    capture_limit: usize,
    titles: RouteTitles,
    sender: OperaLogSender,
}

impl OperaLog {
    /// The middleware for `settings` (`FASTAPI_API_V1_PATH`, `OPERA_LOG_*`, the upload limits
    /// that bound how much of a body is read), sending rows to `sender`.
    pub fn new(
        settings: &fba_core_conf::Settings,
        sender: OperaLogSender,
        titles: RouteTitles,
    ) -> Self {
        let upload_max = settings
            .upload
            .image_size_max
            .max(settings.upload.video_size_max);
        let capture_limit = usize::try_from(upload_max)
            .unwrap_or(usize::MAX)
            .saturating_add(MULTIPART_SLACK)
            .max(crate::extract::JSON_LIMIT);
        Self {
            config: Arc::new(Config {
                prefix: settings.api.v1_path.clone(),
                exclude: settings.opera_log.path_exclude.clone(),
                redact: settings.opera_log.redact_keys.clone(),
                capture_limit,
                titles,
                sender,
            }),
        }
    }
}

impl OperaLog {
    /// A handle on the counts of the queue this middleware feeds (for `/health`).
    pub fn stats(&self) -> OperaLogStatsHandle {
        self.config.sender.stats_handle()
    }
}

impl std::fmt::Debug for OperaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperaLog")
            .field("prefix", &self.config.prefix)
            .field("exclude", &self.config.exclude)
            .finish_non_exhaustive()
    }
}

impl Config {
    fn should_log(&self, method: &Method, path: &str) -> bool {
        method != Method::OPTIONS
            && path.starts_with(&self.prefix)
            && !self.exclude.iter().any(|p| p == path)
    }
}

impl<S, B> Transform<S, ServiceRequest> for OperaLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = OperaLogService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(OperaLogService {
            service: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The service of [`OperaLog`].
pub struct OperaLogService<S> {
    service: Rc<S>,
    config: Arc<Config>,
}

impl<S, B> Service<ServiceRequest> for OperaLogService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        if !self.config.should_log(req.method(), req.path()) {
            return Box::pin(async move {
                service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body)
            });
        }
        let cfg = Arc::clone(&self.config);
        Box::pin(async move {
            let client = req.extensions().get::<ClientInfo>().cloned();
            let started = client.as_ref().map_or_else(Instant::now, |c| c.started);
            let method = req.method().clone();
            let path = req.path().to_owned();
            let pattern = crate::routing::route_pattern(&req);
            let checked_by_jwt = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer)
                .is_some()
                && req
                    .app_data::<web::Data<Security>>()
                    .is_none_or(|s| !s.is_excluded(&path));
            let content_type = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let declared_len = req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let captured = capture_body(&mut req, cfg.capture_limit).await;
            let uncaptured = if captured.complete {
                0
            } else {
                declared_len
                    .unwrap_or(0)
                    .saturating_sub(captured.bytes.len() as u64)
            };
            let args = build_args(
                req.query_string(),
                content_type.as_deref(),
                &captured.bytes,
                &cfg.redact,
                (!captured.complete).then_some(uncaptured),
            );
            let (ip, trace_id, user_agent, opera_time) = match &client {
                Some(c) => (
                    c.ip.clone(),
                    c.trace_id.clone(),
                    c.user_agent.clone(),
                    c.start_time,
                ),
                None => (
                    client_ip(&req),
                    "-".to_owned(),
                    req.headers()
                        .get("user-agent")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    Utc::now(),
                ),
            };
            drop(captured);
            let locator = req
                .app_data::<web::Data<crate::AppState>>()
                .map(|state| Arc::clone(&state.ip_locator));

            let result = service.call(req).await;

            let (outcome, username, log) = match &result {
                Ok(res) => {
                    let username = res
                        .request()
                        .extensions()
                        .get::<Arc<AuthContext>>()
                        .map(|ctx| ctx.user.username.clone());
                    let outcome = ErrorOutcome::of_response(res.response());
                    // The JWT middleware refused the token: FBA rejects such requests before
                    // its operation log runs.
                    let jwt_rejected = checked_by_jwt && username.is_none() && outcome.is_some();
                    (outcome, username, !jwt_rejected)
                }
                Err(err) => (Some(ErrorOutcome::of_error(err)), None, true),
            };
            if log {
                let agent = crate::context::UserAgentInfo::parse(user_agent.as_deref());
                let (status, code, msg) = match outcome {
                    None => (1, "200".to_owned(), "Success".to_owned()),
                    Some(o) => (0, o.code.to_string(), o.msg),
                };
                let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                let location = locator.and_then(|l| l.lookup(&ip)).unwrap_or_default();
                let record = OperaLogRecord {
                    trace_id,
                    username,
                    title: cfg.titles.title(&method, pattern.as_deref()),
                    method: method.to_string(),
                    path,
                    ip,
                    country: location.country,
                    region: location.region,
                    city: location.city,
                    user_agent,
                    os: agent.os,
                    browser: agent.browser,
                    device: agent.device,
                    args,
                    status,
                    code,
                    msg: Some(msg),
                    cost_time: (elapsed * 1000.0).round() / 1000.0,
                    opera_time,
                };
                cfg.sender.send(record);
            }
            result.map(ServiceResponse::map_into_boxed_body)
        })
    }
}

struct Captured {
    bytes: Bytes,
    /// The whole body was read (not cut at the capture limit, no read error).
    complete: bool,
}

/// Reads the body (up to `limit` bytes) and puts an identical payload back for the handler:
/// the bytes read, then whatever was not read, then the read error if one happened.
async fn capture_body(req: &mut ServiceRequest, limit: usize) -> Captured {
    let mut payload = req.take_payload();
    let mut buf = BytesMut::new();
    let mut failure: Option<PayloadError> = None;
    let mut exhausted = false;
    while buf.len() < limit {
        match payload.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failure = Some(e);
                break;
            }
            None => {
                exhausted = true;
                break;
            }
        }
    }
    let bytes = buf.freeze();
    let complete = exhausted && failure.is_none();
    if complete {
        if !bytes.is_empty() {
            req.set_payload(Payload::from(bytes.clone()));
        }
    } else {
        // Cut at the limit: the rest follows the bytes read. A read error ends the stream.
        let cut = failure.is_none();
        let head = futures_util::stream::iter(
            [Ok(bytes.clone())]
                .into_iter()
                .chain(failure.map(Err))
                .collect::<Vec<Result<Bytes, PayloadError>>>(),
        );
        let stream: std::pin::Pin<
            Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>,
        > = if cut {
            Box::pin(head.chain(payload))
        } else {
            Box::pin(head)
        };
        req.set_payload(Payload::from(stream));
    }
    Captured { bytes, complete }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::*;
    use crate::error::AppResult;
    use crate::middleware::opera_log::{OperaLogQueue, OperaLogSink};

    #[actix_web::test]
    async fn bodies_reach_the_handler_intact_below_and_above_the_capture_limit() {
        use actix_web::{App, HttpResponse, test as atest};
        let settings = fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs([
            ("UPLOAD_IMAGE_SIZE_MAX", "1"),
            ("UPLOAD_VIDEO_SIZE_MAX", "1"),
        ]))
        .unwrap();
        let (tx, mut rx) = mpsc::channel(10);
        let spy = Arc::new(SpySink(tx));
        let spy_queue = OperaLogQueue::with_limits(100, 1, Duration::from_secs(3600), spy);
        let app = atest::init_service(
            App::new()
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .route(
                    "/api/v1/echo",
                    web::post().to(|body: Bytes| async move {
                        HttpResponse::Ok().body(format!(
                            "{}:{}",
                            body.len(),
                            body.iter().map(|b| u64::from(*b)).sum::<u64>()
                        ))
                    }),
                )
                .wrap(OperaLog::new(
                    &settings,
                    spy_queue.sender(),
                    RouteTitles::new(),
                )),
        )
        .await;
        // 2 MiB is the capture limit here (the uploads are limited to 1 byte).
        for len in [10usize, 3 * 1024 * 1024] {
            let body: Vec<u8> = (0..len).map(|i| (i % 250 + 1) as u8).collect();
            let sum: u64 = body.iter().map(|b| u64::from(*b)).sum();
            let req = atest::TestRequest::post()
                .uri("/api/v1/echo?k=v")
                .insert_header(("content-type", "application/octet-stream"))
                .set_payload(body)
                .to_request();
            let resp = atest::call_service(&app, req).await;
            assert_eq!(resp.status().as_u16(), 200);
            let text = atest::read_body(resp).await;
            assert_eq!(text, format!("{len}:{sum}").as_bytes());
            let row = rx.recv().await.unwrap();
            let args = row.args.unwrap();
            if len == 10 {
                assert_eq!(args["query_params"], serde_json::json!({"k": "v"}));
                assert_eq!(args["data"].as_str().map(str::len), Some(10));
            } else {
                assert_eq!(args["_truncated"], serde_json::json!(true));
                assert!(args["_original_size"].as_u64().unwrap() > len as u64);
            }
            assert_eq!(row.title, "/api/v1/echo");
            assert_eq!((row.status, row.code.as_str()), (1, "200"));
        }
        spy_queue.flush_and_stop().await;
    }

    /// Forwards every row to a channel.
    struct SpySink(mpsc::Sender<OperaLogRecord>);

    #[async_trait::async_trait]
    impl OperaLogSink for SpySink {
        async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()> {
            for r in rows {
                let _ = self.0.send(r.clone()).await;
            }
            Ok(())
        }
    }
}
