//! New reports from the log, without new plumbing: implement [`Report`], add it
//! to [`catalogue`], and `onestop-replay report <name>` replays the whole log
//! into it, then writes its table into the database (schema `onestop_reports`)
//! and as CSV.
//!
//! # Writing a report
//!
//! A report sees every case event once, in log order, as the domain's
//! [`CaseChange`] (the event, where the file was, and the case as the event
//! left it: folded by the domain's own rules, so a report never re-implements
//! them). It keeps whatever
//! tallies it needs and, at the end, returns rows whose cells match its
//! [`Column`]s:
//!
//! ```ignore
//! #[derive(Default)]
//! struct ReceivedPerField(BTreeMap<String, i64>);
//!
//! impl Report for ReceivedPerField {
//!     fn name(&self) -> &'static str { "received-per-field" }
//!     fn description(&self) -> &'static str { "Files received per field" }
//!     fn columns(&self) -> Vec<Column> {
//!         vec![Column::text("field"), Column::integer("received")]
//!     }
//!     fn observe(&mut self, case_id: Uuid, change: &CaseChange<'_>) {
//!         if let CaseEvent::CaseReceived(e) = change.event {
//!             *self.0.entry(e.field_code.clone()).or_default() += 1;
//!         }
//!     }
//!     fn rows(&self) -> Vec<Vec<Cell>> {
//!         self.0.iter().map(|(f, n)| vec![Cell::from(f.as_str()), Cell::from(*n)]).collect()
//!     }
//! }
//! ```
//!
//! Two reports ship beside Biểu 06: [`MedianProcessingTime`] (per procedure and
//! month) and [`SupplementRate`] (per receiving unit).

use std::collections::{BTreeMap, HashMap};

use futures_util::TryStreamExt as _;
use onestop_domain::calendar::{OfficeHours, Schedule, WorkingCalendar, local};
use onestop_domain::case::{CaseChange, CaseEvent, CaseState, Outcome};
use onestop_projections::status::case_id_of;
use onestop_store::EventStore;
use uuid::Uuid;

/// The schema report tables are written to.
pub const REPORT_SCHEMA: &str = "onestop_reports";

/// Events read per page.
const PAGE: usize = 50_000;

/// A column's SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Number,
}

/// A column of a report's table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

impl Column {
    pub const fn text(name: &'static str) -> Self {
        Self { name, kind: Kind::Text }
    }

    pub const fn integer(name: &'static str) -> Self {
        Self { name, kind: Kind::Integer }
    }

    pub const fn number(name: &'static str) -> Self {
        Self { name, kind: Kind::Number }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Integer(i64),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            Self::Integer(value) => write!(f, "{value}"),
            Self::Number(value) => write!(f, "{value}"),
            Self::Empty => Ok(()),
        }
    }
}

/// A report built by replaying the log.
pub trait Report: Send {
    /// Its name on the command line and its table's name (`a-b` → `a_b`).
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    /// The columns, keys first.
    fn columns(&self) -> Vec<Column>;
    /// Called for every case event, in log order.
    fn observe(&mut self, case_id: Uuid, change: &CaseChange<'_>);
    /// The table, one `Vec` per row in [`Report::columns`] order.
    fn rows(&self) -> Vec<Vec<Cell>>;
}

/// Every report the tool knows, fresh.
pub fn catalogue() -> Vec<Box<dyn Report>> {
    vec![Box::new(MedianProcessingTime::default()), Box::new(SupplementRate::default())]
}

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] onestop_store::StoreError),
    #[error("database error while writing a report")]
    Database(#[from] tokio_postgres::Error),
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Event(#[from] onestop_projections::ProjectionError),
}

/// Replays the whole log into `reports`; returns how many case events they saw.
pub async fn replay(store: &EventStore, reports: &mut [Box<dyn Report>]) -> Result<u64, ReportError> {
    let mut cases: HashMap<Uuid, CaseState> = HashMap::new();
    let mut seen = 0;
    let pages = store.pages(PAGE);
    futures_util::pin_mut!(pages);
    while let Some(events) = pages.try_next().await? {
        for recorded in &events {
            let Some(case_id) = case_id_of(&recorded.stream_id) else {
                continue;
            };
            let event = onestop_projections::status::decode(recorded)?;
            let mut state = cases.remove(&case_id).unwrap_or_default();
            let change = CaseChange::apply(&mut state, &event);
            for report in reports.iter_mut() {
                report.observe(case_id, &change);
            }
            cases.insert(case_id, state);
            seen += 1;
        }
    }
    Ok(seen)
}

/// A report's table name.
pub fn table_name(report: &dyn Report) -> String {
    report.name().replace('-', "_")
}

/// Replaces the report's table in [`REPORT_SCHEMA`] with its rows.
pub async fn write_table(store: &EventStore, report: &dyn Report) -> Result<usize, ReportError> {
    let table = format!("{REPORT_SCHEMA}.{}", table_name(report));
    let columns = report.columns();
    let definition: Vec<String> = columns
        .iter()
        .map(|c| {
            let kind = match c.kind {
                Kind::Text => "text",
                Kind::Integer => "bigint",
                Kind::Number => "double precision",
            };
            format!("{} {kind}", c.name)
        })
        .collect();
    let mut client = store.pool().get().await?;
    let transaction = client.transaction().await?;
    transaction
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {REPORT_SCHEMA}; DROP TABLE IF EXISTS {table}; \
             CREATE TABLE {table} ({}); COMMENT ON TABLE {table} IS '{}'",
            definition.join(", "),
            report.description().replace('\'', "''")
        ))
        .await?;
    let rows = report.rows();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let insert = transaction.prepare(&format!("INSERT INTO {table} VALUES ({})", placeholders.join(", "))).await?;
    for row in &rows {
        let values: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> = row
            .iter()
            .zip(&columns)
            .map(|(cell, column)| -> Box<dyn tokio_postgres::types::ToSql + Sync + Send> {
                match (cell, column.kind) {
                    (Cell::Text(t), _) => Box::new(t.clone()),
                    (Cell::Integer(v), Kind::Number) => Box::new(*v as f64),
                    (Cell::Integer(v), _) => Box::new(*v),
                    (Cell::Number(v), _) => Box::new(*v),
                    (Cell::Empty, Kind::Text) => Box::new(None::<String>),
                    (Cell::Empty, Kind::Integer) => Box::new(None::<i64>),
                    (Cell::Empty, Kind::Number) => Box::new(None::<f64>),
                }
            })
            .collect();
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            values.iter().map(|v| v.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
        transaction.execute(&insert, &params).await?;
    }
    transaction.commit().await?;
    Ok(rows.len())
}

/// Writes the report as CSV with a header row.
pub fn write_csv(report: &dyn Report, out: impl std::io::Write) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(report.columns().iter().map(|c| c.name))?;
    for row in report.rows() {
        writer.write_record(row.iter().map(ToString::to_string))?;
    }
    writer.flush()?;
    Ok(())
}

/// The median of some values (the mean of the middle two for an even count).
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] })
}

/// Rounds to two decimals for the table.
fn two_decimals(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Median processing time per procedure and month: for the files resolved in
/// the month (by their result's date), the time from receipt to result in
/// working days (Vietnamese working time, the standard office hours) and in
/// calendar days.
#[derive(Debug)]
pub struct MedianProcessingTime {
    calendar: WorkingCalendar,
    hours: OfficeHours,
    /// (procedure, month "YYYY-MM") → (working days, calendar days) per file.
    times: BTreeMap<(String, String), (Vec<f64>, Vec<f64>)>,
}

impl Default for MedianProcessingTime {
    fn default() -> Self {
        Self { calendar: WorkingCalendar::vietnam(), hours: OfficeHours::default(), times: BTreeMap::new() }
    }
}

impl Report for MedianProcessingTime {
    fn name(&self) -> &'static str {
        "median-processing-time"
    }

    fn description(&self) -> &'static str {
        "Median time from receipt to result, per procedure and month of the result"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::text("procedure_code"),
            Column::text("month"),
            Column::integer("resolved"),
            Column::number("median_working_days"),
            Column::number("median_calendar_days"),
        ]
    }

    fn observe(&mut self, _: Uuid, change: &CaseChange<'_>) {
        if !matches!(change.event, CaseEvent::ResultRecorded(_)) {
            return;
        }
        let after = change.after;
        let (Some(procedure), Some(received), Some(finished), Some(Outcome::Resolved)) =
            (after.procedure.as_ref(), after.received_at, after.finished_at, after.outcome)
        else {
            return;
        };
        let schedule = Schedule::new(&self.calendar, &self.hours);
        let working_days =
            schedule.working_minutes_between(received, finished) as f64 / self.hours.minutes_per_day() as f64;
        let calendar_days = finished.duration_since(received).as_secs_f64() / 86_400.0;
        let month = local(finished).date().strftime("%Y-%m").to_string();
        let entry = self.times.entry((procedure.code.to_string(), month)).or_default();
        entry.0.push(working_days);
        entry.1.push(calendar_days);
    }

    fn rows(&self) -> Vec<Vec<Cell>> {
        self.times
            .iter()
            .map(|((procedure, month), (working, calendar))| {
                let (mut working, mut calendar) = (working.clone(), calendar.clone());
                vec![
                    Cell::from(procedure.as_str()),
                    Cell::from(month.as_str()),
                    Cell::from(working.len() as i64),
                    median(&mut working).map_or(Cell::Empty, |v| Cell::from(two_decimals(v))),
                    median(&mut calendar).map_or(Cell::Empty, |v| Cell::from(two_decimals(v))),
                ]
            })
            .collect()
    }
}

/// Supplement requests per receiving unit: how many of the files it received
/// were asked for more documents at least once, as a share of all of them.
#[derive(Debug, Default)]
pub struct SupplementRate {
    /// unit → (received, files asked at least once, requests).
    units: BTreeMap<String, (i64, i64, i64)>,
    /// Files already asked once (counted once in the middle column).
    asked: std::collections::HashSet<Uuid>,
}

impl Report for SupplementRate {
    fn name(&self) -> &'static str {
        "supplement-rate"
    }

    fn description(&self) -> &'static str {
        "Share of received files asked for a supplement, per receiving unit"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::text("unit"),
            Column::integer("received"),
            Column::integer("asked_for_supplement"),
            Column::integer("supplement_requests"),
            Column::number("rate_percent"),
        ]
    }

    fn observe(&mut self, case_id: Uuid, change: &CaseChange<'_>) {
        let Some(unit) = change.after.receiving_unit.as_ref() else {
            return;
        };
        match change.event {
            CaseEvent::CaseReceived(_) => {
                self.units.entry(unit.to_string()).or_default().0 += 1;
            }
            CaseEvent::SupplementRequested(_) => {
                let entry = self.units.entry(unit.to_string()).or_default();
                entry.2 += 1;
                if self.asked.insert(case_id) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }

    fn rows(&self) -> Vec<Vec<Cell>> {
        self.units
            .iter()
            .map(|(unit, (received, asked, requests))| {
                let rate = if *received > 0 {
                    Cell::from(two_decimals(100.0 * *asked as f64 / *received as f64))
                } else {
                    Cell::Empty
                };
                vec![Cell::from(unit.as_str()), Cell::from(*received), Cell::from(*asked), Cell::from(*requests), rate]
            })
            .collect()
    }
}
