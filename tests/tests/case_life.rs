//! A case's whole life over HTTP, with the clock moving through working days.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use jiff::{SignedDuration, Timestamp};
use onestop_tests::*;
use serde_json::{Value, json};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn local(value: &Value) -> String {
    let t: Timestamp = value.as_str().unwrap().parse().unwrap();
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7))).strftime("%a %Y-%m-%d %H:%M").to_string()
}

/// Sends a command with `If-Match`; returns the new ETag and the body.
async fn act(app: &TestApp, token: &str, case: &str, action: &str, etag: &str, body: Value) -> (String, Value) {
    let response = app
        .http
        .post(app.url(&format!("/api/v1/cases/{case}/{action}")))
        .bearer_auth(token)
        .header("If-Match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{action}: {body}");
    (etag, body)
}

#[tokio::test]
async fn a_land_case_from_receipt_to_return_with_a_supplement_shifting_the_due_date() {
    let app = TestApp::spawn().await;
    let [reception, specialist, approver] = app.tokens(["reception", "specialist", "approver"]).await;

    // Received Monday 2 March 2026, 09:00: ten working days → Monday 16 March 09:00.
    let created = app.post(&reception, "/api/v1/cases", &land_case()).await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(created.headers()["etag"], "\"1\"");
    let body: Value = created.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/cases/{id}"));
    assert_eq!(body["status"], 2);
    assert_eq!(body["code"], "000.00.01.H22-260302-0001");
    assert_eq!(body["lookup_secret"].as_str().unwrap().len(), 8);
    assert_eq!(local(&body["due_at"]), "Mon 2026-03-16 09:00");

    // Reading it gives the same version.
    let read = app.get(&reception, &location).await;
    assert_eq!(read.headers()["etag"], "\"1\"");

    app.clock.advance(SignedDuration::from_hours(1));
    let (etag, body) = act(
        &app,
        &reception,
        &id,
        "transfer",
        "\"1\"",
        json!({ "to_unit": LAND_REGISTRY, "note": "Chuyển Văn phòng Đăng ký đất đai" }),
    )
    .await;
    assert_eq!((etag.as_str(), body["status"].as_i64()), ("\"2\"", Some(4)));
    assert_eq!(body["handover_pending"], true);

    let (etag, _) = act(&app, &specialist, &id, "acknowledge-handover", &etag, json!({})).await;

    // Supplement requested Tuesday 10:00, received Thursday 10:00: the clock stood
    // for 15 working hours, so the due date moves two working days.
    app.clock.set(at("2026-03-03T10:00:00+07:00"));
    let (etag, body) = act(
        &app,
        &specialist,
        &id,
        "request-supplement",
        &etag,
        json!({ "reason": "Thiếu bản đồ địa chính", "documents": ["Bản đồ địa chính"] }),
    )
    .await;
    assert_eq!(body["status"], 5);
    app.clock.set(at("2026-03-05T10:00:00+07:00"));
    let (etag, body) =
        act(&app, &reception, &id, "receive-supplement", &etag, json!({ "documents": ["Bản đồ địa chính"] })).await;
    assert_eq!(body["status"], 4);
    assert_eq!(body["paused_minutes"], 15 * 60);
    assert_eq!(local(&body["due_at"]), "Wed 2026-03-18 09:00");
    assert_eq!(local(&body["original_due_at"]), "Mon 2026-03-16 09:00");

    let (etag, _) = act(
        &app,
        &specialist,
        &id,
        "appraisal",
        &etag,
        json!({ "opinion": "Hồ sơ đủ điều kiện", "proposal": "grant" }),
    )
    .await;
    let (etag, body) = act(&app, &specialist, &id, "submit-for-approval", &etag, json!({})).await;
    assert_eq!(body["awaiting_approval"], true);
    app.clock.set(at("2026-03-10T14:00:00+07:00"));
    let (etag, body) = act(&app, &approver, &id, "approve", &etag, json!({ "note": "Đồng ý" })).await;
    assert_eq!(body["approved"], true);
    let (etag, body) =
        act(&app, &approver, &id, "result", &etag, json!({ "summary": "Đã chỉnh lý biến động trên Giấy chứng nhận" }))
            .await;
    assert_eq!(body["status"], 9);
    assert_eq!(body["timeliness"], json!({ "state": "finished", "class": "early" }));
    app.clock.set(at("2026-03-11T09:00:00+07:00"));
    let (etag, body) = act(&app, &reception, &id, "return", &etag, json!({ "method": "at_desk" })).await;
    assert_eq!(body["status"], 10);
    assert_eq!(etag, "\"10\"");
    assert_eq!(app.count_case_events(&id).await, 10);

    // Every step kept its own deadline: reception, appraisal, approval, return.
    let steps = body["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt, ký kết quả", "Trả kết quả"]);
    assert!(steps.iter().all(|s| s["finished_at"].is_string()));
    assert_eq!(steps[0]["punctuality"], "on_time");
}

#[tokio::test]
async fn in_restart_mode_the_whole_processing_time_starts_again() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    // A land procedure whose clock restarts when the complete file arrives.
    let procedure = app.get(&admin, &format!("/api/v1/procedures/{LAND_CHANGE}")).await;
    let mut procedure: Value = procedure.json().await.unwrap();
    procedure["code"] = json!("1.999001");
    procedure["pause_mode"] = json!("restart");
    let published = app.post(&admin, "/api/v1/procedures", &procedure).await;
    assert_eq!(published.status(), 201, "{:?}", published.text().await);

    let [reception, specialist] = app.tokens(["reception", "specialist"]).await;
    let mut case = land_case();
    case["procedure_code"] = json!("1.999001");
    let created: Value = app.post(&reception, "/api/v1/cases", &case).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(local(&created["due_at"]), "Mon 2026-03-16 09:00");

    let (etag, _) = act(&app, &reception, &id, "transfer", "\"1\"", json!({ "to_unit": LAND_REGISTRY })).await;
    let (etag, _) = act(&app, &specialist, &id, "acknowledge-handover", &etag, json!({})).await;
    app.clock.set(at("2026-03-03T10:00:00+07:00"));
    let (etag, _) =
        act(&app, &specialist, &id, "request-supplement", &etag, json!({ "reason": "Thiếu giấy tờ" })).await;
    // The complete file arrives Monday 9 March at 14:00: ten working days from then.
    app.clock.set(at("2026-03-09T14:00:00+07:00"));
    let (_, body) = act(&app, &reception, &id, "receive-supplement", &etag, json!({})).await;
    assert_eq!(local(&body["due_at"]), "Mon 2026-03-23 14:00");
}
