//! The live status view (DESIGN §4.1): one row per case, with the folded case
//! kept beside the columns so each batch continues the fold where it stopped.
//! The same fold writes the audit entries and the provincial feed's records, so
//! the three never disagree about a case.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use jiff::Timestamp;
use onestop_domain::case::{CaseChange, CaseEvent, CaseState};
use onestop_domain::ids::UnitCode;
use onestop_store::RecordedEvent;
use serde::Serialize;
use uuid::Uuid;

use crate::copy::{BinaryCopy, CopyValue};

mod row;
use crate::runner::{Projection, ProjectionError};
use row::{Rows, UPDATE};

/// The status view's checkpoint name.
pub const NAME: &str = "case_status";

/// The table of change rows: the audit trail's entries and the feed's records.
pub const CHANGES: &str = "case_changes";

/// The case id of a case stream, `None` for other streams.
pub fn case_id_of(stream_id: &str) -> Option<Uuid> {
    stream_id.strip_prefix("case-").and_then(|id| id.parse().ok())
}

/// Decodes a stored case event.
pub fn decode(event: &RecordedEvent) -> Result<CaseEvent, ProjectionError> {
    CaseEvent::decode(&event.event_type, event.schema_version, event.payload.as_str())
        .map_err(|error| ProjectionError::Event { position: event.global_position, reason: error.to_string() })
}

fn snake<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned))
}

/// Keeps `case_status` current.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusProjection;

/// The format byte before a stored state; a different one means the stored
/// states were written by another version of this code: rebuild the projection.
const STATE_FORMAT: u8 = 1;

/// A folded state in the stored form ([`STATE_FORMAT`], then postcard).
pub fn encode_state(state: &CaseState) -> Vec<u8> {
    let bytes = vec![STATE_FORMAT];
    match postcard::to_extend(state, bytes) {
        Ok(encoded) => encoded,
        Err(_) => vec![0],
    }
}

/// Reads a stored state.
pub fn decode_state(bytes: &[u8]) -> Result<CaseState, String> {
    match bytes.split_first() {
        Some((&STATE_FORMAT, rest)) => postcard::from_bytes(rest).map_err(|e| e.to_string()),
        _ => Err("stored in another format: rebuild the case_status projection".into()),
    }
}

/// The cases the status projection's last batch wrote, as folded: a case
/// usually has events in consecutive batches, and its state need not be read
/// back from its row then.
#[derive(Debug, Default)]
pub struct RecentCases {
    cases: HashMap<Uuid, Folded>,
}

impl Projection for StatusProjection {
    type Prepared = Vec<Option<Decoded>>;
    type Memory = RecentCases;

    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare(&self, events: &[RecordedEvent]) -> Result<Self::Prepared, ProjectionError> {
        decode_batch(events)
    }

    fn tables(&self) -> &'static [&'static str] {
        &["case_status", CHANGES]
    }

    async fn apply(
        &self,
        transaction: &Transaction<'_>,
        events: &[RecordedEvent],
        decoded: Self::Prepared,
        memory: &mut RecentCases,
    ) -> Result<(), ProjectionError> {
        let mut ids: Vec<Uuid> = decoded.iter().flatten().map(|d| d.case_id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        ids.sort_unstable();
        ids.dedup();
        // Case rows are found through their key, whatever the batch's size: a
        // hash join or a scan with a hashed list would read every case row,
        // and there are millions of them.
        transaction
            .batch_execute(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; \
                 SET LOCAL enable_mergejoin = off",
            )
            .await?;
        let mut cases: HashMap<Uuid, Folded> = HashMap::with_capacity(ids.len());
        // What the last batch wrote is at hand; the rest is read.
        ids.retain(|id| match memory.cases.remove(id) {
            Some(folded) => {
                cases.insert(*id, folded);
                false
            }
            None => true,
        });
        let statement = transaction
            .prepare_cached("SELECT case_id, state, last_event_at FROM case_status WHERE case_id = ANY($1)")
            .await?;
        let stored = if ids.is_empty() { Vec::new() } else { transaction.query(&statement, &[&ids]).await? };
        for row in stored {
            let id: Uuid = row.get(0);
            let bytes: &[u8] = row.get(1);
            let state = decode_state(bytes).map_err(|e| ProjectionError::Event {
                position: 0,
                reason: format!("stored state of case {id} is unreadable: {e}"),
            })?;
            cases.insert(id, Box::new((state, row.get(2))));
        }
        let known: std::collections::HashSet<Uuid> = cases.keys().copied().collect();
        let first_seq: i64 =
            transaction.query_one("SELECT coalesce(max(seq), 0) + 1 FROM case_changes", &[]).await?.get(0);
        let mut copy = ChangeCopy::open(transaction, first_seq).await?;
        let touched = fold_and_copy(&mut cases, events, decoded, &mut copy).await?;
        copy.finish().await?;
        // Cases seen before are updated; new ones are copied in (faster). The
        // new rows are built while the server runs the update.
        let (known_ids, fresh_ids): (Vec<Uuid>, Vec<Uuid>) = touched.into_iter().partition(|id| known.contains(id));
        let rows_of = |ids: &[Uuid]| {
            let mut rows = Rows::default();
            for id in ids {
                if let Some(folded) = cases.get(id) {
                    let (state, last_event_at) = &**folded;
                    rows.push(*id, state, *last_event_at);
                }
            }
            rows
        };
        let updated = rows_of(&known_ids);
        let fresh = if updated.len() == 0 {
            rows_of(&fresh_ids)
        } else {
            let statement = transaction.prepare_cached(&UPDATE).await?;
            let params = updated.params();
            let (done, fresh) = tokio::join!(transaction.execute(&statement, &params), async { rows_of(&fresh_ids) });
            done?;
            fresh
        };
        copy_rows(transaction, &fresh).await?;
        memory.cases = cases;
        Ok(())
    }
}

/// A case as folded so far, with the time of its last event. Boxed: a case
/// state is several hundred bytes, and a map of every case in the province
/// would move them all each time it grows.
type Folded = Box<(CaseState, Timestamp)>;

/// A case event with what its change row takes from the event alone: the part
/// of the fold that needs no earlier state, done ahead (see [`Projection::prepare`]).
#[derive(Debug)]
pub struct Decoded {
    case_id: Uuid,
    event: CaseEvent,
    actor: Option<Uuid>,
    role: Option<String>,
    actor_name: Option<String>,
    /// The units granted to the actor.
    actor_units: Vec<String>,
    action: String,
}

impl Decoded {
    /// The case and its event.
    pub fn case_event(&self) -> (Uuid, &CaseEvent) {
        (self.case_id, &self.event)
    }
}

/// Decodes a batch's case events; `None` in the places of other streams' events.
/// Sized up front: collecting through `Result` would grow the vector by
/// doubling, copying a catch-up batch's decoded events many times over.
fn decode_batch(events: &[RecordedEvent]) -> Result<Vec<Option<Decoded>>, ProjectionError> {
    let mut batch = Vec::with_capacity(events.len());
    for event in events {
        let Some(case_id) = case_id_of(&event.stream_id) else {
            batch.push(None);
            continue;
        };
        let decoded = decode(event)?;
        let actor = crate::describe::recorded_actor(event.metadata.as_str());
        batch.push(Some(Decoded {
            case_id,
            action: crate::describe::action_vi(&decoded),
            event: decoded,
            actor: actor.user_id,
            role: actor.role,
            actor_name: actor.name,
            actor_units: actor.units,
        }));
    }
    Ok(batch)
}

/// Folds a batch's case events onto `cases` in log order and streams one change
/// row per event into `copy`. Returns the cases it touched, each once.
async fn fold_and_copy(
    cases: &mut HashMap<Uuid, Folded>,
    events: &[RecordedEvent],
    decoded: Vec<Option<Decoded>>,
    copy: &mut ChangeCopy,
) -> Result<Vec<Uuid>, ProjectionError> {
    let mut touched = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (event, decoded) in events.iter().zip(decoded) {
        let Some(decoded) = decoded else {
            continue;
        };
        if seen.insert(decoded.case_id) {
            touched.push(decoded.case_id);
        }
        fold_one(cases, event, decoded, copy);
        copy.send_when_full().await?;
    }
    Ok(touched)
}

/// Folds one case event and writes its change row: who did what where, and
/// the case as it left it. What a case keeps from receipt on (code, procedure,
/// field, channel, applicant) is on its case row, not repeated here.
fn fold_one(cases: &mut HashMap<Uuid, Folded>, event: &RecordedEvent, decoded: Decoded, copy: &mut ChangeCopy) {
    let id = decoded.case_id;
    let (state, last_event_at) =
        &mut **cases.entry(id).or_insert_with(|| Box::new((CaseState::default(), Timestamp::UNIX_EPOCH)));
    *last_event_at = decoded.event.at();
    let change = CaseChange::apply(state, &decoded.event);
    let acting_unit = change.acting_unit(&decoded.actor_units).unwrap_or("");
    let unit_after = change.unit_after();
    let state = change.after;
    copy.row([
        &event.global_position,
        &id,
        &event.event_type,
        &decoded.actor,
        &decoded.role,
        &decoded.actor_name,
        &acting_unit,
        &unit_after.map(UnitCode::as_str),
        &*last_event_at,
        &decoded.action,
        &state.received_at,
        &state.due_at,
        &state.status_code().map(i16::from),
        &state.returned_at,
    ]);
}

/// The status view rebuilt in bulk (see [`crate::rebuild`]): every case is
/// folded in memory, change rows are copied batch by batch, and each case row is
/// written once, at the end, into tables that have no indexes yet.
#[derive(Debug)]
pub struct StatusBulk {
    cases: HashMap<Uuid, Folded>,
    next_seq: i64,
}

impl Default for StatusBulk {
    fn default() -> Self {
        Self { cases: HashMap::new(), next_seq: 1 }
    }
}

/// Case rows gathered in columns at a time at the end of a bulk rebuild
/// (bounds those buffers); all of a share's go into one COPY.
const BULK_ROWS: usize = 10_000;

impl StatusBulk {
    /// Folds a batch and copies its change rows; `decoded` is what
    /// [`StatusProjection`]'s `prepare` made of `events` (done ahead, beside
    /// the previous batch's fold).
    pub async fn absorb(
        &mut self,
        transaction: &Transaction<'_>,
        events: &[RecordedEvent],
        decoded: Vec<Option<Decoded>>,
    ) -> Result<(), ProjectionError> {
        let mut copy = ChangeCopy::open(transaction, self.next_seq).await?;
        fold_and_copy(&mut self.cases, events, decoded, &mut copy).await?;
        self.next_seq = copy.finish().await?;
        Ok(())
    }

    /// The folded cases in `parts` shares of about equal size, to be written
    /// on as many connections at once.
    pub fn into_shares(self, parts: usize) -> Vec<CaseRows> {
        let parts = parts.max(1);
        let mut shares: Vec<Vec<(Uuid, Folded)>> =
            (0..parts).map(|_| Vec::with_capacity(self.cases.len() / parts + 1)).collect();
        for (i, case) in self.cases.into_iter().enumerate() {
            shares[i % parts].push(case);
        }
        shares.into_iter().map(CaseRows).collect()
    }
}

/// Case rows of a bulk rebuild, ready to be written (see
/// [`StatusBulk::into_shares`]).
#[derive(Debug)]
pub struct CaseRows(Vec<(Uuid, Folded)>);

impl CaseRows {
    /// Writes the rows; returns how many.
    pub async fn write(self, transaction: &Transaction<'_>) -> Result<usize, ProjectionError> {
        let total = self.0.len();
        let mut copy = case_copy(transaction).await?;
        let mut rows = Rows::default();
        for (id, folded) in &self.0 {
            let (state, last_event_at) = &**folded;
            rows.push(*id, state, *last_event_at);
            if rows.len() == BULK_ROWS {
                put_rows(&mut copy, &std::mem::take(&mut rows)).await?;
            }
        }
        put_rows(&mut copy, &rows).await?;
        copy.finish().await?;
        Ok(total)
    }
}

/// Change rows by binary COPY (per-event rows are most of a replay's writes),
/// numbered in log order from the first number given: one runner writes at a
/// time (it holds the checkpoint row), so numbers follow the log without gaps,
/// and a rebuild, whatever its batches, numbers every change as the live
/// projection did.
struct ChangeCopy {
    copy: BinaryCopy,
    next_seq: i64,
}

impl ChangeCopy {
    async fn open(transaction: &Transaction<'_>, next_seq: i64) -> Result<Self, ProjectionError> {
        let copy = BinaryCopy::start(
            transaction,
            "COPY case_changes (seq, global_position, case_id, event_type, actor_id, \
             actor_role, actor_name, acting_unit, unit, at, action, received_at, due_at, \
             status, returned_at) FROM STDIN (FORMAT binary)",
        )
        .await?;
        Ok(Self { copy, next_seq })
    }

    /// Adds a change row of the columns after `seq`, numbering it.
    fn row(&mut self, columns: [&dyn CopyValue; 14]) {
        let seq: &dyn CopyValue = &self.next_seq;
        let mut values = [seq; 15];
        values[1..].copy_from_slice(&columns);
        self.copy.row(&values);
        self.next_seq += 1;
    }

    async fn send_when_full(&mut self) -> Result<(), ProjectionError> {
        Ok(self.copy.send_when_full().await?)
    }

    /// Ends the COPY; returns the number the next change row takes.
    async fn finish(self) -> Result<i64, ProjectionError> {
        self.copy.finish().await?;
        Ok(self.next_seq)
    }
}

/// New case rows by binary COPY.
async fn copy_rows(transaction: &Transaction<'_>, rows: &Rows) -> Result<(), ProjectionError> {
    if rows.len() == 0 {
        return Ok(());
    }
    let mut copy = case_copy(transaction).await?;
    put_rows(&mut copy, rows).await?;
    copy.finish().await?;
    Ok(())
}

/// Starts a binary COPY of case rows.
async fn case_copy(transaction: &Transaction<'_>) -> Result<BinaryCopy, ProjectionError> {
    Ok(BinaryCopy::start(transaction, &row::copy_statement()).await?)
}

/// Adds `rows` to a COPY of case rows.
async fn put_rows(copy: &mut BinaryCopy, rows: &Rows) -> Result<(), ProjectionError> {
    for i in 0..rows.len() {
        copy.row(&rows.row(i));
        copy.send_when_full().await?;
    }
    Ok(())
}
