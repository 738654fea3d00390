//! One event folded onto its case, with where the file was when it was done.
//!
//! Every reader that follows cases event by event — the status projection and
//! its change rows, a case's history, reports as of a moment, replayed reports —
//! folds through [`CaseChange::apply`], so they agree on where each thing
//! happened and which unit acted.

use super::{CaseEvent, CaseState, evolve};
use crate::ids::UnitCode;

/// A case event and what it did to its case.
#[derive(Debug)]
pub struct CaseChange<'a> {
    pub event: &'a CaseEvent,
    /// The unit holding the file before the event; `None` for a filing.
    pub unit_before: Option<UnitCode>,
    /// The case as the event left it.
    pub after: &'a CaseState,
}

impl<'a> CaseChange<'a> {
    /// Folds `event` onto `state` in place.
    pub fn apply(state: &'a mut CaseState, event: &'a CaseEvent) -> Self {
        let unit_before = state.current_unit().cloned();
        *state = evolve(std::mem::take(state), event);
        Self { event, unit_before, after: state }
    }

    /// The unit holding the file after the event.
    pub fn unit_after(&self) -> Option<&'a UnitCode> {
        self.after.current_unit()
    }

    /// Where it was done: the unit that held the file, or for a filing the
    /// unit it arrived at.
    pub fn unit(&self) -> Option<&UnitCode> {
        self.unit_before.as_ref().or_else(|| self.unit_after())
    }

    /// The acting officer's unit: the first of the units granted to them
    /// that the file was in, went to or was received at (see
    /// [`crate::access::acting_unit`]); without a recorded grant, where it was
    /// done.
    pub fn acting_unit<'s>(&'s self, grants: &'s [String]) -> Option<&'s str> {
        let places = [
            self.unit_before.as_ref().map(UnitCode::as_str),
            self.unit_after().map(UnitCode::as_str),
            self.after.receiving_unit.as_ref().map(UnitCode::as_str),
        ];
        crate::access::acting_unit(grants, &places).or_else(|| self.unit().map(UnitCode::as_str))
    }
}
