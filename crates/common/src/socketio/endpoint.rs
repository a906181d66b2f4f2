//! `GET /ws/socket.io/?EIO=4&transport=websocket`: the websocket upgrade. Everything else on
//! the path (long-polling, Engine.IO v3, a session id to resume) gets Engine.IO's HTTP 400
//! JSON error; a browser page from an origin outside `CORS_ALLOWED_ORIGINS` gets 403 (as
//! python-socketio's `cors_allowed_origins` refuses it); a replica at `WS_MAX_SOCKETS` answers
//! 503 in FBA's envelope.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use super::session::{self, SocketTask};
use crate::AppState;
use crate::error::AppError;
use crate::i18n::t;
use crate::scope::{self, RequestScope};
use crate::security::Security;

/// Engine.IO's error codes of a refused HTTP request (`engine.io` `Server.errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EngineRefusal {
    TransportUnknown,
    SessionIdUnknown,
    BadRequest,
    Forbidden,
    UnsupportedProtocolVersion,
}

impl EngineRefusal {
    fn code_and_message(self) -> (u8, &'static str) {
        match self {
            Self::TransportUnknown => (0, "Transport unknown"),
            Self::SessionIdUnknown => (1, "Session ID unknown"),
            Self::BadRequest => (3, "Bad request"),
            Self::Forbidden => (4, "Forbidden"),
            Self::UnsupportedProtocolVersion => (5, "Unsupported protocol version"),
        }
    }

    fn response(self) -> HttpResponse {
        let (code, message) = self.code_and_message();
        let body = serde_json::json!({ "code": code, "message": message });
        if self == Self::Forbidden {
            HttpResponse::Forbidden().json(body)
        } else {
            HttpResponse::BadRequest().json(body)
        }
    }
}

/// Checks the handshake's query as Engine.IO does: transport first, then a session id to
/// resume (there is none: websocket sessions are not resumed), then the protocol version.
fn check_handshake(method: &Method, query: &str) -> Result<(), EngineRefusal> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if method != Method::GET || get("transport") != Some("websocket") {
        return Err(EngineRefusal::TransportUnknown);
    }
    if get("sid").is_some() {
        return Err(EngineRefusal::SessionIdUnknown);
    }
    if get("EIO") != Some("4") {
        return Err(EngineRefusal::UnsupportedProtocolVersion);
    }
    Ok(())
}

/// Whether a page from `origin` may open a socket: no `Origin` header (not a browser), or one
/// listed in `CORS_ALLOWED_ORIGINS` (`*` lists every origin).
fn origin_allowed(origin: Option<&str>, allowed: &[String]) -> bool {
    origin.is_none_or(|origin| {
        allowed
            .iter()
            .any(|a| a == "*" || a.trim_end_matches('/') == origin.trim_end_matches('/'))
    })
}

/// The Engine.IO endpoint (see the module docs).
pub(crate) async fn endpoint(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Err(refusal) = check_handshake(req.method(), req.query_string()) {
        return refusal.response();
    }
    let origin = req
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    if !origin_allowed(origin, &state.settings.cors.allowed_origins) {
        tracing::info!(origin = ?origin, "socket.io: origin not allowed");
        return EngineRefusal::Forbidden.response();
    }
    let Some(security) = req.app_data::<web::Data<Security>>().cloned() else {
        return AppError::Internal("Security missing".into()).error_response();
    };
    let Some(slot) = state.socket.try_open() else {
        return AppError::Custom {
            code: 503,
            msg: t("error-socketio-full"),
        }
        .error_response();
    };
    let max_payload = slot.hub().settings().max_payload;
    let Ok((response, session, stream)) = actix_ws::handle(&req, body) else {
        return EngineRefusal::BadRequest.response();
    };
    let stream = stream
        .max_frame_size(max_payload)
        .aggregate_continuations()
        .max_continuation_size(max_payload);
    let scope = Arc::new(RequestScope {
        trace_id: scope::trace_id(),
        language: scope::language(),
        production: scope::production(),
    });
    let task = SocketTask {
        state,
        security,
        slot,
        scope: Arc::clone(&scope),
    };
    actix_web::rt::spawn(scope.run(session::run(task, session, stream)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_origins_must_be_listed() {
        let allowed = vec![
            "http://localhost:5173".to_owned(),
            "https://a.example/".to_owned(),
        ];
        assert!(origin_allowed(None, &allowed));
        assert!(origin_allowed(Some("http://localhost:5173"), &allowed));
        assert!(origin_allowed(Some("https://a.example"), &allowed));
        assert!(!origin_allowed(Some("http://evil.example"), &allowed));
        assert!(!origin_allowed(Some("http://localhost:5174"), &allowed));
        assert!(origin_allowed(
            Some("http://evil.example"),
            &["*".to_owned()]
        ));
        assert!(!origin_allowed(Some("http://localhost:5173"), &[]));
    }

    #[test]
    fn only_an_engine_io_v4_websocket_handshake_passes() {
        let get = Method::GET;
        assert_eq!(check_handshake(&get, "EIO=4&transport=websocket"), Ok(()));
        assert_eq!(
            check_handshake(&get, "EIO=4&transport=polling&t=abc"),
            Err(EngineRefusal::TransportUnknown)
        );
        assert_eq!(
            check_handshake(&get, "EIO=4"),
            Err(EngineRefusal::TransportUnknown)
        );
        assert_eq!(
            check_handshake(&Method::POST, "EIO=4&transport=websocket"),
            Err(EngineRefusal::TransportUnknown)
        );
        assert_eq!(
            check_handshake(&get, "EIO=3&transport=websocket"),
            Err(EngineRefusal::UnsupportedProtocolVersion)
        );
        assert_eq!(
            check_handshake(&get, "transport=websocket"),
            Err(EngineRefusal::UnsupportedProtocolVersion)
        );
        assert_eq!(
            check_handshake(&get, "EIO=4&transport=websocket&sid=x"),
            Err(EngineRefusal::SessionIdUnknown)
        );
    }
}
