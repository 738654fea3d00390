//! One case's audit trail: its history in words, its events as stored with
//! their hashes, the control slip, and the verification of its chain.

use actix_web::web::Path;
use actix_web::{HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::case::CaseState;
use onestop_domain::ids::{CaseId, UserId};
use onestop_domain::role::Role;
use onestop_projections::describe::{action_vi, actor_of, reason};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::routes::{Answer, State};

use super::{audited, with_history};

/// One line of a case's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    #[schema(example = 4)]
    pub version: u64,
    #[schema(example = "2026-03-02T08:30:00Z")]
    pub at: Timestamp,
    /// Who: the officer's name and id.
    #[schema(example = "Trần Thị Bình")]
    pub actor_name: Option<String>,
    pub actor_id: Option<Uuid>,
    /// Their role, and its Vietnamese title.
    #[schema(example = "specialist")]
    pub role: Option<String>,
    #[schema(example = "Chuyên viên xử lý")]
    pub role_title: Option<String>,
    /// The unit holding the file when it was done.
    #[schema(example = "000.00.12.H22")]
    pub unit: Option<String>,
    /// What was done, in words.
    #[schema(example = "Nhận bàn giao hồ sơ tại 000.00.12.H22")]
    pub action: String,
    /// The reason or note given.
    pub reason: Option<String>,
    #[schema(example = "HandoverAcknowledged")]
    pub event_type: String,
}

/// Every event of a case in human terms: who, role, unit, when, what, why.
/// Whoever may read the case reads its history.
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)), responses((status = 200, description = "The case's history, oldest first", body = Vec<HistoryEntry>), answers::NotFound), security(("bearer" = [])))]
#[get("/cases/{id}/history")]
pub async fn history(state: State, auth: Authenticated, id: Path<Uuid>) -> Answer {
    let loaded = with_history(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(history_of(&loaded)))
}

/// A loaded case's history in words, oldest first (the API's and the console's).
pub(crate) fn history_of(loaded: &onestop_commands::cases::LoadedCase) -> Vec<HistoryEntry> {
    let mut case = CaseState::default();
    let mut entries = Vec::with_capacity(loaded.events.len());
    for (recorded, event) in &loaded.events {
        let change = onestop_domain::case::CaseChange::apply(&mut case, event);
        let unit = change.unit().map(ToString::to_string);
        let (actor_id, role, actor_name) = actor_of(recorded.metadata.as_str());
        let title = role
            .as_deref()
            .and_then(|r| Role::ALL.into_iter().find(|x| x.as_str() == r))
            .map(|r| r.title_vi().to_owned());
        entries.push(HistoryEntry {
            version: recorded.stream_version,
            at: event.at(),
            actor_name,
            actor_id,
            role,
            role_title: title,
            unit,
            action: action_vi(event),
            reason: reason(event),
            event_type: recorded.event_type.clone(),
        });
    }
    entries
}

/// An event as stored, with its place in the log and its hashes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RawEvent {
    pub global_position: i64,
    pub stream_version: u64,
    pub event_id: Uuid,
    #[schema(value_type = CaseEventType)]
    pub event_type: String,
    pub schema_version: i32,
    /// The event's fields, as `onestop_domain::case::event` defines each type;
    /// every one has `at`, the instant it happened.
    #[schema(value_type = EventPayload)]
    pub payload: serde_json::Value,
    #[schema(value_type = EventMetadata)]
    pub metadata: serde_json::Value,
    pub recorded_at: Timestamp,
    /// Hex SHA-256 of the previous event of the stream (none for the first).
    pub prev_hash: Option<String>,
    pub hash: String,
}

/// The type names a case stream holds (`onestop_domain::case::CaseEvent::TYPES`).
#[derive(Debug)]
pub struct CaseEventType;

impl utoipa::PartialSchema for CaseEventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::text_schema("The stored event type, in lifecycle order")
            .enum_values(Some(onestop_domain::case::CaseEvent::TYPES.iter().copied()))
            .into()
    }
}

impl ToSchema for CaseEventType {}

/// An event's payload: the fields of its type. Described as open so that a
/// reader can keep events of types it does not know yet.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EventPayload {
    /// The instant the event happened.
    at: Timestamp,
}

/// Who did it, from where, as part of what (`onestop_commands::metadata`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EventMetadata {
    actor: Option<EventActor>,
    /// The command's name, e.g. `accept`.
    command: Option<String>,
    command_id: Option<Uuid>,
    /// Ties together the commands of one business flow.
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
    request_id: Option<String>,
    /// The client's address as the server saw it.
    client_ip: Option<String>,
}

/// The officer behind a command.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EventActor {
    user_id: Uuid,
    name: String,
    role: String,
    units: Vec<String>,
}

/// A case's events exactly as stored.
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)), responses((status = 200, description = "The case's stored events, in stream order", body = Vec<RawEvent>), answers::Forbidden, answers::NotFound), security(("bearer" = [])))]
#[get("/cases/{id}/events")]
pub async fn events(state: State, auth: Authenticated, id: Path<Uuid>) -> Answer {
    let loaded = audited(&state, &auth, id.into_inner()).await?;
    let raw: Vec<RawEvent> = loaded
        .events
        .iter()
        .map(|(r, _)| RawEvent {
            global_position: r.global_position,
            stream_version: r.stream_version,
            event_id: r.event_id,
            event_type: r.event_type.clone(),
            schema_version: r.schema_version,
            payload: r.payload.to_value().unwrap_or_default(),
            metadata: r.metadata.to_value().unwrap_or_default(),
            recorded_at: r.recorded_at,
            prev_hash: r.prev_hash.map(hex_of),
            hash: hex_of(r.hash),
        })
        .collect();
    Ok(HttpResponse::Ok().json(raw))
}

fn hex_of(bytes: [u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One handover on the control slip.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlipLine {
    #[schema(example = "Thẩm định")]
    pub step: String,
    #[schema(example = "000.00.12.H22")]
    pub unit: String,
    #[schema(example = "Văn phòng Đăng ký đất đai")]
    pub unit_name: Option<String>,
    /// Bên giao: who handed the file over.
    pub giver: Option<String>,
    /// Bên nhận: who took it.
    pub receiver: Option<String>,
    pub handed_over_at: Timestamp,
    pub received_at: Option<Timestamp>,
    pub step_due_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// Trước hạn / đúng hạn / quá hạn, once the step is done.
    pub result: Option<String>,
}

/// Phiếu kiểm soát quá trình giải quyết hồ sơ.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControlSlip {
    pub code: Option<String>,
    pub procedure_code: Option<String>,
    pub received_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub lines: Vec<SlipLine>,
}

/// The control slip: every handover with giver, receiver, time, step deadline
/// and whether the step was early, on time or late.
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)), responses((status = 200, description = "The control slip (phiếu kiểm soát quá trình giải quyết)", body = ControlSlip), answers::NotFound), security(("bearer" = [])))]
#[get("/cases/{id}/control-slip")]
pub async fn control_slip(state: State, auth: Authenticated, id: Path<Uuid>) -> Answer {
    let loaded = with_history(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(slip_of(&state.catalog.snapshot(), &loaded.state)))
}

/// A case's control slip (the API's and the console's).
pub(crate) fn slip_of(catalog: &onestop_commands::catalog::Catalog, case: &CaseState) -> ControlSlip {
    let name_of = |user: Option<UserId>| user.and_then(|u| catalog.account(&u).map(|a| a.user.full_name.clone()));
    let lines = case
        .steps
        .iter()
        .map(|s| SlipLine {
            step: s.name.clone(),
            unit: s.unit.to_string(),
            unit_name: catalog.unit(&s.unit).map(|u| u.name.clone()),
            giver: name_of(s.handed_over_by),
            receiver: name_of(s.acknowledged_by.or(s.assignee)),
            handed_over_at: s.started_at,
            received_at: s.acknowledged_at,
            step_due_at: s.due_at,
            finished_at: s.finished_at,
            result: s.punctuality().map(|p| p.label_vi().to_owned()),
        })
        .collect();
    ControlSlip {
        code: case.code.as_ref().map(ToString::to_string),
        procedure_code: case.procedure.as_ref().map(|p| p.code.to_string()),
        received_at: case.received_at,
        due_at: case.due_at,
        lines,
    }
}

/// The outcome of recomputing a case's hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub intact: bool,
    pub events: u64,
    /// Each break: the version and what is wrong there.
    pub breaks: Vec<String>,
}

/// Recomputes the case's hash chain.
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)), responses((status = 200, description = "The result of checking the case's hash chain", body = Verification), answers::Forbidden, answers::NotFound), security(("bearer" = [])))]
#[get("/cases/{id}/verify")]
pub async fn verify(state: State, auth: Authenticated, id: Path<Uuid>) -> Answer {
    Ok(HttpResponse::Ok().json(verification(&state, &auth, id.into_inner()).await?))
}

/// A case's chain recomputed, for an auditor who may read it (the API's and the console's).
pub(crate) async fn verification(
    state: &crate::state::AppState,
    auth: &Authenticated,
    id: Uuid,
) -> Result<Verification, crate::problem::Problem> {
    audited(state, auth, id).await?;
    let stream = onestop_commands::cases::case_stream(CaseId(id))?;
    let report = state.store.verify_stream(&stream).await.map_err(onestop_commands::CommandError::from)?;
    Ok(Verification {
        intact: report.is_intact(),
        events: report.events,
        breaks: report.breaks.iter().map(ToString::to_string).collect(),
    })
}
