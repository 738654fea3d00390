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

use context::Ask;
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
    let ask = Ask { state, ctx, action };
    let event = match command {
        CaseCommand::SubmitOnline { unit, channel, applicant, portal } => {
            reception::submit_online(ask, unit, channel, applicant, portal.map(|p| *p))
        }
        CaseCommand::Receive { unit, channel, applicant, documents } => {
            reception::receive_at_desk(ask, unit, channel, applicant, documents)
        }
        CaseCommand::AcceptOnline => reception::accept_online(ask),
        CaseCommand::RefuseAtReception { reason } => reception::refuse_at_reception(ask, reason),
        CaseCommand::Transfer { to_unit, assignee, note } => handling::transfer(ask, to_unit, assignee, note),
        CaseCommand::AcknowledgeHandover => handling::acknowledge_handover(ask),
        CaseCommand::RecordAppraisal { opinion, proposal } => handling::record_appraisal(ask, opinion, proposal),
        CaseCommand::RequestSupplement { reason, documents } => handling::request_supplement(ask, reason, documents),
        CaseCommand::ReceiveSupplement { documents } => handling::receive_supplement(ask, documents),
        CaseCommand::RequestPayment { amount_vnd, description } => {
            handling::request_payment(ask, amount_vnd, description)
        }
        CaseCommand::RecordPayment { amount_vnd, receipt, online } => {
            handling::record_payment(ask, amount_vnd, receipt, online)
        }
        CaseCommand::Comment { text: body } => handling::comment(ask, body),
        CaseCommand::AttachDocument { document: attached, origin } => handling::attach_document(ask, attached, origin),
        CaseCommand::IssueForm { form, format, of_version, sha256 } => {
            handling::issue_form(ask, form, format, of_version, sha256)
        }
        CaseCommand::SubmitForApproval { note } => approval::submit_for_approval(ask, note),
        CaseCommand::Approve { note } => approval::approve(ask, note),
        CaseCommand::SendBackForRework { reason } => approval::send_back_for_rework(ask, reason),
        CaseCommand::RefuseAsIneligible { reason } => approval::refuse_as_ineligible(ask, reason),
        CaseCommand::Extend { new_due_at, reason, apology_letter } => {
            clock::extend(ask, new_due_at, reason, apology_letter)
        }
        CaseCommand::Pause { reason } => clock::pause(ask, reason),
        CaseCommand::Resume => clock::resume(ask),
        CaseCommand::Withdraw { reason } => closing::withdraw(ask, reason),
        CaseCommand::Stop { reason } => closing::stop(ask, reason),
        CaseCommand::RecordResult { summary, document: result, result_code } => {
            closing::record_result(ask, summary, result, result_code)
        }
        CaseCommand::ReturnResult { method } => closing::return_result(ask, method),
        CaseCommand::RateSatisfaction { score, comment } => closing::rate_satisfaction(ask, score, comment),
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
