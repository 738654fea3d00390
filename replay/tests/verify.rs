//! `onestop-replay verify` as an operator runs it: the real binary against a
//! simulated log, before and after a superuser alters one row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::process::Command;
use std::sync::Arc;

use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;
use onestop_migrations::testing::TestDatabase;
use onestop_replay::simulate;
use onestop_store::{EventStore, PoolSettings, build_pool};

fn verify(database: &TestDatabase) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_onestop-replay"))
        .args(["--database-url", &database.url(), "verify"])
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap())
}

#[tokio::test]
async fn verify_passes_on_a_clean_log_and_names_the_row_a_superuser_altered() {
    let database = TestDatabase::create().await.unwrap();
    let pool = build_pool(database.config(), &PoolSettings::default()).unwrap();
    let store = EventStore::new(pool, database.config().clone());
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let cases = CaseService::new(store.clone(), catalog, Arc::new(SystemClock));
    let options = simulate::Options { cases: 80, communes: 3, ..simulate::Options::default() };
    simulate::run(&cases, &registry, &options, |_, _| {}).await.unwrap();

    let (code, out) = verify(&database);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0 broken"), "{out}");

    // A superuser slips past the immutability trigger and edits one event.
    let superuser = database.superuser().await.unwrap();
    let stream: String = superuser
        .query_one(
            "SELECT stream_id FROM events WHERE event_type = 'CaseApproved' \
             ORDER BY global_position LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let version: i64 = superuser
        .query_one("SELECT stream_version FROM events WHERE stream_id = $1 AND event_type = 'CaseApproved'", &[&stream])
        .await
        .unwrap()
        .get(0);
    superuser.execute("SELECT set_config('session_replication_role', 'replica', false)", &[]).await.unwrap();
    superuser
        .execute(
            "UPDATE events SET payload = json_build_object('at', '2025-01-01T00:00:00Z', 'note', 'altered') \
             WHERE stream_id = $1 AND stream_version = $2",
            &[&stream, &version],
        )
        .await
        .unwrap();

    let (code, out) = verify(&database);
    assert_eq!(code, Some(1), "{out}");
    let broken: Vec<&str> = out.lines().filter(|l| l.starts_with("BROKEN")).collect();
    assert_eq!(broken.len(), 1, "{out}");
    assert!(broken[0].contains(&stream) && broken[0].contains(&format!("version {version}")), "{}", broken[0]);
}
