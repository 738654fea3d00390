//! The provincial feed (DESIGN §4.4): one record per case change in the shape
//! the National Public Service Portal (DVCQG) synchronises, readable by cursor
//! and pushed to a configured endpoint.
//!
//! Records are stored as typed columns and rendered to the DVCQG shape when
//! served: a replay writes rows, not JSON documents.

use deadpool_postgres::Pool;
use jiff::Timestamp;
use onestop_domain::access::Role;
use onestop_domain::catalog::Channel;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::runner::ProjectionError;

/// DVCQG's timestamp form: `yyyyMMddHHmmss` in Vietnam's time.
pub fn dvc_time(at: Timestamp) -> String {
    onestop_domain::calendar::local(at)
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

/// KenhThucHien: 1 in person, 2 online, 3 by post.
pub fn channel_code(channel: Channel) -> i16 {
    match channel {
        Channel::InPerson => 1,
        Channel::OnlineFull | Channel::OnlinePartial => 2,
        Channel::Post => 3,
    }
}

/// A record as stored, with its delivery state.
#[derive(Debug, Clone)]
pub struct FeedRecord {
    pub seq: i64,
    pub case_id: Uuid,
    pub applicant_id: Option<Uuid>,
    /// The DVCQG-shaped record, `ChuHoSo` still empty.
    pub record: Value,
    pub attempts: i32,
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "seq, case_id, applicant_id, code, procedure_code, field_code, channel, \
     received_at, due_at, status, returned_at, coalesce(unit, acting_unit), actor_name, \
     actor_role, at, action, attempts, delivered_at, last_error";

fn from_row(row: &tokio_postgres::Row) -> FeedRecord {
    let time = |i: usize| row.get::<_, Option<Timestamp>>(i).map(dvc_time);
    let role: Option<String> = row.get(13);
    let title = role
        .as_deref()
        .and_then(|r| Role::ALL.into_iter().find(|x| x.as_str() == r))
        .map(Role::title_vi);
    let at: Timestamp = row.get(14);
    let action: String = row.get(15);
    let record = json!({
        "MaHoSo": row.get::<_, Option<String>>(3),
        "MaTTHC": row.get::<_, Option<String>>(4),
        "MaLinhVuc": row.get::<_, Option<String>>(5),
        "KenhThucHien": row.get::<_, Option<i16>>(6),
        "ChuHoSo": Value::Null,
        "NgayTiepNhan": time(7),
        "NgayHenTra": time(8),
        "TrangThaiHoSo": row.get::<_, Option<i16>>(9),
        "NgayTra": time(10),
        "DonViXuLy": row.get::<_, Option<String>>(11),
        "QuaTrinhXuLy": [{
            "NguoiXuLy": row.get::<_, Option<String>>(12),
            "ChucDanh": title,
            "ThoiDiemXuLy": dvc_time(at),
            "PhongBanXuLy": row.get::<_, Option<String>>(11),
            "NoiDungXuLy": action,
        }],
    });
    FeedRecord {
        seq: row.get(0),
        case_id: row.get(1),
        applicant_id: row.get(2),
        record,
        attempts: row.get(16),
        delivered_at: row.get(17),
        last_error: row.get(18),
    }
}

/// Records after `after`, in order.
pub async fn read(pool: &Pool, after: i64, limit: i64) -> Result<Vec<FeedRecord>, ProjectionError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM case_changes WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
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
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM case_changes WHERE delivered_at IS NULL ORDER BY seq LIMIT $1"
        ))
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
                    "UPDATE case_changes SET delivered_at = now(), attempts = attempts + 1, \
                     last_error = NULL WHERE seq = ANY($1)",
                    &[&seqs],
                )
                .await?
        }
        Err(error) => {
            client
                .execute(
                    "UPDATE case_changes SET attempts = attempts + 1, last_error = $2 \
                     WHERE seq = ANY($1)",
                    &[&seqs, &error],
                )
                .await?
        }
    };
    Ok(())
}
