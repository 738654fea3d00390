//! The provincial feed's push worker against a receiver that fails at first, and
//! the audit trail's views.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use onestop_api::push::{PushSettings, signature};
use onestop_tests::*;
use serde_json::{Value, json};

/// What the receiver saw: (idempotency key, signature, body, answered with success).
type Calls = Arc<Mutex<Vec<(String, String, String, bool)>>>;

/// A receiver that fails its first `failures` calls with 503.
async fn receiver(failures: usize) -> (String, Calls) {
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let server = HttpServer::new(move || {
        let seen = seen.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let seen = seen.clone();
            async move {
                let header =
                    |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                let mut calls = seen.lock().unwrap();
                let ok = calls.len() >= failures;
                calls.push((
                    header("idempotency-key"),
                    header("x-onestop-signature"),
                    String::from_utf8(body.to_vec()).unwrap(),
                    ok,
                ));
                if ok { HttpResponse::Ok().finish() } else { HttpResponse::ServiceUnavailable().finish() }
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}/dvcqg"), calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_feed_record_is_delivered_through_failures_and_retries_keep_their_key() {
    let (url, calls) = receiver(3).await;
    let secret = "a feed secret shared with the provincial data centre";
    let app = TestApp::spawn_custom(true, |s| {
        s.feed_push =
            Some(PushSettings { url, secret: secret.into(), batch_size: 4, retry_base: Duration::from_millis(20) })
    })
    .await;
    let reception = app.token("reception").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = app.receive_land_case(&reception).await;
        ids.push(id.clone());
        app.post(&reception, &format!("/api/v1/cases/{id}/transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
        app.post(&reception, &format!("/api/v1/cases/{id}/comments"), &json!({ "text": "Ghi chú" })).await;
    }
    let client = app.database.superuser().await.unwrap();
    let events: i64 =
        client.query_one("SELECT count(*) FROM events WHERE stream_id LIKE 'case-%'", &[]).await.unwrap().get(0);
    assert_eq!(events, 9);
    let mut delivered = 0;
    for _ in 0..200 {
        delivered =
            client.query_one("SELECT delivered_through FROM feed_delivery", &[]).await.unwrap().get::<_, i64>(0);
        if delivered == events {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered, events, "every record delivered");

    let calls = calls.lock().unwrap().clone();
    assert!(calls.iter().filter(|c| !c.3).count() == 3);
    let mut bodies_by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut delivered_seqs = BTreeSet::new();
    for (key, sig, body, ok) in &calls {
        assert_eq!(sig, &signature(secret, body.as_bytes()), "signed");
        bodies_by_key.entry(key.clone()).or_default().insert(body.clone());
        let parsed: Value = serde_json::from_str(body).unwrap();
        for record in parsed["records"].as_array().unwrap() {
            if *ok {
                assert!(delivered_seqs.insert(record["seq"].as_i64().unwrap()), "delivered once");
            }
        }
    }
    // A retried batch is the very same batch under the very same key.
    assert!(bodies_by_key.values().all(|bodies| bodies.len() == 1));
    assert_eq!(delivered_seqs, (1..=events).collect());
    // Delivery state is visible.
    let feed_user = app.token("feed").await;
    let page: Value = app.get(&feed_user, "/api/v1/feed?after=0&limit=100").await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, events);
    assert!(items.iter().all(|i| i["delivery"]["delivered_at"].is_string()));
    assert!(items.iter().any(|i| i["delivery"]["attempts"].as_i64().unwrap() > 1));
    let first = &items[0]["record"];
    let case = app.get_json(&reception, &format!("/api/v1/cases/{}", ids[0])).await;
    assert_eq!(first["MaHoSo"], case["code"]);
    assert!(first["MaHoSo"].is_string());
    assert_eq!(first["MaLinhVuc"], case["field_code"]);
    assert!(first["MaLinhVuc"].is_string());
    assert_eq!(first["KenhThucHien"], 1, "in person");
    assert_eq!(first["TrangThaiHoSo"], 2);
    assert_eq!(first["MaTTHC"], LAND_CHANGE);
    assert_eq!(first["ChuHoSo"], "N***** V** A*");
    assert_eq!(first["QuaTrinhXuLy"][0]["ChucDanh"], "Cán bộ tiếp nhận");
}

#[tokio::test]
async fn the_audit_trail_tells_who_did_what_to_whoever_may_read_the_case_and_queries_only_to_auditors() {
    let app = TestApp::spawn().await;
    let [reception, specialist, inspector] = app.tokens(["reception", "specialist", "inspector"]).await;
    let id = app.receive_land_case(&reception).await;
    app.post(
        &reception,
        &format!("/api/v1/cases/{id}/transfer"),
        &json!({ "to_unit": LAND_REGISTRY, "note": "Chuyển thẩm định" }),
    )
    .await;
    app.post(&specialist, &format!("/api/v1/cases/{id}/acknowledge-handover"), &json!({})).await;
    app.post(&specialist, &format!("/api/v1/cases/{id}/request-supplement"), &json!({ "reason": "Thiếu bản đồ" }))
        .await;

    let history: Value = app.get(&inspector, &format!("/api/v1/cases/{id}/history")).await.json().await.unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[0]["role_title"], "Cán bộ tiếp nhận");
    assert_eq!(history[0]["actor_name"], "Nguyễn Thị Lan");
    assert!(history[0]["action"].as_str().unwrap().starts_with("Tiếp nhận hồ sơ"));
    assert_eq!(history[1]["reason"], "Chuyển thẩm định");
    assert_eq!(history[3]["unit"], LAND_REGISTRY);
    assert_eq!(history[3]["reason"], "Thiếu bản đồ");

    let events: Value = app.get(&inspector, &format!("/api/v1/cases/{id}/events")).await.json().await.unwrap();
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert!(events[0]["prev_hash"].is_null());
    assert_eq!(events[1]["prev_hash"], events[0]["hash"]);

    let slip: Value = app.get(&inspector, &format!("/api/v1/cases/{id}/control-slip")).await.json().await.unwrap();
    let lines = slip["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    // Handed on the day it was due: on time, by day.
    assert_eq!(lines[0]["result"], "đúng hạn");
    assert_eq!(lines[1]["giver"], "Nguyễn Thị Lan");
    assert_eq!(lines[1]["receiver"], "Trần Văn Minh");

    let verified: Value = app.get(&inspector, &format!("/api/v1/cases/{id}/verify")).await.json().await.unwrap();
    assert_eq!(verified["intact"], true);
    assert_eq!(verified["events"], 4);

    // The inspector's query: everything the specialist did.
    let users: Value = app.get(&app.token("admin").await, "/api/v1/users").await.json().await.unwrap();
    let specialist_id = users.as_array().unwrap().iter().find(|u| u["username"] == "specialist").unwrap()["id"].clone();
    let page: Value = app
        .get(&inspector, &format!("/api/v1/audit?actor={}", specialist_id.as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> =
        page["entries"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["HandoverAcknowledged", "SupplementRequested"]);

    // The officers on the case read its history and control slip (the slip
    // travels with the file); the raw events and the queries are the auditors'.
    assert_eq!(app.get(&reception, &format!("/api/v1/cases/{id}/history")).await.status(), 200);
    assert_eq!(app.get(&reception, &format!("/api/v1/cases/{id}/control-slip")).await.status(), 200);
    assert_eq!(app.get(&reception, &format!("/api/v1/cases/{id}/events")).await.status(), 403);
    assert_eq!(app.get(&reception, "/api/v1/audit").await.status(), 403);
    // An officer of another unit learns nothing of it.
    app.create_user("commune.officer", "reception", onestop_tests::COMMUNE_AN_BINH).await;
    let stranger = app.token("commune.officer").await;
    assert_eq!(app.get(&stranger, &format!("/api/v1/cases/{id}/history")).await.status(), 404);
}

#[tokio::test]
async fn the_feed_names_the_acting_officers_unit_for_transfers_results_and_withdrawals() {
    let app = TestApp::spawn().await;
    let [reception, specialist, approver] = app.tokens(["reception", "specialist", "approver"]).await;
    let act = |token: &str, id: &str, action: &str, body: Value| {
        let (token, path) = (token.to_owned(), format!("/api/v1/cases/{id}/{action}"));
        let app = &app;
        async move {
            let response = app.post(&token, &path, &body).await;
            assert_eq!(response.status(), 200, "{path}");
        }
    };

    // Handled to the end: the reception desk transfers, the land registry's
    // approver records the result (the file then goes back to the desk).
    let resolved = app.receive_land_case(&reception).await;
    act(&reception, &resolved, "transfer", json!({ "to_unit": LAND_REGISTRY })).await;
    act(&specialist, &resolved, "acknowledge-handover", json!({})).await;
    act(&specialist, &resolved, "appraisal", json!({ "opinion": "Hợp lệ", "proposal": "grant" })).await;
    act(&specialist, &resolved, "submit-for-approval", json!({})).await;
    act(&approver, &resolved, "approve", json!({})).await;
    act(&approver, &resolved, "result", json!({ "summary": "Đã cập nhật" })).await;
    // Withdrawn at the desk while the land registry holds the file.
    let withdrawn = app.receive_land_case(&reception).await;
    act(&reception, &withdrawn, "transfer", json!({ "to_unit": LAND_REGISTRY })).await;
    act(&specialist, &withdrawn, "acknowledge-handover", json!({})).await;
    act(&reception, &withdrawn, "withdraw", json!({ "reason": "Công dân xin rút" })).await;

    let feed = app.token("feed").await;
    let page: Value = app.get_json(&feed, "/api/v1/feed?after=0&limit=100").await;
    let code_of = |id: &str| {
        let app = &app;
        let reception = reception.clone();
        let path = format!("/api/v1/cases/{id}");
        async move { app.get_json(&reception, &path).await["code"].clone() }
    };
    let records = |code: Value| -> Vec<Value> {
        page["items"].as_array().unwrap().iter().map(|i| i["record"].clone()).filter(|r| r["MaHoSo"] == code).collect()
    };
    let progress = |r: &Value| r["QuaTrinhXuLy"][0]["PhongBanXuLy"].clone();

    let resolved = records(code_of(&resolved).await);
    assert_eq!(resolved.len(), 7);
    assert_eq!(progress(&resolved[1]), SERVICE_CENTRE, "the transfer, by the desk");
    assert_eq!(resolved[1]["DonViXuLy"], LAND_REGISTRY, "the file went on");
    assert_eq!(progress(&resolved[6]), LAND_REGISTRY, "the result, by the approver");
    assert_eq!(resolved[6]["TrangThaiHoSo"], 9);
    assert_eq!(resolved[6]["DonViXuLy"], SERVICE_CENTRE, "back at the desk to return");

    let withdrawn = records(code_of(&withdrawn).await);
    assert_eq!(withdrawn.len(), 4);
    assert_eq!(withdrawn[3]["TrangThaiHoSo"], 7);
    assert_eq!(progress(&withdrawn[3]), SERVICE_CENTRE, "the withdrawal, at the desk");
}
