//! Reads from the status view: case lists and work queues, and lookup by code.

use actix_web::http::header;
use actix_web::web::{Path, Query};
use actix_web::{HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::access;
use onestop_domain::ids::{CaseCode, CaseId, UnitCode};
use onestop_projections::queries::{CaseFilter, Cursor, case_by_code, list_cases};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::cases::CaseView;
use crate::routes::fresh::{caught_up, caught_up_with};
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_domain::access::Actor;

#[derive(Debug, Default, Deserialize, IntoParams)]
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
    /// Part of the case code (digits, letters, `.` and `-`, no run of more
    /// than six digits), or else the applicant: their ID number (CCCD) or
    /// phone, or their name (without regard to case or accents; a word ending
    /// in `*` matches words that begin with it).
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
#[utoipa::path(tag = "cases", params(CaseListQuery), responses((status = 200, description = "One page of cases, newest first", body = CaseList), (status = 401, description = "No valid bearer token, or the account is disabled", body = Problem, content_type = "application/problem+json"), answers::OutOfBounds), security(("bearer" = [])))]
#[get("/cases")]
pub async fn list(state: State, auth: Authenticated, query: Query<CaseListQuery>) -> Answer {
    let (page, now) = find(&state, &auth.0, query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(CaseList {
        items: page.cases.iter().map(|(id, case)| CaseView::of(CaseId(*id), case, now)).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// The cases `actor` may see that `query` asks for, and the instant they
/// were judged at: the list's one implementation, for the API and the console.
pub async fn find(
    state: &AppState,
    actor: &Actor,
    query: CaseListQuery,
) -> Result<(onestop_projections::queries::Page, Timestamp), Problem> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::invalid_field("limit", "must be from 1 to 200"));
    }
    if let Some(status) = query.status
        && !(1..=10).contains(&status)
    {
        return Err(Problem::invalid_field("status", "must be from 1 to 10"));
    }
    let catalog = state.catalog.snapshot();
    let visible: Vec<String> =
        access::visible_units(actor, &catalog.units).into_iter().map(|u| u.code.to_string()).collect();
    let units = match &query.unit {
        None => None,
        Some(code) => {
            let root: UnitCode =
                code.parse().map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field("unit", e))?;
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
        Some("me") => Some(actor.user_id.0),
        // The hyphenated form only, as the document's pattern says.
        Some(id) => Some(
            Some(id)
                .filter(|id| id.len() == 36)
                .and_then(|id| id.parse::<Uuid>().ok())
                .ok_or_else(|| Problem::invalid_field("assignee", "must be `me` or a user id"))?,
        ),
    };
    let after = match &query.cursor {
        None => None,
        Some(text) => Some(
            Cursor::decode(text)
                .ok_or_else(|| Problem::invalid_field("cursor", "is not a cursor this API gave out"))?,
        ),
    };
    // `q` is part of a case code, or else who the applicant is (an ID number,
    // a phone, name words): `onestop_domain::search::is_code_fragment`.
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let (code_contains, applicant_terms) = match q {
        None => (None, None),
        Some(q) if onestop_domain::search::is_code_fragment(q) => (Some(q.to_owned()), None),
        Some(q) => (
            None,
            Some(
                state
                    .search_key
                    .query(q)
                    .map_or((Vec::new(), 1), |found| onestop_projections::search::applicant_filter(&found)),
            ),
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
        code_contains,
        applicant_terms,
    };
    caught_up(state).await?;
    if filter.applicant_terms.is_some() {
        caught_up_with(state, onestop_projections::search::NAME).await?;
    }
    let now = state.clock.now();
    Ok((list_cases(&state.pool, &filter, now, after, limit).await?, now))
}

/// The case with this code (mã hồ sơ).
#[utoipa::path(tag = "cases", params(("code" = String, Path, description = "e.g. 000.00.01.H22-260302-0001")), responses((status = 200, description = "The case", body = CaseView), answers::NotFound), security(("bearer" = [])))]
#[get("/cases/by-code/{code}")]
pub async fn by_code(state: State, auth: Authenticated, code: Path<String>) -> Answer {
    let not_found = || Problem::not_found(format!("no case has the code {code}"));
    let parsed: CaseCode = code.parse().map_err(|_| not_found())?;
    caught_up(&state).await?;
    let (id, case) = case_by_code(&state.pool, &parsed.to_string()).await?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    if !access::may_read_case(&auth.0, &case.places(), &catalog.units) {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().insert_header((header::ETAG, crate::request::etag(case.version))).json(CaseView::of(
        CaseId(id),
        &case,
        state.clock.now(),
    )))
}
