//! The values that go into and come out of the event store.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Input the store refuses before touching the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    #[error("nothing to append: the batch is empty")]
    EmptyBatch,
    #[error("invalid stream id: it {reason}")]
    StreamId { reason: String },
    #[error("event {index} of the batch is invalid: {reason}")]
    Event { index: usize, reason: String },
}

/// Longest stream id accepted, in bytes (the table's check says the same).
pub const MAX_STREAM_ID_BYTES: usize = 200;
/// Longest event type accepted, in bytes.
pub const MAX_EVENT_TYPE_BYTES: usize = 200;

/// Names one stream: `case-<uuid>`, `unit-<code>`, `procedure-<code>`,
/// `calendar-<year>`, `user-<uuid>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(String);

impl StreamId {
    /// Checks that `id` is 1 to 200 bytes of text without control characters.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidInput> {
        let id = id.into();
        if id.is_empty() {
            return Err(InvalidInput::StreamId { reason: "is empty".into() });
        }
        if id.len() > MAX_STREAM_ID_BYTES {
            return Err(InvalidInput::StreamId {
                reason: format!("is {} bytes long; at most {MAX_STREAM_ID_BYTES} are allowed", id.len()),
            });
        }
        if id.chars().any(char::is_control) {
            return Err(InvalidInput::StreamId { reason: "contains a control character".into() });
        }
        Ok(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StreamId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What the writer believes the stream's version to be before its append.
///
/// Stream versions count events: a stream's first event is version 1, so a stream
/// at version 0 has no events. `Exact(0)` therefore means the same as `NoStream`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the version is (still idempotent on retries).
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must be this version.
    Exact(u64),
}

impl ExpectedVersion {
    /// The version the stream must be at, if one is required.
    pub fn required(self) -> Option<u64> {
        match self {
            Self::Any => None,
            Self::NoStream => Some(0),
            Self::Exact(version) => Some(version),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::NoStream => f.write_str("no stream"),
            Self::Exact(version) => write!(f, "{version}"),
        }
    }
}

/// An event to append. Payload and metadata must be JSON objects.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// Chosen by the writer, so that a retry of the same append is recognised.
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
    /// Actor, command, correlation and causation ids, client address, request id.
    pub metadata: Value,
}

impl NewEvent {
    /// An event with a fresh time-ordered id, schema version 1 and empty metadata.
    pub fn new(event_type: impl Into<String>, payload: Value) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            payload,
            metadata: Value::Object(serde_json::Map::new()),
        }
    }

    pub fn with_id(mut self, event_id: Uuid) -> Self {
        self.event_id = event_id;
        self
    }

    pub fn with_schema_version(mut self, schema_version: i32) -> Self {
        self.schema_version = schema_version;
        self
    }

    pub fn with_metadata(mut self, metadata: Value) -> Self {
        self.metadata = metadata;
        self
    }
}

/// A position in the global order of the log: events are read ordered by the
/// writing transaction's id, then by `global_position`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    pub tx_id: i64,
    pub global_position: i64,
}

impl Checkpoint {
    /// Before the first event.
    pub const START: Self = Self { tx_id: 0, global_position: 0 };
}

/// JSON exactly as stored, parsed only when asked: bulk readers (projections,
/// exports) then pay for decoding just the events they use, straight into their
/// own types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawJson(pub(crate) String);

impl RawJson {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Decodes into a typed value.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// Decodes into a generic JSON value.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// An event as it is in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    pub global_position: i64,
    pub tx_id: i64,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    /// After upcasting: the version `payload` is in.
    pub schema_version: i32,
    pub payload: RawJson,
    pub metadata: RawJson,
    pub recorded_at: jiff::Timestamp,
    pub prev_hash: Option<[u8; 32]>,
    pub hash: [u8; 32],
}

/// Which events an export reads; every field left `None` selects everything.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Streams whose id starts with this, e.g. `case-` or `procedure-`.
    pub stream_prefix: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// Recorded at or after this instant.
    pub recorded_from: Option<jiff::Timestamp>,
    /// Recorded before this instant.
    pub recorded_before: Option<jiff::Timestamp>,
}

impl RecordedEvent {
    /// Where a reader that has handled this event resumes from.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { tx_id: self.tx_id, global_position: self.global_position }
    }
}

/// The result of a successful append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's version after the append: its last event's version.
    pub stream_version: u64,
    /// Global positions of the batch's events, in batch order.
    pub global_positions: Vec<i64>,
    /// Where the batch's last event stands in the global order: a reader whose
    /// checkpoint has reached this has seen the whole batch.
    pub checkpoint: Checkpoint,
    /// True when every event was already in the log (an idempotent retry) and
    /// nothing was written.
    pub already_written: bool,
}

/// One stream's part of a multi-stream append.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamBatch {
    pub stream_id: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}
