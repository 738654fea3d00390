//! Reconciliation: asks the portal (`TraCuuHoSo`) for each case it should
//! have and lists where its record differs from ours: status, dates,
//! procedure, and how many progress entries it lists against how many we
//! sent. A case with changes not yet sent is left for the next run: the
//! portal is behind, not wrong.

use onestop_projections::feed::dvc_time;
use onestop_projections::portal_sync::expected;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lgsp::{LgspClient, PortalError};
use super::sync::look_up_record;
use deadpool_postgres::Pool;

/// One field on which the portal's record is not ours.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Difference {
    pub case_id: Uuid,
    /// The code the portal knows the case by.
    pub ma_ho_so: String,
    /// The record's field (`TrangThaiHoSo`, `NgayHenTra`, …; `QuaTrinhXuLy`
    /// counts progress entries; `MaHoSo` means the portal has no such dossier).
    pub field: String,
    #[schema(value_type = Object)]
    pub ours: Value,
    #[schema(value_type = Object)]
    pub portal: Value,
}

/// What one run compared.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reconciliation {
    /// Cases looked up.
    pub checked: usize,
    /// Cases left for later: changes of theirs are still to be sent.
    pub pending: usize,
    pub differences: Vec<Difference>,
    /// Pass as `after` for the next page, when there may be one.
    pub next_after: Option<Uuid>,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Portal(#[from] PortalError),
    #[error(transparent)]
    Database(#[from] onestop_projections::ProjectionError),
}

/// Compares up to `limit` cases after `after` (in id order).
pub async fn reconcile(
    pool: &Pool,
    client: &LgspClient,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Reconciliation, ReconcileError> {
    let cases = expected(pool, after, limit).await?;
    let head = onestop_projections::portal_sync::state(pool).await?.synced_through;
    let mut report = Reconciliation {
        checked: 0,
        pending: 0,
        differences: Vec::new(),
        next_after: (cases.len() as i64 == limit).then(|| cases.last().map(|c| c.sync.case_id)).flatten(),
    };
    for case in &cases {
        // Every record up to the synced mark has been sent: later ones of the
        // case are still to go.
        if onestop_projections::feed::newer_than(pool, case.sync.case_id, head).await? {
            report.pending += 1;
            continue;
        }
        report.checked += 1;
        let differ = |field: &str, ours: Value, portal: Value| Difference {
            case_id: case.sync.case_id,
            ma_ho_so: case.sync.ma_ho_so.clone(),
            field: field.into(),
            ours,
            portal,
        };
        let (record, _) = look_up_record(client, &case.sync.ma_ho_so).await?;
        let Some(record) = record else {
            report.differences.push(differ("MaHoSo", json!(case.sync.ma_ho_so), Value::Null));
            continue;
        };
        let time = |at: Option<jiff::Timestamp>| at.map_or(Value::Null, |at| Value::String(dvc_time(at)));
        let fields = [
            ("MaTTHC", json!(case.procedure_code)),
            ("TrangThaiHoSo", json!(case.status)),
            ("NgayTiepNhan", time(case.received_at)),
            ("NgayHenTra", time(case.due_at)),
            ("NgayTra", time(case.returned_at)),
        ];
        for (field, ours) in fields {
            let theirs = record.get(field).cloned().unwrap_or(Value::Null);
            if !same(&ours, &theirs) {
                report.differences.push(differ(field, ours, theirs));
            }
        }
        let listed = record["QuaTrinhXuLy"].as_array().map_or(0, Vec::len);
        if listed != usize::try_from(case.sync.progress_entries).unwrap_or(0) {
            report.differences.push(differ("QuaTrinhXuLy", json!(case.sync.progress_entries), json!(listed)));
        }
    }
    Ok(report)
}

/// Equal as the portal compares: numbers and their text alike, absent and
/// empty alike.
fn same(ours: &Value, theirs: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text(ours) == text(theirs)
}
