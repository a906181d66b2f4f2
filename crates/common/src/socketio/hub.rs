//! [`SocketHub`]: one replica's Socket.IO sockets, the broadcast across replicas and the online
//! set.
//!
//! - **Broadcast**: [`SocketHub::emit`] publishes on the Kv channel `fba:socketio:broadcast`;
//!   every replica's subscriber hands the event to each of its authenticated sockets. The
//!   subscription starts with the first socket that connects on a replica.
//! - **Online set** (`fba:token_online`, FBA's Redis set the online-sessions page reads): a
//!   session is added when a socket of it connects and removed when its last socket, on any
//!   replica, is gone. A Kv counter per session (`fba:socketio:sockets:{session}`) counts its
//!   sockets; a disconnect that brings it to 0 removes the session, then adds it back if a
//!   socket connected meanwhile, so no interleaving leaves a live session out of the set.
//! - **Capacity**: at most `WS_MAX_SOCKETS` open sockets per replica.
//!
//! The hub owns no socket: each socket's task ([`super::session`]) registers here once its
//! CONNECT is accepted, and its registration ([`Membership`]) unregisters when dropped, which
//! queues the online-set update for a background task (so it also happens when the socket's
//! task is dropped rather than finished).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use bytestring::ByteString;
use fba_core_conf::Settings;
use fba_db::kv::Delivery;
use fba_db::{KvError, SharedKv};
use serde_json::Value;
use tokio::sync::{Notify, mpsc, watch};

use super::error::SocketError;
use super::event::{SocketEventHandler, check_event_name};
use super::packet;
use super::settings::SocketSettings;
use crate::kv_keys::KvKeys;
use crate::module::Modules;

/// How long a CONNECT waits for this replica's broadcast subscription before it is refused.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(5);

/// Pause between two attempts to (re)subscribe to the broadcast channel.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(1);

/// Attempts at an online-set update after a disconnect before it is given up (and logged).
const CLEANUP_ATTEMPTS: u32 = 3;

/// What one replica knows about Socket.IO: its sockets, their event handlers, the broadcast
/// channel and the online set. Lives in [`crate::AppState::socket`].
pub struct SocketHub {
    settings: SocketSettings,
    kv: SharedKv,
    online_key: String,
    channel: &'static str,
    app_settings: Arc<Settings>,
    counter_ttl: Duration,
    handlers: HashMap<&'static str, Arc<dyn SocketEventHandler>>,
    local: Mutex<HashMap<u64, LocalSocket>>,
    open: AtomicUsize,
    next_id: AtomicU64,
    closing: AtomicBool,
    closing_signal: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Handle>,
    started: OnceLock<()>,
    subscribed: watch::Sender<bool>,
    cleanups: mpsc::UnboundedSender<String>,
    cleanups_rx: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
    pending_cleanups: AtomicUsize,
}

impl std::fmt::Debug for SocketHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketHub")
            .field("open", &self.open_sockets())
            .field("connected", &self.local_sockets())
            .field("events", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// An authenticated socket of this replica, as the hub reaches it.
struct LocalSocket {
    outbound: mpsc::Sender<ByteString>,
    kill: Arc<Notify>,
}

impl SocketHub {
    /// The hub of an app: `WS_*` from the registered [`SocketSettings`] section (its defaults
    /// when not registered), the event handlers of `modules` (the first module registering a
    /// name wins; reserved names are skipped). Starts nothing: the broadcast subscription and
    /// the online-set updater start with the first socket. Call it inside the runtime that
    /// should run them (the server's main one).
    pub fn new(settings: &Arc<Settings>, kv: SharedKv, modules: &Modules) -> Self {
        let mut handlers: HashMap<&'static str, Arc<dyn SocketEventHandler>> = HashMap::new();
        for (module, name, handler) in modules.socket_events() {
            if let Err(e) = check_event_name(name) {
                tracing::warn!(module, error = %e, "socket.io event handler skipped");
                continue;
            }
            if handlers.contains_key(name) {
                tracing::warn!(
                    module,
                    event = name,
                    "socket.io event already handled; skipped"
                );
                continue;
            }
            handlers.insert(name, handler);
        }
        let (cleanups, cleanups_rx) = mpsc::unbounded_channel();
        let keys = KvKeys::new(settings);
        Self {
            settings: settings
                .section::<SocketSettings>()
                .cloned()
                .unwrap_or_default(),
            kv,
            online_key: keys.token_online().to_owned(),
            channel: keys.socketio_broadcast_channel(),
            app_settings: Arc::clone(settings),
            counter_ttl: Duration::from_secs(settings.token.expire_secs.max(60)),
            handlers,
            local: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            closing: AtomicBool::new(false),
            closing_signal: watch::Sender::new(false),
            runtime: tokio::runtime::Handle::try_current().ok(),
            started: OnceLock::new(),
            subscribed: watch::Sender::new(false),
            cleanups,
            cleanups_rx: Mutex::new(Some(cleanups_rx)),
            pending_cleanups: AtomicUsize::new(0),
        }
    }

    /// The `WS_*` settings in force.
    pub fn settings(&self) -> &SocketSettings {
        &self.settings
    }

    /// Sends event `event` with `data` to every authenticated socket of every replica
    /// (python-socketio's `sio.emit(event, data)`; FBA's `task_notification`). Fire and
    /// forget: a replica whose subscription is down at that moment misses it.
    ///
    /// # Errors
    /// [`SocketError::ReservedEvent`] for a reserved name, [`SocketError::Kv`] when the
    /// publish fails.
    pub async fn emit(&self, event: &str, data: &Value) -> Result<(), SocketError> {
        check_event_name(event)?;
        let message = serde_json::to_string(&serde_json::json!({
            "event": event,
            "args": [data],
        }))?;
        self.kv.publish(self.channel, &message).await?;
        Ok(())
    }

    /// Authenticated sockets of this replica now.
    pub fn local_sockets(&self) -> usize {
        self.lock_local().len()
    }

    /// Open sockets of this replica now (authenticated or not yet).
    pub fn open_sockets(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Closes every socket of this replica (connected or not yet) and refuses new ones, then
    /// waits (at most `timeout`) until they are gone and their sessions are out of the online
    /// set. For a server that stops.
    pub async fn shutdown(&self, timeout: Duration) {
        self.closing.store(true, Ordering::SeqCst);
        self.closing_signal.send_replace(true);
        let deadline = tokio::time::Instant::now() + timeout;
        while (self.open_sockets() > 0 || self.pending_cleanups.load(Ordering::SeqCst) > 0)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for SIGINT or SIGTERM (what stops the server) and then [`SocketHub::shutdown`]s:
    /// spawn it beside the server so that a graceful stop does not wait
    /// `SERVER_SHUTDOWN_TIMEOUT` for sockets that would never end by themselves.
    pub async fn shutdown_on_signal(self: Arc<Self>, timeout: Duration) {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut term) = signal(SignalKind::terminate()) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        self.shutdown(timeout).await;
    }

    /// Turns `true` when the hub shuts down: every socket's task closes its socket then.
    pub(crate) fn closing_signal(&self) -> watch::Receiver<bool> {
        self.closing_signal.subscribe()
    }

    /// The handler registered for client event `name`.
    pub(crate) fn handler(&self, name: &str) -> Option<Arc<dyn SocketEventHandler>> {
        self.handlers.get(name).cloned()
    }

    /// A place for one more socket, unless the replica is full (`WS_MAX_SOCKETS`) or closing.
    pub(crate) fn try_open(self: &Arc<Self>) -> Option<OpenSlot> {
        if self.closing.load(Ordering::SeqCst) {
            return None;
        }
        let before = self.open.fetch_add(1, Ordering::SeqCst);
        if before >= self.settings.max_sockets {
            self.open.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(OpenSlot(Arc::clone(self)))
    }

    /// Registers an authenticated socket of `session`: marks the session online, makes sure
    /// this replica receives broadcasts, and returns the registration (dropping it undoes
    /// both for this socket).
    ///
    /// # Errors
    /// [`SocketError::Kv`] when the Kv store fails or the broadcast subscription is not ready
    /// in time.
    pub(crate) async fn join(
        self: &Arc<Self>,
        session: &str,
        outbound: mpsc::Sender<ByteString>,
        kill: Arc<Notify>,
    ) -> Result<Membership, SocketError> {
        self.ensure_started();
        let mut ready = self.subscribed.subscribe();
        match tokio::time::timeout(SUBSCRIBE_WAIT, ready.wait_for(|ok| *ok)).await {
            Ok(Ok(_)) => {}
            _ => {
                return Err(SocketError::Kv(KvError::Unavailable(
                    "the socket.io broadcast subscription is not ready".into(),
                )));
            }
        }
        let key = self.counter_key(session);
        let count = self.kv.incr(&key, 1, Some(self.counter_ttl)).await?;
        // From here on the counter includes this socket: a failure must take it out again.
        let mut membership = Membership {
            hub: Arc::clone(self),
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            session: session.to_owned(),
            registered: false,
        };
        if count < 1 {
            // The counter expired under live sockets and went negative: this socket at least.
            self.kv.set(&key, "1", Some(self.counter_ttl)).await?;
        } else {
            self.kv.expire(&key, self.counter_ttl).await?;
        }
        self.kv.sadd(&self.online_key, session).await?;
        self.lock_local()
            .insert(membership.id, LocalSocket { outbound, kill });
        membership.registered = true;
        Ok(membership)
    }

    fn counter_key(&self, session: &str) -> String {
        KvKeys::new(&self.app_settings).socketio_sockets(session)
    }

    fn lock_local(&self) -> MutexGuard<'_, HashMap<u64, LocalSocket>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the broadcast subscriber and the online-set updater, once.
    fn ensure_started(self: &Arc<Self>) {
        self.started.get_or_init(|| {
            let weak = Arc::downgrade(self);
            let rx = self
                .cleanups_rx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            self.spawn(subscriber(weak.clone()));
            if let Some(rx) = rx {
                self.spawn(updater(weak, rx));
            }
        });
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(&self, fut: F) {
        match &self.runtime {
            Some(runtime) => {
                runtime.spawn(fut);
            }
            None => {
                tokio::spawn(fut);
            }
        }
    }

    /// Hands a published message to every local socket; a socket that cannot take it is
    /// closed (it is too slow to keep up).
    fn deliver(&self, message: &str) {
        #[derive(serde::Deserialize)]
        struct Published {
            event: String,
            #[serde(default)]
            args: Vec<Value>,
        }
        let published: Published = match serde_json::from_str(message) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable socket.io broadcast skipped");
                return;
            }
        };
        let frame = ByteString::from(packet::event(&published.event, &published.args));
        for socket in self.lock_local().values() {
            if let Err(mpsc::error::TrySendError::Full(_)) = socket.outbound.try_send(frame.clone())
            {
                tracing::warn!("socket.io client too slow for a broadcast; closing it");
                socket.kill.notify_one();
            }
        }
    }

    /// Takes one socket of `session` out of the counter; the last one takes the session out of
    /// the online set (and puts it back if another socket connected meanwhile).
    async fn leave_online(&self, session: &str) -> Result<(), KvError> {
        let key = self.counter_key(session);
        let left = self.kv.incr(&key, -1, Some(self.counter_ttl)).await?;
        if left > 0 {
            return Ok(());
        }
        self.kv.srem(&self.online_key, session).await?;
        let now = self
            .kv
            .get(&key)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if now > 0 {
            self.kv.sadd(&self.online_key, session).await?;
        }
        Ok(())
    }
}

/// One open socket's place in the replica's capacity; freed when dropped.
pub(crate) struct OpenSlot(Arc<SocketHub>);

impl OpenSlot {
    /// The hub the socket belongs to.
    pub(crate) fn hub(&self) -> &Arc<SocketHub> {
        &self.0
    }
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An authenticated socket's registration ([`SocketHub::join`]): dropping it unregisters the
/// socket and queues its session's online-set update.
pub(crate) struct Membership {
    hub: Arc<SocketHub>,
    id: u64,
    session: String,
    registered: bool,
}

impl Drop for Membership {
    fn drop(&mut self) {
        if self.registered {
            self.hub.lock_local().remove(&self.id);
        }
        self.hub.pending_cleanups.fetch_add(1, Ordering::SeqCst);
        if self
            .hub
            .cleanups
            .send(std::mem::take(&mut self.session))
            .is_err()
        {
            self.hub.pending_cleanups.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Receives the broadcast channel and delivers to this replica's sockets; resubscribes when
/// the store drops the subscription. Ends when the hub is gone.
async fn subscriber(hub: Weak<SocketHub>) {
    loop {
        let Some((kv, channel)) = hub.upgrade().map(|h| (h.kv.clone(), h.channel)) else {
            return;
        };
        match kv.subscribe(channel).await {
            Ok(mut subscription) => {
                let Some(h) = hub.upgrade() else { return };
                h.subscribed.send_replace(true);
                drop(h);
                while let Some(delivery) = subscription.next().await {
                    let Some(h) = hub.upgrade() else { return };
                    match delivery {
                        Delivery::Message(message) => h.deliver(&message),
                        Delivery::Interrupted => {
                            tracing::warn!("socket.io broadcasts interrupted (kv link down)");
                        }
                        Delivery::Resumed => tracing::info!("socket.io broadcasts resumed"),
                    }
                }
                if let Some(h) = hub.upgrade() {
                    h.subscribed.send_replace(false);
                }
                tracing::warn!("socket.io broadcast subscription ended; resubscribing");
            }
            Err(e) => tracing::warn!(error = %e, "socket.io broadcast subscription failed"),
        }
        tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
    }
}

/// Applies the online-set updates of closed sockets, in order. Ends when the hub is gone.
async fn updater(hub: Weak<SocketHub>, mut rx: mpsc::UnboundedReceiver<String>) {
    while let Some(session) = rx.recv().await {
        let Some(h) = hub.upgrade() else { return };
        for attempt in 1..=CLEANUP_ATTEMPTS {
            match h.leave_online(&session).await {
                Ok(()) => break,
                Err(e) if attempt == CLEANUP_ATTEMPTS => {
                    tracing::error!(error = %e, session = %session, "socket.io: session left in the online set");
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "socket.io online-set update failed; retrying");
                    tokio::time::sleep(RESUBSCRIBE_PAUSE * attempt).await;
                }
            }
        }
        h.pending_cleanups.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use fba_core_conf::Source;
    use fba_db::kv::MemoryKv;

    use super::*;

    fn hub() -> Arc<SocketHub> {
        let settings = Settings::from_source(&Source::from_pairs([(
            "TOKEN_SECRET_KEY",
            "a-secret-key-for-tests-only-123",
        )]))
        .unwrap();
        let modules = Modules::new(Vec::new()).unwrap();
        Arc::new(SocketHub::new(
            &Arc::new(settings),
            Arc::new(MemoryKv::new()),
            &modules,
        ))
    }

    async fn join(hub: &Arc<SocketHub>, session: &str) -> Membership {
        let (tx, _rx) = mpsc::channel(1);
        hub.join(session, tx, Arc::new(Notify::new()))
            .await
            .unwrap()
    }

    async fn online(hub: &SocketHub) -> Vec<String> {
        while hub.pending_cleanups.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        hub.kv.smembers(&hub.online_key).await.unwrap()
    }

    #[tokio::test]
    async fn a_session_leaves_the_online_set_with_its_last_socket_only() {
        let hub = hub();
        let a1 = join(&hub, "a").await;
        let a2 = join(&hub, "a").await;
        let b = join(&hub, "b").await;
        assert_eq!(online(&hub).await, ["a", "b"]);
        assert_eq!(hub.local_sockets(), 3);
        drop(b);
        assert_eq!(online(&hub).await, ["a"]);
        drop(a1);
        assert_eq!(online(&hub).await, ["a"]);
        drop(a2);
        assert!(online(&hub).await.is_empty());
        assert_eq!(hub.local_sockets(), 0);
    }

    #[tokio::test]
    async fn a_counter_that_expired_under_live_sockets_is_repaired_at_the_next_connect() {
        let hub = hub();
        let first = join(&hub, "a").await;
        hub.kv.del(&hub.counter_key("a")).await.unwrap();
        drop(first);
        assert!(online(&hub).await.is_empty());
        let second = join(&hub, "a").await;
        let third = join(&hub, "a").await;
        drop(second);
        assert_eq!(online(&hub).await, ["a"]);
        drop(third);
        assert!(online(&hub).await.is_empty());
    }

    #[tokio::test]
    async fn emit_refuses_reserved_names_and_reaches_local_sockets() {
        let hub = hub();
        let (tx, mut rx) = mpsc::channel(4);
        let _member = hub.join("a", tx, Arc::new(Notify::new())).await.unwrap();
        assert!(matches!(
            hub.emit("connect", &Value::Null).await,
            Err(SocketError::ReservedEvent(_))
        ));
        hub.emit("task_notification", &serde_json::json!({"msg": "m"}))
            .await
            .unwrap();
        let frame = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&*frame, r#"42["task_notification",{"msg":"m"}]"#);
    }
}
