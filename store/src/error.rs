//! Errors of the event store. A caller's mistake or a concurrency conflict is a
//! distinct variant with the facts in it; a failing database is [`StoreError::Database`].

use uuid::Uuid;

use crate::types::{ExpectedVersion, InvalidInput};

/// The database could not be reached or failed.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("no database connection available")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database query failed")]
    Query(#[from] tokio_postgres::Error),
}

/// Whether a query failed because the database was, for the moment, not there
/// to answer: the connection closed, the server shutting down or restarting,
/// out of connections, or a statement cancelled by `statement_timeout`. Such a
/// request may succeed if retried shortly (HTTP 503 with `Retry-After`), unlike
/// a failure of the query itself.
pub fn is_unavailable(error: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    if error.is_closed() {
        return true;
    }
    error.code().is_some_and(|code| {
        let class = &code.code()[..2];
        // 08: connection exception (but a protocol violation is a fault);
        // 53: insufficient resources; 57P0x: the server is shutting down,
        // crashed or starting up.
        (class == "08" && *code != SqlState::PROTOCOL_VIOLATION)
            || class == "53"
            || code.code().starts_with("57P0")
            || *code == SqlState::QUERY_CANCELED
    })
}

/// Whether a pool could hand out no connection in time, or could not open one
/// (whatever the server said: refusing connections is being unavailable).
pub fn pool_unavailable(error: &deadpool_postgres::PoolError) -> bool {
    matches!(error, deadpool_postgres::PoolError::Timeout(_) | deadpool_postgres::PoolError::Backend(_))
}

impl DatabaseError {
    /// See [`is_unavailable`].
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Pool(pool) => pool_unavailable(pool),
            Self::Query(query) => is_unavailable(query),
        }
    }
}

/// Why an operation on the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] InvalidInput),

    /// Someone else appended first (or the stream is not where the writer thought).
    #[error("wrong expected version for stream {stream_id}: expected {expected}, actual {actual}")]
    WrongExpectedVersion { stream_id: String, expected: ExpectedVersion, actual: u64 },

    /// A retry whose batch was only partly written before: not the same append.
    #[error(
        "stream {stream_id}: {already_written} of the {batch_size} events of this batch are \
         already in the log, so it is neither a new append nor a retry of one"
    )]
    PartialRetry { stream_id: String, already_written: usize, batch_size: usize },

    /// An event id is taken by an event of another stream or another position.
    #[error("event id {event_id} is already used by event {stream_version} of stream {stream_id}")]
    DuplicateEventId { event_id: Uuid, stream_id: String, stream_version: u64 },

    /// An old schema version could not be lifted to the current one.
    #[error("cannot upcast {event_type} from schema version {schema_version}: {reason}")]
    Upcast { event_type: String, schema_version: i32, reason: String },

    /// A stored row does not have the shape the store writes.
    #[error("malformed stored event at global position {global_position}: {reason}")]
    Malformed { global_position: i64, reason: String },

    /// Another writer appended to one of the streams of a multi-stream append.
    #[error("another writer appended to one of these {streams} streams meanwhile; nothing was written")]
    ConcurrentAppend { streams: usize },

    /// A seal needs at least one event every reader can see.
    #[error("the log has no events to seal yet")]
    NothingToSeal,

    #[error(transparent)]
    Database(#[from] DatabaseError),
}

impl StoreError {
    /// True for the concurrency conflicts a writer may resolve by re-reading and retrying.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::WrongExpectedVersion { .. } | Self::PartialRetry { .. } | Self::ConcurrentAppend { .. })
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(DatabaseError::Query(error))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(DatabaseError::Pool(error))
    }
}

/// An error and its causes on one line, for logs and command-line messages.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
