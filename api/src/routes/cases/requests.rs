//! What clients send to file a case and to give each command: the request
//! bodies, validated before any rule is asked.

use jiff::Timestamp;
use onestop_domain::case::event::DocumentRef;
use onestop_domain::catalog::Channel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// How the file reaches the one-stop shop.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDto {
    InPerson,
    OnlineFull,
    OnlinePartial,
    Post,
}

impl From<ChannelDto> for Channel {
    fn from(c: ChannelDto) -> Self {
        match c {
            ChannelDto::InPerson => Channel::InPerson,
            ChannelDto::OnlineFull => Channel::OnlineFull,
            ChannelDto::OnlinePartial => Channel::OnlinePartial,
            ChannelDto::Post => Channel::Post,
        }
    }
}

impl From<Channel> for ChannelDto {
    fn from(c: Channel) -> Self {
        match c {
            Channel::InPerson => ChannelDto::InPerson,
            Channel::OnlineFull => ChannelDto::OnlineFull,
            Channel::OnlinePartial => ChannelDto::OnlinePartial,
            Channel::Post => ChannelDto::Post,
        }
    }
}

/// The applicant (chủ hồ sơ). Stored encrypted, apart from the case's events.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantDto {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    /// Personal identification number or business registration number.
    #[validate(length(min = 6, max = 20))]
    #[schema(min_length = 6, max_length = 20)]
    pub id_number: String,
    #[validate(length(min = 6, max = 20))]
    #[schema(min_length = 6, max_length = 20)]
    pub phone: Option<String>,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub address: Option<String>,
    /// A plain `local@domain.tld` (`onestop_domain::personal::EMAIL_PATTERN`).
    #[validate(custom(function = "plain_email"))]
    #[schema(format = Email, max_length = 254, pattern = "Email")]
    pub email: Option<String>,
}

pub(crate) fn plain_email(email: &str) -> Result<(), validator::ValidationError> {
    if email.chars().count() <= 254 && onestop_domain::personal::is_email(email) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("email").with_message("must be a plain address: local@domain.tld".into()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// The procedure's code in the catalog, e.g. `1.004227`.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50, pattern = "ProcedureCode")]
    pub procedure_code: String,
    /// The receiving unit's code, e.g. `000.00.01.H22`.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, pattern = "UnitCode")]
    pub unit: String,
    pub channel: ChannelDto,
    #[validate(nested)]
    pub applicant: ApplicantDto,
    /// Names of the documents handed in.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub documents: Vec<String>,
    /// How the applicant asks to be told of the case; absent: not at all.
    #[serde(default)]
    #[validate(nested)]
    pub notices: Option<NoticeChoiceDto>,
}

/// A channel notices go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeChannelDto {
    /// Tin nhắn SMS (the applicant's phone).
    Sms,
    /// Thư điện tử (the applicant's e-mail).
    Email,
    /// Zalo ZNS (the applicant's phone).
    Zalo,
}

impl From<NoticeChannelDto> for onestop_domain::notice::NoticeChannel {
    fn from(c: NoticeChannelDto) -> Self {
        match c {
            NoticeChannelDto::Sms => Self::Sms,
            NoticeChannelDto::Email => Self::Email,
            NoticeChannelDto::Zalo => Self::Zalo,
        }
    }
}

impl From<onestop_domain::notice::NoticeChannel> for NoticeChannelDto {
    fn from(c: onestop_domain::notice::NoticeChannel) -> Self {
        use onestop_domain::notice::NoticeChannel;
        match c {
            NoticeChannel::Sms => Self::Sms,
            NoticeChannel::Email => Self::Email,
            NoticeChannel::Zalo => Self::Zalo,
        }
    }
}

/// The applicant's choice of notice channels and their consent to the use of
/// their phone and e-mail for it (Decree 13/2023), recorded at receipt. A
/// channel needs the contact it uses (SMS and Zalo a phone, e-mail an e-mail
/// address), and any channel needs `consent`: otherwise 422.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeChoiceDto {
    #[validate(length(max = 3))]
    #[schema(max_items = 3)]
    pub channels: Vec<NoticeChannelDto>,
    pub consent: bool,
}

impl From<NoticeChoiceDto> for onestop_domain::notice::NoticeChoice {
    fn from(c: NoticeChoiceDto) -> Self {
        Self { channels: c.channels.into_iter().map(Into::into).collect(), consent: c.consent }.normalised()
    }
}

/// A document kept outside the event log: metadata, SHA-256 and storage reference.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentDto {
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub media_type: String,
    #[validate(range(max = 9_223_372_036_854_775_807_u64))]
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub size_bytes: u64,
    /// 64 lowercase hexadecimal digits.
    #[validate(length(equal = 64))]
    #[schema(min_length = 64, max_length = 64, pattern = "Sha256")]
    pub sha256: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub storage_ref: String,
}

impl From<DocumentDto> for DocumentRef {
    fn from(d: DocumentDto) -> Self {
        DocumentRef {
            name: d.name,
            media_type: d.media_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            storage_ref: d.storage_ref,
        }
    }
}

/// Where a document's content came from (for the digitization indicators).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentOriginDto {
    /// Scanned from paper (số hóa).
    DigitizedAtDesk,
    /// Sent as an electronic file by the applicant.
    Uploaded,
    /// Reused from the applicant's electronic data store (kho dữ liệu).
    ReusedFromDataStore,
    /// Taken from a national database.
    FromNationalDatabase,
}

impl From<DocumentOriginDto> for onestop_domain::case::event::DocumentOrigin {
    fn from(origin: DocumentOriginDto) -> Self {
        match origin {
            DocumentOriginDto::DigitizedAtDesk => Self::DigitizedAtDesk,
            DocumentOriginDto::Uploaded => Self::Uploaded,
            DocumentOriginDto::ReusedFromDataStore => Self::ReusedFromDataStore,
            DocumentOriginDto::FromNationalDatabase => Self::FromNationalDatabase,
        }
    }
}

/// A command without fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The unit taking the next workflow step.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, pattern = "UnitCode")]
    pub to_unit: String,
    /// The officer expected to take the file.
    pub assignee: Option<Uuid>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalDto {
    Grant,
    Refuse,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppraisalRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub opinion: String,
    pub proposal: ProposalDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsRequest {
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    // At most i64::MAX, the int64 the document declares (and PostgreSQL's bigint).
    #[validate(range(min = 1, max = 9_223_372_036_854_775_807_u64))]
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)]
    pub amount_vnd: u64,
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecord {
    // At most i64::MAX, the int64 the document declares (and PostgreSQL's bigint).
    #[validate(range(min = 1, max = 9_223_372_036_854_775_807_u64))]
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)]
    pub amount_vnd: u64,
    /// The receipt's number (biên lai).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub receipt: String,
    /// Paid online through the national portal's payment platform (thanh
    /// toán trực tuyến); by default paid at the desk or by transfer.
    #[serde(default)]
    pub online: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    pub new_due_at: Timestamp,
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
    /// Phiếu xin lỗi và hẹn lại ngày trả kết quả.
    #[validate(nested)]
    pub apology_letter: DocumentDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    /// The result as an electronic document (kết quả điện tử), when issued so.
    #[validate(nested)]
    pub document: Option<DocumentDto>,
    /// The result document's number and sign (số, ký hiệu).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub result_code: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethodDto {
    AtDesk,
    ByPost,
    Online,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub method: ReturnMethodDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub score: u8,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachRequest {
    #[validate(nested)]
    pub document: DocumentDto,
    /// When the document is a component of the file: where its content came
    /// from (digitized at the desk, reused from the applicant's data store,
    /// taken from a national database). These feed the QĐ 766 digitization
    /// indicators.
    pub origin: Option<DocumentOriginDto>,
}
