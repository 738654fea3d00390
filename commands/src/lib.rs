//! The write side (DESIGN §1): load a stream, fold it, decide, append with the
//! expected version.
//!
//! - [`cases::CaseService`]: every case command, case codes allocated in the same
//!   transaction as the receipt, idempotent retries.
//! - [`registry::RegistryService`]: units, procedures, calendars and users.
//! - [`catalog::CatalogCache`]: the catalog folded in memory for decisions.
//! - [`personal::PersonalDataVault`]: applicants' personal data, encrypted per
//!   applicant so that destroying the key erases it.
//! - [`import`]: whole cases with known commands and times, in bulk (migrations
//!   from earlier systems, the province simulator).
//! - [`portal`]: dossiers the national portal delivers, taken in once.
//! - [`idempotency`]: the first response to a keyed request, for its retries.
//! - [`sign_in::SignInService`]: password checks, throttled, every attempt recorded.

pub mod cases;
pub mod catalog;
pub mod clock;
pub mod codes;
mod error;
pub mod idempotency;
pub mod import;
pub mod metadata;
pub mod passwords;
pub mod personal;
pub mod portal;
pub mod queue;
pub mod registry;
pub mod sessions;
pub mod sign_in;

pub use error::CommandError;
