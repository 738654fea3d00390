//! The pure rules of the one-stop shop (DESIGN §3): no IO, no async. Time, ids
//! and the calendar come in as values.

pub mod calendar;
