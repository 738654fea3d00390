//! Applicants' personal data (Decree 13/2023/NĐ-CP): its erasure.

use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse, post};
use onestop_domain::access::{self};
use onestop_domain::ids::ApplicantId;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::{Answer, State};

/// Erase an applicant's personal data (crypto-shredding: the key is destroyed;
/// history stays intact and verifiable).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "The applicant's id")), responses((status = 204, description = "Erased"), answers::Forbidden, (status = 404, description = "Nothing to erase", body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
#[post("/applicants/{id}/erase")]
pub async fn erase_applicant(state: State, auth: Authenticated, req: HttpRequest, id: Path<Uuid>) -> Answer {
    access::is_administrator(&auth.0).map_err(Problem::forbidden)?;
    access::province_wide(&auth.0, &state.catalog.snapshot().units, "erase personal data")
        .map_err(Problem::forbidden)?;
    let id = ApplicantId(id.into_inner());
    let meta = meta(&req)?;
    let metadata = meta.to_metadata(&auth.0, "erase personal data", meta.command_id(&auth.0, "erase"));
    let Some(erased) = state.cases.vault().erase_recorded(id, metadata).await? else {
        return Err(Problem::not_found(format!("applicant {} has no personal data to erase", id.0)));
    };
    // Reads wait for it: a search right after finds the applicant no more.
    state.note_written(Some(erased));
    Ok(HttpResponse::NoContent().finish())
}
