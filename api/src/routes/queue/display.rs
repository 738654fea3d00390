//! `GET /display/{unit}`: the hall's display (màn hình gọi số) — number →
//! counter in large Vietnamese text, the last calls, a chime. One page with
//! its style and script inline and nothing fetched from elsewhere, so a TV
//! browser on the hall's network needs no internet; it follows
//! `/api/v1/units/{unit}/queue/calls` and reconnects by itself, resuming after
//! the last message it had.

use actix_web::web::Path;
use actix_web::{HttpResponse, get};
use onestop_projections::forms::escape;

use super::queue_unit;
use crate::routes::{Answer, State};

const PAGE: &str = include_str!("display.html");

/// The hall's display page of a unit's queue (HTML).
#[utoipa::path(tag = "queue", params(("unit" = String, Path, description = "The unit's code")), responses((status = 200, description = "The display page", content_type = "text/html", body = String), (status = 404, description = "No queue at this unit: a page in Vietnamese saying what to do", content_type = "text/html", body = String)))]
#[get("/display/{unit}")]
pub async fn hall_display(state: State, unit: Path<String>) -> Answer {
    let page = match queue_unit(&state, &unit) {
        Ok((code, catalog, _)) => {
            let name = catalog.unit(&code).map(|u| u.name.clone()).unwrap_or_default();
            PAGE.replace("{{unit_name}}", &escape(&name)).replace("{{unit}}", &escape(code.as_str()))
        }
        Err(_) => {
            return Ok(HttpResponse::NotFound().content_type("text/html; charset=utf-8").body(format!(
                "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Không tìm thấy</title>\
                 <body style=\"font-family:sans-serif;font-size:2em;padding:2em\"><h1>Không tìm thấy hàng đợi</h1>\
                 <p>Đơn vị {} chưa có hàng đợi bốc số. Kiểm tra lại địa chỉ màn hình, hoặc nhờ quản trị viên \
                 thiết lập nhóm dịch vụ và quầy cho đơn vị.</p></body></html>",
                escape(&unit)
            )));
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(page))
}
