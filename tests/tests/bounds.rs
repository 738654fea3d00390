//! Resource bounds: what a client can ask of the server is limited, and a
//! database that cannot answer in time gives a 503 with `Retry-After`, never a
//! hang or a 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::time::Duration;

use onestop_tests::*;
use serde_json::json;

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let before = app.count_all_events().await;

    let mut case = land_case();
    case["applicant"]["full_name"] = json!("A".repeat(300 * 1024));
    let (status, body) = problem(app.post(&reception, "/api/v1/cases", &case).await).await;
    assert_eq!(status, 413);
    assert_eq!(body["type"], "urn:onestop:problem:payload-too-large");
    assert_eq!(app.count_all_events().await, before);
    // Just under the limit, the same request is judged on its fields.
    case["applicant"]["full_name"] = json!("A".repeat(200 * 1024));
    let (status, _) = problem(app.post(&reception, "/api/v1/cases", &case).await).await;
    assert_eq!(status, 422);
    assert_eq!(app.count_all_events().await, before);
}

#[tokio::test]
async fn page_sizes_are_bounded_on_every_list() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    for (path, largest) in [("/api/v1/cases", 200), ("/api/v1/feed", 1000), ("/api/v1/audit", 500)] {
        for limit in [0, largest + 1, 1_000_000] {
            let (status, body) = problem(app.get(&admin, &format!("{path}?limit={limit}")).await).await;
            assert_eq!(status, 422, "{path}?limit={limit}");
            assert_eq!(body["errors"][0]["field"], "limit");
        }
        let response = app.get(&admin, &format!("{path}?limit={largest}")).await;
        assert_eq!(response.status(), 200, "{path}?limit={largest}");
    }
    // Not a number at all: the query string is malformed.
    let (status, _) = problem(app.get(&admin, "/api/v1/cases?limit=lots").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_statement_past_its_timeout_is_503_and_frees_its_connection() {
    let app = TestApp::spawn_custom(true, |s| {
        s.statement_timeout = Duration::from_secs(1);
        s.pool_size = 2;
        s.run_projections = false;
    })
    .await;
    let [reception, leader] = app.tokens(["reception", "leader"]).await;

    // Reads and writes wait on locks a long transaction holds.
    let blocker = app.database.superuser().await.unwrap();
    blocker
        .batch_execute(
            "BEGIN; LOCK TABLE case_status IN ACCESS EXCLUSIVE MODE; \
             LOCK TABLE case_code_counters IN ACCESS EXCLUSIVE MODE",
        )
        .await
        .unwrap();
    for _ in 0..3 {
        let read = app.get(&leader, "/api/v1/cases").await;
        assert_eq!(read.headers()["retry-after"], "1");
        let (status, body) = problem(read).await;
        assert_eq!((status, body["type"].as_str()), (503, Some("urn:onestop:problem:service-unavailable")));
        let write = app.post(&reception, "/api/v1/cases", &land_case()).await;
        assert_eq!(write.headers()["retry-after"], "1");
        assert_eq!(problem(write).await.0, 503);
    }
    blocker.batch_execute("ROLLBACK").await.unwrap();
    // The cancelled statements gave their connections back: both pool slots
    // serve again.
    let id = app.receive_land_case(&reception).await;
    assert_eq!(app.get(&leader, &format!("/api/v1/cases/{id}")).await.status(), 200);
}
