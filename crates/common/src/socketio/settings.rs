//! `WS_*`: the Socket.IO server's settings section ([`SocketSettings`]), registered for every
//! app by [`crate::module::Modules::register_settings`].

use std::time::Duration;

use fba_core_conf::{ConfigError, Section, Source};

/// `WS_*`: heartbeat, timeouts and limits of the Socket.IO server (`/ws/socket.io`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSettings {
    /// `WS_PING_INTERVAL` (25 s, python-socketio's `ping_interval`): the server pings every
    /// socket this often.
    pub ping_interval: Duration,
    /// `WS_PING_TIMEOUT` (20 s, python-socketio's `ping_timeout`): a socket whose pong does not
    /// come this long after a ping is closed.
    pub ping_timeout: Duration,
    /// `WS_CONNECT_TIMEOUT` (10 s): a socket that has not connected to a namespace (sent an
    /// accepted CONNECT) this long after it opened is closed.
    pub connect_timeout: Duration,
    /// `WS_MAX_PAYLOAD` (100 000 bytes, python-engineio's `max_http_buffer_size` role): the
    /// largest message a client may send; a larger one closes the socket.
    pub max_payload: usize,
    /// `WS_MAX_SOCKETS` (10 000): open sockets one replica accepts; beyond it a new socket is
    /// refused with HTTP 503.
    pub max_sockets: usize,
}

impl Default for SocketSettings {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_payload: 100_000,
            max_sockets: 10_000,
        }
    }
}

impl Section for SocketSettings {
    const NAME: &'static str = "socketio";

    fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            ping_interval: Duration::from_secs(src.int(
                "WS_PING_INTERVAL",
                d.ping_interval.as_secs(),
                1,
                3600,
            )?),
            ping_timeout: Duration::from_secs(src.int(
                "WS_PING_TIMEOUT",
                d.ping_timeout.as_secs(),
                1,
                3600,
            )?),
            connect_timeout: Duration::from_secs(src.int(
                "WS_CONNECT_TIMEOUT",
                d.connect_timeout.as_secs(),
                1,
                600,
            )?),
            max_payload: src.int("WS_MAX_PAYLOAD", d.max_payload, 1024, 16 * 1024 * 1024)?,
            max_sockets: src.int("WS_MAX_SOCKETS", d.max_sockets, 1, 1_000_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_python_socketio_like_and_ranges_are_checked() {
        let d = SocketSettings::from_source(&Source::default()).unwrap();
        assert_eq!(d, SocketSettings::default());
        assert_eq!(d.ping_interval, Duration::from_secs(25));
        assert_eq!(d.ping_timeout, Duration::from_secs(20));
        let s = SocketSettings::from_source(&Source::from_pairs([
            ("WS_PING_INTERVAL", "1"),
            ("WS_MAX_SOCKETS", "3"),
        ]))
        .unwrap();
        assert_eq!(s.ping_interval, Duration::from_secs(1));
        assert_eq!(s.max_sockets, 3);
        for (var, value) in [
            ("WS_PING_INTERVAL", "0"),
            ("WS_PING_TIMEOUT", "3601"),
            ("WS_CONNECT_TIMEOUT", "x"),
            ("WS_MAX_PAYLOAD", "10"),
            ("WS_MAX_SOCKETS", "0"),
        ] {
            let err = SocketSettings::from_source(&Source::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var(), var);
        }
    }
}
