//! Sends the provincial feed to the national portal in its own protocol
//! (LGSP): for each chunk of at most ten case changes, in the feed's order,
//! `DongBoHoSoMC` with each case's record as that chunk leaves it
//! (`isUpdating` "False" the first time, "True" after, and "True" again when a
//! create is answered "already exists"), then `CapNhatTienDoHoSoMC` with the
//! chunk's progress entries.
//!
//! Exactly once, in order, across failures and restarts: the chunk is noted as
//! in flight before it is sent and as synced, with each case's state, once the
//! platform has answered it all. A refusal or an unreachable platform means
//! nothing happened: the chunk is sent again after a backoff (doubling from
//! `ONESTOP_PORTAL_RETRY_BASE_MS` up to ten minutes). An answer that never came
//! (a timeout, a dropped connection) or a process killed mid-chunk leaves the
//! chunk in flight: before anything of it is sent again, each of its cases is
//! looked up (`TraCuuHoSo`) and only the progress entries the portal does not
//! list are sent. An entry is known by its case, time, text, status and
//! officer; two entries equal in all of these within one chunk and its earlier
//! chunks would be told apart by count only.
//!
//! One sender works per database, holding an advisory lock; other processes
//! wait for it. A case is known to the portal by the portal's own dossier id
//! when it was filed there, else by its case code; a change of a case that has
//! neither yet (an online submission made elsewhere, not yet received) is not
//! sent: the portal has nothing to file it under.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use onestop_domain::case::CaseEvent;
use onestop_domain::case::event::DocumentOrigin;
use onestop_domain::ids::CaseId;
use onestop_projections::feed::{FeedRecord, read};
use onestop_projections::portal_sync::{self, CaseSynced};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::lgsp::{LgspClient, LgspSettings, PortalError};
use deadpool_postgres::Pool;
use onestop_commands::cases::CaseService;

use crate::dvcqg::served;

/// The advisory lock the one sender holds.
const SENDER_LOCK: i64 = 0x0051_7e5c_9a11_d0c5;

/// Progress entries per `CapNhatTienDoHoSoMC` call, as the platform takes them.
pub const CHUNK: usize = 10;

/// The portal sync's settings.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub lgsp: LgspSettings,
    /// First retry delay; doubles up to ten minutes.
    pub retry_base: Duration,
}

/// A case of a chunk: its code at the portal and what it has of the case.
#[derive(Debug, Clone)]
struct ChunkCase {
    case_id: Uuid,
    ma_ho_so: String,
    created: bool,
    /// The record as this chunk leaves it.
    record: Value,
    /// Its progress entries in this chunk, in order.
    entries: Vec<Value>,
    last_seq: i64,
}

/// What the sender reads: the feed and its own state, and the cases.
#[derive(Debug, Clone)]
pub struct Sources {
    pub pool: Pool,
    pub cases: CaseService,
}

/// Runs until the task is dropped.
pub async fn run(state: Sources, client: Arc<LgspClient>, settings: PortalSettings) {
    loop {
        match hold_lock_and_send(&state, &client, &settings).await {
            Ok(()) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(error) => {
                tracing::warn!(%error, "portal sync paused: the database failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Sends while this process holds the sender's lock; returns when another does.
async fn hold_lock_and_send(
    state: &Sources,
    client: &LgspClient,
    settings: &PortalSettings,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The lock lives as long as this connection's session, which is taken out
    // of the pool so that it closes (and the lock goes) when dropped.
    let connection = deadpool_postgres::Object::take(state.pool.get().await?);
    let held: bool = connection.query_one("SELECT pg_try_advisory_lock($1)", &[&SENDER_LOCK]).await?.get(0);
    if !held {
        return Ok(());
    }
    let mut backoff = settings.retry_base;
    loop {
        match send_next(state, client).await? {
            Sent::Nothing => tokio::time::sleep(Duration::from_millis(200)).await,
            Sent::Chunk(records) => {
                ::metrics::counter!("onestop_portal_records_synced_total").increment(records);
                backoff = settings.retry_base;
            }
            Sent::Failed(error) => {
                ::metrics::counter!("onestop_portal_sync_failures_total").increment(1);
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "portal sync failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(600));
            }
        }
        // Still ours? (A connection the database dropped has lost the lock.)
        connection.query_one("SELECT 1", &[]).await?;
    }
}

enum Sent {
    Nothing,
    Chunk(u64),
    Failed(PortalError),
}

/// Sends the chunk in flight, or the next one.
async fn send_next(state: &Sources, client: &LgspClient) -> Result<Sent, Box<dyn std::error::Error + Send + Sync>> {
    let sync = portal_sync::state(&state.pool).await?;
    let (after, last, in_flight) = match sync.in_flight {
        Some((first, last)) => (first - 1, Some(last), true),
        None => (sync.synced_through, None, false),
    };
    let mut records = read(&state.pool, after, CHUNK as i64).await?;
    if let Some(last) = last {
        records.retain(|r| r.seq <= last);
    }
    let Some(through) = records.last().map(|r| r.seq) else {
        return Ok(Sent::Nothing);
    };
    let cases = chunk_cases(state, &records).await?;
    if cases.is_empty() {
        portal_sync::record_synced(&state.pool, through, &[]).await?;
        return Ok(Sent::Chunk(0));
    }
    if !in_flight {
        portal_sync::mark_in_flight(&state.pool, records[0].seq, through).await?;
    }
    let outcome = send_chunk(client, cases.clone(), in_flight).await;
    match outcome {
        Ok(sent) => {
            let gained: Vec<CaseSynced> = sent
                .iter()
                .map(|(case, entries)| CaseSynced {
                    case_id: case.case_id,
                    ma_ho_so: case.ma_ho_so.clone(),
                    synced_seq: case.last_seq,
                    progress_entries: *entries,
                })
                .collect();
            portal_sync::record_synced(&state.pool, through, &gained).await?;
            Ok(Sent::Chunk(records.len() as u64))
        }
        Err(error) => {
            let ids: Vec<(Uuid, String)> = cases.iter().map(|c| (c.case_id, c.ma_ho_so.clone())).collect();
            portal_sync::record_failure(&state.pool, &ids, &error.to_string(), !error.uncertain()).await?;
            Ok(Sent::Failed(error))
        }
    }
}

/// The chunk's cases in the order of their first change, each with its code
/// at the portal, its record and its progress entries; changes of cases the
/// portal cannot know are left out.
async fn chunk_cases(
    state: &Sources,
    records: &[FeedRecord],
) -> Result<Vec<ChunkCase>, Box<dyn std::error::Error + Send + Sync>> {
    let mut ids: Vec<Uuid> = records.iter().map(|r| r.case_id).collect();
    ids.dedup();
    let known: HashMap<Uuid, portal_sync::CaseSync> =
        portal_sync::cases_by_id(&state.pool, &ids).await?.into_iter().map(|c| (c.case_id, c)).collect();
    let mut cases: Vec<ChunkCase> = Vec::new();
    let mut details: HashMap<Uuid, CaseDetails> = HashMap::new();
    for record in records {
        let detail = match details.entry(record.case_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(new) => new.insert(case_details(state, record.case_id).await?),
        };
        let ma_ho_so = match (known.get(&record.case_id), &detail.portal_id, record.record["MaHoSo"].as_str()) {
            (Some(known), _, _) => known.ma_ho_so.clone(),
            (None, Some(portal_id), _) => portal_id.clone(),
            (None, None, Some(code)) => code.to_owned(),
            (None, None, None) => continue,
        };
        let mut value = served(&state.cases, record).await;
        value["MaHoSo"] = Value::String(ma_ho_so.clone());
        let entry = progress_entry(&value);
        let record_value = dossier_record(value, detail);
        match cases.iter_mut().find(|c| c.case_id == record.case_id) {
            Some(case) => {
                case.record = record_value;
                case.entries.push(entry);
                case.last_seq = record.seq;
            }
            None => cases.push(ChunkCase {
                case_id: record.case_id,
                created: known.get(&record.case_id).is_some_and(|k| k.created),
                ma_ho_so,
                record: record_value,
                entries: vec![entry],
                last_seq: record.seq,
            }),
        }
    }
    Ok(cases)
}

/// What a record takes from the case's events beyond the feed's columns: the
/// QĐ 766-era facts.
#[derive(Debug, Default)]
struct CaseDetails {
    portal_id: Option<String>,
    identity_verified: bool,
    /// Documents handed in, with their origin where known.
    documents: Vec<(String, String, Option<DocumentOrigin>)>,
    /// Result documents: name, storage reference, number.
    results: Vec<(String, String, Option<String>)>,
    /// A fee or tax paid online through the portal.
    paid_online: bool,
}

async fn case_details(state: &Sources, id: Uuid) -> Result<CaseDetails, Box<dyn std::error::Error + Send + Sync>> {
    let mut details = CaseDetails::default();
    let Some(loaded) = state.cases.load(CaseId(id)).await? else { return Ok(details) };
    for (_, event) in &loaded.events {
        match event {
            CaseEvent::CaseSubmittedOnline(e) => {
                if let Some(portal) = &e.portal {
                    details.portal_id = Some(portal.dossier_id.clone());
                    details.identity_verified = portal.identity_verified;
                    for d in &portal.documents {
                        details.documents.push((
                            d.document.name.clone(),
                            d.document.storage_ref.clone(),
                            Some(d.origin),
                        ));
                    }
                }
            }
            CaseEvent::DocumentAttached(e) => {
                details.documents.push((e.document.name.clone(), e.document.storage_ref.clone(), e.origin));
            }
            CaseEvent::PaymentRecorded(e) => details.paid_online |= e.online,
            CaseEvent::ResultRecorded(e) => {
                if let Some(document) = &e.document {
                    details.results.push((document.name.clone(), document.storage_ref.clone(), e.result_code.clone()));
                }
            }
            _ => {}
        }
    }
    Ok(details)
}

/// The progress entry (CapNhatTienDoHoSoMC) of one feed record: the change as
/// the feed gives it; the step's start is the change's time and its deadline
/// the due date in force then.
fn progress_entry(record: &Value) -> Value {
    let step = &record["QuaTrinhXuLy"][0];
    json!({
        "MaHoSo": record["MaHoSo"],
        "NguoiXuLy": step["NguoiXuLy"],
        "ChucDanh": step["ChucDanh"],
        "ThoiDiemXuLy": step["ThoiDiemXuLy"],
        "PhongBanXuLy": step["PhongBanXuLy"],
        "NoiDungXuLy": step["NoiDungXuLy"],
        "TrangThai": record["TrangThaiHoSo"],
        "NgayBatDau": step["ThoiDiemXuLy"],
        "NgayKetThucTheoQuyDinh": record["NgayHenTra"],
    })
}

/// The dossier record (DongBoHoSoMC): the feed's record without its progress,
/// with the facts QĐ 766 counts where the case has them. Their names follow
/// the portal's integration guide as far as we could read it (TaiLieuNop,
/// DanhSachGiayToKetQua with MaGiayToKetQua); the flags on documents, the
/// account and the payment (`DuocSoHoa`, `DuocTaiSuDung`, `DuocLayTuCSDLQG`,
/// `DinhDanhVNeID`, `DuocThanhToanTrucTuyen`) are our reading of the 766-era
/// fields, not confirmed against the guide's text.
fn dossier_record(mut record: Value, details: &CaseDetails) -> Value {
    if let Some(object) = record.as_object_mut() {
        object.remove("QuaTrinhXuLy");
        let documents: Vec<Value> = details
            .documents
            .iter()
            .map(|(name, storage, origin)| {
                json!({
                    "TenTepDinhKem": name,
                    "DuongDanTaiTepTin": storage,
                    "DuocSoHoa": u8::from(origin.is_some()),
                    "DuocTaiSuDung": u8::from(origin.is_some_and(DocumentOrigin::is_reuse)),
                    "DuocLayTuCSDLQG": u8::from(origin == &Some(DocumentOrigin::FromNationalDatabase)),
                })
            })
            .collect();
        object.insert("TaiLieuNop".into(), Value::Array(documents));
        let results: Vec<Value> = details
            .results
            .iter()
            .map(|(name, storage, code)| json!({ "TenGiayTo": name, "MaGiayToKetQua": code, "DuongDanTepTinKetQua": storage }))
            .collect();
        object.insert("DanhSachGiayToKetQua".into(), Value::Array(results));
        object.insert("DinhDanhVNeID".into(), json!(u8::from(details.identity_verified)));
        object.insert("DuocThanhToanTrucTuyen".into(), json!(u8::from(details.paid_online)));
    }
    record
}

/// Sends a chunk; after an uncertain outcome (`recheck`), asks the portal what
/// it has first. Each case with the number of its progress entries the chunk
/// held.
async fn send_chunk(
    client: &LgspClient,
    mut cases: Vec<ChunkCase>,
    recheck: bool,
) -> Result<Vec<(ChunkCase, i32)>, PortalError> {
    // Every entry of the chunk is at the portal once this succeeds, whether
    // sent now or by the attempt whose answer never came.
    let totals: Vec<i32> = cases.iter().map(|c| i32::try_from(c.entries.len()).unwrap_or(i32::MAX)).collect();
    if recheck {
        for case in &mut cases {
            let (exists, listed) = look_up(client, &case.ma_ho_so).await?;
            case.created = exists;
            case.entries = missing(std::mem::take(&mut case.entries), listed);
        }
    }
    let (creates, updates): (Vec<&ChunkCase>, Vec<&ChunkCase>) = cases.iter().partition(|c| !c.created);
    if !creates.is_empty() {
        match dongbo(client, &creates, false).await {
            // The answer does not say which exists: each on its own, then.
            Err(error) if error.already_exists() && creates.len() > 1 => {
                for case in &creates {
                    match dongbo(client, &[case], false).await {
                        Err(error) if error.already_exists() => dongbo(client, &[case], true).await?,
                        other => other?,
                    };
                }
            }
            Err(error) if error.already_exists() => {
                dongbo(client, &creates, true).await?;
            }
            other => {
                other?;
            }
        }
    }
    if !updates.is_empty() {
        dongbo(client, &updates, true).await?;
    }
    let entries: Vec<Value> = cases.iter().flat_map(|c| c.entries.iter().cloned()).collect();
    if !entries.is_empty() {
        let mut fields = Map::new();
        fields.insert("data".into(), Value::Array(entries));
        client.call("CapNhatTienDoHoSoMC", fields).await?;
    }
    Ok(cases.into_iter().zip(totals).collect())
}

async fn dongbo(client: &LgspClient, cases: &[&ChunkCase], updating: bool) -> Result<Value, PortalError> {
    let mut fields = Map::new();
    fields.insert("isUpdating".into(), Value::String(if updating { "True" } else { "False" }.into()));
    fields.insert("data".into(), Value::Array(cases.iter().map(|c| c.record.clone()).collect()));
    client.call("DongBoHoSoMC", fields).await
}

/// Whether the portal has the dossier, and the progress entries it lists.
pub(crate) async fn look_up(client: &LgspClient, ma_ho_so: &str) -> Result<(bool, Vec<Value>), PortalError> {
    let (record, _) = look_up_record(client, ma_ho_so).await?;
    Ok(match record {
        Some(record) => (true, record["QuaTrinhXuLy"].as_array().cloned().unwrap_or_default()),
        None => (false, Vec::new()),
    })
}

/// The portal's record of a dossier (`TraCuuHoSo`), if it has one, and the answer.
pub(crate) async fn look_up_record(client: &LgspClient, ma_ho_so: &str) -> Result<(Option<Value>, Value), PortalError> {
    let mut fields = Map::new();
    fields.insert("mahoso".into(), Value::String(ma_ho_so.to_owned()));
    let answer = client.call("TraCuuHoSo", fields).await?;
    let record = answer["result"].as_array().and_then(|r| r.first()).cloned();
    Ok((record, answer))
}

/// What identifies a progress entry at the portal.
fn entry_key(entry: &Value) -> [String; 4] {
    ["ThoiDiemXuLy", "NoiDungXuLy", "TrangThai", "NguoiXuLy"].map(|k| entry[k].to_string())
}

/// The entries of `ours` the portal does not list, each listed one matching
/// at most one of ours.
fn missing(ours: Vec<Value>, listed: Vec<Value>) -> Vec<Value> {
    let mut available: HashMap<[String; 4], usize> = HashMap::new();
    for entry in &listed {
        *available.entry(entry_key(entry)).or_default() += 1;
    }
    ours.into_iter()
        .filter(|entry| match available.get_mut(&entry_key(entry)) {
            Some(count) if *count > 0 => {
                *count -= 1;
                false
            }
            _ => true,
        })
        .collect()
}
