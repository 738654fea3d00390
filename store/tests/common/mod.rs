//! Shared set-up for the store's tests: a fresh database and a store working as
//! the application role.
#![allow(dead_code, clippy::expect_used)]

use onestop_migrations::APPLICATION_ROLE;
use onestop_migrations::testing::TestDatabase;
use onestop_store::{EventStore, NewEvent, PoolSettings, StreamId, build_pool};
use serde_json::json;

pub async fn fresh_store() -> (TestDatabase, EventStore) {
    let database = TestDatabase::create().await.expect("test database");
    let pool = build_pool(
        database.config(),
        &PoolSettings { max_size: 20, role: Some(APPLICATION_ROLE.into()), ..PoolSettings::default() },
    )
    .expect("pool");
    let store = EventStore::new(pool, database.config().clone());
    (database, store)
}

pub fn stream(id: &str) -> StreamId {
    StreamId::new(id).expect("valid stream id")
}

pub fn event(n: u64) -> NewEvent {
    NewEvent::new("TestHappened", json!({ "n": n, "note": "thử nghiệm" }))
}

pub async fn count_events(database: &TestDatabase) -> i64 {
    let client = database.superuser().await.expect("superuser connection");
    client.query_one("SELECT count(*) FROM events", &[]).await.expect("count").get(0)
}
