//! The event store proper: append with optimistic concurrency and idempotent
//! retries, read a stream, read the whole log in commit-safe order. The SQL is
//! in [`sql`], appends in [`append`], reads in [`read`], and how a stored row
//! becomes a [`RecordedEvent`] in [`rows`].

mod append;
mod read;
mod rows;
mod sql;

pub(crate) use rows::event_from_row;
pub(crate) use sql::event_columns;

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio_postgres::Config;

use crate::notify::AppendSignal;
use crate::upcast::Upcasters;

/// The event store on PostgreSQL. Cheap to clone: clones share the pool.
#[derive(Clone, Debug)]
pub struct EventStore {
    pool: Pool,
    /// For the dedicated LISTEN connection of subscriptions.
    config: Config,
    upcasters: Arc<Upcasters>,
    signal: Arc<AppendSignal>,
}

impl EventStore {
    /// A store over `pool`; `config` is used for the subscriptions' LISTEN connection
    /// and must reach the same database.
    pub fn new(pool: Pool, config: Config) -> Self {
        Self { pool, config, upcasters: Arc::new(Upcasters::default()), signal: AppendSignal::new() }
    }

    /// Lifts old schema versions on every read.
    pub fn with_upcasters(mut self, upcasters: Upcasters) -> Self {
        self.upcasters = Arc::new(upcasters);
        self
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// How this store connects (to open other connections to the same database).
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn signal(&self) -> &AppendSignal {
        &self.signal
    }
}
