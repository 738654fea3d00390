//! The event store proper: append with optimistic concurrency and idempotent
//! retries, read a stream, read the whole log in commit-safe order.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool};
use futures_util::TryStreamExt;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{Config, Row};
use uuid::Uuid;

use crate::chain::{HashedFields, canonical_json, event_hash};
use crate::error::StoreError;
use crate::notify::AppendSignal;
use crate::types::InvalidInput;
use crate::types::{
    AppendOutcome, Checkpoint, ExpectedVersion, MAX_EVENT_TYPE_BYTES, NewEvent, RawJson,
    RecordedEvent, StreamId,
};
use crate::upcast::Upcasters;

/// The columns of [`RecordedEvent`], in the order `event_from_row` reads them.
macro_rules! event_columns {
    () => {
        "global_position, tx_id, stream_id, stream_version, event_id, \
         event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash"
    };
}
pub(crate) use event_columns;

const SELECT_HEAD: &str = "SELECT stream_version, hash FROM events \
     WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1";

const INSERT_BATCH: &str = "INSERT INTO events (stream_id, stream_version, event_id, \
     event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash) \
     SELECT $1, e.stream_version, e.event_id, e.event_type, e.schema_version, \
            e.payload::json, e.metadata::json, $2, e.prev_hash, e.hash \
     FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::int4[], $7::text[], $8::text[], \
                 $9::bytea[], $10::bytea[]) \
          WITH ORDINALITY AS e(stream_version, event_id, event_type, schema_version, \
                               payload, metadata, prev_hash, hash, n) \
     ORDER BY e.n \
     RETURNING stream_version, global_position, tx_id::text::bigint";

const INSERT_MANY: &str = "INSERT INTO events (stream_id, stream_version, event_id, \
     event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash) \
     SELECT e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, \
            e.payload::json, e.metadata::json, $1, e.prev_hash, e.hash \
     FROM unnest($2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::int4[], $7::text[], \
                 $8::text[], $9::bytea[], $10::bytea[]) \
          WITH ORDINALITY AS e(stream_id, stream_version, event_id, event_type, schema_version, \
                               payload, metadata, prev_hash, hash, n) \
     ORDER BY e.n \
     RETURNING global_position, tx_id::text::bigint";

// Each stream's head through its index, one probe per stream.
const SELECT_HEADS: &str = "SELECT s.stream_id, h.stream_version, h.hash \
     FROM unnest($1::text[]) AS s(stream_id) \
     LEFT JOIN LATERAL (SELECT stream_version, hash FROM events e \
                        WHERE e.stream_id = s.stream_id \
                        ORDER BY stream_version DESC LIMIT 1) h ON true";

const SELECT_BY_IDS: &str = "SELECT event_id, stream_id, stream_version, global_position, \
            tx_id::text::bigint \
     FROM events WHERE event_id = ANY($1)";

const SELECT_STREAM: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE stream_id = $1 AND stream_version > $2 \
     ORDER BY stream_version LIMIT $3"
);

// Only events of transactions older than every transaction still running are
// read: one that took an earlier position but commits late is then never skipped,
// because the reader stops before it until it has committed or aborted.
const SELECT_ALL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events \
     WHERE (tx_id, global_position) > (($1::bigint)::text::xid8, $2) \
       AND tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) \
     ORDER BY tx_id, global_position LIMIT $3"
);

// The ORDER BY names the table's columns: a bare `tx_id` would name the cast in
// the select list (PostgreSQL calls it `tx_id` too) and sort the whole log.
const SELECT_HORIZON: &str = "SELECT tx_id::text::bigint, global_position FROM events \
     WHERE tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) \
     ORDER BY events.tx_id DESC, events.global_position DESC LIMIT 1";

const SELECT_FILTERED: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events \
     WHERE (tx_id, global_position) > (($1::bigint)::text::xid8, $2) \
       AND tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) \
       AND ($3::text IS NULL OR starts_with(stream_id, $3)) \
       AND ($4::text[] IS NULL OR event_type = ANY($4)) \
       AND ($5::timestamptz IS NULL OR recorded_at >= $5) \
       AND ($6::timestamptz IS NULL OR recorded_at < $6) \
     ORDER BY tx_id, global_position LIMIT $7"
);

const SELECT_LAST: &str = "SELECT tx_id::text::bigint, global_position FROM events \
     ORDER BY events.tx_id DESC, events.global_position DESC LIMIT 1";

/// Events of some types after a checkpoint, in log order; `$tail` is appended
/// to the text (a comment, to keep two uses' cached plans apart).
macro_rules! select_types {
    ($($tail:literal)?) => {
        concat!(
            "SELECT ",
            event_columns!(),
            " FROM events \
             WHERE event_type = ANY($1) \
               AND (tx_id, global_position) > (($2::bigint)::text::xid8, $3) \
               AND tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) \
             ORDER BY tx_id, global_position LIMIT $4"
            $(, $tail)?
        )
    };
}

const SELECT_TYPES: &str = select_types!();

/// Events of some types that happened in a period (by their payload's `at`,
/// the time the rules saw), optionally of one stream, after a position: for
/// audit queries over small record kinds (sign-ins).
const SELECT_TYPES_BETWEEN: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE event_type = ANY($1) AND global_position > $2 \
     AND (payload->>'at')::timestamptz >= $3 AND (payload->>'at')::timestamptz < $4 \
     AND ($5::text IS NULL OR stream_id = $5) \
     ORDER BY global_position LIMIT $6"
);

/// [`SELECT_TYPES`] under another text, so that its cached plan (made with the
/// settings [`EventStore::scan_types`] sets) is not shared with `read_types`'s.
const SCAN_TYPES: &str = select_types!(" /* walked in commit order */");

/// Starts a read-only transaction in which a read in log order walks the
/// commit-order index, each read planned for its own arguments. For a large
/// batch the planner would otherwise sort the rest of the log (in parallel,
/// spilling to disk), which costs more the longer the log grows.
async fn walk_in_commit_order(
    client: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    let transaction = client.build_transaction().read_only(true).start().await?;
    transaction
        .batch_execute(
            "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; \
             SET LOCAL max_parallel_workers_per_gather = 0; \
             SET LOCAL plan_cache_mode = force_custom_plan",
        )
        .await?;
    Ok(transaction)
}

/// How many times an append with [`ExpectedVersion::Any`] retries after losing a race.
const ANY_VERSION_ATTEMPTS: usize = 8;

/// The event store on PostgreSQL. Cheap to clone: clones share the pool.
#[derive(Clone, Debug)]
pub struct EventStore {
    pool: Pool,
    /// For the dedicated LISTEN connection of subscriptions.
    config: Config,
    upcasters: Arc<Upcasters>,
    signal: Arc<AppendSignal>,
}

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
            self.versions
                .push(i64::try_from(stream_version).unwrap_or(i64::MAX));
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
    fn hash_params(&self) -> (Vec<Option<&[u8]>>, Vec<&[u8]>) {
        (
            self.prev_hashes
                .iter()
                .map(|h| h.as_ref().map(|h| h.as_slice()))
                .collect(),
            self.hashes.iter().map(|h| h.as_slice()).collect(),
        )
    }
}

/// Now, to the microsecond PostgreSQL keeps, so the hashed instant is the stored one.
fn recording_instant() -> (jiff::Timestamp, i64) {
    let now = jiff::Timestamp::now();
    let micros = now.as_microsecond();
    (
        jiff::Timestamp::from_microsecond(micros).unwrap_or(now),
        micros,
    )
}

impl EventStore {
    /// A store over `pool`; `config` is used for the subscriptions' LISTEN connection
    /// and must reach the same database.
    pub fn new(pool: Pool, config: Config) -> Self {
        Self {
            pool,
            config,
            upcasters: Arc::new(Upcasters::default()),
            signal: AppendSignal::new(),
        }
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
    pub async fn append_many(
        &self,
        batches: &[crate::types::StreamBatch],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
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
        let prepared: Vec<Vec<PreparedEvent<'_>>> = batches
            .iter()
            .map(|b| prepare_batch(&b.events))
            .collect::<Result<_, _>>()?;
        let mut seen = std::collections::HashSet::with_capacity(batches.len());
        if let Some(twice) = batches.iter().find(|b| !seen.insert(b.stream_id.as_str())) {
            return Err(InvalidInput::StreamId {
                reason: format!(
                    "{} appears twice in one multi-stream append",
                    twice.stream_id
                ),
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
            let (version, head_hash) = heads
                .get(batch.stream_id.as_str())
                .copied()
                .unwrap_or((0, None));
            if let Some(required) = batch.expected.required()
                && version != required
            {
                return Err(StoreError::WrongExpectedVersion {
                    stream_id: batch.stream_id.to_string(),
                    expected: batch.expected,
                    actual: version,
                });
            }
            columns.push_stream(
                batch.stream_id.as_str(),
                version,
                head_hash,
                events,
                recorded_at_micros,
            );
            last_versions.push(version + events.len() as u64);
        }
        let (prev_hashes, hashes) = columns.hash_params();
        let statement = client.prepare_cached(INSERT_MANY).await?;
        let rows = match client
            .query(
                &statement,
                &[
                    &recorded_at,
                    &columns.streams,
                    &columns.versions,
                    &columns.ids,
                    &columns.types,
                    &columns.schemas,
                    &columns.payloads,
                    &columns.metadata,
                    &prev_hashes,
                    &hashes,
                ],
            )
            .await
        {
            Ok(rows) => rows,
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                return Err(StoreError::ConcurrentAppend {
                    streams: batches.len(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        // RETURNING follows the insert's order, which the ORDER BY fixed.
        let mut positions = rows
            .iter()
            .map(|row| -> Result<(i64, i64), tokio_postgres::Error> {
                Ok((row.try_get(0)?, row.try_get(1)?))
            });
        let mut outcomes = Vec::with_capacity(batches.len());
        for (events, stream_version) in prepared.iter().zip(last_versions) {
            let mut global_positions = Vec::with_capacity(events.len());
            let mut checkpoint = Checkpoint::START;
            for _ in events {
                if let Some(position) = positions.next() {
                    let (position, tx_id) = position?;
                    global_positions.push(position);
                    checkpoint = Checkpoint {
                        tx_id,
                        global_position: position,
                    };
                }
            }
            outcomes.push(AppendOutcome {
                stream_version,
                global_positions,
                checkpoint,
                already_written: false,
            });
        }
        Ok(outcomes)
    }

    /// The stream's current version (0 when it has no events).
    pub async fn stream_version(&self, stream_id: &StreamId) -> Result<u64, StoreError> {
        let client = self.pool.get().await?;
        Ok(head(&client, stream_id).await?.0)
    }

    /// Up to `limit` events of one stream after version `after_version`, in order.
    pub async fn read_stream(
        &self,
        stream_id: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(SELECT_STREAM).await?;
        let after = i64::try_from(after_version).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(&statement, &[&stream_id.as_str(), &after, &limit])
            .await?;
        self.events_from_rows(&rows)
    }

    /// Every event of one stream, in order.
    pub async fn read_stream_all(
        &self,
        stream_id: &StreamId,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream(stream_id, 0, usize::MAX).await
    }

    /// Up to `limit` events after `after` in the log's global order, `(tx_id,
    /// global_position)`, stopping before any transaction still in progress.
    pub async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut client = self.pool.get().await?;
        let transaction = walk_in_commit_order(&mut client).await?;
        let statement = transaction.prepare_cached(SELECT_ALL).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&after.tx_id, &after.global_position, &limit];
        let rows = transaction.query_raw(&statement, params).await?;
        let events = self.events_from_stream(rows, limit).await?;
        transaction.commit().await?;
        Ok(events)
    }

    /// The last event every reader can see now: nothing can later appear at or
    /// before it. `None` for an empty log.
    pub async fn horizon(&self) -> Result<Option<Checkpoint>, StoreError> {
        self.one_checkpoint(SELECT_HORIZON).await
    }

    /// The checkpoint a one-row query names, if any.
    async fn one_checkpoint(&self, sql: &str) -> Result<Option<Checkpoint>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        let Some(row) = client.query_opt(&statement, &[]).await? else {
            return Ok(None);
        };
        Ok(Some(Checkpoint {
            tx_id: row.try_get(0)?,
            global_position: row.try_get(1)?,
        }))
    }

    /// Like [`EventStore::read_all`], but only the events `filter` selects (the
    /// exporter's reads).
    pub async fn read_filtered(
        &self,
        filter: &crate::types::EventFilter,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut client = self.pool.get().await?;
        let transaction = walk_in_commit_order(&mut client).await?;
        let statement = transaction.prepare_cached(SELECT_FILTERED).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = transaction
            .query(
                &statement,
                &[
                    &after.tx_id,
                    &after.global_position,
                    &filter.stream_prefix,
                    &filter.event_types,
                    &filter.recorded_from,
                    &filter.recorded_before,
                    &limit,
                ],
            )
            .await?;
        transaction.commit().await?;
        self.events_from_rows(&rows)
    }

    /// Waits until every event committed before the call can be read: readers
    /// see only events below the oldest transaction still running anywhere in
    /// the cluster, so a long transaction elsewhere hides newer events for a
    /// while. A tool that reads the whole log once (and stops at the first page
    /// that is not full) calls this first, or it would miss the log's end.
    pub async fn wait_until_readable(&self) -> Result<(), StoreError> {
        let Some(target) = self.last_committed().await? else {
            return Ok(());
        };
        let mut pause = std::time::Duration::from_millis(2);
        while self.horizon().await?.is_none_or(|horizon| horizon < target) {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(100));
        }
        Ok(())
    }

    /// The whole log from the start, `page` events at a time, in global order
    /// (for tools that replay everything: reports, as-of questions): at least
    /// everything committed before the first page is asked for (see
    /// [`EventStore::wait_until_readable`]). Ends at the first page that is
    /// not full.
    pub fn pages(
        &self,
        page: usize,
    ) -> impl futures_util::Stream<Item = Result<Vec<RecordedEvent>, StoreError>> + '_ {
        futures_util::stream::try_unfold(Some(Checkpoint::START), move |after| async move {
            let Some(after) = after else {
                return Ok(None);
            };
            if after == Checkpoint::START {
                self.wait_until_readable().await?;
            }
            let events = self.read_all(after, page).await?;
            let next = match events.last() {
                Some(last) if events.len() == page => Some(last.checkpoint()),
                _ => None,
            };
            Ok(if events.is_empty() {
                None
            } else {
                Some((events, next))
            })
        })
    }

    /// The last committed event in global order, whether or not readers may see
    /// it yet (an older transaction still running holds the horizon back).
    /// Everything committed so far is at or before it.
    pub async fn last_committed(&self) -> Result<Option<Checkpoint>, StoreError> {
        self.one_checkpoint(SELECT_LAST).await
    }

    /// Like [`EventStore::read_all`], but only events of the given types (for
    /// small, rarely written record kinds such as the catalog).
    pub async fn read_types(
        &self,
        event_types: &[&str],
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.pool.get().await?;
        self.query_types(&client, SELECT_TYPES, event_types, after, limit)
            .await
    }

    /// Up to `limit` events of `event_types` that happened in `[from, to)`, of
    /// `stream` when given, after `after_position`, in log order. Positions
    /// are the page cursor; a transaction committing late may add an earlier
    /// one, which suits an audit query (re-run it) but not a projection.
    pub async fn read_types_between(
        &self,
        event_types: &[&str],
        stream: Option<&StreamId>,
        (from, to): (jiff::Timestamp, jiff::Timestamp),
        after_position: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(SELECT_TYPES_BETWEEN).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stream = stream.map(StreamId::as_str);
        let rows = client
            .query(
                &statement,
                &[&event_types, &after_position, &from, &to, &stream, &limit],
            )
            .await?;
        self.events_from_rows(&rows)
    }

    /// Runs one of the typed reads (`sql` takes types, checkpoint and limit).
    async fn query_types(
        &self,
        client: &impl GenericClient,
        sql: &str,
        event_types: &[&str],
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let statement = client.prepare_cached(sql).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&event_types, &after.tx_id, &after.global_position, &limit];
        let rows = client.query_raw(&statement, params).await?;
        self.events_from_stream(rows, limit).await
    }

    /// Decodes rows as they stream in, while the server is still sending, into
    /// a vector sized for `limit` up front: a catch-up batch is 100,000 events,
    /// and growing by doubling would copy them many times over.
    async fn events_from_stream(
        &self,
        rows: tokio_postgres::RowStream,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(100_000));
        futures_util::pin_mut!(rows);
        while let Some(row) = rows.try_next().await? {
            events.push(self.event_from_row(&row)?);
        }
        Ok(events)
    }

    /// Decodes rows already read.
    fn events_from_rows(&self, rows: &[Row]) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            events.push(self.event_from_row(row)?);
        }
        Ok(events)
    }

    /// Like [`EventStore::read_types`], for types that make up a good share of
    /// the log (a projection's): walks the log in commit order and skips the
    /// other types, instead of collecting and sorting every later event of
    /// these types at each read, which a catch-up would repeat batch after batch.
    pub async fn scan_types(
        &self,
        event_types: &[&str],
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut client = self.pool.get().await?;
        // The planner would otherwise take the type index and sort.
        let transaction = walk_in_commit_order(&mut client).await?;
        let events = self
            .query_types(&transaction, SCAN_TYPES, event_types, after, limit)
            .await?;
        transaction.commit().await?;
        Ok(events)
    }

    fn event_from_row(&self, row: &Row) -> Result<RecordedEvent, StoreError> {
        let mut event = event_from_row(row)?;
        if self
            .upcasters
            .applies_to(&event.event_type, event.schema_version)
        {
            let upcast_error = |schema_version, reason| StoreError::Upcast {
                event_type: event.event_type.clone(),
                schema_version,
                reason,
            };
            let payload = event
                .payload
                .to_value()
                .map_err(|e| upcast_error(event.schema_version, e.to_string()))?;
            let (version, payload) = self
                .upcasters
                .upcast(&event.event_type, event.schema_version, payload)
                .map_err(|(version, reason)| upcast_error(version, reason))?;
            event.schema_version = version;
            event.payload = RawJson(payload.to_string());
        }
        Ok(event)
    }
}

/// Reads a row selected with [`event_columns!`], exactly as stored (no upcasting).
pub(crate) fn event_from_row(row: &Row) -> Result<RecordedEvent, StoreError> {
    let global_position: i64 = row.try_get(0)?;
    let malformed = |reason: &str| StoreError::Malformed {
        global_position,
        reason: reason.to_owned(),
    };
    let stream_version: i64 = row.try_get(3)?;
    let prev_hash: Option<&[u8]> = row.try_get(10)?;
    let hash: &[u8] = row.try_get(11)?;
    Ok(RecordedEvent {
        global_position,
        tx_id: row.try_get::<_, TxId>(1)?.0,
        stream_id: row.try_get(2)?,
        stream_version: u64::try_from(stream_version)
            .map_err(|_| malformed("negative stream version"))?,
        event_id: row.try_get(4)?,
        event_type: row.try_get(5)?,
        schema_version: row.try_get(6)?,
        payload: row.try_get(7)?,
        metadata: row.try_get(8)?,
        recorded_at: row.try_get::<_, PgTimestamp>(9)?.0,
        prev_hash: prev_hash
            .map(<[u8; 32]>::try_from)
            .transpose()
            .map_err(|_| malformed("prev_hash is not 32 bytes"))?,
        hash: <[u8; 32]>::try_from(hash).map_err(|_| malformed("hash is not 32 bytes"))?,
    })
}

/// A full transaction id (`xid8`), read in binary: 64 bits, in practice far below 2^63.
struct TxId(i64);

impl<'a> FromSql<'a> for TxId {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let bytes: [u8; 8] = raw.try_into()?;
        Ok(TxId(i64::try_from(u64::from_be_bytes(bytes))?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::XID8
    }
}

/// A `timestamptz` read in binary: microseconds since 2000-01-01 UTC. Converted
/// with one addition, where the generic conversion does calendar arithmetic.
struct PgTimestamp(jiff::Timestamp);

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl<'a> FromSql<'a> for PgTimestamp {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let micros = i64::from_be_bytes(raw.try_into()?);
        let unix = micros
            .checked_add(PG_EPOCH_MICROS)
            .ok_or("timestamp out of range")?;
        Ok(PgTimestamp(jiff::Timestamp::from_microsecond(unix)?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }
}

/// `json` arrives as the stored text; `jsonb` as a version byte and the text.
impl<'a> FromSql<'a> for RawJson {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let text = if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, text)) => text,
                _ => return Err("unsupported jsonb wire format version".into()),
            }
        } else {
            raw
        };
        Ok(RawJson(std::str::from_utf8(text)?.to_owned()))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
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
                return Err(invalid(format!(
                    "event id {} appears twice in the batch",
                    event.event_id
                )));
            }
            if event.event_type.is_empty() || event.event_type.len() > MAX_EVENT_TYPE_BYTES {
                return Err(invalid(format!(
                    "event type must be 1 to {MAX_EVENT_TYPE_BYTES} bytes"
                )));
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
            let payload =
                canonical_json(&event.payload).map_err(|e| invalid(format!("payload: {e}")))?;
            let metadata =
                canonical_json(&event.metadata).map_err(|e| invalid(format!("metadata: {e}")))?;
            Ok(PreparedEvent {
                source: event,
                payload,
                metadata,
            })
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
            checkpoint: Checkpoint {
                tx_id,
                global_position: global_positions.last().copied().unwrap_or(0),
            },
            global_positions,
            already_written: false,
        }),
        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            // Lost a race to another writer, or the events are already there.
            // Inside a transaction nothing more can be asked: it is aborted.
            match head(client, stream_id).await {
                Ok((actual, _)) => {
                    resolve_conflict(client, stream_id, expected, prepared, actual).await
                }
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
async fn head(
    client: &impl GenericClient,
    stream_id: &StreamId,
) -> Result<(u64, Option<[u8; 32]>), StoreError> {
    let statement = client.prepare_cached(SELECT_HEAD).await?;
    let Some(row) = client.query_opt(&statement, &[&stream_id.as_str()]).await? else {
        return Ok((0, None));
    };
    let version: i64 = row.try_get(0)?;
    let hash: &[u8] = row.try_get(1)?;
    let malformed = || StoreError::Malformed {
        global_position: 0,
        reason: format!("head of stream {stream_id} is malformed"),
    };
    Ok((
        u64::try_from(version).map_err(|_| malformed())?,
        Some(<[u8; 32]>::try_from(hash).map_err(|_| malformed())?),
    ))
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
    columns.push_stream(
        stream_id.as_str(),
        version,
        head_hash,
        events,
        recorded_at_micros,
    );
    let (prev_hashes, hashes) = columns.hash_params();

    let statement = client.prepare_cached(INSERT_BATCH).await?;
    let rows = client
        .query(
            &statement,
            &[
                &stream_id.as_str(),
                &recorded_at,
                &columns.versions,
                &columns.ids,
                &columns.types,
                &columns.schemas,
                &columns.payloads,
                &columns.metadata,
                &prev_hashes,
                &hashes,
            ],
        )
        .await?;
    let mut positions: Vec<(i64, i64)> = rows
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, tokio_postgres::Error>>()?;
    positions.sort_unstable();
    // One statement, one transaction: every row has the same tx_id.
    let tx_id = match rows.first() {
        Some(row) => row.try_get(2)?,
        None => 0,
    };
    Ok((
        positions
            .into_iter()
            .map(|(_, position)| position)
            .collect(),
        tx_id,
    ))
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
    let wrong_version = || StoreError::WrongExpectedVersion {
        stream_id: stream_id.to_string(),
        expected,
        actual,
    };
    if rows.is_empty() {
        return Err(wrong_version());
    }
    let mut found: HashMap<Uuid, (String, u64, i64, i64)> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let version: i64 = row.try_get(2)?;
        found.insert(
            row.try_get(0)?,
            (
                row.try_get(1)?,
                u64::try_from(version).unwrap_or(0),
                row.try_get(3)?,
                row.try_get(4)?,
            ),
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
        checkpoint = checkpoint.max(Checkpoint {
            tx_id: *tx_id,
            global_position: *position,
        });
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

#[cfg(test)]
mod plans {
    #![allow(clippy::expect_used)]

    use onestop_migrations::testing::TestDatabase;

    use super::{SCAN_TYPES, SELECT_ALL, SELECT_HORIZON, SELECT_LAST, SELECT_TYPES};

    /// The reads by log position must walk the commit-order index, not sort the
    /// log: with sorting forbidden, none of their plans may still have a Sort
    /// (one that cannot be avoided stays in the plan whatever the settings).
    #[tokio::test]
    async fn position_reads_walk_the_commit_order_index() {
        let database = TestDatabase::create().await.expect("test database");
        let client = database.superuser().await.expect("superuser");
        client
            .batch_execute("SET enable_sort = off; SET max_parallel_workers_per_gather = 0")
            .await
            .expect("settings");
        let checkpoint = "0::bigint, 0::bigint";
        let types = "ARRAY['CaseReceived']";
        for (sql, arguments) in [
            (SELECT_HORIZON, String::new()),
            (SELECT_LAST, String::new()),
            (SELECT_ALL, format!("{checkpoint}, 100::bigint")),
            (SCAN_TYPES, format!("{types}, {checkpoint}, 100::bigint")),
            (SELECT_TYPES, format!("{types}, {checkpoint}, 100::bigint")),
        ] {
            client
                .batch_execute("DEALLOCATE ALL")
                .await
                .expect("deallocate");
            client
                .batch_execute(&format!("PREPARE read AS {sql}"))
                .await
                .expect("prepare");
            let execute = if arguments.is_empty() {
                "EXECUTE read".to_owned()
            } else {
                format!("EXECUTE read({arguments})")
            };
            let plan: String = client
                .query(&format!("EXPLAIN {execute}"), &[])
                .await
                .expect("explain")
                .iter()
                .map(|row| row.get::<_, String>(0) + "\n")
                .collect();
            // A sort node, not a merge's "Sort Key".
            let sorts = plan.lines().any(|line| {
                let node = line.trim_start().trim_start_matches("->").trim_start();
                node.starts_with("Sort  (") || node.starts_with("Incremental Sort  (")
            });
            assert!(!sorts, "{sql}\nsorts:\n{plan}");
        }
    }
}
