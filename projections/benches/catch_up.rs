//! How fast the projections catch up over a large log, and how fast a report
//! answers over a year of cases.
//!
//! `cargo bench -p onestop-projections --bench catch_up`. `BENCH_EVENTS` (default
//! 1,000,000) events are generated with the real `decide` — cases interleaved the
//! way a province's day interleaves them — and appended in bulk; then the status
//! and statistics projections catch up from position 0, together, as a server
//! does (`BENCH_ONLY=status` or `stats`: one alone). The report part fills the
//! statistics tables with `BENCH_CASES` (default 1,000,000) cases spread over
//! `BENCH_YEARS` (default 1) years directly and times Biểu 06 queries over the
//! last year.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a broken run should stop loudly

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use jiff::civil::{date, time};
use onestop_domain::access::Actor;
use onestop_domain::calendar::{WorkingCalendar, instant};
use onestop_domain::case::event::{Proposal, ReturnMethod};
use onestop_domain::case::{CaseCommand, CaseState, Context, IssuedCode, decide, evolve};
use onestop_domain::catalog::{Channel, Field, PauseMode, Procedure, StepUnit, Unit, UnitTree, WorkflowStep};
use onestop_domain::deadline::ProcessingTime;
use onestop_domain::ids::{ApplicantId, CaseCode, UnitCode, UserId};
use onestop_domain::role::Role;
use onestop_migrations::APPLICATION_ROLE;
use onestop_migrations::testing::TestDatabase;
use onestop_projections::runner::CATCH_UP_BATCH;
use onestop_projections::stats::{GroupBy, report};
use onestop_projections::{Runner, StatsProjection, StatusProjection};
use onestop_store::{EventStore, ExpectedVersion, NewEvent, PoolSettings, StreamBatch, StreamId, build_pool};
use uuid::Uuid;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const UNITS: usize = 20;
const ACTIVE: usize = 5_000;
const STEPS: usize = 8;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn unit_code(i: usize) -> UnitCode {
    format!("000.26.{:02}.H22", i + 1).parse().unwrap()
}

struct World {
    units: UnitTree,
    calendar: WorkingCalendar,
    procedure: Procedure,
}

fn world() -> World {
    let root: UnitCode = "000.00.00.H22".parse().unwrap();
    let mut units = vec![Unit {
        code: root.clone(),
        name: "Tỉnh".into(),
        parent: None,
        office_hours: Default::default(),
        active: true,
    }];
    for i in 0..UNITS {
        units.push(Unit {
            code: unit_code(i),
            name: format!("Xã {i}"),
            parent: Some(root.clone()),
            office_hours: Default::default(),
            active: true,
        });
    }
    let step = |name: &str, role, unit, budget| WorkflowStep { name: name.into(), role, unit, budget };
    World {
        units: UnitTree::new(units),
        calendar: WorkingCalendar::vietnam(),
        procedure: Procedure {
            code: "1.001193".parse().unwrap(),
            version: 1,
            name: "Đăng ký khai sinh".into(),
            field: Field { code: "HT".into(), name: "Hộ tịch".into() },
            handling_units: (0..UNITS).map(unit_code).collect(),
            processing_time: ProcessingTime::working_days(5),
            cutoff: Some(time(15, 0, 0, 0)),
            channels: vec![Channel::InPerson],
            fees: vec![],
            documents: vec![],
            workflow: vec![
                step("Tiếp nhận", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
                step("Thẩm định", Role::Specialist, StepUnit::Handling, ProcessingTime::working_days(3)),
                step("Phê duyệt", Role::Approver, StepUnit::Handling, ProcessingTime::working_days(1)),
                step("Trả kết quả", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
            ],
            pause_mode: PauseMode::Shift,
        },
    }
}

struct Case {
    id: Uuid,
    unit: usize,
    step: usize,
    state: CaseState,
}

fn command(case: &Case) -> (Role, CaseCommand) {
    let unit = unit_code(case.unit);
    match case.step {
        0 => (
            Role::Reception,
            CaseCommand::Receive {
                unit,
                channel: Channel::InPerson,
                applicant: ApplicantId(case.id),
                documents: vec!["Tờ khai".into()],
            },
        ),
        1 => (Role::Reception, CaseCommand::Transfer { to_unit: unit, assignee: None, note: None }),
        2 => (Role::Specialist, CaseCommand::AcknowledgeHandover),
        3 => (Role::Specialist, CaseCommand::RecordAppraisal { opinion: "Hợp lệ".into(), proposal: Proposal::Grant }),
        4 => (Role::Specialist, CaseCommand::SubmitForApproval { note: None }),
        5 => (Role::Approver, CaseCommand::Approve { note: None }),
        6 => {
            (Role::Approver, CaseCommand::RecordResult { summary: "Đã cấp".into(), document: None, result_code: None })
        }
        _ => (Role::Reception, CaseCommand::ReturnResult { method: ReturnMethod::AtDesk }),
    }
}

/// Generates `total` events and appends them in bulk; returns the elapsed time.
async fn generate(store: &EventStore, total: usize) -> Duration {
    let world = world();
    let started = Instant::now();
    let mut cases: Vec<Case> = Vec::with_capacity(ACTIVE);
    let mut next_id = 0_u128;
    let mut sequence = [0_u16; UNITS];
    let mut written = 0;
    let mut tick = 0_i64;
    while written < total {
        let day = date(2026, 1, 1).checked_add(jiff::Span::new().days(tick)).unwrap();
        let now = instant(day.at(9, 0, 0, 0));
        sequence.iter_mut().for_each(|s| *s = 0);
        while cases.len() < ACTIVE {
            next_id += 1;
            cases.push(Case {
                id: Uuid::from_u128(next_id),
                unit: (next_id as usize) % UNITS,
                step: 0,
                state: CaseState::default(),
            });
        }
        let mut batches = Vec::with_capacity(cases.len());
        for case in &mut cases {
            if written + batches.len() >= total {
                break;
            }
            let (role, command) = command(case);
            let actor = Actor {
                user_id: UserId(Uuid::from_u128(role as u128)),
                name: role.to_string(),
                role,
                units: vec![unit_code(case.unit)],
            };
            sequence[case.unit] += 1;
            let issued = IssuedCode {
                code: CaseCode::new(unit_code(case.unit), day, sequence[case.unit]).unwrap(),
                secret_hash: "0".repeat(64),
            };
            let ctx = Context {
                now: now + SignedDuration::from_mins(case.step as i64),
                actor: &actor,
                units: &world.units,
                calendar: &world.calendar,
                procedure: &world.procedure,
                issued: Some(&issued),
            };
            let events =
                decide(&case.state, command.clone(), &ctx).unwrap_or_else(|e| panic!("{}: {e}", command.action()));
            let metadata = serde_json::json!({
                "actor": { "user_id": actor.user_id, "name": actor.name, "role": actor.role, "units": actor.units },
                "command": command.action(), "command_id": Uuid::now_v7(), "request_id": "bench",
            });
            let new: Vec<NewEvent> = events
                .iter()
                .map(|e| NewEvent::new(e.event_type(), e.payload()).with_metadata(metadata.clone()))
                .collect();
            for e in &events {
                case.state = evolve(std::mem::take(&mut case.state), e);
            }
            batches.push(StreamBatch {
                stream_id: StreamId::new(format!("case-{}", case.id)).unwrap(),
                expected: if case.step == 0 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(case.step as u64)
                },
                events: new,
            });
            case.step += 1;
        }
        written += batches.len();
        store.append_many(&batches).await.unwrap();
        cases.retain(|c| c.step < STEPS);
        tick += 1;
    }
    started.elapsed()
}

/// Catches up the projections `only` names (`status` or `stats`; both
/// otherwise, as a server runs them): one alone shows what the other costs it.
/// Returns the total time and each one's (zero for one not run).
async fn catch_up_all(store: &EventStore, only: &str) -> (Duration, Duration, Duration) {
    let started = Instant::now();
    // As the server runs them: small batches when live, growing to this size
    // while behind.
    let batch = env("BENCH_BATCH", CATCH_UP_BATCH);
    let status = Runner::new(StatusProjection, store.clone(), 1_000).catch_up_batches(batch);
    let stats = Runner::new(StatsProjection, store.clone(), 1_000).catch_up_batches(batch);
    // Each runner is a task of its own, as the server spawns them: they run on
    // the runtime's worker threads side by side, not taking turns on one.
    let status = (only != "stats").then(|| {
        tokio::spawn(async move {
            status.catch_up().await.unwrap();
            started.elapsed()
        })
    });
    let stats = (only != "status").then(|| {
        tokio::spawn(async move {
            stats.catch_up().await.unwrap();
            started.elapsed()
        })
    });
    let status = match status {
        Some(task) => task.await.unwrap(),
        None => Duration::ZERO,
    };
    let stats = match stats {
        Some(task) => task.await.unwrap(),
        None => Duration::ZERO,
    };
    (started.elapsed(), status, stats)
}

async fn fill_report_tables(database: &TestDatabase, cases: usize, years: usize) {
    let client = database.superuser().await.unwrap();
    // Years of cases (from 2025) over 20 units and 50 procedures in 10 fields; one in 33
    // still open; finishing 1–15 days after receipt, some late.
    client
        .execute(
            "INSERT INTO case_facts (case_id, unit, procedure_code, field_code, online, received_at, \
             due_at, finished_at, outcome, punctuality) \
             SELECT gen_random_uuid(), '000.26.' || lpad(((g % 20) + 1)::text, 2, '0') || '.H22', \
                    '1.00' || (1000 + g % 50), 'F' || (g % 10), g % 3 = 0, r, r + interval '7 days', \
                    CASE WHEN g % 33 = 0 THEN NULL ELSE r + (1 + g % 15) * interval '1 day' END, \
                    CASE WHEN g % 33 = 0 THEN NULL ELSE 'resolved' END, \
                    CASE WHEN g % 33 = 0 THEN NULL WHEN g % 15 < 6 THEN 'early' \
                         WHEN g % 15 = 6 THEN 'on_time' ELSE 'late' END \
             FROM generate_series(1, $1::int) g, \
                  LATERAL (SELECT timestamptz '2025-01-01 08:00+07' + (g::float / $1 * 365 * $2::int) * interval '1 day' AS r) t",
            &[&(cases as i32), &(years as i32)],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO stats_daily (day, unit, procedure_code, field_code, received_online, \
             received_offline, resolved_early, resolved_on_time, resolved_late, overdue_by_due_date, \
             overdue_by_event) \
             SELECT d, unit, procedure_code, field_code, sum(r_on), sum(r_off), sum(e), sum(o), \
                    sum(l), sum(due), sum(settled) FROM ( \
               SELECT (received_at AT TIME ZONE INTERVAL '+07:00')::date AS d, unit, procedure_code, \
                      field_code, online::int AS r_on, (NOT online)::int AS r_off, 0 AS e, 0 AS o, \
                      0 AS l, 0 AS due, 0 AS settled FROM case_facts \
               UNION ALL \
               SELECT (finished_at AT TIME ZONE INTERVAL '+07:00')::date, unit, procedure_code, \
                      field_code, 0, 0, (punctuality = 'early')::int, (punctuality = 'on_time')::int, \
                      (punctuality = 'late')::int, 0, 0 \
               FROM case_facts WHERE finished_at IS NOT NULL \
               UNION ALL \
               SELECT (due_at AT TIME ZONE INTERVAL '+07:00')::date, unit, procedure_code, \
                      field_code, 0, 0, 0, 0, 0, 1, 0 FROM case_facts \
               UNION ALL \
               SELECT (greatest(due_at, finished_at) AT TIME ZONE INTERVAL '+07:00')::date, unit, \
                      procedure_code, field_code, 0, 0, 0, 0, 0, \
                      CASE WHEN finished_day <= due_day THEN -1 ELSE 0 END, \
                      CASE WHEN finished_day <= due_day THEN 0 ELSE -1 END \
               FROM case_facts, LATERAL (SELECT \
                 (finished_at AT TIME ZONE INTERVAL '+07:00')::date AS finished_day, \
                 (due_at AT TIME ZONE INTERVAL '+07:00')::date AS due_day) days \
               WHERE finished_at IS NOT NULL) x \
             GROUP BY d, unit, procedure_code, field_code",
            &[],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO stats_monthly SELECT date_trunc('month', day)::date, unit, procedure_code, \
             field_code, sum(received_online), sum(received_offline), sum(resolved_early), \
             sum(resolved_on_time), sum(resolved_late), sum(returned), sum(withdrawn), sum(stopped), \
             sum(overdue_by_due_date), sum(overdue_by_event) \
             FROM stats_daily GROUP BY 1, unit, procedure_code, field_code",
            &[],
        )
        .await
        .unwrap();
    // One statement per call: VACUUM may not run inside a transaction block.
    for table in ["case_facts", "stats_daily", "stats_monthly"] {
        client.batch_execute(&format!("VACUUM ANALYZE {table}")).await.unwrap();
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let total = env("BENCH_EVENTS", 1_000_000);
    let cases = env("BENCH_CASES", 1_000_000);

    let database = TestDatabase::create().await.unwrap();
    let pool = build_pool(
        database.config(),
        &PoolSettings { max_size: 8, role: Some(APPLICATION_ROLE.into()), ..PoolSettings::default() },
    )
    .unwrap();
    let store = EventStore::new(pool.clone(), database.config().clone());
    let generated = generate(&store, total).await;
    println!(
        "generated and appended {total} events with decide() in {:.1} s ({:.0} events/s, bulk append)",
        generated.as_secs_f64(),
        total as f64 / generated.as_secs_f64()
    );
    database.superuser().await.unwrap().batch_execute("VACUUM ANALYZE events").await.unwrap();
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let (both, status, stats) = catch_up_all(&store, &only).await;
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!(
        "catch-up from 0, {}: {:.1} s = {:.0} events/s",
        match only.as_str() {
            "status" => "status view alone",
            "stats" => "statistics alone",
            _ => "both projections together",
        },
        both.as_secs_f64(),
        rate(both)
    );
    println!(
        "  status view (+ audit entries + feed records): done after {:.1} s ({:.0} events/s)",
        status.as_secs_f64(),
        rate(status)
    );
    println!(
        "  statistics (facts + daily counters): done after {:.1} s ({:.0} events/s)",
        stats.as_secs_f64(),
        rate(stats)
    );

    // Reports over the last year of `BENCH_YEARS` (default 1) years of cases,
    // on a database of their own: what was open when a period began is summed
    // from every earlier month, so longer histories cost more.
    let years = env("BENCH_YEARS", 1).max(1);
    let reports = TestDatabase::create().await.unwrap();
    let started = Instant::now();
    fill_report_tables(&reports, cases, years).await;
    println!(
        "filled the statistics tables with {cases} cases over {years} year(s) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let year = 2024 + i16::try_from(years).unwrap();
    let pool = build_pool(reports.config(), &PoolSettings::default()).unwrap();
    let units: Vec<String> = (0..UNITS).map(|i| unit_code(i).to_string()).collect();
    for (label, from, to) in [
        ("one month", date(year, 6, 1), date(year, 6, 30)),
        ("one quarter", date(year, 4, 1), date(year, 6, 30)),
        ("the whole year", date(year, 1, 1), date(year, 12, 31)),
    ] {
        for group_by in [GroupBy::Field, GroupBy::Procedure, GroupBy::Unit] {
            let mut samples = Vec::new();
            for _ in 0..30 {
                let started = Instant::now();
                let rows = report(&pool, from, to, &units, group_by).await.unwrap();
                samples.push(started.elapsed());
                assert!(rows.len() > 1);
            }
            println!(
                "report over {cases} cases, {label}, by {group_by:?}: median {:.1} ms, p95 {:.1} ms",
                percentile(&mut samples, 0.5),
                percentile(&mut samples, 0.95)
            );
        }
    }
}
