//! Approval (phê duyệt): submitting, approving, sending back, refusing as not eligible.

use crate::calendar::Schedule;
use crate::case::error::DomainError;
use crate::case::event::*;
use crate::case::state::{CaseState, Phase};
use crate::role::Role;

use super::checks::{
    OPEN, ensure, invalid_state, invalid_state_named, optional_text, require_no_pending_handover, require_not_approved,
    require_phase, text,
};
use super::context::{Ask, Context, Decision};

pub(super) fn submit_for_approval(ask: Ask<'_>, note: Option<String>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::InProgress])?;
    require_no_pending_handover(state, action)?;
    if state.awaiting_approval || state.approved {
        return Err(invalid_state_named(action, "already submitted for approval"));
    }
    if state.appraisal.is_none() {
        return Err(DomainError::AppraisalMissing);
    }
    Ok(SubmittedForApproval {
        at: ctx.now,
        note: optional_text(action, "note", note)?,
        step: next_step(state, ctx, Role::Approver),
    }
    .into())
}

pub(super) fn approve(ask: Ask<'_>, note: Option<String>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::InProgress])?;
    ensure(state.awaiting_approval, DomainError::NotSubmittedForApproval { action })?;
    Ok(CaseApproved { at: ctx.now, note: optional_text(action, "note", note)? }.into())
}

pub(super) fn send_back_for_rework(ask: Ask<'_>, reason: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::InProgress])?;
    ensure(state.awaiting_approval, DomainError::NotSubmittedForApproval { action })?;
    let reason = text(action, "reason", reason)?;
    // Back to the last step done before the current one.
    let previous = state
        .steps
        .iter()
        .rev()
        .skip(1)
        .find(|s| s.index > 0)
        .or_else(|| state.current_step())
        .ok_or_else(|| invalid_state(state, action))?;
    let budget = ctx.procedure.workflow.get(previous.index).map(|s| s.budget).ok_or(DomainError::NoFurtherStep)?;
    let hours = ctx.schedule_hours(&previous.unit);
    let schedule = Schedule::new(ctx.calendar, &hours);
    Ok(SentBackForRework {
        at: ctx.now,
        reason,
        step: StepStart {
            index: previous.index,
            name: previous.name.clone(),
            unit: previous.unit.clone(),
            role: previous.role,
            assignee: previous.assignee,
            due_at: schedule.due_after(schedule.next_working_instant(ctx.now), budget),
        },
    }
    .into())
}

pub(super) fn refuse_as_ineligible(ask: Ask<'_>, reason: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, OPEN)?;
    require_not_approved(state, action)?;
    Ok(CaseRefusedAsIneligible { at: ctx.now, reason: text(action, "reason", reason)? }.into())
}

/// The workflow step after the current one, if it is `role`'s: approval after
/// appraisal, return after the result. It is done where the workflow says, or,
/// for a handling step, where the file already is.
pub(super) fn next_step(state: &CaseState, ctx: &Context<'_>, role: Role) -> Option<StepStart> {
    let current = state.current_step()?;
    let index = current.index + 1;
    let step = ctx.procedure.workflow.get(index).filter(|s| s.role == role)?;
    let receiving = state.receiving_unit.clone()?;
    let unit = match &step.unit {
        crate::catalog::StepUnit::Receiving => receiving,
        crate::catalog::StepUnit::Fixed(unit) => unit.clone(),
        crate::catalog::StepUnit::Handling => current.unit.clone(),
    };
    let hours = ctx.schedule_hours(&unit);
    let schedule = Schedule::new(ctx.calendar, &hours);
    Some(StepStart {
        index,
        name: step.name.clone(),
        due_at: schedule.due_after(schedule.next_working_instant(ctx.now), step.budget),
        unit,
        role: step.role,
        assignee: None,
    })
}
