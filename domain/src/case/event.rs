//! What happened to a case: one event per accepted command.
//!
//! Events are stored as `event_type` + `schema_version` + payload, in the form
//! [`crate::stored::case`] defines: these types are the domain's, not the
//! log's, and renaming one of their fields does not change what is stored.
//! Every event carries its instant `at`, so folding needs no clock.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::forms::{Form, FormFormat};
use crate::catalog::{Channel, PauseMode};
use crate::deadline::ProcessingTime;
use crate::ids::{ApplicantId, CaseCode, ProcedureCode, UnitCode, UserId};
use crate::role::Role;

/// A procedure as of the version a case follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcedureRef {
    pub code: ProcedureCode,
    pub version: u32,
}

/// The form of [`DocumentRef::sha256`], as an ECMA-262 regular expression.
pub const SHA256_PATTERN: &str = "^[0-9a-f]{64}$";

/// A document kept outside the log: its metadata, hash and where the bytes are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepStart {
    pub index: usize,
    pub name: String,
    pub unit: UnitCode,
    pub role: Role,
    pub assignee: Option<UserId>,
    pub due_at: Timestamp,
}

/// Where a document's content came from, for the QĐ 766 digitization
/// indicators (số hóa hồ sơ, tái sử dụng dữ liệu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentOrigin {
    /// Handed in on paper and digitized (số hóa) at the desk.
    DigitizedAtDesk,
    /// Sent as an electronic file by the applicant.
    Uploaded,
    /// Reused from the applicant's electronic data store (kho quản lý dữ liệu
    /// điện tử của tổ chức, cá nhân), already digitized before.
    ReusedFromDataStore,
    /// Taken from a national database (cơ sở dữ liệu quốc gia, e.g. population).
    FromNationalDatabase,
}

impl DocumentOrigin {
    /// Whether the document reuses data the state already holds.
    pub fn is_reuse(self) -> bool {
        matches!(self, Self::ReusedFromDataStore | Self::FromNationalDatabase)
    }
}

/// The form of a portal dossier id, as an ECMA-262 regular expression.
pub const PORTAL_DOSSIER_ID_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$";

/// Whether `text` has the form of [`PORTAL_DOSSIER_ID_PATTERN`].
pub fn is_portal_dossier_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(b))
}

/// A document of a dossier filed on the national portal, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalDocument {
    pub document: DocumentRef,
    pub origin: DocumentOrigin,
}

/// What the national public-service portal (Cổng DVCQG) handed over with a
/// dossier filed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSubmission {
    /// The portal's id of the dossier (mã hồ sơ trên Cổng DVCQG).
    pub dossier_id: String,
    /// SHA-256 of the delivery's content, 64 lowercase hex digits: a second
    /// delivery under the same id must carry the same.
    pub content_sha256: String,
    /// When the applicant submitted it on the portal.
    pub submitted_at: Timestamp,
    /// Whether the applicant signed in with an identity verified through VNeID
    /// (tài khoản định danh điện tử mức 2).
    pub identity_verified: bool,
    pub documents: Vec<PortalDocument>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSubmittedOnline {
    pub at: Timestamp,
    pub procedure: ProcedureRef,
    pub field_code: String,
    pub unit: UnitCode,
    pub channel: Channel,
    pub applicant: ApplicantId,
    /// The portal's dossier, when the file came from the national portal.
    pub portal: Option<PortalSubmission>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRefusedAtReception {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTransferred {
    pub at: Timestamp,
    pub from_unit: UnitCode,
    pub by: UserId,
    pub note: Option<String>,
    pub step: StepStart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverAcknowledged {
    pub at: Timestamp,
    pub unit: UnitCode,
    pub by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppraisalRecorded {
    pub at: Timestamp,
    pub opinion: String,
    pub proposal: Proposal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementRequested {
    pub at: Timestamp,
    pub reason: String,
    pub documents: Vec<String>,
}

/// The clock starting again after a pause, with the deadlines it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRestarted {
    /// Working minutes the clock was stopped.
    pub paused_minutes: i64,
    pub due_at: Timestamp,
    pub step_due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementReceived {
    pub at: Timestamp,
    pub documents: Vec<String>,
    pub clock: ClockRestarted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequested {
    pub at: Timestamp,
    pub amount_vnd: u64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecorded {
    pub at: Timestamp,
    pub amount_vnd: u64,
    pub receipt: String,
    /// Paid online, through the national portal's payment platform
    /// (thanh toán trực tuyến), rather than at the desk or by transfer.
    pub online: bool,
    pub clock: ClockRestarted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedForApproval {
    pub at: Timestamp,
    pub note: Option<String>,
    /// The approval step the file moves to, when the workflow has one next.
    pub step: Option<StepStart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseApproved {
    pub at: Timestamp,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentBackForRework {
    pub at: Timestamp,
    pub reason: String,
    pub step: StepStart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineExtended {
    pub at: Timestamp,
    pub previous_due_at: Timestamp,
    pub due_at: Timestamp,
    pub reason: String,
    /// Phiếu xin lỗi và hẹn lại ngày trả kết quả.
    pub apology_letter: DocumentRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePaused {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResumed {
    pub at: Timestamp,
    pub clock: ClockRestarted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRefusedAsIneligible {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseWithdrawn {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStopped {
    pub at: Timestamp,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRecorded {
    pub at: Timestamp,
    pub summary: String,
    /// The result as an electronic document (kết quả điện tử), when issued so.
    pub document: Option<DocumentRef>,
    /// The result document's number and sign (số, ký hiệu), e.g. a
    /// certificate's serial, which the portal files it under.
    pub result_code: Option<String>,
    /// The return step at the receiving desk, when the workflow has one next.
    pub step: Option<StepStart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultReturned {
    pub at: Timestamp,
    pub method: ReturnMethod,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentAdded {
    pub at: Timestamp,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatisfactionRated {
    pub at: Timestamp,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentAttached {
    pub at: Timestamp,
    pub document: DocumentRef,
    /// Where its content came from, when it is a component of the file
    /// (digitized at the desk, reused from a data store…).
    pub origin: Option<DocumentOrigin>,
}

/// A form printed and handed out (phát hành), with the SHA-256 of its bytes so
/// that the archived copy can be checked against the case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormIssued {
    pub at: Timestamp,
    pub form: Form,
    pub format: FormFormat,
    /// The case version the form was printed from.
    pub of_version: u64,
    /// SHA-256 of the document, 64 lowercase hex digits.
    pub sha256: String,
}

/// A stored event could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown case event type {0:?}")]
    UnknownType(String),
    #[error("case event {event_type} schema version {schema_version} is not supported")]
    UnsupportedVersion { event_type: String, schema_version: i32 },
    #[error("malformed {event_type} payload")]
    Payload {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
}

macro_rules! case_events {
    ($($variant:ident,)*) => {
        /// Every event of a case stream.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CaseEvent {
            $($variant($variant),)*
        }

        impl CaseEvent {
            /// The instant the event happened.
            pub fn at(&self) -> Timestamp {
                match self {
                    $(Self::$variant(event) => event.at,)*
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
    CaseSubmittedOnline,
    CaseReceived,
    CaseRefusedAtReception,
    CaseTransferred,
    HandoverAcknowledged,
    AppraisalRecorded,
    SupplementRequested,
    SupplementReceived,
    PaymentRequested,
    PaymentRecorded,
    SubmittedForApproval,
    CaseApproved,
    SentBackForRework,
    DeadlineExtended,
    CasePaused,
    CaseResumed,
    CaseRefusedAsIneligible,
    CaseWithdrawn,
    CaseStopped,
    ResultRecorded,
    ResultReturned,
    CommentAdded,
    SatisfactionRated,
    DocumentAttached,
    FormIssued,
}
