//! The web console (DESIGN §5): the pages the desk, the offices, the leaders,
//! the inspectors, the administrators and the hall use, in Vietnamese,
//! rendered on the server under `/` by the same binary as the API.
//!
//! No second path to the data: every page reads and writes through the same
//! services, queries and rules as the API's handlers (the case service, the
//! status view's queries, `onestop_domain::access`), so what a page offers and
//! what the API accepts cannot differ.
//!
//! Choices, written down:
//! - HTML by [maud]: templates are Rust, checked by the compiler, escaped by
//!   default, compiled into the binary; no template files, no frontend build.
//! - No script at all: plain links and forms work with the keyboard, on a
//!   phone and offline; the stylesheet is compiled in ([`assets`]).
//! - Sessions in the database and a CSRF token on every form ([`session`],
//!   [`form`]); signing in is the API's own check, throttled and recorded.
//! - After a successful action the browser is sent on (303) to the page that
//!   shows its effect, so reloading never repeats it; each action form also
//!   carries a one-time key used as the command's idempotency key, so a
//!   double click appends once.
//! - Failures are pages that say what to do ([`error`]).

pub mod action_forms;
pub mod actions;
pub mod admin;
pub mod assets;
pub mod case_page;
pub mod charts;
pub mod dashboard;
pub mod desk;
pub mod error;
pub mod failure_page;
pub mod form;
pub mod inspector;
pub mod layout;
pub mod lookup;
pub mod registry;
pub mod session;
pub mod sign_in;
pub mod work;

use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;

pub use error::Failure;

/// What a console handler answers: a page (or a redirect), or a failure page.
pub type Page = Result<HttpResponse, Failure>;

/// A rendered page, 200, not to be cached (it shows someone's work).
pub fn html_page(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

pub use crate::links::url_encode;

/// Registers the console's pages. Query strings and paths that do not parse
/// give a page, not the API's JSON.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("")
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_, _| Failure::bad_form("Địa chỉ trang có tham số không hợp lệ.").into()),
            )
            .app_data(web::PathConfig::default().error_handler(|_, _| Failure::not_found("Không có trang này.").into()))
            .service(assets::stylesheet)
            .service(sign_in::root)
            .service(sign_in::sign_in_page)
            .service(sign_in::sign_in)
            .service(sign_in::sign_out)
            .service(work::my_work)
            .service(work::search)
            .service(desk::desk)
            .service(desk::receive)
            .service(desk::call_next)
            .service(case_page::print_form)
            .service(case_page::show)
            .service(case_page::act)
            .service(dashboard::dashboard)
            .service(dashboard::download)
            .service(admin::procedures)
            .service(admin::procedure)
            .service(admin::publish_version)
            .service(registry::unit_list)
            .service(registry::create_unit)
            .service(registry::user_list)
            .service(registry::create_user)
            .service(registry::calendar)
            .service(inspector::inspector)
            .service(lookup::lookup)
            .service(lookup::kiosk)
            .service(lookup::kiosk_ticket)
            .default_service(web::to(fallback)),
    );
}

/// What no page answers: for a browser, a page saying so (inside the
/// officer's pages when they are signed in); otherwise the API's answer.
async fn fallback(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html || req.path().starts_with("/api/") {
        return crate::problem::no_route(req).await;
    }
    let failure = Failure::not_found(format!("Không có trang {}.", req.path()));
    match session::signed_in(&req).await {
        Ok(Some(officer)) => failure_page::within(&officer, failure),
        _ => actix_web::ResponseError::error_response(&failure),
    }
}
