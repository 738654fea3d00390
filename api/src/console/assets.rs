//! The console's stylesheet, compiled into the binary: no build step, nothing
//! fetched from the internet, cached by the browser under a versioned path.

use actix_web::http::header;
use actix_web::{HttpResponse, get};

const STYLESHEET: &str = include_str!("console.css");

/// Changes with the package version, so a new release is fetched afresh.
pub const STYLESHEET_PATH: &str = concat!("/assets/console-", env!("CARGO_PKG_VERSION"), ".css");

#[get("/assets/console-{version}.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(STYLESHEET)
}
