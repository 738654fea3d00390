//! Feed records as they leave the server, in the DVCQG shape: the stored
//! record with `ChuHoSo` filled in from the applicant's sealed record (masked),
//! or empty once their data was erased. Served by `GET /feed`, pushed to the
//! provincial data centre and synced to the national portal alike.

use onestop_commands::cases::CaseService;
use onestop_domain::ids::ApplicantId;
use onestop_projections::feed::FeedRecord;
use serde_json::Value;

/// A record as served.
pub async fn served(cases: &CaseService, record: &FeedRecord) -> Value {
    let mut value = record.record.clone();
    let masked = match record.applicant_id {
        Some(id) => match cases.vault().open(ApplicantId(id)).await {
            Ok(Some(applicant)) => Some(applicant.masked_name()),
            _ => None,
        },
        None => None,
    };
    value["ChuHoSo"] = masked.map_or(Value::Null, Value::String);
    value
}
