//! `GET|PUT /units/{code}/queue/setup`: a unit's service groups and counters.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, put};
use onestop_domain::ids::UnitCode;
use onestop_domain::queue::{CounterSetup, QueueSetup, ServiceGroup};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{group_field, queue_unit};
use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::{Answer, State};

/// A service group (nhóm dịch vụ), e.g. `A` — Đất đai.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceGroupDto {
    /// One to three capital letters: the tickets' prefix.
    #[schema(pattern = "^[A-Z]{1,3}$")]
    pub code: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Places per half-day for online bookings; none: no bookings.
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default)]
    pub booking_capacity: Option<u16>,
}

/// A counter (quầy) and the groups it serves (none: closed for now).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterDto {
    #[validate(range(min = 1, max = 999))]
    #[schema(minimum = 1, maximum = 999)]
    pub number: u16,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(max = 50))]
    #[schema(max_items = 50, inline)]
    pub groups: Vec<GroupCodeDto>,
}

/// A group's code: one to three capital letters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(pattern = "^[A-Z]{1,3}$")]
pub struct GroupCodeDto(pub String);

/// A unit's queue: its groups, each listed once, and its counters, each
/// serving groups of the unit.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSetupDto {
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub groups: Vec<ServiceGroupDto>,
    #[validate(length(max = 200), nested)]
    #[schema(max_items = 200)]
    pub counters: Vec<CounterDto>,
}

impl QueueSetupDto {
    pub fn of(setup: &QueueSetup) -> Self {
        Self {
            groups: setup
                .groups
                .iter()
                .map(|g| ServiceGroupDto {
                    code: g.code.as_str().to_owned(),
                    name: g.name.clone(),
                    booking_capacity: g.booking_capacity,
                })
                .collect(),
            counters: setup
                .counters
                .iter()
                .map(|c| CounterDto {
                    number: c.number,
                    name: c.name.clone(),
                    groups: c.groups.iter().map(|g| GroupCodeDto(g.as_str().to_owned())).collect(),
                })
                .collect(),
        }
    }

    fn to_domain(&self) -> Result<QueueSetup, Problem> {
        let mut groups = Vec::with_capacity(self.groups.len());
        for (i, g) in self.groups.iter().enumerate() {
            groups.push(ServiceGroup {
                code: group_field(&format!("groups[{i}].code"), &g.code)?,
                name: g.name.trim().to_owned(),
                booking_capacity: g.booking_capacity,
            });
        }
        let mut counters = Vec::with_capacity(self.counters.len());
        for (i, c) in self.counters.iter().enumerate() {
            let mut served = Vec::with_capacity(c.groups.len());
            for (j, g) in c.groups.iter().enumerate() {
                served.push(group_field(&format!("counters[{i}].groups[{j}]"), &g.0)?);
            }
            counters.push(CounterSetup { number: c.number, name: c.name.trim().to_owned(), groups: served });
        }
        Ok(QueueSetup { groups, counters })
    }
}

/// A unit's service groups and counters.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code")), responses((status = 200, description = "The unit's queue setup", body = QueueSetupDto), answers::NotFound))]
#[get("/units/{code}/queue/setup")]
pub async fn get_queue_setup(state: State, code: Path<String>) -> Answer {
    let (_, _, setup) = queue_unit(&state, &code)?;
    Ok(HttpResponse::Ok().json(QueueSetupDto::of(&setup)))
}

/// Sets a unit's service groups and counters (an administrator of the unit).
/// Tickets already taken today keep their numbers and places.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code")), request_body = QueueSetupDto, responses((status = 200, description = "The setup in force", body = QueueSetupDto), answers::Forbidden, answers::NotFound, answers::OutOfBounds), security(("bearer" = [])))]
#[put("/units/{code}/queue/setup")]
pub async fn set_up_queue(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    code: Path<String>,
    body: Json<QueueSetupDto>,
) -> Answer {
    let unit: UnitCode = code.parse().map_err(|_| Problem::not_found(format!("unit {code} does not exist")))?;
    body.validate().map_err(from_validation)?;
    let setup = body.to_domain()?;
    let saved = state.registry.set_up_queue(&auth.0, &unit, setup, &meta(&req)?).await?;
    Ok(HttpResponse::Ok().json(QueueSetupDto::of(&saved)))
}
