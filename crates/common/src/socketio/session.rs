//! One socket's life, from the Engine.IO open packet to the close: heartbeat, CONNECT with
//! authentication, events and acknowledgements, and what the hub sends it. One task per socket
//! on the actix worker that accepted it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::web;
use actix_ws::{AggregatedMessage, AggregatedMessageStream};
use bytestring::ByteString;
use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::auth::authenticate_connect;
use super::event::SocketEvent;
use super::hub::{Membership, OpenSlot};
use super::packet::{self, EnginePacket, PacketError, ROOT_NAMESPACE, SocketPacket};
use crate::AppState;
use crate::scope::RequestScope;
use crate::security::{AuthContext, Security};

/// Frames a socket may have queued (broadcasts, replies) before it counts as too slow.
const OUTBOUND_CAPACITY: usize = 64;

/// Refused CONNECT packets one socket may send before it is closed.
const MAX_CONNECT_ATTEMPTS: u32 = 3;

/// Client events of one socket handled at the same time; more are not handled (and acked
/// with nothing).
const MAX_EVENTS_IN_FLIGHT: usize = 4;

/// What the socket task needs from the app.
pub(crate) struct SocketTask {
    /// The app's shared state.
    pub state: web::Data<AppState>,
    /// Authentication (JWT codec, stores).
    pub security: web::Data<Security>,
    /// The socket's place in the replica's capacity (and the hub).
    pub slot: OpenSlot,
    /// The request scope of the upgrade (trace id, language), for the handlers it spawns.
    pub scope: Arc<RequestScope>,
}

/// The socket after an accepted CONNECT.
struct Connected {
    auth: Arc<AuthContext>,
    sid: String,
    _membership: Membership,
}

/// Whether the loop goes on after a frame.
enum Flow {
    Continue,
    Close(&'static str),
}

/// Runs the socket until either side closes it, the heartbeat or the connect deadline
/// expires, or the hub closes it.
pub(crate) async fn run(
    task: SocketTask,
    mut session: actix_ws::Session,
    mut stream: AggregatedMessageStream,
) {
    let mut socket = Socket::new(task);
    let settings = socket.task.slot.hub().settings().clone();
    let engine_sid = new_id();
    if session
        .text(packet::open(&engine_sid, &settings))
        .await
        .is_err()
    {
        return;
    }
    let (outbound, mut outbound_rx) = mpsc::channel::<ByteString>(OUTBOUND_CAPACITY);
    socket.outbound = Some(outbound);
    let connect_deadline = Instant::now() + settings.connect_timeout;
    let mut next_ping = Some(Instant::now() + settings.ping_interval);
    let mut pong_deadline: Option<Instant> = None;
    let kill = Arc::clone(&socket.kill);
    let mut closing = socket.task.slot.hub().closing_signal();
    let reason = loop {
        let heartbeat = pong_deadline.or(next_ping).unwrap_or(connect_deadline);
        let timer = if socket.connected.is_none() {
            heartbeat.min(connect_deadline)
        } else {
            heartbeat
        };
        tokio::select! {
            message = stream.recv() => {
                let flow = match message {
                    None => Flow::Close("transport closed"),
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "socket.io transport error");
                        Flow::Close("transport error")
                    }
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        if matches!(packet::parse_engine(&text), Ok(EnginePacket::Pong)) {
                            if pong_deadline.take().is_some() {
                                next_ping = Some(Instant::now() + settings.ping_interval);
                            }
                            Flow::Continue
                        } else {
                            socket.on_text(&mut session, &text).await
                        }
                    }
                    Some(Ok(AggregatedMessage::Binary(_))) => Flow::Close("binary frame refused"),
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            Flow::Close("transport closed")
                        } else {
                            Flow::Continue
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => Flow::Continue,
                    Some(Ok(AggregatedMessage::Close(_))) => Flow::Close("client closed"),
                };
                if let Flow::Close(reason) = flow {
                    break reason;
                }
            }
            Some(frame) = outbound_rx.recv() => {
                if session.text(frame).await.is_err() {
                    break "transport closed";
                }
            }
            () = kill.notified() => break "closed by the server",
            _ = closing.wait_for(|closing| *closing) => break "server shutting down",
            () = tokio::time::sleep_until(timer) => {
                let now = Instant::now();
                if socket.connected.is_none() && now >= connect_deadline {
                    break "connect timeout";
                }
                if pong_deadline.is_some_and(|d| now >= d) {
                    break "ping timeout";
                }
                if next_ping.is_some_and(|d| now >= d) {
                    if session.text(packet::PING).await.is_err() {
                        break "transport closed";
                    }
                    next_ping = None;
                    pong_deadline = Some(now + settings.ping_timeout);
                }
            }
        }
    };
    tracing::debug!(
        reason,
        sid = socket.connected.as_ref().map(|c| c.sid.as_str()),
        "socket.io socket closed"
    );
    // Unregisters from the hub (and queues the online-set update) before the close frame.
    drop(socket);
    let _ = session.close(None).await;
}

/// The state of one socket between frames.
struct Socket {
    task: SocketTask,
    kill: Arc<Notify>,
    outbound: Option<mpsc::Sender<ByteString>>,
    connected: Option<Connected>,
    connect_attempts: u32,
    in_flight: Arc<AtomicUsize>,
}

impl Socket {
    fn new(task: SocketTask) -> Self {
        Self {
            task,
            kill: Arc::new(Notify::new()),
            outbound: None,
            connected: None,
            connect_attempts: 0,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// One text frame other than a pong.
    async fn on_text(&mut self, session: &mut actix_ws::Session, text: &str) -> Flow {
        match packet::parse_engine(text) {
            Ok(EnginePacket::Close) => Flow::Close("client closed"),
            Ok(EnginePacket::Ping) => send(session, packet::PONG.into()).await,
            Ok(EnginePacket::Pong | EnginePacket::Noop) => Flow::Continue,
            Ok(EnginePacket::Message(inner)) => match packet::parse_socket(inner) {
                Ok(packet) => self.on_packet(session, packet).await,
                Err(PacketError::Binary) => Flow::Close("binary packet refused"),
                Err(e) => {
                    tracing::debug!(error = %e, "malformed socket.io packet");
                    Flow::Close("malformed packet")
                }
            },
            Err(e) => {
                tracing::debug!(error = %e, "malformed engine.io packet");
                Flow::Close("malformed packet")
            }
        }
    }

    async fn on_packet(&mut self, session: &mut actix_ws::Session, packet: SocketPacket) -> Flow {
        match packet {
            SocketPacket::Connect { namespace, auth } => {
                self.on_connect(session, &namespace, auth).await
            }
            SocketPacket::Disconnect { namespace } if namespace == ROOT_NAMESPACE => {
                Flow::Close("client disconnected")
            }
            SocketPacket::Event {
                namespace,
                id,
                name,
                args,
            } if namespace == ROOT_NAMESPACE => self.on_event(session, id, name, args).await,
            // Packets for namespaces this socket is not in, and acks of nothing: ignored.
            SocketPacket::Disconnect { .. }
            | SocketPacket::Event { .. }
            | SocketPacket::Ack { .. } => Flow::Continue,
        }
    }

    async fn on_connect(
        &mut self,
        session: &mut actix_ws::Session,
        namespace: &str,
        auth: Option<Value>,
    ) -> Flow {
        if namespace != ROOT_NAMESPACE {
            return send(
                session,
                packet::connect_error(namespace, "Invalid namespace").into(),
            )
            .await;
        }
        if let Some(connected) = &self.connected {
            let reply = packet::connect_ok(ROOT_NAMESPACE, &connected.sid);
            return send(session, reply.into()).await;
        }
        self.connect_attempts += 1;
        if self.connect_attempts > MAX_CONNECT_ATTEMPTS {
            return Flow::Close("too many refused connects");
        }
        let (state, security) = (&self.task.state, &self.task.security);
        let auth = match authenticate_connect(state, security, auth.as_ref()).await {
            Ok(auth) => auth,
            Err(message) => {
                tracing::info!(reason = %message, "socket.io connect refused");
                let reply = packet::connect_error(ROOT_NAMESPACE, &message);
                return send(session, reply.into()).await;
            }
        };
        let Some(outbound) = self.outbound.clone() else {
            return Flow::Close("no outbound queue");
        };
        let hub = self.task.slot.hub();
        let membership = match hub
            .join(&auth.session_uuid, outbound, Arc::clone(&self.kill))
            .await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "socket.io connect failed");
                let message =
                    crate::i18n::t_args("error-service-unavailable", &[("what", "kv".into())]);
                let reply = packet::connect_error(ROOT_NAMESPACE, &message);
                return send(session, reply.into()).await;
            }
        };
        let sid = new_id();
        let reply = packet::connect_ok(ROOT_NAMESPACE, &sid);
        self.connected = Some(Connected {
            auth,
            sid,
            _membership: membership,
        });
        send(session, reply.into()).await
    }

    async fn on_event(
        &mut self,
        session: &mut actix_ws::Session,
        id: Option<u64>,
        name: String,
        args: Vec<Value>,
    ) -> Flow {
        let Some(connected) = &self.connected else {
            return Flow::Continue;
        };
        let handler = self.task.slot.hub().handler(&name);
        let (Some(handler), Some(outbound)) = (handler, self.outbound.clone()) else {
            return match id {
                Some(id) => send(session, packet::ack(id, &[]).into()).await,
                None => Flow::Continue,
            };
        };
        if self.in_flight.load(Ordering::SeqCst) >= MAX_EVENTS_IN_FLIGHT {
            tracing::warn!(event = %name, "socket.io client sends events faster than they are handled");
            return match id {
                Some(id) => send(session, packet::ack(id, &[]).into()).await,
                None => Flow::Continue,
            };
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let event = SocketEvent {
            state: self.task.state.get_ref().clone(),
            auth: Arc::clone(&connected.auth),
            sid: connected.sid.clone(),
            name,
            args,
            outbound: outbound.clone(),
        };
        let in_flight = Arc::clone(&self.in_flight);
        let scope = Arc::clone(&self.task.scope);
        actix_web::rt::spawn(scope.run(async move {
            let reply = handler.handle(event).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            if let Some(id) = id
                && outbound.try_send(packet::ack(id, &reply).into()).is_err()
            {
                tracing::debug!("socket.io ack dropped: the socket is gone or too slow");
            }
        }));
        Flow::Continue
    }
}

async fn send(session: &mut actix_ws::Session, frame: ByteString) -> Flow {
    match session.text(frame).await {
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Close("transport closed"),
    }
}

/// A random id for an Engine.IO session or a Socket.IO socket.
fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
