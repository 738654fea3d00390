//! Why a command was refused: every variant names the rule, in words.

use crate::ids::UnitCode;
use crate::role::Role;

/// A command the rules do not allow. These are answers for the user (HTTP 4xx),
/// never infrastructure failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("cannot {action}: the case does not exist")]
    CaseNotFound { action: &'static str },
    #[error("cannot {action}: the case already exists")]
    CaseAlreadyExists { action: &'static str },
    #[error("cannot {action}: case is {state}")]
    InvalidState { action: &'static str, state: &'static str },
    #[error("cannot {action}: the role {role} may not do that")]
    RoleNotAllowed { action: &'static str, role: Role },
    #[error("cannot {action}: the user has no grant for unit {unit}")]
    OutsideScope { action: &'static str, unit: UnitCode },
    #[error("cannot {action}: the previous handover has not been acknowledged")]
    HandoverPending { action: &'static str },
    #[error("cannot acknowledge: no handover is waiting")]
    NoHandoverPending,
    #[error("cannot submit for approval: no appraisal has been recorded")]
    AppraisalMissing,
    #[error("cannot {action}: the case has not been submitted for approval")]
    NotSubmittedForApproval { action: &'static str },
    #[error("cannot record the result: it has not been approved")]
    NotApproved,
    #[error("cannot extend: the deadline was already extended once")]
    AlreadyExtended,
    #[error("cannot extend: the new due date must be after the current one")]
    ExtensionNotLater,
    #[error("cannot transfer: the workflow has no further step")]
    NoFurtherStep,
    #[error("cannot transfer: step {step} is not done at unit {unit}")]
    WrongUnitForStep { step: String, unit: UnitCode },
    #[error("cannot {action}: unit {unit} is unknown")]
    UnknownUnit { action: &'static str, unit: UnitCode },
    #[error("cannot {action}: the procedure does not accept files by {channel}")]
    ChannelNotOffered { action: &'static str, channel: &'static str },
    #[error("cannot {action}: the procedure version does not match the case's")]
    ProcedureMismatch { action: &'static str },
    #[error("cannot {action}: no case code was issued")]
    CodeNotIssued { action: &'static str },
    #[error("cannot rate: satisfaction was already rated")]
    AlreadyRated,
    #[error("cannot {action}: {field} {problem}")]
    InvalidField { action: &'static str, field: &'static str, problem: &'static str },
}
