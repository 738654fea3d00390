//! `GET /units/{code}/queue/stats`: tickets, visits and waiting and service
//! times of a unit's queue over any period, by group, counter, officer or
//! hour, as JSON or CSV.

use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse, get};
use jiff::civil::Date;
use onestop_domain::access;
use onestop_projections::queue::{QueueDimension, QueueStatsRow, stats};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::queue_unit;
use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};

/// What the rows are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatsBy {
    /// Tickets taken in the group; visits called from its queue.
    Group,
    /// The tickets the counter called; its visits.
    Counter,
    /// The tickets the officer called; their visits.
    Officer,
    /// Tickets taken in the hour (Vietnamese time, `08` for 08:00–08:59);
    /// visits called in it.
    Hour,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueStatsQuery {
    /// First day, e.g. `2026-03-02`.
    pub from: Date,
    /// Last day (inclusive).
    pub to: Date,
    /// `group` (default), `counter`, `officer` or `hour`.
    pub by: Option<QueueStatsBy>,
}

/// One row. A visit runs from a call to the ticket's leaving the counter
/// (finished, absent or transferred); waiting is from being queued (taken,
/// returned, transferred) to the call; service from the call to the finish.
/// Seconds; medians and 90th percentiles interpolated between the nearest
/// values, none when nothing was counted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueStatsRowDto {
    /// The group's code, the counter's number, the officer's id, the hour, or
    /// `TOTAL`.
    pub key: String,
    /// The group's, counter's or officer's name.
    pub label: String,
    pub tickets: i64,
    pub called: i64,
    pub served: i64,
    pub absent: i64,
    pub transferred: i64,
    pub wait_median_seconds: Option<f64>,
    pub wait_p90_seconds: Option<f64>,
    pub service_median_seconds: Option<f64>,
    pub service_p90_seconds: Option<f64>,
}

/// The statistics, one row per key and a `TOTAL` row last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueStats {
    pub unit: String,
    pub from: Date,
    pub to: Date,
    pub by: QueueStatsBy,
    pub rows: Vec<QueueStatsRowDto>,
}

const CSV_HEADER: &str = "key,label,tickets,called,served,absent,transferred,wait_median_seconds,wait_p90_seconds,\
service_median_seconds,service_p90_seconds";

fn seconds(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// The waiting-time statistics of a unit's queue (thống kê số thứ tự), for
/// those who read the unit's reports. `Accept: text/csv` for CSV.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), QueueStatsQuery), responses((status = 200, description = "The statistics; CSV with `Accept: text/csv`", content((QueueStats = "application/json"), (String = "text/csv"))), answers::Forbidden, answers::NotFound, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/units/{code}/queue/stats")]
pub async fn queue_stats(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    code: Path<String>,
    query: Query<QueueStatsQuery>,
) -> Answer {
    let (unit, catalog, setup) = queue_unit(&state, &code)?;
    access::reports(&auth.0, &unit, &catalog.units)?;
    if query.to < query.from {
        return Err(Problem::invalid_field("to", "must not be before `from`"));
    }
    let by = query.by.unwrap_or(QueueStatsBy::Group);
    let dimension = match by {
        QueueStatsBy::Group => QueueDimension::Group,
        QueueStatsBy::Counter => QueueDimension::Counter,
        QueueStatsBy::Officer => QueueDimension::Officer,
        QueueStatsBy::Hour => QueueDimension::Hour,
    };
    crate::routes::fresh::caught_up_with(&state, onestop_projections::queue::NAME).await?;
    let unit_code = unit.to_string();
    let mut rows = stats(&state.pool, &unit_code, query.from, query.to, dimension).await?;
    rows.extend(stats(&state.pool, &unit_code, query.from, query.to, QueueDimension::Total).await?);
    let label = |row: &QueueStatsRow| -> String {
        match by {
            QueueStatsBy::Group => {
                setup.groups.iter().find(|g| g.code.as_str() == row.key).map(|g| g.name.clone()).unwrap_or_default()
            }
            QueueStatsBy::Counter => row
                .key
                .parse::<u16>()
                .ok()
                .and_then(|n| setup.counters.iter().find(|c| c.number == n))
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            QueueStatsBy::Officer => row
                .key
                .parse()
                .ok()
                .and_then(|id| catalog.account(&onestop_domain::ids::UserId(id)))
                .map(|a| a.user.full_name.clone())
                .unwrap_or_default(),
            QueueStatsBy::Hour => format!("{}:00–{}:59", row.key, row.key),
        }
    };
    let rows: Vec<QueueStatsRowDto> = rows
        .iter()
        .map(|row| QueueStatsRowDto {
            // Counters sort by number as zero-padded text; shown as numbers.
            key: if by == QueueStatsBy::Counter && row.key != "TOTAL" {
                row.key.trim_start_matches('0').to_owned()
            } else {
                row.key.clone()
            },
            label: if row.key == "TOTAL" { "Tổng cộng".to_owned() } else { label(row) },
            tickets: row.tickets,
            called: row.called,
            served: row.served,
            absent: row.absent,
            transferred: row.transferred,
            wait_median_seconds: row.wait_median,
            wait_p90_seconds: row.wait_p90,
            service_median_seconds: row.service_median,
            service_p90_seconds: row.service_p90,
        })
        .collect();
    if crate::csv::wanted(&req) {
        let mut body = String::from(CSV_HEADER);
        body.push('\n');
        for r in &rows {
            body.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                crate::csv::field(&r.key),
                crate::csv::field(&r.label),
                r.tickets,
                r.called,
                r.served,
                r.absent,
                r.transferred,
                seconds(r.wait_median_seconds),
                seconds(r.wait_p90_seconds),
                seconds(r.service_median_seconds),
                seconds(r.service_p90_seconds),
            ));
        }
        return Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(body));
    }
    Ok(HttpResponse::Ok().json(QueueStats { unit: unit_code, from: query.from, to: query.to, by, rows }))
}
