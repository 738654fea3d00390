//! Sends the notices of the outbox (`onestop_projections::notices`) through
//! the channels configured: SMS by an HTTP gateway, e-mail by SMTP, Zalo ZNS.
//! A channel not configured is off: its notices wait as `pending`, and are
//! given up once older than the notices' age limit.
//!
//! Each round claims due notices with a lease (several processes share the
//! outbox without sending one twice at a time), opens the applicant's sealed
//! record only to address and word the notice, sends it with the notice's id
//! as the idempotency key, and records the outcome. A failure is retried after
//! `retry_base × 2^(attempt−1)` (at most an hour), up to `max_attempts`; a
//! process killed mid-delivery leaves its notices leased, and once the lease
//! runs out they are sent again under the same key.
//!
//! Beside the outbox, [`turns`] tells citizens by SMS when their queue
//! ticket's turn nears.

pub mod channels;
pub mod reminders;
pub mod turns;

use std::time::Duration;

use onestop_domain::ids::{ApplicantId, CaseCode, ProcedureCode, UnitCode, UserId};
use onestop_domain::notice::{NoticeChannel, Params, SECRET_HASH};
use onestop_domain::personal::Applicant;
use onestop_projections::notices::{self, Claimed, DeliveryState, Outcome};

use crate::state::AppState;
use channels::{Channels, Message, Recipient, SendError};

/// How notices are sent.
#[derive(Debug, Clone)]
pub struct NoticeSettings {
    pub channels: channels::ChannelSettings,
    /// The first retry's delay; each further one doubles, up to an hour.
    pub retry_base: Duration,
    /// Attempts before a notice is given up.
    pub max_attempts: i32,
    /// Open notices older than this are given up: the case has moved on.
    pub max_age: Duration,
    /// Notices in flight at once.
    pub concurrency: usize,
    /// How long a claimed notice is kept from other senders.
    pub lease: Duration,
    /// How often the officers' reminders are looked for (only while e-mail is
    /// on: officers are reminded by e-mail).
    pub reminders_every: Duration,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            channels: channels::ChannelSettings::default(),
            retry_base: Duration::from_secs(5),
            max_attempts: 8,
            max_age: Duration::from_secs(2 * 24 * 3600),
            concurrency: 32,
            lease: Duration::from_secs(60),
            reminders_every: Duration::from_secs(600),
        }
    }
}

/// The delay before attempt `attempt + 1`, after `attempt` failed.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    base.saturating_mul(1 << doublings).min(Duration::from_secs(3600))
}

/// Runs until the task is dropped.
pub async fn run(state: AppState, channels: Channels, settings: NoticeSettings) {
    let enabled = channels.enabled();
    tracing::info!(channels = ?enabled.iter().map(|c| c.as_str()).collect::<Vec<_>>(), "notice sender started");
    let mut last_sweep = tokio::time::Instant::now() - Duration::from_secs(60);
    let mut last_reminders: Option<tokio::time::Instant> = None;
    let mut last_turns = tokio::time::Instant::now() - Duration::from_secs(1);
    loop {
        if enabled.contains(&NoticeChannel::Sms) && last_turns.elapsed() >= Duration::from_secs(1) {
            last_turns = tokio::time::Instant::now();
            match turns::tell(&state, &channels).await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "citizens told their turn nears"),
                Err(error) => tracing::warn!(%error, "cannot tell citizens their turn nears"),
            }
        }
        if enabled.contains(&NoticeChannel::Email)
            && last_reminders.is_none_or(|at| at.elapsed() >= settings.reminders_every)
        {
            last_reminders = Some(tokio::time::Instant::now());
            match reminders::remind(&state).await {
                Ok(0) => {}
                Ok(made) => tracing::info!(made, "officers' reminders made"),
                Err(error) => tracing::warn!(%error, "cannot make the officers' reminders"),
            }
        }
        if last_sweep.elapsed() >= Duration::from_secs(5) {
            last_sweep = tokio::time::Instant::now();
            sweep(&state, &settings).await;
            if let Err(error) = turns::forget_old(&state).await {
                tracing::warn!(%error, "cannot delete the queue's phone numbers of earlier days");
            }
        }
        if enabled.is_empty() {
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        let batch = settings.concurrency.saturating_mul(4) as i64;
        let claimed = match notices::claim(&state.pool, &enabled, batch, settings.lease).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "cannot claim notices; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if claimed.is_empty() {
            // An index probe of the open notices: cheap enough to ask often.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        // The round's applicants opened at once; a failure to read them
        // retries the round's notices.
        let wanted: Vec<ApplicantId> = claimed.iter().filter_map(|n| n.applicant_id.map(ApplicantId)).collect();
        let opened = state.cases.vault().open_many(&wanted).await.map_err(|e| e.to_string());
        use futures_util::StreamExt as _;
        let outcomes: Vec<(uuid::Uuid, Outcome)> = futures_util::stream::iter(claimed)
            .map(|notice| deliver(&state, &settings, &channels, &opened, notice))
            .buffer_unordered(settings.concurrency)
            .collect()
            .await;
        if let Err(error) = notices::record_all(&state.pool, &outcomes).await {
            // The leases run out and the notices are sent again under the same keys.
            tracing::warn!(%error, "cannot record the notices' outcomes");
        }
    }
}

/// The applicants of a round, opened: by id, or why they could not be read.
type Opened = Result<std::collections::HashMap<ApplicantId, Applicant>, String>;

/// Counts notices by state for `/metrics`, and gives up the stale ones (by
/// the system clock, as the log's `recorded_at` is).
async fn sweep(state: &AppState, settings: &NoticeSettings) {
    let horizon = jiff::SignedDuration::try_from(settings.max_age).unwrap_or(jiff::SignedDuration::MAX);
    if let Err(error) = notices::give_up_stale(&state.pool, jiff::Timestamp::now() - horizon).await {
        tracing::warn!(%error, "cannot give up stale notices");
    }
    match notices::counts(&state.pool).await {
        Ok(counts) => {
            for channel in NoticeChannel::ALL {
                for delivery in DeliveryState::ALL {
                    let n = counts.iter().find(|(c, s, _)| *c == channel && *s == delivery).map_or(0, |c| c.2);
                    ::metrics::gauge!("onestop_notices", "channel" => channel.as_str(), "state" => delivery.as_str())
                        .set(n as f64);
                }
            }
        }
        Err(error) => tracing::warn!(%error, "cannot count notices"),
    }
}

async fn deliver(
    state: &AppState,
    settings: &NoticeSettings,
    channels: &Channels,
    opened: &Opened,
    notice: Claimed,
) -> (uuid::Uuid, Outcome) {
    let outcome = match compose(state, opened, &notice) {
        Err(outcome) => outcome,
        Ok((recipient, message)) => match channels.send(notice.channel, notice.id, &recipient, &message).await {
            Ok(()) => Outcome::Sent,
            Err(SendError { reason, permanent }) if permanent || notice.attempt >= settings.max_attempts => {
                Outcome::GiveUp { error: reason }
            }
            Err(SendError { reason, .. }) => {
                Outcome::Retry { error: reason, after: backoff(settings.retry_base, notice.attempt) }
            }
        },
    };
    let label = match &outcome {
        Outcome::Sent => "sent",
        Outcome::Retry { error, after } => {
            tracing::warn!(notice = %notice.id, channel = notice.channel.as_str(), attempt = notice.attempt,
                retry_in_ms = after.as_millis() as u64, %error, "notice not delivered");
            "failed"
        }
        Outcome::GiveUp { error } => {
            tracing::warn!(notice = %notice.id, channel = notice.channel.as_str(), attempt = notice.attempt,
                %error, "notice given up");
            "given_up"
        }
        Outcome::Drop => "dropped",
    };
    ::metrics::counter!("onestop_notice_attempts_total", "channel" => notice.channel.as_str(), "outcome" => label)
        .increment(1);
    (notice.id, outcome)
}

/// Who a notice goes to and what it says; the outcome instead when it cannot
/// be sent at all.
fn compose(state: &AppState, opened: &Opened, notice: &Claimed) -> Result<(Recipient, Message), Outcome> {
    let catalog = state.catalog.snapshot();
    let mut params: Params = notice.params.clone();
    let secret_hash = params.remove(SECRET_HASH);
    if let Some(code) = &notice.code {
        params.entry("ma_ho_so".to_owned()).or_insert_with(|| code.clone());
    }
    if let Some(unit) = notice.unit.as_deref().and_then(|u| u.parse::<UnitCode>().ok()) {
        let name = catalog.unit(&unit).map_or_else(|| unit.to_string(), |u| u.name.clone());
        params.entry("don_vi".to_owned()).or_insert(name);
    }
    if let Some(code) = notice.procedure_code.as_deref().and_then(|p| p.parse::<ProcedureCode>().ok()) {
        let name = catalog.procedure(&code).map_or_else(|| code.to_string(), |p| p.name.clone());
        params.entry("thu_tuc".to_owned()).or_insert(name);
    }
    if let (Some(hash), Some(code)) = (&secret_hash, notice.code.as_deref().and_then(|c| c.parse::<CaseCode>().ok()))
        && let Some(secret) = state.cases.receipt_key().reprint(&code, Some(hash))
    {
        params.insert("duong_dan".to_owned(), crate::links::lookup_link(&state.public_url, &code.to_string(), &secret));
        params.insert("ma_tra_cuu".to_owned(), secret);
    }
    let recipient = if let Some(applicant) = notice.applicant_id {
        let opened = opened.as_ref().map_err(|error| Outcome::Retry {
            error: format!("the applicant's record cannot be read: {error}"),
            after: Duration::from_secs(5),
        })?;
        // Erased: nothing may be sent, nothing kept.
        let Some(applicant) = opened.get(&ApplicantId(applicant)).cloned() else { return Err(Outcome::Drop) };
        params.insert("ho_ten".to_owned(), applicant.full_name.clone());
        Recipient {
            name: applicant.full_name,
            phone: applicant.phone.as_deref().and_then(onestop_domain::search::phone_number),
            email: applicant.email,
        }
    } else {
        let officer = notice.officer_id.map(UserId);
        let Some(account) = officer.and_then(|id| catalog.account(&id)) else {
            return Err(Outcome::GiveUp { error: "the officer's account no longer exists".to_owned() });
        };
        params.insert("can_bo".to_owned(), account.user.full_name.clone());
        Recipient { name: account.user.full_name.clone(), phone: None, email: account.user.email.clone() }
    };
    let (template, _) = catalog.notice_templates.get(notice.kind, notice.channel);
    let (subject, body) = template.render(&params);
    Ok((recipient, Message { subject, body, zalo_template_id: template.zalo_template_id, params }))
}
