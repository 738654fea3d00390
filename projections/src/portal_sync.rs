//! The national portal sync's state (migration V13): how far the provincial
//! feed has reached the portal, the chunk whose outcome is not known, and each
//! case's state there, for the sender (`api/src/portal/`) and for
//! administrators.

use deadpool_postgres::Pool;
use jiff::Timestamp;
use uuid::Uuid;

use crate::runner::ProjectionError;

/// The sync as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// Every feed record up to this one has reached the portal (or needs not).
    pub synced_through: i64,
    /// Feed records sent without a definite answer.
    pub in_flight: Option<(i64, i64)>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

/// One case's state at the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSync {
    pub case_id: Uuid,
    /// The code the portal knows it by.
    pub ma_ho_so: String,
    /// Created there.
    pub created: bool,
    /// Its last feed record that reached the portal.
    pub synced_seq: i64,
    pub synced_at: Option<Timestamp>,
    /// Progress entries (CapNhatTienDoHoSoMC) the portal has of it.
    pub progress_entries: i32,
    /// Failed attempts since the last success.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

const CASE_COLUMNS: &str = "case_id, ma_ho_so, created, synced_seq, synced_at, progress_entries, attempts, \
                            last_error, last_error_at";

fn case_of(row: &tokio_postgres::Row) -> CaseSync {
    CaseSync {
        case_id: row.get(0),
        ma_ho_so: row.get(1),
        created: row.get(2),
        synced_seq: row.get(3),
        synced_at: row.get(4),
        progress_entries: row.get(5),
        attempts: row.get(6),
        last_error: row.get(7),
        last_error_at: row.get(8),
    }
}

/// The sync's state.
pub async fn state(pool: &Pool) -> Result<SyncState, ProjectionError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT synced_through, in_flight_first, in_flight_last, last_error, last_error_at FROM portal_sync",
            &[],
        )
        .await?;
    let in_flight = match (row.get::<_, Option<i64>>(1), row.get::<_, Option<i64>>(2)) {
        (Some(first), Some(last)) => Some((first, last)),
        _ => None,
    };
    Ok(SyncState { synced_through: row.get(0), in_flight, last_error: row.get(3), last_error_at: row.get(4) })
}

/// Notes that records `first`..=`last` are about to be sent.
pub async fn mark_in_flight(pool: &Pool, first: i64, last: i64) -> Result<(), ProjectionError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE portal_sync SET in_flight_first = $1, in_flight_last = $2, updated_at = now()",
            &[&first, &last],
        )
        .await?;
    Ok(())
}

/// What one case gained from a chunk that reached the portal.
#[derive(Debug, Clone)]
pub struct CaseSynced {
    pub case_id: Uuid,
    pub ma_ho_so: String,
    pub synced_seq: i64,
    pub progress_entries: i32,
}

/// Records that everything up to `through` reached the portal, with what each
/// case gained, in one transaction.
pub async fn record_synced(pool: &Pool, through: i64, cases: &[CaseSynced]) -> Result<(), ProjectionError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let statement = transaction
        .prepare_cached(
            "INSERT INTO portal_sync_cases (case_id, ma_ho_so, created, synced_seq, synced_at, progress_entries) \
             VALUES ($1, $2, true, $3, now(), $4) \
             ON CONFLICT (case_id) DO UPDATE SET created = true, \
               synced_seq = greatest(portal_sync_cases.synced_seq, excluded.synced_seq), synced_at = now(), \
               progress_entries = portal_sync_cases.progress_entries + excluded.progress_entries, \
               attempts = 0, last_error = NULL, last_error_at = NULL",
        )
        .await?;
    for case in cases {
        transaction
            .execute(&statement, &[&case.case_id, &case.ma_ho_so, &case.synced_seq, &case.progress_entries])
            .await?;
    }
    transaction
        .execute(
            "UPDATE portal_sync SET synced_through = greatest(synced_through, $1), in_flight_first = NULL, \
             in_flight_last = NULL, last_error = NULL, last_error_at = NULL, updated_at = now()",
            &[&through],
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Records a failed attempt for `cases` (id and code); `outcome_known` clears
/// the chunk in flight (the platform did nothing of it).
pub async fn record_failure(
    pool: &Pool,
    cases: &[(Uuid, String)],
    error: &str,
    outcome_known: bool,
) -> Result<(), ProjectionError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let statement = transaction
        .prepare_cached(
            "INSERT INTO portal_sync_cases (case_id, ma_ho_so, attempts, last_error, last_error_at) \
             VALUES ($1, $2, 1, $3, now()) \
             ON CONFLICT (case_id) DO UPDATE SET attempts = portal_sync_cases.attempts + 1, \
               last_error = excluded.last_error, last_error_at = now()",
        )
        .await?;
    for (case_id, ma_ho_so) in cases {
        transaction.execute(&statement, &[case_id, ma_ho_so, &error]).await?;
    }
    let clear = if outcome_known { ", in_flight_first = NULL, in_flight_last = NULL" } else { "" };
    transaction
        .execute(
            &format!("UPDATE portal_sync SET last_error = $1, last_error_at = now(), updated_at = now(){clear}"),
            &[&error],
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// The portal's state of some cases, by id.
pub async fn cases_by_id(pool: &Pool, ids: &[Uuid]) -> Result<Vec<CaseSync>, ProjectionError> {
    let client = pool.get().await?;
    let rows =
        client.query(&format!("SELECT {CASE_COLUMNS} FROM portal_sync_cases WHERE case_id = ANY($1)"), &[&ids]).await?;
    Ok(rows.iter().map(case_of).collect())
}

/// Cases in id order after `after`; only those whose last attempt failed
/// when `failing`.
pub async fn cases(
    pool: &Pool,
    failing: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CaseSync>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            &format!(
                "SELECT {CASE_COLUMNS} FROM portal_sync_cases \
                 WHERE ($1::uuid IS NULL OR case_id > $1) AND (NOT $2 OR last_error IS NOT NULL) \
                 ORDER BY case_id LIMIT $3"
            ),
            &[&after, &failing, &limit],
        )
        .await?;
    Ok(rows.iter().map(case_of).collect())
}

/// How many cases the portal has, and how many of them failed last.
pub async fn counts(pool: &Pool) -> Result<(i64, i64), ProjectionError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE last_error IS NOT NULL) \
             FROM portal_sync_cases",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// What we hold of a synced case, as the portal should have it.
#[derive(Debug, Clone)]
pub struct Expected {
    pub sync: CaseSync,
    pub procedure_code: String,
    /// TrangThaiHoSo now.
    pub status: i16,
    pub received_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub returned_at: Option<Timestamp>,
}

/// The cases created at the portal after `after` (in id order), with what
/// their rows say now.
pub async fn expected(pool: &Pool, after: Option<Uuid>, limit: i64) -> Result<Vec<Expected>, ProjectionError> {
    let client = pool.get().await?;
    let columns: Vec<String> = CASE_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect();
    let rows = client
        .query(
            &format!(
                "SELECT {}, s.procedure_code, s.status, s.received_at, s.due_at, s.returned_at \
                 FROM portal_sync_cases p JOIN case_status s USING (case_id) \
                 WHERE p.created AND ($1::uuid IS NULL OR p.case_id > $1) ORDER BY p.case_id LIMIT $2",
                columns.join(", ")
            ),
            &[&after, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Expected {
            sync: case_of(row),
            procedure_code: row.get(9),
            status: row.get(10),
            received_at: row.get(11),
            due_at: row.get(12),
            returned_at: row.get(13),
        })
        .collect())
}
