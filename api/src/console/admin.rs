//! Administration of procedures: the catalog's procedures, and a
//! procedure's current version with its workflow steps as a form that
//! publishes the next version (a case keeps the version it was received
//! under). Publishing is the API's own (`POST /procedures`): the same
//! validation and the same rule of who may change which unit's workflow.

use actix_web::http::header;
use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use maud::{Markup, html};
use onestop_domain::catalog::Procedure;
use onestop_domain::role::Role;

use super::error::{Failure, explain};
use super::failure_page::within;
use super::form::Posted;
use super::layout::{self, banner, csrf};
use super::session::Officer;
use super::{Page, html_page};
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::State;
use crate::routes::cases::requests::ChannelDto;
use crate::routes::procedures::{
    FeeDto, PauseModeDto, ProcedureDto, ProcessingTimeDto, RequiredDocumentDto, RoleDto, StepDto, TimeUnitDto, publish,
};

/// Empty step rows offered for new steps.
const NEW_STEPS: usize = 2;

#[get("/admin/procedures")]
pub async fn procedures(state: State, officer: Officer) -> Page {
    if let Err(why) = onestop_domain::access::is_administrator(&officer.actor) {
        return Ok(within(&officer, Problem::forbidden(why).into()));
    }
    let catalog = state.catalog.snapshot();
    let mut all: Vec<&Procedure> = catalog.procedures().collect();
    all.sort_by(|a, b| a.field.name.cmp(&b.field.name).then(a.name.cmp(&b.name)));
    let content = html! {
        h1 { "Thủ tục hành chính" }
        div.table-wrap { table {
            caption.muted style="text-align:left" { "Phiên bản đang áp dụng của mỗi thủ tục" }
            thead { tr { th scope="col" { "Mã" } th scope="col" { "Tên thủ tục" } th scope="col" { "Lĩnh vực" }
                         th scope="col" { "Thời hạn" } th.num scope="col" { "Phiên bản" } th scope="col" { "Số bước" } } }
            tbody { @for p in &all { tr {
                td { (p.code) }
                td { a href={ "/admin/procedures/" (p.code) } { (p.name) } }
                td { (p.field.name) }
                td { (p.processing_time.describe_vi()) }
                td.num { (p.version) }
                td { (p.workflow.len()) }
            } } }
        } }
    };
    Ok(html_page(layout::page("Thủ tục", &officer, "/admin/procedures", content)))
}

#[derive(Debug, serde::Deserialize)]
pub struct Shown {
    /// The version just published.
    published: Option<u32>,
}

#[get("/admin/procedures/{code}")]
pub async fn procedure(state: State, officer: Officer, code: Path<String>, shown: Query<Shown>) -> Page {
    let catalog = state.catalog.snapshot();
    let Some(found) = code.parse().ok().and_then(|c| catalog.procedure(&c)) else {
        return Ok(within(&officer, Failure::not_found(format!("Không có thủ tục {code}."))));
    };
    let notice = shown.published.map(|v| banner("ok", html! { "Đã ban hành phiên bản " strong { (v) } "." }));
    Ok(html_page(editor(&officer, &ProcedureDto::of(found), notice)))
}

fn unit_options() -> [(&'static str, &'static str); 2] {
    [("receiving", "Đơn vị tiếp nhận"), ("handling", "Đơn vị giải quyết")]
}

fn time_units() -> [(TimeUnitDto, &'static str, &'static str); 4] {
    [
        (TimeUnitDto::WorkingDays, "working_days", "ngày làm việc"),
        (TimeUnitDto::WorkingHours, "working_hours", "giờ làm việc"),
        (TimeUnitDto::CalendarDays, "calendar_days", "ngày"),
        (TimeUnitDto::SameDay, "same_day", "trong ngày"),
    ]
}

fn time_unit_name(unit: TimeUnitDto) -> &'static str {
    time_units()
        .into_iter()
        .find(|(u, ..)| std::mem::discriminant(u) == std::mem::discriminant(&unit))
        .map_or("", |t| t.1)
}

fn time_select(id: &str, name: &str, current: Option<TimeUnitDto>, aria_label: Option<&str>) -> Markup {
    html! {
        select id=(id) name=(name) aria-label=[aria_label] {
            @for (unit, value, label) in time_units() {
                option value=(value) selected[current.is_some_and(|c| std::mem::discriminant(&c) == std::mem::discriminant(&unit))] { (label) }
            }
        }
    }
}

fn editor(officer: &Officer, dto: &ProcedureDto, notice: Option<Markup>) -> Markup {
    let channel_set =
        |c: ChannelDto| dto.channels.iter().any(|x| std::mem::discriminant(x) == std::mem::discriminant(&c));
    let documents: String = dto.documents.iter().map(|d| d.name.clone()).collect::<Vec<_>>().join("\n");
    let fees: String = dto.fees.iter().map(|f| format!("{}: {}", f.name, f.amount_vnd)).collect::<Vec<_>>().join("\n");
    let rows = dto.workflow.len() + NEW_STEPS;
    let content = html! {
        @if let Some(notice) = notice { (notice) }
        h1 { (dto.name) }
        p.muted { "Mã " (dto.code) " · phiên bản đang áp dụng " (dto.version) ". Lưu sẽ ban hành phiên bản mới; hồ sơ đã nhận giữ phiên bản cũ." }
        form.card method="post" action={ "/admin/procedures/" (dto.code) } {
            (csrf(&officer.csrf))
            label for="name" { "Tên thủ tục" }
            input #name type="text" name="name" value=(dto.name) required maxlength="500";
            label for="field_name" { "Lĩnh vực" }
            input #field_name type="text" name="field_name" value=(dto.field_name) required maxlength="200";
            fieldset {
                legend { "Thời hạn giải quyết" }
                label for="time_amount" { "Số lượng" }
                input #time_amount type="number" name="time_amount" min="1" value=(dto.processing_time.amount) required;
                label for="time_unit" { "Đơn vị thời gian" }
                (time_select("time_unit", "time_unit", Some(dto.processing_time.unit), None))
            }
            label for="cutoff" { "Giờ chốt nhận trong ngày (không bắt buộc)" }
            input #cutoff type="time" name="cutoff" value=(dto.cutoff.as_deref().unwrap_or(""));
            fieldset {
                legend { "Kênh tiếp nhận" }
                @for (channel, value, label) in [(ChannelDto::InPerson, "in_person", "Trực tiếp"), (ChannelDto::Post, "post", "Bưu chính"),
                                                 (ChannelDto::OnlineFull, "online_full", "Trực tuyến toàn trình"), (ChannelDto::OnlinePartial, "online_partial", "Trực tuyến một phần")] {
                    label.inline { input type="checkbox" name="channels" value=(value) checked[channel_set(channel)]; (label) }
                }
            }
            label for="pause_mode" { "Khi yêu cầu bổ sung" }
            select #pause_mode name="pause_mode" {
                option value="shift" selected[matches!(dto.pause_mode, PauseModeDto::Shift)] { "Lùi ngày hẹn trả theo thời gian tạm dừng" }
                option value="restart" selected[matches!(dto.pause_mode, PauseModeDto::Restart)] { "Tính lại thời hạn từ khi nhận đủ hồ sơ" }
            }
            label for="documents" { "Thành phần hồ sơ (mỗi dòng một giấy tờ)" }
            textarea #documents name="documents" rows="5" { (documents) }
            label for="fees" { "Phí, lệ phí (mỗi dòng: tên khoản: số tiền)" }
            textarea #fees name="fees" rows="3" { (fees) }
            h2 { "Quy trình (các bước theo thứ tự)" }
            p.muted { "Để trống tên bước để bỏ bước. Đơn vị: đơn vị tiếp nhận, đơn vị giải quyết, hoặc mã một đơn vị (liên thông)." }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Bước" } th scope="col" { "Tên bước" } th scope="col" { "Vai trò" } th scope="col" { "Đơn vị" } th scope="col" { "Thời gian" } th scope="col" { "Đơn vị thời gian" } } }
                tbody { @for i in 0..rows {
                    @let step = dto.workflow.get(i);
                    tr {
                        td { (i + 1) }
                        td { input id={ "step-name-" (i) } type="text" name={ "step_name_" (i) } value=(step.map_or("", |s| s.name.as_str())) aria-label={ "Tên bước " (i + 1) } maxlength="200"; }
                        td { select name={ "step_role_" (i) } aria-label={ "Vai trò bước " (i + 1) } {
                            @for role in [Role::Reception, Role::Specialist, Role::Approver, Role::Leader] {
                                option value=(role.as_str()) selected[step.is_some_and(|s| s.role.0 == role)] { (role.title_vi()) }
                            }
                        } }
                        td { input type="text" name={ "step_unit_" (i) } list="step-units" value=(step.map_or("handling", |s| s.unit.as_str())) aria-label={ "Đơn vị bước " (i + 1) } maxlength="20"; }
                        td { input type="number" min="1" name={ "step_amount_" (i) } value=(step.map_or(1, |s| s.budget.amount)) aria-label={ "Thời gian bước " (i + 1) }; }
                        td { (time_select(&format!("step-time-{i}"), &format!("step_time_{i}"), step.map(|s| s.budget.unit), Some(&format!("Đơn vị thời gian bước {}", i + 1)))) }
                    }
                } }
            } }
            datalist #step-units { @for (value, label) in unit_options() { option value=(value) { (label) } } }
            button type="submit" { "Ban hành phiên bản mới" }
        }
        section.card {
            h2 { "Phiên bản đang áp dụng" }
            ol { @for s in &dto.workflow { li { (s.name) " — " (s.role.0.title_vi()) ", " (s.budget.amount) " " (time_unit_name(s.budget.unit)) } } }
            @if !dto.fees.is_empty() { p { "Phí: " @for f in &dto.fees { (f.name) " " (onestop_domain::notice::amount_vi(f.amount_vnd)) "; " } } }
        }
    };
    layout::page(&dto.name, officer, "/admin/procedures", content)
}

fn time_unit_of(text: Option<&str>) -> TimeUnitDto {
    match text {
        Some("working_hours") => TimeUnitDto::WorkingHours,
        Some("calendar_days") => TimeUnitDto::CalendarDays,
        Some("same_day") => TimeUnitDto::SameDay,
        _ => TimeUnitDto::WorkingDays,
    }
}

fn number(posted: &Posted, name: &str) -> Result<u32, Problem> {
    posted.text(name).unwrap_or("1").parse().map_err(|_| Problem::invalid_field(name, "phải là số nguyên dương"))
}

/// The next version as the form describes it, over the current one.
fn edited(current: &ProcedureDto, posted: &Posted) -> Result<ProcedureDto, Problem> {
    let mut dto = current.clone();
    dto.name = posted.text("name").unwrap_or_default().to_owned();
    dto.field_name = posted.text("field_name").unwrap_or_default().to_owned();
    dto.processing_time =
        ProcessingTimeDto { amount: number(posted, "time_amount")?, unit: time_unit_of(posted.text("time_unit")) };
    dto.cutoff = posted.text("cutoff").map(str::to_owned);
    dto.channels = posted
        .all("channels")
        .iter()
        .filter_map(|c| match c.as_str() {
            "in_person" => Some(ChannelDto::InPerson),
            "post" => Some(ChannelDto::Post),
            "online_full" => Some(ChannelDto::OnlineFull),
            "online_partial" => Some(ChannelDto::OnlinePartial),
            _ => None,
        })
        .collect();
    dto.pause_mode =
        if posted.text("pause_mode") == Some("restart") { PauseModeDto::Restart } else { PauseModeDto::Shift };
    // A document kept keeps its copies and whether the original is needed.
    dto.documents = posted
        .lines("documents")
        .into_iter()
        .map(|name| {
            current.documents.iter().find(|d| d.name == name).cloned().unwrap_or(RequiredDocumentDto {
                name,
                copies: 1,
                original_required: false,
            })
        })
        .collect();
    dto.fees = posted
        .lines("fees")
        .into_iter()
        .map(|line| {
            let (name, amount) =
                line.rsplit_once(':').ok_or_else(|| Problem::invalid_field("fees", "mỗi dòng: tên khoản: số tiền"))?;
            let amount = amount.trim().replace(['.', ','], "");
            Ok(FeeDto {
                name: name.trim().to_owned(),
                amount_vnd: amount.parse().map_err(|_| Problem::invalid_field("fees", "số tiền phải là số đồng"))?,
            })
        })
        .collect::<Result<_, Problem>>()?;
    let mut steps = Vec::new();
    for i in 0..current.workflow.len() + NEW_STEPS {
        let Some(name) = posted.text(&format!("step_name_{i}")) else { continue };
        let role = posted.text(&format!("step_role_{i}")).and_then(|r| Role::ALL.into_iter().find(|x| x.as_str() == r));
        steps.push(StepDto {
            name: name.to_owned(),
            role: RoleDto(role.ok_or_else(|| Problem::invalid_field("workflow.role", "vai trò không hợp lệ"))?),
            unit: posted.text(&format!("step_unit_{i}")).unwrap_or("handling").to_owned(),
            budget: ProcessingTimeDto {
                amount: number(posted, &format!("step_amount_{i}"))?,
                unit: time_unit_of(posted.text(&format!("step_time_{i}"))),
            },
        });
    }
    dto.workflow = steps;
    Ok(dto)
}

#[post("/admin/procedures/{code}")]
pub async fn publish_version(
    state: State,
    officer: Officer,
    req: HttpRequest,
    code: Path<String>,
    posted: Posted,
) -> Page {
    let catalog = state.catalog.snapshot();
    let Some(found) = code.parse().ok().and_then(|c| catalog.procedure(&c)) else {
        return Ok(within(&officer, Failure::not_found(format!("Không có thủ tục {code}."))));
    };
    let current = ProcedureDto::of(found);
    let outcome = match edited(&current, &posted) {
        Ok(dto) => publish(&state, &officer.actor, &meta(&req)?, &dto).await.map_err(|p| (p, dto)),
        Err(problem) => Err((problem, current.clone())),
    };
    match outcome {
        Ok(published) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/admin/procedures/{}?published={}", published.code, published.version),
            ))
            .finish()),
        Err((problem, dto)) if problem.status < 500 => {
            let notice = banner("error", html! { strong { "Chưa ban hành: " (problem.title) } (explain(&problem)) });
            let mut response = html_page(editor(&officer, &dto, Some(notice)));
            *response.status_mut() = actix_web::http::StatusCode::from_u16(problem.status).unwrap_or_default();
            Ok(response)
        }
        Err((problem, _)) => Err(problem.into()),
    }
}
