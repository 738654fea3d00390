//! Holiday rules over HTTP: a new law's holiday added and ended as events, bad
//! rules refused naming the field, and due dates already issued left standing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;
use serde_json::{Value, json};

/// A holiday on 5 March from 2026 (Thursday 5 March 2026, within a land case's
/// ten working days from Monday 2 March).
fn new_holiday() -> Value {
    json!({
        "holiday": "ngay_thu_nghiem",
        "name": "Ngày lễ thử nghiệm",
        "calendar": "solar",
        "month": 3,
        "day": 5,
        "days": 1,
        "weekend_make_up": "next_working_day",
        "first_year": 2026,
        "source": "Nghị quyết thử nghiệm"
    })
}

#[tokio::test]
async fn a_new_holiday_counts_for_new_files_and_leaves_issued_due_dates_standing() {
    let app = TestApp::spawn().await;
    let [admin, reception] = app.tokens(["admin", "reception"]).await;

    let before = app.receive_land_case(&reception).await;
    let first: Value = app.get_json(&reception, &format!("/api/v1/cases/{before}")).await;

    assert_eq!(app.post(&reception, "/api/v1/holiday-rules", &new_holiday()).await.status(), 403);
    let created = app.post(&admin, "/api/v1/holiday-rules", &new_holiday()).await;
    assert_eq!(created.status(), 201);

    let year: Value = app.get_json(&reception, "/api/v1/calendar/2026").await;
    assert!(year["days_off"].as_array().unwrap().contains(&json!("2026-03-05")));
    assert!(
        year["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["date"] == "2026-03-05" && h["name"] == "Ngày lễ thử nghiệm")
    );

    // The receipt already printed keeps its date; a file received now gets a
    // day more.
    let again: Value = app.get_json(&reception, &format!("/api/v1/cases/{before}")).await;
    assert_eq!(again["due_at"], first["due_at"]);
    let after = app.receive_land_case(&reception).await;
    let later: Value = app.get_json(&reception, &format!("/api/v1/cases/{after}")).await;
    let due = |v: &Value| v["due_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert!(due(&later) > due(&first), "{later} vs {first}");

    // Ended after 2026: no longer a day off in 2027.
    let ended = app.post(&admin, "/api/v1/holiday-rules/ngay_thu_nghiem/2026/end", &json!({ "last_year": 2026 })).await;
    assert_eq!(ended.status(), 200);
    let ended: Value = ended.json().await.unwrap();
    assert_eq!(ended["last_year"], 2026);
    let year: Value = app.get_json(&reception, "/api/v1/calendar/2027").await;
    assert!(!year["days_off"].as_array().unwrap().contains(&json!("2027-03-05")));
    let rules: Value = app.get_json(&reception, "/api/v1/holiday-rules").await;
    assert!(
        rules.as_array().unwrap().iter().any(|r| r["holiday"] == "ngay_van_hoa_viet_nam" && r["first_year"] == 2026)
    );
}

#[tokio::test]
async fn impossible_or_overlapping_holiday_rules_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let events = app.count_all_events().await;

    let with = |changes: Value| {
        let mut rule = new_holiday();
        for (k, v) in changes.as_object().unwrap() {
            rule[k] = v.clone();
        }
        rule
    };
    let cases = [
        (json!({ "month": 2, "day": 30 }), "date"),
        (json!({ "month": 2, "day": 29 }), "date"),
        // Month 12 of the lunar year has 29 days in some years (2024 among them).
        (json!({ "calendar": "lunar", "month": 12, "day": 30, "first_year": 2024 }), "date"),
        (json!({ "holiday": "ngay_van_hoa_viet_nam", "first_year": 2030 }), "first_year"),
        (json!({ "first_year": 2030, "last_year": 2029 }), "last_year"),
        (json!({ "month": 13 }), "month"),
        (json!({ "holiday": "Có dấu" }), "holiday"),
    ];
    for (changes, field) in cases {
        let (status, body) = problem(app.post(&admin, "/api/v1/holiday-rules", &with(changes.clone())).await).await;
        assert_eq!(status, 422, "{changes}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{changes}: {body}");
    }
    let (status, _) =
        problem(app.post(&admin, "/api/v1/holiday-rules/khong_co/2026/end", &json!({ "last_year": 2027 })).await).await;
    assert_eq!(status, 404);
    assert_eq!(app.count_all_events().await, events, "nothing written");
}

#[tokio::test]
async fn a_birth_registration_is_due_the_day_it_counts_as_received() {
    let app = TestApp::spawn().await;
    app.create_user("reception.anbinh", "reception", COMMUNE_AN_BINH).await;
    let desk = app.token("reception.anbinh").await;
    let mut birth = land_case();
    birth["procedure_code"] = json!("1.001193");
    birth["unit"] = json!(COMMUNE_AN_BINH);
    let due_of = |received: &str| {
        let (app, desk, birth) = (&app, desk.clone(), birth.clone());
        let received: jiff::Timestamp = received.parse().unwrap();
        async move {
            app.clock.set(received);
            let created = app.post(&desk, "/api/v1/cases", &birth).await;
            assert_eq!(created.status(), 201);
            let case: Value = created.json().await.unwrap();
            let due: jiff::Timestamp = case["due_at"].as_str().unwrap().parse().unwrap();
            onestop_domain::calendar::local(due).to_string()
        }
    };
    // Monday 2 March 2026 at 09:00: due at the close of that day.
    assert_eq!(due_of("2026-03-02T09:00:00+07:00").await, "2026-03-02T17:00:00");
    // At 15:30, after the cutoff: the close of Tuesday.
    assert_eq!(due_of("2026-03-02T15:30:00+07:00").await, "2026-03-03T17:00:00");
    // Friday after the cutoff: Monday.
    assert_eq!(due_of("2026-03-06T15:30:00+07:00").await, "2026-03-09T17:00:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_overlapping_rules_sent_at_once_one_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    for round in 0..5_i16 {
        let rule = |first_year: i16| {
            let mut rule = new_holiday();
            rule["holiday"] = json!(format!("ngay_dong_thoi_{round}"));
            rule["first_year"] = json!(first_year);
            rule
        };
        let (a, b) = (rule(2030), rule(2031));
        let (first, second) =
            tokio::join!(app.post(&admin, "/api/v1/holiday-rules", &a), app.post(&admin, "/api/v1/holiday-rules", &b));
        let mut statuses = [first.status().as_u16(), second.status().as_u16()];
        statuses.sort_unstable();
        assert!(statuses == [201, 409] || statuses == [201, 422], "round {round}: {statuses:?}");
        let rules: Value = app.get_json(&admin, "/api/v1/holiday-rules").await;
        let recorded =
            rules.as_array().unwrap().iter().filter(|r| r["holiday"] == format!("ngay_dong_thoi_{round}")).count();
        assert_eq!(recorded, 1, "round {round}");
    }
}
