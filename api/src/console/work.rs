//! "Việc của tôi": the files waiting at the officer's step in their units,
//! most urgent first, with counts; and "Tìm hồ sơ": the API's case list
//! (`GET /cases`) with its filters, as a page.

use actix_web::web::Query;
use actix_web::{HttpRequest, get};
use jiff::Timestamp;
use maud::{Markup, html};
use onestop_commands::catalog::Catalog;
use onestop_domain::case::{CaseState, Timeliness};
use onestop_domain::deadline::Progress;
use onestop_projections::work::{WorkCursor, WorkFilter, work_counts, work_queue};
use serde::Deserialize;
use uuid::Uuid;

use super::layout::{self, when_or_dash};
use super::session::Officer;
use super::{Page, html_page, url_encode};
use crate::problem::Problem;
use crate::routes::State;
use crate::routes::cases::lists::{CaseListQuery, find};
use crate::routes::fresh::caught_up;

/// Files per page.
const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct WorkQuery {
    status: Option<String>,
    procedure: Option<String>,
    overdue: Option<String>,
    cursor: Option<String>,
}

fn status_filter(text: Option<&str>) -> Result<Option<i16>, Problem> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<i16>()
            .ok()
            .filter(|s| (1..=10).contains(s))
            .map(Some)
            .ok_or_else(|| Problem::invalid_field("status", "phải là mã trạng thái từ 1 đến 10")),
    }
}

fn yes_no(text: Option<&str>) -> Option<bool> {
    match text {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

#[get("/work")]
pub async fn my_work(state: State, officer: Officer, query: Query<WorkQuery>) -> Page {
    let query = query.into_inner();
    let filter = WorkFilter {
        units: officer.user.units.iter().map(ToString::to_string).collect(),
        role: officer.user.role.as_str().to_owned(),
        officer: officer.user.id.0,
        status: status_filter(query.status.as_deref())?,
        procedure: non_empty(query.procedure.as_deref()),
        overdue: yes_no(query.overdue.as_deref()),
    };
    let after = match non_empty(query.cursor.as_deref()) {
        None => None,
        Some(text) => Some(WorkCursor::decode(&text).ok_or_else(|| Problem::invalid_field("cursor", "không hợp lệ"))?),
    };
    caught_up(&state).await?;
    let now = state.clock.now();
    let counts = work_counts(&state.pool, &filter, now).await.map_err(Problem::from)?;
    let page = work_queue(&state.pool, &filter, now, after, PAGE).await.map_err(Problem::from)?;
    let catalog = state.catalog.snapshot();
    let next = page.next.map(|cursor| {
        format!(
            "/work?status={}&procedure={}&overdue={}&cursor={}",
            query.status.as_deref().unwrap_or(""),
            url_encode(query.procedure.as_deref().unwrap_or("")),
            query.overdue.as_deref().unwrap_or(""),
            url_encode(&cursor.encode())
        )
    });
    let content = html! {
        h1 { "Việc của tôi" }
        p.muted { "Hồ sơ đang chờ ở bước của bạn tại " (units_named(&catalog, &officer)) ", hạn sớm nhất trước." }
        ul.counts aria-label="Số hồ sơ" {
            li { strong { (counts.total) } "đang chờ" }
            li { strong { (counts.overdue) } "quá hạn" }
            li { strong { (counts.due_today) } "đến hạn hôm nay" }
            li { strong { (counts.to_acknowledge) } "chờ nhận bàn giao" }
            li { strong { (counts.with_applicant) } "chờ công dân bổ sung, nộp phí" }
        }
        form.filters.card method="get" action="/work" role="search" aria-label="Lọc hồ sơ" {
            (status_select(query.status.as_deref()))
            (procedure_select(&catalog, query.procedure.as_deref()))
            (overdue_select(query.overdue.as_deref()))
            button type="submit" { "Lọc" }
        }
        (case_table(&catalog, &page.cases, now, "Hồ sơ đang chờ"))
        @if let Some(next) = next { p { a href=(next) { "Trang sau →" } } }
    };
    Ok(html_page(layout::page("Việc của tôi", &officer, "/work", content)))
}

fn units_named(catalog: &Catalog, officer: &Officer) -> String {
    officer
        .user
        .units
        .iter()
        .map(|u| catalog.unit(u).map_or_else(|| u.to_string(), |unit| unit.name.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn status_select(current: Option<&str>) -> Markup {
    html! {
        div {
            label for="status" { "Trạng thái" }
            select #status name="status" {
                option value="" { "Tất cả" }
                @for code in 1..=10u8 {
                    @let value = code.to_string();
                    option value=(value) selected[current == Some(value.as_str())] {
                        (code) ". " (onestop_domain::case::Phase::status_vi_of(code))
                    }
                }
            }
        }
    }
}

pub fn procedure_select(catalog: &Catalog, current: Option<&str>) -> Markup {
    html! {
        div {
            label for="procedure" { "Thủ tục" }
            select #procedure name="procedure" {
                option value="" { "Tất cả" }
                @for procedure in catalog.procedures() {
                    @let code = procedure.code.to_string();
                    option value=(code) selected[current == Some(code.as_str())] { (procedure.name) }
                }
            }
        }
    }
}

pub fn overdue_select(current: Option<&str>) -> Markup {
    html! {
        div {
            label for="overdue" { "Hạn xử lý" }
            select #overdue name="overdue" {
                option value="" { "Tất cả" }
                option value="yes" selected[current == Some("yes")] { "Quá hạn" }
                option value="no" selected[current == Some("no")] { "Chưa quá hạn" }
            }
        }
    }
}

/// A case's standing against its deadline, as a mark (trong hạn / quá hạn,
/// trước / đúng / quá hạn once finished).
pub fn timeliness_mark(case: &CaseState, now: Timestamp) -> Markup {
    match case.timeliness(now) {
        Some(Timeliness::InProgress(Progress::Overdue)) => html! { span.mark.overdue { "Quá hạn" } },
        Some(Timeliness::InProgress(Progress::WithinDeadline)) if case.paused_since.is_some() => {
            html! { span.mark.waiting { "Tạm dừng tính thời gian" } }
        }
        Some(Timeliness::InProgress(p)) => html! { span.mark.within_deadline { (capitalised(p.label_vi())) } },
        Some(Timeliness::Finished(p)) => {
            let class = format!(
                "mark {}",
                serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            );
            html! { span class=(class) { (capitalised(p.label_vi())) } }
        }
        None => html! { span.muted { "—" } },
    }
}

pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// A table of cases, each linking to its page.
pub fn case_table(catalog: &Catalog, cases: &[(Uuid, CaseState)], now: Timestamp, caption: &str) -> Markup {
    html! {
        @if cases.is_empty() {
            p.card { "Không có hồ sơ nào." }
        } @else {
            div.table-wrap {
                table {
                    caption.muted style="text-align:left" { (caption) }
                    thead { tr {
                        th scope="col" { "Mã hồ sơ" } th scope="col" { "Thủ tục" } th scope="col" { "Trạng thái" }
                        th scope="col" { "Bước hiện tại" } th scope="col" { "Hạn bước" } th scope="col" { "Hẹn trả" }
                        th scope="col" { "Hạn xử lý" }
                    } }
                    tbody {
                        @for (id, case) in cases {
                            @let procedure = case.procedure.as_ref().and_then(|p| catalog.procedure_version(&p.code, p.version));
                            tr {
                                td { a href={ "/cases/" (id) } { (case.code.as_ref().map_or_else(|| "Chưa cấp mã".to_owned(), ToString::to_string)) } }
                                td { (procedure.map_or("—", |p| p.name.as_str())) }
                                td { (case.phase.status_vi()) }
                                td {
                                    @if let Some(step) = case.current_step() {
                                        (step.name)
                                        @if case.handover_pending { " " span.mark.waiting { "chờ nhận bàn giao" } }
                                    } @else { "—" }
                                }
                                td { (when_or_dash(case.current_step().map(|s| s.due_at))) }
                                td { (when_or_dash(case.due_at)) }
                                td { (timeliness_mark(case, now)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    status: Option<String>,
    procedure: Option<String>,
    overdue: Option<String>,
    unit: Option<String>,
    cursor: Option<String>,
}

/// `GET /cases` of the API as a page: the same filters, the same answer.
#[get("/cases")]
pub async fn search(state: State, officer: Officer, req: HttpRequest, query: Query<SearchQuery>) -> Page {
    let query = query.into_inner();
    let asked = CaseListQuery {
        unit: non_empty(query.unit.as_deref()),
        status: status_filter(query.status.as_deref())?,
        procedure: non_empty(query.procedure.as_deref()),
        overdue: yes_no(query.overdue.as_deref()),
        q: non_empty(query.q.as_deref()),
        cursor: non_empty(query.cursor.as_deref()),
        limit: Some(PAGE),
        ..Default::default()
    };
    let (page, now) = find(&state, &officer.actor, asked).await?;
    let catalog = state.catalog.snapshot();
    let next = page.next.map(|cursor| {
        let base: String =
            req.query_string().split('&').filter(|p| !p.starts_with("cursor=")).collect::<Vec<_>>().join("&");
        format!("/cases?{base}&cursor={}", url_encode(&cursor.encode()))
    });
    let visible = onestop_domain::access::visible_units(&officer.actor, &catalog.units);
    let content = html! {
        h1 { "Tìm hồ sơ" }
        form.filters.card method="get" action="/cases" role="search" aria-label="Tìm hồ sơ" {
            div {
                label for="q" { "Mã hồ sơ, số định danh, điện thoại hoặc họ tên" }
                input #q type="search" name="q" value=(query.q.as_deref().unwrap_or(""));
            }
            div {
                label for="unit" { "Đơn vị" }
                select #unit name="unit" {
                    option value="" { "Mọi đơn vị được xem" }
                    @for unit in &visible {
                        @let code = unit.code.to_string();
                        option value=(code) selected[query.unit.as_deref() == Some(code.as_str())] { (unit.name) }
                    }
                }
            }
            (status_select(query.status.as_deref()))
            (procedure_select(&catalog, query.procedure.as_deref()))
            (overdue_select(query.overdue.as_deref()))
            button type="submit" { "Tìm" }
        }
        (case_table(&catalog, &page.cases, now, "Hồ sơ mới nhận trước"))
        @if let Some(next) = next { p { a href=(next) { "Trang sau →" } } }
    };
    Ok(html_page(layout::page("Tìm hồ sơ", &officer, "/cases", content)))
}
