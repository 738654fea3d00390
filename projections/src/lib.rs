//! The read side (DESIGN §4): the projection runner and the read models built
//! from the log.
//!
//! - [`runner`]: catch-up and live application of batches, checkpoints claimed
//!   with `FOR UPDATE SKIP LOCKED` and written with the read model.
//! - [`status`]: the live status view, one row per case.
//! - [`queries`]: what the API asks of the read models.

pub mod queries;
pub mod runner;
pub mod status;

pub use runner::{Lag, Projection, ProjectionError, Runner, Step, lags, wait_for};
pub use status::StatusProjection;
