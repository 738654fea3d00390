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
    let response = app.http.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:onestop:problem:not-found");

    // A known path with a method it does not take: 405, naming those it does
    // (HEAD wherever GET is).
    for (method, path, allow) in [
        ("DELETE", "/api/v1/cases", "GET, HEAD, POST"),
        ("PATCH", "/api/v1/cases/0191d3b4-1111-7000-8000-000000000000", "GET, HEAD"),
        ("TRACE", "/healthz", "GET, HEAD"),
    ] {
        let response = app.http.request(method.parse().unwrap(), app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["type"], "urn:onestop:problem:method-not-allowed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_answers_503_with_retry_after_instead_of_hanging() {
    use onestop_tests::land_case;
    let app = TestApp::spawn_custom(true, |s| {
        s.pool_size = 3;
        s.pool_wait = std::time::Duration::from_millis(200);
        s.run_projections = false;
    })
    .await;
    let reception = app.token("reception").await;
    // Hold the case-code counters: receipts wait on the lock, each holding a connection.
    let blocker = app.database.superuser().await.unwrap();
    blocker.batch_execute("BEGIN; LOCK TABLE case_code_counters IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let request = app.http.post(app.url("/api/v1/cases")).bearer_auth(&reception).json(&land_case()).send();
        waiting.push(tokio::spawn(request));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let refused = app.post(&reception, "/api/v1/cases", &land_case()).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    // Once the lock goes, the waiting receipts complete.
    blocker.batch_execute("COMMIT").await.unwrap();
    for request in waiting {
        assert_eq!(request.await.unwrap().unwrap().status(), 201);
    }
}
