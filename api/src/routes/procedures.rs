//! Procedures (thủ tục hành chính), versioned: each publication is a new
//! version, and a case keeps the version it was received under.

use actix_web::web::{Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use onestop_domain::catalog::{Channel, Fee, Field, PauseMode, Procedure, RequiredDocument, StepUnit, WorkflowStep};
use onestop_domain::deadline::{ProcessingTime, TimeUnit};
use onestop_domain::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::cases::ChannelDto;
use crate::routes::fields::{clock, unit_code};
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_commands::metadata::RequestMeta;
use onestop_domain::access::Actor;

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

/// A role as the API spells it: the domain's [`Role`], whose names (and
/// their order) the schema lists from [`Role::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleDto(pub Role);

impl utoipa::PartialSchema for RoleDto {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(Role::ALL.map(Role::as_str)))
            .into()
    }
}

impl ToSchema for RoleDto {}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        role.0
    }
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        Self(role)
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
    pub(crate) fn of(p: &Procedure) -> Self {
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
            fees: p.fees.iter().map(FeeDto::from).collect(),
            documents: p.documents.iter().map(RequiredDocumentDto::from).collect(),
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
            code: self.code.parse().map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field("code", e))?,
            version: self.version,
            name: self.name.trim().to_owned(),
            field: Field { code: self.field_code.clone(), name: self.field_name.clone() },
            handling_units: self
                .handling_units
                .iter()
                .map(|u| unit_code("handling_units", u))
                .collect::<Result<_, _>>()?,
            processing_time: self.processing_time.into(),
            cutoff: self.cutoff.as_deref().map(|c| clock("cutoff", c)).transpose()?,
            channels: self.channels.iter().map(|c| Channel::from(*c)).collect(),
            fees: self.fees.iter().map(Fee::from).collect(),
            documents: self.documents.iter().map(RequiredDocument::from).collect(),
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
pub async fn list_procedures(state: State, _auth: Authenticated) -> HttpResponse {
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
#[utoipa::path(tag = "catalog", params(("code" = String, Path), VersionQuery), responses((status = 200, description = "The procedure", body = ProcedureDto), answers::NotFound), security(("bearer" = [])))]
#[get("/procedures/{code}")]
pub async fn get_procedure(
    state: State,
    _auth: Authenticated,
    code: Path<String>,
    query: Query<VersionQuery>,
) -> Answer {
    let catalog = state.catalog.snapshot();
    let procedure = code.parse().ok().and_then(|c| match query.version {
        Some(v) => catalog.procedure_version(&c, v).cloned(),
        None => catalog.procedure(&c).cloned(),
    });
    let procedure = procedure.ok_or_else(|| Problem::not_found(format!("procedure {code} does not exist")))?;
    Ok(HttpResponse::Ok().json(ProcedureDto::of(&procedure)))
}

/// Publish a procedure's next version; cases received from now on follow it.
#[utoipa::path(tag = "catalog", request_body = ProcedureDto, responses((status = 201, description = "The procedure, as created", body = ProcedureDto), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/procedures")]
pub async fn publish_procedure(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<ProcedureDto>,
) -> Answer {
    let published = publish(&state, &auth.0, &meta(&req)?, &body).await?;
    Ok(HttpResponse::Created().json(ProcedureDto::of(&published)))
}

/// Validates and publishes a procedure version (the API's and the console's).
pub(crate) async fn publish(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    body: &ProcedureDto,
) -> Result<Procedure, Problem> {
    body.validate().map_err(from_validation)?;
    let procedure = body.to_domain()?;
    Ok(state.registry.publish_procedure(actor, procedure, meta).await?)
}

impl From<&Fee> for FeeDto {
    fn from(fee: &Fee) -> Self {
        Self { name: fee.name.clone(), amount_vnd: fee.amount_vnd }
    }
}

impl From<&FeeDto> for Fee {
    fn from(fee: &FeeDto) -> Self {
        Self { name: fee.name.clone(), amount_vnd: fee.amount_vnd }
    }
}

impl From<&RequiredDocument> for RequiredDocumentDto {
    fn from(d: &RequiredDocument) -> Self {
        Self { name: d.name.clone(), copies: d.copies, original_required: d.original_required }
    }
}

impl From<&RequiredDocumentDto> for RequiredDocument {
    fn from(d: &RequiredDocumentDto) -> Self {
        Self { name: d.name.clone(), copies: d.copies, original_required: d.original_required }
    }
}
