//! One behaviour suite for every [`Kv`] backend: each scenario below runs on [`MemoryKv`] and,
//! when `FBA_TEST_REDIS_URL` is set (e.g. `redis://127.0.0.1:6379/0`), on [`RedisKv`] with a
//! fresh random key namespace, so parallel runs never see each other's keys.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use fba_core_conf::{RedisSettings, SecretString};
use fba_db::kv::{Delivery, KeyTtl, Kv, KvBackend, KvError, MemoryKv, RedisKv, SharedKv};
use tokio::time::{sleep, timeout};

const REDIS_URL_VAR: &str = "FBA_TEST_REDIS_URL";

/// `FBA_TEST_REDIS_URL` when set and not empty.
fn test_redis_url() -> Option<String> {
    std::env::var(REDIS_URL_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn redis_settings(url: &str) -> RedisSettings {
    RedisSettings {
        url: SecretString::from(url.to_owned()),
        timeout_secs: 2,
        pool_size: 8,
        key_namespace: format!("test:{}:", uuid::Uuid::new_v4()),
    }
}

/// The Redis store of one test, or `None` (with a note) when `FBA_TEST_REDIS_URL` is unset.
async fn redis_kv() -> Option<RedisKv> {
    let Some(url) = test_redis_url() else {
        eprintln!("{REDIS_URL_VAR} is not set: Redis variant skipped");
        return None;
    };
    Some(RedisKv::connect(&redis_settings(&url)).await.unwrap())
}

/// Runs each scenario once per backend: `memory_<name>` and `redis_<name>`.
macro_rules! kv_suite {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let kv: super::SharedKv = std::sync::Arc::new(super::MemoryKv::new());
                    super::$name(kv).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(kv) = super::redis_kv().await else { return };
                    let kv: super::SharedKv = std::sync::Arc::new(kv);
                    super::$name(kv.clone()).await;
                    // Everything a scenario writes lives in its namespace: remove it.
                    kv.delete_prefix("").await.unwrap();
                    assert!(kv.keys_with_prefix("").await.unwrap().is_empty());
                }
            )*
        }
    };
}

kv_suite!(
    ping_and_backend_name,
    get_returns_what_set_stored,
    set_without_ttl_is_persistent_and_replaces_ttl,
    key_expires_after_its_ttl,
    expire_sets_a_ttl_on_existing_keys_only,
    set_nx_stores_only_when_missing,
    set_nx_succeeds_again_after_expiry,
    del_and_exists_report_presence,
    mget_returns_values_in_order_with_gaps,
    incr_counts_from_zero_and_keeps_ttl_of_the_first_call,
    concurrent_incr_loses_no_update,
    incr_on_a_non_integer_is_a_command_error,
    keys_with_prefix_lists_only_matching_keys,
    prefix_glob_characters_match_literally,
    delete_prefix_deletes_only_matching_keys,
    sets_add_remove_and_list_members,
    wrong_type_is_a_command_error,
    rate_limit_denies_over_limit_and_allows_after_window,
    rate_limit_of_zero_denies_everything,
    publish_reaches_subscribers_in_order,
    publish_without_subscribers_is_fine,
    dropped_subscription_does_not_block_publishers,
    info_is_text_for_redis_only,
);

async fn ping_and_backend_name(kv: SharedKv) {
    kv.ping().await.unwrap();
    assert!(matches!(kv.backend().as_str(), "memory" | "redis"));
}

async fn get_returns_what_set_stored(kv: SharedKv) {
    assert_eq!(kv.get("fba:k").await.unwrap(), None);
    kv.set("fba:k", "值 1", None).await.unwrap();
    assert_eq!(kv.get("fba:k").await.unwrap().as_deref(), Some("值 1"));
    kv.set("fba:k", "2", None).await.unwrap();
    assert_eq!(kv.get("fba:k").await.unwrap().as_deref(), Some("2"));
}

async fn set_without_ttl_is_persistent_and_replaces_ttl(kv: SharedKv) {
    assert_eq!(kv.ttl("fba:k").await.unwrap(), KeyTtl::Missing);
    kv.set("fba:k", "v", Some(Duration::from_secs(100)))
        .await
        .unwrap();
    match kv.ttl("fba:k").await.unwrap() {
        KeyTtl::Expires(left) => {
            assert!(left > Duration::from_secs(98) && left <= Duration::from_secs(100));
        }
        other => panic!("expected a TTL, got {other:?}"),
    }
    kv.set("fba:k", "v", None).await.unwrap();
    assert_eq!(kv.ttl("fba:k").await.unwrap(), KeyTtl::Persistent);
}

async fn key_expires_after_its_ttl(kv: SharedKv) {
    kv.set("fba:short", "v", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    kv.set("fba:long", "v", Some(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(kv.exists("fba:short").await.unwrap());
    sleep(Duration::from_millis(500)).await;
    assert_eq!(kv.get("fba:short").await.unwrap(), None);
    assert!(!kv.exists("fba:short").await.unwrap());
    assert_eq!(kv.ttl("fba:short").await.unwrap(), KeyTtl::Missing);
    assert_eq!(kv.get("fba:long").await.unwrap().as_deref(), Some("v"));
}

async fn expire_sets_a_ttl_on_existing_keys_only(kv: SharedKv) {
    assert!(!kv.expire("fba:none", Duration::from_secs(1)).await.unwrap());
    kv.set("fba:k", "v", None).await.unwrap();
    assert!(
        kv.expire("fba:k", Duration::from_millis(300))
            .await
            .unwrap()
    );
    assert!(matches!(kv.ttl("fba:k").await.unwrap(), KeyTtl::Expires(_)));
    sleep(Duration::from_millis(500)).await;
    assert!(!kv.exists("fba:k").await.unwrap());
}

async fn set_nx_stores_only_when_missing(kv: SharedKv) {
    assert!(
        kv.set_nx("fba:lock", "a", Some(Duration::from_secs(10)))
            .await
            .unwrap()
    );
    assert!(!kv.set_nx("fba:lock", "b", None).await.unwrap());
    assert_eq!(kv.get("fba:lock").await.unwrap().as_deref(), Some("a"));
    assert!(matches!(
        kv.ttl("fba:lock").await.unwrap(),
        KeyTtl::Expires(_)
    ));
}

async fn set_nx_succeeds_again_after_expiry(kv: SharedKv) {
    assert!(
        kv.set_nx("fba:lease", "a", Some(Duration::from_millis(300)))
            .await
            .unwrap()
    );
    sleep(Duration::from_millis(500)).await;
    assert!(kv.set_nx("fba:lease", "b", None).await.unwrap());
    assert_eq!(kv.get("fba:lease").await.unwrap().as_deref(), Some("b"));
}

async fn del_and_exists_report_presence(kv: SharedKv) {
    assert!(!kv.del("fba:k").await.unwrap());
    kv.set("fba:k", "v", None).await.unwrap();
    assert!(kv.exists("fba:k").await.unwrap());
    assert!(kv.del("fba:k").await.unwrap());
    assert!(!kv.exists("fba:k").await.unwrap());
    assert!(!kv.del("fba:k").await.unwrap());
}

async fn mget_returns_values_in_order_with_gaps(kv: SharedKv) {
    assert!(kv.mget(&[]).await.unwrap().is_empty());
    kv.set("fba:a", "1", None).await.unwrap();
    kv.set("fba:c", "3", None).await.unwrap();
    kv.sadd("fba:set", "x").await.unwrap();
    let keys = ["fba:a", "fba:b", "fba:c", "fba:set"].map(String::from);
    assert_eq!(
        kv.mget(&keys).await.unwrap(),
        vec![Some("1".to_owned()), None, Some("3".to_owned()), None]
    );
}

async fn incr_counts_from_zero_and_keeps_ttl_of_the_first_call(kv: SharedKv) {
    assert_eq!(kv.incr("fba:n", 1, None).await.unwrap(), 1);
    assert_eq!(kv.incr("fba:n", 5, None).await.unwrap(), 6);
    assert_eq!(kv.incr("fba:n", -10, None).await.unwrap(), -4);
    assert_eq!(kv.ttl("fba:n").await.unwrap(), KeyTtl::Persistent);
    assert_eq!(kv.get("fba:n").await.unwrap().as_deref(), Some("-4"));

    // A TTL given to a later call does not touch an existing key.
    let long = Some(Duration::from_secs(100));
    assert_eq!(kv.incr("fba:n", 1, long).await.unwrap(), -3);
    assert_eq!(kv.ttl("fba:n").await.unwrap(), KeyTtl::Persistent);

    // The call that creates the key sets the TTL; later ones keep it.
    let short = Some(Duration::from_millis(400));
    assert_eq!(kv.incr("fba:failures", 1, short).await.unwrap(), 1);
    assert_eq!(kv.incr("fba:failures", 1, long).await.unwrap(), 2);
    match kv.ttl("fba:failures").await.unwrap() {
        KeyTtl::Expires(left) => assert!(left <= Duration::from_millis(400)),
        other => panic!("expected a TTL, got {other:?}"),
    }
    sleep(Duration::from_millis(600)).await;
    assert_eq!(kv.incr("fba:failures", 1, short).await.unwrap(), 1);
}

async fn concurrent_incr_loses_no_update(kv: SharedKv) {
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let kv = kv.clone();
            tokio::spawn(async move {
                kv.incr("fba:count", 1, Some(Duration::from_secs(60)))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results.sort_unstable();
    assert_eq!(results, (1..=50).collect::<Vec<i64>>());
    assert_eq!(kv.get("fba:count").await.unwrap().as_deref(), Some("50"));
}

async fn incr_on_a_non_integer_is_a_command_error(kv: SharedKv) {
    kv.set("fba:text", "abc", None).await.unwrap();
    let err = kv.incr("fba:text", 1, None).await.unwrap_err();
    assert!(matches!(err, KvError::Command(_)), "{err:?}");
    let err = kv
        .incr("fba:text", 1, Some(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(matches!(err, KvError::Command(_)), "{err:?}");
    assert_eq!(kv.get("fba:text").await.unwrap().as_deref(), Some("abc"));

    kv.set("fba:big", &i64::MAX.to_string(), None)
        .await
        .unwrap();
    let err = kv.incr("fba:big", 1, None).await.unwrap_err();
    assert!(matches!(err, KvError::Command(_)), "{err:?}");
}

async fn keys_with_prefix_lists_only_matching_keys(kv: SharedKv) {
    for key in [
        "fba:token:1:a",
        "fba:token:1:b",
        "fba:token:2:a",
        "fba:token_online",
        "fba:tokenizer",
        "other:fba:token:1:x",
    ] {
        kv.set(key, "v", None).await.unwrap();
    }
    kv.set("fba:token:1:gone", "v", Some(Duration::from_millis(200)))
        .await
        .unwrap();
    sleep(Duration::from_millis(400)).await;
    assert_eq!(
        kv.keys_with_prefix("fba:token:1:").await.unwrap(),
        vec!["fba:token:1:a", "fba:token:1:b"]
    );
    assert_eq!(
        kv.keys_with_prefix("fba:token:").await.unwrap(),
        vec!["fba:token:1:a", "fba:token:1:b", "fba:token:2:a"]
    );
    assert!(kv.keys_with_prefix("nothing:").await.unwrap().is_empty());
}

async fn prefix_glob_characters_match_literally(kv: SharedKv) {
    for key in ["a*b:1", "axb:1", "a?[c]\\d:1", "a?[c]\\e:1", "aX[c]\\d:1"] {
        kv.set(key, "v", None).await.unwrap();
    }
    assert_eq!(kv.keys_with_prefix("a*b:").await.unwrap(), vec!["a*b:1"]);
    assert_eq!(
        kv.keys_with_prefix("a?[c]\\d").await.unwrap(),
        vec!["a?[c]\\d:1"]
    );
    assert_eq!(kv.delete_prefix("a?[c]").await.unwrap(), 2);
    assert!(kv.exists("aX[c]\\d:1").await.unwrap());
}

async fn delete_prefix_deletes_only_matching_keys(kv: SharedKv) {
    for i in 0..2500 {
        kv.set(&format!("fba:cache:dict:{i}"), "v", None)
            .await
            .unwrap();
    }
    kv.sadd("fba:cache:dict:set", "m").await.unwrap();
    kv.set("fba:cache:config:1", "keep", None).await.unwrap();
    kv.set("fba:cache:dictionary", "keep", None).await.unwrap();
    assert_eq!(kv.delete_prefix("fba:cache:dict:").await.unwrap(), 2501);
    assert!(
        kv.keys_with_prefix("fba:cache:dict:")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        kv.keys_with_prefix("fba:cache:").await.unwrap(),
        vec!["fba:cache:config:1", "fba:cache:dictionary"]
    );
    assert_eq!(kv.delete_prefix("fba:cache:dict:").await.unwrap(), 0);
}

async fn sets_add_remove_and_list_members(kv: SharedKv) {
    assert!(kv.smembers("fba:token_online").await.unwrap().is_empty());
    assert!(kv.sadd("fba:token_online", "s2").await.unwrap());
    assert!(kv.sadd("fba:token_online", "s1").await.unwrap());
    assert!(!kv.sadd("fba:token_online", "s1").await.unwrap());
    assert_eq!(
        kv.smembers("fba:token_online").await.unwrap(),
        vec!["s1", "s2"]
    );
    assert!(kv.sismember("fba:token_online", "s1").await.unwrap());
    assert!(!kv.sismember("fba:token_online", "s3").await.unwrap());
    assert!(!kv.sismember("fba:missing", "s1").await.unwrap());
    assert!(kv.srem("fba:token_online", "s1").await.unwrap());
    assert!(!kv.srem("fba:token_online", "s1").await.unwrap());
    assert!(kv.srem("fba:token_online", "s2").await.unwrap());
    // An emptied set no longer exists.
    assert!(!kv.exists("fba:token_online").await.unwrap());
}

async fn wrong_type_is_a_command_error(kv: SharedKv) {
    kv.set("fba:str", "v", None).await.unwrap();
    kv.sadd("fba:set", "m").await.unwrap();
    let errors = [
        kv.sadd("fba:str", "m").await.unwrap_err(),
        kv.smembers("fba:str").await.unwrap_err(),
        kv.sismember("fba:str", "m").await.unwrap_err(),
        kv.srem("fba:str", "m").await.unwrap_err(),
        kv.get("fba:set").await.unwrap_err(),
        kv.incr("fba:set", 1, None).await.unwrap_err(),
        kv.rate_limit("fba:str", 5, Duration::from_secs(1))
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, KvError::Command(_)), "{err:?}");
    }
}

async fn rate_limit_denies_over_limit_and_allows_after_window(kv: SharedKv) {
    let window = Duration::from_millis(800);
    for expected_remaining in [2, 1, 0] {
        let d = kv.rate_limit("fba:limiter:ip", 3, window).await.unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, expected_remaining);
        assert_eq!(d.retry_after, Duration::ZERO);
    }
    let denied = kv.rate_limit("fba:limiter:ip", 3, window).await.unwrap();
    assert!(!denied.allowed);
    assert_eq!(denied.remaining, 0);
    assert!(denied.retry_after > Duration::ZERO && denied.retry_after <= window);
    // Another key has its own window.
    assert!(
        kv.rate_limit("fba:limiter:other", 3, window)
            .await
            .unwrap()
            .allowed
    );
    // Denied hits are not recorded, so the window frees up on time.
    sleep(denied.retry_after + Duration::from_millis(100)).await;
    let again = kv.rate_limit("fba:limiter:ip", 3, window).await.unwrap();
    assert!(again.allowed, "{again:?}");
    // The log expires a window after the last hit.
    sleep(window + Duration::from_millis(200)).await;
    assert!(!kv.exists("fba:limiter:ip").await.unwrap());
}

async fn rate_limit_of_zero_denies_everything(kv: SharedKv) {
    let d = kv
        .rate_limit("fba:limiter:zero", 0, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Duration::from_secs(5));
    assert!(!kv.exists("fba:limiter:zero").await.unwrap());
}

async fn publish_reaches_subscribers_in_order(kv: SharedKv) {
    let mut first = kv.subscribe("fba:cache:invalidate").await.unwrap();
    let mut second = kv.subscribe("fba:cache:invalidate").await.unwrap();
    let mut other = kv.subscribe("fba:other").await.unwrap();
    assert_eq!(first.channel(), "fba:cache:invalidate");
    let message = r#"{"key":"fba:cache:config","is_delete_prefix":true}"#;
    kv.publish("fba:cache:invalidate", message).await.unwrap();
    kv.publish("fba:cache:invalidate", "2").await.unwrap();
    for sub in [&mut first, &mut second] {
        let wait = Duration::from_secs(5);
        assert_eq!(
            timeout(wait, sub.recv()).await.unwrap().as_deref(),
            Some(message)
        );
        assert_eq!(
            timeout(wait, sub.recv()).await.unwrap().as_deref(),
            Some("2")
        );
    }
    assert!(
        timeout(Duration::from_millis(200), other.recv())
            .await
            .is_err()
    );
}

async fn publish_without_subscribers_is_fine(kv: SharedKv) {
    kv.publish("fba:nobody", "hello").await.unwrap();
}

async fn dropped_subscription_does_not_block_publishers(kv: SharedKv) {
    let sub = kv.subscribe("fba:chan").await.unwrap();
    drop(sub);
    for i in 0..2000 {
        kv.publish("fba:chan", &i.to_string()).await.unwrap();
    }
    let mut fresh = kv.subscribe("fba:chan").await.unwrap();
    kv.publish("fba:chan", "last").await.unwrap();
    assert_eq!(
        timeout(Duration::from_secs(5), fresh.recv())
            .await
            .unwrap()
            .as_deref(),
        Some("last")
    );
}

async fn info_is_text_for_redis_only(kv: SharedKv) {
    let info = kv.info().await.unwrap();
    match kv.backend() {
        KvBackend::Memory => assert_eq!(info, None),
        KvBackend::Redis => assert!(info.unwrap().contains("redis_version:")),
    }
}

#[tokio::test]
async fn unreachable_redis_is_unavailable_not_a_panic() {
    let mut settings = redis_settings("redis://127.0.0.1:1/0");
    settings.timeout_secs = 1;
    let err = RedisKv::connect(&settings).await.unwrap_err();
    assert!(matches!(err, KvError::Unavailable(_)), "{err:?}");
    let err = fba_db::kv::open(Some(&settings)).await.unwrap_err();
    assert!(err.is_unavailable());
}

#[tokio::test]
async fn invalid_redis_url_is_a_command_error() {
    let err = RedisKv::connect(&redis_settings("redis://:pw@[::1"))
        .await
        .unwrap_err();
    assert!(matches!(err, KvError::Command(_)), "{err:?}");
    assert!(!err.to_string().contains("pw@"), "{err}");
}

#[tokio::test]
async fn open_without_redis_settings_is_memory() {
    let kv = fba_db::kv::open(None).await.unwrap();
    assert_eq!(kv.backend(), KvBackend::Memory);
}

#[tokio::test]
async fn open_with_redis_settings_is_redis() {
    let Some(url) = test_redis_url() else {
        eprintln!("{REDIS_URL_VAR} is not set: skipped");
        return;
    };
    let kv = fba_db::kv::open(Some(&redis_settings(&url))).await.unwrap();
    assert_eq!(kv.backend(), KvBackend::Redis);
}

#[tokio::test]
async fn redis_namespaces_keep_stores_apart() {
    let Some(url) = test_redis_url() else {
        eprintln!("{REDIS_URL_VAR} is not set: skipped");
        return;
    };
    let a = RedisKv::connect(&redis_settings(&url)).await.unwrap();
    let b = RedisKv::connect(&redis_settings(&url)).await.unwrap();
    a.set("fba:k", "a", None).await.unwrap();
    assert_eq!(b.get("fba:k").await.unwrap(), None);
    assert_eq!(a.keys_with_prefix("fba:").await.unwrap(), vec!["fba:k"]);
    let mut sub = b.subscribe("fba:chan").await.unwrap();
    a.publish("fba:chan", "from a").await.unwrap();
    assert!(
        timeout(Duration::from_millis(300), sub.recv())
            .await
            .is_err()
    );
    a.delete_prefix("").await.unwrap();
}

/// A plain connection for checks the [`Kv`] API does not offer.
async fn raw_connection(url: &str) -> ::redis::aio::MultiplexedConnection {
    ::redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn dropping_a_redis_subscription_closes_its_connection() {
    let Some(url) = test_redis_url() else {
        eprintln!("{REDIS_URL_VAR} is not set: skipped");
        return;
    };
    let kv = RedisKv::connect(&redis_settings(&url)).await.unwrap();
    let full = format!("{}fba:drop-check", kv.namespace());
    let mut raw = raw_connection(&url).await;
    let mut numsub = async move || -> i64 {
        let (_, n): (String, i64) = ::redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&full)
            .query_async(&mut raw)
            .await
            .unwrap();
        n
    };
    let sub = kv.subscribe("fba:drop-check").await.unwrap();
    assert_eq!(numsub().await, 1);
    drop(sub);
    let mut n = 1;
    for _ in 0..50 {
        n = numsub().await;
        if n == 0 {
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(n, 0, "the forwarding task kept its connection");
}

/// A private `redis-server` on a free port, killed on drop; lets a test cut connections and
/// restart the server without disturbing anyone else's Redis.
struct PrivateRedis {
    child: std::process::Child,
    port: u16,
}

impl PrivateRedis {
    fn start(port: Option<u16>) -> Option<Self> {
        let port = port.unwrap_or_else(|| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        });
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir", "/tmp"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        Some(Self { child, port })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    async fn wait_ready(&self) {
        let client = ::redis::Client::open(self.url()).unwrap();
        for _ in 0..100 {
            let ping = async {
                let mut c = client.get_multiplexed_async_connection().await?;
                ::redis::cmd("PING").query_async::<String>(&mut c).await
            };
            if ping.await.is_ok() {
                return;
            }
            sleep(Duration::from_millis(50)).await;
        }
        panic!("private redis-server on port {} did not start", self.port);
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Publishes `message` until `sub` receives it (the subscription may still be reconnecting).
async fn publish_until_received(kv: &RedisKv, sub: &mut fba_db::kv::Subscription, message: &str) {
    for _ in 0..60 {
        let _ = kv.publish("fba:chan", message).await;
        if let Ok(got) = timeout(Duration::from_millis(250), sub.recv()).await {
            assert_eq!(got.as_deref(), Some(message));
            return;
        }
    }
    panic!("{message:?} never arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_is_unavailable_and_subscriptions_recover() {
    if test_redis_url().is_none() {
        eprintln!("{REDIS_URL_VAR} is not set: skipped");
        return;
    }
    let Some(server) = PrivateRedis::start(None) else {
        eprintln!("no redis-server binary: skipped");
        return;
    };
    server.wait_ready().await;
    let mut settings = redis_settings(&server.url());
    settings.timeout_secs = 1;
    let kv = RedisKv::connect(&settings).await.unwrap();
    let mut sub = kv.subscribe("fba:chan").await.unwrap();
    kv.publish("fba:chan", "before").await.unwrap();
    assert_eq!(
        timeout(Duration::from_secs(5), sub.recv())
            .await
            .unwrap()
            .as_deref(),
        Some("before")
    );

    // The server drops the subscriber's connection: it comes back by itself.
    let mut raw = raw_connection(&server.url()).await;
    let killed: i64 = ::redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(killed, 1);
    // The subscriber is told that messages may have been lost, then that they flow again.
    for expected in [Delivery::Interrupted, Delivery::Resumed] {
        let got = timeout(Duration::from_secs(10), sub.next()).await.unwrap();
        assert_eq!(got, Some(expected));
    }
    publish_until_received(&kv, &mut sub, "after kill").await;

    // The server goes away: commands fail as Unavailable, nothing panics.
    let port = server.port;
    drop(server);
    let err = kv.get("fba:k").await.unwrap_err();
    assert!(matches!(err, KvError::Unavailable(_)), "{err:?}");
    let err = kv.subscribe("fba:other").await.unwrap_err();
    assert!(matches!(err, KvError::Unavailable(_)), "{err:?}");

    // It comes back on the same port: the pool and the subscription recover.
    let Some(server) = PrivateRedis::start(Some(port)) else {
        panic!("redis-server could not be restarted");
    };
    server.wait_ready().await;
    let mut ok = false;
    for _ in 0..20 {
        if kv.ping().await.is_ok() {
            ok = true;
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "the pool did not reconnect");
    kv.set("fba:k", "v", None).await.unwrap();
    publish_until_received(&kv, &mut sub, "after restart").await;
    drop(server);
}
