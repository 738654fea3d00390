//! The clock: extending the deadline, pausing and resuming.

use jiff::Timestamp;

use crate::calendar::Schedule;
use crate::case::error::DomainError;
use crate::case::event::*;
use crate::case::state::{CaseState, PauseKind, Phase};
use crate::catalog::PauseMode;

use super::checks::{OPEN, UNDER_WAY, document, invalid_state, reason_in, require_phase, text};
use super::context::{Ask, Context, Decision};

pub(super) fn extend(ask: Ask<'_>, new_due_at: Timestamp, reason: String, apology_letter: DocumentRef) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, UNDER_WAY)?;
    if state.extended {
        return Err(DomainError::AlreadyExtended);
    }
    let current = state.due_at.ok_or_else(|| invalid_state(state, action))?;
    if new_due_at <= current {
        return Err(DomainError::ExtensionNotLater);
    }
    Ok(DeadlineExtended {
        at: ctx.now,
        previous_due_at: current,
        due_at: new_due_at,
        reason: text(action, "reason", reason)?,
        apology_letter: document(action, apology_letter)?,
    }
    .into())
}

pub(super) fn pause(ask: Ask<'_>, reason: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    Ok(CasePaused { at: ctx.now, reason: reason_in(state, action, OPEN, reason)? }.into())
}

pub(super) fn resume(ask: Ask<'_>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::Paused(PauseKind::Suspension)])?;
    Ok(CaseResumed { at: ctx.now, clock: restart_clock(state, ctx) }.into())
}

/// The deadlines once a pause ends, per the procedure's pause mode: shifted by the
/// working time the clock was stopped, or restarted from ctx.now. The clock stops
/// at the later of the pause and the counting start: a supplement asked for
/// after the cutoff, before counting began, costs only the working time from
/// the counting start on.
pub(super) fn restart_clock(state: &CaseState, ctx: &Context<'_>) -> ClockRestarted {
    let paused = state.paused_since.unwrap_or(ctx.now);
    let since = state.counting_from.map_or(paused, |start| paused.max(start)).min(ctx.now);
    let case_unit = state.receiving_unit.clone();
    let case_hours = case_unit.as_ref().map(|u| ctx.schedule_hours(u)).unwrap_or_default();
    let case_schedule = Schedule::new(ctx.calendar, &case_hours);
    let paused_minutes = case_schedule.working_minutes_between(since, ctx.now);
    let due = state.due_at.unwrap_or(ctx.now);
    let due_at = match state.pause_mode.unwrap_or(PauseMode::Shift) {
        PauseMode::Shift => case_schedule.shift_due(due, paused_minutes),
        PauseMode::Restart => {
            let restarted = case_schedule.due_date(
                ctx.now,
                state.processing_time.unwrap_or(ctx.procedure.processing_time),
                ctx.procedure.cutoff,
            );
            // A restart never brings the date forward.
            restarted.max(due)
        }
    };
    let step_due_at = match state.current_step() {
        Some(step) => {
            let hours = ctx.schedule_hours(&step.unit);
            let schedule = Schedule::new(ctx.calendar, &hours);
            let minutes = schedule.working_minutes_between(since, ctx.now);
            schedule.shift_due(step.due_at, minutes)
        }
        None => due_at,
    };
    ClockRestarted { paused_minutes, due_at, step_due_at }
}
