//! Text PostgreSQL cannot store (the NUL character) is refused with a 422
//! naming the parameter wherever it can enter a URL, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;

#[tokio::test]
async fn a_nul_in_any_text_query_parameter_or_the_path_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let [reception, inspector, statistician, feed] =
        app.tokens(["reception", "inspector", "statistician", "feed"]).await;
    let id = app.receive_land_case(&reception).await;
    let events = app.count_all_events().await;

    let queries: &[(&str, &str, &str)] = &[
        (&reception, "/api/v1/cases?q=%00", "q"),
        (&reception, "/api/v1/cases?procedure=%00", "procedure"),
        (&reception, "/api/v1/cases?unit=000.00.01.H22%00", "unit"),
        (&reception, "/api/v1/cases?assignee=me%00", "assignee"),
        (&reception, "/api/v1/cases?cursor=a%00b", "cursor"),
        (&reception, "/api/v1/cases?received_from=2026-01-01%00", "received_from"),
        (&inspector, "/api/v1/audit?unit=%00", "unit"),
        (&statistician, "/api/v1/stats/report?from=2026-01-01&to=2026-01-31&unit=%00", "unit"),
        (&statistician, "/api/v1/stats/report?from=2026-01-01&to=2026-01-31&group_by=%00", "group_by"),
        (&feed, "/api/v1/feed?after=%00", "after"),
        ("", "/api/v1/public/lookup?code=%00&secret=x", "code"),
        ("", "/api/v1/public/lookup?code=x&secret=%00", "secret"),
        (&reception, "/api/v1/cases/by-code/%00", "path"),
        (&reception, "/api/v1/units/000.00.01.H22%00", "path"),
    ];
    for (token, path, field) in queries {
        let mut request = app.http.get(app.url(path));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let (status, body) = problem(request.send().await.unwrap()).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["errors"][0]["field"], *field, "{path}: {body}");
    }
    // A command whose URL carries one changes nothing either.
    let (status, _) = problem(
        app.post(
            &reception,
            &format!("/api/v1/cases/{id}/comments?note=%00"),
            &serde_json::json!({ "text": "Ghi chú" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(app.count_all_events().await, events, "nothing written");
}

#[tokio::test]
async fn a_nul_in_a_json_body_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let [reception, admin] = app.tokens(["reception", "admin"]).await;
    let id = app.receive_land_case(&reception).await;
    let events = app.count_all_events().await;
    let bodies: &[(&str, String, &str, serde_json::Value)] = &[
        (&reception, format!("/api/v1/cases/{id}/comments"), "text", serde_json::json!({ "text": "a\u{0}b" })),
        (
            &admin,
            "/api/v1/units".into(),
            "name",
            serde_json::json!({ "code": "000.26.09.H22", "name": "Xã\u{0}", "parent": PROVINCE }),
        ),
        (&reception, "/api/v1/cases".into(), "applicant.full_name", {
            let mut case = land_case();
            case["applicant"]["full_name"] = serde_json::json!("An\u{0}");
            case
        }),
    ];
    for (token, path, field, body) in bodies {
        let (status, problem) = problem(app.post(token, path, body).await).await;
        assert_eq!(status, 422, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["field"], *field, "{path}: {problem}");
    }
    assert_eq!(app.count_all_events().await, events, "nothing written");
}

/// Every query parameter the document declares, on every operation: a NUL in
/// it is a 422 naming it, so a parameter added later is covered too.
#[tokio::test]
async fn every_query_parameter_in_the_document_refuses_a_nul() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let document: serde_json::Value =
        app.http.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    let events = app.count_all_events().await;
    let mut checked = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        // Path parameters filled with a harmless value of their kind.
        let path = template
            .replace("{id}", "0191d3b4-1111-7000-8000-000000000000")
            .replace("{code}", "000.00.01.H22")
            .replace("{year}", "2026")
            .replace("{holiday}", "tet")
            .replace("{first_year}", "2014");
        for (method, operation) in item.as_object().unwrap() {
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            for parameter in parameters.iter().filter(|p| p["in"] == "query") {
                let name = parameter["name"].as_str().unwrap();
                let url = app.url(&format!("{path}?{name}=a%00b"));
                let request = match method.as_str() {
                    "get" => app.http.get(url),
                    "post" => app.http.post(url).json(&serde_json::json!({})),
                    "put" => app.http.put(url).json(&serde_json::json!({})),
                    other => panic!("{other} {template}"),
                };
                let (status, body) = problem(request.bearer_auth(&admin).send().await.unwrap()).await;
                assert_eq!(status, 422, "{method} {template} {name}: {body}");
                assert_eq!(body["errors"][0]["field"], name, "{method} {template}: {body}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} query parameters in the document");
    assert_eq!(app.count_all_events().await, events, "nothing written");
}

#[tokio::test]
async fn a_lone_surrogate_in_a_json_body_is_refused_naming_the_field() {
    let (app, reception, id) = TestApp::with_case("reception").await;
    let events = app.count_all_events().await;
    for (text, field) in [(r#"{"text": "ab\ud800"}"#, "text"), (r#"{"text": "\udc00 đơn"}"#, "text")] {
        let answer = app.post_text(&reception, &format!("/api/v1/cases/{id}/comments"), text).await;
        let (status, body) = problem(answer).await;
        assert_eq!(status, 422, "{text}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    // A pair is a character (here an emoji) and is stored.
    let answer =
        app.post_text(&reception, &format!("/api/v1/cases/{id}/comments"), r#"{"text": "Đã nhận \ud83d\udc4d"}"#).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(app.count_all_events().await, events + 1);
}

#[tokio::test]
async fn text_longer_than_declared_is_refused_naming_the_field() {
    let (app, reception, id) = TestApp::with_case("reception").await;
    let events = app.count_all_events().await;
    let (status, body) = problem(
        app.post(&reception, &format!("/api/v1/cases/{id}/comments"), &serde_json::json!({ "text": "ư".repeat(4001) }))
            .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "text");
    let mut case = land_case();
    case["applicant"]["full_name"] = serde_json::json!("A".repeat(201));
    let (status, body) = problem(app.post(&reception, "/api/v1/cases", &case).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "applicant.full_name");
    assert_eq!(app.count_all_events().await, events, "nothing written");
}
