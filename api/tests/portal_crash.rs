//! The real `onestop` binary killed with SIGKILL while it syncs the national
//! portal, the platform's answers slow enough that the kill falls between a
//! call it applied and its answer; then started again. Every case change
//! reaches the portal exactly once, in order: the chunk the kill left in
//! flight is asked about (`TraCuuHoSo`) before anything of it is sent again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

#[path = "../../tests/src/fake_portal.rs"]
#[allow(dead_code)] // the faults and call details other tests use
mod fake_portal;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use fake_portal::{FakePortal, Fault};
use onestop_migrations::testing::TestDatabase;
use serde_json::json;
use support::{Server, until};

const CASES: usize = 25;

#[tokio::test]
async fn a_server_killed_mid_sync_sends_every_change_to_the_portal_once() {
    let portal = FakePortal::start().await;
    // Every call is applied, then answered 300 ms later: a kill lands in between.
    portal.inject((0..10_000).map(|_| Fault::Slow(Duration::from_millis(300))));
    let database = TestDatabase::create().await.unwrap();
    let mut server = Server::new(&database)
        .with_env("ONESTOP_PORTAL_SERVICE_URL", &portal.service_url)
        .with_env("ONESTOP_PORTAL_AUTH_URL", &portal.auth_url)
        .with_env("ONESTOP_PORTAL_USERNAME", fake_portal::USERNAME)
        .with_env("ONESTOP_PORTAL_PASSWORD", fake_portal::PASSWORD)
        .with_env("ONESTOP_PORTAL_UNIT", fake_portal::UNIT)
        .with_env("ONESTOP_PORTAL_TIMEOUT_MS", "5000")
        .with_env("ONESTOP_PORTAL_RETRY_BASE_MS", "50");
    let http = reqwest::Client::new();
    server.start();
    server.wait_ready(&http).await;
    let token = server.login(&http, "reception").await;
    for i in 0..CASES {
        let body = json!({
            "procedure_code": "1.004227", "unit": "000.00.01.H22", "channel": "in_person",
            "applicant": { "full_name": format!("Nguyễn Văn {i}"), "id_number": format!("0010990{i:05}") }
        });
        let case =
            Server::json(http.post(format!("{}/api/v1/cases", server.url)).bearer_auth(&token).json(&body)).await;
        let id = case["id"].as_str().unwrap();
        Server::json(
            http.post(format!("{}/api/v1/cases/{id}/transfer", server.url))
                .bearer_auth(&token)
                .json(&json!({ "to_unit": "000.12.01.H22" })),
        )
        .await;
    }

    let applied = |portal: &FakePortal| portal.dossiers().values().map(|d| d.progress.len()).sum::<usize>();
    until("the portal has some progress", 60, async || applied(&portal) >= 10).await;
    // Just after a call was applied: its answer is still 300 ms away.
    let before = portal.calls().len();
    until("another call is applied", 30, async || portal.calls().len() > before).await;
    server.kill();
    let taken = applied(&portal);
    assert!(taken < 2 * CASES, "the kill came mid-sync ({taken} of {} entries)", 2 * CASES);

    portal.clear_faults();
    server.start();
    server.wait_ready(&http).await;
    let client = database.superuser().await.unwrap();
    until("the sync has caught up", 90, async || {
        let row = client
            .query_one(
                "SELECT synced_through = (SELECT coalesce(max(seq), 0) FROM case_changes) \
                   AND in_flight_first IS NULL FROM portal_sync",
                &[],
            )
            .await
            .unwrap();
        row.get::<_, bool>(0)
    })
    .await;

    // Exactly once and in order: each dossier's progress is its case's changes.
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let rows = client
        .query("SELECT s.code, c.action FROM case_changes c JOIN case_status s USING (case_id) ORDER BY c.seq", &[])
        .await
        .unwrap();
    for row in &rows {
        expected.entry(row.get(0)).or_default().push(row.get(1));
    }
    assert_eq!(rows.len(), 2 * CASES);
    let dossiers = portal.dossiers();
    assert_eq!(dossiers.len(), CASES);
    for (code, actions) in &expected {
        let got: Vec<String> =
            dossiers[code].progress.iter().map(|e| e["NoiDungXuLy"].as_str().unwrap().to_owned()).collect();
        assert_eq!(&got, actions, "{code}");
    }
    assert!(portal.calls().iter().any(|c| c.service == "TraCuuHoSo"), "the chunk in flight was not asked about");
}
