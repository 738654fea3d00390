//! Global order readers can trust: a transaction that took an earlier position but
//! commits late is never skipped, by a catch-up read or by a live subscription.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod common;

use std::time::Duration;

use common::{event, fresh_store, stream};
use onestop_migrations::testing::TestDatabase;
use onestop_store::{Checkpoint, EventStore, ExpectedVersion, SubscriptionOptions};
use uuid::Uuid;

/// Opens a transaction that inserts one event and stays open until committed.
async fn begin_late_writer(database: &TestDatabase) -> (tokio_postgres::Client, Uuid) {
    let client = database.superuser().await.unwrap();
    let event_id = Uuid::now_v7();
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, \
             schema_version, payload, metadata, recorded_at, prev_hash, hash) \
             VALUES ('case-late', 1, $1, 'LateEvent', 1, '{}', '{}', now(), NULL, \
                     sha256('late'::bytea))",
            &[&event_id],
        )
        .await
        .unwrap();
    (client, event_id)
}

/// Reads everything after `from`, waiting (boundedly) for transactions of other
/// tests on the same server to end, since they also hold back the horizon.
async fn read_until(store: &EventStore, from: Checkpoint, count: usize) -> Vec<Uuid> {
    for _ in 0..200 {
        let events = store.read_all(from, 1000).await.unwrap();
        if events.len() >= count {
            return events.iter().map(|e| e.event_id).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the reader did not see {count} events within 10 s");
}

#[tokio::test]
async fn a_late_commit_with_an_earlier_position_is_not_skipped() {
    let (db, store) = fresh_store().await;
    let observer = db.superuser().await.unwrap();

    // The late writer takes global position 1 and does not commit yet …
    let (late, late_id) = begin_late_writer(&db).await;
    // … while another append takes position 2 and commits at once.
    let early = event(2);
    let outcome =
        store.append(&stream("case-early"), ExpectedVersion::NoStream, std::slice::from_ref(&early)).await.unwrap();
    let late_position: i64 =
        late.query_one("SELECT global_position FROM events WHERE event_id = $1", &[&late_id]).await.unwrap().get(0);
    assert!(late_position < outcome.global_positions[0]);

    // A naive reader by global position sees position 2 and moves past 1.
    let naive_checkpoint: i64 =
        observer.query_one("SELECT coalesce(max(global_position), 0) FROM events", &[]).await.unwrap().get(0);
    assert_eq!(naive_checkpoint, outcome.global_positions[0]);

    // The store's reader waits for the open transaction instead.
    let before_commit = store.read_all(Checkpoint::START, 1000).await.unwrap();
    assert!(before_commit.is_empty(), "read past a transaction still in progress: {before_commit:?}");

    late.batch_execute("COMMIT").await.unwrap();

    // The naive reader never sees the late event: it is behind its checkpoint.
    let naive_after: Vec<i64> = observer
        .query("SELECT global_position FROM events WHERE global_position > $1", &[&naive_checkpoint])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(naive_after.is_empty());

    // The store's reader gets both, the late one first (its transaction began first).
    let seen = read_until(&store, Checkpoint::START, 2).await;
    assert_eq!(seen, vec![late_id, early.event_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_subscription_waits_for_the_late_commit() {
    let (db, store) = fresh_store().await;
    let mut subscription = store.subscribe(
        Checkpoint::START,
        SubscriptionOptions { batch_size: 100, poll_interval: Duration::from_millis(50) },
    );
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = tokio::spawn(async move {
        loop {
            let batch = subscription.next_batch().await.unwrap();
            for event in batch {
                if seen_tx.send(event.event_id).is_err() {
                    return;
                }
            }
        }
    });

    let (late, late_id) = begin_late_writer(&db).await;
    let early = event(2);
    store.append(&stream("case-early"), ExpectedVersion::NoStream, std::slice::from_ref(&early)).await.unwrap();

    // However long the late transaction stays open, nothing overtakes it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(seen_rx.try_recv().is_err(), "delivered past an open transaction");

    late.batch_execute("COMMIT").await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), seen_rx.recv()).await.unwrap().unwrap();
    let second = tokio::time::timeout(Duration::from_secs(10), seen_rx.recv()).await.unwrap().unwrap();
    assert_eq!((first, second), (late_id, early.event_id));
    follower.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_wakes_subscribers_long_before_their_poll() {
    let (db, writer) = fresh_store().await;
    // A reader with its own pool stands for another process: only the NOTIFY
    // reaches it. A subscription on the writer's own store is woken in-process.
    let other_process =
        EventStore::new(onestop_store::build_pool(db.config(), &Default::default()).unwrap(), db.config().clone());
    let hourly = SubscriptionOptions { batch_size: 100, poll_interval: Duration::from_secs(3600) };
    let mut remote = other_process.subscribe(Checkpoint::START, hourly);
    let mut local = writer.subscribe(Checkpoint::START, hourly);
    // Each reads at once (nothing there), then waits.
    let remote = tokio::spawn(async move { remote.next_batch().await });
    let local = tokio::spawn(async move { local.next_batch().await });
    // Give the listener time to LISTEN before appending.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let appended = event(1);
    writer.append(&stream("case-wake"), ExpectedVersion::NoStream, std::slice::from_ref(&appended)).await.unwrap();
    for follower in [remote, local] {
        let batch = tokio::time::timeout(Duration::from_secs(20), follower)
            .await
            .expect("woken by the append, not by the hour-long poll")
            .unwrap()
            .unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].event_id, appended.event_id);
    }
}

#[tokio::test]
async fn read_all_pages_through_the_log_in_order() {
    let (_db, store) = fresh_store().await;
    let mut expected = Vec::new();
    for s in 0..5 {
        let batch: Vec<_> = (0..7).map(event).collect();
        expected.extend(batch.iter().map(|e| e.event_id));
        store.append(&stream(&format!("case-{s}")), ExpectedVersion::NoStream, &batch).await.unwrap();
    }
    let mut checkpoint = Checkpoint::START;
    let mut seen = Vec::new();
    let mut attempts = 0;
    while seen.len() < expected.len() && attempts < 400 {
        attempts += 1;
        let page = store.read_all(checkpoint, 4).await.unwrap();
        if let Some(last) = page.last() {
            checkpoint = last.checkpoint();
        } else {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        seen.extend(page.iter().map(|e| e.event_id));
    }
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_whole_log_waits_for_what_an_open_transaction_hides() {
    use futures_util::TryStreamExt;
    let (db, store) = fresh_store().await;
    let first = event(1);
    store.append(&stream("case-first"), ExpectedVersion::NoStream, std::slice::from_ref(&first)).await.unwrap();
    // A transaction with an id, open anywhere, keeps later commits from readers.
    let long = db.superuser().await.unwrap();
    long.batch_execute("BEGIN; SELECT pg_current_xact_id()").await.unwrap();
    let second = event(2);
    store.append(&stream("case-second"), ExpectedVersion::NoStream, std::slice::from_ref(&second)).await.unwrap();

    let reader = store.clone();
    let reading = tokio::spawn(async move {
        let pages: Vec<Vec<onestop_store::RecordedEvent>> = reader.pages(100).try_collect().await.unwrap();
        pages.concat().iter().map(|e| e.event_id).collect::<Vec<_>>()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!reading.is_finished(), "read the log without its last commit");
    long.batch_execute("COMMIT").await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(30), reading).await.unwrap().unwrap();
    assert_eq!(seen, vec![first.event_id, second.event_id]);
}
