//! Ordering under stress: many writers whose transactions commit late and out
//! of order, while projections follow the log live in two runners at once;
//! every event must be seen exactly once. The projections start when half
//! the events are written, so they also catch up (growing batches, read
//! ahead) while the writers go on.
//!
//! `ONESTOP_STRESS_EVENTS` sets the number of events (default 20,000, the
//! short run of the default test command); the full run is
//! `ONESTOP_STRESS_EVENTS=1000000 cargo nextest run --release -p onestop-tests --test stress`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::Transaction;
use onestop_migrations::APPLICATION_ROLE;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::runner::CATCH_UP_BATCH;
use onestop_projections::{Projection, ProjectionError, Runner, StatusProjection, wait_for};
use onestop_store::{
    EventStore, ExpectedVersion, NewEvent, PoolSettings, RecordedEvent, StreamBatch, StreamId, build_pool,
};
use rand::{Rng, SeedableRng};
use serde_json::json;

const WRITERS: usize = 32;

/// Writes down every position it is given, without any constraint: an event
/// applied twice shows as a duplicate row, one skipped as a missing row.
#[derive(Debug)]
struct Witness;

impl Projection for Witness {
    type Prepared = ();
    type Memory = ();

    fn name(&self) -> &'static str {
        "stress_witness"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["stress_witness"]
    }

    fn prepare(&self, _: &[RecordedEvent]) -> Result<(), ProjectionError> {
        Ok(())
    }

    async fn apply(
        &self,
        transaction: &Transaction<'_>,
        events: &[RecordedEvent],
        (): (),
        (): &mut (),
    ) -> Result<(), ProjectionError> {
        let positions: Vec<i64> = events.iter().map(|e| e.global_position).collect();
        transaction.execute("INSERT INTO stress_witness SELECT unnest($1::bigint[])", &[&positions]).await?;
        Ok(())
    }
}

/// One writer: transactions of 1–3 new streams of 1–8 events each, held open
/// 0–4 ms after the append before committing, so that commits overtake each
/// other. Returns the events it got committed.
async fn writer(store: EventStore, index: usize, quota: u64, written: Arc<AtomicU64>) -> u64 {
    let mut random = rand::rngs::StdRng::seed_from_u64(index as u64);
    let mut mine = 0;
    let mut transaction_no = 0;
    while mine < quota {
        transaction_no += 1;
        let mut batches = Vec::new();
        for stream_no in 0..random.random_range(1..=3) {
            let left = quota - mine;
            if left == 0 {
                break;
            }
            let count = random.random_range(1..=8).min(left);
            mine += count;
            batches.push(StreamBatch {
                stream_id: StreamId::new(format!("stress-{index}-{transaction_no}-{stream_no}")).unwrap(),
                expected: ExpectedVersion::NoStream,
                events: (0..count)
                    .map(|n| NewEvent {
                        event_id: uuid::Uuid::new_v4(),
                        event_type: "StressTested".into(),
                        schema_version: 1,
                        payload: json!({ "writer": index, "n": n }),
                        metadata: json!({}),
                    })
                    .collect(),
            });
        }
        let mut client = store.pool().get().await.unwrap();
        let transaction = client.transaction().await.unwrap();
        store.append_many_in(&transaction, &batches).await.unwrap();
        let delay = random.random_range(0..=4_000);
        tokio::time::sleep(Duration::from_micros(delay)).await;
        transaction.commit().await.unwrap();
        let events: u64 = batches.iter().map(|b| b.events.len() as u64).sum();
        written.fetch_add(events, Ordering::Relaxed);
    }
    mine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_late_commits_are_each_projected_exactly_once() {
    let total: u64 = std::env::var("ONESTOP_STRESS_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let database = TestDatabase::create().await.unwrap();
    database
        .superuser()
        .await
        .unwrap()
        .batch_execute(&format!(
            "CREATE TABLE stress_witness (global_position bigint NOT NULL); \
             GRANT SELECT, INSERT, DELETE ON stress_witness TO {APPLICATION_ROLE}"
        ))
        .await
        .unwrap();
    let pool = build_pool(
        database.config(),
        &PoolSettings { max_size: WRITERS + 12, role: Some(APPLICATION_ROLE.into()), ..PoolSettings::default() },
    )
    .unwrap();
    let store = EventStore::new(pool.clone(), database.config().clone());

    // Two runners of the witness (two server processes) and the status view,
    // started when half the events are in: they catch up with growing
    // batches read ahead while the writers go on, then follow live.
    let live = |store: &EventStore| {
        [
            tokio::spawn(Runner::new(Witness, store.clone(), 1_000).catch_up_batches(CATCH_UP_BATCH).run()),
            tokio::spawn(Runner::new(Witness, store.clone(), 1_000).catch_up_batches(CATCH_UP_BATCH).run()),
            tokio::spawn(Runner::new(StatusProjection, store.clone(), 1_000).catch_up_batches(CATCH_UP_BATCH).run()),
        ]
    };
    let started = Instant::now();
    let written = Arc::new(AtomicU64::new(0));
    let quota = total / WRITERS as u64;
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let quota = if i == 0 { total - quota * (WRITERS as u64 - 1) } else { quota };
            tokio::spawn(writer(store.clone(), i, quota, written.clone()))
        })
        .collect();
    while written.load(Ordering::Relaxed) < total / 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let runners = live(&store);
    let mut committed = 0;
    for writer in writers {
        committed += writer.await.unwrap();
    }
    let writing = started.elapsed();
    assert_eq!(committed, total);
    assert_eq!(written.load(Ordering::Relaxed), total);

    let end = store.last_committed().await.unwrap().unwrap();
    for name in ["stress_witness", onestop_projections::status::NAME] {
        assert!(wait_for(&pool, name, end, Duration::from_secs(600)).await.unwrap(), "{name} did not catch up");
    }
    let following = started.elapsed();
    for runner in runners {
        runner.abort();
    }
    eprintln!(
        "{total} events from {WRITERS} writers in {:.1} s ({:.0} events/s); \
         projections caught up {:.1} s after the start",
        writing.as_secs_f64(),
        total as f64 / writing.as_secs_f64(),
        following.as_secs_f64()
    );

    let client = database.superuser().await.unwrap();
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM events), \
                    (SELECT count(*) FROM stress_witness), \
                    (SELECT count(DISTINCT global_position) FROM stress_witness), \
                    (SELECT count(*) FROM events e WHERE NOT EXISTS \
                        (SELECT 1 FROM stress_witness w WHERE w.global_position = e.global_position))",
            &[],
        )
        .await
        .unwrap();
    let (events, seen, distinct, missing): (i64, i64, i64, i64) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(events, total as i64);
    assert_eq!(missing, 0, "events the witness never saw");
    assert_eq!(seen, distinct, "events the witness saw twice");
    assert_eq!(seen, events);
    let applied: Vec<(String, i64)> = client
        .query("SELECT name, events_applied FROM projection_checkpoints ORDER BY name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (name, count) in &applied {
        assert_eq!(*count, events, "{name} applied {count} of {events} events");
    }
    assert_eq!(applied.len(), 2);
}
