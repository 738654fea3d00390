//! The inspectors' page (thanh tra): who did what, where and when across
//! cases, by officer, unit and period (the API's `GET /audit`), and a case's
//! hash chain recomputed (`GET /cases/{id}/verify`), found by its code.

use actix_web::get;
use actix_web::web::Query;
use jiff::Timestamp;
use maud::{Markup, html};
use onestop_domain::access;
use onestop_domain::ids::{CaseCode, UserId};
use serde::Deserialize;
use uuid::Uuid;

use super::error::Failure;
use super::failure_page::within;
use super::layout::{self, banner, when};
use super::session::Officer;
use super::{Page, html_page, url_encode};
use crate::auth::Authenticated;
use crate::problem::Problem;
use crate::routes::State;
use crate::routes::audit::queries::{AuditQuery, search};
use crate::routes::audit::trail::verification;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    officer: Option<String>,
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<i64>,
    /// A case code to verify.
    verify: Option<String>,
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// A day's start in Vietnam, from a date field.
fn day_start(field: &'static str, text: Option<&str>) -> Result<Option<Timestamp>, Problem> {
    non_empty(text)
        .map(|t| {
            let date: jiff::civil::Date = t.parse().map_err(|_| Problem::invalid_field(field, "phải là một ngày"))?;
            Ok(onestop_domain::calendar::instant(date.into()))
        })
        .transpose()
}

#[get("/inspector")]
pub async fn inspector(state: State, officer: Officer, asked: Query<Asked>) -> Page {
    match render(&state, &officer, &asked).await {
        Ok(page) => Ok(html_page(page)),
        Err(failure) => Ok(within(&officer, failure)),
    }
}

async fn render(state: &AppState, officer: &Officer, asked: &Asked) -> Result<Markup, Failure> {
    access::audits(&officer.actor, "query the audit trail")?;
    let catalog = state.catalog.snapshot();
    let actor = match non_empty(asked.officer.as_deref()) {
        None => None,
        Some(text) => Some(text.parse::<Uuid>().map_err(|_| Problem::invalid_field("officer", "hãy chọn cán bộ"))?),
    };
    // The end day is included: the query's end is the next day's start.
    let to = day_start("to", asked.to.as_deref())?.map(|t| t + jiff::SignedDuration::from_hours(24));
    let query = AuditQuery {
        actor,
        unit: non_empty(asked.unit.as_deref()).map(str::to_owned),
        from: day_start("from", asked.from.as_deref())?,
        to,
        after: asked.after,
        limit: Some(100),
    };
    let page = search(state, &officer.actor, &query).await?;
    let verified = match non_empty(asked.verify.as_deref()) {
        None => None,
        Some(code) => Some(verify(state, officer, code).await),
    };
    let mut officers: Vec<_> = catalog
        .accounts()
        .filter(|a| a.user.role != onestop_domain::role::Role::Feed)
        .filter(|a| a.user.units.iter().any(|u| officer.actor.reaches(u, &catalog.units)))
        .map(|a| a.user.clone())
        .collect();
    officers.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    let units = access::visible_units(&officer.actor, &catalog.units);
    let name_of = |id: Option<Uuid>| {
        id.and_then(|id| catalog.account(&UserId(id))).map_or_else(|| "—".to_owned(), |a| a.user.full_name.clone())
    };
    let next = page.next_after.map(|after| {
        format!(
            "/inspector?officer={}&unit={}&from={}&to={}&after={after}",
            url_encode(asked.officer.as_deref().unwrap_or("")),
            url_encode(asked.unit.as_deref().unwrap_or("")),
            url_encode(asked.from.as_deref().unwrap_or("")),
            url_encode(asked.to.as_deref().unwrap_or("")),
        )
    });
    let content = html! {
        h1 { "Thanh tra, kiểm tra" }
        @if let Some(verified) = verified { (verified) }
        div.grid {
            form.card method="get" action="/inspector" aria-label="Tra cứu nhật ký xử lý" {
                h2 { "Nhật ký xử lý hồ sơ" }
                label for="officer" { "Cán bộ" }
                select #officer name="officer" {
                    option value="" { "Mọi cán bộ" }
                    @for user in &officers {
                        @let id = user.id.0.to_string();
                        option value=(id) selected[asked.officer.as_deref() == Some(id.as_str())] { (user.full_name) " (" (user.role.title_vi()) ")" }
                    }
                }
                label for="unit" { "Đơn vị" }
                select #unit name="unit" {
                    option value="" { "Mọi đơn vị được xem" }
                    @for unit in &units {
                        @let code = unit.code.to_string();
                        option value=(code) selected[asked.unit.as_deref() == Some(code.as_str())] { (unit.name) }
                    }
                }
                label for="from" { "Từ ngày" }
                input #from type="date" name="from" value=(asked.from.as_deref().unwrap_or(""));
                label for="to" { "Đến ngày" }
                input #to type="date" name="to" value=(asked.to.as_deref().unwrap_or(""));
                button type="submit" { "Tra cứu" }
            }
            form.card method="get" action="/inspector" aria-label="Kiểm tra tính toàn vẹn" {
                h2 { "Kiểm tra tính toàn vẹn của hồ sơ" }
                p.muted { "Tính lại chuỗi mã băm của mọi sự kiện trong hồ sơ: hồ sơ bị sửa, xóa sẽ lộ ra." }
                label for="verify" { "Mã hồ sơ" }
                input #verify type="text" name="verify" value=(asked.verify.as_deref().unwrap_or("")) placeholder="000.00.01.H22-260302-0001";
                button type="submit" { "Kiểm tra" }
            }
        }
        div.table-wrap { table {
            caption.muted style="text-align:left" { "Thao tác theo thứ tự ghi nhận (mặc định 31 ngày gần nhất)" }
            thead { tr { th scope="col" { "Thời điểm" } th scope="col" { "Cán bộ" } th scope="col" { "Vai trò" } th scope="col" { "Đơn vị" } th scope="col" { "Sự kiện" } th scope="col" { "Hồ sơ" } } }
            tbody {
                @if page.entries.is_empty() { tr { td colspan="6" { "Không có thao tác nào." } } }
                @for e in &page.entries { tr {
                    td { (when(e.at)) }
                    td { (name_of(e.actor_id)) }
                    td { (e.actor_role.as_deref().and_then(|r| onestop_domain::role::Role::ALL.into_iter().find(|x| x.as_str() == r)).map_or("—", |r| r.title_vi())) }
                    td { (e.unit.parse().ok().and_then(|u| catalog.unit(&u)).map_or(e.unit.as_str(), |u| u.name.as_str())) }
                    td { code { (e.event_type) } }
                    td { a href={ "/cases/" (e.case_id) } { "Mở hồ sơ" } }
                } }
            }
        } }
        @if let Some(next) = next { p { a href=(next) { "Trang sau →" } } }
    };
    Ok(layout::page("Thanh tra", officer, "/inspector", content))
}

async fn verify(state: &AppState, officer: &Officer, code: &str) -> Markup {
    let not_found = || banner("error", html! { "Không có hồ sơ " (code) " trong các đơn vị bạn được xem." });
    let Ok(parsed) = code.parse::<CaseCode>() else { return not_found() };
    let Ok(Some((id, _))) = onestop_projections::queries::case_by_code(&state.pool, &parsed.to_string()).await else {
        return not_found();
    };
    match verification(state, &Authenticated(officer.actor.clone()), id).await {
        Ok(v) if v.intact => banner(
            "ok",
            html! { "Hồ sơ " strong { (code) } ": chuỗi mã băm toàn vẹn, " (v.events) " sự kiện. " a href={ "/cases/" (id) } { "Mở hồ sơ" } },
        ),
        Ok(v) => banner(
            "error",
            html! { "Hồ sơ " strong { (code) } ": chuỗi mã băm bị phá vỡ." ul { @for b in &v.breaks { li { (b) } } } },
        ),
        Err(problem) if problem.status == 404 => not_found(),
        Err(problem) => banner("error", html! { (problem.title) }),
    }
}
