//! Redis subscriptions: one dedicated pub/sub connection per [`Subscription`], read by a task
//! that forwards messages, checks the connection with `PING` and reconnects with exponential
//! backoff until the subscription is dropped. A lost connection is reported to the subscriber
//! as [`Delivery::Interrupted`], the new subscription as [`Delivery::Resumed`].

use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::PubSub;
use tokio::sync::mpsc;

use super::error::redis_error;
use super::{Delivery, KvError, Subscription};

/// Messages buffered for a subscriber that is not reading.
const QUEUE: usize = 1024;
/// How often an idle subscription checks its connection.
const HEALTH_INTERVAL: Duration = Duration::from_secs(30);
/// First and longest pause between reconnection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Subscribes to `full_channel` (namespace included) and returns once the server confirmed
/// the subscription. `channel` is the caller's name, for [`Subscription::channel`].
pub(super) async fn subscribe(
    client: redis::Client,
    full_channel: String,
    channel: String,
    timeout: Duration,
) -> Result<Subscription, KvError> {
    let pubsub = connect(&client, &full_channel, timeout).await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(forward(client, full_channel, timeout, pubsub, tx));
    Ok(Subscription::from_receiver(channel, rx))
}

async fn connect(
    client: &redis::Client,
    channel: &str,
    timeout: Duration,
) -> Result<PubSub, KvError> {
    let attempt = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result.map_err(redis_error),
        Err(_) => Err(KvError::Unavailable(format!(
            "subscribing to {channel} took more than {timeout:?}"
        ))),
    }
}

/// How reading one connection ended.
enum Ended {
    /// The [`Subscription`] was dropped: stop.
    Unsubscribed,
    /// The connection failed: reconnect.
    Lost(String),
}

async fn forward(
    client: redis::Client,
    channel: String,
    timeout: Duration,
    first: PubSub,
    tx: mpsc::Sender<Delivery>,
) {
    let mut current = Some(first);
    let mut backoff = BACKOFF_MIN;
    loop {
        let pubsub = match current.take() {
            Some(pubsub) => pubsub,
            None => {
                tokio::select! {
                    () = tx.closed() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                match connect(&client, &channel, timeout).await {
                    Ok(pubsub) => {
                        tracing::info!(%channel, "pub/sub resubscribed");
                        backoff = BACKOFF_MIN;
                        if tx.send(Delivery::Resumed).await.is_err() {
                            return;
                        }
                        pubsub
                    }
                    Err(e) => {
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                        tracing::warn!(%channel, error = %e, retry_in = ?backoff, "pub/sub reconnect failed");
                        continue;
                    }
                }
            }
        };
        match pump(pubsub, &tx, timeout).await {
            Ended::Unsubscribed => return,
            Ended::Lost(reason) => {
                tracing::warn!(%channel, %reason, "pub/sub connection lost; reconnecting");
                if tx.send(Delivery::Interrupted).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Forwards messages of one connection until it fails or the subscriber goes away.
async fn pump(pubsub: PubSub, tx: &mpsc::Sender<Delivery>, timeout: Duration) -> Ended {
    let (mut sink, mut stream) = pubsub.split();
    let mut health = tokio::time::interval(HEALTH_INTERVAL);
    health.tick().await;
    loop {
        tokio::select! {
            () = tx.closed() => return Ended::Unsubscribed,
            message = stream.next() => {
                let Some(message) = message else {
                    return Ended::Lost("connection closed".to_owned());
                };
                let payload = String::from_utf8_lossy(message.get_payload_bytes()).into_owned();
                if tx.send(Delivery::Message(payload)).await.is_err() {
                    return Ended::Unsubscribed;
                }
            }
            _ = health.tick() => {
                match tokio::time::timeout(timeout, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Ended::Lost(e.to_string()),
                    Err(_) => return Ended::Lost(format!("no PING reply within {timeout:?}")),
                }
            }
        }
    }
}
