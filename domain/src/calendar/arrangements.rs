//! The civil service's days off as the Government published them, year by year,
//! where they depart from (or confirm) the rules: each entry names its source.

use jiff::civil::{Date, date};

use super::holidays::{DaySwap, YearArrangement};

fn days(year: i16, month: i8, range: std::ops::RangeInclusive<i8>) -> Vec<Date> {
    range.map(|d| date(year, month, d)).collect()
}

fn swap(day_off: Date, saturday_worked: Date) -> DaySwap {
    DaySwap { day_off, saturday_worked }
}

/// Every arrangement shipped, oldest first: 2010–2026, each year the
/// Government's published days off for the civil service (cán bộ, công chức,
/// viên chức). Where a swap joins two Gregorian years (a weekday off in late
/// December for a Saturday worked in early January), each year keeps its own
/// half as an extra day off or an extra working day.
///
/// Sources (VPCP: Văn phòng Chính phủ, conveying the Prime Minister's decision
/// on the Ministry of Labour's proposal; LĐTBXH: the Ministry's notice):
/// - 2010: Tết (off 19 Feb for Sat 27 Feb) as the Prime Minister decided,
///   reported by Hà Nội Mới 6/2/2010; Quốc khánh (off 3 Sep for Sat 11 Sep):
///   Công văn 5971/VPCP-KGVX, 8/2010.
/// - 2011: Công văn 9529/VPCP-KGVX ngày 31/12/2010 (Tết: off 31 Jan and 1 Feb
///   for Sat 29 and Sun 30 Jan; Giỗ Tổ: off 11 Apr for Sat 9 Apr).
/// - 2012: Công văn 9197/VPCP-KGVX ngày 27/12/2011 (Tết: off 27 Jan for Sat
///   4 Feb); 31 Dec 2012 off for Sat 5 Jan 2013: Công văn 9570/VPCP-KGVX.
/// - 2013: Công văn 9570/VPCP-KGVX ngày 23/11/2012 (Tết: off 15 Feb for Sat
///   23 Feb; off 29 Apr for Sat 4 May; Sat 5 Jan worked for 31 Dec 2012).
/// - 2014: Công văn 10525/VPCP-KGVX ngày 12/12/2013 (Tết: off 28 and 29 Jan
///   for Sat 25 Jan and Sat 8 Feb; off 2 May for Sat 26 Apr; off 1 Sep for
///   Sat 6 Sep; Sat 27 Dec worked for 2 Jan 2015).
/// - 2015: the Prime Minister's approval of 1/12/2014 on Tờ trình
///   89/TTr-LĐTBXH, as the Ministry announced it (off 2 Jan for Sat 27 Dec 2014;
///   Tết: off 16 Feb for Sat 14 Feb; off 29 Apr for Sat 25 Apr).
/// - 2016: Thông báo 4659/TB-LĐTBXH ngày 13/11/2015 (no swaps).
/// - 2017: Công văn 9794/VPCP-KGVX ngày 14/11/2016 (no swaps).
/// - 2018: Thông báo 573/TB-VPCP ngày 14/12/2017 (no swaps; 31 Dec 2018 off
///   for Sat 5 Jan 2019: Công văn 6519/VPCP-KGVX).
/// - 2019: Công văn 6519/VPCP-KGVX ngày 11/7/2018 and Thông báo
///   3238/TB-LĐTBXH (Sat 5 Jan worked for 31 Dec 2018; off 29 Apr for Sat 4 May).
/// - 2020: Công văn 9087/VPCP-KGVX ngày 07/10/2019 (no swaps).
/// - 2021: Công văn 9895/VPCP-KGVX ngày 26/11/2020 (Quốc khánh with 3 Sep).
/// - 2022: Công văn 245/VPCP-KGVX ngày 11/01/2022 (Quốc khánh with 1 Sep).
/// - 2023: Công văn 8056/VPCP-KGVX ngày 01/12/2022 and Thông báo
///   5034/TB-LĐTBXH (Quốc khánh with 1 Sep).
/// - 2024: Thông báo of the Ministry of Labour for 2024 (Tết 8–14 Feb; off
///   29 Apr for Sat 4 May; Quốc khánh with 3 Sep).
/// - 2025: Tết 27–31 Jan; off 2 May for Sat 26 Apr; Quốc khánh with 1 Sep.
/// - 2026: Tết 16–20 Feb; off 2 Jan for Sat 10 Jan; off 31 Aug for Sat 22 Aug;
///   Quốc khánh with 1 Sep.
///
/// The 2024–2026 entries are the ones DESIGN.md lists.
pub fn published_arrangements() -> Vec<YearArrangement> {
    let tet = |year: i16, dates: &[(i8, i8)]| Some(dates.iter().map(|&(m, d)| date(year, m, d)).collect());
    vec![
        YearArrangement {
            year: 2010,
            tet_days_off: tet(2010, &[(2, 15), (2, 16), (2, 17), (2, 18)]),
            swaps: vec![swap(date(2010, 2, 19), date(2010, 2, 27)), swap(date(2010, 9, 3), date(2010, 9, 11))],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2011,
            tet_days_off: tet(2011, &[(2, 2), (2, 3), (2, 4), (2, 7)]),
            swaps: vec![swap(date(2011, 1, 31), date(2011, 1, 29)), swap(date(2011, 4, 11), date(2011, 4, 9))],
            // 1 February off for Sunday 30 January worked.
            extra_days_off: vec![date(2011, 2, 1)],
            extra_working_days: vec![date(2011, 1, 30)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2012,
            tet_days_off: tet(2012, &[(1, 23), (1, 24), (1, 25), (1, 26)]),
            swaps: vec![swap(date(2012, 1, 27), date(2012, 2, 4))],
            extra_days_off: vec![date(2012, 12, 31)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2013,
            tet_days_off: tet(2013, &[(2, 11), (2, 12), (2, 13), (2, 14)]),
            swaps: vec![swap(date(2013, 2, 15), date(2013, 2, 23)), swap(date(2013, 4, 29), date(2013, 5, 4))],
            extra_working_days: vec![date(2013, 1, 5)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2014,
            tet_days_off: tet(2014, &[(1, 30), (1, 31), (2, 3), (2, 4), (2, 5)]),
            swaps: vec![
                swap(date(2014, 1, 28), date(2014, 1, 25)),
                swap(date(2014, 1, 29), date(2014, 2, 8)),
                swap(date(2014, 5, 2), date(2014, 4, 26)),
                swap(date(2014, 9, 1), date(2014, 9, 6)),
            ],
            extra_working_days: vec![date(2014, 12, 27)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2015,
            tet_days_off: tet(2015, &[(2, 17), (2, 18), (2, 19), (2, 20), (2, 23)]),
            swaps: vec![swap(date(2015, 2, 16), date(2015, 2, 14)), swap(date(2015, 4, 29), date(2015, 4, 25))],
            extra_days_off: vec![date(2015, 1, 2)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2016,
            tet_days_off: tet(2016, &[(2, 8), (2, 9), (2, 10), (2, 11), (2, 12)]),
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2017,
            tet_days_off: tet(2017, &[(1, 26), (1, 27), (1, 30), (1, 31), (2, 1)]),
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2018,
            tet_days_off: tet(2018, &[(2, 14), (2, 15), (2, 16), (2, 19), (2, 20)]),
            extra_days_off: vec![date(2018, 12, 31)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2019,
            tet_days_off: Some(days(2019, 2, 4..=8)),
            swaps: vec![swap(date(2019, 4, 29), date(2019, 5, 4))],
            extra_working_days: vec![date(2019, 1, 5)],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2020,
            tet_days_off: tet(2020, &[(1, 23), (1, 24), (1, 27), (1, 28), (1, 29)]),
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2021,
            tet_days_off: tet(2021, &[(2, 10), (2, 11), (2, 12), (2, 15), (2, 16)]),
            national_day_extra: Some(date(2021, 9, 3)),
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2022,
            tet_days_off: tet(2022, &[(1, 31), (2, 1), (2, 2), (2, 3), (2, 4)]),
            national_day_extra: Some(date(2022, 9, 1)),
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2023,
            tet_days_off: tet(2023, &[(1, 20), (1, 23), (1, 24), (1, 25), (1, 26)]),
            national_day_extra: Some(date(2023, 9, 1)),
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2024,
            tet_days_off: tet(2024, &[(2, 8), (2, 9), (2, 12), (2, 13), (2, 14)]),
            national_day_extra: Some(date(2024, 9, 3)),
            swaps: vec![swap(date(2024, 4, 29), date(2024, 5, 4))],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2025,
            tet_days_off: Some(days(2025, 1, 27..=31)),
            national_day_extra: Some(date(2025, 9, 1)),
            swaps: vec![swap(date(2025, 5, 2), date(2025, 4, 26))],
            ..YearArrangement::default()
        },
        YearArrangement {
            year: 2026,
            tet_days_off: Some(days(2026, 2, 16..=20)),
            national_day_extra: Some(date(2026, 9, 1)),
            swaps: vec![swap(date(2026, 1, 2), date(2026, 1, 10)), swap(date(2026, 8, 31), date(2026, 8, 22))],
            ..YearArrangement::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_arrangements_are_valid() {
        for a in published_arrangements() {
            assert_eq!(a.validate(), Ok(()), "{}", a.year);
        }
    }
}
