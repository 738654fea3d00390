//! The live status view (DESIGN §4.1): one row per case, with the folded case
//! kept beside the columns so each batch continues the fold where it stopped.
//! The same fold writes the audit entries and the provincial feed's records, so
//! the three never disagree about a case.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use jiff::Timestamp;
use onestop_domain::case::{CaseEvent, CaseState, Timeliness, evolve};
use onestop_domain::ids::UnitCode;
use onestop_store::RecordedEvent;
use serde::Serialize;
use uuid::Uuid;

use crate::copy::{BinaryCopy, CopyValue};
use crate::runner::{Projection, ProjectionError};

/// The status view's checkpoint name.
pub const NAME: &str = "case_status";

/// The table of change rows: the audit trail's entries and the feed's records.
pub const CHANGES: &str = "case_changes";

/// The case id of a case stream, `None` for other streams.
pub fn case_id_of(stream_id: &str) -> Option<Uuid> {
    stream_id
        .strip_prefix("case-")
        .and_then(|id| id.parse().ok())
}

/// Decodes a stored case event.
pub fn decode(event: &RecordedEvent) -> Result<CaseEvent, ProjectionError> {
    CaseEvent::decode(
        &event.event_type,
        event.schema_version,
        event.payload.as_str(),
    )
    .map_err(|error| ProjectionError::Event {
        position: event.global_position,
        reason: error.to_string(),
    })
}

fn snake<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// The columns of `case_status`, in the order [`Rows::params`] gives them.
const COLUMNS: [&str; 28] = [
    "case_id",
    "code",
    "lookup_secret_hash",
    "procedure_code",
    "procedure_version",
    "field_code",
    "receiving_unit",
    "current_unit",
    "current_step",
    "holder_role",
    "assignee",
    "status",
    "channel",
    "applicant_id",
    "filed_at",
    "submitted_at",
    "received_at",
    "due_at",
    "step_due_at",
    "paused_since",
    "finished_at",
    "outcome",
    "punctuality",
    "returned_at",
    "handover_pending",
    "version",
    "last_event_at",
    "state",
];

const UPDATE: &str = "UPDATE case_status c SET code = u.code, \
     lookup_secret_hash = u.lookup_secret_hash, procedure_code = u.procedure_code, \
     procedure_version = u.procedure_version, field_code = u.field_code, \
     receiving_unit = u.receiving_unit, current_unit = u.current_unit, \
     current_step = u.current_step, holder_role = u.holder_role, assignee = u.assignee, \
     status = u.status, channel = u.channel, applicant_id = u.applicant_id, \
     filed_at = u.filed_at, submitted_at = u.submitted_at, received_at = u.received_at, \
     due_at = u.due_at, step_due_at = u.step_due_at, paused_since = u.paused_since, \
     finished_at = u.finished_at, outcome = u.outcome, punctuality = u.punctuality, \
     returned_at = u.returned_at, handover_pending = u.handover_pending, version = u.version, \
     last_event_at = u.last_event_at, state = u.state \
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::text[], \
     $7::text[], $8::text[], $9::int4[], $10::text[], $11::uuid[], $12::int2[], $13::text[], \
     $14::uuid[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], \
     $19::timestamptz[], $20::timestamptz[], $21::timestamptz[], $22::text[], $23::text[], \
     $24::timestamptz[], $25::bool[], $26::int8[], $27::timestamptz[], $28::bytea[]) \
     AS u(case_id, code, lookup_secret_hash, procedure_code, procedure_version, field_code, \
          receiving_unit, current_unit, current_step, holder_role, assignee, status, channel, \
          applicant_id, filed_at, submitted_at, received_at, due_at, step_due_at, paused_since, \
          finished_at, outcome, punctuality, returned_at, handover_pending, version, \
          last_event_at, state) \
     WHERE c.case_id = u.case_id";

/// Keeps `case_status` current.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusProjection;

/// The columns of one row, gathered per batch.
#[derive(Default)]
struct Rows {
    case_id: Vec<Uuid>,
    code: Vec<Option<String>>,
    secret: Vec<Option<String>>,
    procedure_code: Vec<String>,
    procedure_version: Vec<i32>,
    field_code: Vec<String>,
    receiving_unit: Vec<String>,
    current_unit: Vec<String>,
    current_step: Vec<Option<i32>>,
    holder_role: Vec<Option<String>>,
    assignee: Vec<Option<Uuid>>,
    status: Vec<i16>,
    channel: Vec<String>,
    applicant: Vec<Option<Uuid>>,
    filed_at: Vec<Timestamp>,
    submitted_at: Vec<Option<Timestamp>>,
    received_at: Vec<Option<Timestamp>>,
    due_at: Vec<Option<Timestamp>>,
    step_due_at: Vec<Option<Timestamp>>,
    paused_since: Vec<Option<Timestamp>>,
    finished_at: Vec<Option<Timestamp>>,
    outcome: Vec<Option<String>>,
    punctuality: Vec<Option<String>>,
    returned_at: Vec<Option<Timestamp>>,
    handover_pending: Vec<bool>,
    version: Vec<i64>,
    last_event_at: Vec<Timestamp>,
    state: Vec<Vec<u8>>,
}

impl Rows {
    /// The columns as statement parameters, in [`COLUMNS`] order.
    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 28] {
        [
            &self.case_id,
            &self.code,
            &self.secret,
            &self.procedure_code,
            &self.procedure_version,
            &self.field_code,
            &self.receiving_unit,
            &self.current_unit,
            &self.current_step,
            &self.holder_role,
            &self.assignee,
            &self.status,
            &self.channel,
            &self.applicant,
            &self.filed_at,
            &self.submitted_at,
            &self.received_at,
            &self.due_at,
            &self.step_due_at,
            &self.paused_since,
            &self.finished_at,
            &self.outcome,
            &self.punctuality,
            &self.returned_at,
            &self.handover_pending,
            &self.version,
            &self.last_event_at,
            &self.state,
        ]
    }

    /// Row `i`, in [`COLUMNS`] order.
    fn row(&self, i: usize) -> [&dyn CopyValue; 28] {
        [
            &self.case_id[i],
            &self.code[i],
            &self.secret[i],
            &self.procedure_code[i],
            &self.procedure_version[i],
            &self.field_code[i],
            &self.receiving_unit[i],
            &self.current_unit[i],
            &self.current_step[i],
            &self.holder_role[i],
            &self.assignee[i],
            &self.status[i],
            &self.channel[i],
            &self.applicant[i],
            &self.filed_at[i],
            &self.submitted_at[i],
            &self.received_at[i],
            &self.due_at[i],
            &self.step_due_at[i],
            &self.paused_since[i],
            &self.finished_at[i],
            &self.outcome[i],
            &self.punctuality[i],
            &self.returned_at[i],
            &self.handover_pending[i],
            &self.version[i],
            &self.last_event_at[i],
            &self.state[i],
        ]
    }

    fn push(&mut self, id: Uuid, state: &CaseState, last_event_at: Timestamp) {
        let step = state.current_step();
        self.case_id.push(id);
        self.code.push(state.code.as_ref().map(ToString::to_string));
        self.secret.push(state.lookup_secret_hash.clone());
        self.procedure_code.push(
            state
                .procedure
                .as_ref()
                .map(|p| p.code.to_string())
                .unwrap_or_default(),
        );
        self.procedure_version.push(
            state
                .procedure
                .as_ref()
                .map_or(0, |p| i32::try_from(p.version).unwrap_or(i32::MAX)),
        );
        self.field_code
            .push(state.field_code.clone().unwrap_or_default());
        self.receiving_unit.push(
            state
                .receiving_unit
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
        self.current_unit.push(
            state
                .current_unit()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
        self.current_step
            .push(step.map(|s| i32::try_from(s.index).unwrap_or(i32::MAX)));
        self.holder_role
            .push(step.map(|s| s.role.as_str().to_owned()));
        self.assignee
            .push(step.and_then(|s| s.assignee).map(|u| u.0));
        self.status
            .push(i16::from(state.status_code().unwrap_or(0)));
        self.channel
            .push(state.channel.and_then(|c| snake(&c)).unwrap_or_default());
        self.applicant.push(state.applicant.map(|a| a.0));
        self.filed_at.push(
            state
                .submitted_at
                .or(state.received_at)
                .unwrap_or(last_event_at),
        );
        self.submitted_at.push(state.submitted_at);
        self.received_at.push(state.received_at);
        self.due_at.push(state.due_at);
        self.step_due_at.push(step.map(|s| s.due_at));
        self.paused_since.push(state.paused_since);
        self.finished_at.push(state.finished_at);
        self.outcome.push(state.outcome.and_then(|o| snake(&o)));
        self.punctuality
            .push(match state.finished_at.and_then(|f| state.timeliness(f)) {
                Some(Timeliness::Finished(p)) => snake(&p),
                _ => None,
            });
        self.returned_at.push(state.returned_at);
        self.handover_pending.push(state.handover_pending);
        self.version
            .push(i64::try_from(state.version).unwrap_or(i64::MAX));
        self.last_event_at.push(last_event_at);
        self.state.push(encode_state(state));
    }
}

/// The format byte before a stored state; a different one means the stored
/// states were written by another version of this code: rebuild the projection.
const STATE_FORMAT: u8 = 1;

fn encode_state(state: &CaseState) -> Vec<u8> {
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
            .prepare_cached(
                "SELECT case_id, state, last_event_at FROM case_status WHERE case_id = ANY($1)",
            )
            .await?;
        let stored = if ids.is_empty() {
            Vec::new()
        } else {
            transaction.query(&statement, &[&ids]).await?
        };
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
        let first_seq: i64 = transaction
            .query_one("SELECT coalesce(max(seq), 0) + 1 FROM case_changes", &[])
            .await?
            .get(0);
        let mut copy = ChangeCopy::open(transaction, first_seq).await?;
        let touched = fold_and_copy(&mut cases, events, decoded, &mut copy).await?;
        copy.finish().await?;
        // Cases seen before are updated; new ones are copied in (faster). The
        // new rows are built while the server runs the update.
        let (known_ids, fresh_ids): (Vec<Uuid>, Vec<Uuid>) =
            touched.into_iter().partition(|id| known.contains(id));
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
        let fresh = if updated.case_id.is_empty() {
            rows_of(&fresh_ids)
        } else {
            let statement = transaction.prepare_cached(UPDATE).await?;
            let params = updated.params();
            let (done, fresh) = tokio::join!(transaction.execute(&statement, &params), async {
                rows_of(&fresh_ids)
            });
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
fn fold_one(
    cases: &mut HashMap<Uuid, Folded>,
    event: &RecordedEvent,
    decoded: Decoded,
    copy: &mut ChangeCopy,
) {
    let id = decoded.case_id;
    let (state, last_event_at) = &mut **cases
        .entry(id)
        .or_insert_with(|| Box::new((CaseState::default(), Timestamp::UNIX_EPOCH)));
    *last_event_at = decoded.event.at();
    // Where the file was when this was done (where it arrived, for a filing).
    let unit_before = state.current_unit().cloned();
    *state = evolve(std::mem::take(state), &decoded.event);
    let unit_after = state.current_unit();
    let places = [
        unit_before.as_ref().map(UnitCode::as_str),
        unit_after.map(UnitCode::as_str),
        state.receiving_unit.as_ref().map(UnitCode::as_str),
    ];
    // The acting officer's unit; without a recorded grant, where the file was.
    let acting_unit = onestop_domain::access::acting_unit(&decoded.actor_units, &places)
        .or(places[0])
        .or(places[1])
        .unwrap_or("");
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
        Self {
            cases: HashMap::new(),
            next_seq: 1,
        }
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
        let mut shares: Vec<Vec<(Uuid, Folded)>> = (0..parts)
            .map(|_| Vec::with_capacity(self.cases.len() / parts + 1))
            .collect();
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
            if rows.case_id.len() == BULK_ROWS {
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
    if rows.case_id.is_empty() {
        return Ok(());
    }
    let mut copy = case_copy(transaction).await?;
    put_rows(&mut copy, rows).await?;
    copy.finish().await?;
    Ok(())
}

/// Starts a binary COPY of case rows.
async fn case_copy(transaction: &Transaction<'_>) -> Result<BinaryCopy, ProjectionError> {
    Ok(BinaryCopy::start(
        transaction,
        &format!(
            "COPY case_status ({}) FROM STDIN (FORMAT binary)",
            COLUMNS.join(", ")
        ),
    )
    .await?)
}

/// Adds `rows` to a COPY of case rows.
async fn put_rows(copy: &mut BinaryCopy, rows: &Rows) -> Result<(), ProjectionError> {
    for i in 0..rows.case_id.len() {
        copy.row(&rows.row(i));
        copy.send_when_full().await?;
    }
    Ok(())
}
