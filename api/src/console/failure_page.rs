//! A [`Failure`] drawn as a page: alone (signed out, or a failure before
//! the officer is known), or inside the officer's pages with their menu.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use maud::{Markup, html};

use super::error::{Failure, explain};
use super::layout;

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Forgery => StatusCode::FORBIDDEN,
            Self::BadForm(_) => StatusCode::BAD_REQUEST,
            Self::Problem(problem) => StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { next } => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/sign-in?next={}", crate::links::url_encode(next))))
                .finish(),
            Self::Forgery => page(
                self.status_code(),
                "Biểu mẫu không hợp lệ",
                html! {
                    p { "Biểu mẫu này không được gửi từ trang của hệ thống, hoặc trang đã cũ (phiên làm việc đã thay đổi)." }
                    p { "Hãy mở lại trang, nhập lại và gửi lại. Không có thay đổi nào được ghi nhận." }
                },
                None,
            ),
            Self::BadForm(why) => page(
                self.status_code(),
                "Biểu mẫu không đọc được",
                html! { p { (why) } p { "Hãy mở lại trang và gửi lại. Không có thay đổi nào được ghi nhận." } },
                None,
            ),
            Self::Problem(problem) => page(self.status_code(), problem.title, explain(problem), problem.retry_after),
        }
    }
}

/// A failure shown inside a signed-in officer's pages (their menu kept), so
/// they can go on from it; a sign-in failure stays a redirect.
pub fn within(officer: &super::session::Officer, failure: Failure) -> HttpResponse {
    let Failure::Problem(problem) = &failure else {
        return failure.error_response();
    };
    let status = failure.status_code();
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    response.body(
        layout::page(
            problem.title,
            officer,
            "",
            html! {
                section.failure role="alert" {
                    h1 { (problem.title) }
                    (explain(problem))
                    p.code { "Mã lỗi HTTP " (status.as_u16()) }
                }
            },
        )
        .into_string(),
    )
}

fn page(status: StatusCode, title: &str, body: Markup, retry_after: Option<u64>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    if let Some(seconds) = retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    response.body(
        layout::bare(
            title,
            html! {
                section.failure role="alert" {
                    h1 { (title) }
                    (body)
                    p.actions { a href="/" { "Về trang chính" } }
                    p.code { "Mã lỗi HTTP " (status.as_u16()) }
                }
            },
        )
        .into_string(),
    )
}
