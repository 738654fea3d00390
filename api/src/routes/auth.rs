//! `POST /auth/token`: user name and password for a bearer token.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::problem::{Problem, from_validation};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 64))]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Log in.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        (status = 401, description = "Wrong user name or password, or a disabled account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    body.validate().map_err(from_validation)?;
    let account = state
        .catalog
        .snapshot()
        .account_by_username(&body.username)
        .filter(|a| a.user.active)
        .cloned();
    // Hash even for an unknown user, so timing does not tell which names exist.
    let hash = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| UNKNOWN_USER_HASH.to_owned());
    let password = body.password;
    let matches =
        web::block(move || onestop_commands::passwords::verify_password(&password, &hash))
            .await
            .map_err(|_| Problem::internal())?;
    let Some(account) = account.filter(|_| matches) else {
        return Err(Problem::unauthorized("wrong user name or password"));
    };
    let (access_token, expires_in) = state.tokens.issue(&account.user)?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
    }))
}

/// An argon2id hash of a random password nobody knows.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2fBZg3mKjUQbNUAnrwcl2yiDTsPCYrRJA9Nua2Unh8U";
