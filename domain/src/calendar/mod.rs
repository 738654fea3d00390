//! Time as the one-stop shop counts it: the lunar calendar, public holidays and
//! working time.

pub mod arrangements;
mod astronomy;
pub mod holidays;
pub mod lunar;
pub mod working_time;

pub use arrangements::published_arrangements;
pub use holidays::{
    ArrangementError, DaySwap, FIRST_YEAR, Holiday, HolidayDate, HolidayRule, HolidayRuleError, LAST_YEAR,
    WeekendMakeUp, YearArrangement, YearCalendar, end_rule, is_rest_day, shipped_rules,
};
pub use working_time::{OfficeHours, OfficeHoursError, Schedule, Session, VIETNAM, WorkingCalendar, instant, local};
