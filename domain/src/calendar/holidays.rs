//! Public holidays and days off of the civil service, by the law in force each
//! year.
//!
//! A holiday is a [`HolidayRule`]: a solar or lunar date, how many days, how a
//! day on the weekly rest day is made up, and the first and last year of the law
//! that made it. Rules are data ([`shipped_rules`] are the laws since 1990), so a
//! new law is a new rule, added by an administrator as an event in the log, not a
//! code change. What the Government publishes each year (days off for Tết, swaps
//! of a weekday off for a Saturday worked) corrects the rules for that year: a
//! [`YearArrangement`], also data, with the ones confirmed so far in
//! [`super::arrangements`].
//!
//! Choices where the law leaves room, written down here because they decide due
//! dates:
//! - The rules of the Labour Code 1994 (in force 1 January 1995) are applied to
//!   1990–1994 as well: the calendar's earliest years exist for importing old
//!   files, and nothing older is shipped.
//! - Saturdays are working days until 1 October 1999; the 40-hour week of the civil
//!   service (Quyết định 188/1999/QĐ-TTg) starts on Saturday 2 October 1999.
//! - A holiday's days stay within one Gregorian year (a rule whose days would
//!   cross 1 January is refused), and a make-up day is sought within the same
//!   year; no law puts a holiday close enough to 31 December for that to matter.

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use serde::{Deserialize, Serialize};

use super::lunar::{LunarDate, from_lunar};

/// The first and last year the calendar computes.
pub const FIRST_YEAR: i16 = 1990;
pub const LAST_YEAR: i16 = 2100;

/// The first Saturday off of the 40-hour week (Quyết định 188/1999/QĐ-TTg).
pub const FIVE_DAY_WEEK_FROM: Date = date(1999, 10, 2);

/// Whether `d` is a weekly rest day of the civil service: every Sunday, and every
/// Saturday from the 40-hour week on.
pub fn is_rest_day(d: Date) -> bool {
    match d.weekday() {
        Weekday::Sunday => true,
        Weekday::Saturday => d >= FIVE_DAY_WEEK_FROM,
        _ => false,
    }
}

/// Where a holiday falls in each year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "calendar", rename_all = "snake_case")]
pub enum HolidayDate {
    /// A day of the Gregorian calendar (dương lịch).
    Solar { month: u8, day: u8 },
    /// A day of the Vietnamese lunar calendar (âm lịch), in a month that is not a
    /// leap month. Tết is lunar 1/1.
    Lunar { month: u8, day: u8 },
}

impl HolidayDate {
    /// The civil date in lunar or solar year `year`, if it exists there.
    fn in_year(self, year: i32) -> Option<Date> {
        match self {
            Self::Solar { month, day } => {
                let month = i8::try_from(month).ok()?;
                let day = i8::try_from(day).ok()?;
                Date::new(i16::try_from(year).ok()?, month, day).ok()
            }
            Self::Lunar { month, day } => from_lunar(LunarDate::new(year, month, day)),
        }
    }
}

/// How a holiday falling on a weekly rest day is made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekendMakeUp {
    /// On the next working day (Labour Code 2019 Art. 111(3); Labour Code 2012
    /// Art. 115(3); Labour Code 1994 Art. 73).
    NextWorkingDay,
    /// The practice of the Prime Minister's yearly Tết arrangements since 2014:
    /// a holiday day on a Saturday is made up on the working day before the
    /// holiday (29 Tết), one on a Sunday on the next working day after it.
    BeforeForSaturday,
}

/// A public holiday as one law defines it for a run of years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayRule {
    /// What the holiday is, the same across the laws that changed it
    /// (`tet_nguyen_dan`, `quoc_khanh`, …): rules of one holiday must not overlap
    /// in years.
    pub holiday: String,
    /// Its Vietnamese name.
    pub name: String,
    pub date: HolidayDate,
    /// Days off, counted from `days_before` days before `date`.
    pub days: u8,
    /// Days of the holiday before `date` (Tết begins on the last day of the old
    /// lunar year: 1).
    #[serde(default)]
    pub days_before: u8,
    /// One more day joined to the holiday, the day before or the day after,
    /// as each year's arrangement says (Quốc khánh from 2021: 2/9 "and one day
    /// immediately before or after").
    #[serde(default)]
    pub adjacent_day: bool,
    pub weekend_make_up: WeekendMakeUp,
    pub first_year: i16,
    /// The last year in force; `None` while the law stands.
    #[serde(default)]
    pub last_year: Option<i16>,
    /// The law that made it.
    pub source: String,
}

/// Why a holiday rule cannot be used. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayRuleError {
    #[error("holiday must be 1–40 lower-case letters, digits or underscores")]
    Key,
    #[error("name must not be empty")]
    Name,
    #[error("month {month}, day {day} is not a date")]
    ImpossibleDate { month: u8, day: u8 },
    #[error("29 February exists only in leap years")]
    LeapDay,
    #[error("lunar {day}/{month} does not exist in {year}")]
    LunarDateMissing { month: u8, day: u8, year: i16 },
    #[error("days must be 1–10 and days_before fewer than days")]
    Days,
    #[error("in {year} the holiday's days would cross 1 January")]
    CrossesYear { year: i16 },
    #[error("first_year must be {FIRST_YEAR}–{LAST_YEAR} and last_year not before it")]
    Years,
    #[error("{holiday} already has a rule for {first}–{last}")]
    Overlapping { holiday: String, first: i16, last: String },
    #[error("source must not be empty")]
    Source,
    #[error("no rule of {holiday} begins in {first_year}")]
    Missing { holiday: String, first_year: i16 },
    #[error("the rule ends in {ends}: its last year can be brought forward, not put off")]
    CannotExtend { ends: i16 },
    #[error("last_year must not be before the rule's first year {first_year}")]
    EndsBeforeItBegins { first_year: i16 },
}

impl HolidayRuleError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Key | Self::Missing { .. } => "holiday",
            Self::Name => "name",
            Self::ImpossibleDate { .. } | Self::LeapDay | Self::LunarDateMissing { .. } => "date",
            Self::Days | Self::CrossesYear { .. } => "days",
            Self::Years | Self::CannotExtend { .. } | Self::EndsBeforeItBegins { .. } => "last_year",
            Self::Overlapping { .. } => "first_year",
            Self::Source => "source",
        }
    }
}

impl HolidayRule {
    /// The years the rule is in force, clamped to the calendar's range.
    pub fn years(&self) -> std::ops::RangeInclusive<i16> {
        self.first_year.max(FIRST_YEAR)..=self.last_year.unwrap_or(LAST_YEAR).min(LAST_YEAR)
    }

    pub fn in_force(&self, year: i16) -> bool {
        year >= self.first_year && self.last_year.is_none_or(|last| year <= last)
    }

    /// A stable name: the holiday and its first year (`tet_nguyen_dan-2013`).
    pub fn id(&self) -> String {
        format!("{}-{}", self.holiday, self.first_year)
    }

    /// Checks the rule alone and against the rules already in force.
    pub fn validate(&self, others: &[HolidayRule]) -> Result<(), HolidayRuleError> {
        let key_ok = (1..=40).contains(&self.holiday.len())
            && self.holiday.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok {
            return Err(HolidayRuleError::Key);
        }
        if self.name.trim().is_empty() {
            return Err(HolidayRuleError::Name);
        }
        if self.source.trim().is_empty() {
            return Err(HolidayRuleError::Source);
        }
        if !(1..=10).contains(&self.days) || self.days_before >= self.days {
            return Err(HolidayRuleError::Days);
        }
        if !(FIRST_YEAR..=LAST_YEAR).contains(&self.first_year)
            || self.last_year.is_some_and(|last| last < self.first_year)
        {
            return Err(HolidayRuleError::Years);
        }
        match self.date {
            HolidayDate::Solar { month, day } => {
                // 2000 is a leap year: every day of every month exists in it.
                if self.date.in_year(2000).is_none() {
                    return Err(HolidayRuleError::ImpossibleDate { month, day });
                }
                if (month, day) == (2, 29) {
                    return Err(HolidayRuleError::LeapDay);
                }
            }
            HolidayDate::Lunar { month, day } => {
                if !(1..=12).contains(&month) || !(1..=30).contains(&day) {
                    return Err(HolidayRuleError::ImpossibleDate { month, day });
                }
                for year in self.years() {
                    if self.date.in_year(i32::from(year)).is_none() {
                        return Err(HolidayRuleError::LunarDateMissing { month, day, year });
                    }
                }
            }
        }
        // A block runs within one Gregorian year: one that crossed 1 January
        // would belong to two years' calendars.
        for year in self.years() {
            let crosses = self
                .block_of(i32::from(year))
                .is_some_and(|block| block.first().map(|d| d.year()) != block.last().map(|d| d.year()));
            if crosses {
                return Err(HolidayRuleError::CrossesYear { year });
            }
        }
        let (first, last) = (self.first_year, self.last_year.unwrap_or(i16::MAX));
        for other in others.iter().filter(|o| o.holiday == self.holiday) {
            let (o_first, o_last) = (other.first_year, other.last_year.unwrap_or(i16::MAX));
            if first <= o_last && o_first <= last {
                return Err(HolidayRuleError::Overlapping {
                    holiday: other.holiday.clone(),
                    first: other.first_year,
                    last: other.last_year.map_or_else(|| "nay".to_owned(), |l| l.to_string()),
                });
            }
        }
        Ok(())
    }

    /// The holiday's blocks of days in Gregorian `year` (the adjacent day
    /// aside), one per occurrence, if the rule is in force then. A lunar date
    /// late in the lunar year falls in the next Gregorian year, so a year may
    /// hold a lunar holiday of two lunar years.
    fn blocks_in(&self, year: i16) -> Vec<Vec<Date>> {
        if !self.in_force(year) {
            return Vec::new();
        }
        let lunar_years = match self.date {
            HolidayDate::Solar { .. } => vec![i32::from(year)],
            HolidayDate::Lunar { .. } => vec![i32::from(year) - 1, i32::from(year)],
        };
        lunar_years
            .into_iter()
            .filter_map(|y| self.block_of(y))
            .filter(|block| block.iter().all(|d| d.year() == year))
            .collect()
    }

    /// The days of the occurrence in solar or lunar year `year`.
    fn block_of(&self, year: i32) -> Option<Vec<Date>> {
        let anchor = self.date.in_year(year)?;
        let first = anchor.checked_sub(i64::from(self.days_before).days()).ok()?;
        Some(std::iter::successors(Some(first), |d| d.tomorrow().ok()).take(self.days.into()).collect())
    }
}

/// Ends a rule: its last year in force becomes `last_year`.
pub fn end_rule(
    rules: &[HolidayRule],
    holiday: &str,
    first_year: i16,
    last_year: i16,
) -> Result<HolidayRule, HolidayRuleError> {
    let mut rule = rules
        .iter()
        .find(|r| r.holiday == holiday && r.first_year == first_year)
        .cloned()
        .ok_or_else(|| HolidayRuleError::Missing { holiday: holiday.to_owned(), first_year })?;
    if last_year < first_year {
        return Err(HolidayRuleError::EndsBeforeItBegins { first_year });
    }
    if let Some(ends) = rule.last_year.filter(|&l| last_year > l) {
        return Err(HolidayRuleError::CannotExtend { ends });
    }
    rule.last_year = Some(last_year);
    Ok(rule)
}

/// The holidays of the laws since 1990.
pub fn shipped_rules() -> Vec<HolidayRule> {
    let solar = |month, day| HolidayDate::Solar { month, day };
    let rule = |holiday: &str, name: &str, date, days, first, last, source: &str| HolidayRule {
        holiday: holiday.into(),
        name: name.into(),
        date,
        days,
        days_before: 0,
        adjacent_day: false,
        weekend_make_up: WeekendMakeUp::NextWorkingDay,
        first_year: first,
        last_year: last,
        source: source.into(),
    };
    const LC1994: &str = "Bộ luật Lao động 1994, Điều 73";
    const LC2012: &str = "Bộ luật Lao động 1994, Điều 73; Bộ luật Lao động 2012, Điều 115";
    const LC2019: &str = "Bộ luật Lao động 2019, Điều 112";
    vec![
        rule("tet_duong_lich", "Tết Dương lịch", solar(1, 1), 1, FIRST_YEAR, None, LC2019),
        // Four days, the last of the old year and three of the new, until the
        // Labour Code 2012 came into force on 1 May 2013: Tết 2013 (10 February)
        // was still the old law's (DESIGN.md dates the change from 2013; the
        // days off are the same either way, as 2013's arrangement is shipped).
        HolidayRule {
            days_before: 1,
            ..rule(
                "tet_nguyen_dan",
                "Tết Nguyên đán",
                HolidayDate::Lunar { month: 1, day: 1 },
                4,
                FIRST_YEAR,
                Some(2013),
                LC1994,
            )
        },
        // Five days from 2014. Each year's arrangement places them; when none is
        // published, the last day of the old year and four of the new, with the
        // make-up practice the arrangements have followed since 2014.
        HolidayRule {
            days_before: 1,
            weekend_make_up: WeekendMakeUp::BeforeForSaturday,
            ..rule(
                "tet_nguyen_dan",
                "Tết Nguyên đán",
                HolidayDate::Lunar { month: 1, day: 1 },
                5,
                2014,
                None,
                "Bộ luật Lao động 2012, Điều 115 (hiệu lực 01/5/2013); \
                 Bộ luật Lao động 2019, Điều 112; thông báo nghỉ Tết hằng năm \
                 của Thủ tướng Chính phủ từ 2014",
            )
        },
        rule(
            "gio_to_hung_vuong",
            "Giỗ Tổ Hùng Vương",
            HolidayDate::Lunar { month: 3, day: 10 },
            1,
            2007,
            None,
            "Luật sửa đổi, bổ sung Điều 73 Bộ luật Lao động 2007",
        ),
        rule("ngay_chien_thang", "Ngày Chiến thắng", solar(4, 30), 1, FIRST_YEAR, None, LC2019),
        rule("quoc_te_lao_dong", "Ngày Quốc tế Lao động", solar(5, 1), 1, FIRST_YEAR, None, LC2019),
        rule("quoc_khanh", "Quốc khánh", solar(9, 2), 1, FIRST_YEAR, Some(2020), LC2012),
        HolidayRule { adjacent_day: true, ..rule("quoc_khanh", "Quốc khánh", solar(9, 2), 1, 2021, None, LC2019) },
        rule(
            "ngay_van_hoa_viet_nam",
            "Ngày Văn hóa Việt Nam",
            solar(11, 24),
            1,
            2026,
            None,
            "Nghị quyết 80-NQ/TW; Nghị quyết 30/NQ-CP (sửa Điều 112 khoản 1 Bộ luật Lao động 2019)",
        ),
    ]
}

/// A weekday off exchanged for a Saturday worked (hoán đổi ngày làm việc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySwap {
    pub day_off: Date,
    pub saturday_worked: Date,
}

/// What the Government published for one year, where it departs from the rules.
/// Data, not code: it arrives through the `calendar-<year>` stream and can be
/// edited by an administrator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearArrangement {
    pub year: i16,
    /// The weekdays off for Tết Nguyên đán, replacing the rule's block and its
    /// make-up days.
    #[serde(default)]
    pub tet_days_off: Option<Vec<Date>>,
    /// The day joined to National Day (1 or 3 September).
    #[serde(default)]
    pub national_day_extra: Option<Date>,
    #[serde(default)]
    pub swaps: Vec<DaySwap>,
    /// Any further weekdays off.
    #[serde(default)]
    pub extra_days_off: Vec<Date>,
    /// Any further weekend days worked.
    #[serde(default)]
    pub extra_working_days: Vec<Date>,
}

/// Why a year's arrangement cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrangementError {
    #[error("{date} is not in {year}")]
    OutsideYear { date: Date, year: i16 },
    #[error("a swapped day off must be a weekday: {0} is not")]
    SwapDayOffNotWeekday(Date),
    #[error("a swapped working day must be a Saturday: {0} is not")]
    SwapWorkedNotSaturday(Date),
    #[error("an extra day off must be a weekday: {0} is not")]
    ExtraDayOffNotWeekday(Date),
    #[error("an extra working day must be a Saturday or Sunday: {0} is not")]
    ExtraWorkingDayNotWeekend(Date),
    #[error("the extra National Day holiday must be 1 or 3 September: {0} is not")]
    NationalDayExtra(Date),
}

impl YearArrangement {
    /// Checks that every date belongs to the year and is of the right kind.
    pub fn validate(&self) -> Result<(), ArrangementError> {
        let in_year = |d: Date| {
            if d.year() == self.year { Ok(()) } else { Err(ArrangementError::OutsideYear { date: d, year: self.year }) }
        };
        for &d in self.tet_days_off.iter().flatten() {
            in_year(d)?;
        }
        if let Some(extra) = self.national_day_extra {
            in_year(extra)?;
            if extra != date(self.year, 9, 1) && extra != date(self.year, 9, 3) {
                return Err(ArrangementError::NationalDayExtra(extra));
            }
        }
        for swap in &self.swaps {
            in_year(swap.day_off)?;
            in_year(swap.saturday_worked)?;
            if is_rest_day(swap.day_off) {
                return Err(ArrangementError::SwapDayOffNotWeekday(swap.day_off));
            }
            if swap.saturday_worked.weekday() != Weekday::Saturday {
                return Err(ArrangementError::SwapWorkedNotSaturday(swap.saturday_worked));
            }
        }
        for &d in &self.extra_days_off {
            in_year(d)?;
            if is_rest_day(d) {
                return Err(ArrangementError::ExtraDayOffNotWeekday(d));
            }
        }
        for &d in &self.extra_working_days {
            in_year(d)?;
            if !is_rest_day(d) {
                return Err(ArrangementError::ExtraWorkingDayNotWeekend(d));
            }
        }
        Ok(())
    }
}

/// A public holiday falling on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    /// The rule's holiday key (`tet_nguyen_dan`, …).
    pub holiday: String,
    pub name: String,
}

/// One year's holidays and the resulting days off and weekend days worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCalendar {
    pub year: i16,
    /// The legal holidays by the rules (the days off an arrangement gives for
    /// Tết are in `days_off`).
    pub holidays: Vec<Holiday>,
    /// Weekdays not worked: holidays, days made up for holidays on a rest day,
    /// swapped days off.
    pub days_off: BTreeSet<Date>,
    /// Rest days worked.
    pub weekend_days_worked: BTreeSet<Date>,
}

fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

fn previous_day(d: Date) -> Date {
    d.yesterday().unwrap_or(d)
}

/// The Tết rules' holiday key, whose days an arrangement's `tet_days_off`
/// replaces, and National Day's, whose adjacent day its `national_day_extra`
/// names: the two holidays a yearly arrangement places.
const TET: &str = "tet_nguyen_dan";
const NATIONAL_DAY: &str = "quoc_khanh";

impl YearCalendar {
    /// Applies the rules in force in `year`, corrected by its published arrangement.
    pub fn compute(year: i16, rules: &[HolidayRule], arrangement: Option<&YearArrangement>) -> Self {
        let published_tet = arrangement.and_then(|a| a.tet_days_off.as_ref());
        // Each holiday's blocks of days, in rule order.
        let mut blocks: Vec<(&HolidayRule, Vec<Date>)> = Vec::new();
        for rule in rules.iter().filter(|r| r.in_force(year)) {
            for mut days in rule.blocks_in(year) {
                if rule.adjacent_day {
                    let extra = arrangement
                        .and_then(|a| a.national_day_extra)
                        .filter(|_| rule.holiday == NATIONAL_DAY)
                        .unwrap_or_else(|| default_adjacent_day(&days));
                    days.push(extra);
                    days.sort_unstable();
                }
                blocks.push((rule, days));
            }
        }
        let holiday_dates: BTreeSet<Date> = blocks.iter().flat_map(|(_, days)| days.iter().copied()).collect();

        // The arrangement's own days off and worked days first, so that no
        // make-up day lands on a day already off.
        let mut days_off = BTreeSet::new();
        let mut weekend_days_worked = BTreeSet::new();
        if let Some(arrangement) = arrangement {
            for swap in &arrangement.swaps {
                days_off.insert(swap.day_off);
                weekend_days_worked.insert(swap.saturday_worked);
            }
            days_off.extend(arrangement.extra_days_off.iter().copied());
            weekend_days_worked.extend(arrangement.extra_working_days.iter().copied());
        }
        // Holiday days on a rest day, with the block they belong to.
        let mut to_make_up: Vec<(Date, &HolidayRule, Date, Date)> = Vec::new();
        for (rule, days) in &blocks {
            if rule.holiday == TET
                && let Some(published) = published_tet
            {
                days_off.extend(published.iter().copied());
                continue;
            }
            let (first, last) = (days[0], days[days.len() - 1]);
            for &d in days {
                if is_rest_day(d) {
                    to_make_up.push((d, rule, first, last));
                } else {
                    days_off.insert(d);
                }
            }
        }
        to_make_up.sort_by_key(|(d, ..)| *d);
        let free = |d: Date, days_off: &BTreeSet<Date>| {
            !is_rest_day(d) && !holiday_dates.contains(&d) && !days_off.contains(&d)
        };
        for (d, rule, first, last) in to_make_up {
            let before = rule.weekend_make_up == WeekendMakeUp::BeforeForSaturday && d.weekday() == Weekday::Saturday;
            let step = |c: Date| if before { previous_day(c) } else { next_day(c) };
            let start = if before { previous_day(first) } else { next_day(last.max(d)) };
            // A few weeks at most; bounded so a strange rule set cannot loop. A
            // make-up day that would fall in another year is not given: no law
            // puts a holiday that close to the turn of the year.
            let found = std::iter::successors(Some(start), |&c| Some(step(c)))
                .take(60)
                .take_while(|c| c.year() == year)
                .find(|&c| free(c, &days_off));
            if let Some(day) = found {
                days_off.insert(day);
            }
        }

        let mut holidays: Vec<Holiday> = blocks
            .iter()
            .flat_map(|(rule, days)| {
                days.iter().map(|&d| Holiday { date: d, holiday: rule.holiday.clone(), name: rule.name.clone() })
            })
            .collect();
        holidays.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.holiday.cmp(&b.holiday)));

        Self { year, holidays, days_off, weekend_days_worked }
    }

    /// Whether civil servants work on `d` (a date of this year).
    pub fn is_working_day(&self, d: Date) -> bool {
        if self.weekend_days_worked.contains(&d) {
            return true;
        }
        !is_rest_day(d) && !self.days_off.contains(&d)
    }
}

/// The day joined to a holiday when nothing is published: the one that makes
/// the longer break with the weekend (for 2 September: Monday → Tuesday 3,
/// Thursday → Friday 3, Sunday → Monday 3, otherwise 1 September).
fn default_adjacent_day(days: &[Date]) -> Date {
    let (first, last) = (days[0], days[days.len() - 1]);
    match last.weekday() {
        Weekday::Monday | Weekday::Thursday | Weekday::Sunday => next_day(last),
        _ => previous_day(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_arrangement_a_saturday_of_tet_is_made_up_before_it() {
        // Tết 2027 is Saturday 6 February: the eve (Fri 5) and the 1st–4th (Sat 6 –
        // Tue 9); Saturday is made up on Thu 4 (29 Tết), Sunday on Wed 10.
        let y = YearCalendar::compute(2027, &shipped_rules(), None);
        for d in [4, 5, 8, 9, 10] {
            assert!(y.days_off.contains(&date(2027, 2, d)), "{d} Feb 2027");
        }
        assert!(y.is_working_day(date(2027, 2, 3)));
        assert!(y.is_working_day(date(2027, 2, 11)));
    }

    #[test]
    fn saturdays_were_worked_before_the_forty_hour_week() {
        let y = YearCalendar::compute(1998, &shipped_rules(), None);
        assert!(y.is_working_day(date(1998, 3, 7))); // a Saturday
        assert!(!y.is_working_day(date(1998, 3, 8))); // a Sunday
        let y = YearCalendar::compute(1999, &shipped_rules(), None);
        assert!(y.is_working_day(date(1999, 9, 25)));
        assert!(!y.is_working_day(date(1999, 10, 2)));
    }

    #[test]
    fn holiday_rules_with_impossible_dates_are_refused() {
        let mut rule = shipped_rules().into_iter().find(|r| r.holiday == "ngay_van_hoa_viet_nam").unwrap();
        rule.holiday = "new_day".into();
        rule.date = HolidayDate::Solar { month: 2, day: 30 };
        assert_eq!(rule.validate(&[]), Err(HolidayRuleError::ImpossibleDate { month: 2, day: 30 }));
        rule.date = HolidayDate::Lunar { month: 12, day: 30 };
        rule.first_year = 2024;
        assert!(matches!(rule.validate(&[]), Err(HolidayRuleError::LunarDateMissing { .. })));
        rule.date = HolidayDate::Solar { month: 11, day: 24 };
        rule.holiday = "ngay_van_hoa_viet_nam".into();
        assert!(matches!(rule.validate(&shipped_rules()), Err(HolidayRuleError::Overlapping { .. })));
        assert_eq!(rule.validate(&shipped_rules()).unwrap_err().field(), "first_year");
    }

    #[test]
    fn a_rule_whose_days_cross_new_year_is_refused_and_a_late_lunar_one_counts_twice() {
        let mut rule = shipped_rules().into_iter().find(|r| r.holiday == "ngay_van_hoa_viet_nam").unwrap();
        rule.holiday = "cuoi_nam".into();
        rule.date = HolidayDate::Solar { month: 12, day: 31 };
        rule.days = 2;
        assert_eq!(rule.validate(&[]), Err(HolidayRuleError::CrossesYear { year: 2026 }));
        assert_eq!(rule.validate(&[]).unwrap_err().field(), "days");
        // Lunar 1/12 falls in January of one year and December of another; in
        // 2027 it falls both on 8 January (of Bính Ngọ) and on 28 December (of
        // Đinh Mùi): two blocks, each made up on its own.
        rule.date = HolidayDate::Lunar { month: 12, day: 1 };
        rule.days = 1;
        let blocks = rule.blocks_in(2027);
        assert_eq!(blocks.len(), 2, "{blocks:?}");
    }

    #[test]
    fn the_shipped_rules_are_valid_and_do_not_overlap() {
        let rules = shipped_rules();
        for (i, rule) in rules.iter().enumerate() {
            let others: Vec<HolidayRule> =
                rules.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| r.clone()).collect();
            assert_eq!(rule.validate(&others), Ok(()), "{}", rule.id());
        }
    }
}
