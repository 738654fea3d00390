//! Cases: file one, read one, and one endpoint per command.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use jiff::Timestamp;
use onestop_commands::cases::{Executed, NewCase};
use onestop_commands::idempotency::{Lookup, StoredResponse, request_hash};
use onestop_domain::access::{self, Actor};
use onestop_domain::case::event::{DocumentRef, Proposal, ReturnMethod};
use onestop_domain::case::{CaseCommand, CaseState, StepRecord, Timeliness};
use onestop_domain::catalog::Channel;
use onestop_domain::ids::{CaseId, UnitCode, UserId};
use onestop_domain::personal::Applicant;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::problem::{FieldError, Problem, from_validation};
use crate::request::{etag, if_match, meta};
use crate::state::AppState;

// ---- shapes -----------------------------------------------------------------

/// How the file reaches the one-stop shop.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDto {
    InPerson,
    OnlineFull,
    OnlinePartial,
    Post,
}

impl From<ChannelDto> for Channel {
    fn from(c: ChannelDto) -> Self {
        match c {
            ChannelDto::InPerson => Channel::InPerson,
            ChannelDto::OnlineFull => Channel::OnlineFull,
            ChannelDto::OnlinePartial => Channel::OnlinePartial,
            ChannelDto::Post => Channel::Post,
        }
    }
}

impl From<Channel> for ChannelDto {
    fn from(c: Channel) -> Self {
        match c {
            Channel::InPerson => ChannelDto::InPerson,
            Channel::OnlineFull => ChannelDto::OnlineFull,
            Channel::OnlinePartial => ChannelDto::OnlinePartial,
            Channel::Post => ChannelDto::Post,
        }
    }
}

/// The applicant (chủ hồ sơ). Stored encrypted, apart from the case's events.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantDto {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    /// Personal identification number or business registration number.
    #[validate(length(min = 6, max = 20))]
    #[schema(min_length = 6, max_length = 20)]
    pub id_number: String,
    #[validate(length(min = 6, max = 20))]
    #[schema(min_length = 6, max_length = 20)]
    pub phone: Option<String>,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub address: Option<String>,
    /// A plain `local@domain.tld` (`onestop_domain::personal::EMAIL_PATTERN`).
    #[validate(custom(function = "plain_email"))]
    #[schema(format = Email, max_length = 254, pattern = "Email")]
    pub email: Option<String>,
}

fn plain_email(email: &str) -> Result<(), validator::ValidationError> {
    if email.chars().count() <= 254 && onestop_domain::personal::is_email(email) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("email")
            .with_message("must be a plain address: local@domain.tld".into()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// The procedure's code in the catalog, e.g. `1.004227`.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50, pattern = "ProcedureCode")]
    pub procedure_code: String,
    /// The receiving unit's code, e.g. `000.00.01.H22`.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, pattern = "UnitCode")]
    pub unit: String,
    pub channel: ChannelDto,
    #[validate(nested)]
    pub applicant: ApplicantDto,
    /// Names of the documents handed in.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub documents: Vec<String>,
}

/// A document kept outside the event log: metadata, SHA-256 and storage reference.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentDto {
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub media_type: String,
    #[validate(range(max = 9_223_372_036_854_775_807_u64))]
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub size_bytes: u64,
    /// 64 lowercase hexadecimal digits.
    #[validate(length(equal = 64))]
    #[schema(min_length = 64, max_length = 64, pattern = "Sha256")]
    pub sha256: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub storage_ref: String,
}

impl From<DocumentDto> for DocumentRef {
    fn from(d: DocumentDto) -> Self {
        DocumentRef {
            name: d.name,
            media_type: d.media_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            storage_ref: d.storage_ref,
        }
    }
}

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
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl CaseView {
    pub fn of(id: CaseId, state: &CaseState, now: Timestamp) -> Self {
        let timeliness = state.timeliness(now).map(|t| match t {
            Timeliness::Finished(p) => TimelinessView {
                state: "finished".into(),
                class: snake(&p),
            },
            Timeliness::InProgress(p) => TimelinessView {
                state: "in_progress".into(),
                class: snake(&p),
            },
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

// ---- helpers -------------------------------------------------------------------

fn parse_unit(field: &str, value: &str) -> Result<UnitCode, Problem> {
    value.parse().map_err(|e: onestop_domain::ids::InvalidId| {
        Problem::invalid_fields(vec![FieldError {
            field: field.to_owned(),
            message: e.to_string(),
        }])
    })
}

/// Replays the first response to a keyed request, or refuses a reused key.
async fn replayed(
    state: &AppState,
    actor: &Actor,
    key: Option<&str>,
    hash: &[u8],
) -> Result<Option<HttpResponse>, Problem> {
    let Some(key) = key else { return Ok(None) };
    match state.idempotency.lookup(actor.user_id.0, key, hash).await? {
        Lookup::Fresh => Ok(None),
        Lookup::Mismatch => Err(Problem::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Khóa chống trùng đã dùng cho yêu cầu khác",
        )
        .detail("this Idempotency-Key was already used for a different request")),
        Lookup::Replay(stored) => {
            let status = actix_web::http::StatusCode::from_u16(stored.status)
                .unwrap_or(actix_web::http::StatusCode::OK);
            let mut response = HttpResponse::build(status);
            if let Some(etag) = stored.etag {
                response.insert_header((header::ETAG, etag));
            }
            if let Some(location) = stored.location {
                response.insert_header((header::LOCATION, location));
            }
            response.insert_header(("Idempotent-Replayed", "true"));
            Ok(Some(response.json(stored.body)))
        }
    }
}

async fn remember(
    state: &AppState,
    actor: &Actor,
    key: Option<&str>,
    hash: &[u8],
    response: &StoredResponse,
) -> Result<(), Problem> {
    if let Some(key) = key {
        state
            .idempotency
            .save(actor.user_id.0, key, hash, response)
            .await?;
    }
    Ok(())
}

// ---- handlers --------------------------------------------------------------------

/// File a case: received at the desk or by post (status 2, with a code and a due
/// date), or submitted online (status 1).
#[utoipa::path(
    tag = "cases",
    request_body = CreateCaseRequest,
    params(
        ("Idempotency-Key" = Option<String>, Header, pattern = "IdempotencyKey",
            description = "A retry with the same key returns the first response"),
    ),
    responses(
        (status = 201, description = "Filed", body = CreatedCase,
         headers(("Location" = String, description = "The case's URL"), ("ETag" = String, description = "The case's version"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for this role or unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown procedure", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A rule forbids it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/cases")]
pub async fn create_case(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: web::Json<CreateCaseRequest>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    body.validate().map_err(from_validation)?;
    let meta = meta(&req)?;
    let hash = request_hash(
        "POST",
        req.path(),
        &serde_json::to_vec(&body).unwrap_or_default(),
    );
    if let Some(response) =
        replayed(&state, &auth.0, meta.idempotency_key.as_deref(), &hash).await?
    {
        return Ok(response);
    }
    let new = NewCase {
        procedure: body
            .procedure_code
            .parse()
            .map_err(|e: onestop_domain::ids::InvalidId| {
                Problem::invalid_fields(vec![FieldError {
                    field: "procedure_code".into(),
                    message: e.to_string(),
                }])
            })?,
        unit: parse_unit("unit", &body.unit)?,
        channel: body.channel.into(),
        applicant: Applicant {
            full_name: body.applicant.full_name.trim().to_owned(),
            id_number: body.applicant.id_number.trim().to_owned(),
            phone: body.applicant.phone,
            address: body.applicant.address,
            email: body.applicant.email,
        },
        documents: body.documents,
    };
    let executed = state.cases.open(&auth.0, new, &meta).await?;
    state.note_written(executed.checkpoint);
    let location = format!("/api/v1/cases/{}", executed.case_id.0);
    let created = CreatedCase {
        case: CaseView::of(executed.case_id, &executed.state, state.clock.now()),
        lookup_secret: executed.lookup_secret.clone(),
    };
    let body = serde_json::to_value(&created).map_err(|_| Problem::internal())?;
    let tag = etag(executed.version);
    remember(
        &state,
        &auth.0,
        meta.idempotency_key.as_deref(),
        &hash,
        &StoredResponse {
            status: 201,
            body: body.clone(),
            etag: Some(tag.clone()),
            location: Some(location.clone()),
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, tag))
        .json(body))
}

/// A case as it stands, with its version in the `ETag`.
#[utoipa::path(
    tag = "cases",
    params(("id" = Uuid, Path, description = "The case's id")),
    responses(
        (status = 200, description = "The case", body = CaseView, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the If-None-Match version"),
        (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not visible to this user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/cases/{id}")]
pub async fn get_case(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
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
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .json(CaseView::of(case_id, &loaded.state, state.clock.now())))
}

/// Runs one command and answers with the case after it.
async fn run(
    state: &AppState,
    auth: &Authenticated,
    req: &HttpRequest,
    case_id: CaseId,
    body: &impl Serialize,
    command: CaseCommand,
) -> Result<HttpResponse, Problem> {
    let expected = if_match(req)?;
    let meta = meta(req)?;
    let hash = request_hash(
        "POST",
        req.path(),
        &serde_json::to_vec(body).unwrap_or_default(),
    );
    if let Some(response) = replayed(state, &auth.0, meta.idempotency_key.as_deref(), &hash).await?
    {
        return Ok(response);
    }
    let Executed {
        case_id,
        state: case,
        version,
        checkpoint,
        ..
    } = state
        .cases
        .execute(&auth.0, case_id, command, expected, &meta)
        .await?;
    state.note_written(checkpoint);
    let view = CaseView::of(case_id, &case, state.clock.now());
    let body = serde_json::to_value(&view).map_err(|_| Problem::internal())?;
    let tag = etag(version);
    remember(
        state,
        &auth.0,
        meta.idempotency_key.as_deref(),
        &hash,
        &StoredResponse {
            status: 200,
            body: body.clone(),
            etag: Some(tag.clone()),
            location: None,
        },
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .json(body))
}

/// Headers every command endpoint takes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, non_snake_case)]
pub struct CommandHeaders {
    /// The version the client last saw, e.g. `"3"`: a different version is 412.
    #[param(rename = "If-Match", pattern = "IfMatch")]
    If_Match: Option<String>,
    /// A retry with the same key returns the first response and changes nothing.
    #[param(rename = "Idempotency-Key", pattern = "IdempotencyKey")]
    Idempotency_Key: Option<String>,
}

/// Declares one command endpoint: its body, how the body becomes a command, and
/// its OpenAPI description.
macro_rules! case_command {
    ($name:ident, $path:literal, $summary:literal, $body:ty, |$b:ident| $make:expr) => {
        #[doc = $summary]
        #[utoipa::path(
            tag = "cases",
            request_body = $body,
            params(("id" = Uuid, Path, description = "The case's id"), CommandHeaders),
            responses(
                (status = 200, description = "Done: the case after the command", body = CaseView, headers(("ETag" = String))),
                (status = 400, description = "Malformed JSON or headers", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Not allowed for this role or unit", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "A rule forbids it now (the rule is named)", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match is not the case's version", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
            ),
            security(("bearer" = []))
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            auth: Authenticated,
            req: HttpRequest,
            id: web::Path<Uuid>,
            body: web::Json<$body>,
        ) -> Result<HttpResponse, Problem> {
            let body = body.into_inner();
            body.validate().map_err(from_validation)?;
            let $b = body.clone();
            let command: CaseCommand = $make?;
            run(&state, &auth, &req, CaseId(id.into_inner()), &body, command).await
        }
    };
}

/// A command without fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The unit taking the next workflow step.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, pattern = "UnitCode")]
    pub to_unit: String,
    /// The officer expected to take the file.
    pub assignee: Option<Uuid>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalDto {
    Grant,
    Refuse,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppraisalRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub opinion: String,
    pub proposal: ProposalDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsRequest {
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    // At most i64::MAX, the int64 the document declares (and PostgreSQL's bigint).
    #[validate(range(min = 1, max = 9_223_372_036_854_775_807_u64))]
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)]
    pub amount_vnd: u64,
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecord {
    // At most i64::MAX, the int64 the document declares (and PostgreSQL's bigint).
    #[validate(range(min = 1, max = 9_223_372_036_854_775_807_u64))]
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)]
    pub amount_vnd: u64,
    /// The receipt's number (biên lai).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub receipt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    pub new_due_at: Timestamp,
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
    /// Phiếu xin lỗi và hẹn lại ngày trả kết quả.
    #[validate(nested)]
    pub apology_letter: DocumentDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    #[validate(nested)]
    pub document: Option<DocumentDto>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethodDto {
    AtDesk,
    ByPost,
    Online,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub method: ReturnMethodDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub score: u8,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachRequest {
    #[validate(nested)]
    pub document: DocumentDto,
}

fn ok(command: CaseCommand) -> Result<CaseCommand, Problem> {
    Ok(command)
}

case_command!(
    accept,
    "/cases/{id}/accept",
    "Accept an online submission (status 2).",
    NoFields,
    |_b| ok(CaseCommand::AcceptOnline)
);
case_command!(
    refuse_at_reception,
    "/cases/{id}/refuse-at-reception",
    "Refuse an online submission at reception (status 3).",
    ReasonRequest,
    |b| ok(CaseCommand::RefuseAtReception { reason: b.reason })
);
case_command!(
    transfer,
    "/cases/{id}/transfer",
    "Hand the file over to the next workflow step.",
    TransferRequest,
    |b| parse_unit("to_unit", &b.to_unit).map(|to_unit| CaseCommand::Transfer {
        to_unit,
        assignee: b.assignee.map(UserId),
        note: b.note,
    })
);
case_command!(
    acknowledge_handover,
    "/cases/{id}/acknowledge-handover",
    "Confirm receiving a handed-over file.",
    NoFields,
    |_b| ok(CaseCommand::AcknowledgeHandover)
);
case_command!(
    record_appraisal,
    "/cases/{id}/appraisal",
    "Record the appraisal and the proposal.",
    AppraisalRequest,
    |b| ok(CaseCommand::RecordAppraisal {
        opinion: b.opinion,
        proposal: match b.proposal {
            ProposalDto::Grant => Proposal::Grant,
            ProposalDto::Refuse => Proposal::Refuse,
        },
    })
);
case_command!(
    request_supplement,
    "/cases/{id}/request-supplement",
    "Ask the applicant for more documents (status 5); the clock stops.",
    SupplementRequest,
    |b| ok(CaseCommand::RequestSupplement {
        reason: b.reason,
        documents: b.documents
    })
);
case_command!(
    receive_supplement,
    "/cases/{id}/receive-supplement",
    "Record the supplement; the clock starts again.",
    DocumentsRequest,
    |b| ok(CaseCommand::ReceiveSupplement {
        documents: b.documents
    })
);
case_command!(
    request_payment,
    "/cases/{id}/request-payment",
    "Ask for a fee or tax payment (status 6); the clock stops.",
    PaymentRequest,
    |b| ok(CaseCommand::RequestPayment {
        amount_vnd: b.amount_vnd,
        description: b.description
    })
);
case_command!(
    record_payment,
    "/cases/{id}/record-payment",
    "Record the payment; the clock starts again.",
    PaymentRecord,
    |b| ok(CaseCommand::RecordPayment {
        amount_vnd: b.amount_vnd,
        receipt: b.receipt
    })
);
case_command!(
    submit_for_approval,
    "/cases/{id}/submit-for-approval",
    "Submit the appraised file for approval.",
    NoteRequest,
    |b| ok(CaseCommand::SubmitForApproval { note: b.note })
);
case_command!(
    approve,
    "/cases/{id}/approve",
    "Approve the submitted file.",
    NoteRequest,
    |b| ok(CaseCommand::Approve { note: b.note })
);
case_command!(
    send_back,
    "/cases/{id}/send-back",
    "Send the submitted file back for rework.",
    ReasonRequest,
    |b| ok(CaseCommand::SendBackForRework { reason: b.reason })
);
case_command!(
    extend,
    "/cases/{id}/extend",
    "Extend the due date once, with an apology letter.",
    ExtendRequest,
    |b| ok(CaseCommand::Extend {
        new_due_at: b.new_due_at,
        reason: b.reason,
        apology_letter: b.apology_letter.into(),
    })
);
case_command!(
    pause,
    "/cases/{id}/pause",
    "Pause processing; the clock stops.",
    ReasonRequest,
    |b| ok(CaseCommand::Pause { reason: b.reason })
);
case_command!(
    resume,
    "/cases/{id}/resume",
    "Resume processing; the clock starts again.",
    NoFields,
    |_b| ok(CaseCommand::Resume)
);
case_command!(
    refuse,
    "/cases/{id}/refuse",
    "Refuse as not eligible; the file is returned with the reason.",
    ReasonRequest,
    |b| ok(CaseCommand::RefuseAsIneligible { reason: b.reason })
);
case_command!(
    withdraw,
    "/cases/{id}/withdraw",
    "Record the applicant's withdrawal (status 7).",
    ReasonRequest,
    |b| ok(CaseCommand::Withdraw { reason: b.reason })
);
case_command!(
    stop,
    "/cases/{id}/stop",
    "Stop processing (status 8).",
    ReasonRequest,
    |b| ok(CaseCommand::Stop { reason: b.reason })
);
case_command!(
    record_result,
    "/cases/{id}/result",
    "Record the result (status 9).",
    ResultRequest,
    |b| ok(CaseCommand::RecordResult {
        summary: b.summary,
        document: b.document.map(Into::into)
    })
);
case_command!(
    return_result,
    "/cases/{id}/return",
    "Return the result (status 10).",
    ReturnRequest,
    |b| ok(CaseCommand::ReturnResult {
        method: match b.method {
            ReturnMethodDto::AtDesk => ReturnMethod::AtDesk,
            ReturnMethodDto::ByPost => ReturnMethod::ByPost,
            ReturnMethodDto::Online => ReturnMethod::Online,
        },
    })
);
case_command!(
    add_comment,
    "/cases/{id}/comments",
    "Add an internal note for the officers on the case.",
    CommentRequest,
    |b| ok(CaseCommand::Comment { text: b.text })
);
case_command!(
    rate,
    "/cases/{id}/rating",
    "Record the applicant's satisfaction (1–5).",
    RatingRequest,
    |b| ok(CaseCommand::RateSatisfaction {
        score: b.score,
        comment: b.comment
    })
);
case_command!(
    attach_document,
    "/cases/{id}/documents",
    "Attach a document by reference.",
    AttachRequest,
    |b| ok(CaseCommand::AttachDocument {
        document: b.document.into()
    })
);

/// Registers the case endpoints.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(create_case)
        .service(get_case)
        .service(accept)
        .service(refuse_at_reception)
        .service(transfer)
        .service(acknowledge_handover)
        .service(record_appraisal)
        .service(request_supplement)
        .service(receive_supplement)
        .service(request_payment)
        .service(record_payment)
        .service(submit_for_approval)
        .service(approve)
        .service(send_back)
        .service(extend)
        .service(pause)
        .service(resume)
        .service(refuse)
        .service(withdraw)
        .service(stop)
        .service(record_result)
        .service(return_result)
        .service(add_comment)
        .service(rate)
        .service(attach_document);
}
