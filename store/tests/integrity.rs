//! Immutability and tamper evidence: the log refuses change, and a change forced
//! behind its back is found by `verify`, which names the stream and version.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod common;

use common::{event, fresh_store, stream};
use onestop_store::{ChainProblem, ExpectedVersion, HashedFields, NewEvent, Upcasters, canonical_json, event_hash};
use serde_json::json;
use tokio_postgres::error::SqlState;

#[tokio::test]
async fn update_delete_and_truncate_are_refused() {
    let (db, store) = fresh_store().await;
    store.append(&stream("case-a"), ExpectedVersion::NoStream, &[event(1)]).await.unwrap();

    // The application's role has no right to change history …
    let app = store.pool().get().await.unwrap();
    for statement in ["UPDATE events SET event_type = 'Forged'", "DELETE FROM events", "TRUNCATE events"] {
        let error = app.batch_execute(statement).await.unwrap_err();
        assert_eq!(error.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{statement}: {error}");
    }

    // … and even the table's owner is stopped by the trigger.
    let owner = db.superuser().await.unwrap();
    for statement in ["UPDATE events SET event_type = 'Forged'", "DELETE FROM events", "TRUNCATE events"] {
        let error = owner.batch_execute(statement).await.unwrap_err();
        let message = error.as_db_error().map(|e| e.message().to_owned());
        assert!(message.as_deref().is_some_and(|m| m.contains("append-only")), "{statement}: {error:?}");
    }
    let count: i64 =
        owner.query_one("SELECT count(*) FROM events WHERE event_type = 'TestHappened'", &[]).await.unwrap().get(0);
    assert_eq!(count, 1);
}

#[tokio::test]
async fn verify_names_rows_altered_behind_the_triggers_back() {
    let (db, store) = fresh_store().await;
    for name in ["case-a", "case-b", "case-c", "case-d"] {
        let batch: Vec<_> = (1..=3).map(event).collect();
        store.append(&stream(name), ExpectedVersion::NoStream, &batch).await.unwrap();
    }
    let clean = store.verify().await.unwrap();
    assert!(clean.is_intact(), "{:?}", clean.breaks);
    assert_eq!((clean.streams, clean.events), (4, 12));

    let superuser = db.superuser().await.unwrap();
    // Replication mode skips ordinary triggers: a superuser can force a change.
    superuser
        .batch_execute(
            "SET session_replication_role = replica;
             UPDATE events SET payload = '{\"n\": 999}'
              WHERE stream_id = 'case-b' AND stream_version = 2;
             DELETE FROM events WHERE stream_id = 'case-c' AND stream_version = 2;",
        )
        .await
        .unwrap();

    // A forger who also recomputes the altered event's hash breaks the next link.
    let forged = store.read_stream(&stream("case-d"), 0, 1).await.unwrap().remove(0);
    let forged_payload = canonical_json(&json!({"n": 1, "forged": true})).unwrap();
    let metadata = canonical_json(&forged.metadata.to_value().unwrap()).unwrap();
    let forged_hash = event_hash(
        None,
        &HashedFields {
            stream_id: "case-d",
            stream_version: 1,
            event_id: forged.event_id,
            event_type: &forged.event_type,
            schema_version: forged.schema_version,
            payload: &forged_payload,
            metadata: &metadata,
            recorded_at_micros: forged.recorded_at.as_microsecond(),
        },
    );
    superuser
        .execute(
            "UPDATE events SET payload = $1::text::json, hash = $2
              WHERE stream_id = 'case-d' AND stream_version = 1",
            &[&forged_payload, &forged_hash.as_slice()],
        )
        .await
        .unwrap();

    let report = store.verify().await.unwrap();
    let found: Vec<(String, u64, ChainProblem)> =
        report.breaks.iter().map(|b| (b.stream_id.clone(), b.stream_version, b.problem.clone())).collect();
    assert_eq!(
        found,
        vec![
            ("case-b".into(), 2, ChainProblem::ContentAltered),
            ("case-c".into(), 3, ChainProblem::VersionsMissing { expected_version: 2 }),
            ("case-d".into(), 2, ChainProblem::LinkBroken),
        ]
    );
    let one = store.verify_stream(&stream("case-b")).await.unwrap();
    assert_eq!(one.breaks.len(), 1);
    assert!(one.breaks[0].to_string().contains("stream case-b version 2"));
    assert!(store.verify_stream(&stream("case-a")).await.unwrap().is_intact());
}

#[tokio::test]
async fn old_schema_versions_are_upcast_on_read_and_history_is_untouched() {
    let (_db, store) = fresh_store().await;
    let case = stream("case-upcast");
    store
        .append(&case, ExpectedVersion::NoStream, &[NewEvent::new("ApplicantNamed", json!({ "name": "Nguyễn Văn A" }))])
        .await
        .unwrap();

    let store = store.with_upcasters(
        Upcasters::new()
            .register("ApplicantNamed", 1, |mut payload| {
                let name = payload.as_object_mut().and_then(|o| o.remove("name")).ok_or("no name")?;
                Ok(json!({ "full_name": name }))
            })
            .register("ApplicantNamed", 2, |mut payload| {
                payload["source"] = json!("reception");
                Ok(payload)
            }),
    );
    let events = store.read_stream_all(&case).await.unwrap();
    assert_eq!(events[0].schema_version, 3);
    assert_eq!(events[0].payload.to_value().unwrap(), json!({ "full_name": "Nguyễn Văn A", "source": "reception" }));
    let all = store.read_all(onestop_store::Checkpoint::START, 10).await.unwrap();
    assert!(all.iter().all(|e| e.schema_version == 3));
    // Verification reads the stored version, not the upcast one.
    assert!(store.verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn a_seal_exposes_a_stream_rewritten_with_recomputed_hashes() {
    let (db, store) = fresh_store().await;
    for name in ["case-a", "case-b"] {
        let batch: Vec<_> = (1..=3).map(event).collect();
        store.append(&stream(name), ExpectedVersion::NoStream, &batch).await.unwrap();
    }
    // Seal; the auditor keeps the digest.
    let seal = seal_when_visible(&store).await;
    assert_eq!((seal.streams, seal.events), (2, 6));
    assert_eq!(store.seals().await.unwrap(), vec![seal.clone()]);
    assert_eq!(store.recompute_seal(seal.up_to).await.unwrap(), seal);
    // Later appends do not change what the seal covers.
    store.append(&stream("case-a"), ExpectedVersion::Exact(3), &[event(4)]).await.unwrap();
    assert_eq!(store.recompute_seal(seal.up_to).await.unwrap(), seal);
    assert!(store.verify().await.unwrap().is_intact());

    // A forger rewrites case-b's first event and recomputes every hash after it,
    // so the chain itself verifies …
    let superuser = db.superuser().await.unwrap();
    superuser.batch_execute("SET session_replication_role = replica").await.unwrap();
    let events = store.read_stream_all(&stream("case-b")).await.unwrap();
    let mut prev: Option<[u8; 32]> = None;
    for stored in &events {
        let payload = if stored.stream_version == 1 {
            canonical_json(&json!({ "n": 1, "rewritten": true })).unwrap()
        } else {
            stored.payload.as_str().to_owned()
        };
        let hash = event_hash(
            prev.as_ref(),
            &HashedFields {
                stream_id: "case-b",
                stream_version: stored.stream_version,
                event_id: stored.event_id,
                event_type: &stored.event_type,
                schema_version: stored.schema_version,
                payload: &payload,
                metadata: stored.metadata.as_str(),
                recorded_at_micros: stored.recorded_at.as_microsecond(),
            },
        );
        superuser
            .execute(
                "UPDATE events SET payload = $1::text::json, prev_hash = $2, hash = $3
                  WHERE stream_id = 'case-b' AND stream_version = $4",
                &[
                    &payload,
                    &prev.as_ref().map(<[u8; 32]>::as_slice),
                    &hash.as_slice(),
                    &(stored.stream_version as i64),
                ],
            )
            .await
            .unwrap();
        prev = Some(hash);
    }
    assert!(store.verify_stream(&stream("case-b")).await.unwrap().is_intact());

    // … but the seal no longer matches, and verify says so.
    assert_ne!(store.recompute_seal(seal.up_to).await.unwrap().heads_digest, seal.heads_digest);
    let report = store.verify().await.unwrap();
    assert_eq!(report.breaks.len(), 1);
    assert_eq!(report.breaks[0].stream_id, "seal");
    assert!(matches!(report.breaks[0].problem, ChainProblem::SealMismatch { .. }));
}

/// Seals once the appended events are visible to every reader (transactions of
/// other tests on the same server may hold the horizon back for a moment).
async fn seal_when_visible(store: &onestop_store::EventStore) -> onestop_store::LogSeal {
    for _ in 0..200 {
        let visible = store.read_all(onestop_store::Checkpoint::START, 100).await.unwrap();
        if visible.len() == 6 {
            return store.seal().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the appended events never became visible");
}
