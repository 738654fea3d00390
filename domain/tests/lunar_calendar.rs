//! The lunar calendar over two centuries: every day converts to a lunar date and
//! back, months are 29 or 30 days, and published leap months come out right.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use jiff::civil::{Date, date};
use onestop_domain::calendar::lunar::{LunarDate, LunarPeriod, civil_date, day_number_of, from_lunar, tet, to_lunar};

#[test]
fn every_day_from_1900_to_2100_round_trips() {
    let first = day_number_of(date(1900, 1, 1));
    let last = day_number_of(date(2100, 12, 31));
    let mut day = first;
    let mut previous: Option<LunarDate> = None;
    let mut checked = 0;
    while day <= last {
        let period = LunarPeriod::containing(day);
        let end = period.days().end.min(last + 1);
        while day < end {
            let lunar = period.lunar_date(day).unwrap();
            assert_eq!(period.day_number(lunar), Some(day), "{lunar:?}");
            if let Some(prev) = previous {
                if lunar.day == 1 {
                    // A new month begins after a 29th or a 30th.
                    assert!(prev.day == 29 || prev.day == 30, "{prev:?} then {lunar:?}");
                } else {
                    assert_eq!(lunar.day, prev.day + 1);
                    assert_eq!((lunar.month, lunar.leap), (prev.month, prev.leap));
                }
            }
            previous = Some(lunar);
            day += 1;
            checked += 1;
        }
    }
    assert_eq!(checked, last - first + 1);
}

#[test]
fn the_one_date_functions_agree_with_the_periods() {
    // A sample across the range, through the public one-date functions.
    let mut day = day_number_of(date(1900, 1, 31));
    while day < day_number_of(date(2100, 12, 1)) {
        let civil: Date = civil_date(day).unwrap();
        let lunar = to_lunar(civil);
        assert_eq!(from_lunar(lunar), Some(civil), "{civil} {lunar:?}");
        day += 97;
    }
}

#[test]
fn tet_always_falls_between_21_january_and_20_february() {
    for year in 1901..=2100 {
        let tet = tet(year).unwrap();
        assert!((date(year, 1, 21)..=date(year, 2, 20)).contains(&tet), "Tết {year} on {tet}");
        assert_eq!(to_lunar(tet), LunarDate::new(i32::from(year), 1, 1));
    }
}

#[test]
fn published_leap_months_come_out_right() {
    // (lunar year, leap month, civil date of its first day)
    let published = [
        (2012, 4, date(2012, 5, 21)),
        (2014, 9, date(2014, 10, 24)),
        (2017, 6, date(2017, 7, 23)),
        (2020, 4, date(2020, 5, 23)),
        (2023, 2, date(2023, 3, 22)),
        (2025, 6, date(2025, 7, 25)),
    ];
    for (year, month, first_day) in published {
        let leap = LunarDate { year, month, day: 1, leap: true };
        assert_eq!(from_lunar(leap), Some(first_day), "leap {month}/{year}");
        assert_eq!(to_lunar(first_day), leap);
    }
    // Seven leap months in every nineteen years (the Metonic cycle), give or take one.
    let leaps = (1900..1995).filter(|&y| LunarPeriod::starting_in(y).leap_month().is_some()).count();
    assert!((34..=36).contains(&leaps), "{leaps} leap months in 95 years");
}
