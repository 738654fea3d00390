//! Idempotent retries (DESIGN §5): a request sent again with the same
//! `Idempotency-Key` gets the first response back, and nothing is done twice.
//! The stored responses live in the write side's store
//! (`onestop_commands::idempotency`); this is their HTTP side.

use actix_web::HttpResponse;
use actix_web::http::header;
use onestop_commands::idempotency::{Lookup, StoredResponse};
use onestop_domain::access::Actor;

use crate::problem::Problem;
use crate::state::AppState;

/// Replays the first response to a keyed request, or refuses a reused key.
pub(crate) async fn replayed(
    state: &AppState,
    actor: &Actor,
    key: Option<&str>,
    hash: &[u8],
) -> Result<Option<HttpResponse>, Problem> {
    let Some(key) = key else { return Ok(None) };
    match state.idempotency.lookup(actor.user_id.0, key, hash).await? {
        Lookup::Fresh => Ok(None),
        Lookup::Mismatch => Err(Problem::idempotency_key_reused()),
        Lookup::Replay(stored) => {
            let status =
                actix_web::http::StatusCode::from_u16(stored.status).unwrap_or(actix_web::http::StatusCode::OK);
            let mut response = HttpResponse::build(status);
            if let Some(etag) = stored.etag {
                response.insert_header((header::ETAG, etag));
            }
            if let Some(location) = stored.location {
                response.insert_header((header::LOCATION, location));
            }
            response.insert_header(("Idempotent-Replayed", "true"));
            Ok(Some(response.json(stored.body)))
        }
    }
}

pub(crate) async fn remember(
    state: &AppState,
    actor: &Actor,
    key: Option<&str>,
    hash: &[u8],
    response: &StoredResponse,
) -> Result<(), Problem> {
    if let Some(key) = key {
        state.idempotency.save(actor.user_id.0, key, hash, response).await?;
    }
    Ok(())
}
