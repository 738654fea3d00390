//! The projection runners: runners that crash or race, and batches of any size,
//! still give the same read model as a clean rebuild; lists, codes and the
//! public lookup read from the status view.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::sync::atomic::{AtomicUsize, Ordering};

use deadpool_postgres::Transaction;
use onestop_projections::{Projection, ProjectionError, Runner, StatusProjection};
use onestop_store::RecordedEvent;
use onestop_tests::*;
use serde_json::{Value, json};

/// Files `count` land cases and walks some of them further, so the log holds a
/// mix of lifecycles.
async fn some_history(app: &TestApp, count: usize) -> Vec<String> {
    let [reception, specialist] = app.tokens(["reception", "specialist"]).await;
    let mut ids = Vec::new();
    for n in 0..count {
        let id = app.receive_land_case(&reception).await;
        let path = |a: &str| format!("/api/v1/cases/{id}/{a}");
        if n % 2 == 0 {
            app.post(&reception, &path("transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
            app.post(&specialist, &path("acknowledge-handover"), &json!({})).await;
        }
        if n % 3 == 0 {
            app.post(&reception, &path("comments"), &json!({ "text": "Ghi chú" })).await;
        }
        ids.push(id);
    }
    ids
}

/// The whole status view, row by row, as text.
async fn dump(app: &TestApp) -> Vec<String> {
    rows_as_text(app, "SELECT row_to_json(s)::text FROM case_status s ORDER BY case_id").await
}

/// The change rows (audit entries and feed records), in their order, as text.
async fn dump_changes(app: &TestApp) -> Vec<String> {
    rows_as_text(app, "SELECT row_to_json(c)::text FROM case_changes c ORDER BY seq").await
}

async fn rows_as_text(app: &TestApp, query: &str) -> Vec<String> {
    let client = app.database.superuser().await.unwrap();
    client.query(query, &[]).await.unwrap().iter().map(|row| row.get(0)).collect()
}

async fn reset(app: &TestApp) {
    let client = app.database.superuser().await.unwrap();
    client.batch_execute("DELETE FROM case_status; DELETE FROM projection_checkpoints;").await.unwrap();
}

/// [`reset`], and the change rows go too.
async fn reset_with_changes(app: &TestApp) {
    reset(app).await;
    let client = app.database.superuser().await.unwrap();
    client.batch_execute("DELETE FROM case_changes").await.unwrap();
}

async fn events_applied(app: &TestApp) -> (i64, i64) {
    let applied = app.number("SELECT events_applied FROM projection_checkpoints WHERE name = 'case_status'").await;
    (applied, app.count_all_events().await)
}

/// Fails the `crash_at`-th batch of case events after writing, by killing its
/// own connection: the transaction dies with everything it wrote.
struct Crashing {
    inner: StatusProjection,
    batches: AtomicUsize,
    crash_at: usize,
}

impl Projection for Crashing {
    type Prepared = <StatusProjection as Projection>::Prepared;
    type Memory = <StatusProjection as Projection>::Memory;

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn tables(&self) -> &'static [&'static str] {
        self.inner.tables()
    }

    fn prepare(&self, events: &[RecordedEvent]) -> Result<Self::Prepared, ProjectionError> {
        self.inner.prepare(events)
    }

    async fn apply(
        &self,
        tx: &Transaction<'_>,
        events: &[RecordedEvent],
        prepared: Self::Prepared,
        memory: &mut Self::Memory,
    ) -> Result<(), ProjectionError> {
        let of_cases = prepared.iter().any(Option::is_some);
        self.inner.apply(tx, events, prepared, memory).await?;
        if of_cases && self.batches.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            tx.batch_execute("SELECT pg_terminate_backend(pg_backend_pid())").await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_runner_killed_mid_batch_leaves_what_a_fresh_rebuild_gives() {
    let app = TestApp::spawn_configured(true, false).await;
    some_history(&app, 12).await;
    let store = app.store().await;

    let crashing =
        Runner::new(Crashing { inner: StatusProjection, batches: AtomicUsize::new(0), crash_at: 3 }, store.clone(), 7);
    let mut crashed = false;
    crashing.register().await.unwrap();
    loop {
        match crashing.step().await {
            Ok(onestop_projections::Step::Applied(_)) => {}
            Ok(_) => break,
            Err(_) => {
                crashed = true;
                break;
            }
        }
    }
    assert!(crashed, "the third batch should have died with its connection");
    // A new runner takes over from the last committed checkpoint.
    Runner::new(StatusProjection, store.clone(), 7).catch_up().await.unwrap();
    let after_crash = (dump(&app).await, dump_changes(&app).await);
    let (applied, total) = events_applied(&app).await;
    assert_eq!(applied, total, "every event applied exactly once");

    reset_with_changes(&app).await;
    Runner::new(StatusProjection, store, 1000).catch_up().await.unwrap();
    assert_eq!((dump(&app).await, dump_changes(&app).await), after_crash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_at_once_give_what_one_gives() {
    let app = TestApp::spawn_configured(true, false).await;
    some_history(&app, 12).await;

    let first = Runner::new(StatusProjection, app.store().await, 5);
    let second = Runner::new(StatusProjection, app.store().await, 5);
    let (a, b) = tokio::join!(first.catch_up(), second.catch_up());
    let together = a.unwrap() + b.unwrap();
    let (applied, total) = events_applied(&app).await;
    assert_eq!((applied, together as i64), (total, total));
    let both = dump(&app).await;

    reset(&app).await;
    Runner::new(StatusProjection, app.store().await, 1000).catch_up().await.unwrap();
    assert_eq!(dump(&app).await, both);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn growing_batches_read_ahead_give_what_small_batches_give() {
    let app = TestApp::spawn_configured(true, false).await;
    some_history(&app, 12).await;

    // Batches of 2, 4, 8, … up to 16, each read while the one before is
    // applied; two such runners at once, so read-aheads also go stale when the
    // other runner moves the checkpoint first.
    let first = Runner::new(StatusProjection, app.store().await, 2).catch_up_batches(16);
    let second = Runner::new(StatusProjection, app.store().await, 2).catch_up_batches(16);
    let (a, b) = tokio::join!(first.catch_up(), second.catch_up());
    let together = a.unwrap() + b.unwrap();
    let (applied, total) = events_applied(&app).await;
    assert_eq!((applied, together as i64), (total, total));
    let (rows, changes) = (dump(&app).await, dump_changes(&app).await);
    assert_eq!(changes.len() as i64, count_case_events(&app).await);

    reset_with_changes(&app).await;
    Runner::new(StatusProjection, app.store().await, 1).catch_up().await.unwrap();
    assert_eq!(dump(&app).await, rows);
    assert_eq!(dump_changes(&app).await, changes);
}

async fn count_case_events(app: &TestApp) -> i64 {
    app.number("SELECT count(*) FROM events WHERE stream_id LIKE 'case-%'").await
}

#[tokio::test]
async fn lists_show_a_clients_own_writes_at_once_and_filter_work_queues() {
    let app = TestApp::spawn().await;
    let [reception, specialist] = app.tokens(["reception", "specialist"]).await;
    let ids = some_history(&app, 4).await;

    // Just written, already listed.
    let listed: Value = app.get(&reception, "/api/v1/cases?limit=10").await.json().await.unwrap();
    let listed_ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed_ids.len(), 4);
    for id in &ids {
        assert!(listed_ids.contains(&id.as_str()));
    }
    // Cursor pagination walks the same list.
    let first: Value = app.get(&reception, "/api/v1/cases?limit=3").await.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value =
        app.get(&reception, &format!("/api/v1/cases?limit=3&cursor={cursor}")).await.json().await.unwrap();
    assert_eq!(first["items"].as_array().unwrap().len() + second["items"].as_array().unwrap().len(), 4);
    assert!(second["next_cursor"].is_null());

    // The specialist's unit holds the transferred ones (cases 0 and 2).
    let queue: Value =
        app.get(&specialist, &format!("/api/v1/cases?unit={LAND_REGISTRY}&status=4")).await.json().await.unwrap();
    assert_eq!(queue["items"].as_array().unwrap().len(), 2);

    // Nothing is overdue on day one; after the due date, the open ones are.
    let overdue: Value = app.get(&reception, "/api/v1/cases?overdue=true").await.json().await.unwrap();
    assert_eq!(overdue["items"].as_array().unwrap().len(), 0);
    app.clock.advance(jiff::SignedDuration::from_hours(24 * 30));
    let overdue: Value = app.get(&reception, "/api/v1/cases?overdue=true").await.json().await.unwrap();
    assert_eq!(overdue["items"].as_array().unwrap().len(), 4);

    // By code.
    let case: Value = app.get(&reception, &format!("/api/v1/cases/{}", ids[1])).await.json().await.unwrap();
    let code = case["code"].as_str().unwrap();
    let by_code: Value = app.get(&reception, &format!("/api/v1/cases/by-code/{code}")).await.json().await.unwrap();
    assert_eq!(by_code["id"], case["id"]);
    assert_eq!(app.get(&reception, "/api/v1/cases/by-code/000.00.01.H22-260302-9999").await.status(), 404);

    // Bad filters are 422.
    assert_eq!(app.get(&reception, "/api/v1/cases?limit=0").await.status(), 422);
    assert_eq!(app.get(&reception, "/api/v1/cases?cursor=nonsense").await.status(), 422);
}

#[tokio::test]
async fn the_public_lookup_shows_little_and_cannot_tell_a_wrong_code_from_a_wrong_secret() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let created: Value = app.post(&reception, "/api/v1/cases", &land_case()).await.json().await.unwrap();
    let code = created["code"].as_str().unwrap();
    let secret = created["lookup_secret"].as_str().unwrap();
    // Let the status view catch up through an authenticated read.
    app.get(&reception, "/api/v1/cases").await;

    let lookup = |code: &str, secret: &str| {
        app.http.get(app.url("/api/v1/public/lookup")).query(&[("code", code), ("secret", secret)]).send()
    };
    let found = lookup(code, &secret.to_lowercase()).await.unwrap();
    assert_eq!(found.status(), 200);
    let body: Value = found.json().await.unwrap();
    let mut fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["code", "due_at", "procedure_name", "received_at", "returned_at", "status", "status_name"]);
    assert!(!body.to_string().contains("Nguyễn"));

    let wrong_secret = lookup(code, "AAAAAAAA").await.unwrap();
    let wrong_code = lookup("000.00.01.H22-260302-0999", secret).await.unwrap();
    assert_eq!((wrong_secret.status().as_u16(), wrong_code.status().as_u16()), (404, 404));
    assert_eq!(wrong_secret.text().await.unwrap(), wrong_code.text().await.unwrap());

    // Twenty a minute per address; then 429 with Retry-After.
    let mut limited = None;
    for _ in 0..30 {
        let response = lookup(code, secret).await.unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the lookup should be rate-limited");
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(limited.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn a_projection_reading_some_types_still_moves_past_the_others() {
    let app = TestApp::spawn_configured(true, false).await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    // Comments do not count in statistics.
    for _ in 0..3 {
        app.post(&reception, &format!("/api/v1/cases/{id}/comments"), &json!({ "text": "Ghi chú" })).await;
    }
    let store = app.store().await;
    let stats = Runner::new(onestop_projections::StatsProjection, store.clone(), 100);
    stats.catch_up().await.unwrap();
    let client = app.database.superuser().await.unwrap();
    let (tx, position): (i64, i64) = {
        let row = client
            .query_one("SELECT tx_id, global_position FROM projection_checkpoints WHERE name = 'case_stats'", &[])
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let horizon = store.horizon().await.unwrap().unwrap();
    assert_eq!((tx, position), (horizon.tx_id, horizon.global_position));
    // It read only the receipt.
    let applied: i64 = client
        .query_one("SELECT events_applied FROM projection_checkpoints WHERE name = 'case_stats'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied, 1);
}

/// The statistics tables, row by row, in a stable order.
async fn dump_statistics(app: &TestApp) -> Vec<String> {
    let client = app.database.superuser().await.unwrap();
    let mut rows = Vec::new();
    for table in ["case_facts", "stats_daily", "stats_monthly"] {
        let query = format!("SELECT row_to_json(t)::text AS r FROM {table} t ORDER BY r");
        for row in client.query(&query, &[]).await.unwrap() {
            rows.push(format!("{table} {}", row.get::<_, String>(0)));
        }
    }
    rows
}

#[tokio::test]
async fn statistics_in_small_batches_equal_statistics_in_one() {
    let app = TestApp::spawn_configured(true, false).await;
    some_history(&app, 10).await;
    let store = app.store().await;

    // Batches of two relevant events: the horizon is reached only at the end.
    let small = Runner::new(onestop_projections::StatsProjection, store.clone(), 2);
    let applied = small.catch_up().await.unwrap();
    let in_small_batches = dump_statistics(&app).await;
    assert!(in_small_batches.iter().any(|r| r.starts_with("stats_daily")));

    let client = app.database.superuser().await.unwrap();
    client
        .batch_execute(
            "DELETE FROM case_facts; DELETE FROM stats_daily; DELETE FROM stats_monthly; \
             DELETE FROM projection_checkpoints;",
        )
        .await
        .unwrap();
    let whole = Runner::new(onestop_projections::StatsProjection, store, 10_000);
    assert_eq!(whole.catch_up().await.unwrap(), applied);
    assert_eq!(dump_statistics(&app).await, in_small_batches);
}

#[tokio::test]
async fn the_overdue_list_judges_as_the_case_view_by_day_and_a_stopped_clock_when_it_stopped() {
    let app = TestApp::spawn().await;
    let [reception, specialist] = app.tokens(["reception", "specialist"]).await;
    let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
    // Three land cases received Mon 2 March 2026 09:00, due Mon 16 March 09:00.
    let on_time = app.receive_land_case(&reception).await;
    let paused_early = app.receive_land_case(&reception).await;
    let paused_late = app.receive_land_case(&reception).await;
    for id in [&paused_early, &paused_late] {
        app.post_json(&reception, &format!("/api/v1/cases/{id}/transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
        app.post_json(&specialist, &format!("/api/v1/cases/{id}/acknowledge-handover"), &json!({})).await;
    }
    let supplement = json!({ "reason": "Thiếu giấy tờ", "documents": ["Bản sao"] });
    app.clock.set(at("2026-03-03T10:00:00+07:00"));
    app.post_json(&specialist, &format!("/api/v1/cases/{paused_early}/request-supplement"), &supplement).await;

    let listed = |when: &'static str| {
        let (app, reception) = (&app, reception.clone());
        async move {
            app.clock.set(when.parse().unwrap());
            let page: Value = app.get_json(&reception, "/api/v1/cases?overdue=true").await;
            let mut ids: Vec<String> =
                page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        }
    };
    let class = |id: &str| {
        let (app, reception, path) = (&app, reception.clone(), format!("/api/v1/cases/{id}"));
        async move { app.get_json(&reception, &path).await["timeliness"]["class"].clone() }
    };
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };

    // On the due date's afternoon: within the deadline, in the list and the view.
    assert_eq!(listed("2026-03-16T15:00:00+07:00").await, Vec::<String>::new());
    assert_eq!(class(&on_time).await, "within_deadline");
    app.clock.set(at("2026-03-17T10:00:00+07:00"));
    app.post_json(&specialist, &format!("/api/v1/cases/{paused_late}/request-supplement"), &supplement).await;
    // Later: the running case is overdue, and so is the one whose clock
    // stopped after its due date; the one stopped long before is not.
    assert_eq!(listed("2026-03-20T09:00:00+07:00").await, sorted(vec![on_time.clone(), paused_late.clone()]));
    assert_eq!(class(&on_time).await, "overdue");
    assert_eq!(class(&paused_late).await, "overdue");
    assert_eq!(class(&paused_early).await, "within_deadline");
}

/// A read that cannot show the caller's own change in time says so (503 with
/// `Retry-After`) instead of answering without it.
#[tokio::test]
async fn a_view_that_cannot_catch_up_in_time_is_503_never_a_list_without_the_callers_change() {
    let app = TestApp::spawn_configured(true, false).await;
    let reception = app.token("reception").await;
    let case = app.post_json(&reception, "/api/v1/cases", &land_case()).await;
    let read = app.get(&reception, "/api/v1/cases").await;
    assert_eq!(read.headers()["retry-after"], "1");
    let (status, body) = problem(read).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("catching up"), "{body}");
    // Once the view has caught up, the list has the case.
    Runner::new(StatusProjection, app.store().await, 1000).catch_up().await.unwrap();
    let list = app.get_json(&reception, "/api/v1/cases").await;
    assert_eq!(list["items"][0]["id"], case["id"]);
}
