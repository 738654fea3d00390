//! Appending: optimistic concurrency, idempotent retries, and input checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod common;

use std::sync::Arc;

use common::{count_events, event, fresh_store, stream};
use onestop_store::{EventStore, ExpectedVersion, InvalidInput, NewEvent, StoreError, StreamId};
use serde_json::json;
use tokio::sync::Barrier;

const WRITERS: usize = 16;
const EVENTS_PER_WRITER: usize = 10;

/// Starts [`WRITERS`] tasks running `write(store, stream, writer)`, released
/// together so that they race.
fn at_once<F, Fut>(store: &EventStore, case: &StreamId, write: F) -> Vec<tokio::task::JoinHandle<Fut::Output>>
where
    F: Fn(EventStore, StreamId, usize) -> Fut,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(WRITERS));
    (0..WRITERS)
        .map(|writer| {
            let (barrier, task) = (barrier.clone(), write(store.clone(), case.clone(), writer));
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_writers_write_every_version_exactly_once() {
    let (_db, store) = fresh_store().await;
    let case = stream("case-concurrency");

    // Round one: all sixteen expect the empty stream at the same moment; exactly
    // one wins and every loser is told expected 0, actual 1.
    let first_round = at_once(&store, &case, |store, case, writer| async move {
        store.append(&case, ExpectedVersion::NoStream, &[event(writer as u64)]).await
    });
    let mut winners = 0;
    for task in first_round {
        match task.await.unwrap() {
            Ok(outcome) => {
                assert_eq!(outcome.stream_version, 1);
                winners += 1;
            }
            Err(StoreError::WrongExpectedVersion { stream_id, expected, actual }) => {
                assert_eq!(stream_id, "case-concurrency");
                assert_eq!(expected, ExpectedVersion::NoStream);
                assert_eq!(actual, 1);
            }
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(winners, 1);

    // Then each writer appends its events, re-reading the version after each conflict.
    let writers = at_once(&store, &case, |store, case, writer| async move {
        let mut written = Vec::new();
        let mut conflicts = Vec::new();
        for n in 0..EVENTS_PER_WRITER {
            let new = event((writer * 1000 + n) as u64);
            loop {
                let version = store.stream_version(&case).await.unwrap();
                match store.append(&case, ExpectedVersion::Exact(version), std::slice::from_ref(&new)).await {
                    Ok(outcome) => {
                        written.push((new.event_id, outcome.stream_version));
                        break;
                    }
                    Err(StoreError::WrongExpectedVersion { expected, actual, .. }) => {
                        conflicts.push((expected, actual))
                    }
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
        }
        (written, conflicts)
    });
    let mut written = Vec::new();
    for task in writers {
        let (mine, conflicts) = task.await.unwrap();
        for (expected, actual) in conflicts {
            let ExpectedVersion::Exact(expected) = expected else {
                panic!("conflict names an exact expected version");
            };
            assert!(actual > expected, "actual {actual} must be past {expected}");
        }
        written.extend(mine);
    }

    let total = 1 + WRITERS * EVENTS_PER_WRITER;
    let events = store.read_stream_all(&case).await.unwrap();
    let versions: Vec<u64> = events.iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, (1..=total as u64).collect::<Vec<_>>());
    // Every acknowledged append is in the log at the version it was told.
    for (event_id, version) in written {
        let stored = &events[version as usize - 1];
        assert_eq!(stored.event_id, event_id);
    }
    assert!(store.verify_stream(&case).await.unwrap().is_intact());
}

#[tokio::test]
async fn retrying_the_same_append_writes_nothing_and_succeeds() {
    let (db, store) = fresh_store().await;
    let case = stream("case-retry");
    let batch = vec![event(1), event(2), event(3)];

    let first = store.append(&case, ExpectedVersion::NoStream, &batch).await.unwrap();
    assert!(!first.already_written);
    assert_eq!(first.stream_version, 3);

    let retry = store.append(&case, ExpectedVersion::NoStream, &batch).await.unwrap();
    assert!(retry.already_written);
    assert_eq!(retry.stream_version, 3);
    assert_eq!(retry.global_positions, first.global_positions);

    let retry_any = store.append(&case, ExpectedVersion::Any, &batch).await.unwrap();
    assert!(retry_any.already_written);
    assert_eq!(count_events(&db).await, 3);

    // The tail of the batch alone, at the version it was written after, is a retry too.
    let tail = store.append(&case, ExpectedVersion::Exact(1), &batch[1..]).await.unwrap();
    assert!(tail.already_written);
    assert_eq!(tail.stream_version, 3);

    // The same events claimed at another expected version are a conflict.
    let elsewhere = store.append(&case, ExpectedVersion::Exact(3), &batch).await.unwrap_err();
    assert!(matches!(elsewhere, StoreError::WrongExpectedVersion { actual: 3, .. }), "{elsewhere}");
    assert_eq!(count_events(&db).await, 3);
}

#[tokio::test]
async fn a_partly_overlapping_retry_is_a_conflict_and_writes_nothing() {
    let (db, store) = fresh_store().await;
    let case = stream("case-partial");
    let batch = vec![event(1), event(2)];
    store.append(&case, ExpectedVersion::NoStream, &batch).await.unwrap();

    let overlapping = vec![batch[1].clone(), event(3)];
    let error = store.append(&case, ExpectedVersion::Exact(1), &overlapping).await.unwrap_err();
    assert!(matches!(error, StoreError::PartialRetry { already_written: 1, batch_size: 2, .. }), "{error}");
    assert!(error.is_conflict());

    let error = store.append(&case, ExpectedVersion::Any, &overlapping).await.unwrap_err();
    assert!(matches!(error, StoreError::PartialRetry { .. }), "{error}");
    assert_eq!(count_events(&db).await, 2);
}

#[tokio::test]
async fn an_event_id_taken_by_another_stream_is_refused() {
    let (db, store) = fresh_store().await;
    let taken = event(1);
    store.append(&stream("case-a"), ExpectedVersion::NoStream, std::slice::from_ref(&taken)).await.unwrap();
    let error =
        store.append(&stream("case-b"), ExpectedVersion::NoStream, std::slice::from_ref(&taken)).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::DuplicateEventId { event_id, stream_id, stream_version: 1 }
            if *event_id == taken.event_id && stream_id == "case-a"),
        "{error}"
    );
    assert_eq!(count_events(&db).await, 1);
}

#[tokio::test]
async fn appends_with_any_version_all_land() {
    let (_db, store) = fresh_store().await;
    let case = stream("case-any");
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (store, case) = (store.clone(), case.clone());
        tasks.push(tokio::spawn(async move {
            store.append(&case, ExpectedVersion::Any, &[event(n), event(n + 100)]).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let events = store.read_stream_all(&case).await.unwrap();
    assert_eq!(events.len(), 16);
    assert!(store.verify_stream(&case).await.unwrap().is_intact());
}

#[tokio::test]
async fn bad_input_is_refused_with_a_typed_error_and_writes_nothing() {
    let (db, store) = fresh_store().await;
    let case = stream("case-input");

    let empty = store.append(&case, ExpectedVersion::Any, &[]).await.unwrap_err();
    assert!(matches!(empty, StoreError::Invalid(InvalidInput::EmptyBatch)));

    assert!(matches!(StreamId::new(""), Err(InvalidInput::StreamId { .. })));
    assert!(matches!(StreamId::new("x".repeat(201)), Err(InvalidInput::StreamId { .. })));
    assert!(StreamId::new("x".repeat(200)).is_ok());
    // 67 three-byte letters: 201 bytes, over the limit though only 67 characters.
    assert!(StreamId::new("ệ".repeat(67)).is_err());
    assert!(StreamId::new("case-\n").is_err());

    let not_objects = [json!([1, 2]), json!("text"), json!(42), json!(null)];
    for payload in not_objects {
        let error = store
            .append(&case, ExpectedVersion::Any, &[event(1), NewEvent::new("Bad", payload.clone())])
            .await
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::Invalid(InvalidInput::Event { index: 1, reason })
                if reason.contains("payload must be a JSON object")),
            "{payload}: {error}"
        );
    }

    let bad_metadata = NewEvent::new("Bad", json!({})).with_metadata(json!([]));
    let nul = NewEvent::new("Bad", json!({ "name": "a\u{0}b" }));
    let no_type = NewEvent::new("", json!({}));
    let zero_schema = NewEvent::new("Bad", json!({})).with_schema_version(0);
    let first = event(1);
    let twice = [first.clone(), first];
    for batch in [vec![bad_metadata], vec![nul], vec![no_type], vec![zero_schema], twice.to_vec()] {
        let error = store.append(&case, ExpectedVersion::Any, &batch).await.unwrap_err();
        assert!(matches!(error, StoreError::Invalid(InvalidInput::Event { .. })), "{error}");
    }
    assert_eq!(count_events(&db).await, 0);
}

#[tokio::test]
async fn a_multi_stream_append_is_all_or_nothing_and_keeps_every_chain() {
    use onestop_store::StreamBatch;
    let (db, store) = fresh_store().await;
    store.append(&stream("case-old"), ExpectedVersion::NoStream, &[event(1)]).await.unwrap();
    let batches = vec![
        StreamBatch {
            stream_id: stream("case-old"),
            expected: ExpectedVersion::Exact(1),
            events: vec![event(2), event(3)],
        },
        StreamBatch { stream_id: stream("case-new"), expected: ExpectedVersion::NoStream, events: vec![event(4)] },
    ];
    let outcomes = store.append_many(&batches).await.unwrap();
    assert_eq!(outcomes.iter().map(|o| o.stream_version).collect::<Vec<_>>(), [3, 1]);
    assert_eq!(outcomes[0].global_positions.len(), 2);
    assert!(store.verify().await.unwrap().is_intact());

    // One stale expectation: nothing of the call is written.
    let stale = vec![
        StreamBatch { stream_id: stream("case-other"), expected: ExpectedVersion::NoStream, events: vec![event(5)] },
        StreamBatch { stream_id: stream("case-new"), expected: ExpectedVersion::NoStream, events: vec![event(6)] },
    ];
    let error = store.append_many(&stale).await.unwrap_err();
    assert!(matches!(error, StoreError::WrongExpectedVersion { actual: 1, .. }), "{error}");
    assert_eq!(count_events(&db).await, 4);

    // The same stream twice in one call is refused.
    let twice = vec![batches[1].clone(), batches[1].clone()];
    assert!(matches!(store.append_many(&twice).await, Err(StoreError::Invalid(InvalidInput::StreamId { .. }))));
}
