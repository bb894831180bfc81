//! Each process learns of invalidations made elsewhere: it listens on the pub/sub channel and,
//! in case a message is lost, compares the version key once a second.

use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt as _;

/// How often each process compares its copy with the version key (the bound on staleness
/// when a pub/sub message is lost).
const VERSION_POLL: Duration = Duration::from_secs(1);

/// What a watcher reports to.
pub(crate) trait Observer: Send + Sync + 'static {
    /// The shared version is now `version`.
    fn observe_version(&self, version: u64);
    /// Reads the version key (`None` while Redis is unreachable).
    fn shared_version(&self) -> impl Future<Output = Option<u64>> + Send;
}

enum Event {
    Announced(Option<u64>),
    Lost,
    Tick,
}

/// Listens for announced versions and polls the version key, resubscribing after Redis comes
/// back. Ends when the observer is dropped.
pub(crate) async fn watch<O: Observer>(
    observer: Weak<O>,
    redis_url: String,
    channel: String,
    timeout: Duration,
) {
    let client = match redis::Client::open(redis_url) {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error = %e, "master-data cache: no invalidation listener");
            return;
        }
    };
    let mut tick = tokio::time::interval(VERSION_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut messages: Option<redis::aio::PubSubStream> = None;
    loop {
        let event = match messages.as_mut() {
            Some(stream) => tokio::select! {
                message = stream.next() => match message {
                    Some(message) => Event::Announced(redis::Msg::get_payload(&message).ok()),
                    None => Event::Lost,
                },
                _ = tick.tick() => Event::Tick,
            },
            None => {
                tick.tick().await;
                Event::Tick
            }
        };
        let Some(observer) = observer.upgrade() else {
            return;
        };
        match event {
            Event::Announced(Some(version)) => observer.observe_version(version),
            Event::Announced(None) | Event::Lost => messages = None,
            Event::Tick => {
                if messages.is_none() {
                    messages = subscribe(&client, &channel, timeout).await;
                }
                if let Some(version) = observer.shared_version().await {
                    observer.observe_version(version);
                }
            }
        }
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
    timeout: Duration,
) -> Option<redis::aio::PubSubStream> {
    let subscribed = tokio::time::timeout(timeout, async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, redis::RedisError>(pubsub.into_on_message())
    })
    .await;
    match subscribed {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "master-data cache: cannot subscribe yet");
            None
        }
        Err(_) => None,
    }
}
