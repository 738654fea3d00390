//! Crypto-shredding: once an applicant is erased, nothing the product serves or
//! exports shows who they were, and every hash chain still verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_api::demo::DEMO_PASSWORD;
use onestop_replay::as_of::{Moment, case_as_of};
use onestop_replay::export::{Format, PersonalData, export, personal_data_for};
use onestop_store::EventFilter;
use onestop_tests::*;
use serde_json::{Value, json};

const NAME: &str = "Trịnh Thị Bảo Ngọc";
const ID_NUMBER: &str = "079203004567";
const PHONE: &str = "0987654321";
const ADDRESS: &str = "Số 12 ngõ Hoa Sữa, phường Đông Tiến";
const EMAIL: &str = "bao.ngoc.trinh@example.vn";

/// Everything an officer, inspector, statistician, feed client or the public
/// can be served about the file, as text.
async fn served(app: &TestApp, id: &str, code: &str, secret: &str) -> Vec<(String, String)> {
    let [reception, inspector, feed, statistician] =
        app.tokens(["reception", "inspector", "feed", "statistician"]).await;
    let mut pages = Vec::new();
    for (token, path) in [
        (&reception, format!("/api/v1/cases/{id}")),
        (&reception, format!("/api/v1/cases/by-code/{code}")),
        (&reception, "/api/v1/cases?limit=200".to_owned()),
        (&reception, "/api/v1/cases?q=Ng%E1%BB%8Dc".to_owned()),
        (&inspector, format!("/api/v1/cases/{id}/history")),
        (&inspector, format!("/api/v1/cases/{id}/events")),
        (&inspector, format!("/api/v1/cases/{id}/control-slip")),
        (&inspector, format!("/api/v1/cases/{id}/verify")),
        (&inspector, "/api/v1/audit?limit=500".to_owned()),
        (&feed, "/api/v1/feed?limit=1000".to_owned()),
        (&statistician, "/api/v1/stats/report?from=2026-03-01&to=2026-03-31&group_by=unit".to_owned()),
    ] {
        let response = app.get(token, &path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        pages.push((path, response.text().await.unwrap()));
    }
    let lookup = format!("/api/v1/public/lookup?code={code}&secret={secret}");
    let response = app.http.get(app.url(&lookup)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    pages.push((lookup, response.text().await.unwrap()));
    pages
}

/// The whole log exported by an administrator who asked for personal data,
/// in the three formats, as text.
async fn exported(app: &TestApp) -> Vec<(String, String)> {
    let store = app.store().await;
    let personal = personal_data_for(&store, "admin", DEMO_PASSWORD).await.unwrap();
    assert!(matches!(personal, PersonalData::Included(_)));
    let mut outputs = Vec::new();
    for format in [Format::Ndjson, Format::Csv, Format::Parquet] {
        let mut out = Vec::new();
        export(&store, &EventFilter::default(), format, &personal, &mut out, |_| {}).await.unwrap();
        let text = match format {
            Format::Parquet => parquet_text(out),
            _ => String::from_utf8(out).unwrap(),
        };
        outputs.push((format!("export {format:?}"), text));
    }
    outputs
}

/// Every text cell of a Parquet file (its pages are compressed: the bytes
/// themselves would hide a name).
fn parquet_text(file: Vec<u8>) -> String {
    use arrow_array::{Array, StringArray};
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file))
        .unwrap()
        .build()
        .unwrap();
    let mut text = String::new();
    for batch in reader {
        let batch = batch.unwrap();
        for column in batch.columns() {
            if let Some(strings) = column.as_any().downcast_ref::<StringArray>() {
                for i in 0..strings.len() {
                    if strings.is_valid(i) {
                        text.push_str(strings.value(i));
                        text.push('\n');
                    }
                }
            }
        }
    }
    text
}

/// The outputs that show any of the applicant's data, and what they show.
fn leaks(outputs: &[(String, String)], masked: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (label, text) in outputs {
        for secret in [NAME, ID_NUMBER, PHONE, ADDRESS, EMAIL, masked] {
            if text.contains(secret) {
                found.push(format!("{label} shows {secret:?}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn an_erased_applicant_is_in_no_output_and_every_chain_still_verifies() {
    let app = TestApp::spawn().await;
    let [reception, specialist, admin] = app.tokens(["reception", "specialist", "admin"]).await;
    let mut case = land_case();
    case["applicant"] = json!({ "full_name": NAME, "id_number": ID_NUMBER, "phone": PHONE,
                                "address": ADDRESS, "email": EMAIL });
    let filed = app.post_json(&reception, "/api/v1/cases", &case).await;
    let id = filed["id"].as_str().unwrap().to_owned();
    let code = filed["code"].as_str().unwrap().to_owned();
    let secret = filed["lookup_secret"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/api/v1/cases/{id}/{action}");
    app.post_json(&reception, &path("transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
    app.post_json(&specialist, &path("acknowledge-handover"), &json!({})).await;
    app.post_json(&specialist, &path("comments"), &json!({ "text": "Đã xem" })).await;

    // Before: the feed shows the masked name and the administrator's export
    // the whole record — so the search below does find what is there.
    let feed = app.get_json(&app.token("feed").await, "/api/v1/feed").await;
    let masked = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["record"]["MaHoSo"] == code.as_str())
        .and_then(|item| item["record"]["ChuHoSo"].as_str())
        .unwrap()
        .to_owned();
    assert!(!masked.is_empty());
    let mut before = served(&app, &id, &code, &secret).await;
    before.extend(exported(&app).await);
    let shown = leaks(&before, &masked);
    for secret in [NAME, ID_NUMBER, PHONE, ADDRESS, EMAIL] {
        assert!(shown.iter().any(|l| l.contains(secret)), "{secret} not found before erasure: {shown:?}");
    }

    let applicant = app.applicant_of(&id).await;
    let erased = app.erase_applicant(&admin, &applicant).await;
    assert_eq!(erased.status(), 204);

    // After: nothing served, exported or replayed shows them.
    let mut after = served(&app, &id, &code, &secret).await;
    after.extend(exported(&app).await);
    let store = app.store().await;
    let last = store.last_committed().await.unwrap().unwrap();
    let as_of = case_as_of(&store, id.parse().unwrap(), Moment::Position(last.global_position)).await.unwrap().unwrap();
    after.push(("as-of".into(), serde_json::to_string(&as_of).unwrap()));
    let shown = leaks(&after, &masked);
    assert!(shown.is_empty(), "{shown:#?}");
    // The log itself never held them in plain text, in payloads or metadata.
    let client = app.database.superuser().await.unwrap();
    for secret in [NAME, ID_NUMBER, PHONE, ADDRESS, EMAIL] {
        let raw: i64 = client
            .query_one(
                "SELECT count(*) FROM events \
                 WHERE strpos(payload::text, $1) > 0 OR strpos(metadata::text, $1) > 0",
                &[&secret],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(raw, 0, "{secret} is in the log");
    }

    // Every chain verifies, erasure and all.
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    let verified: Value = app.get_json(&app.token("inspector").await, &format!("/api/v1/cases/{id}/verify")).await;
    assert_eq!(verified["intact"], true, "{verified}");
}
