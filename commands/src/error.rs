//! Why a command did not happen. Refusals by the rules are kept apart from
//! failures of the machinery, which the API reports as an opaque 500.

use onestop_domain::case::DomainError;
use onestop_domain::registry::RegistryError;
use onestop_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The case rules refused the command.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// The catalog rules refused the change.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The queue's rules refused the command.
    #[error(transparent)]
    Queue(#[from] onestop_domain::queue::QueueError),
    /// The booking rules refused the command.
    #[error(transparent)]
    Booking(#[from] onestop_domain::booking::BookingError),
    /// The user may not make this change to the catalog.
    #[error("{0}")]
    Forbidden(String),
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    /// The client's `If-Match` version is not the case's.
    #[error("the case is at version {actual}, not {expected}")]
    PreconditionFailed { expected: u64, actual: u64 },
    /// The portal delivered a dossier it had delivered before with other content.
    #[error("portal dossier {dossier_id} was delivered before with other content")]
    PortalDossierChanged { dossier_id: String },
    /// A concurrent change could not be worked around.
    #[error("{0}")]
    Conflict(String),
    /// Input the write side cannot accept (beyond what the rules check).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("unit {unit} has used all 9999 case codes of {day}")]
    CodesExhausted { unit: String, day: String },
    /// No database connection could be had in time (all busy, or the database
    /// is down): the client should retry shortly.
    #[error("the database is busy or unreachable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database or another dependency failed.
    #[error("the write side failed")]
    Infrastructure(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl CommandError {
    pub(crate) fn infrastructure(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Infrastructure(Box::new(error))
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::WrongExpectedVersion { .. }
            | StoreError::PartialRetry { .. }
            | StoreError::DuplicateEventId { .. } => Self::Conflict(error.to_string()),
            StoreError::Invalid(invalid) => Self::Invalid { field: "event", reason: invalid.to_string() },
            StoreError::Database(database) if database.is_unavailable() => Self::Unavailable(Box::new(database)),
            other => Self::infrastructure(other),
        }
    }
}

impl From<tokio_postgres::Error> for CommandError {
    fn from(error: tokio_postgres::Error) -> Self {
        if onestop_store::is_unavailable(&error) {
            Self::Unavailable(Box::new(error))
        } else {
            Self::infrastructure(error)
        }
    }
}

impl From<deadpool_postgres::PoolError> for CommandError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        if onestop_store::pool_unavailable(&error) {
            Self::Unavailable(Box::new(error))
        } else {
            Self::infrastructure(error)
        }
    }
}
