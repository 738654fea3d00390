//! Runs a projection: catch up from its checkpoint, then follow the log live.
//!
//! Each batch is applied in one transaction together with the checkpoint, after
//! taking the checkpoint row with `FOR UPDATE SKIP LOCKED`: with several runners
//! (several server processes) exactly one applies a given batch, and a runner
//! killed mid-batch leaves nothing behind. A failing batch is logged, counted,
//! and retried with backoff; it is never skipped.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Pool, Transaction};
use onestop_store::{Checkpoint, EventStore, RecordedEvent, StoreError};

/// A read model built from the log.
pub trait Projection: Send + Sync + 'static {
    /// The checkpoint's name; stable across versions of the code.
    fn name(&self) -> &'static str;

    /// The tables it owns, emptied before a rebuild from position 0.
    fn tables(&self) -> &'static [&'static str];

    /// The event types it reads, when it needs only some: the others are not
    /// even fetched. `None`: every event.
    fn event_types(&self) -> Option<&'static [&'static str]> {
        None
    }

    /// What [`Projection::apply`] needs of a batch that does not depend on the
    /// read model (decoded payloads, say).
    type Prepared: Send + 'static;

    /// Works out [`Projection::Prepared`]. While catching up it runs on the
    /// read-ahead, beside the previous batch's writes, off the critical path.
    fn prepare(&self, events: &[RecordedEvent]) -> Result<Self::Prepared, ProjectionError>;

    /// What the projection keeps from one batch for the next (the rows it just
    /// wrote, say), so the next batch need not read them back. The runner hands
    /// it back only while the checkpoint is where this runner's own last commit
    /// left it; after another runner's batch, a failure or a restart the
    /// projection gets a fresh default and reads what it needs.
    type Memory: Default + Send + 'static;

    /// Applies a batch inside the runner's transaction. Must be deterministic:
    /// a rebuild applies the same events to the same result.
    fn apply<'a>(
        &'a self,
        transaction: &'a Transaction<'_>,
        events: &'a [RecordedEvent],
        prepared: Self::Prepared,
        memory: &'a mut Self::Memory,
    ) -> impl Future<Output = Result<(), ProjectionError>> + Send + 'a;
}

/// Why a batch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error while projecting")]
    Database(#[from] tokio_postgres::Error),
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("{0}")]
    Refused(String),
    #[error("event at global position {position} cannot be projected: {reason}")]
    Event { position: i64, reason: String },
}

/// What one step of the runner did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Applied this many events; the checkpoint moved.
    Applied(usize),
    /// Nothing new to apply.
    Idle,
    /// Another runner holds the projection right now.
    Busy,
}

/// Drives one projection.
///
/// Far behind the log (after downtime, or a new projection), the runner reads
/// bigger batches and reads the next one while applying the current one: each
/// case row is then written once per many events, and the log's read overlaps
/// the read model's writes. Near the end of the log it goes back to small
/// batches, where latency matters more than throughput.
#[derive(Debug, Clone)]
pub struct Runner<P: Projection> {
    projection: Arc<P>,
    store: EventStore,
    pool: Pool,
    batch_size: usize,
    /// The largest batch while catching up; batches double up to it while
    /// they come back full.
    catch_up_batch: usize,
    /// The size of the next read; 0 before the first, which is sized by how
    /// far behind the log the checkpoint is.
    next_batch: Arc<AtomicUsize>,
    /// The next batch, being read while the current one is applied.
    read_ahead: Arc<Mutex<Option<ReadAhead<P::Prepared>>>>,
    /// Where the read model's tables and checkpoint live, when not in the
    /// default schema: a rebuild's shadow copy.
    schema: Option<Arc<str>>,
    /// The projection's memory and the checkpoint it is valid at.
    memory: Arc<Mutex<Option<Remembered<P::Memory>>>>,
}

/// A projection's memory as of a checkpoint this runner committed.
struct Remembered<M> {
    at: Checkpoint,
    memory: M,
}

impl<M> std::fmt::Debug for Remembered<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remembered").field("at", &self.at).finish_non_exhaustive()
    }
}

/// The largest batch a server's runner reads while catching up: measured best
/// on the catch-up benchmark (50,000 and 200,000 were slower). The events and
/// their decoded forms of two such batches (one applied, one read ahead) take
/// a few hundred megabytes while a server catches up; then batches are small.
pub const CATCH_UP_BATCH: usize = 100_000;

/// A batch read, and for a projection of some event types only, the horizon
/// taken before the read (everything relevant below it has been read).
type Batch = (Vec<RecordedEvent>, Option<Checkpoint>);

/// A batch read and prepared ahead; `None` when reading failed (the step then
/// reads again itself, and reports the failure if it persists).
type Ahead<T> = Option<(Batch, Result<T, ProjectionError>)>;

/// A read started after `from`, asking for `limit` events.
struct ReadAhead<T> {
    from: Checkpoint,
    limit: usize,
    task: tokio::task::JoinHandle<Ahead<T>>,
}

impl<T> std::fmt::Debug for ReadAhead<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAhead").field("from", &self.from).field("limit", &self.limit).finish_non_exhaustive()
    }
}

impl<T> Drop for ReadAhead<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads up to `limit` events after `from`, of `types` only when given.
async fn read_batch(
    store: &EventStore,
    types: Option<&[&str]>,
    from: Checkpoint,
    limit: usize,
) -> Result<Batch, StoreError> {
    match types {
        None => Ok((store.read_all(from, limit).await?, None)),
        Some(types) => {
            let horizon = store.horizon().await?;
            let events = store.scan_types(types, from, limit).await?;
            // A full batch may have more relevant events right after it.
            let horizon = horizon.filter(|_| events.len() < limit);
            Ok((events, horizon))
        }
    }
}

/// A schema name quoted for SQL.
pub(crate) fn quoted(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

impl<P: Projection> Runner<P> {
    pub fn new(projection: P, store: EventStore, batch_size: usize) -> Self {
        let pool = store.pool().clone();
        Self {
            projection: Arc::new(projection),
            store,
            pool,
            batch_size,
            catch_up_batch: batch_size,
            next_batch: Arc::new(AtomicUsize::new(0)),
            read_ahead: Arc::default(),
            schema: None,
            memory: Arc::default(),
        }
    }

    /// Lets batches grow up to `max` events while the runner is catching up.
    pub fn catch_up_batches(mut self, max: usize) -> Self {
        self.catch_up_batch = max.max(self.batch_size);
        self
    }

    /// Applies into the projection's tables in `schema` instead, with that
    /// schema's own `projection_checkpoints` (a rebuild's shadow copy).
    pub fn in_schema(mut self, schema: &str) -> Self {
        self.schema = Some(schema.into());
        self
    }

    fn checkpoints(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.projection_checkpoints", quoted(schema)),
            None => "projection_checkpoints".into(),
        }
    }

    pub fn projection(&self) -> &P {
        &self.projection
    }

    /// Makes sure the checkpoint row exists.
    pub async fn register(&self) -> Result<(), ProjectionError> {
        let client = self.pool.get().await?;
        client
            .execute(
                &format!("INSERT INTO {} (name) VALUES ($1) ON CONFLICT DO NOTHING", self.checkpoints()),
                &[&self.projection.name()],
            )
            .await?;
        Ok(())
    }

    /// Applies at most one batch.
    pub async fn step(&self) -> Result<Step, ProjectionError> {
        // The batch read ahead is waited for before taking a connection: its
        // read needs one of its own, and a small pool must not be held by a
        // step waiting on it.
        let ahead = self.finish_read_ahead().await;
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        // A read model can be rebuilt from the log, so its commits need not wait
        // for the disk: a crash loses at most the last batches, checkpoint and all.
        transaction.batch_execute("SET LOCAL synchronous_commit = off").await?;
        if let Some(schema) = &self.schema {
            transaction.batch_execute(&format!("SET LOCAL search_path TO {}, public", quoted(schema))).await?;
        }
        let row = transaction
            .query_opt(
                &format!(
                    "SELECT tx_id, global_position FROM {} \
                     WHERE name = $1 FOR UPDATE SKIP LOCKED",
                    self.checkpoints()
                ),
                &[&self.projection.name()],
            )
            .await?;
        let Some(row) = row else {
            return Ok(Step::Busy);
        };
        let checkpoint = Checkpoint { tx_id: row.get(0), global_position: row.get(1) };
        // A projection reading only some types still moves past the others: when
        // it has read everything relevant, its checkpoint goes to the horizon
        // (taken before the read, so nothing relevant below it was missed).
        let limit = match self.next_batch.load(Ordering::Relaxed) {
            0 => {
                // Decided once: an idle runner does not ask again at every poll.
                let first = self.first_batch(checkpoint).await?;
                self.next_batch.store(first, Ordering::Relaxed);
                first
            }
            limit => limit,
        };
        let usable = ahead.filter(|(from, batch_limit, ready)| {
            *from == checkpoint && *batch_limit == limit && ready.0.0.len() == limit
        });
        let ((events, horizon), prepared) = match usable {
            Some((_, _, ready)) => ready,
            None => {
                let batch = read_batch(&self.store, self.projection.event_types(), checkpoint, limit).await?;
                let prepared = self.projection.prepare(&batch.0);
                (batch, prepared)
            }
        };
        let next = match (events.last().map(RecordedEvent::checkpoint), horizon) {
            (Some(last), Some(horizon)) => last.max(horizon),
            (Some(last), None) => last,
            (None, Some(horizon)) if horizon > checkpoint => horizon,
            _ => return Ok(Step::Idle),
        };
        // A batch that cannot be decoded fails here, before anything is read
        // ahead of it; and after any failure the next try starts small again
        // (a batch too big for the statement timeout must not be retried as is).
        self.next_batch.store(self.batch_size, Ordering::Relaxed);
        let prepared = prepared?;
        let full = events.len() == limit;
        let grown = (limit * 2).min(self.catch_up_batch);
        if full && self.catch_up_batch > self.batch_size {
            self.start_read_ahead(next, grown);
        }
        // Taken out for the step: it comes back only with this step's commit.
        let remembered = self.memory.lock().ok().and_then(|mut m| m.take());
        let mut memory = remembered.filter(|r| r.at == checkpoint).map(|r| r.memory).unwrap_or_default();
        if !events.is_empty() {
            self.projection.apply(&transaction, &events, prepared, &mut memory).await?;
        }
        let applied = events.len() as i64;
        transaction
            .execute(
                &format!(
                    "UPDATE {} SET tx_id = $2, global_position = $3, \
                     events_applied = events_applied + $4, updated_at = now() WHERE name = $1",
                    self.checkpoints()
                ),
                &[&self.projection.name(), &next.tx_id, &next.global_position, &applied],
            )
            .await?;
        transaction.commit().await?;
        if let Ok(mut slot) = self.memory.lock() {
            *slot = Some(Remembered { at: next, memory });
        }
        if full {
            // Committed: the next batch may be bigger.
            self.next_batch.store(grown, Ordering::Relaxed);
        }
        if events.is_empty() {
            return Ok(Step::Idle);
        }
        metrics::counter!("projection_events_applied_total", "projection" => self.projection.name())
            .increment(events.len() as u64);
        Ok(Step::Applied(events.len()))
    }

    /// The first batch's size: the largest when the log is at least that far
    /// ahead of the checkpoint (a server starting far behind, a new
    /// projection), so that a catch-up does not spend its first seconds on small
    /// batches; the live size otherwise. After a failure batches start small
    /// again and grow only as they succeed.
    async fn first_batch(&self, checkpoint: Checkpoint) -> Result<usize, ProjectionError> {
        if self.catch_up_batch == self.batch_size {
            return Ok(self.batch_size);
        }
        let last = self.store.last_committed().await?;
        let behind = last.map_or(0, |last| last.global_position - checkpoint.global_position);
        Ok(if usize::try_from(behind).unwrap_or(0) >= self.catch_up_batch {
            self.catch_up_batch
        } else {
            self.batch_size
        })
    }

    /// The batch read ahead, if one was started and could be read: where it
    /// starts, how many events were asked for, and what came back. The step
    /// uses it only when it starts at the checkpoint and is a full batch (a
    /// shorter one may have missed events committed since: it is read again).
    async fn finish_read_ahead(&self) -> Option<(Checkpoint, usize, (Batch, Result<P::Prepared, ProjectionError>))> {
        let mut ahead = self.read_ahead.lock().ok()?.take()?;
        match (&mut ahead.task).await {
            Ok(Some(ready)) => Some((ahead.from, ahead.limit, ready)),
            _ => None,
        }
    }

    /// Starts reading and preparing the batch after `from` (where this step's
    /// batch ends).
    fn start_read_ahead(&self, from: Checkpoint, limit: usize) {
        let store = self.store.clone();
        let projection = Arc::clone(&self.projection);
        let task = tokio::spawn(async move {
            let batch = read_batch(&store, projection.event_types(), from, limit).await.ok()?;
            // Preparing is CPU work: off the runtime's threads.
            tokio::task::spawn_blocking(move || {
                let prepared = projection.prepare(&batch.0);
                (batch, prepared)
            })
            .await
            .ok()
        });
        if let Ok(mut slot) = self.read_ahead.lock() {
            *slot = Some(ReadAhead { from, limit, task });
        }
    }

    /// Runs until the task is dropped: catch-up at full speed, then live.
    pub async fn run(self) {
        let mut wakeups = self.store.wakeups();
        let mut backoff = Duration::from_millis(100);
        let poll = Duration::from_millis(500);
        loop {
            if let Err(error) = self.register().await {
                tracing::warn!(projection = self.projection.name(), %error, "cannot register projection");
                tokio::time::sleep(backoff).await;
                continue;
            }
            break;
        }
        loop {
            wakeups.mark_seen();
            match self.step().await {
                Ok(Step::Applied(_)) => {
                    backoff = Duration::from_millis(100);
                }
                Ok(Step::Idle) => {
                    // A wake-up may find the new events still behind a running
                    // transaction: look again shortly.
                    if wakeups.wait(poll).await {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                Ok(Step::Busy) => {
                    tokio::time::sleep(poll).await;
                }
                Err(error) => {
                    metrics::counter!("projection_failures_total", "projection" => self.projection.name()).increment(1);
                    tracing::error!(
                        projection = self.projection.name(),
                        error = %onestop_store::error_chain(&error),
                        retry_in_ms = backoff.as_millis() as u64,
                        "projection batch failed; retrying"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// Applies everything committed before the call, then returns. When an
    /// older transaction anywhere in the cluster still holds the horizon back,
    /// it waits for it rather than return with events missing.
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        self.catch_up_with(|_| {}).await
    }

    /// [`Runner::catch_up`], calling `progress` with the events applied so far
    /// after each batch.
    pub async fn catch_up_with(&self, progress: impl FnMut(u64)) -> Result<u64, ProjectionError> {
        self.register().await?;
        let target = self.store.last_committed().await?;
        self.catch_up_until(target, progress).await
    }

    /// Like [`Self::catch_up_with`], but only up to what every reader can see
    /// now ([`EventStore::horizon`]): for a caller that holds a transaction
    /// with an id itself (a rebuild's swap, holding the checkpoints), which
    /// keeps later commits out of sight until it ends; those are left to the
    /// live runners.
    pub async fn catch_up_readable_with(&self, progress: impl FnMut(u64)) -> Result<u64, ProjectionError> {
        self.register().await?;
        let target = self.store.horizon().await?;
        self.catch_up_until(target, progress).await
    }

    async fn catch_up_until(
        &self,
        target: Option<Checkpoint>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, ProjectionError> {
        let mut total = 0;
        loop {
            match self.step().await? {
                Step::Applied(n) => {
                    total += n as u64;
                    progress(total);
                }
                Step::Idle => {
                    let at = self.checkpoint().await?;
                    if target.is_none_or(|t| t <= at) {
                        return Ok(total);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Step::Busy => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Where the projection stands.
    pub async fn checkpoint(&self) -> Result<Checkpoint, ProjectionError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT tx_id, global_position FROM {} WHERE name = $1", self.checkpoints()),
                &[&self.projection.name()],
            )
            .await?;
        Ok(row.map_or(Checkpoint::START, |row| Checkpoint { tx_id: row.get(0), global_position: row.get(1) }))
    }
}

/// A projection's checkpoint and how far behind the log's end it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lag {
    pub name: String,
    pub checkpoint: Checkpoint,
    pub events_applied: i64,
    /// Positions between the checkpoint and the log's end: the events still to
    /// apply, give or take those of transactions committing out of order.
    pub behind: i64,
}

/// Every projection's lag: cheap enough for every readiness probe (the log's last
/// position comes from the primary key's end, not a count).
pub async fn lags(pool: &Pool) -> Result<Vec<Lag>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT c.name, c.tx_id, c.global_position, c.events_applied, \
                    greatest(coalesce((SELECT max(global_position) FROM events), 0) \
                             - c.global_position, 0) \
             FROM projection_checkpoints c ORDER BY c.name",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Lag {
            name: row.get(0),
            checkpoint: Checkpoint { tx_id: row.get(1), global_position: row.get(2) },
            events_applied: row.get(3),
            behind: row.get(4),
        })
        .collect())
}

/// Waits until `name` has applied everything up to `target`, at most `timeout`.
/// True when it has.
pub async fn wait_for(pool: &Pool, name: &str, target: Checkpoint, timeout: Duration) -> Result<bool, ProjectionError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        let client = pool.get().await?;
        let row = client
            .query_opt("SELECT tx_id, global_position FROM projection_checkpoints WHERE name = $1", &[&name])
            .await?;
        drop(client);
        if let Some(row) = row {
            let at = Checkpoint { tx_id: row.get(0), global_position: row.get(1) };
            if at >= target {
                return Ok(true);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
