//! Who is asking: the bearer token's account ([`crate::tokens`]). Every request reads the
//! account afresh from the catalog, so a disabled user or a changed grant takes
//! effect at once, whatever the token says.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use onestop_domain::access::Actor;
use onestop_domain::ids::UserId;

use crate::problem::Problem;
use crate::state::AppState;

/// The user behind a request, as an actor for the rules.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

impl FromRequest for Authenticated {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Authenticated, Problem> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(Problem::internal());
    };
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or_else(|| Problem::unauthorized("send a bearer token: Authorization: Bearer <token>"))?;
    let claims =
        state.tokens.verify(token.trim()).map_err(|_| Problem::unauthorized("the token is invalid or has expired"))?;
    let catalog = state.catalog.snapshot();
    let account = catalog
        .account(&UserId(claims.sub))
        .filter(|a| a.user.active)
        .ok_or_else(|| Problem::unauthorized("the account does not exist or is disabled"))?;
    Ok(Authenticated(account.user.actor()))
}
