//! HTTP handlers, one module per resource, registered in [`configure`] so that
//! the server and the OpenAPI document list exactly the same endpoints.

use actix_web::{HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::problem::Problem;
use crate::state::AppState;

pub mod applicants;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod cases;
pub mod feed;
pub mod fields;
pub mod forms;
pub mod fresh;
pub mod health;
pub mod holiday_rules;
pub mod notices;
pub mod portal;
pub mod procedures;
pub mod public;
pub mod queue;
pub mod stats;
pub mod units;
pub mod users;

/// The application's state as a handler takes it.
pub type State = web::Data<AppState>;

/// What a handler answers: its response, or a problem (RFC 9457).
pub type Answer = Result<HttpResponse, Problem>;

/// Registers every handler: operations at the root, the API under `/api/v1`.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(queue::display::hall_display)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(auth::issue_token)
                // Before `/cases/{id}`, so `by-code` is not taken for an id.
                .service(cases::lists::list)
                .service(cases::lists::by_code)
                .service(public::public_lookup)
                .service(audit::trail::history)
                .service(audit::trail::events)
                .service(audit::trail::control_slip)
                .service(audit::trail::verify)
                .service(forms::case::print_form)
                .service(forms::case::issue_form)
                .service(forms::register::unit_register)
                .service(notices::case_notices)
                .service(notices::list_templates)
                .service(notices::set_template)
                .service(audit::queries::query)
                .service(audit::sign_ins::sign_ins)
                .service(stats::stats_report)
                .service(feed::feed)
                .service(portal::dossiers::deliver_dossier)
                .service(portal::sync::portal_sync_state)
                .service(portal::sync::portal_sync_cases)
                .service(portal::sync::reconcile_with_portal)
                .configure(cases::configure)
                .service(units::list_units)
                .service(units::get_unit)
                .service(units::create_unit)
                .service(units::update_unit)
                .service(procedures::list_procedures)
                .service(procedures::get_procedure)
                .service(procedures::publish_procedure)
                .service(calendar::get_calendar)
                .service(calendar::arrange_calendar)
                .service(holiday_rules::list_holiday_rules)
                .service(holiday_rules::add_holiday_rule)
                .service(holiday_rules::end_holiday_rule)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::update_user)
                .service(users::change_password)
                .service(users::unlock_user)
                .service(applicants::erase_applicant)
                .service(queue::setup::get_queue_setup)
                .service(queue::setup::set_up_queue)
                .service(queue::tickets::queue_today)
                .service(queue::tickets::take_ticket)
                .service(queue::tickets::get_ticket)
                .service(queue::tickets::return_ticket)
                .service(queue::counters::call_next_ticket)
                .service(queue::counters::recall_ticket)
                .service(queue::counters::mark_ticket_absent)
                .service(queue::counters::transfer_ticket)
                .service(queue::counters::finish_ticket)
                .service(queue::bookings::queue_slots)
                .service(queue::bookings::book_slot)
                .service(queue::bookings::cancel_booking)
                .service(queue::calls::queue_calls)
                .service(queue::stats::queue_stats),
        );
}

/// A unit's code as the document describes it, for lists of codes (a single
/// code field names its pattern instead: `pattern = "UnitCode"`).
#[derive(Debug)]
pub struct UnitCodeText;

impl utoipa::PartialSchema for UnitCodeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::text_schema("A unit's code as in QĐ 20/2020/QĐ-TTg, e.g. `000.00.01.H22`")
            .pattern(Some(onestop_domain::ids::UnitCode::PATTERN))
            .into()
    }
}

impl utoipa::ToSchema for UnitCodeText {
    fn name() -> std::borrow::Cow<'static, str> {
        "UnitCode".into()
    }
}
