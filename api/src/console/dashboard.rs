//! The leaders' dashboard (bảng điều hành): on-time rates per unit for a
//! period and over the last months as charts, the overdue files, and Biểu 06
//! for the period with its CSV and XLSX (Biểu II.06a) downloads. Every figure
//! is the statistics report's own (`GET /stats/report`), so the dashboard
//! and the report cannot disagree.

use actix_web::get;
use actix_web::web::Query;
use maud::{Markup, PreEscaped, html};
use onestop_commands::catalog::Catalog;
use onestop_domain::indicators::on_time_percent;
use onestop_domain::period::ReportPeriod;
use onestop_projections::stats::ReportRow;
use serde::Deserialize;

use super::charts::{self, Share};
use super::error::Failure;
use super::failure_page::within;
use super::session::Officer;
use super::work::case_table;
use super::{Page, html_page, layout, url_encode};
use crate::problem::Problem;
use crate::routes::State;
use crate::routes::cases::lists::{CaseListQuery, find};
use crate::routes::stats::{Computed, GroupByDto, ReportFormat, ReportQuery, compute, respond, row_names};
use crate::state::AppState;

/// Months the trend chart looks back over.
const TREND_MONTHS: usize = 6;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    period: Option<String>,
    unit: Option<String>,
    group_by: Option<String>,
}

struct Chosen {
    period: ReportPeriod,
    unit: String,
    group_by: GroupByDto,
}

fn chosen(state: &AppState, officer: &Officer, asked: &Asked) -> Result<Chosen, Problem> {
    let today = onestop_domain::calendar::local(state.clock.now()).date();
    let period = match asked.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => text.parse().map_err(|e| Problem::invalid_field("period", e))?,
        None => ReportPeriod::month_of(today),
    };
    let unit = match asked.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(unit) => unit.to_owned(),
        None => officer.user.units.first().map(ToString::to_string).ok_or_else(|| Problem::forbidden("no unit"))?,
    };
    let group_by = match asked.group_by.as_deref() {
        Some("procedure") => GroupByDto::Procedure,
        Some("unit") => GroupByDto::Unit,
        _ => GroupByDto::Field,
    };
    Ok(Chosen { period, unit, group_by })
}

fn query(period: ReportPeriod, unit: &str, group_by: GroupByDto) -> ReportQuery {
    ReportQuery {
        period: Some(period.to_string()),
        unit: Some(unit.to_owned()),
        group_by: Some(group_by),
        ..Default::default()
    }
}

fn total(computed: &Computed) -> Option<&ReportRow> {
    computed.rows.iter().find(|r| r.key == "TOTAL")
}

fn rate(row: &ReportRow) -> Option<f64> {
    on_time_percent(row.resolved_early, row.resolved_on_time, row.resolved_total)
}

#[get("/dashboard")]
pub async fn dashboard(state: State, officer: Officer, asked: Query<Asked>) -> Page {
    match render(&state, &officer, &asked).await {
        Ok(page) => Ok(html_page(page)),
        Err(failure) => Ok(within(&officer, failure)),
    }
}

async fn render(state: &AppState, officer: &Officer, asked: &Asked) -> Result<Markup, Failure> {
    let chosen = chosen(state, officer, asked)?;
    let catalog = state.catalog.snapshot();
    let report = compute(state, &officer.actor, &query(chosen.period, &chosen.unit, chosen.group_by)).await?;
    let by_unit = compute(state, &officer.actor, &query(chosen.period, &chosen.unit, GroupByDto::Unit)).await?;
    let mut trend = Vec::with_capacity(TREND_MONTHS);
    for month in chosen.period.months_up_to(TREND_MONTHS) {
        let computed = compute(state, &officer.actor, &query(month, &chosen.unit, GroupByDto::Field)).await?;
        trend.push(Share { label: month.to_string(), percent: total(&computed).and_then(rate) });
    }
    let (overdue, now) = find(
        state,
        &officer.actor,
        CaseListQuery { unit: Some(chosen.unit.clone()), overdue: Some(true), limit: Some(20), ..Default::default() },
    )
    .await?;
    let names = catalog.unit_names();
    let unit_shares: Vec<Share> = by_unit
        .rows
        .iter()
        .filter(|r| r.key != "TOTAL")
        .map(|r| Share { label: names.get(&r.key).cloned().unwrap_or_else(|| r.key.clone()), percent: rate(r) })
        .collect();
    let sum = total(&report);
    let group_name = match chosen.group_by {
        GroupByDto::Field => "field",
        GroupByDto::Procedure => "procedure",
        GroupByDto::Unit => "unit",
    };
    let link_for = |format: &str| {
        format!(
            "/dashboard/report?period={}&unit={}&group_by={group_name}&format={format}",
            chosen.period,
            url_encode(&chosen.unit)
        )
    };
    let content = html! {
        h1 { "Bảng điều hành" }
        (choice_form(&catalog, officer, &chosen))
        @if let Some(sum) = sum {
            ul.counts aria-label="Tổng hợp kỳ báo cáo" {
                li { strong { (sum.received_total) } "tiếp nhận trong kỳ" }
                li { strong { (sum.resolved_total) } "đã giải quyết" }
                li { strong { (rate(sum).map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))) } "giải quyết đúng hạn" }
                li { strong { (sum.in_progress_within + sum.in_progress_overdue) } "đang giải quyết" }
                li { strong { (sum.in_progress_overdue) } "quá hạn đang giải quyết" }
            }
        }
        div.grid {
            (figure("Tỷ lệ giải quyết đúng hạn theo đơn vị", charts::bars(&unit_shares, "% giải quyết đúng hạn"),
                    &unit_shares))
            (figure(&format!("Tỷ lệ giải quyết đúng hạn {TREND_MONTHS} tháng gần nhất"),
                    charts::trend(&trend, "% đúng hạn"), &trend))
        }
        section.card aria-labelledby="overdue" {
            h2 #overdue { "Hồ sơ quá hạn" }
            (case_table(&catalog, &overdue.cases, now, "Hồ sơ đang giải quyết đã quá hạn, mới nhận trước"))
        }
        section.card aria-labelledby="bieu06" {
            h2 #bieu06 { "Biểu 06: Tình hình, kết quả giải quyết TTHC — " (chosen.period.title_vi()) }
            p {
                "Từ " (report.from.strftime("%d/%m/%Y")) " đến " (report.to.strftime("%d/%m/%Y")) ". Tải về: "
                a href=(link_for("csv")) { "CSV" } " · " a href=(link_for("xlsx")) { "Excel (Biểu II.06a)" }
            }
            (bieu_06(&report, &row_names(&catalog, report.group_by)))
        }
    };
    Ok(layout::page("Bảng điều hành", officer, "/dashboard", content))
}

fn choice_form(catalog: &Catalog, officer: &Officer, chosen: &Chosen) -> Markup {
    let year = chosen.period.year();
    let mut periods: Vec<ReportPeriod> = chosen.period.months_up_to(12);
    periods.extend((1..=4).map(|quarter| ReportPeriod::Quarter { year, quarter }));
    periods.extend([ReportPeriod::FirstHalf { year }, ReportPeriod::NineMonths { year }, ReportPeriod::Year { year }]);
    let units = onestop_domain::access::visible_units(&officer.actor, &catalog.units);
    html! {
        form.filters.card method="get" action="/dashboard" aria-label="Chọn kỳ báo cáo" {
            div {
                label for="period" { "Kỳ báo cáo" }
                select #period name="period" {
                    @for p in &periods {
                        option value=(p) selected[*p == chosen.period] { (p.title_vi()) }
                    }
                }
            }
            div {
                label for="unit" { "Đơn vị (gồm đơn vị trực thuộc)" }
                select #unit name="unit" {
                    @for unit in &units {
                        @let code = unit.code.to_string();
                        option value=(code) selected[code == chosen.unit] { (unit.name) }
                    }
                }
            }
            div {
                label for="group_by" { "Tổng hợp theo" }
                select #group_by name="group_by" {
                    option value="field" selected[matches!(chosen.group_by, GroupByDto::Field)] { "Lĩnh vực" }
                    option value="procedure" selected[matches!(chosen.group_by, GroupByDto::Procedure)] { "Thủ tục" }
                    option value="unit" selected[matches!(chosen.group_by, GroupByDto::Unit)] { "Đơn vị" }
                }
            }
            button type="submit" { "Xem" }
        }
    }
}

/// A chart with its figures in a table beneath (the same numbers, readable
/// without the picture).
fn figure(title: &str, svg: Result<String, String>, shares: &[Share]) -> Markup {
    html! {
        figure.card.chart {
            figcaption { strong { (title) } }
            @match svg {
                Ok(svg) => div role="img" aria-label=(title) { (PreEscaped(svg)) },
                Err(error) => p.muted { "Không vẽ được biểu đồ (" (error) ")." },
            }
            details {
                summary { "Số liệu" }
                table {
                    thead { tr { th scope="col" { "" } th.num scope="col" { "% đúng hạn" } } }
                    tbody { @for s in shares { tr { td { (s.label) } td.num { (s.percent.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}"))) } } } }
                }
            }
        }
    }
}

fn bieu_06(report: &Computed, names: &std::collections::HashMap<String, String>) -> Markup {
    html! {
        div.table-wrap { table {
            thead {
                tr {
                    th scope="col" rowspan="2" { "" }
                    th scope="colgroup" colspan="4" { "Số hồ sơ nhận giải quyết" }
                    th scope="colgroup" colspan="3" { "Đã giải quyết" }
                    th scope="colgroup" colspan="2" { "Đang giải quyết" }
                    th scope="col" rowspan="2" { "Trả lại" }
                    th scope="col" rowspan="2" { "Rút" }
                    th scope="col" rowspan="2" { "Dừng" }
                    th scope="col" rowspan="2" { "% đúng hạn" }
                }
                tr {
                    th.num scope="col" { "Kỳ trước chuyển qua" } th.num scope="col" { "Trực tuyến" }
                    th.num scope="col" { "Trực tiếp, bưu chính" } th.num scope="col" { "Tổng" }
                    th.num scope="col" { "Trước hạn" } th.num scope="col" { "Đúng hạn" } th.num scope="col" { "Quá hạn" }
                    th.num scope="col" { "Trong hạn" } th.num scope="col" { "Quá hạn" }
                }
            }
            tbody {
                @for r in &report.rows {
                    tr {
                        th scope="row" { @if r.key == "TOTAL" { "Tổng cộng" } @else { (names.get(&r.key).map_or(r.key.as_str(), String::as_str)) } }
                        td.num { (r.carried_over) } td.num { (r.received_online) } td.num { (r.received_offline) }
                        td.num { (r.received_total) } td.num { (r.resolved_early) } td.num { (r.resolved_on_time) }
                        td.num { (r.resolved_late) } td.num { (r.in_progress_within) } td.num { (r.in_progress_overdue) }
                        td.num { (r.returned) } td.num { (r.withdrawn) } td.num { (r.stopped) }
                        td.num { (rate(r).map_or_else(|| "—".to_owned(), |p| format!("{p:.1}"))) }
                    }
                }
            }
        } }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Download {
    period: Option<String>,
    unit: Option<String>,
    group_by: Option<String>,
    format: Option<String>,
}

/// Biểu 06 as CSV or XLSX: the API's report, byte for byte.
#[get("/dashboard/report")]
pub async fn download(state: State, officer: Officer, asked: Query<Download>) -> Page {
    let asked = asked.into_inner();
    let format = match asked.format.as_deref() {
        Some("csv") => ReportFormat::Csv,
        Some("xlsx") => ReportFormat::Xlsx,
        _ => return Err(Failure::bad_form("Hãy chọn định dạng CSV hoặc Excel.")),
    };
    let chosen = chosen(&state, &officer, &Asked { period: asked.period, unit: asked.unit, group_by: asked.group_by })?;
    let computed = compute(&state, &officer.actor, &query(chosen.period, &chosen.unit, chosen.group_by)).await?;
    Ok(respond(&state, computed, format)?)
}
