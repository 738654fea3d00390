//! HTTP handlers, one module per resource, registered in [`configure`] so that
//! the server and the OpenAPI document list exactly the same endpoints.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod audit;
pub mod auth;
pub mod cases;
pub mod catalog;
pub mod feed;
pub mod health;
pub mod stats;
pub mod views;

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
                .service(audit::sign_ins)
                .service(stats::stats_report)
                .service(feed::feed)
                .configure(cases::configure)
                .configure(catalog::configure),
        );
}

/// A unit's code as the document describes it, for lists of codes (a single
/// code field names its pattern instead: `pattern = "UnitCode"`).
#[derive(Debug)]
pub struct UnitCodeText;

impl utoipa::PartialSchema for UnitCodeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A unit's code as in QĐ 20/2020/QĐ-TTg, e.g. `000.00.01.H22`",
            ))
            .pattern(Some(onestop_domain::ids::UnitCode::PATTERN))
            .into()
    }
}

impl utoipa::ToSchema for UnitCodeText {
    fn name() -> std::borrow::Cow<'static, str> {
        "UnitCode".into()
    }
}
