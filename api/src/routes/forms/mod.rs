//! The desk's forms (Thông tư 03/2025/TT-VPCP, Phụ lục I): a case's forms
//! 01–06 ([`case`]) and a unit's register, form 07 ([`register`]), as PDF or
//! printable HTML.
//!
//! The format is `?format=pdf|html` when given, else the best of `Accept`
//! (`application/pdf`, `text/html`; `*/*` or no `Accept` is PDF); anything
//! else is 406. Each document carries `Repr-Digest` (RFC 9530) with its
//! SHA-256, the hash an issued form is recorded with.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::header;
use base64::Engine as _;
use onestop_commands::catalog::Catalog;
use onestop_domain::case::forms::FormFormat;
use onestop_domain::ids::{UnitCode, UserId};
use onestop_projections::forms::{Issuer, Names};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::problem::Problem;

pub mod case;
pub mod register;

/// A form's format, as `?format=` names it.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormatParam {
    Pdf,
    Html,
}

impl From<FormatParam> for FormFormat {
    fn from(format: FormatParam) -> Self {
        match format {
            FormatParam::Pdf => FormFormat::Pdf,
            FormatParam::Html => FormFormat::Html,
        }
    }
}

/// The format asked for: `?format=`, else the client's `Accept`.
pub(crate) fn negotiate(req: &HttpRequest, asked: Option<FormatParam>) -> Result<FormFormat, Problem> {
    if let Some(format) = asked {
        return Ok(format.into());
    }
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(FormFormat::Pdf);
    };
    let mut best: Option<(f32, FormFormat)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/pdf" | "application/*" | "*/*" => FormFormat::Pdf,
            "text/html" | "text/*" => FormFormat::Html,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, format));
        }
    }
    best.map(|(_, format)| format).ok_or_else(|| {
        Problem::not_acceptable(format!(
            "forms are given as application/pdf or text/html, not {accept:?}; or ask with ?format=pdf|html"
        ))
    })
}

/// The hex SHA-256 of a document.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A document as the answer, with its digest.
pub(crate) fn document(bytes: Vec<u8>, format: FormFormat, file_name: &str) -> HttpResponse {
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    let disposition = match format {
        FormFormat::Pdf => format!("inline; filename=\"{file_name}.pdf\""),
        FormFormat::Html => format!("inline; filename=\"{file_name}.html\""),
    };
    HttpResponse::Ok()
        .content_type(onestop_projections::forms::media_type(format))
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::VARY, "Accept"))
        .body(bytes)
}

/// The names of units and officers, from the catalogue.
#[derive(Debug)]
pub(crate) struct CatalogNames<'a>(pub &'a Catalog);

impl Names for CatalogNames<'_> {
    fn unit(&self, code: &UnitCode) -> String {
        self.0.unit(code).map_or_else(|| code.to_string(), |u| u.name.clone())
    }

    fn officer(&self, id: UserId) -> Option<String> {
        self.0.account(&id).map(|a| a.user.full_name.clone())
    }
}

/// The issuing body of a form: `unit` under its parent.
pub(crate) fn issuer(catalog: &Catalog, unit: &UnitCode) -> Issuer {
    let found = catalog.unit(unit);
    Issuer {
        name: found.map_or_else(|| unit.to_string(), |u| u.name.clone()),
        parent: found.and_then(|u| u.parent.as_ref()).and_then(|p| catalog.unit(p)).map(|p| p.name.clone()),
    }
}
