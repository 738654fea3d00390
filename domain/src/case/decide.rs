//! `decide`: whether a command may happen to a case, and what events it makes.

use jiff::Timestamp;

use super::command::CaseCommand;
use super::error::DomainError;
use super::event::*;
use super::state::{CaseState, Phase};
use crate::access::{self, Actor, CasePlaces, CaseRefusal};
use crate::calendar::{Schedule, WorkingCalendar};
use crate::catalog::{Channel, PauseMode, Procedure, UnitTree};
use crate::ids::{CaseCode, UnitCode};
use crate::role::Role;

/// Everything a decision needs from outside the case.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: Timestamp,
    pub actor: &'a Actor,
    pub units: &'a UnitTree,
    pub calendar: &'a WorkingCalendar,
    /// For a new case the procedure's current version; afterwards the version
    /// the case was received under.
    pub procedure: &'a Procedure,
    /// For receiving: the code the write side allocated and the hash of the
    /// lookup secret printed on the receipt.
    pub issued: Option<&'a IssuedCode>,
}

/// A case code with its lookup secret's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: CaseCode,
    pub secret_hash: String,
}

impl Context<'_> {
    fn schedule_hours(&self, unit: &UnitCode) -> crate::calendar::OfficeHours {
        self.units.office_hours(unit)
    }
}

/// Longest free text accepted in a reason, note or comment.
const MAX_TEXT: usize = 4000;

/// Decides `command` on `state`. Pure: the same inputs always give the same answer.
pub fn decide(
    state: &CaseState,
    command: CaseCommand,
    ctx: &Context<'_>,
) -> Result<Vec<CaseEvent>, DomainError> {
    let action = command.action();
    authorize(state, &command, ctx)?;
    check_procedure(state, action, ctx)?;
    let now = ctx.now;
    let event: CaseEvent = match command {
        CaseCommand::SubmitOnline {
            unit,
            channel,
            applicant,
        } => {
            require_new(state, action)?;
            require_known_unit(&unit, action, ctx)?;
            if !channel.is_online() || !ctx.procedure.channels.contains(&channel) {
                return Err(channel_not_offered(action, channel));
            }
            CaseSubmittedOnline {
                at: now,
                procedure: procedure_ref(ctx.procedure),
                field_code: ctx.procedure.field.code.clone(),
                unit,
                channel,
                applicant,
            }
            .into()
        }
        CaseCommand::Receive {
            unit,
            channel,
            applicant,
            documents,
        } => {
            require_new(state, action)?;
            require_known_unit(&unit, action, ctx)?;
            if channel.is_online() || !ctx.procedure.channels.contains(&channel) {
                return Err(channel_not_offered(action, channel));
            }
            receive(ctx, action, unit, channel, applicant, documents)?.into()
        }
        CaseCommand::AcceptOnline => {
            require_phase(state, action, &[Phase::Submitted])?;
            let (Some(unit), Some(channel), Some(applicant)) =
                (state.receiving_unit.clone(), state.channel, state.applicant)
            else {
                return Err(invalid_state(state, action));
            };
            receive(ctx, action, unit, channel, applicant, Vec::new())?.into()
        }
        CaseCommand::RefuseAtReception { reason } => {
            require_phase(state, action, &[Phase::Submitted])?;
            CaseRefusedAtReception {
                at: now,
                reason: text(action, "reason", reason)?,
            }
            .into()
        }
        CaseCommand::Transfer {
            to_unit,
            assignee,
            note,
        } => {
            require_phase(state, action, &[Phase::Received, Phase::InProgress])?;
            require_no_pending_handover(state, action)?;
            require_known_unit(&to_unit, action, ctx)?;
            let index = state.current_step().map_or(0, |s| s.index) + 1;
            let Some(step) = ctx.procedure.workflow.get(index) else {
                return Err(DomainError::NoFurtherStep);
            };
            let receiving = state.receiving_unit.clone().unwrap_or(to_unit.clone());
            if !ctx.procedure.step_accepts(index, &to_unit, &receiving) {
                return Err(DomainError::WrongUnitForStep {
                    step: step.name.clone(),
                    unit: to_unit,
                });
            }
            let hours = ctx.schedule_hours(&to_unit);
            let schedule = Schedule::new(ctx.calendar, &hours);
            CaseTransferred {
                at: now,
                from_unit: state.current_unit().cloned().unwrap_or(receiving),
                by: ctx.actor.user_id,
                note: optional_text(action, "note", note)?,
                step: StepStart {
                    index,
                    name: step.name.clone(),
                    unit: to_unit,
                    role: step.role,
                    assignee,
                    due_at: schedule.due_after(schedule.next_working_instant(now), step.budget),
                },
            }
            .into()
        }
        CaseCommand::AcknowledgeHandover => {
            require_phase(state, action, &[Phase::InProgress])?;
            if !state.handover_pending {
                return Err(DomainError::NoHandoverPending);
            }
            HandoverAcknowledged {
                at: now,
                unit: state
                    .current_unit()
                    .cloned()
                    .ok_or_else(|| invalid_state(state, action))?,
                by: ctx.actor.user_id,
            }
            .into()
        }
        CaseCommand::RecordAppraisal { opinion, proposal } => {
            require_phase(state, action, &[Phase::InProgress])?;
            require_no_pending_handover(state, action)?;
            if state.awaiting_approval || state.approved {
                return Err(invalid_state_named(
                    action,
                    "already submitted for approval",
                ));
            }
            AppraisalRecorded {
                at: now,
                opinion: text(action, "opinion", opinion)?,
                proposal,
            }
            .into()
        }
        CaseCommand::RequestSupplement { reason, documents } => {
            require_phase(state, action, &[Phase::Received, Phase::InProgress])?;
            require_not_approved(state, action)?;
            SupplementRequested {
                at: now,
                reason: text(action, "reason", reason)?,
                documents,
            }
            .into()
        }
        CaseCommand::ReceiveSupplement { documents } => {
            require_phase(
                state,
                action,
                &[Phase::Paused(super::state::PauseKind::Supplement)],
            )?;
            SupplementReceived {
                at: now,
                documents,
                clock: restart_clock(state, ctx),
            }
            .into()
        }
        CaseCommand::RequestPayment {
            amount_vnd,
            description,
        } => {
            require_phase(state, action, &[Phase::Received, Phase::InProgress])?;
            if amount_vnd == 0 {
                return Err(invalid_field(
                    action,
                    "amount_vnd",
                    "must be more than zero",
                ));
            }
            PaymentRequested {
                at: now,
                amount_vnd,
                description: text(action, "description", description)?,
            }
            .into()
        }
        CaseCommand::RecordPayment {
            amount_vnd,
            receipt,
        } => {
            require_phase(
                state,
                action,
                &[Phase::Paused(super::state::PauseKind::Payment)],
            )?;
            if amount_vnd == 0 {
                return Err(invalid_field(
                    action,
                    "amount_vnd",
                    "must be more than zero",
                ));
            }
            PaymentRecorded {
                at: now,
                amount_vnd,
                receipt: text(action, "receipt", receipt)?,
                clock: restart_clock(state, ctx),
            }
            .into()
        }
        CaseCommand::SubmitForApproval { note } => {
            require_phase(state, action, &[Phase::InProgress])?;
            require_no_pending_handover(state, action)?;
            if state.awaiting_approval || state.approved {
                return Err(invalid_state_named(
                    action,
                    "already submitted for approval",
                ));
            }
            if state.appraisal.is_none() {
                return Err(DomainError::AppraisalMissing);
            }
            SubmittedForApproval {
                at: now,
                note: optional_text(action, "note", note)?,
                step: next_step(state, ctx, Role::Approver),
            }
            .into()
        }
        CaseCommand::Approve { note } => {
            require_phase(state, action, &[Phase::InProgress])?;
            if !state.awaiting_approval {
                return Err(DomainError::NotSubmittedForApproval { action });
            }
            CaseApproved {
                at: now,
                note: optional_text(action, "note", note)?,
            }
            .into()
        }
        CaseCommand::SendBackForRework { reason } => {
            require_phase(state, action, &[Phase::InProgress])?;
            if !state.awaiting_approval {
                return Err(DomainError::NotSubmittedForApproval { action });
            }
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
            let budget = ctx
                .procedure
                .workflow
                .get(previous.index)
                .map(|s| s.budget)
                .ok_or(DomainError::NoFurtherStep)?;
            let hours = ctx.schedule_hours(&previous.unit);
            let schedule = Schedule::new(ctx.calendar, &hours);
            SentBackForRework {
                at: now,
                reason,
                step: StepStart {
                    index: previous.index,
                    name: previous.name.clone(),
                    unit: previous.unit.clone(),
                    role: previous.role,
                    assignee: previous.assignee,
                    due_at: schedule.due_after(schedule.next_working_instant(now), budget),
                },
            }
            .into()
        }
        CaseCommand::Extend {
            new_due_at,
            reason,
            apology_letter,
        } => {
            require_phase(
                state,
                action,
                &[
                    Phase::Received,
                    Phase::InProgress,
                    Phase::Paused(super::state::PauseKind::Supplement),
                    Phase::Paused(super::state::PauseKind::Payment),
                    Phase::Paused(super::state::PauseKind::Suspension),
                ],
            )?;
            if state.extended {
                return Err(DomainError::AlreadyExtended);
            }
            let current = state.due_at.ok_or_else(|| invalid_state(state, action))?;
            if new_due_at <= current {
                return Err(DomainError::ExtensionNotLater);
            }
            DeadlineExtended {
                at: now,
                previous_due_at: current,
                due_at: new_due_at,
                reason: text(action, "reason", reason)?,
                apology_letter: document(action, apology_letter)?,
            }
            .into()
        }
        CaseCommand::Pause { reason } => {
            require_phase(state, action, &[Phase::Received, Phase::InProgress])?;
            CasePaused {
                at: now,
                reason: text(action, "reason", reason)?,
            }
            .into()
        }
        CaseCommand::Resume => {
            require_phase(
                state,
                action,
                &[Phase::Paused(super::state::PauseKind::Suspension)],
            )?;
            CaseResumed {
                at: now,
                clock: restart_clock(state, ctx),
            }
            .into()
        }
        CaseCommand::RefuseAsIneligible { reason } => {
            require_phase(state, action, &[Phase::Received, Phase::InProgress])?;
            require_not_approved(state, action)?;
            CaseRefusedAsIneligible {
                at: now,
                reason: text(action, "reason", reason)?,
            }
            .into()
        }
        CaseCommand::Withdraw { reason } => {
            require_phase(
                state,
                action,
                &[
                    Phase::Submitted,
                    Phase::Received,
                    Phase::InProgress,
                    Phase::Paused(super::state::PauseKind::Supplement),
                    Phase::Paused(super::state::PauseKind::Payment),
                    Phase::Paused(super::state::PauseKind::Suspension),
                ],
            )?;
            CaseWithdrawn {
                at: now,
                reason: text(action, "reason", reason)?,
            }
            .into()
        }
        CaseCommand::Stop { reason } => {
            require_phase(
                state,
                action,
                &[
                    Phase::Received,
                    Phase::InProgress,
                    Phase::Paused(super::state::PauseKind::Supplement),
                    Phase::Paused(super::state::PauseKind::Payment),
                    Phase::Paused(super::state::PauseKind::Suspension),
                ],
            )?;
            CaseStopped {
                at: now,
                reason: text(action, "reason", reason)?,
            }
            .into()
        }
        CaseCommand::RecordResult {
            summary,
            document: result,
        } => {
            require_phase(state, action, &[Phase::InProgress])?;
            if !state.approved {
                return Err(DomainError::NotApproved);
            }
            ResultRecorded {
                at: now,
                summary: text(action, "summary", summary)?,
                document: result.map(|d| document(action, d)).transpose()?,
                step: next_step(state, ctx, Role::Reception),
            }
            .into()
        }
        CaseCommand::ReturnResult { method } => {
            require_phase(state, action, &[Phase::ResultReady])?;
            ResultReturned { at: now, method }.into()
        }
        CaseCommand::Comment { text: body } => {
            if state.phase == Phase::New {
                return Err(DomainError::CaseNotFound { action });
            }
            CommentAdded {
                at: now,
                text: text(action, "text", body)?,
            }
            .into()
        }
        CaseCommand::RateSatisfaction { score, comment } => {
            require_phase(state, action, &[Phase::Returned])?;
            if state.satisfaction.is_some() {
                return Err(DomainError::AlreadyRated);
            }
            if !(1..=5).contains(&score) {
                return Err(invalid_field(action, "score", "must be from 1 to 5"));
            }
            SatisfactionRated {
                at: now,
                score,
                comment: optional_text(action, "comment", comment)?,
            }
            .into()
        }
        CaseCommand::AttachDocument { document: attached } => {
            if state.phase == Phase::New {
                return Err(DomainError::CaseNotFound { action });
            }
            if state.is_closed() {
                return Err(invalid_state(state, action));
            }
            DocumentAttached {
                at: now,
                document: document(action, attached)?,
            }
            .into()
        }
    };
    Ok(vec![event])
}

/// Asks the access policy ([`crate::access::case_action`]) whether the actor
/// may give this command where the case is.
fn authorize(
    state: &CaseState,
    command: &CaseCommand,
    ctx: &Context<'_>,
) -> Result<(), DomainError> {
    let action = command.action();
    let places = CasePlaces {
        filing: command.filing_unit(),
        ..state.places()
    };
    access::case_action(ctx.actor, command.kind(), &places, ctx.units).map_err(|refusal| {
        match refusal {
            CaseRefusal::Role => DomainError::RoleNotAllowed {
                action,
                role: ctx.actor.role,
            },
            CaseRefusal::NoCase => DomainError::CaseNotFound { action },
            CaseRefusal::OutsideScope(unit) => DomainError::OutsideScope { action, unit },
        }
    })
}

fn check_procedure(
    state: &CaseState,
    action: &'static str,
    ctx: &Context<'_>,
) -> Result<(), DomainError> {
    match &state.procedure {
        Some(p) if p.code != ctx.procedure.code || p.version != ctx.procedure.version => {
            Err(DomainError::ProcedureMismatch { action })
        }
        _ => Ok(()),
    }
}

fn receive(
    ctx: &Context<'_>,
    action: &'static str,
    unit: UnitCode,
    channel: Channel,
    applicant: crate::ids::ApplicantId,
    documents: Vec<String>,
) -> Result<CaseReceived, DomainError> {
    let issued = ctx.issued.ok_or(DomainError::CodeNotIssued { action })?;
    let reception = ctx
        .procedure
        .workflow
        .first()
        .ok_or(DomainError::NoFurtherStep)?;
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

/// The workflow step after the current one, if it is `role`'s: approval after
/// appraisal, return after the result. It is done where the workflow says, or,
/// for a handling step, where the file already is.
fn next_step(state: &CaseState, ctx: &Context<'_>, role: Role) -> Option<StepStart> {
    let current = state.current_step()?;
    let index = current.index + 1;
    let step = ctx
        .procedure
        .workflow
        .get(index)
        .filter(|s| s.role == role)?;
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

/// The deadlines once a pause ends, per the procedure's pause mode: shifted by the
/// working time the clock was stopped, or restarted from now. The clock stops
/// at the later of the pause and the counting start: a supplement asked for
/// after the cutoff, before counting began, costs only the working time from
/// the counting start on.
fn restart_clock(state: &CaseState, ctx: &Context<'_>) -> ClockRestarted {
    let paused = state.paused_since.unwrap_or(ctx.now);
    let since = state
        .counting_from
        .map_or(paused, |start| paused.max(start))
        .min(ctx.now);
    let case_unit = state.receiving_unit.clone();
    let case_hours = case_unit
        .as_ref()
        .map(|u| ctx.schedule_hours(u))
        .unwrap_or_default();
    let case_schedule = Schedule::new(ctx.calendar, &case_hours);
    let paused_minutes = case_schedule.working_minutes_between(since, ctx.now);
    let due = state.due_at.unwrap_or(ctx.now);
    let due_at = match state.pause_mode.unwrap_or(PauseMode::Shift) {
        PauseMode::Shift => case_schedule.shift_due(due, paused_minutes),
        PauseMode::Restart => {
            let restarted = case_schedule.due_date(
                ctx.now,
                state
                    .processing_time
                    .unwrap_or(ctx.procedure.processing_time),
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
    ClockRestarted {
        paused_minutes,
        due_at,
        step_due_at,
    }
}

fn procedure_ref(procedure: &Procedure) -> ProcedureRef {
    ProcedureRef {
        code: procedure.code.clone(),
        version: procedure.version,
    }
}

fn require_new(state: &CaseState, action: &'static str) -> Result<(), DomainError> {
    if state.phase == Phase::New {
        Ok(())
    } else {
        Err(DomainError::CaseAlreadyExists { action })
    }
}

fn require_phase(
    state: &CaseState,
    action: &'static str,
    allowed: &[Phase],
) -> Result<(), DomainError> {
    if allowed.contains(&state.phase) {
        Ok(())
    } else if state.phase == Phase::New {
        Err(DomainError::CaseNotFound { action })
    } else {
        Err(invalid_state(state, action))
    }
}

fn require_no_pending_handover(state: &CaseState, action: &'static str) -> Result<(), DomainError> {
    if state.handover_pending {
        Err(DomainError::HandoverPending { action })
    } else {
        Ok(())
    }
}

fn require_not_approved(state: &CaseState, action: &'static str) -> Result<(), DomainError> {
    if state.approved {
        Err(invalid_state_named(action, "approved"))
    } else {
        Ok(())
    }
}

fn require_known_unit(
    unit: &UnitCode,
    action: &'static str,
    ctx: &Context<'_>,
) -> Result<(), DomainError> {
    match ctx.units.get(unit) {
        Some(u) if u.active => Ok(()),
        _ => Err(DomainError::UnknownUnit {
            action,
            unit: unit.clone(),
        }),
    }
}

fn invalid_state(state: &CaseState, action: &'static str) -> DomainError {
    DomainError::InvalidState {
        action,
        state: state.phase.describe(),
    }
}

fn invalid_state_named(action: &'static str, state: &'static str) -> DomainError {
    DomainError::InvalidState { action, state }
}

fn invalid_field(action: &'static str, field: &'static str, problem: &'static str) -> DomainError {
    DomainError::InvalidField {
        action,
        field,
        problem,
    }
}

fn channel_not_offered(action: &'static str, channel: Channel) -> DomainError {
    DomainError::ChannelNotOffered {
        action,
        channel: match channel {
            Channel::InPerson => "in person",
            Channel::OnlineFull => "full online submission",
            Channel::OnlinePartial => "partial online submission",
            Channel::Post => "post",
        },
    }
}

/// A required free text: trimmed, not empty, not too long.
fn text(action: &'static str, field: &'static str, value: String) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid_field(action, field, "must not be empty"));
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(invalid_field(
            action,
            field,
            "is longer than 4000 characters",
        ));
    }
    Ok(trimmed.to_owned())
}

fn optional_text(
    action: &'static str,
    field: &'static str,
    value: Option<String>,
) -> Result<Option<String>, DomainError> {
    match value {
        Some(v) if !v.trim().is_empty() => text(action, field, v).map(Some),
        _ => Ok(None),
    }
}

fn document(action: &'static str, document: DocumentRef) -> Result<DocumentRef, DomainError> {
    if document.name.trim().is_empty() {
        return Err(invalid_field(action, "document name", "must not be empty"));
    }
    let is_sha256 = document.sha256.len() == 64
        && document
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_sha256 {
        return Err(invalid_field(
            action,
            "document sha256",
            "must be 64 lowercase hexadecimal digits",
        ));
    }
    if document.storage_ref.trim().is_empty() {
        return Err(invalid_field(
            action,
            "document storage_ref",
            "must not be empty",
        ));
    }
    Ok(document)
}
