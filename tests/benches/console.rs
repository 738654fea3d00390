//! Server time of the console's busiest pages over a simulated province:
//! the work queue ("Việc của tôi") and the leaders' dashboard.
//!
//! `cargo bench -p onestop-tests --bench console` — simulates `BENCH_CASES`
//! files (default 100,000) of a province-year (2025) into a fresh database,
//! folds the status view and the statistics, starts the server in this
//! process with the clock at 20 December 2025 10:00, signs in over HTTP as a
//! browser does (cookie session), and asks each page `BENCH_PAGES` times
//! (default 300) one after another on loopback after 20 warm-up requests:
//! the time from sending the request to the last byte of the page, p50 and
//! p99. Pages:
//! - `/work` of the officer whose queue is longest (the unit and role with
//!   the most open files), and `/work?overdue=yes`;
//! - `/dashboard` of the province for November 2025 (15 Oct – 14 Nov), by
//!   field: two Biểu 06 reports, six months of trend, the overdue list;
//! - `/dashboard?period=2025&group_by=unit`: the whole year by unit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::sync::Arc;
use std::time::Instant;

use onestop_api::startup::Application;
use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::{ManualClock, SystemClock};
use onestop_commands::metadata::RequestMeta;
use onestop_commands::registry::{NewUser, RegistryService};
use onestop_domain::access::Actor;
use onestop_domain::ids::UserId;
use onestop_domain::role::Role;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::{Runner, StatsProjection, StatusProjection};
use onestop_replay::simulate;
use onestop_store::{EventStore, PoolSettings, build_pool};
use onestop_tests::measure::{env, quantiles};

/// A cookie session, signed in through the sign-in page.
async fn session(base: &str, username: &str) -> reqwest::Client {
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(format!("{base}/sign-in")).send().await.unwrap().text().await.unwrap();
    let token = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let signed = http
        .post(format!("{base}/sign-in"))
        .form(&[("csrf", token.as_str()), ("username", username), ("password", "bench-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303, "{username} could not sign in");
    http
}

async fn measure(http: &reqwest::Client, url: &str, times: usize) -> (f64, f64, usize) {
    let mut size = 0;
    for _ in 0..20 {
        let page = http.get(url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{url}");
        size = page.bytes().await.unwrap().len();
    }
    let mut samples = Vec::with_capacity(times);
    for _ in 0..times {
        let started = Instant::now();
        let page = http.get(url).send().await.unwrap();
        let _ = page.bytes().await.unwrap();
        samples.push(started.elapsed());
    }
    let (p50, p99) = quantiles(samples);
    (p50, p99, size)
}

#[tokio::main]
async fn main() {
    let cases = env("BENCH_CASES", 100_000);
    let pages = env("BENCH_PAGES", 300);
    let database = TestDatabase::create().await.unwrap();
    let pool = build_pool(database.config(), &PoolSettings { max_size: 16, ..PoolSettings::default() }).unwrap();
    let store = EventStore::new(pool.clone(), database.config().clone());
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let service = CaseService::new(store.clone(), catalog.clone(), Arc::new(SystemClock));
    let options = simulate::Options { cases, seed: 2025, ..simulate::Options::default() };
    let started = Instant::now();
    let truth = simulate::run(&service, &registry, &options, |_, _| {}).await.unwrap();
    println!("simulated {} files, {} events, in {:.1} s", truth.cases, truth.events, started.elapsed().as_secs_f64());
    Runner::new(StatusProjection, store.clone(), 1000).catch_up().await.unwrap();
    Runner::new(StatsProjection, store.clone(), 1000).catch_up().await.unwrap();

    // The longest queue: the unit and role holding the most open files.
    let client = pool.get().await.unwrap();
    let busiest = client
        .query_one(
            "SELECT current_unit, holder_role, count(*) FROM case_status \
             WHERE status = ANY('{1,2,4,5,6,9}') AND holder_role IS NOT NULL \
             GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let (unit, role, open): (String, String, i64) = (busiest.get(0), busiest.get(1), busiest.get(2));
    let open_total: i64 = client
        .query_one("SELECT count(*) FROM case_status WHERE status = ANY('{1,2,4,5,6,9}')", &[])
        .await
        .unwrap()
        .get(0);
    drop(client);
    println!("open files: {open_total}; the longest queue: {open} at {unit} for the {role}");
    let system = Actor {
        user_id: UserId(uuid::Uuid::nil()),
        name: "bench".into(),
        role: Role::Admin,
        units: vec![simulate::province_unit().parse().unwrap()],
    };
    let meta = RequestMeta::default();
    let officer_role = Role::ALL.into_iter().find(|r| r.as_str() == role).unwrap();
    for (username, role, unit) in [
        ("bench.officer", officer_role, unit.clone()),
        ("bench.leader", Role::Leader, simulate::province_unit().to_owned()),
    ] {
        let user = NewUser {
            username: username.into(),
            full_name: format!("Cán bộ đo {username}"),
            role,
            units: vec![unit.parse().unwrap()],
            password: "bench-password".into(),
            email: None,
        };
        registry.register_user(&system, user, &meta).await.unwrap();
    }

    let clock = ManualClock::new("2025-12-20T10:00:00+07:00".parse().unwrap());
    let mut settings = onestop_tests::test_settings(database.url(), false, &clock);
    settings.pool_size = 16;
    let app = Application::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let officer = session(&base, "bench.officer").await;
    let leader = session(&base, "bench.leader").await;
    let province = simulate::province_unit();
    println!("| page | p50 ms | p99 ms | bytes |");
    println!("|---|---:|---:|---:|");
    for (who, http, path) in [
        ("officer", &officer, "/work".to_owned()),
        ("officer", &officer, "/work?overdue=yes".to_owned()),
        ("leader", &leader, format!("/dashboard?period=2025-11&unit={province}")),
        ("leader", &leader, format!("/dashboard?period=2025&unit={province}&group_by=unit")),
    ] {
        let (p50, p99, size) = measure(http, &format!("{base}{path}"), pages).await;
        println!("| {who} `{path}` | {p50:.2} | {p99:.2} | {size} |");
    }
    server.abort();
}
