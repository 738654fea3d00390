//! Appends: validation, canonical JSON, hash chaining, optimistic concurrency
//! and the recognition of retries.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::chain::{HashedFields, canonical_json, event_hash};
use crate::error::StoreError;
use crate::types::InvalidInput;
use crate::types::{AppendOutcome, Checkpoint, ExpectedVersion, MAX_EVENT_TYPE_BYTES, NewEvent, StreamId};

use super::EventStore;
use super::sql::*;

/// How many times an append with [`ExpectedVersion::Any`] retries after losing a race.
const ANY_VERSION_ATTEMPTS: usize = 8;

/// An event made ready for the insert: validated and in canonical JSON.
struct PreparedEvent<'a> {
    source: &'a NewEvent,
    payload: String,
    metadata: String,
}

/// The insert's column arrays, filled stream by stream with chained hashes.
#[derive(Default)]
struct Columns<'a> {
    streams: Vec<&'a str>,
    versions: Vec<i64>,
    ids: Vec<Uuid>,
    types: Vec<&'a str>,
    schemas: Vec<i32>,
    payloads: Vec<&'a str>,
    metadata: Vec<&'a str>,
    prev_hashes: Vec<Option<[u8; 32]>>,
    hashes: Vec<[u8; 32]>,
}

impl<'a> Columns<'a> {
    /// Adds one stream's events after `version`, chaining from `head_hash`.
    fn push_stream(
        &mut self,
        stream_id: &'a str,
        version: u64,
        head_hash: Option<[u8; 32]>,
        events: &'a [PreparedEvent<'a>],
        recorded_at_micros: i64,
    ) {
        let mut prev = head_hash;
        for (offset, event) in events.iter().enumerate() {
            let stream_version = version + 1 + offset as u64;
            let hash = event_hash(
                prev.as_ref(),
                &HashedFields {
                    stream_id,
                    stream_version,
                    event_id: event.source.event_id,
                    event_type: &event.source.event_type,
                    schema_version: event.source.schema_version,
                    payload: &event.payload,
                    metadata: &event.metadata,
                    recorded_at_micros,
                },
            );
            self.streams.push(stream_id);
            self.versions.push(i64::try_from(stream_version).unwrap_or(i64::MAX));
            self.ids.push(event.source.event_id);
            self.types.push(event.source.event_type.as_str());
            self.schemas.push(event.source.schema_version);
            self.payloads.push(event.payload.as_str());
            self.metadata.push(event.metadata.as_str());
            self.prev_hashes.push(prev);
            self.hashes.push(hash);
            prev = Some(hash);
        }
    }

    /// The hashes as the driver takes them.
    /// The per-event columns after the stream's, as both inserts take them.
    fn arrays<'s>(&'s self, hashes: &'s HashParams<'_>) -> [&'s (dyn ToSql + Sync); 8] {
        [&self.versions, &self.ids, &self.types, &self.schemas, &self.payloads, &self.metadata, &hashes.0, &hashes.1]
    }

    fn hash_params(&self) -> HashParams<'_> {
        HashParams(
            self.prev_hashes.iter().map(|h| h.as_ref().map(<[u8; 32]>::as_slice)).collect(),
            self.hashes.iter().map(<[u8; 32]>::as_slice).collect(),
        )
    }
}

/// The previous and own hashes of a batch as the driver takes them.
struct HashParams<'a>(Vec<Option<&'a [u8]>>, Vec<&'a [u8]>);

/// Now, to the microsecond PostgreSQL keeps, so the hashed instant is the stored one.
fn recording_instant() -> (jiff::Timestamp, i64) {
    let now = jiff::Timestamp::now();
    let micros = now.as_microsecond();
    (jiff::Timestamp::from_microsecond(micros).unwrap_or(now), micros)
}

impl EventStore {
    /// Appends `events` to `stream_id` in one statement, if the stream is at the
    /// expected version.
    ///
    /// Retries follow EventStoreDB's rules: appending events whose ids are all
    /// already in the stream, in the same order, at the same expected version,
    /// succeeds without writing anything ([`AppendOutcome::already_written`]); a
    /// batch of which only some are written is a [`StoreError::PartialRetry`].
    pub async fn append(
        &self,
        stream_id: &StreamId,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendOutcome, StoreError> {
        let prepared = prepare_batch(events)?;
        let client = self.pool.get().await?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match append_prepared(&client, stream_id, expected, &prepared).await {
                Err(StoreError::WrongExpectedVersion { .. })
                    if expected == ExpectedVersion::Any && attempts < ANY_VERSION_ATTEMPTS =>
                {
                    continue;
                }
                Ok(outcome) => {
                    if !outcome.already_written {
                        self.signal.appended(&self.pool);
                    }
                    return Ok(outcome);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Appends inside the caller's transaction, so that other writes (a case code
    /// counter, say) commit or roll back with the events. The same rules as
    /// [`EventStore::append`], except that losing a race aborts the transaction:
    /// the caller rolls back and retries the whole unit of work. After committing,
    /// call [`EventStore::wake_subscribers`].
    pub async fn append_in(
        &self,
        transaction: &deadpool_postgres::Transaction<'_>,
        stream_id: &StreamId,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendOutcome, StoreError> {
        let prepared = prepare_batch(events)?;
        append_prepared(transaction, stream_id, expected, &prepared).await
    }

    /// Wakes subscribers after a transaction with [`EventStore::append_in`] committed.
    pub fn wake_subscribers(&self) {
        self.signal.appended(&self.pool);
    }

    /// Appends to many streams in one statement: all or nothing. Each stream's
    /// expected version is checked; a concurrent writer makes the whole call a
    /// [`StoreError::ConcurrentAppend`] (retry it). Meant for bulk work — imports,
    /// simulations — where one round trip per stream would dominate; unlike
    /// [`EventStore::append`] it does not recognise retries of earlier appends.
    pub async fn append_many(&self, batches: &[crate::types::StreamBatch]) -> Result<Vec<AppendOutcome>, StoreError> {
        let client = self.pool.get().await?;
        let outcomes = self.append_many_in(&client, batches).await?;
        self.signal.appended(&self.pool);
        Ok(outcomes)
    }

    /// [`EventStore::append_many`] inside the caller's transaction, so that other
    /// writes (case codes, applicants' keys) commit with the events. After
    /// committing, call [`EventStore::wake_subscribers`].
    pub async fn append_many_in(
        &self,
        client: &impl GenericClient,
        batches: &[crate::types::StreamBatch],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        let prepared: Vec<Vec<PreparedEvent<'_>>> =
            batches.iter().map(|b| prepare_batch(&b.events)).collect::<Result<_, _>>()?;
        let mut seen = std::collections::HashSet::with_capacity(batches.len());
        if let Some(twice) = batches.iter().find(|b| !seen.insert(b.stream_id.as_str())) {
            return Err(InvalidInput::StreamId {
                reason: format!("{} appears twice in one multi-stream append", twice.stream_id),
            }
            .into());
        }
        let ids: Vec<&str> = batches.iter().map(|b| b.stream_id.as_str()).collect();
        let statement = client.prepare_cached(SELECT_HEADS).await?;
        let mut heads: HashMap<String, (u64, Option<[u8; 32]>)> = HashMap::with_capacity(ids.len());
        for row in client.query(&statement, &[&ids]).await? {
            let version: Option<i64> = row.try_get(1)?;
            let hash: Option<&[u8]> = row.try_get(2)?;
            heads.insert(
                row.try_get(0)?,
                (
                    version.and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
                    hash.and_then(|h| <[u8; 32]>::try_from(h).ok()),
                ),
            );
        }
        let (recorded_at, recorded_at_micros) = recording_instant();
        let mut columns = Columns::default();
        let mut last_versions = Vec::with_capacity(batches.len());
        for (batch, events) in batches.iter().zip(&prepared) {
            let (version, head_hash) = heads.get(batch.stream_id.as_str()).copied().unwrap_or((0, None));
            if let Some(required) = batch.expected.required()
                && version != required
            {
                return Err(StoreError::WrongExpectedVersion {
                    stream_id: batch.stream_id.to_string(),
                    expected: batch.expected,
                    actual: version,
                });
            }
            columns.push_stream(batch.stream_id.as_str(), version, head_hash, events, recorded_at_micros);
            last_versions.push(version + events.len() as u64);
        }
        let hashes = columns.hash_params();
        let statement = client.prepare_cached(INSERT_MANY).await?;
        let rows = match client
            .query(
                &statement,
                &[&[&recorded_at as &(dyn ToSql + Sync), &columns.streams][..], &columns.arrays(&hashes)].concat(),
            )
            .await
        {
            Ok(rows) => rows,
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                return Err(StoreError::ConcurrentAppend { streams: batches.len() });
            }
            Err(error) => return Err(error.into()),
        };
        // RETURNING follows the insert's order, which the ORDER BY fixed.
        let mut positions = rows
            .iter()
            .map(|row| -> Result<(i64, i64), tokio_postgres::Error> { Ok((row.try_get(0)?, row.try_get(1)?)) });
        let mut outcomes = Vec::with_capacity(batches.len());
        for (events, stream_version) in prepared.iter().zip(last_versions) {
            let mut global_positions = Vec::with_capacity(events.len());
            let mut checkpoint = Checkpoint::START;
            for _ in events {
                if let Some(position) = positions.next() {
                    let (position, tx_id) = position?;
                    global_positions.push(position);
                    checkpoint = Checkpoint { tx_id, global_position: position };
                }
            }
            outcomes.push(AppendOutcome { stream_version, global_positions, checkpoint, already_written: false });
        }
        Ok(outcomes)
    }
}

fn prepare_batch(events: &[NewEvent]) -> Result<Vec<PreparedEvent<'_>>, InvalidInput> {
    if events.is_empty() {
        return Err(InvalidInput::EmptyBatch);
    }
    let mut seen = std::collections::HashSet::with_capacity(events.len());
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let invalid = |reason: String| InvalidInput::Event { index, reason };
            if !seen.insert(event.event_id) {
                return Err(invalid(format!("event id {} appears twice in the batch", event.event_id)));
            }
            if event.event_type.is_empty() || event.event_type.len() > MAX_EVENT_TYPE_BYTES {
                return Err(invalid(format!("event type must be 1 to {MAX_EVENT_TYPE_BYTES} bytes")));
            }
            if event.event_type.chars().any(char::is_control) {
                return Err(invalid("event type contains a control character".into()));
            }
            if event.schema_version < 1 {
                return Err(invalid("schema version must be at least 1".into()));
            }
            if !event.payload.is_object() {
                return Err(invalid("payload must be a JSON object".into()));
            }
            if !event.metadata.is_object() {
                return Err(invalid("metadata must be a JSON object".into()));
            }
            let payload = canonical_json(&event.payload).map_err(|e| invalid(format!("payload: {e}")))?;
            let metadata = canonical_json(&event.metadata).map_err(|e| invalid(format!("metadata: {e}")))?;
            Ok(PreparedEvent { source: event, payload, metadata })
        })
        .collect()
}

/// One attempt: read the head, check the expected version, insert the batch.
async fn append_prepared(
    client: &impl GenericClient,
    stream_id: &StreamId,
    expected: ExpectedVersion,
    prepared: &[PreparedEvent<'_>],
) -> Result<AppendOutcome, StoreError> {
    let (version, head_hash) = head(client, stream_id).await?;
    if let Some(required) = expected.required()
        && version != required
    {
        return resolve_conflict(client, stream_id, expected, prepared, version).await;
    }
    match insert_batch(client, stream_id, version, head_hash, prepared).await {
        Ok((global_positions, tx_id)) => Ok(AppendOutcome {
            stream_version: version + prepared.len() as u64,
            checkpoint: Checkpoint { tx_id, global_position: global_positions.last().copied().unwrap_or(0) },
            global_positions,
            already_written: false,
        }),
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            // Lost a race to another writer, or the events are already there.
            // Inside a transaction nothing more can be asked: it is aborted.
            match head(client, stream_id).await {
                Ok((actual, _)) => resolve_conflict(client, stream_id, expected, prepared, actual).await,
                Err(_) => Err(StoreError::WrongExpectedVersion {
                    stream_id: stream_id.to_string(),
                    expected,
                    actual: version + 1,
                }),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// The stream's last version and hash; `(0, None)` for a stream with no events.
pub(super) async fn head(
    client: &impl GenericClient,
    stream_id: &StreamId,
) -> Result<(u64, Option<[u8; 32]>), StoreError> {
    let statement = client.prepare_cached(SELECT_HEAD).await?;
    let Some(row) = client.query_opt(&statement, &[&stream_id.as_str()]).await? else {
        return Ok((0, None));
    };
    let version: i64 = row.try_get(0)?;
    let hash: &[u8] = row.try_get(1)?;
    let malformed =
        || StoreError::Malformed { global_position: 0, reason: format!("head of stream {stream_id} is malformed") };
    Ok((u64::try_from(version).map_err(|_| malformed())?, Some(<[u8; 32]>::try_from(hash).map_err(|_| malformed())?)))
}

/// Inserts the batch after `version`, chaining hashes from `head_hash`.
async fn insert_batch(
    client: &impl GenericClient,
    stream_id: &StreamId,
    version: u64,
    head_hash: Option<[u8; 32]>,
    events: &[PreparedEvent<'_>],
) -> Result<(Vec<i64>, i64), tokio_postgres::Error> {
    let (recorded_at, recorded_at_micros) = recording_instant();
    let mut columns = Columns::default();
    columns.push_stream(stream_id.as_str(), version, head_hash, events, recorded_at_micros);
    let hashes = columns.hash_params();

    let statement = client.prepare_cached(INSERT_BATCH).await?;
    let rows = client
        .query(
            &statement,
            &[&[&stream_id.as_str() as &(dyn ToSql + Sync), &recorded_at][..], &columns.arrays(&hashes)].concat(),
        )
        .await?;
    let mut positions: Vec<(i64, i64)> =
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect::<Result<_, tokio_postgres::Error>>()?;
    positions.sort_unstable();
    // One statement, one transaction: every row has the same tx_id.
    let tx_id = match rows.first() {
        Some(row) => row.try_get(2)?,
        None => 0,
    };
    Ok((positions.into_iter().map(|(_, position)| position).collect(), tx_id))
}

/// Decides, after the stream was not at the expected version or the insert hit a
/// unique constraint, whether this is an idempotent retry or a real conflict.
async fn resolve_conflict(
    client: &impl GenericClient,
    stream_id: &StreamId,
    expected: ExpectedVersion,
    events: &[PreparedEvent<'_>],
    actual: u64,
) -> Result<AppendOutcome, StoreError> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.source.event_id).collect();
    let statement = client.prepare_cached(SELECT_BY_IDS).await?;
    let rows = client.query(&statement, &[&ids]).await?;
    let wrong_version = || StoreError::WrongExpectedVersion { stream_id: stream_id.to_string(), expected, actual };
    if rows.is_empty() {
        return Err(wrong_version());
    }
    let mut found: HashMap<Uuid, (String, u64, i64, i64)> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let version: i64 = row.try_get(2)?;
        found.insert(
            row.try_get(0)?,
            (row.try_get(1)?, u64::try_from(version).unwrap_or(0), row.try_get(3)?, row.try_get(4)?),
        );
    }
    // An id used in another stream can never be a retry of this append.
    for id in &ids {
        if let Some((other_stream, version, _, _)) = found.get(id)
            && other_stream != stream_id.as_str()
        {
            return Err(StoreError::DuplicateEventId {
                event_id: *id,
                stream_id: other_stream.clone(),
                stream_version: *version,
            });
        }
    }
    if found.len() < ids.len() {
        return Err(StoreError::PartialRetry {
            stream_id: stream_id.to_string(),
            already_written: found.len(),
            batch_size: ids.len(),
        });
    }
    // Every id is in this stream: a retry only if they sit in batch order, right
    // after the version the writer expected.
    let first_version = found.get(&ids[0]).map_or(0, |f| f.1);
    let mut positions = Vec::with_capacity(ids.len());
    let mut checkpoint = Checkpoint::START;
    for (offset, id) in ids.iter().enumerate() {
        let Some((_, version, position, tx_id)) = found.get(id) else {
            return Err(wrong_version());
        };
        checkpoint = checkpoint.max(Checkpoint { tx_id: *tx_id, global_position: *position });
        if *version != first_version + offset as u64 {
            return Err(StoreError::DuplicateEventId {
                event_id: *id,
                stream_id: stream_id.to_string(),
                stream_version: *version,
            });
        }
        positions.push(*position);
    }
    if let Some(required) = expected.required()
        && first_version != required + 1
    {
        return Err(wrong_version());
    }
    Ok(AppendOutcome {
        stream_version: first_version + ids.len() as u64 - 1,
        global_positions: positions,
        checkpoint,
        already_written: true,
    })
}
