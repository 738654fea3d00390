//! The Vietnamese lunar calendar (âm lịch), computed for the time zone UTC+7.
//!
//! The rules, as the Vietnamese calendar applies them:
//! - a month begins on the civil day (in UTC+7) of a new moon;
//! - month 11 is the month that contains the winter solstice;
//! - a lunar year from one month 11 to the next with 13 months has a leap month:
//!   the first month after month 11 that contains no principal solar term (no
//!   multiple of 30° of the Sun's longitude), numbered like the month before it.
//!
//! A month contains a principal term exactly when the Sun's longitude is in
//! different 30° sectors at the starts of that month and of the next one; the
//! longitude is taken at local midnight beginning each day.

use serde::{Deserialize, Serialize};

use super::astronomy::{SYNODIC_MONTH, date_of_day_number, day_number, new_moon, sun_longitude};

/// Hours east of Greenwich of Vietnam's civil time.
const UTC_OFFSET_HOURS: f64 = 7.0;

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LunarDate {
    /// The year that begins with this year's Tết (its first day is 1/1).
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 30.
    pub day: u8,
    /// True for the leap (intercalary) month repeating `month`.
    pub leap: bool,
}

impl LunarDate {
    pub fn new(year: i32, month: u8, day: u8) -> Self {
        Self { year, month, day, leap: false }
    }
}

/// The day number (UTC+7) on which new moon `k` falls.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + UTC_OFFSET_HOURS / 24.0).floor() as i64
}

/// The 30° sector (0–11) of the Sun's longitude at local midnight beginning `day`.
fn sun_sector(day: i64) -> u8 {
    let midnight_ut = day as f64 - 0.5 - UTC_OFFSET_HOURS / 24.0;
    // 0 ≤ longitude < 360, so the sector is 0..=11.
    (sun_longitude(midnight_ut) / 30.0).floor() as u8
}

/// The lunation number of the last new moon falling on or before `day`.
fn lunation_on_or_before(day: i64) -> i64 {
    let mut k = ((day as f64 - 2_451_550.1) / SYNODIC_MONTH).floor() as i64;
    while new_moon_day(k + 1) <= day {
        k += 1;
    }
    while new_moon_day(k) > day {
        k -= 1;
    }
    k
}

/// The lunation that begins month 11 of the lunar year ending in Gregorian `year`
/// (the month that contains that year's December solstice).
fn month_eleven(year: i32) -> i64 {
    let k = lunation_on_or_before(day_number(year, 12, 31));
    // The solstice (longitude 270°, sector 9) may come before the last new moon
    // of December; month 11 is then the one before.
    if sun_sector(new_moon_day(k)) >= 9 { k - 1 } else { k }
}

/// The months from one month 11 (inclusive) to the next (exclusive), with their
/// numbering. Converting many dates of one period reuses it.
#[derive(Debug, Clone)]
pub struct LunarPeriod {
    /// Gregorian year in whose December the period's first month 11 begins.
    first_year: i32,
    /// Day numbers of the first day of each month, plus the next month 11's.
    starts: Vec<i64>,
    /// Index into `starts` of the leap month, if the period has 13 months.
    leap_index: Option<usize>,
}

impl LunarPeriod {
    /// The period whose first month 11 begins in December of `year`.
    pub fn starting_in(year: i32) -> Self {
        let first = month_eleven(year);
        let last = month_eleven(year + 1);
        let starts: Vec<i64> = (first..=last).map(new_moon_day).collect();
        let leap_index = (starts.len() == 14)
            .then(|| (1..13).find(|&i| sun_sector(starts[i]) == sun_sector(starts[i + 1])))
            .flatten();
        Self { first_year: year, starts, leap_index }
    }

    /// The period containing the day number `day`.
    pub fn containing(day: i64) -> Self {
        let (year, _, _) = date_of_day_number(day);
        let period = Self::starting_in(year);
        if day >= period.starts[0] { period } else { Self::starting_in(year - 1) }
    }

    /// First and last+1 day numbers covered.
    pub fn days(&self) -> std::ops::Range<i64> {
        self.starts[0]..self.starts[self.starts.len() - 1]
    }

    /// The leap month, as (lunar year, month number), if this period has one.
    pub fn leap_month(&self) -> Option<(i32, u8)> {
        self.leap_index.map(|i| {
            let (month, _) = self.month_at(i);
            (self.year_of(month), month)
        })
    }

    /// Month number and leap flag of the month at `index`.
    fn month_at(&self, index: usize) -> (u8, bool) {
        let (ordinal, leap) = match self.leap_index {
            Some(l) if index == l => (index - 1, true),
            Some(l) if index > l => (index - 1, false),
            _ => (index, false),
        };
        // Index 0 is month 11, 1 is month 12, 2 is month 1, …
        (((ordinal + 10) % 12 + 1) as u8, leap)
    }

    fn year_of(&self, month: u8) -> i32 {
        if month >= 11 { self.first_year } else { self.first_year + 1 }
    }

    /// The lunar date of a day number inside this period.
    pub fn lunar_date(&self, day: i64) -> Option<LunarDate> {
        if !self.days().contains(&day) {
            return None;
        }
        let index = self.starts.partition_point(|&start| start <= day) - 1;
        let (month, leap) = self.month_at(index);
        Some(LunarDate { year: self.year_of(month), month, day: (day - self.starts[index] + 1) as u8, leap })
    }

    /// The day number of a lunar date that falls in this period.
    pub fn day_number(&self, date: LunarDate) -> Option<i64> {
        (0..self.starts.len() - 1)
            .find(|&i| {
                let (month, leap) = self.month_at(i);
                month == date.month && leap == date.leap && self.year_of(month) == date.year
            })
            .and_then(|i| {
                let length = self.starts[i + 1] - self.starts[i];
                let day = i64::from(date.day);
                (1..=length).contains(&day).then(|| self.starts[i] + day - 1)
            })
    }
}

/// The lunar date of a civil date.
pub fn to_lunar(date: jiff::civil::Date) -> LunarDate {
    let day = day_number(i32::from(date.year()), i32::from(date.month()), i32::from(date.day()));
    LunarPeriod::containing(day).lunar_date(day).unwrap_or(LunarDate::new(0, 1, 1)) // unreachable: the period contains the day
}

/// The civil date of a lunar date; `None` when there is no such day (a 30th of a
/// 29-day month, a leap month the year does not have, a year out of range).
pub fn from_lunar(date: LunarDate) -> Option<jiff::civil::Date> {
    if !(1..=12).contains(&date.month) || !(1..=30).contains(&date.day) {
        return None;
    }
    let period_year = if date.month >= 11 { date.year } else { date.year - 1 };
    let day = LunarPeriod::starting_in(period_year).day_number(date)?;
    civil_date(day)
}

/// The civil date of a day number.
pub fn civil_date(day: i64) -> Option<jiff::civil::Date> {
    let (y, m, d) = date_of_day_number(day);
    jiff::civil::Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

/// The day number of a civil date.
pub fn day_number_of(date: jiff::civil::Date) -> i64 {
    day_number(i32::from(date.year()), i32::from(date.month()), i32::from(date.day()))
}

/// The civil date of Tết (1/1 of the lunar year beginning in Gregorian `year`).
pub fn tet(year: i16) -> Option<jiff::civil::Date> {
    from_lunar(LunarDate::new(i32::from(year), 1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn tet_falls_on_the_published_dates() {
        assert_eq!(tet(2024), Some(date(2024, 2, 10)));
        assert_eq!(tet(2025), Some(date(2025, 1, 29)));
        assert_eq!(tet(2026), Some(date(2026, 2, 17)));
        assert_eq!(tet(2027), Some(date(2027, 2, 6)));
        // Further published dates: 1985 (when Vietnam's calendar, on UTC+7,
        // differed from China's by a month), 2007, 2023.
        assert_eq!(tet(1985), Some(date(1985, 1, 21)));
        assert_eq!(tet(2007), Some(date(2007, 2, 17)));
        assert_eq!(tet(2023), Some(date(2023, 1, 22)));
    }

    #[test]
    fn year_2025_has_a_leap_sixth_month() {
        let period = LunarPeriod::starting_in(2024);
        assert_eq!(period.leap_month(), Some((2025, 6)));
        // Leap 6th month of Ất Tỵ begins 25 July 2025.
        let leap_first = LunarDate { year: 2025, month: 6, day: 1, leap: true };
        assert_eq!(from_lunar(leap_first), Some(date(2025, 7, 25)));
        assert_eq!(to_lunar(date(2025, 7, 25)), leap_first);
        assert_eq!(from_lunar(LunarDate::new(2025, 6, 1)), Some(date(2025, 6, 25)));
        // 2024 and 2026 have no leap month.
        assert_eq!(LunarPeriod::starting_in(2023).leap_month(), None);
        assert_eq!(LunarPeriod::starting_in(2025).leap_month(), None);
    }

    #[test]
    fn hung_kings_day_is_the_tenth_of_the_third_month() {
        let gio_to = |year| from_lunar(LunarDate::new(year, 3, 10));
        assert_eq!(gio_to(2024), Some(date(2024, 4, 18)));
        assert_eq!(gio_to(2025), Some(date(2025, 4, 7)));
        assert_eq!(gio_to(2026), Some(date(2026, 4, 26)));
    }

    #[test]
    fn impossible_lunar_dates_have_no_civil_date() {
        assert_eq!(from_lunar(LunarDate { year: 2024, month: 6, day: 1, leap: true }), None);
        assert_eq!(from_lunar(LunarDate::new(2025, 13, 1)), None);
        assert_eq!(from_lunar(LunarDate::new(2025, 1, 0)), None);
        // Month 12 of Giáp Thìn (2024) has 29 days: Tết 2025 is the next day.
        assert_eq!(from_lunar(LunarDate::new(2024, 12, 30)), None);
        assert_eq!(from_lunar(LunarDate::new(2024, 12, 29)), Some(date(2025, 1, 28)));
    }
}
