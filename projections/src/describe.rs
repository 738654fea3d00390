//! Case events in human terms, in Vietnamese, for the audit trail, the control
//! slip and the provincial feed.

use onestop_domain::case::CaseEvent;
use onestop_domain::case::event::{Proposal, ReturnMethod};

/// What happened, as an officer would write it.
pub fn action_vi(event: &CaseEvent) -> String {
    match event {
        CaseEvent::CaseSubmittedOnline(_) => "Nộp hồ sơ trực tuyến".into(),
        CaseEvent::CaseReceived(e) => format!("Tiếp nhận hồ sơ, hẹn trả {}", date_vi(e.due_at)),
        CaseEvent::CaseRefusedAtReception(_) => "Từ chối tiếp nhận hồ sơ".into(),
        CaseEvent::CaseTransferred(e) => {
            format!("Chuyển hồ sơ từ {} đến {} ({})", e.from_unit, e.step.unit, e.step.name)
        }
        CaseEvent::HandoverAcknowledged(e) => format!("Nhận bàn giao hồ sơ tại {}", e.unit),
        CaseEvent::AppraisalRecorded(e) => match e.proposal {
            Proposal::Grant => "Thẩm định: đề xuất giải quyết".into(),
            Proposal::Refuse => "Thẩm định: đề xuất từ chối".into(),
        },
        CaseEvent::SupplementRequested(_) => "Yêu cầu bổ sung hồ sơ".into(),
        CaseEvent::SupplementReceived(e) => {
            format!("Nhận hồ sơ bổ sung, hẹn trả {}", date_vi(e.clock.due_at))
        }
        CaseEvent::PaymentRequested(e) => {
            format!("Yêu cầu thực hiện nghĩa vụ tài chính: {} đồng", e.amount_vnd)
        }
        CaseEvent::PaymentRecorded(e) => {
            format!("Đã thực hiện nghĩa vụ tài chính: {} đồng", e.amount_vnd)
        }
        CaseEvent::SubmittedForApproval(_) => "Trình lãnh đạo phê duyệt".into(),
        CaseEvent::CaseApproved(_) => "Lãnh đạo phê duyệt".into(),
        CaseEvent::SentBackForRework(_) => "Trả lại để xử lý lại".into(),
        CaseEvent::DeadlineExtended(e) => {
            format!("Gia hạn, hẹn lại ngày trả {} (Phiếu xin lỗi và hẹn lại ngày trả kết quả)", date_vi(e.due_at))
        }
        CaseEvent::CasePaused(_) => "Tạm dừng xử lý".into(),
        CaseEvent::CaseResumed(e) => format!("Tiếp tục xử lý, hẹn trả {}", date_vi(e.clock.due_at)),
        CaseEvent::CaseRefusedAsIneligible(_) => "Trả lại hồ sơ: không đủ điều kiện".into(),
        CaseEvent::CaseWithdrawn(_) => "Công dân rút hồ sơ".into(),
        CaseEvent::CaseStopped(_) => "Dừng xử lý hồ sơ".into(),
        CaseEvent::ResultRecorded(_) => "Có kết quả giải quyết".into(),
        CaseEvent::ResultReturned(e) => match e.method {
            ReturnMethod::AtDesk => "Trả kết quả tại bộ phận một cửa".into(),
            ReturnMethod::ByPost => "Trả kết quả qua bưu chính".into(),
            ReturnMethod::Online => "Trả kết quả trực tuyến".into(),
        },
        CaseEvent::CommentAdded(_) => "Ghi chú nội bộ".into(),
        CaseEvent::SatisfactionRated(e) => format!("Đánh giá mức độ hài lòng: {}/5", e.score),
        CaseEvent::DocumentAttached(e) => format!("Đính kèm tài liệu: {}", e.document.name),
        CaseEvent::FormIssued(e) => format!(
            "Phát hành mẫu số {}: {} ({}, SHA-256 {})",
            e.form.number(),
            e.form.title_vi(),
            e.format.as_str().to_uppercase(),
            e.sha256
        ),
    }
}

/// The reason, note or text the officer gave, if any.
pub fn reason(event: &CaseEvent) -> Option<String> {
    match event {
        CaseEvent::CaseRefusedAtReception(e) => Some(e.reason.clone()),
        CaseEvent::CaseTransferred(e) => e.note.clone(),
        CaseEvent::AppraisalRecorded(e) => Some(e.opinion.clone()),
        CaseEvent::SupplementRequested(e) => Some(e.reason.clone()),
        CaseEvent::PaymentRequested(e) => Some(e.description.clone()),
        CaseEvent::SubmittedForApproval(e) => e.note.clone(),
        CaseEvent::CaseApproved(e) => e.note.clone(),
        CaseEvent::SentBackForRework(e) => Some(e.reason.clone()),
        CaseEvent::DeadlineExtended(e) => Some(e.reason.clone()),
        CaseEvent::CasePaused(e) => Some(e.reason.clone()),
        CaseEvent::CaseRefusedAsIneligible(e) => Some(e.reason.clone()),
        CaseEvent::CaseWithdrawn(e) => Some(e.reason.clone()),
        CaseEvent::CaseStopped(e) => Some(e.reason.clone()),
        CaseEvent::ResultRecorded(e) => Some(e.summary.clone()),
        CaseEvent::CommentAdded(e) => Some(e.text.clone()),
        CaseEvent::SatisfactionRated(e) => e.comment.clone(),
        _ => None,
    }
}

/// `dd/MM/yyyy HH:mm` in Vietnam's time.
pub fn date_vi(at: jiff::Timestamp) -> String {
    onestop_domain::calendar::local(at).strftime("%d/%m/%Y %H:%M").to_string()
}

#[derive(serde::Deserialize)]
struct Metadata {
    #[serde(default)]
    actor: Option<RecordedActor>,
}

/// The actor recorded in an event's metadata.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RecordedActor {
    pub user_id: Option<uuid::Uuid>,
    pub role: Option<String>,
    pub name: Option<String>,
    /// The units granted to them when they acted.
    #[serde(default)]
    pub units: Vec<String>,
}

/// The actor recorded in an event's metadata, with their grants.
pub fn recorded_actor(metadata: &str) -> RecordedActor {
    serde_json::from_str::<Metadata>(metadata).ok().and_then(|m| m.actor).unwrap_or_default()
}

/// The actor recorded in an event's metadata: (user id, role, name).
pub fn actor_of(metadata: &str) -> (Option<uuid::Uuid>, Option<String>, Option<String>) {
    let actor = recorded_actor(metadata);
    (actor.user_id, actor.role, actor.name)
}
