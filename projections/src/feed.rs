//! The provincial feed (DESIGN §4.4): one record per case change in the shape
//! the National Public Service Portal (DVCQG) synchronises, readable by cursor
//! and pushed to a configured endpoint.
//!
//! Records are stored as typed columns and rendered to the DVCQG shape when
//! served: a replay writes rows, not JSON documents.

use deadpool_postgres::Pool;
use jiff::Timestamp;
use onestop_domain::catalog::Channel;
use onestop_domain::role::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::runner::ProjectionError;

/// DVCQG's timestamp form: `yyyyMMddHHmmss` in Vietnam's time.
pub fn dvc_time(at: Timestamp) -> String {
    onestop_domain::calendar::local(at).strftime("%Y%m%d%H%M%S").to_string()
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

// Each record with its delivery state, from the attempts that carried it. What
// a case keeps from receipt on (code, procedure, field, channel, applicant) comes
// from its case row: a record of a change made before the desk received an
// online filing therefore shows the code the file got at receipt.
const COLUMNS: &str = "c.seq, c.case_id, s.applicant_id, s.code, nullif(s.procedure_code, ''), \
     nullif(s.field_code, ''), nullif(s.channel, ''), c.received_at, c.due_at, c.status, c.returned_at, \
     coalesce(c.unit, c.acting_unit), c.acting_unit, c.actor_name, c.actor_role, c.at, c.action, \
     (SELECT count(*)::int4 FROM feed_attempts a WHERE c.seq BETWEEN a.first_seq AND a.last_seq), \
     (SELECT min(a.attempted_at) FROM feed_attempts a \
       WHERE a.delivered AND c.seq BETWEEN a.first_seq AND a.last_seq), \
     (SELECT a.error FROM feed_attempts a WHERE NOT a.delivered \
       AND c.seq BETWEEN a.first_seq AND a.last_seq ORDER BY a.attempted_at DESC LIMIT 1)";

const RECORDS: &str = "case_changes c LEFT JOIN case_status s ON s.case_id = c.case_id";

fn from_row(row: &tokio_postgres::Row) -> FeedRecord {
    let time = |i: usize| row.get::<_, Option<Timestamp>>(i).map(dvc_time);
    let role: Option<String> = row.get(14);
    let title = role.as_deref().and_then(|r| Role::ALL.into_iter().find(|x| x.as_str() == r)).map(Role::title_vi);
    let at: Timestamp = row.get(15);
    let action: String = row.get(16);
    let record = json!({
        "MaHoSo": row.get::<_, Option<String>>(3),
        "MaTTHC": row.get::<_, Option<String>>(4),
        "MaLinhVuc": row.get::<_, Option<String>>(5),
        "KenhThucHien": row
            .get::<_, Option<String>>(6)
            .and_then(|name| serde_json::from_value::<Channel>(Value::String(name)).ok())
            .map(channel_code),
        "ChuHoSo": Value::Null,
        "NgayTiepNhan": time(7),
        "NgayHenTra": time(8),
        "TrangThaiHoSo": row.get::<_, Option<i16>>(9),
        "NgayTra": time(10),
        "DonViXuLy": row.get::<_, Option<String>>(11),
        "QuaTrinhXuLy": [{
            "NguoiXuLy": row.get::<_, Option<String>>(13),
            "ChucDanh": title,
            "ThoiDiemXuLy": dvc_time(at),
            "PhongBanXuLy": row.get::<_, Option<String>>(12),
            "NoiDungXuLy": action,
        }],
    });
    FeedRecord {
        seq: row.get(0),
        case_id: row.get(1),
        applicant_id: row.get(2),
        record,
        attempts: row.get(17),
        delivered_at: row.get(18),
        last_error: row.get(19),
    }
}

/// Records after `after`, in order.
pub async fn read(pool: &Pool, after: i64, limit: i64) -> Result<Vec<FeedRecord>, ProjectionError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(&format!("SELECT {COLUMNS} FROM {RECORDS} WHERE c.seq > $1 ORDER BY c.seq LIMIT $2"))
        .await?;
    Ok(client.query(&statement, &[&after, &limit]).await?.iter().map(from_row).collect())
}

/// Whether the case has records after `seq` (read along the tail after it:
/// meant for the short unsent tail).
pub async fn newer_than(pool: &Pool, case_id: Uuid, seq: i64) -> Result<bool, ProjectionError> {
    let client = pool.get().await?;
    let statement =
        client.prepare_cached("SELECT EXISTS (SELECT 1 FROM case_changes WHERE seq > $1 AND case_id = $2)").await?;
    Ok(client.query_one(&statement, &[&seq, &case_id]).await?.get(0))
}

/// The last record's `seq` (0 when there is none).
pub async fn head(pool: &Pool) -> Result<i64, ProjectionError> {
    let client = pool.get().await?;
    Ok(client.query_one("SELECT coalesce(max(seq), 0) FROM case_changes", &[]).await?.get(0))
}

/// The oldest records not yet delivered, in order.
pub async fn undelivered(pool: &Pool, limit: i64) -> Result<Vec<FeedRecord>, ProjectionError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {RECORDS} \
             WHERE c.seq > (SELECT delivered_through FROM feed_delivery) ORDER BY c.seq LIMIT $1"
        ))
        .await?;
    Ok(client.query(&statement, &[&limit]).await?.iter().map(from_row).collect())
}

/// Records an attempt to deliver the records `first`..=`last`; a delivery moves
/// the delivered-through mark.
pub async fn record_attempt(
    pool: &Pool,
    first: i64,
    last: i64,
    outcome: Result<(), &str>,
) -> Result<(), ProjectionError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "INSERT INTO feed_attempts (first_seq, last_seq, delivered, error) VALUES ($1, $2, $3, $4)",
            &[&first, &last, &outcome.is_ok(), &outcome.err()],
        )
        .await?;
    if outcome.is_ok() {
        transaction
            .execute("UPDATE feed_delivery SET delivered_through = $1 WHERE delivered_through < $1", &[&last])
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// Everything up to this record has been delivered.
pub async fn delivered_through(pool: &Pool) -> Result<i64, ProjectionError> {
    let client = pool.get().await?;
    Ok(client.query_one("SELECT delivered_through FROM feed_delivery", &[]).await?.get(0))
}
