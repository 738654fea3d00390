//! Queue tickets at a reception unit's hall (bốc số thứ tự), under
//! `/units/{code}/queue`: the unit's groups and counters, the kiosk's ticket
//! (no sign-in, limited per address), counters calling and closing tickets,
//! online bookings of half-day slots, the live stream of calls and the
//! waiting-time statistics. The hall's display page is [`display`].

use std::sync::Arc;

use actix_web::HttpRequest;
use jiff::Timestamp;
use onestop_commands::catalog::Catalog;
use onestop_domain::ids::UnitCode;
use onestop_domain::queue::{GroupCode, PriorityClass, QueueSetup, QueueState, Ticket, TicketNumber, TicketStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::Problem;
use crate::state::AppState;

pub mod bookings;
pub mod calls;
pub mod counters;
pub mod display;
pub mod setup;
pub mod stats;
pub mod tickets;

/// Who is served first, by law: the elderly, persons with disabilities,
/// pregnant women and people with small children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorityDto {
    /// Người cao tuổi.
    Elderly,
    /// Người khuyết tật.
    Disability,
    /// Phụ nữ mang thai.
    Pregnant,
    /// Người có con nhỏ.
    SmallChildren,
}

impl From<PriorityDto> for PriorityClass {
    fn from(p: PriorityDto) -> Self {
        match p {
            PriorityDto::Elderly => Self::Elderly,
            PriorityDto::Disability => Self::Disability,
            PriorityDto::Pregnant => Self::Pregnant,
            PriorityDto::SmallChildren => Self::SmallChildren,
        }
    }
}

impl From<PriorityClass> for PriorityDto {
    fn from(p: PriorityClass) -> Self {
        match p {
            PriorityClass::Elderly => Self::Elderly,
            PriorityClass::Disability => Self::Disability,
            PriorityClass::Pregnant => Self::Pregnant,
            PriorityClass::SmallChildren => Self::SmallChildren,
        }
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatusDto {
    /// Đang chờ.
    Waiting,
    /// Đang được phục vụ tại quầy.
    AtCounter,
    /// Vắng mặt khi được gọi.
    Absent,
    /// Đã xong.
    Finished,
}

/// One ticket of the day: what the kiosk prints and the citizen's phone shows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    /// E.g. `A-0001`.
    pub number: String,
    /// The group whose queue it is in now.
    pub group: String,
    pub group_name: String,
    pub priority: Option<PriorityDto>,
    /// Checked in from an online booking within its half-day.
    pub booked: bool,
    pub taken_at: Timestamp,
    pub status: TicketStatusDto,
    /// The counter it is called to, while there.
    pub counter: Option<u16>,
    /// Tickets of its group to be called before it, while it waits.
    pub ahead: Option<u32>,
}

impl TicketView {
    pub fn of(ticket: &Ticket, state: &QueueState, setup: &QueueSetup) -> Self {
        let (status, counter) = match ticket.status {
            TicketStatus::Waiting => (TicketStatusDto::Waiting, None),
            TicketStatus::AtCounter(n) => (TicketStatusDto::AtCounter, Some(n)),
            TicketStatus::Absent => (TicketStatusDto::Absent, None),
            TicketStatus::Finished => (TicketStatusDto::Finished, None),
        };
        let ahead = state.ahead_of(ticket).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        Self {
            number: ticket.number.to_string(),
            group: ticket.group.as_str().to_owned(),
            group_name: group_name(setup, &ticket.group),
            priority: ticket.priority.map(Into::into),
            booked: ticket.booked,
            taken_at: ticket.taken_at,
            status,
            counter,
            ahead,
        }
    }
}

fn group_name(setup: &QueueSetup, group: &GroupCode) -> String {
    setup.groups.iter().find(|g| &g.code == group).map(|g| g.name.clone()).unwrap_or_default()
}

/// The unit of a queue path and the catalog it was found in; 404 for a unit
/// that does not exist or has no queue.
pub(crate) fn queue_unit(state: &AppState, code: &str) -> Result<(UnitCode, Arc<Catalog>, QueueSetup), Problem> {
    let missing = || Problem::not_found(format!("unit {code} has no queue"));
    let unit: UnitCode = code.parse().map_err(|_| missing())?;
    let catalog = state.catalog.snapshot();
    let setup = catalog.queue_setup(&unit).cloned().ok_or_else(missing)?;
    Ok((unit, catalog, setup))
}

/// A group code of the request body.
pub(crate) fn group_field(field: &str, text: &str) -> Result<GroupCode, Problem> {
    GroupCode::new(text).ok_or_else(|| Problem::invalid_field(field.to_owned(), "one to three capital letters"))
}

/// A ticket number of the path; a malformed one names no ticket.
pub(crate) fn ticket_path(text: &str) -> Result<TicketNumber, Problem> {
    TicketNumber::parse(text).ok_or_else(|| Problem::not_found(format!("{text} is not a ticket number")))
}

/// Refuses a client address that took too many tickets or bookings lately.
pub(crate) fn kiosk_allowed(state: &AppState, req: &HttpRequest) -> Result<(), Problem> {
    // Forwarding headers count only from a trusted proxy: anyone else could
    // forge them to dodge the limit.
    let client = crate::edge::rate_key(crate::edge::client_address(req));
    state.kiosk_limiter.check_key(&client).map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        Problem::too_many_requests(wait, "too many tickets or bookings from this address")
    })
}

/// What is recorded with a command from the kiosk or a citizen's phone.
pub(crate) fn public_metadata(req: &HttpRequest, action: &str) -> Result<serde_json::Value, Problem> {
    Ok(crate::request::meta(req)?.to_public_metadata(action, uuid::Uuid::now_v7()))
}
