//! Crash test: the real `onestop` binary under a steady load of commands,
//! killed with SIGKILL again and again and restarted, and its database taken
//! away once. Every command that got a 2xx is in the log exactly once, and the
//! read models equal a rebuild from the log afterwards.
//!
//! The default test command runs a short version (3 kills; the outage made by
//! refusing the test database's connections and dropping the server's). The
//! full run, alone on the machine since it restarts PostgreSQL itself:
//! `ONESTOP_CRASH_KILLS=20 ONESTOP_CRASH_RESTART_POSTGRES=1 cargo nextest run -p onestop-api --test crash`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use onestop_migrations::APPLICATION_ROLE;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::rebuild::{Mode, ReadModel, rebuild};
use onestop_store::{EventStore, PoolSettings, build_pool};
use serde_json::{Value, json};
use support::Server;
use tokio::sync::Mutex;

/// The read models' tables, each dumped in a stable order.
const READ_MODELS: [(&str, &str); 5] = [
    ("case_status", "case_id"),
    ("case_changes", "seq"),
    ("case_facts", "case_id"),
    ("stats_daily", "day, unit, procedure_code"),
    ("stats_monthly", "month, unit, procedure_code"),
];

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A command sent until it has a definite answer: a response other than 503,
/// retried with the same idempotency key (and request id) after a refused
/// connection, a reset or a 503.
#[derive(Debug, Clone)]
struct Sent {
    key: String,
    status: u16,
}

async fn send_until_answered(http: &reqwest::Client, url: &str, token: &str, key: &str, body: &Value) -> (u16, Value) {
    for _ in 0..600 {
        let response = http
            .post(url)
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .header("X-Request-Id", key)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if let Ok(response) = response {
            let status = response.status().as_u16();
            // A body cut off by a kill is no answer either: the same key
            // replays the stored response.
            if status != 503
                && let Ok(body) = response.json::<Value>().await
            {
                return (status, body);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer for {key} in a minute");
}

fn land_case() -> Value {
    json!({
        "procedure_code": "1.004227", "unit": "000.00.01.H22", "channel": "in_person",
        "applicant": { "full_name": "Nguyễn Văn An", "id_number": "001099012345" },
        "documents": ["Đơn đăng ký biến động đất đai"]
    })
}

/// One officer filing cases and commenting on them until told to stop.
async fn load(http: reqwest::Client, base: String, token: String, stop: Arc<AtomicBool>, sent: Arc<Mutex<Vec<Sent>>>) {
    let mut cases: Vec<String> = Vec::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let key = uuid::Uuid::new_v4().to_string();
        let (status, body) = match cases.last() {
            Some(case) if !n.is_multiple_of(3) => {
                let url = format!("{base}/api/v1/cases/{case}/comments");
                send_until_answered(&http, &url, &token, &key, &json!({ "text": "Đã kiểm tra" })).await
            }
            _ => {
                let url = format!("{base}/api/v1/cases");
                send_until_answered(&http, &url, &token, &key, &land_case()).await
            }
        };
        if status == 201 {
            cases.push(body["id"].as_str().unwrap().to_owned());
        }
        sent.lock().await.push(Sent { key, status });
    }
}

async fn dump(database: &TestDatabase) -> Vec<Vec<String>> {
    let client = database.superuser().await.unwrap();
    let mut tables = Vec::new();
    for (table, order) in READ_MODELS {
        let rows =
            client.query(&format!("SELECT row_to_json(t)::text FROM {table} t ORDER BY {order}"), &[]).await.unwrap();
        tables.push(rows.iter().map(|r| r.get(0)).collect());
    }
    tables
}

/// Takes the database away from the server and gives it back; `/readyz` must
/// say so in between, and the server must come back by itself.
async fn outage(server: &mut Server, database: &TestDatabase, http: &reqwest::Client) {
    let name = database.name().to_owned();
    if std::env::var("ONESTOP_CRASH_RESTART_POSTGRES").is_ok_and(|v| v == "1") {
        let version = std::fs::read_dir("/etc/postgresql")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .max()
            .unwrap();
        let stopped = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "stop", "-m", "fast"])
            .status()
            .unwrap();
        assert!(stopped.success());
        wait_unready(server, http).await;
        let started = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "start"])
            .status()
            .unwrap();
        assert!(started.success());
    } else {
        let admin = database.maintenance().await.unwrap();
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .await
            .unwrap();
        wait_unready(server, http).await;
        admin.batch_execute(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await.unwrap();
    }
    server.wait_ready(http).await;
}

async fn wait_unready(server: &Server, http: &reqwest::Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((503, body)) = server.readiness(http).await {
            assert_eq!(body["database"], "unreachable", "{body}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/readyz never reported the outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_and_restarted_under_load_it_loses_nothing_and_doubles_nothing() {
    let kills = setting("ONESTOP_CRASH_KILLS", 3);
    let database = TestDatabase::create().await.unwrap();
    let (mut server, http) = Server::running(&database).await;
    let token = server.login(&http, "reception").await;

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..4)
        .map(|_| tokio::spawn(load(http.clone(), server.url.clone(), token.clone(), stop.clone(), sent.clone())))
        .collect();
    for kill in 0..kills {
        tokio::time::sleep(Duration::from_millis(400 + 97 * (kill as u64 % 5))).await;
        server.kill();
        server.start();
        server.wait_ready(&http).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    outage(&mut server, &database, &http).await;
    // Commands go through again after the outage.
    let answered = sent.lock().await.len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let sent = sent.lock().await.clone();
    assert!(sent.len() > answered, "no command answered after the outage");

    // Every 2xx command is in the log exactly once (by its request id; a
    // retry answered from the idempotency store writes nothing).
    let client = database.superuser().await.unwrap();
    let keys: Vec<String> = sent.iter().map(|s| s.key.clone()).collect();
    let counts: std::collections::HashMap<String, i64> = client
        .query(
            "SELECT metadata::jsonb->>'request_id', count(*) FROM events \
             WHERE stream_id LIKE 'case-%' AND metadata::jsonb->>'request_id' = ANY($1) \
             GROUP BY 1",
            &[&keys],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let failed: Vec<&Sent> = sent.iter().filter(|s| s.status >= 500).collect();
    assert!(failed.is_empty(), "answered with a server error: {failed:?}");
    let succeeded = sent.iter().filter(|s| (200..300).contains(&s.status)).count();
    assert!(succeeded > 20, "too little load: {succeeded} commands succeeded");
    for command in &sent {
        let count = counts.get(&command.key).copied().unwrap_or(0);
        if (200..300).contains(&command.status) {
            assert_eq!(count, 1, "{command:?} is in the log {count} times");
        } else {
            assert!(count <= 1, "{command:?} is in the log {count} times");
        }
    }

    // The read models the killed servers left equal a rebuild from the log.
    server.wait_ready(&http).await;
    let pool =
        build_pool(database.config(), &PoolSettings { role: Some(APPLICATION_ROLE.into()), ..PoolSettings::default() })
            .unwrap();
    let store = EventStore::new(pool, database.config().clone());
    let end = store.last_committed().await.unwrap().unwrap();
    for name in [onestop_projections::status::NAME, onestop_projections::stats::NAME] {
        assert!(
            onestop_projections::wait_for(store.pool(), name, end, Duration::from_secs(60)).await.unwrap(),
            "{name} did not catch up"
        );
    }
    server.kill();
    let live = dump(&database).await;
    // The operator's rebuild: from position 0 into copies, swapped in.
    let owner =
        EventStore::new(build_pool(database.config(), &PoolSettings::default()).unwrap(), database.config().clone());
    rebuild(
        owner.pool(),
        &owner,
        &ReadModel::ALL,
        Mode::Bulk,
        &onestop_domain::search::IndexKey::development(),
        |_| {},
    )
    .await
    .unwrap();
    let rebuilt = dump(&database).await;
    for ((table, _), (live, rebuilt)) in READ_MODELS.iter().zip(live.iter().zip(&rebuilt)) {
        assert_eq!(live.len(), rebuilt.len(), "{table}: row counts differ");
        assert!(live == rebuilt, "{table}: rows differ from a rebuild");
    }
    let mut refused: Vec<u16> = sent.iter().map(|s| s.status).filter(|s| !(200..300).contains(s)).collect();
    refused.sort_unstable();
    eprintln!(
        "{kills} kills and one outage: {} commands answered, {succeeded} succeeded, each once \
         in the log; other answers: {refused:?}",
        sent.len()
    );
}
