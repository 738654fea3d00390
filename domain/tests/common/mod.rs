//! A small province, a land procedure and one officer per role, for the case
//! aggregate's tests; and a given/when/then harness that runs the real `decide`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::Timestamp;
use jiff::civil::{date, time};
use onestop_domain::access::Actor;
use onestop_domain::calendar::{WorkingCalendar, instant};
use onestop_domain::case::{CaseCommand, CaseEvent, CaseState, Context, DomainError, IssuedCode, decide, fold};
use onestop_domain::catalog::{Channel, Field, PauseMode, Procedure, StepUnit, Unit, UnitTree, WorkflowStep};
use onestop_domain::deadline::ProcessingTime;
use onestop_domain::ids::{ApplicantId, CaseCode, UnitCode, UserId};
use onestop_domain::role::Role;
use uuid::Uuid;

pub const PROVINCE: &str = "000.00.00.H22";
/// Trung tâm Phục vụ hành chính công: the reception desk.
pub const CENTRE: &str = "000.00.01.H22";
/// Sở Tài nguyên và Môi trường: the handling department.
pub const DEPARTMENT: &str = "000.00.12.H22";
/// Another department, for scope tests.
pub const OTHER_DEPARTMENT: &str = "000.00.13.H22";

pub fn unit(code: &str) -> UnitCode {
    code.parse().unwrap()
}

pub fn units() -> UnitTree {
    let make = |code: &str, name: &str, parent: Option<&str>| Unit {
        code: unit(code),
        name: name.into(),
        parent: parent.map(unit),
        office_hours: Default::default(),
        active: true,
    };
    UnitTree::new([
        make(PROVINCE, "UBND tỉnh", None),
        make(CENTRE, "Trung tâm Phục vụ hành chính công", Some(PROVINCE)),
        make(DEPARTMENT, "Sở Tài nguyên và Môi trường", Some(PROVINCE)),
        make(OTHER_DEPARTMENT, "Sở Xây dựng", Some(PROVINCE)),
    ])
}

/// Đăng ký biến động đất đai: 10 working days, 15:00 cutoff.
pub fn land_procedure(pause_mode: PauseMode) -> Procedure {
    let step = |name: &str, role, unit, budget| WorkflowStep { name: name.into(), role, unit, budget };
    Procedure {
        code: "1.004227".parse().unwrap(),
        version: 1,
        name: "Đăng ký biến động quyền sử dụng đất".into(),
        field: Field { code: "DD".into(), name: "Đất đai".into() },
        handling_units: vec![unit(DEPARTMENT)],
        processing_time: ProcessingTime::working_days(10),
        cutoff: Some(time(15, 0, 0, 0)),
        channels: vec![Channel::InPerson, Channel::Post, Channel::OnlineFull],
        fees: vec![],
        documents: vec![],
        workflow: vec![
            step("Tiếp nhận", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
            step("Thẩm định", Role::Specialist, StepUnit::Handling, ProcessingTime::working_days(7)),
            step("Phê duyệt", Role::Approver, StepUnit::Handling, ProcessingTime::working_days(2)),
            step("Trả kết quả", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
        ],
        pause_mode,
    }
}

pub fn actor(role: Role, at: &str) -> Actor {
    Actor {
        user_id: UserId(Uuid::from_u128(role as u128 + 1)),
        name: format!("{role} at {at}"),
        role,
        units: vec![unit(at)],
    }
}

pub fn reception() -> Actor {
    actor(Role::Reception, CENTRE)
}
pub fn specialist() -> Actor {
    actor(Role::Specialist, DEPARTMENT)
}
pub fn approver() -> Actor {
    actor(Role::Approver, DEPARTMENT)
}
pub fn leader() -> Actor {
    actor(Role::Leader, PROVINCE)
}

pub fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    instant(date(y, m, d).at(h, min, 0, 0))
}

pub fn issued() -> IssuedCode {
    IssuedCode { code: CaseCode::new(unit(CENTRE), date(2026, 3, 2), 1).unwrap(), secret_hash: "0".repeat(64) }
}

pub fn applicant() -> ApplicantId {
    ApplicantId(Uuid::from_u128(42))
}

/// A case's history and the world around it.
pub struct Case {
    pub history: Vec<CaseEvent>,
    pub now: Timestamp,
    pub units: UnitTree,
    pub calendar: WorkingCalendar,
    pub procedure: Procedure,
    pub issued: IssuedCode,
}

impl Case {
    /// A new case of the land procedure; the clock at Mon 2 Mar 2026 09:00.
    pub fn new() -> Self {
        Self::with_procedure(land_procedure(PauseMode::Shift))
    }

    pub fn with_procedure(procedure: Procedure) -> Self {
        Self {
            history: Vec::new(),
            now: at(2026, 3, 2, 9, 0),
            units: units(),
            calendar: WorkingCalendar::vietnam(),
            procedure,
            issued: issued(),
        }
    }

    pub fn state(&self) -> CaseState {
        fold(&self.history)
    }

    /// Moves the clock.
    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    /// Decides without recording.
    pub fn try_as(&self, actor: &Actor, command: CaseCommand) -> Result<Vec<CaseEvent>, DomainError> {
        let ctx = Context {
            now: self.now,
            actor,
            units: &self.units,
            calendar: &self.calendar,
            procedure: &self.procedure,
            issued: Some(&self.issued),
        };
        decide(&self.state(), command, &ctx)
    }

    /// Decides and records; panics when refused (the step is part of a "given").
    pub fn then_as(mut self, actor: &Actor, command: CaseCommand) -> Self {
        let action = command.action();
        match self.try_as(actor, command) {
            Ok(events) => self.history.extend(events),
            Err(error) => panic!("given step {action:?} was refused: {error}"),
        }
        self
    }

    // The usual path, step by step.

    pub fn received() -> Self {
        Self::new().then_as(
            &reception(),
            CaseCommand::Receive {
                unit: unit(CENTRE),
                channel: Channel::InPerson,
                applicant: applicant(),
                documents: vec!["Đơn đăng ký biến động".into()],
            },
        )
    }

    pub fn transferred(self) -> Self {
        let now = self.now;
        self.at(now + jiff::SignedDuration::from_hours(1)).then_as(
            &reception(),
            CaseCommand::Transfer { to_unit: unit(DEPARTMENT), assignee: Some(specialist().user_id), note: None },
        )
    }

    pub fn acknowledged(self) -> Self {
        self.then_as(&specialist(), CaseCommand::AcknowledgeHandover)
    }

    pub fn appraised(self) -> Self {
        self.then_as(
            &specialist(),
            CaseCommand::RecordAppraisal {
                opinion: "Hồ sơ hợp lệ".into(),
                proposal: onestop_domain::case::event::Proposal::Grant,
            },
        )
    }

    pub fn submitted_for_approval(self) -> Self {
        self.then_as(&specialist(), CaseCommand::SubmitForApproval { note: None })
    }

    pub fn approved(self) -> Self {
        self.then_as(&approver(), CaseCommand::Approve { note: None })
    }

    pub fn result_recorded(self) -> Self {
        self.then_as(
            &approver(),
            CaseCommand::RecordResult {
                summary: "Đã cập nhật biến động".into(), document: None, result_code: None
            },
        )
    }

    pub fn returned(self) -> Self {
        self.then_as(
            &reception(),
            CaseCommand::ReturnResult { method: onestop_domain::case::event::ReturnMethod::AtDesk },
        )
    }

    /// Received, transferred and acknowledged: on the specialist's desk.
    pub fn in_progress() -> Self {
        Self::received().transferred().acknowledged()
    }
}

/// A valid document reference.
pub fn document(name: &str) -> onestop_domain::case::event::DocumentRef {
    onestop_domain::case::event::DocumentRef {
        name: name.into(),
        media_type: "application/pdf".into(),
        size_bytes: 1024,
        sha256: "ab".repeat(32),
        storage_ref: format!("s3://onestop/{name}"),
    }
}
