//! Deadlines (thời hạn giải quyết) and whether work met them.

use jiff::Timestamp;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::calendar::{Schedule, local};

/// The unit a processing time is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    WorkingDays,
    WorkingHours,
    CalendarDays,
}

/// A length of time as the law states it: "05 ngày làm việc", "08 giờ làm việc".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl ProcessingTime {
    pub const fn working_days(amount: u32) -> Self {
        Self {
            amount,
            unit: TimeUnit::WorkingDays,
        }
    }

    pub const fn working_hours(amount: u32) -> Self {
        Self {
            amount,
            unit: TimeUnit::WorkingHours,
        }
    }

    pub const fn calendar_days(amount: u32) -> Self {
        Self {
            amount,
            unit: TimeUnit::CalendarDays,
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
        }
    }

    /// The due date (ngày hẹn trả) of a file received at `received`: the cutoff
    /// rule decides where counting starts, then `time` is added.
    pub fn due_date(
        &self,
        received: Timestamp,
        time: ProcessingTime,
        cutoff: Option<Time>,
    ) -> Timestamp {
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
    pub fn at(now: Timestamp, due: Timestamp) -> Self {
        if now <= due {
            Self::WithinDeadline
        } else {
            Self::Overdue
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::WithinDeadline => "trong hạn",
            Self::Overdue => "quá hạn",
        }
    }
}
