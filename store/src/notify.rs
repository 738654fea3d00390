//! Telling readers that something was appended.
//!
//! Readers in this process are woken directly. Readers elsewhere get a
//! `NOTIFY onestop_events`, sent after the append has committed by one background
//! task per store: while a notification is being sent, further appends only mark
//! one more as due, so a burst of appends costs one or two notifications. Either
//! way the wake-up is only a hint; readers also poll.

use std::sync::{Arc, OnceLock};

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, watch};

/// The channel subscribers LISTEN on.
pub const NOTIFY_CHANNEL: &str = "onestop_events";

#[derive(Debug)]
pub(crate) struct AppendSignal {
    /// Bumped on every append by this process.
    local: watch::Sender<u64>,
    /// Wakes the task that sends NOTIFY; started on first use, inside a runtime.
    remote: OnceLock<mpsc::Sender<()>>,
}

impl AppendSignal {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { local: watch::channel(0).0, remote: OnceLock::new() })
    }

    /// Called after an append committed.
    pub(crate) fn appended(&self, pool: &Pool) {
        self.local.send_modify(|n| *n = n.wrapping_add(1));
        let remote = self.remote.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(1);
            tokio::spawn(send_notifications(pool.clone(), receiver));
            sender
        });
        // Full means a notification is already due: this append rides along.
        let _ = remote.try_send(());
    }

    /// Wake-ups for appends made through this store (and its clones).
    pub(crate) fn local_wakeups(&self) -> watch::Receiver<u64> {
        self.local.subscribe()
    }
}

async fn send_notifications(pool: Pool, mut due: mpsc::Receiver<()>) {
    let statement = format!("NOTIFY {NOTIFY_CHANNEL}");
    while due.recv().await.is_some() {
        let sent = match pool.get().await {
            Ok(client) => client.batch_execute(&statement).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = sent {
            // Readers poll, so a lost notification only delays them.
            tracing::debug!(%error, "could not send the append notification");
        }
    }
}
