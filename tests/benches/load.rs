//! Load benchmark of the write side over real HTTP: case commands offered at a
//! fixed rate (open loop), latency measured from each request's scheduled time,
//! so a server that falls behind shows it (no coordinated omission).
//!
//! `cargo bench -p onestop-tests --bench load` — the server runs in this process
//! on a fresh database with the demo province; client and server share the two
//! cores. `LOAD_RATE` (default 1000 req/s), `LOAD_SECONDS` (10), `LOAD_LANES` (100).
//!
//! `LOAD_NOTICES` (default 0): with 1, every case's applicant asks for SMS
//! notices, sent to a stand-in gateway in this process; the result and return
//! commands each make a notice (a quarter of the commands), and the report
//! tells how far behind the log the outbox's deliveries were.
//!
//! `LOAD_LOGIN_FLOOD` (default 0): wrong sign-in attempts per second sent beside
//! the commands, each for a name no account has and from its own address
//! (through a trusted proxy), so that every one costs a password hash: the
//! worst a guesser can make the server do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use onestop_api::startup::Application;
use onestop_migrations::testing::TestDatabase;
use onestop_tests::{LAND_REGISTRY, land_case, login_at};
use serde_json::{Value, json};
use tokio::sync::Mutex;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Tokens {
    reception: String,
    specialist: String,
    approver: String,
}

/// The commands a case goes through after receipt, and who sends each.
fn lifecycle(tokens: &Tokens, step: usize) -> (&str, &'static str, Value) {
    match step {
        0 => (&tokens.reception, "transfer", json!({ "to_unit": LAND_REGISTRY })),
        1 => (&tokens.specialist, "acknowledge-handover", json!({})),
        2 => (&tokens.specialist, "appraisal", json!({ "opinion": "Hợp lệ", "proposal": "grant" })),
        3 => (&tokens.specialist, "comments", json!({ "text": "Đã kiểm tra thực địa" })),
        4 => (&tokens.specialist, "submit-for-approval", json!({})),
        5 => (&tokens.approver, "approve", json!({})),
        6 => (&tokens.approver, "result", json!({ "summary": "Đã cập nhật biến động" })),
        _ => (&tokens.reception, "return", json!({ "method": "at_desk" })),
    }
}

const STEPS: usize = 8;

/// A land case, its applicant asking for SMS notices when `notices`.
fn filing(notices: bool) -> Value {
    let mut case = land_case();
    if notices {
        case["notices"] = json!({ "channels": ["sms"], "consent": true });
    }
    case
}

async fn login(http: &reqwest::Client, base: &str, username: &str) -> String {
    login_at(http, base, username, "demo").await.unwrap()
}

fn report(name: &str, histogram: &Histogram<u64>, completed: u64, errors: u64, elapsed: Duration) {
    let ms = |v: u64| v as f64 / 1000.0;
    println!(
        "{name}: {completed} ok, {errors} failed in {:.2} s = {:.0} commands/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        completed as f64 / elapsed.as_secs_f64(),
        ms(histogram.value_at_quantile(0.50)),
        ms(histogram.value_at_quantile(0.90)),
        ms(histogram.value_at_quantile(0.99)),
        ms(histogram.max()),
    );
}

#[tokio::main]
async fn main() {
    let rate = env("LOAD_RATE", 1000);
    let seconds = env("LOAD_SECONDS", 10);
    let lanes = env("LOAD_LANES", 100) as usize;
    let flood = env("LOAD_LOGIN_FLOOD", 0);
    let with_notices = env("LOAD_NOTICES", 0) == 1;
    let gateway = match with_notices {
        true => Some(onestop_tests::standins::SmsGateway::start(0).await),
        false => None,
    };
    let total = rate * seconds;

    let database = TestDatabase::create().await.unwrap();
    let mut settings = onestop_tests::bench_settings(database.url());
    settings.notices.channels.sms = gateway.as_ref().map(|g| onestop_tests::sms_settings(&g.url));
    // The flood comes through a "proxy" on loopback, one address per attempt.
    settings.edge.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let app = Application::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().pool_max_idle_per_host(lanes).build().unwrap();
    let tokens = Arc::new(Tokens {
        reception: login(&http, &base, "reception").await,
        specialist: login(&http, &base, "specialist").await,
        approver: login(&http, &base, "approver").await,
    });
    println!(
        "load benchmark: {rate} commands/s offered for {seconds} s over {lanes} lanes, \
         {flood} wrong sign-ins/s beside them"
    );

    // Receipts first: enough cases for every lane to walk its own through the workflow.
    let cases_needed = (total as usize / STEPS) + lanes + 1;
    let cases = Arc::new(Mutex::new(Vec::with_capacity(cases_needed)));
    let started = Instant::now();
    let mut receivers = Vec::new();
    let receipt_latency = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new(3).unwrap()));
    for worker in 0..16 {
        let (http, base, tokens, cases, latency) =
            (http.clone(), base.clone(), tokens.clone(), cases.clone(), receipt_latency.clone());
        receivers.push(tokio::spawn(async move {
            for _ in (worker..cases_needed).step_by(16) {
                let sent = Instant::now();
                let response = http
                    .post(format!("{base}/api/v1/cases"))
                    .bearer_auth(&tokens.reception)
                    .json(&filing(with_notices))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: Value = response.json().await.unwrap();
                latency.lock().unwrap().record(sent.elapsed().as_micros() as u64).unwrap();
                cases.lock().await.push(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    for receiver in receivers {
        receiver.await.unwrap();
    }
    let receipts = receipt_latency.lock().unwrap().clone();
    report("receipts (16 concurrent clients, closed loop)", &receipts, cases_needed as u64, 0, started.elapsed());

    // Then the commands, at the offered rate.
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latency = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let start = Instant::now() + Duration::from_millis(200);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut workers = Vec::new();
    let flooding = (flood > 0).then(|| {
        let (http, base) = (http.clone(), base.clone());
        let attempts = flood * seconds;
        let interval = Duration::from_secs_f64(1.0 / flood as f64);
        tokio::spawn(async move {
            let mut sent = Vec::new();
            for i in 0..attempts {
                let scheduled = start + interval * i as u32;
                tokio::time::sleep_until(scheduled.into()).await;
                let (http, base) = (http.clone(), base.clone());
                // One request each, not waiting for the last: an open loop.
                sent.push(tokio::spawn(async move {
                    let address = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                    http.post(format!("{base}/api/v1/auth/token"))
                        .header("X-Forwarded-For", address)
                        .json(&json!({ "username": format!("guess-{i}"), "password": "wrong" }))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0)
                }));
            }
            let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
            for attempt in sent {
                *statuses.entry(attempt.await.unwrap_or(0)).or_default() += 1;
            }
            statuses
        })
    });
    for _ in 0..lanes {
        let (http, base, tokens, cases, next, errors, latency) =
            (http.clone(), base.clone(), tokens.clone(), cases.clone(), next.clone(), errors.clone(), latency.clone());
        workers.push(tokio::spawn(async move {
            let mut case: Option<String> = None;
            let mut step = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return;
                }
                let scheduled = start + interval * i as u32;
                tokio::time::sleep_until(scheduled.into()).await;
                if case.is_none() || step == STEPS {
                    case = cases.lock().await.pop();
                    step = 0;
                }
                let Some(id) = case.clone() else { return };
                let (token, action, body) = lifecycle(&tokens, step);
                let response =
                    http.post(format!("{base}/api/v1/cases/{id}/{action}")).bearer_auth(token).json(&body).send().await;
                let done = Instant::now();
                match response {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        step += 1;
                    }
                    Ok(r) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("{action}: {} {}", r.status(), r.text().await.unwrap_or_default());
                        step = STEPS; // take a fresh case
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("{action}: {e}");
                    }
                }
                latency.lock().unwrap().record(done.saturating_duration_since(scheduled).as_micros() as u64).unwrap();
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = start.elapsed();
    if let Some(flooding) = flooding {
        let statuses = flooding.await.unwrap();
        println!("sign-in flood: {flood}/s for {seconds} s answered {statuses:?} (status: count)");
    }
    let histogram = latency.lock().unwrap().clone();
    let errors = errors.load(Ordering::Relaxed);
    report(
        &format!("case commands at {rate}/s offered (open loop)"),
        &histogram,
        histogram.len() - errors,
        errors,
        elapsed,
    );
    if with_notices {
        notice_lag(&database, elapsed).await;
    }
}

/// How the outbox kept up: the notices made while the commands ran, how many
/// were still open when they stopped, how long the rest took, and the lag from
/// each notice's event to the gateway's acceptance.
async fn notice_lag(database: &TestDatabase, elapsed: Duration) {
    let client = database.superuser().await.unwrap();
    let open = "SELECT count(*) FROM notices WHERE state IN ('pending', 'failed')";
    let open_at_end: i64 = client.query_one(open, &[]).await.unwrap().get(0);
    let drained = Instant::now();
    while client.query_one(open, &[]).await.unwrap().get::<_, i64>(0) > 0
        && drained.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drain = drained.elapsed();
    let row = client
        .query_one(
            "SELECT count(*), \
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)), \
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)), \
                    max(extract(epoch FROM sent_at - created_at))::float8, \
                    count(*) FILTER (WHERE state <> 'sent') \
             FROM notices WHERE kind IN ('result_ready', 'returned')",
            &[],
        )
        .await
        .unwrap();
    let (made, p50, p99, max, unsent): (i64, f64, f64, f64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    println!(
        "notices from the commands: {made} made ({:.0}/s), {open_at_end} open when the load stopped, \
         all sent {:.2} s later ({unsent} not sent); event → gateway lag p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        made as f64 / elapsed.as_secs_f64(),
        drain.as_secs_f64(),
        p50 * 1000.0,
        p99 * 1000.0,
        max * 1000.0,
    );
}
