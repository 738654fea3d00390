//! Reads: a stream, the whole log in commit-safe order, by type, by id.

use deadpool_postgres::GenericClient;
use futures_util::TryStreamExt;

use crate::error::StoreError;
use crate::types::{Checkpoint, RecordedEvent, StreamId};

use super::EventStore;
use super::append::head;
use super::sql::*;

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

impl EventStore {
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
        let after = i64::try_from(after_version).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pooled_events(SELECT_STREAM, &[&stream_id.as_str(), &after, &limit]).await
    }

    /// Every event of one stream, in order.
    pub async fn read_stream_all(&self, stream_id: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream(stream_id, 0, usize::MAX).await
    }

    /// The first `versions` events of each of `streams` (streams in no
    /// particular order, each stream's events in order): many short records
    /// read at once, e.g. applicants' sealed records for a batch of notices.
    pub async fn read_stream_heads(
        &self,
        streams: &[StreamId],
        versions: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let ids: Vec<&str> = streams.iter().map(StreamId::as_str).collect();
        let versions = i64::try_from(versions).unwrap_or(i64::MAX);
        self.pooled_events(SELECT_STREAMS_HEAD, &[&ids, &versions]).await
    }

    /// Up to `limit` events after `after` in the log's global order, `(tx_id,
    /// global_position)`, stopping before any transaction still in progress.
    pub async fn read_all(&self, after: Checkpoint, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut client = self.pool.get().await?;
        let transaction = walk_in_commit_order(&mut client).await?;
        let statement = transaction.prepare_cached(SELECT_ALL).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&after.tx_id, &after.global_position, &limit];
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
        Ok(Some(Checkpoint { tx_id: row.try_get(0)?, global_position: row.try_get(1)? }))
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
    pub fn pages(&self, page: usize) -> impl futures_util::Stream<Item = Result<Vec<RecordedEvent>, StoreError>> + '_ {
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
            Ok(if events.is_empty() { None } else { Some((events, next)) })
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
        self.query_types(&client, SELECT_TYPES, event_types, after, limit).await
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
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let stream = stream.map(StreamId::as_str);
        self.pooled_events(SELECT_TYPES_BETWEEN, &[&event_types, &after_position, &from, &to, &stream, &limit]).await
    }

    /// The events `sql` selects with `params`, on a connection of the pool.
    async fn pooled_events(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        self.events_from_rows(&client.query(&statement, params).await?)
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
        let events = self.query_types(&transaction, SCAN_TYPES, event_types, after, limit).await?;
        transaction.commit().await?;
        Ok(events)
    }
}
