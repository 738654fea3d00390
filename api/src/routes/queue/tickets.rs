//! The day's tickets: taken at the kiosk without signing in, looked at by the
//! hall and the citizen's phone, returned after an absence at the desk.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use jiff::civil::Date;
use onestop_domain::access;
use onestop_domain::booking::BookingCode;
use onestop_domain::queue::{QueueCommand, QueueEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{PriorityDto, TicketView, group_field, kiosk_allowed, public_metadata, queue_unit, ticket_path};
use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::{Answer, State};
use crate::state::AppState;

/// A ticket asked for at the kiosk: a group, or the code of a booking for
/// today (whose group it takes).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeTicketDto {
    /// The service group; leave out when checking a booking in.
    #[schema(pattern = "^[A-Z]{1,3}$")]
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub priority: Option<PriorityDto>,
    /// The code of an online booking for today, as the citizen types it.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    #[serde(default)]
    pub booking_code: Option<String>,
    /// A phone number for an SMS when the turn nears (kept for the day only,
    /// never in the log; sent only when SMS is configured).
    #[validate(length(min = 9, max = 20))]
    #[schema(min_length = 9, max_length = 20, pattern = "^\\+?[0-9 .-]{9,20}$")]
    #[serde(default)]
    pub phone: Option<String>,
}

/// Takes a ticket (bốc số): no sign-in, limited per address. Numbers run per
/// group and day without gaps (`A-0001`…), restarting each day in Vietnam's
/// time. Law's priority classes are called first.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code")), request_body = TakeTicketDto, responses((status = 201, description = "The ticket", body = TicketView), answers::NotFound, answers::RuleViolation, answers::OutOfBounds, (status = 429, description = "Too many tickets from this address", body = Problem, content_type = "application/problem+json")))]
#[post("/units/{code}/queue/tickets")]
pub async fn take_ticket(state: State, req: HttpRequest, code: Path<String>, body: Json<TakeTicketDto>) -> Answer {
    let (view, location) = take(&state, &req, &code, &body).await?;
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(view))
}

/// Takes a ticket for the kiosk (the API's and the console kiosk's): the
/// ticket, and its address.
pub(crate) async fn take(
    state: &AppState,
    req: &HttpRequest,
    code: &str,
    body: &TakeTicketDto,
) -> Result<(TicketView, String), Problem> {
    body.validate().map_err(from_validation)?;
    let (unit, _, setup) = queue_unit(state, code)?;
    kiosk_allowed(state, req)?;
    let priority = body.priority.map(Into::into);
    let phone = match &body.phone {
        None => None,
        Some(text) => Some(
            onestop_domain::search::phone_number(text)
                .ok_or_else(|| Problem::invalid_field("phone", "not a Vietnamese phone number"))?,
        ),
    };
    let outcome = match (&body.group, &body.booking_code) {
        (Some(group), None) => {
            let group = group_field("group", group)?;
            let metadata = public_metadata(req, "take_ticket")?;
            state.queue.act(&unit, QueueCommand::Take { group, priority }, metadata).await?
        }
        (None, Some(text)) => {
            // A code that cannot be one is no booking of today either.
            let Some(code) = BookingCode::parse(text) else { return Err(unknown_booking(text)) };
            state.queue.check_in(&unit, &code, priority, public_metadata(req, "check_in_booking")?).await?
        }
        _ => return Err(Problem::invalid_field("group", "give either a group or a booking code")),
    };
    state.note_written(outcome.checkpoint);
    let number = match outcome.events.first() {
        Some(QueueEvent::TicketTaken { number, .. }) => number.clone(),
        _ => return Err(Problem::internal()),
    };
    let ticket = outcome.state.tickets.get(&number).ok_or_else(Problem::internal)?;
    if let Some(phone) = phone {
        let day = onestop_domain::calendar::local(ticket.taken_at).date();
        let number = number.to_string();
        onestop_projections::queue::remember_contact(&state.pool, unit.as_str(), day, &number, &phone).await?;
    }
    let view = TicketView::of(ticket, &outcome.state, &setup);
    Ok((view, format!("/api/v1/units/{unit}/queue/tickets/{number}")))
}

fn unknown_booking(text: &str) -> Problem {
    Problem::from(onestop_commands::CommandError::Queue(onestop_domain::queue::QueueError::UnknownBooking(
        text.trim().to_owned(),
    )))
}

/// A group's queue now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupQueueView {
    pub code: String,
    pub name: String,
    /// Tickets waiting.
    pub waiting: u32,
    /// The next ones to be called, at most ten, in order.
    pub next: Vec<String>,
    /// Tickets taken today.
    pub taken: u32,
}

/// A counter now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CounterQueueView {
    pub number: u16,
    pub name: String,
    pub groups: Vec<String>,
    /// The ticket called to it, if any.
    pub ticket: Option<String>,
}

/// A unit's queue today: no names, nothing but numbers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueView {
    pub unit: String,
    pub unit_name: String,
    /// The Vietnamese day.
    pub day: Date,
    /// The day's stream version: the `Last-Event-ID` to follow the calls from.
    pub version: u64,
    pub groups: Vec<GroupQueueView>,
    pub counters: Vec<CounterQueueView>,
}

/// The day's queue of a unit now (public: the hall shows it).
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code")), responses((status = 200, description = "The queue today", body = QueueView), answers::NotFound))]
#[get("/units/{code}/queue")]
pub async fn queue_today(state: State, code: Path<String>) -> Answer {
    let (unit, catalog, setup) = queue_unit(&state, &code)?;
    let (queue, version) = state.queue.today(&unit).await?;
    let groups = setup
        .groups
        .iter()
        .map(|g| {
            let waiting: Vec<String> =
                queue.waiting(std::slice::from_ref(&g.code)).map(|t| t.number.to_string()).collect();
            GroupQueueView {
                code: g.code.as_str().to_owned(),
                name: g.name.clone(),
                waiting: u32::try_from(waiting.len()).unwrap_or(u32::MAX),
                next: waiting.into_iter().take(10).collect(),
                taken: queue.last_seq.get(&g.code).copied().unwrap_or(0),
            }
        })
        .collect();
    let counters = setup
        .counters
        .iter()
        .map(|c| CounterQueueView {
            number: c.number,
            name: c.name.clone(),
            groups: c.groups.iter().map(|g| g.as_str().to_owned()).collect(),
            ticket: queue.at_counter.get(&c.number).map(ToString::to_string),
        })
        .collect();
    Ok(HttpResponse::Ok().json(QueueView {
        unit: unit.to_string(),
        unit_name: catalog.unit(&unit).map(|u| u.name.clone()).unwrap_or_default(),
        day: onestop_domain::calendar::local(state.queue.now()).date(),
        version,
        groups,
        counters,
    }))
}

/// One ticket of today: where it stands and how many are ahead of it
/// (public: the number is all it tells).
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("number" = String, Path, description = "The ticket's number, e.g. `A-0001`")), responses((status = 200, description = "The ticket", body = TicketView), answers::NotFound))]
#[get("/units/{code}/queue/tickets/{number}")]
pub async fn get_ticket(state: State, path: Path<(String, String)>) -> Answer {
    let (code, number) = path.into_inner();
    let (unit, _, setup) = queue_unit(&state, &code)?;
    let number = ticket_path(&number)?;
    let (queue, _) = state.queue.today(&unit).await?;
    let ticket =
        queue.tickets.get(&number).ok_or_else(|| Problem::not_found(format!("ticket {number} was not taken today")))?;
    Ok(HttpResponse::Ok().json(TicketView::of(ticket, &queue, &setup)))
}

/// An absent ticket is back (at the desk): queued again from now, behind
/// those waiting, keeping its priority.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("number" = String, Path, description = "The ticket's number, e.g. `A-0001`")), responses((status = 200, description = "The ticket, waiting again", body = TicketView), answers::Forbidden, answers::NotFound, answers::RuleViolation), security(("bearer" = [])))]
#[post("/units/{code}/queue/tickets/{number}/return")]
pub async fn return_ticket(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Answer {
    let (code, number) = path.into_inner();
    let (unit, catalog, setup) = queue_unit(&state, &code)?;
    access::works_counter(&auth.0, &unit, &catalog.units)?;
    let number = ticket_path(&number)?;
    let request = meta(&req)?;
    let metadata = request.to_metadata(&auth.0, "return_ticket", request.command_id(&auth.0, "return_ticket"));
    let outcome = state.queue.act(&unit, QueueCommand::Return { number: number.clone() }, metadata).await?;
    state.note_written(outcome.checkpoint);
    let ticket = outcome.state.tickets.get(&number).ok_or_else(Problem::internal)?;
    Ok(HttpResponse::Ok().json(TicketView::of(ticket, &outcome.state, &setup)))
}
