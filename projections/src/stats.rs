//! Statistics (DESIGN §4.2): the Biểu 06 columns for any period, unit subtree and
//! grouping, pre-aggregated so a report reads daily counters and the few cases
//! open at the period's two edges, however many cases there are.
//!
//! Cases are counted at their receiving unit. "In progress at an instant" uses
//! each case's current due date (a due date moved later by a pause or extension
//! counts as moved for past periods too).

use std::collections::HashMap;

use deadpool_postgres::{Pool, Transaction};
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::calendar::{instant, local};
use onestop_domain::case::CaseEvent;
use onestop_domain::deadline::Punctuality;
use onestop_store::RecordedEvent;
use serde::Serialize;
use uuid::Uuid;

use crate::runner::{Projection, ProjectionError};
use crate::status::{case_id_of, decode};

/// The statistics projection's checkpoint name.
pub const NAME: &str = "case_stats";

/// The events statistics need; others are skipped without decoding.
const RELEVANT: &[&str] = &[
    "CaseReceived",
    "SupplementReceived",
    "PaymentRecorded",
    "CaseResumed",
    "DeadlineExtended",
    "ResultRecorded",
    "CaseRefusedAsIneligible",
    "CaseWithdrawn",
    "CaseStopped",
];

#[derive(Debug, Clone)]
struct Facts {
    unit: String,
    procedure: String,
    field: String,
    online: bool,
    received_at: Timestamp,
    due_at: Timestamp,
    finished_at: Option<Timestamp>,
    outcome: Option<&'static str>,
    punctuality: Option<&'static str>,
}

/// Daily counter increments, keyed by (day, unit, procedure).
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    received_online: i32,
    received_offline: i32,
    resolved_early: i32,
    resolved_on_time: i32,
    resolved_late: i32,
    returned: i32,
    withdrawn: i32,
    stopped: i32,
}

/// Keeps `case_facts` and `stats_daily`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatsProjection;

fn day(at: Timestamp) -> Date {
    local(at).date()
}

impl Projection for StatsProjection {
    /// Its few events are decoded in the fold.
    type Prepared = ();
    /// Its reads are few: nothing kept between batches.
    type Memory = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare(&self, _: &[RecordedEvent]) -> Result<(), ProjectionError> {
        Ok(())
    }

    fn tables(&self) -> &'static [&'static str] {
        &["case_facts", "stats_daily", "stats_monthly"]
    }

    fn event_types(&self) -> Option<&'static [&'static str]> {
        Some(RELEVANT)
    }

    async fn apply(
        &self,
        transaction: &Transaction<'_>,
        events: &[RecordedEvent],
        (): (),
        (): &mut (),
    ) -> Result<(), ProjectionError> {
        let relevant = relevant(events);
        if relevant.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<Uuid> = relevant.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let statement = transaction
            .prepare_cached(
                "SELECT case_id, unit, procedure_code, field_code, online, received_at, due_at, \
                        finished_at, outcome, punctuality \
                 FROM case_facts WHERE case_id = ANY($1)",
            )
            .await?;
        let mut facts: HashMap<Uuid, Facts> = HashMap::with_capacity(ids.len());
        for row in transaction.query(&statement, &[&ids]).await? {
            let outcome: Option<String> = row.get(8);
            let punctuality: Option<String> = row.get(9);
            facts.insert(
                row.get(0),
                Facts {
                    unit: row.get(1),
                    procedure: row.get(2),
                    field: row.get(3),
                    online: row.get(4),
                    received_at: row.get(5),
                    due_at: row.get(6),
                    finished_at: row.get(7),
                    outcome: outcome.as_deref().map(static_outcome),
                    punctuality: punctuality.as_deref().map(static_punctuality),
                },
            );
        }
        let mut counts: HashMap<CountKey, Counts> = HashMap::new();
        let mut touched = fold_batch(&mut facts, &mut counts, &relevant)?;
        touched.sort_unstable();
        touched.dedup();
        write_facts(transaction, &touched, &facts, true).await?;
        write_counts(transaction, counts, true).await?;
        Ok(())
    }
}

/// Daily counters are kept per (day, unit, procedure, field).
type CountKey = (Date, String, String, String);

/// Folds a batch's relevant events onto the cases' facts, adding to the daily
/// counters. Returns the cases whose facts changed.
fn fold_batch(
    facts: &mut HashMap<Uuid, Facts>,
    counts: &mut HashMap<CountKey, Counts>,
    relevant: &[(&RecordedEvent, Uuid)],
) -> Result<Vec<Uuid>, ProjectionError> {
    let mut touched: Vec<Uuid> = Vec::new();
    for &(event, id) in relevant {
        let decoded = decode(event)?;
        if let CaseEvent::CaseReceived(e) = &decoded {
            let f = Facts {
                unit: e.unit.to_string(),
                procedure: e.procedure.code.to_string(),
                field: e.field_code.clone(),
                online: e.channel.is_online(),
                received_at: e.at,
                due_at: e.due_at,
                finished_at: None,
                outcome: None,
                punctuality: None,
            };
            let c = counts
                .entry((
                    day(e.at),
                    f.unit.clone(),
                    f.procedure.clone(),
                    f.field.clone(),
                ))
                .or_default();
            if f.online {
                c.received_online += 1;
            } else {
                c.received_offline += 1;
            }
            facts.insert(id, f);
            touched.push(id);
            continue;
        }
        // Anything else concerns a case already received (a withdrawal
        // before receipt is not counted).
        let Some(f) = facts.get_mut(&id) else {
            continue;
        };
        if f.finished_at.is_some() {
            continue;
        }
        let key = |f: &Facts, at| {
            (
                day(at),
                f.unit.clone(),
                f.procedure.clone(),
                f.field.clone(),
            )
        };
        match &decoded {
            CaseEvent::SupplementReceived(e) => f.due_at = e.clock.due_at,
            CaseEvent::PaymentRecorded(e) => f.due_at = e.clock.due_at,
            CaseEvent::CaseResumed(e) => f.due_at = e.clock.due_at,
            CaseEvent::DeadlineExtended(e) => f.due_at = e.due_at,
            CaseEvent::ResultRecorded(e) => {
                let class = Punctuality::of(e.at, f.due_at);
                let c = counts.entry(key(f, e.at)).or_default();
                match class {
                    Punctuality::Early => c.resolved_early += 1,
                    Punctuality::OnTime => c.resolved_on_time += 1,
                    Punctuality::Late => c.resolved_late += 1,
                }
                f.finished_at = Some(e.at);
                f.outcome = Some("resolved");
                f.punctuality = Some(static_punctuality(match class {
                    Punctuality::Early => "early",
                    Punctuality::OnTime => "on_time",
                    Punctuality::Late => "late",
                }));
            }
            CaseEvent::CaseRefusedAsIneligible(e) => {
                counts.entry(key(f, e.at)).or_default().returned += 1;
                f.finished_at = Some(e.at);
                f.outcome = Some("refused_as_ineligible");
                f.punctuality = Some("on_time");
            }
            CaseEvent::CaseWithdrawn(e) => {
                counts.entry(key(f, e.at)).or_default().withdrawn += 1;
                f.finished_at = Some(e.at);
                f.outcome = Some("withdrawn");
                f.punctuality = Some("on_time");
            }
            CaseEvent::CaseStopped(e) => {
                counts.entry(key(f, e.at)).or_default().stopped += 1;
                f.finished_at = Some(e.at);
                f.outcome = Some("stopped");
                f.punctuality = Some("on_time");
            }
            _ => {}
        }
        touched.push(id);
    }
    Ok(touched)
}

/// The statistics rebuilt in bulk (see [`crate::rebuild`]): facts and counters
/// held in memory for the whole log, each row written once at the end.
#[derive(Debug, Default)]
pub struct StatsBulk {
    facts: HashMap<Uuid, Facts>,
    counts: HashMap<CountKey, Counts>,
}

impl StatsBulk {
    /// Folds a batch (any events: those statistics ignore are skipped).
    pub fn absorb(&mut self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let relevant = relevant(events);
        fold_batch(&mut self.facts, &mut self.counts, &relevant)?;
        Ok(())
    }

    /// Writes the facts and counters; returns how many cases.
    pub async fn finish(self, transaction: &Transaction<'_>) -> Result<usize, ProjectionError> {
        let mut ids: Vec<Uuid> = self.facts.keys().copied().collect();
        ids.sort_unstable();
        for chunk in ids.chunks(50_000) {
            write_facts(transaction, chunk, &self.facts, false).await?;
        }
        write_counts(transaction, self.counts, false).await?;
        Ok(ids.len())
    }
}

/// The events of a batch statistics use, with their cases.
fn relevant(events: &[RecordedEvent]) -> Vec<(&RecordedEvent, Uuid)> {
    events
        .iter()
        .filter(|e| RELEVANT.contains(&e.event_type.as_str()))
        .filter_map(|e| case_id_of(&e.stream_id).map(|id| (e, id)))
        .collect()
}

fn static_outcome(text: &str) -> &'static str {
    match text {
        "resolved" => "resolved",
        "refused_as_ineligible" => "refused_as_ineligible",
        "withdrawn" => "withdrawn",
        _ => "stopped",
    }
}

fn static_punctuality(text: &str) -> &'static str {
    match text {
        "early" => "early",
        "late" => "late",
        _ => "on_time",
    }
}

/// Writes the facts of `ids`; `upsert` replaces existing rows (a bulk rebuild
/// writes each once, into a table without the unique index ON CONFLICT needs).
async fn write_facts(
    transaction: &Transaction<'_>,
    ids: &[Uuid],
    facts: &HashMap<Uuid, Facts>,
    upsert: bool,
) -> Result<(), ProjectionError> {
    let rows: Vec<(&Uuid, &Facts)> = ids
        .iter()
        .filter_map(|id| facts.get(id).map(|f| (id, f)))
        .collect();
    let insert = "INSERT INTO case_facts (case_id, unit, procedure_code, field_code, online, \
         received_at, due_at, finished_at, outcome, punctuality) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], \
         $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[])";
    let statement = if upsert {
        transaction
            .prepare_cached(&format!(
                "{insert} ON CONFLICT (case_id) DO UPDATE SET due_at = EXCLUDED.due_at, \
                 finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, \
                 punctuality = EXCLUDED.punctuality"
            ))
            .await?
    } else {
        transaction.prepare_cached(insert).await?
    };
    transaction
        .execute(
            &statement,
            &[
                &rows.iter().map(|(id, _)| **id).collect::<Vec<_>>(),
                &rows
                    .iter()
                    .map(|(_, f)| f.unit.as_str())
                    .collect::<Vec<_>>(),
                &rows
                    .iter()
                    .map(|(_, f)| f.procedure.as_str())
                    .collect::<Vec<_>>(),
                &rows
                    .iter()
                    .map(|(_, f)| f.field.as_str())
                    .collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.online).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.received_at).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.due_at).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.finished_at).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.outcome).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.punctuality).collect::<Vec<_>>(),
            ],
        )
        .await?;
    Ok(())
}

/// Adds daily and monthly counters; `upsert` as for [`write_facts`].
async fn write_counts(
    transaction: &Transaction<'_>,
    counts: HashMap<CountKey, Counts>,
    upsert: bool,
) -> Result<(), ProjectionError> {
    if counts.is_empty() {
        return Ok(());
    }
    // The same increments by day and by month.
    let mut monthly: HashMap<CountKey, Counts> = HashMap::new();
    for ((d, unit, procedure, field), c) in &counts {
        let month = d.first_of_month();
        let m = monthly
            .entry((month, unit.clone(), procedure.clone(), field.clone()))
            .or_default();
        m.received_online += c.received_online;
        m.received_offline += c.received_offline;
        m.resolved_early += c.resolved_early;
        m.resolved_on_time += c.resolved_on_time;
        m.resolved_late += c.resolved_late;
        m.returned += c.returned;
        m.withdrawn += c.withdrawn;
        m.stopped += c.stopped;
    }
    add_counts(transaction, "stats_daily", "day", counts, upsert).await?;
    add_counts(transaction, "stats_monthly", "month", monthly, upsert).await
}

async fn add_counts(
    transaction: &Transaction<'_>,
    table: &str,
    period: &str,
    counts: HashMap<CountKey, Counts>,
    upsert: bool,
) -> Result<(), ProjectionError> {
    let mut days = Vec::new();
    let mut units = Vec::new();
    let mut procedures = Vec::new();
    let mut fields = Vec::new();
    let mut columns: [Vec<i32>; 8] = Default::default();
    for ((d, unit, procedure, field), c) in counts {
        days.push(d);
        units.push(unit);
        procedures.push(procedure);
        fields.push(field);
        for (column, value) in columns.iter_mut().zip([
            c.received_online,
            c.received_offline,
            c.resolved_early,
            c.resolved_on_time,
            c.resolved_late,
            c.returned,
            c.withdrawn,
            c.stopped,
        ]) {
            column.push(value);
        }
    }
    let statement = transaction
        .prepare_cached(&format!(
            "INSERT INTO {table} AS s ({period}, unit, procedure_code, field_code, received_online, \
             received_offline, resolved_early, resolved_on_time, resolved_late, returned, \
             withdrawn, stopped) \
             SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::int4[], \
             $6::int4[], $7::int4[], $8::int4[], $9::int4[], $10::int4[], $11::int4[], $12::int4[]) \
             {}",
            if upsert { format!("ON CONFLICT ({period}, unit, procedure_code) DO UPDATE SET \
             received_online = s.received_online + EXCLUDED.received_online, \
             received_offline = s.received_offline + EXCLUDED.received_offline, \
             resolved_early = s.resolved_early + EXCLUDED.resolved_early, \
             resolved_on_time = s.resolved_on_time + EXCLUDED.resolved_on_time, \
             resolved_late = s.resolved_late + EXCLUDED.resolved_late, \
             returned = s.returned + EXCLUDED.returned, \
             withdrawn = s.withdrawn + EXCLUDED.withdrawn, \
             stopped = s.stopped + EXCLUDED.stopped") } else { String::new() }
        ))
        .await?;
    let [c0, c1, c2, c3, c4, c5, c6, c7] = &columns;
    transaction
        .execute(
            &statement,
            &[
                &days,
                &units,
                &procedures,
                &fields,
                c0,
                c1,
                c2,
                c3,
                c4,
                c5,
                c6,
                c7,
            ],
        )
        .await?;
    Ok(())
}

/// How report rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Field,
    Procedure,
    Unit,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Field => "field_code",
            GroupBy::Procedure => "procedure_code",
            GroupBy::Unit => "unit",
        }
    }
}

/// One line of Biểu 06.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportRow {
    /// The field, procedure or unit code; `TOTAL` for the sum.
    pub key: String,
    /// Số kỳ trước chuyển qua: in progress when the period began.
    pub carried_over: i64,
    /// Received online in the period.
    pub received_online: i64,
    /// Received in person or by post in the period.
    pub received_offline: i64,
    pub received_total: i64,
    /// Resolved in the period: before, on, after the due date.
    pub resolved_early: i64,
    pub resolved_on_time: i64,
    pub resolved_late: i64,
    pub resolved_total: i64,
    /// In progress when the period ended: within the deadline, overdue.
    pub in_progress_within: i64,
    pub in_progress_overdue: i64,
    /// Returned as not eligible in the period.
    pub returned: i64,
    /// Withdrawn by the applicant in the period.
    pub withdrawn: i64,
    /// QĐ 766 progress score, 0–20.
    pub progress_score: f64,
}

/// The QĐ 766/QĐ-TTg processing-progress score, out of 20: the share of files
/// whose deadline has come that were handled on time — resolved early or on time,
/// against everything resolved plus what is still open past its due date. A unit
/// with no such files scores the full 20.
pub fn progress_score(row: &ReportRow) -> f64 {
    let due = row.resolved_total + row.in_progress_overdue;
    if due == 0 {
        return 20.0;
    }
    let on_time = (row.resolved_early + row.resolved_on_time) as f64;
    (20.0 * on_time / due as f64 * 100.0).round() / 100.0
}

/// Biểu 06 for the days `from` to `to` (inclusive) over `units`, grouped.
/// Rows are sorted by key; the last is the total.
pub async fn report(
    pool: &Pool,
    from: Date,
    to: Date,
    units: &[String],
    group_by: GroupBy,
) -> Result<Vec<ReportRow>, ProjectionError> {
    let key = group_by.column();
    // Just before the first day began, and just before the day after the last.
    let start =
        instant(from.to_datetime(jiff::civil::Time::MIN)) - jiff::SignedDuration::from_micros(1);
    let end = instant(
        to.tomorrow()
            .unwrap_or(to)
            .to_datetime(jiff::civil::Time::MIN),
    ) - jiff::SignedDuration::from_micros(1);
    let client = pool.get().await?;
    let mut rows: HashMap<String, ReportRow> = HashMap::new();

    // Whole months come from the monthly counters, the days around them from
    // the daily ones.
    let first_full = if from.day() == 1 {
        from
    } else {
        from.last_of_month().tomorrow().unwrap_or(from)
    };
    let after_full = match to.tomorrow() {
        Ok(next) if next.day() == 1 => next,
        _ => to.first_of_month(),
    };
    let (first_full, after_full) = if first_full < after_full {
        (first_full, after_full)
    } else {
        (from, from)
    };
    let sums = client
        .query(
            &format!(
                "SELECT {key}, sum(received_online)::int8, sum(received_offline)::int8, \
                 sum(resolved_early)::int8, sum(resolved_on_time)::int8, sum(resolved_late)::int8, \
                 sum(returned)::int8, sum(withdrawn)::int8 FROM ( \
                   SELECT {key}, received_online, received_offline, resolved_early, \
                          resolved_on_time, resolved_late, returned, withdrawn \
                   FROM stats_daily WHERE day BETWEEN $1 AND $2 AND unit = ANY($3) \
                     AND NOT (day >= $4 AND day < $5) \
                   UNION ALL \
                   SELECT {key}, received_online, received_offline, resolved_early, \
                          resolved_on_time, resolved_late, returned, withdrawn \
                   FROM stats_monthly WHERE month >= $4 AND month < $5 AND unit = ANY($3) \
                 ) counted GROUP BY {key}"
            ),
            &[&from, &to, &units, &first_full, &after_full],
        )
        .await?;
    for r in &sums {
        let row = rows.entry(r.get(0)).or_default();
        row.received_online = r.get(1);
        row.received_offline = r.get(2);
        row.resolved_early = r.get(3);
        row.resolved_on_time = r.get(4);
        row.resolved_late = r.get(5);
        row.returned = r.get(6);
        row.withdrawn = r.get(7);
    }
    let carried = client
        .query(
            &format!(
                "SELECT {key}, count(*) FROM case_facts \
                 WHERE open_span @> $1::timestamptz AND unit = ANY($2) GROUP BY {key}"
            ),
            &[&start, &units],
        )
        .await?;
    for r in &carried {
        rows.entry(r.get(0)).or_default().carried_over = r.get(1);
    }
    let open = client
        .query(
            &format!(
                "SELECT {key}, count(*) FILTER (WHERE due_at >= $1), count(*) FILTER (WHERE due_at < $1) \
                 FROM case_facts WHERE open_span @> $1::timestamptz AND unit = ANY($2) GROUP BY {key}"
            ),
            &[&end, &units],
        )
        .await?;
    for r in &open {
        let row = rows.entry(r.get(0)).or_default();
        row.in_progress_within = r.get(1);
        row.in_progress_overdue = r.get(2);
    }

    let mut result: Vec<ReportRow> = rows
        .into_iter()
        .map(|(key, mut row)| {
            row.key = key;
            row.received_total = row.received_online + row.received_offline;
            row.resolved_total = row.resolved_early + row.resolved_on_time + row.resolved_late;
            row.progress_score = progress_score(&row);
            row
        })
        .collect();
    result.sort_by(|a, b| a.key.cmp(&b.key));
    let mut total = ReportRow {
        key: "TOTAL".into(),
        ..ReportRow::default()
    };
    for row in &result {
        total.carried_over += row.carried_over;
        total.received_online += row.received_online;
        total.received_offline += row.received_offline;
        total.received_total += row.received_total;
        total.resolved_early += row.resolved_early;
        total.resolved_on_time += row.resolved_on_time;
        total.resolved_late += row.resolved_late;
        total.resolved_total += row.resolved_total;
        total.in_progress_within += row.in_progress_within;
        total.in_progress_overdue += row.in_progress_overdue;
        total.returned += row.returned;
        total.withdrawn += row.withdrawn;
    }
    total.progress_score = progress_score(&total);
    result.push(total);
    Ok(result)
}
