//! What happened to a case: one event per accepted command.
//!
//! Events are stored as `event_type` + `schema_version` + payload (the event's own
//! struct as JSON), separately from this enum: renaming a Rust item never changes
//! what is stored, and an old payload is upcast by the store before it is decoded
//! here. Every event carries its instant `at`, so folding needs no clock.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::catalog::{Channel, PauseMode};
use crate::deadline::ProcessingTime;
use crate::ids::{ApplicantId, CaseCode, ProcedureCode, UnitCode, UserId};

/// A procedure as of the version a case follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcedureRef {
    pub code: ProcedureCode,
    pub version: u32,
}

/// The form of [`DocumentRef::sha256`], as an ECMA-262 regular expression.
pub const SHA256_PATTERN: &str = "^[0-9a-f]{64}$";

/// A document kept outside the log: its metadata, hash and where the bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    pub name: String,
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// Where the storage service keeps the bytes.
    pub storage_ref: String,
}

/// What the specialist proposes after appraisal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proposal {
    Grant,
    Refuse,
}

/// How the result reaches the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethod {
    AtDesk,
    ByPost,
    Online,
}

/// A workflow step beginning: who holds the file, where, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepStart {
    pub index: usize,
    pub name: String,
    pub unit: UnitCode,
    pub role: Role,
    pub assignee: Option<UserId>,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSubmittedOnline {
    pub at: Timestamp,
    pub procedure: ProcedureRef,
    pub field_code: String,
    pub unit: UnitCode,
    pub channel: Channel,
    pub applicant: ApplicantId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReceived {
    pub at: Timestamp,
    pub code: CaseCode,
    /// Hash of the short secret printed on the receipt, for the public lookup.
    pub lookup_secret_hash: String,
    pub procedure: ProcedureRef,
    pub field_code: String,
    pub unit: UnitCode,
    pub channel: Channel,
    pub applicant: ApplicantId,
    pub documents: Vec<String>,
    pub processing_time: ProcessingTime,
    pub pause_mode: PauseMode,
    /// Where the clock starts (after the cutoff rule).
    pub counting_from: Timestamp,
    /// Ngày hẹn trả.
    pub due_at: Timestamp,
    pub step: StepStart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRefusedAtReception {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTransferred {
    pub at: Timestamp,
    pub from_unit: UnitCode,
    pub by: UserId,
    pub note: Option<String>,
    pub step: StepStart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverAcknowledged {
    pub at: Timestamp,
    pub unit: UnitCode,
    pub by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppraisalRecorded {
    pub at: Timestamp,
    pub opinion: String,
    pub proposal: Proposal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementRequested {
    pub at: Timestamp,
    pub reason: String,
    pub documents: Vec<String>,
}

/// The clock starting again after a pause, with the deadlines it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockRestarted {
    /// Working minutes the clock was stopped.
    pub paused_minutes: i64,
    pub due_at: Timestamp,
    pub step_due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementReceived {
    pub at: Timestamp,
    pub documents: Vec<String>,
    pub clock: ClockRestarted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequested {
    pub at: Timestamp,
    pub amount_vnd: u64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecorded {
    pub at: Timestamp,
    pub amount_vnd: u64,
    pub receipt: String,
    pub clock: ClockRestarted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedForApproval {
    pub at: Timestamp,
    pub note: Option<String>,
    /// The approval step the file moves to, when the workflow has one next.
    #[serde(default)]
    pub step: Option<StepStart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseApproved {
    pub at: Timestamp,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentBackForRework {
    pub at: Timestamp,
    pub reason: String,
    pub step: StepStart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineExtended {
    pub at: Timestamp,
    pub previous_due_at: Timestamp,
    pub due_at: Timestamp,
    pub reason: String,
    /// Phiếu xin lỗi và hẹn lại ngày trả kết quả.
    pub apology_letter: DocumentRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePaused {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResumed {
    pub at: Timestamp,
    pub clock: ClockRestarted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRefusedAsIneligible {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseWithdrawn {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStopped {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRecorded {
    pub at: Timestamp,
    pub summary: String,
    pub document: Option<DocumentRef>,
    /// The return step at the receiving desk, when the workflow has one next.
    #[serde(default)]
    pub step: Option<StepStart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultReturned {
    pub at: Timestamp,
    pub method: ReturnMethod,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentAdded {
    pub at: Timestamp,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SatisfactionRated {
    pub at: Timestamp,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentAttached {
    pub at: Timestamp,
    pub document: DocumentRef,
}

/// A stored event could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown case event type {0:?}")]
    UnknownType(String),
    #[error("case event {event_type} schema version {schema_version} is not supported")]
    UnsupportedVersion {
        event_type: String,
        schema_version: i32,
    },
    #[error("malformed {event_type} payload")]
    Payload {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
}

macro_rules! case_events {
    ($($variant:ident => $name:literal,)*) => {
        /// Every event of a case stream.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CaseEvent {
            $($variant($variant),)*
        }

        impl CaseEvent {
            /// Every stored event type name, in lifecycle order.
            pub const TYPES: &'static [&'static str] = &[$($name,)*];

            /// The stored `event_type`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }

            /// The stored payload: the event's struct as a JSON object.
            pub fn payload(&self) -> serde_json::Value {
                let value = match self {
                    $(Self::$variant(event) => serde_json::to_value(event),)*
                };
                // Serialising these plain structs cannot fail.
                value.unwrap_or(serde_json::Value::Null)
            }

            /// The instant the event happened.
            pub fn at(&self) -> Timestamp {
                match self {
                    $(Self::$variant(event) => event.at,)*
                }
            }

            /// Decodes a stored event already upcast to the current schema version.
            pub fn decode(
                event_type: &str,
                schema_version: i32,
                payload: &str,
            ) -> Result<Self, DecodeError> {
                if schema_version != Self::SCHEMA_VERSION {
                    return Err(DecodeError::UnsupportedVersion {
                        event_type: event_type.to_owned(),
                        schema_version,
                    });
                }
                let malformed = |source| DecodeError::Payload {
                    event_type: event_type.to_owned(),
                    source,
                };
                match event_type {
                    $($name => serde_json::from_str(payload).map(Self::$variant).map_err(malformed),)*
                    other => Err(DecodeError::UnknownType(other.to_owned())),
                }
            }
        }

        $(impl From<$variant> for CaseEvent {
            fn from(event: $variant) -> Self {
                Self::$variant(event)
            }
        })*
    };
}

case_events! {
    CaseSubmittedOnline => "CaseSubmittedOnline",
    CaseReceived => "CaseReceived",
    CaseRefusedAtReception => "CaseRefusedAtReception",
    CaseTransferred => "CaseTransferred",
    HandoverAcknowledged => "HandoverAcknowledged",
    AppraisalRecorded => "AppraisalRecorded",
    SupplementRequested => "SupplementRequested",
    SupplementReceived => "SupplementReceived",
    PaymentRequested => "PaymentRequested",
    PaymentRecorded => "PaymentRecorded",
    SubmittedForApproval => "SubmittedForApproval",
    CaseApproved => "CaseApproved",
    SentBackForRework => "SentBackForRework",
    DeadlineExtended => "DeadlineExtended",
    CasePaused => "CasePaused",
    CaseResumed => "CaseResumed",
    CaseRefusedAsIneligible => "CaseRefusedAsIneligible",
    CaseWithdrawn => "CaseWithdrawn",
    CaseStopped => "CaseStopped",
    ResultRecorded => "ResultRecorded",
    ResultReturned => "ResultReturned",
    CommentAdded => "CommentAdded",
    SatisfactionRated => "SatisfactionRated",
    DocumentAttached => "DocumentAttached",
}

impl CaseEvent {
    /// The current schema version of every case event type.
    pub const SCHEMA_VERSION: i32 = 1;
}
