//! `GET /stats/report`: Biểu 06 for any period, unit subtree and grouping, as
//! JSON, CSV or the Biểu II.06a spreadsheet (XLSX).
//!
//! The period is either `from` and `to` (any days) or `period=` (an official
//! one: Decree 09/2019's month from the 15th to the 14th, quarter, 6 months,
//! 9 months, year; [`onestop_domain::period`]); `period=2026-11` answers as
//! `from=2026-10-15&to=2026-11-14` does. The format is `format=` when given,
//! else `Accept` (`text/csv`, the XLSX media type), else JSON.

use std::collections::HashMap;

use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse, get};
use jiff::civil::Date;
use onestop_domain::access;
use onestop_domain::ids::UnitCode;
use onestop_domain::period::ReportPeriod;
use onestop_projections::stats::sheet::{self, Heading, RowsAre, XLSX_MEDIA_TYPE};
use onestop_projections::stats::{GroupBy, ReportRow, report_at};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_domain::access::Actor;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupByDto {
    Field,
    Procedure,
    Unit,
}

/// The report's format, as `?format=` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// First day, e.g. `2026-01-01`; with `to`, instead of `period`.
    pub from: Option<Date>,
    /// Last day (inclusive); with `from`, instead of `period`.
    pub to: Option<Date>,
    /// An official period instead of `from`/`to` (Decree 09/2019/NĐ-CP Art. 12):
    /// `2026-11` is the month from 15 October to 14 November; `2026-Q4`,
    /// `2026-H1` (6 months), `2026-9M` (9 months) and `2026` (the year) start on
    /// the 15th of the month before them and end on the 14th of their last month.
    #[param(pattern = "ReportPeriod")]
    pub period: Option<String>,
    /// The unit whose subtree is counted; the user's first unit by default.
    #[param(pattern = "UnitCode")]
    pub unit: Option<String>,
    /// `field` (default), `procedure` or `unit`.
    pub group_by: Option<GroupByDto>,
    /// `json`, `csv` or `xlsx` (Biểu II.06a); by default as `Accept` asks, else JSON.
    pub format: Option<ReportFormat>,
}

/// Biểu 06, one row per group and a `TOTAL` row.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    /// The official period asked for, as written (`2026-11`), if one was.
    pub period: Option<String>,
    /// Its name in Vietnamese ("Tháng 11 năm 2026").
    pub period_title: Option<String>,
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
    /// Files counted as digitized in the period (QĐ 766): received online, or
    /// from their first component digitized or taken from a data store.
    pub digitized: i64,
    /// Files reusing digitized data (a component from the applicant's data
    /// store or a national database), counted in the period.
    pub reused: i64,
    /// Results issued as electronic documents.
    pub electronic_results: i64,
    /// Fees and taxes paid, and of them online through the portal.
    pub payments: i64,
    pub payments_online: i64,
    /// Applicants' ratings, and of them 4 or 5.
    pub ratings: i64,
    pub ratings_satisfied: i64,
    /// QĐ 766 processing progress, out of 20.
    pub progress_score: f64,
    /// QĐ 766 online service, out of 12.
    pub online_score: f64,
    /// QĐ 766 online payment, out of 10.
    pub payment_score: f64,
    /// QĐ 766 digitization, out of 22.
    pub digitization_score: f64,
    /// QĐ 766 satisfaction, out of 18.
    pub satisfaction_score: f64,
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
            digitized: r.digitized,
            reused: r.reused,
            electronic_results: r.electronic_results,
            payments: r.payments,
            payments_online: r.payments_online,
            ratings: r.ratings,
            ratings_satisfied: r.ratings_satisfied,
            progress_score: r.progress_score,
            online_score: r.online_score,
            payment_score: r.payment_score,
            digitization_score: r.digitization_score,
            satisfaction_score: r.satisfaction_score,
        }
    }
}

const CSV_HEADER: &str = "key,carried_over,received_online,received_offline,received_total,\
resolved_early,resolved_on_time,resolved_late,resolved_total,in_progress_within,\
in_progress_overdue,returned,withdrawn,stopped,digitized,reused,electronic_results,payments,payments_online,\
ratings,ratings_satisfied,progress_score,online_score,payment_score,digitization_score,satisfaction_score";

/// The days a report covers, from `period` or from `from` and `to`.
fn days(query: &ReportQuery) -> Result<(Date, Date, Option<ReportPeriod>), Problem> {
    let period = match &query.period {
        Some(text) => Some(text.parse::<ReportPeriod>().map_err(|e| Problem::invalid_field("period", e))?),
        None => None,
    };
    match (period, query.from, query.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(Problem::invalid_field("period", "give either `period` or `from` and `to`, not both"))
        }
        (Some(period), None, None) => {
            let (from, to) = period.days();
            Ok((from, to, Some(period)))
        }
        (None, Some(from), Some(to)) if to < from => Err(Problem::invalid_field("to", "must not be before `from`")),
        (None, Some(from), Some(to)) => Ok((from, to, None)),
        (None, None, _) => Err(Problem::invalid_field("from", "is required, with `to`, unless `period` is given")),
        (None, Some(_), None) => Err(Problem::invalid_field("to", "is required with `from`")),
    }
}

/// The format asked for: `format=`, else `Accept`, else JSON.
fn format_of(req: &HttpRequest, asked: Option<ReportFormat>) -> ReportFormat {
    if let Some(format) = asked {
        return format;
    }
    let accept = req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains(XLSX_MEDIA_TYPE) {
        ReportFormat::Xlsx
    } else if crate::csv::wanted(req) {
        ReportFormat::Csv
    } else {
        ReportFormat::Json
    }
}

/// Biểu 06 (Tổng hợp tình hình, kết quả giải quyết TTHC): carried over, received
/// (online / in person and by post), resolved (early / on time / late), in
/// progress (within deadline / overdue), returned, withdrawn, stopped, and the QĐ 766
/// progress score, for `from`–`to` or an official `period`. `format=csv` or
/// `Accept: text/csv` for CSV; `format=xlsx` or the XLSX media type for the
/// Biểu II.06a spreadsheet.
#[utoipa::path(tag = "statistics", params(ReportQuery), responses((status = 200, description = "The report; CSV (a header row, then one row per group) or the Biểu II.06a spreadsheet when asked", content((Report = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/stats/report")]
pub async fn stats_report(state: State, auth: Authenticated, req: HttpRequest, query: Query<ReportQuery>) -> Answer {
    let computed = compute(&state, &auth.0, &query).await?;
    respond(&state, computed, format_of(&req, query.format))
}

/// A report as computed, before it is written in a format.
#[derive(Debug)]
pub struct Computed {
    pub rows: Vec<ReportRow>,
    pub from: Date,
    pub to: Date,
    pub period: Option<ReportPeriod>,
    /// The unit whose subtree is counted.
    pub root: UnitCode,
    pub group_by: GroupBy,
}

/// Biểu 06 as `query` asks for it, if `actor` may read it: the report's one
/// implementation, for the API and the console's dashboard.
pub async fn compute(state: &AppState, actor: &Actor, query: &ReportQuery) -> Result<Computed, Problem> {
    access::reads_reports(actor)?;
    let (from, to, period) = days(query)?;
    let catalog = state.catalog.snapshot();
    let root: UnitCode = match &query.unit {
        Some(code) => {
            code.parse().map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field("unit", e.to_string()))?
        }
        None => actor.units.first().cloned().ok_or_else(|| Problem::forbidden("the user has no unit"))?,
    };
    access::reports(actor, &root, &catalog.units)?;
    let units: Vec<String> =
        catalog.units.units().filter(|u| catalog.units.is_within(&u.code, &root)).map(|u| u.code.to_string()).collect();
    let group_by = match query.group_by.unwrap_or(GroupByDto::Field) {
        GroupByDto::Field => GroupBy::Field,
        GroupByDto::Procedure => GroupBy::Procedure,
        GroupByDto::Unit => GroupBy::Unit,
    };
    crate::routes::fresh::caught_up_with(state, onestop_projections::stats::NAME).await?;
    // A period not yet over is judged now, as the case view judges it now.
    let now = state.clock.now();
    let rows = report_at(&state.pool, from, to, &units, group_by, now).await?;
    Ok(Computed { rows, from, to, period, root, group_by })
}

/// A computed report in `format`: JSON, CSV, or the Biểu II.06a spreadsheet.
pub fn respond(state: &AppState, computed: Computed, format: ReportFormat) -> Answer {
    let Computed { rows, from, to, period, root, group_by } = computed;
    let catalog = state.catalog.snapshot();
    match format {
        ReportFormat::Csv => Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(csv(&rows))),
        ReportFormat::Xlsx => {
            let unit_name = |code: &UnitCode| catalog.unit(code).map_or_else(|| code.to_string(), |u| u.name.clone());
            let heading = Heading {
                period_title: period.map(ReportPeriod::title_vi),
                from,
                to,
                reporting_unit: unit_name(&root),
                receiving_unit: catalog.unit(&root).and_then(|u| u.parent.as_ref()).map(unit_name),
                rows_are: match group_by {
                    GroupBy::Field => RowsAre::Fields,
                    GroupBy::Procedure => RowsAre::Procedures,
                    GroupBy::Unit => RowsAre::Units,
                },
            };
            let names = row_names(&catalog, group_by);
            let label = |key: &str| match names.get(key) {
                Some(name) => format!("{name} ({key})"),
                None => key.to_owned(),
            };
            let bytes = sheet::render(&heading, &rows, &label).map_err(|error| {
                tracing::error!(%error, "the Biểu II.06a sheet could not be written");
                Problem::internal()
            })?;
            let name = match period {
                Some(period) => format!("bieu-II.06a-{root}-{period}.xlsx"),
                None => format!("bieu-II.06a-{root}-{from}-{to}.xlsx"),
            };
            Ok(HttpResponse::Ok()
                .content_type(XLSX_MEDIA_TYPE)
                .insert_header((
                    actix_web::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ))
                .body(bytes))
        }
        ReportFormat::Json => Ok(HttpResponse::Ok().json(Report {
            period: period.map(|p| p.to_string()),
            period_title: period.map(ReportPeriod::title_vi),
            from,
            to,
            unit: root.to_string(),
            group_by: match group_by {
                GroupBy::Field => "field",
                GroupBy::Procedure => "procedure",
                GroupBy::Unit => "unit",
            }
            .into(),
            rows: rows.into_iter().map(Into::into).collect(),
        })),
    }
}

/// The names of what the rows count, by key: fields and procedures as their
/// current versions name them, units as the catalogue does.
pub fn row_names(catalog: &onestop_commands::catalog::Catalog, group_by: GroupBy) -> HashMap<String, String> {
    match group_by {
        GroupBy::Field => catalog.field_names(),
        GroupBy::Procedure => catalog.procedure_names(),
        GroupBy::Unit => catalog.unit_names(),
    }
}

fn csv(rows: &[ReportRow]) -> String {
    let mut body = String::from(CSV_HEADER);
    body.push('\n');
    for r in rows {
        body.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
            r.digitized,
            r.reused,
            r.electronic_results,
            r.payments,
            r.payments_online,
            r.ratings,
            r.ratings_satisfied,
            r.progress_score,
            r.online_score,
            r.payment_score,
            r.digitization_score,
            r.satisfaction_score
        ));
    }
    body
}
