//! The citizen's pages, no sign-in: the lookup by code and secret (the
//! receipt's QR link opens it filled in) and the same in the hall's kiosk,
//! in large type with large touch targets. Both are the API's own lookup
//! (`GET /public/lookup`): the same per-address limit, and a wrong code and
//! a wrong secret look the same.

use actix_web::http::StatusCode;
use actix_web::web::Query;
use actix_web::{HttpRequest, get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::explain;
use super::form::Posted;
use super::layout::{self, banner, csrf, when_or_dash};
use super::session;
use super::{Page, html_page};
use crate::routes::State;
use crate::routes::public::{PublicStatus, look_up};
use crate::routes::queue::tickets::{TakeTicketDto, take};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    code: Option<String>,
    secret: Option<String>,
    /// The kiosk's hall.
    unit: Option<String>,
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

/// The hall's touch screen: take a queue ticket (bốc số) for a service
/// group, or look a case up, in large type with large touch targets and
/// nothing else to wander off to. The hall is `?unit=` (by default the unit
/// with a queue whose code comes first).
#[get("/kiosk")]
pub async fn kiosk(state: State, req: HttpRequest, asked: Query<Asked>) -> Page {
    let (body, status) = answer(&state, &req, &asked, "/kiosk").await;
    let (token, visitor) = session::form_token(&req, None)?;
    let groups = hall(&state, asked.unit.as_deref()).map(|(unit, setup)| {
        html! {
            section aria-labelledby="take" {
                h2 #take { "Lấy số thứ tự" }
                @for group in &setup.groups {
                    form method="post" action="/kiosk/ticket" {
                        (csrf(&token))
                        input type="hidden" name="unit" value=(unit);
                        input type="hidden" name="group" value=(group.code.as_str());
                        button type="submit" { (group.name) }
                    }
                }
            }
        }
    });
    let mut response = html_page(layout::kiosk(
        "Lấy số và tra cứu hồ sơ",
        html! {
            h1 { "Lấy số và tra cứu hồ sơ" }
            @if let Some(groups) = groups { (groups) }
            h2 { "Tra cứu hồ sơ" }
            (body)
            p { a.button.secondary href="/kiosk" { "Làm lại" } }
        },
    ));
    *response.status_mut() = status;
    if let Some(visitor) = visitor {
        response.add_cookie(&visitor).map_err(|_| crate::problem::Problem::internal())?;
    }
    Ok(response)
}

/// The hall the kiosk stands in: the unit asked for, or the first with a queue.
fn hall(state: &State, asked: Option<&str>) -> Option<(String, onestop_domain::queue::QueueSetup)> {
    let catalog = state.catalog.snapshot();
    match asked.and_then(|u| u.parse().ok()) {
        Some(unit) => catalog.queue_setup(&unit).map(|s| (unit.to_string(), s.clone())),
        // The first by code, so that the choice does not depend on the order
        // the catalog keeps its units in.
        None => catalog
            .units
            .units()
            .filter_map(|u| catalog.queue_setup(&u.code).map(|s| (u.code.to_string(), s.clone())))
            .min_by(|a, b| a.0.cmp(&b.0)),
    }
}

/// Takes the ticket the kiosk's button names (the API's own kiosk ticket:
/// the same per-address limit) and shows it in large type.
#[post("/kiosk/ticket")]
pub async fn kiosk_ticket(state: State, req: HttpRequest, posted: Posted) -> Page {
    let unit = posted.text("unit").unwrap_or_default().to_owned();
    let asked = TakeTicketDto {
        group: posted.text("group").map(str::to_owned),
        priority: None,
        booking_code: None,
        phone: None,
    };
    let content = match take(&state, &req, &unit, &asked).await {
        Ok((ticket, _)) => html! {
            section.card role="status" aria-labelledby="ticket" {
                h1 #ticket { "Số của bạn: " (ticket.number) }
                p { (ticket.group_name) }
                @if let Some(ahead) = ticket.ahead { p { "Trước bạn còn " strong { (ahead) } " người." } }
                p { "Hãy theo dõi màn hình gọi số trong sảnh." }
            }
        },
        Err(problem) => html! {
            (banner("error", html! { strong { "Chưa lấy được số: " (problem.title) } (explain(&problem)) }))
        },
    };
    Ok(html_page(layout::kiosk(
        "Số thứ tự",
        html! { (content) p { a.button href={ "/kiosk?unit=" (crate::links::url_encode(&unit)) } { "Xong" } } },
    )))
}
