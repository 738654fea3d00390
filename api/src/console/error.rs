//! What goes wrong, as a page in Vietnamese that says what to do next. The
//! API's problem details ([`Problem`]) are shown in words: the title, an
//! explanation of the rule that refused, the fields to correct, and what to
//! do. A failure of ours is an opaque page; its cause is logged where the
//! problem was made. The pages themselves are drawn by [`super::failure_page`].

use actix_web::HttpRequest;
use maud::{Markup, html};

use crate::problem::Problem;

/// Why a console request did not get its page.
#[derive(Debug)]
pub enum Failure {
    /// Not signed in (or the session ended): to the sign-in page, then back here.
    SignIn { next: String },
    /// A post without the page's CSRF token, or from another site.
    Forgery,
    /// A form the browser could not have sent as the page made it.
    BadForm(&'static str),
    /// What the API would have answered.
    Problem(Problem),
}

impl Failure {
    pub fn sign_in(req: &HttpRequest) -> Self {
        let next = match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{query}", req.path()),
        };
        Self::SignIn { next }
    }

    pub fn bad_form(why: &'static str) -> Self {
        Self::BadForm(why)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::Problem(Problem::not_found(what))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { .. } => f.write_str("sign-in needed"),
            Self::Forgery => f.write_str("form without a valid CSRF token"),
            Self::BadForm(why) => f.write_str(why),
            Self::Problem(problem) => write!(f, "{} ({})", problem.title, problem.status),
        }
    }
}

impl<T: Into<Problem>> From<T> for Failure {
    fn from(problem: T) -> Self {
        Self::Problem(problem.into())
    }
}

/// A problem in words: what the rule says, which fields, what to do.
pub fn explain(problem: &Problem) -> Markup {
    html! {
        @if let Some(rule) = problem.rule.and_then(rule_vi) {
            p.rule { (rule) }
        }
        @if !problem.errors.is_empty() {
            p { "Cần sửa:" }
            ul.field-errors {
                @for error in &problem.errors {
                    li { strong { (field_vi(&error.field)) } ": " (error.message) }
                }
            }
        }
        p.todo { (what_to_do(problem)) }
        @if let Some(detail) = problem.detail.as_deref().filter(|_| problem.status < 500) {
            details { summary { "Chi tiết" } p { (detail) } }
        }
    }
}

fn what_to_do(problem: &Problem) -> String {
    match problem.status {
        401 => "Hãy đăng nhập lại.".into(),
        403 => {
            "Tài khoản của bạn không có quyền làm việc này. Nếu cần, hãy đề nghị quản trị hệ thống cấp quyền.".into()
        }
        404 => "Hãy kiểm tra lại mã hoặc đường dẫn. Có thể hồ sơ không thuộc đơn vị của bạn.".into(),
        409 => "Hãy mở lại hồ sơ để xem trạng thái hiện tại; thao tác chưa được ghi nhận.".into(),
        412 => "Hồ sơ vừa được người khác cập nhật. Hãy mở lại hồ sơ, xem thay đổi rồi thực hiện lại.".into(),
        422 | 400 => "Hãy sửa các trường được nêu rồi gửi lại; chưa có gì được ghi nhận.".into(),
        429 => match problem.retry_after {
            Some(seconds) => format!("Hãy đợi {seconds} giây rồi thử lại."),
            None => "Hãy đợi một lát rồi thử lại.".into(),
        },
        503 => "Hệ thống đang bận. Hãy thử lại sau ít giây.".into(),
        _ => "Đã có lỗi trong hệ thống; bộ phận kỹ thuật đã được ghi nhận. Hãy thử lại sau.".into(),
    }
}

/// The rule that refused, in Vietnamese (the API names it in `rule`).
fn rule_vi(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "case_not_found" => "Hồ sơ không tồn tại.",
        "case_already_exists" => "Hồ sơ đã được tạo trước đó.",
        "invalid_state" => "Trạng thái hiện tại của hồ sơ không cho phép thao tác này.",
        "role_not_allowed" => "Vai trò của bạn không được thực hiện thao tác này.",
        "outside_scope" => "Hồ sơ không thuộc đơn vị bạn được phân quyền.",
        "handover_pending" => "Lần chuyển hồ sơ trước chưa được bên nhận xác nhận.",
        "no_handover_pending" => "Không có lần chuyển hồ sơ nào đang chờ xác nhận.",
        "appraisal_missing" => "Chưa ghi nhận kết quả thẩm định nên chưa thể trình ký.",
        "not_submitted_for_approval" => "Hồ sơ chưa được trình ký.",
        "not_approved" => "Hồ sơ chưa được phê duyệt nên chưa thể ghi nhận kết quả.",
        "already_extended" => "Hồ sơ đã được gia hạn một lần; không được gia hạn lần nữa.",
        "extension_not_later" => "Ngày hẹn trả mới phải sau ngày hẹn trả hiện tại.",
        "no_further_step" => "Quy trình không còn bước tiếp theo.",
        "wrong_unit_for_step" => "Đơn vị được chọn không thực hiện bước tiếp theo của quy trình.",
        "unknown_unit" => "Đơn vị không tồn tại hoặc đã ngừng hoạt động.",
        "channel_not_offered" => "Thủ tục không nhận hồ sơ qua kênh này.",
        "procedure_mismatch" => "Phiên bản thủ tục không khớp với hồ sơ.",
        "already_rated" => "Hồ sơ đã được đánh giá mức độ hài lòng.",
        "invalid_field" => "Thông tin nhập chưa hợp lệ.",
        "form_not_reached" => "Hồ sơ chưa đến bước có mẫu phiếu này.",
        _ => return None,
    })
}

/// A field's name as the forms label it.
fn field_vi(field: &str) -> String {
    match field {
        "reason" => "Lý do".into(),
        "note" => "Ghi chú".into(),
        "opinion" => "Ý kiến thẩm định".into(),
        "summary" => "Tóm tắt kết quả".into(),
        "text" => "Nội dung".into(),
        "full_name" | "applicant.full_name" => "Họ và tên".into(),
        "id_number" | "applicant.id_number" => "Số định danh cá nhân".into(),
        "phone" | "applicant.phone" => "Số điện thoại".into(),
        "email" | "applicant.email" => "Thư điện tử".into(),
        "procedure_code" => "Thủ tục".into(),
        "unit" => "Đơn vị".into(),
        "channel" => "Kênh nộp".into(),
        "amount_vnd" => "Số tiền".into(),
        "receipt" => "Số biên lai".into(),
        "new_due_at" => "Ngày hẹn trả mới".into(),
        "password" => "Mật khẩu".into(),
        other => other.to_owned(),
    }
}
