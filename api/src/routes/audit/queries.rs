//! Inspectors' queries across cases: by officer, unit and period.

use actix_web::web::Query;
use actix_web::{HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::access::{self};
use onestop_domain::ids::UnitCode;
use onestop_projections::queries::{AuditFilter, audit_changes};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_domain::access::Actor;

use super::{page_size, period};

#[derive(Debug, Default, Deserialize, IntoParams)]
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
#[utoipa::path(tag = "audit", params(AuditQuery), responses((status = 200, description = "One page of audit entries", body = AuditPage), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/audit")]
pub async fn query(state: State, auth: Authenticated, query: Query<AuditQuery>) -> Answer {
    Ok(HttpResponse::Ok().json(search(&state, &auth.0, &query).await?))
}

/// One page of an inspector's query (the API's and the console's).
pub(crate) async fn search(state: &AppState, actor: &Actor, asked: &AuditQuery) -> Result<AuditPage, Problem> {
    access::audits(actor, "query the audit trail")?;
    let limit = page_size(asked.limit)?;
    let root = match &asked.unit {
        None => None,
        Some(code) => Some(code.parse::<UnitCode>().map_err(|e| Problem::invalid_field("unit", e.to_string()))?),
    };
    let catalog = state.catalog.snapshot();
    let reachable: Vec<String> = access::visible_units(actor, &catalog.units)
        .into_iter()
        .filter(|u| root.as_ref().is_none_or(|root| catalog.units.is_within(&u.code, root)))
        .map(|u| u.code.to_string())
        .collect();
    // Queries are bounded in time: the change rows are indexed by time alone.
    let (from, to) = period(asked.from, asked.to, state.clock.now())?;
    crate::routes::fresh::caught_up_with(state, onestop_projections::status::NAME).await?;
    let filter =
        AuditFilter { units: &reachable, actor: asked.actor, from, to, after: asked.after.unwrap_or(0), limit };
    let entries: Vec<AuditEntry> = audit_changes(&state.pool, &filter)
        .await?
        .into_iter()
        .map(|c| AuditEntry {
            seq: c.seq,
            case_id: c.case_id,
            event_type: c.event_type,
            actor_id: c.actor_id,
            actor_role: c.actor_role,
            unit: c.acting_unit,
            at: c.at,
        })
        .collect();
    let next_after = (entries.len() as i64 == limit).then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(AuditPage { entries, next_after })
}
