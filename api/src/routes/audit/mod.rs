//! The audit trail (DESIGN §4.3): a case's history in human terms, its raw
//! events with hashes, the control slip, chain verification, and inspectors'
//! queries across cases. The history and the control slip are open to whoever
//! may read the case; the raw events, verification and the queries to
//! inspectors, leaders and administrators whose grants reach a unit the case
//! went through (`onestop_domain::access`).
//!
//! - [`trail`]: one case's history, raw events, control slip, verification;
//! - [`queries`]: inspectors' queries across cases;
//! - [`sign_ins`]: the record of sign-in attempts.

use jiff::Timestamp;
use onestop_domain::access::{self, Denied};
use onestop_domain::ids::CaseId;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::problem::Problem;
use crate::state::AppState;

pub mod queries;
pub mod sign_ins;
pub mod trail;

/// Loads a case an auditor may read; anyone else learns nothing.
pub(crate) async fn audited(
    state: &AppState,
    auth: &Authenticated,
    id: Uuid,
) -> Result<onestop_commands::cases::LoadedCase, Problem> {
    loaded_if(state, auth, id, access::case_audit).await
}

/// Loads a case for its history in words or its control slip: whoever may
/// read the case (`access::case_history`); anyone else learns nothing.
pub(crate) async fn with_history(
    state: &AppState,
    auth: &Authenticated,
    id: Uuid,
) -> Result<onestop_commands::cases::LoadedCase, Problem> {
    loaded_if(state, auth, id, access::case_history).await
}

/// Loads a case if `rule` lets the caller read it: a hidden case is "not found".
async fn loaded_if(
    state: &AppState,
    auth: &Authenticated,
    id: Uuid,
    rule: fn(&access::Actor, &access::CasePlaces<'_>, &onestop_domain::catalog::UnitTree) -> Result<(), Denied>,
) -> Result<onestop_commands::cases::LoadedCase, Problem> {
    let not_found = || Problem::not_found(format!("case {id} does not exist"));
    let loaded = state.cases.load(CaseId(id)).await?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    match rule(&auth.0, &loaded.state.places(), &catalog.units) {
        Ok(()) => Ok(loaded),
        Err(Denied::Hidden) => Err(not_found()),
        Err(denied) => Err(denied.into()),
    }
}

/// A query's page size: `limit`, 1–500, default 100.
pub(crate) fn page_size(limit: Option<i64>) -> Result<i64, Problem> {
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Problem::invalid_field("limit", "must be from 1 to 500"));
    }
    Ok(limit)
}

/// A query's period `[from, to)`: by default the 31 days up to and including
/// `now`.
pub(crate) fn period(
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), Problem> {
    let to = to.unwrap_or_else(|| now + jiff::SignedDuration::from_micros(1));
    let from = from.unwrap_or(to - jiff::SignedDuration::from_hours(31 * 24));
    if from > to {
        return Err(Problem::invalid_field("from", "must not be after `to`"));
    }
    Ok((from, to))
}
