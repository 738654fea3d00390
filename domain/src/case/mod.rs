//! The case aggregate (hồ sơ): commands, events, the state they fold into, and
//! the pure `decide`/`evolve` pair, and the desk's forms a case reaches
//! ([`forms`]).

mod change;
mod command;
mod decide;
mod error;
pub mod event;
pub mod forms;
mod offered;
mod state;

pub use change::CaseChange;
pub use command::CaseCommand;
pub use decide::{Context, IssuedCode, decide};
pub use error::DomainError;
pub use event::{CaseEvent, DecodeError};
pub use offered::{next_step_units, offered_actions};
pub use state::{CaseState, Outcome, PauseKind, Phase, StepRecord, Timeliness, evolve, fold};
