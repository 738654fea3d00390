//! The replay tool over a simulated province: its Biểu 06 ground truth against
//! the statistics the projections build from the same log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::sync::Arc;

use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::{Clock as _, SystemClock};
use onestop_commands::metadata::RequestMeta;
use onestop_commands::registry::NewUser;
use onestop_commands::registry::RegistryService;
use onestop_domain::access::Actor;
use onestop_domain::ids::{UnitCode, UserId};
use onestop_domain::role::Role;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::queue::QueueProjection;
use onestop_projections::rebuild::{self, Mode, ReadModel};
use onestop_projections::stats::{GroupBy, report};
use onestop_projections::{Runner, SearchProjection, StatsProjection, StatusProjection};
use onestop_replay::simulate::{self, GroundTruth};
use onestop_store::{EventStore, PoolSettings, build_pool};
use onestop_tests::{TestApp, search_key};
use serde_json::json;

struct Simulated {
    _database: TestDatabase,
    store: EventStore,
    truth: GroundTruth,
}

async fn simulated(cases: usize, seed: u64) -> Simulated {
    let database = TestDatabase::create().await.unwrap();
    let (store, truth) = simulate_into(&database, cases, seed).await;
    Simulated { _database: database, store, truth }
}

/// Simulates `cases` files into `database`; the store connects as its owner.
async fn simulate_into(database: &TestDatabase, cases: usize, seed: u64) -> (EventStore, GroundTruth) {
    let pool = build_pool(database.config(), &PoolSettings::default()).unwrap();
    let store = EventStore::new(pool, database.config().clone());
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let service = CaseService::new(store.clone(), catalog, Arc::new(SystemClock));
    let options = simulate::Options { cases, seed, communes: 6, batch: 250, ..simulate::Options::default() };
    let truth = simulate::run(&service, &registry, &options, |_, _| {}).await.unwrap();
    hall_day(&store).await;
    (store, truth)
}

/// A day at the province's hall beside the simulated year: tickets taken,
/// called, missed, transferred and finished, so that the queue's read model
/// has rows to rebuild and compare.
async fn hall_day(store: &EventStore) {
    use onestop_domain::queue::{CounterSetup, GroupCode, QueueCommand, QueueSetup, ServiceGroup};
    let group = |code: &str| GroupCode::new(code).unwrap();
    // The catalog reads below the log's horizon: let it see the simulated units.
    store.wait_until_readable().await.unwrap();
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let unit: UnitCode = "000.00.00.H27".parse().unwrap();
    let admin =
        Actor { user_id: UserId(uuid::Uuid::nil()), name: "test".into(), role: Role::Admin, units: vec![unit.clone()] };
    let setup = QueueSetup {
        groups: ["A", "B"]
            .iter()
            .map(|g| ServiceGroup { code: group(g), name: format!("Nhóm {g}"), booking_capacity: None })
            .collect(),
        counters: [(1, vec![group("A")]), (2, vec![group("A"), group("B")])]
            .into_iter()
            .map(|(number, groups)| CounterSetup { number, name: format!("Quầy {number}"), groups })
            .collect(),
    };
    let meta = RequestMeta::default();
    RegistryService::new(store.clone(), catalog.clone()).set_up_queue(&admin, &unit, setup, &meta).await.unwrap();
    let queue = onestop_commands::queue::QueueService::new(store.clone(), catalog, Arc::new(SystemClock));
    let act = |command| queue.act(&unit, command, json!({}));
    for i in 0..30 {
        act(QueueCommand::Take { group: group(["A", "B", "A"][i % 3]), priority: None }).await.unwrap();
    }
    let officer = UserId(uuid::Uuid::from_u128(7));
    for i in 0..20_u16 {
        let counter = 1 + i % 2;
        act(QueueCommand::CallNext { counter, officer }).await.unwrap();
        let close = match i % 7 {
            3 => QueueCommand::MarkAbsent { counter },
            5 => QueueCommand::Transfer { counter, to_group: group("B") },
            _ => QueueCommand::Finish { counter, cases: vec![] },
        };
        act(close).await.unwrap();
    }
}

/// Every table of every read model.
fn read_model_tables() -> Vec<&'static str> {
    ReadModel::ALL.iter().flat_map(|m| m.tables().iter().copied()).collect()
}

/// Copies the read models' tables (indexes included) into `schema`, empty or
/// with their rows.
async fn copy_tables(store: &EventStore, schema: &str, with_rows: bool) {
    let client = store.pool().get().await.unwrap();
    let mut sql = format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.projection_checkpoints \
         (LIKE public.projection_checkpoints INCLUDING ALL);"
    );
    for table in read_model_tables() {
        sql.push_str(&format!("CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL);"));
        if with_rows {
            sql.push_str(&format!("INSERT INTO {schema}.{table} SELECT * FROM public.{table};"));
        }
    }
    if with_rows {
        sql.push_str(&format!(
            "INSERT INTO {schema}.projection_checkpoints SELECT * FROM public.projection_checkpoints;"
        ));
    }
    client.batch_execute(&sql).await.unwrap();
}

/// Rows of `table` in one schema and not the other, both ways, and the counts.
async fn differences(store: &EventStore, left: &str, right: &str, table: &str) -> (i64, i64, i64) {
    let client = store.pool().get().await.unwrap();
    let row = client
        .query_one(
            &format!(
                "SELECT (SELECT count(*) FROM (SELECT * FROM {left}.{table} EXCEPT ALL \
                         SELECT * FROM {right}.{table}) a), \
                        (SELECT count(*) FROM (SELECT * FROM {right}.{table} EXCEPT ALL \
                         SELECT * FROM {left}.{table}) b), \
                        (SELECT count(*) FROM {left}.{table})"
            ),
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

async fn assert_same_read_models(store: &EventStore, left: &str, right: &str) {
    for table in read_model_tables() {
        let (only_left, only_right, rows) = differences(store, left, right, table).await;
        assert_eq!((only_left, only_right), (0, 0), "{table}: rows only in {left} / only in {right} (of {rows})");
        assert!(rows > 0 || table == "stats_monthly", "{table} is empty");
    }
}

/// The checkpoints of the rebuildable read models (not the notices outbox,
/// whose delivery states are not in the log and which a rebuild leaves alone).
async fn checkpoints(store: &EventStore, schema: &str) -> Vec<(String, i64, i64)> {
    let client = store.pool().get().await.unwrap();
    client
        .query(
            &format!(
                "SELECT name, global_position, events_applied FROM {schema}.projection_checkpoints \
                 WHERE name <> '{}' ORDER BY name",
                onestop_projections::notices::NAME
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The read models' indexes and constraints, by name and definition.
async fn shapes(store: &EventStore) -> Vec<String> {
    let tables: Vec<&str> = ReadModel::ALL.iter().flat_map(|model| model.tables()).copied().collect();
    let client = store.pool().get().await.unwrap();
    client
        .query(
            "SELECT indexname || ': ' || indexdef FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename = ANY($1) \
             UNION ALL \
             SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid IN (SELECT ('public.' || t)::regclass FROM unnest($1::text[]) t) \
             ORDER BY 1",
            &[&tables],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Until the live runners have applied everything in the log.
async fn settle(store: &EventStore) {
    let horizon = store.horizon().await.unwrap().unwrap();
    for model in ReadModel::ALL {
        assert!(
            onestop_projections::wait_for(store.pool(), model.name(), horizon, std::time::Duration::from_secs(60))
                .await
                .unwrap(),
            "{} did not catch up",
            model.name()
        );
    }
}

#[tokio::test]
async fn the_statistics_and_qd766_indicators_of_a_simulated_year_equal_its_ground_truth() {
    let sim = simulated(900, 7).await;
    let truth = &sim.truth;
    // A year with something in every column worth checking.
    let total = truth.by_unit.last().unwrap();
    assert_eq!(total.key, "TOTAL");
    assert!(total.received_online > 0 && total.received_offline > 0);
    assert!(total.resolved_early > 0 && total.resolved_late > 0);
    assert!(total.returned > 0 && total.withdrawn > 0);
    assert!(total.in_progress_within + total.in_progress_overdue > 0);
    let on_time = (total.resolved_early + total.resolved_on_time) as f64 / total.resolved_total as f64;
    assert!(on_time > 0.95, "on time {on_time}");
    // Every QĐ 766 count occurs, and every score is a share strictly inside its points.
    assert!(total.digitized > total.received_online && total.digitized < total.received_total, "{total:?}");
    assert!(total.reused > 0 && total.electronic_results > 0 && total.ratings_satisfied > 0, "{total:?}");
    assert!(total.payments_online > 0 && total.payments_online < total.payments, "{total:?}");
    assert!(total.ratings > total.ratings_satisfied, "{total:?}");
    for (score, points) in [
        (total.online_score, 12.0),
        (total.payment_score, 10.0),
        (total.digitization_score, 22.0),
        (total.satisfaction_score, 18.0),
    ] {
        assert!(score > 0.0 && score < points, "{score} of {points}: {total:?}");
    }

    Runner::new(StatusProjection, sim.store.clone(), 1000).catch_up().await.unwrap();
    Runner::new(StatsProjection, sim.store.clone(), 1000).catch_up().await.unwrap();
    let units: Vec<String> = truth.by_unit.iter().map(|r| r.key.clone()).collect();
    let rows = report(sim.store.pool(), truth.from, truth.to, &units, GroupBy::Unit).await.unwrap();
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

/// Registers an officer of the simulated province and logs them in.
async fn officer(app: &TestApp, store: &EventStore, username: &str, role: Role, unit: &str) -> String {
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog);
    let admin = Actor {
        user_id: UserId(uuid::Uuid::nil()),
        name: "test".into(),
        role: Role::Admin,
        units: vec!["000.00.00.H27".parse().unwrap()],
    };
    registry
        .register_user(
            &admin,
            NewUser {
                username: username.into(),
                full_name: username.into(),
                role,
                units: vec![unit.parse().unwrap()],
                password: "a long enough password".into(),
                email: None,
            },
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    // The server's catalog picks the user up within its refresh period (2 s;
    // longer when the machine is loaded). Tried four times a second: slower
    // than the per-address budget of failed sign-ins is spent.
    for _ in 0..120 {
        if let Ok(token) = app.login(username, "a long enough password").await {
            return token;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("{username} cannot log in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_equals_a_replay_from_scratch_while_the_api_keeps_answering() {
    // The server with its live projections, and a simulated year in its log.
    let app = TestApp::spawn_with(false).await;
    let (store, truth) = simulate_into(&app.database, 700, 11).await;
    settle(&store).await;
    let reception = officer(&app, &store, "desk", Role::Reception, "000.26.01.H27").await;
    let statistician = officer(&app, &store, "numbers", Role::Statistician, "000.00.00.H27").await;
    let new_case = json!({
        "procedure_code": "1.004221-MP",
        "unit": "000.26.01.H27",
        "channel": "in_person",
        "applicant": { "full_name": "Trần Thị Bình", "id_number": "001199012345" },
        "documents": ["Đơn đăng ký"]
    });

    // Reads and writes through the API for as long as the rebuild runs.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let traffic = {
        let stop = stop.clone();
        let http = app.http.clone();
        let base = app.address.clone();
        tokio::spawn(async move {
            let mut answered = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let filed = http
                    .post(format!("{base}/api/v1/cases"))
                    .bearer_auth(&reception)
                    .json(&new_case)
                    .send()
                    .await
                    .unwrap();
                answered.push(("POST /cases", filed.status().as_u16()));
                let listed =
                    http.get(format!("{base}/api/v1/cases?limit=20")).bearer_auth(&reception).send().await.unwrap();
                answered.push(("GET /cases", listed.status().as_u16()));
                let reported = http
                    .get(format!("{base}/api/v1/stats/report?from=2025-01-01&to=2026-12-31&unit=000.00.00.H27"))
                    .bearer_auth(&statistician)
                    .send()
                    .await
                    .unwrap();
                answered.push(("GET /stats/report", reported.status().as_u16()));
            }
            answered
        })
    };
    let shapes_before = shapes(&store).await;
    let mut phases = Vec::new();
    let rebuilt = rebuild::rebuild(store.pool(), &store, &ReadModel::ALL, Mode::Bulk, &search_key(), |p| {
        if phases.last() != Some(&p.phase) {
            phases.push(p.phase);
            if p.phase == rebuild::Phase::Replaying {
                // A slow replay: the API keeps filing cases meanwhile, which the
                // copies must catch up with before the swap.
                std::thread::sleep(std::time::Duration::from_millis(1500));
            }
        }
    })
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answered = traffic.await.unwrap();
    assert!(answered.len() >= 3, "the API was not exercised");
    assert!(rebuilt.caught_up > 0, "nothing was appended during the replay");
    let failed: Vec<_> = answered.iter().filter(|(_, status)| *status >= 300).collect();
    assert!(failed.is_empty(), "requests failed during the rebuild: {failed:?}");
    assert!(rebuilt.replayed >= truth.events as u64);
    // The copies got every index and constraint of the tables they replaced.
    assert!(shapes_before.len() > 10, "{shapes_before:?}");
    assert_eq!(shapes(&store).await, shapes_before);
    assert_eq!(
        phases,
        [rebuild::Phase::Replaying, rebuild::Phase::Indexing, rebuild::Phase::CatchingUp, rebuild::Phase::Swapping]
            .iter()
            .copied()
            .filter(|p| phases.contains(p))
            .collect::<Vec<_>>()
    );

    // The swapped-in read models, brought up to date by the live runners, equal
    // the same projections applied batch by batch from position 0.
    settle(&store).await;
    copy_tables(&store, "reference", false).await;
    onestop_projections::Runner::new(StatusProjection, store.clone(), 500)
        .in_schema("reference")
        .catch_up()
        .await
        .unwrap();
    onestop_projections::Runner::new(StatsProjection, store.clone(), 500)
        .in_schema("reference")
        .catch_up()
        .await
        .unwrap();
    onestop_projections::Runner::new(SearchProjection::new(search_key()), store.clone(), 500)
        .in_schema("reference")
        .catch_up()
        .await
        .unwrap();
    Runner::new(QueueProjection, store.clone(), 500).in_schema("reference").catch_up().await.unwrap();
    assert_same_read_models(&store, "public", "reference").await;
    let live = checkpoints(&store, "public").await;
    let reference = checkpoints(&store, "reference").await;
    assert_eq!(
        live.iter().map(|(n, p, _)| (n, p)).collect::<Vec<_>>(),
        reference.iter().map(|(n, p, _)| (n, p)).collect::<Vec<_>>()
    );
    // Nothing of the rebuild is left behind.
    let client = store.pool().get().await.unwrap();
    let leftovers: i64 = client
        .query_one("SELECT count(*) FROM pg_namespace WHERE nspname = $1", &[&rebuild::SHADOW_SCHEMA])
        .await
        .unwrap()
        .get(0);
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn a_cancelled_rebuild_leaves_the_live_read_models_untouched() {
    let database = TestDatabase::create().await.unwrap();
    let (store, _) = simulate_into(&database, 400, 5).await;
    Runner::new(StatusProjection, store.clone(), 1000).catch_up().await.unwrap();
    Runner::new(StatsProjection, store.clone(), 1000).catch_up().await.unwrap();
    Runner::new(SearchProjection::new(search_key()), store.clone(), 1000).catch_up().await.unwrap();
    Runner::new(QueueProjection, store.clone(), 1000).catch_up().await.unwrap();
    copy_tables(&store, "before", true).await;

    // Cancelled as soon as it reports progress, in whichever phase.
    for _ in 0..2 {
        let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
        let mut cancel = Some(cancel);
        let key = search_key();
        let rebuilding = rebuild::rebuild(store.pool(), &store, &ReadModel::ALL, Mode::Bulk, &key, |_| {
            if let Some(cancel) = cancel.take() {
                let _ = cancel.send(());
            }
        });
        tokio::select! {
            outcome = rebuilding => panic!("the rebuild finished before it could be cancelled: {outcome:?}"),
            _ = cancelled => {}
        }
        assert_same_read_models(&store, "public", "before").await;
        assert_eq!(checkpoints(&store, "public").await, checkpoints(&store, "before").await);
    }
    // The next rebuild clears the leftovers and succeeds.
    rebuild::rebuild(store.pool(), &store, &ReadModel::ALL, Mode::Incremental, &search_key(), |_| {}).await.unwrap();
    assert_same_read_models(&store, "public", "before").await;
}

#[tokio::test]
async fn a_case_as_of_a_past_moment_equals_what_the_write_side_folded_then() {
    use jiff::SignedDuration;
    use onestop_replay::as_of::{Moment, case_as_of};

    let app = TestApp::spawn().await;
    let [reception, specialist] = app.tokens(["reception", "specialist"]).await;
    let store = app.store().await;
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let write_side = CaseService::new(store.clone(), catalog, Arc::new(app.clock.clone()));
    let before_receipt = app.clock.now() - SignedDuration::from_mins(1);

    let id = app.receive_land_case(&reception).await;
    let case_id: uuid::Uuid = id.parse().unwrap();
    // After each command: when it was, where the log stood, and the case as the
    // write side folded it then.
    let mut seen = Vec::new();
    let note = async |app: &TestApp| {
        let loaded = write_side.load(onestop_domain::ids::CaseId(case_id)).await.unwrap().unwrap();
        let position = loaded.events.last().unwrap().0.global_position;
        (app.clock.now(), position, loaded.state)
    };
    seen.push(note(&app).await);
    let steps: [(&str, &str, serde_json::Value); 4] = [
        ("transfer", &reception, json!({ "to_unit": onestop_tests::LAND_REGISTRY })),
        ("acknowledge-handover", &specialist, json!({})),
        ("request-supplement", &specialist, json!({ "reason": "Thiếu bản đồ", "documents": ["Bản đồ"] })),
        ("receive-supplement", &reception, json!({ "documents": ["Bản đồ"] })),
    ];
    for (action, token, body) in steps {
        app.clock.advance(SignedDuration::from_hours(5));
        let response = app.post(token, &format!("/api/v1/cases/{id}/{action}"), &body).await;
        assert_eq!(response.status(), 200, "{action}");
        seen.push(note(&app).await);
    }
    // Other cases move on meanwhile; they change nothing of this one.
    app.receive_land_case(&reception).await;

    assert_eq!(case_as_of(&store, case_id, Moment::Instant(before_receipt)).await.unwrap(), None);
    for (at, position, state) in &seen {
        let by_time = case_as_of(&store, case_id, Moment::Instant(*at)).await.unwrap();
        assert_eq!(by_time.as_ref(), Some(state), "as of {at}");
        let by_position = case_as_of(&store, case_id, Moment::Position(*position)).await.unwrap();
        assert_eq!(by_position.as_ref(), Some(state), "as of position {position}");
        // Just before, it was the state before.
        let earlier = case_as_of(&store, case_id, Moment::Instant(*at - SignedDuration::from_mins(1))).await.unwrap();
        assert_ne!(earlier.as_ref(), Some(state));
    }
}

#[tokio::test]
async fn a_report_as_of_the_years_end_equals_the_ground_truth_and_earlier_counts_less() {
    use onestop_replay::as_of::{Moment, ReportQuestion, report_as_of};
    let sim = simulated(500, 3).await;
    let units: Vec<String> = sim.truth.by_unit.iter().map(|r| r.key.clone()).collect();
    let question = |moment| ReportQuestion {
        moment,
        from: sim.truth.from,
        to: sim.truth.to,
        units: units.clone(),
        group_by: GroupBy::Unit,
    };
    let year_end = "2025-12-31T23:59:59+07:00".parse().unwrap();
    let at_end = report_as_of(&sim.store, &question(Moment::Instant(year_end))).await.unwrap();
    assert_eq!(at_end, sim.truth.by_unit);
    let midyear = "2025-06-30T23:59:59+07:00".parse().unwrap();
    let at_midyear = report_as_of(&sim.store, &question(Moment::Instant(midyear))).await.unwrap();
    let (end, mid) = (at_end.last().unwrap(), at_midyear.last().unwrap());
    assert!(mid.received_total > 0 && mid.received_total < end.received_total);
    assert!(mid.resolved_total < end.resolved_total);
}

#[tokio::test]
async fn exports_withhold_personal_data_unless_an_administrator_asks() {
    use onestop_replay::export::{ExportError, Format, PersonalData, export, personal_data_for};
    use onestop_store::EventFilter;

    let sim = simulated(120, 9).await;
    let received = sim.truth.by_unit.last().unwrap().received_total;
    let run = async |filter: &EventFilter, format, personal: &PersonalData| {
        let mut out = Vec::new();
        let rows = export(&sim.store, filter, format, personal, &mut out, |_| {}).await.unwrap();
        (rows, out)
    };
    let ndjson = |out: &[u8]| -> Vec<serde_json::Value> {
        std::str::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };

    // The whole log, three ways, the same rows.
    let everything = EventFilter::default();
    let (rows, out) = run(&everything, Format::Ndjson, &PersonalData::Withheld).await;
    let lines = ndjson(&out);
    assert_eq!(lines.len() as u64, rows);
    let (csv_rows, csv_out) = run(&everything, Format::Csv, &PersonalData::Withheld).await;
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    assert_eq!((csv_rows, reader.records().count() as u64), (rows, rows));
    let (parquet_rows, parquet_out) = run(&everything, Format::Parquet, &PersonalData::Withheld).await;
    let parquet =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet_out))
            .unwrap()
            .build()
            .unwrap();
    let read_back: usize = parquet.map(|batch| batch.unwrap().num_rows()).sum();
    assert_eq!((parquet_rows, read_back as u64), (rows, rows));

    // Without an administrator: applicants' records withheld, no client addresses.
    for line in &lines {
        let applicant = line["stream_id"].as_str().unwrap().starts_with("applicant-");
        assert_eq!(line["personal_data_withheld"], applicant);
        assert_eq!(line["payload"].is_null(), applicant);
        assert!(!line["metadata"].as_str().unwrap().contains("client_ip"));
    }
    assert!(!String::from_utf8_lossy(&out).contains("full_name"));

    // Filters: one event type.
    let receipts = EventFilter { event_types: Some(vec!["CaseReceived".into()]), ..EventFilter::default() };
    let (count, _) = run(&receipts, Format::Ndjson, &PersonalData::Withheld).await;
    assert_eq!(count as i64, received);

    // An administrator with the right password gets the applicants decrypted.
    let catalog = CatalogCache::load(sim.store.clone()).await.unwrap();
    let registry = RegistryService::new(sim.store.clone(), catalog);
    let system = Actor {
        user_id: UserId(uuid::Uuid::nil()),
        name: "test".into(),
        role: Role::Admin,
        units: vec!["000.00.00.H27".parse().unwrap()],
    };
    for (username, role) in [("chief", Role::Admin), ("clerk", Role::Reception)] {
        registry
            .register_user(
                &system,
                NewUser {
                    username: username.into(),
                    full_name: username.into(),
                    role,
                    units: vec!["000.00.00.H27".parse().unwrap()],
                    password: "a long enough password".into(),
                    email: None,
                },
                &RequestMeta::default(),
            )
            .await
            .unwrap();
    }
    for (username, password) in [("chief", "wrong password"), ("clerk", "a long enough password")] {
        assert!(matches!(personal_data_for(&sim.store, username, password).await, Err(ExportError::NotAllowed)));
    }
    // The new account is read from the log, below its read horizon: a long
    // transaction elsewhere on the server may delay it a little.
    let mut personal = None;
    for _ in 0..100 {
        if let Ok(found) = personal_data_for(&sim.store, "chief", "a long enough password").await {
            personal = Some(found);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let personal = personal.expect("the administrator may export personal data");
    let applicants = EventFilter { stream_prefix: Some("applicant-".into()), ..EventFilter::default() };
    // One applicant asks to be forgotten first: their key is destroyed.
    let forgotten: uuid::Uuid = {
        let client = sim.store.pool().get().await.unwrap();
        client
            .query_one("SELECT applicant_id FROM applicant_keys ORDER BY applicant_id LIMIT 1", &[])
            .await
            .unwrap()
            .get(0)
    };
    let vault = onestop_commands::personal::PersonalDataVault::new(sim.store.clone());
    assert!(vault.erase(onestop_domain::ids::ApplicantId(forgotten), json!({})).await.unwrap());
    let (count, out) = run(&applicants, Format::Ndjson, &personal).await;
    assert_eq!(count, 121, "120 records and one erasure");
    let mut decrypted = 0;
    for line in ndjson(&out) {
        let stream = line["stream_id"].as_str().unwrap();
        if stream.ends_with(&forgotten.to_string()) {
            assert!(line["payload"].is_null() || line["event_type"] == "ApplicantErased", "{line}");
            continue;
        }
        let payload: serde_json::Value = serde_json::from_str(line["payload"].as_str().unwrap()).unwrap();
        assert!(payload["full_name"].as_str().unwrap().contains(' '));
        assert_eq!(line["personal_data_withheld"], false);
        decrypted += 1;
    }
    assert_eq!(decrypted, 119);
}

#[tokio::test]
async fn reports_defined_as_documented_give_the_expected_numbers_on_a_simulated_year() {
    use onestop_domain::calendar::{OfficeHours, Schedule, WorkingCalendar, local};
    use onestop_domain::case::{CaseEvent, CaseState, Outcome, evolve};
    use onestop_replay::reports::{self, Cell, MedianProcessingTime, Report, SupplementRate};
    use std::collections::{BTreeMap, HashMap};

    let sim = simulated(600, 21).await;
    let mut chosen: Vec<Box<dyn Report>> =
        vec![Box::new(MedianProcessingTime::default()), Box::new(SupplementRate::default())];
    let seen = reports::replay(&sim.store, &mut chosen).await.unwrap();
    assert!(seen as usize >= sim.truth.events - sim.truth.cases);

    // The same numbers, counted here from each case's final state and its
    // event types.
    let mut cases: HashMap<String, (CaseState, i64)> = HashMap::new();
    let mut after = onestop_store::Checkpoint::START;
    loop {
        let events = sim.store.read_all(after, 10_000).await.unwrap();
        let Some(last) = events.last() else { break };
        after = last.checkpoint();
        for e in events.iter().filter(|e| e.stream_id.starts_with("case-")) {
            let decoded = CaseEvent::decode(&e.event_type, e.schema_version, e.payload.as_str()).unwrap();
            let entry = cases.entry(e.stream_id.clone()).or_default();
            entry.0 = evolve(std::mem::take(&mut entry.0), &decoded);
            entry.1 += i64::from(e.event_type == "SupplementRequested");
        }
    }
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len().is_multiple_of(2) { (v[m - 1] + v[m]) / 2.0 } else { v[m] }
    };
    let mut supplements: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let mut times: BTreeMap<(String, String), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    for (state, requests) in cases.values() {
        let (Some(unit), Some(received)) = (&state.receiving_unit, state.received_at) else {
            continue;
        };
        let s = supplements.entry(unit.to_string()).or_default();
        s.0 += 1;
        s.1 += i64::from(*requests > 0);
        s.2 += requests;
        if let (Some(finished), Some(Outcome::Resolved)) = (state.finished_at, state.outcome) {
            let t = times
                .entry((
                    state.procedure.as_ref().unwrap().code.to_string(),
                    local(finished).date().strftime("%Y-%m").to_string(),
                ))
                .or_default();
            t.0.push(schedule.working_minutes_between(received, finished) as f64 / hours.minutes_per_day() as f64);
            t.1.push(finished.duration_since(received).as_secs_f64() / 86_400.0);
        }
    }
    let expected_supplements: Vec<Vec<Cell>> = supplements
        .iter()
        .map(|(unit, (received, asked, requests))| {
            vec![
                Cell::from(unit.as_str()),
                Cell::from(*received),
                Cell::from(*asked),
                Cell::from(*requests),
                Cell::from(round(100.0 * *asked as f64 / *received as f64)),
            ]
        })
        .collect();
    let expected_times: Vec<Vec<Cell>> = times
        .into_iter()
        .map(|((procedure, month), (working, calendar))| {
            vec![
                Cell::from(procedure.as_str()),
                Cell::from(month.as_str()),
                Cell::from(working.len() as i64),
                Cell::from(round(median(working))),
                Cell::from(round(median(calendar))),
            ]
        })
        .collect();
    assert_eq!(chosen[0].rows(), expected_times);
    assert_eq!(chosen[1].rows(), expected_supplements);
    // Something to check: supplements were asked, in every month.
    assert!(supplements.values().map(|s| s.1).sum::<i64>() > 0);
    assert!(expected_times.len() >= 12);

    // Written as a table and as CSV.
    for report in &chosen {
        let written = reports::write_table(&sim.store, report.as_ref()).await.unwrap();
        let client = sim.store.pool().get().await.unwrap();
        let counted: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM {}.{}", reports::REPORT_SCHEMA, reports::table_name(report.as_ref())),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(counted as usize, written);
        let mut csv_out = Vec::new();
        reports::write_csv(report.as_ref(), &mut csv_out).unwrap();
        let mut reader = csv::Reader::from_reader(csv_out.as_slice());
        assert_eq!(reader.records().count(), written);
    }
}

/// The ends of the periods a year is reported by: each calendar month, each
/// official month of Decree 09/2019 (15th of one month to the 14th of the
/// next), each quarter; as (from, to) days.
fn periods(year: i16) -> Vec<(jiff::civil::Date, jiff::civil::Date)> {
    use jiff::civil::date;
    let mut periods = Vec::new();
    for month in 1..=12_i8 {
        let first = date(year, month, 1);
        periods.push((first, first.last_of_month()));
        if month > 1 {
            periods.push((date(year, month - 1, 15), date(year, month, 14)));
        }
    }
    for quarter in 0..4_i8 {
        let first = date(year, quarter * 3 + 1, 1);
        periods.push((first, date(year, quarter * 3 + 3, 1).last_of_month()));
    }
    periods
}

/// Every case's events, decoded, in log order.
async fn case_histories(
    store: &EventStore,
) -> std::collections::HashMap<uuid::Uuid, Vec<onestop_domain::case::CaseEvent>> {
    use futures_util::TryStreamExt as _;
    let mut cases: std::collections::HashMap<_, Vec<_>> = std::collections::HashMap::new();
    let pages = store.pages(20_000);
    futures_util::pin_mut!(pages);
    while let Some(events) = pages.try_next().await.unwrap() {
        for event in events {
            if let Some(id) = onestop_projections::status::case_id_of(&event.stream_id) {
                let decoded = onestop_projections::status::decode(&event).unwrap();
                cases.entry(id).or_default().push(decoded);
            }
        }
    }
    cases
}

/// (within, overdue) by group, as the case view judges each case received and
/// still open at `end`, folded from its events before `end`.
type ByGroup = std::collections::BTreeMap<String, (i64, i64)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_year_beside_the_demo_balances_agrees_with_the_case_view_and_with_itself_as_of() {
    use onestop_domain::case::{CaseState, Timeliness, evolve};
    use onestop_domain::deadline::Progress;
    use onestop_replay::as_of::{Moment, ReportQuestion, report_as_of};

    // The demo province and a simulated one in the same database.
    let app = TestApp::spawn().await;
    let (store, truth) = simulate_into(&app.database, 20_000, 16).await;
    let total = truth.by_unit.last().unwrap();
    assert!(total.stopped > 0, "no stopped case: {total:?}");
    settle(&store).await;

    // The simulated province's statistician logs in with the printed password.
    let catalog = CatalogCache::load(store.clone()).await.unwrap();
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let password = simulate::ensure_statistician(&registry, &catalog).await.unwrap().expect("a new account");
    assert_eq!(simulate::ensure_statistician(&registry, &catalog).await.unwrap(), None);
    let mut statistician = None;
    for _ in 0..100 {
        if let Ok(token) = app.login(simulate::STATISTICIAN, &password).await {
            statistician = Some(token);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let statistician = statistician.expect("the statistician logs in");
    let province = simulate::province_unit();
    let units: Vec<String> = catalog
        .snapshot()
        .units
        .units()
        .filter(|u| u.code.as_str().ends_with(".H27"))
        .map(|u| u.code.to_string())
        .collect();

    // The case view at every period's end, case by case.
    let histories = case_histories(&store).await;
    let periods = periods(2025);
    let ends: Vec<jiff::Timestamp> = periods
        .iter()
        .map(|(_, to)| onestop_domain::calendar::instant(to.tomorrow().unwrap().at(0, 0, 0, 0)))
        .collect();
    let mut by_field: Vec<ByGroup> = vec![ByGroup::new(); ends.len()];
    let mut by_procedure: Vec<ByGroup> = vec![ByGroup::new(); ends.len()];
    let mut paused_past_due = 0;
    let mut order: Vec<usize> = (0..ends.len()).collect();
    order.sort_by_key(|&i| ends[i]);
    for events in histories.values() {
        let mut state = CaseState::default();
        let mut next = 0;
        for &i in &order {
            let end = ends[i];
            while next < events.len() && events[next].at() < end {
                state = evolve(state, &events[next]);
                next += 1;
            }
            let (Some(received), Some(field), Some(procedure)) =
                (state.received_at, &state.field_code, &state.procedure)
            else {
                continue;
            };
            let open = received < end && state.finished_at.is_none_or(|f| f >= end);
            if !open || !state.receiving_unit.as_ref().is_some_and(|u| u.as_str().ends_with(".H27")) {
                continue;
            }
            let overdue = match state.timeliness(end) {
                Some(Timeliness::InProgress(Progress::Overdue)) => true,
                Some(Timeliness::InProgress(Progress::WithinDeadline)) => false,
                other => panic!("an open case judged {other:?}"),
            };
            if state.paused_since.is_some() && state.due_at.is_some_and(|due| due < end) {
                paused_past_due += 1;
            }
            for (groups, key) in [(&mut by_field[i], field.clone()), (&mut by_procedure[i], procedure.code.to_string())]
            {
                let entry = groups.entry(key).or_default();
                if overdue {
                    entry.1 += 1;
                } else {
                    entry.0 += 1;
                }
            }
        }
    }
    assert!(paused_past_due > 0, "no supplement was still awaited past its due date at a period's end");

    for (i, (from, to)) in periods.iter().enumerate() {
        for (group_by, expected) in
            [(GroupBy::Field, &by_field[i]), (GroupBy::Procedure, &by_procedure[i]), (GroupBy::Unit, &ByGroup::new())]
        {
            let rows = report(store.pool(), *from, *to, &units, group_by).await.unwrap();
            for row in &rows {
                assert_eq!(
                    row.carried_over + row.received_total,
                    row.resolved_total
                        + row.returned
                        + row.withdrawn
                        + row.stopped
                        + row.in_progress_within
                        + row.in_progress_overdue,
                    "{from}–{to} by {group_by:?}: row {row:?} does not balance"
                );
            }
            if group_by == GroupBy::Unit {
                continue;
            }
            let reported: ByGroup = rows
                .iter()
                .filter(|r| r.key != "TOTAL")
                .filter(|r| r.in_progress_within + r.in_progress_overdue > 0)
                .map(|r| (r.key.clone(), (r.in_progress_within, r.in_progress_overdue)))
                .collect();
            assert_eq!(&reported, expected, "{from}–{to} by {group_by:?}: in progress at the end");
        }
    }

    // The household-business procedure counts under its old field until July
    // and its new one after.
    let year = report(store.pool(), truth.from, truth.to, &units, GroupBy::Field).await.unwrap();
    let field = |key: &str| year.iter().find(|r| r.key == key).cloned().unwrap_or_default();
    assert!(field("KD").received_total > 0 && field("HKD").received_total > 0, "{year:?}");
    let first_half =
        report(store.pool(), jiff::civil::date(2025, 1, 1), jiff::civil::date(2025, 6, 30), &units, GroupBy::Field)
            .await
            .unwrap();
    assert!(first_half.iter().all(|r| r.key != "HKD" || r.received_total == 0));

    // As of a closed period's end, the log gives the same report as the live
    // statistics serve for it.
    for (from, to) in [
        (jiff::civil::date(2025, 1, 1), jiff::civil::date(2025, 3, 31)),
        (jiff::civil::date(2025, 5, 15), jiff::civil::date(2025, 6, 14)),
        (jiff::civil::date(2025, 7, 1), jiff::civil::date(2025, 9, 30)),
    ] {
        let moment = Moment::Instant(
            onestop_domain::calendar::instant(to.tomorrow().unwrap().at(0, 0, 0, 0))
                - jiff::SignedDuration::from_micros(1),
        );
        let as_of =
            report_as_of(&store, &ReportQuestion { moment, from, to, units: units.clone(), group_by: GroupBy::Field })
                .await
                .unwrap();
        let served: serde_json::Value = app
            .get(&statistician, &format!("/api/v1/stats/report?from={from}&to={to}&unit={province}&group_by=field"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(serde_json::to_value(&as_of).unwrap(), served["rows"], "as of {to} against the served report");
    }

    // A bulk rebuild of every read model succeeds on this log and equals the
    // projections applied batch by batch from position 0.
    rebuild::rebuild(store.pool(), &store, &ReadModel::ALL, Mode::Bulk, &search_key(), |_| {}).await.unwrap();
    settle(&store).await;
    copy_tables(&store, "reference", false).await;
    Runner::new(StatusProjection, store.clone(), 2_000).in_schema("reference").catch_up().await.unwrap();
    Runner::new(StatsProjection, store.clone(), 2_000).in_schema("reference").catch_up().await.unwrap();
    Runner::new(SearchProjection::new(search_key()), store.clone(), 2_000)
        .in_schema("reference")
        .catch_up()
        .await
        .unwrap();
    Runner::new(QueueProjection, store.clone(), 2_000).in_schema("reference").catch_up().await.unwrap();
    assert_same_read_models(&store, "public", "reference").await;
}
