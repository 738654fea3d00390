//! Reads from the status view: case lists and work queues, lookup by code, and
//! the public lookup for citizens.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use jiff::Timestamp;
use onestop_domain::access;
use onestop_domain::ids::{CaseCode, CaseId, UnitCode};
use onestop_projections::queries::{CaseFilter, Cursor, case_by_code, list_cases};
use onestop_projections::{ProjectionError, wait_for};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::problem::{FieldError, Problem, log_failure};
use crate::routes::cases::CaseView;
use crate::state::AppState;

/// Longest a read waits for the status view to show this process's own writes.
const READ_YOUR_WRITES: Duration = Duration::from_secs(3);

impl From<ProjectionError> for Problem {
    fn from(error: ProjectionError) -> Self {
        let unavailable = match &error {
            ProjectionError::Pool(pool) => onestop_store::pool_unavailable(pool),
            ProjectionError::Database(query) => onestop_store::is_unavailable(query),
            ProjectionError::Store(onestop_store::StoreError::Database(database)) => {
                database.is_unavailable()
            }
            _ => false,
        };
        match &error {
            _ if unavailable => {
                tracing::warn!(error = %onestop_projections::runner::error_chain(&error), "database unavailable");
                Problem::unavailable()
            }
            _ => {
                log_failure(&error);
                Problem::internal()
            }
        }
    }
}

/// Waits (boundedly) until the status view shows what this process wrote.
async fn caught_up(state: &AppState) -> Result<(), Problem> {
    caught_up_with(state, onestop_projections::status::NAME).await
}

/// Waits (boundedly) until `projection` shows what this process wrote.
pub(crate) async fn caught_up_with(state: &AppState, projection: &str) -> Result<(), Problem> {
    let written = state.written();
    if written > onestop_store::Checkpoint::START {
        wait_for(&state.pool, projection, written, READ_YOUR_WRITES).await?;
    }
    Ok(())
}

fn invalid(field: &str, message: impl ToString) -> Problem {
    Problem::invalid_fields(vec![FieldError {
        field: field.to_owned(),
        message: message.to_string(),
    }])
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseListQuery {
    /// Cases held by or received at this unit or any unit below it.
    #[param(pattern = "UnitCode")]
    pub unit: Option<String>,
    /// Status 1–10.
    #[param(minimum = 1, maximum = 10)]
    pub status: Option<i16>,
    /// A procedure code.
    pub procedure: Option<String>,
    /// `me`, or an officer's id: their open cases (a work queue).
    #[param(pattern = "Assignee")]
    pub assignee: Option<String>,
    /// `true`: open cases past their due date; `false`: all others.
    pub overdue: Option<bool>,
    /// Received at or after this instant (RFC 3339).
    pub received_from: Option<Timestamp>,
    /// Received before this instant (RFC 3339).
    pub received_to: Option<Timestamp>,
    /// Part of the case code.
    pub q: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(pattern = "Cursor")]
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Cases the user may see, newest first, with filters: work queues per unit
/// and officer, overdue lists.
#[utoipa::path(tag = "cases", params(CaseListQuery),
    responses((status = 200, description = "One page of cases, newest first", body = CaseList), (status = 401, description = "No valid bearer token, or the account is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/cases")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<CaseListQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", "must be from 1 to 200"));
    }
    if let Some(status) = query.status
        && !(1..=10).contains(&status)
    {
        return Err(invalid("status", "must be from 1 to 10"));
    }
    let catalog = state.catalog.snapshot();
    let visible: Vec<String> = access::visible_units(&auth.0, &catalog.units)
        .into_iter()
        .map(|u| u.code.to_string())
        .collect();
    let units = match &query.unit {
        None => None,
        Some(code) => {
            let root: UnitCode = code
                .parse()
                .map_err(|e: onestop_domain::ids::InvalidId| invalid("unit", e))?;
            Some(
                catalog
                    .units
                    .units()
                    .filter(|u| catalog.units.is_within(&u.code, &root))
                    .map(|u| u.code.to_string())
                    .collect::<Vec<_>>(),
            )
        }
    };
    let assignee = match query.assignee.as_deref() {
        None => None,
        Some("me") => Some(auth.0.user_id.0),
        // The hyphenated form only, as the document's pattern says.
        Some(id) => Some(
            Some(id)
                .filter(|id| id.len() == 36)
                .and_then(|id| id.parse::<Uuid>().ok())
                .ok_or_else(|| invalid("assignee", "must be `me` or a user id"))?,
        ),
    };
    let after = match &query.cursor {
        None => None,
        Some(text) => Some(
            Cursor::decode(text)
                .ok_or_else(|| invalid("cursor", "is not a cursor this API gave out"))?,
        ),
    };
    let filter = CaseFilter {
        units,
        visible_units: visible,
        status: query.status,
        procedure: query.procedure,
        assignee,
        overdue: query.overdue,
        received_from: query.received_from,
        received_to: query.received_to,
        code_contains: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_owned()),
    };
    caught_up(&state).await?;
    let now = state.clock.now();
    let page = list_cases(&state.pool, &filter, now, after, limit).await?;
    Ok(HttpResponse::Ok().json(CaseList {
        items: page
            .cases
            .iter()
            .map(|(id, case)| CaseView::of(CaseId(*id), case, now))
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// The case with this code (mã hồ sơ).
#[utoipa::path(tag = "cases", params(("code" = String, Path, description = "e.g. 000.00.01.H22-260302-0001")),
    responses((status = 200, description = "The case", body = CaseView), (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/cases/by-code/{code}")]
pub async fn by_code(
    state: web::Data<AppState>,
    auth: Authenticated,
    code: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let not_found = || Problem::not_found(format!("no case has the code {code}"));
    let parsed: CaseCode = code.parse().map_err(|_| not_found())?;
    caught_up(&state).await?;
    let (id, case) = case_by_code(&state.pool, &parsed.to_string())
        .await?
        .ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    if !access::may_read_case(&auth.0, &case.places(), &catalog.units) {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, crate::request::etag(case.version)))
        .json(CaseView::of(CaseId(id), &case, state.clock.now())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupQuery {
    /// The case code printed on the receipt.
    pub code: String,
    /// The short secret printed beside it.
    pub secret: String,
}

/// What a citizen may see of their case: no names, no officers, no notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatus {
    pub code: String,
    pub procedure_name: String,
    pub status: Option<u8>,
    pub status_name: String,
    pub received_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub returned_at: Option<Timestamp>,
}

/// Equal-time comparison, so timing does not reveal how much of a secret matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A citizen looks their case up with the code and secret from the receipt.
/// A wrong code and a wrong secret get the same answer. Limited per address.
#[utoipa::path(tag = "public", params(LookupQuery),
    responses((status = 200, description = "The case's minimal public status", body = PublicStatus),
        (status = 404, description = "No case with this code and secret", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many lookups from this address", body = Problem, content_type = "application/problem+json")))]
#[get("/public/lookup")]
pub async fn public_lookup(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, Problem> {
    // Forwarding headers count only from a trusted proxy: anyone else could
    // forge them to dodge the limit.
    let client = crate::edge::rate_key(crate::edge::client_address(&req));
    if let Err(not_until) = state.lookup_limiter.check_key(&client) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        return Err(Problem::too_many_requests(
            wait,
            "too many lookups from this address",
        ));
    }
    let not_found = || Problem::not_found("no case matches this code and secret");
    let Ok(code) = query.code.trim().parse::<CaseCode>() else {
        return Err(not_found());
    };
    let Some((_, case)) = case_by_code(&state.pool, &code.to_string()).await? else {
        return Err(not_found());
    };
    let expected = onestop_commands::codes::secret_hash(&code, &query.secret);
    if !case
        .lookup_secret_hash
        .as_deref()
        .is_some_and(|stored| same(stored, &expected))
    {
        return Err(not_found());
    }
    let catalog = state.catalog.snapshot();
    let procedure_name = case
        .procedure
        .as_ref()
        .and_then(|p| catalog.procedure_version(&p.code, p.version))
        .map(|p| p.name.clone())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(PublicStatus {
        code: code.to_string(),
        procedure_name,
        status: case.status_code(),
        status_name: case.phase.status_vi().to_owned(),
        received_at: case.received_at,
        due_at: case.due_at,
        returned_at: case.returned_at,
    }))
}
