//! The queue tickets' read model (DESIGN §4.7): one row per ticket and one
//! per visit to a counter, folded from the day streams `queue-<unit>-<yyyymmdd>`,
//! and the waiting-time statistics counted from them.
//!
//! A visit runs from a call to the ticket's leaving the counter: finished,
//! marked absent or transferred. Its waiting time is from when the ticket was
//! queued (taken, returned after being absent, or transferred) to the call; its
//! service time, for a finished visit, from the call to the finish. A recall
//! is part of the same visit.

use std::collections::HashMap;

use deadpool_postgres::{Pool, Transaction};
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::queue::QueueEvent;
use onestop_store::RecordedEvent;
use uuid::Uuid;

use crate::runner::{Projection, ProjectionError};

/// The projection's checkpoint name.
pub const NAME: &str = "queue";

/// The tables it owns.
pub const TABLES: &[&str] = &["queue_tickets", "queue_visits"];

/// Keeps `queue_tickets` and `queue_visits`.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueProjection;

/// A ticket's key: its unit, day and number.
type Key = (String, Date, String);

#[derive(Debug, Clone)]
struct TicketRow {
    group_code: String,
    current_group: String,
    priority: Option<String>,
    booking: Option<String>,
    taken_at: Timestamp,
    queued_at: Timestamp,
    state: &'static str,
    visits: i16,
    cases: Vec<Uuid>,
}

#[derive(Debug, Clone)]
struct VisitRow {
    group_code: String,
    counter: i16,
    officer: Uuid,
    queued_at: Timestamp,
    called_at: Timestamp,
    ended_at: Option<Timestamp>,
    outcome: &'static str,
}

/// The unit and day of a queue's stream, `queue-<unit>-<yyyymmdd>`.
fn day_of(stream_id: &str) -> Option<(String, Date)> {
    let rest = stream_id.strip_prefix("queue-")?;
    let (unit, day) = rest.rsplit_once('-')?;
    let day = Date::strptime("%Y%m%d", day).ok()?;
    Some((unit.to_owned(), day))
}

fn state_name(text: &str) -> &'static str {
    match text {
        "called" => "called",
        "absent" => "absent",
        "finished" => "finished",
        _ => "waiting",
    }
}

fn outcome_name(text: &str) -> &'static str {
    match text {
        "finished" => "finished",
        "absent" => "absent",
        "transferred" => "transferred",
        _ => "open",
    }
}

impl Projection for QueueProjection {
    type Prepared = Vec<(Key, QueueEvent)>;
    type Memory = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    fn event_types(&self) -> Option<&'static [&'static str]> {
        Some(QueueEvent::TYPES)
    }

    fn prepare(&self, events: &[RecordedEvent]) -> Result<Self::Prepared, ProjectionError> {
        let mut decoded = Vec::with_capacity(events.len());
        for event in events {
            let Some((unit, day)) = day_of(&event.stream_id) else { continue };
            let queue_event = QueueEvent::decode(&event.event_type, event.payload.as_str())
                .map_err(|e| ProjectionError::Event { position: event.global_position, reason: e.to_string() })?;
            let number = queue_event.number().to_string();
            decoded.push(((unit, day, number), queue_event));
        }
        Ok(decoded)
    }

    async fn apply(
        &self,
        tx: &Transaction<'_>,
        _: &[RecordedEvent],
        prepared: Self::Prepared,
        (): &mut (),
    ) -> Result<(), ProjectionError> {
        if prepared.is_empty() {
            return Ok(());
        }
        let mut tickets: HashMap<Key, TicketRow> = HashMap::new();
        let mut visits: HashMap<(Key, i16), VisitRow> = HashMap::new();
        load(tx, &prepared, &mut tickets, &mut visits).await?;
        for (key, event) in prepared {
            fold(&mut tickets, &mut visits, key, &event);
        }
        store(tx, tickets, visits).await
    }
}

/// Reads the rows the batch's tickets already have: the ticket and its open
/// visit.
async fn load(
    tx: &Transaction<'_>,
    prepared: &[(Key, QueueEvent)],
    tickets: &mut HashMap<Key, TicketRow>,
    visits: &mut HashMap<(Key, i16), VisitRow>,
) -> Result<(), ProjectionError> {
    let mut keys: Vec<&Key> = prepared.iter().map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    let units: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let days: Vec<Date> = keys.iter().map(|k| k.1).collect();
    let numbers: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    let rows = tx
        .query(
            "SELECT t.unit, t.day, t.number, t.group_code, t.current_group, t.priority, t.booking, t.taken_at, \
                    t.queued_at, t.state, t.visits, t.cases, \
                    v.group_code, v.counter, v.officer, v.queued_at, v.called_at, v.ended_at, v.outcome \
             FROM unnest($1::text[], $2::date[], $3::text[]) AS k(unit, day, number) \
             JOIN queue_tickets t USING (unit, day, number) \
             LEFT JOIN queue_visits v ON v.unit = t.unit AND v.day = t.day AND v.number = t.number \
                                     AND v.visit = t.visits AND v.outcome = 'open'",
            &[&units, &days, &numbers],
        )
        .await?;
    for row in rows {
        let key: Key = (row.get(0), row.get(1), row.get(2));
        let state: String = row.get(9);
        let ticket = TicketRow {
            group_code: row.get(3),
            current_group: row.get(4),
            priority: row.get(5),
            booking: row.get(6),
            taken_at: row.get(7),
            queued_at: row.get(8),
            state: state_name(&state),
            visits: row.get(10),
            cases: row.get(11),
        };
        if let Some(group_code) = row.get::<_, Option<String>>(12) {
            let outcome: String = row.get(18);
            visits.insert(
                (key.clone(), ticket.visits),
                VisitRow {
                    group_code,
                    counter: row.get(13),
                    officer: row.get(14),
                    queued_at: row.get(15),
                    called_at: row.get(16),
                    ended_at: row.get(17),
                    outcome: outcome_name(&outcome),
                },
            );
        }
        tickets.insert(key, ticket);
    }
    Ok(())
}

/// Folds one event into the rows.
fn fold(
    tickets: &mut HashMap<Key, TicketRow>,
    visits: &mut HashMap<(Key, i16), VisitRow>,
    key: Key,
    event: &QueueEvent,
) {
    if let QueueEvent::TicketTaken { at, number, priority, booking } = event {
        let priority = priority.and_then(|p| serde_json::to_value(p).ok()).and_then(|v| v.as_str().map(str::to_owned));
        tickets.insert(
            key,
            TicketRow {
                group_code: number.group.as_str().to_owned(),
                current_group: number.group.as_str().to_owned(),
                priority,
                booking: booking.as_ref().map(|b| b.code.to_string()),
                taken_at: *at,
                queued_at: *at,
                state: "waiting",
                visits: 0,
                cases: Vec::new(),
            },
        );
        return;
    }
    let Some(ticket) = tickets.get_mut(&key) else { return };
    let open = |visits: &mut HashMap<(Key, i16), VisitRow>, ticket: &TicketRow, key: &Key, at: Timestamp, outcome| {
        if let Some(visit) = visits.get_mut(&(key.clone(), ticket.visits)) {
            visit.ended_at = Some(at);
            visit.outcome = outcome;
        }
    };
    match event {
        QueueEvent::TicketTaken { .. } | QueueEvent::TicketRecalled { .. } => {}
        QueueEvent::TicketCalled { at, counter, officer, .. } => {
            ticket.visits += 1;
            ticket.state = "called";
            visits.insert(
                (key, ticket.visits),
                VisitRow {
                    group_code: ticket.current_group.clone(),
                    counter: i16::try_from(*counter).unwrap_or(i16::MAX),
                    officer: officer.0,
                    queued_at: ticket.queued_at,
                    called_at: *at,
                    ended_at: None,
                    outcome: "open",
                },
            );
        }
        QueueEvent::TicketMissed { at, .. } => {
            ticket.state = "absent";
            open(visits, ticket, &key, *at, "absent");
        }
        QueueEvent::TicketReturned { at, .. } => {
            ticket.state = "waiting";
            ticket.queued_at = *at;
        }
        QueueEvent::TicketTransferred { at, to_group, .. } => {
            ticket.state = "waiting";
            ticket.queued_at = *at;
            ticket.current_group = to_group.as_str().to_owned();
            open(visits, ticket, &key, *at, "transferred");
        }
        QueueEvent::TicketFinished { at, cases, .. } => {
            ticket.state = "finished";
            ticket.cases.extend(cases.iter().map(|c| c.0));
            open(visits, ticket, &key, *at, "finished");
        }
    }
}

async fn store(
    tx: &Transaction<'_>,
    tickets: HashMap<Key, TicketRow>,
    visits: HashMap<(Key, i16), VisitRow>,
) -> Result<(), ProjectionError> {
    let (mut units, mut days, mut numbers) = (Vec::new(), Vec::new(), Vec::new());
    let (mut groups, mut current, mut priorities, mut bookings) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut taken, mut queued, mut states, mut counts, mut cases) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((unit, day, number), t) in tickets {
        units.push(unit);
        days.push(day);
        numbers.push(number);
        groups.push(t.group_code);
        current.push(t.current_group);
        priorities.push(t.priority);
        bookings.push(t.booking);
        taken.push(t.taken_at);
        queued.push(t.queued_at);
        states.push(t.state);
        counts.push(t.visits);
        // uuid[][] cannot carry rows of uneven length: one text per ticket.
        cases.push(t.cases.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","));
    }
    tx.execute(
        "INSERT INTO queue_tickets (unit, day, number, group_code, current_group, priority, booking, taken_at, \
                                    queued_at, state, visits, cases) \
         SELECT unit, day, number, grp, cur, priority, booking, taken, queued, state, visits, \
                coalesce(string_to_array(nullif(cases, ''), ',')::uuid[], '{}') \
         FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::timestamptz[], $9::timestamptz[], $10::text[], $11::int2[], $12::text[]) \
              AS t(unit, day, number, grp, cur, priority, booking, taken, queued, state, visits, cases) \
         ON CONFLICT (unit, day, number) DO UPDATE SET current_group = excluded.current_group, \
             queued_at = excluded.queued_at, state = excluded.state, visits = excluded.visits, cases = excluded.cases",
        &[
            &units,
            &days,
            &numbers,
            &groups,
            &current,
            &priorities,
            &bookings,
            &taken,
            &queued,
            &states,
            &counts,
            &cases,
        ],
    )
    .await?;
    if visits.is_empty() {
        return Ok(());
    }
    let (mut units, mut days, mut numbers, mut ordinals) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut groups, mut counters, mut officers) = (Vec::new(), Vec::new(), Vec::new());
    let (mut queued, mut called, mut ended, mut outcomes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (((unit, day, number), visit), v) in visits {
        units.push(unit);
        days.push(day);
        numbers.push(number);
        ordinals.push(visit);
        groups.push(v.group_code);
        counters.push(v.counter);
        officers.push(v.officer);
        queued.push(v.queued_at);
        called.push(v.called_at);
        ended.push(v.ended_at);
        outcomes.push(v.outcome);
    }
    tx.execute(
        "INSERT INTO queue_visits (unit, day, number, visit, group_code, counter, officer, queued_at, called_at, \
                                   ended_at, outcome) \
         SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::int2[], $5::text[], $6::int2[], $7::uuid[], \
                              $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[]) \
         ON CONFLICT (unit, day, number, visit) DO UPDATE SET ended_at = excluded.ended_at, outcome = excluded.outcome",
        &[&units, &days, &numbers, &ordinals, &groups, &counters, &officers, &queued, &called, &ended, &outcomes],
    )
    .await?;
    Ok(())
}

/// What a statistics row is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueDimension {
    /// The service group: tickets taken in it, visits called from its queue.
    Group,
    /// The counter: the tickets it called, its visits.
    Counter,
    /// The officer who called: the tickets they called, their visits.
    Officer,
    /// The Vietnamese hour of the day (`08` for 08:00–08:59): tickets taken in
    /// it, visits called in it.
    Hour,
    /// Everything at once: one row, keyed `TOTAL`.
    Total,
}

impl QueueDimension {
    fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Counter => "counter",
            Self::Officer => "officer",
            Self::Hour => "hour",
            Self::Total => "total",
        }
    }
}

/// One row of the queue statistics. Times in seconds; medians and 90th
/// percentiles are interpolated between the two nearest values
/// (`percentile_cont`), none when there is nothing to count.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStatsRow {
    /// The group's code, the counter's number, the officer's id or the hour.
    pub key: String,
    pub tickets: i64,
    /// Visits: calls that began one.
    pub called: i64,
    pub served: i64,
    pub absent: i64,
    pub transferred: i64,
    pub wait_median: Option<f64>,
    pub wait_p90: Option<f64>,
    pub service_median: Option<f64>,
    pub service_p90: Option<f64>,
}

/// The statistics of a unit's queue over the Vietnamese days `from`–`to`
/// (both included), one row per value of `by`, in its order (`Total`: always
/// one row, zeros when nothing happened).
pub async fn stats(
    pool: &Pool,
    unit: &str,
    from: Date,
    to: Date,
    by: QueueDimension,
) -> Result<Vec<QueueStatsRow>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "WITH v AS ( \
                 SELECT CASE $4 WHEN 'group' THEN group_code WHEN 'counter' THEN lpad(counter::text, 3, '0') \
                                WHEN 'officer' THEN officer::text WHEN 'total' THEN 'TOTAL' \
                                ELSE to_char(called_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'HH24') END AS key, \
                        day, number, outcome, \
                        extract(epoch FROM called_at - queued_at)::float8 AS wait, \
                        CASE WHEN outcome = 'finished' THEN extract(epoch FROM ended_at - called_at)::float8 END \
                            AS service \
                 FROM queue_visits WHERE unit = $1 AND day BETWEEN $2 AND $3), \
             visits AS ( \
                 SELECT key, count(DISTINCT (day, number)) AS tickets, count(*) AS called, \
                        count(*) FILTER (WHERE outcome = 'finished') AS served, \
                        count(*) FILTER (WHERE outcome = 'absent') AS absent, \
                        count(*) FILTER (WHERE outcome = 'transferred') AS transferred, \
                        percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS wait_median, \
                        percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS wait_p90, \
                        percentile_cont(0.5) WITHIN GROUP (ORDER BY service) AS service_median, \
                        percentile_cont(0.9) WITHIN GROUP (ORDER BY service) AS service_p90 \
                 FROM v GROUP BY key), \
             taken AS ( \
                 SELECT CASE $4 WHEN 'group' THEN group_code WHEN 'total' THEN 'TOTAL' \
                                ELSE to_char(taken_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'HH24') END AS key, \
                        count(*) AS tickets \
                 FROM queue_tickets WHERE unit = $1 AND day BETWEEN $2 AND $3 AND $4 IN ('group', 'hour', 'total') \
                 GROUP BY 1) \
             SELECT coalesce(taken.key, visits.key), \
                    CASE WHEN $4 IN ('group', 'hour', 'total') THEN coalesce(taken.tickets, 0) ELSE visits.tickets END, \
                    coalesce(visits.called, 0), coalesce(visits.served, 0), coalesce(visits.absent, 0), \
                    coalesce(visits.transferred, 0), visits.wait_median, visits.wait_p90, \
                    visits.service_median, visits.service_p90 \
             FROM taken FULL JOIN visits ON taken.key = visits.key \
             ORDER BY coalesce(taken.key, visits.key) COLLATE \"C\"",
            &[&unit, &from, &to, &by.as_str()],
        )
        .await?;
    if rows.is_empty() && by == QueueDimension::Total {
        return Ok(vec![QueueStatsRow {
            key: "TOTAL".into(),
            tickets: 0,
            called: 0,
            served: 0,
            absent: 0,
            transferred: 0,
            wait_median: None,
            wait_p90: None,
            service_median: None,
            service_p90: None,
        }]);
    }
    Ok(rows
        .iter()
        .map(|row| QueueStatsRow {
            key: row.get(0),
            tickets: row.get(1),
            called: row.get(2),
            served: row.get(3),
            absent: row.get(4),
            transferred: row.get(5),
            wait_median: row.get(6),
            wait_p90: row.get(7),
            service_median: row.get(8),
            service_p90: row.get(9),
        })
        .collect())
}

/// A phone number left at the kiosk for an SMS when the ticket's turn nears
/// (`queue_contacts`). Not in the log: the rows of past days are deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub unit: String,
    pub day: Date,
    pub number: String,
    pub phone: String,
    pub attempts: i32,
}

/// Keeps `phone` for a ticket of the day.
pub async fn remember_contact(
    pool: &Pool,
    unit: &str,
    day: Date,
    number: &str,
    phone: &str,
) -> Result<(), ProjectionError> {
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO queue_contacts (unit, day, number, phone) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (unit, day, number) DO NOTHING",
            &[&unit, &day, &number, &phone],
        )
        .await?;
    Ok(())
}

/// The day's contacts not yet told (or whose sender's lease ran out).
pub async fn open_contacts(pool: &Pool, day: Date) -> Result<Vec<Contact>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT unit, day, number, phone, attempts FROM queue_contacts \
             WHERE day = $1 AND (state = 'waiting' OR (state = 'sending' AND leased_until < now())) \
             ORDER BY unit, number LIMIT 2000",
            &[&day],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Contact { unit: r.get(0), day: r.get(1), number: r.get(2), phone: r.get(3), attempts: r.get(4) })
        .collect())
}

/// Takes a contact to send to for `lease`; false when another process has it.
pub async fn claim_contact(
    pool: &Pool,
    contact: &Contact,
    lease: std::time::Duration,
) -> Result<bool, ProjectionError> {
    let client = pool.get().await?;
    let claimed = client
        .execute(
            "UPDATE queue_contacts SET state = 'sending', leased_until = now() + make_interval(secs => $4) \
             WHERE unit = $1 AND day = $2 AND number = $3 \
               AND (state = 'waiting' OR (state = 'sending' AND leased_until < now()))",
            &[&contact.unit, &contact.day, &contact.number, &lease.as_secs_f64()],
        )
        .await?;
    Ok(claimed == 1)
}

/// How a contact ended: sent, no longer needed (the ticket was called or is
/// done), or to be tried again (`error`) until `give_up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactOutcome {
    Sent,
    Passed,
    Failed { error: String, give_up: bool },
}

/// Records a contact's outcome.
pub async fn record_contact(pool: &Pool, contact: &Contact, outcome: &ContactOutcome) -> Result<(), ProjectionError> {
    let client = pool.get().await?;
    let (state, error): (&str, Option<&str>) = match outcome {
        ContactOutcome::Sent => ("sent", None),
        ContactOutcome::Passed => ("passed", None),
        ContactOutcome::Failed { error, give_up } => (if *give_up { "given_up" } else { "waiting" }, Some(error)),
    };
    client
        .execute(
            "UPDATE queue_contacts SET state = $4, leased_until = NULL, last_error = $5, \
                 attempts = attempts + CASE WHEN $4 IN ('waiting', 'given_up') THEN 1 ELSE 0 END, \
                 sent_at = CASE WHEN $4 = 'sent' THEN now() END \
             WHERE unit = $1 AND day = $2 AND number = $3",
            &[&contact.unit, &contact.day, &contact.number, &state, &error],
        )
        .await?;
    Ok(())
}

/// Deletes the phone numbers of days before `today`.
pub async fn forget_contacts_before(pool: &Pool, today: Date) -> Result<u64, ProjectionError> {
    let client = pool.get().await?;
    Ok(client.execute("DELETE FROM queue_contacts WHERE day < $1", &[&today]).await?)
}
