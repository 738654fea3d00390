//! Text PostgreSQL cannot store (the NUL character) is refused with a 422
//! naming the parameter wherever it can enter a URL, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;

#[tokio::test]
async fn a_nul_in_any_text_query_parameter_or_the_path_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let inspector = app.token("inspector").await;
    let statistician = app.token("statistician").await;
    let feed = app.token("feed").await;
    let id = app.receive_land_case(&reception).await;
    let events = app.count_all_events().await;

    let queries: &[(&str, &str, &str)] = &[
        (&reception, "/api/v1/cases?q=%00", "q"),
        (&reception, "/api/v1/cases?procedure=%00", "procedure"),
        (&reception, "/api/v1/cases?unit=000.00.01.H22%00", "unit"),
        (&reception, "/api/v1/cases?assignee=me%00", "assignee"),
        (&reception, "/api/v1/cases?cursor=a%00b", "cursor"),
        (
            &reception,
            "/api/v1/cases?received_from=2026-01-01%00",
            "received_from",
        ),
        (&inspector, "/api/v1/audit?unit=%00", "unit"),
        (
            &statistician,
            "/api/v1/stats/report?from=2026-01-01&to=2026-01-31&unit=%00",
            "unit",
        ),
        (
            &statistician,
            "/api/v1/stats/report?from=2026-01-01&to=2026-01-31&group_by=%00",
            "group_by",
        ),
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
    let reception = app.token("reception").await;
    let admin = app.token("admin").await;
    let id = app.receive_land_case(&reception).await;
    let events = app.count_all_events().await;
    let bodies: &[(&str, String, &str, serde_json::Value)] = &[
        (
            &reception,
            format!("/api/v1/cases/{id}/comments"),
            "text",
            serde_json::json!({ "text": "a\u{0}b" }),
        ),
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
