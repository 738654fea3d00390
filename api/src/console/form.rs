//! A posted console form: its fields, accepted only with a matching CSRF
//! token ([`super::session`]) and never from another site.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::Failure;
use super::session::{CSRF_FIELD, SESSION_COOKIE, VISITOR_COOKIE, csrf_matches};

/// Largest form accepted.
const MAX_FORM: usize = 64 * 1024;

/// A form's fields in the order sent (a checklist sends one name many times).
#[derive(Debug, Clone, Default)]
pub struct Posted {
    fields: Vec<(String, String)>,
}

impl Posted {
    /// The field's value, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The field's value as typed (blank included), or empty.
    pub fn raw(&self, name: &str) -> &str {
        self.fields.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every non-blank value sent under this name.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// A text area's lines, trimmed, blank ones dropped.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.raw(name).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.text(name).is_some()
    }
}

impl FromRequest for Posted {
    type Error = Failure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Failure>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            // Browsers mark requests from other sites; those never count.
            let cross_site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
            if cross_site || !same_origin(&req) {
                return Err(Failure::Forgery);
            }
            let body = body.await.map_err(|_| Failure::bad_form("Không đọc được nội dung biểu mẫu."))?;
            if body.len() > MAX_FORM {
                return Err(Failure::bad_form("Biểu mẫu quá lớn."));
            }
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| Failure::bad_form("Biểu mẫu không đúng định dạng."))?;
            if fields.iter().any(|(n, v)| n.contains('\0') || v.contains('\0')) {
                return Err(Failure::bad_form("Biểu mẫu chứa ký tự không hợp lệ."));
            }
            let posted = Posted { fields };
            let given = posted.raw(CSRF_FIELD);
            let holder = req.cookie(SESSION_COOKIE).or_else(|| req.cookie(VISITOR_COOKIE));
            let session_ok = req.cookie(SESSION_COOKIE).is_some_and(|c| csrf_matches(c.value(), given));
            let visitor_ok = req.cookie(VISITOR_COOKIE).is_some_and(|c| csrf_matches(c.value(), given));
            if holder.is_none() || !(session_ok || visitor_ok) {
                return Err(Failure::Forgery);
            }
            Ok(posted)
        })
    }
}

/// No `Origin`, or one naming the host the request came to.
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = req.connection_info().host().to_owned();
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}
