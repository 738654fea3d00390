//! Following the log live: read in batches from a checkpoint, then wait.
//!
//! Appends wake subscribers early (directly in this process, by NOTIFY from
//! others), but a wake-up is only a hint: notifications are lost while the
//! listening connection is down, and an event may be readable only after an older
//! transaction ends. So a subscriber also polls at a fixed interval and never
//! depends on a wake-up arriving.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use crate::error::StoreError;
use crate::notify::NOTIFY_CHANNEL;
use crate::store::EventStore;
use crate::types::{Checkpoint, RecordedEvent};

/// First re-read delay after a wake-up found nothing new.
const AFTER_WAKE_UP: Duration = Duration::from_millis(10);

/// How a subscription reads and waits.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionOptions {
    /// Most events handed out at once.
    pub batch_size: usize,
    /// Longest wait between reads when no notification arrives.
    pub poll_interval: Duration,
}

impl Default for SubscriptionOptions {
    fn default() -> Self {
        Self { batch_size: 1000, poll_interval: Duration::from_millis(500) }
    }
}

/// Wake-ups on appends: in-process at once, from other processes by NOTIFY.
/// Only hints; whoever waits must also poll.
#[derive(Debug)]
pub struct Wakeups {
    remote: watch::Receiver<u64>,
    local: watch::Receiver<u64>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl Wakeups {
    /// Forgets wake-ups so far: call before reading, so that one arriving during
    /// the read still ends the next wait.
    pub fn mark_seen(&mut self) {
        self.remote.borrow_and_update();
        self.local.borrow_and_update();
    }

    /// Waits for a wake-up, at most `timeout`; true when woken.
    pub async fn wait(&mut self, timeout: Duration) -> bool {
        tokio::select! {
            _ = self.remote.changed() => true,
            _ = self.local.changed() => true,
            () = tokio::time::sleep(timeout) => false,
        }
    }
}

/// A reader that follows the log from a checkpoint.
#[derive(Debug)]
pub struct Subscription {
    store: EventStore,
    checkpoint: Checkpoint,
    options: SubscriptionOptions,
    wakeups: Wakeups,
}

impl EventStore {
    /// Wake-ups on appends. Opens one dedicated connection that LISTENs,
    /// reconnecting in the background when it drops.
    pub fn wakeups(&self) -> Wakeups {
        let (sender, remote) = watch::channel(0);
        let listener = tokio::spawn(listen(self.config().clone(), sender));
        Wakeups { remote, local: self.signal().local_wakeups(), listener }
    }

    /// Follows the log from `from` (exclusive).
    pub fn subscribe(&self, from: Checkpoint, options: SubscriptionOptions) -> Subscription {
        Subscription { store: self.clone(), checkpoint: from, options, wakeups: self.wakeups() }
    }
}

impl Subscription {
    /// Where the subscription stands: after the last event it handed out.
    pub fn checkpoint(&self) -> Checkpoint {
        self.checkpoint
    }

    /// The next non-empty batch, waiting as long as it takes.
    ///
    /// After a wake-up that finds nothing (the new events are behind a transaction
    /// still running elsewhere), it looks again soon, backing off from 10 ms up to
    /// the poll interval, rather than sleeping a whole interval.
    pub async fn next_batch(&mut self) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut wait = self.options.poll_interval;
        loop {
            self.wakeups.mark_seen();
            let batch = self.store.read_all(self.checkpoint, self.options.batch_size).await?;
            if let Some(last) = batch.last() {
                self.checkpoint = last.checkpoint();
                return Ok(batch);
            }
            // Woken: read again at once, then back off from AFTER_WAKE_UP.
            wait =
                if self.wakeups.wait(wait).await { AFTER_WAKE_UP } else { (wait * 2).min(self.options.poll_interval) };
        }
    }
}

/// Keeps a LISTEN connection open and bumps `sender` on every notification.
async fn listen(config: Config, sender: watch::Sender<u64>) {
    let mut backoff = Duration::from_millis(100);
    while !sender.is_closed() {
        match listen_once(&config, &sender).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(error) => {
                tracing::warn!(%error, "event notification listener lost its connection");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn listen_once(config: &Config, sender: &watch::Sender<u64>) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (messages_tx, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            let failed = message.is_err();
            if messages_tx.send(message).is_err() || failed {
                break;
            }
        }
    });
    client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}")).await?;
    // Anything appended while (re)connecting is found by the reader's next read.
    sender.send_modify(|n| *n = n.wrapping_add(1));
    let outcome = loop {
        tokio::select! {
            message = messages.recv() => match message {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    sender.send_modify(|n| *n = n.wrapping_add(1));
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => break Err(error),
                None => break Ok(()),
            },
            () = sender.closed() => break Ok(()),
        }
    };
    driver.abort();
    drop(client);
    outcome
}
