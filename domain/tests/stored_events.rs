//! Golden fixtures of the stored event schema: the payload of every event type
//! and schema version, as the log held it when that version was made, in
//! `domain/tests/stored/<stream kind>/<EventType>.v<N>.json` (and
//! `<EventType>.v<N>.<variant>.json` for a further sample of the same version).
//!
//! Each must decode forever with today's code and encode back to the very same
//! canonical bytes, because those bytes are hashed into the chain. A domain
//! change that would alter what is stored (a renamed field, a renamed enum
//! value, a field added without a default) fails here, where a round trip
//! through today's code alone would pass.
//!
//! The files are written once: `UPDATE_GOLDEN=1 cargo test -p onestop-domain
//! --test stored_events` adds the file of a type or version that has none,
//! from the samples below, and never touches a file that exists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::{date, time};
use onestop_domain::access::User;
use onestop_domain::booking::{BookingCode, BookingEvent, HalfDay};
use onestop_domain::calendar::{
    DaySwap, HolidayDate, HolidayRule, OfficeHours, Session, WeekendMakeUp, YearArrangement,
};
use onestop_domain::case::CaseEvent;
use onestop_domain::case::event::*;
use onestop_domain::catalog::{Channel, Fee, PauseMode, Procedure, RequiredDocument, StepUnit, Unit, WorkflowStep};
use onestop_domain::deadline::ProcessingTime;
use onestop_domain::ids::{ApplicantId, CaseCode, UnitCode, UserId};
use onestop_domain::notice::{NOTICES_CHOSEN, NoticeChannel, NoticeChoice, NoticeKind, NoticeTemplate, TemplateEvent};
use onestop_domain::queue::{
    CounterSetup, GroupCode, PriorityClass, QUEUE_SET_UP, QueueEvent, QueueSetup, ServiceGroup, TicketNumber,
};
use onestop_domain::registry::{CalendarEvent, ProcedureEvent, UnitEvent, UserEvent};
use onestop_domain::role::Role;
use onestop_domain::sign_in::{FailureReason, SignInEvent};
use serde_json::Value;
use uuid::Uuid;

/// A kind of stream, with the code that reads and writes its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Case,
    Unit,
    Procedure,
    Calendar,
    User,
    SignIn,
    /// Notice templates, and applicants' choices of notice channels.
    Notice,
    /// Queue tickets, and each unit's queue setup.
    Queue,
}

impl Kind {
    const ALL: [Kind; 8] =
        [Kind::Case, Kind::Unit, Kind::Procedure, Kind::Calendar, Kind::User, Kind::SignIn, Kind::Notice, Kind::Queue];

    fn folder(self) -> &'static str {
        match self {
            Kind::Case => "case",
            Kind::Unit => "unit",
            Kind::Procedure => "procedure",
            Kind::Calendar => "calendar",
            Kind::User => "user",
            Kind::SignIn => "sign-in",
            Kind::Notice => "notice",
            Kind::Queue => "queue",
        }
    }

    fn types(self) -> Vec<&'static str> {
        match self {
            Kind::Case => CaseEvent::TYPES.to_vec(),
            Kind::Unit => UnitEvent::TYPES.to_vec(),
            Kind::Procedure => ProcedureEvent::TYPES.to_vec(),
            Kind::Calendar => CalendarEvent::TYPES.to_vec(),
            Kind::User => UserEvent::TYPES.to_vec(),
            Kind::SignIn => SignInEvent::TYPES.to_vec(),
            Kind::Notice => [TemplateEvent::TYPES, &[NOTICES_CHOSEN]].concat(),
            Kind::Queue => [QueueEvent::TYPES, BookingEvent::TYPES, &[QUEUE_SET_UP]].concat(),
        }
    }

    /// The schema version events of this kind are written in today.
    fn current_version(self) -> i32 {
        match self {
            Kind::Case => CaseEvent::SCHEMA_VERSION,
            _ => 1,
        }
    }

    /// Decodes a stored payload with today's code and encodes the event again.
    fn round_trip(self, event_type: &str, version: i32, payload: &str) -> Result<Value, String> {
        let fail = |e: &dyn std::fmt::Display| e.to_string();
        match self {
            Kind::Case => CaseEvent::decode(event_type, version, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::Unit => UnitEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::Procedure => ProcedureEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::Calendar => CalendarEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::User => UserEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::Notice if event_type == NOTICES_CHOSEN => serde_json::from_str::<NoticeChoice>(payload)
                .map_err(|e| fail(&e))
                .and_then(|c| serde_json::to_value(c).map_err(|e| fail(&e))),
            Kind::Notice => TemplateEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::Queue if event_type == QUEUE_SET_UP => serde_json::from_str::<QueueSetup>(payload)
                .map_err(|e| fail(&e))
                .and_then(|c| serde_json::to_value(c).map_err(|e| fail(&e))),
            Kind::Queue if BookingEvent::TYPES.contains(&event_type) => {
                BookingEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e))
            }
            Kind::Queue => QueueEvent::decode(event_type, payload).map(|e| e.payload()).map_err(|e| fail(&e)),
            Kind::SignIn => serde_json::from_str::<SignInEvent>(payload).map_err(|e| fail(&e)).and_then(|e| {
                if e.event_type() == event_type {
                    serde_json::to_value(&e).map_err(|e| fail(&e))
                } else {
                    Err(format!("the payload is a {}", e.event_type()))
                }
            }),
        }
    }
}

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stored")
}

fn fixture_path(kind: Kind, event_type: &str, version: i32) -> PathBuf {
    folder().join(kind.folder()).join(format!("{event_type}.v{version}.json"))
}

fn canonical(value: &Value) -> String {
    onestop_store::canonical_json(value).unwrap()
}

/// Every fixture there is: (kind, event type, version, the stored text).
fn fixtures() -> Vec<(Kind, String, i32, String)> {
    let mut found = Vec::new();
    for kind in Kind::ALL {
        let Ok(entries) = std::fs::read_dir(folder().join(kind.folder())) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            // `<EventType>.v<N>.json`, or `<EventType>.v<N>.<variant>.json` for a
            // further sample of the same version (e.g. with an optional part).
            let (event_type, version) = name
                .strip_suffix(".json")
                .and_then(|stem| stem.rsplit_once(".v"))
                .map(|(event_type, version)| (event_type, version.split('.').next().unwrap_or(version)))
                .unwrap_or_else(|| panic!("{name}: not <EventType>.v<N>.json"));
            let text = std::fs::read_to_string(&path).unwrap();
            found.push((
                kind,
                event_type.to_owned(),
                version.parse().unwrap(),
                text.strip_suffix('\n').unwrap_or(&text).to_owned(),
            ));
        }
    }
    found
}

#[test]
fn every_stored_payload_decodes_and_encodes_to_the_same_bytes() {
    write_missing_fixtures_if_asked();
    let fixtures = fixtures();
    assert!(fixtures.len() >= 37, "only {} fixtures", fixtures.len());
    let mut failures = Vec::new();
    for (kind, event_type, version, stored) in &fixtures {
        match kind.round_trip(event_type, *version, stored) {
            Ok(again) if canonical(&again) == *stored => {}
            Ok(again) => failures.push(format!(
                "{}/{event_type} v{version} encodes differently:\n  stored: {stored}\n  now:    {}",
                kind.folder(),
                canonical(&again)
            )),
            Err(error) => {
                failures.push(format!("{}/{event_type} v{version} no longer decodes: {error}", kind.folder()))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_event_type_has_a_fixture_of_its_current_version() {
    write_missing_fixtures_if_asked();
    let missing: Vec<String> = Kind::ALL
        .into_iter()
        .flat_map(|kind| {
            kind.types()
                .into_iter()
                .filter(move |t| !fixture_path(kind, t, kind.current_version()).exists())
                .map(move |t| format!("{}/{t}.v{}", kind.folder(), kind.current_version()))
        })
        .collect();
    assert!(missing.is_empty(), "no golden fixture for {missing:?}: run with UPDATE_GOLDEN=1 once the schema is final");
}

#[test]
fn what_is_written_today_is_what_the_fixtures_hold() {
    // The samples below, encoded by today's code, match their fixtures: the
    // write path is held to the schema as well as the read path.
    write_missing_fixtures_if_asked();
    for (kind, event_type, payload) in samples() {
        let path = fixture_path(kind, event_type, kind.current_version());
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(canonical(&payload), stored.trim_end(), "{}/{event_type}", kind.folder());
    }
}

/// With `UPDATE_GOLDEN` set, adds (once per run) the fixture of each sample
/// whose type has none at its current version.
fn write_missing_fixtures_if_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        ONCE.call_once(write_missing_fixtures);
    }
}

fn write_missing_fixtures() {
    for (kind, event_type, payload) in samples() {
        let path = fixture_path(kind, event_type, kind.current_version());
        if path.exists() {
            continue;
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, canonical(&payload) + "\n").unwrap();
    }
}

// ---------------------------------------------------------------------------
// One sample of every event type, every optional field filled in.

fn at(minute: i8) -> Timestamp {
    date(2026, 3, 2).at(9, minute, 0, 0).in_tz("Asia/Ho_Chi_Minh").unwrap().timestamp()
}

fn unit_code(code: &str) -> UnitCode {
    code.parse().unwrap()
}

fn officer() -> UserId {
    UserId(Uuid::from_u128(0x0199_0000_0000_7000_8000_0000_0000_0001))
}

fn step(index: usize, role: Role) -> StepStart {
    StepStart {
        index,
        name: "Thẩm định".into(),
        unit: unit_code("000.00.12.H22"),
        role,
        assignee: Some(officer()),
        due_at: at(50),
    }
}

fn clock() -> ClockRestarted {
    ClockRestarted { paused_minutes: 95, due_at: at(40), step_due_at: at(45) }
}

fn document() -> DocumentRef {
    DocumentRef {
        name: "Giấy chứng nhận.pdf".into(),
        media_type: "application/pdf".into(),
        size_bytes: 48_213,
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        storage_ref: "s3://onestop/2026/03/02/9f86d081".into(),
    }
}

fn procedure_ref() -> ProcedureRef {
    ProcedureRef { code: "1.004227".parse().unwrap(), version: 3 }
}

fn case_events() -> Vec<CaseEvent> {
    let desk = unit_code("000.00.01.H22");
    let applicant = ApplicantId(Uuid::from_u128(0x0199_0000_0000_7000_8000_0000_0000_00a1));
    vec![
        CaseSubmittedOnline {
            at: at(0),
            procedure: procedure_ref(),
            field_code: "DD".into(),
            unit: desk.clone(),
            channel: Channel::OnlineFull,
            applicant,
            portal: None,
        }
        .into(),
        CaseReceived {
            at: at(1),
            code: CaseCode::new(desk.clone(), date(2026, 3, 2), 17).unwrap(),
            lookup_secret_hash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8".into(),
            procedure: procedure_ref(),
            field_code: "DD".into(),
            unit: desk.clone(),
            channel: Channel::InPerson,
            applicant,
            documents: vec!["Đơn đăng ký biến động".into(), "Giấy chứng nhận".into()],
            processing_time: ProcessingTime::working_days(10),
            pause_mode: PauseMode::Restart,
            counting_from: at(1),
            due_at: at(59),
            step: step(0, Role::Reception),
        }
        .into(),
        CaseRefusedAtReception { at: at(2), reason: "Hồ sơ không thuộc thẩm quyền".into() }.into(),
        CaseTransferred {
            at: at(3),
            from_unit: desk.clone(),
            by: officer(),
            note: Some("Chuyển thẩm định".into()),
            step: step(1, Role::Specialist),
        }
        .into(),
        HandoverAcknowledged { at: at(4), unit: unit_code("000.00.12.H22"), by: officer() }.into(),
        AppraisalRecorded { at: at(5), opinion: "Đủ điều kiện".into(), proposal: Proposal::Grant }.into(),
        SupplementRequested { at: at(6), reason: "Thiếu bản sao".into(), documents: vec!["Bản sao CCCD".into()] }
            .into(),
        SupplementReceived { at: at(7), documents: vec!["Bản sao CCCD".into()], clock: clock() }.into(),
        PaymentRequested {
            at: at(8), amount_vnd: 150_000, description: "Lệ phí cấp giấy chứng nhận".into()
        }
        .into(),
        PaymentRecorded {
            at: at(9),
            amount_vnd: 150_000,
            receipt: "BL-2026-000417".into(),
            online: false,
            clock: clock(),
        }
        .into(),
        SubmittedForApproval { at: at(10), note: Some("Trình ký".into()), step: Some(step(2, Role::Approver)) }.into(),
        CaseApproved { at: at(11), note: Some("Đồng ý".into()) }.into(),
        SentBackForRework {
            at: at(12), reason: "Bổ sung ý kiến thẩm định".into(), step: step(1, Role::Specialist)
        }
        .into(),
        DeadlineExtended {
            at: at(13),
            previous_due_at: at(59),
            due_at: date(2026, 3, 20).to_datetime(time(17, 0, 0, 0)).in_tz("Asia/Ho_Chi_Minh").unwrap().timestamp(),
            reason: "Cần xác minh thực địa".into(),
            apology_letter: document(),
        }
        .into(),
        CasePaused { at: at(14), reason: "Chờ ý kiến liên ngành".into() }.into(),
        CaseResumed { at: at(15), clock: clock() }.into(),
        CaseRefusedAsIneligible { at: at(16), reason: "Không đủ điều kiện".into() }.into(),
        CaseWithdrawn { at: at(17), reason: "Công dân rút hồ sơ".into() }.into(),
        CaseStopped { at: at(18), reason: "Có tranh chấp".into() }.into(),
        ResultRecorded {
            at: at(19),
            summary: "Cấp giấy chứng nhận".into(),
            document: Some(document()),
            result_code: None,
            step: Some(step(3, Role::Reception)),
        }
        .into(),
        ResultReturned { at: at(20), method: ReturnMethod::ByPost }.into(),
        CommentAdded { at: at(21), text: "Đã gọi điện cho công dân".into() }.into(),
        SatisfactionRated { at: at(22), score: 4, comment: Some("Nhanh".into()) }.into(),
        DocumentAttached { at: at(23), document: document(), origin: None }.into(),
        FormIssued {
            at: at(24),
            form: onestop_domain::case::forms::Form::Receipt,
            format: onestop_domain::case::forms::FormFormat::Pdf,
            of_version: 2,
            sha256: "9f2c".repeat(16),
        }
        .into(),
    ]
}

fn sample_unit() -> Unit {
    Unit {
        code: unit_code("000.00.12.H22"),
        name: "Sở Tài nguyên và Môi trường".into(),
        parent: Some(unit_code("000.00.00.H22")),
        office_hours: OfficeHours::new(vec![
            Session { start: time(7, 0, 0, 0), end: time(11, 30, 0, 0) },
            Session { start: time(13, 0, 0, 0), end: time(16, 30, 0, 0) },
        ])
        .unwrap(),
        active: true,
    }
}

fn sample_procedure() -> Procedure {
    let mut procedure = Procedure {
        version: 3,
        channels: vec![Channel::InPerson, Channel::OnlinePartial, Channel::Post],
        fees: vec![Fee { name: "Lệ phí".into(), amount_vnd: 50_000 }],
        documents: vec![RequiredDocument { name: "Đơn đăng ký".into(), copies: 1, original_required: true }],
        ..common::land_procedure(PauseMode::Shift)
    };
    // A handover to another agency (liên thông), stored with its unit.
    procedure.workflow.insert(
        2,
        WorkflowStep {
            name: "Liên thông thuế".into(),
            role: Role::Specialist,
            unit: StepUnit::Fixed(unit_code("000.00.15.H22")),
            budget: ProcessingTime::calendar_days(2),
        },
    );
    procedure
}

fn sample_user() -> User {
    User {
        id: officer(),
        username: "chuyenvien.tnmt".into(),
        full_name: "Nguyễn Thị Lan".into(),
        role: Role::Specialist,
        units: vec![unit_code("000.00.12.H22")],
        active: true,
        email: None,
    }
}

const PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2fBZg3mKjUQbNUAnrwcl2yiDTsPCYrRJA9Nua2Unh8U";

fn samples() -> Vec<(Kind, &'static str, Value)> {
    let mut out: Vec<(Kind, &'static str, Value)> =
        case_events().into_iter().map(|e| (Kind::Case, e.event_type(), e.payload())).collect();
    for e in [
        UnitEvent::UnitRegistered { unit: sample_unit() },
        UnitEvent::UnitUpdated { unit: Unit { active: false, ..sample_unit() } },
    ] {
        out.push((Kind::Unit, e.event_type(), e.payload()));
    }
    let published = ProcedureEvent::ProcedurePublished { procedure: sample_procedure() };
    out.push((Kind::Procedure, published.event_type(), published.payload()));
    for e in [
        CalendarEvent::CalendarArranged {
            arrangement: YearArrangement {
                year: 2026,
                tet_days_off: Some(vec![date(2026, 2, 16), date(2026, 2, 20)]),
                national_day_extra: Some(date(2026, 9, 1)),
                swaps: vec![DaySwap { day_off: date(2026, 1, 2), saturday_worked: date(2026, 1, 10) }],
                extra_days_off: vec![date(2026, 11, 24)],
                extra_working_days: vec![date(2026, 8, 22)],
            },
        },
        CalendarEvent::HolidayRuleAdded {
            rule: HolidayRule {
                holiday: "gio_to_hung_vuong".into(),
                name: "Giỗ Tổ Hùng Vương".into(),
                date: HolidayDate::Lunar { month: 3, day: 10 },
                days: 1,
                days_before: 0,
                adjacent_day: false,
                weekend_make_up: WeekendMakeUp::NextWorkingDay,
                first_year: 2007,
                last_year: Some(2099),
                source: "Bộ luật Lao động 2019, Điều 112".into(),
            },
        },
        CalendarEvent::HolidayRuleEnded { holiday: "tet_nguyen_dan".into(), first_year: 1995, last_year: 2012 },
    ] {
        out.push((Kind::Calendar, e.event_type(), e.payload()));
    }
    for e in [
        UserEvent::UserRegistered { user: sample_user(), password_hash: PASSWORD_HASH.into() },
        UserEvent::UserUpdated { user: User { role: Role::Approver, ..sample_user() } },
        UserEvent::PasswordChanged { password_hash: PASSWORD_HASH.into() },
    ] {
        out.push((Kind::User, e.event_type(), e.payload()));
    }
    for e in [
        SignInEvent::SignInSucceeded { at: at(30), username: "chuyenvien.tnmt".into() },
        SignInEvent::SignInFailed {
            at: at(31),
            username: "chuyenvien.tnmt".into(),
            reason: FailureReason::WrongPassword,
        },
        SignInEvent::AccountLocked { at: at(32), username: "chuyenvien.tnmt".into(), until: at(59), failures: 10 },
        SignInEvent::AccountUnlocked { at: at(33), username: "chuyenvien.tnmt".into(), by: officer() },
    ] {
        out.push((Kind::SignIn, e.event_type(), serde_json::to_value(&e).unwrap()));
    }
    let template = TemplateEvent::NoticeTemplateSet {
        kind: NoticeKind::SupplementRequested,
        channel: NoticeChannel::Zalo,
        template: NoticeTemplate {
            subject: "Hồ sơ {ma_ho_so} cần bổ sung".into(),
            body: "Kính gửi Ông/Bà {ho_ten}: bổ sung {giay_to} tại {don_vi}.".into(),
            zalo_template_id: Some("231456".into()),
        },
    };
    out.push((Kind::Notice, template.event_type(), template.payload()));
    let chosen = NoticeChoice { channels: vec![NoticeChannel::Sms, NoticeChannel::Email], consent: true };
    out.push((Kind::Notice, NOTICES_CHOSEN, serde_json::to_value(&chosen).unwrap()));
    let (a, b) = (GroupCode::new("A").unwrap(), GroupCode::new("B").unwrap());
    let setup = QueueSetup {
        groups: vec![
            ServiceGroup { code: a.clone(), name: "Đất đai".into(), booking_capacity: None },
            ServiceGroup { code: b.clone(), name: "Hộ tịch, chứng thực".into(), booking_capacity: None },
        ],
        counters: vec![CounterSetup { number: 1, name: "Quầy 1".into(), groups: vec![a.clone(), b.clone()] }],
    };
    out.push((Kind::Queue, QUEUE_SET_UP, serde_json::to_value(&setup).unwrap()));
    let number = TicketNumber { group: a, seq: 17 };
    for e in [
        QueueEvent::TicketTaken {
            at: at(40),
            number: number.clone(),
            priority: Some(PriorityClass::Elderly),
            booking: None,
        },
        QueueEvent::TicketCalled { at: at(41), number: number.clone(), counter: 1, officer: officer() },
        QueueEvent::TicketRecalled { at: at(42), number: number.clone(), counter: 1 },
        QueueEvent::TicketMissed { at: at(43), number: number.clone(), counter: 1 },
        QueueEvent::TicketReturned { at: at(44), number: number.clone() },
        QueueEvent::TicketTransferred { at: at(45), number: number.clone(), to_group: b, counter: 1 },
        QueueEvent::TicketFinished { at: at(46), number, counter: 1, cases: vec![] },
    ] {
        out.push((Kind::Queue, e.event_type(), e.payload()));
    }
    let code = BookingCode::parse("K7MX2QPA").unwrap();
    for e in [
        BookingEvent::SlotBooked {
            at: at(47),
            code: code.clone(),
            group: GroupCode::new("A").unwrap(),
            day: jiff::civil::date(2026, 3, 3),
            half: HalfDay::Afternoon,
        },
        BookingEvent::BookingCancelled { at: at(48), code },
    ] {
        out.push((Kind::Queue, e.event_type(), e.payload()));
    }
    out
}
