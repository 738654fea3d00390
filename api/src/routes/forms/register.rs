//! Form 07, the register (Sổ theo dõi hồ sơ) of a unit: `GET
//! /units/{code}/register?from=&to=`, the files the unit's desk received on
//! those days (Vietnam's dates, both included), from the status view.

use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, get};
use jiff::civil::Date;
use onestop_domain::access;
use onestop_domain::calendar::{instant, local};
use onestop_projections::forms::{RegisterLine, register_paper, render};
use onestop_projections::queries::{CaseFilter, list_cases};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{FormatParam, document, issuer, negotiate};
use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::fields::unit_code;
use crate::routes::{Answer, State};

/// The longest register one request prints: a year of a busy desk.
const MOST_LINES: usize = 20_000;

/// The register's days and format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// The first day (Vietnam's date, `YYYY-MM-DD`); today by default.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// The last day, included; `from` by default. At most 366 days after `from`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
    /// `pdf` or `html`; without it the `Accept` header decides.
    pub format: Option<FormatParam>,
}

/// The register of the files the unit received in the period (form 07), as
/// PDF (landscape A4) or HTML.
#[utoipa::path(tag = "forms", params(("code" = String, Path, description = "The unit's code", pattern = "UnitCode"), RegisterQuery), responses((status = 200, description = "The register", content((Vec<u8> = "application/pdf"), (String = "text/html")), headers(("Repr-Digest" = String))), answers::Forbidden, answers::NotFound, answers::NotAcceptable, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/units/{code}/register")]
pub async fn unit_register(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    code: Path<String>,
    query: Query<RegisterQuery>,
) -> Answer {
    let format = negotiate(&req, query.format)?;
    let unit = unit_code("code", &code)?;
    let catalog = state.catalog.snapshot();
    if catalog.unit(&unit).is_none() {
        return Err(Problem::not_found(format!("unit {unit} does not exist")));
    }
    access::reads_register(&auth.0, &unit, &catalog.units)?;
    let today = local(state.clock.now()).date();
    let from = query.from.unwrap_or(today);
    let to = query.to.unwrap_or(from);
    if to < from {
        return Err(Problem::invalid_field("to", "must not be before `from`"));
    }
    if from.until(to).map_or(true, |span| span.get_days() > 366) {
        return Err(Problem::invalid_field("to", "a register covers at most 366 days"));
    }
    let start = instant(from.at(0, 0, 0, 0));
    let end = to
        .tomorrow()
        .map(|d| instant(d.at(0, 0, 0, 0)))
        .map_err(|_| Problem::invalid_field("to", "is out of range"))?;
    let filter = CaseFilter {
        units: Some(vec![unit.to_string()]),
        visible_units: vec![unit.to_string()],
        received_from: Some(start),
        received_to: Some(end),
        ..CaseFilter::default()
    };
    crate::routes::fresh::caught_up(&state).await?;
    let mut cases = Vec::new();
    let mut after = None;
    loop {
        let page = list_cases(&state.pool, &filter, state.clock.now(), after, 500).await?;
        cases.extend(page.cases.into_iter().filter(|(_, case)| case.receiving_unit.as_ref() == Some(&unit)));
        if cases.len() > MOST_LINES {
            return Err(Problem::invalid_field(
                "to",
                format!("the period holds more than {MOST_LINES} files: ask for a shorter one"),
            ));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    // Received order; the code breaks ties (its daily number follows receipt).
    cases.sort_by(|(_, a), (_, b)| (a.received_at, &a.code).cmp(&(b.received_at, &b.code)));
    let mut lines = Vec::with_capacity(cases.len());
    for (_, case) in &cases {
        let applicant_name = match case.applicant {
            Some(id) => state.cases.vault().open(id).await?.map(|a| a.full_name),
            None => None,
        };
        let procedure_name = case.procedure.as_ref().map_or_else(String::new, |p| {
            catalog.procedure_version(&p.code, p.version).map_or_else(|| p.code.to_string(), |f| f.name.clone())
        });
        let handling_unit =
            case.steps.get(1).map(|s| catalog.unit(&s.unit).map_or_else(|| s.unit.to_string(), |u| u.name.clone()));
        lines.push(RegisterLine {
            code: case.code.as_ref().map(ToString::to_string).unwrap_or_default(),
            procedure_name,
            applicant_name,
            received_at: case.received_at.unwrap_or(start),
            due_at: case.due_at,
            handling_unit,
            finished_at: case.finished_at,
            returned_at: case.returned_at,
            status: case.phase.status_vi().to_owned(),
        });
    }
    let paper = register_paper(&issuer(&catalog, &unit), from, to, &lines);
    let bytes = render(&paper, format).map_err(|error| {
        crate::problem::log_failure(&error);
        Problem::internal()
    })?;
    Ok(document(bytes, format, &format!("so-theo-doi-{unit}-{from}-{to}")))
}
