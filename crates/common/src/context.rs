//! What is known about the client of a request: trace id, ip, user agent, start time.
//!
//! Filled by [`crate::middleware::RequestContext`] and read by handlers through the
//! [`ClientInfo`] extractor (login log, opera log, token extra info).

use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use fba_core_conf::{TrustedProxies, canonical_ip};

use crate::error::AppError;

/// Per-request facts kept in the request extensions.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The request id (`X-Request-ID`).
    pub trace_id: String,
    /// Whether the request is recorded as a trace (traces exported and the request sampled):
    /// only then does `trace_id` lead to a trace.
    pub traced: bool,
    /// Language chosen for this request.
    pub language: &'static str,
    /// Client ip ([`client_ip`]: the peer, or what a trusted proxy says).
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

/// The client ip of a request: the socket's peer, unless the peer is a trusted proxy
/// (`SERVER_TRUSTED_PROXIES`). From a trusted proxy: `X-Real-IP`, else the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (the left-most when all are),
/// else the peer. Header values that are not IP addresses are ignored, so a forged header can
/// neither dodge a per-ip limit nor write arbitrary text into the logs. Without a peer (unit
/// tests) the answer is `127.0.0.1`.
pub fn client_ip_behind(req: &actix_web::dev::ServiceRequest, trusted: &TrustedProxies) -> String {
    let Some(peer) = req.peer_addr().map(|a| canonical_ip(a.ip())) else {
        return "127.0.0.1".to_owned();
    };
    if !trusted.trusts(peer) {
        return peer.to_string();
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(ip) = header("x-real-ip").and_then(|v| parse_ip(&v)) {
        return ip.to_string();
    }
    if let Some(chain) = header("x-forwarded-for") {
        let hops: Vec<IpAddr> = chain.split(',').filter_map(parse_ip).collect();
        let client = hops
            .iter()
            .rev()
            .find(|ip| !trusted.trusts(**ip))
            .or_else(|| hops.first());
        if let Some(ip) = client {
            return ip.to_string();
        }
    }
    peer.to_string()
}

/// The socket's peer as the client ip (no proxy trusted): [`client_ip_behind`] with
/// [`TrustedProxies::None`].
pub fn client_ip(req: &actix_web::dev::ServiceRequest) -> String {
    client_ip_behind(req, &TrustedProxies::None)
}

/// An IP address from a header value (`[v6]` and `v4:port` forms included).
fn parse_ip(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            raw.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
        .map(canonical_ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(peer: &str, headers: &[(&str, &str)]) -> actix_web::dev::ServiceRequest {
        let mut req = actix_web::test::TestRequest::default().peer_addr(peer.parse().unwrap());
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        req.to_srv_request()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::Networks(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let spoofed = [
            ("X-Real-IP", "198.51.100.1"),
            ("X-Forwarded-For", "203.0.113.7"),
        ];
        let req = request("192.0.2.9:4000", &spoofed);
        assert_eq!(client_ip_behind(&req, &TrustedProxies::None), "192.0.2.9");
        assert_eq!(
            client_ip_behind(&req, &proxies(&["10.0.0.0/8"])),
            "192.0.2.9"
        );
        assert_eq!(
            client_ip(&TestRequest::default().to_srv_request()),
            "127.0.0.1"
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "::1/128"]);
        let req = request(
            "10.0.0.2:4000",
            &[
                ("X-Real-IP", "198.51.100.1"),
                ("X-Forwarded-For", "203.0.113.7"),
            ],
        );
        assert_eq!(client_ip_behind(&req, &trusted), "198.51.100.1");
        // Right-most untrusted hop: the client cannot prepend its own entries.
        let req = request(
            "10.0.0.2:4000",
            &[("X-Forwarded-For", "1.2.3.4, 203.0.113.7, 10.0.0.5")],
        );
        assert_eq!(client_ip_behind(&req, &trusted), "203.0.113.7");
        // Junk is ignored; the peer stays the answer.
        let req = request(
            "10.0.0.2:4000",
            &[("X-Real-IP", "<script>"), ("X-Forwarded-For", "x")],
        );
        assert_eq!(client_ip_behind(&req, &trusted), "10.0.0.2");
        // FBA's behaviour on request: trust everyone, first entry.
        let req = request(
            "192.0.2.9:4000",
            &[("X-Forwarded-For", "203.0.113.7, 10.0.0.1")],
        );
        assert_eq!(client_ip_behind(&req, &TrustedProxies::All), "203.0.113.7");
        // IPv4-mapped peers match IPv4 networks.
        let req = request("[::ffff:10.0.0.2]:4000", &[("X-Real-IP", "198.51.100.1")]);
        assert_eq!(client_ip_behind(&req, &trusted), "198.51.100.1");
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
