//! Fields of requests parsed the same way everywhere, each refused with a 422
//! naming it.

use jiff::civil::Time;
use onestop_domain::ids::UnitCode;

use crate::problem::Problem;

pub(crate) fn unit_code(field: &str, value: &str) -> Result<UnitCode, Problem> {
    value.parse().map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field(field, e))
}

/// A time of day as the catalog writes it, `HH:MM` (24-hour).
pub const TIME_OF_DAY_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

pub(crate) fn clock(field: &str, value: &str) -> Result<Time, Problem> {
    let bytes = value.as_bytes();
    let well_formed = bytes.len() == 5 && bytes[2] == b':' && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    well_formed
        .then(|| value.parse::<Time>().ok())
        .flatten()
        .ok_or_else(|| Problem::invalid_field(field, "must be a time of day, e.g. 07:30"))
}
