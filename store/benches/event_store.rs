//! Throughput of the event store on the real PostgreSQL, in events per second.
//!
//! `cargo bench -p onestop-store --bench event_store` (release mode). Each run uses
//! a fresh database. `BENCH_SCALE` (default 1.0) scales every workload.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use onestop_migrations::APPLICATION_ROLE;
use onestop_migrations::testing::TestDatabase;
use onestop_store::{Checkpoint, EventStore, ExpectedVersion, NewEvent, PoolSettings, StreamId, build_pool};
use serde_json::json;
use uuid::Uuid;

/// A payload shaped like a real case event (~350 bytes with metadata).
fn case_event(n: usize) -> NewEvent {
    NewEvent::new(
        "CaseTransferred",
        json!({
            "from_unit": "000.00.01.H22",
            "to_unit": "000.00.12.H22",
            "step": 2,
            "assignee": Uuid::from_u128(n as u128),
            "note": "Chuyển phòng chuyên môn thẩm định hồ sơ",
            "step_due": "2026-03-04T10:00:00+07:00"
        }),
    )
    .with_metadata(json!({
        "actor": { "user_id": Uuid::from_u128(7), "role": "specialist", "unit": "000.00.01.H22" },
        "command_id": Uuid::now_v7(),
        "correlation_id": Uuid::now_v7(),
        "request_id": "bench",
        "client_ip": "127.0.0.1"
    }))
}

fn stream(prefix: &str, n: usize) -> StreamId {
    StreamId::new(format!("{prefix}-{n}")).unwrap_or_else(|e| panic!("{e}"))
}

fn report(name: &str, events: usize, elapsed: Duration) {
    println!(
        "{name:<42} {events:>9} events in {:>7.2} s = {:>10.0} events/s",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale: f64 = std::env::var("BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let n = |base: usize| ((base as f64 * scale) as usize).max(1);

    let database = TestDatabase::create().await?;
    let pool = build_pool(
        database.config(),
        &PoolSettings { max_size: 16, role: Some(APPLICATION_ROLE.into()), ..PoolSettings::default() },
    )?;
    let store = EventStore::new(pool, database.config().clone());
    println!("event store benchmark (database {})", database.name());

    // 1. Single-event appends, one writer, each to a new stream.
    let count = n(5_000);
    let start = Instant::now();
    for i in 0..count {
        store.append(&stream("single", i), ExpectedVersion::NoStream, &[case_event(i)]).await?;
    }
    report("append, 1 event per call, 1 writer", count, start.elapsed());

    // 2. 100-event batches, one writer.
    let batches = n(1_000);
    let start = Instant::now();
    for b in 0..batches {
        let batch: Vec<_> = (0..100).map(|i| case_event(b * 100 + i)).collect();
        store.append(&stream("batch", b), ExpectedVersion::NoStream, &batch).await?;
    }
    report("append, 100-event batches, 1 writer", batches * 100, start.elapsed());

    // 3. Sixteen concurrent writers, single-event appends to their own streams.
    let per_writer = n(1_500);
    let start = Instant::now();
    let mut writers = Vec::new();
    for w in 0..16 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let id = w * 1_000_000 + i;
                store.append(&stream("conc", id), ExpectedVersion::NoStream, &[case_event(id)]).await?;
            }
            Ok::<_, onestop_store::StoreError>(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    report("append, 1 event per call, 16 writers", 16 * per_writer, start.elapsed());

    // 4. Sixteen writers contending for one stream with exact expected versions.
    let per_writer = n(100);
    let start = Instant::now();
    let mut writers = Vec::new();
    let conflicts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for w in 0..16 {
        let (store, conflicts) = (store.clone(), conflicts.clone());
        writers.push(tokio::spawn(async move {
            let hot = stream("hot", 0);
            for i in 0..per_writer {
                let event = case_event(w * 1_000_000 + i);
                loop {
                    let version = store.stream_version(&hot).await?;
                    match store.append(&hot, ExpectedVersion::Exact(version), std::slice::from_ref(&event)).await {
                        Ok(_) => break,
                        Err(e) if e.is_conflict() => {
                            conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    report("append, 16 writers on one stream", 16 * per_writer, start.elapsed());
    println!("{:<42} {:>9} conflicts retried", "", conflicts.load(std::sync::atomic::Ordering::Relaxed));

    // 5. Read the whole log in global order, in batches. A bulk reader (the replay
    // tool, a projection catching up) runs on a runtime of its own thread: no
    // cross-thread wake-up per network read.
    let total = store.read_all(Checkpoint::START, usize::MAX).await?.len();
    if std::env::var_os("BENCH_VACUUM").is_some() {
        database.superuser().await?.batch_execute("VACUUM ANALYZE events").await?;
    }
    let config = database.config().clone();
    let reader = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async move {
            let pool = build_pool(&config, &PoolSettings::default())?;
            let store = EventStore::new(pool, config);
            for batch_size in [1_000, 5_000] {
                let start = Instant::now();
                let mut checkpoint = Checkpoint::START;
                let mut read = 0;
                let mut payload_bytes = 0;
                loop {
                    let batch = store.read_all(checkpoint, batch_size).await?;
                    let Some(last) = batch.last() else { break };
                    checkpoint = last.checkpoint();
                    read += batch.len();
                    payload_bytes += batch.iter().map(|e| e.payload.as_str().len()).sum::<usize>();
                }
                assert_eq!(read, total);
                report(&format!("read all, batches of {batch_size}"), read, start.elapsed());
                if batch_size == 5_000 {
                    println!("{:<42} {:>9} bytes of payload on average", "", payload_bytes / read);
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
    });
    reader.join().map_err(|_| "the reader thread panicked")?.map_err(|e| e.to_string())?;

    // 6. Seal the log: every stream's head, one digest.
    let start = Instant::now();
    let seal = store.seal().await?;
    report(&format!("seal ({} streams)", seal.streams), seal.events as usize, start.elapsed());

    // 7. Verify every hash chain and the seal.
    let start = Instant::now();
    let verified = store.verify().await?;
    assert!(verified.is_intact());
    report("verify all hash chains and the seal", verified.events as usize, start.elapsed());
    Ok(())
}
