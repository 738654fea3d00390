//! Errors as RFC 9457 problem details (`application/problem+json`): a stable
//! `type`, a Vietnamese `title`, the `detail` in words, and the fields at fault.
//! A failure of the machinery is an opaque 500; its cause chain goes to the log.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use onestop_commands::CommandError;
use onestop_domain::case::DomainError;
use onestop_domain::registry::RegistryError;
use serde::Serialize;
use utoipa::ToSchema;

/// One field that is not acceptable.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem, e.g. `urn:onestop:problem:rule-violation`.
    #[serde(rename = "type", serialize_with = "problem_uri")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For rule violations: the rule, as a stable code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait before retrying, sent as `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

fn problem_uri<S: serde::Serializer>(slug: &&'static str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("urn:onestop:problem:{slug}"))
}

impl Problem {
    pub fn new(status: StatusCode, slug: &'static str, title: &'static str) -> Self {
        Self {
            kind: slug,
            title,
            status: status.as_u16(),
            detail: None,
            rule: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// The database could not be had in time: 503, retry in a second.
    pub fn unavailable() -> Self {
        let mut problem = Self::new(StatusCode::SERVICE_UNAVAILABLE, "service-unavailable", "Hệ thống đang bận")
            .detail("the service is busy or its database is unreachable; retry shortly");
        problem.retry_after = Some(1);
        problem
    }

    /// 429: too many requests; retry after `wait` (whole seconds, at least 1).
    pub fn too_many_requests(wait: std::time::Duration, detail: &str) -> Self {
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let mut problem = Self::new(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", "Quá nhiều yêu cầu")
            .detail(format!("{detail}; try again in {seconds} s"));
        problem.retry_after = Some(seconds);
        problem
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed-request", "Yêu cầu không đúng định dạng").detail(detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Chưa xác thực").detail(detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Không có quyền").detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Không tìm thấy").detail(detail)
    }

    /// None of the formats the client accepts can be given.
    /// 502: the national portal's platform failed us (the cause is in `detail`).
    pub fn portal_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "portal-failed", "Cổng DVCQG không trả lời được").detail(detail)
    }

    pub fn not_acceptable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, "not-acceptable", "Không có định dạng phù hợp").detail(detail)
    }

    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let mut problem = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-fields", "Dữ liệu không hợp lệ")
            .detail("Một số trường không hợp lệ; xem danh sách errors.");
        problem.errors = errors;
        problem
    }

    /// 422 naming one field and what is wrong with it.
    pub fn invalid_field(field: impl Into<String>, message: impl ToString) -> Self {
        Self::invalid_fields(vec![FieldError { field: field.into(), message: message.to_string() }])
    }

    /// 422: the `Idempotency-Key` came before with another request.
    pub fn idempotency_key_reused() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Khóa chống trùng đã dùng cho yêu cầu khác",
        )
        .detail("this Idempotency-Key was already used for a different request")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal-error", "Lỗi hệ thống")
            .detail("The server could not complete the request. It has been logged.")
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} urn:onestop:problem:{}", self.status, self.kind)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self)
    }
}

/// A stable rule code for a domain refusal: the variant's name in snake case.
fn rule_code(error: &DomainError) -> &'static str {
    match error {
        DomainError::CaseNotFound { .. } => "case_not_found",
        DomainError::CaseAlreadyExists { .. } => "case_already_exists",
        DomainError::InvalidState { .. } => "invalid_state",
        DomainError::RoleNotAllowed { .. } => "role_not_allowed",
        DomainError::OutsideScope { .. } => "outside_scope",
        DomainError::HandoverPending { .. } => "handover_pending",
        DomainError::NoHandoverPending => "no_handover_pending",
        DomainError::AppraisalMissing => "appraisal_missing",
        DomainError::NotSubmittedForApproval { .. } => "not_submitted_for_approval",
        DomainError::NotApproved => "not_approved",
        DomainError::AlreadyExtended => "already_extended",
        DomainError::ExtensionNotLater => "extension_not_later",
        DomainError::NoFurtherStep => "no_further_step",
        DomainError::WrongUnitForStep { .. } => "wrong_unit_for_step",
        DomainError::UnknownUnit { .. } => "unknown_unit",
        DomainError::ChannelNotOffered { .. } => "channel_not_offered",
        DomainError::ProcedureMismatch { .. } => "procedure_mismatch",
        DomainError::CodeNotIssued { .. } => "code_not_issued",
        DomainError::AlreadyRated => "already_rated",
        DomainError::InvalidField { .. } => "invalid_field",
    }
}

/// A refusal of the access policy: 403 saying who may, or a 404 that tells
/// nothing about what is outside the caller's grants.
impl From<onestop_domain::access::Denied> for Problem {
    fn from(denied: onestop_domain::access::Denied) -> Self {
        match denied {
            onestop_domain::access::Denied::Forbidden(why) => Problem::forbidden(why),
            onestop_domain::access::Denied::Hidden => {
                Problem::not_found("no such resource, or not within the caller's units")
            }
        }
    }
}

impl From<onestop_domain::case::forms::NotReached> for Problem {
    fn from(error: onestop_domain::case::forms::NotReached) -> Self {
        let mut problem =
            Problem::new(StatusCode::CONFLICT, "rule-violation", "Vi phạm quy tắc nghiệp vụ").detail(error.to_string());
        problem.rule = Some("form_not_reached");
        problem
    }
}

impl From<DomainError> for Problem {
    fn from(error: DomainError) -> Self {
        let detail = error.to_string();
        let mut problem = match &error {
            DomainError::RoleNotAllowed { .. } | DomainError::OutsideScope { .. } => Problem::forbidden(detail),
            DomainError::CaseNotFound { .. } => Problem::not_found(detail),
            DomainError::InvalidField { field, problem, .. } => {
                Problem::invalid_field((*field).replace(' ', "."), (*problem).to_owned()).detail(detail)
            }
            _ => Problem::new(StatusCode::CONFLICT, "rule-violation", "Vi phạm quy tắc nghiệp vụ").detail(detail),
        };
        problem.rule = Some(rule_code(&error));
        problem
    }
}

impl From<RegistryError> for Problem {
    fn from(error: RegistryError) -> Self {
        let detail = error.to_string();
        match error {
            RegistryError::UsernameTaken(_) | RegistryError::UnitExists(_) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Dữ liệu đã tồn tại").detail(detail)
            }
            RegistryError::HolidayRule(onestop_domain::calendar::HolidayRuleError::Missing { .. }) => {
                Problem::not_found(detail)
            }
            RegistryError::HolidayRule(rule) => {
                Problem::invalid_field(rule.field().to_owned(), detail.clone()).detail(detail)
            }
            _ => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-catalog-change",
                "Thay đổi danh mục không hợp lệ",
            )
            .detail(detail),
        }
    }
}

impl From<CommandError> for Problem {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Rejected(error) => error.into(),
            CommandError::Registry(error) => error.into(),
            CommandError::Queue(error) => {
                let mut problem = Problem::new(StatusCode::CONFLICT, "rule-violation", "Vi phạm quy tắc nghiệp vụ")
                    .detail(error.to_string());
                problem.rule = Some(error.rule());
                problem
            }
            CommandError::Booking(error) => {
                let mut problem = Problem::new(StatusCode::CONFLICT, "rule-violation", "Vi phạm quy tắc nghiệp vụ")
                    .detail(error.to_string());
                problem.rule = Some(error.rule());
                problem
            }
            CommandError::Forbidden(detail) => Problem::forbidden(detail),
            CommandError::NotFound { what, id } => Problem::not_found(format!("{what} {id} does not exist")),
            CommandError::PreconditionFailed { expected, actual } => {
                Problem::new(StatusCode::PRECONDITION_FAILED, "precondition-failed", "Phiên bản không khớp")
                    .detail(format!("If-Match names version {expected}, but the case is at version {actual}"))
            }
            CommandError::PortalDossierChanged { .. } => {
                let mut problem = Problem::new(
                    StatusCode::CONFLICT,
                    "portal-dossier-changed",
                    "Hồ sơ từ Cổng DVCQG đã nhận với nội dung khác",
                )
                .detail(error.to_string());
                problem.rule = Some("one content per portal dossier");
                problem
            }
            CommandError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "concurrent-change", "Hồ sơ vừa được thay đổi đồng thời")
                    .detail(detail)
            }
            CommandError::Invalid { field, reason } => Problem::invalid_field(field.to_owned(), reason),
            CommandError::CodesExhausted { .. } => {
                Problem::new(StatusCode::CONFLICT, "codes-exhausted", "Hết số hồ sơ trong ngày")
                    .detail(error.to_string())
            }
            CommandError::Unavailable(cause) => {
                tracing::warn!(
                    error = %onestop_store::error_chain(cause.as_ref()),
                    "database unavailable"
                );
                Problem::unavailable()
            }
            CommandError::Infrastructure(cause) => {
                log_failure(cause.as_ref());
                Problem::internal()
            }
        }
    }
}

/// Logs a failure with its whole cause chain.
pub fn log_failure(error: &(dyn std::error::Error + 'static)) {
    tracing::error!(error = %onestop_store::error_chain(error), "request failed");
}

/// JSON bodies that do not parse are 400; ones that parse but do not fit are 422.
pub fn json_error(error: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let problem = match &error {
        JsonPayloadError::Deserialize(inner) if inner.is_data() => {
            Problem::invalid_field(field_of(&inner.to_string()), inner.to_string())
        }
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Dữ liệu gửi lên quá lớn")
                .detail(error.to_string())
        }
        JsonPayloadError::ContentType => {
            Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Định dạng không được hỗ trợ")
                .detail("send the body as application/json")
        }
        _ => Problem::malformed(error.to_string()),
    };
    problem.into()
}

/// serde names the missing or unknown field in its message: `missing field `x``.
fn field_of(message: &str) -> String {
    message.split('`').nth(1).map(str::to_owned).unwrap_or_else(|| "body".into())
}

/// Any path the API does not have: a problem, like every other error.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    // A known path asked with another method: 405, naming the ones it takes.
    if let Some(allowed) = crate::methods::MethodTable::of_request(&req).and_then(|t| t.allowed(req.path())) {
        let mut response =
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Phương thức không được hỗ trợ")
                .detail(format!("{} takes {}, not {}", req.path(), allowed.join(", "), req.method()))
                .error_response();
        if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response;
    }
    Problem::not_found(format!("there is no {} {}", req.method(), req.path())).error_response()
}

/// Path segments that do not parse (a malformed id) are 404: no such resource.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    Problem::not_found(error.to_string()).into()
}

/// Query strings that do not parse are 400.
pub fn query_error(error: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    Problem::malformed(error.to_string()).into()
}

/// validator's errors as field errors.
pub fn from_validation(errors: validator::ValidationErrors) -> Problem {
    let mut fields: Vec<FieldError> = Vec::new();
    collect_validation(&errors, "", &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    Problem::invalid_fields(fields)
}

fn collect_validation(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(FieldError {
                        field: name.clone(),
                        message: e
                            .message
                            .as_ref()
                            .map(std::string::ToString::to_string)
                            .unwrap_or_else(|| e.code.to_string()),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_validation(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect_validation(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

/// A read model that could not be read: 503 when the database is out of
/// reach, an opaque 500 otherwise.
impl From<onestop_projections::ProjectionError> for Problem {
    fn from(error: onestop_projections::ProjectionError) -> Self {
        let unavailable = match &error {
            onestop_projections::ProjectionError::Pool(pool) => onestop_store::pool_unavailable(pool),
            onestop_projections::ProjectionError::Database(query) => onestop_store::is_unavailable(query),
            onestop_projections::ProjectionError::Store(onestop_store::StoreError::Database(database)) => {
                database.is_unavailable()
            }
            _ => false,
        };
        match &error {
            _ if unavailable => {
                tracing::warn!(error = %onestop_store::error_chain(&error), "database unavailable");
                Problem::unavailable()
            }
            _ => {
                log_failure(&error);
                Problem::internal()
            }
        }
    }
}
