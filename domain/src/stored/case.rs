//! Case events as the log stores them.
//!
//! Schema version 1: each event type's payload is an object whose keys are
//! spelled out below, field by field, with the stored spelling of every enum
//! value. The definitions are serde "remote" definitions of the domain's
//! structs: the compiler holds them to the domain's fields, so renaming a
//! domain field fails to build here until the stored name is kept with
//! `#[serde(rename = "…")]` (or a new schema version is made).
//!
//! A new version of an event type gets its own definition next to the old
//! one and an arm in [`decode`] that reads the old form and converts it to the
//! domain event (upcasting); new events are always written in [`CURRENT`].
//! `domain/tests/stored_events.rs` holds the stored JSON of every type and
//! version as written when it was made, and checks that it still decodes and
//! encodes to the same bytes.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::case::event::{self as domain, CaseEvent, DecodeError};
use crate::case::forms::{Form, FormFormat};
use crate::catalog::{Channel, PauseMode};
use crate::deadline::{ProcessingTime, TimeUnit};
use crate::ids::{ApplicantId, CaseCode, ProcedureCode, UnitCode, UserId};
use crate::role::Role;

/// The schema version every case event is written in today.
pub const CURRENT: i32 = 1;

// Values whose stored form is their text (ids, codes, instants in RFC 3339)
// are stored through their own serde implementation: that text is their
// definition. Everything with named parts is spelled out here.

#[derive(Serialize, Deserialize)]
#[serde(remote = "Channel")]
enum ChannelV1 {
    #[serde(rename = "in_person")]
    InPerson,
    #[serde(rename = "online_full")]
    OnlineFull,
    #[serde(rename = "online_partial")]
    OnlinePartial,
    #[serde(rename = "post")]
    Post,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "PauseMode")]
enum PauseModeV1 {
    #[serde(rename = "shift")]
    Shift,
    #[serde(rename = "restart")]
    Restart,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Role")]
enum RoleV1 {
    #[serde(rename = "reception")]
    Reception,
    #[serde(rename = "specialist")]
    Specialist,
    #[serde(rename = "approver")]
    Approver,
    #[serde(rename = "leader")]
    Leader,
    #[serde(rename = "inspector")]
    Inspector,
    #[serde(rename = "statistician")]
    Statistician,
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "feed")]
    Feed,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "TimeUnit")]
enum TimeUnitV1 {
    #[serde(rename = "working_days")]
    WorkingDays,
    #[serde(rename = "working_hours")]
    WorkingHours,
    #[serde(rename = "calendar_days")]
    CalendarDays,
    #[serde(rename = "same_day")]
    SameDay,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "ProcessingTime")]
struct ProcessingTimeV1 {
    amount: u32,
    #[serde(with = "TimeUnitV1")]
    unit: TimeUnit,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::Proposal")]
enum ProposalV1 {
    #[serde(rename = "grant")]
    Grant,
    #[serde(rename = "refuse")]
    Refuse,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::ReturnMethod")]
enum ReturnMethodV1 {
    #[serde(rename = "at_desk")]
    AtDesk,
    #[serde(rename = "by_post")]
    ByPost,
    #[serde(rename = "online")]
    Online,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::ProcedureRef")]
struct ProcedureRefV1 {
    code: ProcedureCode,
    version: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::DocumentRef")]
struct DocumentRefV1 {
    name: String,
    media_type: String,
    size_bytes: u64,
    sha256: String,
    storage_ref: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::StepStart")]
struct StepStartV1 {
    index: usize,
    name: String,
    unit: UnitCode,
    #[serde(with = "RoleV1")]
    role: Role,
    assignee: Option<UserId>,
    due_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::ClockRestarted")]
struct ClockRestartedV1 {
    paused_minutes: i64,
    due_at: Timestamp,
    step_due_at: Timestamp,
}

/// `Option<T>` of a type stored through a remote definition: `null` when absent.
macro_rules! optional {
    ($module:ident, $domain:ty, $remote:ident) => {
        mod $module {
            use super::*;

            struct Borrowed<'a>(&'a $domain);

            impl Serialize for Borrowed<'_> {
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    $remote::serialize(self.0, serializer)
                }
            }

            struct Owned($domain);

            impl<'de> Deserialize<'de> for Owned {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    $remote::deserialize(deserializer).map(Owned)
                }
            }

            pub fn serialize<S: Serializer>(value: &Option<$domain>, serializer: S) -> Result<S::Ok, S::Error> {
                value.as_ref().map(Borrowed).serialize(serializer)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<$domain>, D::Error> {
                Ok(Option::<Owned>::deserialize(deserializer)?.map(|Owned(value)| value))
            }
        }
    };
}

optional!(optional_step, domain::StepStart, StepStartV1);
optional!(optional_document, domain::DocumentRef, DocumentRefV1);
optional!(optional_origin, domain::DocumentOrigin, DocumentOriginV1);

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::DocumentOrigin")]
enum DocumentOriginV1 {
    #[serde(rename = "digitized_at_desk")]
    DigitizedAtDesk,
    #[serde(rename = "uploaded")]
    Uploaded,
    #[serde(rename = "reused_from_data_store")]
    ReusedFromDataStore,
    #[serde(rename = "from_national_database")]
    FromNationalDatabase,
}

#[derive(Serialize, Deserialize)]
struct PortalDocumentV1 {
    #[serde(with = "DocumentRefV1")]
    document: domain::DocumentRef,
    #[serde(with = "DocumentOriginV1")]
    origin: domain::DocumentOrigin,
}

/// The portal's part of `CaseSubmittedOnline`, added after the type's first
/// events with a default (absent: filed otherwise), so that those decode and
/// encode to the same bytes.
#[derive(Serialize, Deserialize)]
struct PortalSubmissionV1 {
    dossier_id: String,
    content_sha256: String,
    submitted_at: Timestamp,
    identity_verified: bool,
    documents: Vec<PortalDocumentV1>,
}

impl From<&domain::PortalSubmission> for PortalSubmissionV1 {
    fn from(portal: &domain::PortalSubmission) -> Self {
        let domain::PortalSubmission { dossier_id, content_sha256, submitted_at, identity_verified, documents } =
            portal.clone();
        Self {
            dossier_id,
            content_sha256,
            submitted_at,
            identity_verified,
            documents: documents
                .into_iter()
                .map(|domain::PortalDocument { document, origin }| PortalDocumentV1 { document, origin })
                .collect(),
        }
    }
}

impl From<PortalSubmissionV1> for domain::PortalSubmission {
    fn from(stored: PortalSubmissionV1) -> Self {
        let PortalSubmissionV1 { dossier_id, content_sha256, submitted_at, identity_verified, documents } = stored;
        Self {
            dossier_id,
            content_sha256,
            submitted_at,
            identity_verified,
            documents: documents
                .into_iter()
                .map(|PortalDocumentV1 { document, origin }| domain::PortalDocument { document, origin })
                .collect(),
        }
    }
}

mod optional_portal {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<domain::PortalSubmission>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_ref().map(PortalSubmissionV1::from).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<domain::PortalSubmission>, D::Error> {
        Ok(Option::<PortalSubmissionV1>::deserialize(deserializer)?.map(Into::into))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseSubmittedOnline")]
struct CaseSubmittedOnlineV1 {
    at: Timestamp,
    #[serde(with = "ProcedureRefV1")]
    procedure: domain::ProcedureRef,
    field_code: String,
    unit: UnitCode,
    #[serde(with = "ChannelV1")]
    channel: Channel,
    applicant: ApplicantId,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "optional_portal")]
    portal: Option<domain::PortalSubmission>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseReceived")]
struct CaseReceivedV1 {
    at: Timestamp,
    code: CaseCode,
    lookup_secret_hash: String,
    #[serde(with = "ProcedureRefV1")]
    procedure: domain::ProcedureRef,
    field_code: String,
    unit: UnitCode,
    #[serde(with = "ChannelV1")]
    channel: Channel,
    applicant: ApplicantId,
    documents: Vec<String>,
    #[serde(with = "ProcessingTimeV1")]
    processing_time: ProcessingTime,
    #[serde(with = "PauseModeV1")]
    pause_mode: PauseMode,
    counting_from: Timestamp,
    due_at: Timestamp,
    #[serde(with = "StepStartV1")]
    step: domain::StepStart,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseRefusedAtReception")]
struct CaseRefusedAtReceptionV1 {
    at: Timestamp,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseTransferred")]
struct CaseTransferredV1 {
    at: Timestamp,
    from_unit: UnitCode,
    by: UserId,
    note: Option<String>,
    #[serde(with = "StepStartV1")]
    step: domain::StepStart,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::HandoverAcknowledged")]
struct HandoverAcknowledgedV1 {
    at: Timestamp,
    unit: UnitCode,
    by: UserId,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::AppraisalRecorded")]
struct AppraisalRecordedV1 {
    at: Timestamp,
    opinion: String,
    #[serde(with = "ProposalV1")]
    proposal: domain::Proposal,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::SupplementRequested")]
struct SupplementRequestedV1 {
    at: Timestamp,
    reason: String,
    documents: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::SupplementReceived")]
struct SupplementReceivedV1 {
    at: Timestamp,
    documents: Vec<String>,
    #[serde(with = "ClockRestartedV1")]
    clock: domain::ClockRestarted,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::PaymentRequested")]
struct PaymentRequestedV1 {
    at: Timestamp,
    amount_vnd: u64,
    description: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::PaymentRecorded")]
struct PaymentRecordedV1 {
    at: Timestamp,
    amount_vnd: u64,
    receipt: String,
    /// Absent in events written before online payments were told apart.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    online: bool,
    #[serde(with = "ClockRestartedV1")]
    clock: domain::ClockRestarted,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::SubmittedForApproval")]
struct SubmittedForApprovalV1 {
    at: Timestamp,
    note: Option<String>,
    /// Absent in events written before workflows had an approval step.
    #[serde(default, with = "optional_step")]
    step: Option<domain::StepStart>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseApproved")]
struct CaseApprovedV1 {
    at: Timestamp,
    note: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::SentBackForRework")]
struct SentBackForReworkV1 {
    at: Timestamp,
    reason: String,
    #[serde(with = "StepStartV1")]
    step: domain::StepStart,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::DeadlineExtended")]
struct DeadlineExtendedV1 {
    at: Timestamp,
    previous_due_at: Timestamp,
    due_at: Timestamp,
    reason: String,
    #[serde(with = "DocumentRefV1")]
    apology_letter: domain::DocumentRef,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CasePaused")]
struct CasePausedV1 {
    at: Timestamp,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseResumed")]
struct CaseResumedV1 {
    at: Timestamp,
    #[serde(with = "ClockRestartedV1")]
    clock: domain::ClockRestarted,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseRefusedAsIneligible")]
struct CaseRefusedAsIneligibleV1 {
    at: Timestamp,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseWithdrawn")]
struct CaseWithdrawnV1 {
    at: Timestamp,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CaseStopped")]
struct CaseStoppedV1 {
    at: Timestamp,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::ResultRecorded")]
struct ResultRecordedV1 {
    at: Timestamp,
    summary: String,
    #[serde(with = "optional_document")]
    document: Option<domain::DocumentRef>,
    /// Absent in events written before results carried their number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result_code: Option<String>,
    /// Absent in events written before workflows had a return step.
    #[serde(default, with = "optional_step")]
    step: Option<domain::StepStart>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::ResultReturned")]
struct ResultReturnedV1 {
    at: Timestamp,
    #[serde(with = "ReturnMethodV1")]
    method: domain::ReturnMethod,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::CommentAdded")]
struct CommentAddedV1 {
    at: Timestamp,
    text: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::SatisfactionRated")]
struct SatisfactionRatedV1 {
    at: Timestamp,
    score: u8,
    comment: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::DocumentAttached")]
struct DocumentAttachedV1 {
    at: Timestamp,
    #[serde(with = "DocumentRefV1")]
    document: domain::DocumentRef,
    /// Absent in events written before documents carried their origin.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "optional_origin")]
    origin: Option<domain::DocumentOrigin>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Form")]
enum FormV1 {
    #[serde(rename = "01")]
    Receipt,
    #[serde(rename = "02")]
    SupplementRequest,
    #[serde(rename = "03")]
    Refusal,
    #[serde(rename = "04")]
    Apology,
    #[serde(rename = "05")]
    StopNotice,
    #[serde(rename = "06")]
    ControlSlip,
    #[serde(rename = "07")]
    Register,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "FormFormat")]
enum FormFormatV1 {
    #[serde(rename = "pdf")]
    Pdf,
    #[serde(rename = "html")]
    Html,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "domain::FormIssued")]
struct FormIssuedV1 {
    at: Timestamp,
    #[serde(with = "FormV1")]
    form: Form,
    #[serde(with = "FormFormatV1")]
    format: FormFormat,
    of_version: u64,
    sha256: String,
}

/// The stored event types, each with its name in the log and its version-1
/// definition.
macro_rules! stored_case_events {
    ($($variant:ident => $name:literal as $v1:ident,)*) => {
        /// Every stored case event type name, in lifecycle order.
        pub const TYPES: &[&str] = &[$($name,)*];

        /// The stored `event_type` of `event`.
        pub fn event_type(event: &CaseEvent) -> &'static str {
            match event {
                $(CaseEvent::$variant(_) => $name,)*
            }
        }

        /// The stored payload of `event`, in schema version [`CURRENT`].
        pub fn encode(event: &CaseEvent) -> serde_json::Value {
            let value = match event {
                $(CaseEvent::$variant(event) => $v1::serialize(event, serde_json::value::Serializer),)*
            };
            // Writing these plain records into a JSON value cannot fail.
            value.unwrap_or(serde_json::Value::Null)
        }

        /// Reads a stored event of any schema version this build knows.
        pub fn decode(
            event_type: &str,
            schema_version: i32,
            payload: &str,
        ) -> Result<CaseEvent, DecodeError> {
            let malformed = |source| DecodeError::Payload {
                event_type: event_type.to_owned(),
                source,
            };
            match (event_type, schema_version) {
                $(($name, 1) => {
                    // One JSON document, nothing after it.
                    let mut json = serde_json::Deserializer::from_str(payload);
                    $v1::deserialize(&mut json)
                        .and_then(|event| json.end().map(|()| event))
                        .map(CaseEvent::$variant)
                        .map_err(malformed)
                })*
                (name, version) if TYPES.contains(&name) => Err(DecodeError::UnsupportedVersion {
                    event_type: name.to_owned(),
                    schema_version: version,
                }),
                (other, _) => Err(DecodeError::UnknownType(other.to_owned())),
            }
        }
    };
}

stored_case_events! {
    CaseSubmittedOnline => "CaseSubmittedOnline" as CaseSubmittedOnlineV1,
    CaseReceived => "CaseReceived" as CaseReceivedV1,
    CaseRefusedAtReception => "CaseRefusedAtReception" as CaseRefusedAtReceptionV1,
    CaseTransferred => "CaseTransferred" as CaseTransferredV1,
    HandoverAcknowledged => "HandoverAcknowledged" as HandoverAcknowledgedV1,
    AppraisalRecorded => "AppraisalRecorded" as AppraisalRecordedV1,
    SupplementRequested => "SupplementRequested" as SupplementRequestedV1,
    SupplementReceived => "SupplementReceived" as SupplementReceivedV1,
    PaymentRequested => "PaymentRequested" as PaymentRequestedV1,
    PaymentRecorded => "PaymentRecorded" as PaymentRecordedV1,
    SubmittedForApproval => "SubmittedForApproval" as SubmittedForApprovalV1,
    CaseApproved => "CaseApproved" as CaseApprovedV1,
    SentBackForRework => "SentBackForRework" as SentBackForReworkV1,
    DeadlineExtended => "DeadlineExtended" as DeadlineExtendedV1,
    CasePaused => "CasePaused" as CasePausedV1,
    CaseResumed => "CaseResumed" as CaseResumedV1,
    CaseRefusedAsIneligible => "CaseRefusedAsIneligible" as CaseRefusedAsIneligibleV1,
    CaseWithdrawn => "CaseWithdrawn" as CaseWithdrawnV1,
    CaseStopped => "CaseStopped" as CaseStoppedV1,
    ResultRecorded => "ResultRecorded" as ResultRecordedV1,
    ResultReturned => "ResultReturned" as ResultReturnedV1,
    CommentAdded => "CommentAdded" as CommentAddedV1,
    SatisfactionRated => "SatisfactionRated" as SatisfactionRatedV1,
    DocumentAttached => "DocumentAttached" as DocumentAttachedV1,
    FormIssued => "FormIssued" as FormIssuedV1,
}

/// The stored form, as this module defines it (written here, not with the
/// domain's types, so that the domain does not depend on its storage).
impl CaseEvent {
    /// Every stored event type name, in lifecycle order.
    pub const TYPES: &'static [&'static str] = TYPES;

    /// The schema version new events are written in.
    pub const SCHEMA_VERSION: i32 = CURRENT;

    /// The stored `event_type`.
    pub fn event_type(&self) -> &'static str {
        event_type(self)
    }

    /// The stored payload, in schema version [`Self::SCHEMA_VERSION`].
    pub fn payload(&self) -> serde_json::Value {
        encode(self)
    }

    /// Decodes a stored event of any schema version this build reads.
    pub fn decode(event_type: &str, schema_version: i32, payload: &str) -> Result<Self, DecodeError> {
        decode(event_type, schema_version, payload)
    }
}
