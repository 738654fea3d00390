//! `GET /stats/report`: Biểu 06 for any period, unit subtree and grouping, as
//! JSON or CSV.

use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse, get};
use jiff::civil::Date;
use onestop_domain::access;
use onestop_domain::ids::UnitCode;
use onestop_projections::stats::{GroupBy, ReportRow, report_at};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupByDto {
    Field,
    Procedure,
    Unit,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// First day, e.g. `2026-01-01`.
    pub from: Date,
    /// Last day (inclusive).
    pub to: Date,
    /// The unit whose subtree is counted; the user's first unit by default.
    #[param(pattern = "UnitCode")]
    pub unit: Option<String>,
    /// `field` (default), `procedure` or `unit`.
    pub group_by: Option<GroupByDto>,
}

/// Biểu 06, one row per group and a `TOTAL` row.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub from: Date,
    pub to: Date,
    pub unit: String,
    pub group_by: String,
    pub rows: Vec<ReportRowDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRowDto {
    pub key: String,
    pub carried_over: i64,
    pub received_online: i64,
    pub received_offline: i64,
    pub received_total: i64,
    pub resolved_early: i64,
    pub resolved_on_time: i64,
    pub resolved_late: i64,
    pub resolved_total: i64,
    pub in_progress_within: i64,
    pub in_progress_overdue: i64,
    pub returned: i64,
    pub withdrawn: i64,
    /// Stopped (dừng xử lý) in the period. Every row balances: carried over +
    /// received = resolved + returned + withdrawn + stopped + in progress.
    pub stopped: i64,
    pub progress_score: f64,
}

impl From<ReportRow> for ReportRowDto {
    fn from(r: ReportRow) -> Self {
        ReportRowDto {
            key: r.key,
            carried_over: r.carried_over,
            received_online: r.received_online,
            received_offline: r.received_offline,
            received_total: r.received_total,
            resolved_early: r.resolved_early,
            resolved_on_time: r.resolved_on_time,
            resolved_late: r.resolved_late,
            resolved_total: r.resolved_total,
            in_progress_within: r.in_progress_within,
            in_progress_overdue: r.in_progress_overdue,
            returned: r.returned,
            withdrawn: r.withdrawn,
            stopped: r.stopped,
            progress_score: r.progress_score,
        }
    }
}

const CSV_HEADER: &str = "key,carried_over,received_online,received_offline,received_total,\
resolved_early,resolved_on_time,resolved_late,resolved_total,in_progress_within,\
in_progress_overdue,returned,withdrawn,stopped,progress_score";

/// Biểu 06 (Tổng hợp tình hình, kết quả giải quyết TTHC): carried over, received
/// (online / in person and by post), resolved (early / on time / late), in
/// progress (within deadline / overdue), returned, withdrawn, stopped, and the QĐ 766
/// progress score. `Accept: text/csv` for CSV.
#[utoipa::path(tag = "statistics", params(ReportQuery), responses((status = 200, description = "The report; CSV with `Accept: text/csv` (a header row, then one row per group)", content((Report = "application/json"), (String = "text/csv"))), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/stats/report")]
pub async fn stats_report(state: State, auth: Authenticated, req: HttpRequest, query: Query<ReportQuery>) -> Answer {
    access::reads_reports(&auth.0)?;
    if query.to < query.from {
        return Err(Problem::invalid_field("to", "must not be before `from`"));
    }
    let catalog = state.catalog.snapshot();
    let root: UnitCode = match &query.unit {
        Some(code) => {
            code.parse().map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field("unit", e.to_string()))?
        }
        None => auth.0.units.first().cloned().ok_or_else(|| Problem::forbidden("the user has no unit"))?,
    };
    access::reports(&auth.0, &root, &catalog.units)?;
    let units: Vec<String> =
        catalog.units.units().filter(|u| catalog.units.is_within(&u.code, &root)).map(|u| u.code.to_string()).collect();
    let (group_by, group_name) = match query.group_by.unwrap_or(GroupByDto::Field) {
        GroupByDto::Field => (GroupBy::Field, "field"),
        GroupByDto::Procedure => (GroupBy::Procedure, "procedure"),
        GroupByDto::Unit => (GroupBy::Unit, "unit"),
    };
    crate::routes::fresh::caught_up_with(&state, onestop_projections::stats::NAME).await?;
    // A period not yet over is judged now, as the case view judges it now.
    let now = state.clock.now();
    let rows = report_at(&state.pool, query.from, query.to, &units, group_by, now).await?;
    if crate::csv::wanted(&req) {
        let mut body = String::from(CSV_HEADER);
        body.push('\n');
        for r in &rows {
            body.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                crate::csv::field(&r.key),
                r.carried_over,
                r.received_online,
                r.received_offline,
                r.received_total,
                r.resolved_early,
                r.resolved_on_time,
                r.resolved_late,
                r.resolved_total,
                r.in_progress_within,
                r.in_progress_overdue,
                r.returned,
                r.withdrawn,
                r.stopped,
                r.progress_score
            ));
        }
        return Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(body));
    }
    Ok(HttpResponse::Ok().json(Report {
        from: query.from,
        to: query.to,
        unit: root.to_string(),
        group_by: group_name.into(),
        rows: rows.into_iter().map(Into::into).collect(),
    }))
}
