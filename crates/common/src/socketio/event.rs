//! Server-side answers to client events: the [`SocketEventHandler`]s modules register through
//! [`crate::module::Module::socket_events`], and the [`SocketEvent`] each one is handed.

use std::future::Future;
use std::sync::Arc;

use bytestring::ByteString;
use serde_json::Value;
use tokio::sync::mpsc;

use super::error::SocketError;
use super::packet;
use crate::AppState;
use crate::security::AuthContext;

/// Event names Socket.IO reserves for itself: neither registered nor emitted.
pub const RESERVED_EVENTS: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// One client event an authenticated socket sent, as a handler receives it.
pub struct SocketEvent {
    /// The app's shared state.
    pub state: AppState,
    /// The socket's user, session and token, checked at CONNECT.
    pub auth: Arc<AuthContext>,
    /// The socket's Socket.IO id (what the client sees as `socket.id`).
    pub sid: String,
    /// The event name.
    pub name: String,
    /// The arguments after the name.
    pub args: Vec<Value>,
    pub(crate) outbound: mpsc::Sender<ByteString>,
}

impl std::fmt::Debug for SocketEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketEvent")
            .field("sid", &self.sid)
            .field("name", &self.name)
            .field("user_id", &self.auth.user.id)
            .finish_non_exhaustive()
    }
}

impl SocketEvent {
    /// Sends event `name` with `data` to this socket only (python-socketio's
    /// `emit(…, to=sid)`, how FBA answers `task_worker_status`).
    ///
    /// # Errors
    /// [`SocketError::ReservedEvent`] for a reserved name, [`SocketError::Gone`] when the socket
    /// closed or cannot keep up.
    pub fn emit(&self, name: &str, data: Value) -> Result<(), SocketError> {
        check_event_name(name)?;
        let frame = ByteString::from(packet::event(name, &[data]));
        self.outbound.try_send(frame).map_err(|_| SocketError::Gone)
    }
}

/// Answers one client event. The returned values are the acknowledgement's arguments when the
/// client asked for one (ignored otherwise).
#[async_trait::async_trait]
pub trait SocketEventHandler: Send + Sync + 'static {
    /// Handles `event`.
    async fn handle(&self, event: SocketEvent) -> Vec<Value>;
}

/// A [`SocketEventHandler`] from an async function or closure.
///
/// ```
/// use fba_common::socketio::{SocketEvent, handler_fn};
///
/// let echo = handler_fn(|event: SocketEvent| async move { event.args });
/// # let _ = echo;
/// ```
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn SocketEventHandler>
where
    F: Fn(SocketEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Value>> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

struct FnHandler<F>(F);

#[async_trait::async_trait]
impl<F, Fut> SocketEventHandler for FnHandler<F>
where
    F: Fn(SocketEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Value>> + Send + 'static,
{
    async fn handle(&self, event: SocketEvent) -> Vec<Value> {
        (self.0)(event).await
    }
}

/// Checks that `name` may be emitted or registered.
///
/// # Errors
/// [`SocketError::ReservedEvent`] for an empty or reserved name.
pub fn check_event_name(name: &str) -> Result<(), SocketError> {
    if name.is_empty() || RESERVED_EVENTS.contains(&name) {
        return Err(SocketError::ReservedEvent(name.to_owned()));
    }
    Ok(())
}
