//! The replay tool over a simulated province: its Biểu 06 ground truth against
//! the statistics the projections build from the same log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::sync::Arc;

use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::stats::{GroupBy, report};
use onestop_projections::{Runner, StatsProjection, StatusProjection};
use onestop_replay::simulate::{self, GroundTruth};
use onestop_store::{EventStore, PoolSettings, build_pool};

struct Simulated {
    _database: TestDatabase,
    store: EventStore,
    truth: GroundTruth,
}

async fn simulated(cases: usize, seed: u64) -> Simulated {
    let database = TestDatabase::create().await.unwrap();
    let pool = build_pool(database.config(), &PoolSettings::default()).unwrap();
    let store = EventStore::new(pool, database.config().clone());
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let service = CaseService::new(store.clone(), catalog, Arc::new(SystemClock));
    let options = simulate::Options {
        cases,
        seed,
        communes: 6,
        batch: 250,
        ..simulate::Options::default()
    };
    let truth = simulate::run(&service, &registry, &options, |_, _| {})
        .await
        .unwrap();
    Simulated {
        _database: database,
        store,
        truth,
    }
}

#[tokio::test]
async fn the_statistics_of_a_simulated_year_equal_its_ground_truth() {
    let sim = simulated(900, 7).await;
    let truth = &sim.truth;
    // A year with something in every column worth checking.
    let total = truth.by_unit.last().unwrap();
    assert_eq!(total.key, "TOTAL");
    assert!(total.received_online > 0 && total.received_offline > 0);
    assert!(total.resolved_early > 0 && total.resolved_late > 0);
    assert!(total.returned > 0 && total.withdrawn > 0);
    assert!(total.in_progress_within + total.in_progress_overdue > 0);
    let on_time =
        (total.resolved_early + total.resolved_on_time) as f64 / total.resolved_total as f64;
    assert!(on_time > 0.95, "on time {on_time}");

    Runner::new(StatusProjection, sim.store.clone(), 1000)
        .catch_up()
        .await
        .unwrap();
    Runner::new(StatsProjection, sim.store.clone(), 1000)
        .catch_up()
        .await
        .unwrap();
    let units: Vec<String> = truth.by_unit.iter().map(|r| r.key.clone()).collect();
    let rows = report(
        sim.store.pool(),
        truth.from,
        truth.to,
        &units,
        GroupBy::Unit,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), truth.by_unit.len());
    for (row, expected) in rows.iter().zip(&truth.by_unit) {
        assert_eq!(row, expected, "unit {}", expected.key);
    }
}

#[tokio::test]
async fn the_same_seed_simulates_the_same_year() {
    let first = simulated(150, 42).await;
    let second = simulated(150, 42).await;
    let other = simulated(150, 43).await;
    let json = |t: &GroundTruth| serde_json::to_value(t).unwrap();
    assert_eq!(json(&first.truth), json(&second.truth));
    assert_ne!(json(&first.truth), json(&other.truth));
}
