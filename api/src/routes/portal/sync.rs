//! The national portal's sync as administrators see it: `GET /portal/sync`
//! (how far the feed has reached the portal, the chunk in flight, the last
//! failure), `GET /portal/sync/cases` (each case's state there, the failing
//! ones first to look at) and `POST /portal/reconciliation` (the portal's
//! records compared with ours, one page of cases at a time).

use actix_web::web::{Json, Query};
use actix_web::{HttpResponse, get, post};
use jiff::Timestamp;
use onestop_domain::access;
use onestop_projections::portal_sync::{self, CaseSync};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::portal::reconcile::{ReconcileError, Reconciliation, reconcile};
use crate::problem::{Problem, from_validation};
use crate::routes::{Answer, State};

/// Feed records sent without a definite answer yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct InFlight {
    pub first: i64,
    pub last: i64,
}

/// The sync as a whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncOverview {
    /// Whether this server is configured to sync (`ONESTOP_PORTAL_SERVICE_URL`).
    pub configured: bool,
    /// Every feed record up to this `seq` has reached the portal.
    pub synced_through: i64,
    /// The feed's last record.
    pub feed_head: i64,
    /// Records still to send.
    pub pending: i64,
    pub in_flight: Option<InFlight>,
    /// Cases the portal has.
    pub cases_created: i64,
    /// Cases whose last attempt failed.
    pub cases_failing: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

/// How far the feed has reached the national portal.
#[utoipa::path(tag = "portal", responses((status = 200, description = "The sync's state", body = SyncOverview), answers::Forbidden), security(("bearer" = [])))]
#[get("/portal/sync")]
pub async fn portal_sync_state(state: State, auth: Authenticated) -> Answer {
    access::oversees_portal_sync(&auth.0)?;
    let sync = portal_sync::state(&state.pool).await?;
    let head = onestop_projections::feed::head(&state.pool).await?;
    let (created, failing) = portal_sync::counts(&state.pool).await?;
    Ok(HttpResponse::Ok().json(SyncOverview {
        configured: state.portal.is_some(),
        synced_through: sync.synced_through,
        feed_head: head,
        pending: (head - sync.synced_through).max(0),
        in_flight: sync.in_flight.map(|(first, last)| InFlight { first, last }),
        cases_created: created,
        cases_failing: failing,
        last_error: sync.last_error,
        last_error_at: sync.last_error_at,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CasesQuery {
    /// Only cases whose last attempt failed.
    pub failing: Option<bool>,
    /// The last case id of the previous page.
    pub after: Option<Uuid>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// One case's state at the portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSyncView {
    pub case_id: Uuid,
    /// The code the portal knows it by (its own for dossiers filed there).
    pub ma_ho_so: String,
    pub created: bool,
    /// Its last feed record that reached the portal.
    pub synced_seq: i64,
    pub synced_at: Option<Timestamp>,
    pub progress_entries: i32,
    /// Failed attempts since the last success.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

impl From<CaseSync> for CaseSyncView {
    fn from(c: CaseSync) -> Self {
        Self {
            case_id: c.case_id,
            ma_ho_so: c.ma_ho_so,
            created: c.created,
            synced_seq: c.synced_seq,
            synced_at: c.synced_at,
            progress_entries: c.progress_entries,
            attempts: c.attempts,
            last_error: c.last_error,
            last_error_at: c.last_error_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSyncPage {
    pub items: Vec<CaseSyncView>,
    /// Pass as `after` for the next page, when there may be one.
    pub next_after: Option<Uuid>,
}

/// Each case's state at the portal, in id order.
#[utoipa::path(tag = "portal", params(CasesQuery), responses((status = 200, description = "One page of cases", body = CaseSyncPage), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/portal/sync/cases")]
pub async fn portal_sync_cases(state: State, auth: Authenticated, query: Query<CasesQuery>) -> Answer {
    access::oversees_portal_sync(&auth.0)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::invalid_field("limit", "must be from 1 to 1000"));
    }
    let cases = portal_sync::cases(&state.pool, query.failing.unwrap_or(false), query.after, limit).await?;
    let next_after = (cases.len() as i64 == limit).then(|| cases.last().map(|c| c.case_id)).flatten();
    Ok(HttpResponse::Ok().json(CaseSyncPage { items: cases.into_iter().map(Into::into).collect(), next_after }))
}

/// Which cases to compare.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileRequest {
    /// The last case id of the previous page.
    pub after: Option<Uuid>,
    /// 1–1000, default 100.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Compare the portal's records of a page of cases with ours (`TraCuuHoSo`
/// for each) and list the differences.
#[utoipa::path(tag = "portal", request_body = ReconcileRequest, responses((status = 200, description = "What differs", body = Reconciliation), (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"), answers::Forbidden, answers::RuleViolation, answers::OutOfBounds, (status = 502, description = "The portal's platform failed", body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
#[post("/portal/reconciliation")]
pub async fn reconcile_with_portal(state: State, auth: Authenticated, body: Json<ReconcileRequest>) -> Answer {
    access::oversees_portal_sync(&auth.0)?;
    body.validate().map_err(from_validation)?;
    let Some(client) = state.portal.clone() else {
        let mut problem = Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "rule-violation",
            "Chưa cấu hình kết nối Cổng DVCQG",
        )
        .detail("this server does not sync with the national portal: set ONESTOP_PORTAL_SERVICE_URL and its account");
        problem.rule = Some("the portal sync is configured");
        return Err(problem);
    };
    match reconcile(&state.pool, &client, body.after, body.limit.unwrap_or(100)).await {
        Ok(report) => Ok(HttpResponse::Ok().json(report)),
        Err(ReconcileError::Portal(error)) => Err(Problem::portal_failed(error.to_string())),
        Err(ReconcileError::Database(error)) => Err(error.into()),
    }
}
