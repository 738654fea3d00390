//! The reception desk (Bộ phận Tiếp nhận và Trả kết quả): find the
//! procedure by name or code, tick its document checklist, take the
//! applicant's details and notice choice, receive; and the online
//! submissions waiting to be accepted or refused. Receiving is the API's own
//! filing (`POST /cases`): the same validation, the same rules.

use actix_web::http::header;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse, get, post};
use maud::{Markup, html};
use onestop_commands::catalog::Catalog;
use onestop_domain::catalog::{Channel, Procedure};
use serde::Deserialize;

use super::error::{Failure, explain};
use super::form::Posted;
use super::layout::{self, banner, csrf};
use super::session::Officer;
use super::work::case_table;
use super::{Page, html_page};
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::State;
use crate::routes::cases::filing::new_case;
use crate::routes::cases::lists::{CaseListQuery, find};
use crate::routes::cases::requests::{ApplicantDto, ChannelDto, CreateCaseRequest, NoticeChannelDto, NoticeChoiceDto};

#[derive(Debug, Default, Deserialize)]
pub struct DeskQuery {
    /// Words of a procedure's name, or its code.
    find: Option<String>,
    /// The procedure chosen.
    procedure: Option<String>,
    /// The counter this officer works at (kept between calls).
    counter: Option<u16>,
    /// The ticket just called.
    called: Option<String>,
}

/// Procedures whose name or code contains every word asked (without regard
/// to case or Vietnamese marks), that take files at a desk or by post.
fn matching<'c>(catalog: &'c Catalog, words: &str) -> Vec<&'c Procedure> {
    let folded = onestop_domain::search::fold(words);
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut found: Vec<&Procedure> = catalog
        .procedures()
        .filter(|p| p.channels.iter().any(|c| !c.is_online()))
        .filter(|p| {
            let haystack = onestop_domain::search::fold(&format!("{} {}", p.code, p.name));
            words.iter().all(|w| haystack.contains(w))
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::InPerson => "Trực tiếp tại quầy",
        Channel::Post => "Qua bưu chính công ích",
        Channel::OnlineFull => "Trực tuyến toàn trình",
        Channel::OnlinePartial => "Trực tuyến một phần",
    }
}

#[get("/desk")]
pub async fn desk(state: State, officer: Officer, query: Query<DeskQuery>) -> Page {
    let query = query.into_inner();
    Ok(html_page(page(&state, &officer, &query, None, &Posted::default()).await?))
}

/// The desk; `typed` refills the receiving form after a refusal.
async fn page(
    state: &State,
    officer: &Officer,
    query: &DeskQuery,
    notice: Option<Markup>,
    typed: &Posted,
) -> Result<Markup, Failure> {
    let catalog = state.catalog.snapshot();
    let words = query.find.as_deref().unwrap_or("").trim();
    let found = if words.is_empty() { Vec::new() } else { matching(&catalog, words) };
    let chosen =
        query.procedure.as_deref().and_then(|code| code.parse().ok()).and_then(|code| catalog.procedure(&code));
    let (online, now) =
        find(state, &officer.actor, CaseListQuery { status: Some(1), limit: Some(50), ..Default::default() }).await?;
    let content = html! {
        @if let Some(notice) = notice { (notice) }
        h1 { "Quầy tiếp nhận và trả kết quả" }
        (queue_card(&catalog, officer, query))
        div.grid {
            section.card aria-labelledby="find-procedure" {
                h2 #find-procedure { "1. Chọn thủ tục" }
                form method="get" action="/desk" role="search" {
                    label for="find" { "Tên hoặc mã thủ tục" }
                    input #find type="search" name="find" value=(words) placeholder="ví dụ: đăng ký biến động";
                    button type="submit" { "Tìm thủ tục" }
                }
                @if !words.is_empty() {
                    @if found.is_empty() { p { "Không có thủ tục nào khớp với “" (words) "”." } }
                    ul { @for p in &found {
                        li { a href={ "/desk?procedure=" (p.code) } { (p.name) } " " span.muted { "(" (p.code) ")" } }
                    } }
                }
            }
            section.card aria-labelledby="online" {
                h2 #online { "Hồ sơ trực tuyến chờ tiếp nhận" }
                (case_table(&catalog, &online.cases, now, "Mở hồ sơ để tiếp nhận hoặc từ chối"))
            }
        }
        @if let Some(procedure) = chosen { (receive_form(&catalog, officer, procedure, typed)) }
    };
    Ok(layout::page("Quầy tiếp nhận", officer, "/desk", content))
}

/// The counter's queue, where the desk's unit has one: call the next ticket
/// (the API's own call), and the hall display to open on the hall's screen.
fn queue_card(catalog: &Catalog, officer: &Officer, query: &DeskQuery) -> Markup {
    let Some((unit, setup)) = officer.user.units.iter().find_map(|u| catalog.queue_setup(u).map(|s| (u, s))) else {
        return html! {};
    };
    html! {
        section.card aria-labelledby="queue" {
            h2 #queue { "Hàng đợi" }
            @if let Some(called) = &query.called {
                (banner("info", html! { "Mời số " strong { (called) } " đến quầy " (query.counter.unwrap_or_default()) "." }))
            }
            form.filters method="post" action="/desk/queue/call" {
                (csrf(&officer.csrf))
                input type="hidden" name="unit" value=(unit);
                div {
                    label for="counter" { "Quầy của tôi" }
                    select #counter name="counter" {
                        @for counter in &setup.counters {
                            option value=(counter.number) selected[query.counter == Some(counter.number)] { (counter.name) }
                        }
                    }
                }
                button type="submit" { "Gọi số tiếp theo" }
            }
            p { a href={ "/display/" (unit) } { "Màn hình hàng đợi của sảnh" } }
        }
    }
}

/// Calls the next ticket to the officer's counter.
#[post("/desk/queue/call")]
pub async fn call_next(state: State, officer: Officer, req: HttpRequest, posted: Posted) -> Page {
    let unit = posted.text("unit").unwrap_or_default().to_owned();
    let counter: u16 = posted.text("counter").and_then(|c| c.parse().ok()).unwrap_or(0);
    let command = onestop_domain::queue::QueueCommand::CallNext { counter, officer: officer.actor.user_id };
    match crate::routes::queue::counters::counter_act(&state, &officer.actor, &req, &unit, "call_ticket", command).await
    {
        Ok(ticket) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/desk?counter={counter}&called={}", super::url_encode(&ticket.number)),
            ))
            .finish()),
        Err(problem) if problem.status < 500 => {
            let query = DeskQuery { counter: Some(counter), ..Default::default() };
            let notice = banner("error", html! { strong { "Chưa gọi được số: " (problem.title) } (explain(&problem)) });
            let mut response = html_page(page(&state, &officer, &query, Some(notice), &Posted::default()).await?);
            *response.status_mut() = actix_web::http::StatusCode::from_u16(problem.status).unwrap_or_default();
            Ok(response)
        }
        Err(problem) => Err(problem.into()),
    }
}

fn receive_form(catalog: &Catalog, officer: &Officer, procedure: &Procedure, typed: &Posted) -> Markup {
    let desks: Vec<_> = officer.user.units.iter().collect();
    html! {
        section.card aria-labelledby="receive" {
            h2 #receive { "2. Tiếp nhận hồ sơ: " (procedure.name) }
            p.muted {
                "Mã thủ tục " (procedure.code) " · lĩnh vực " (procedure.field.name)
                " · thời hạn giải quyết " (procedure.processing_time.describe_vi())
                @for fee in &procedure.fees { " · " (fee.name) ": " (onestop_domain::notice::amount_vi(fee.amount_vnd)) }
            }
            form method="post" action="/desk/cases" {
                (csrf(&officer.csrf))
                input type="hidden" name="procedure_code" value=(procedure.code);
                input type="hidden" name="once" value=(uuid::Uuid::new_v4());
                fieldset {
                    legend { "Thành phần hồ sơ đã nhận" }
                    @for (i, document) in procedure.documents.iter().enumerate() {
                        label.inline for={ "document-" (i) } {
                            input id={ "document-" (i) } type="checkbox" name="documents" value=(document.name) checked;
                            (document.name) " (" (document.copies) " bộ"
                            @if document.original_required { ", bản chính" } ")"
                        }
                        br;
                    }
                }
                label for="unit" { "Nơi tiếp nhận" }
                select #unit name="unit" required {
                    @for unit in &desks {
                        option value=(unit) { (catalog.unit(unit).map_or_else(|| unit.to_string(), |u| u.name.clone())) }
                    }
                }
                fieldset {
                    legend { "Kênh nộp" }
                    @for (i, channel) in procedure.channels.iter().filter(|c| !c.is_online()).enumerate() {
                        @let value = match channel { Channel::Post => "post", _ => "in_person" };
                        label.inline { input type="radio" name="channel" value=(value) required checked[i == 0]; (channel_label(*channel)) }
                    }
                }
                fieldset {
                    legend { "Người nộp hồ sơ" }
                    label for="full_name" { "Họ và tên" }
                    input #full_name type="text" name="full_name" required maxlength="200" autocomplete="off" value=(typed.raw("full_name"));
                    label for="id_number" { "Số định danh cá nhân (CCCD)" }
                    input #id_number type="text" name="id_number" required minlength="6" maxlength="20" inputmode="numeric" autocomplete="off" value=(typed.raw("id_number"));
                    label for="phone" { "Số điện thoại" }
                    input #phone type="tel" name="phone" minlength="6" maxlength="20" autocomplete="off" value=(typed.raw("phone"));
                    label for="email" { "Thư điện tử" }
                    input #email type="email" name="email" maxlength="254" autocomplete="off" value=(typed.raw("email"));
                    label for="address" { "Địa chỉ" }
                    input #address type="text" name="address" maxlength="500" autocomplete="off" value=(typed.raw("address"));
                }
                fieldset {
                    legend { "Nhận thông báo về hồ sơ" }
                    label.inline { input type="checkbox" name="notify" value="sms"; "Tin nhắn SMS" }
                    label.inline { input type="checkbox" name="notify" value="email"; "Thư điện tử" }
                    label.inline { input type="checkbox" name="notify" value="zalo"; "Zalo" }
                    br;
                    label.inline { input type="checkbox" name="consent" value="yes"; "Công dân đồng ý cho dùng số điện thoại, thư điện tử để nhận thông báo (Nghị định 13/2023/NĐ-CP)" }
                }
                button type="submit" { "Tiếp nhận hồ sơ" }
            }
        }
    }
}

/// The filing request a desk form describes.
fn request_of(posted: &Posted) -> Result<CreateCaseRequest, Problem> {
    let text = |name: &str| posted.text(name).map(str::to_owned);
    let channels = posted
        .all("notify")
        .iter()
        .map(|c| match c.as_str() {
            "sms" => Ok(NoticeChannelDto::Sms),
            "email" => Ok(NoticeChannelDto::Email),
            "zalo" => Ok(NoticeChannelDto::Zalo),
            _ => Err(Problem::invalid_field("notices", "kênh thông báo không hợp lệ")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CreateCaseRequest {
        procedure_code: text("procedure_code").unwrap_or_default(),
        unit: text("unit").unwrap_or_default(),
        channel: match posted.text("channel") {
            Some("post") => ChannelDto::Post,
            _ => ChannelDto::InPerson,
        },
        applicant: ApplicantDto {
            full_name: text("full_name").unwrap_or_default(),
            id_number: text("id_number").unwrap_or_default(),
            phone: text("phone"),
            address: text("address"),
            email: text("email"),
        },
        documents: posted.all("documents"),
        notices: (!channels.is_empty() || posted.checked("consent"))
            .then(|| NoticeChoiceDto { channels, consent: posted.checked("consent") }),
    })
}

/// Receives the file; on success the case page (with its receipt to print).
#[post("/desk/cases")]
pub async fn receive(state: State, officer: Officer, req: HttpRequest, posted: Posted) -> Page {
    let outcome = async {
        let new = new_case(request_of(&posted)?)?;
        let mut meta = meta(&req)?;
        meta.idempotency_key = posted.text("once").filter(|k| k.len() <= 200 && k.is_ascii()).map(str::to_owned);
        Ok::<_, Problem>(state.cases.open(&officer.actor, new, &meta).await?)
    }
    .await;
    match outcome {
        Ok(executed) => {
            state.note_written(executed.checkpoint);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/cases/{}?done=receive", executed.case_id.0)))
                .finish())
        }
        Err(problem) if problem.status < 500 => {
            let query = DeskQuery { procedure: posted.text("procedure_code").map(str::to_owned), ..Default::default() };
            let notice =
                banner("error", html! { strong { "Chưa tiếp nhận được: " (problem.title) } (explain(&problem)) });
            let mut response = html_page(page(&state, &officer, &query, Some(notice), &Posted::default()).await?);
            *response.status_mut() = actix_web::http::StatusCode::from_u16(problem.status).unwrap_or_default();
            Ok(response)
        }
        Err(problem) => Err(problem.into()),
    }
}
