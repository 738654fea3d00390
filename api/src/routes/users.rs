//! Accounts: officers, administrators and machine clients, with their grants.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, post, put};
use onestop_commands::registry::NewUser;
use onestop_domain::access::{self, User};
use onestop_domain::ids::{UnitCode, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::fields::unit_code;
use crate::routes::procedures::RoleDto;
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_commands::metadata::RequestMeta;
use onestop_domain::access::Actor;

/// The units an account is granted, as sent.
fn user_units(units: &[String]) -> Result<Vec<UnitCode>, Problem> {
    units.iter().map(|u| unit_code("units", u)).collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub role: RoleDto,
    pub units: Vec<String>,
    pub active: bool,
    /// Where reminders of the officer's files go.
    #[serde(default)]
    #[schema(format = Email)]
    pub email: Option<String>,
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
            email: u.email.clone(),
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
    /// Where reminders of the officer's files (due tomorrow, overdue) go.
    #[serde(default)]
    #[validate(custom(function = "crate::routes::cases::requests::plain_email"))]
    #[schema(format = Email, max_length = 254, pattern = "Email")]
    pub email: Option<String>,
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
    /// Where reminders of the officer's files go; absent: none.
    #[serde(default)]
    #[validate(custom(function = "crate::routes::cases::requests::plain_email"))]
    #[schema(format = Email, max_length = 254, pattern = "Email")]
    pub email: Option<String>,
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
#[utoipa::path(tag = "users", responses((status = 200, description = "The accounts the caller may see", body = Vec<UserDto>), answers::Forbidden), security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(state: State, auth: Authenticated) -> Answer {
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
#[utoipa::path(tag = "users", request_body = NewUserDto, responses((status = 201, description = "The account, as created", body = UserDto), answers::Forbidden, answers::Conflicts, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(state: State, auth: Authenticated, req: HttpRequest, body: Json<NewUserDto>) -> Answer {
    let user = register(&state, &auth.0, &meta(&req)?, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(UserDto::of(&user)))
}

/// Validates and registers an account (the API's and the console's).
pub(crate) async fn register(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    body: NewUserDto,
) -> Result<User, Problem> {
    body.validate().map_err(from_validation)?;
    let new = NewUser {
        username: body.username,
        full_name: body.full_name,
        role: body.role.into(),
        units: user_units(&body.units)?,
        password: body.password,
        email: body.email,
    };
    Ok(state.registry.register_user(actor, new, meta).await?)
}

/// Change an account: name, role, units, or whether it may log in.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), request_body = UpdateUserDto, responses((status = 200, description = "The account, as changed", body = UserDto), answers::Forbidden, answers::NotFound, (status = 409, description = "The new user name is taken", body = Problem, content_type = "application/problem+json"), answers::OutOfBounds), security(("bearer" = [])))]
#[put("/users/{id}")]
pub async fn update_user(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: Json<UpdateUserDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    let body = body.into_inner();
    let user = User {
        id: UserId(id.into_inner()),
        username: body.username,
        full_name: body.full_name,
        role: body.role.into(),
        units: user_units(&body.units)?,
        active: body.active,
        email: body.email,
    };
    let user = state.registry.update_user(&auth.0, user, &meta(&req)?).await?;
    Ok(HttpResponse::Ok().json(UserDto::of(&user)))
}

/// Set a new password (the user themself, or an administrator).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), request_body = PasswordDto, responses((status = 204, description = "Changed"), answers::Forbidden, answers::NotFound, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/users/{id}/password")]
pub async fn change_password(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    id: Path<Uuid>,
    body: Json<PasswordDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    state.registry.change_password(&auth.0, UserId(id.into_inner()), &body.password, &meta(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lift a sign-in lock (an administrator of every unit of the account).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)), responses((status = 204, description = "Unlocked: the account's failures count from zero again"), answers::Forbidden, answers::NotFound), security(("bearer" = [])))]
#[post("/users/{id}/unlock")]
pub async fn unlock_user(state: State, auth: Authenticated, req: HttpRequest, id: Path<Uuid>) -> Answer {
    state.sign_in.unlock(&auth.0, &UserId(id.into_inner()), state.clock.now(), &meta(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
