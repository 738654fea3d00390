//! HTTP handlers, one module per resource, registered in [`configure`] so that
//! the server and the OpenAPI document list exactly the same endpoints.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;

pub mod audit;
pub mod auth;
pub mod cases;
pub mod catalog;
pub mod feed;
pub mod health;
pub mod stats;
pub mod views;

/// The document's header; paths and schemas are collected from the handlers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Một cửa điện tử",
        description = "Backend of the electronic one-stop shop for administrative procedures. \
                       Errors are RFC 9457 problem details (application/problem+json)."
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme the secured endpoints name.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Registers every handler: operations at the root, the API under `/api/v1`.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(auth::issue_token)
                // Before `/cases/{id}`, so `by-code` is not taken for an id.
                .service(views::list)
                .service(views::by_code)
                .service(views::public_lookup)
                .service(audit::history)
                .service(audit::events)
                .service(audit::control_slip)
                .service(audit::verify)
                .service(audit::query)
                .service(stats::stats_report)
                .service(feed::feed)
                .configure(cases::configure)
                .configure(catalog::configure),
        );
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure)
        .split_for_parts()
        .1
}
