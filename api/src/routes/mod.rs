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
    modifiers(&BearerAuth),
    components(schemas(stats::GroupByDto))
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
    let mut document = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure)
        .split_for_parts()
        .1;
    document_common_answers(&mut document);
    document
}

/// Adds to every operation the problems any request of its kind may get, so
/// the document lists every status the server sends: 400 for a query, header
/// or body that does not parse, 401 without a valid token, 404 for a path
/// segment naming nothing, 409 when a write lost a race with another change to
/// the same record, 413 and 415 for bodies too large or not JSON, 422 for
/// fields out of bounds, 503 (with `Retry-After`) when the database cannot
/// answer in time. What a handler documents itself is kept.
pub fn document_common_answers(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, Type};

    let problem = |description: &str, retry: bool| {
        let mut response = ResponseBuilder::new().description(description).content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
        if retry {
            response = response.header(
                "Retry-After",
                Header::new(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer)),
            );
        }
        response.build()
    };
    for (path, item) in document.paths.paths.iter_mut() {
        let templated = path.contains('{');
        let api = path.starts_with("/api/");
        let reads = item.get.iter_mut().map(|operation| (operation, false));
        let writes = [
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        .map(|operation| (operation, true));
        for (operation, writes) in reads.chain(writes) {
            // Issuing a token records nothing.
            let records = writes && api && !path.ends_with("/auth/token");
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let body = operation.request_body.is_some();
            let query = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let answers = [
                (
                    "400",
                    body || query || templated,
                    "The query string, a header or the body does not parse",
                    false,
                ),
                (
                    "401",
                    secured,
                    "No valid bearer token, or the account is disabled",
                    false,
                ),
                ("404", templated, "No such resource", false),
                (
                    "409",
                    records,
                    "Another change to the same record came first; read it again and retry",
                    false,
                ),
                (
                    "413",
                    body,
                    "The body is larger than the server accepts",
                    false,
                ),
                ("415", body, "The body is not JSON", false),
                (
                    "422",
                    body || query || templated,
                    "Fields out of bounds, or text that cannot be stored (U+0000)",
                    false,
                ),
                (
                    "503",
                    api,
                    "The database cannot answer in time; retry after the given seconds",
                    true,
                ),
            ];
            for (status, applies, description, retry) in answers {
                if applies {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description, retry).into());
                }
            }
        }
    }
}

/// The methods the API answers at `path` (matched against the document's path
/// templates), or `None` when no operation has such a path. A request with
/// another method gets 405 with these in `Allow`.
pub fn allowed_methods(path: &str) -> Option<Vec<&'static str>> {
    static TEMPLATES: std::sync::OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> =
        std::sync::OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (segments, methods)
            })
            .collect()
    });
    let segments: Vec<&str> = path.split('/').collect();
    let mut allowed: Vec<&'static str> = templates
        .iter()
        .filter(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                })
        })
        .flat_map(|(_, methods)| methods.iter().copied())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    (!allowed.is_empty()).then_some(allowed)
}
