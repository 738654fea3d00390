//! Online booking of a time slot at a reception unit (đặt lịch hẹn): a
//! citizen books a half-day for a service group, gets a booking code, and
//! checks it in at the hall's kiosk for a ticket.
//!
//! One stream per unit and slot day, `booking-<unit>-<yyyymmdd>`: a slot's
//! capacity holds because every booking of that day is decided on the same
//! stream version, so two citizens taking the last place cannot both get it.
//! A group's capacity per half-day is part of the unit's queue setup; a group
//! without one takes no bookings.
//!
//! What a booking buys: a booked citizen who checks in before their half-day
//! ends is served after the law's priority classes but before walk-ins; one who
//! comes later gets an ordinary ticket. The code checks in once, on its day.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use crate::calendar::{OfficeHours, instant};
use crate::ids::GroupCode;

/// Sáng or chiều.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HalfDay {
    Morning,
    Afternoon,
}

impl HalfDay {
    /// When the half-day's office hours end: the first session's end for the
    /// morning, the day's last for the afternoon (office hours with one
    /// session end both halves together).
    pub fn ends(self, day: Date, hours: &OfficeHours) -> Timestamp {
        let sessions = hours.sessions();
        let noon = Time::constant(12, 0, 0, 0);
        let end = match self {
            Self::Morning => sessions.iter().filter(|s| s.start < noon).map(|s| s.end).next_back(),
            Self::Afternoon => sessions.last().map(|s| s.end),
        };
        instant(day.to_datetime(end.unwrap_or(noon)))
    }

    /// The half-day an instant of `day` falls in.
    pub fn at(time: Time) -> Self {
        if time < Time::constant(12, 0, 0, 0) { Self::Morning } else { Self::Afternoon }
    }
}

/// The code a citizen brings to the kiosk: eight characters of an alphabet
/// without look-alikes (no 0/O, 1/I/L).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BookingCode(String);

/// The characters a booking code is made of.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The length of a booking code.
pub const CODE_LENGTH: usize = 8;

impl BookingCode {
    /// Parses a code as typed (case and surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let code = text.trim().to_ascii_uppercase();
        let valid = code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    /// A code from random bytes (one per character).
    pub fn from_random(bytes: [u8; CODE_LENGTH]) -> Self {
        let alphabet = CODE_ALPHABET.len();
        Self(bytes.iter().map(|b| char::from(CODE_ALPHABET[usize::from(*b) % alphabet])).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BookingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How far ahead a slot can be booked, in days.
pub const HORIZON_DAYS: i32 = 60;

/// A booking of a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub code: BookingCode,
    pub group: GroupCode,
    pub day: Date,
    pub half: HalfDay,
}

/// What happens to a day's bookings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingEvent {
    SlotBooked {
        at: Timestamp,
        code: BookingCode,
        group: GroupCode,
        day: Date,
        half: HalfDay,
    },
    /// The citizen will not come.
    BookingCancelled {
        at: Timestamp,
        code: BookingCode,
    },
}

crate::registry::stored_names!(BookingEvent { SlotBooked, BookingCancelled });

/// What citizens ask of a day's slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingCommand {
    /// `code` is drawn by the caller at random; a code already given that day
    /// is refused and drawn again.
    Book {
        group: GroupCode,
        half: HalfDay,
        code: BookingCode,
    },
    Cancel {
        code: BookingCode,
    },
}

/// What a day's booking decisions need: the unit's bookable groups, the
/// calendar's word on the day, its office hours.
#[derive(Debug, Clone)]
pub struct BookingContext {
    pub now: Timestamp,
    pub day: Date,
    /// Each group's places per half-day; groups absent here take no bookings.
    pub capacity: BTreeMap<GroupCode, u16>,
    /// Groups of the unit (to tell an unknown group from one not bookable).
    pub groups: Vec<GroupCode>,
    pub working_day: bool,
    pub hours: OfficeHours,
}

/// A rule of booking that refuses a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("group {0} is not a service group of this unit")]
    UnknownGroup(String),
    #[error("group {0} takes no bookings")]
    NotBookable(String),
    #[error("{day} is not a working day")]
    NotAWorkingDay { day: Date },
    #[error("the {half:?} slot of {day} has already ended")]
    SlotInThePast { day: Date, half: HalfDay },
    #[error("the {half:?} slot of {day} for group {group} is full ({capacity} places)")]
    SlotFull { day: Date, half: HalfDay, group: String, capacity: u16 },
    #[error("slots can be booked at most {HORIZON_DAYS} days ahead, not for {day}")]
    TooFarAhead { day: Date },
    #[error("booking code {0} is already given")]
    CodeTaken(String),
    #[error("there is no booking {0} for this unit on this day")]
    UnknownBooking(String),
}

impl BookingError {
    /// The rule's stable name, for problem details.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::UnknownGroup(_) => "unknown_group",
            Self::NotBookable(_) => "group_not_bookable",
            Self::NotAWorkingDay { .. } => "not_a_working_day",
            Self::SlotInThePast { .. } => "slot_in_the_past",
            Self::SlotFull { .. } => "slot_full",
            Self::TooFarAhead { .. } => "too_far_ahead",
            Self::CodeTaken(_) => "booking_code_taken",
            Self::UnknownBooking(_) => "unknown_booking",
        }
    }
}

/// A day's bookings, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingDay {
    /// Bookings in force (cancelled ones are gone).
    pub bookings: BTreeMap<BookingCode, Booking>,
    /// Every code given that day, cancelled or not: a code is never given twice.
    given: std::collections::BTreeSet<BookingCode>,
}

impl BookingDay {
    /// Places taken in a group's half-day.
    pub fn taken(&self, group: &GroupCode, half: HalfDay) -> usize {
        self.bookings.values().filter(|b| &b.group == group && b.half == half).count()
    }
}

/// Folds one event in.
pub fn evolve(mut day: BookingDay, event: &BookingEvent) -> BookingDay {
    match event {
        BookingEvent::SlotBooked { code, group, day: date, half, .. } => {
            day.given.insert(code.clone());
            day.bookings
                .insert(code.clone(), Booking { code: code.clone(), group: group.clone(), day: *date, half: *half });
        }
        BookingEvent::BookingCancelled { code, .. } => {
            day.bookings.remove(code);
        }
    }
    day
}

/// The day after `events`.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a BookingEvent>) -> BookingDay {
    events.into_iter().fold(BookingDay::default(), evolve)
}

/// Decides a command on a day's bookings.
pub fn decide(
    day: &BookingDay,
    command: BookingCommand,
    ctx: &BookingContext,
) -> Result<Vec<BookingEvent>, BookingError> {
    let at = ctx.now;
    match command {
        BookingCommand::Book { group, half, code } => {
            if !ctx.groups.contains(&group) {
                return Err(BookingError::UnknownGroup(group.as_str().to_owned()));
            }
            let capacity =
                *ctx.capacity.get(&group).ok_or_else(|| BookingError::NotBookable(group.as_str().to_owned()))?;
            if !ctx.working_day {
                return Err(BookingError::NotAWorkingDay { day: ctx.day });
            }
            if half.ends(ctx.day, &ctx.hours) <= ctx.now {
                return Err(BookingError::SlotInThePast { day: ctx.day, half });
            }
            let today = crate::calendar::local(ctx.now).date();
            if today.saturating_add(jiff::Span::new().days(HORIZON_DAYS)) < ctx.day {
                return Err(BookingError::TooFarAhead { day: ctx.day });
            }
            if day.taken(&group, half) >= usize::from(capacity) {
                return Err(BookingError::SlotFull { day: ctx.day, half, group: group.as_str().to_owned(), capacity });
            }
            if day.given.contains(&code) {
                return Err(BookingError::CodeTaken(code.to_string()));
            }
            Ok(vec![BookingEvent::SlotBooked { at, code, group, day: ctx.day, half }])
        }
        BookingCommand::Cancel { code } => {
            if !day.bookings.contains_key(&code) {
                return Err(BookingError::UnknownBooking(code.to_string()));
            }
            Ok(vec![BookingEvent::BookingCancelled { at, code }])
        }
    }
}

/// The stream of a unit's bookings for `day`.
pub fn stream_name(unit: &crate::ids::UnitCode, day: Date) -> String {
    format!("booking-{unit}-{}", day.strftime("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn group(code: &str) -> GroupCode {
        GroupCode::new(code).unwrap()
    }

    fn context(now: &str) -> BookingContext {
        BookingContext {
            now: now.parse().unwrap(),
            day: date(2026, 3, 2),
            capacity: BTreeMap::from([(group("A"), 2)]),
            groups: vec![group("A"), group("B")],
            working_day: true,
            hours: OfficeHours::default(),
        }
    }

    fn book(half: HalfDay, n: u8) -> BookingCommand {
        BookingCommand::Book { group: group("A"), half, code: BookingCode::from_random([n; CODE_LENGTH]) }
    }

    #[test]
    fn a_half_day_holds_its_capacity_and_no_more() {
        let ctx = context("2026-03-01T10:00:00+07:00");
        let mut log = Vec::new();
        for n in 0..2 {
            log.extend(decide(&fold(&log), book(HalfDay::Morning, n), &ctx).unwrap());
        }
        assert_eq!(decide(&fold(&log), book(HalfDay::Morning, 9), &ctx).unwrap_err().rule(), "slot_full");
        // The afternoon is another slot.
        assert!(decide(&fold(&log), book(HalfDay::Afternoon, 9), &ctx).is_ok());
        // A cancelled place is free again, its code is not.
        let first = BookingCode::from_random([0; CODE_LENGTH]);
        log.extend(decide(&fold(&log), BookingCommand::Cancel { code: first }, &ctx).unwrap());
        assert_eq!(decide(&fold(&log), book(HalfDay::Morning, 0), &ctx).unwrap_err().rule(), "booking_code_taken");
        assert!(decide(&fold(&log), book(HalfDay::Morning, 5), &ctx).is_ok());
    }

    #[test]
    fn slots_in_the_past_days_off_and_unbookable_groups_are_refused() {
        let rule = |now: &str, command: BookingCommand, working: bool| {
            let ctx = BookingContext { working_day: working, ..context(now) };
            decide(&BookingDay::default(), command, &ctx).map_err(|e| e.rule())
        };
        // The morning ends at 11:30; the afternoon can still be booked.
        assert_eq!(rule("2026-03-02T11:30:00+07:00", book(HalfDay::Morning, 1), true), Err("slot_in_the_past"));
        assert!(rule("2026-03-02T11:29:00+07:00", book(HalfDay::Morning, 1), true).is_ok());
        assert!(rule("2026-03-02T16:00:00+07:00", book(HalfDay::Afternoon, 1), true).is_ok());
        assert_eq!(rule("2026-03-01T08:00:00+07:00", book(HalfDay::Morning, 1), false), Err("not_a_working_day"));
        let other = |code: &str| BookingCommand::Book {
            group: group(code),
            half: HalfDay::Morning,
            code: BookingCode::from_random([1; CODE_LENGTH]),
        };
        assert_eq!(rule("2026-03-01T08:00:00+07:00", other("B"), true), Err("group_not_bookable"));
        assert_eq!(rule("2026-03-01T08:00:00+07:00", other("Z"), true), Err("unknown_group"));
    }

    #[test]
    fn codes_are_read_as_typed_without_look_alikes() {
        let code = BookingCode::from_random([0, 1, 2, 3, 30, 31, 200, 255]);
        assert_eq!(code.as_str().len(), CODE_LENGTH);
        assert_eq!(BookingCode::parse(&format!("  {}  ", code.as_str().to_lowercase())), Some(code));
        assert_eq!(BookingCode::parse("ABCDEFG0"), None, "0 is not in the alphabet");
        assert_eq!(BookingCode::parse("ABCDEFG"), None);
    }
}
