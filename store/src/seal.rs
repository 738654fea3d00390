//! Seals: a hash over every stream's head, up to a point of the global order,
//! appended as an event of the stream `seal`.
//!
//! The per-stream chains show that no event was altered in place, but someone
//! able to write the table could rewrite a whole stream and recompute its hashes.
//! A seal fixes every head as of its point: an auditor who kept a seal's digest
//! can later recompute it from the log and so prove that history up to that point
//! was only ever appended to.

use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::store::EventStore;
use crate::types::{Checkpoint, ExpectedVersion, NewEvent, StreamId};

/// The stream seals are appended to.
pub const SEAL_STREAM: &str = "seal";
/// The event type of a seal.
pub const SEAL_EVENT_TYPE: &str = "LogSealed";

/// What a seal event says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSeal {
    /// The seal covers every event at or before this point of the global order.
    pub up_to: Checkpoint,
    /// Streams and events covered.
    pub streams: u64,
    pub events: u64,
    /// SHA-256 over the heads of all streams, in stream id byte order, hex.
    pub heads_digest: String,
}

const SELECT_HEADS: &str = "SELECT stream_id, max(stream_version), count(*) FROM events \
     WHERE (tx_id, global_position) <= (($1::bigint)::text::xid8, $2) \
     GROUP BY stream_id";

const SELECT_HEAD_HASHES: &str = "SELECT e.stream_id, e.hash \
     FROM unnest($1::text[], $2::bigint[]) AS h(stream_id, stream_version) \
     JOIN events e USING (stream_id, stream_version)";

impl EventStore {
    /// Seals the log up to what every reader can see now, and appends the seal.
    pub async fn seal(&self) -> Result<LogSeal, StoreError> {
        let up_to = self.horizon().await?.ok_or(StoreError::NothingToSeal)?;
        let client = self.pool().get().await?;
        let seal = compute_seal(&client, up_to).await?;
        drop(client);
        let payload = serde_json::to_value(&seal)
            .map_err(|e| StoreError::Malformed { global_position: up_to.global_position, reason: e.to_string() })?;
        let stream = StreamId::new(SEAL_STREAM)?;
        self.append(&stream, ExpectedVersion::Any, &[NewEvent::new(SEAL_EVENT_TYPE, payload)]).await?;
        Ok(seal)
    }

    /// Recomputes the seal at `seal.up_to` from the log as it is now: equal to the
    /// given one exactly when history up to that point is unchanged.
    pub async fn recompute_seal(&self, up_to: Checkpoint) -> Result<LogSeal, StoreError> {
        let client = self.pool().get().await?;
        compute_seal(&client, up_to).await
    }

    /// Every seal in the log, oldest first.
    pub async fn seals(&self) -> Result<Vec<LogSeal>, StoreError> {
        let stream = StreamId::new(SEAL_STREAM)?;
        self.read_stream_all(&stream)
            .await?
            .iter()
            .filter(|e| e.event_type == SEAL_EVENT_TYPE)
            .map(|e| {
                e.payload.decode().map_err(|error| StoreError::Malformed {
                    global_position: e.global_position,
                    reason: format!("unreadable seal: {error}"),
                })
            })
            .collect()
    }
}

async fn compute_seal(client: &impl GenericClient, up_to: Checkpoint) -> Result<LogSeal, StoreError> {
    let rows = client.query(SELECT_HEADS, &[&up_to.tx_id, &up_to.global_position]).await?;
    let mut heads: Vec<(String, i64)> = Vec::with_capacity(rows.len());
    let mut events = 0_u64;
    for row in &rows {
        heads.push((row.try_get(0)?, row.try_get(1)?));
        events += u64::try_from(row.try_get::<_, i64>(2)?).unwrap_or(0);
    }
    let (ids, versions): (Vec<&str>, Vec<i64>) = heads.iter().map(|(s, v)| (s.as_str(), *v)).unzip();
    let hash_rows = client.query(SELECT_HEAD_HASHES, &[&ids, &versions]).await?;
    let mut hashes: Vec<(String, Vec<u8>)> = hash_rows
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, tokio_postgres::Error>>()?;
    // Byte order, independent of the database's collation.
    hashes.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let versions: std::collections::HashMap<&str, i64> = heads.iter().map(|(s, v)| (s.as_str(), *v)).collect();

    let mut digest = Sha256::new();
    for (stream_id, hash) in &hashes {
        let version = versions.get(stream_id.as_str()).copied().unwrap_or(0);
        digest.update((stream_id.len() as u32).to_be_bytes());
        digest.update(stream_id.as_bytes());
        digest.update(version.to_be_bytes());
        digest.update(hash);
    }
    Ok(LogSeal { up_to, streams: hashes.len() as u64, events, heads_digest: hex::encode(digest.finalize()) })
}
