//! The case-page actions: for each command an officer may give, its address
//! (the API's action path), its Vietnamese name, the fields of its form, and
//! how a posted form becomes the command. Which of them a case page shows is
//! the rules' answer (`CaseService::offered`), never decided here.

use jiff::Timestamp;
use onestop_domain::access::CaseAction;
use onestop_domain::case::CaseCommand;
use onestop_domain::case::event::{DocumentRef, Proposal, ReturnMethod};
use onestop_domain::ids::UnitCode;

use super::form::Posted;
use crate::problem::Problem;

/// One field of an action's form.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// A required text area.
    Text { name: &'static str, label: &'static str },
    /// An optional text area.
    OptionalText { name: &'static str, label: &'static str },
    /// One line per entry (documents).
    Lines { name: &'static str, label: &'static str },
    /// A whole number of đồng.
    Amount { name: &'static str, label: &'static str },
    /// A one-line text.
    Line { name: &'static str, label: &'static str, required: bool },
    /// A checkbox.
    Check { name: &'static str, label: &'static str },
    /// A date and time in Vietnam's time.
    DateTime { name: &'static str, label: &'static str },
    /// The units the next step may be done at.
    NextUnit,
    /// Grant or refuse.
    Proposal,
    /// At the desk, by post, online.
    ReturnMethod,
    /// 1–5.
    Score,
    /// A document's reference: name, media type, size, SHA-256, storage.
    Document { prefix: &'static str, label: &'static str },
}

/// What the page shows of an action.
#[derive(Debug, Clone, Copy)]
pub struct ActionForm {
    pub action: CaseAction,
    /// The API's path segment, also the console's: `/cases/{id}/{slug}`.
    pub slug: &'static str,
    pub label: &'static str,
    pub fields: &'static [Field],
    /// Actions that end or turn back a file ask twice.
    pub weighty: bool,
}

use Field::*;

const REASON: Field = Text { name: "reason", label: "Lý do" };
const NOTE: Field = OptionalText { name: "note", label: "Ghi chú (không bắt buộc)" };

/// Every case-page action, in the order the page lists them.
pub const FORMS: &[ActionForm] = &[
    ActionForm {
        action: CaseAction::AcceptOnline,
        slug: "accept",
        label: "Tiếp nhận hồ sơ trực tuyến",
        fields: &[],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RefuseAtReception,
        slug: "refuse-at-reception",
        label: "Từ chối tiếp nhận",
        fields: &[REASON],
        weighty: true,
    },
    ActionForm {
        action: CaseAction::AcknowledgeHandover,
        slug: "acknowledge-handover",
        label: "Nhận bàn giao hồ sơ",
        fields: &[],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::Transfer,
        slug: "transfer",
        label: "Chuyển bước tiếp theo",
        fields: &[NextUnit, NOTE],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RecordAppraisal,
        slug: "appraisal",
        label: "Ghi kết quả thẩm định",
        fields: &[Text { name: "opinion", label: "Ý kiến thẩm định" }, Proposal],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::SubmitForApproval,
        slug: "submit-for-approval",
        label: "Trình ký",
        fields: &[NOTE],
        weighty: false,
    },
    ActionForm { action: CaseAction::Approve, slug: "approve", label: "Phê duyệt", fields: &[NOTE], weighty: false },
    ActionForm {
        action: CaseAction::SendBackForRework,
        slug: "send-back",
        label: "Trả lại để xử lý lại",
        fields: &[REASON],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RecordResult,
        slug: "result",
        label: "Ghi nhận có kết quả",
        fields: &[
            Text { name: "summary", label: "Tóm tắt kết quả" },
            Line {
                name: "result_code", label: "Số, ký hiệu văn bản kết quả (không bắt buộc)", required: false
            },
        ],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::ReturnResult,
        slug: "return",
        label: "Trả kết quả",
        fields: &[ReturnMethod],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RequestSupplement,
        slug: "request-supplement",
        label: "Yêu cầu bổ sung hồ sơ",
        fields: &[REASON, Lines { name: "documents", label: "Giấy tờ cần bổ sung (mỗi dòng một loại)" }],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::ReceiveSupplement,
        slug: "receive-supplement",
        label: "Nhận hồ sơ bổ sung",
        fields: &[Lines { name: "documents", label: "Giấy tờ đã nhận (mỗi dòng một loại)" }],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RequestPayment,
        slug: "request-payment",
        label: "Yêu cầu nộp phí, lệ phí",
        fields: &[
            Amount { name: "amount_vnd", label: "Số tiền (đồng)" },
            Text { name: "description", label: "Nội dung khoản thu" },
        ],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RecordPayment,
        slug: "record-payment",
        label: "Ghi nhận đã nộp phí",
        fields: &[
            Amount { name: "amount_vnd", label: "Số tiền (đồng)" },
            Line { name: "receipt", label: "Số biên lai", required: true },
            Check { name: "online", label: "Nộp trực tuyến qua Cổng DVCQG" },
        ],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::Extend,
        slug: "extend",
        label: "Gia hạn (kèm Phiếu xin lỗi)",
        fields: &[
            DateTime { name: "new_due_at", label: "Ngày hẹn trả mới" },
            REASON,
            Document { prefix: "letter", label: "Phiếu xin lỗi và hẹn lại ngày trả kết quả" },
        ],
        weighty: true,
    },
    ActionForm {
        action: CaseAction::Pause, slug: "pause", label: "Tạm dừng xử lý", fields: &[REASON], weighty: false
    },
    ActionForm {
        action: CaseAction::Resume, slug: "resume", label: "Tiếp tục xử lý", fields: &[], weighty: false
    },
    ActionForm {
        action: CaseAction::RefuseAsIneligible,
        slug: "refuse",
        label: "Trả lại hồ sơ không đủ điều kiện",
        fields: &[REASON],
        weighty: true,
    },
    ActionForm {
        action: CaseAction::Withdraw,
        slug: "withdraw",
        label: "Công dân rút hồ sơ",
        fields: &[REASON],
        weighty: true,
    },
    ActionForm { action: CaseAction::Stop, slug: "stop", label: "Dừng xử lý", fields: &[REASON], weighty: true },
    ActionForm {
        action: CaseAction::Comment,
        slug: "comments",
        label: "Trao đổi nội bộ",
        fields: &[Text { name: "text", label: "Nội dung trao đổi" }],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::AttachDocument,
        slug: "documents",
        label: "Đính kèm tài liệu",
        fields: &[Document { prefix: "document", label: "Tài liệu" }],
        weighty: false,
    },
    ActionForm {
        action: CaseAction::RateSatisfaction,
        slug: "rating",
        label: "Ghi nhận mức độ hài lòng",
        fields: &[Score, OptionalText { name: "comment", label: "Góp ý (không bắt buộc)" }],
        weighty: false,
    },
];

/// The form posted to `/cases/{id}/{slug}`.
pub fn by_slug(slug: &str) -> Option<&'static ActionForm> {
    FORMS.iter().find(|f| f.slug == slug)
}

fn required(form: &Posted, name: &str) -> Result<String, Problem> {
    form.text(name).map(str::to_owned).ok_or_else(|| Problem::invalid_field(name, "không được để trống"))
}

fn optional(form: &Posted, name: &str) -> Option<String> {
    form.text(name).map(str::to_owned)
}

fn amount(form: &Posted, name: &str) -> Result<u64, Problem> {
    let text = required(form, name)?.replace(['.', ',', ' '], "");
    text.parse().map_err(|_| Problem::invalid_field(name, "phải là số tiền bằng đồng, ví dụ 50000"))
}

/// `2026-03-20T17:00` from a `datetime-local` field, in Vietnam's time.
fn local_instant(form: &Posted, name: &str) -> Result<Timestamp, Problem> {
    let text = required(form, name)?;
    let civil: jiff::civil::DateTime =
        text.parse().map_err(|_| Problem::invalid_field(name, "phải là ngày giờ, ví dụ 20/03/2026 17:00"))?;
    Ok(onestop_domain::calendar::instant(civil))
}

fn document(form: &Posted, prefix: &str) -> Result<DocumentRef, Problem> {
    let name = |part: &str| format!("{prefix}_{part}");
    let size = form.text(&name("size_bytes")).unwrap_or("0");
    Ok(DocumentRef {
        name: required(form, &name("name"))?,
        media_type: optional(form, &name("media_type")).unwrap_or_else(|| "application/pdf".into()),
        size_bytes: size.parse().map_err(|_| Problem::invalid_field(name("size_bytes"), "phải là số byte"))?,
        sha256: required(form, &name("sha256"))?.to_ascii_lowercase(),
        storage_ref: required(form, &name("storage_ref"))?,
    })
}

/// The command a posted action form asks for.
pub fn command_of(action: CaseAction, form: &Posted) -> Result<CaseCommand, Problem> {
    use CaseAction as A;
    Ok(match action {
        A::AcceptOnline => CaseCommand::AcceptOnline,
        A::RefuseAtReception => CaseCommand::RefuseAtReception { reason: required(form, "reason")? },
        A::AcknowledgeHandover => CaseCommand::AcknowledgeHandover,
        A::Transfer => CaseCommand::Transfer {
            to_unit: required(form, "to_unit")?
                .parse::<UnitCode>()
                .map_err(|e| Problem::invalid_field("to_unit", e))?,
            assignee: None,
            note: optional(form, "note"),
        },
        A::RecordAppraisal => CaseCommand::RecordAppraisal {
            opinion: required(form, "opinion")?,
            proposal: match form.text("proposal") {
                Some("grant") => Proposal::Grant,
                Some("refuse") => Proposal::Refuse,
                _ => return Err(Problem::invalid_field("proposal", "hãy chọn đề xuất giải quyết hoặc từ chối")),
            },
        },
        A::SubmitForApproval => CaseCommand::SubmitForApproval { note: optional(form, "note") },
        A::Approve => CaseCommand::Approve { note: optional(form, "note") },
        A::SendBackForRework => CaseCommand::SendBackForRework { reason: required(form, "reason")? },
        A::RecordResult => CaseCommand::RecordResult {
            summary: required(form, "summary")?,
            document: None,
            result_code: optional(form, "result_code"),
        },
        A::ReturnResult => CaseCommand::ReturnResult {
            method: match form.text("method") {
                Some("at_desk") => ReturnMethod::AtDesk,
                Some("by_post") => ReturnMethod::ByPost,
                Some("online") => ReturnMethod::Online,
                _ => return Err(Problem::invalid_field("method", "hãy chọn cách trả kết quả")),
            },
        },
        A::RequestSupplement => {
            CaseCommand::RequestSupplement { reason: required(form, "reason")?, documents: form.lines("documents") }
        }
        A::ReceiveSupplement => CaseCommand::ReceiveSupplement { documents: form.lines("documents") },
        A::RequestPayment => CaseCommand::RequestPayment {
            amount_vnd: amount(form, "amount_vnd")?,
            description: required(form, "description")?,
        },
        A::RecordPayment => CaseCommand::RecordPayment {
            amount_vnd: amount(form, "amount_vnd")?,
            receipt: required(form, "receipt")?,
            online: form.checked("online"),
        },
        A::Extend => CaseCommand::Extend {
            new_due_at: local_instant(form, "new_due_at")?,
            reason: required(form, "reason")?,
            apology_letter: document(form, "letter")?,
        },
        A::Pause => CaseCommand::Pause { reason: required(form, "reason")? },
        A::Resume => CaseCommand::Resume,
        A::RefuseAsIneligible => CaseCommand::RefuseAsIneligible { reason: required(form, "reason")? },
        A::Withdraw => CaseCommand::Withdraw { reason: required(form, "reason")? },
        A::Stop => CaseCommand::Stop { reason: required(form, "reason")? },
        A::Comment => CaseCommand::Comment { text: required(form, "text")? },
        A::AttachDocument => CaseCommand::AttachDocument { document: document(form, "document")?, origin: None },
        A::RateSatisfaction => CaseCommand::RateSatisfaction {
            score: form
                .text("score")
                .and_then(|s| s.parse().ok())
                .filter(|s| (1..=5).contains(s))
                .ok_or_else(|| Problem::invalid_field("score", "hãy chọn từ 1 đến 5"))?,
            comment: optional(form, "comment"),
        },
        A::SubmitOnline | A::Receive | A::IssueForm => {
            return Err(Problem::not_found("thao tác này không làm trên trang hồ sơ"));
        }
    })
}
