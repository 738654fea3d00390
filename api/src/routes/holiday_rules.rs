//! The public holidays as the laws define them, by the years they are in force.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use onestop_domain::calendar::{HolidayDate, HolidayRule, WeekendMakeUp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::{Answer, State};

/// Which calendar a holiday's date is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CalendarKindDto {
    /// Dương lịch.
    Solar,
    /// Âm lịch (the Vietnamese lunar calendar, UTC+7).
    Lunar,
}

/// How a holiday on a weekly rest day is made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeekendMakeUpDto {
    /// On the next working day (Labour Code 2019 Art. 111(3)).
    NextWorkingDay,
    /// A Saturday on the working day before the holiday, a Sunday on the next
    /// working day after it (the Tết arrangements since 2014).
    BeforeForSaturday,
}

/// A public holiday as one law defines it for a run of years.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayRuleDto {
    /// The holiday, the same across the laws that changed it; rules of one
    /// holiday must not overlap in years.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9_]+$", example = "ngay_van_hoa_viet_nam")]
    pub holiday: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Ngày Văn hóa Việt Nam")]
    pub name: String,
    pub calendar: CalendarKindDto,
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12)]
    pub month: u8,
    #[validate(range(min = 1, max = 31))]
    #[schema(minimum = 1, maximum = 31)]
    pub day: u8,
    /// Days off, counted from `days_before` days before the date.
    #[validate(range(min = 1, max = 10))]
    #[schema(minimum = 1, maximum = 10)]
    pub days: u8,
    /// Days of the holiday before its date (Tết: 1, the last day of the old year).
    #[serde(default)]
    #[validate(range(max = 9))]
    #[schema(minimum = 0, maximum = 9)]
    pub days_before: u8,
    /// One more day, before or after, as each year's arrangement says.
    #[serde(default)]
    pub adjacent_day: bool,
    pub weekend_make_up: WeekendMakeUpDto,
    #[validate(range(min = 1990, max = 2100))]
    #[schema(minimum = 1990, maximum = 2100)]
    pub first_year: i16,
    /// The last year in force; absent while the law stands.
    #[serde(default)]
    #[validate(range(min = 1990, max = 2100))]
    #[schema(minimum = 1990, maximum = 2100)]
    pub last_year: Option<i16>,
    /// The law that made it.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub source: String,
}

impl HolidayRuleDto {
    fn of(rule: &HolidayRule) -> Self {
        let (calendar, month, day) = match rule.date {
            HolidayDate::Solar { month, day } => (CalendarKindDto::Solar, month, day),
            HolidayDate::Lunar { month, day } => (CalendarKindDto::Lunar, month, day),
        };
        Self {
            holiday: rule.holiday.clone(),
            name: rule.name.clone(),
            calendar,
            month,
            day,
            days: rule.days,
            days_before: rule.days_before,
            adjacent_day: rule.adjacent_day,
            weekend_make_up: match rule.weekend_make_up {
                WeekendMakeUp::NextWorkingDay => WeekendMakeUpDto::NextWorkingDay,
                WeekendMakeUp::BeforeForSaturday => WeekendMakeUpDto::BeforeForSaturday,
            },
            first_year: rule.first_year,
            last_year: rule.last_year,
            source: rule.source.clone(),
        }
    }

    fn to_domain(&self) -> HolidayRule {
        let (month, day) = (self.month, self.day);
        HolidayRule {
            holiday: self.holiday.clone(),
            name: self.name.trim().to_owned(),
            date: match self.calendar {
                CalendarKindDto::Solar => HolidayDate::Solar { month, day },
                CalendarKindDto::Lunar => HolidayDate::Lunar { month, day },
            },
            days: self.days,
            days_before: self.days_before,
            adjacent_day: self.adjacent_day,
            weekend_make_up: match self.weekend_make_up {
                WeekendMakeUpDto::NextWorkingDay => WeekendMakeUp::NextWorkingDay,
                WeekendMakeUpDto::BeforeForSaturday => WeekendMakeUp::BeforeForSaturday,
            },
            first_year: self.first_year,
            last_year: self.last_year,
            source: self.source.trim().to_owned(),
        }
    }
}

/// The last year a holiday rule is in force.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndHolidayRuleDto {
    #[validate(range(min = 1990, max = 2100))]
    #[schema(minimum = 1990, maximum = 2100)]
    pub last_year: i16,
}

/// The holiday rules the calendar applies, by holiday and first year.
#[utoipa::path(tag = "catalog", responses((status = 200, description = "Every rule, ended ones included", body = Vec<HolidayRuleDto>)), security(("bearer" = [])))]
#[get("/holiday-rules")]
pub async fn list_holiday_rules(state: State, _auth: Authenticated) -> Answer {
    let catalog = state.catalog.snapshot();
    let mut rules: Vec<HolidayRuleDto> = catalog.calendar.rules().iter().map(HolidayRuleDto::of).collect();
    rules.sort_by(|a, b| (&a.holiday, a.first_year).cmp(&(&b.holiday, b.first_year)));
    Ok(HttpResponse::Ok().json(rules))
}

/// Add a holiday rule: a new law's holiday, or a holiday changed from a year on
/// (end the old rule first). Due dates already issued stand.
#[utoipa::path(tag = "catalog", request_body = HolidayRuleDto, responses((status = 201, description = "The rule as recorded", body = HolidayRuleDto), answers::Forbidden, (status = 409, description = "Another change to the holiday rules came first; retry", body = Problem, content_type = "application/problem+json"), answers::OutOfBounds), security(("bearer" = [])))]
#[post("/holiday-rules")]
pub async fn add_holiday_rule(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<HolidayRuleDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    let saved = state.registry.add_holiday_rule(&auth.0, body.to_domain(), &meta(&req)?).await?;
    Ok(HttpResponse::Created().json(HolidayRuleDto::of(&saved)))
}

/// End a holiday rule: `last_year` is its last year in force.
#[utoipa::path(tag = "catalog", params(("holiday" = String, Path), ("first_year" = i16, Path)), request_body = EndHolidayRuleDto, responses((status = 200, description = "The rule as it now stands", body = HolidayRuleDto), answers::Forbidden, answers::NotFound, (status = 409, description = "Another change to the holiday rules came first; retry", body = Problem, content_type = "application/problem+json"), answers::OutOfBounds), security(("bearer" = [])))]
#[post("/holiday-rules/{holiday}/{first_year}/end")]
pub async fn end_holiday_rule(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, i16)>,
    body: Json<EndHolidayRuleDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    let (holiday, first_year) = path.into_inner();
    let ended = state.registry.end_holiday_rule(&auth.0, &holiday, first_year, body.last_year, &meta(&req)?).await?;
    Ok(HttpResponse::Ok().json(HolidayRuleDto::of(&ended)))
}
