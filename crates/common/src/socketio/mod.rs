//! The Socket.IO server FBA's web UI talks to, on the app's own listener at `/ws/socket.io`:
//! Engine.IO v4 over websocket only (no long-polling), Socket.IO v5 in the root namespace,
//! text packets only. See `docs/socketio.md`.
//!
//! - [`configure`] mounts the endpoint (`endpoint`: handshake checks, capacity, upgrade);
//! - `session`: one task per socket (heartbeat, CONNECT with the HTTP JWT check of `auth`,
//!   events and acks);
//! - [`SocketHub`] (in [`crate::AppState::socket`]): the replica's sockets, [`SocketHub::emit`]
//!   to every socket of every replica over the Kv store, FBA's online set;
//! - [`SocketEventHandler`]: answers to client events, registered by modules through
//!   [`crate::module::Module::socket_events`];
//! - [`packet`]: the wire format; [`SocketSettings`]: the `WS_*` section.
//!
//! This module owns the protocol and the online set (`fba:token_online`); it does not decide
//! who a token belongs to ([`crate::security::authenticate`] does) nor what events mean (the
//! modules' handlers do).

mod auth;
mod endpoint;
mod error;
mod event;
mod hub;
pub mod packet;
mod session;
mod settings;

use actix_web::web;

pub use error::SocketError;
pub use event::{RESERVED_EVENTS, SocketEvent, SocketEventHandler, check_event_name, handler_fn};
pub use hub::SocketHub;
pub use settings::SocketSettings;

/// The Engine.IO path FBA serves Socket.IO on (python-socketio's `socketio_path`).
pub const PATH: &str = "/ws/socket.io";

/// Mounts the Socket.IO endpoint at `/ws/socket.io` and `/ws/socket.io/`, outside the API
/// prefix and the JWT middleware (a socket authenticates in its CONNECT packet). Needs
/// `web::Data<AppState>` and `web::Data<Security>` in the app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource([PATH, "/ws/socket.io/"]).to(endpoint::endpoint));
}
