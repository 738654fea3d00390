//! The citizen's pages, no sign-in: the lookup by code and secret (the
//! receipt's QR link opens it filled in) and the same in the hall's kiosk,
//! in large type with large touch targets. Both are the API's own lookup
//! (`GET /public/lookup`): the same per-address limit, and a wrong code and
//! a wrong secret look the same.

use actix_web::http::StatusCode;
use actix_web::web::Query;
use actix_web::{HttpRequest, get};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, banner, when_or_dash};
use super::{Page, html_page};
use crate::routes::State;
use crate::routes::public::{PublicStatus, look_up};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    code: Option<String>,
    secret: Option<String>,
}

/// The form, and the answer when a code was given.
async fn answer(state: &State, req: &HttpRequest, asked: &Asked, action: &str) -> (Markup, StatusCode) {
    let code = asked.code.as_deref().map(str::trim).unwrap_or("");
    let secret = asked.secret.as_deref().map(str::trim).unwrap_or("");
    let form = html! {
        form method="get" action=(action) role="search" aria-label="Tra cứu hồ sơ" {
            label for="code" { "Mã hồ sơ (in trên Giấy tiếp nhận)" }
            input #code type="text" name="code" value=(code) required autocomplete="off" placeholder="000.00.01.H22-260302-0001";
            label for="secret" { "Mã tra cứu" }
            input #secret type="text" name="secret" value=(secret) required autocomplete="off";
            button type="submit" { "Tra cứu" }
        }
    };
    if code.is_empty() && secret.is_empty() {
        return (form, StatusCode::OK);
    }
    let (result, status) = match look_up(state, req, code, secret).await {
        Ok(found) => (status_of(&found), StatusCode::OK),
        Err(problem) if problem.status == 429 => (
            banner(
                "error",
                html! { "Bạn đã tra cứu quá nhiều lần. Hãy đợi " (problem.retry_after.unwrap_or(60)) " giây rồi thử lại." },
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(problem) if problem.status == 404 => (
            banner(
                "error",
                html! { "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại hai mã in trên Giấy tiếp nhận." },
            ),
            StatusCode::NOT_FOUND,
        ),
        Err(problem) => (
            banner("error", html! { "Hệ thống chưa trả lời được (" (problem.title) "). Hãy thử lại sau ít phút." }),
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        ),
    };
    (html! { (result) (form) }, status)
}

fn status_of(found: &PublicStatus) -> Markup {
    html! {
        section.card aria-labelledby="found" role="status" {
            h2 #found { "Hồ sơ " (found.code) }
            dl.facts {
                dt { "Thủ tục" } dd { (found.procedure_name) }
                dt { "Tình trạng" } dd { strong { (found.status_name) } }
                dt { "Ngày tiếp nhận" } dd { (when_or_dash(found.received_at)) }
                dt { "Ngày hẹn trả kết quả" } dd { (when_or_dash(found.due_at)) }
                @if found.returned_at.is_some() { dt { "Đã trả kết quả" } dd { (when_or_dash(found.returned_at)) } }
            }
        }
    }
}

#[get("/lookup")]
pub async fn lookup(state: State, req: HttpRequest, asked: Query<Asked>) -> Page {
    let (body, status) = answer(&state, &req, &asked, crate::links::LOOKUP_PATH).await;
    let mut response = html_page(layout::bare(
        "Tra cứu hồ sơ",
        html! {
            h1 { "Tra cứu tình trạng hồ sơ" }
            (body)
            p.muted { "Không cần đăng nhập. Thông tin cá nhân không được hiển thị." }
        },
    ));
    *response.status_mut() = status;
    Ok(response)
}

/// The hall's touch screen: the lookup in large type, nothing else to wander off to.
#[get("/kiosk")]
pub async fn kiosk(state: State, req: HttpRequest, asked: Query<Asked>) -> Page {
    let (body, status) = answer(&state, &req, &asked, "/kiosk").await;
    let mut response = html_page(layout::kiosk(
        "Tra cứu hồ sơ",
        html! {
            h1 { "Tra cứu hồ sơ" }
            (body)
            p { a.button.secondary href="/kiosk" { "Làm lại" } }
        },
    ));
    *response.status_mut() = status;
    Ok(response)
}
