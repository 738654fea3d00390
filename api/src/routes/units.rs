//! Units (đơn vị): the tree of the province's units with their office hours.
//! Reads are open to every signed-in user; changes to administrators of the
//! units concerned.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, post, put};
use onestop_domain::calendar::{OfficeHours, Session};
use onestop_domain::catalog::Unit;
use onestop_domain::ids::UnitCode;
use onestop_domain::registry::UnitWrite;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::fields::{clock, unit_code};
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_commands::metadata::RequestMeta;
use onestop_domain::access::Actor;

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
                OfficeHours::new(sessions).map_err(|e| Problem::invalid_field("office_hours", e))?
            }
        };
        Ok(Unit {
            code: unit_code("code", &self.code)?,
            name: self.name.trim().to_owned(),
            parent: self.parent.as_deref().map(|p| unit_code("parent", p)).transpose()?,
            office_hours,
            active: self.active,
        })
    }
}

/// Every unit.
#[utoipa::path(tag = "catalog", responses((status = 200, description = "Every unit of the province", body = Vec<UnitDto>)), security(("bearer" = [])))]
#[get("/units")]
pub async fn list_units(state: State, _auth: Authenticated) -> HttpResponse {
    let catalog = state.catalog.snapshot();
    let mut units: Vec<UnitDto> = catalog.units.units().map(UnitDto::of).collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    HttpResponse::Ok().json(units)
}

/// One unit.
#[utoipa::path(tag = "catalog", params(("code" = String, Path)), responses((status = 200, description = "The unit", body = UnitDto), answers::NotFound), security(("bearer" = [])))]
#[get("/units/{code}")]
pub async fn get_unit(state: State, _auth: Authenticated, code: Path<String>) -> Answer {
    let catalog = state.catalog.snapshot();
    let unit = code
        .parse::<UnitCode>()
        .ok()
        .and_then(|c| catalog.unit(&c).cloned())
        .ok_or_else(|| Problem::not_found(format!("unit {code} does not exist")))?;
    Ok(HttpResponse::Ok().json(UnitDto::of(&unit)))
}

/// Register a unit (administrators of its parent).
#[utoipa::path(tag = "catalog", request_body = UnitDto, responses((status = 201, description = "The unit, as created", body = UnitDto), answers::Forbidden, answers::Conflicts, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/units")]
pub async fn create_unit(state: State, auth: Authenticated, req: HttpRequest, body: Json<UnitDto>) -> Answer {
    let saved = register(&state, &auth.0, &meta(&req)?, &body).await?;
    Ok(HttpResponse::Created().json(UnitDto::of(&saved)))
}

/// Validates and registers a unit (the API's and the console's).
pub(crate) async fn register(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    body: &UnitDto,
) -> Result<onestop_domain::catalog::Unit, Problem> {
    body.validate().map_err(from_validation)?;
    let unit = body.to_domain()?;
    Ok(state.registry.save_unit(actor, unit, UnitWrite::Register, meta).await?)
}

/// Change a unit (its name, parent, office hours, whether it is active).
#[utoipa::path(tag = "catalog", params(("code" = String, Path)), request_body = UnitDto, responses((status = 200, description = "The unit", body = UnitDto), answers::Forbidden, answers::NotFound, answers::OutOfBounds), security(("bearer" = [])))]
#[put("/units/{code}")]
pub async fn update_unit(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    code: Path<String>,
    body: Json<UnitDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    let unit = body.to_domain()?;
    if unit.code.as_str() != code.as_str() {
        return Err(Problem::invalid_field("code", "must match the unit in the path"));
    }
    if state.catalog.snapshot().unit(&unit.code).is_none() {
        return Err(Problem::not_found(format!("unit {code} does not exist")));
    }
    let saved = state.registry.save_unit(&auth.0, unit, UnitWrite::RegisterOrUpdate, &meta(&req)?).await?;
    Ok(HttpResponse::Ok().json(UnitDto::of(&saved)))
}
