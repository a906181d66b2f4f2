//! Small value types of the [`Kv`](super::Kv) API.

use std::time::Duration;

/// Which implementation backs a [`Kv`](super::Kv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvBackend {
    /// [`MemoryKv`](super::MemoryKv): process memory.
    Memory,
    /// [`RedisKv`](super::RedisKv): a Redis server.
    Redis,
}

impl KvBackend {
    /// `"memory"` or `"redis"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Redis => "redis",
        }
    }
}

impl std::fmt::Display for KvBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The time to live of a key, as Redis `PTTL` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTtl {
    /// The key does not exist (or has expired).
    Missing,
    /// The key exists and never expires.
    Persistent,
    /// The key expires after this long.
    Expires(Duration),
}

/// The outcome of one [`Kv::rate_limit`](super::Kv::rate_limit) hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// `true` when the hit is within the limit (and was recorded).
    pub allowed: bool,
    /// Hits still allowed in the current window after this one.
    pub remaining: u32,
    /// When denied: how long until a hit would be allowed again; zero when allowed.
    pub retry_after: Duration,
}
