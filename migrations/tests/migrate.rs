//! Start-up migration: creates the database if missing, applies each migration
//! once even when several processes start together.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_migrations::testing::TestDatabase;
use onestop_migrations::{connect, migrate, prepare_database, quote_identifier};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_migrating_together_apply_each_migration_once() {
    let database = TestDatabase::empty().await.unwrap();
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(connect(database.config()).await.unwrap());
    }
    let runs = clients
        .into_iter()
        .map(|mut client| tokio::spawn(async move { migrate(&mut client).await.map(|applied| applied.len()) }));
    let mut applied_counts = Vec::new();
    for run in runs {
        applied_counts.push(run.await.unwrap().unwrap());
    }
    applied_counts.sort_unstable();
    let total: usize = applied_counts.iter().sum();
    // One process applied everything; the others found the schema current.
    assert!(total >= 1);
    assert_eq!(applied_counts[..3], [0, 0, 0]);

    let client = database.superuser().await.unwrap();
    let history: i64 = client.query_one("SELECT count(*) FROM refinery_schema_history", &[]).await.unwrap().get(0);
    assert_eq!(history as usize, total);
    let events_table: Option<String> =
        client.query_one("SELECT to_regclass('events')::text", &[]).await.unwrap().get(0);
    assert_eq!(events_table.as_deref(), Some("events"));
}

#[tokio::test]
async fn a_missing_database_is_created_then_migrated() {
    let database = TestDatabase::empty().await.unwrap();
    // Remove it, so start-up has to create it again.
    let mut maintenance = database.config().clone();
    maintenance.dbname("postgres");
    connect(&maintenance)
        .await
        .unwrap()
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", quote_identifier(database.name())))
        .await
        .unwrap();

    let applied = prepare_database(database.config()).await.unwrap();
    assert!(!applied.is_empty());
    // Running it again changes nothing.
    assert!(prepare_database(database.config()).await.unwrap().is_empty());
}
