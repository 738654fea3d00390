//! The pure rules of the one-stop shop (DESIGN §3): no IO, no async. Time, ids
//! and the calendar come in as values.
//!
//! - [`calendar`]: the lunar calendar, public holidays, working time.
//! - [`deadline`]: processing times, due dates, on-time classes.
//! - [`indicators`]: the QĐ 766 indicators' formulas, each with its source.
//! - [`catalog`]: units and procedures with their workflows.
//! - [`access`]: roles and unit scopes.
//! - [`case`]: the case aggregate, `decide` and `evolve`; the desk's forms (Thông tư 03/2025) and when a case has reached each.
//! - [`period`]: official reporting periods (Decree 09/2019) and their days.
//! - [`personal`]: the applicant's personal data, kept out of events, and its sealed record.
//! - [`search`]: the blind index that finds an applicant's files without their data.
//! - [`sign_in`]: throttling and locking password guesses.
//! - [`stored`]: the stored event schema, apart from the domain's types.

pub mod access;
pub mod booking;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod deadline;
pub mod ids;
pub mod indicators;
pub mod notice;
pub mod period;
pub mod personal;
pub mod queue;
pub mod registry;
pub mod role;
pub mod search;
pub mod sign_in;
pub mod stored;
