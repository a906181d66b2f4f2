//! [`SessionCache`]: the replica's memory of live sessions and their users, so that an
//! authenticated request usually needs no Kv round trip.
//!
//! The Kv store stays the source of truth (`fba:token:{uid}:{session}`, `fba:user:{uid}`). The
//! cache only remembers what this replica read there, for at most `TOKEN_LOCAL_CACHE_SECONDS`,
//! and forgets it when told:
//! - whoever revokes a session or changes a user deletes the Kv key first, then calls
//!   [`SessionCache::apply`] here and [`announce`]s the [`SessionChange`] on
//!   [`CHANGES_CHANNEL`], which every replica's [`SessionCache::watch`] task applies;
//! - while that channel is down (Redis connection lost), the cache is emptied and bypassed, so
//!   no replica answers from memory while it could be missing a revocation;
//! - a fill races with a change (read from Kv before the delete, stored after the change was
//!   applied) is refused: every change bumps an epoch, and a fill carries the epoch it started
//!   at.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use fba_db::SharedKv;
use fba_db::kv::Delivery;

use super::CurrentUser;
use crate::error::AppResult;

/// The pub/sub channel of session and user changes.
pub const CHANGES_CHANNEL: &str = crate::kv_keys::AUTH_CHANGED_CHANNEL;

/// Most sessions remembered; beyond it stale entries are dropped, then everything.
const CAPACITY: usize = 4096;
/// Most users remembered (a user with its roles' menus can take a few KiB), same policy.
const USER_CAPACITY: usize = 1024;

/// A change that makes remembered sessions or users stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    /// One session was revoked.
    Session {
        /// The user.
        user_id: i64,
        /// The session id.
        session: String,
    },
    /// Every session of the user was revoked.
    UserSessions {
        /// The user.
        user_id: i64,
    },
    /// The user (or its dept, roles, data scopes) changed.
    User {
        /// The user.
        user_id: i64,
    },
    /// Anything may have changed (sessions dropped in bulk, database re-initialised).
    All,
}

impl SessionChange {
    /// The channel message: `session {uid} {session}`, `sessions {uid}`, `user {uid}`, `all`.
    pub fn to_message(&self) -> String {
        match self {
            Self::Session { user_id, session } => format!("session {user_id} {session}"),
            Self::UserSessions { user_id } => format!("sessions {user_id}"),
            Self::User { user_id } => format!("user {user_id}"),
            Self::All => "all".to_owned(),
        }
    }

    /// Parses [`SessionChange::to_message`]'s text; an unknown message means
    /// [`SessionChange::All`] (forgetting too much is safe, too little is not).
    pub fn from_message(message: &str) -> Self {
        let mut parts = message.split(' ');
        let kind = parts.next().unwrap_or_default();
        let user_id = parts.next().and_then(|id| id.parse::<i64>().ok());
        match (kind, user_id, parts.next()) {
            ("session", Some(user_id), Some(session)) => Self::Session {
                user_id,
                session: session.to_owned(),
            },
            ("sessions", Some(user_id), None) => Self::UserSessions { user_id },
            ("user", Some(user_id), None) => Self::User { user_id },
            _ => Self::All,
        }
    }
}

/// Tells every replica (this one included, through its watcher) about `change`.
///
/// # Errors
/// A Kv failure.
pub async fn announce(kv: &SharedKv, change: &SessionChange) -> AppResult<()> {
    kv.publish(CHANGES_CHANNEL, &change.to_message()).await?;
    Ok(())
}

/// The epoch a fill started at; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

#[derive(Default)]
struct Entries {
    epoch: u64,
    /// uid → session → the session's access token.
    sessions: HashMap<i64, HashMap<String, (String, Instant)>>,
    /// Number of sessions in `sessions`.
    session_count: usize,
    users: HashMap<i64, (Arc<CurrentUser>, Instant)>,
}

/// Sessions and users this replica read from the Kv store recently (see the module docs).
pub struct SessionCache {
    ttl: Duration,
    /// The change channel is subscribed and delivering.
    live: AtomicBool,
    entries: RwLock<Entries>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("ttl", &self.ttl)
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Default for SessionCache {
    /// A disabled cache (remembers nothing).
    fn default() -> Self {
        Self::new(Duration::ZERO)
    }
}

impl SessionCache {
    /// A cache keeping entries for `ttl` (zero disables it). It stays unused until
    /// [`SessionCache::watch`] has subscribed to the change channel.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            live: AtomicBool::new(false),
            entries: RwLock::new(Entries::default()),
        }
    }

    fn usable(&self) -> bool {
        !self.ttl.is_zero() && self.live.load(Ordering::Acquire)
    }

    fn read(&self) -> RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `token` is the remembered access token of the session.
    pub fn session_is(&self, user_id: i64, session: &str, token: &str) -> bool {
        if !self.usable() {
            return false;
        }
        let entries = self.read();
        entries
            .sessions
            .get(&user_id)
            .and_then(|sessions| sessions.get(session))
            .is_some_and(|(t, at)| t == token && at.elapsed() < self.ttl)
    }

    /// The remembered user.
    pub fn user(&self, user_id: i64) -> Option<Arc<CurrentUser>> {
        if !self.usable() {
            return None;
        }
        let entries = self.read();
        let (user, at) = entries.users.get(&user_id)?;
        (at.elapsed() < self.ttl).then(|| Arc::clone(user))
    }

    /// The epoch to pass to the fills that follow a Kv read.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.read().epoch)
    }

    /// Remembers a session and its user read from the Kv store since `epoch`; ignored when a
    /// change arrived in between.
    pub fn fill(
        &self,
        epoch: Epoch,
        user_id: i64,
        session: &str,
        token: &str,
        user: &Arc<CurrentUser>,
    ) {
        if !self.usable() {
            return;
        }
        let mut entries = self.write();
        if entries.epoch != epoch.0 {
            return;
        }
        let now = Instant::now();
        let ttl = self.ttl;
        if entries.session_count >= CAPACITY {
            entries.sessions.values_mut().for_each(|sessions| {
                sessions.retain(|_, (_, at)| at.elapsed() < ttl);
            });
            entries.sessions.retain(|_, sessions| !sessions.is_empty());
            entries.session_count = entries.sessions.values().map(HashMap::len).sum();
            if entries.session_count >= CAPACITY {
                entries.sessions.clear();
                entries.session_count = 0;
            }
        }
        if entries.users.len() >= USER_CAPACITY {
            entries.users.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.users.len() >= USER_CAPACITY {
                entries.users.clear();
            }
        }
        let replaced = entries
            .sessions
            .entry(user_id)
            .or_default()
            .insert(session.to_owned(), (token.to_owned(), now));
        if replaced.is_none() {
            entries.session_count += 1;
        }
        entries.users.insert(user_id, (Arc::clone(user), now));
    }

    /// Forgets what `change` makes stale.
    pub fn apply(&self, change: &SessionChange) {
        let mut entries = self.write();
        entries.epoch = entries.epoch.wrapping_add(1);
        match change {
            SessionChange::Session { user_id, session } => {
                let removed = entries
                    .sessions
                    .get_mut(user_id)
                    .and_then(|sessions| sessions.remove(session));
                if removed.is_some() {
                    entries.session_count = entries.session_count.saturating_sub(1);
                }
            }
            SessionChange::UserSessions { user_id } => {
                let removed = entries.sessions.remove(user_id).map_or(0, |s| s.len());
                entries.session_count = entries.session_count.saturating_sub(removed);
            }
            SessionChange::User { user_id } => {
                entries.users.remove(user_id);
            }
            SessionChange::All => {
                entries.sessions.clear();
                entries.session_count = 0;
                entries.users.clear();
            }
        }
    }

    fn set_live(&self, live: bool) {
        // Empty first, so nothing remembered before a gap is used after it.
        self.apply(&SessionChange::All);
        self.live.store(live, Ordering::Release);
    }

    /// Applies `change` here, then announces it to every replica.
    ///
    /// # Errors
    /// A Kv failure (the local cache is already updated).
    pub async fn changed(&self, kv: &SharedKv, change: SessionChange) -> AppResult<()> {
        self.apply(&change);
        announce(kv, &change).await
    }

    /// Subscribes to [`CHANGES_CHANNEL`] and starts the task applying its changes; the cache
    /// is used from then on, except while the channel is interrupted. Does nothing when the
    /// cache is disabled.
    ///
    /// # Errors
    /// When the Kv store cannot subscribe.
    pub async fn watch(
        self: &Arc<Self>,
        kv: &SharedKv,
    ) -> AppResult<Option<tokio::task::JoinHandle<()>>> {
        if self.ttl.is_zero() {
            return Ok(None);
        }
        let mut sub = kv.subscribe(CHANGES_CHANNEL).await?;
        self.set_live(true);
        let this = Arc::downgrade(self);
        Ok(Some(tokio::spawn(async move {
            while let Some(delivery) = sub.next().await {
                let Some(cache) = this.upgrade() else { return };
                match delivery {
                    Delivery::Message(message) => {
                        cache.apply(&SessionChange::from_message(&message));
                    }
                    Delivery::Interrupted => cache.set_live(false),
                    Delivery::Resumed => cache.set_live(true),
                }
            }
            if let Some(cache) = this.upgrade() {
                cache.set_live(false);
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> Arc<CurrentUser> {
        let json = serde_json::json!({
            "id": id, "uuid": "u", "username": "a", "nickname": "a", "avatar": null,
            "email": null, "phone": null, "status": 1, "is_superuser": true, "is_staff": true,
            "is_multi_login": true, "dept_id": null, "dept": null, "roles": [],
            "join_time": "2025-01-01T00:00:00Z", "last_login_time": null,
            "last_password_changed_time": null
        });
        Arc::new(serde_json::from_value(json).unwrap())
    }

    fn live(ttl: Duration) -> SessionCache {
        let cache = SessionCache::new(ttl);
        cache.set_live(true);
        cache
    }

    #[test]
    fn messages_round_trip_and_unknown_means_all() {
        for change in [
            SessionChange::Session {
                user_id: 7,
                session: "abc-def".to_owned(),
            },
            SessionChange::UserSessions { user_id: 7 },
            SessionChange::User { user_id: -3 },
            SessionChange::All,
        ] {
            assert_eq!(SessionChange::from_message(&change.to_message()), change);
        }
        assert_eq!(SessionChange::from_message("user x"), SessionChange::All);
        assert_eq!(SessionChange::from_message("bogus"), SessionChange::All);
    }

    #[test]
    fn remembers_until_a_change_and_refuses_a_racing_fill() {
        let cache = live(Duration::from_secs(60));
        let epoch = cache.epoch();
        cache.fill(epoch, 1, "s1", "tok", &user(1));
        assert!(cache.session_is(1, "s1", "tok"));
        assert!(!cache.session_is(1, "s1", "other"));
        assert!(cache.user(1).is_some());

        cache.apply(&SessionChange::Session {
            user_id: 1,
            session: "s1".to_owned(),
        });
        assert!(!cache.session_is(1, "s1", "tok"));
        assert!(cache.user(1).is_some(), "a session change keeps the user");

        // Read from Kv before the change, stored after it: refused.
        cache.fill(epoch, 1, "s1", "tok", &user(1));
        assert!(!cache.session_is(1, "s1", "tok"));

        cache.fill(cache.epoch(), 1, "s2", "tok2", &user(1));
        cache.apply(&SessionChange::UserSessions { user_id: 1 });
        assert!(!cache.session_is(1, "s2", "tok2"));
        cache.apply(&SessionChange::User { user_id: 1 });
        assert!(cache.user(1).is_none());
    }

    #[test]
    fn disabled_interrupted_or_expired_remembers_nothing() {
        let off = SessionCache::new(Duration::ZERO);
        off.live.store(true, Ordering::Release);
        off.fill(off.epoch(), 1, "s", "t", &user(1));
        assert!(!off.session_is(1, "s", "t"));

        let cache = live(Duration::from_secs(60));
        cache.fill(cache.epoch(), 1, "s", "t", &user(1));
        cache.set_live(false);
        assert!(!cache.session_is(1, "s", "t"));
        cache.set_live(true);
        assert!(!cache.session_is(1, "s", "t"), "emptied across the gap");

        let short = live(Duration::from_millis(1));
        short.fill(short.epoch(), 1, "s", "t", &user(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(!short.session_is(1, "s", "t"));
        assert!(short.user(1).is_none());
    }
}
