//! [`Subscription`]: the receiving end of [`Kv::subscribe`](super::Kv::subscribe).

use tokio::sync::{broadcast, mpsc};

/// What a subscription delivers: messages, and the moments when messages may have been lost.
///
/// A subscriber that keeps state derived from the channel (an in-process cache invalidated by
/// messages, say) drops that state on [`Delivery::Interrupted`] and trusts the channel again
/// after [`Delivery::Resumed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A published message.
    Message(String),
    /// The link to the store is down: messages published from now on may never arrive.
    Interrupted,
    /// Messages flow again; some published before this may have been lost.
    Resumed,
}

/// Messages of one pub/sub channel, in publish order. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    source: Source,
    channel: String,
}

#[derive(Debug)]
enum Source {
    Queue(mpsc::Receiver<Delivery>),
    Broadcast(broadcast::Receiver<String>),
}

impl Subscription {
    /// A subscription fed by a task that sends into `rx`'s channel; the task should stop when
    /// its sender reports the channel closed. Also useful for test doubles of
    /// [`Kv`](super::Kv).
    pub fn from_receiver(channel: impl Into<String>, rx: mpsc::Receiver<Delivery>) -> Self {
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

    /// The next delivery; `None` once the store behind the subscription is gone.
    ///
    /// A subscriber that falls more than the channel capacity behind loses the oldest
    /// messages; it is told with [`Delivery::Resumed`].
    pub async fn next(&mut self) -> Option<Delivery> {
        match &mut self.source {
            Source::Queue(rx) => rx.recv().await,
            Source::Broadcast(rx) => match rx.recv().await {
                Ok(message) => Some(Delivery::Message(message)),
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(channel = %self.channel, skipped, "slow subscriber lost messages");
                    Some(Delivery::Resumed)
                }
                Err(broadcast::error::RecvError::Closed) => None,
            },
        }
    }

    /// The next message, skipping the [`Delivery::Interrupted`] / [`Delivery::Resumed`]
    /// notices; `None` once the store behind the subscription is gone.
    pub async fn recv(&mut self) -> Option<String> {
        loop {
            if let Delivery::Message(message) = self.next().await? {
                return Some(message);
            }
        }
    }
}
