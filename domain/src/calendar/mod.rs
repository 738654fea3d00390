//! Time as the one-stop shop counts it: the lunar calendar, public holidays and
//! working time.

mod astronomy;
pub mod holidays;
pub mod lunar;
pub mod working_time;

pub use holidays::{
    ArrangementError, DaySwap, Holiday, HolidayKind, YearArrangement, YearCalendar,
    published_arrangements,
};
pub use working_time::{
    OfficeHours, OfficeHoursError, Schedule, Session, VIETNAM, WorkingCalendar, instant, local,
};
