//! The days off of every year 1990–2040 against references made apart from the
//! calendar's code: the published arrangements, written out day by day from the
//! Government's notices; for the other years, the laws' rules applied by a
//! plain reference written here, to dates of Tết taken from the published
//! Vietnamese lunar calendar.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use onestop_domain::calendar::lunar::{LunarDate, from_lunar, tet};
use onestop_domain::calendar::{WorkingCalendar, published_arrangements};

/// Tết (1/1 of the lunar year) as the Vietnamese calendar published it.
const TET: [(i16, i8, i8); 51] = [
    (1990, 1, 27),
    (1991, 2, 15),
    (1992, 2, 4),
    (1993, 1, 23),
    (1994, 2, 10),
    (1995, 1, 31),
    (1996, 2, 19),
    (1997, 2, 7),
    (1998, 1, 28),
    (1999, 2, 16),
    (2000, 2, 5),
    (2001, 1, 24),
    (2002, 2, 12),
    (2003, 2, 1),
    (2004, 1, 22),
    (2005, 2, 9),
    (2006, 1, 29),
    (2007, 2, 17),
    (2008, 2, 7),
    (2009, 1, 26),
    (2010, 2, 14),
    (2011, 2, 3),
    (2012, 1, 23),
    (2013, 2, 10),
    (2014, 1, 31),
    (2015, 2, 19),
    (2016, 2, 8),
    (2017, 1, 28),
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    // The new moon is at 23:07 on 2 February in UTC+7, 00:07 on the 3rd in
    // China's time: Vietnam's Tết is a day before China's.
    (2030, 2, 2),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
    (2036, 1, 28),
    (2037, 2, 15),
    (2038, 2, 4),
    (2039, 1, 24),
    (2040, 2, 12),
];

/// Days of a year as (month, day).
type Days = Vec<(i8, i8)>;

/// What each published year's notices give: weekdays off and weekend days
/// worked, every one of them (holidays, make-up days, swaps).
#[rustfmt::skip]
fn published(year: i16) -> Option<(Days, Days)> {
    type Listed = &'static [(i8, i8)];
    let (off, worked): (Listed, Listed) = match year {
        2010 => (
            &[(1, 1), (2, 15), (2, 16), (2, 17), (2, 18), (2, 19), (4, 23), (4, 30), (5, 3), (9, 2), (9, 3)],
            &[(2, 27), (9, 11)],
        ),
        2011 => (
            &[(1, 3), (1, 31), (2, 1), (2, 2), (2, 3), (2, 4), (2, 7), (4, 11), (4, 12), (5, 2), (5, 3), (9, 2)],
            &[(1, 29), (1, 30), (4, 9)],
        ),
        2012 => (
            &[(1, 2), (1, 23), (1, 24), (1, 25), (1, 26), (1, 27), (4, 2), (4, 30), (5, 1), (9, 3), (12, 31)],
            &[(2, 4)],
        ),
        2013 => (
            &[(1, 1), (2, 11), (2, 12), (2, 13), (2, 14), (2, 15), (4, 19), (4, 29), (4, 30), (5, 1), (9, 2)],
            &[(1, 5), (2, 23), (5, 4)],
        ),
        2014 => (
            &[(1, 1), (1, 28), (1, 29), (1, 30), (1, 31), (2, 3), (2, 4), (2, 5), (4, 9), (4, 30), (5, 1), (5, 2), (9, 1), (9, 2)],
            &[(1, 25), (2, 8), (4, 26), (9, 6), (12, 27)],
        ),
        2015 => (
            &[(1, 1), (1, 2), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (2, 23), (4, 28), (4, 29), (4, 30), (5, 1), (9, 2)],
            &[(2, 14), (4, 25)],
        ),
        2016 => (
            &[(1, 1), (2, 8), (2, 9), (2, 10), (2, 11), (2, 12), (4, 18), (5, 2), (5, 3), (9, 2)],
            &[],
        ),
        2017 => (
            &[(1, 2), (1, 26), (1, 27), (1, 30), (1, 31), (2, 1), (4, 6), (5, 1), (5, 2), (9, 4)],
            &[],
        ),
        2018 => (
            &[(1, 1), (2, 14), (2, 15), (2, 16), (2, 19), (2, 20), (4, 25), (4, 30), (5, 1), (9, 3), (12, 31)],
            &[],
        ),
        2019 => (
            &[(1, 1), (2, 4), (2, 5), (2, 6), (2, 7), (2, 8), (4, 15), (4, 29), (4, 30), (5, 1), (9, 2)],
            &[(1, 5), (5, 4)],
        ),
        2020 => (
            &[(1, 1), (1, 23), (1, 24), (1, 27), (1, 28), (1, 29), (4, 2), (4, 30), (5, 1), (9, 2)],
            &[],
        ),
        2021 => (
            &[(1, 1), (2, 10), (2, 11), (2, 12), (2, 15), (2, 16), (4, 21), (4, 30), (5, 3), (9, 2), (9, 3)],
            &[],
        ),
        2022 => (
            &[(1, 3), (1, 31), (2, 1), (2, 2), (2, 3), (2, 4), (4, 11), (5, 2), (5, 3), (9, 1), (9, 2)],
            &[],
        ),
        2023 => (
            &[(1, 2), (1, 20), (1, 23), (1, 24), (1, 25), (1, 26), (5, 1), (5, 2), (5, 3), (9, 1), (9, 4)],
            &[],
        ),
        2024 => (
            &[(1, 1), (2, 8), (2, 9), (2, 12), (2, 13), (2, 14), (4, 18), (4, 29), (4, 30), (5, 1), (9, 2), (9, 3)],
            &[(5, 4)],
        ),
        2025 => (
            &[(1, 1), (1, 27), (1, 28), (1, 29), (1, 30), (1, 31), (4, 7), (4, 30), (5, 1), (5, 2), (9, 1), (9, 2)],
            &[(4, 26)],
        ),
        2026 => (
            &[(1, 1), (1, 2), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (4, 27), (4, 30), (5, 1), (8, 31), (9, 1), (9, 2), (11, 24)],
            &[(1, 10), (8, 22)],
        ),
        _ => return None,
    };
    Some((off.to_vec(), worked.to_vec()))
}

fn rest(d: Date) -> bool {
    d.weekday() == Weekday::Sunday || (d.weekday() == Weekday::Saturday && d >= date(1999, 10, 2))
}

/// The laws' rules for a year with no arrangement, written out plainly.
fn by_the_rules(year: i16) -> BTreeSet<Date> {
    let (_, m, d) = TET.iter().find(|(y, ..)| *y == year).copied().unwrap();
    let tet = date(year, m, d);
    // Groups of holiday days: each group is made up as one.
    let mut groups: Vec<(Vec<Date>, bool)> = Vec::new();
    let tet_days = if year <= 2013 { 4 } else { 5 };
    let block: Vec<Date> = (0..tet_days).map(|i| tet - 1.days() + i.days()).collect();
    groups.push((block, year >= 2014));
    groups.push((vec![date(year, 1, 1)], false));
    groups.push((vec![date(year, 4, 30)], false));
    groups.push((vec![date(year, 5, 1)], false));
    let national = date(year, 9, 2);
    if year >= 2021 {
        let extra = match national.weekday() {
            Weekday::Monday | Weekday::Thursday | Weekday::Sunday => date(year, 9, 3),
            _ => date(year, 9, 1),
        };
        let mut days = vec![national, extra];
        days.sort();
        groups.push((days, false));
    } else {
        groups.push((vec![national], false));
    }
    if year >= 2007 {
        groups.push((vec![from_lunar(LunarDate::new(i32::from(year), 3, 10)).unwrap()], false));
    }
    if year >= 2026 {
        groups.push((vec![date(year, 11, 24)], false));
    }
    let holidays: BTreeSet<Date> = groups.iter().flat_map(|(g, _)| g.iter().copied()).collect();
    let mut off: BTreeSet<Date> = holidays.iter().copied().filter(|d| !rest(*d)).collect();
    let mut pending: Vec<(Date, Date, Date, bool)> = Vec::new();
    for (days, tet_practice) in &groups {
        for &d in days {
            if rest(d) {
                pending.push((d, days[0], *days.last().unwrap(), *tet_practice));
            }
        }
    }
    pending.sort();
    for (d, first, last, tet_practice) in pending {
        let backwards = tet_practice && d.weekday() == Weekday::Saturday;
        let step = if backwards { -1 } else { 1 };
        let mut c = if backwards { first - 1.days() } else { last + 1.days() };
        while rest(c) || holidays.contains(&c) || off.contains(&c) {
            c += step.days();
        }
        off.insert(c);
    }
    off
}

#[test]
fn tet_falls_where_the_vietnamese_calendar_puts_it_1990_2040() {
    for (y, m, d) in TET {
        assert_eq!(tet(y), Some(date(y, m, d)), "Tết {y}");
    }
}

#[test]
fn days_off_1990_2040_are_the_published_ones_or_the_rules() {
    let calendar = WorkingCalendar::vietnam();
    let shipped: BTreeSet<i16> = published_arrangements().iter().map(|a| a.year).collect();
    for year in 1990..=2040 {
        let computed = calendar.year(year).unwrap();
        match published(year) {
            Some((off, worked)) => {
                assert!(shipped.contains(&year), "{year} is published but not shipped");
                let off: BTreeSet<Date> = off.iter().map(|&(m, d)| date(year, m, d)).collect();
                let worked: BTreeSet<Date> = worked.iter().map(|&(m, d)| date(year, m, d)).collect();
                assert_eq!(computed.days_off, off, "days off in {year}");
                assert_eq!(computed.weekend_days_worked, worked, "weekend days worked in {year}");
            }
            None => {
                assert!(!shipped.contains(&year), "{year} is shipped without a reference");
                assert_eq!(computed.days_off, by_the_rules(year), "days off in {year}");
                assert!(computed.weekend_days_worked.is_empty(), "{year}");
            }
        }
    }
}

#[test]
fn tet_on_a_saturday_is_made_up_before_it_in_2021_2023_and_forecast_2027() {
    let calendar = WorkingCalendar::vietnam();
    let off = |y: i16| calendar.year(y).unwrap().days_off.clone();
    // 2021: 10–16 February (Sat 13 made up on Wed 10, Sun 14 on Tue 16).
    for d in [10, 11, 12, 15, 16] {
        assert!(off(2021).contains(&date(2021, 2, d)), "{d} Feb 2021");
    }
    assert!(!off(2021).contains(&date(2021, 2, 17)));
    // 2023: 20–26 January.
    for d in [20, 23, 24, 25, 26] {
        assert!(off(2023).contains(&date(2023, 1, d)), "{d} Jan 2023");
    }
    assert!(!off(2023).contains(&date(2023, 1, 27)));
    // 2027, not yet published: Tết is Saturday 6 February; 29 Tết (Thu 4) for
    // the Saturday, Wed 10 for the Sunday.
    let tet_2027: BTreeSet<Date> = off(2027).into_iter().filter(|d| d.month() == 2).collect();
    assert_eq!(tet_2027, [4, 5, 8, 9, 10].into_iter().map(|d| date(2027, 2, d)).collect());
}

#[test]
fn culture_day_from_2026_with_its_monday_make_up() {
    let calendar = WorkingCalendar::vietnam();
    assert!(!calendar.is_working_day(date(2026, 11, 24)));
    assert!(calendar.is_working_day(date(2025, 11, 24)));
    // 24/11/2029 is a Saturday: made up on Monday 26.
    assert!(!calendar.is_working_day(date(2029, 11, 26)));
    assert!(calendar.is_working_day(date(2029, 11, 27)));
    assert!(!calendar.is_working_day(date(2027, 11, 24)));
}

#[test]
fn eras_giving_hung_kings_day_from_2007_and_a_second_national_day_from_2021() {
    let calendar = WorkingCalendar::vietnam();
    // Giỗ Tổ: 10/3 lunar, Fri 7 April 2006 (not yet a holiday), Thu 26 April 2007.
    assert_eq!(from_lunar(LunarDate::new(2006, 3, 10)), Some(date(2006, 4, 7)));
    assert!(calendar.is_working_day(date(2006, 4, 7)));
    assert_eq!(from_lunar(LunarDate::new(2007, 3, 10)), Some(date(2007, 4, 26)));
    assert!(!calendar.is_working_day(date(2007, 4, 26)));
    // 2/9/2020 was a Wednesday and stood alone; 2/9/2021, a Thursday, had Friday 3.
    assert!(calendar.is_working_day(date(2020, 9, 1)));
    assert!(calendar.is_working_day(date(2020, 9, 3)));
    assert!(!calendar.is_working_day(date(2021, 9, 3)));
    // Tết of four days until 2013: 1995 (Tuesday 31 January): 30, 31 Jan, 1, 2 Feb.
    let tet_1995: BTreeSet<Date> =
        calendar.year(1995).unwrap().days_off.iter().copied().filter(|d| d.month() <= 2).collect();
    assert_eq!(
        tet_1995,
        [date(1995, 1, 2), date(1995, 1, 30), date(1995, 1, 31), date(1995, 2, 1), date(1995, 2, 2)]
            .into_iter()
            .collect(),
        "1 Jan 1995 was a Sunday, made up on Monday 2"
    );
}

#[test]
fn saturdays_were_worked_until_october_1999() {
    let calendar = WorkingCalendar::vietnam();
    assert!(calendar.is_working_day(date(1999, 9, 25)));
    assert!(!calendar.is_working_day(date(1999, 10, 2)));
    assert!(calendar.is_working_day(date(1990, 6, 16)));
    assert!(calendar.year(1990).is_some() && calendar.year(2100).is_some());
}
