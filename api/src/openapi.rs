//! The OpenAPI document (DESIGN §5: a product of its own): the handlers'
//! operations and schemas as the macros collect them, finished with what the
//! macros cannot say — named patterns, entity tags, links between operations,
//! the answers every operation may give.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's header; paths and schemas are collected from the handlers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        // ASCII: generators make package names of the title.
        title = "Onestop API",
        description = "Một cửa điện tử: the back office of the electronic one-stop shop for \
                       administrative procedures. Errors are RFC 9457 problem details \
                       (application/problem+json)."
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::routes::stats::GroupByDto, crate::routes::stats::ReportFormat, crate::routes::queue::calls::CallMessage))
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
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The OpenAPI document of the whole API.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let mut document = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts()
        .1;
    document_common_answers(&mut document);
    document
}

/// Declares `If-None-Match` and its 304 on the reads that carry an entity
/// tag: the catalog (`edge::TAGGED_READS`) and a case.
fn document_entity_tags(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, RefOr, Required, ResponseBuilder, Type};

    for (path, item) in document.paths.paths.iter_mut() {
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        let case = path == "/api/v1/cases/{id}";
        if !case && !crate::edge::is_tagged_read(path) {
            continue;
        }
        let parameters = operation.parameters.get_or_insert_with(Vec::new);
        if !parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.name == "If-None-Match")) {
            parameters.push(
                ParameterBuilder::new()
                    .name("If-None-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("Entity tags from earlier answers: when one is still current the answer is 304"))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build()
                    .into(),
            );
        }
        let responses = &mut operation.responses.responses;
        responses.entry("304".to_owned()).or_insert_with(|| {
            ResponseBuilder::new()
                .description("Unchanged since the entity tag sent in If-None-Match")
                .header(
                    "ETag",
                    HeaderBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::String))).build(),
                )
                .build()
                .into()
        });
        if let Some(RefOr::T(ok)) = responses.get_mut("200") {
            ok.headers.entry("ETag".to_owned()).or_insert_with(|| {
                HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some("The answer's entity tag, for If-None-Match"))
                    .build()
                    .into()
            });
        }
    }
}

/// Links every answer that is a case (the 201 of `POST /cases`, the 200 of
/// each command) to every operation on that case, its id taken from the body:
/// a client, or a stateful fuzzer, can walk a case from its creation.
fn link_case_operations(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::link::LinkBuilder;

    const CASE: &str = "/api/v1/cases/{id}";
    let targets: Vec<String> = document
        .paths
        .paths
        .iter()
        .filter(|(path, _)| path.as_str() == CASE || path.starts_with(&format!("{CASE}/")))
        .flat_map(|(_, item)| {
            [&item.get, &item.post].into_iter().flatten().filter_map(|operation| operation.operation_id.clone())
        })
        .collect();
    let case_view = |response: &RefOr<utoipa::openapi::Response>| match response {
        RefOr::T(response) => response.content.get("application/json").is_some_and(|c| {
            matches!(c, RefOr::T(content)
                if matches!(&content.schema, Some(RefOr::Ref(r))
                    if r.ref_location.ends_with("/CaseView") || r.ref_location.ends_with("/CreatedCase")))
        }),
        RefOr::Ref(_) => false,
    };
    for (path, item) in document.paths.paths.iter_mut() {
        let is_case = path == "/api/v1/cases" || path.starts_with(&format!("{CASE}/"));
        let Some(operation) = item.post.as_mut().filter(|_| is_case) else {
            continue;
        };
        for status in ["200", "201"] {
            let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status).filter(|r| case_view(r))
            else {
                continue;
            };
            for target in &targets {
                response.links.insert(
                    target.clone(),
                    RefOr::T(
                        LinkBuilder::new().operation_id(target.clone()).parameter("id", "$response.body#/id").build(),
                    ),
                );
            }
        }
    }
}

/// The regular expressions the document's `pattern`s name, each kept where its
/// rule is enforced: handlers name a pattern (`pattern = "UnitCode"`) because
/// the schema macros take only literals.
fn named_pattern(name: &str) -> Option<&'static str> {
    use onestop_domain::ids::{CaseCode, ProcedureCode, UnitCode};
    Some(match name {
        "UnitCode" => UnitCode::PATTERN,
        "ProcedureCode" => ProcedureCode::PATTERN,
        "CaseCode" => CaseCode::PATTERN,
        "Sha256" => onestop_domain::case::event::SHA256_PATTERN,
        "Email" => onestop_domain::personal::EMAIL_PATTERN,
        "Assignee" => assignee_pattern(),
        "Cursor" => onestop_projections::queries::Cursor::PATTERN,
        "StepUnit" => step_unit_pattern(),
        "TimeOfDay" => crate::routes::fields::TIME_OF_DAY_PATTERN,
        "IfMatch" => crate::request::IF_MATCH_PATTERN,
        "IdempotencyKey" => crate::request::IDEMPOTENCY_KEY_PATTERN,
        "ReportPeriod" => onestop_domain::period::PERIOD_PATTERN,
        "PortalDossierId" => onestop_domain::case::event::PORTAL_DOSSIER_ID_PATTERN,
        _ => return None,
    })
}

/// `me`, or an officer's id (the work-queue filter).
fn assignee_pattern() -> &'static str {
    static PATTERN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| alternatives(&["^me$", UUID_PATTERN]))
}

/// A workflow step's unit: `receiving`, `handling` or a unit's code.
fn step_unit_pattern() -> &'static str {
    static PATTERN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| alternatives(&["^receiving$", "^handling$", onestop_domain::ids::UnitCode::PATTERN]))
}

/// One anchored pattern matching any of `patterns` (each anchored itself).
fn alternatives(patterns: &[&str]) -> String {
    let bodies: Vec<&str> = patterns.iter().map(|p| p.trim_start_matches('^').trim_end_matches('$')).collect();
    format!("^({})$", bodies.join("|"))
}

/// Text PostgreSQL can store: no NUL character (U+0000). Declared on every
/// string that has no stricter form, since the server refuses it everywhere.
const STORABLE_TEXT_PATTERN: &str = "^[^\\u0000]*$";

/// The hyphenated form of a UUID, the one the API writes.
const UUID_PATTERN: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Finishes the schemas the macros cannot say all of:
/// - every named `pattern` becomes its regular expression;
/// - a UUID (`format: uuid`) gets its pattern, so that a client checks its form
///   (formats are only hints in JSON Schema);
/// - any other string without a form of its own is declared free of NUL;
/// - header parameters are strings, never null (a header is sent or not).
fn resolve_patterns(document: &mut utoipa::openapi::OpenApi) {
    use serde_json::Value;

    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("format").and_then(Value::as_str) == Some("uuid") {
                    map.entry("pattern").or_insert_with(|| UUID_PATTERN.into());
                }
                let string = match map.get("type") {
                    Some(Value::String(kind)) => kind == "string",
                    Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "string"),
                    _ => false,
                };
                // A format of its own (a date, a UUID) already excludes NUL.
                let formatted = map.get("format").is_some_and(|format| format != "password");
                if string && !formatted && !map.contains_key("enum") {
                    map.entry("pattern").or_insert_with(|| STORABLE_TEXT_PATTERN.into());
                }
                let header = map.get("in").and_then(Value::as_str) == Some("header");
                for (key, item) in map.iter_mut() {
                    if key == "pattern" {
                        if let Some(resolved) = item.as_str().and_then(named_pattern) {
                            *item = resolved.into();
                        }
                    } else if header && key == "schema" {
                        if let Some(kind) = item.get_mut("type")
                            && kind.is_array()
                        {
                            *kind = "string".into();
                        }
                        walk(item);
                    } else {
                        walk(item);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::to_value(&*document) else {
        return;
    };
    walk(&mut value);
    if let Ok(resolved) = serde_json::from_value(value) {
        *document = resolved;
    }
}

/// Adds to every operation the problems any request of its kind may get, so
/// the document lists every status the server sends: 400 for a query, header
/// or body that does not parse, 401 without a valid token, 404 for a path
/// segment naming nothing, 409 when a write lost a race with another change to
/// the same record, 413 and 415 for bodies too large or not JSON, 422 for
/// fields out of bounds, 503 (with `Retry-After`) when the database cannot
/// answer in time. What a handler documents itself is kept.
pub fn document_common_answers(document: &mut utoipa::openapi::OpenApi) {
    resolve_patterns(document);
    link_case_operations(document);
    document_entity_tags(document);
    for (path, item) in document.paths.paths.iter_mut() {
        let templated = path.contains('{');
        let api = path.starts_with("/api/");
        let reads = item.get.iter_mut().map(|operation| (operation, false));
        let writes = [&mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
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
                ("400", body || query || templated, "The query string, a header or the body does not parse", false),
                ("401", secured, "No valid bearer token, or the account is disabled", false),
                ("404", templated, "No such resource", false),
                ("409", records, "Another change to the same record came first; read it again and retry", false),
                ("413", body, "The body is larger than the server accepts", false),
                ("415", body, "The body is not JSON", false),
                (
                    "422",
                    body || query || templated,
                    "Fields out of bounds, or text that cannot be stored (U+0000)",
                    false,
                ),
                ("503", api, "The database cannot answer in time; retry after the given seconds", true),
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

/// A problem answer: `description`, a [`crate::problem::Problem`] body, and a
/// `Retry-After` header when `retry`.
fn problem(description: &str, retry: bool) -> utoipa::openapi::Response {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, Type};
    let mut response = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
    );
    if retry {
        response = response
            .header("Retry-After", Header::new(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer)));
    }
    response.build()
}

/// Problem answers that many operations declare alike, named once for their
/// `#[utoipa::path(responses(...))]`; answers every operation of a kind has
/// are added by [`document_common_answers`] instead.
pub mod answers {
    use std::collections::BTreeMap;

    use utoipa::openapi::{RefOr, Response};

    macro_rules! answers {
        ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal;)*) => {$(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([($status.to_owned(), super::problem($description, false).into())])
                }
            }
        )*};
    }

    answers! {
        /// 403: the access policy refuses the caller.
        Forbidden = "403", "The caller's role or unit does not allow this";
        /// 404 of an operation on one resource.
        NotFound = "404", "No such resource";
        /// 406: none of the formats in `Accept` can be given.
        NotAcceptable = "406", "None of the media types in Accept can be given";
        /// 409: a rule of the domain (named in `rule`) refuses it.
        RuleViolation = "409", "A rule forbids it (the rule is named)";
        /// 409: a registry rule (a taken name or code) refuses it.
        Conflicts = "409", "It conflicts with what is already recorded";
        /// 422: a field out of its bounds.
        OutOfBounds = "422", "Fields out of bounds";
    }
}

/// A string schema with its description: the start of the hand-written schemas
/// whose values come from the domain (type names, code patterns).
pub(crate) fn text_schema(description: &str) -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String).description(Some(description))
}
