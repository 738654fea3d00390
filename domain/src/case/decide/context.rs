//! What a decision is given from outside the case.

use jiff::Timestamp;

use crate::access::Actor;
use crate::calendar::WorkingCalendar;
use crate::case::error::DomainError;
use crate::case::event::CaseEvent;
use crate::case::state::CaseState;
use crate::catalog::{Procedure, UnitTree};
use crate::ids::{CaseCode, UnitCode};

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

/// What one decision is asked: the case as it stands, the world around it,
/// and the action's name (for the errors it may give).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ask<'a> {
    pub state: &'a CaseState,
    pub ctx: &'a Context<'a>,
    pub action: &'static str,
}

/// What a decision gives: the one event the command makes, or why not.
pub(super) type Decision = Result<CaseEvent, DomainError>;

/// A case code with its lookup secret's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: CaseCode,
    pub secret_hash: String,
}

impl Context<'_> {
    pub(super) fn schedule_hours(&self, unit: &UnitCode) -> crate::calendar::OfficeHours {
        self.units.office_hours(unit)
    }
}
