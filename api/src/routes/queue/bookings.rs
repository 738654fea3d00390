//! Online booking of a half-day slot (đặt lịch hẹn): the slots of a day and
//! their places left, a booking (no sign-in, limited per address like the
//! kiosk) and its cancellation by the code the citizen holds.

use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::booking::{BookingCode, HalfDay};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{group_field, kiosk_allowed, public_metadata, queue_unit};
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};

/// Sáng or chiều.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HalfDayDto {
    Morning,
    Afternoon,
}

impl From<HalfDayDto> for HalfDay {
    fn from(h: HalfDayDto) -> Self {
        match h {
            HalfDayDto::Morning => Self::Morning,
            HalfDayDto::Afternoon => Self::Afternoon,
        }
    }
}

impl From<HalfDay> for HalfDayDto {
    fn from(h: HalfDay) -> Self {
        match h {
            HalfDay::Morning => Self::Morning,
            HalfDay::Afternoon => Self::Afternoon,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SlotsQuery {
    /// The day, e.g. `2026-03-03`.
    pub date: Date,
}

/// A group's half-day slot of a day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SlotView {
    pub group: String,
    pub group_name: String,
    pub half: HalfDayDto,
    pub capacity: u16,
    pub booked: u32,
    /// Places left, while it can still be booked.
    pub available: u32,
    /// When the half-day's office hours end.
    pub ends_at: Timestamp,
}

/// A day's slots at a unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SlotsView {
    pub unit: String,
    pub date: Date,
    /// Bookings are taken on working days only.
    pub working_day: bool,
    /// The slots of the groups that take bookings.
    pub slots: Vec<SlotView>,
}

/// The slots of a day and their places left (public).
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), SlotsQuery), responses((status = 200, description = "The day's slots", body = SlotsView), answers::NotFound))]
#[get("/units/{code}/queue/slots")]
pub async fn queue_slots(state: State, code: Path<String>, query: Query<SlotsQuery>) -> Answer {
    let (unit, catalog, setup) = queue_unit(&state, &code)?;
    let (day, _) = state.queue.bookings(&unit, query.date).await?;
    let working_day = catalog.calendar.is_working_day(query.date);
    let hours = catalog.units.office_hours(&unit);
    let now = state.queue.now();
    let mut slots = Vec::new();
    for group in &setup.groups {
        let Some(capacity) = group.booking_capacity else { continue };
        for half in [HalfDay::Morning, HalfDay::Afternoon] {
            let booked = u32::try_from(day.taken(&group.code, half)).unwrap_or(u32::MAX);
            let ends_at = half.ends(query.date, &hours);
            let open = working_day && ends_at > now;
            slots.push(SlotView {
                group: group.code.as_str().to_owned(),
                group_name: group.name.clone(),
                half: half.into(),
                capacity,
                booked,
                available: if open { u32::from(capacity).saturating_sub(booked) } else { 0 },
                ends_at,
            });
        }
    }
    Ok(HttpResponse::Ok().json(SlotsView { unit: unit.to_string(), date: query.date, working_day, slots }))
}

/// A slot to book.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookSlotDto {
    #[schema(pattern = "^[A-Z]{1,3}$")]
    pub group: String,
    pub date: Date,
    pub half: HalfDayDto,
}

/// A booking: the code to bring to the kiosk on the day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookingView {
    pub code: String,
    pub group: String,
    pub date: Date,
    pub half: HalfDayDto,
    /// Check in before this to be served ahead of walk-ins.
    pub ends_at: Timestamp,
}

/// Books a half-day slot for a group (public, limited per address). Refused
/// when the slot is full, already over, on a day off, more than 60 days
/// ahead, or for a group that takes no bookings.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code")), request_body = BookSlotDto, responses((status = 201, description = "The booking", body = BookingView), answers::NotFound, answers::RuleViolation, answers::OutOfBounds, (status = 429, description = "Too many bookings from this address", body = Problem, content_type = "application/problem+json")))]
#[post("/units/{code}/queue/bookings")]
pub async fn book_slot(state: State, req: HttpRequest, code: Path<String>, body: Json<BookSlotDto>) -> Answer {
    let (unit, catalog, _) = queue_unit(&state, &code)?;
    let group = group_field("group", &body.group)?;
    kiosk_allowed(&state, &req)?;
    let booking =
        state.queue.book(&unit, group, body.date, body.half.into(), public_metadata(&req, "book_slot")?).await?;
    let hours = catalog.units.office_hours(&unit);
    Ok(HttpResponse::Created().json(BookingView {
        code: booking.code.to_string(),
        group: booking.group.as_str().to_owned(),
        date: booking.day,
        half: booking.half.into(),
        ends_at: booking.half.ends(booking.day, &hours),
    }))
}

/// The day of the booking to cancel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBookingDto {
    pub date: Date,
}

/// Cancels a booking: whoever holds its code may (public, limited per address).
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("booking" = String, Path, description = "The booking's code")), request_body = CancelBookingDto, responses((status = 204, description = "Cancelled; the place is free again"), answers::NotFound, answers::RuleViolation, (status = 429, description = "Too many bookings from this address", body = Problem, content_type = "application/problem+json")))]
#[post("/units/{code}/queue/bookings/{booking}/cancel")]
pub async fn cancel_booking(
    state: State,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Json<CancelBookingDto>,
) -> Answer {
    let (code, booking) = path.into_inner();
    let (unit, _, _) = queue_unit(&state, &code)?;
    kiosk_allowed(&state, &req)?;
    let missing = || Problem::not_found(format!("there is no booking {booking} on {}", body.date));
    let code = BookingCode::parse(&booking).ok_or_else(missing)?;
    let (day, _) = state.queue.bookings(&unit, body.date).await?;
    if !day.bookings.contains_key(&code) {
        return Err(missing());
    }
    state.queue.cancel_booking(&unit, body.date, &code, public_metadata(&req, "cancel_booking")?).await?;
    Ok(HttpResponse::NoContent().finish())
}
