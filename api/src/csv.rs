//! CSV answers: who asks for them, and how a field is written (RFC 4180).

use actix_web::HttpRequest;
use actix_web::http::header;

/// Whether the client's `Accept` names `text/csv`.
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"))
}

/// A field, quoted when it holds a comma, a quote or a line break.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}
