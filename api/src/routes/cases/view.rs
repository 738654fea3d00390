//! A case as the API shows it, and `GET /cases/{id}`: read from the write
//! side's fold, so a client always sees its own last command.

use actix_web::http::header;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::access::{self};
use onestop_domain::case::{CaseState, StepRecord, Timeliness};
use onestop_domain::ids::CaseId;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::problem::Problem;
use crate::request::etag;
use crate::routes::{Answer, State};

use super::requests::ChannelDto;

/// One workflow step as it ran.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepView {
    pub index: usize,
    pub name: String,
    pub unit: String,
    pub role: String,
    pub assignee: Option<Uuid>,
    pub handed_over_by: Option<Uuid>,
    pub started_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub due_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// `early`, `on_time` or `late` once the step is done.
    pub punctuality: Option<String>,
}

impl From<&StepRecord> for StepView {
    fn from(s: &StepRecord) -> Self {
        StepView {
            index: s.index,
            name: s.name.clone(),
            unit: s.unit.to_string(),
            role: s.role.as_str().to_owned(),
            assignee: s.assignee.map(|u| u.0),
            handed_over_by: s.handed_over_by.map(|u| u.0),
            started_at: s.started_at,
            acknowledged_at: s.acknowledged_at,
            due_at: s.due_at,
            finished_at: s.finished_at,
            punctuality: s.punctuality().map(|p| snake(&p)),
        }
    }
}

/// A case as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub id: Uuid,
    /// Mã hồ sơ, once received.
    pub code: Option<String>,
    /// The National Public Service Portal's status (1–10).
    pub status: Option<u8>,
    /// The status's Vietnamese name.
    pub status_name: String,
    pub procedure_code: Option<String>,
    pub procedure_version: Option<u32>,
    pub field_code: Option<String>,
    pub receiving_unit: Option<String>,
    pub current_unit: Option<String>,
    pub channel: Option<ChannelDto>,
    pub submitted_at: Option<Timestamp>,
    pub received_at: Option<Timestamp>,
    pub counting_from: Option<Timestamp>,
    /// Ngày hẹn trả.
    pub due_at: Option<Timestamp>,
    pub original_due_at: Option<Timestamp>,
    pub extended: bool,
    /// When the clock stopped, while it is stopped.
    pub paused_since: Option<Timestamp>,
    pub paused_minutes: i64,
    pub handover_pending: bool,
    pub appraisal: Option<String>,
    pub awaiting_approval: bool,
    pub approved: bool,
    pub finished_at: Option<Timestamp>,
    pub outcome: Option<String>,
    pub returned_at: Option<Timestamp>,
    /// `in_progress` / `finished`, with `within_deadline` / `overdue` or
    /// `early` / `on_time` / `late`.
    pub timeliness: Option<TimelinessView>,
    pub current_step: Option<StepView>,
    pub steps: Vec<StepView>,
    pub documents: usize,
    pub comments: u32,
    pub satisfaction: Option<u8>,
    /// The stream version, as in the `ETag`.
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelinessView {
    pub state: String,
    pub class: String,
}

/// The response to filing a case: the case, and the secret printed on the
/// receipt for the public lookup (shown only here).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedCase {
    #[serde(flatten)]
    pub case: CaseView,
    pub lookup_secret: Option<String>,
}

fn snake<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl CaseView {
    pub fn of(id: CaseId, state: &CaseState, now: Timestamp) -> Self {
        let timeliness = state.timeliness(now).map(|t| match t {
            Timeliness::Finished(p) => TimelinessView { state: "finished".into(), class: snake(&p) },
            Timeliness::InProgress(p) => TimelinessView { state: "in_progress".into(), class: snake(&p) },
        });
        CaseView {
            id: id.0,
            code: state.code.as_ref().map(ToString::to_string),
            status: state.status_code(),
            status_name: state.phase.status_vi().to_owned(),
            procedure_code: state.procedure.as_ref().map(|p| p.code.to_string()),
            procedure_version: state.procedure.as_ref().map(|p| p.version),
            field_code: state.field_code.clone(),
            receiving_unit: state.receiving_unit.as_ref().map(ToString::to_string),
            current_unit: state.current_unit().map(ToString::to_string),
            channel: state.channel.map(Into::into),
            submitted_at: state.submitted_at,
            received_at: state.received_at,
            counting_from: state.counting_from,
            due_at: state.due_at,
            original_due_at: state.original_due_at,
            extended: state.extended,
            paused_since: state.paused_since,
            paused_minutes: state.paused_minutes,
            handover_pending: state.handover_pending,
            appraisal: state.appraisal.map(|p| snake(&p)),
            awaiting_approval: state.awaiting_approval,
            approved: state.approved,
            finished_at: state.finished_at,
            outcome: state.outcome.map(|o| snake(&o)),
            returned_at: state.returned_at,
            timeliness,
            current_step: state.current_step().map(Into::into),
            steps: state.steps.iter().map(Into::into).collect(),
            documents: state.documents.len(),
            comments: state.comments,
            satisfaction: state.satisfaction,
            version: state.version,
        }
    }
}

/// A case as it stands, with its version in the `ETag`.
#[utoipa::path( tag = "cases", params(("id" = Uuid, Path, description = "The case's id")), responses( (status = 200, description = "The case", body = CaseView, headers(("ETag" = String))), (status = 304, description = "Unchanged since the If-None-Match version"), (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such case, or not visible to this user", body = Problem, content_type = "application/problem+json"), ), security(("bearer" = [])) )]
#[get("/cases/{id}")]
pub async fn get_case(state: State, auth: Authenticated, req: HttpRequest, id: Path<Uuid>) -> Answer {
    let case_id = CaseId(id.into_inner());
    let not_found = || Problem::not_found(format!("case {} does not exist", case_id.0));
    let loaded = state.cases.load(case_id).await?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    // Someone who may not read the case learns nothing, not even that it exists.
    if !access::may_read_case(&auth.0, &loaded.state.places(), &catalog.units) {
        return Err(not_found());
    }
    let tag = etag(loaded.version);
    if crate::edge::if_none_match_names(req.headers(), &tag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, tag)).finish());
    }
    Ok(HttpResponse::Ok().insert_header((header::ETAG, tag)).json(CaseView::of(
        case_id,
        &loaded.state,
        state.clock.now(),
    )))
}
