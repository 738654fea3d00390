//! The provincial feed (DESIGN §4.4): one record per case change in the shape
//! the National Public Service Portal (DVCQG) synchronises, readable by cursor
//! and pushed to a configured endpoint.

use deadpool_postgres::Pool;
use jiff::Timestamp;
use onestop_domain::access::Role;
use onestop_domain::case::{CaseEvent, CaseState};
use onestop_domain::catalog::Channel;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::describe::action_vi;
use crate::runner::ProjectionError;

/// DVCQG's timestamp form: `yyyyMMddHHmmss` in Vietnam's time.
pub fn dvc_time(at: Timestamp) -> String {
    onestop_domain::calendar::local(at)
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

/// KenhThucHien: 1 in person, 2 online, 3 by post.
fn channel_code(channel: Option<Channel>) -> Option<u8> {
    channel.map(|c| match c {
        Channel::InPerson => 1,
        Channel::OnlineFull | Channel::OnlinePartial => 2,
        Channel::Post => 3,
    })
}

/// The record of one change, with the progress entry for that change.
/// `ChuHoSo` is left empty: it is filled in from the applicant's data when the
/// record is served.
pub fn record(
    state: &CaseState,
    event: &CaseEvent,
    unit: &str,
    role: Option<&str>,
    actor_name: Option<&str>,
) -> Value {
    let title = role
        .and_then(|r| Role::ALL.into_iter().find(|x| x.as_str() == r))
        .map(Role::title_vi);
    json!({
        "MaHoSo": state.code.as_ref().map(ToString::to_string),
        "MaTTHC": state.procedure.as_ref().map(|p| p.code.to_string()),
        "MaLinhVuc": state.field_code,
        "KenhThucHien": channel_code(state.channel),
        "ChuHoSo": Value::Null,
        "NgayTiepNhan": state.received_at.map(dvc_time),
        "NgayHenTra": state.due_at.map(dvc_time),
        "TrangThaiHoSo": state.status_code(),
        "NgayTra": state.returned_at.map(dvc_time),
        "DonViXuLy": state.current_unit().map(ToString::to_string),
        "QuaTrinhXuLy": [{
            "NguoiXuLy": actor_name,
            "ChucDanh": title,
            "ThoiDiemXuLy": dvc_time(event.at()),
            "PhongBanXuLy": unit,
            "NoiDungXuLy": action_vi(event),
        }],
    })
}

/// A record as stored, with its delivery state.
#[derive(Debug, Clone)]
pub struct FeedRecord {
    pub seq: i64,
    pub case_id: Uuid,
    pub applicant_id: Option<Uuid>,
    pub record: Value,
    pub attempts: i32,
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

fn from_row(row: &tokio_postgres::Row) -> FeedRecord {
    FeedRecord {
        seq: row.get(0),
        case_id: row.get(1),
        applicant_id: row.get(2),
        record: row.get(3),
        attempts: row.get(4),
        delivered_at: row.get(5),
        last_error: row.get(6),
    }
}

/// Records after `after`, in order.
pub async fn read(pool: &Pool, after: i64, limit: i64) -> Result<Vec<FeedRecord>, ProjectionError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT seq, case_id, applicant_id, record, attempts, delivered_at, last_error \
             FROM feed_records WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .await?;
    Ok(client
        .query(&statement, &[&after, &limit])
        .await?
        .iter()
        .map(from_row)
        .collect())
}

/// The oldest records not yet delivered, in order.
pub async fn undelivered(pool: &Pool, limit: i64) -> Result<Vec<FeedRecord>, ProjectionError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT seq, case_id, applicant_id, record, attempts, delivered_at, last_error \
             FROM feed_records WHERE delivered_at IS NULL ORDER BY seq LIMIT $1",
        )
        .await?;
    Ok(client
        .query(&statement, &[&limit])
        .await?
        .iter()
        .map(from_row)
        .collect())
}

/// Marks records delivered, or notes a failed attempt on them.
pub async fn mark(
    pool: &Pool,
    seqs: &[i64],
    outcome: Result<(), &str>,
) -> Result<(), ProjectionError> {
    let client = pool.get().await?;
    match outcome {
        Ok(()) => {
            client
                .execute(
                    "UPDATE feed_records SET delivered_at = now(), attempts = attempts + 1, \
                     last_error = NULL WHERE seq = ANY($1)",
                    &[&seqs],
                )
                .await?
        }
        Err(error) => {
            client
                .execute(
                    "UPDATE feed_records SET attempts = attempts + 1, last_error = $2 \
                     WHERE seq = ANY($1)",
                    &[&seqs, &error],
                )
                .await?
        }
    };
    Ok(())
}
