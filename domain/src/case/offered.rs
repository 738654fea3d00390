//! What an officer may do to a case now: the actions [`decide`] would accept
//! from them, given fields filled in well. The console shows exactly these as
//! forms, so its buttons follow the same rules as the API's answers, from the
//! one place the rules live.

use super::command::CaseCommand;
use super::decide::{Context, decide};
use super::error::DomainError;
use super::event::{DocumentRef, Proposal, ReturnMethod};
use super::state::CaseState;
use crate::access::CaseAction;
use crate::ids::UnitCode;

/// A probe's free text: any non-empty text passes the text checks.
const TEXT: &str = "-";

/// The actions on an existing case that `ctx.actor` may take now, in
/// lifecycle order. Filing (receive, submit online) and issuing forms are
/// not case-page actions and are not listed.
pub fn offered_actions(state: &CaseState, ctx: &Context<'_>) -> Vec<CaseAction> {
    probes(state, ctx)
        .into_iter()
        .filter(|command| match decide(state, command.clone(), ctx) {
            Ok(_) => true,
            // Only the fields the officer will fill in are wrong: the action
            // itself is open to them.
            Err(
                DomainError::InvalidField { .. } | DomainError::ExtensionNotLater | DomainError::CodeNotIssued { .. },
            ) => true,
            Err(_) => false,
        })
        .map(|command| command.kind())
        .collect()
}

/// The units that may take the case's next workflow step (empty when there
/// is none): what a transfer may name.
pub fn next_step_units(state: &CaseState, ctx: &Context<'_>) -> Vec<UnitCode> {
    let index = state.current_step().map_or(0, |s| s.index) + 1;
    match &state.receiving_unit {
        Some(receiving) => ctx.procedure.units_for_step(index, receiving),
        None => Vec::new(),
    }
}

fn probes(state: &CaseState, ctx: &Context<'_>) -> Vec<CaseCommand> {
    let text = || TEXT.to_owned();
    let to_unit = next_step_units(state, ctx)
        .into_iter()
        .next()
        .or_else(|| state.current_unit().cloned())
        .or_else(|| state.receiving_unit.clone());
    let later = state.due_at.unwrap_or(ctx.now) + jiff::SignedDuration::from_hours(24);
    let mut commands = vec![
        CaseCommand::AcceptOnline,
        CaseCommand::RefuseAtReception { reason: text() },
        CaseCommand::AcknowledgeHandover,
        CaseCommand::RecordAppraisal { opinion: text(), proposal: Proposal::Grant },
        CaseCommand::RequestSupplement { reason: text(), documents: Vec::new() },
        CaseCommand::ReceiveSupplement { documents: Vec::new() },
        CaseCommand::RequestPayment { amount_vnd: 1, description: text() },
        CaseCommand::RecordPayment { amount_vnd: 1, receipt: text(), online: false },
        CaseCommand::SubmitForApproval { note: None },
        CaseCommand::Approve { note: None },
        CaseCommand::SendBackForRework { reason: text() },
        CaseCommand::RefuseAsIneligible { reason: text() },
        CaseCommand::Extend { new_due_at: later, reason: text(), apology_letter: DocumentRef::default() },
        CaseCommand::Pause { reason: text() },
        CaseCommand::Resume,
        CaseCommand::RecordResult { summary: text(), document: None, result_code: None },
        CaseCommand::ReturnResult { method: ReturnMethod::AtDesk },
        CaseCommand::Withdraw { reason: text() },
        CaseCommand::Stop { reason: text() },
        CaseCommand::Comment { text: text() },
        CaseCommand::AttachDocument { document: DocumentRef::default(), origin: None },
        CaseCommand::RateSatisfaction { score: 5, comment: None },
    ];
    if let Some(to_unit) = to_unit {
        commands.insert(3, CaseCommand::Transfer { to_unit, assignee: None, note: None });
    }
    commands
}
