//! A case's forms 01–06: `GET /cases/{id}/forms/{form}` prints (previews)
//! one as the case was at a version; `POST /cases/{id}/forms/{form}/issue`
//! prints it and records in the case's history that it was handed out, with
//! its SHA-256.
//!
//! The issuing body is the unit that received the case (its desk hands the
//! forms out); the lookup link on the receipt is `ONESTOP_PUBLIC_URL` +
//! `/lookup?code=…&secret=…`, the console's public lookup page, which opens
//! filled in (`crate::links::lookup_link`).

use actix_web::web::{Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use onestop_commands::cases::{Executed, LoadedCase};
use onestop_commands::idempotency::{StoredResponse, request_hash};
use onestop_domain::access;
use onestop_domain::case::forms::{Form, FormFormat};
use onestop_domain::case::{CaseCommand, CaseState, fold};
use onestop_domain::ids::CaseId;
use onestop_projections::describe::actor_of;
use onestop_projections::forms::{CaseForm, Entry, Lookup, case_paper, render};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{CatalogNames, FormatParam, document, issuer, negotiate, sha256_hex};
use crate::auth::Authenticated;
use crate::idempotency::{remember, replayed};
use crate::openapi::answers;
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::{Answer, State};
use crate::state::AppState;

/// Which version of the case, in which format.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormQuery {
    /// `pdf` or `html`; without it the `Accept` header decides (PDF for `*/*`).
    pub format: Option<FormatParam>,
    /// The case version to print, from 1 to the current one (the default).
    #[param(minimum = 1)]
    pub version: Option<u64>,
}

/// Headers issuing takes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, non_snake_case)]
pub struct IssueHeaders {
    /// A retry with the same key returns the first response and records nothing more.
    #[param(rename = "Idempotency-Key", pattern = "IdempotencyKey")]
    Idempotency_Key: Option<String>,
}

/// A form printed from a case.
pub(crate) struct Printed {
    pub(crate) bytes: Vec<u8>,
    pub(crate) form: Form,
    pub(crate) format: FormFormat,
    pub(crate) of_version: u64,
    pub(crate) file_name: String,
}

/// A form by its number in the path: 01–07 (07 is a unit's register).
fn form_of(number: &str) -> Result<Form, Problem> {
    let form = Form::from_number(number)
        .ok_or_else(|| Problem::not_found(format!("there is no form {number:?}: the forms are 01 to 07")))?;
    if form == Form::Register {
        return Err(Problem::not_found(
            "form 07 (Sổ theo dõi hồ sơ) is a unit's register: GET /api/v1/units/{code}/register",
        ));
    }
    Ok(form)
}

/// The case as the caller may read it, up to `version`.
async fn readable(state: &AppState, auth: &Authenticated, id: Uuid) -> Result<LoadedCase, Problem> {
    let not_found = || Problem::not_found(format!("case {id} does not exist"));
    let loaded = state.cases.load(CaseId(id)).await?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    if !access::may_read_case(&auth.0, &loaded.state.places(), &catalog.units) {
        return Err(not_found());
    }
    Ok(loaded)
}

pub(crate) async fn print(
    state: &AppState,
    auth: &Authenticated,
    req: &HttpRequest,
    id: Uuid,
    number: &str,
    query: &FormQuery,
) -> Result<Printed, Problem> {
    let form = form_of(number)?;
    let format = negotiate(req, query.format)?;
    let loaded = readable(state, auth, id).await?;
    let of_version = query.version.unwrap_or(loaded.version);
    if of_version == 0 || of_version > loaded.version {
        // A version the case has not reached is not there to print.
        return Err(Problem::not_found(format!("case {id} has versions 1 to {}, not {of_version}", loaded.version)));
    }
    let history: Vec<Entry> = loaded
        .events
        .iter()
        .take(usize::try_from(of_version).unwrap_or(usize::MAX))
        .map(|(recorded, event)| Entry { event: event.clone(), actor_name: actor_of(recorded.metadata.as_str()).2 })
        .collect();
    let case: CaseState = fold(history.iter().map(|e| &e.event));
    let catalog = state.catalog.snapshot();
    let applicant = match case.applicant {
        Some(applicant) => state.cases.vault().open(applicant).await?,
        None => None,
    };
    let procedure_name = case
        .procedure
        .as_ref()
        .map(|p| {
            catalog.procedure_version(&p.code, p.version).map_or_else(|| p.code.to_string(), |found| found.name.clone())
        })
        .unwrap_or_default();
    let unit = case.receiving_unit.clone().or_else(|| case.current_unit().cloned());
    let issuer = unit.as_ref().map_or_else(
        || onestop_projections::forms::Issuer { name: String::new(), parent: None },
        |unit| issuer(&catalog, unit),
    );
    let lookup = case.code.as_ref().and_then(|code| {
        let secret = state.cases.receipt_key().reprint(code, case.lookup_secret_hash.as_deref())?;
        Some(Lookup { url: crate::links::lookup_link(&state.public_url, &code.to_string(), &secret), secret })
    });
    let names = CatalogNames(&catalog);
    let input = CaseForm {
        case: &case,
        history: &history,
        issuer,
        procedure_name,
        applicant: applicant.as_ref(),
        lookup,
        names: &names,
    };
    let paper = case_paper(form, &input).map_err(|error| match error {
        onestop_projections::forms::PaperError::NotReached(rule) => Problem::from(rule),
        onestop_projections::forms::PaperError::Code(code) => Problem::invalid_field("code", code),
    })?;
    let bytes = render(&paper, format).map_err(|error| {
        crate::problem::log_failure(&error);
        Problem::internal()
    })?;
    let file_name =
        format!("mau-{}-{}", form.number(), case.code.as_ref().map_or_else(|| id.to_string(), ToString::to_string));
    Ok(Printed { bytes, form, format, of_version, file_name })
}

/// Prints (previews) a case's form as the case was at `version`: the same
/// version always gives the same bytes. Nothing is recorded.
#[utoipa::path(tag = "forms", params(("id" = Uuid, Path, description = "The case's id"), ("form" = String, Path, description = "The form's number, 01 to 06", pattern = "^0?[1-7]$"), FormQuery), responses((status = 200, description = "The form; `Repr-Digest` carries its SHA-256", content((Vec<u8> = "application/pdf"), (String = "text/html")), headers(("Repr-Digest" = String))), answers::NotFound, answers::NotAcceptable, answers::RuleViolation, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/cases/{id}/forms/{form}")]
pub async fn print_form(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(Uuid, String)>,
    query: Query<FormQuery>,
) -> Answer {
    let (id, number) = path.into_inner();
    let printed = print(&state, &auth, &req, id, &number, &query).await?;
    Ok(document(printed.bytes, printed.format, &printed.file_name))
}

/// A form handed out, as recorded in the case's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedForm {
    #[schema(example = "01")]
    pub form: String,
    #[schema(example = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả")]
    pub title: String,
    pub format: FormatParam,
    /// The case version the form was printed from.
    pub of_version: u64,
    /// SHA-256 of the document, 64 lowercase hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// The case's version after the issue was recorded.
    pub version: u64,
    /// Where the very document can be fetched again.
    #[schema(example = "/api/v1/cases/6f1c…/forms/01?format=pdf&version=3")]
    pub href: String,
}

/// Issues (phát hành) a form: prints it as the case is now and records, in
/// the case's history, the form, the version printed and the document's
/// SHA-256. The answer says where the identical document is fetched.
/// `Idempotency-Key` makes a retry answer as the first call did.
#[utoipa::path(tag = "forms", params(("id" = Uuid, Path, description = "The case's id"), ("form" = String, Path, description = "The form's number, 01 to 06", pattern = "^0?[1-7]$"), FormQuery, IssueHeaders), responses((status = 200, description = "Issued and recorded", body = IssuedForm), answers::Forbidden, answers::NotFound, answers::NotAcceptable, answers::RuleViolation, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/cases/{id}/forms/{form}/issue")]
pub async fn issue_form(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(Uuid, String)>,
    query: Query<FormQuery>,
) -> Answer {
    let (id, number) = path.into_inner();
    let meta = meta(&req)?;
    let hash = request_hash("POST", &req.uri().to_string(), &[]);
    if let Some(response) = replayed(&state, &auth.0, meta.idempotency_key.as_deref(), &hash).await? {
        return Ok(response);
    }
    let printed = print(&state, &auth, &req, id, &number, &query).await?;
    let sha256 = sha256_hex(&printed.bytes);
    let command = CaseCommand::IssueForm {
        form: printed.form,
        format: printed.format,
        of_version: printed.of_version,
        sha256: sha256.clone(),
    };
    let Executed { version, checkpoint, .. } = state.cases.execute(&auth.0, CaseId(id), command, None, &meta).await?;
    state.note_written(checkpoint);
    let format = match printed.format {
        FormFormat::Pdf => FormatParam::Pdf,
        FormFormat::Html => FormatParam::Html,
    };
    let issued = IssuedForm {
        form: printed.form.number().to_owned(),
        title: printed.form.title_vi().to_owned(),
        format,
        of_version: printed.of_version,
        sha256,
        version,
        href: format!(
            "/api/v1/cases/{id}/forms/{}?format={}&version={}",
            printed.form.number(),
            printed.format.as_str(),
            printed.of_version
        ),
    };
    let body = serde_json::to_value(&issued).map_err(|_| Problem::internal())?;
    let stored = StoredResponse { status: 200, body: body.clone(), etag: None, location: None };
    remember(&state, &auth.0, meta.idempotency_key.as_deref(), &hash, &stored).await?;
    Ok(HttpResponse::Ok().json(body))
}
