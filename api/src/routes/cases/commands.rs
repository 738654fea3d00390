//! Filing a case and every command on it (`POST /cases`, `POST
//! /cases/{id}/{action}`): `If-Match` for the version, `Idempotency-Key` for
//! safe retries.

use actix_web::http::header;
use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, post};
use onestop_commands::cases::Executed;
use onestop_commands::idempotency::{StoredResponse, request_hash};
use onestop_domain::case::CaseCommand;
use onestop_domain::case::event::{Proposal, ReturnMethod};
use onestop_domain::ids::{CaseId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::idempotency::{remember, replayed};
use crate::problem::{Problem, from_validation};
use crate::request::{etag, if_match, meta};
use crate::routes::fields::unit_code;
use crate::routes::{Answer, State};
use crate::state::AppState;

use super::requests::{
    AppraisalRequest, AttachRequest, CommentRequest, DocumentsRequest, ExtendRequest, NoFields, NoteRequest,
    PaymentRecord, PaymentRequest, ProposalDto, RatingRequest, ReasonRequest, ResultRequest, ReturnMethodDto,
    ReturnRequest, SupplementRequest, TransferRequest,
};
use super::view::CaseView;

/// Runs one command and answers with the case after it.
async fn run(
    state: &AppState,
    auth: &Authenticated,
    req: &HttpRequest,
    case_id: CaseId,
    body: &impl Serialize,
    command: CaseCommand,
) -> Answer {
    let expected = if_match(req)?;
    let meta = meta(req)?;
    let hash = request_hash("POST", req.path(), &serde_json::to_vec(body).unwrap_or_default());
    if let Some(response) = replayed(state, &auth.0, meta.idempotency_key.as_deref(), &hash).await? {
        return Ok(response);
    }
    let Executed { case_id, state: case, version, checkpoint, .. } =
        state.cases.execute(&auth.0, case_id, command, expected, &meta).await?;
    state.note_written(checkpoint);
    let view = CaseView::of(case_id, &case, state.clock.now());
    let body = serde_json::to_value(&view).map_err(|_| Problem::internal())?;
    let tag = etag(version);
    remember(
        state,
        &auth.0,
        meta.idempotency_key.as_deref(),
        &hash,
        &StoredResponse { status: 200, body: body.clone(), etag: Some(tag.clone()), location: None },
    )
    .await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, tag)).json(body))
}

/// Headers every command endpoint takes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, non_snake_case)]
pub struct CommandHeaders {
    /// The version the client last saw, e.g. `"3"`: a different version is 412.
    #[param(rename = "If-Match", pattern = "IfMatch")]
    If_Match: Option<String>,
    /// A retry with the same key returns the first response and changes nothing.
    #[param(rename = "Idempotency-Key", pattern = "IdempotencyKey")]
    Idempotency_Key: Option<String>,
}

/// Declares one command endpoint: its body, how the body becomes a command, and
/// its OpenAPI description.
macro_rules! case_commands {
    ($($(#[$doc:meta])* $name:ident($path:literal, $body:ty) => |$b:ident| $make:expr;)*) => {$(
        $(#[$doc])*
        #[utoipa::path( tag = "cases", request_body = $body, params(("id" = Uuid, Path, description = "The case's id"), CommandHeaders), responses( (status = 200, description = "Done: the case after the command", body = CaseView, headers(("ETag" = String))), (status = 400, description = "Malformed JSON or headers", body = Problem, content_type = "application/problem+json"), (status = 401, description = "No or invalid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed for this role or unit", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"), (status = 409, description = "A rule forbids it now (the rule is named)", body = Problem, content_type = "application/problem+json"), (status = 412, description = "If-Match is not the case's version", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"), ), security(("bearer" = [])) )]
        #[post($path)]
        pub async fn $name(
            state: State,
            auth: Authenticated,
            req: HttpRequest,
            id: Path<Uuid>,
            body: Json<$body>,
        ) -> Answer {
            let body = body.into_inner();
            body.validate().map_err(from_validation)?;
            let $b = body.clone();
            let command: CaseCommand = $make?;
            run(&state, &auth, &req, CaseId(id.into_inner()), &body, command).await
        }
    )*};
}

fn ok(command: CaseCommand) -> Result<CaseCommand, Problem> {
    Ok(command)
}

case_commands! {
    /// Accept an online submission (status 2).
    accept("/cases/{id}/accept", NoFields) => |_b| ok(CaseCommand::AcceptOnline);
    /// Refuse an online submission at reception (status 3).
    refuse_at_reception("/cases/{id}/refuse-at-reception", ReasonRequest) => |b| ok(CaseCommand::RefuseAtReception { reason: b.reason });
    /// Hand the file over to the next workflow step.
    transfer("/cases/{id}/transfer", TransferRequest) => |b| unit_code("to_unit", &b.to_unit)
        .map(|to_unit| CaseCommand::Transfer { to_unit, assignee: b.assignee.map(UserId), note: b.note });
    /// Confirm receiving a handed-over file.
    acknowledge_handover("/cases/{id}/acknowledge-handover", NoFields) => |_b| ok(CaseCommand::AcknowledgeHandover);
    /// Record the appraisal and the proposal.
    record_appraisal("/cases/{id}/appraisal", AppraisalRequest) => |b| ok(CaseCommand::RecordAppraisal {
        opinion: b.opinion,
        proposal: match b.proposal {
            ProposalDto::Grant => Proposal::Grant,
            ProposalDto::Refuse => Proposal::Refuse,
        },
    });
    /// Ask the applicant for more documents (status 5); the clock stops.
    request_supplement("/cases/{id}/request-supplement", SupplementRequest) => |b| ok(CaseCommand::RequestSupplement { reason: b.reason, documents: b.documents });
    /// Record the supplement; the clock starts again.
    receive_supplement("/cases/{id}/receive-supplement", DocumentsRequest) => |b| ok(CaseCommand::ReceiveSupplement { documents: b.documents });
    /// Ask for a fee or tax payment (status 6); the clock stops.
    request_payment("/cases/{id}/request-payment", PaymentRequest) => |b| ok(CaseCommand::RequestPayment { amount_vnd: b.amount_vnd, description: b.description });
    /// Record the payment; the clock starts again.
    record_payment("/cases/{id}/record-payment", PaymentRecord) => |b| ok(CaseCommand::RecordPayment { amount_vnd: b.amount_vnd, receipt: b.receipt, online: b.online });
    /// Submit the appraised file for approval.
    submit_for_approval("/cases/{id}/submit-for-approval", NoteRequest) => |b| ok(CaseCommand::SubmitForApproval { note: b.note });
    /// Approve the submitted file.
    approve("/cases/{id}/approve", NoteRequest) => |b| ok(CaseCommand::Approve { note: b.note });
    /// Send the submitted file back for rework.
    send_back("/cases/{id}/send-back", ReasonRequest) => |b| ok(CaseCommand::SendBackForRework { reason: b.reason });
    /// Extend the due date once, with an apology letter.
    extend("/cases/{id}/extend", ExtendRequest) => |b| ok(CaseCommand::Extend {
        new_due_at: b.new_due_at,
        reason: b.reason,
        apology_letter: b.apology_letter.into(),
    });
    /// Pause processing; the clock stops.
    pause("/cases/{id}/pause", ReasonRequest) => |b| ok(CaseCommand::Pause { reason: b.reason });
    /// Resume processing; the clock starts again.
    resume("/cases/{id}/resume", NoFields) => |_b| ok(CaseCommand::Resume);
    /// Refuse as not eligible; the file is returned with the reason.
    refuse("/cases/{id}/refuse", ReasonRequest) => |b| ok(CaseCommand::RefuseAsIneligible { reason: b.reason });
    /// Record the applicant's withdrawal (status 7).
    withdraw("/cases/{id}/withdraw", ReasonRequest) => |b| ok(CaseCommand::Withdraw { reason: b.reason });
    /// Stop processing (status 8).
    stop("/cases/{id}/stop", ReasonRequest) => |b| ok(CaseCommand::Stop { reason: b.reason });
    /// Record the result (status 9).
    record_result("/cases/{id}/result", ResultRequest) => |b| ok(CaseCommand::RecordResult { summary: b.summary, document: b.document.map(Into::into), result_code: b.result_code });
    /// Return the result (status 10).
    return_result("/cases/{id}/return", ReturnRequest) => |b| ok(CaseCommand::ReturnResult {
        method: match b.method {
            ReturnMethodDto::AtDesk => ReturnMethod::AtDesk,
            ReturnMethodDto::ByPost => ReturnMethod::ByPost,
            ReturnMethodDto::Online => ReturnMethod::Online,
        },
    });
    /// Add an internal note for the officers on the case.
    add_comment("/cases/{id}/comments", CommentRequest) => |b| ok(CaseCommand::Comment { text: b.text });
    /// Record the applicant's satisfaction (1–5).
    rate("/cases/{id}/rating", RatingRequest) => |b| ok(CaseCommand::RateSatisfaction { score: b.score, comment: b.comment });
    /// Attach a document by reference.
    attach_document("/cases/{id}/documents", AttachRequest) => |b| ok(CaseCommand::AttachDocument { document: b.document.into(), origin: b.origin.map(Into::into) });
}
