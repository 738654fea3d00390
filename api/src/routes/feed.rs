//! `GET /feed`: the provincial feed by cursor, with each record's delivery state.

use actix_web::web::Query;
use actix_web::{HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::access;
use onestop_projections::feed::read;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};

#[derive(Debug, Deserialize, IntoParams)]
pub struct FeedQuery {
    /// The last `seq` already read (0 from the start).
    pub after: Option<i64>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Delivery to the configured endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub attempts: i32,
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    pub seq: i64,
    /// The DVCQG-shaped record (MaHoSo, MaTTHC, … QuaTrinhXuLy).
    #[schema(value_type = DvcqgRecord)]
    pub record: serde_json::Value,
    pub delivery: Delivery,
}

/// The record's shape as the national portal (Cổng DVCQG) takes it, built by
/// `onestop_projections::feed`; its times are `yyyyMMddHHmmss` in Vietnam's time.
/// Described here for the document only: the tests read every served record
/// with a client generated from it, so the two cannot drift apart.
#[derive(Debug, ToSchema)]
#[allow(non_snake_case, dead_code)]
pub struct DvcqgRecord {
    /// The case code (mã hồ sơ).
    #[schema(required = true)]
    MaHoSo: Option<String>,
    /// The procedure code (mã thủ tục hành chính).
    #[schema(required = true)]
    MaTTHC: Option<String>,
    /// The field code (mã lĩnh vực).
    #[schema(required = true)]
    MaLinhVuc: Option<String>,
    /// 1 in person, 2 online, 3 by post.
    #[schema(required = true, minimum = 1, maximum = 3)]
    KenhThucHien: Option<i32>,
    /// The applicant's masked name; null once their data was erased.
    #[schema(required = true)]
    ChuHoSo: Option<String>,
    #[schema(required = true, pattern = "^[0-9]{14}$")]
    NgayTiepNhan: Option<String>,
    #[schema(required = true, pattern = "^[0-9]{14}$")]
    NgayHenTra: Option<String>,
    /// The portal's status 1–10.
    #[schema(required = true, minimum = 1, maximum = 10)]
    TrangThaiHoSo: Option<i32>,
    #[schema(required = true, pattern = "^[0-9]{14}$")]
    NgayTra: Option<String>,
    /// The unit handling the case.
    #[schema(required = true)]
    DonViXuLy: Option<String>,
    /// The step this record reports.
    #[schema(min_items = 1, max_items = 1)]
    QuaTrinhXuLy: Vec<DvcqgProgress>,
}

/// One entry of the record's progress (quá trình xử lý).
#[derive(Debug, ToSchema)]
#[allow(non_snake_case, dead_code)]
pub struct DvcqgProgress {
    /// The officer (người xử lý).
    #[schema(required = true)]
    NguoiXuLy: Option<String>,
    /// Their title (chức danh).
    #[schema(required = true)]
    ChucDanh: Option<String>,
    #[schema(pattern = "^[0-9]{14}$")]
    ThoiDiemXuLy: String,
    /// The unit the officer acted for (phòng ban xử lý).
    #[schema(required = true)]
    PhongBanXuLy: Option<String>,
    /// What was done (nội dung xử lý).
    NoiDungXuLy: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Pass as `after` for the next page.
    pub next_after: i64,
}

/// Records after a cursor, oldest first (the feed role and administrators).
#[utoipa::path(tag = "feed", params(FeedQuery), responses((status = 200, description = "One page of feed records after the cursor", body = FeedPage), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/feed")]
pub async fn feed(state: State, auth: Authenticated, query: Query<FeedQuery>) -> Answer {
    access::feed(&auth.0, &state.catalog.snapshot().units)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::invalid_field("limit", "must be from 1 to 1000"));
    }
    let after = query.after.unwrap_or(0);
    crate::routes::fresh::caught_up_with(&state, onestop_projections::status::NAME).await?;
    let records = read(&state.pool, after, limit).await?;
    let mut items = Vec::with_capacity(records.len());
    for record in &records {
        items.push(FeedItem {
            seq: record.seq,
            record: crate::dvcqg::served(&state.cases, record).await,
            delivery: Delivery {
                attempts: record.attempts,
                delivered_at: record.delivered_at,
                last_error: record.last_error.clone(),
            },
        });
    }
    let next_after = records.last().map_or(after, |r| r.seq);
    Ok(HttpResponse::Ok().json(FeedPage { items, next_after }))
}
