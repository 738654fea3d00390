//! Statistics (DESIGN §4.2): the Biểu 06 columns for any period, unit subtree and
//! grouping, pre-aggregated so a report reads monthly and daily counters only,
//! however many cases there are.
//!
//! Cases are counted at their receiving unit, under the field (lĩnh vực) of the
//! procedure version they were received under, on days of Vietnam's time. What
//! was in progress when a period began or ended comes from the same counters:
//! open at the end of day E = received up to E − finished up to E; open and
//! overdue at the end of E = the sum of both overdue counters up to E, and at
//! an instant of a day not yet ended, the sum of both up to the day before plus
//! that day's `overdue_by_event` (its `overdue_by_due_date` are the files due
//! that day, not late until it ends). A period not yet ended is judged at the
//! instant asked ([`report_at`]). A case in
//! progress is judged exactly as the case view judges it at that instant
//! ([`onestop_domain::case::CaseState::timeliness`]): overdue once its due
//! date's day has passed, and, while its clock is stopped, as it stood when the
//! clock stopped. Each event changes the counters only from its own day on, so
//! a closed period's figures never move afterwards, and a report of the log as
//! of a past moment equals the live one for the periods before it.
//! [`sheet`] writes a report as the Biểu II.06a spreadsheet.
//!
//! `case_facts` keeps what the fold needs to know of each case between
//! batches; reports do not read it.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{Pool, Transaction};
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::calendar::local;
use onestop_domain::case::CaseEvent;
use onestop_domain::deadline::Punctuality;
use onestop_store::RecordedEvent;
use serde::Serialize;
use uuid::Uuid;

pub mod sheet;

use crate::runner::{Projection, ProjectionError};
use crate::status::{Decoded, case_id_of, decode};

/// The statistics projection's checkpoint name.
pub const NAME: &str = "case_stats";

/// The events statistics need; others are skipped without decoding.
const RELEVANT: &[&str] = &[
    "CaseSubmittedOnline",
    "CaseReceived",
    "SupplementRequested",
    "PaymentRequested",
    "CasePaused",
    "SupplementReceived",
    "PaymentRecorded",
    "CaseResumed",
    "DeadlineExtended",
    "ResultRecorded",
    "CaseRefusedAsIneligible",
    "CaseWithdrawn",
    "CaseStopped",
    "DocumentAttached",
    "SatisfactionRated",
];

#[derive(Debug, Clone)]
struct Facts {
    // Shared, not owned: every counter a case touches is keyed by these three,
    // and a key then costs reference counts instead of three new strings.
    unit: Arc<str>,
    procedure: Arc<str>,
    field: Arc<str>,
    online: bool,
    received_at: Timestamp,
    due_at: Timestamp,
    finished_at: Option<Timestamp>,
    outcome: Option<&'static str>,
    punctuality: Option<&'static str>,
    /// When the clock stopped, while it is stopped.
    paused_since: Option<Timestamp>,
    /// The day the case's +1 among the overdue counters stands on, if it has
    /// one: it counts as overdue from that day on, until a later change takes
    /// it back.
    overdue_from: Option<Date>,
    /// Whether that +1 is in `overdue_by_event` (overdue from the instant of
    /// the event that put it there) rather than `overdue_by_due_date` (from the
    /// end of its due date's day).
    overdue_at_once: bool,
    /// False while an online submission waits for reception: the facts hold
    /// only what its receipt will count (its times are the submission's).
    received: bool,
    /// Counted among the files digitized, and among those reusing data
    /// (`onestop_domain::indicators`).
    digitized: bool,
    reused: bool,
}

/// Where a case's +1 among the overdue counters stands: its day, and whether it
/// counts at once (`overdue_by_event`) or from the end of the day (its due
/// date's, `overdue_by_due_date`).
type Tail = (Date, bool);

impl Facts {
    /// The overdue +1 the case has, as it now stands, for the days from `from`
    /// (the day of the event just folded) on: none once finished; while paused,
    /// one at once if the clock stopped after its due date's day, else none;
    /// otherwise one at once if its due date's day has passed, else one on that
    /// day, counting from its end. The same judgement as
    /// [`onestop_domain::case::CaseState::timeliness`].
    fn overdue_tail(&self, from: Date) -> Option<Tail> {
        if self.finished_at.is_some() {
            return None;
        }
        let due = day(self.due_at);
        match self.paused_since {
            Some(paused) => (day(paused) > due).then_some((from, true)),
            None if due < from => Some((from, true)),
            None => Some((due, false)),
        }
    }
}

/// Declares the daily counters once: their struct, their column names in
/// order, and what is done to each of them alike.
macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Daily counter increments, keyed by (day, unit, procedure, field).
        #[derive(Debug, Default, Clone, Copy)]
        struct Counts {
            $($(#[$doc])* $name: i32,)*
        }

        /// The counter columns of `stats_daily` and `stats_monthly`, in the
        /// order of [`Counts::columns`].
        const COUNTERS: &[&str] = &[$(stringify!($name)),*];

        impl Counts {
            fn add(&mut self, other: &Counts) {
                $(self.$name += other.$name;)*
            }

            fn columns(&self) -> [i32; COUNTERS.len()] {
                [$(self.$name),*]
            }
        }
    };
}

counters! {
    received_online,
    received_offline,
    resolved_early,
    resolved_on_time,
    resolved_late,
    returned,
    withdrawn,
    stopped,
    /// Files counted as digitized, on the day they count from (QĐ 766).
    digitized,
    /// Files reusing digitized data, on the day they count from.
    reused,
    /// Results issued as electronic documents.
    electronic_results,
    /// Fees and taxes paid, and of them paid online.
    payments,
    payments_online,
    /// Applicants' ratings, and of them 4 or 5.
    ratings,
    ratings_satisfied,
    /// +1 on the due date's day of a case open and running, which counts as
    /// overdue from that day's end (see [`Facts::overdue_tail`]); −1 there when
    /// the case finishes, pauses or has its due date moved before then.
    overdue_by_due_date,
    /// ±1 on the day of an event that makes a case overdue, or no longer, at
    /// once: finished, paused, resumed or extended past its due date's day.
    overdue_by_event,
}

/// Keeps `case_facts`, `stats_daily` and `stats_monthly`.
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
        let relevant = decode_relevant(events)?;
        if relevant.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<Uuid> = relevant.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let statement = transaction
            .prepare_cached(
                "SELECT case_id, unit, procedure_code, field_code, online, received_at, due_at, \
                        finished_at, outcome, punctuality, paused_since, overdue_from, \
                        overdue_at_once, received, digitized, reused \
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
                    unit: row.get::<_, &str>(1).into(),
                    procedure: row.get::<_, &str>(2).into(),
                    field: row.get::<_, &str>(3).into(),
                    online: row.get(4),
                    received_at: row.get(5),
                    due_at: row.get(6),
                    finished_at: row.get(7),
                    outcome: outcome.as_deref().map(static_outcome),
                    punctuality: punctuality.as_deref().map(static_punctuality),
                    paused_since: row.get(10),
                    overdue_from: row.get(11),
                    overdue_at_once: row.get(12),
                    received: row.get(13),
                    digitized: row.get(14),
                    reused: row.get(15),
                },
            );
        }
        let mut counts: HashMap<CountKey, Counts> = HashMap::new();
        let mut touched = fold_batch(&mut facts, &mut counts, pairs(&relevant));
        touched.sort_unstable();
        touched.dedup();
        write_facts(transaction, &touched, &facts, true).await?;
        write_counts(transaction, counts, true).await?;
        Ok(())
    }
}

/// Daily counters are kept per (day, unit, procedure, field).
type CountKey = (Date, Arc<str>, Arc<str>, Arc<str>);

/// The counters of `facts`' group on the day of `at`.
fn key(facts: &Facts, at: Timestamp) -> CountKey {
    key_on(facts, day(at))
}

/// The counters of `facts`' group on `day`.
fn key_on(facts: &Facts, day: Date) -> CountKey {
    (day, facts.unit.clone(), facts.procedure.clone(), facts.field.clone())
}

/// Moves a case's overdue +1, for the days from `from` on, to where its facts
/// now put it.
fn retail(counts: &mut HashMap<CountKey, Counts>, f: &mut Facts, from: Date) {
    // The old +1 as it counts from `from` on: one on a due date's day still to
    // come stays where it is; any other counts already and is taken back at once.
    let old = f.overdue_from.map(|m| if !f.overdue_at_once && m >= from { (m, false) } else { (from, true) });
    let new = f.overdue_tail(from);
    if old == new {
        return;
    }
    let mut add = |(day, at_once): Tail, change: i32| {
        let c = counts.entry(key_on(f, day)).or_default();
        if at_once {
            c.overdue_by_event += change;
        } else {
            c.overdue_by_due_date += change;
        }
    };
    if let Some(old) = old {
        add(old, -1);
    }
    if let Some(new) = new {
        add(new, 1);
    }
    f.overdue_from = new.map(|(day, _)| day);
    f.overdue_at_once = new.is_some_and(|(_, at_once)| at_once);
}

/// Folds a batch's relevant events onto the cases' facts, adding to the daily
/// counters. Returns the cases whose facts changed.
fn fold_batch<'e>(
    facts: &mut HashMap<Uuid, Facts>,
    counts: &mut HashMap<CountKey, Counts>,
    relevant: impl IntoIterator<Item = (Uuid, &'e CaseEvent)>,
) -> Vec<Uuid> {
    let mut touched: Vec<Uuid> = Vec::new();
    for (id, decoded) in relevant {
        if let CaseEvent::CaseSubmittedOnline(e) = decoded {
            // Remembered until reception takes it: what it brought counts then.
            if let std::collections::hash_map::Entry::Vacant(new) = facts.entry(id) {
                let reused = e.portal.as_ref().is_some_and(|p| p.documents.iter().any(|d| d.origin.is_reuse()));
                new.insert(Facts {
                    unit: e.unit.as_str().into(),
                    procedure: e.procedure.code.as_str().into(),
                    field: e.field_code.as_str().into(),
                    online: true,
                    received_at: e.at,
                    due_at: e.at,
                    finished_at: None,
                    outcome: None,
                    punctuality: None,
                    paused_since: None,
                    overdue_from: None,
                    overdue_at_once: false,
                    received: false,
                    digitized: false,
                    reused,
                });
                touched.push(id);
            }
            continue;
        }
        if let CaseEvent::CaseReceived(e) = decoded {
            let brought_reuse = facts.get(&id).is_some_and(|f| !f.received && f.reused);
            let mut f = Facts {
                unit: e.unit.as_str().into(),
                procedure: e.procedure.code.as_str().into(),
                field: e.field_code.as_str().into(),
                online: e.channel.is_online(),
                received_at: e.at,
                due_at: e.due_at,
                finished_at: None,
                outcome: None,
                punctuality: None,
                paused_since: None,
                overdue_from: None,
                overdue_at_once: false,
                received: true,
                // Filed online, its components are electronic.
                digitized: e.channel.is_online(),
                reused: brought_reuse,
            };
            let c = counts.entry(key(&f, e.at)).or_default();
            if f.online {
                c.received_online += 1;
            } else {
                c.received_offline += 1;
            }
            c.digitized += i32::from(f.digitized);
            c.reused += i32::from(f.reused);
            retail(counts, &mut f, day(e.at));
            facts.insert(id, f);
            touched.push(id);
            continue;
        }
        // Anything else concerns a case already received (a withdrawal
        // before receipt is not counted).
        let Some(f) = facts.get_mut(&id) else {
            continue;
        };
        if !f.received {
            continue;
        }
        // Ratings and the file's components count whenever they come, after
        // the result too.
        match decoded {
            CaseEvent::SatisfactionRated(e) => {
                let c = counts.entry(key(f, e.at)).or_default();
                c.ratings += 1;
                c.ratings_satisfied += i32::from(onestop_domain::indicators::is_satisfied(e.score));
                continue;
            }
            CaseEvent::DocumentAttached(e) => {
                if let Some(origin) = e.origin {
                    let digitized = !f.digitized;
                    let reused = origin.is_reuse() && !f.reused;
                    if digitized || reused {
                        let c = counts.entry(key(f, e.at)).or_default();
                        c.digitized += i32::from(digitized);
                        c.reused += i32::from(reused);
                        f.digitized = true;
                        f.reused |= reused;
                        touched.push(id);
                    }
                }
                continue;
            }
            _ => {}
        }
        if f.finished_at.is_some() {
            continue;
        }
        let at = decoded.at();
        match decoded {
            CaseEvent::SupplementRequested(_) | CaseEvent::PaymentRequested(_) | CaseEvent::CasePaused(_) => {
                f.paused_since = Some(at)
            }
            CaseEvent::SupplementReceived(e) => {
                f.paused_since = None;
                f.due_at = e.clock.due_at;
            }
            CaseEvent::PaymentRecorded(e) => {
                f.paused_since = None;
                f.due_at = e.clock.due_at;
                let c = counts.entry(key(f, e.at)).or_default();
                c.payments += 1;
                c.payments_online += i32::from(e.online);
            }
            CaseEvent::CaseResumed(e) => {
                f.paused_since = None;
                f.due_at = e.clock.due_at;
            }
            CaseEvent::DeadlineExtended(e) => f.due_at = e.due_at,
            CaseEvent::ResultRecorded(e) => {
                let class = Punctuality::of(e.at, f.due_at);
                let c = counts.entry(key(f, e.at)).or_default();
                c.electronic_results += i32::from(e.document.is_some());
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
        if f.finished_at.is_some() {
            f.paused_since = None;
        }
        retail(counts, f, day(at));
        touched.push(id);
    }
    touched
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
        let relevant = decode_relevant(events)?;
        fold_batch(&mut self.facts, &mut self.counts, pairs(&relevant));
        Ok(())
    }

    /// Folds a batch the status view has decoded already (a rebuild of both),
    /// instead of decoding its events a second time.
    pub fn absorb_decoded(&mut self, events: &[RecordedEvent], decoded: &[Option<Decoded>]) {
        let relevant = events
            .iter()
            .zip(decoded)
            .filter(|(event, _)| RELEVANT.contains(&event.event_type.as_str()))
            .filter_map(|(_, decoded)| decoded.as_ref().map(Decoded::case_event));
        fold_batch(&mut self.facts, &mut self.counts, relevant);
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

/// The events of a batch statistics use, decoded, with their cases.
fn decode_relevant(events: &[RecordedEvent]) -> Result<Vec<(Uuid, CaseEvent)>, ProjectionError> {
    let mut relevant = Vec::new();
    for event in events {
        if !RELEVANT.contains(&event.event_type.as_str()) {
            continue;
        }
        if let Some(id) = case_id_of(&event.stream_id) {
            relevant.push((id, decode(event)?));
        }
    }
    Ok(relevant)
}

/// Decoded events as [`fold_batch`] takes them.
fn pairs(relevant: &[(Uuid, CaseEvent)]) -> impl Iterator<Item = (Uuid, &CaseEvent)> {
    relevant.iter().map(|(id, event)| (*id, event))
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
    let rows: Vec<(&Uuid, &Facts)> = ids.iter().filter_map(|id| facts.get(id).map(|f| (id, f))).collect();
    let insert = "INSERT INTO case_facts (case_id, unit, procedure_code, field_code, online, \
         received_at, due_at, finished_at, outcome, punctuality, paused_since, overdue_from, \
         overdue_at_once, received, digitized, reused) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], \
         $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], \
         $11::timestamptz[], $12::date[], $13::bool[], $14::bool[], $15::bool[], $16::bool[])";
    let statement = if upsert {
        transaction
            .prepare_cached(&format!(
                "{insert} ON CONFLICT (case_id) DO UPDATE SET due_at = EXCLUDED.due_at, \
                 finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, \
                 punctuality = EXCLUDED.punctuality, paused_since = EXCLUDED.paused_since, \
                 overdue_from = EXCLUDED.overdue_from, overdue_at_once = EXCLUDED.overdue_at_once, \
                 received = EXCLUDED.received, received_at = EXCLUDED.received_at, online = EXCLUDED.online, \
                 digitized = EXCLUDED.digitized, reused = EXCLUDED.reused"
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
                &rows.iter().map(|(_, f)| &*f.unit).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| &*f.procedure).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| &*f.field).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.online).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.received_at).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.due_at).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.finished_at).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.outcome).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.punctuality).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.paused_since).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.overdue_from).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.overdue_at_once).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.received).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.digitized).collect::<Vec<_>>(),
                &rows.iter().map(|(_, f)| f.reused).collect::<Vec<_>>(),
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
        let m = monthly.entry((month, unit.clone(), procedure.clone(), field.clone())).or_default();
        m.add(c);
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
    let mut columns: [Vec<i32>; COUNTERS.len()] = Default::default();
    for ((d, unit, procedure, field), c) in counts {
        days.push(d);
        units.push(unit);
        procedures.push(procedure);
        fields.push(field);
        for (column, value) in columns.iter_mut().zip(c.columns()) {
            column.push(value);
        }
    }
    let names = COUNTERS.join(", ");
    let arrays: Vec<String> = (5..5 + COUNTERS.len()).map(|n| format!("${n}::int4[]")).collect();
    let on_conflict = if upsert {
        let sums: Vec<String> = COUNTERS.iter().map(|c| format!("{c} = s.{c} + EXCLUDED.{c}")).collect();
        format!("ON CONFLICT ({period}, unit, procedure_code, field_code) DO UPDATE SET {}", sums.join(", "))
    } else {
        String::new()
    };
    let statement = transaction
        .prepare_cached(&format!(
            "INSERT INTO {table} AS s ({period}, unit, procedure_code, field_code, {names}) \
             SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], {}) {on_conflict}",
            arrays.join(", ")
        ))
        .await?;
    let (units, procedures, fields) = (as_strs(&units), as_strs(&procedures), as_strs(&fields));
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&days, &units, &procedures, &fields];
    params.extend(columns.iter().map(|c| c as &(dyn tokio_postgres::types::ToSql + Sync)));
    transaction.execute(&statement, &params).await?;
    Ok(())
}

/// Shared names as query parameters, without copying them.
fn as_strs(keys: &[Arc<str>]) -> Vec<&str> {
    keys.iter().map(|key| &**key).collect()
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
    /// Stopped (dừng xử lý) in the period.
    pub stopped: i64,
    /// Files counted as digitized in the period (QĐ 766; see
    /// [`onestop_domain::indicators`] for when a file counts).
    pub digitized: i64,
    /// Files reusing digitized data, counted in the period.
    pub reused: i64,
    /// Results issued as electronic documents in the period.
    pub electronic_results: i64,
    /// Fees and taxes paid in the period, and of them online.
    pub payments: i64,
    pub payments_online: i64,
    /// Applicants' ratings given in the period, and of them 4 or 5.
    pub ratings: i64,
    pub ratings_satisfied: i64,
    /// QĐ 766 processing-progress score, 0–20.
    pub progress_score: f64,
    /// QĐ 766 online service, 0–12.
    pub online_score: f64,
    /// QĐ 766 online payment, 0–10.
    pub payment_score: f64,
    /// QĐ 766 digitization, 0–22.
    pub digitization_score: f64,
    /// QĐ 766 satisfaction, 0–18.
    pub satisfaction_score: f64,
}

impl ReportRow {
    /// The counts, in column order (all but the key and the scores).
    fn counts(&self) -> [i64; 20] {
        [
            self.carried_over,
            self.received_online,
            self.received_offline,
            self.received_total,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.resolved_total,
            self.in_progress_within,
            self.in_progress_overdue,
            self.returned,
            self.withdrawn,
            self.stopped,
            self.digitized,
            self.reused,
            self.electronic_results,
            self.payments,
            self.payments_online,
            self.ratings,
            self.ratings_satisfied,
        ]
    }

    /// The counts, in the order of [`ReportRow::counts`], to add to.
    fn counts_mut(&mut self) -> [&mut i64; 20] {
        [
            &mut self.carried_over,
            &mut self.received_online,
            &mut self.received_offline,
            &mut self.received_total,
            &mut self.resolved_early,
            &mut self.resolved_on_time,
            &mut self.resolved_late,
            &mut self.resolved_total,
            &mut self.in_progress_within,
            &mut self.in_progress_overdue,
            &mut self.returned,
            &mut self.withdrawn,
            &mut self.stopped,
            &mut self.digitized,
            &mut self.reused,
            &mut self.electronic_results,
            &mut self.payments,
            &mut self.payments_online,
            &mut self.ratings,
            &mut self.ratings_satisfied,
        ]
    }

    /// What the QĐ 766 indicators are computed from.
    pub fn indicator_counts(&self) -> onestop_domain::indicators::IndicatorCounts {
        onestop_domain::indicators::IndicatorCounts {
            received_online: self.received_online,
            received_total: self.received_total,
            resolved_early: self.resolved_early,
            resolved_on_time: self.resolved_on_time,
            resolved_total: self.resolved_total,
            in_progress_overdue: self.in_progress_overdue,
            digitized: self.digitized,
            reused: self.reused,
            electronic_results: self.electronic_results,
            payments: self.payments,
            payments_online: self.payments_online,
            ratings: self.ratings,
            ratings_satisfied: self.ratings_satisfied,
        }
    }

    /// Fills in the totals and the QĐ 766 scores from the counts.
    pub fn complete(&mut self) {
        self.received_total = self.received_online + self.received_offline;
        self.resolved_total = self.resolved_early + self.resolved_on_time + self.resolved_late;
        let scores = self.indicator_counts().indicators();
        self.progress_score = scores.progress;
        self.online_score = scores.online;
        self.payment_score = scores.payment;
        self.digitization_score = scores.digitization;
        self.satisfaction_score = scores.satisfaction;
    }
}

/// The counters of QĐ 766 facts a report sums over its period, in the order
/// its query gives them (from column 12 on).
const FACTS_766: [&str; 7] =
    ["digitized", "reused", "electronic_results", "payments", "payments_online", "ratings", "ratings_satisfied"];

/// Biểu 06 for the days `from` to `to` (inclusive) over `units`, grouped, for a
/// period that has ended: what is in progress is judged at its end. Rows are
/// sorted by key; the last is the total.
pub async fn report(
    pool: &Pool,
    from: Date,
    to: Date,
    units: &[String],
    group_by: GroupBy,
) -> Result<Vec<ReportRow>, ProjectionError> {
    report_at(pool, from, to, units, group_by, Timestamp::MAX).await
}

/// Biểu 06 as [`report`], asked at `now`: for a period not ended by then (its
/// last day is `now`'s or later), what is in progress is judged at `now`, as
/// the case view judges it (a file due today is within its deadline until the
/// day ends), and nothing later than `now` is counted.
pub async fn report_at(
    pool: &Pool,
    from: Date,
    to: Date,
    units: &[String],
    group_by: GroupBy,
    now: Timestamp,
) -> Result<Vec<ReportRow>, ProjectionError> {
    let key = group_by.column();
    let client = pool.get().await?;
    let today = (now < Timestamp::MAX).then(|| day(now));
    // Open and overdue now, when the period has not ended: both counters up to
    // yesterday, and today's at-once changes (today's due dates are not late yet).
    let mut overdue_now: Option<HashMap<String, i64>> = None;
    if let Some(today) = today.filter(|today| to >= *today) {
        let rows = client
            .query(
                &format!(
                    "SELECT {key}, sum(n)::int8 FROM ( \
                       SELECT {key}, overdue_by_due_date + overdue_by_event AS n FROM stats_monthly \
                       WHERE month < $2 AND unit = ANY($1) \
                       UNION ALL \
                       SELECT {key}, overdue_by_due_date + overdue_by_event FROM stats_daily \
                       WHERE day >= $2 AND day < $3 AND unit = ANY($1) \
                       UNION ALL \
                       SELECT {key}, overdue_by_event FROM stats_daily \
                       WHERE day = $3 AND unit = ANY($1) \
                     ) o GROUP BY {key}"
                ),
                &[&units, &today.first_of_month(), &today],
            )
            .await?;
        overdue_now = Some(rows.iter().map(|r| (r.get(0), r.get::<_, Option<i64>>(1).unwrap_or(0))).collect());
    }
    let mut rows: HashMap<String, ReportRow> = HashMap::new();

    // Whole months come from the monthly counters, the days around them from
    // the daily ones.
    let first_full = if from.day() == 1 { from } else { from.last_of_month().tomorrow().unwrap_or(from) };
    let after_full = match to.tomorrow() {
        Ok(next) if next.day() == 1 => next,
        _ => to.first_of_month(),
    };
    let (first_full, after_full) = if first_full < after_full { (first_full, after_full) } else { (from, from) };
    // Before the period: whole months, then the days of the period's first
    // month that precede it. Everything up to the last day counts towards what
    // is open at the end.
    let before_months = from.first_of_month();
    let net_open = "received_online + received_offline - resolved_early - resolved_on_time \
                    - resolved_late - returned - withdrawn - stopped";
    let counters = COUNTERS.join(", ");
    // The QĐ 766 counts of the period, in the order of `FACTS_766`.
    let facts_766: Vec<String> = FACTS_766.iter().map(|c| format!("sum({c}) FILTER (WHERE during)::int8")).collect();
    let facts_766 = facts_766.join(", ");
    let sums = client
        .query(
            &format!(
                "SELECT {key}, \
                   sum(received_online) FILTER (WHERE during)::int8, \
                   sum(received_offline) FILTER (WHERE during)::int8, \
                   sum(resolved_early) FILTER (WHERE during)::int8, \
                   sum(resolved_on_time) FILTER (WHERE during)::int8, \
                   sum(resolved_late) FILTER (WHERE during)::int8, \
                   sum(returned) FILTER (WHERE during)::int8, \
                   sum(withdrawn) FILTER (WHERE during)::int8, \
                   sum({net_open}) FILTER (WHERE NOT during)::int8, \
                   sum({net_open})::int8, \
                   sum(overdue_by_due_date + overdue_by_event)::int8, \
                   sum(stopped) FILTER (WHERE during)::int8, \
                   {facts_766} \
                 FROM ( \
                   SELECT {key}, false AS during, {counters} FROM stats_monthly \
                   WHERE month < $6 AND unit = ANY($3) \
                   UNION ALL \
                   SELECT {key}, false, {counters} FROM stats_daily \
                   WHERE day >= $6 AND day < $1 AND unit = ANY($3) \
                   UNION ALL \
                   SELECT {key}, true, {counters} FROM stats_daily \
                   WHERE day BETWEEN $1 AND $2 AND unit = ANY($3) \
                     AND NOT (day >= $4 AND day < $5) \
                   UNION ALL \
                   SELECT {key}, true, {counters} FROM stats_monthly \
                   WHERE month >= $4 AND month < $5 AND unit = ANY($3) \
                 ) counted GROUP BY {key}"
            ),
            &[&from, &to, &units, &first_full, &after_full, &before_months],
        )
        .await?;
    for r in &sums {
        // A sum over no rows (a FILTER that matched none) is NULL: none.
        let sum = |i: usize| r.get::<_, Option<i64>>(i).unwrap_or(0);
        let open_at_end = sum(9);
        let overdue_at_end = match &overdue_now {
            Some(now) => now.get(r.get::<_, &str>(0)).copied().unwrap_or(0),
            None => sum(10),
        };
        let row = ReportRow {
            received_online: sum(1),
            received_offline: sum(2),
            resolved_early: sum(3),
            resolved_on_time: sum(4),
            resolved_late: sum(5),
            returned: sum(6),
            withdrawn: sum(7),
            carried_over: sum(8),
            in_progress_within: open_at_end - overdue_at_end,
            in_progress_overdue: overdue_at_end,
            stopped: sum(11),
            digitized: sum(12),
            reused: sum(13),
            electronic_results: sum(14),
            payments: sum(15),
            payments_online: sum(16),
            ratings: sum(17),
            ratings_satisfied: sum(18),
            ..ReportRow::default()
        };
        // A group with nothing in the period and nothing open is left out.
        if row == ReportRow::default() {
            continue;
        }
        rows.insert(r.get(0), row);
    }

    let mut result: Vec<ReportRow> = rows
        .into_iter()
        .map(|(key, mut row)| {
            row.key = key;
            row.complete();
            row
        })
        .collect();
    result.sort_by(|a, b| a.key.cmp(&b.key));
    let mut total = ReportRow { key: "TOTAL".into(), ..ReportRow::default() };
    for row in &result {
        for (sum, count) in total.counts_mut().into_iter().zip(row.counts()) {
            *sum += count;
        }
    }
    total.complete();
    result.push(total);
    Ok(result)
}
