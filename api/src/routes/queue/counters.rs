//! What an officer does at a counter (quầy): call the next ticket, call it
//! again, mark it absent, send it to another group, finish it (naming the
//! cases received from it). The unit's reception officers only.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, post};
use onestop_domain::access;
use onestop_domain::ids::CaseId;
use onestop_domain::queue::{QueueCommand, QueueEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{TicketView, group_field, queue_unit};
use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::{Answer, State};
use crate::state::AppState;
use onestop_domain::access::Actor;

/// Where to send the ticket at the counter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferDto {
    #[schema(pattern = "^[A-Z]{1,3}$")]
    pub to_group: String,
}

/// The cases received from the ticket, if any.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishDto {
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    #[serde(default)]
    pub cases: Vec<Uuid>,
}

/// Runs a counter's command for the signed-in officer; answers with the
/// ticket it concerned.
async fn at_counter(
    state: &State,
    auth: &Authenticated,
    req: &HttpRequest,
    code: &str,
    action: &str,
    command: QueueCommand,
) -> Answer {
    Ok(HttpResponse::Ok().json(counter_act(state, &auth.0, req, code, action, command).await?))
}

/// A counter's command for `actor`, and the ticket it concerned (the API's
/// and the console desk's).
pub(crate) async fn counter_act(
    state: &AppState,
    actor: &Actor,
    req: &HttpRequest,
    code: &str,
    action: &str,
    command: QueueCommand,
) -> Result<TicketView, Problem> {
    let (unit, catalog, setup) = queue_unit(state, code)?;
    access::works_counter(actor, &unit, &catalog.units)?;
    let request = meta(req)?;
    let metadata = request.to_metadata(actor, action, request.command_id(actor, action));
    let outcome = state.queue.act(&unit, command, metadata).await?;
    state.note_written(outcome.checkpoint);
    let number = outcome.events.first().map(QueueEvent::number).ok_or_else(Problem::internal)?;
    let ticket = outcome.state.tickets.get(number).ok_or_else(Problem::internal)?;
    Ok(TicketView::of(ticket, &outcome.state, &setup))
}

/// Calls the next ticket to the counter: law's priority first, then bookings
/// kept, then first come first served, among the groups the counter serves.
/// Two counters never get the same ticket.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("counter" = u16, Path, description = "The counter's number", minimum = 1, maximum = 999)), responses((status = 200, description = "The ticket called", body = TicketView), answers::Forbidden, answers::NotFound, answers::RuleViolation), security(("bearer" = [])))]
#[post("/units/{code}/queue/counters/{counter}/call")]
pub async fn call_next_ticket(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, u16)>,
) -> Answer {
    let (code, counter) = path.into_inner();
    let command = QueueCommand::CallNext { counter, officer: auth.0.user_id };
    at_counter(&state, &auth, &req, &code, "call_ticket", command).await
}

/// Calls the counter's ticket again (the citizen did not hear it).
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("counter" = u16, Path, description = "The counter's number", minimum = 1, maximum = 999)), responses((status = 200, description = "The ticket called again", body = TicketView), answers::Forbidden, answers::NotFound, answers::RuleViolation), security(("bearer" = [])))]
#[post("/units/{code}/queue/counters/{counter}/recall")]
pub async fn recall_ticket(state: State, auth: Authenticated, req: HttpRequest, path: Path<(String, u16)>) -> Answer {
    let (code, counter) = path.into_inner();
    at_counter(&state, &auth, &req, &code, "recall_ticket", QueueCommand::Recall { counter }).await
}

/// Marks the counter's ticket absent (vắng mặt). If the citizen comes back
/// later the desk returns the ticket, and it waits again from then.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("counter" = u16, Path, description = "The counter's number", minimum = 1, maximum = 999)), responses((status = 200, description = "The ticket, absent", body = TicketView), answers::Forbidden, answers::NotFound, answers::RuleViolation), security(("bearer" = [])))]
#[post("/units/{code}/queue/counters/{counter}/absent")]
pub async fn mark_ticket_absent(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, u16)>,
) -> Answer {
    let (code, counter) = path.into_inner();
    at_counter(&state, &auth, &req, &code, "mark_ticket_absent", QueueCommand::MarkAbsent { counter }).await
}

/// Sends the counter's ticket to another group's queue, keeping its number
/// and its place in time.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("counter" = u16, Path, description = "The counter's number", minimum = 1, maximum = 999)), request_body = TransferDto, responses((status = 200, description = "The ticket, waiting in its new group", body = TicketView), answers::Forbidden, answers::NotFound, answers::RuleViolation, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/units/{code}/queue/counters/{counter}/transfer")]
pub async fn transfer_ticket(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, u16)>,
    body: Json<TransferDto>,
) -> Answer {
    let (code, counter) = path.into_inner();
    let to_group = group_field("to_group", &body.to_group)?;
    at_counter(&state, &auth, &req, &code, "transfer_ticket", QueueCommand::Transfer { counter, to_group }).await
}

/// Finishes the counter's ticket, naming the cases received from it.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "The unit's code"), ("counter" = u16, Path, description = "The counter's number", minimum = 1, maximum = 999)), request_body = FinishDto, responses((status = 200, description = "The ticket, finished", body = TicketView), answers::Forbidden, answers::NotFound, answers::RuleViolation, answers::OutOfBounds), security(("bearer" = [])))]
#[post("/units/{code}/queue/counters/{counter}/finish")]
pub async fn finish_ticket(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, u16)>,
    body: Json<FinishDto>,
) -> Answer {
    body.validate().map_err(from_validation)?;
    let (code, counter) = path.into_inner();
    let cases = body.cases.iter().copied().map(CaseId).collect();
    at_counter(&state, &auth, &req, &code, "finish_ticket", QueueCommand::Finish { counter, cases }).await
}
