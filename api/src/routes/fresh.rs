//! Reads that show the caller's own writes: a read of a projection waits,
//! boundedly, until it has caught up with what this process has written. A
//! projection still behind after the bound is answered 503 with
//! `Retry-After`, never with a view that lacks the caller's own change.

use std::time::Duration;

use onestop_projections::wait_for;

use crate::problem::Problem;
use crate::state::AppState;

/// Longest a read waits for the status view to show this process's own
/// writes: far above a live runner's lag (milliseconds), so it is met only
/// when the machine is overloaded or a runner is stuck.
const READ_YOUR_WRITES: Duration = Duration::from_secs(10);

/// Waits (boundedly) until the status view shows what this process wrote.
pub(crate) async fn caught_up(state: &AppState) -> Result<(), Problem> {
    caught_up_with(state, onestop_projections::status::NAME).await
}

/// Waits (boundedly) until `projection` shows what this process wrote.
pub(crate) async fn caught_up_with(state: &AppState, projection: &str) -> Result<(), Problem> {
    let written = state.written();
    if written > onestop_store::Checkpoint::START
        && !wait_for(&state.pool, projection, written, READ_YOUR_WRITES).await?
    {
        tracing::warn!(projection, "a read waited in vain for the read model to show this process's writes");
        let mut problem = Problem::unavailable();
        problem.detail = Some(format!("the {projection} view is catching up with recent changes; retry shortly"));
        return Err(problem);
    }
    Ok(())
}
