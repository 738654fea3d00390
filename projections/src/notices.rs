//! The notices outbox (DESIGN §4.6): one row per notice, produced from the log
//! exactly once per (event, channel), then drained by the server's senders.
//!
//! Exactly once: a notice's id is derived from its event's id and its channel,
//! and rows are inserted `ON CONFLICT DO NOTHING` in the runner's transaction
//! with its checkpoint, so neither a restart nor a second server process can
//! produce one twice. Delivery is at least once with the same id as the
//! gateway's idempotency key: a sender killed after the gateway accepted a
//! notice but before the outbox recorded it sends it again under the same key.
//!
//! The outbox is not a rebuildable read model: its delivery states are not in
//! the log. `rebuild --all` leaves it alone, and applying old events again
//! would only hit the rows already there. Events older than the projection's
//! horizon (two days by default) make no notices, so a database that gains
//! this projection does not message every applicant it ever had.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_postgres::{Pool, Transaction};
use jiff::Timestamp;
use onestop_domain::case::CaseEvent;
use onestop_domain::notice::{
    NOTICE_EVENT_TYPES, NOTICES_CHOSEN, NoticeChannel, NoticeChoice, NoticeKind, Params, notice_of,
};
use onestop_domain::personal::APPLICANT_ERASED;
use onestop_store::RecordedEvent;
use uuid::Uuid;

use crate::runner::{Projection, ProjectionError};
use crate::status::case_id_of;

/// The projection's checkpoint name.
pub const NAME: &str = "notices";

/// Keeps `notices`, `notice_cases` and `notice_choices`.
#[derive(Debug, Clone)]
pub struct NoticesProjection {
    /// Events recorded longer ago than this make no notices.
    horizon: Duration,
}

impl Default for NoticesProjection {
    fn default() -> Self {
        Self { horizon: Duration::from_secs(2 * 24 * 3600) }
    }
}

impl NoticesProjection {
    pub fn with_horizon(horizon: Duration) -> Self {
        Self { horizon }
    }
}

/// The event types the outbox reads: the applicants' choices and erasures,
/// the cases' first events, and the events notices are made of.
static TYPES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    [NOTICES_CHOSEN, APPLICANT_ERASED, "CaseSubmittedOnline"]
        .into_iter()
        .chain(NOTICE_EVENT_TYPES.iter().copied())
        .collect()
});

/// A notice's id: the gateway's idempotency key.
pub fn notice_id(event_id: Uuid, channel: NoticeChannel) -> Uuid {
    Uuid::new_v5(&event_id, channel.as_str().as_bytes())
}

fn applicant_of(stream_id: &str) -> Option<Uuid> {
    stream_id.strip_prefix("applicant-").and_then(|id| id.parse().ok())
}

impl Projection for NoticesProjection {
    type Prepared = ();
    type Memory = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        // Nothing to empty: see the module's documentation.
        &[]
    }

    fn event_types(&self) -> Option<&'static [&'static str]> {
        Some(TYPES.as_slice())
    }

    fn prepare(&self, _: &[RecordedEvent]) -> Result<(), ProjectionError> {
        Ok(())
    }

    async fn apply(
        &self,
        tx: &Transaction<'_>,
        events: &[RecordedEvent],
        (): (),
        (): &mut (),
    ) -> Result<(), ProjectionError> {
        let horizon = Timestamp::now() - jiff::SignedDuration::try_from(self.horizon).unwrap_or_default();
        // In the log's order, an applicant's choice comes before their case's
        // first event, which comes before the case's notices: write choices and
        // cases first, then notices, then erasures (which drop the notices of
        // the same batch too).
        let (mut choices, mut cases, mut notices, mut erased) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for event in events {
            let unreadable = |reason: String| ProjectionError::Event { position: event.global_position, reason };
            match event.event_type.as_str() {
                NOTICES_CHOSEN => {
                    let Some(applicant) = applicant_of(&event.stream_id) else { continue };
                    let choice: NoticeChoice = event.payload.decode().map_err(|e| unreadable(e.to_string()))?;
                    let channels: Vec<String> = choice.active().iter().map(|c| c.as_str().to_owned()).collect();
                    choices.push((applicant, channels));
                }
                APPLICANT_ERASED => erased.extend(applicant_of(&event.stream_id)),
                _ => {
                    let Some(case_id) = case_id_of(&event.stream_id) else { continue };
                    let decoded = CaseEvent::decode(&event.event_type, event.schema_version, event.payload.as_str())
                        .map_err(|e| unreadable(e.to_string()))?;
                    match &decoded {
                        CaseEvent::CaseSubmittedOnline(s) => {
                            cases.push((
                                case_id,
                                s.applicant.0,
                                None,
                                s.unit.to_string(),
                                s.procedure.code.to_string(),
                            ));
                        }
                        CaseEvent::CaseReceived(r) => cases.push((
                            case_id,
                            r.applicant.0,
                            Some(r.code.to_string()),
                            r.unit.to_string(),
                            r.procedure.code.to_string(),
                        )),
                        _ => {}
                    }
                    if event.recorded_at < horizon {
                        continue;
                    }
                    if let Some((kind, params)) = notice_of(&decoded) {
                        notices.push((case_id, event, kind, params));
                    }
                }
            }
        }
        let choices: Vec<(Uuid, Vec<String>)> = choices.into_iter().collect::<HashMap<_, _>>().into_iter().collect();
        if !choices.is_empty() {
            let ids: Vec<Uuid> = choices.iter().map(|c| c.0).collect();
            // text[] columns cannot be unnested from a 2-d array of uneven rows:
            // send each applicant's channels as one comma-joined string.
            let channels: Vec<String> = choices.iter().map(|c| c.1.join(",")).collect();
            tx.execute(
                "INSERT INTO notice_choices (applicant_id, channels) \
                 SELECT id, string_to_array(nullif(chosen, ''), ',') FROM unnest($1::uuid[], $2::text[]) AS c(id, chosen) \
                 WHERE chosen <> '' ON CONFLICT (applicant_id) DO UPDATE SET channels = excluded.channels",
                &[&ids, &channels],
            )
            .await?;
        }
        // One row per case and applicant for the statements below (an online
        // submission and its acceptance may share a batch; the code comes
        // with the acceptance).
        let mut by_case: HashMap<Uuid, (Uuid, Uuid, Option<String>, String, String)> = HashMap::new();
        for case in cases {
            let code = case.2.clone().or_else(|| by_case.get(&case.0).and_then(|c| c.2.clone()));
            by_case.insert(case.0, (case.0, case.1, code, case.3, case.4));
        }
        let cases: Vec<_> = by_case.into_values().collect();
        if !cases.is_empty() {
            let ids: Vec<Uuid> = cases.iter().map(|c| c.0).collect();
            let applicants: Vec<Uuid> = cases.iter().map(|c| c.1).collect();
            let codes: Vec<Option<String>> = cases.iter().map(|c| c.2.clone()).collect();
            let units: Vec<String> = cases.iter().map(|c| c.3.clone()).collect();
            let procedures: Vec<String> = cases.iter().map(|c| c.4.clone()).collect();
            tx.execute(
                "INSERT INTO notice_cases (case_id, applicant_id, code, unit, procedure_code) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) \
                 ON CONFLICT (case_id) DO UPDATE SET code = coalesce(excluded.code, notice_cases.code)",
                &[&ids, &applicants, &codes, &units, &procedures],
            )
            .await?;
        }
        if !notices.is_empty() {
            let ids: Vec<Uuid> = notices.iter().map(|n| n.0).collect();
            let recipients: HashMap<Uuid, (Uuid, Vec<String>)> = tx
                .query(
                    "SELECT c.case_id, c.applicant_id, ch.channels FROM notice_cases c \
                     JOIN notice_choices ch USING (applicant_id) WHERE c.case_id = ANY($1)",
                    &[&ids],
                )
                .await?
                .iter()
                .map(|row| (row.get(0), (row.get(1), row.get(2))))
                .collect();
            let mut rows = NoticeRows::default();
            for (case_id, event, kind, params) in &notices {
                let Some((applicant, channels)) = recipients.get(case_id) else { continue };
                for channel in channels.iter().filter_map(|c| NoticeChannel::parse(c)) {
                    rows.push(notice_id(event.event_id, channel), *case_id, *applicant, *kind, channel, params, event);
                }
            }
            rows.insert(tx).await?;
        }
        if !erased.is_empty() {
            tx.execute("DELETE FROM notice_choices WHERE applicant_id = ANY($1)", &[&erased]).await?;
            tx.execute(
                "UPDATE notices SET state = 'dropped', params = '{}', leased_until = NULL, last_error = NULL \
                 WHERE applicant_id = ANY($1) AND state IN ('pending', 'failed')",
                &[&erased],
            )
            .await?;
        }
        Ok(())
    }
}

/// Notices to insert, column by column.
#[derive(Default)]
struct NoticeRows {
    ids: Vec<Uuid>,
    cases: Vec<Uuid>,
    applicants: Vec<Uuid>,
    kinds: Vec<&'static str>,
    channels: Vec<&'static str>,
    params: Vec<String>,
    positions: Vec<i64>,
    created: Vec<Timestamp>,
}

impl NoticeRows {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: Uuid,
        case_id: Uuid,
        applicant: Uuid,
        kind: NoticeKind,
        channel: NoticeChannel,
        params: &Params,
        event: &RecordedEvent,
    ) {
        self.ids.push(id);
        self.cases.push(case_id);
        self.applicants.push(applicant);
        self.kinds.push(kind.as_str());
        self.channels.push(channel.as_str());
        self.params.push(serde_json::to_string(params).unwrap_or_else(|_| "{}".to_owned()));
        self.positions.push(event.global_position);
        self.created.push(event.recorded_at);
    }

    async fn insert(self, tx: &Transaction<'_>) -> Result<(), ProjectionError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO notices (id, case_id, applicant_id, kind, channel, params, event_position, created_at, \
                                  next_attempt_at) \
             SELECT id, case_id, applicant_id, kind, channel, params::jsonb, position, created, created \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int8[], \
                         $8::timestamptz[]) AS n(id, case_id, applicant_id, kind, channel, params, position, created) \
             ON CONFLICT (id) DO NOTHING",
            &[
                &self.ids,
                &self.cases,
                &self.applicants,
                &self.kinds,
                &self.channels,
                &self.params,
                &self.positions,
                &self.created,
            ],
        )
        .await?;
        Ok(())
    }
}

// ---- The senders' side ------------------------------------------------------

/// Where a notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet tried, or being tried.
    Pending,
    /// The gateway accepted it.
    Sent,
    /// The last attempt failed; another is due at `next_attempt_at`.
    Failed,
    /// Too many attempts failed, or it became too old to send.
    GivenUp,
    /// The applicant's data was erased before it went out.
    Dropped,
}

impl DeliveryState {
    /// The state as the console shows it.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Pending => "chờ gửi",
            Self::Sent => "đã gửi",
            Self::Failed => "gửi lỗi, sẽ gửi lại",
            Self::GivenUp => "ngừng gửi",
            Self::Dropped => "hủy (dữ liệu cá nhân đã xóa)",
        }
    }

    pub const ALL: [Self; 5] = [Self::Pending, Self::Sent, Self::Failed, Self::GivenUp, Self::Dropped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::GivenUp => "given_up",
            Self::Dropped => "dropped",
        }
    }

    fn parse(text: &str) -> Self {
        Self::ALL.into_iter().find(|s| s.as_str() == text).unwrap_or(Self::Pending)
    }
}

/// A notice claimed for sending, with what the sender needs to address and
/// word it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The applicant to open the record of; `None` for an officer's reminder.
    pub applicant_id: Option<Uuid>,
    pub officer_id: Option<Uuid>,
    pub kind: NoticeKind,
    pub channel: NoticeChannel,
    pub params: Params,
    /// The attempt this is, from 1.
    pub attempt: i32,
    pub created_at: Timestamp,
    pub code: Option<String>,
    pub unit: Option<String>,
    pub procedure_code: Option<String>,
}

/// Claims up to `limit` due notices on `channels` for `lease`: another sender
/// (another process) skips them until the lease runs out, so a sender killed
/// mid-delivery leaves them to be sent again after it.
pub async fn claim(
    pool: &Pool,
    channels: &[NoticeChannel],
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, ProjectionError> {
    let client = pool.get().await?;
    let channels: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let rows = client
        .query(
            "WITH due AS ( \
                 SELECT id FROM notices \
                 WHERE state IN ('pending', 'failed') AND next_attempt_at <= now() \
                   AND (leased_until IS NULL OR leased_until < now()) AND channel = ANY($1) \
                 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED), \
             claimed AS ( \
                 UPDATE notices n SET leased_until = now() + make_interval(secs => $3::int8 / 1000.0), \
                        attempts = n.attempts + 1, last_attempt_at = now() \
                 FROM due WHERE n.id = due.id \
                 RETURNING n.id, n.case_id, n.applicant_id, n.officer_id, n.kind, n.channel, n.params, n.attempts, \
                           n.created_at) \
             SELECT c.id, c.case_id, c.applicant_id, c.officer_id, c.kind, c.channel, c.params::text, c.attempts, \
                    c.created_at, nc.code, nc.unit, nc.procedure_code \
             FROM claimed c LEFT JOIN notice_cases nc USING (case_id)",
            &[&channels, &limit, &lease_ms],
        )
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(kind), Some(channel)) =
            (NoticeKind::parse(row.get::<_, &str>(4)), NoticeChannel::parse(row.get::<_, &str>(5)))
        else {
            continue;
        };
        claimed.push(Claimed {
            id: row.get(0),
            case_id: row.get(1),
            applicant_id: row.get(2),
            officer_id: row.get(3),
            kind,
            channel,
            params: serde_json::from_str(row.get::<_, &str>(6)).unwrap_or_default(),
            attempt: row.get(7),
            created_at: row.get(8),
            code: row.get(9),
            unit: row.get(10),
            procedure_code: row.get(11),
        });
    }
    Ok(claimed)
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Failed; try again after the delay.
    Retry {
        error: String,
        after: Duration,
    },
    /// Failed for good (too many attempts, too old, no address).
    GiveUp {
        error: String,
    },
    /// The applicant's record is gone.
    Drop,
}

/// Records the outcomes of a round of attempts: those sent with one
/// statement, the others one by one (failures are the exception).
pub async fn record_all(pool: &Pool, outcomes: &[(Uuid, Outcome)]) -> Result<(), ProjectionError> {
    let sent: Vec<Uuid> = outcomes.iter().filter(|(_, o)| *o == Outcome::Sent).map(|(id, _)| *id).collect();
    if !sent.is_empty() {
        let client = pool.get().await?;
        client
            .execute(
                "UPDATE notices SET state = 'sent', sent_at = now(), leased_until = NULL, last_error = NULL \
                 WHERE id = ANY($1) AND state IN ('pending', 'failed')",
                &[&sent],
            )
            .await?;
    }
    for (id, outcome) in outcomes.iter().filter(|(_, o)| *o != Outcome::Sent) {
        record(pool, *id, outcome).await?;
    }
    Ok(())
}

/// Records an attempt's outcome and lets the lease go. A notice dropped by an
/// erasure meanwhile stays dropped.
pub async fn record(pool: &Pool, id: Uuid, outcome: &Outcome) -> Result<(), ProjectionError> {
    let client = pool.get().await?;
    let open = "id = $1 AND state IN ('pending', 'failed')";
    match outcome {
        Outcome::Sent => {
            let sql = format!(
                "UPDATE notices SET state = 'sent', sent_at = now(), leased_until = NULL, last_error = NULL WHERE {open}"
            );
            client.execute(&sql, &[&id]).await?;
        }
        Outcome::Retry { error, after } => {
            let after_ms = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
            let sql = format!(
                "UPDATE notices SET state = 'failed', last_error = $2, leased_until = NULL, \
                 next_attempt_at = now() + make_interval(secs => $3::int8 / 1000.0) WHERE {open}"
            );
            client.execute(&sql, &[&id, error, &after_ms]).await?;
        }
        Outcome::GiveUp { error } => {
            let sql =
                format!("UPDATE notices SET state = 'given_up', last_error = $2, leased_until = NULL WHERE {open}");
            client.execute(&sql, &[&id, error]).await?;
        }
        Outcome::Drop => {
            let sql = format!(
                "UPDATE notices SET state = 'dropped', params = '{{}}', leased_until = NULL, last_error = NULL \
                 WHERE {open}"
            );
            client.execute(&sql, &[&id]).await?;
        }
    }
    Ok(())
}

/// Gives up the open notices created before `older_than`: a notice about a
/// state the case left long ago would mislead more than it helps.
pub async fn give_up_stale(pool: &Pool, older_than: Timestamp) -> Result<u64, ProjectionError> {
    let client = pool.get().await?;
    Ok(client
        .execute(
            "UPDATE notices SET state = 'given_up', last_error = 'quá thời hạn gửi thông báo', leased_until = NULL \
             WHERE state IN ('pending', 'failed') AND created_at < $1 \
               AND (leased_until IS NULL OR leased_until < now())",
            &[&older_than],
        )
        .await?)
}

/// A notice as officers see it on the case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NoticeRow {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub channel: NoticeChannel,
    pub to_officer: bool,
    pub state: DeliveryState,
    pub attempts: i32,
    pub created_at: Timestamp,
    pub last_attempt_at: Option<Timestamp>,
    pub next_attempt_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// A case's notices, oldest first.
pub async fn of_case(pool: &Pool, case_id: Uuid) -> Result<Vec<NoticeRow>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, kind, channel, officer_id IS NOT NULL, state, attempts, created_at, last_attempt_at, \
                    next_attempt_at, sent_at, last_error \
             FROM notices WHERE case_id = $1 ORDER BY created_at, kind, channel",
            &[&case_id],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let state = DeliveryState::parse(row.get(4));
            let open = matches!(state, DeliveryState::Pending | DeliveryState::Failed);
            Some(NoticeRow {
                id: row.get(0),
                kind: NoticeKind::parse(row.get(1))?,
                channel: NoticeChannel::parse(row.get(2))?,
                to_officer: row.get(3),
                state,
                attempts: row.get(5),
                created_at: row.get(6),
                last_attempt_at: row.get(7),
                next_attempt_at: if open { row.get(8) } else { None },
                sent_at: row.get(9),
                last_error: row.get(10),
            })
        })
        .collect())
}

/// How many notices stand in each state, by channel, for `/metrics`.
pub async fn counts(pool: &Pool) -> Result<Vec<(NoticeChannel, DeliveryState, i64)>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client.query("SELECT channel, state, count(*) FROM notices GROUP BY 1, 2", &[]).await?;
    Ok(rows
        .iter()
        .filter_map(|row| Some((NoticeChannel::parse(row.get(0))?, DeliveryState::parse(row.get(1)), row.get(2))))
        .collect())
}

// ---- Officers' reminders ----------------------------------------------------

/// An open file some officer holds, due soon or overdue.
#[derive(Debug, Clone)]
pub struct HeldFile {
    pub case_id: Uuid,
    pub officer_id: Uuid,
    pub code: Option<String>,
    pub due_at: Timestamp,
    pub unit: String,
    pub procedure_code: String,
    pub overdue: bool,
}

/// Files held by an officer, received, running (not paused), not finished,
/// and due in `[due_from, due_until)` or before `now`.
pub async fn held_files(
    pool: &Pool,
    due_from: Timestamp,
    due_until: Timestamp,
    now: Timestamp,
) -> Result<Vec<HeldFile>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT case_id, assignee, code, due_at, current_unit, procedure_code, due_at < $3 FROM case_status \
             WHERE finished_at IS NULL AND received_at IS NOT NULL AND paused_since IS NULL \
               AND assignee IS NOT NULL AND (due_at < $3 OR (due_at >= $1 AND due_at < $2))",
            &[&due_from, &due_until, &now],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| HeldFile {
            case_id: row.get(0),
            officer_id: row.get(1),
            code: row.get(2),
            due_at: row.get(3),
            unit: row.get(4),
            procedure_code: row.get(5),
            overdue: row.get(6),
        })
        .collect())
}

/// A reminder to make.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub id: Uuid,
    pub case_id: Uuid,
    pub officer_id: Uuid,
    pub kind: NoticeKind,
    pub channel: NoticeChannel,
    pub params: Params,
}

/// A reminder's id: one per file, kind, day and channel, whichever process
/// makes it.
pub fn reminder_id(case_id: Uuid, kind: NoticeKind, day: jiff::civil::Date, channel: NoticeChannel) -> Uuid {
    Uuid::new_v5(&case_id, format!("{}/{day}/{}", kind.as_str(), channel.as_str()).as_bytes())
}

/// Adds the reminders not made yet; returns how many were new.
pub async fn add_reminders(pool: &Pool, reminders: &[Reminder]) -> Result<u64, ProjectionError> {
    if reminders.is_empty() {
        return Ok(0);
    }
    let client = pool.get().await?;
    let ids: Vec<Uuid> = reminders.iter().map(|r| r.id).collect();
    let cases: Vec<Uuid> = reminders.iter().map(|r| r.case_id).collect();
    let officers: Vec<Uuid> = reminders.iter().map(|r| r.officer_id).collect();
    let kinds: Vec<&str> = reminders.iter().map(|r| r.kind.as_str()).collect();
    let channels: Vec<&str> = reminders.iter().map(|r| r.channel.as_str()).collect();
    let params: Vec<String> =
        reminders.iter().map(|r| serde_json::to_string(&r.params).unwrap_or_else(|_| "{}".to_owned())).collect();
    Ok(client
        .execute(
            "INSERT INTO notices (id, case_id, officer_id, kind, channel, params, created_at, next_attempt_at) \
             SELECT id, case_id, officer_id, kind, channel, params::jsonb, now(), now() \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[]) \
                  AS r(id, case_id, officer_id, kind, channel, params) \
             ON CONFLICT (id) DO NOTHING",
            &[&ids, &cases, &officers, &kinds, &channels, &params],
        )
        .await?)
}
