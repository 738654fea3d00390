//! `as-of`: a case, or a whole Biểu 06 report, as it stood at a past moment.
//!
//! A moment is either an instant or a log position. An instant is compared with
//! each event's own time (when the officer acted, `at` in the payload), so
//! "as of 30 June" means what had been done by then, whenever it reached the
//! log; a position means the log as it was when that event was appended.
//!
//! A case is its stream folded up to the moment with the domain's `evolve`. A
//! report is the statistics projection's bulk fold over the events up to the
//! moment, written into a scratch schema that only this command uses and
//! queried with the same report query the API serves, then dropped.

use std::str::FromStr;

use futures_util::TryStreamExt as _;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::case::{CaseChange, CaseEvent, CaseState};
use onestop_projections::ProjectionError;
use onestop_projections::rebuild::ReadModel;
use onestop_projections::stats::{GroupBy, ReportRow, StatsBulk, report_at};
use onestop_projections::status::{case_id_of, decode};
use onestop_store::{EventStore, PoolSettings, RecordedEvent, StreamId, build_pool};
use uuid::Uuid;

/// The scratch schema of an as-of report.
const SCRATCH_SCHEMA: &str = "onestop_as_of";

/// Events read per page while folding a report.
const PAGE: usize = 50_000;

/// A past moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Everything done at or before this instant.
    Instant(Timestamp),
    /// Everything at or before this global position.
    Position(i64),
}

impl FromStr for Moment {
    type Err = String;

    /// A whole number is a position; otherwise an RFC 3339 instant, or a day
    /// (its end, in Vietnam's time).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(position) = text.parse::<i64>() {
            return Ok(Self::Position(position));
        }
        if let Ok(at) = text.parse::<Timestamp>() {
            return Ok(Self::Instant(at));
        }
        // A day means everything done that day: up to the last instant before the next.
        instant_or_day(text, DayEdge::End)
            .map(|end| Self::Instant(end - jiff::SignedDuration::from_micros(1)))
            .map_err(|_| format!("{text:?} is neither a position, an RFC 3339 instant nor a date"))
    }
}

/// Which edge of a day a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// The day's first instant (Vietnam's time).
    Start,
    /// The next day's first instant: the day's end, exclusive.
    End,
}

/// An RFC 3339 instant, or a day in Vietnam's time taken at `edge`.
pub fn instant_or_day(text: &str, edge: DayEdge) -> Result<Timestamp, String> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let day: Date = text.parse().map_err(|_| format!("{text:?} is neither an RFC 3339 instant nor a date"))?;
    let day = match edge {
        DayEdge::Start => day,
        DayEdge::End => day.tomorrow().map_err(|e| e.to_string())?,
    };
    Ok(onestop_domain::calendar::instant(day.at(0, 0, 0, 0)))
}

/// Why an as-of question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AsOfError {
    #[error(transparent)]
    Store(#[from] onestop_store::StoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("event at global position {position} cannot be read: {reason}")]
    Event { position: i64, reason: String },
    #[error("cannot open a scratch connection: {0}")]
    Pool(String),
}

/// When a report as of `moment` judges what is in progress in a period not
/// ended by then: just after the moment (the last instant of a day stands for
/// the day's end); a log position judges at each period's end.
fn judged_at(moment: Moment) -> Timestamp {
    match moment {
        Moment::Instant(at) => at.checked_add(jiff::SignedDuration::from_micros(1)).unwrap_or(Timestamp::MAX),
        Moment::Position(_) => Timestamp::MAX,
    }
}

/// Whether `event` (decoded) had happened by `moment`.
fn happened(event: &RecordedEvent, decoded: &CaseEvent, moment: Moment) -> bool {
    match moment {
        Moment::Instant(at) => decoded.at() <= at,
        Moment::Position(position) => event.global_position <= position,
    }
}

/// The case as it stood at `moment`; `None` if it did not exist yet.
pub async fn case_as_of(store: &EventStore, case_id: Uuid, moment: Moment) -> Result<Option<CaseState>, AsOfError> {
    let stream = StreamId::new(format!("case-{case_id}"))
        .map_err(|e| AsOfError::Event { position: 0, reason: e.to_string() })?;
    let mut state: Option<CaseState> = None;
    for event in store.read_stream_all(&stream).await? {
        let decoded = decode(&event)?;
        // A stream's events follow each other in time and in the log.
        if !happened(&event, &decoded, moment) {
            break;
        }
        CaseChange::apply(state.get_or_insert_default(), &decoded);
    }
    Ok(state)
}

/// What a report as of a moment covers.
#[derive(Debug, Clone)]
pub struct ReportQuestion {
    pub moment: Moment,
    pub from: Date,
    pub to: Date,
    pub units: Vec<String>,
    pub group_by: GroupBy,
}

/// Biểu 06 as the statistics stood at the question's moment. `owner_store`
/// must connect as a role that may create a schema.
pub async fn report_as_of(owner_store: &EventStore, question: &ReportQuestion) -> Result<Vec<ReportRow>, AsOfError> {
    let mut bulk = StatsBulk::default();
    let pages = owner_store.pages(PAGE);
    futures_util::pin_mut!(pages);
    while let Some(events) = pages.try_next().await? {
        let mut kept = Vec::with_capacity(events.len());
        for event in events {
            if case_id_of(&event.stream_id).is_none() {
                continue;
            }
            if happened(&event, &decode(&event)?, question.moment) {
                kept.push(event);
            }
        }
        bulk.absorb(&kept)?;
    }
    let schema = format!("\"{SCRATCH_SCHEMA}_{}\"", std::process::id());
    let client = owner_store.pool().get().await.map_err(ProjectionError::from)?;
    let mut ddl = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};");
    for table in ReadModel::Stats.tables() {
        ddl.push_str(&format!("CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL);"));
    }
    client.batch_execute(&ddl).await.map_err(ProjectionError::from)?;
    let outcome = async {
        let mut config = owner_store.config().clone();
        config.options(format!("-c search_path={},public", schema.trim_matches('"')));
        let pool = build_pool(&config, &PoolSettings { max_size: 2, ..PoolSettings::default() })
            .map_err(|e| AsOfError::Pool(e.to_string()))?;
        {
            let mut writer = pool.get().await.map_err(ProjectionError::from)?;
            let transaction = writer.transaction().await.map_err(ProjectionError::from)?;
            bulk.finish(&transaction).await?;
            transaction.commit().await.map_err(ProjectionError::from)?;
        }
        Ok::<_, AsOfError>(
            report_at(
                &pool,
                question.from,
                question.to,
                &question.units,
                question.group_by,
                judged_at(question.moment),
            )
            .await?,
        )
    }
    .await;
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.map_err(ProjectionError::from)?;
    outcome
}
