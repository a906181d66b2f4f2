//! The one catalogue of Kv key names and pub/sub channels (FBA's Redis layout, contract §8.2,
//! plus fba-rs's own channels). Every key the server and the CLI read, write or delete is made
//! here; no other module formats one.
//!
//! The names are FBA's, built from the configured prefixes (`TOKEN_REDIS_PREFIX`,
//! `LOGIN_FAILURE_PREFIX`, `USER_LOCK_REDIS_PREFIX`, …). The Kv backend prepends
//! `REDIS_KEY_NAMESPACE` itself, so nothing here knows about it. This module only names keys;
//! what is stored under them belongs to the services.
//!
//! Prefixes meant for `keys_with_prefix` / `delete_prefix` end with the `:` after the user id,
//! so user 1's prefix does not match users 10–19 (FBA's `fba:token:1*` does).

use fba_core_conf::Settings;

/// Channel announcing session and user changes to every replica (`SessionCache::watch`).
pub const AUTH_CHANGED_CHANNEL: &str = "fba:auth:changed";

/// Channel announcing an RBAC policy change to every replica (`Rbac::watch`).
pub const CASBIN_RELOAD_CHANNEL: &str = "fba:casbin:reload";

/// Prefix of the e-mail verification codes (FBA's `EMAIL_CAPTCHA_REDIS_PREFIX`, not a setting
/// in FBA either); the key is `{prefix}:{client ip}`.
pub const EMAIL_CAPTCHA_PREFIX: &str = "fba:email:captcha";

/// Prefix of the plugin records (FBA's `PLUGIN_REDIS_PREFIX`): `{prefix}:{plugin}` holds a
/// plugin's manifest with its `enable` switch, `{prefix}:changed` says plugins changed.
pub const PLUGIN_PREFIX: &str = "fba:plugin";

/// Channel announcing a plugin switched on or off to every replica (fba-rs; the message is
/// the plugin's name).
pub const PLUGIN_STATUS_CHANNEL: &str = "fba:plugin:status";

/// Channel carrying Socket.IO events to every replica's sockets (fba-rs; the message is
/// `{"event": name, "args": [...]}`, see `fba_common::socketio::SocketHub::emit`).
pub const SOCKETIO_BROADCAST_CHANNEL: &str = "fba:socketio:broadcast";

/// Prefix of the per-session counters of live Socket.IO sockets (fba-rs), over every replica.
pub const SOCKETIO_SOCKETS_PREFIX: &str = "fba:socketio:sockets";

/// Key names from the prefixes of one [`Settings`]; cheap to make (one borrow), e.g. through
/// [`crate::AppState::keys`].
#[derive(Debug, Clone, Copy)]
pub struct KvKeys<'a> {
    settings: &'a Settings,
}

impl<'a> KvKeys<'a> {
    /// The catalogue for `settings`' prefixes.
    pub fn new(settings: &'a Settings) -> Self {
        Self { settings }
    }

    /// A session's access token: `{TOKEN_REDIS_PREFIX}:{uid}:{session}` (`fba:token:…`).
    pub fn token(&self, user_id: i64, session: &str) -> String {
        session_key(&self.settings.token.redis_prefix, user_id, session)
    }

    /// A session's extra info JSON: `{TOKEN_EXTRA_INFO_REDIS_PREFIX}:{uid}:{session}`.
    pub fn token_extra_info(&self, user_id: i64, session: &str) -> String {
        session_key(
            &self.settings.token.extra_info_redis_prefix,
            user_id,
            session,
        )
    }

    /// A session's refresh token: `{TOKEN_REFRESH_REDIS_PREFIX}:{uid}:{session}`.
    pub fn refresh_token(&self, user_id: i64, session: &str) -> String {
        session_key(&self.settings.token.refresh_redis_prefix, user_id, session)
    }

    /// The set of online session ids: `{TOKEN_ONLINE_REDIS_PREFIX}` (`fba:token_online`).
    pub fn token_online(&self) -> &'a str {
        &self.settings.token.online_redis_prefix
    }

    /// How many live Socket.IO sockets a session has over every replica (fba-rs):
    /// `fba:socketio:sockets:{session}`. The session stays in [`KvKeys::token_online`] while
    /// this is above 0.
    pub fn socketio_sockets(&self, session: &str) -> String {
        format!("{SOCKETIO_SOCKETS_PREFIX}:{session}")
    }

    /// The channel of Socket.IO broadcasts ([`SOCKETIO_BROADCAST_CHANNEL`]).
    pub fn socketio_broadcast_channel(&self) -> &'static str {
        SOCKETIO_BROADCAST_CHANNEL
    }

    /// Prefix of every access token: `{TOKEN_REDIS_PREFIX}:`.
    pub fn all_tokens_prefix(&self) -> String {
        format!("{}:", self.settings.token.redis_prefix)
    }

    /// Prefix of one user's access tokens: `{TOKEN_REDIS_PREFIX}:{uid}:`; what follows it in a
    /// key is the session id.
    pub fn user_tokens_prefix(&self, user_id: i64) -> String {
        user_prefix(&self.settings.token.redis_prefix, user_id)
    }

    /// Prefixes of every key of one user's sessions: access token, extra info, refresh token.
    pub fn user_session_prefixes(&self, user_id: i64) -> [String; 3] {
        let t = &self.settings.token;
        [
            user_prefix(&t.redis_prefix, user_id),
            user_prefix(&t.extra_info_redis_prefix, user_id),
            user_prefix(&t.refresh_redis_prefix, user_id),
        ]
    }

    /// What FBA's `fba init` deletes before re-creating the tables, as raw prefixes (no `:`, as
    /// FBA): `{JWT_USER_REDIS_PREFIX}`, `{TOKEN_EXTRA_INFO_REDIS_PREFIX}`,
    /// `{TOKEN_REDIS_PREFIX}`, `{TOKEN_REFRESH_REDIS_PREFIX}`.
    pub fn init_db_prefixes(&self) -> [&'a str; 4] {
        let t = &self.settings.token;
        [
            &t.user_redis_prefix,
            &t.extra_info_redis_prefix,
            &t.redis_prefix,
            &t.refresh_redis_prefix,
        ]
    }

    /// A cached user with relations: `{JWT_USER_REDIS_PREFIX}:{uid}` (`fba:user:…`).
    pub fn user(&self, user_id: i64) -> String {
        format!("{}:{user_id}", self.settings.token.user_redis_prefix)
    }

    /// A user's lock (locked-until time): `{USER_LOCK_REDIS_PREFIX}:{uid}`.
    pub fn user_lock(&self, user_id: i64) -> String {
        format!(
            "{}:{user_id}",
            self.settings.user_security.lock_redis_prefix
        )
    }

    /// A user's failed-login count: `{LOGIN_FAILURE_PREFIX}:{uid}`.
    pub fn login_failure(&self, user_id: i64) -> String {
        format!("{}:{user_id}", self.settings.login.failure_prefix)
    }

    /// How many password checks of a user are running now (fba-rs, not FBA's):
    /// `{LOGIN_FAILURE_PREFIX}:checking:{uid}` (`fba:login:failure:checking:…`).
    pub fn login_checking(&self, user_id: i64) -> String {
        format!("{}:checking:{user_id}", self.settings.login.failure_prefix)
    }

    /// A login captcha code: `{LOGIN_CAPTCHA_REDIS_PREFIX}:{uuid}`.
    pub fn login_captcha(&self, uuid: &str) -> String {
        format!("{}:{uuid}", self.settings.login.captcha_redis_prefix)
    }

    /// An e-mail verification code sent for a client: `fba:email:captcha:{ip}`.
    pub fn email_captcha(&self, client_ip: &str) -> String {
        format!("{EMAIL_CAPTCHA_PREFIX}:{client_ip}")
    }

    /// A rate-limit log: `{REQUEST_LIMITER_REDIS_PREFIX}:{ip}:{path}`.
    pub fn limiter(&self, ip: &str, path: &str) -> String {
        format!("{}:{ip}:{path}", self.settings.limiter.redis_prefix)
    }

    /// The lease on a snowflake node: `{SNOWFLAKE_REDIS_PREFIX}:nodes:{dc}:{worker}`. The
    /// format lives in [`fba_db::snowflake::node_key`], which the lease code below this crate
    /// needs too.
    pub fn snowflake_node(&self, datacenter_id: u8, worker_id: u8) -> String {
        fba_db::snowflake::node_key(
            &self.settings.snowflake.redis_prefix,
            datacenter_id,
            worker_id,
        )
    }

    /// The channel of session and user changes ([`AUTH_CHANGED_CHANNEL`]).
    pub fn auth_changed_channel(&self) -> &'static str {
        AUTH_CHANGED_CHANNEL
    }

    /// The channel of RBAC policy changes ([`CASBIN_RELOAD_CHANNEL`]).
    pub fn casbin_reload_channel(&self) -> &'static str {
        CASBIN_RELOAD_CHANNEL
    }

    /// `fba:plugin:{name}`: a plugin's manifest and `enable` switch.
    pub fn plugin(&self, name: &str) -> String {
        format!("{PLUGIN_PREFIX}:{name}")
    }

    /// `fba:plugin:`: every plugin record (and `changed`).
    pub fn plugin_prefix(&self) -> String {
        format!("{PLUGIN_PREFIX}:")
    }

    /// `fba:plugin:changed`: set when a plugin was switched, installed or removed.
    pub fn plugin_changed(&self) -> String {
        format!("{PLUGIN_PREFIX}:changed")
    }

    /// The channel of plugin switches ([`PLUGIN_STATUS_CHANNEL`]).
    pub fn plugin_status_channel(&self) -> &'static str {
        PLUGIN_STATUS_CHANNEL
    }

    /// `fba:cache:…` key `{prefix}:{suffix}` of the two-level cache, under one of the
    /// `CACHE_*_REDIS_PREFIX` prefixes.
    pub fn cache(&self, prefix: &str, suffix: &str) -> String {
        format!("{prefix}:{suffix}")
    }

    /// The channel of cache invalidations (`CACHE_PUBSUB_CHANNEL`, `fba:cache:invalidate`).
    pub fn cache_invalidate_channel(&self) -> &'a str {
        &self.settings.cache.pubsub_channel
    }
}

fn session_key(prefix: &str, user_id: i64, session: &str) -> String {
    format!("{prefix}:{user_id}:{session}")
}

fn user_prefix(prefix: &str, user_id: i64) -> String {
    format!("{prefix}:{user_id}:")
}

#[cfg(test)]
mod tests {
    use fba_core_conf::Source;

    use super::*;

    fn settings(extra: &[(&str, &str)]) -> Settings {
        let mut pairs = vec![("TOKEN_SECRET_KEY", "a-secret-key-for-tests-only-123")];
        pairs.extend_from_slice(extra);
        Settings::from_source(&Source::from_pairs(pairs)).expect("settings")
    }

    #[test]
    fn default_settings_give_fba_literal_keys() {
        let s = settings(&[]);
        let k = KvKeys::new(&s);
        let session = "0f6c8b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            k.token(1, session),
            "fba:token:1:0f6c8b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
        );
        assert_eq!(
            k.token_extra_info(1, session),
            "fba:token_extra_info:1:0f6c8b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
        );
        assert_eq!(
            k.refresh_token(1, session),
            "fba:refresh_token:1:0f6c8b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
        );
        assert_eq!(k.token_online(), "fba:token_online");
        assert_eq!(k.socketio_sockets("s1"), "fba:socketio:sockets:s1");
        assert_eq!(k.socketio_broadcast_channel(), "fba:socketio:broadcast");
        assert_eq!(k.all_tokens_prefix(), "fba:token:");
        assert_eq!(k.user_tokens_prefix(12), "fba:token:12:");
        assert_eq!(
            k.user_session_prefixes(12),
            [
                "fba:token:12:",
                "fba:token_extra_info:12:",
                "fba:refresh_token:12:"
            ]
        );
        assert_eq!(
            k.init_db_prefixes(),
            [
                "fba:user",
                "fba:token_extra_info",
                "fba:token",
                "fba:refresh_token"
            ]
        );
        assert_eq!(k.user(2), "fba:user:2");
        assert_eq!(k.user_lock(2), "fba:user:lock:2");
        assert_eq!(k.login_failure(2), "fba:login:failure:2");
        assert_eq!(k.login_checking(2), "fba:login:failure:checking:2");
        assert_eq!(
            k.login_captcha("9b2f0c1e-aaaa-bbbb-cccc-000000000000"),
            "fba:login:captcha:9b2f0c1e-aaaa-bbbb-cccc-000000000000"
        );
        assert_eq!(k.email_captcha("127.0.0.1"), "fba:email:captcha:127.0.0.1");
        assert_eq!(
            k.limiter("10.0.0.7", "/api/v1/auth/login"),
            "fba:limiter:10.0.0.7:/api/v1/auth/login"
        );
        assert_eq!(k.snowflake_node(3, 17), "fba:snowflake:nodes:3:17");
        assert_eq!(k.auth_changed_channel(), "fba:auth:changed");
        assert_eq!(k.casbin_reload_channel(), "fba:casbin:reload");
        assert_eq!(k.plugin("dict"), "fba:plugin:dict");
        assert_eq!(k.plugin_prefix(), "fba:plugin:");
        assert_eq!(k.plugin_changed(), "fba:plugin:changed");
        assert_eq!(k.plugin_status_channel(), "fba:plugin:status");
        assert_eq!(
            k.cache(&s.cache.dict_prefix, "type:sys_status"),
            "fba:cache:dict:type:sys_status"
        );
        assert_eq!(
            k.cache(&s.cache.config_prefix, "LOGIN"),
            "fba:cache:config:LOGIN"
        );
        assert_eq!(k.cache_invalidate_channel(), "fba:cache:invalidate");
    }

    #[test]
    fn configured_prefixes_are_used() {
        let s = settings(&[
            ("TOKEN_REDIS_PREFIX", "app:tok"),
            ("TOKEN_EXTRA_INFO_REDIS_PREFIX", "app:info"),
            ("TOKEN_REFRESH_REDIS_PREFIX", "app:refresh"),
            ("TOKEN_ONLINE_REDIS_PREFIX", "app:online"),
            ("JWT_USER_REDIS_PREFIX", "app:usr"),
            ("USER_LOCK_REDIS_PREFIX", "app:lock"),
            ("LOGIN_FAILURE_PREFIX", "app:fail"),
            ("LOGIN_CAPTCHA_REDIS_PREFIX", "app:captcha"),
            ("REQUEST_LIMITER_REDIS_PREFIX", "app:limit"),
            ("SNOWFLAKE_REDIS_PREFIX", "app:sf"),
        ]);
        let k = KvKeys::new(&s);
        assert_eq!(k.token(7, "s"), "app:tok:7:s");
        assert_eq!(k.token_extra_info(7, "s"), "app:info:7:s");
        assert_eq!(k.refresh_token(7, "s"), "app:refresh:7:s");
        assert_eq!(k.token_online(), "app:online");
        assert_eq!(k.all_tokens_prefix(), "app:tok:");
        assert_eq!(k.user_tokens_prefix(7), "app:tok:7:");
        assert_eq!(
            k.user_session_prefixes(7),
            ["app:tok:7:", "app:info:7:", "app:refresh:7:"]
        );
        assert_eq!(
            k.init_db_prefixes(),
            ["app:usr", "app:info", "app:tok", "app:refresh"]
        );
        assert_eq!(k.user(7), "app:usr:7");
        assert_eq!(k.user_lock(7), "app:lock:7");
        assert_eq!(k.login_failure(7), "app:fail:7");
        assert_eq!(k.login_captcha("u"), "app:captcha:u");
        assert_eq!(k.limiter("::1", "/p"), "app:limit:::1:/p");
        assert_eq!(k.snowflake_node(0, 0), "app:sf:nodes:0:0");
        // Not settings: fixed names.
        assert_eq!(k.email_captcha("::1"), "fba:email:captcha:::1");
        assert_eq!(k.auth_changed_channel(), "fba:auth:changed");
    }

    #[test]
    fn redis_key_namespace_is_not_part_of_the_name() {
        let s = settings(&[
            ("REDIS_URL", "redis://127.0.0.1:6379/0"),
            ("REDIS_KEY_NAMESPACE", "tenant-a:"),
        ]);
        assert_eq!(KvKeys::new(&s).token(1, "s"), "fba:token:1:s");
    }
}
