//! `POST /auth/token`: user name and password for a bearer token.

use actix_web::web::Json;
use actix_web::{HttpRequest, HttpResponse, post};
use onestop_commands::sign_in::SignInOutcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::{Answer, State};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
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

/// Log in. Guessing is slowed and stopped (`onestop_domain::sign_in`): after
/// 4 failures for an account each attempt waits a doubling delay (1 s … 60 s),
/// 10 failures lock it for 30 minutes or until an administrator unlocks it,
/// and one client address may fail 30 times at once, then once a second. Every
/// attempt is recorded; inspectors read them at `GET /audit/sign-ins`.
#[utoipa::path( tag = "auth", request_body = TokenRequest, responses( (status = 200, description = "A bearer token", body = TokenResponse), (status = 401, description = "Wrong user name or password, or a disabled account", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Too many attempts for this account or from this address, or the account is locked: retry after the given seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))), ) )]
#[post("/auth/token")]
pub async fn issue_token(state: State, req: HttpRequest, body: Json<TokenRequest>) -> Answer {
    let body = body.into_inner();
    body.validate().map_err(from_validation)?;
    let outcome = state
        .sign_in
        .sign_in(
            &body.username,
            body.password,
            state.clock.now(),
            crate::edge::rate_key(crate::edge::client_address(&req)),
            &meta(&req)?,
        )
        .await?;
    match outcome {
        SignInOutcome::Accepted(user) => {
            let (access_token, expires_in) = state.tokens.issue(&user)?;
            Ok(HttpResponse::Ok().json(TokenResponse { access_token, token_type: "Bearer", expires_in }))
        }
        SignInOutcome::Refused => Err(Problem::unauthorized("wrong user name or password")),
        SignInOutcome::Throttled(wait) => Err(Problem::too_many_requests(
            wait.unsigned_abs(),
            "too many failed attempts for this account; it may be locked until an administrator unlocks it",
        )),
        SignInOutcome::Busy => Err(Problem::unavailable()),
    }
}
