//! HTTP handlers, one module per resource, registered in [`configure`] so that
//! the server and the OpenAPI document list exactly the same endpoints.

use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub mod health;

/// The document's header; paths and schemas are collected from the handlers.
#[derive(Debug, OpenApi)]
#[openapi(info(
    title = "Một cửa điện tử",
    description = "Backend of the electronic one-stop shop for administrative procedures."
))]
pub struct ApiDoc;

/// Registers every handler.
pub fn configure(config: &mut ServiceConfig) {
    config.service(health::healthz).service(health::readyz);
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
