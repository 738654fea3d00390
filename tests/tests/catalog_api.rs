//! The catalog over HTTP: units, the working calendar, procedures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;
use serde_json::{Value, json};

#[tokio::test]
async fn administrators_register_units_under_units_they_reach() {
    let app = TestApp::spawn().await;
    let [admin, reception] = app.tokens(["admin", "reception"]).await;
    let commune = json!({ "code": "000.26.09.H22", "name": "Ủy ban nhân dân xã Hòa Bình", "parent": PROVINCE });

    assert_eq!(app.post(&reception, "/api/v1/units", &commune).await.status(), 403);
    let created = app.post(&admin, "/api/v1/units", &commune).await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["office_hours"][0], json!({ "start": "07:30", "end": "11:30" }));
    assert_eq!(app.post(&admin, "/api/v1/units", &commune).await.status(), 409);

    // Reach is judged first, so a parent that does not exist is simply out of reach.
    let orphan = json!({ "code": "000.26.10.H22", "name": "Xã", "parent": "000.99.99.H22" });
    assert_eq!(app.post(&admin, "/api/v1/units", &orphan).await.status(), 403);
    assert_eq!(app.get(&admin, "/api/v1/units/000.26.10.H22").await.status(), 404);
    let malformed = json!({ "code": "26.10", "name": "Xã" });
    assert_eq!(app.post(&admin, "/api/v1/units", &malformed).await.status(), 422);

    let units: Value = app.get_json(&reception, "/api/v1/units").await;
    assert!(units.as_array().unwrap().iter().any(|u| u["code"] == "000.26.09.H22"));
    let one = app.get(&reception, "/api/v1/units/000.26.09.H22").await;
    assert_eq!(one.status(), 200);
    assert_eq!(app.get(&reception, "/api/v1/units/000.26.77.H22").await.status(), 404);
}

#[tokio::test]
async fn the_calendar_shows_the_rules_and_takes_a_years_arrangement() {
    let app = TestApp::spawn().await;
    let [admin, reception] = app.tokens(["admin", "reception"]).await;

    let year: Value = app.get_json(&reception, "/api/v1/calendar/2026").await;
    let days_off: Vec<&str> = year["days_off"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert!(days_off.contains(&"2026-04-27"), "Giỗ Tổ made up on Monday");
    assert!(days_off.contains(&"2026-02-16"));
    assert_eq!(year["weekend_days_worked"], json!(["2026-01-10", "2026-08-22"]));
    assert!(year["holidays"].as_array().unwrap().iter().any(|h| h["name"] == "Giỗ Tổ Hùng Vương"));

    // 2027: an arrangement with a swap.
    let arrangement = json!({
        "swaps": [{ "day_off": "2027-04-30", "saturday_worked": "2027-04-24" }]
    });
    let path = "/api/v1/calendar/2027";
    let put = |token: &str, body: &Value| app.http.put(app.url(path)).bearer_auth(token).json(body).send();
    assert_eq!(put(&reception, &arrangement).await.unwrap().status(), 403);
    let sunday = json!({ "swaps": [{ "day_off": "2027-04-29", "saturday_worked": "2027-04-25" }] });
    assert_eq!(put(&admin, &sunday).await.unwrap().status(), 422);
    assert_eq!(put(&admin, &arrangement).await.unwrap().status(), 200);
    let year: Value = app.get_json(&reception, path).await;
    assert!(year["weekend_days_worked"].as_array().unwrap().contains(&json!("2027-04-24")));
    assert_eq!(app.get(&reception, "/api/v1/calendar/1989").await.status(), 404);
}

#[tokio::test]
async fn procedures_are_versioned_and_cases_keep_theirs() {
    let app = TestApp::spawn().await;
    let [admin, reception] = app.tokens(["admin", "reception"]).await;
    let id = app.receive_land_case(&reception).await;

    let mut procedure: Value = app.get_json(&admin, &format!("/api/v1/procedures/{LAND_CHANGE}")).await;
    assert_eq!(procedure["version"], 1);
    procedure["processing_time"] = json!({ "amount": 15, "unit": "working_days" });
    let published: Value = app.post_json(&admin, "/api/v1/procedures", &procedure).await;
    assert_eq!(published["version"], 2);
    let old: Value = app.get_json(&admin, &format!("/api/v1/procedures/{LAND_CHANGE}?version=1")).await;
    assert_eq!(old["processing_time"]["amount"], 10);

    // The case received under version 1 still follows it.
    let case: Value = app.get_json(&reception, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["procedure_version"], 1);
    let next: Value = app.post_json(&reception, &format!("/api/v1/cases/{id}/comments"), &json!({ "text": "x" })).await;
    assert_eq!(next["procedure_version"], 1);
    // New cases take version 2.
    let new: Value = app.post_json(&reception, "/api/v1/cases", &land_case()).await;
    assert_eq!(new["procedure_version"], 2);

    // A procedure without a workflow is refused.
    let mut broken = procedure.clone();
    broken["workflow"] = json!([]);
    assert_eq!(app.post(&admin, "/api/v1/procedures", &broken).await.status(), 422);
}
