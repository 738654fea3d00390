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

/// The forms `If-Match` takes: `*`, or one version in quotes (weak or not), or
/// the bare number (what a hand-written client sends).
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[0-9]{1,19}"|[0-9]{1,19})$"#;

/// What an `Idempotency-Key` may hold: 1 to 200 printable ASCII characters,
/// neither first nor last a space (HTTP drops those).
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]([ -~]{0,198}[!-~])?$";

/// `If-Match: "<version>"`, if sent. `*` means any version.
pub fn if_match(req: &HttpRequest) -> Result<Option<u64>, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let malformed = || Problem::malformed("If-Match must be a version in quotes, e.g. \"3\", or *");
    let text = value.to_str().map_err(|_| malformed())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let quoted = text.strip_prefix("W/").unwrap_or(text);
    let version = match quoted.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"'),
        None if quoted.len() == text.len() => Some(quoted),
        None => None,
    }
    .filter(|digits| (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
    .ok_or_else(malformed)?;
    version.parse::<u64>().map(Some).map_err(|_| malformed())
}

/// The `Idempotency-Key`, if sent.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, Problem> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.as_bytes();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.iter().all(|b| (b' '..=b'~').contains(b))
        || key.first() == Some(&b' ')
        || key.last() == Some(&b' ')
    {
        return Err(Problem::malformed("Idempotency-Key must be 1 to 200 printable ASCII characters"));
    }
    Ok(Some(String::from_utf8_lossy(key).into_owned()))
}

/// The facts recorded with every command.
pub fn meta(req: &HttpRequest) -> Result<RequestMeta, Problem> {
    let correlation_id =
        req.headers().get("x-correlation-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    // Separate statements: connection_info() borrows the extensions mutably.
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let client_ip = Some(crate::edge::client_address(req).to_string());
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
