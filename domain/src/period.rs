//! Official reporting periods (kỳ báo cáo) and the days they cover.
//!
//! Decree 09/2019/NĐ-CP on the reporting regime of state administrative
//! agencies, Art. 12(1), fixes the cut-off of figures (thời gian chốt số liệu):
//! a month's report runs from the 15th of the month before to the 14th of the
//! month; a quarter's from the 15th of the month before the quarter to the 14th
//! of its last month; the 6 months' and the year's from 15 December of the year
//! before to 14 June and 14 December. The 9 months' report (asked for by the
//! Government Office's periodic reports on administrative procedures) follows
//! the same pattern, 15 December to 14 September.
//!
//! Written as a parameter: `2026-11` (a month), `2026-Q4` (a quarter),
//! `2026-H1` (the first 6 months), `2026-9M` (9 months), `2026` (the year).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

/// The form of a period parameter, as an ECMA-262 regular expression.
pub const PERIOD_PATTERN: &str = r"^(199[0-9]|20[0-9]{2}|2100)(-(0[1-9]|1[0-2]|Q[1-4]|H1|9M))?$";

/// An official reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportPeriod {
    /// Báo cáo tháng: month 1–12.
    Month { year: i16, month: i8 },
    /// Báo cáo quý: quarter 1–4.
    Quarter { year: i16, quarter: i8 },
    /// Báo cáo 6 tháng (đầu năm).
    FirstHalf { year: i16 },
    /// Báo cáo 9 tháng.
    NineMonths { year: i16 },
    /// Báo cáo năm.
    Year { year: i16 },
}

/// A period parameter that is not one of the forms above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a reporting period: write 2026-11 (a month), 2026-Q4, 2026-H1, 2026-9M or 2026")]
pub struct InvalidPeriod(pub String);

/// Years a period may name: the calendar's range.
const YEARS: std::ops::RangeInclusive<i16> = 1990..=2100;

impl ReportPeriod {
    /// The year the period reports on.
    pub fn year(self) -> i16 {
        match self {
            Self::Month { year, .. }
            | Self::Quarter { year, .. }
            | Self::FirstHalf { year }
            | Self::NineMonths { year }
            | Self::Year { year } => year,
        }
    }

    /// The period's last month of the year it reports on (1–12): its figures
    /// are cut off on the 14th of that month.
    fn last_month(self) -> i8 {
        match self {
            Self::Month { month, .. } => month,
            Self::Quarter { quarter, .. } => quarter * 3,
            Self::FirstHalf { .. } => 6,
            Self::NineMonths { .. } => 9,
            Self::Year { .. } => 12,
        }
    }

    /// How many months the period spans.
    fn months(self) -> i8 {
        match self {
            Self::Month { .. } => 1,
            Self::Quarter { .. } => 3,
            Self::FirstHalf { .. } => 6,
            Self::NineMonths { .. } => 9,
            Self::Year { .. } => 12,
        }
    }

    /// The first and last day (inclusive) the period covers.
    pub fn days(self) -> (Date, Date) {
        let year = self.year();
        let last_month = self.last_month();
        let to = Date::new(year, last_month, 14).unwrap_or(Date::MIN);
        // The 15th of the month before the period's first month.
        let first_month = i32::from(last_month) - i32::from(self.months()) + 1;
        let before = first_month - 1;
        let (from_year, from_month) = if before >= 1 { (year, before) } else { (year - 1, before + 12) };
        let from = Date::new(from_year, from_month as i8, 15).unwrap_or(Date::MIN);
        (from, to)
    }

    /// The official month whose figures include `date`: from the 15th a day
    /// counts in the next month's report (Decree 09/2019/NĐ-CP Art. 12).
    pub fn month_of(date: Date) -> Self {
        let (year, month) = (date.year(), date.month());
        match (date.day() >= 15, month) {
            (false, _) => Self::Month { year, month },
            (true, 12) => Self::Month { year: year + 1, month: 1 },
            (true, _) => Self::Month { year, month: month + 1 },
        }
    }

    /// The `count` official months up to and including this month's, oldest
    /// first; a period that is not a month gives its last month's.
    pub fn months_up_to(self, count: usize) -> Vec<Self> {
        let (mut year, mut month) = (self.year(), self.last_month());
        let mut months = Vec::with_capacity(count);
        for _ in 0..count {
            if !YEARS.contains(&year) {
                break;
            }
            months.push(Self::Month { year, month });
            (year, month) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
        }
        months.reverse();
        months
    }

    /// The period's name in Vietnamese, as a report's heading gives it.
    pub fn title_vi(self) -> String {
        match self {
            Self::Month { year, month } => format!("Tháng {month} năm {year}"),
            Self::Quarter { year, quarter } => {
                let roman = ["I", "II", "III", "IV"][usize::try_from(quarter - 1).unwrap_or(0).min(3)];
                format!("Quý {roman} năm {year}")
            }
            Self::FirstHalf { year } => format!("6 tháng đầu năm {year}"),
            Self::NineMonths { year } => format!("9 tháng năm {year}"),
            Self::Year { year } => format!("Năm {year}"),
        }
    }
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Month { year, month } => write!(f, "{year}-{month:02}"),
            Self::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            Self::FirstHalf { year } => write!(f, "{year}-H1"),
            Self::NineMonths { year } => write!(f, "{year}-9M"),
            Self::Year { year } => write!(f, "{year}"),
        }
    }
}

impl FromStr for ReportPeriod {
    type Err = InvalidPeriod;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidPeriod(text.to_owned());
        let (year, rest) = match text.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (text, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let year: i16 = year.parse().map_err(|_| invalid())?;
        if !YEARS.contains(&year) {
            return Err(invalid());
        }
        let Some(rest) = rest else { return Ok(Self::Year { year }) };
        let period = match rest {
            "H1" => Self::FirstHalf { year },
            "9M" => Self::NineMonths { year },
            _ if rest.len() == 2 && rest.starts_with('Q') => match rest.as_bytes()[1] {
                digit @ b'1'..=b'4' => Self::Quarter { year, quarter: (digit - b'0') as i8 },
                _ => return Err(invalid()),
            },
            _ if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) => {
                let month: i8 = rest.parse().map_err(|_| invalid())?;
                if !(1..=12).contains(&month) {
                    return Err(invalid());
                }
                Self::Month { year, month }
            }
            _ => return Err(invalid()),
        };
        Ok(period)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_day_from_the_15th_counts_in_the_next_months_report() {
        assert_eq!(ReportPeriod::month_of(date(2026, 3, 2)), ReportPeriod::Month { year: 2026, month: 3 });
        assert_eq!(ReportPeriod::month_of(date(2026, 3, 14)), ReportPeriod::Month { year: 2026, month: 3 });
        assert_eq!(ReportPeriod::month_of(date(2026, 3, 15)), ReportPeriod::Month { year: 2026, month: 4 });
        assert_eq!(ReportPeriod::month_of(date(2026, 12, 20)), ReportPeriod::Month { year: 2027, month: 1 });
        // Every day lies within the days of its month.
        for day in 0..800 {
            let d = date(2025, 1, 1) + jiff::Span::new().days(day);
            let (from, to) = ReportPeriod::month_of(d).days();
            assert!(from <= d && d <= to, "{d}");
        }
    }

    #[test]
    fn the_months_up_to_a_period_run_oldest_first_across_the_year() {
        let months = ReportPeriod::Month { year: 2026, month: 2 }.months_up_to(4);
        let names: Vec<String> = months.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        let quarter = ReportPeriod::Quarter { year: 2026, quarter: 2 }.months_up_to(1);
        assert_eq!(quarter, [ReportPeriod::Month { year: 2026, month: 6 }]);
    }

    fn days(text: &str) -> (Date, Date) {
        text.parse::<ReportPeriod>().map(ReportPeriod::days).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_month_runs_from_the_15th_of_the_month_before_to_the_14th() {
        assert_eq!(days("2026-11"), (date(2026, 10, 15), date(2026, 11, 14)));
        // January's report starts in December of the year before.
        assert_eq!(days("2026-01"), (date(2025, 12, 15), date(2026, 1, 14)));
        assert_eq!(days("2026-03"), (date(2026, 2, 15), date(2026, 3, 14)));
    }

    #[test]
    fn quarters_half_years_nine_months_and_years_start_on_the_15th_before_them() {
        assert_eq!(days("2026-Q1"), (date(2025, 12, 15), date(2026, 3, 14)));
        assert_eq!(days("2026-Q2"), (date(2026, 3, 15), date(2026, 6, 14)));
        assert_eq!(days("2026-Q3"), (date(2026, 6, 15), date(2026, 9, 14)));
        assert_eq!(days("2026-Q4"), (date(2026, 9, 15), date(2026, 12, 14)));
        assert_eq!(days("2026-H1"), (date(2025, 12, 15), date(2026, 6, 14)));
        assert_eq!(days("2026-9M"), (date(2025, 12, 15), date(2026, 9, 14)));
        assert_eq!(days("2026"), (date(2025, 12, 15), date(2026, 12, 14)));
    }

    #[test]
    fn consecutive_months_tile_the_year_without_gaps_or_overlaps() {
        let (year_from, year_to) = days("2025");
        let mut expected_from = year_from;
        for month in 1..=12 {
            let (from, to) = days(&format!("2025-{month:02}"));
            assert_eq!(from, expected_from, "month {month}");
            expected_from = to.tomorrow().unwrap_or(to);
        }
        assert_eq!(expected_from, year_to.tomorrow().unwrap_or(year_to));
    }

    #[test]
    fn a_period_prints_as_it_is_written_and_has_a_vietnamese_title() {
        for text in ["2026-11", "2026-01", "2026-Q4", "2026-H1", "2026-9M", "2026"] {
            let period: ReportPeriod = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(period.to_string(), text);
        }
        let title = |text: &str| text.parse::<ReportPeriod>().map(ReportPeriod::title_vi).unwrap_or_default();
        assert_eq!(title("2026-11"), "Tháng 11 năm 2026");
        assert_eq!(title("2026-Q4"), "Quý IV năm 2026");
        assert_eq!(title("2026-H1"), "6 tháng đầu năm 2026");
    }

    #[test]
    fn anything_else_is_refused_with_the_forms_it_could_take() {
        for text in
            ["", "26-11", "2026-13", "2026-00", "2026-1", "2026-Q5", "2026-H2", "2026-11-01", "1989", "２０２６"]
        {
            let error = text.parse::<ReportPeriod>().err().unwrap_or_else(|| panic!("{text:?} was accepted"));
            assert!(error.to_string().contains("2026-Q4"), "{error}");
        }
    }
}
