//! The stored event schema (DESIGN §1, §2): for each event type and schema
//! version, the JSON the log keeps, defined apart from the domain's types so
//! that a change to the domain cannot silently change what a hash-chained log
//! stores.
//!
//! - [`case`]: every case event, field by field (serde remote definitions of
//!   the domain's structs, held to them by the compiler).
//!
//! The catalog's records (units, procedures, calendars, users) and sign-in
//! events are still stored in the serde form of their domain types; the golden
//! fixtures of `domain/tests/stored_events.rs` pin the stored form of every
//! event type of every stream kind, so a change to those types that would
//! alter it fails the tests.

pub mod case;
