//! Reads that show the caller's own writes: a read of a projection waits,
//! boundedly, until it has caught up with what this process has written.

use std::time::Duration;

use onestop_projections::wait_for;

use crate::problem::Problem;
use crate::state::AppState;

/// Longest a read waits for the status view to show this process's own writes.
const READ_YOUR_WRITES: Duration = Duration::from_secs(3);

/// Waits (boundedly) until the status view shows what this process wrote.
pub(crate) async fn caught_up(state: &AppState) -> Result<(), Problem> {
    caught_up_with(state, onestop_projections::status::NAME).await
}

/// Waits (boundedly) until `projection` shows what this process wrote.
pub(crate) async fn caught_up_with(state: &AppState, projection: &str) -> Result<(), Problem> {
    let written = state.written();
    if written > onestop_store::Checkpoint::START {
        wait_for(&state.pool, projection, written, READ_YOUR_WRITES).await?;
    }
    Ok(())
}
