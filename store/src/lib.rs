//! The event store of DESIGN §2 on PostgreSQL.
//!
//! - [`EventStore::append`]: a batch in one statement, with an expected version
//!   (exact, no stream, any) and EventStoreDB's idempotent-retry rules.
//! - [`EventStore::read_stream`], [`EventStore::read_all`]: the log in the order
//!   readers can trust, `(tx_id, global_position)` below the oldest running
//!   transaction, so a late commit is never skipped.
//! - [`EventStore::subscribe`]: catch up, then follow live (wake-ups on append,
//!   NOTIFY across processes, plus polling).
//! - [`EventStore::verify`]: recompute the per-stream SHA-256 hash chains and
//!   check the latest seal; [`EventStore::seal`] fixes every stream's head.
//! - [`Upcasters`]: lift old schema versions on read.
//!
//! The table, its immutability trigger and the application role's grants are in
//! `migrations/sql/V1__event_store.sql`.

mod chain;
mod error;
mod notify;
mod pool;
mod seal;
mod store;
mod subscribe;
mod types;
mod upcast;
mod verify;

pub use chain::{CanonicalJsonError, HashedFields, canonical_json, event_hash};
pub use error::{DatabaseError, StoreError, error_chain, is_unavailable, pool_unavailable};
pub use notify::NOTIFY_CHANNEL;
pub use pool::{PoolBuildError, PoolSettings, build_pool};
pub use seal::{LogSeal, SEAL_EVENT_TYPE, SEAL_STREAM};
pub use store::EventStore;
pub use subscribe::{Subscription, SubscriptionOptions, Wakeups};
pub use types::{
    AppendOutcome, Checkpoint, EventFilter, ExpectedVersion, InvalidInput, MAX_EVENT_TYPE_BYTES, MAX_STREAM_ID_BYTES,
    NewEvent, RawJson, RecordedEvent, StreamBatch, StreamId,
};
pub use upcast::Upcasters;
pub use verify::{ChainBreak, ChainProblem, VerifyReport};

/// Re-exported so callers need not depend on the pool crate themselves.
pub use deadpool_postgres::Pool;
pub use tokio_postgres::Config;
