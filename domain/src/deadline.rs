//! Deadlines (thời hạn giải quyết) and whether work met them.

use jiff::Timestamp;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::calendar::{Schedule, local};

/// The unit a processing time is counted in.
///
/// How each meets the cutoff (giờ tiếp nhận cuối ngày, e.g. 15:00): a file
/// received at or after it, or outside office hours, counts as received at the
/// opening of the next working day; counting starts there. Then:
/// - `WorkingDays`: due on the N-th working day after the day counting starts,
///   at the time it started (received Monday 10:00 with 1 day: Tuesday 10:00;
///   received Monday 16:00 after the cutoff: counts from Tuesday 07:30, due
///   Wednesday 07:30, so the whole of Wednesday is "đúng hạn").
/// - `WorkingHours`: N × 60 working minutes after the counting start.
/// - `CalendarDays`: the Civil Code's count (Art. 147–148), ending at the close
///   of the last day, moved to the next working day if that is a day off.
/// - `SameDay` (trong ngày): due at the close of the day counting starts: the
///   receipt day before the cutoff, else the next working day. `amount` is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    WorkingDays,
    WorkingHours,
    CalendarDays,
    SameDay,
}

/// A length of time as the law states it: "05 ngày làm việc", "08 giờ làm việc".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl ProcessingTime {
    pub const fn working_days(amount: u32) -> Self {
        Self { amount, unit: TimeUnit::WorkingDays }
    }

    pub const fn working_hours(amount: u32) -> Self {
        Self { amount, unit: TimeUnit::WorkingHours }
    }

    pub const fn calendar_days(amount: u32) -> Self {
        Self { amount, unit: TimeUnit::CalendarDays }
    }

    /// "Trong ngày": resolved the day it is received (before the cutoff).
    pub const fn same_day() -> Self {
        Self { amount: 1, unit: TimeUnit::SameDay }
    }

    /// As the law and the receipt state it: `05 ngày làm việc`, `trong ngày`.
    pub fn describe_vi(self) -> String {
        let amount = self.amount;
        match self.unit {
            TimeUnit::WorkingDays => format!("{amount:02} ngày làm việc"),
            TimeUnit::WorkingHours => format!("{amount:02} giờ làm việc"),
            TimeUnit::CalendarDays => format!("{amount:02} ngày"),
            TimeUnit::SameDay => "trong ngày".to_owned(),
        }
    }
}

impl Schedule<'_> {
    /// The due instant of `time` counted from `start` (already a counting start).
    pub fn due_after(&self, start: Timestamp, time: ProcessingTime) -> Timestamp {
        match time.unit {
            TimeUnit::WorkingDays => self.add_working_days(start, time.amount),
            TimeUnit::WorkingHours => self.add_working_hours(start, time.amount),
            TimeUnit::CalendarDays => self.add_calendar_days(start, time.amount),
            TimeUnit::SameDay => self.close_of_day(start),
        }
    }

    /// The due date (ngày hẹn trả) of a file received at `received`: the cutoff
    /// rule decides where counting starts, then `time` is added.
    pub fn due_date(&self, received: Timestamp, time: ProcessingTime, cutoff: Option<Time>) -> Timestamp {
        self.due_after(self.counting_start(received, cutoff), time)
    }
}

/// How finished work compares with its deadline, as the control slip and
/// Biểu 06 put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Punctuality {
    /// Trước hạn: finished on a day before the due date's day.
    Early,
    /// Đúng hạn: finished on the due date's day.
    OnTime,
    /// Quá hạn: finished after the due date's day.
    Late,
}

impl Punctuality {
    /// Compares by day in Vietnam's civil time.
    pub fn of(finished: Timestamp, due: Timestamp) -> Self {
        let (finished, due) = (local(finished).date(), local(due).date());
        match finished.cmp(&due) {
            std::cmp::Ordering::Less => Self::Early,
            std::cmp::Ordering::Equal => Self::OnTime,
            std::cmp::Ordering::Greater => Self::Late,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Early => "trước hạn",
            Self::OnTime => "đúng hạn",
            Self::Late => "quá hạn",
        }
    }
}

/// Where work still in progress stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Trong hạn.
    WithinDeadline,
    /// Quá hạn.
    Overdue,
}

impl Progress {
    /// Compares by day in Vietnam's civil time, as [`Punctuality::of`] does: a
    /// file still open on its due date's day is within the deadline until that
    /// day ends, so what the case view says at an instant agrees with what
    /// finishing at that instant would count as.
    pub fn at(now: Timestamp, due: Timestamp) -> Self {
        if local(now).date() <= local(due).date() { Self::WithinDeadline } else { Self::Overdue }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::WithinDeadline => "trong hạn",
            Self::Overdue => "quá hạn",
        }
    }
}
