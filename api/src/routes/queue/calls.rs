//! `GET /units/{code}/queue/calls`: the day's queue events as Server-Sent
//! Events, for the hall's display and the counters' screens.
//!
//! Each message's id is `<yyyymmdd>.<version>`, the day and the event's place
//! in the day's stream, so a client that reconnects with `Last-Event-ID` (a
//! browser's `EventSource` does it by itself; a page starting over may pass
//! `last_event_id` in the query instead) gets exactly what it missed, in
//! order, from whichever server it reaches. A client without one, or from an
//! earlier day, first gets a `state` message: the counters' tickets now.
//!
//! Live: a command of this process wakes the streams at once; one of another
//! process within 50 ms of its notification, or within a second when
//! notifications are lost (the streams also poll).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse, get};
use bytes::Bytes;
use jiff::Timestamp;
use onestop_domain::ids::UnitCode;
use onestop_domain::queue::{QueueEvent, QueueSetup, stream_name};
use onestop_store::StreamId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::queue_unit;
use crate::openapi::answers;
use crate::routes::{Answer, State};
use crate::state::AppState;

/// The longest a stream waits for a wake-up before looking anyway.
const POLL: Duration = Duration::from_secs(1);

/// A `ping` message (no id, not a `message` event) this often keeps proxies
/// from dropping an idle stream and tells a display its link still works.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Events read at once.
const BATCH: usize = 500;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallsQuery {
    /// Only the events of this counter (its calls, recalls, absences,
    /// transfers and finishes).
    #[param(minimum = 1, maximum = 999)]
    pub counter: Option<u16>,
    /// Where to resume, when the `Last-Event-ID` header cannot be set.
    #[param(max_length = 40)]
    pub last_event_id: Option<String>,
}

/// One message of the stream (its `data`, as JSON).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallMessage {
    /// `state`, `taken`, `called`, `recalled`, `absent`, `returned`,
    /// `transferred` or `finished`.
    pub kind: String,
    pub number: Option<String>,
    pub counter: Option<u16>,
    pub counter_name: Option<String>,
    /// The group of the number (for a transfer, the group it goes to).
    pub group: Option<String>,
    pub at: Option<Timestamp>,
    /// With `state`: each counter and its ticket now.
    pub counters: Option<Vec<CounterTicket>>,
}

/// A counter and the ticket called to it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CounterTicket {
    pub counter: u16,
    pub name: String,
    pub ticket: Option<String>,
}

/// The day's calls as they happen (`text/event-stream`; public: numbers and
/// counters only). Resumes after `Last-Event-ID`.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), CallsQuery, ("Last-Event-ID" = Option<String>, Header, description = "The id of the last message received: `<yyyymmdd>.<version>`")), responses((status = 200, description = "An endless stream of Server-Sent Events; each `data` is a `CallMessage` as JSON and each `id` is `<yyyymmdd>.<version>`", content_type = "text/event-stream", body = String), answers::NotFound))]
#[get("/units/{code}/queue/calls")]
pub async fn queue_calls(state: State, req: HttpRequest, code: Path<String>, query: Query<CallsQuery>) -> Answer {
    let (unit, _, setup) = queue_unit(&state, &code)?;
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.last_event_id.clone())
        .and_then(|id| parse_id(&id));
    let follow = Follow {
        state: state.get_ref().clone(),
        wakeups: state.queue.wakeups(),
        unit,
        setup,
        counter: query.counter,
        resume,
        day: String::new(),
        version: 0,
        pending: VecDeque::from([Bytes::from_static(b"retry: 2000\n\n")]),
        last_sent: Instant::now(),
    };
    let body = futures_util::stream::unfold(follow, |mut follow| async move {
        let next = follow.next().await;
        next.map(|bytes| (Ok::<_, actix_web::Error>(bytes), follow))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Neither compressed by this server nor buffered by a proxy: each
        // message must leave at once.
        .insert_header(("Content-Encoding", "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// `<yyyymmdd>.<version>`.
fn parse_id(id: &str) -> Option<(String, u64)> {
    let (day, version) = id.trim().split_once('.')?;
    let valid = day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(())?;
    Some((day.to_owned(), version.parse().ok()?))
}

/// A client's place in the day's stream.
struct Follow {
    state: AppState,
    wakeups: tokio::sync::watch::Receiver<u64>,
    unit: UnitCode,
    setup: QueueSetup,
    counter: Option<u16>,
    /// Where the client asked to resume, until the first read.
    resume: Option<(String, u64)>,
    day: String,
    version: u64,
    pending: VecDeque<Bytes>,
    last_sent: Instant,
}

impl Follow {
    /// The next bytes to send; `None` ends the stream (the database failed:
    /// the client reconnects and resumes).
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(bytes) = self.pending.pop_front() {
                self.last_sent = Instant::now();
                return Some(bytes);
            }
            self.wakeups.borrow_and_update();
            let stream = stream_name(&self.unit, self.state.queue.now());
            let day = stream.rsplit('-').next().unwrap_or_default().to_owned();
            if day != self.day {
                self.day = day;
                match self.resume.take() {
                    Some((resumed, version)) if resumed == self.day => self.version = version,
                    _ => {
                        if let Err(error) = self.snapshot().await {
                            tracing::warn!(%error, "the stream of queue calls could not read the day");
                            return None;
                        }
                        continue;
                    }
                }
            }
            let stream_id = StreamId::new(stream).ok()?;
            let events = match self.state.store.read_stream(&stream_id, self.version, BATCH).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(%error, "the stream of queue calls could not read the log");
                    return None;
                }
            };
            if !events.is_empty() {
                for event in events {
                    self.version = event.stream_version;
                    let Ok(decoded) = QueueEvent::decode(&event.event_type, event.payload.as_str()) else { continue };
                    if let Some(message) = self.message(&decoded) {
                        self.push(&message);
                    }
                }
                continue;
            }
            let idle = self.last_sent.elapsed();
            if idle >= KEEP_ALIVE {
                self.pending.push_back(Bytes::from_static(b"event: ping\ndata: {}\n\n"));
                continue;
            }
            let wait = POLL.min(KEEP_ALIVE.saturating_sub(idle));
            let _ = tokio::time::timeout(wait, self.wakeups.changed()).await;
        }
    }

    /// The counters' tickets now, as a `state` message.
    async fn snapshot(&mut self) -> Result<(), onestop_commands::CommandError> {
        let (queue, version) = self.state.queue.today(&self.unit).await?;
        self.version = version;
        let counters = self
            .setup
            .counters
            .iter()
            .filter(|c| self.counter.is_none_or(|n| n == c.number))
            .map(|c| CounterTicket {
                counter: c.number,
                name: c.name.clone(),
                ticket: queue.at_counter.get(&c.number).map(ToString::to_string),
            })
            .collect();
        let message = CallMessage {
            kind: "state".into(),
            number: None,
            counter: None,
            counter_name: None,
            group: None,
            at: Some(self.state.queue.now()),
            counters: Some(counters),
        };
        self.push(&message);
        Ok(())
    }

    fn push(&mut self, message: &CallMessage) {
        let data = serde_json::to_string(message).unwrap_or_default();
        self.pending.push_back(Bytes::from(format!("id: {}.{}\ndata: {data}\n\n", self.day, self.version)));
    }

    /// The message of an event, unless the client follows another counter.
    fn message(&self, event: &QueueEvent) -> Option<CallMessage> {
        let (kind, at, number, counter, group) = match event {
            QueueEvent::TicketTaken { at, number, .. } => ("taken", at, number, None, &number.group),
            QueueEvent::TicketCalled { at, number, counter, .. } => {
                ("called", at, number, Some(*counter), &number.group)
            }
            QueueEvent::TicketRecalled { at, number, counter } => {
                ("recalled", at, number, Some(*counter), &number.group)
            }
            QueueEvent::TicketMissed { at, number, counter } => ("absent", at, number, Some(*counter), &number.group),
            QueueEvent::TicketReturned { at, number } => ("returned", at, number, None, &number.group),
            QueueEvent::TicketTransferred { at, number, counter, to_group } => {
                ("transferred", at, number, Some(*counter), to_group)
            }
            QueueEvent::TicketFinished { at, number, counter, .. } => {
                ("finished", at, number, Some(*counter), &number.group)
            }
        };
        if let Some(wanted) = self.counter
            && counter != Some(wanted)
        {
            return None;
        }
        let counter_name =
            counter.and_then(|n| self.setup.counters.iter().find(|c| c.number == n)).map(|c| c.name.clone());
        Some(CallMessage {
            kind: kind.into(),
            number: Some(number.to_string()),
            counter,
            counter_name,
            group: Some(group.as_str().to_owned()),
            at: Some(*at),
            counters: None,
        })
    }
}
