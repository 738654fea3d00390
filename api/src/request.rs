//! What handlers read from request headers: `If-Match`, `Idempotency-Key`, the
//! request id, the client address.

use actix_web::HttpRequest;
use actix_web::http::header;
use onestop_commands::metadata::RequestMeta;

use crate::problem::Problem;

/// Longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The request id set by the request-id middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// `If-Match: "<version>"`, if sent. `*` means any version.
pub fn if_match(req: &HttpRequest) -> Result<Option<u64>, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| Problem::malformed("If-Match must be ASCII"))?
        .trim();
    if text == "*" {
        return Ok(None);
    }
    let unquoted = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    unquoted
        .parse::<u64>()
        .map(Some)
        .map_err(|_| Problem::malformed("If-Match must be a version in quotes, e.g. \"3\""))
}

/// The `Idempotency-Key`, if sent.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, Problem> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| Problem::malformed("Idempotency-Key must be ASCII"))?
        .trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(Problem::malformed(
            "Idempotency-Key must be 1 to 200 characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// The facts recorded with every command.
pub fn meta(req: &HttpRequest) -> Result<RequestMeta, Problem> {
    let correlation_id = req
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    // Separate statements: connection_info() borrows the extensions mutably.
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let client_ip = req
        .connection_info()
        .realip_remote_addr()
        .map(str::to_owned);
    Ok(RequestMeta {
        request_id,
        client_ip,
        correlation_id,
        causation_id: None,
        idempotency_key: idempotency_key(req)?,
    })
}

/// An entity tag for a version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

use actix_web::HttpMessage as _;
