//! Dossiers delivered by the national portal (`POST /portal/dossiers`): one
//! case per dossier however many deliveries race, the same answer to each,
//! other content under the same id refused, and the case then handled as any
//! online submission.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;
use serde_json::{Value, json};

fn dossier(id: &str) -> Value {
    json!({
        "dossier_id": id,
        "procedure_code": LAND_CHANGE,
        "unit": SERVICE_CENTRE,
        "channel": "online_partial",
        "submitted_at": "2026-03-01T14:05:00Z",
        "identity_verified": true,
        "applicant": {
            "full_name": "Trần Thị Bình",
            "id_number": "001199004321",
            "phone": "0987654321"
        },
        "documents": [
            {
                "document": {
                    "name": "Đơn đăng ký biến động.pdf", "media_type": "application/pdf", "size_bytes": 48213,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "storage_ref": format!("dvcqg://{id}/1")
                },
                "origin": "uploaded"
            },
            {
                "document": {
                    "name": "Giấy chứng nhận.pdf", "media_type": "application/pdf", "size_bytes": 120933,
                    "sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
                    "storage_ref": "kho://001199004321/gcn-2019"
                },
                "origin": "reused_from_data_store"
            }
        ]
    })
}

#[tokio::test]
async fn fifty_concurrent_deliveries_of_one_dossier_make_one_case_and_the_same_answer() {
    let app = TestApp::spawn().await;
    let feed = app.token("feed").await;
    let body = dossier("G22.99-260301-000123");
    let deliveries = (0..50).map(|_| {
        let (app, feed, body) = (&app, feed.clone(), body.clone());
        async move {
            let response = app.post(&feed, "/api/v1/portal/dossiers", &body).await;
            let status = response.status().as_u16();
            let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
            (status, location, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(deliveries).await;
    let (status, location, first) = answers[0].clone();
    assert_eq!(status, 201, "{first}");
    for answer in &answers {
        assert_eq!(answer, &(status, location.clone(), first.clone()));
    }
    assert_eq!(first["status"], 1);
    assert_eq!(first["dossier_id"], "G22.99-260301-000123");
    let case_id = first["case_id"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), Some(format!("/api/v1/cases/{case_id}").as_str()));

    // One case, with one event, waiting at reception as an online submission.
    let [reception, inspector] = app.tokens(["reception", "inspector"]).await;
    let events = app.get_json(&inspector, &format!("/api/v1/cases/{case_id}/events")).await;
    let events = events.as_array().or_else(|| events["events"].as_array()).unwrap().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    let submitted = app.get_json(&reception, "/api/v1/cases?status=1").await;
    let ids: Vec<&str> = submitted["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [case_id.as_str()]);
    let case = app.get_json(&reception, &format!("/api/v1/cases/{case_id}")).await;
    assert_eq!(case["status"], 1, "{case}");

    // The same content with its keys in another order and other spacing is the same delivery.
    let text = serde_json::to_string_pretty(&body).unwrap();
    let reordered: Value = serde_json::from_str(&text).unwrap();
    let again = app.post(&feed, "/api/v1/portal/dossiers", &reordered).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    // Reception accepts it as any online submission; a late redelivery still
    // gets the first answer and changes nothing.
    let accepted = app.post_json(&reception, &format!("/api/v1/cases/{case_id}/accept"), &json!({})).await;
    assert_eq!(accepted["status"], 2, "{accepted}");
    assert!(accepted["code"].as_str().unwrap().starts_with(SERVICE_CENTRE));
    let late = app.post(&feed, "/api/v1/portal/dossiers", &body).await;
    assert_eq!(late.status(), 201);
    assert_eq!(late.json::<Value>().await.unwrap(), first);
    let events = app.get_json(&inspector, &format!("/api/v1/cases/{case_id}/events")).await;
    let events = events.as_array().or_else(|| events["events"].as_array()).unwrap().clone();
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn other_content_under_a_delivered_id_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let feed = app.token("feed").await;
    let body = dossier("G22.99-260301-000124");
    let first = app.post(&feed, "/api/v1/portal/dossiers", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();

    let mut changed_document = body.clone();
    changed_document["documents"][0]["document"]["sha256"] =
        json!("0000000000000000000000000000000000000000000000000000000000000000");
    let mut changed_applicant = body.clone();
    changed_applicant["applicant"]["full_name"] = json!("Trần Thị Bình An");
    let mut changed_procedure = body.clone();
    changed_procedure["submitted_at"] = json!("2026-03-01T14:06:00Z");
    for changed in [changed_document, changed_applicant, changed_procedure] {
        let (status, problem) = problem(app.post(&feed, "/api/v1/portal/dossiers", &changed).await).await;
        assert_eq!(status, 409, "{problem}");
        assert!(problem["type"].as_str().unwrap().ends_with("portal-dossier-changed"), "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("G22.99-260301-000124"));
    }
    let case_id = first["case_id"].as_str().unwrap();
    let inspector = app.token("inspector").await;
    let events = app.get_json(&inspector, &format!("/api/v1/cases/{case_id}/events")).await;
    let events = events.as_array().or_else(|| events["events"].as_array()).unwrap().clone();
    assert_eq!(events.len(), 1);
    // The original content is still answered as before.
    let again = app.post(&feed, "/api/v1/portal/dossiers", &body).await;
    assert_eq!(again.json::<Value>().await.unwrap(), first);
}

#[tokio::test]
async fn only_the_platform_delivers_and_only_well_formed_online_dossiers() {
    let app = TestApp::spawn().await;
    let [feed, reception] = app.tokens(["feed", "reception"]).await;
    let body = dossier("G22.99-260301-000125");
    let (status, _) = problem(app.post(&reception, "/api/v1/portal/dossiers", &body).await).await;
    assert_eq!(status, 403);

    let mut at_desk = body.clone();
    at_desk["channel"] = json!("in_person");
    let mut bad_id = body.clone();
    bad_id["dossier_id"] = json!("-not an id");
    let mut bad_hash = body.clone();
    bad_hash["documents"][0]["document"]["sha256"] = json!("short");
    for (changed, field) in [(at_desk, "channel"), (bad_id, "dossier_id"), (bad_hash, "documents[0].document.sha256")] {
        let (status, problem) = problem(app.post(&feed, "/api/v1/portal/dossiers", &changed).await).await;
        assert_eq!(status, 422, "{problem}");
        let named = problem["errors"].as_array().unwrap().iter().any(|e| e["field"].as_str().unwrap().contains(field));
        assert!(named, "{field}: {problem}");
    }
    // A procedure not offered online is a rule, not a form error.
    let mut not_online = body.clone();
    not_online["procedure_code"] = json!("1.001612");
    let response = app.post(&feed, "/api/v1/portal/dossiers", &not_online).await;
    assert!(matches!(response.status().as_u16(), 404 | 409), "{}", response.status());
    // Nothing of these was filed.
    let submitted = app.get_json(&reception, "/api/v1/cases?status=1").await;
    assert_eq!(submitted["items"].as_array().unwrap().len(), 0);
}
