//! The national portal's sync against a stand-in platform that fails as the
//! real one does: every case change reaches it once, in order, progress in
//! chunks of at most ten, through refusals, expired sessions, slow answers
//! and dropped connections; a create of a dossier it has becomes an update;
//! reconciliation finds what was changed behind our back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::BTreeMap;
use std::time::Duration;

use onestop_tests::fake_portal::{FakePortal, Fault};
use onestop_tests::*;
use serde_json::{Value, json};

/// Every feed record, grouped by MaHoSo at the portal, in order: the progress
/// the portal must end up with.
async fn expected_progress(app: &TestApp, portal_ids: &BTreeMap<String, String>) -> BTreeMap<String, Vec<[Value; 3]>> {
    let feed = app.token("feed").await;
    let mut after = 0;
    let mut expected: BTreeMap<String, Vec<[Value; 3]>> = BTreeMap::new();
    loop {
        let page = app.get_json(&feed, &format!("/api/v1/feed?after={after}&limit=1000")).await;
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return expected;
        }
        for item in &items {
            after = item["seq"].as_i64().unwrap();
            let record = &item["record"];
            let code = record["MaHoSo"].as_str().unwrap().to_owned();
            let code = portal_ids.get(&code).cloned().unwrap_or(code);
            let step = &record["QuaTrinhXuLy"][0];
            expected.entry(code).or_default().push([
                step["ThoiDiemXuLy"].clone(),
                step["NoiDungXuLy"].clone(),
                record["TrangThaiHoSo"].clone(),
            ]);
        }
    }
}

async fn wait_until_synced(app: &TestApp, admin: &str) -> Value {
    for _ in 0..600 {
        let state = app.get_json(admin, "/api/v1/portal/sync").await;
        if state["pending"] == 0 && state["in_flight"].is_null() && state["feed_head"].as_i64().unwrap() > 0 {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the portal sync did not catch up: {}", app.get_json(admin, "/api/v1/portal/sync").await);
}

#[tokio::test]
async fn every_change_reaches_the_portal_once_in_order_through_its_failures() {
    let portal = FakePortal::start().await;
    portal.expire_sessions_after(4);
    // The portal already has the dossier filed there (an earlier system synced it).
    portal.preload("G22.99-260302-000777");
    portal.inject([
        Fault::Refuse("99"),
        Fault::Slow(Duration::from_millis(900)),
        Fault::DropAfter,
        Fault::DropBefore,
        Fault::ExpireSessions,
        Fault::Refuse("500"),
        Fault::DropAfter,
    ]);
    let app =
        TestApp::spawn_custom(true, |s| s.portal = Some(portal_settings(&portal, Duration::from_millis(400)))).await;
    let [reception, specialist, admin, feed] = app.tokens(["reception", "specialist", "admin", "feed"]).await;

    // A dossier from the portal, accepted at the desk, and files received there.
    let delivered = app
        .post_json(
            &feed,
            "/api/v1/portal/dossiers",
            &json!({
                "dossier_id": "G22.99-260302-000777", "procedure_code": LAND_CHANGE, "unit": SERVICE_CENTRE,
                "channel": "online_partial", "submitted_at": "2026-03-02T01:00:00Z",
                "applicant": { "full_name": "Lê Văn Cường", "id_number": "001088001234" },
                "identity_verified": true,
                "documents": [{
                    "document": { "name": "CCCD.pdf", "media_type": "application/pdf", "size_bytes": 1000,
                                  "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                                  "storage_ref": "csdlqg://dan-cu/001088001234" },
                    "origin": "from_national_database"
                }]
            }),
        )
        .await;
    let portal_case = delivered["case_id"].as_str().unwrap().to_owned();
    let accepted = app.post_json(&reception, &format!("/api/v1/cases/{portal_case}/accept"), &json!({})).await;
    let mut portal_ids = BTreeMap::new();
    portal_ids.insert(accepted["code"].as_str().unwrap().to_owned(), "G22.99-260302-000777".to_owned());
    for i in 0..9 {
        let case = app.post_json(&reception, "/api/v1/cases", &land_case()).await;
        let id = case["id"].as_str().unwrap().to_owned();
        app.post_json(&reception, &format!("/api/v1/cases/{id}/transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
        if i % 2 == 0 {
            app.post_json(&specialist, &format!("/api/v1/cases/{id}/acknowledge-handover"), &json!({})).await;
            app.post_json(&specialist, &format!("/api/v1/cases/{id}/comments"), &json!({ "text": "Đã xem" })).await;
        }
    }
    let state = wait_until_synced(&app, &admin).await;
    assert!(state["feed_head"].as_i64().unwrap() >= 30, "{state}");
    assert_eq!(state["cases_failing"], 0, "{state}");

    // Every change once, in order, under the code the portal knows.
    let expected = expected_progress(&app, &portal_ids).await;
    let dossiers = portal.dossiers();
    assert_eq!(dossiers.len(), expected.len());
    for (code, entries) in &expected {
        let dossier = dossiers.get(code).unwrap_or_else(|| panic!("the portal has no {code}"));
        let got: Vec<[Value; 3]> = dossier
            .progress
            .iter()
            .map(|e| [e["ThoiDiemXuLy"].clone(), e["NoiDungXuLy"].clone(), e["TrangThai"].clone()])
            .collect();
        assert_eq!(&got, entries, "{code}");
        assert_eq!(dossier.record["MaHoSo"], code.as_str());
        assert!(dossier.record.get("QuaTrinhXuLy").is_none());
    }
    // The dossier filed at the portal kept its code there, with the 766-era facts.
    let from_portal = &dossiers["G22.99-260302-000777"];
    assert_eq!(from_portal.record["TrangThaiHoSo"], 2);
    assert_eq!(from_portal.record["MaTTHC"], LAND_CHANGE);
    assert_eq!(from_portal.record["DinhDanhVNeID"], 1);
    assert_eq!(from_portal.record["DuocThanhToanTrucTuyen"], 0);
    let component = &from_portal.record["TaiLieuNop"][0];
    assert_eq!(
        (&component["DuocSoHoa"], &component["DuocTaiSuDung"], &component["DuocLayTuCSDLQG"]),
        (&json!(1), &json!(1), &json!(1))
    );

    let calls = portal.calls();
    let progress: Vec<usize> = calls
        .iter()
        .filter(|c| c.service == "CapNhatTienDoHoSoMC")
        .map(|c| c.body["data"].as_array().unwrap().len())
        .collect();
    assert!(progress.iter().all(|n| (1..=10).contains(n)), "{progress:?}");
    assert!(progress.contains(&10), "no full chunk: {progress:?}");
    // Dates as the platform takes them, and a create answered "already exists" became an update.
    let first = &calls.iter().find(|c| c.service == "CapNhatTienDoHoSoMC" && c.applied).unwrap().body["data"][0];
    assert_eq!(first["ThoiDiemXuLy"].as_str().unwrap().len(), 14);
    assert!(calls.iter().any(|c| c.service == "DongBoHoSoMC"
        && c.body["isUpdating"] == "True"
        && c.body["data"].as_array().unwrap().iter().any(|r| r["MaHoSo"] == "G22.99-260302-000777")));
    assert!(portal.sign_ins() > 2, "sessions were not renewed: {}", portal.sign_ins());
    // Uncertain answers were asked about before anything was sent again.
    assert!(calls.iter().any(|c| c.service == "TraCuuHoSo"));

    // Per-case states for administrators.
    let cases = app.get_json(&admin, "/api/v1/portal/sync/cases?limit=1000").await;
    let items = cases["items"].as_array().unwrap();
    assert_eq!(items.len(), expected.len());
    for item in items {
        let code = item["ma_ho_so"].as_str().unwrap();
        assert_eq!(item["created"], true);
        assert_eq!(item["progress_entries"].as_u64().unwrap() as usize, expected[code].len(), "{item}");
        assert!(item["last_error"].is_null());
    }
    let (status, _) = problem(app.get(&reception, "/api/v1/portal/sync").await).await;
    assert_eq!(status, 403);

    // Reconciliation finds nothing, then what was planted at the portal.
    let clean = app.post_json(&admin, "/api/v1/portal/reconciliation", &json!({})).await;
    assert_eq!(clean["differences"], json!([]), "{clean}");
    assert_eq!(clean["checked"].as_u64().unwrap() as usize, expected.len());
    let planted = items[3]["ma_ho_so"].as_str().unwrap().to_owned();
    portal.tamper(&planted, "TrangThaiHoSo", json!(9));
    let found = app.post_json(&admin, "/api/v1/portal/reconciliation", &json!({ "limit": 1000 })).await;
    let differences = found["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{found}");
    assert_eq!(differences[0]["ma_ho_so"], planted.as_str());
    assert_eq!(differences[0]["field"], "TrangThaiHoSo");
    assert_eq!(differences[0]["portal"], 9);
    let case = app.get_json(&reception, &format!("/api/v1/cases/{}", items[3]["case_id"].as_str().unwrap())).await;
    assert_eq!(differences[0]["ours"], case["status"]);
}

#[tokio::test]
async fn reconciliation_without_a_configured_portal_is_refused_with_the_rule() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (status, body) = problem(app.post(&admin, "/api/v1/portal/reconciliation", &json!({})).await).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["rule"], "the portal sync is configured");
    let state = app.get_json(&admin, "/api/v1/portal/sync").await;
    assert_eq!(state["configured"], false);
}
