//! A case's page: where it stands, its steps against their deadlines, what
//! the officer may do now (the rules' own list), its forms, history, control
//! slip, documents and the notices sent to the applicant.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use maud::{Markup, html};
use onestop_commands::cases::LoadedCase;
use onestop_domain::access;
use onestop_domain::case::forms::Form;
use onestop_domain::case::{CaseEvent, CaseState};
use onestop_domain::ids::CaseId;
use serde::Deserialize;
use uuid::Uuid;

use super::action_forms::{FormContext, action_form};
use super::actions::{self, FORMS};
use super::error::{Failure, explain};
use super::failure_page::within;
use super::form::Posted;
use super::layout::{self, banner, when, when_or_dash};
use super::session::Officer;
use super::work::{capitalised, timeliness_mark};
use super::{Page, html_page};
use crate::auth::Authenticated;
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::State;
use crate::routes::audit::trail::{history_of, slip_of};
use crate::routes::forms::case::{FormQuery, print};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct Shown {
    /// The action just done (its slug), for the banner.
    done: Option<String>,
}

/// The case, if this officer may read it; otherwise "not found", as the API says.
async fn readable(state: &AppState, officer: &Officer, id: Uuid) -> Result<LoadedCase, Failure> {
    let not_found = || Failure::not_found(format!("Không có hồ sơ {id}, hoặc hồ sơ không thuộc đơn vị của bạn."));
    let loaded = state.cases.load(CaseId(id)).await.map_err(Problem::from)?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    if !access::may_read_case(&officer.actor, &loaded.state.places(), &catalog.units) {
        return Err(not_found());
    }
    Ok(loaded)
}

#[get("/cases/{id}")]
pub async fn show(state: State, officer: Officer, id: Path<Uuid>, shown: Query<Shown>) -> Page {
    let loaded = match readable(&state, &officer, id.into_inner()).await {
        Ok(loaded) => loaded,
        Err(failure) => return Ok(within(&officer, failure)),
    };
    let notice = shown
        .done
        .as_deref()
        .and_then(|slug| {
            if slug == "receive" { Some("Tiếp nhận hồ sơ") } else { actions::by_slug(slug).map(|f| f.label) }
        })
        .map(|label| {
            let receipt = format!("/cases/{}/forms/01?format=pdf", loaded.case_id.0);
            banner(
                "ok",
                html! {
                    "Đã thực hiện: " strong { (label) } "."
                    @if shown.done.as_deref() == Some("receive") {
                        " " a href=(receipt) { "In Giấy tiếp nhận và hẹn trả kết quả (mẫu 01)" }
                    }
                },
            )
        });
    Ok(html_page(render(&state, &officer, &loaded, notice).await?))
}

#[post("/cases/{id}/{action}")]
pub async fn act(state: State, officer: Officer, req: HttpRequest, path: Path<(Uuid, String)>, posted: Posted) -> Page {
    let (id, slug) = path.into_inner();
    let form = actions::by_slug(&slug).ok_or_else(|| Failure::not_found("Không có thao tác này."))?;
    let expected = posted.text("version").and_then(|v| v.parse::<u64>().ok());
    let mut meta = meta(&req)?;
    meta.idempotency_key = posted.text("once").filter(|k| k.len() <= 200 && k.is_ascii()).map(str::to_owned);
    let outcome = match actions::command_of(form.action, &posted) {
        Ok(command) => {
            state.cases.execute(&officer.actor, CaseId(id), command, expected, &meta).await.map_err(Problem::from)
        }
        Err(problem) => Err(problem),
    };
    match outcome {
        Ok(executed) => {
            state.note_written(executed.checkpoint);
            Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/cases/{id}?done={slug}"))).finish())
        }
        // The case stays on screen with what went wrong above it.
        Err(problem) if problem.status < 500 && problem.status != 404 => {
            let loaded = readable(&state, &officer, id).await?;
            let notice = banner("error", html! { strong { (form.label) ": " (problem.title) } (explain(&problem)) });
            let mut response = html_page(render(&state, &officer, &loaded, Some(notice)).await?);
            *response.status_mut() = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::CONFLICT);
            Ok(response)
        }
        Err(problem) => Err(problem.into()),
    }
}

/// A form of the case (01–06), printed for the desk: the API's own printing.
#[get("/cases/{id}/forms/{form}")]
pub async fn print_form(
    state: State,
    officer: Officer,
    req: HttpRequest,
    path: Path<(Uuid, String)>,
    query: Query<FormQuery>,
) -> Page {
    let (id, number) = path.into_inner();
    let auth = Authenticated(officer.actor.clone());
    let printed = print(&state, &auth, &req, id, &number, &query).await?;
    Ok(crate::routes::forms::document(printed.bytes, printed.format, &printed.file_name))
}

async fn render(
    state: &AppState,
    officer: &Officer,
    loaded: &LoadedCase,
    notice: Option<Markup>,
) -> Result<Markup, Failure> {
    let case = &loaded.state;
    let catalog = state.catalog.snapshot();
    let now = state.clock.now();
    let (offered, next_units) = state.cases.offered(&officer.actor, case);
    let procedure = case.procedure.as_ref().and_then(|p| catalog.procedure_version(&p.code, p.version));
    let unit_name =
        |code: &onestop_domain::ids::UnitCode| catalog.unit(code).map_or_else(|| code.to_string(), |u| u.name.clone());
    let history = history_of(loaded);
    let slip = slip_of(&catalog, case);
    let events: Vec<CaseEvent> = loaded.events.iter().map(|(_, e)| e.clone()).collect();
    let notices = onestop_projections::notices::of_case(&state.pool, loaded.case_id.0).await.map_err(Problem::from)?;
    let ctx = FormContext {
        case_id: loaded.case_id.0,
        version: loaded.version,
        csrf: &officer.csrf,
        next_units: &next_units,
        catalog: &catalog,
    };
    let forms: Vec<_> = FORMS.iter().filter(|f| offered.contains(&f.action)).collect();
    let title = case.code.as_ref().map_or_else(|| "Hồ sơ chưa cấp mã".to_owned(), |c| format!("Hồ sơ {c}"));
    let content = html! {
        @if let Some(notice) = notice { (notice) }
        h1 { (title) " " (timeliness_mark(case, now)) }
        div.grid {
            section.card aria-labelledby="facts" {
                h2 #facts { "Thông tin hồ sơ" }
                dl.facts {
                    dt { "Trạng thái" } dd { (case.status_code().map_or(String::new(), |c| c.to_string())) ". " (case.phase.status_vi()) }
                    dt { "Thủ tục" } dd { (procedure.map_or("—", |p| p.name.as_str())) }
                    dt { "Lĩnh vực" } dd { (procedure.map_or("—", |p| p.field.name.as_str())) }
                    dt { "Đơn vị tiếp nhận" } dd { (case.receiving_unit.as_ref().map_or_else(|| "—".to_owned(), unit_name)) }
                    dt { "Đang ở" } dd { (case.current_unit().map_or_else(|| "—".to_owned(), unit_name)) }
                    dt { "Ngày nhận" } dd { (when_or_dash(case.received_at.or(case.submitted_at))) }
                    dt { "Ngày hẹn trả" } dd {
                        (when_or_dash(case.due_at))
                        @if case.extended { " (đã gia hạn, hẹn ban đầu " (when_or_dash(case.original_due_at)) ")" }
                    }
                    @if let Some(since) = case.paused_since { dt { "Tạm dừng từ" } dd { (when(since)) } }
                    @if case.paused_minutes > 0 { dt { "Thời gian tạm dừng" } dd { (case.paused_minutes / 60) " giờ " (case.paused_minutes % 60) " phút" } }
                    @if let Some(finished) = case.finished_at { dt { "Hoàn thành" } dd { (when(finished)) } }
                    @if let Some(returned) = case.returned_at { dt { "Đã trả kết quả" } dd { (when(returned)) } }
                }
            }
            section.card aria-labelledby="actions" {
                h2 #actions { "Thao tác" }
                @if forms.is_empty() {
                    p.muted { "Bạn không có thao tác nào trên hồ sơ ở bước này." }
                }
                @for (i, form) in forms.iter().enumerate() {
                    (action_form(form, &ctx, i == 0))
                }
            }
        }
        section.card aria-labelledby="steps" {
            h2 #steps { "Các bước xử lý" }
            ol.timeline {
                @for step in &case.steps {
                    @let class = if step.finished_at.is_some() { "done" } else { "current" };
                    li class=(class) {
                        strong { (step.name) } " — " (unit_name(&step.unit)) " (" (step.role.title_vi()) ")"
                        br;
                        span.muted { "Bắt đầu " (when(step.started_at)) " · hạn " (when(step.due_at)) }
                        @if let Some(done) = step.finished_at {
                            span.muted { " · xong " (when(done)) }
                        }
                        @if let Some(p) = step.punctuality() {
                            " " span class={ "mark " (serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) } { (capitalised(p.label_vi())) }
                        } @else if step.acknowledged_at.is_none() && step.index > 0 {
                            " " span.mark.waiting { "chờ nhận bàn giao" }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="papers" {
            h2 #papers { "Phiếu, mẫu in" }
            ul {
                @for paper in Form::ALL.iter().filter(|f| **f != Form::Register && f.reached(&events).is_ok()) {
                    li {
                        (paper.number()) ". " (paper.title_vi()) ": "
                        a href={ "/cases/" (loaded.case_id.0) "/forms/" (paper.number()) "?format=html" } { "xem" } " · "
                        a href={ "/cases/" (loaded.case_id.0) "/forms/" (paper.number()) "?format=pdf" } { "tải PDF" }
                    }
                }
            }
        }
        (control_slip(&slip))
        section.card aria-labelledby="history" {
            h2 #history { "Quá trình xử lý" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Thời điểm" } th scope="col" { "Người thực hiện" } th scope="col" { "Đơn vị" } th scope="col" { "Nội dung" } } }
                tbody {
                    @for entry in &history {
                        tr {
                            td { (when(entry.at)) }
                            td { (entry.actor_name.as_deref().unwrap_or("—")) @if let Some(t) = &entry.role_title { br; span.muted { (t) } } }
                            td { (entry.unit.as_deref().unwrap_or("—")) }
                            td { (entry.action) @if let Some(r) = &entry.reason { br; span.muted { (r) } } }
                        }
                    }
                }
            } }
        }
        (documents(case))
        section.card aria-labelledby="notices" {
            h2 #notices { "Thông báo đã gửi công dân" }
            @if notices.is_empty() { p.muted { "Chưa có thông báo." } } @else {
                ul { @for n in &notices {
                    li { (when(n.created_at)) " · " (n.kind.title_vi()) " · " (n.channel.name_vi()) " · " (n.state.label_vi()) @if n.to_officer { " (gửi cán bộ)" } }
                } }
            }
        }
    };
    Ok(layout::page(&title, officer, "", content))
}

fn control_slip(slip: &crate::routes::audit::trail::ControlSlip) -> Markup {
    html! {
        section.card aria-labelledby="slip" {
            h2 #slip { "Phiếu kiểm soát quá trình giải quyết hồ sơ" }
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Bước" } th scope="col" { "Bên giao" } th scope="col" { "Bên nhận" }
                    th scope="col" { "Thời gian giao" } th scope="col" { "Hạn bước" } th scope="col" { "Hoàn thành" } th scope="col" { "Kết quả" }
                } }
                tbody { @for line in &slip.lines { tr {
                    td { (line.step) br; span.muted { (line.unit_name.as_deref().unwrap_or(&line.unit)) } }
                    td { (line.giver.as_deref().unwrap_or("—")) }
                    td { (line.receiver.as_deref().unwrap_or("—")) }
                    td { (when(line.handed_over_at)) }
                    td { (when(line.step_due_at)) }
                    td { (when_or_dash(line.finished_at)) }
                    td { (line.result.as_deref().map(capitalised).unwrap_or_default()) }
                } } }
            } }
        }
    }
}

fn documents(case: &CaseState) -> Markup {
    html! {
        section.card aria-labelledby="documents" {
            h2 #documents { "Tài liệu đính kèm" }
            @if case.documents.is_empty() { p.muted { "Chưa có tài liệu đính kèm." } } @else {
                ul { @for d in &case.documents { li { (d.name) " (" (d.media_type) ", " (d.size_bytes) " byte) — SHA-256 " code { (d.sha256) } } } }
            }
        }
    }
}
