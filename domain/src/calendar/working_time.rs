//! Working time: which instants count toward a deadline, and the arithmetic on them.
//!
//! All instants are [`jiff::Timestamp`]s; the calendar reads them in Vietnam's
//! civil time (UTC+7 all year, no daylight saving).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use jiff::civil::{Date, DateTime, Time, time};
use jiff::tz::Offset;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use super::arrangements::published_arrangements;
use super::holidays::{FIRST_YEAR, HolidayRule, LAST_YEAR, YearArrangement, YearCalendar, is_rest_day, shipped_rules};

/// Vietnam's civil time, UTC+7.
pub const VIETNAM: Offset = Offset::constant(7);

/// The local civil date-time of an instant.
pub fn local(instant: Timestamp) -> DateTime {
    VIETNAM.to_datetime(instant)
}

/// The instant of a local civil date-time (UTC+7 has no gaps or overlaps).
pub fn instant(local: DateTime) -> Timestamp {
    VIETNAM.to_timestamp(local).unwrap_or(Timestamp::MAX) // only outside jiff's supported range
}

/// One stretch of office hours within a day, e.g. 07:30–11:30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub start: Time,
    pub end: Time,
}

/// A unit's office hours, the same every working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeHours {
    sessions: Vec<Session>,
}

/// Office hours that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeHoursError {
    #[error("office hours need at least one session")]
    Empty,
    #[error("a session must end after it starts ({start}–{end})")]
    EmptySession { start: Time, end: Time },
    #[error("sessions must be in order and must not overlap")]
    Overlapping,
}

impl Default for OfficeHours {
    /// 07:30–11:30 and 13:30–17:00.
    fn default() -> Self {
        Self {
            sessions: vec![
                Session { start: time(7, 30, 0, 0), end: time(11, 30, 0, 0) },
                Session { start: time(13, 30, 0, 0), end: time(17, 0, 0, 0) },
            ],
        }
    }
}

impl OfficeHours {
    pub fn new(sessions: Vec<Session>) -> Result<Self, OfficeHoursError> {
        if sessions.is_empty() {
            return Err(OfficeHoursError::Empty);
        }
        for s in &sessions {
            if s.end <= s.start {
                return Err(OfficeHoursError::EmptySession { start: s.start, end: s.end });
            }
        }
        if sessions.windows(2).any(|w| w[1].start < w[0].end) {
            return Err(OfficeHoursError::Overlapping);
        }
        Ok(Self { sessions })
    }

    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Working minutes in one day.
    pub fn minutes_per_day(&self) -> i64 {
        self.sessions.iter().map(|s| minutes_of(s.end) - minutes_of(s.start)).sum()
    }

    fn first_start(&self) -> Time {
        self.sessions[0].start
    }

    fn last_end(&self) -> Time {
        self.sessions[self.sessions.len() - 1].end
    }
}

fn minutes_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

/// Working days: the holiday rules of every year in a range, with published
/// arrangements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    rules: Vec<HolidayRule>,
    arrangements: BTreeMap<i16, YearArrangement>,
    years: BTreeMap<i16, YearCalendar>,
}

impl WorkingCalendar {
    /// Computes every year of `years` from the rules and the given arrangements.
    pub fn new(
        rules: Vec<HolidayRule>,
        arrangements: impl IntoIterator<Item = YearArrangement>,
        years: RangeInclusive<i16>,
    ) -> Self {
        let arrangements: BTreeMap<i16, YearArrangement> = arrangements.into_iter().map(|a| (a.year, a)).collect();
        let years = years.map(|y| (y, YearCalendar::compute(y, &rules, arrangements.get(&y)))).collect();
        Self { rules, arrangements, years }
    }

    /// 1990–2100 by the shipped rules and the arrangements published so far.
    pub fn vietnam() -> Self {
        Self::new(shipped_rules(), published_arrangements(), FIRST_YEAR..=LAST_YEAR)
    }

    /// The computed year, if in range.
    pub fn year(&self, year: i16) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    /// The holiday rules the calendar applies.
    pub fn rules(&self) -> &[HolidayRule] {
        &self.rules
    }

    /// The arrangement in force for a year.
    pub fn arrangement(&self, year: i16) -> Option<&YearArrangement> {
        self.arrangements.get(&year)
    }

    /// Replaces one year's arrangement (after an administrator edits it).
    pub fn with_arrangement(mut self, arrangement: &YearArrangement) -> Self {
        if let Some(year) = self.years.get_mut(&arrangement.year) {
            *year = YearCalendar::compute(arrangement.year, &self.rules, Some(arrangement));
        }
        self.arrangements.insert(arrangement.year, arrangement.clone());
        self
    }

    /// Applies a new set of holiday rules, recomputing the years whose rules
    /// changed.
    pub fn with_rules(mut self, rules: Vec<HolidayRule>) -> Self {
        let mut touched: Vec<i16> = Vec::new();
        for rule in rules.iter().filter(|r| !self.rules.contains(r)) {
            touched.extend(rule.years());
        }
        for rule in self.rules.iter().filter(|r| !rules.contains(r)) {
            touched.extend(rule.years());
        }
        touched.sort_unstable();
        touched.dedup();
        self.rules = rules;
        for y in touched {
            if let Some(year) = self.years.get_mut(&y) {
                *year = YearCalendar::compute(y, &self.rules, self.arrangements.get(&y));
            }
        }
        self
    }

    /// Whether civil servants work on `d`. Outside the computed range, every
    /// weekday is taken to be a working day.
    pub fn is_working_day(&self, d: Date) -> bool {
        match self.years.get(&d.year()) {
            Some(year) => year.is_working_day(d),
            None => !is_rest_day(d),
        }
    }

    /// The first working day on or after `d`.
    pub fn working_day_on_or_after(&self, mut d: Date) -> Date {
        // At most a few weeks of holidays in a row; bounded for safety.
        for _ in 0..400 {
            if self.is_working_day(d) {
                return d;
            }
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => return d,
            }
        }
        d
    }
}

/// A unit's working time: the calendar with its office hours.
#[derive(Debug, Clone, Copy)]
pub struct Schedule<'a> {
    pub calendar: &'a WorkingCalendar,
    pub hours: &'a OfficeHours,
}

impl<'a> Schedule<'a> {
    pub fn new(calendar: &'a WorkingCalendar, hours: &'a OfficeHours) -> Self {
        Self { calendar, hours }
    }

    /// The earliest working instant at or after `t`: `t` itself inside office
    /// hours of a working day, else the start of the next session.
    pub fn next_working_instant(&self, t: Timestamp) -> Timestamp {
        instant(self.next_working_local(local(t)))
    }

    fn next_working_local(&self, at: DateTime) -> DateTime {
        let mut day = at.date();
        let mut clock = at.time();
        loop {
            if self.calendar.is_working_day(day) {
                for s in self.hours.sessions() {
                    if clock < s.end {
                        return day.to_datetime(clock.max(s.start));
                    }
                }
            }
            day = self.calendar.working_day_on_or_after(next_date(day));
            clock = Time::MIN;
        }
    }

    /// Where counting starts for a file received at `received`: at once during
    /// office hours, but from the next working day when received at or after
    /// `cutoff` (e.g. 15:00) or outside working time.
    pub fn counting_start(&self, received: Timestamp, cutoff: Option<Time>) -> Timestamp {
        let at = local(received);
        let after_cutoff = cutoff.is_some_and(|c| at.time() >= c);
        let after_hours = at.time() >= self.hours.last_end();
        if self.calendar.is_working_day(at.date()) && !after_cutoff && !after_hours {
            return instant(self.next_working_local(at));
        }
        let next = self.calendar.working_day_on_or_after(next_date(at.date()));
        instant(next.to_datetime(self.hours.first_start()))
    }

    /// The instant `minutes` of working time after `start`. Landing exactly on the
    /// end of a session gives that end (17:00), not the next session's start.
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let mut at = self.next_working_local(local(start));
        let mut remaining = minutes.max(0);
        loop {
            let session = self
                .hours
                .sessions()
                .iter()
                .find(|s| at.time() >= s.start && at.time() < s.end)
                .copied()
                .unwrap_or(self.hours.sessions[0]);
            let left_in_session = minutes_of(session.end) - minutes_of(at.time());
            if remaining <= left_in_session {
                let end = at.checked_add(remaining.minutes()).unwrap_or(at.date().to_datetime(session.end));
                return instant(end);
            }
            remaining -= left_in_session;
            // Jump to the next session start, which is on or after the session end.
            at = self.next_working_local(at.date().to_datetime(session.end));
        }
    }

    /// A due date moved later by `minutes` of working time (a pause in shift
    /// mode). A due date at the opening of a day (one counted from a receipt
    /// after the cutoff) keeps its place in the day: whole days land on the
    /// opening of the later day, not on the close of the day before it, which
    /// is the same working instant but not the same day for the by-day
    /// judgement.
    pub fn shift_due(&self, due: Timestamp, minutes: i64) -> Timestamp {
        let shifted = self.add_working_minutes(due, minutes);
        let (asked, landed) = (local(due), local(shifted));
        let at_opening = asked.time() == self.hours.first_start() && self.calendar.is_working_day(asked.date());
        if at_opening && minutes > 0 && landed.time() == self.hours.last_end() {
            let next = self.calendar.working_day_on_or_after(next_date(landed.date()));
            return instant(next.to_datetime(self.hours.first_start()));
        }
        shifted
    }

    /// The instant `days` working days after `start`, at the same time of day:
    /// on the `days`-th working day after the start's day. A start at the
    /// opening of a day (a file received after the cutoff counts as received at
    /// the opening of the next working day) is due at the opening of that later
    /// day, not at the close of the day before: the same working instant, but
    /// the day that the by-day judgement of trước/đúng/quá hạn reads.
    pub fn add_working_days(&self, start: Timestamp, days: u32) -> Timestamp {
        let at = self.next_working_local(local(start));
        let mut day = at.date();
        for _ in 0..days {
            day = self.calendar.working_day_on_or_after(next_date(day));
        }
        instant(day.to_datetime(at.time()))
    }

    /// The close of office hours on the day of `start` (a counting start): the
    /// due instant of a procedure handled "in the day" (trong ngày).
    pub fn close_of_day(&self, start: Timestamp) -> Timestamp {
        let at = self.next_working_local(local(start));
        instant(at.date().to_datetime(self.hours.last_end()))
    }

    /// The instant `hours` working hours after `start`.
    pub fn add_working_hours(&self, start: Timestamp, hours: u32) -> Timestamp {
        self.add_working_minutes(start, i64::from(hours) * 60)
    }

    /// The deadline of a period of `days` calendar days counted from `start`, as
    /// the Civil Code counts it (Art. 147–148): the first day is not counted, and
    /// a period ending on a day off ends with the next working day. It ends at the
    /// close of office hours.
    pub fn add_calendar_days(&self, start: Timestamp, days: u32) -> Timestamp {
        let first = local(start).date();
        let last = first.checked_add(i64::from(days).days()).unwrap_or(first);
        let last = self.calendar.working_day_on_or_after(last);
        instant(last.to_datetime(self.hours.last_end()))
    }

    /// Working minutes from `from` to `to` (0 when `to` is not after `from`).
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let (from, to) = (local(from), local(to));
        let mut total = 0;
        let mut day = from.date();
        while day <= to.date() {
            if self.calendar.is_working_day(day) {
                for s in self.hours.sessions() {
                    let start = if day == from.date() { s.start.max(from.time()) } else { s.start };
                    let end = if day == to.date() { s.end.min(to.time()) } else { s.end };
                    if end > start {
                        total += minutes_of(end) - minutes_of(start);
                    }
                }
            }
            day = next_date(day);
        }
        total
    }
}

fn next_date(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}
