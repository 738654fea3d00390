//! The little astronomy the Vietnamese lunar calendar needs, after Jean Meeus,
//! *Astronomical Algorithms* (2nd ed.): the instants of new moons (ch. 49) and the
//! Sun's apparent longitude (ch. 25, lower accuracy, ~0.01°), with ΔT = TT − UT
//! from the Espenak–Meeus polynomials so that instants land on the right civil day.
//!
//! Day numbers are Julian Day Numbers (an integer naming a civil date, the day
//! that begins at local midnight); instants are Julian Dates (fractional days).

use std::f64::consts::PI;

/// Mean length of a lunation (synodic month), in days.
pub const SYNODIC_MONTH: f64 = 29.530_588_861;

/// Julian Date of the mean new moon numbered 0 (6 January 2000).
const EPOCH_NEW_MOON: f64 = 2_451_550.097_66;

fn sin_deg(degrees: f64) -> f64 {
    (degrees * PI / 180.0).sin()
}

/// The Julian Day Number of a Gregorian date.
pub fn day_number(year: i32, month: i32, day: i32) -> i64 {
    let a = (14 - month) / 12;
    let y = i64::from(year + 4800 - a);
    let m = i64::from(month + 12 * a - 3);
    i64::from(day) + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32_045
}

/// The Gregorian date of a Julian Day Number.
pub fn date_of_day_number(jdn: i64) -> (i32, i32, i32) {
    let a = jdn + 32_044;
    let b = (4 * a + 3) / 146_097;
    let c = a - 146_097 * b / 4;
    let d = (4 * c + 3) / 1461;
    let e = c - 1461 * d / 4;
    let m = (5 * e + 2) / 153;
    let day = e - (153 * m + 2) / 5 + 1;
    let month = m + 3 - 12 * (m / 10);
    let year = 100 * b + d - 4800 + m / 10;
    // Values are bounded by the input range used here (years 1–9999).
    (year as i32, month as i32, day as i32)
}

/// ΔT = TT − UT in seconds for a (fractional) year, Espenak & Meeus (2006).
fn delta_t_seconds(year: f64) -> f64 {
    match year {
        y if y < 1900.0 => {
            let t = y - 1860.0;
            7.62 + 0.5737 * t - 0.251_754 * t.powi(2) + 0.016_806_68 * t.powi(3) - 0.000_447_362_4 * t.powi(4)
                + t.powi(5) / 233_174.0
        }
        y if y < 1920.0 => {
            let t = y - 1900.0;
            -2.79 + 1.494_119 * t - 0.059_893_9 * t.powi(2) + 0.006_196_6 * t.powi(3) - 0.000_197 * t.powi(4)
        }
        y if y < 1941.0 => {
            let t = y - 1920.0;
            21.20 + 0.844_93 * t - 0.076_100 * t.powi(2) + 0.002_093_6 * t.powi(3)
        }
        y if y < 1961.0 => {
            let t = y - 1950.0;
            29.07 + 0.407 * t - t.powi(2) / 233.0 + t.powi(3) / 2547.0
        }
        y if y < 1986.0 => {
            let t = y - 1975.0;
            45.45 + 1.067 * t - t.powi(2) / 260.0 - t.powi(3) / 718.0
        }
        y if y < 2005.0 => {
            let t = y - 2000.0;
            63.86 + 0.3345 * t - 0.060_374 * t.powi(2)
                + 0.001_727_5 * t.powi(3)
                + 0.000_651_814 * t.powi(4)
                + 0.000_023_735_99 * t.powi(5)
        }
        y if y < 2050.0 => {
            let t = y - 2000.0;
            62.92 + 0.322_17 * t + 0.005_589 * t.powi(2)
        }
        y if y < 2150.0 => {
            let u = (y - 1820.0) / 100.0;
            -20.0 + 32.0 * u.powi(2) - 0.5628 * (2150.0 - y)
        }
        y => {
            let u = (y - 1820.0) / 100.0;
            -20.0 + 32.0 * u.powi(2)
        }
    }
}

/// ΔT in days at an instant given as a Julian Date.
fn delta_t_days(jd: f64) -> f64 {
    let year = 2000.0 + (jd - 2_451_545.0) / 365.25;
    delta_t_seconds(year) / 86_400.0
}

/// The instant (Julian Date, Universal Time) of true new moon number `k`, where
/// k = 0 is the new moon of 6 January 2000 and each unit is one lunation.
pub fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let (t2, t3, t4) = (t * t, t * t * t, t * t * t * t);

    let mean = EPOCH_NEW_MOON + SYNODIC_MONTH * k + 0.000_154_37 * t2 - 0.000_000_150 * t3 + 0.000_000_000_73 * t4;
    // Eccentricity of the Earth's orbit, and the Sun's and Moon's anomalies,
    // the Moon's argument of latitude and the longitude of its ascending node.
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    let m = 2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3;
    let mp = 201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4;
    let f = 160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4;
    let omega = 124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3;

    let periodic = -0.407_20 * sin_deg(mp)
        + 0.172_41 * e * sin_deg(m)
        + 0.016_08 * sin_deg(2.0 * mp)
        + 0.010_39 * sin_deg(2.0 * f)
        + 0.007_39 * e * sin_deg(mp - m)
        - 0.005_14 * e * sin_deg(mp + m)
        + 0.002_08 * e * e * sin_deg(2.0 * m)
        - 0.001_11 * sin_deg(mp - 2.0 * f)
        - 0.000_57 * sin_deg(mp + 2.0 * f)
        + 0.000_56 * e * sin_deg(2.0 * mp + m)
        - 0.000_42 * sin_deg(3.0 * mp)
        + 0.000_42 * e * sin_deg(m + 2.0 * f)
        + 0.000_38 * e * sin_deg(m - 2.0 * f)
        - 0.000_24 * e * sin_deg(2.0 * mp - m)
        - 0.000_17 * sin_deg(omega)
        - 0.000_07 * sin_deg(mp + 2.0 * m)
        + 0.000_04 * sin_deg(2.0 * mp - 2.0 * f)
        + 0.000_04 * sin_deg(3.0 * m)
        + 0.000_03 * sin_deg(mp + m - 2.0 * f)
        + 0.000_03 * sin_deg(2.0 * mp + 2.0 * f)
        - 0.000_03 * sin_deg(mp + m + 2.0 * f)
        + 0.000_03 * sin_deg(mp - m + 2.0 * f)
        - 0.000_02 * sin_deg(mp - m - 2.0 * f)
        - 0.000_02 * sin_deg(3.0 * mp + m)
        + 0.000_02 * sin_deg(4.0 * mp);

    // Perturbations by the planets.
    const PLANETARY: [(f64, f64, f64); 13] = [
        (251.88, 0.016_321, 0.000_165),
        (251.83, 26.651_886, 0.000_164),
        (349.42, 36.412_478, 0.000_126),
        (84.66, 18.206_239, 0.000_110),
        (141.74, 53.303_771, 0.000_062),
        (207.14, 2.453_732, 0.000_060),
        (154.84, 7.306_860, 0.000_056),
        (34.52, 27.261_239, 0.000_047),
        (207.19, 0.121_824, 0.000_042),
        (291.34, 1.844_379, 0.000_040),
        (161.72, 24.198_154, 0.000_037),
        (239.56, 25.513_099, 0.000_035),
        (331.55, 3.592_518, 0.000_023),
    ];
    let a1 = 299.77 + 0.107_408 * k - 0.009_173 * t2;
    let planetary = 0.000_325 * sin_deg(a1)
        + PLANETARY.iter().map(|(base, rate, coefficient)| coefficient * sin_deg(base + rate * k)).sum::<f64>();

    let dynamical = mean + periodic + planetary;
    dynamical - delta_t_days(dynamical)
}

/// The Sun's apparent geocentric longitude, in degrees [0, 360), at an instant
/// given as a Julian Date in Universal Time.
pub fn sun_longitude(jd_ut: f64) -> f64 {
    let t = (jd_ut + delta_t_days(jd_ut) - 2_451_545.0) / 36_525.0;
    let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t;
    let m = 357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t;
    let center = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * sin_deg(m)
        + (0.019_993 - 0.000_101 * t) * sin_deg(2.0 * m)
        + 0.000_289 * sin_deg(3.0 * m);
    let omega = 125.04 - 1934.136 * t;
    let apparent = l0 + center - 0.005_69 - 0.004_78 * sin_deg(omega);
    apparent.rem_euclid(360.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_match_known_values() {
        assert_eq!(day_number(2000, 1, 1), 2_451_545);
        assert_eq!(day_number(1900, 1, 1), 2_415_021);
        for jdn in (2_400_000..2_500_000).step_by(37) {
            let (y, m, d) = date_of_day_number(jdn);
            assert_eq!(day_number(y, m, d), jdn);
        }
    }

    #[test]
    fn new_moon_of_meeus_example_49a() {
        // Meeus example 49.a: the new moon of February 1977 (k = -283) is at
        // JDE 2443192.65118; ΔT was about 48 s.
        let ut = new_moon(-283);
        assert!((ut + 48.0 / 86_400.0 - 2_443_192.651_18).abs() < 0.000_1, "{ut}");
    }

    #[test]
    fn sun_longitude_of_meeus_example_25a() {
        // Meeus example 25.a: 1992 October 13.0 TD, apparent longitude 199.908 94°
        // (lower accuracy method: 199.909 88°).
        let jd_ut = 2_448_908.5 - 59.0 / 86_400.0;
        assert!((sun_longitude(jd_ut) - 199.909_88).abs() < 0.001);
    }
}
