//! Per-request plumbing: a request id (taken from `X-Request-Id` or made up),
//! an access log line, and the request metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::request::RequestId;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps every request.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 100 && v.is_ascii())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let started = Instant::now();

    let mut response = next.call(req).await?;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(elapsed.as_secs_f64());
    tracing::info!(
        request_id = %id,
        %method,
        %route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

/// Refuses text PostgreSQL cannot store before any handler sees it: a NUL
/// character (`%00`) in a query parameter or in the path is a 422 naming the
/// parameter (or `path`), and nothing is read or written. Bodies' JSON strings
/// are checked where they are decoded.
pub async fn refuse_unstorable_text(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    let mut fields: Vec<String> = Vec::new();
    if percent_decoded(req.uri().path()).contains(&0) {
        fields.push("path".into());
    }
    for pair in req.query_string().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decoded(name);
        if name.contains(&0) || percent_decoded(value).contains(&0) {
            fields.push(String::from_utf8_lossy(&name).replace('\0', "\\u0000"));
        }
    }
    if fields.is_empty() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    fields.sort();
    fields.dedup();
    let problem = crate::problem::Problem::invalid_fields(
        fields
            .into_iter()
            .map(|field| crate::problem::FieldError {
                field,
                message: "must not contain the NUL character (U+0000)".into(),
            })
            .collect(),
    );
    Ok(req.error_response(problem))
}

/// The same for a JSON body: a string (or key) holding a NUL character is a
/// 422 naming its place (`applicant.full_name`, `documents.0`). The body is
/// read here, up to `limit` bytes (a longer one goes on to the extractor, which
/// refuses it with its 413), and handed on unchanged.
pub async fn refuse_unstorable_json(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    limit: usize,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    use futures_util::StreamExt as _;
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !json {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let mut payload = req.take_payload();
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > limit {
            break;
        }
    }
    let complete = body.len() <= limit;
    let body = body.freeze();
    // A NUL in a JSON string can only be written `\u0000`: bodies without that
    // text are not parsed here at all.
    let may_hold_nul = body.windows(6).any(|w| w == b"\\u0000");
    if complete
        && may_hold_nul
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(field) = nul_in(&value, "")
    {
        let problem = crate::problem::Problem::invalid_field(field, "must not contain the NUL character (U+0000)");
        return Ok(req.error_response(problem));
    }
    // serde_json refuses a lone surrogate with a 400 that names no field: find
    // it here, by reading the body with each one written as a NUL instead.
    if complete
        && let Some(marked) = lone_surrogates_marked(&body)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&marked)
        && let Some(field) = nul_in(&value, "")
    {
        let problem = crate::problem::Problem::invalid_field(
            field,
            "must not contain a lone surrogate (U+D800 to U+DFFF): it is not text",
        );
        return Ok(req.error_response(problem));
    }
    // JSON Schema counts 5.0 as an integer; serde does not: write such numbers
    // as integers before the extractor reads them.
    let body = match complete
        .then(|| integral_floats_as_integers(&body))
        .flatten()
        .filter(|rewritten| rewritten.len() <= limit)
    {
        Some(rewritten) => actix_web::web::Bytes::from(rewritten),
        None => body,
    };
    if complete {
        req.set_payload(actix_web::dev::Payload::from(body));
    } else {
        // Too long: the extractor sees the first part and the rest unread.
        let rest = payload;
        let first = futures_util::stream::once(async move { Ok(body) });
        let stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>> = Box::pin(first.chain(rest));
        req.set_payload(actix_web::dev::Payload::Stream { payload: stream });
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The body with every `\\uXXXX` escape of a lone surrogate replaced by
/// `\\u0000`, or `None` when it has none. A high surrogate followed by a low
/// one is a character and stays.
fn lone_surrogates_marked(body: &[u8]) -> Option<Vec<u8>> {
    fn escape_at(body: &[u8], i: usize) -> Option<u16> {
        let hex = body.get(i + 2..i + 6)?;
        (body.get(i) == Some(&b'\\') && body.get(i + 1) == Some(&b'u'))
            .then(|| u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
            .flatten()
    }
    if !body.windows(3).any(|w| w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D')) {
        return None;
    }
    let mut marked = body.to_vec();
    let mut found = false;
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(body, i) else {
            i += 2; // another escape: `\\"`, `\\\\`, `\\n`
            continue;
        };
        let high = (0xD800..0xDC00).contains(&unit);
        let low = (0xDC00..0xE000).contains(&unit);
        if high && escape_at(body, i + 6).is_some_and(|next| (0xDC00..0xE000).contains(&next)) {
            i += 12;
            continue;
        }
        if high || low {
            marked[i + 2..i + 6].copy_from_slice(b"0000");
            found = true;
        }
        i += 6;
    }
    found.then_some(marked)
}

/// The body with every number that has a fraction or an exponent but an
/// integral value (`5.0`, `2e3`, `1.50e2`) written as that integer, decided
/// from the digits as written (never through a float, which would round), or
/// `None` when there is none. Everything else is copied byte for byte. Numbers
/// past 20 digits are left for the extractor to refuse.
fn integral_floats_as_integers(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut changed = false;
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            out.push(byte);
            i += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
        } else if byte == b'-' || byte.is_ascii_digit() {
            let end = number_end(body, i);
            let token = &body[i..end];
            match integral_text(token) {
                Some(integer) => {
                    out.extend_from_slice(&integer);
                    changed = true;
                }
                None => out.extend_from_slice(token),
            }
            i = end;
            continue;
        }
        out.push(byte);
        i += 1;
    }
    changed.then_some(out)
}

/// Where the number starting at `start` ends (JSON's number grammar, leniently).
fn number_end(body: &[u8], start: usize) -> usize {
    let mut end = start + 1;
    while end < body.len() && matches!(body[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
        end += 1;
    }
    end
}

/// The integer a number's text stands for, if it has a fraction or exponent
/// and is integral; `None` for anything else (a plain integer included).
fn integral_text(token: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(token).ok()?;
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let plain = mantissa.len() == unsigned.len() && fraction.is_empty();
    if plain || whole.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    // The decimal point sits after `point` digits.
    let point = i64::try_from(whole.len()).ok()? + i64::from(exponent);
    let kept = usize::try_from(point.max(0)).ok()?;
    if kept > 20 {
        return None;
    }
    if digits.iter().skip(kept).any(|&d| d != b'0') {
        return None;
    }
    let mut integer: Vec<u8> = digits.iter().copied().take(kept).collect();
    integer.resize(kept, b'0');
    let first = integer.iter().position(|&d| d != b'0');
    let integer = match first {
        None => b"0".to_vec(),
        Some(at) => {
            let mut signed = if negative { b"-".to_vec() } else { Vec::new() };
            signed.extend_from_slice(&integer[at..]);
            signed
        }
    };
    Some(integer)
}

/// Where in `value` a NUL character is, as a dotted path.
fn nul_in(value: &serde_json::Value, at: &str) -> Option<String> {
    let join = |key: &str| {
        if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => {
            Some(if at.is_empty() { "body".into() } else { at.to_owned() })
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_in(item, &join(&i.to_string())))
        }
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') { Some(join(&key.replace('\0', "\\u0000"))) } else { nul_in(item, &join(key)) }
        }),
        _ => None,
    }
}

/// The bytes of a percent-encoded URL part (`+` is a space in a query).
fn percent_decoded(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).collect()
}

#[cfg(test)]
mod tests {
    use super::{integral_floats_as_integers, lone_surrogates_marked, percent_decoded};

    #[test]
    fn integral_floats_become_integers_and_nothing_else_changes() {
        assert_eq!(integral_floats_as_integers(br#"{"a":"5.0","b":5}"#), None);
        assert_eq!(
            integral_floats_as_integers(br#"{"score": 5.0, "n":[2e3,1.5,-3.00, 1.50E2]}"#).unwrap(),
            br#"{"score": 5, "n":[2000,1.5,-3, 150]}"#
        );
        assert_eq!(integral_floats_as_integers(br#"{"x":1.5}"#), None);
        assert_eq!(integral_floats_as_integers(br#"{"x":"a\"1.0"}"#), None);
        // Decided from the digits: a float would round these.
        assert_eq!(
            integral_floats_as_integers(br#"[9007199254740993.0,1.0000000000000001]"#).unwrap(),
            br#"[9007199254740993,1.0000000000000001]"#
        );
        assert_eq!(integral_floats_as_integers(br#"[1e16,-0.0,5e-1]"#).unwrap(), br#"[10000000000000000,0,5e-1]"#);
        // Past 20 digits: left as written.
        assert_eq!(integral_floats_as_integers(br#"[1e25]"#), None);
    }

    #[test]
    fn lone_surrogates_are_found_and_pairs_kept() {
        assert_eq!(lone_surrogates_marked(br#"{"a":"x"}"#), None);
        assert_eq!(lone_surrogates_marked(br#"{"a":"\ud83d\ude00"}"#), None);
        assert_eq!(lone_surrogates_marked(br#"{"a":"\ud83d!"}"#).unwrap(), br#"{"a":"\u0000!"}"#);
        assert_eq!(lone_surrogates_marked(br#"{"a":"\uDE00\ud800"}"#).unwrap(), br#"{"a":"\u0000\u0000"}"#);
        // An escaped backslash before `ud800` is text, not an escape.
        assert_eq!(lone_surrogates_marked(br#"{"a":"\\ud800"}"#), None);
    }

    #[test]
    fn percent_decoding_finds_an_encoded_nul() {
        assert_eq!(percent_decoded("a%00b"), b"a\0b");
        assert_eq!(percent_decoded("%41+%4"), b"A %4");
        assert_eq!(percent_decoded("%"), b"%");
        assert_eq!(percent_decoded("%0"), b"%0");
    }
}
