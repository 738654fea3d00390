//! Rebuilding read models from position 0 without stopping the service.
//!
//! 1. Empty copies of the read model's tables (and a checkpoint table of their
//!    own) are made in the schema [`SHADOW_SCHEMA`], without indexes.
//! 2. The log is read from the start and folded in memory ([`StatusBulk`],
//!    [`StatsBulk`]): change rows are copied batch by batch, then each case row
//!    is written once (in two shares, on two connections) beside the statistics.
//!    One read of the log feeds every projection being rebuilt; it runs a batch
//!    ahead of the fold, on a task of its own.
//! 3. The live tables' constraints and indexes are recreated on the copies (two
//!    connections at once) and the copies are analysed. The change rows'
//!    indexes are built as soon as the last change row is in, while the case
//!    rows are still being written.
//! 4. The copies catch up with whatever was appended meanwhile, through the same
//!    [`Runner`] the server uses, pointed at the shadow schema.
//! 5. The swap: one transaction takes the live checkpoints (a live runner then
//!    finds them busy and waits), lets the copies catch up once more, drops the
//!    live tables, moves the copies into their place and carries the copies'
//!    checkpoints over. Readers wait for that commit at most; the next live batch
//!    starts where the copies stopped, so no event is lost or applied twice.
//!
//! Until the swap the live tables are untouched: cancelling (or a crash) at any
//! point leaves them as they were, and the next rebuild clears the leftovers.
//! Only one rebuild runs at a time (a session advisory lock).
//!
//! The bulk fold holds every case in memory, about 2 KB a case; a province with
//! more cases than memory allows can use [`Mode::Incremental`], which applies
//! batches to the shadow tables exactly as the live runner does.

use std::time::{Duration, Instant};

use deadpool_postgres::{Object, Pool};
use onestop_store::{Checkpoint, EventStore, RecordedEvent};

use crate::runner::{Projection, ProjectionError, Runner, quoted};
use crate::search::{self, SearchProjection};
use crate::stats::{self, StatsBulk, StatsProjection};
use crate::status::{self, CaseRows, StatusBulk, StatusProjection};
use onestop_domain::search::IndexKey;

/// Where the copies are built.
pub const SHADOW_SCHEMA: &str = "onestop_rebuild";

/// Events read from the log per batch during the bulk fold.
const BULK_BATCH: usize = 50_000;

/// A read model that can be rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadModel {
    /// `case_status`: the status view with the audit trail's and the feed's
    /// change rows.
    Status,
    /// `case_stats`: the statistics.
    Stats,
    /// `applicant_terms`: the applicants' blind index (caught up from
    /// position 0 in either mode: it reads only applicant streams).
    Search,
    /// `queue_tickets`, `queue_visits`: the queue tickets (caught up from
    /// position 0 in either mode, like the blind index: it reads only the
    /// queues' streams).
    Queue,
}

impl ReadModel {
    pub const ALL: [Self; 4] = [Self::Status, Self::Stats, Self::Search, Self::Queue];

    /// Its checkpoint name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Status => status::NAME,
            Self::Stats => stats::NAME,
            Self::Search => search::NAME,
            Self::Queue => crate::queue::NAME,
        }
    }

    /// The tables it owns.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Self::Status => StatusProjection.tables(),
            Self::Stats => StatsProjection.tables(),
            Self::Search => search::TABLES,
            Self::Queue => crate::queue::TABLES,
        }
    }

    /// Whether the bulk replay folds it; the others read only their own
    /// streams and are caught up from position 0 in either mode.
    pub fn folded_in_bulk(self) -> bool {
        matches!(self, Self::Status | Self::Stats)
    }

    /// Parses a checkpoint name, or `status` / `stats`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "status" | status::NAME => Some(Self::Status),
            "stats" | "statistics" | stats::NAME => Some(Self::Stats),
            "search" | search::NAME => Some(Self::Search),
            "queue" => Some(Self::Queue),
            _ => None,
        }
    }
}

/// How the copies are filled from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Folded in memory, each row written once (fast; memory grows with cases).
    Bulk,
    /// Batch by batch, as the live runner applies them (memory stays flat).
    Incremental,
}

/// Where a rebuild stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading and folding the log: `done` of about `total` events.
    Replaying,
    /// Recreating indexes on the copies.
    Indexing,
    /// Applying what was appended during the replay.
    CatchingUp,
    /// Moving the copies into place.
    Swapping,
}

/// A progress report.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
    pub elapsed: Duration,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    pub read_models: Vec<ReadModel>,
    /// Events folded by the replay from position 0.
    pub replayed: u64,
    /// Events applied afterwards to catch up with live appends.
    pub caught_up: u64,
    /// Time spent replaying (reading, folding and writing rows).
    pub replay_time: Duration,
    /// Time spent recreating indexes after the replay (the change rows' are
    /// built during its last writes, and counted in `replay_time`).
    pub index_time: Duration,
    pub total_time: Duration,
}

/// Rebuilds `read_models` from position 0 and swaps them in. `pool` must connect
/// as a role that may create and drop the read models' tables (the database
/// owner); `store` reads the log.
pub async fn rebuild(
    pool: &Pool,
    store: &EventStore,
    read_models: &[ReadModel],
    mode: Mode,
    search_key: &IndexKey,
    mut progress: impl FnMut(Progress),
) -> Result<Rebuilt, ProjectionError> {
    let started = Instant::now();
    let mut read_models = read_models.to_vec();
    read_models.sort_unstable();
    read_models.dedup();
    // Detached from the pool: if the rebuild is dropped half-way, closing this
    // connection releases the lock (a pooled one would keep it).
    let admin = Object::take(pool.get().await?);
    let locked: bool = admin.query_one("SELECT pg_try_advisory_lock(hashtext('onestop rebuild'))", &[]).await?.get(0);
    if !locked {
        return Err(ProjectionError::Refused("another rebuild is running".into()));
    }
    let plan = Plan { read_models: &read_models, mode, search_key };
    let outcome = rebuild_locked(pool, &admin, store, &plan, started, &mut progress).await;
    // Leftovers of a failed attempt go too; the live tables never changed.
    let cleanup = admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE; SELECT pg_advisory_unlock(hashtext('onestop rebuild'))",
            quoted(SHADOW_SCHEMA)
        ))
        .await;
    let rebuilt = outcome?;
    cleanup?;
    Ok(rebuilt)
}

/// What a rebuild is asked to do.
#[derive(Clone, Copy)]
struct Plan<'a> {
    read_models: &'a [ReadModel],
    mode: Mode,
    /// The blind index's key, for [`ReadModel::Search`].
    search_key: &'a IndexKey,
}

async fn rebuild_locked(
    pool: &Pool,
    admin: &deadpool_postgres::ClientWrapper,
    store: &EventStore,
    plan: &Plan<'_>,
    started: Instant,
    progress: &mut impl FnMut(Progress),
) -> Result<Rebuilt, ProjectionError> {
    let Plan { read_models, mode, search_key } = *plan;
    let shadow = quoted(SHADOW_SCHEMA);
    let mut ddl = format!(
        "DROP SCHEMA IF EXISTS {shadow} CASCADE; CREATE SCHEMA {shadow}; \
         CREATE TABLE {shadow}.projection_checkpoints \
           (LIKE public.projection_checkpoints INCLUDING ALL);"
    );
    for model in read_models {
        for table in model.tables() {
            ddl.push_str(&format!(
                "CREATE TABLE {shadow}.{table} (LIKE public.{table} INCLUDING DEFAULTS \
                 INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE);"
            ));
        }
        ddl.push_str(&format!("INSERT INTO {shadow}.projection_checkpoints (name) VALUES ('{}');", model.name()));
    }
    admin.batch_execute(&ddl).await?;

    let total: u64 = admin
        .query_one("SELECT coalesce(max(global_position), 0) FROM events", &[])
        .await?
        .get::<_, i64>(0)
        .unsigned_abs();
    let replay_started = Instant::now();
    let (replayed, checkpoint, indexed) = match mode {
        Mode::Bulk => replay_in_bulk(pool, store, read_models, total, started, progress).await?,
        Mode::Incremental => (0, Checkpoint::START, &[][..]),
    };
    let replay_time = replay_started.elapsed();

    let index_started = Instant::now();
    progress(Progress { phase: Phase::Indexing, done: replayed, total, elapsed: started.elapsed() });
    let rest: Vec<&str> =
        read_models.iter().flat_map(|model| model.tables()).copied().filter(|table| !indexed.contains(table)).collect();
    index_tables(pool, &rest).await?;
    let index_time = index_started.elapsed();
    if mode == Mode::Bulk {
        let folded: Vec<&str> = read_models.iter().filter(|m| m.folded_in_bulk()).map(|m| m.name()).collect();
        admin
            .execute(
                &format!(
                    "UPDATE {shadow}.projection_checkpoints SET tx_id = $1, \
                     global_position = $2, events_applied = $3 WHERE name = ANY($4)"
                ),
                &[
                    &checkpoint.tx_id,
                    &checkpoint.global_position,
                    &i64::try_from(replayed).unwrap_or(i64::MAX),
                    &folded,
                ],
            )
            .await?;
    }

    // Catch up with what was appended meanwhile (everything, incrementally).
    let mut caught_up = catch_up(store, read_models, search_key, Until::Committed, |done| {
        progress(Progress { phase: Phase::CatchingUp, done: replayed + done, total, elapsed: started.elapsed() });
    })
    .await?;

    progress(Progress { phase: Phase::Swapping, done: replayed + caught_up, total, elapsed: started.elapsed() });
    let mut swap = pool.get().await?;
    let transaction = swap.transaction().await?;
    let names: Vec<&str> = read_models.iter().map(|m| m.name()).collect();
    // Live runners find their checkpoints taken and wait; one in the middle of
    // a batch finishes it first.
    transaction.query("SELECT name FROM projection_checkpoints WHERE name = ANY($1) FOR UPDATE", &[&names]).await?;
    caught_up += catch_up(store, read_models, search_key, Until::Readable, |_| {}).await?;
    // Readers hold the tables briefly; do not queue behind a stuck one forever.
    transaction.batch_execute("SET LOCAL lock_timeout = '30s'").await?;
    let mut swap_sql = String::new();
    for model in read_models {
        for table in model.tables() {
            swap_sql.push_str(&format!(
                "DROP TABLE public.{table}; ALTER TABLE {shadow}.{table} SET SCHEMA public; \
                 DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onestop_app') THEN \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON public.{table} TO onestop_app; \
                 END IF; END $$;"
            ));
        }
    }
    swap_sql.push_str(&format!(
        "INSERT INTO public.projection_checkpoints (name, tx_id, global_position, events_applied) \
         SELECT name, tx_id, global_position, events_applied FROM {shadow}.projection_checkpoints \
         ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, \
         global_position = EXCLUDED.global_position, events_applied = EXCLUDED.events_applied, \
         updated_at = now();"
    ));
    transaction.batch_execute(&swap_sql).await?;
    transaction.commit().await?;
    Ok(Rebuilt {
        read_models: read_models.to_vec(),
        replayed,
        caught_up,
        replay_time,
        index_time,
        total_time: started.elapsed(),
    })
}

/// A batch of the log, with the status view's decoding of it when the status
/// view is being rebuilt.
type Read = (Vec<RecordedEvent>, Option<<StatusProjection as Projection>::Prepared>);

/// Reads the whole log once and folds it into every bulk projection; returns
/// how many events, where the last one stands and the tables whose indexes are
/// already built.
async fn replay_in_bulk(
    pool: &Pool,
    store: &EventStore,
    read_models: &[ReadModel],
    total: u64,
    started: Instant,
    progress: &mut impl FnMut(Progress),
) -> Result<(u64, Checkpoint, &'static [&'static str]), ProjectionError> {
    let with_status = read_models.contains(&ReadModel::Status);
    let with_stats = read_models.contains(&ReadModel::Stats);
    // Reading (and decoding, for the status view) runs ahead of folding by a
    // batch or two, on another task.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Read, ProjectionError>>(2);
    let reader_store = store.clone();
    let reader = tokio::spawn(async move {
        // The shadow catch-up would bring in what this misses, but the bulk
        // replay is the fast path: let it see the whole log.
        if let Err(error) = reader_store.wait_until_readable().await {
            let _ = sender.send(Err(error.into())).await;
            return;
        }
        let mut after = Checkpoint::START;
        loop {
            let batch =
                reader_store.read_all(after, BULK_BATCH).await.map_err(ProjectionError::from).and_then(|events| {
                    let decoded = if with_status { Some(StatusProjection.prepare(&events)?) } else { None };
                    Ok((events, decoded))
                });
            let last = match &batch {
                Ok((events, _)) => events.last().map(RecordedEvent::checkpoint),
                Err(_) => None,
            };
            let full = batch.as_ref().is_ok_and(|(e, _)| e.len() == BULK_BATCH);
            if sender.send(batch).await.is_err() {
                return;
            }
            match last {
                Some(last) if full => after = last,
                _ => return,
            }
        }
    });
    let mut status_bulk = StatusBulk::default();
    let mut stats_bulk = StatsBulk::default();
    let mut writer = pool.get().await?;
    let mut replayed = 0_u64;
    let mut checkpoint = Checkpoint::START;
    while let Some(batch) = receiver.recv().await {
        let (events, decoded) = batch?;
        let Some(last) = events.last() else {
            break;
        };
        checkpoint = last.checkpoint();
        // The statistics reuse the status view's decoding when there is one.
        if with_stats {
            match &decoded {
                Some(decoded) => stats_bulk.absorb_decoded(&events, decoded),
                None => stats_bulk.absorb(&events)?,
            }
        }
        if let Some(decoded) = decoded {
            let transaction = shadow_transaction(&mut writer).await?;
            status_bulk.absorb(&transaction, &events, decoded).await?;
            transaction.commit().await?;
        }
        replayed += events.len() as u64;
        progress(Progress { phase: Phase::Replaying, done: replayed, total, elapsed: started.elapsed() });
    }
    // The reader has returned (the log ended); a panic in it must not pass
    // for the log's end.
    reader.await.map_err(|e| ProjectionError::Refused(format!("reading the log failed: {e}")))?;
    drop(writer);
    // The change rows are complete: their indexes are built while the case rows
    // (in two shares, on two connections) and the statistics are written.
    let mut finals = Vec::new();
    if with_status {
        finals.extend(status_bulk.into_shares(2).into_iter().map(FinalWrite::Cases));
    }
    if with_stats {
        finals.push(FinalWrite::Statistics(stats_bulk));
    }
    let mut writes = tokio::task::JoinSet::new();
    for write in finals {
        writes.spawn(write.run(pool.clone()));
    }
    let early: &[&str] = if with_status { &[status::CHANGES] } else { &[] };
    let (indexed, written) = tokio::join!(index_tables(pool, early), async {
        while let Some(done) = writes.join_next().await {
            done.map_err(|e| ProjectionError::Refused(format!("a writing task failed: {e}")))??;
        }
        Ok::<_, ProjectionError>(())
    });
    indexed?;
    written?;
    Ok((replayed, checkpoint, early))
}

/// One of the writes that end a bulk replay, each made on a connection (and a
/// task) of its own.
enum FinalWrite {
    Cases(CaseRows),
    Statistics(StatsBulk),
}

impl FinalWrite {
    async fn run(self, pool: Pool) -> Result<(), ProjectionError> {
        let mut client = pool.get().await?;
        let transaction = shadow_transaction(&mut client).await?;
        match self {
            Self::Cases(rows) => rows.write(&transaction).await?,
            Self::Statistics(bulk) => bulk.finish(&transaction).await?,
        };
        transaction.commit().await?;
        Ok(())
    }
}

/// A transaction whose unqualified table names are the copies'.
async fn shadow_transaction(client: &mut Object) -> Result<deadpool_postgres::Transaction<'_>, ProjectionError> {
    let transaction = client.transaction().await?;
    transaction
        .batch_execute(&format!(
            "SET LOCAL synchronous_commit = off; SET LOCAL search_path TO {}, public",
            quoted(SHADOW_SCHEMA)
        ))
        .await?;
    Ok(transaction)
}

/// Gives the copies of `tables` the live tables' constraints and indexes, and
/// analyses them, on two connections at once.
///
/// Every index is built by a statement of its own, shared out largest table
/// first to the connection with less work so far: `CREATE INDEX` only keeps
/// writers out, so both connections may build on one table at once. A primary
/// key or unique constraint is built as a unique index first and then adopts
/// it (`ADD CONSTRAINT … USING INDEX`, a catalog change), because adding it
/// outright would lock the table against the other connection's builds.
async fn index_tables(pool: &Pool, tables: &[&str]) -> Result<(), ProjectionError> {
    if tables.is_empty() {
        return Ok(());
    }
    let shadow = quoted(SHADOW_SCHEMA);
    let catalog = pool.get().await?;
    // (work, statement): the builds, then what follows them.
    let mut builds: Vec<(i64, String)> = Vec::new();
    let mut adoptions: Vec<String> = Vec::new();
    let mut analyses: Vec<(i64, String)> = Vec::new();
    for table in tables {
        let relation = format!("public.{table}");
        let size: i64 = catalog
            .query_one("SELECT pg_relation_size($1::text::regclass)", &[&format!("{shadow}.{table}")])
            .await?
            .get(0);
        let on_copy =
            |definition: &str| definition.replacen(&format!(" ON {relation} "), &format!(" ON {shadow}.{table} "), 1);
        for row in catalog
            .query(
                "SELECT c.conname, c.contype::text, pg_get_constraintdef(c.oid), \
                        pg_get_indexdef(c.conindid), c.condeferrable \
                 FROM pg_constraint c \
                 WHERE c.conrelid = $1::text::regclass AND c.contype IN ('p', 'u', 'x') \
                 ORDER BY c.conname",
                &[&relation],
            )
            .await?
        {
            let name: String = row.get(0);
            let kind: String = row.get(1);
            let definition: String = row.get(2);
            let index: String = row.get(3);
            let deferrable: bool = row.get(4);
            let adopted = match kind.as_str() {
                "p" if !deferrable => "PRIMARY KEY",
                "u" if !deferrable => "UNIQUE",
                // An exclusion constraint cannot adopt an index, and an
                // adopted one would lose being deferrable: added whole.
                _ => {
                    builds.push((size, format!("ALTER TABLE {shadow}.{table} ADD CONSTRAINT \"{name}\" {definition}")));
                    continue;
                }
            };
            // The index is named as the constraint (in the copies' schema).
            builds.push((size, on_copy(&index)));
            adoptions.push(format!(
                "ALTER TABLE {shadow}.{table} ADD CONSTRAINT \"{name}\" {adopted} \
                 USING INDEX \"{name}\""
            ));
        }
        for row in catalog
            .query(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i \
                 WHERE i.indrelid = $1::text::regclass \
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
                 ORDER BY i.indexrelid",
                &[&relation],
            )
            .await?
        {
            builds.push((size, on_copy(&row.get::<_, String>(0))));
        }
        analyses.push((size, format!("ANALYZE {shadow}.{table}")));
    }
    drop(catalog);
    let [left, right] = share_out(builds);
    let (a, b) = tokio::join!(run_maintenance(pool, left), run_maintenance(pool, right));
    a?;
    b?;
    let [mut left, right] = share_out(analyses);
    left.splice(0..0, adoptions);
    let (a, b) = tokio::join!(run_maintenance(pool, left), run_maintenance(pool, right));
    a?;
    b?;
    Ok(())
}

/// Deals statements to two connections: largest work first, each to the one
/// with less work so far.
fn share_out(mut statements: Vec<(i64, String)>) -> [Vec<String>; 2] {
    statements.sort_by_key(|(work, _)| std::cmp::Reverse(*work));
    let mut work = [0_i64; 2];
    let mut shares: [Vec<String>; 2] = Default::default();
    for (size, statement) in statements {
        let lighter = usize::from(work[1] < work[0]);
        work[lighter] = work[lighter].saturating_add(size);
        shares[lighter].push(statement);
    }
    shares
}

/// Runs index builds and analyses on a connection of their own, taken out of
/// the pool and closed afterwards, so that its settings reach no one else.
async fn run_maintenance(pool: &Pool, statements: Vec<String>) -> Result<(), ProjectionError> {
    if statements.is_empty() {
        return Ok(());
    }
    let client = Object::take(pool.get().await?);
    // A province's largest index takes longer than the pool's statement
    // timeout allows an ordinary query.
    client.batch_execute("SET maintenance_work_mem = '256MB'; SET statement_timeout = 0").await?;
    for statement in statements {
        client.batch_execute(&statement).await?;
    }
    Ok(())
}

/// Brings the copies up to the log's current end; returns how many events.
/// How far a catch-up of the copies goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Everything committed when it starts.
    Committed,
    /// What every reader can see: while the swap's transaction holds the
    /// checkpoints it holds back the read horizon too, so later commits stay
    /// out of sight until the swap ends, and the live runners apply them.
    Readable,
}

async fn catch_up(
    store: &EventStore,
    read_models: &[ReadModel],
    search_key: &IndexKey,
    until: Until,
    mut progress: impl FnMut(u64),
) -> Result<u64, ProjectionError> {
    let mut applied = 0;
    for model in read_models {
        let report = |n| progress(applied + n);
        applied += match model {
            ReadModel::Status => catch_up_one(shadow_runner(StatusProjection, store), until, report).await?,
            ReadModel::Stats => catch_up_one(shadow_runner(StatsProjection, store), until, report).await?,
            ReadModel::Search => {
                catch_up_one(shadow_runner(SearchProjection::new(search_key.clone()), store), until, report).await?
            }
            ReadModel::Queue => {
                catch_up_one(shadow_runner(crate::queue::QueueProjection, store), until, report).await?
            }
        };
    }
    Ok(applied)
}

/// A runner of `projection` into the copies, in catch-up batches.
fn shadow_runner<P: Projection>(projection: P, store: &EventStore) -> Runner<P> {
    Runner::new(projection, store.clone(), 5_000)
        .catch_up_batches(crate::runner::CATCH_UP_BATCH)
        .in_schema(SHADOW_SCHEMA)
}

async fn catch_up_one<P: Projection>(
    runner: Runner<P>,
    until: Until,
    progress: impl FnMut(u64),
) -> Result<u64, ProjectionError> {
    match until {
        Until::Committed => runner.catch_up_with(progress).await,
        Until::Readable => runner.catch_up_readable_with(progress).await,
    }
}
