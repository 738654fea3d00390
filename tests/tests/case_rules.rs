//! Refusals, versions, retries, concurrency and access over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::BTreeSet;

use onestop_tests::*;
use serde_json::{Value, json};

#[tokio::test]
async fn each_refusal_is_a_409_naming_its_rule() {
    let app = TestApp::spawn().await;
    let [reception, specialist, approver] = app.tokens(["reception", "specialist", "approver"]).await;
    let id = app.receive_land_case(&reception).await;
    let path = |action: &str| format!("/api/v1/cases/{id}/{action}");

    // Appraisal while the file is still at the reception desk.
    let (status, body) =
        problem(app.post(&specialist, &path("appraisal"), &json!({ "opinion": "x", "proposal": "grant" })).await).await;
    // The specialist's unit does not hold the file yet: that is a scope refusal.
    assert_eq!((status, body["rule"].as_str()), (403, Some("outside_scope")));

    app.post(&reception, &path("transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
    let (status, body) =
        problem(app.post(&specialist, &path("appraisal"), &json!({ "opinion": "x", "proposal": "grant" })).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("handover_pending")));
    assert_eq!(body["detail"], "cannot record an appraisal: the previous handover has not been acknowledged");
    assert_eq!(body["type"], "urn:onestop:problem:rule-violation");

    app.post(&specialist, &path("acknowledge-handover"), &json!({})).await;
    let (status, body) = problem(app.post(&specialist, &path("submit-for-approval"), &json!({})).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("appraisal_missing")));
    let (status, body) = problem(app.post(&approver, &path("approve"), &json!({})).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("not_submitted_for_approval")));
    let (status, body) = problem(app.post(&approver, &path("result"), &json!({ "summary": "x" })).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("not_approved")));

    app.post(&specialist, &path("request-supplement"), &json!({ "reason": "Thiếu giấy tờ" })).await;
    let (status, body) =
        problem(app.post(&specialist, &path("transfer"), &json!({ "to_unit": LAND_REGISTRY })).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("invalid_state")));
    assert_eq!(body["detail"], "cannot transfer: case is waiting for supplement");
    let (status, body) = problem(app.post(&specialist, &path("resume"), &json!({})).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("invalid_state")));
    let (status, body) = problem(app.post(&reception, &path("return"), &json!({ "method": "at_desk" })).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("invalid_state")));
    let (status, body) = problem(app.post(&reception, &path("rating"), &json!({ "score": 5 })).await).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("invalid_state")));
    // Nothing refused was written: receipt, transfer, acknowledgement, supplement request.
    assert_eq!(app.count_case_events(&id).await, 4);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_writes_nothing() {
    let (app, reception, id) = TestApp::with_case("reception").await;
    let comment = |version: &str| {
        app.http
            .post(app.url(&format!("/api/v1/cases/{id}/comments")))
            .bearer_auth(&reception)
            .header("If-Match", version)
            .json(&json!({ "text": "Ghi chú" }))
            .send()
    };
    assert_eq!(comment("\"1\"").await.unwrap().status(), 200);
    let (status, body) = problem(comment("\"1\"").await.unwrap()).await;
    assert_eq!(status, 412);
    assert_eq!(body["type"], "urn:onestop:problem:precondition-failed");
    assert_eq!(app.count_case_events(&id).await, 2);
    let (status, _) = problem(comment("not-a-version").await.unwrap()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_retried_idempotency_key_returns_the_first_response_and_appends_once() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let keyed = |path: String, key: &'static str, body: Value| {
        app.http.post(app.url(&path)).bearer_auth(&reception).header("Idempotency-Key", key).json(&body).send()
    };

    // Filing: the retry gets the same case, code and secret, and no second case.
    let first = keyed("/api/v1/cases".into(), "file-1", land_case()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first_location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let retry = keyed("/api/v1/cases".into(), "file-1", land_case()).await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["location"], first_location);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry, first);
    let id = first["id"].as_str().unwrap().to_owned();
    let codes: i64 = app
        .database
        .superuser()
        .await
        .unwrap()
        .query_one("SELECT last_value::bigint FROM case_code_counters", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(codes, 1);

    // A command: same body back, one event.
    let path = format!("/api/v1/cases/{id}/comments");
    let first: Value = keyed(path.clone(), "note-1", json!({ "text": "Ghi chú" })).await.unwrap().json().await.unwrap();
    let again: Value = keyed(path.clone(), "note-1", json!({ "text": "Ghi chú" })).await.unwrap().json().await.unwrap();
    assert_eq!(first, again);
    assert_eq!(app.count_case_events(&id).await, 2);

    // The same key for a different request is refused.
    let (status, body) = problem(keyed(path, "note-1", json!({ "text": "Khác" })).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(body["type"], "urn:onestop:problem:idempotency-key-reused");
    assert_eq!(app.count_case_events(&id).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_receipts_get_fifty_consecutive_codes() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let request = app.http.post(app.url("/api/v1/cases")).bearer_auth(&reception).json(&land_case()).send();
        tasks.push(tokio::spawn(request));
    }
    let mut codes = BTreeSet::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        codes.insert(body["code"].as_str().unwrap().to_owned());
    }
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("000.00.01.H22-260302-{n:04}")).collect();
    assert_eq!(codes, expected);
}

#[tokio::test]
async fn officers_act_only_on_their_units_cases_and_tokens_are_required() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    // A reception officer of a commune.
    let created = app
        .post(
            &admin,
            "/api/v1/users",
            &json!({
                "username": "reception.anbinh",
                "full_name": "Đặng Văn Bình",
                "role": "reception",
                "units": [COMMUNE_AN_BINH],
                "password": "secret-1"
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let commune_reception = app.login("reception.anbinh", "secret-1").await.unwrap();

    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    let path = format!("/api/v1/cases/{id}/transfer");
    let (status, body) = problem(app.post(&commune_reception, &path, &json!({ "to_unit": LAND_REGISTRY })).await).await;
    assert_eq!(status, 403);
    assert_eq!(body["rule"], "outside_scope");
    // Nor may they read it: to them it does not exist.
    let (status, _) = problem(app.get(&commune_reception, &format!("/api/v1/cases/{id}")).await).await;
    assert_eq!(status, 404);
    // Filing at the centre is not theirs either.
    let (status, _) = problem(app.post(&commune_reception, "/api/v1/cases", &land_case()).await).await;
    assert_eq!(status, 403);

    // No token, a forged token, a wrong password.
    let (status, _) =
        problem(app.http.post(app.url(&path)).json(&json!({ "to_unit": LAND_REGISTRY })).send().await.unwrap()).await;
    assert_eq!(status, 401);
    let (status, _) = problem(app.post("not.a.token", &path, &json!({ "to_unit": LAND_REGISTRY })).await).await;
    assert_eq!(status, 401);
    assert_eq!(app.login("reception", "wrong").await, Err(reqwest::StatusCode::UNAUTHORIZED));

    // A disabled account's token stops working at once.
    let users: Value = app.get(&admin, "/api/v1/users").await.json().await.unwrap();
    let user = users.as_array().unwrap().iter().find(|u| u["username"] == "reception.anbinh").unwrap().clone();
    let mut disabled = user.clone();
    disabled["active"] = json!(false);
    let response = app.put(&admin, &format!("/api/v1/users/{}", user["id"].as_str().unwrap()), &disabled).await;
    assert_eq!(response.status(), 200);
    let (status, _) = problem(app.get(&commune_reception, "/api/v1/units").await).await;
    assert_eq!(status, 401);
    assert_eq!(app.login("reception.anbinh", "secret-1").await, Err(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(app.count_case_events(&id).await, 1);
}

#[tokio::test]
async fn malformed_json_is_400_and_invalid_fields_are_422_naming_them() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let raw = |path: &str, body: &'static str| {
        app.http
            .post(app.url(path))
            .bearer_auth(&reception)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, body) = problem(raw("/api/v1/cases", "{ not json").await.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], "urn:onestop:problem:malformed-request");

    let mut bad = land_case();
    bad["applicant"]["email"] = json!("not-an-email");
    bad["applicant"]["full_name"] = json!("");
    bad["unit"] = json!("");
    let (status, body) = problem(app.post(&reception, "/api/v1/cases", &bad).await).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["applicant.email", "applicant.full_name", "unit"]);

    // A missing field, a wrong type, an unknown enum value.
    let (status, body) = problem(raw("/api/v1/cases", r#"{"procedure_code": "1.004227"}"#).await.unwrap()).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("unit")));
    let mut wrong = land_case();
    wrong["channel"] = json!("pigeon");
    let (status, _) = problem(app.post(&reception, "/api/v1/cases", &wrong).await).await;
    assert_eq!(status, 422);
    // A malformed unit code, an unknown procedure, a case id that is not a UUID.
    let mut unknown = land_case();
    unknown["unit"] = json!("000.00.01");
    let (status, body) = problem(app.post(&reception, "/api/v1/cases", &unknown).await).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("unit")));
    let mut unknown = land_case();
    unknown["procedure_code"] = json!("9.999999");
    let (status, _) = problem(app.post(&reception, "/api/v1/cases", &unknown).await).await;
    assert_eq!(status, 404);
    let (status, _) = problem(app.get(&reception, "/api/v1/cases/not-a-uuid").await).await;
    assert_eq!(status, 404);

    // Command bodies are checked too.
    let id = app.receive_land_case(&reception).await;
    let (status, body) =
        problem(app.post(&reception, &format!("/api/v1/cases/{id}/comments"), &json!({ "text": "" })).await).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("text")));
    let (status, _) = problem(raw(&format!("/api/v1/cases/{id}/transfer"), r#"{"to_unit": "#).await.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(app.count_case_events(&id).await, 1);
}

#[tokio::test]
async fn erasing_an_applicant_destroys_their_data_and_keeps_history_verifiable() {
    let app = TestApp::spawn().await;
    let [reception, admin] = app.tokens(["reception", "admin"]).await;
    let id = app.receive_land_case(&reception).await;
    let applicant: uuid::Uuid = app.applicant_of(&id).await.parse().unwrap();
    // The applicant's name is nowhere in plain text in the log.
    let client = app.database.superuser().await.unwrap();
    let plain = app
        .number("SELECT count(*) FROM events WHERE payload::text LIKE '%Nguyễn Văn An%' OR payload::text LIKE '%001099012345%'")
        .await;
    assert_eq!(plain, 0);

    let (status, _) = problem(app.erase_applicant(&reception, &applicant.to_string()).await).await;
    assert_eq!(status, 403);
    let erased = app.erase_applicant(&admin, &applicant.to_string()).await;
    assert_eq!(erased.status(), 204);
    let key: Option<Vec<u8>> =
        client.query_one("SELECT key FROM applicant_keys WHERE applicant_id = $1", &[&applicant]).await.unwrap().get(0);
    assert!(key.is_none());
    let (status, _) = problem(app.erase_applicant(&admin, &applicant.to_string()).await).await;
    assert_eq!(status, 404);
}
