//! Reception (tiếp nhận): filing online or at the desk, accepting or refusing an online submission.

use crate::calendar::Schedule;
use crate::case::error::DomainError;
use crate::case::event::*;
use crate::case::state::Phase;
use crate::catalog::Channel;
use crate::ids::{ApplicantId, UnitCode};

use super::checks::{
    channel_not_offered, invalid_state, procedure_ref, require_known_unit, require_new, require_phase, text,
};
use super::context::{Ask, Context, Decision};

pub(super) fn submit_online(
    ask: Ask<'_>,
    unit: UnitCode,
    channel: Channel,
    applicant: ApplicantId,
    portal: Option<PortalSubmission>,
) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_new(state, action)?;
    require_known_unit(&unit, action, ctx)?;
    if !channel.is_online() || !ctx.procedure.channels.contains(&channel) {
        return Err(channel_not_offered(action, channel));
    }
    Ok(CaseSubmittedOnline {
        at: ctx.now,
        procedure: procedure_ref(ctx.procedure),
        field_code: ctx.procedure.field.code.clone(),
        unit,
        channel,
        applicant,
        portal,
    }
    .into())
}

pub(super) fn receive_at_desk(
    ask: Ask<'_>,
    unit: UnitCode,
    channel: Channel,
    applicant: ApplicantId,
    documents: Vec<String>,
) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_new(state, action)?;
    require_known_unit(&unit, action, ctx)?;
    if channel.is_online() || !ctx.procedure.channels.contains(&channel) {
        return Err(channel_not_offered(action, channel));
    }
    Ok(case_received(ctx, action, unit, channel, applicant, documents)?.into())
}

pub(super) fn accept_online(ask: Ask<'_>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::Submitted])?;
    let (Some(unit), Some(channel), Some(applicant)) = (state.receiving_unit.clone(), state.channel, state.applicant)
    else {
        return Err(invalid_state(state, action));
    };
    Ok(case_received(ctx, action, unit, channel, applicant, Vec::new())?.into())
}

pub(super) fn refuse_at_reception(ask: Ask<'_>, reason: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::Submitted])?;
    Ok(CaseRefusedAtReception { at: ctx.now, reason: text(action, "reason", reason)? }.into())
}

pub(super) fn case_received(
    ctx: &Context<'_>,
    action: &'static str,
    unit: UnitCode,
    channel: Channel,
    applicant: crate::ids::ApplicantId,
    documents: Vec<String>,
) -> Result<CaseReceived, DomainError> {
    let issued = ctx.issued.ok_or(DomainError::CodeNotIssued { action })?;
    let reception = ctx.procedure.workflow.first().ok_or(DomainError::NoFurtherStep)?;
    let hours = ctx.schedule_hours(&unit);
    let schedule = Schedule::new(ctx.calendar, &hours);
    let counting_from = schedule.counting_start(ctx.now, ctx.procedure.cutoff);
    Ok(CaseReceived {
        at: ctx.now,
        code: issued.code.clone(),
        lookup_secret_hash: issued.secret_hash.clone(),
        procedure: procedure_ref(ctx.procedure),
        field_code: ctx.procedure.field.code.clone(),
        unit: unit.clone(),
        channel,
        applicant,
        documents,
        processing_time: ctx.procedure.processing_time,
        pause_mode: ctx.procedure.pause_mode,
        counting_from,
        due_at: schedule.due_after(counting_from, ctx.procedure.processing_time),
        step: StepStart {
            index: 0,
            name: reception.name.clone(),
            unit,
            role: reception.role,
            assignee: Some(ctx.actor.user_id),
            due_at: schedule.due_after(counting_from, reception.budget),
        },
    })
}
