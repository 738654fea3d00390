//! `decide`: whether a command may happen to a case, and what events it makes.
//!
//! [`decide`] asks the access policy, checks the procedure version, then hands
//! the command to its own small decision, grouped by phase of the lifecycle:
//! [`reception`], [`handling`], [`approval`], [`clock`], [`closing`]. The
//! checks they are made of live in [`checks`].

mod approval;
mod checks;
mod clock;
mod closing;
mod context;
mod handling;
mod reception;

pub use context::{Context, IssuedCode};

use super::command::CaseCommand;
use super::error::DomainError;
use super::event::CaseEvent;
use super::state::CaseState;
use crate::access::{self, CasePlaces, CaseRefusal};

/// Decides `command` on `state`. Pure: the same inputs always give the same answer.
pub fn decide(state: &CaseState, command: CaseCommand, ctx: &Context<'_>) -> Result<Vec<CaseEvent>, DomainError> {
    let action = command.action();
    authorize(state, &command, ctx)?;
    check_procedure(state, action, ctx)?;
    let event = match command {
        CaseCommand::SubmitOnline { unit, channel, applicant } => {
            reception::submit_online(state, ctx, action, unit, channel, applicant)
        }
        CaseCommand::Receive { unit, channel, applicant, documents } => {
            reception::receive_at_desk(state, ctx, action, unit, channel, applicant, documents)
        }
        CaseCommand::AcceptOnline => reception::accept_online(state, ctx, action),
        CaseCommand::RefuseAtReception { reason } => reception::refuse_at_reception(state, ctx, action, reason),
        CaseCommand::Transfer { to_unit, assignee, note } => {
            handling::transfer(state, ctx, action, to_unit, assignee, note)
        }
        CaseCommand::AcknowledgeHandover => handling::acknowledge_handover(state, ctx, action),
        CaseCommand::RecordAppraisal { opinion, proposal } => {
            handling::record_appraisal(state, ctx, action, opinion, proposal)
        }
        CaseCommand::RequestSupplement { reason, documents } => {
            handling::request_supplement(state, ctx, action, reason, documents)
        }
        CaseCommand::ReceiveSupplement { documents } => handling::receive_supplement(state, ctx, action, documents),
        CaseCommand::RequestPayment { amount_vnd, description } => {
            handling::request_payment(state, ctx, action, amount_vnd, description)
        }
        CaseCommand::RecordPayment { amount_vnd, receipt } => {
            handling::record_payment(state, ctx, action, amount_vnd, receipt)
        }
        CaseCommand::Comment { text: body } => handling::comment(state, ctx, action, body),
        CaseCommand::AttachDocument { document: attached } => handling::attach_document(state, ctx, action, attached),
        CaseCommand::SubmitForApproval { note } => approval::submit_for_approval(state, ctx, action, note),
        CaseCommand::Approve { note } => approval::approve(state, ctx, action, note),
        CaseCommand::SendBackForRework { reason } => approval::send_back_for_rework(state, ctx, action, reason),
        CaseCommand::RefuseAsIneligible { reason } => approval::refuse_as_ineligible(state, ctx, action, reason),
        CaseCommand::Extend { new_due_at, reason, apology_letter } => {
            clock::extend(state, ctx, action, new_due_at, reason, apology_letter)
        }
        CaseCommand::Pause { reason } => clock::pause(state, ctx, action, reason),
        CaseCommand::Resume => clock::resume(state, ctx, action),
        CaseCommand::Withdraw { reason } => closing::withdraw(state, ctx, action, reason),
        CaseCommand::Stop { reason } => closing::stop(state, ctx, action, reason),
        CaseCommand::RecordResult { summary, document: result } => {
            closing::record_result(state, ctx, action, summary, result)
        }
        CaseCommand::ReturnResult { method } => closing::return_result(state, ctx, action, method),
        CaseCommand::RateSatisfaction { score, comment } => {
            closing::rate_satisfaction(state, ctx, action, score, comment)
        }
    }?;
    Ok(vec![event])
}

/// Asks the access policy ([`crate::access::case_action`]) whether the actor
/// may give this command where the case is.
fn authorize(state: &CaseState, command: &CaseCommand, ctx: &Context<'_>) -> Result<(), DomainError> {
    let action = command.action();
    let places = CasePlaces { filing: command.filing_unit(), ..state.places() };
    access::case_action(ctx.actor, command.kind(), &places, ctx.units).map_err(|refusal| match refusal {
        CaseRefusal::Role => DomainError::RoleNotAllowed { action, role: ctx.actor.role },
        CaseRefusal::NoCase => DomainError::CaseNotFound { action },
        CaseRefusal::OutsideScope(unit) => DomainError::OutsideScope { action, unit },
    })
}

fn check_procedure(state: &CaseState, action: &'static str, ctx: &Context<'_>) -> Result<(), DomainError> {
    match &state.procedure {
        Some(p) if p.code != ctx.procedure.code || p.version != ctx.procedure.version => {
            Err(DomainError::ProcedureMismatch { action })
        }
        _ => Ok(()),
    }
}
