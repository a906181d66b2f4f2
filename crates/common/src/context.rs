//! What is known about the client of a request: trace id, ip, user agent, start time.
//!
//! Filled by [`crate::middleware::RequestContext`] and read by handlers through the
//! [`ClientInfo`] extractor (login log, opera log, token extra info).

use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};

use crate::error::AppError;

/// Per-request facts kept in the request extensions.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The request id (`X-Request-ID`).
    pub trace_id: String,
    /// Language chosen for this request.
    pub language: &'static str,
    /// Client ip: `X-Forwarded-For` (first), `X-Real-IP`, else the peer address (as FBA).
    pub ip: String,
    /// The raw `User-Agent`.
    pub user_agent: Option<String>,
    /// When the request arrived.
    pub start_time: DateTime<Utc>,
    /// Monotonic start, for the cost in milliseconds.
    pub started: Instant,
}

impl ClientInfo {
    /// Browser, OS and device parsed from the user agent.
    pub fn agent(&self) -> UserAgentInfo {
        UserAgentInfo::parse(self.user_agent.as_deref())
    }

    /// Milliseconds since the request arrived.
    pub fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

impl FromRequest for ClientInfo {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<ClientInfo>()
                .cloned()
                .ok_or_else(|| {
                    AppError::Internal("request context middleware is not installed".to_owned())
                }),
        )
    }
}

/// Browser, OS and device of a user agent, in the shape FBA's login and opera logs show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAgentInfo {
    /// e.g. `Chrome 120.0.0.0`.
    pub browser: Option<String>,
    /// e.g. `Windows 10`.
    pub os: Option<String>,
    /// `PC`, `Mobile`, `Tablet`, `Bot` or `Other`.
    pub device: Option<String>,
}

impl UserAgentInfo {
    /// Parses a `User-Agent` header (woothee); unknown parts stay `None`.
    pub fn parse(ua: Option<&str>) -> Self {
        let Some(ua) = ua.filter(|s| !s.is_empty()) else {
            return Self::default();
        };
        let Some(r) = woothee::parser::Parser::new().parse(ua) else {
            return Self {
                browser: None,
                os: None,
                device: Some("Other".to_owned()),
            };
        };
        let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
        let join = |name: &str, version: &str| {
            known(name).then(|| {
                if known(version) {
                    format!("{name} {version}")
                } else {
                    name.to_owned()
                }
            })
        };
        let device = match r.category {
            "pc" => "PC",
            "smartphone" | "mobilephone" => "Mobile",
            "crawler" => "Bot",
            "appliance" => "Other",
            _ => "Other",
        };
        Self {
            browser: join(r.name, r.version),
            os: join(r.os, &r.os_version),
            device: Some(device.to_owned()),
        }
    }
}

/// The client ip as FBA reads it (`get_request_ip`): `X-Real-IP`, else the first
/// `X-Forwarded-For` entry, else the peer, else `127.0.0.1`.
pub fn client_ip(req: &actix_web::dev::ServiceRequest) -> String {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    header("x-real-ip")
        .or_else(|| header("x-forwarded-for"))
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "127.0.0.1".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_prefers_x_real_ip_then_the_first_forwarded_entry() {
        use actix_web::test::TestRequest;
        let req = TestRequest::default()
            .insert_header(("X-Real-IP", "198.51.100.1"))
            .insert_header(("X-Forwarded-For", "203.0.113.7, 10.0.0.1"))
            .to_srv_request();
        assert_eq!(client_ip(&req), "198.51.100.1");
        let req = TestRequest::default()
            .insert_header(("X-Forwarded-For", "203.0.113.7, 10.0.0.1"))
            .to_srv_request();
        assert_eq!(client_ip(&req), "203.0.113.7");
        let req = TestRequest::default()
            .peer_addr("192.0.2.9:4000".parse().unwrap())
            .to_srv_request();
        assert_eq!(client_ip(&req), "192.0.2.9");
        assert_eq!(
            client_ip(&TestRequest::default().to_srv_request()),
            "127.0.0.1"
        );
    }

    #[test]
    fn chrome_on_windows_is_a_pc() {
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        let info = UserAgentInfo::parse(Some(ua));
        assert_eq!(info.browser.as_deref(), Some("Chrome 120.0.0.0"));
        assert_eq!(info.device.as_deref(), Some("PC"));
        assert!(info.os.unwrap_or_default().starts_with("Windows"));
        assert_eq!(UserAgentInfo::parse(None), UserAgentInfo::default());
    }
}
