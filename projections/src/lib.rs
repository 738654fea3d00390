//! The read side (DESIGN §4): the projection runner and the read models built
//! from the log.
//!
//! - [`runner`]: catch-up and live application of batches, checkpoints claimed
//!   with `FOR UPDATE SKIP LOCKED` and written with the read model.
//! - [`status`]: the live status view, one row per case, with the audit entries
//!   and the provincial feed's records written from the same fold.
//! - [`feed`]: the DVCQG-shaped feed records and their delivery state.
//! - [`stats`]: daily counters and per-case facts for the Biểu 06 report.
//! - [`search`]: the blind index that finds an applicant's files by ID number,
//!   phone or name without holding them.
//! - [`queue`]: the queue tickets' visits to counters and their waiting times.
//! - [`portal_sync`]: how far the feed has reached the national portal, per case.
//! - [`notices`]: the outbox of notices to applicants and reminders to officers.
//! - [`forms`]: the desk's forms 01–07 as PDF and HTML, from a case's events.
//! - [`rebuild`]: a read model rebuilt from position 0 beside the live one,
//!   then swapped in.
//! - [`queries`]: what the API asks of the read models.

mod copy;
pub mod describe;
pub mod feed;
pub mod forms;
pub mod notices;
pub mod portal_sync;
pub mod queries;
pub mod queue;
pub mod rebuild;
pub mod runner;
pub mod search;
pub mod stats;
pub mod status;
pub mod work;

pub use runner::{Lag, Projection, ProjectionError, Runner, Step, lags, wait_for};
pub use search::SearchProjection;
pub use stats::StatsProjection;
pub use status::StatusProjection;
