//! The working calendar of a year: its days off and swaps as published.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, put};
use jiff::civil::Date;
use onestop_domain::calendar::{DaySwap, FIRST_YEAR, LAST_YEAR, YearArrangement, YearCalendar};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::{Answer, State};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayDto {
    pub date: Date,
    /// The holiday rule's key (`tet_nguyen_dan`, `quoc_khanh`, …).
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapDto {
    pub day_off: Date,
    pub saturday_worked: Date,
}

/// A year's published arrangement (what departs from the rules).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrangementDto {
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    pub tet_days_off: Option<Vec<Date>>,
    pub national_day_extra: Option<Date>,
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub swaps: Vec<SwapDto>,
    #[serde(default)]
    #[validate(length(max = 30))]
    #[schema(max_items = 30)]
    pub extra_days_off: Vec<Date>,
    #[serde(default)]
    #[validate(length(max = 30))]
    #[schema(max_items = 30)]
    pub extra_working_days: Vec<Date>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarYearDto {
    pub year: i16,
    pub holidays: Vec<HolidayDto>,
    /// Weekdays not worked.
    pub days_off: Vec<Date>,
    /// Weekend days worked.
    pub weekend_days_worked: Vec<Date>,
    pub arrangement: Option<ArrangementDto>,
}

fn arrangement_dto(a: &YearArrangement) -> ArrangementDto {
    ArrangementDto {
        tet_days_off: a.tet_days_off.clone(),
        national_day_extra: a.national_day_extra,
        swaps: a.swaps.iter().map(|s| SwapDto { day_off: s.day_off, saturday_worked: s.saturday_worked }).collect(),
        extra_days_off: a.extra_days_off.clone(),
        extra_working_days: a.extra_working_days.clone(),
    }
}

fn calendar_year(year: &YearCalendar, arrangement: Option<&YearArrangement>) -> CalendarYearDto {
    CalendarYearDto {
        year: year.year,
        holidays: year
            .holidays
            .iter()
            .map(|h| HolidayDto { date: h.date, kind: h.holiday.clone(), name: h.name.clone() })
            .collect(),
        days_off: year.days_off.iter().copied().collect(),
        weekend_days_worked: year.weekend_days_worked.iter().copied().collect(),
        arrangement: arrangement.map(arrangement_dto),
    }
}

/// A year's holidays, days off and weekend days worked.
#[utoipa::path(tag = "catalog", params(("year" = i16, Path)), responses((status = 200, description = "The year's days off and make-up working days", body = CalendarYearDto), answers::NotFound), security(("bearer" = [])))]
#[get("/calendar/{year}")]
pub async fn get_calendar(state: State, _auth: Authenticated, year: Path<i16>) -> Answer {
    let catalog = state.catalog.snapshot();
    let year = year.into_inner();
    let computed = catalog
        .calendar
        .year(year)
        .ok_or_else(|| Problem::not_found(format!("the calendar covers {FIRST_YEAR}–{LAST_YEAR}, not {year}")))?;
    Ok(HttpResponse::Ok().json(calendar_year(computed, catalog.arrangement(year))))
}

/// Record a year's published arrangement (days off for Tết, swaps, extra days).
#[utoipa::path(tag = "catalog", params(("year" = i16, Path)), request_body = ArrangementDto, responses((status = 200, description = "The year's days off and make-up working days", body = CalendarYearDto), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[put("/calendar/{year}")]
pub async fn arrange_calendar(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    year: Path<i16>,
    body: Json<ArrangementDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    let year = year.into_inner();
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(Problem::not_found(format!("the calendar covers {FIRST_YEAR}–{LAST_YEAR}, not {year}")));
    }
    let body = body.into_inner();
    let arrangement = YearArrangement {
        year,
        tet_days_off: body.tet_days_off,
        national_day_extra: body.national_day_extra,
        swaps: body
            .swaps
            .into_iter()
            .map(|s| DaySwap { day_off: s.day_off, saturday_worked: s.saturday_worked })
            .collect(),
        extra_days_off: body.extra_days_off,
        extra_working_days: body.extra_working_days,
    };
    let saved = state.registry.arrange_calendar(&auth.0, arrangement, &meta(&req)?).await?;
    let rules = state.catalog.snapshot().calendar.rules().to_vec();
    let computed = YearCalendar::compute(year, &rules, Some(&saved));
    Ok(HttpResponse::Ok().json(calendar_year(&computed, Some(&saved))))
}
