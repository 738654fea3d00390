//! Work queues (DESIGN §4.1): the open files waiting at an officer's step in
//! their units, most urgent first, and how many there are of each kind.
//!
//! "At my step" means held by one of the units the officer is granted, at a
//! step of their role, or assigned to them by name. Files in the hands of the
//! applicant (waiting for a supplement or a payment) stay in the queue of the
//! step that asked, marked as waiting. A file whose result is ready waits at
//! the desk's return step.

use deadpool_postgres::Pool;
use jiff::Timestamp;
use onestop_domain::case::CaseState;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::queries::{overdue_condition, page_of, today_began};
use crate::runner::ProjectionError;

/// Statuses of files that still need an officer: submitted online (1),
/// received (2), in progress (4), waiting for a supplement (5) or a payment
/// (6), result ready to return (9).
static WAITING: &[i16] = &[1, 2, 4, 5, 6, 9];

/// Whose queue, narrowed by the list's filters.
#[derive(Debug, Clone)]
pub struct WorkFilter {
    /// The units the officer's grants name (not their subtrees: a division's
    /// files are its own officers' work).
    pub units: Vec<String>,
    /// The officer's role, as `Role::as_str` spells it.
    pub role: String,
    pub officer: Uuid,
    pub status: Option<i16>,
    pub procedure: Option<String>,
    pub overdue: Option<bool>,
}

/// How many files a queue holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkCounts {
    pub total: i64,
    pub overdue: i64,
    /// Due today, not yet overdue.
    pub due_today: i64,
    /// Handed over and not yet acknowledged.
    pub to_acknowledge: i64,
    /// With the applicant: waiting for a supplement or a payment.
    pub with_applicant: i64,
}

/// Where the next page starts: after this due date (`None`: no due date,
/// listed last) and case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkCursor {
    pub due_at: Option<Timestamp>,
    pub case_id: Uuid,
}

impl WorkCursor {
    pub fn encode(&self) -> String {
        format!("{}~{}", self.due_at.map_or(i64::MAX, Timestamp::as_microsecond), self.case_id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('~')?;
        let micros: i64 = micros.parse().ok()?;
        let due_at = if micros == i64::MAX { None } else { Some(Timestamp::from_microsecond(micros).ok()?) };
        Some(Self { due_at, case_id: id.parse().ok()? })
    }
}

/// One page of a queue, earliest due first (so overdue files lead).
#[derive(Debug, Clone)]
pub struct WorkPage {
    pub cases: Vec<(Uuid, CaseState)>,
    pub next: Option<WorkCursor>,
}

const MINE: &str = "current_unit = ANY($1) AND (holder_role = $2 OR assignee = $3) AND status = ANY($4) \
                    AND ($5::int2 IS NULL OR status = $5) AND ($6::text IS NULL OR procedure_code = $6)";

/// The parameters $1–$6 of [`MINE`].
fn mine_params(filter: &WorkFilter) -> Vec<&(dyn ToSql + Sync)> {
    vec![&filter.units, &filter.role, &filter.officer, &WAITING, &filter.status, &filter.procedure]
}

/// One page of the queue `filter` names, `limit` files at a time.
pub async fn work_queue(
    pool: &Pool,
    filter: &WorkFilter,
    now: Timestamp,
    after: Option<WorkCursor>,
    limit: i64,
) -> Result<WorkPage, ProjectionError> {
    let sql = format!(
        "SELECT case_id, state, due_at FROM case_status \
         WHERE {MINE} AND ($7::bool IS NULL OR $7 = {overdue}) \
           AND ($9::uuid IS NULL OR (coalesce(due_at, 'infinity'::timestamptz), case_id) \
                > (coalesce($10::timestamptz, 'infinity'::timestamptz), $9)) \
         ORDER BY coalesce(due_at, 'infinity'::timestamptz), case_id LIMIT $11",
        overdue = overdue_condition("$8"),
    );
    let client = pool.get().await?;
    let statement = client.prepare_cached(&sql).await?;
    let (today, after_case, after_due, fetch) =
        (today_began(now), after.map(|c| c.case_id), after.and_then(|c| c.due_at), limit + 1);
    let mut params = mine_params(filter);
    params.extend([&filter.overdue as &(dyn ToSql + Sync), &today, &after_case, &after_due, &fetch]);
    let rows = client.query(&statement, &params).await?;
    let (cases, next) = page_of(&rows, limit, |row, case_id| WorkCursor { due_at: row.get(2), case_id })?;
    Ok(WorkPage { cases, next })
}

/// How many files of each kind the queue holds (the list's filters but
/// `overdue` apply).
pub async fn work_counts(pool: &Pool, filter: &WorkFilter, now: Timestamp) -> Result<WorkCounts, ProjectionError> {
    let sql = format!(
        "SELECT count(*), \
                count(*) FILTER (WHERE {overdue}), \
                count(*) FILTER (WHERE NOT {overdue} AND paused_since IS NULL AND due_at < $8), \
                count(*) FILTER (WHERE handover_pending), \
                count(*) FILTER (WHERE status IN (5, 6)) \
         FROM case_status WHERE {MINE}",
        overdue = overdue_condition("$7"),
    );
    let client = pool.get().await?;
    let statement = client.prepare_cached(&sql).await?;
    let today = today_began(now);
    let tomorrow = today + jiff::SignedDuration::from_hours(24);
    let mut params = mine_params(filter);
    params.extend([&today as &(dyn ToSql + Sync), &tomorrow]);
    let row = client.query_one(&statement, &params).await?;
    Ok(WorkCounts {
        total: row.get(0),
        overdue: row.get(1),
        due_today: row.get(2),
        to_acknowledge: row.get(3),
        with_applicant: row.get(4),
    })
}
