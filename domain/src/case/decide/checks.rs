//! The checks every decision is made of: the phase a case must be in, the
//! units it must name, the free texts and documents it must carry.

use crate::case::error::DomainError;
use crate::case::event::{DocumentRef, ProcedureRef};
use crate::case::state::{CaseState, PauseKind, Phase};
use crate::catalog::{Channel, Procedure};
use crate::ids::UnitCode;

use super::context::Context;

/// Received or being handled: the clock runs.
pub(super) const OPEN: &[Phase] = &[Phase::Received, Phase::InProgress];

/// Received and not closed: running, or paused for any reason.
pub(super) const UNDER_WAY: &[Phase] = &[
    Phase::Received,
    Phase::InProgress,
    Phase::Paused(PauseKind::Supplement),
    Phase::Paused(PauseKind::Payment),
    Phase::Paused(PauseKind::Suspension),
];

/// Not closed: submitted online and not yet accepted, or under way.
pub(super) const PENDING: &[Phase] = &[
    Phase::Submitted,
    Phase::Received,
    Phase::InProgress,
    Phase::Paused(PauseKind::Supplement),
    Phase::Paused(PauseKind::Payment),
    Phase::Paused(PauseKind::Suspension),
];

/// Longest free text accepted in a reason, note or comment.
pub(super) const MAX_TEXT: usize = 4000;

pub(super) fn procedure_ref(procedure: &Procedure) -> ProcedureRef {
    ProcedureRef { code: procedure.code.clone(), version: procedure.version }
}

/// `refusal` unless `holds`.
pub(super) fn ensure(holds: bool, refusal: DomainError) -> Result<(), DomainError> {
    if holds { Ok(()) } else { Err(refusal) }
}

pub(super) fn require_new(state: &CaseState, action: &'static str) -> Result<(), DomainError> {
    if state.phase == Phase::New { Ok(()) } else { Err(DomainError::CaseAlreadyExists { action }) }
}

pub(super) fn require_phase(state: &CaseState, action: &'static str, allowed: &[Phase]) -> Result<(), DomainError> {
    if allowed.contains(&state.phase) {
        Ok(())
    } else if state.phase == Phase::New {
        Err(DomainError::CaseNotFound { action })
    } else {
        Err(invalid_state(state, action))
    }
}

pub(super) fn require_no_pending_handover(state: &CaseState, action: &'static str) -> Result<(), DomainError> {
    if state.handover_pending { Err(DomainError::HandoverPending { action }) } else { Ok(()) }
}

pub(super) fn require_not_approved(state: &CaseState, action: &'static str) -> Result<(), DomainError> {
    if state.approved { Err(invalid_state_named(action, "approved")) } else { Ok(()) }
}

pub(super) fn require_known_unit(unit: &UnitCode, action: &'static str, ctx: &Context<'_>) -> Result<(), DomainError> {
    match ctx.units.get(unit) {
        Some(u) if u.active => Ok(()),
        _ => Err(DomainError::UnknownUnit { action, unit: unit.clone() }),
    }
}

pub(super) fn invalid_state(state: &CaseState, action: &'static str) -> DomainError {
    DomainError::InvalidState { action, state: state.phase.describe() }
}

pub(super) fn invalid_state_named(action: &'static str, state: &'static str) -> DomainError {
    DomainError::InvalidState { action, state }
}

pub(super) fn invalid_field(action: &'static str, field: &'static str, problem: &'static str) -> DomainError {
    DomainError::InvalidField { action, field, problem }
}

pub(super) fn channel_not_offered(action: &'static str, channel: Channel) -> DomainError {
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

/// The reason of a command allowed in `allowed` phases: the phase checked,
/// then the text.
pub(super) fn reason_in(
    state: &CaseState,
    action: &'static str,
    allowed: &[Phase],
    reason: String,
) -> Result<String, DomainError> {
    require_phase(state, action, allowed)?;
    text(action, "reason", reason)
}

/// A required free text: trimmed, not empty, not too long.
pub(super) fn text(action: &'static str, field: &'static str, value: String) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid_field(action, field, "must not be empty"));
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(invalid_field(action, field, "is longer than 4000 characters"));
    }
    Ok(trimmed.to_owned())
}

pub(super) fn optional_text(
    action: &'static str,
    field: &'static str,
    value: Option<String>,
) -> Result<Option<String>, DomainError> {
    match value {
        Some(v) if !v.trim().is_empty() => text(action, field, v).map(Some),
        _ => Ok(None),
    }
}

/// Whether `text` is a SHA-256 as the log keeps them: 64 lowercase hex digits.
pub(super) fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(super) fn document(action: &'static str, document: DocumentRef) -> Result<DocumentRef, DomainError> {
    if document.name.trim().is_empty() {
        return Err(invalid_field(action, "document name", "must not be empty"));
    }
    if !is_sha256(&document.sha256) {
        return Err(invalid_field(action, "document sha256", "must be 64 lowercase hexadecimal digits"));
    }
    if document.storage_ref.trim().is_empty() {
        return Err(invalid_field(action, "document storage_ref", "must not be empty"));
    }
    Ok(document)
}
