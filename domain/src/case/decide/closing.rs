//! Closing a file: withdrawal, stopping, the result and its return, the applicant's rating.

use crate::case::error::DomainError;
use crate::case::event::*;
use crate::case::state::Phase;
use crate::role::Role;

use super::approval::next_step;
use super::checks::{
    PENDING, UNDER_WAY, document, ensure, invalid_field, optional_text, reason_in, require_phase, text,
};
use super::context::{Ask, Decision};

pub(super) fn withdraw(ask: Ask<'_>, reason: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    Ok(CaseWithdrawn { at: ctx.now, reason: reason_in(state, action, PENDING, reason)? }.into())
}

pub(super) fn stop(ask: Ask<'_>, reason: String) -> Decision {
    let Ask { state, ctx, action } = ask;
    Ok(CaseStopped { at: ctx.now, reason: reason_in(state, action, UNDER_WAY, reason)? }.into())
}

pub(super) fn record_result(
    ask: Ask<'_>,
    summary: String,
    result: Option<DocumentRef>,
    result_code: Option<String>,
) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::InProgress])?;
    ensure(state.approved, DomainError::NotApproved)?;
    Ok(ResultRecorded {
        at: ctx.now,
        summary: text(action, "summary", summary)?,
        document: result.map(|d| document(action, d)).transpose()?,
        result_code: result_code.map(|c| text(action, "result_code", c)).transpose()?,
        step: next_step(state, ctx, Role::Reception),
    }
    .into())
}

pub(super) fn return_result(ask: Ask<'_>, method: ReturnMethod) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::ResultReady])?;
    Ok(ResultReturned { at: ctx.now, method }.into())
}

pub(super) fn rate_satisfaction(ask: Ask<'_>, score: u8, comment: Option<String>) -> Decision {
    let Ask { state, ctx, action } = ask;
    require_phase(state, action, &[Phase::Returned])?;
    if state.satisfaction.is_some() {
        return Err(DomainError::AlreadyRated);
    }
    if !(1..=5).contains(&score) {
        return Err(invalid_field(action, "score", "must be from 1 to 5"));
    }
    Ok(SatisfactionRated { at: ctx.now, score, comment: optional_text(action, "comment", comment)? }.into())
}
