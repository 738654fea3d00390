#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::TestApp;

#[tokio::test]
async fn health_readiness_and_metrics_answer_once_started() {
    let app = TestApp::spawn_with(false).await;

    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(ready.headers().contains_key("x-request-id"));
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");

    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
}

#[tokio::test]
async fn unknown_paths_are_problem_details_too() {
    let app = TestApp::spawn_with(false).await;
    let response = app
        .http
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:onestop:problem:not-found");
}
