//! Public holidays and days off of the civil service (Labor Code 2019, Art.
//! 111–112), computed from the rules and corrected by what the Government
//! publishes each year.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday, date};
use serde::{Deserialize, Serialize};

use super::lunar::{LunarDate, from_lunar};

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
    /// The weekdays off for Tết Nguyên đán, replacing the default block (the last
    /// day of the lunar year and the first four of the new one, with weekend days
    /// made up).
    #[serde(default)]
    pub tet_days_off: Option<Vec<Date>>,
    /// The day added to National Day (1 or 3 September).
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
            if d.year() == self.year {
                Ok(())
            } else {
                Err(ArrangementError::OutsideYear {
                    date: d,
                    year: self.year,
                })
            }
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
            if is_weekend(swap.day_off) {
                return Err(ArrangementError::SwapDayOffNotWeekday(swap.day_off));
            }
            if swap.saturday_worked.weekday() != Weekday::Saturday {
                return Err(ArrangementError::SwapWorkedNotSaturday(
                    swap.saturday_worked,
                ));
            }
        }
        for &d in &self.extra_days_off {
            in_year(d)?;
            if is_weekend(d) {
                return Err(ArrangementError::ExtraDayOffNotWeekday(d));
            }
        }
        for &d in &self.extra_working_days {
            in_year(d)?;
            if !is_weekend(d) {
                return Err(ArrangementError::ExtraWorkingDayNotWeekend(d));
            }
        }
        Ok(())
    }
}

/// The civil-service arrangements published for 2024–2026.
pub fn published_arrangements() -> Vec<YearArrangement> {
    vec![
        YearArrangement {
            year: 2024,
            tet_days_off: Some(vec![
                date(2024, 2, 8),
                date(2024, 2, 9),
                date(2024, 2, 12),
                date(2024, 2, 13),
                date(2024, 2, 14),
            ]),
            national_day_extra: Some(date(2024, 9, 3)),
            swaps: vec![DaySwap {
                day_off: date(2024, 4, 29),
                saturday_worked: date(2024, 5, 4),
            }],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2025,
            tet_days_off: Some((27..=31).map(|d| date(2025, 1, d)).collect()),
            national_day_extra: Some(date(2025, 9, 1)),
            swaps: vec![DaySwap {
                day_off: date(2025, 5, 2),
                saturday_worked: date(2025, 4, 26),
            }],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2026,
            tet_days_off: Some((16..=20).map(|d| date(2026, 2, d)).collect()),
            national_day_extra: Some(date(2026, 9, 1)),
            swaps: vec![
                DaySwap {
                    day_off: date(2026, 1, 2),
                    saturday_worked: date(2026, 1, 10),
                },
                DaySwap {
                    day_off: date(2026, 8, 31),
                    saturday_worked: date(2026, 8, 22),
                },
            ],
            ..YearArrangement::default()
        },
    ]
}

/// Which public holiday a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Tết Dương lịch, 1 January.
    NewYear,
    /// Tết Nguyên đán, the lunar new year.
    LunarNewYear,
    /// Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month.
    HungKings,
    /// Ngày Chiến thắng, 30 April.
    ReunificationDay,
    /// Ngày Quốc tế Lao động, 1 May.
    LabourDay,
    /// Quốc khánh, 2 September and one adjacent day.
    NationalDay,
}

impl HolidayKind {
    /// The holiday's Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::NewYear => "Tết Dương lịch",
            Self::LunarNewYear => "Tết Nguyên đán",
            Self::HungKings => "Giỗ Tổ Hùng Vương",
            Self::ReunificationDay => "Ngày Chiến thắng",
            Self::LabourDay => "Ngày Quốc tế Lao động",
            Self::NationalDay => "Quốc khánh",
        }
    }
}

/// A public holiday falling on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    pub kind: HolidayKind,
}

/// One year's holidays and the resulting days off and weekend days worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCalendar {
    pub year: i16,
    /// The legal holidays by the rules (Tết as the arrangement says, if it does).
    pub holidays: Vec<Holiday>,
    /// Weekdays not worked: holidays, days made up for holidays on a weekend,
    /// swapped days off.
    pub days_off: BTreeSet<Date>,
    /// Saturdays or Sundays worked.
    pub weekend_days_worked: BTreeSet<Date>,
}

pub(crate) fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

impl YearCalendar {
    /// Applies the rules to `year`, corrected by its published arrangement.
    pub fn compute(year: i16, arrangement: Option<&YearArrangement>) -> Self {
        let mut holidays = vec![
            Holiday {
                date: date(year, 1, 1),
                kind: HolidayKind::NewYear,
            },
            Holiday {
                date: date(year, 4, 30),
                kind: HolidayKind::ReunificationDay,
            },
            Holiday {
                date: date(year, 5, 1),
                kind: HolidayKind::LabourDay,
            },
            Holiday {
                date: date(year, 9, 2),
                kind: HolidayKind::NationalDay,
            },
        ];
        let national_extra = arrangement
            .and_then(|a| a.national_day_extra)
            .unwrap_or_else(|| default_national_day_extra(year));
        holidays.push(Holiday {
            date: national_extra,
            kind: HolidayKind::NationalDay,
        });
        if let Some(gio_to) = from_lunar(LunarDate::new(i32::from(year), 3, 10)) {
            holidays.push(Holiday {
                date: gio_to,
                kind: HolidayKind::HungKings,
            });
        }
        // The last day of the old lunar year and the first four of the new one.
        let tet_block: Vec<Date> = from_lunar(LunarDate::new(i32::from(year), 1, 1))
            .and_then(|tet| tet.yesterday().ok())
            .map(|eve| {
                std::iter::successors(Some(eve), |d| d.tomorrow().ok())
                    .take(5)
                    .collect()
            })
            .unwrap_or_default();
        let published_tet = arrangement.and_then(|a| a.tet_days_off.clone());

        let mut days_off = BTreeSet::new();
        let mut weekend_holidays = Vec::new();
        for holiday in &holidays {
            if is_weekend(holiday.date) {
                weekend_holidays.push(holiday.date);
            } else {
                days_off.insert(holiday.date);
            }
        }
        match &published_tet {
            Some(published) => days_off.extend(published.iter().copied()),
            None => {
                for &d in &tet_block {
                    if is_weekend(d) {
                        weekend_holidays.push(d);
                    } else {
                        days_off.insert(d);
                    }
                }
            }
        }
        let holiday_dates: BTreeSet<Date> = holidays
            .iter()
            .map(|h| h.date)
            .chain(tet_block.iter().copied())
            .collect();
        // A holiday on the weekly rest day is made up on the next working day.
        weekend_holidays.sort_unstable();
        for holiday in weekend_holidays {
            let mut candidate = next_day(holiday);
            while is_weekend(candidate)
                || holiday_dates.contains(&candidate)
                || days_off.contains(&candidate)
            {
                candidate = next_day(candidate);
            }
            days_off.insert(candidate);
        }
        holidays.extend(tet_block.iter().map(|&d| Holiday {
            date: d,
            kind: HolidayKind::LunarNewYear,
        }));
        holidays.sort_by_key(|h| h.date);

        let mut weekend_days_worked = BTreeSet::new();
        if let Some(arrangement) = arrangement {
            for swap in &arrangement.swaps {
                days_off.insert(swap.day_off);
                weekend_days_worked.insert(swap.saturday_worked);
            }
            days_off.extend(arrangement.extra_days_off.iter().copied());
            weekend_days_worked.extend(arrangement.extra_working_days.iter().copied());
        }
        Self {
            year,
            holidays,
            days_off,
            weekend_days_worked,
        }
    }

    /// Whether civil servants work on `d` (a date of this year).
    pub fn is_working_day(&self, d: Date) -> bool {
        if self.weekend_days_worked.contains(&d) {
            return true;
        }
        !is_weekend(d) && !self.days_off.contains(&d)
    }
}

/// The day joined to 2 September when nothing is published: the one that makes
/// the longer break with the weekend.
fn default_national_day_extra(year: i16) -> Date {
    let national_day = date(year, 9, 2);
    match national_day.weekday() {
        Weekday::Monday | Weekday::Thursday | Weekday::Sunday => date(year, 9, 3),
        _ => date(year, 9, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrangement(year: i16) -> YearArrangement {
        published_arrangements()
            .into_iter()
            .find(|a| a.year == year)
            .unwrap()
    }

    #[test]
    fn published_arrangements_are_valid() {
        for a in published_arrangements() {
            a.validate().unwrap();
        }
    }

    #[test]
    fn year_2026_days_off_follow_the_published_arrangement_and_the_rules() {
        let y = YearCalendar::compute(2026, Some(&arrangement(2026)));
        let expected: BTreeSet<Date> = [
            date(2026, 1, 1),
            date(2026, 1, 2), // swapped with Saturday 10 January
            date(2026, 2, 16),
            date(2026, 2, 17),
            date(2026, 2, 18),
            date(2026, 2, 19),
            date(2026, 2, 20),
            date(2026, 4, 27), // Giỗ Tổ on Sunday 26 April, made up
            date(2026, 4, 30),
            date(2026, 5, 1),
            date(2026, 8, 31), // swapped with Saturday 22 August
            date(2026, 9, 1),
            date(2026, 9, 2),
        ]
        .into_iter()
        .collect();
        assert_eq!(y.days_off, expected);
        assert!(y.is_working_day(date(2026, 1, 10)));
        assert!(y.is_working_day(date(2026, 8, 22)));
        assert!(!y.is_working_day(date(2026, 1, 17)));
    }

    #[test]
    fn without_an_arrangement_tet_is_five_days_with_weekend_days_made_up() {
        // Tết 2027 is Saturday 6 February: the eve (Fri 5) and the 1st–4th (Sat 6 –
        // Tue 9); Saturday and Sunday are made up on Wed 10 and Thu 11.
        let y = YearCalendar::compute(2027, None);
        for d in [5, 8, 9, 10, 11] {
            assert!(y.days_off.contains(&date(2027, 2, d)), "{d} Feb 2027");
        }
        assert!(y.is_working_day(date(2027, 2, 12)));
        assert!(y.is_working_day(date(2027, 2, 4)));
    }

    #[test]
    fn arrangements_with_wrong_dates_are_refused() {
        let mut a = arrangement(2026);
        a.swaps[0].saturday_worked = date(2026, 1, 11); // a Sunday
        assert_eq!(
            a.validate(),
            Err(ArrangementError::SwapWorkedNotSaturday(date(2026, 1, 11)))
        );
        let mut a = arrangement(2026);
        a.extra_days_off.push(date(2025, 12, 31));
        assert!(matches!(
            a.validate(),
            Err(ArrangementError::OutsideYear { .. })
        ));
    }
}
