//! The live status view (DESIGN §4.1): one row per case, with the folded case
//! kept beside the columns so each batch continues the fold where it stopped.
//! The same fold writes the audit entries and the provincial feed's records, so
//! the three never disagree about a case.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use jiff::Timestamp;
use onestop_domain::case::{CaseEvent, CaseState, Timeliness, evolve};
use onestop_store::RecordedEvent;
use serde::Serialize;
use uuid::Uuid;

use crate::runner::{Projection, ProjectionError};

/// The status view's checkpoint name.
pub const NAME: &str = "case_status";

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

const UPSERT: &str = "INSERT INTO case_status (case_id, code, lookup_secret_hash, procedure_code, \
     procedure_version, field_code, receiving_unit, current_unit, current_step, holder_role, \
     assignee, status, channel, applicant_id, filed_at, submitted_at, received_at, due_at, \
     step_due_at, paused_since, finished_at, outcome, punctuality, returned_at, \
     handover_pending, version, last_event_at, state) \
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::text[], \
     $7::text[], $8::text[], $9::int4[], $10::text[], $11::uuid[], $12::int2[], $13::text[], \
     $14::uuid[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], \
     $19::timestamptz[], $20::timestamptz[], $21::timestamptz[], $22::text[], $23::text[], \
     $24::timestamptz[], $25::bool[], $26::int8[], $27::timestamptz[], $28::bytea[]) \
     ON CONFLICT (case_id) DO UPDATE SET code = EXCLUDED.code, \
     lookup_secret_hash = EXCLUDED.lookup_secret_hash, procedure_code = EXCLUDED.procedure_code, \
     procedure_version = EXCLUDED.procedure_version, field_code = EXCLUDED.field_code, \
     receiving_unit = EXCLUDED.receiving_unit, current_unit = EXCLUDED.current_unit, \
     current_step = EXCLUDED.current_step, holder_role = EXCLUDED.holder_role, \
     assignee = EXCLUDED.assignee, status = EXCLUDED.status, channel = EXCLUDED.channel, \
     applicant_id = EXCLUDED.applicant_id, filed_at = EXCLUDED.filed_at, \
     submitted_at = EXCLUDED.submitted_at, received_at = EXCLUDED.received_at, \
     due_at = EXCLUDED.due_at, step_due_at = EXCLUDED.step_due_at, \
     paused_since = EXCLUDED.paused_since, finished_at = EXCLUDED.finished_at, \
     outcome = EXCLUDED.outcome, punctuality = EXCLUDED.punctuality, \
     returned_at = EXCLUDED.returned_at, handover_pending = EXCLUDED.handover_pending, \
     version = EXCLUDED.version, last_event_at = EXCLUDED.last_event_at, state = EXCLUDED.state";

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

/// One row per case event: who did what where, and the case as it left it.
#[derive(Default)]
struct ChangeRows {
    position: Vec<i64>,
    case_id: Vec<Uuid>,
    event_type: Vec<String>,
    actor: Vec<Option<Uuid>>,
    role: Vec<Option<String>>,
    actor_name: Vec<Option<String>>,
    acting_unit: Vec<String>,
    unit: Vec<Option<String>>,
    at: Vec<Timestamp>,
    action: Vec<String>,
    applicant: Vec<Option<Uuid>>,
    code: Vec<Option<String>>,
    procedure: Vec<Option<String>>,
    field: Vec<Option<String>>,
    channel: Vec<Option<i16>>,
    received_at: Vec<Option<Timestamp>>,
    due_at: Vec<Option<Timestamp>>,
    status: Vec<Option<i16>>,
    returned_at: Vec<Option<Timestamp>>,
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

impl Projection for StatusProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["case_status", "case_changes"]
    }

    async fn apply(
        &self,
        transaction: &Transaction<'_>,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        // The batch's cases, in first-seen order, with their events.
        let mut order: Vec<Uuid> = Vec::new();
        let mut by_case: HashMap<Uuid, Vec<&RecordedEvent>> = HashMap::new();
        for event in events {
            if let Some(id) = case_id_of(&event.stream_id) {
                by_case
                    .entry(id)
                    .or_insert_with(|| {
                        order.push(id);
                        Vec::new()
                    })
                    .push(event);
            }
        }
        if order.is_empty() {
            return Ok(());
        }
        let statement = transaction
            .prepare_cached("SELECT case_id, state FROM case_status WHERE case_id = ANY($1)")
            .await?;
        let mut states: HashMap<Uuid, CaseState> = HashMap::with_capacity(order.len());
        for row in transaction.query(&statement, &[&order]).await? {
            let id: Uuid = row.get(0);
            let bytes: &[u8] = row.get(1);
            let state = decode_state(bytes).map_err(|e| ProjectionError::Event {
                position: 0,
                reason: format!("stored state of case {id} is unreadable: {e}"),
            })?;
            states.insert(id, state);
        }
        let mut rows = Rows::default();
        let mut changes = ChangeRows::default();
        for id in order {
            let mut state = states.remove(&id).unwrap_or_default();
            let mut last_event_at = Timestamp::UNIX_EPOCH;
            for event in by_case.get(&id).into_iter().flatten() {
                let decoded = decode(event)?;
                last_event_at = decoded.at();
                // Where the file was when this was done (where it arrived, for a filing).
                let unit_before = state.current_unit().cloned();
                state = evolve(state, &decoded);
                let acting_unit = unit_before
                    .or_else(|| state.current_unit().cloned())
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let (actor, role, name) = crate::describe::actor_of(event.metadata.as_str());
                changes.position.push(event.global_position);
                changes.case_id.push(id);
                changes.event_type.push(event.event_type.clone());
                changes.actor.push(actor);
                changes.role.push(role);
                changes.actor_name.push(name);
                changes.acting_unit.push(acting_unit);
                changes
                    .unit
                    .push(state.current_unit().map(ToString::to_string));
                changes.at.push(last_event_at);
                changes.action.push(crate::describe::action_vi(&decoded));
                changes.applicant.push(state.applicant.map(|a| a.0));
                changes
                    .code
                    .push(state.code.as_ref().map(ToString::to_string));
                changes
                    .procedure
                    .push(state.procedure.as_ref().map(|p| p.code.to_string()));
                changes.field.push(state.field_code.clone());
                changes
                    .channel
                    .push(state.channel.map(crate::feed::channel_code));
                changes.received_at.push(state.received_at);
                changes.due_at.push(state.due_at);
                changes.status.push(state.status_code().map(i16::from));
                changes.returned_at.push(state.returned_at);
            }
            rows.push(id, &state, last_event_at);
        }
        let statement = transaction.prepare_cached(UPSERT).await?;
        transaction
            .execute(
                &statement,
                &[
                    &rows.case_id,
                    &rows.code,
                    &rows.secret,
                    &rows.procedure_code,
                    &rows.procedure_version,
                    &rows.field_code,
                    &rows.receiving_unit,
                    &rows.current_unit,
                    &rows.current_step,
                    &rows.holder_role,
                    &rows.assignee,
                    &rows.status,
                    &rows.channel,
                    &rows.applicant,
                    &rows.filed_at,
                    &rows.submitted_at,
                    &rows.received_at,
                    &rows.due_at,
                    &rows.step_due_at,
                    &rows.paused_since,
                    &rows.finished_at,
                    &rows.outcome,
                    &rows.punctuality,
                    &rows.returned_at,
                    &rows.handover_pending,
                    &rows.version,
                    &rows.last_event_at,
                    &rows.state,
                ],
            )
            .await?;
        copy_changes(transaction, &changes).await?;
        Ok(())
    }
}

/// Change rows by binary COPY (per-event rows are most of a replay's writes),
/// numbered after the last one: one runner writes at a time (it holds the
/// checkpoint row), so numbers follow the projection's order without gaps.
async fn copy_changes(
    transaction: &Transaction<'_>,
    rows: &ChangeRows,
) -> Result<(), ProjectionError> {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::Type;
    let last: i64 = transaction
        .query_one("SELECT coalesce(max(seq), 0) FROM case_changes", &[])
        .await?
        .get(0);
    let sink = transaction
        .copy_in(
            "COPY case_changes (seq, global_position, case_id, event_type, actor_id, actor_role, \
             actor_name, acting_unit, unit, at, action, applicant_id, code, procedure_code, \
             field_code, channel, received_at, due_at, status, returned_at) FROM STDIN BINARY",
        )
        .await?;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[
            Type::INT8,
            Type::INT8,
            Type::UUID,
            Type::TEXT,
            Type::UUID,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TIMESTAMPTZ,
            Type::TEXT,
            Type::UUID,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::INT2,
            Type::TIMESTAMPTZ,
            Type::TIMESTAMPTZ,
            Type::INT2,
            Type::TIMESTAMPTZ,
        ],
    );
    futures_util::pin_mut!(writer);
    for i in 0..rows.position.len() {
        let seq = last + 1 + i as i64;
        writer
            .as_mut()
            .write(&[
                &seq,
                &rows.position[i],
                &rows.case_id[i],
                &rows.event_type[i],
                &rows.actor[i],
                &rows.role[i],
                &rows.actor_name[i],
                &rows.acting_unit[i],
                &rows.unit[i],
                &rows.at[i],
                &rows.action[i],
                &rows.applicant[i],
                &rows.code[i],
                &rows.procedure[i],
                &rows.field[i],
                &rows.channel[i],
                &rows.received_at[i],
                &rows.due_at[i],
                &rows.status[i],
                &rows.returned_at[i],
            ])
            .await?;
    }
    writer.finish().await?;
    Ok(())
}
