//! Queue benchmark over real HTTP: kiosk tickets and counters' calls offered
//! at a fixed rate (open loop: latency from each request's scheduled time, so
//! a server that falls behind shows it), and a hall display following the
//! stream of calls, timed from each call's decision (its event's `at`) to the
//! message parsed by the display.
//!
//! `cargo bench -p onestop-tests --bench queue` — the server runs in this
//! process on a fresh database with the demo province (the service centre's
//! hall: groups A, B, C, counters 1–4); client and server share the two cores.
//! `QUEUE_RATE` (default 100 requests/s: half of them takes, half a counter's
//! finish-then-call), `QUEUE_SECONDS` (default 20).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use jiff::Timestamp;
use onestop_api::startup::Application;
use onestop_migrations::testing::TestDatabase;
use onestop_tests::{SERVICE_CENTRE, login_at};
use serde_json::{Value, json};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn report(name: &str, histogram: &Histogram<u64>) {
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{name:<44} n={:<6} p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        histogram.len(),
        ms(0.5),
        ms(0.9),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
}

#[tokio::main]
async fn main() {
    let rate = env("QUEUE_RATE", 100);
    let seconds = env("QUEUE_SECONDS", 20);
    let database = TestDatabase::create().await.unwrap();
    let settings = onestop_tests::bench_settings(database.url());
    let app = Application::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let reception = Arc::new(login_at(&http, &base, "reception", "demo").await.unwrap());
    let queue = format!("{base}/api/v1/units/{SERVICE_CENTRE}/queue");
    println!("queue benchmark: {rate} requests/s offered for {seconds} s (takes and finish-then-call alternating)");

    // The display: every call's decision to its message here.
    let display_latency = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let calls_seen = Arc::new(AtomicU64::new(0));
    let display = {
        let (http, url, latency, seen) =
            (http.clone(), format!("{queue}/calls"), display_latency.clone(), calls_seen.clone());
        tokio::spawn(async move {
            let mut response = http.get(url).send().await.unwrap();
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                buffer.push_str(std::str::from_utf8(&chunk).unwrap());
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
                    let message: Value = serde_json::from_str(data).unwrap();
                    if message["kind"] != "called" {
                        continue;
                    }
                    let at: Timestamp = message["at"].as_str().unwrap().parse().unwrap();
                    let lag = Timestamp::now().duration_since(at).as_micros().max(0) as u64;
                    latency.lock().unwrap().record(lag).unwrap();
                    seen.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let total = rate * seconds;
    let takes = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let calls = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let errors = Arc::new(AtomicU64::new(0));
    let called = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(200);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    // One lane per counter (a counter's officer does one thing at a time) and
    // the kiosk's requests each on their own: an open loop.
    let mut tasks = Vec::new();
    for i in 0..total {
        let scheduled = start + interval * i as u32;
        let (http, queue, reception, takes, calls, errors, called) = (
            http.clone(),
            queue.clone(),
            reception.clone(),
            takes.clone(),
            calls.clone(),
            errors.clone(),
            called.clone(),
        );
        let group = ["A", "B", "C", "A"][(i as usize / 2) % 4];
        let counter = (i / 2) % 4 + 1;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(scheduled.into()).await;
            if i % 2 == 0 {
                let body = json!({ "group": group, "priority": if i % 14 == 0 { Some("elderly") } else { None } });
                let response = http.post(format!("{queue}/tickets")).json(&body).send().await.unwrap();
                if response.status() != 201 {
                    errors.fetch_add(1, Ordering::Relaxed);
                    eprintln!("take: {} {}", response.status(), response.text().await.unwrap_or_default());
                    return;
                }
                takes.lock().unwrap().record(scheduled.elapsed().as_micros() as u64).unwrap();
            } else {
                let at = |action: &str| format!("{queue}/counters/{counter}/{action}");
                let finish = http.post(at("finish")).bearer_auth(reception.as_str()).json(&json!({})).send();
                let status = finish.await.unwrap().status();
                // 409 when the counter had nothing (its first call, or a call
                // that found nobody waiting).
                if !(status.is_success() || status == 409) {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                let response = http.post(at("call")).bearer_auth(reception.as_str()).send().await.unwrap();
                match response.status().as_u16() {
                    200 => {
                        called.fetch_add(1, Ordering::Relaxed);
                    }
                    // Counter busy (its previous finish raced this lane's
                    // earlier slot) or nothing waiting: the hall's real answers.
                    409 => {}
                    other => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("call: {other} {}", response.text().await.unwrap_or_default());
                    }
                }
                calls.lock().unwrap().record(scheduled.elapsed().as_micros() as u64).unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = start.elapsed();
    // Let the display catch the last calls.
    let wanted = called.load(Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(10);
    while calls_seen.load(Ordering::Relaxed) < wanted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    display.abort();
    println!(
        "{} requests in {:.1} s ({:.1}/s achieved), {} tickets called, {} errors; the display saw {} calls",
        total,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        wanted,
        errors.load(Ordering::Relaxed),
        calls_seen.load(Ordering::Relaxed)
    );
    report("take a ticket (kiosk, from schedule)", &takes.lock().unwrap());
    report("finish + call next (counter, from schedule)", &calls.lock().unwrap());
    report("call decided -> display message", &display_latency.lock().unwrap());
}
