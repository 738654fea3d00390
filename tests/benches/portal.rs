//! The national portal's sync and the Biểu II.06a spreadsheet, over a
//! simulated province-year.
//!
//! `cargo bench -p onestop-tests --bench portal` — simulates `BENCH_CASES`
//! files (default 3,000) of a province with 20 communes into a fresh database,
//! folds the status view (the feed), then:
//! - runs the portal sender against the stand-in platform (no faults; every
//!   call a new connection, as the stand-in closes each) and times it from
//!   the first record to the last synced: records/s, calls made;
//! - renders Biểu II.06a as XLSX for the year, grouped by unit, procedure and
//!   field, `BENCH_RENDERS` times each (default 200): the report's query and
//!   the rendering apart, p50 and p99.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use onestop_api::portal::lgsp::LgspClient;
use onestop_api::portal::sync::{PortalSettings, Sources};
use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::stats::sheet::{Heading, RowsAre, render};
use onestop_projections::stats::{GroupBy, report};
use onestop_projections::{Runner, StatsProjection, StatusProjection};
use onestop_replay::simulate;
use onestop_store::{EventStore, PoolSettings, build_pool};
use onestop_tests::fake_portal::FakePortal;
use onestop_tests::measure::{env, quantiles};

#[tokio::main]
async fn main() {
    let cases = env("BENCH_CASES", 3_000);
    let renders = env("BENCH_RENDERS", 200);
    let database = TestDatabase::create().await.unwrap();
    let pool = build_pool(database.config(), &PoolSettings { max_size: 16, ..PoolSettings::default() }).unwrap();
    let store = EventStore::new(pool.clone(), database.config().clone());
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let service = CaseService::new(store.clone(), catalog, Arc::new(SystemClock));
    let options = simulate::Options { cases, seed: 7, ..simulate::Options::default() };
    let started = Instant::now();
    let truth = simulate::run(&service, &registry, &options, |_, _| {}).await.unwrap();
    println!("simulated {} files, {} events, in {:.1} s", truth.cases, truth.events, started.elapsed().as_secs_f64());
    Runner::new(StatusProjection, store.clone(), 1000).catch_up().await.unwrap();
    Runner::new(StatsProjection, store.clone(), 1000).catch_up().await.unwrap();
    let head = onestop_projections::feed::head(&pool).await.unwrap();

    // The sync, alone against the stand-in platform.
    let portal = FakePortal::start().await;
    let settings: PortalSettings = onestop_tests::portal_settings(&portal, Duration::from_secs(30));
    let client = Arc::new(LgspClient::new(settings.lgsp.clone()).unwrap());
    let started = Instant::now();
    let sender = tokio::spawn(onestop_api::portal::sync::run(
        Sources { pool: pool.clone(), cases: service.clone() },
        client,
        settings,
    ));
    loop {
        let state = onestop_projections::portal_sync::state(&pool).await.unwrap();
        if state.synced_through >= head && state.in_flight.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    sender.abort();
    let calls = portal.calls();
    let progress_calls = calls.iter().filter(|c| c.service == "CapNhatTienDoHoSoMC").count();
    println!(
        "portal sync: {head} feed records to {} dossiers in {seconds:.2} s = {:.0} records/s \
         ({} calls, {progress_calls} of them progress, {} sign-ins)",
        portal.dossiers().len(),
        head as f64 / seconds,
        calls.len(),
        portal.sign_ins()
    );

    // Biểu II.06a for the province-year.
    let units: Vec<String> = truth.by_unit.iter().map(|r| r.key.clone()).filter(|k| k != "TOTAL").collect();
    for (group_by, rows_are, name) in [
        (GroupBy::Unit, RowsAre::Units, "unit"),
        (GroupBy::Procedure, RowsAre::Procedures, "procedure"),
        (GroupBy::Field, RowsAre::Fields, "field"),
    ] {
        let heading = Heading {
            period_title: Some(format!("Năm {}", options.year)),
            from: truth.from,
            to: truth.to,
            reporting_unit: "Ủy ban nhân dân tỉnh (mô phỏng)".into(),
            receiving_unit: Some("Văn phòng Chính phủ".into()),
            rows_are,
        };
        let (mut queries, mut sheets, mut size, mut rows_count) = (Vec::new(), Vec::new(), 0, 0);
        for _ in 0..renders {
            let started = Instant::now();
            let rows = report(&pool, truth.from, truth.to, &units, group_by).await.unwrap();
            queries.push(started.elapsed());
            let started = Instant::now();
            let bytes = render(&heading, &rows, &|key: &str| key.to_owned()).unwrap();
            sheets.push(started.elapsed());
            size = bytes.len();
            rows_count = rows.len();
        }
        let (q50, q99) = quantiles(queries);
        let (r50, r99) = quantiles(sheets);
        println!(
            "Biểu II.06a by {name:<9} ({rows_count:>3} rows, {size} bytes): report p50 {q50:.2} ms p99 {q99:.2} ms; \
             XLSX p50 {r50:.2} ms p99 {r99:.2} ms"
        );
    }
}
