//! The audit trail (DESIGN §4.3): a case's history in human terms, its raw
//! events with hashes, the control slip, chain verification, and inspectors'
//! queries across cases. Open to inspectors, leaders and administrators whose
//! grants reach a unit the case went through.

use actix_web::{HttpResponse, get, web};
use jiff::Timestamp;
use onestop_domain::access::{self, Denied};
use onestop_domain::case::CaseState;
use onestop_domain::ids::{CaseId, UnitCode, UserId};
use onestop_domain::role::Role;
use onestop_projections::describe::{action_vi, actor_of, reason};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::problem::{FieldError, Problem};
use crate::state::AppState;

/// Loads a case an auditor may read; anyone else learns nothing.
async fn audited(
    state: &AppState,
    auth: &Authenticated,
    id: Uuid,
) -> Result<onestop_commands::cases::LoadedCase, Problem> {
    let not_found = || Problem::not_found(format!("case {id} does not exist"));
    let loaded = state.cases.load(CaseId(id)).await?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    match access::case_audit(&auth.0, &loaded.state.places(), &catalog.units) {
        Ok(()) => Ok(loaded),
        Err(Denied::Hidden) => Err(not_found()),
        Err(denied) => Err(denied.into()),
    }
}

/// One line of a case's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub version: u64,
    pub at: Timestamp,
    /// Who: the officer's name and id.
    pub actor_name: Option<String>,
    pub actor_id: Option<Uuid>,
    /// Their role, and its Vietnamese title.
    pub role: Option<String>,
    pub role_title: Option<String>,
    /// The unit holding the file when it was done.
    pub unit: Option<String>,
    /// What was done, in words.
    pub action: String,
    /// The reason or note given.
    pub reason: Option<String>,
    pub event_type: String,
}

/// Every event of a case in human terms: who, role, unit, when, what, why.
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The case's history, oldest first", body = Vec<HistoryEntry>), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/cases/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let loaded = audited(&state, &auth, id.into_inner()).await?;
    let mut case = CaseState::default();
    let mut entries = Vec::with_capacity(loaded.events.len());
    for (recorded, event) in &loaded.events {
        let unit = case.current_unit().map(ToString::to_string);
        case = onestop_domain::case::evolve(case, event);
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
            unit: unit.or_else(|| case.current_unit().map(ToString::to_string)),
            action: action_vi(event),
            reason: reason(event),
            event_type: recorded.event_type.clone(),
        });
    }
    Ok(HttpResponse::Ok().json(entries))
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
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The stored event type, in lifecycle order"))
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
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The case's stored events, in stream order", body = Vec<RawEvent>), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/cases/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
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
    pub step: String,
    pub unit: String,
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
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The control slip (phiếu kiểm soát quá trình giải quyết)", body = ControlSlip), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/cases/{id}/control-slip")]
pub async fn control_slip(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let loaded = audited(&state, &auth, id.into_inner()).await?;
    let catalog = state.catalog.snapshot();
    let name_of = |user: Option<UserId>| {
        user.and_then(|u| catalog.account(&u).map(|a| a.user.full_name.clone()))
    };
    let case = &loaded.state;
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
    Ok(HttpResponse::Ok().json(ControlSlip {
        code: case.code.as_ref().map(ToString::to_string),
        procedure_code: case.procedure.as_ref().map(|p| p.code.to_string()),
        received_at: case.received_at,
        due_at: case.due_at,
        lines,
    }))
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
#[utoipa::path(tag = "audit", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The result of checking the case's hash chain", body = Verification), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/cases/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    audited(&state, &auth, id).await?;
    let stream = onestop_commands::cases::case_stream(CaseId(id))?;
    let report = state
        .store
        .verify_stream(&stream)
        .await
        .map_err(onestop_commands::CommandError::from)?;
    Ok(HttpResponse::Ok().json(Verification {
        intact: report.is_intact(),
        events: report.events,
        breaks: report.breaks.iter().map(ToString::to_string).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// An officer's id.
    pub actor: Option<Uuid>,
    /// A unit: actions by officers acting as that unit or one below it (the
    /// unit of their grants where the file was, else where it went, else where
    /// it was received: see `onestop_domain::access::acting_unit`).
    #[param(pattern = "UnitCode")]
    pub unit: Option<String>,
    /// Start of the period; 31 days before its end when absent.
    pub from: Option<Timestamp>,
    /// End of the period (exclusive); when absent, up to now included.
    pub to: Option<Timestamp>,
    /// From the previous page's `next_after`.
    pub after: Option<i64>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A query's page size: `limit`, 1–500, default 100.
fn page_size(limit: Option<i64>) -> Result<i64, Problem> {
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Problem::invalid_fields(vec![FieldError {
            field: "limit".into(),
            message: "must be from 1 to 500".into(),
        }]));
    }
    Ok(limit)
}

/// A query's period `[from, to)`: by default the 31 days up to and including
/// `now`.
fn period(
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), Problem> {
    let to = to.unwrap_or_else(|| now + jiff::SignedDuration::from_micros(1));
    let from = from.unwrap_or(to - jiff::SignedDuration::from_hours(31 * 24));
    if from > to {
        return Err(Problem::invalid_fields(vec![FieldError {
            field: "from".into(),
            message: "must not be after `to`".into(),
        }]));
    }
    Ok((from, to))
}

/// One action in an inspector's query.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// The change's number: pass the last one as `after` for the next page.
    pub seq: i64,
    pub case_id: Uuid,
    pub event_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub unit: String,
    pub at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_after: Option<i64>,
}

/// Actions across cases by officer, unit and period, in log order.
#[utoipa::path(tag = "audit", params(AuditQuery),
    responses((status = 200, description = "One page of audit entries", body = AuditPage), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/audit")]
pub async fn query(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, Problem> {
    access::audits(&auth.0, "query the audit trail")?;
    let limit = page_size(query.limit)?;
    let root = match &query.unit {
        None => None,
        Some(code) => Some(code.parse::<UnitCode>().map_err(|e| {
            Problem::invalid_fields(vec![FieldError {
                field: "unit".into(),
                message: e.to_string(),
            }])
        })?),
    };
    let catalog = state.catalog.snapshot();
    let reachable: Vec<String> = access::visible_units(&auth.0, &catalog.units)
        .into_iter()
        .filter(|u| {
            root.as_ref()
                .is_none_or(|root| catalog.units.is_within(&u.code, root))
        })
        .map(|u| u.code.to_string())
        .collect();
    // Queries are bounded in time: the change rows are indexed by time alone.
    let (from, to) = period(query.from, query.to, state.clock.now())?;
    crate::routes::views::caught_up_with(&state, onestop_projections::status::NAME).await?;
    let client = state
        .pool
        .get()
        .await
        .map_err(onestop_commands::CommandError::from)?;
    let rows = client
        .query(
            "SELECT seq, case_id, event_type, actor_id, actor_role, acting_unit, at \
             FROM case_changes \
             WHERE acting_unit = ANY($1) AND ($2::uuid IS NULL OR actor_id = $2) \
               AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4) \
               AND seq > $5 \
             ORDER BY seq LIMIT $6",
            &[
                &reachable,
                &query.actor,
                &Some(from),
                &Some(to),
                &query.after.unwrap_or(0),
                &limit,
            ],
        )
        .await
        .map_err(onestop_commands::CommandError::from)?;
    let entries: Vec<AuditEntry> = rows
        .iter()
        .map(|r| AuditEntry {
            seq: r.get(0),
            case_id: r.get(1),
            event_type: r.get(2),
            actor_id: r.get(3),
            actor_role: r.get(4),
            unit: r.get(5),
            at: r.get(6),
        })
        .collect();
    let next_after = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        next_after,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SignInQuery {
    /// An account's id: its attempts, locks and unlocks only.
    pub user: Option<Uuid>,
    /// Start of the period; 31 days before its end when absent.
    pub from: Option<Timestamp>,
    /// End of the period (exclusive); when absent, up to now included.
    pub to: Option<Timestamp>,
    /// From the previous page's `next_after`.
    pub after: Option<i64>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One sign-in attempt, lock or unlock.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInEntry {
    /// The event's place in the log: pass the last one as `after`.
    pub position: i64,
    pub at: Timestamp,
    /// `SignInSucceeded`, `SignInFailed`, `AccountLocked` or `AccountUnlocked`.
    pub event_type: String,
    /// The name typed (for unknown names too).
    pub username: String,
    /// The account, when the name is one.
    pub user_id: Option<Uuid>,
    /// Why an attempt failed: `wrong_password`, `unknown_user`,
    /// `disabled_account`, `too_soon`, `locked`.
    pub reason: Option<String>,
    /// Until when a lock holds.
    pub locked_until: Option<Timestamp>,
    /// The administrator who unlocked.
    pub unlocked_by: Option<Uuid>,
    /// Where the attempt came from.
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInPage {
    pub items: Vec<SignInEntry>,
    /// Pass as `after` for the next page.
    pub next_after: i64,
}

/// Sign-in attempts, locks and unlocks in a period (inspectors, leaders and
/// administrators: accounts of the units they reach; names no account has only
/// for those overseeing the whole province).
#[utoipa::path(tag = "audit", params(SignInQuery),
    responses((status = 200, description = "One page of sign-in records, oldest first", body = SignInPage),
        (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/audit/sign-ins")]
pub async fn sign_ins(
    state: web::Data<AppState>,
    auth: Authenticated,
    params: web::Query<SignInQuery>,
) -> Result<HttpResponse, Problem> {
    use onestop_domain::sign_in::SignInEvent;

    access::audits(&auth.0, "read sign-in records")?;
    let limit = page_size(params.limit)?;
    let (from, to) = period(params.from, params.to, state.clock.now())?;
    let stream = match params.user {
        None => None,
        Some(id) => Some(
            onestop_store::StreamId::new(onestop_commands::sign_in::stream_of(&UserId(id)))
                .map_err(|e| Problem::malformed(e.to_string()))?,
        ),
    };
    let after = params.after.unwrap_or(0);
    let found = state
        .store
        .read_types_between(
            &SignInEvent::TYPES,
            stream.as_ref(),
            (from, to),
            after,
            usize::try_from(limit).unwrap_or(100),
        )
        .await
        .map_err(onestop_commands::CommandError::from)?;
    let catalog = state.catalog.snapshot();
    let next_after = found.last().map_or(after, |e| e.global_position);
    let mut items = Vec::with_capacity(found.len());
    for recorded in &found {
        let Ok(event) = recorded.payload.decode::<SignInEvent>() else {
            continue;
        };
        let user_id = recorded
            .stream_id
            .as_str()
            .strip_prefix("sign-in-")
            .and_then(|id| id.parse::<Uuid>().ok());
        let visible = match &user_id {
            None => access::may_see_unknown_name_sign_ins(&auth.0, &catalog.units),
            Some(id) => catalog.account(&UserId(*id)).is_some_and(|account| {
                access::may_see_sign_ins_of(&auth.0, &account.user, &catalog.units)
            }),
        };
        if !visible {
            continue;
        }
        let metadata = recorded.metadata.to_value().unwrap_or_default();
        let text = |key: &str| {
            metadata
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let (at, username, reason, locked_until, unlocked_by) = match event {
            SignInEvent::SignInSucceeded { at, username } => (at, username, None, None, None),
            SignInEvent::SignInFailed {
                at,
                username,
                reason,
            } => (
                at,
                username,
                serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
                None,
                None,
            ),
            SignInEvent::AccountLocked {
                at,
                username,
                until,
                ..
            } => (at, username, None, Some(until), None),
            SignInEvent::AccountUnlocked { at, username, by } => {
                (at, username, None, None, Some(by.0))
            }
        };
        items.push(SignInEntry {
            position: recorded.global_position,
            at,
            event_type: recorded.event_type.clone(),
            username,
            user_id,
            reason,
            locked_until,
            unlocked_by,
            client_ip: text("client_ip"),
            request_id: text("request_id"),
        });
    }
    Ok(HttpResponse::Ok().json(SignInPage { items, next_after }))
}
