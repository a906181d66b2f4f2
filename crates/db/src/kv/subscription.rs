//! [`Subscription`]: the receiving end of [`Kv::subscribe`](super::Kv::subscribe).

use tokio::sync::{broadcast, mpsc};

/// Messages of one pub/sub channel, in publish order. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    source: Source,
    channel: String,
}

#[derive(Debug)]
enum Source {
    Queue(mpsc::Receiver<String>),
    Broadcast(broadcast::Receiver<String>),
}

impl Subscription {
    /// A subscription fed by a task that sends into `rx`'s channel; the task should stop when
    /// its sender reports the channel closed. Also useful for test doubles of
    /// [`Kv`](super::Kv).
    pub fn from_receiver(channel: impl Into<String>, rx: mpsc::Receiver<String>) -> Self {
        Self {
            source: Source::Queue(rx),
            channel: channel.into(),
        }
    }

    /// A subscription reading an in-process broadcast channel.
    pub fn from_broadcast(channel: impl Into<String>, rx: broadcast::Receiver<String>) -> Self {
        Self {
            source: Source::Broadcast(rx),
            channel: channel.into(),
        }
    }

    /// The channel name as given to [`Kv::subscribe`](super::Kv::subscribe).
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The next message; `None` once the store behind the subscription is gone.
    ///
    /// A subscriber that falls more than the channel capacity behind loses the oldest
    /// messages; this is logged and reading continues.
    pub async fn recv(&mut self) -> Option<String> {
        match &mut self.source {
            Source::Queue(rx) => rx.recv().await,
            Source::Broadcast(rx) => loop {
                match rx.recv().await {
                    Ok(message) => return Some(message),
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(channel = %self.channel, skipped, "slow subscriber lost messages");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            },
        }
    }
}
