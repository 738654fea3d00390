//! Administration of the registry: the unit tree, the accounts, and a
//! year's working calendar. Creating a unit or an account is the API's own
//! (`POST /units`, `POST /users`): the same validation, the same rule that an
//! administrator acts within their units.

use actix_web::http::header;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse, get, post};
use maud::{Markup, html};
use onestop_commands::catalog::Catalog;
use onestop_domain::access;
use onestop_domain::role::Role;
use serde::Deserialize;

use super::error::{Failure, explain};
use super::failure_page::within;
use super::form::Posted;
use super::layout::{self, banner, csrf};
use super::session::Officer;
use super::{Page, html_page};
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::State;
use crate::routes::procedures::RoleDto;
use crate::routes::units::UnitDto;
use crate::routes::users::NewUserDto;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    created: Option<String>,
}

fn created_banner(done: &Done) -> Option<Markup> {
    done.created.as_ref().map(|what| banner("ok", html! { "Đã tạo " strong { (what) } "." }))
}

/// The units this administrator may administer, parents before children,
/// with their depth in the tree.
fn administered(catalog: &Catalog, officer: &Officer) -> Vec<(usize, onestop_domain::catalog::Unit)> {
    let mut out = Vec::new();
    let mut stack: Vec<(usize, Option<onestop_domain::ids::UnitCode>)> = vec![(0, None)];
    while let Some((depth, parent)) = stack.pop() {
        let mut children: Vec<_> = catalog.units.units().filter(|u| u.parent == parent).cloned().collect();
        children.sort_by(|a, b| b.code.cmp(&a.code));
        for child in children {
            stack.push((depth + 1, Some(child.code.clone())));
            if officer.actor.reaches(&child.code, &catalog.units) {
                out.push((depth, child));
            }
        }
    }
    out
}

fn unit_page(state: &State, officer: &Officer, notice: Option<Markup>) -> Markup {
    let catalog = state.catalog.snapshot();
    let units = administered(&catalog, officer);
    let content = html! {
        @if let Some(notice) = notice { (notice) }
        h1 { "Đơn vị" }
        div.grid {
            section.card aria-labelledby="tree" {
                h2 #tree { "Cây đơn vị" }
                ul { @for (depth, unit) in &units {
                    li style={ "margin-left:" (depth.saturating_sub(1) * 20) "px" } {
                        (unit.name) " " span.muted { "(" (unit.code) ")" }
                        @if !unit.active { " " span.mark.late { "ngừng hoạt động" } }
                    }
                } }
            }
            section.card aria-labelledby="new-unit" {
                h2 #new-unit { "Thêm đơn vị" }
                form method="post" action="/admin/units" {
                    (csrf(&officer.csrf))
                    label for="code" { "Mã đơn vị (QĐ 20/2020/QĐ-TTg)" }
                    input #code type="text" name="code" required minlength="13" maxlength="13" placeholder="000.00.01.H22";
                    label for="unit-name" { "Tên đơn vị" }
                    input #unit-name type="text" name="name" required maxlength="300";
                    label for="parent" { "Đơn vị cấp trên" }
                    select #parent name="parent" required {
                        @for (_, unit) in &units { option value=(unit.code) { (unit.name) } }
                    }
                    button type="submit" { "Thêm đơn vị" }
                }
            }
        }
    };
    layout::page("Đơn vị", officer, "/admin/units", content)
}

#[get("/admin/units")]
pub async fn unit_list(state: State, officer: Officer, done: Query<Done>) -> Page {
    if let Err(why) = access::is_administrator(&officer.actor) {
        return Ok(within(&officer, Problem::forbidden(why).into()));
    }
    Ok(html_page(unit_page(&state, &officer, created_banner(&done))))
}

#[post("/admin/units")]
pub async fn create_unit(state: State, officer: Officer, req: HttpRequest, posted: Posted) -> Page {
    let dto = UnitDto {
        code: posted.text("code").unwrap_or_default().to_owned(),
        name: posted.text("name").unwrap_or_default().to_owned(),
        parent: posted.text("parent").map(str::to_owned),
        office_hours: None,
        active: true,
    };
    match crate::routes::units::register(&state, &officer.actor, &meta(&req)?, &dto).await {
        Ok(unit) => Ok(see_other(&format!("/admin/units?created={}", super::url_encode(&unit.name)))),
        Err(problem) => {
            let page = unit_page(&state, &officer, Some(refusal(&problem)));
            refused(problem, page)
        }
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

fn refusal(problem: &Problem) -> Markup {
    banner("error", html! { strong { "Chưa lưu được: " (problem.title) } (explain(problem)) })
}

/// The page again with what went wrong, at the problem's status.
fn refused(problem: Problem, page: Markup) -> Page {
    if problem.status >= 500 {
        return Err(Failure::from(problem));
    }
    let mut response = html_page(page);
    *response.status_mut() = actix_web::http::StatusCode::from_u16(problem.status).unwrap_or_default();
    Ok(response)
}

fn user_page(state: &State, officer: &Officer, notice: Option<Markup>) -> Markup {
    let catalog = state.catalog.snapshot();
    let mut accounts: Vec<_> = catalog
        .accounts()
        .filter(|a| access::may_see_account(&officer.actor, &a.user, &catalog.units))
        .map(|a| a.user.clone())
        .collect();
    accounts.sort_by(|a, b| a.username.cmp(&b.username));
    let units = administered(&catalog, officer);
    let content = html! {
        @if let Some(notice) = notice { (notice) }
        h1 { "Người dùng" }
        section.card aria-labelledby="new-user" {
            h2 #new-user { "Thêm người dùng" }
            form method="post" action="/admin/users" {
                (csrf(&officer.csrf))
                div.grid {
                    div {
                        label for="username" { "Tên đăng nhập" }
                        input #username type="text" name="username" required minlength="3" maxlength="64" autocomplete="off";
                        label for="full_name" { "Họ và tên" }
                        input #full_name type="text" name="full_name" required maxlength="200";
                        label for="email" { "Thư điện tử (nhận nhắc việc, không bắt buộc)" }
                        input #email type="email" name="email" maxlength="254";
                    }
                    div {
                        label for="role" { "Vai trò" }
                        select #role name="role" required {
                            @for role in Role::ALL.iter().filter(|r| **r != Role::Feed) { option value=(role.as_str()) { (role.title_vi()) } }
                        }
                        label for="user-unit" { "Đơn vị" }
                        select #user-unit name="unit" required {
                            @for (_, unit) in &units { option value=(unit.code) { (unit.name) } }
                        }
                        label for="new-password" { "Mật khẩu ban đầu" }
                        input #new-password type="password" name="password" required minlength="4" maxlength="200" autocomplete="new-password";
                    }
                }
                button type="submit" { "Thêm người dùng" }
            }
        }
        div.table-wrap { table {
            caption.muted style="text-align:left" { "Tài khoản trong các đơn vị bạn quản trị" }
            thead { tr { th scope="col" { "Tên đăng nhập" } th scope="col" { "Họ và tên" } th scope="col" { "Vai trò" } th scope="col" { "Đơn vị" } th scope="col" { "Trạng thái" } } }
            tbody { @for user in &accounts { tr {
                td { (user.username) } td { (user.full_name) } td { (user.role.title_vi()) }
                td { @for unit in &user.units { (catalog.unit(unit).map_or_else(|| unit.to_string(), |u| u.name.clone())) br; } }
                td { @if user.active { "Đang hoạt động" } @else { span.mark.late { "Đã khóa" } } }
            } } }
        } }
    };
    layout::page("Người dùng", officer, "/admin/users", content)
}

#[get("/admin/users")]
pub async fn user_list(state: State, officer: Officer, done: Query<Done>) -> Page {
    if let Err(why) = access::is_administrator(&officer.actor) {
        return Ok(within(&officer, Problem::forbidden(why).into()));
    }
    Ok(html_page(user_page(&state, &officer, created_banner(&done))))
}

#[post("/admin/users")]
pub async fn create_user(state: State, officer: Officer, req: HttpRequest, posted: Posted) -> Page {
    let role = posted.text("role").and_then(|r| Role::ALL.into_iter().find(|x| x.as_str() == r));
    let Some(role) = role else {
        let problem = Problem::invalid_field("role", "hãy chọn vai trò");
        return refused(problem.clone(), user_page(&state, &officer, Some(refusal(&problem))));
    };
    let dto = NewUserDto {
        username: posted.text("username").unwrap_or_default().to_owned(),
        full_name: posted.text("full_name").unwrap_or_default().to_owned(),
        role: RoleDto(role),
        units: posted.all("unit"),
        password: posted.raw("password").to_owned(),
        email: posted.text("email").map(str::to_owned),
    };
    match crate::routes::users::register(&state, &officer.actor, &meta(&req)?, dto).await {
        Ok(user) => Ok(see_other(&format!("/admin/users?created={}", super::url_encode(&user.username)))),
        Err(problem) => refused(problem.clone(), user_page(&state, &officer, Some(refusal(&problem)))),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct YearAsked {
    year: Option<i16>,
}

/// A year's working calendar: its holidays by the law of that year, the
/// weekdays off, and the weekend days worked (as the deadlines count them).
#[get("/admin/calendar")]
pub async fn calendar(state: State, officer: Officer, asked: Query<YearAsked>) -> Page {
    let catalog = state.catalog.snapshot();
    let this_year = onestop_domain::calendar::local(state.clock.now()).year();
    let year = asked.year.unwrap_or(this_year);
    let Some(computed) = catalog.calendar.year(year) else {
        return Ok(within(&officer, Failure::not_found(format!("Lịch làm việc không có năm {year}."))));
    };
    let date = |d: &jiff::civil::Date| d.strftime("%d/%m/%Y (%a)").to_string();
    let content = html! {
        h1 { "Lịch làm việc năm " (year) }
        form.filters.card method="get" action="/admin/calendar" {
            div { label for="year" { "Năm" } input #year type="number" name="year" value=(year) min="1990" max="2100"; }
            button type="submit" { "Xem" }
        }
        div.grid {
            section.card aria-labelledby="holidays" {
                h2 #holidays { "Ngày lễ, Tết theo luật" }
                ul { @for h in &computed.holidays { li { (date(&h.date)) " — " (h.name) } } }
            }
            section.card aria-labelledby="days-off" {
                h2 #days-off { "Ngày thường được nghỉ" }
                ul { @for d in &computed.days_off { li { (date(d)) } } }
                h2 { "Ngày nghỉ cuối tuần phải làm bù" }
                @if computed.weekend_days_worked.is_empty() { p.muted { "Không có." } }
                ul { @for d in &computed.weekend_days_worked { li { (date(d)) } } }
            }
        }
        p.muted { "Lịch nghỉ và hoán đổi ngày làm việc của từng năm do Chính phủ công bố được ghi qua API (PUT /api/v1/calendar/{năm})." }
    };
    Ok(html_page(layout::page(&format!("Lịch làm việc {year}"), &officer, "/admin/calendar", content)))
}
