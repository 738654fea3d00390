//! What officers (and the portal) ask of a case.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::event::{DocumentOrigin, DocumentRef, PortalSubmission, Proposal, ReturnMethod};
use crate::access::CaseAction;
use crate::case::forms::{Form, FormFormat};
use crate::catalog::Channel;
use crate::ids::{ApplicantId, UnitCode, UserId};

/// Every command on a case. The procedure and, for receipt, the case code come
/// in through the [`Context`](super::Context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CaseCommand {
    /// Nộp trực tuyến: a file arrives from the portal (status 1), with what
    /// the national portal handed over when it came from there.
    SubmitOnline {
        unit: UnitCode,
        channel: Channel,
        applicant: ApplicantId,
        #[serde(skip)]
        portal: Option<Box<PortalSubmission>>,
    },
    /// Tiếp nhận tại quầy / bưu chính: a file received at the desk (status 2).
    Receive { unit: UnitCode, channel: Channel, applicant: ApplicantId, documents: Vec<String> },
    /// Tiếp nhận hồ sơ trực tuyến: accept an online submission (status 2).
    AcceptOnline,
    /// Từ chối tiếp nhận (status 3).
    RefuseAtReception { reason: String },
    /// Chuyển hồ sơ to the next workflow step.
    Transfer { to_unit: UnitCode, assignee: Option<UserId>, note: Option<String> },
    /// Nhận bàn giao: the receiving side confirms the handover.
    AcknowledgeHandover,
    /// Ghi nhận kết quả thẩm định.
    RecordAppraisal { opinion: String, proposal: Proposal },
    /// Yêu cầu bổ sung hồ sơ (status 5): the clock stops.
    RequestSupplement { reason: String, documents: Vec<String> },
    /// Nhận hồ sơ bổ sung: the clock starts again.
    ReceiveSupplement { documents: Vec<String> },
    /// Yêu cầu thực hiện nghĩa vụ tài chính (status 6): the clock stops.
    RequestPayment { amount_vnd: u64, description: String },
    /// The fee or tax was paid: the clock starts again.
    RecordPayment {
        amount_vnd: u64,
        receipt: String,
        /// Paid through the national portal's payment platform.
        #[serde(default)]
        online: bool,
    },
    /// Trình ký.
    SubmitForApproval { note: Option<String> },
    /// Phê duyệt.
    Approve { note: Option<String> },
    /// Trả lại để xử lý lại.
    SendBackForRework { reason: String },
    /// Gia hạn, once, with an apology letter.
    Extend { new_due_at: Timestamp, reason: String, apology_letter: DocumentRef },
    /// Tạm dừng: the clock stops.
    Pause { reason: String },
    /// Tiếp tục xử lý.
    Resume,
    /// Trả lại hồ sơ: not eligible, returned with the reason.
    RefuseAsIneligible { reason: String },
    /// Công dân rút hồ sơ (status 7).
    Withdraw { reason: String },
    /// Dừng xử lý (status 8).
    Stop { reason: String },
    /// Có kết quả (status 9).
    RecordResult {
        summary: String,
        document: Option<DocumentRef>,
        /// The result document's number and sign.
        #[serde(default)]
        result_code: Option<String>,
    },
    /// Trả kết quả (status 10).
    ReturnResult { method: ReturnMethod },
    /// An internal note between the officers on the case.
    Comment { text: String },
    /// Đánh giá mức độ hài lòng, 1–5.
    RateSatisfaction { score: u8, comment: Option<String> },
    /// Attach a document (metadata, hash and storage reference).
    AttachDocument {
        document: DocumentRef,
        /// Where a component of the file came from.
        #[serde(default)]
        origin: Option<DocumentOrigin>,
    },
    /// Phát hành: record that a form printed from version `of_version` was
    /// handed out, with the SHA-256 of its bytes.
    IssueForm { form: Form, format: FormFormat, of_version: u64, sha256: String },
}

impl CaseCommand {
    /// Which action of the access policy this command is.
    pub fn kind(&self) -> CaseAction {
        match self {
            Self::SubmitOnline { .. } => CaseAction::SubmitOnline,
            Self::Receive { .. } => CaseAction::Receive,
            Self::AcceptOnline => CaseAction::AcceptOnline,
            Self::RefuseAtReception { .. } => CaseAction::RefuseAtReception,
            Self::Transfer { .. } => CaseAction::Transfer,
            Self::AcknowledgeHandover => CaseAction::AcknowledgeHandover,
            Self::RecordAppraisal { .. } => CaseAction::RecordAppraisal,
            Self::RequestSupplement { .. } => CaseAction::RequestSupplement,
            Self::ReceiveSupplement { .. } => CaseAction::ReceiveSupplement,
            Self::RequestPayment { .. } => CaseAction::RequestPayment,
            Self::RecordPayment { .. } => CaseAction::RecordPayment,
            Self::SubmitForApproval { .. } => CaseAction::SubmitForApproval,
            Self::Approve { .. } => CaseAction::Approve,
            Self::SendBackForRework { .. } => CaseAction::SendBackForRework,
            Self::Extend { .. } => CaseAction::Extend,
            Self::Pause { .. } => CaseAction::Pause,
            Self::Resume => CaseAction::Resume,
            Self::RefuseAsIneligible { .. } => CaseAction::RefuseAsIneligible,
            Self::Withdraw { .. } => CaseAction::Withdraw,
            Self::Stop { .. } => CaseAction::Stop,
            Self::RecordResult { .. } => CaseAction::RecordResult,
            Self::ReturnResult { .. } => CaseAction::ReturnResult,
            Self::Comment { .. } => CaseAction::Comment,
            Self::RateSatisfaction { .. } => CaseAction::RateSatisfaction,
            Self::AttachDocument { .. } => CaseAction::AttachDocument,
            Self::IssueForm { .. } => CaseAction::IssueForm,
        }
    }

    /// The unit a command that files a new case files it at.
    pub fn filing_unit(&self) -> Option<&UnitCode> {
        match self {
            Self::SubmitOnline { unit, .. } | Self::Receive { unit, .. } => Some(unit),
            _ => None,
        }
    }

    /// The command's name in rule messages and URLs.
    pub fn action(&self) -> &'static str {
        self.kind().name()
    }
}
