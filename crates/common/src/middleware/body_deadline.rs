//! A deadline for request bodies (`SERVER_BODY_TIMEOUT`): a client that has not sent its whole
//! body that long after the request arrived gets 408 and its connection is closed, so slow
//! senders cannot hold connections and buffers open for ever.
//!
//! The request's payload is wrapped in a stream that fails with an I/O `TimedOut` error at the
//! deadline; whoever reads the body (the operation log, an extractor, an upload) sees the
//! failure, and [`crate::extract`] answers it with [`crate::AppError::RequestTimeout`]. Requests
//! that declare no body (no `Content-Length` above 0, no `Transfer-Encoding`) are passed on
//! untouched, so GETs pay nothing.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage};
use futures_util::Stream;
use futures_util::future::LocalBoxFuture;

/// The text of the I/O error a late body fails with (matched by [`is_body_timeout`]).
const TIMED_OUT: &str = "request body not received in time";

/// Middleware factory: bodies must arrive within `timeout` of the request.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    timeout: Duration,
}

impl BodyDeadline {
    /// A deadline of `timeout` from the request's arrival.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S, B> Transform<S, ServiceRequest> for BodyDeadline
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = BodyDeadlineService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(BodyDeadlineService {
            service: Rc::new(service),
            timeout: self.timeout,
        }))
    }
}

/// The middleware service (see the module docs).
pub struct BodyDeadlineService<S> {
    service: Rc<S>,
    timeout: Duration,
}

impl<S, B> Service<ServiceRequest> for BodyDeadlineService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if declares_body(&req) {
            let inner = req.take_payload();
            let stream = DeadlinePayload {
                inner,
                sleep: Box::pin(tokio::time::sleep(self.timeout)),
                done: false,
            };
            req.set_payload(Payload::from(
                Box::pin(stream) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
            ));
        }
        let service = Rc::clone(&self.service);
        Box::pin(async move { service.call(req).await })
    }
}

fn declares_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Whether a payload error is the deadline's.
pub fn is_body_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut && io.to_string() == TIMED_OUT)
}

struct DeadlinePayload {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    done: bool,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.done = true;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                TIMED_OUT,
            )))));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn deadline(inner: Payload, after: Duration) -> DeadlinePayload {
        DeadlinePayload {
            inner,
            sleep: Box::pin(tokio::time::sleep(after)),
            done: false,
        }
    }

    #[actix_web::test]
    async fn a_body_that_stops_arriving_fails_with_the_deadline_error() {
        // A complete body passes untouched.
        let mut whole = deadline(
            Payload::from(Bytes::from_static(b"abc")),
            Duration::from_millis(50),
        );
        assert_eq!(
            whole.next().await.unwrap().unwrap(),
            Bytes::from_static(b"abc")
        );
        // A body that never ends is cut at the deadline, once.
        let (_tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, PayloadError>>(1);
        let never: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
        let mut slow = deadline(Payload::from(never), Duration::from_millis(50));
        let err = slow.next().await.unwrap().unwrap_err();
        assert!(is_body_timeout(&err));
        assert!(slow.next().await.is_none());
        assert!(!is_body_timeout(&PayloadError::Incomplete(None)));
    }
}
