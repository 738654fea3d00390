//! Filing a case (`POST /cases`): received at the desk or by post, or
//! submitted online; `Idempotency-Key` for safe retries.

use actix_web::http::header;
use actix_web::web::Json;
use actix_web::{HttpRequest, HttpResponse, post};
use onestop_commands::cases::NewCase;
use onestop_commands::idempotency::{StoredResponse, request_hash};
use onestop_domain::personal::Applicant;
use validator::Validate;

use crate::auth::Authenticated;
use crate::idempotency::{remember, replayed};
use crate::problem::{Problem, from_validation};
use crate::request::{etag, meta};
use crate::routes::fields::unit_code;
use crate::routes::{Answer, State};

use super::requests::CreateCaseRequest;
use super::view::{CaseView, CreatedCase};

/// File a case: received at the desk or by post (status 2, with a code and a due
/// date), or submitted online (status 1).
#[utoipa::path( tag = "cases", request_body = CreateCaseRequest, params( ("Idempotency-Key" = Option<String>, Header, pattern = "IdempotencyKey", description = "A retry with the same key returns the first response"), ), responses( (status = 201, description = "Filed", body = CreatedCase, headers(("Location" = String, description = "The case's URL"), ("ETag" = String, description = "The case's version"))), (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"), (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed for this role or unit", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Unknown procedure", body = Problem, content_type = "application/problem+json"), (status = 409, description = "A rule forbids it", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"), ), security(("bearer" = [])) )]
#[post("/cases")]
pub async fn create_case(state: State, auth: Authenticated, req: HttpRequest, body: Json<CreateCaseRequest>) -> Answer {
    let body = body.into_inner();
    let meta = meta(&req)?;
    let hash = request_hash("POST", req.path(), &serde_json::to_vec(&body).unwrap_or_default());
    if let Some(response) = replayed(&state, &auth.0, meta.idempotency_key.as_deref(), &hash).await? {
        return Ok(response);
    }
    let new = new_case(body)?;
    let executed = state.cases.open(&auth.0, new, &meta).await?;
    state.note_written(executed.checkpoint);
    let location = format!("/api/v1/cases/{}", executed.case_id.0);
    let created = CreatedCase {
        case: CaseView::of(executed.case_id, &executed.state, state.clock.now()),
        lookup_secret: executed.lookup_secret.clone(),
    };
    let body = serde_json::to_value(&created).map_err(|_| Problem::internal())?;
    let tag = etag(executed.version);
    remember(
        &state,
        &auth.0,
        meta.idempotency_key.as_deref(),
        &hash,
        &StoredResponse { status: 201, body: body.clone(), etag: Some(tag.clone()), location: Some(location.clone()) },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, tag))
        .json(body))
}

/// A filing request, validated as the API validates it, as the command
/// service's new case (the API's and the desk page's).
pub(crate) fn new_case(body: CreateCaseRequest) -> Result<NewCase, Problem> {
    body.validate().map_err(from_validation)?;
    Ok(NewCase {
        procedure: body
            .procedure_code
            .parse()
            .map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field("procedure_code", e.to_string()))?,
        unit: unit_code("unit", &body.unit)?,
        channel: body.channel.into(),
        applicant: Applicant {
            full_name: body.applicant.full_name.trim().to_owned(),
            id_number: body.applicant.id_number.trim().to_owned(),
            phone: body.applicant.phone,
            address: body.applicant.address,
            email: body.applicant.email,
        },
        documents: body.documents,
        notices: body.notices.map(Into::into).unwrap_or_default(),
    })
}
