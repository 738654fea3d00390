//! What a citizen reads without signing in: their case's status, by the code
//! and the secret printed on the receipt.

use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::ids::CaseCode;
use onestop_projections::queries::case_by_code;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::problem::Problem;
use crate::routes::{Answer, State};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupQuery {
    /// The case code printed on the receipt.
    pub code: String,
    /// The short secret printed beside it.
    pub secret: String,
}

/// What a citizen may see of their case: no names, no officers, no notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatus {
    pub code: String,
    pub procedure_name: String,
    pub status: Option<u8>,
    pub status_name: String,
    pub received_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub returned_at: Option<Timestamp>,
}

/// Equal-time comparison, so timing does not reveal how much of a secret matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A citizen looks their case up with the code and secret from the receipt.
/// A wrong code and a wrong secret get the same answer. Limited per address.
#[utoipa::path(tag = "public", params(LookupQuery), responses((status = 200, description = "The case's minimal public status", body = PublicStatus), (status = 404, description = "No case with this code and secret", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Too many lookups from this address", body = Problem, content_type = "application/problem+json")))]
#[get("/public/lookup")]
pub async fn public_lookup(state: State, req: HttpRequest, query: Query<LookupQuery>) -> Answer {
    Ok(HttpResponse::Ok().json(look_up(&state, &req, &query.code, &query.secret).await?))
}

/// The public lookup's one implementation (the API's and the console's):
/// limited per client address, a wrong code and a wrong secret alike.
pub async fn look_up(state: &AppState, req: &HttpRequest, code: &str, secret: &str) -> Result<PublicStatus, Problem> {
    // Forwarding headers count only from a trusted proxy: anyone else could
    // forge them to dodge the limit.
    let client = crate::edge::rate_key(crate::edge::client_address(req));
    if let Err(not_until) = state.lookup_limiter.check_key(&client) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        return Err(Problem::too_many_requests(wait, "too many lookups from this address"));
    }
    let not_found = || Problem::not_found("no case matches this code and secret");
    let Ok(code) = code.trim().parse::<CaseCode>() else {
        return Err(not_found());
    };
    // A citizen may scan the receipt's code the moment it is printed: the
    // status view is waited for up to what this process has written (for
    // every lookup alike, so that the wait tells nothing about the code).
    crate::routes::fresh::caught_up(state).await?;
    let Some((_, case)) = case_by_code(&state.pool, &code.to_string()).await? else {
        return Err(not_found());
    };
    let expected = onestop_commands::codes::secret_hash(&code, secret.trim());
    if !case.lookup_secret_hash.as_deref().is_some_and(|stored| same(stored, &expected)) {
        return Err(not_found());
    }
    let catalog = state.catalog.snapshot();
    let procedure_name = case
        .procedure
        .as_ref()
        .and_then(|p| catalog.procedure_version(&p.code, p.version))
        .map(|p| p.name.clone())
        .unwrap_or_default();
    Ok(PublicStatus {
        code: code.to_string(),
        procedure_name,
        status: case.status_code(),
        status_name: case.phase.status_vi().to_owned(),
        received_at: case.received_at,
        due_at: case.due_at,
        returned_at: case.returned_at,
    })
}
