//! `cargo bench -p onestop-domain --bench domain`: the cost of the pure rules.
#![allow(clippy::panic)] // a broken fixture should stop the benchmark loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::SignedDuration;
use jiff::civil::{date, time};
use onestop_domain::access::Actor;
use onestop_domain::calendar::{OfficeHours, Schedule, WorkingCalendar, instant, lunar};
use onestop_domain::case::event::{DocumentRef, Proposal, ReturnMethod};
use onestop_domain::case::{CaseCommand, CaseEvent, CaseState, Context, IssuedCode, decide, evolve, fold};
use onestop_domain::catalog::{Channel, Field, PauseMode, Procedure, StepUnit, Unit, UnitTree, WorkflowStep};
use onestop_domain::deadline::ProcessingTime;
use onestop_domain::ids::{ApplicantId, CaseCode, UnitCode, UserId};
use onestop_domain::role::Role;
use uuid::Uuid;

fn code(s: &str) -> UnitCode {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

struct World {
    units: UnitTree,
    calendar: WorkingCalendar,
    procedure: Procedure,
    issued: IssuedCode,
}

fn world() -> World {
    let unit = |c: &str, parent: Option<&str>| Unit {
        code: code(c),
        name: c.into(),
        parent: parent.map(code),
        office_hours: OfficeHours::default(),
        active: true,
    };
    let step = |name: &str, role, unit, budget| WorkflowStep { name: name.into(), role, unit, budget };
    World {
        units: UnitTree::new([
            unit("000.00.00.H22", None),
            unit("000.00.01.H22", Some("000.00.00.H22")),
            unit("000.00.12.H22", Some("000.00.00.H22")),
        ]),
        calendar: WorkingCalendar::vietnam(),
        procedure: Procedure {
            code: "1.004227".parse().unwrap_or_else(|e| panic!("{e}")),
            version: 1,
            name: "Đăng ký biến động quyền sử dụng đất".into(),
            field: Field { code: "DD".into(), name: "Đất đai".into() },
            handling_units: vec![code("000.00.12.H22")],
            processing_time: ProcessingTime::working_days(10),
            cutoff: Some(time(15, 0, 0, 0)),
            channels: vec![Channel::InPerson],
            fees: vec![],
            documents: vec![],
            workflow: vec![
                step("Tiếp nhận", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
                step("Thẩm định", Role::Specialist, StepUnit::Handling, ProcessingTime::working_days(7)),
                step("Phê duyệt", Role::Approver, StepUnit::Handling, ProcessingTime::working_days(2)),
            ],
            pause_mode: PauseMode::Shift,
        },
        issued: IssuedCode {
            code: CaseCode::new(code("000.00.01.H22"), date(2026, 3, 2), 1).unwrap_or_else(|e| panic!("{e}")),
            secret_hash: "0".repeat(64),
        },
    }
}

fn officer(role: Role, unit: &str) -> Actor {
    Actor { user_id: UserId(Uuid::from_u128(role as u128)), name: role.to_string(), role, units: vec![code(unit)] }
}

/// A 30-command life: receipt, handovers, a supplement, a payment, notes,
/// documents, approval, result, return and rating.
fn script() -> Vec<(Actor, CaseCommand)> {
    let reception = officer(Role::Reception, "000.00.01.H22");
    let specialist = officer(Role::Specialist, "000.00.12.H22");
    let approver = officer(Role::Approver, "000.00.12.H22");
    let doc = DocumentRef {
        name: "ban-ve.pdf".into(),
        media_type: "application/pdf".into(),
        size_bytes: 10,
        sha256: "ab".repeat(32),
        storage_ref: "s3://x".into(),
    };
    let comment = |actor: &Actor| (actor.clone(), CaseCommand::Comment { text: "Ghi chú".into() });
    let mut script = vec![
        (
            reception.clone(),
            CaseCommand::Receive {
                unit: code("000.00.01.H22"),
                channel: Channel::InPerson,
                applicant: ApplicantId(Uuid::nil()),
                documents: vec!["Đơn".into()],
            },
        ),
        (reception.clone(), CaseCommand::AttachDocument { document: doc.clone(), origin: None }),
        (reception.clone(), CaseCommand::Transfer { to_unit: code("000.00.12.H22"), assignee: None, note: None }),
        (specialist.clone(), CaseCommand::AcknowledgeHandover),
        (specialist.clone(), CaseCommand::RequestSupplement { reason: "Thiếu bản đồ".into(), documents: vec![] }),
        (reception.clone(), CaseCommand::ReceiveSupplement { documents: vec![] }),
        (specialist.clone(), CaseCommand::RequestPayment { amount_vnd: 500_000, description: "Lệ phí".into() }),
        (reception.clone(), CaseCommand::RecordPayment { amount_vnd: 500_000, receipt: "BL-1".into(), online: false }),
        (specialist.clone(), CaseCommand::Pause { reason: "Chờ".into() }),
        (specialist.clone(), CaseCommand::Resume),
    ];
    for _ in 0..12 {
        script.push(comment(&specialist));
    }
    script.extend([
        (specialist.clone(), CaseCommand::AttachDocument { document: doc, origin: None }),
        (specialist.clone(), CaseCommand::RecordAppraisal { opinion: "Hợp lệ".into(), proposal: Proposal::Grant }),
        (specialist.clone(), CaseCommand::SubmitForApproval { note: None }),
        (approver.clone(), CaseCommand::Approve { note: None }),
        (approver.clone(), CaseCommand::RecordResult { summary: "Xong".into(), document: None, result_code: None }),
        (reception.clone(), CaseCommand::ReturnResult { method: ReturnMethod::AtDesk }),
        (reception.clone(), CaseCommand::RateSatisfaction { score: 5, comment: None }),
        comment(&reception),
    ]);
    script
}

fn run_script(world: &World, script: &[(Actor, CaseCommand)]) -> (CaseState, Vec<CaseEvent>) {
    let mut state = CaseState::default();
    let mut history = Vec::with_capacity(script.len());
    let mut now = instant(date(2026, 3, 2).at(9, 0, 0, 0));
    for (actor, command) in script {
        now += SignedDuration::from_mins(90);
        let ctx = Context {
            now,
            actor,
            units: &world.units,
            calendar: &world.calendar,
            procedure: &world.procedure,
            issued: Some(&world.issued),
        };
        let events = decide(&state, command.clone(), &ctx).unwrap_or_else(|e| panic!("{}: {e}", command.action()));
        for event in events {
            state = evolve(state, &event);
            history.push(event);
        }
    }
    (state, history)
}

fn case_aggregate(c: &mut Criterion) {
    let world = world();
    let script = script();
    let (_, history) = run_script(&world, &script);
    assert_eq!(history.len(), 30);
    c.bench_function("decide + evolve, 30-command case", |b| b.iter(|| run_script(&world, black_box(&script))));
    c.bench_function("fold 30 events", |b| b.iter(|| fold(black_box(&history))));
    let stored: Vec<(&str, String)> = history.iter().map(|e| (e.event_type(), e.payload().to_string())).collect();
    c.bench_function("decode 30 stored events + fold", |b| {
        b.iter(|| {
            let events: Vec<CaseEvent> =
                stored.iter().map(|(t, p)| CaseEvent::decode(t, 1, p).unwrap_or_else(|e| panic!("{e}"))).collect();
            fold(&events)
        })
    });
}

fn working_time(c: &mut Criterion) {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    let start = instant(date(2026, 1, 28).at(10, 15, 0, 0));
    c.bench_function("add 20 working days (across Tết 2026)", |b| {
        b.iter(|| schedule.add_working_days(black_box(start), black_box(20)))
    });
    let end = schedule.add_working_days(start, 20);
    c.bench_function("working minutes between (20 working days apart)", |b| {
        b.iter(|| schedule.working_minutes_between(black_box(start), black_box(end)))
    });
    c.bench_function("solar → lunar date", |b| b.iter(|| lunar::to_lunar(black_box(date(2026, 8, 19)))));
    c.bench_function("working calendar 1990–2100 (start-up)", |b| b.iter(WorkingCalendar::vietnam));
}

criterion_group!(benches, case_aggregate, working_time);
criterion_main!(benches);
