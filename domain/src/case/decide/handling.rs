//! Handling (giải quyết): moving the file between units and steps, appraisal, what the applicant must bring, notes and documents.

use crate::calendar::Schedule;
use crate::case::error::DomainError;
use crate::case::event::*;
use crate::case::state::{PauseKind, Phase};
use crate::ids::{UnitCode, UserId};

use super::checks::{
    OPEN, document, ensure, invalid_field, invalid_state, invalid_state_named, is_sha256, optional_text,
    require_known_unit, require_no_pending_handover, require_not_approved, require_phase, text,
};
use super::clock::restart_clock;
use super::context::{Ask, Decision};

pub(super) fn transfer(ask: Ask<'_>, to_unit: UnitCode, assignee: Option<UserId>, note: Option<String>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, OPEN)?;
    require_no_pending_handover(state, action)?;
    require_known_unit(&to_unit, action, ctx)?;
    let index = state.current_step().map_or(0, |s| s.index) + 1;
    let Some(step) = ctx.procedure.workflow.get(index) else {
        return Err(DomainError::NoFurtherStep);
    };
    let receiving = state.receiving_unit.clone().unwrap_or(to_unit.clone());
    if !ctx.procedure.step_accepts(index, &to_unit, &receiving) {
        return Err(DomainError::WrongUnitForStep { step: step.name.clone(), unit: to_unit });
    }
    let hours = ctx.schedule_hours(&to_unit);
    let schedule = Schedule::new(ctx.calendar, &hours);
    Ok(CaseTransferred {
        at: ctx.now,
        from_unit: state.current_unit().cloned().unwrap_or(receiving),
        by: ctx.actor.user_id,
        note: optional_text(action, "note", note)?,
        step: StepStart {
            index,
            name: step.name.clone(),
            unit: to_unit,
            role: step.role,
            assignee,
            due_at: schedule.due_after(schedule.next_working_instant(ctx.now), step.budget),
        },
    }
    .into())
}

pub(super) fn acknowledge_handover(ask: Ask<'_>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::InProgress])?;
    ensure(state.handover_pending, DomainError::NoHandoverPending)?;
    Ok(HandoverAcknowledged {
        at: ctx.now,
        unit: state.current_unit().cloned().ok_or_else(|| invalid_state(state, action))?,
        by: ctx.actor.user_id,
    }
    .into())
}

pub(super) fn record_appraisal(ask: Ask<'_>, opinion: String, proposal: Proposal) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::InProgress])?;
    require_no_pending_handover(state, action)?;
    if state.awaiting_approval || state.approved {
        return Err(invalid_state_named(action, "already submitted for approval"));
    }
    Ok(AppraisalRecorded { at: ctx.now, opinion: text(action, "opinion", opinion)?, proposal }.into())
}

pub(super) fn request_supplement(ask: Ask<'_>, reason: String, documents: Vec<String>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, OPEN)?;
    require_not_approved(state, action)?;
    Ok(SupplementRequested { at: ctx.now, reason: text(action, "reason", reason)?, documents }.into())
}

pub(super) fn receive_supplement(ask: Ask<'_>, documents: Vec<String>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::Paused(PauseKind::Supplement)])?;
    Ok(SupplementReceived { at: ctx.now, documents, clock: restart_clock(state, ctx) }.into())
}

pub(super) fn request_payment(ask: Ask<'_>, amount_vnd: u64, description: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, OPEN)?;
    if amount_vnd == 0 {
        return Err(invalid_field(action, "amount_vnd", "must be more than zero"));
    }
    Ok(PaymentRequested { at: ctx.now, amount_vnd, description: text(action, "description", description)? }.into())
}

pub(super) fn record_payment(ask: Ask<'_>, amount_vnd: u64, receipt: String, online: bool) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::Paused(PauseKind::Payment)])?;
    if amount_vnd == 0 {
        return Err(invalid_field(action, "amount_vnd", "must be more than zero"));
    }
    Ok(PaymentRecorded {
        at: ctx.now,
        amount_vnd,
        receipt: text(action, "receipt", receipt)?,
        online,
        clock: restart_clock(state, ctx),
    }
    .into())
}

pub(super) fn comment(ask: Ask<'_>, body: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    if state.phase == Phase::New {
        return Err(DomainError::CaseNotFound { action });
    }
    Ok(CommentAdded { at: ctx.now, text: text(action, "text", body)? }.into())
}

pub(super) fn attach_document(ask: Ask<'_>, attached: DocumentRef, origin: Option<DocumentOrigin>) -> Decision {
    let Ask { state, ctx, action } = ask;
    if state.phase == Phase::New {
        return Err(DomainError::CaseNotFound { action });
    }
    if state.is_closed() {
        return Err(invalid_state(state, action));
    }
    Ok(DocumentAttached { at: ctx.now, document: document(action, attached)?, origin }.into())
}

/// Whether the form printed from `of_version` has something to report is the
/// caller's to check against the events up to that version
/// ([`crate::case::forms::Form::reached`]): the state alone does not keep every
/// event a form may report.
pub(super) fn issue_form(
    ask: Ask<'_>,
    form: crate::case::forms::Form,
    format: crate::case::forms::FormFormat,
    of_version: u64,
    sha256: String,
) -> Decision {
    let Ask { state, ctx, action } = ask;
    if state.phase == Phase::New {
        return Err(DomainError::CaseNotFound { action });
    }
    ensure(
        form != crate::case::forms::Form::Register,
        invalid_field(action, "form", "the register is not a case's form"),
    )?;
    ensure(
        of_version >= 1 && of_version <= state.version,
        invalid_field(action, "of_version", "is not a version of the case"),
    )?;
    ensure(is_sha256(&sha256), invalid_field(action, "sha256", "must be 64 lowercase hexadecimal digits"))?;
    Ok(FormIssued { at: ctx.now, form, format, of_version, sha256 }.into())
}
