//! The replay tool's work, as a library so that tests and benchmarks drive the
//! very code the `onestop-replay` command runs.
//!
//! It may use the command layer as well as the store and the projections
//! (DESIGN §1 lists store and projections): `simulate` sends its traffic through
//! [`onestop_commands::cases::CaseService`] so that every simulated event was
//! decided by the real rules.
//!
//! - [`cli`]: the command line and each command's run.
//! - [`as_of`]: a case or a report as it stood at a past moment.
//! - [`export`]: the log as NDJSON, CSV or Parquet, personal data withheld
//!   unless an administrator asks.
//! - [`reports`]: reports defined in a few lines of Rust, replayed from the
//!   log into a table and CSV (median processing time, supplement rate).
//! - [`simulate`]: a province-year of traffic and its ground-truth Biểu 06.

pub mod as_of;
pub mod cli;
pub mod export;
pub mod reports;
pub mod simulate;
