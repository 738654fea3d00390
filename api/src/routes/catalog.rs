//! The catalog: units, procedures, the working calendar, users, and the erasure
//! of an applicant's personal data. Reads are open to every signed-in user;
//! changes to administrators of the units concerned.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use jiff::civil::{Date, Time};
use onestop_commands::registry::NewUser;
use onestop_domain::access::{self, User};
use onestop_domain::calendar::{
    DaySwap, FIRST_YEAR, HolidayDate, HolidayRule, LAST_YEAR, OfficeHours, Session, WeekendMakeUp,
    YearArrangement, YearCalendar,
};
use onestop_domain::catalog::{
    Channel, Fee, Field, PauseMode, Procedure, RequiredDocument, StepUnit, Unit, WorkflowStep,
};
use onestop_domain::deadline::{ProcessingTime, TimeUnit};
use onestop_domain::ids::{ApplicantId, UnitCode, UserId};
use onestop_domain::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::problem::{FieldError, Problem, from_validation};
use crate::request::meta;
use crate::routes::cases::ChannelDto;
use crate::state::AppState;

fn invalid(field: &str, message: impl ToString) -> Problem {
    Problem::invalid_fields(vec![FieldError {
        field: field.to_owned(),
        message: message.to_string(),
    }])
}

fn unit_code(field: &str, value: &str) -> Result<UnitCode, Problem> {
    value
        .parse()
        .map_err(|e: onestop_domain::ids::InvalidId| invalid(field, e))
}

/// The units an account is granted, as sent.
fn user_units(units: &[String]) -> Result<Vec<UnitCode>, Problem> {
    units.iter().map(|u| unit_code("units", u)).collect()
}

/// A time of day as the catalog writes it, `HH:MM` (24-hour).
pub const TIME_OF_DAY_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

fn clock(field: &str, value: &str) -> Result<Time, Problem> {
    let bytes = value.as_bytes();
    let well_formed = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    well_formed
        .then(|| value.parse::<Time>().ok())
        .flatten()
        .ok_or_else(|| invalid(field, "must be a time of day, e.g. 07:30"))
}

// ---- units -----------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionDto {
    /// e.g. `07:30` (its form is checked where it is read, `clock`).
    #[schema(pattern = "TimeOfDay")]
    pub start: String,
    /// e.g. `11:30`
    #[schema(pattern = "TimeOfDay")]
    pub end: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitDto {
    /// As in QĐ 20/2020/QĐ-TTg, e.g. `000.00.01.H22`.
    #[validate(length(min = 13, max = 13))]
    #[schema(min_length = 13, max_length = 13, pattern = "UnitCode")]
    pub code: String,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    #[schema(pattern = "UnitCode")]
    pub parent: Option<String>,
    /// Defaults to 07:30–11:30 and 13:30–17:00.
    #[validate(length(min = 1, max = 6), nested)]
    #[schema(min_items = 1, max_items = 6)]
    pub office_hours: Option<Vec<SessionDto>>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl UnitDto {
    fn of(unit: &Unit) -> Self {
        UnitDto {
            code: unit.code.to_string(),
            name: unit.name.clone(),
            parent: unit.parent.as_ref().map(ToString::to_string),
            office_hours: Some(
                unit.office_hours
                    .sessions()
                    .iter()
                    .map(|s| SessionDto {
                        start: s.start.strftime("%H:%M").to_string(),
                        end: s.end.strftime("%H:%M").to_string(),
                    })
                    .collect(),
            ),
            active: unit.active,
        }
    }

    fn to_domain(&self) -> Result<Unit, Problem> {
        let office_hours = match &self.office_hours {
            None => OfficeHours::default(),
            Some(sessions) => {
                let sessions = sessions
                    .iter()
                    .map(|s| {
                        Ok(Session {
                            start: clock("office_hours.start", &s.start)?,
                            end: clock("office_hours.end", &s.end)?,
                        })
                    })
                    .collect::<Result<Vec<_>, Problem>>()?;
                OfficeHours::new(sessions).map_err(|e| invalid("office_hours", e))?
            }
        };
        Ok(Unit {
            code: unit_code("code", &self.code)?,
            name: self.name.trim().to_owned(),
            parent: self
                .parent
                .as_deref()
                .map(|p| unit_code("parent", p))
                .transpose()?,
            office_hours,
            active: self.active,
        })
    }
}

/// Every unit.
#[utoipa::path(tag = "catalog", responses((status = 200, description = "Every unit of the province", body = Vec<UnitDto>)), security(("bearer" = [])))]
#[get("/units")]
pub async fn list_units(state: web::Data<AppState>, _auth: Authenticated) -> HttpResponse {
    let catalog = state.catalog.snapshot();
    let mut units: Vec<UnitDto> = catalog.units.units().map(UnitDto::of).collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    HttpResponse::Ok().json(units)
}

/// One unit.
#[utoipa::path(tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, description = "The unit", body = UnitDto), (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/units/{code}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    _auth: Authenticated,
    code: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let catalog = state.catalog.snapshot();
    let unit = code
        .parse::<UnitCode>()
        .ok()
        .and_then(|c| catalog.unit(&c).cloned())
        .ok_or_else(|| Problem::not_found(format!("unit {code} does not exist")))?;
    Ok(HttpResponse::Ok().json(UnitDto::of(&unit)))
}

/// Register a unit (administrators of its parent).
#[utoipa::path(tag = "catalog", request_body = UnitDto,
    responses((status = 201, description = "The unit, as created", body = UnitDto), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It conflicts with what is already recorded", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/units")]
pub async fn create_unit(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: web::Json<UnitDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let unit = body.to_domain()?;
    if state.catalog.snapshot().unit(&unit.code).is_some() {
        return Err(
            Problem::new(StatusCode::CONFLICT, "conflict", "Dữ liệu đã tồn tại")
                .detail(format!("unit {} is already registered", unit.code)),
        );
    }
    let saved = state
        .registry
        .save_unit(&auth.0, unit, &meta(&req)?)
        .await?;
    Ok(HttpResponse::Created().json(UnitDto::of(&saved)))
}

/// Change a unit (its name, parent, office hours, whether it is active).
#[utoipa::path(tag = "catalog", params(("code" = String, Path)), request_body = UnitDto,
    responses((status = 200, description = "The unit", body = UnitDto), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[put("/units/{code}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Json<UnitDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let unit = body.to_domain()?;
    if unit.code.as_str() != code.as_str() {
        return Err(invalid("code", "must match the unit in the path"));
    }
    if state.catalog.snapshot().unit(&unit.code).is_none() {
        return Err(Problem::not_found(format!("unit {code} does not exist")));
    }
    let saved = state
        .registry
        .save_unit(&auth.0, unit, &meta(&req)?)
        .await?;
    Ok(HttpResponse::Ok().json(UnitDto::of(&saved)))
}

// ---- procedures -------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnitDto {
    WorkingDays,
    WorkingHours,
    CalendarDays,
    /// Trong ngày: due at the close of the receipt day when received before the
    /// cutoff, else at the close of the next working day (`amount` is 1).
    SameDay,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingTimeDto {
    /// 1 for `same_day`.
    #[schema(minimum = 1)]
    pub amount: u32,
    pub unit: TimeUnitDto,
}

impl From<ProcessingTimeDto> for ProcessingTime {
    fn from(p: ProcessingTimeDto) -> Self {
        ProcessingTime {
            amount: p.amount,
            unit: match p.unit {
                TimeUnitDto::WorkingDays => TimeUnit::WorkingDays,
                TimeUnitDto::WorkingHours => TimeUnit::WorkingHours,
                TimeUnitDto::CalendarDays => TimeUnit::CalendarDays,
                TimeUnitDto::SameDay => TimeUnit::SameDay,
            },
        }
    }
}

impl From<ProcessingTime> for ProcessingTimeDto {
    fn from(p: ProcessingTime) -> Self {
        ProcessingTimeDto {
            amount: p.amount,
            unit: match p.unit {
                TimeUnit::WorkingDays => TimeUnitDto::WorkingDays,
                TimeUnit::WorkingHours => TimeUnitDto::WorkingHours,
                TimeUnit::CalendarDays => TimeUnitDto::CalendarDays,
                TimeUnit::SameDay => TimeUnitDto::SameDay,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Reception,
    Specialist,
    Approver,
    Leader,
    Inspector,
    Statistician,
    Admin,
    Feed,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Reception => Role::Reception,
            RoleDto::Specialist => Role::Specialist,
            RoleDto::Approver => Role::Approver,
            RoleDto::Leader => Role::Leader,
            RoleDto::Inspector => Role::Inspector,
            RoleDto::Statistician => Role::Statistician,
            RoleDto::Admin => Role::Admin,
            RoleDto::Feed => Role::Feed,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Reception => RoleDto::Reception,
            Role::Specialist => RoleDto::Specialist,
            Role::Approver => RoleDto::Approver,
            Role::Leader => RoleDto::Leader,
            Role::Inspector => RoleDto::Inspector,
            Role::Statistician => RoleDto::Statistician,
            Role::Admin => RoleDto::Admin,
            Role::Feed => RoleDto::Feed,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDto {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: RoleDto,
    /// `receiving`, `handling`, or a unit code (a handover to another agency).
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, pattern = "StepUnit")]
    pub unit: String,
    pub budget: ProcessingTimeDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeDto {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    #[validate(range(max = 9_223_372_036_854_775_807_u64))]
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub amount_vnd: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredDocumentDto {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub name: String,
    #[schema(maximum = 255)]
    pub copies: u8,
    pub original_required: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PauseModeDto {
    Shift,
    Restart,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedureDto {
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50, pattern = "ProcedureCode")]
    pub code: String,
    /// Assigned on publication; ignored on input.
    #[serde(default)]
    pub version: u32,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub name: String,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub field_code: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub field_name: String,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50, value_type = Vec<crate::routes::UnitCodeText>)]
    pub handling_units: Vec<String>,
    pub processing_time: ProcessingTimeDto,
    /// Files received at or after this time count from the next working day, e.g. `15:00`.
    #[schema(pattern = "TimeOfDay")]
    pub cutoff: Option<String>,
    #[validate(length(min = 1, max = 4))]
    #[schema(min_items = 1, max_items = 4)]
    pub channels: Vec<ChannelDto>,
    #[serde(default)]
    #[validate(nested)]
    pub fees: Vec<FeeDto>,
    #[serde(default)]
    #[validate(nested)]
    pub documents: Vec<RequiredDocumentDto>,
    #[validate(length(min = 2, max = 30), nested)]
    #[schema(min_items = 2, max_items = 30)]
    pub workflow: Vec<StepDto>,
    pub pause_mode: PauseModeDto,
}

impl ProcedureDto {
    fn of(p: &Procedure) -> Self {
        ProcedureDto {
            code: p.code.to_string(),
            version: p.version,
            name: p.name.clone(),
            field_code: p.field.code.clone(),
            field_name: p.field.name.clone(),
            handling_units: p.handling_units.iter().map(ToString::to_string).collect(),
            processing_time: p.processing_time.into(),
            cutoff: p.cutoff.map(|c| c.strftime("%H:%M").to_string()),
            channels: p.channels.iter().map(|c| (*c).into()).collect(),
            fees: p
                .fees
                .iter()
                .map(|f| FeeDto {
                    name: f.name.clone(),
                    amount_vnd: f.amount_vnd,
                })
                .collect(),
            documents: p
                .documents
                .iter()
                .map(|d| RequiredDocumentDto {
                    name: d.name.clone(),
                    copies: d.copies,
                    original_required: d.original_required,
                })
                .collect(),
            workflow: p
                .workflow
                .iter()
                .map(|s| StepDto {
                    name: s.name.clone(),
                    role: s.role.into(),
                    unit: match &s.unit {
                        StepUnit::Receiving => "receiving".into(),
                        StepUnit::Handling => "handling".into(),
                        StepUnit::Fixed(u) => u.to_string(),
                    },
                    budget: s.budget.into(),
                })
                .collect(),
            pause_mode: match p.pause_mode {
                PauseMode::Shift => PauseModeDto::Shift,
                PauseMode::Restart => PauseModeDto::Restart,
            },
        }
    }

    fn to_domain(&self) -> Result<Procedure, Problem> {
        Ok(Procedure {
            code: self
                .code
                .parse()
                .map_err(|e: onestop_domain::ids::InvalidId| invalid("code", e))?,
            version: self.version,
            name: self.name.trim().to_owned(),
            field: Field {
                code: self.field_code.clone(),
                name: self.field_name.clone(),
            },
            handling_units: self
                .handling_units
                .iter()
                .map(|u| unit_code("handling_units", u))
                .collect::<Result<_, _>>()?,
            processing_time: self.processing_time.into(),
            cutoff: self
                .cutoff
                .as_deref()
                .map(|c| clock("cutoff", c))
                .transpose()?,
            channels: self.channels.iter().map(|c| Channel::from(*c)).collect(),
            fees: self
                .fees
                .iter()
                .map(|f| Fee {
                    name: f.name.clone(),
                    amount_vnd: f.amount_vnd,
                })
                .collect(),
            documents: self
                .documents
                .iter()
                .map(|d| RequiredDocument {
                    name: d.name.clone(),
                    copies: d.copies,
                    original_required: d.original_required,
                })
                .collect(),
            workflow: self
                .workflow
                .iter()
                .map(|s| {
                    Ok(WorkflowStep {
                        name: s.name.clone(),
                        role: s.role.into(),
                        unit: match s.unit.as_str() {
                            "receiving" => StepUnit::Receiving,
                            "handling" => StepUnit::Handling,
                            code => StepUnit::Fixed(unit_code("workflow.unit", code)?),
                        },
                        budget: s.budget.into(),
                    })
                })
                .collect::<Result<_, Problem>>()?,
            pause_mode: match self.pause_mode {
                PauseModeDto::Shift => PauseMode::Shift,
                PauseModeDto::Restart => PauseMode::Restart,
            },
        })
    }
}

/// The current version of every procedure.
#[utoipa::path(tag = "catalog", responses((status = 200, description = "Every procedure of the catalog", body = Vec<ProcedureDto>)), security(("bearer" = [])))]
#[get("/procedures")]
pub async fn list_procedures(state: web::Data<AppState>, _auth: Authenticated) -> HttpResponse {
    let catalog = state.catalog.snapshot();
    let mut procedures: Vec<ProcedureDto> = catalog.procedures().map(ProcedureDto::of).collect();
    procedures.sort_by(|a, b| a.code.cmp(&b.code));
    HttpResponse::Ok().json(procedures)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VersionQuery {
    /// A past version; the current one when absent.
    pub version: Option<u32>,
}

/// One procedure, current or at a given version.
#[utoipa::path(tag = "catalog", params(("code" = String, Path), VersionQuery),
    responses((status = 200, description = "The procedure", body = ProcedureDto), (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/procedures/{code}")]
pub async fn get_procedure(
    state: web::Data<AppState>,
    _auth: Authenticated,
    code: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, Problem> {
    let catalog = state.catalog.snapshot();
    let procedure = code.parse().ok().and_then(|c| match query.version {
        Some(v) => catalog.procedure_version(&c, v).cloned(),
        None => catalog.procedure(&c).cloned(),
    });
    let procedure =
        procedure.ok_or_else(|| Problem::not_found(format!("procedure {code} does not exist")))?;
    Ok(HttpResponse::Ok().json(ProcedureDto::of(&procedure)))
}

/// Publish a procedure's next version; cases received from now on follow it.
#[utoipa::path(tag = "catalog", request_body = ProcedureDto,
    responses((status = 201, description = "The procedure, as created", body = ProcedureDto), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/procedures")]
pub async fn publish_procedure(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: web::Json<ProcedureDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let procedure = body.to_domain()?;
    let published = state
        .registry
        .publish_procedure(&auth.0, procedure, &meta(&req)?)
        .await?;
    Ok(HttpResponse::Created().json(ProcedureDto::of(&published)))
}

// ---- calendar ------------------------------------------------------------------

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
        swaps: a
            .swaps
            .iter()
            .map(|s| SwapDto {
                day_off: s.day_off,
                saturday_worked: s.saturday_worked,
            })
            .collect(),
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
            .map(|h| HolidayDto {
                date: h.date,
                kind: h.holiday.clone(),
                name: h.name.clone(),
            })
            .collect(),
        days_off: year.days_off.iter().copied().collect(),
        weekend_days_worked: year.weekend_days_worked.iter().copied().collect(),
        arrangement: arrangement.map(arrangement_dto),
    }
}

/// A year's holidays, days off and weekend days worked.
#[utoipa::path(tag = "catalog", params(("year" = i16, Path)),
    responses((status = 200, description = "The year's days off and make-up working days", body = CalendarYearDto), (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/calendar/{year}")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    _auth: Authenticated,
    year: web::Path<i16>,
) -> Result<HttpResponse, Problem> {
    let catalog = state.catalog.snapshot();
    let year = year.into_inner();
    let computed = catalog.calendar.year(year).ok_or_else(|| {
        Problem::not_found(format!(
            "the calendar covers {FIRST_YEAR}–{LAST_YEAR}, not {year}"
        ))
    })?;
    Ok(HttpResponse::Ok().json(calendar_year(computed, catalog.arrangement(year))))
}

/// Record a year's published arrangement (days off for Tết, swaps, extra days).
#[utoipa::path(tag = "catalog", params(("year" = i16, Path)), request_body = ArrangementDto,
    responses((status = 200, description = "The year's days off and make-up working days", body = CalendarYearDto), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[put("/calendar/{year}")]
pub async fn arrange_calendar(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    year: web::Path<i16>,
    body: web::Json<ArrangementDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let year = year.into_inner();
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(Problem::not_found(format!(
            "the calendar covers {FIRST_YEAR}–{LAST_YEAR}, not {year}"
        )));
    }
    let body = body.into_inner();
    let arrangement = YearArrangement {
        year,
        tet_days_off: body.tet_days_off,
        national_day_extra: body.national_day_extra,
        swaps: body
            .swaps
            .into_iter()
            .map(|s| DaySwap {
                day_off: s.day_off,
                saturday_worked: s.saturday_worked,
            })
            .collect(),
        extra_days_off: body.extra_days_off,
        extra_working_days: body.extra_working_days,
    };
    let saved = state
        .registry
        .arrange_calendar(&auth.0, arrangement, &meta(&req)?)
        .await?;
    let rules = state.catalog.snapshot().calendar.rules().to_vec();
    let computed = YearCalendar::compute(year, &rules, Some(&saved));
    Ok(HttpResponse::Ok().json(calendar_year(&computed, Some(&saved))))
}

// ---- holiday rules -----------------------------------------------------------------

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
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = "^[a-z0-9_]+$",
        example = "ngay_van_hoa_viet_nam"
    )]
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
#[utoipa::path(tag = "catalog",
    responses((status = 200, description = "Every rule, ended ones included", body = Vec<HolidayRuleDto>)),
    security(("bearer" = [])))]
#[get("/holiday-rules")]
pub async fn list_holiday_rules(
    state: web::Data<AppState>,
    _auth: Authenticated,
) -> Result<HttpResponse, Problem> {
    let catalog = state.catalog.snapshot();
    let mut rules: Vec<HolidayRuleDto> = catalog
        .calendar
        .rules()
        .iter()
        .map(HolidayRuleDto::of)
        .collect();
    rules.sort_by(|a, b| (&a.holiday, a.first_year).cmp(&(&b.holiday, b.first_year)));
    Ok(HttpResponse::Ok().json(rules))
}

/// Add a holiday rule: a new law's holiday, or a holiday changed from a year on
/// (end the old rule first). Due dates already issued stand.
#[utoipa::path(tag = "catalog", request_body = HolidayRuleDto,
    responses((status = 201, description = "The rule as recorded", body = HolidayRuleDto),
        (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another change to the holiday rules came first; retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/holiday-rules")]
pub async fn add_holiday_rule(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: web::Json<HolidayRuleDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let saved = state
        .registry
        .add_holiday_rule(&auth.0, body.to_domain(), &meta(&req)?)
        .await?;
    Ok(HttpResponse::Created().json(HolidayRuleDto::of(&saved)))
}

/// End a holiday rule: `last_year` is its last year in force.
#[utoipa::path(tag = "catalog",
    params(("holiday" = String, Path), ("first_year" = i16, Path)),
    request_body = EndHolidayRuleDto,
    responses((status = 200, description = "The rule as it now stands", body = HolidayRuleDto),
        (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another change to the holiday rules came first; retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/holiday-rules/{holiday}/{first_year}/end")]
pub async fn end_holiday_rule(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    path: web::Path<(String, i16)>,
    body: web::Json<EndHolidayRuleDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let (holiday, first_year) = path.into_inner();
    let ended = state
        .registry
        .end_holiday_rule(&auth.0, &holiday, first_year, body.last_year, &meta(&req)?)
        .await?;
    Ok(HttpResponse::Ok().json(HolidayRuleDto::of(&ended)))
}

// ---- users ------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub role: RoleDto,
    pub units: Vec<String>,
    pub active: bool,
}

impl UserDto {
    fn of(u: &User) -> Self {
        UserDto {
            id: u.id.0,
            username: u.username.clone(),
            full_name: u.full_name.clone(),
            role: u.role.into(),
            units: u.units.iter().map(ToString::to_string).collect(),
            active: u.active,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserDto {
    #[validate(length(min = 3, max = 64))]
    #[schema(min_length = 3, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    pub role: RoleDto,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50, value_type = Vec<crate::routes::UnitCodeText>)]
    pub units: Vec<String>,
    /// The password policy: 4 to 200 characters, any characters (a passphrase
    /// is welcome). Guessing is stopped by throttling and locks, not by rules
    /// on the characters (NIST SP 800-63B).
    #[validate(length(min = 4, max = 200))]
    #[schema(min_length = 4, max_length = 200, format = Password)]
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserDto {
    /// Ignored: the path names the account (taken so that a client may send
    /// back what it read).
    #[serde(default)]
    pub id: Option<Uuid>,
    #[validate(length(min = 3, max = 64))]
    #[schema(min_length = 3, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    pub role: RoleDto,
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50, value_type = Vec<crate::routes::UnitCodeText>)]
    pub units: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordDto {
    /// The password policy: 4 to 200 characters, any characters (a passphrase
    /// is welcome). Guessing is stopped by throttling and locks, not by rules
    /// on the characters (NIST SP 800-63B).
    #[validate(length(min = 4, max = 200))]
    #[schema(min_length = 4, max_length = 200, format = Password)]
    pub password: String,
}

/// The accounts the administrator's grants reach.
#[utoipa::path(tag = "users", responses((status = 200, description = "The accounts the caller may see", body = Vec<UserDto>), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, Problem> {
    access::is_administrator(&auth.0).map_err(Problem::forbidden)?;
    let catalog = state.catalog.snapshot();
    let mut users: Vec<UserDto> = catalog
        .accounts()
        .filter(|a| access::may_see_account(&auth.0, &a.user, &catalog.units))
        .map(|a| UserDto::of(&a.user))
        .collect();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(HttpResponse::Ok().json(users))
}

/// Create an account.
#[utoipa::path(tag = "users", request_body = NewUserDto,
    responses((status = 201, description = "The account, as created", body = UserDto), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It conflicts with what is already recorded", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: web::Json<NewUserDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let body = body.into_inner();
    let new = NewUser {
        username: body.username,
        full_name: body.full_name,
        role: body.role.into(),
        units: user_units(&body.units)?,
        password: body.password,
    };
    let user = state
        .registry
        .register_user(&auth.0, new, &meta(&req)?)
        .await?;
    Ok(HttpResponse::Created().json(UserDto::of(&user)))
}

/// Change an account: name, role, units, or whether it may log in.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), request_body = UpdateUserDto,
    responses((status = 200, description = "The account, as changed", body = UserDto), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new user name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[put("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateUserDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    let body = body.into_inner();
    let user = User {
        id: UserId(id.into_inner()),
        username: body.username,
        full_name: body.full_name,
        role: body.role.into(),
        units: user_units(&body.units)?,
        active: body.active,
    };
    let user = state
        .registry
        .update_user(&auth.0, user, &meta(&req)?)
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::of(&user)))
}

/// Set a new password (the user themself, or an administrator).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), request_body = PasswordDto,
    responses((status = 204, description = "Changed"), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Fields out of bounds", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/users/{id}/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<PasswordDto>,
) -> Result<HttpResponse, Problem> {
    body.validate().map_err(from_validation)?;
    state
        .registry
        .change_password(
            &auth.0,
            UserId(id.into_inner()),
            &body.password,
            &meta(&req)?,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lift a sign-in lock (an administrator of every unit of the account).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Unlocked: the account's failures count from zero again"),
        (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/users/{id}/unlock")]
pub async fn unlock_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .sign_in
        .unlock(
            &auth.0,
            &UserId(id.into_inner()),
            state.clock.now(),
            &meta(&req)?,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- personal data ------------------------------------------------------------

/// Erase an applicant's personal data (crypto-shredding: the key is destroyed;
/// history stays intact and verifiable).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "The applicant's id")),
    responses((status = 204, description = "Erased"), (status = 403, description = "The caller's role or unit does not allow this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Nothing to erase", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[post("/applicants/{id}/erase")]
pub async fn erase_applicant(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    access::is_administrator(&auth.0).map_err(Problem::forbidden)?;
    access::province_wide(
        &auth.0,
        &state.catalog.snapshot().units,
        "erase personal data",
    )
    .map_err(Problem::forbidden)?;
    let id = ApplicantId(id.into_inner());
    let meta = meta(&req)?;
    let metadata = meta.to_metadata(
        &auth.0,
        "erase personal data",
        meta.command_id(&auth.0, "erase"),
    );
    if state.cases.vault().erase(id, metadata).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(Problem::not_found(format!(
            "applicant {} has no personal data to erase",
            id.0
        )))
    }
}

/// Registers the catalog endpoints.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(list_units)
        .service(get_unit)
        .service(create_unit)
        .service(update_unit)
        .service(list_procedures)
        .service(get_procedure)
        .service(publish_procedure)
        .service(get_calendar)
        .service(arrange_calendar)
        .service(list_holiday_rules)
        .service(add_holiday_rule)
        .service(end_holiday_rule)
        .service(list_users)
        .service(create_user)
        .service(update_user)
        .service(change_password)
        .service(unlock_user)
        .service(erase_applicant);
}
