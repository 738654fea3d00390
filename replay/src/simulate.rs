//! `simulate`: a province-year of traffic, sent through the command layer, with
//! the Biểu 06 it should produce written beside it.
//!
//! The simulated province has a land registry office, a tax office and
//! `communes` communes; about 75 % of files are land procedures (as in Chư Sê),
//! the rest civil status, certification and household businesses; a third come
//! in online. Files arrive on the working days of `year` during office hours;
//! each step takes a random share of its own time budget, so about 97 % finish
//! on time; about 6 % wait for a supplement (up to ten working days, so some
//! wait past their due date and across a month's end), 3 % run late at
//! appraisal, 2 % are refused as ineligible, 1 % are withdrawn, 1 % are stopped,
//! 1 % of online submissions are refused at reception, and land transfers go
//! through the tax office (liên thông). On 1 July the household-business
//! procedure is republished under another field, as the 2025 reorganisation of
//! ministries did to many fields: files received from then on count under the
//! new one. The year ends when it ends: later actions are not taken, so files
//! received in December are still in progress. The same seed gives the same
//! cases, times and outcomes (ids included); lookup secrets and encryption keys
//! stay random.
//!
//! The simulated province (`….H27`) can live beside another in the same
//! database, the demo province included, loaded before or after it: its
//! procedures carry the national codes with the suffix `-MP` (mô phỏng). A
//! statistician's account for the simulated province is created on the first
//! run (`thongke.h27`, its password printed once), so its reports can be read.
//!
//! Volumes are the caller's: a busy Bắc Ninh commune receives about 30,000 files
//! a half-year, so `--communes 1 --cases 60000` is one such commune's year, and
//! `--cases 115000` (about a million case events) what the benchmarks use.
//!
//! Every case is a script of commands, each with its own time and officer, that
//! [`CaseService::import`] runs through the real `decide`. Officers are named in
//! the events' metadata; they are not registered as users (they never log in).
//!
//! The ground truth is counted from the cases' folded states with the Biểu 06
//! definitions written out here (the projections' SQL is not consulted), so a
//! report can be checked against it; the QĐ 766 counts (files digitized and
//! reusing data, electronic results, payments online, ratings) from the
//! scripts' own commands, as `onestop_domain::indicators` defines them.
//! Files at the desk are scanned (60 %), some reuse a data store's copy of a
//! component (15 %), one in five pays a fee (45 % of them online), half the
//! results are electronic, and three in ten applicants rate the service.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use onestop_commands::CommandError;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::import::{ImportedCase, ScriptedCase, ScriptedStep};
use onestop_commands::metadata::RequestMeta;
use onestop_commands::registry::RegistryService;
use onestop_domain::access::Actor;
use onestop_domain::calendar::{OfficeHours, Schedule, WorkingCalendar, instant};
use onestop_domain::case::event::{DocumentOrigin, DocumentRef, Proposal, ReturnMethod};
use onestop_domain::case::{CaseCommand, Outcome, Timeliness};
use onestop_domain::catalog::{Channel, Field, PauseMode, Procedure, StepUnit, Unit, WorkflowStep};
use onestop_domain::deadline::{ProcessingTime, Progress, Punctuality};
use onestop_domain::ids::{ApplicantId, CaseId, UnitCode, UserId};
use onestop_domain::personal::Applicant;
use onestop_domain::role::Role;
use onestop_projections::stats::ReportRow;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use uuid::Uuid;

/// The province's code suffix and its fixed units.
const PROVINCE: &str = "000.00.00.H27";
const LAND_OFFICE: &str = "000.12.01.H27";
const TAX_OFFICE: &str = "000.07.01.H27";

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Options {
    pub cases: usize,
    pub seed: u64,
    pub year: i16,
    pub communes: usize,
    /// Cases per transaction.
    pub batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self { cases: 10_000, seed: 1, year: 2025, communes: 20, batch: 2_000 }
    }
}

/// What the simulation wrote.
#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub from: Date,
    pub to: Date,
    pub cases: usize,
    pub events: usize,
    /// Biểu 06 per receiving unit, then `TOTAL`.
    pub by_unit: Vec<ReportRow>,
}

fn unit_code(text: &str) -> Result<UnitCode, CommandError> {
    text.parse()
        .map_err(|e: onestop_domain::ids::InvalidId| CommandError::Invalid { field: "unit", reason: e.to_string() })
}

fn commune(i: usize) -> Result<UnitCode, CommandError> {
    unit_code(&format!("000.26.{:02}.H27", i + 1))
}

/// The simulated province's units, parents first.
fn units(communes: usize) -> Result<Vec<Unit>, CommandError> {
    let unit = |code: &str, name: String, parent: Option<&str>| -> Result<Unit, CommandError> {
        Ok(Unit {
            code: unit_code(code)?,
            name,
            parent: parent.map(unit_code).transpose()?,
            office_hours: OfficeHours::default(),
            active: true,
        })
    };
    let mut all = vec![
        unit(PROVINCE, "Ủy ban nhân dân tỉnh (mô phỏng)".into(), None)?,
        unit(LAND_OFFICE, "Văn phòng đăng ký đất đai (mô phỏng)".into(), Some(PROVINCE))?,
        unit(TAX_OFFICE, "Thuế cơ sở (mô phỏng)".into(), Some(PROVINCE))?,
    ];
    for i in 0..communes {
        all.push(Unit {
            code: commune(i)?,
            name: format!("Ủy ban nhân dân xã số {} (mô phỏng)", i + 1),
            parent: Some(unit_code(PROVINCE)?),
            office_hours: OfficeHours::default(),
            active: true,
        });
    }
    Ok(all)
}

/// A procedure of the simulation and its share of the files, in percent.
struct Kind {
    procedure: Procedure,
    share: u32,
}

fn kinds(communes: usize) -> Result<Vec<Kind>, CommandError> {
    let all_communes = (0..communes).map(commune).collect::<Result<Vec<_>, _>>()?;
    let step = |name: &str, role, unit, budget| WorkflowStep { name: name.into(), role, unit, budget };
    let hours = ProcessingTime::working_hours;
    let days = ProcessingTime::working_days;
    // Appraisal and approval both at the handling unit.
    let handled = |appraisal, approval| {
        vec![
            step("Thẩm định hồ sơ", Role::Specialist, StepUnit::Handling, appraisal),
            step("Phê duyệt", Role::Approver, StepUnit::Handling, approval),
        ]
    };
    let procedure = |code: &str,
                     name: &str,
                     field: (&str, &str),
                     handling: Vec<UnitCode>,
                     total: ProcessingTime,
                     middle: Vec<WorkflowStep>|
     -> Result<Procedure, CommandError> {
        let mut workflow = vec![step("Tiếp nhận hồ sơ", Role::Reception, StepUnit::Receiving, hours(4))];
        workflow.extend(middle);
        workflow.push(step("Trả kết quả", Role::Reception, StepUnit::Receiving, hours(4)));
        Ok(Procedure {
            code: code.parse().map_err(|e: onestop_domain::ids::InvalidId| CommandError::Invalid {
                field: "procedure",
                reason: e.to_string(),
            })?,
            version: 1,
            name: name.into(),
            field: Field { code: field.0.into(), name: field.1.into() },
            handling_units: handling,
            processing_time: total,
            cutoff: None,
            channels: vec![Channel::InPerson, Channel::Post, Channel::OnlineFull, Channel::OnlinePartial],
            fees: vec![],
            documents: vec![],
            workflow,
            pause_mode: PauseMode::Shift,
        })
    };
    let land = ("DD", "Đất đai");
    let land_office = vec![unit_code(LAND_OFFICE)?];
    Ok(vec![
        Kind {
            share: 35,
            procedure: procedure(
                "1.004227",
                "Đăng ký biến động quyền sử dụng đất (chuyển nhượng)",
                land,
                land_office.clone(),
                days(10),
                vec![
                    step("Thẩm định hồ sơ", Role::Specialist, StepUnit::Handling, days(5)),
                    // Liên thông: the tax office works out what is owed.
                    step(
                        "Xác định nghĩa vụ tài chính",
                        Role::Specialist,
                        StepUnit::Fixed(unit_code(TAX_OFFICE)?),
                        days(3),
                    ),
                    step("Phê duyệt", Role::Approver, StepUnit::Fixed(unit_code(LAND_OFFICE)?), hours(8)),
                ],
            )?,
        },
        Kind {
            share: 22,
            procedure: procedure(
                "1.004221",
                "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
                land,
                land_office.clone(),
                days(20),
                handled(days(15), days(3)),
            )?,
        },
        Kind {
            share: 18,
            procedure: procedure(
                "1.003003",
                "Đăng ký thế chấp quyền sử dụng đất",
                land,
                land_office,
                days(3),
                handled(hours(12), hours(4)),
            )?,
        },
        Kind {
            share: 9,
            procedure: procedure(
                "1.001193",
                "Đăng ký khai sinh",
                ("HT", "Hộ tịch"),
                all_communes.clone(),
                days(3),
                handled(days(1), days(1)),
            )?,
        },
        Kind {
            share: 4,
            procedure: procedure(
                "1.000894",
                "Đăng ký kết hôn",
                ("HT", "Hộ tịch"),
                all_communes.clone(),
                days(5),
                handled(days(3), days(1)),
            )?,
        },
        Kind {
            share: 7,
            procedure: procedure(
                "2.000815",
                "Chứng thực bản sao từ bản chính",
                ("CT", "Chứng thực"),
                all_communes.clone(),
                days(2),
                handled(hours(8), hours(4)),
            )?,
        },
        Kind {
            share: 5,
            procedure: procedure(
                "2.000575",
                "Đăng ký thành lập hộ kinh doanh",
                OLD_FIELD,
                all_communes,
                days(3),
                handled(days(1), days(1)),
            )?,
        },
    ])
}

/// The procedure republished under another field on 1 July, and its field
/// before and after.
const REPUBLISHED: &str = "2.000575";
const OLD_FIELD: (&str, &str) = ("KD", "Thành lập và hoạt động của hộ kinh doanh");
const NEW_FIELD: (&str, &str) = ("HKD", "Hộ kinh doanh");

/// The user name of the simulated province's statistician.
pub const STATISTICIAN: &str = "thongke.h27";

fn system_actor() -> Result<Actor, CommandError> {
    Ok(Actor {
        user_id: UserId(Uuid::nil()),
        name: "province simulator".into(),
        role: Role::Admin,
        units: vec![unit_code(PROVINCE)?],
    })
}

fn system_meta() -> RequestMeta {
    RequestMeta { request_id: Some("simulate".into()), ..RequestMeta::default() }
}

/// The suffix of the simulated province's procedure codes (mô phỏng): the
/// national codes with it, so that the simulated catalog never takes a code
/// another province in the same database uses, whichever is loaded first.
const SIMULATED: &str = "-MP";

/// Registers whatever part of the simulated province is missing; returns its
/// procedures (their codes suffixed) with their shares of the files.
pub async fn load_province(
    registry: &RegistryService,
    catalog: &CatalogCache,
    communes: usize,
) -> Result<Vec<(Procedure, u32)>, CommandError> {
    let (system, meta) = (system_actor()?, system_meta());
    for unit in units(communes)? {
        if catalog.snapshot().unit(&unit.code).is_none() {
            registry.save_unit(&system, unit, onestop_domain::registry::UnitWrite::RegisterOrUpdate, &meta).await?;
        }
    }
    let mut loaded = Vec::new();
    for mut kind in kinds(communes)? {
        let code = format!("{}{SIMULATED}", kind.procedure.code);
        kind.procedure.code = code.parse().map_err(|e: onestop_domain::ids::InvalidId| CommandError::Invalid {
            field: "procedure",
            reason: e.to_string(),
        })?;
        match catalog.snapshot().procedure(&kind.procedure.code) {
            Some(current) => kind.procedure = current.clone(),
            None => {
                kind.procedure = registry.publish_procedure(&system, kind.procedure, &meta).await?;
            }
        }
        loaded.push((kind.procedure, kind.share));
    }
    Ok(loaded)
}

/// Publishes the next version of the republished procedure under `field`,
/// unless its current version has it already: the old field for the first
/// half-year, the new one from 1 July, on every run.
async fn publish_with_field(
    registry: &RegistryService,
    catalog: &CatalogCache,
    procedures: &mut [(Procedure, u32)],
    field: (&str, &str),
) -> Result<(), CommandError> {
    let Some((procedure, _)) =
        procedures.iter_mut().find(|(p, _)| p.code.as_str().trim_end_matches(SIMULATED) == REPUBLISHED)
    else {
        return Ok(());
    };
    if let Some(current) = catalog.snapshot().procedure(&procedure.code)
        && current.field.code == field.0
    {
        return Ok(());
    }
    let mut next = procedure.clone();
    next.field = Field { code: field.0.into(), name: field.1.into() };
    *procedure = registry.publish_procedure(&system_actor()?, next, &system_meta()).await?;
    Ok(())
}

/// Creates the simulated province's statistician if missing; returns the new
/// password, which is shown once and stored only as a hash.
pub async fn ensure_statistician(
    registry: &RegistryService,
    catalog: &CatalogCache,
) -> Result<Option<String>, CommandError> {
    if catalog.snapshot().account_by_username(STATISTICIAN).is_some() {
        return Ok(None);
    }
    let mut rng = rand::rng();
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let password: String = (0..14).map(|_| char::from(LETTERS[rng.random_range(0..LETTERS.len())])).collect();
    registry
        .register_user(
            &system_actor()?,
            onestop_commands::registry::NewUser {
                username: STATISTICIAN.into(),
                full_name: "Thống kê viên tỉnh mô phỏng".into(),
                role: Role::Statistician,
                units: vec![unit_code(PROVINCE)?],
                password: password.clone(),
                email: None,
            },
            &system_meta(),
        )
        .await?;
    Ok(Some(password))
}

/// The simulated province's top unit, for reports.
pub fn province_unit() -> &'static str {
    PROVINCE
}

/// The officer of `role` at `unit`: one per role and unit, with a stable id.
fn officer(role: Role, unit: &UnitCode) -> Actor {
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{unit}/{role}").as_bytes());
    Actor { user_id: UserId(id), name: format!("{} {}", role_title(role), unit), role, units: vec![unit.clone()] }
}

fn role_title(role: Role) -> &'static str {
    match role {
        Role::Reception => "Cán bộ một cửa",
        Role::Specialist => "Chuyên viên",
        Role::Approver => "Lãnh đạo",
        _ => "Cán bộ",
    }
}

const SURNAMES: &[&str] = &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"];
const MIDDLE: &[&str] = &["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam",
    "Nga", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến",
];

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn applicant(rng: &mut ChaCha8Rng) -> Applicant {
    Applicant {
        full_name: format!("{} {} {}", pick(rng, SURNAMES), pick(rng, MIDDLE), pick(rng, GIVEN)),
        id_number: format!("0{:02}{:09}", rng.random_range(1..97), rng.random_range(0..1_000_000_000_u32)),
        phone: Some(format!("09{:08}", rng.random_range(0..100_000_000_u32))),
        address: None,
        email: None,
    }
}

/// Writes one case's script, stopping at the end of the year.
struct Scripter<'a> {
    calendar: &'a WorkingCalendar,
    hours: OfficeHours,
    end: Timestamp,
    steps: Vec<ScriptedStep>,
    now: Timestamp,
    closed: bool,
}

impl Scripter<'_> {
    fn schedule(&self) -> Schedule<'_> {
        Schedule::new(self.calendar, &self.hours)
    }

    /// Takes `share` of `budget`, counted in working time from now.
    fn spend(&mut self, budget: ProcessingTime, share: f64) {
        let schedule = self.schedule();
        let start = schedule.next_working_instant(self.now);
        let due = schedule.due_after(start, budget);
        let span = schedule.working_minutes_between(start, due);
        let minutes = ((span as f64) * share).round().max(1.0) as i64;
        self.now = schedule.add_working_minutes(start, minutes);
    }

    /// Waits `minutes` of working time.
    fn wait(&mut self, minutes: i64) {
        let schedule = self.schedule();
        self.now = schedule.add_working_minutes(self.now, minutes.max(1));
    }

    /// Adds a command at the current time, unless the year is over.
    fn act(&mut self, actor: Actor, command: CaseCommand) -> bool {
        if self.closed || self.now >= self.end {
            self.closed = true;
            return false;
        }
        self.steps.push(ScriptedStep { at: self.now, actor, command });
        true
    }
}

/// The random path one case takes.
fn script(
    rng: &mut ChaCha8Rng,
    calendar: &WorkingCalendar,
    end: Timestamp,
    arrival: Timestamp,
    desk: &UnitCode,
    procedure: &Procedure,
) -> Result<ScriptedCase, CommandError> {
    let case_id = CaseId(uuid::Builder::from_random_bytes(rng.random()).into_uuid());
    let applicant_id = ApplicantId(Uuid::new_v5(&case_id.0, b"applicant"));
    let person = applicant(rng);
    let mut s =
        Scripter { calendar, hours: OfficeHours::default(), end, steps: Vec::new(), now: arrival, closed: false };
    let reception = officer(Role::Reception, desk);
    let draw: f64 = rng.random();
    let online = draw < 0.33;
    if online {
        let portal = Actor { role: Role::Feed, ..officer(Role::Feed, desk) };
        let channel = if rng.random_bool(0.6) { Channel::OnlineFull } else { Channel::OnlinePartial };
        s.act(portal, CaseCommand::SubmitOnline { unit: desk.clone(), channel, applicant: applicant_id, portal: None });
        s.spend(ProcessingTime::working_hours(4), rng.random_range(0.05..0.9));
        if rng.random_bool(0.01) {
            s.act(
                reception,
                CaseCommand::RefuseAtReception {
                    reason: "Hồ sơ nộp trực tuyến chưa đúng thành phần".into()
                },
            );
            return Ok(finish(case_id, procedure, person, s));
        }
        s.act(reception.clone(), CaseCommand::AcceptOnline);
    } else {
        let channel = if draw < 0.38 { Channel::Post } else { Channel::InPerson };
        s.act(
            reception.clone(),
            CaseCommand::Receive {
                unit: desk.clone(),
                channel,
                applicant: applicant_id,
                documents: vec!["Đơn đề nghị".into(), "Giấy tờ kèm theo".into()],
            },
        );
        // The desk scans the paper (số hóa), and some components come from a
        // data store instead of the applicant.
        if rng.random_bool(0.6) {
            s.wait(rng.random_range(2..20));
            s.act(
                reception.clone(),
                CaseCommand::AttachDocument {
                    document: scanned(rng, "Bản quét đơn đề nghị.pdf"),
                    origin: Some(DocumentOrigin::DigitizedAtDesk),
                },
            );
        }
        if rng.random_bool(0.15) {
            let origin = if rng.random_bool(0.5) {
                DocumentOrigin::ReusedFromDataStore
            } else {
                DocumentOrigin::FromNationalDatabase
            };
            s.wait(rng.random_range(2..20));
            s.act(
                reception.clone(),
                CaseCommand::AttachDocument {
                    document: scanned(rng, "Giấy tờ khai thác lại.pdf"),
                    origin: Some(origin),
                },
            );
        }
    }
    let late = rng.random_bool(0.03);
    let supplement = rng.random_bool(0.06);
    let withdraw = rng.random_bool(0.01);
    let refuse = rng.random_bool(0.02);
    let stop = rng.random_bool(0.01);
    let pays = rng.random_bool(0.2);
    // Reception's own step, then each handling step in turn.
    s.spend(procedure.workflow[0].budget, rng.random_range(0.05..0.8));
    let mut holder = reception.clone();
    let last = procedure.workflow.len() - 1;
    for (index, step) in procedure.workflow.iter().enumerate().take(last).skip(1) {
        let unit = match &step.unit {
            StepUnit::Receiving => desk.clone(),
            StepUnit::Handling => procedure
                .handling_units
                .iter()
                .find(|u| *u == desk)
                .or(procedure.handling_units.first())
                .cloned()
                .unwrap_or_else(|| desk.clone()),
            StepUnit::Fixed(unit) => unit.clone(),
        };
        let officer_here = officer(step.role, &unit);
        if step.role == Role::Approver {
            // The specialist hands the file up for signature.
            s.act(holder.clone(), CaseCommand::SubmitForApproval { note: None });
            s.spend(step.budget, rng.random_range(0.1..0.8));
            if refuse {
                s.act(
                    officer_here,
                    CaseCommand::RefuseAsIneligible { reason: "Không đủ điều kiện theo quy định".into() },
                );
                return Ok(finish(case_id, procedure, person, s));
            }
            s.act(officer_here.clone(), CaseCommand::Approve { note: None });
            s.wait(rng.random_range(5..60));
            let electronic = rng.random_bool(0.5);
            let (document, result_code) = if electronic {
                (Some(scanned(rng, "Kết quả điện tử.pdf")), Some(format!("KQ-{}", rng.random_range(0..1_000_000))))
            } else {
                (None, None)
            };
            s.act(
                officer_here.clone(),
                CaseCommand::RecordResult { summary: "Đã ký kết quả".into(), document, result_code },
            );
            holder = officer_here;
            continue;
        }
        s.act(holder.clone(), CaseCommand::Transfer { to_unit: unit.clone(), assignee: None, note: None });
        s.wait(rng.random_range(5..90));
        s.act(officer_here.clone(), CaseCommand::AcknowledgeHandover);
        if supplement && index == 1 {
            s.spend(step.budget, rng.random_range(0.05..0.3));
            s.act(
                officer_here.clone(),
                CaseCommand::RequestSupplement {
                    reason: "Bổ sung giấy tờ còn thiếu".into(),
                    documents: vec!["Bản sao giấy tờ".into()],
                },
            );
            s.spend(ProcessingTime::working_days(10), rng.random_range(0.05..1.0));
            s.act(officer_here.clone(), CaseCommand::ReceiveSupplement { documents: vec!["Bản sao giấy tờ".into()] });
        }
        if pays && index == 1 {
            s.spend(step.budget, rng.random_range(0.05..0.3));
            let amount_vnd = 50_000 * rng.random_range(1..20_u64);
            s.act(
                officer_here.clone(),
                CaseCommand::RequestPayment { amount_vnd, description: "Lệ phí giải quyết thủ tục".into() },
            );
            s.spend(ProcessingTime::working_days(3), rng.random_range(0.05..1.0));
            let online = rng.random_bool(0.45);
            s.act(
                officer_here.clone(),
                CaseCommand::RecordPayment {
                    amount_vnd,
                    receipt: format!("BL-{}", rng.random_range(0..1_000_000)),
                    online,
                },
            );
        }
        if stop && index == 1 {
            // Stopped by the unit's leader (dừng xử lý), e.g. at the applicant's
            // death or on a court's order.
            s.spend(step.budget, rng.random_range(0.1..0.6));
            s.act(officer(Role::Approver, &unit), CaseCommand::Stop { reason: "Dừng giải quyết theo quy định".into() });
            return Ok(finish(case_id, procedure, person, s));
        }
        if withdraw && index == 1 {
            s.spend(step.budget, rng.random_range(0.1..0.5));
            s.act(reception, CaseCommand::Withdraw { reason: "Người nộp xin rút hồ sơ".into() });
            return Ok(finish(case_id, procedure, person, s));
        }
        let share = if late && index == 1 { rng.random_range(1.3..2.2) } else { rng.random_range(0.2..0.85) };
        s.spend(step.budget, share);
        s.act(
            officer_here.clone(),
            CaseCommand::RecordAppraisal { opinion: "Hồ sơ hợp lệ".into(), proposal: Proposal::Grant },
        );
        holder = officer_here;
    }
    s.spend(procedure.workflow[last].budget, rng.random_range(0.05..0.9));
    let method = if online { ReturnMethod::Online } else { ReturnMethod::AtDesk };
    s.act(reception.clone(), CaseCommand::ReturnResult { method });
    if rng.random_bool(0.3) {
        s.wait(rng.random_range(1..60));
        let score = *pick(rng, &[1, 2, 3, 3, 4, 4, 4, 5, 5, 5]);
        s.act(reception, CaseCommand::RateSatisfaction { score, comment: None });
    }
    Ok(finish(case_id, procedure, person, s))
}

/// A document the desk made or took, with a seeded hash.
fn scanned(rng: &mut ChaCha8Rng, name: &str) -> DocumentRef {
    let bytes: [u8; 32] = rng.random();
    let sha256: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    DocumentRef {
        name: name.into(),
        media_type: "application/pdf".into(),
        size_bytes: rng.random_range(20_000..2_000_000),
        storage_ref: format!("kho://mo-phong/{}", &sha256[..16]),
        sha256,
    }
}

fn finish(case_id: CaseId, procedure: &Procedure, applicant: Applicant, s: Scripter<'_>) -> ScriptedCase {
    ScriptedCase { case_id, procedure: procedure.code.clone(), applicant, steps: s.steps }
}

/// Arrival instants: working days of the year, office hours, in time order.
fn arrivals(rng: &mut ChaCha8Rng, calendar: &WorkingCalendar, year: i16, count: usize) -> Vec<Timestamp> {
    let mut days = Vec::new();
    let mut day = date(year, 1, 1);
    while day.year() == year {
        if calendar.is_working_day(day) {
            days.push(day);
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    let mut times: Vec<Timestamp> = (0..count)
        .map(|_| {
            let day = *pick(rng, &days);
            // Morning 07:30–11:30 or afternoon 13:30–17:00, as the desks open.
            let minute = if rng.random_bool(0.55) {
                7 * 60 + 30 + rng.random_range(0..240)
            } else {
                13 * 60 + 30 + rng.random_range(0..210)
            };
            instant(day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0))
        })
        .collect();
    times.sort();
    times
}

/// Runs the simulation: loads the province, imports the cases batch by batch
/// (calling `progress` with the number imported so far), returns the ground truth.
pub async fn run(
    cases: &onestop_commands::cases::CaseService,
    registry: &RegistryService,
    options: &Options,
    mut progress: impl FnMut(usize, usize),
) -> Result<GroundTruth, CommandError> {
    let mut procedures = load_province(registry, cases.catalog(), options.communes).await?;
    let catalog = cases.catalog().snapshot();
    let calendar = catalog.calendar.clone();
    let communes = (0..options.communes).map(commune).collect::<Result<Vec<_>, _>>()?;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let from = date(options.year, 1, 1);
    let to = date(options.year, 12, 31);
    let end = instant(date(options.year + 1, 1, 1).at(0, 0, 0, 0));
    let arrivals = arrivals(&mut rng, &calendar, options.year, options.cases);
    let total_share: u32 = procedures.iter().map(|(_, share)| share).sum();
    let mid_year = instant(date(options.year, 7, 1).at(0, 0, 0, 0));
    let (first_half, second_half) = arrivals.split_at(arrivals.partition_point(|a| *a < mid_year));
    let mut truth = Tally::default();
    let mut events = 0;
    let mut done = 0;
    let chunks = first_half
        .chunks(options.batch.max(1))
        .map(|c| (c, false))
        .chain(second_half.chunks(options.batch.max(1)).enumerate().map(|(i, c)| (c, i == 0)));
    publish_with_field(registry, cases.catalog(), &mut procedures, OLD_FIELD).await?;
    for (chunk, republish) in chunks {
        if republish {
            publish_with_field(registry, cases.catalog(), &mut procedures, NEW_FIELD).await?;
        }
        let mut scripts = Vec::with_capacity(chunk.len());
        for arrival in chunk {
            let mut roll = rng.random_range(0..total_share);
            let (procedure, _) = procedures
                .iter()
                .find(|(_, share)| {
                    if roll < *share {
                        true
                    } else {
                        roll -= share;
                        false
                    }
                })
                .unwrap_or(&procedures[0]);
            let desk = pick(&mut rng, &communes);
            scripts.push(script(&mut rng, &calendar, end, *arrival, desk, procedure)?);
        }
        let imported = cases.import(&scripts).await?;
        for (case, script) in imported.iter().zip(&scripts) {
            if let Some(rule) = &case.refused {
                return Err(CommandError::Invalid {
                    field: "simulated script",
                    reason: format!("case {} step {}: {rule}", case.case_id.0, case.accepted),
                });
            }
            events += usize::try_from(case.state.version).unwrap_or(0);
            truth.count(case, instant(from.at(0, 0, 0, 0)), end);
            truth.count_766(case, script, instant(from.at(0, 0, 0, 0)), end);
        }
        done += chunk.len();
        progress(done, options.cases);
    }
    Ok(GroundTruth { seed: options.seed, from, to, cases: done, events, by_unit: truth.rows() })
}

/// Biểu 06 counted case by case.
#[derive(Default)]
struct Tally {
    by_unit: BTreeMap<String, [i64; 12]>,
    /// Digitized, reused, electronic results, payments, online payments,
    /// ratings, satisfied ratings.
    facts_766: BTreeMap<String, [i64; 7]>,
}

impl Tally {
    /// Counts one case into the period `[start, end)`.
    fn count(&mut self, case: &ImportedCase, start: Timestamp, end: Timestamp) {
        let state = &case.state;
        let (Some(received), Some(due), Some(unit)) = (state.received_at, state.due_at, state.receiving_unit.as_ref())
        else {
            return; // never received: not in the statistics
        };
        let c = self.by_unit.entry(unit.to_string()).or_default();
        let in_period = |t: Timestamp| t >= start && t < end;
        let open_at = |at: Timestamp| received < at && state.finished_at.is_none_or(|f| f >= at);
        if open_at(start) {
            c[0] += 1;
        }
        if in_period(received) {
            if state.channel.is_some_and(Channel::is_online) {
                c[1] += 1;
            } else {
                c[2] += 1;
            }
        }
        if let (Some(finished), Some(outcome)) = (state.finished_at, state.outcome)
            && in_period(finished)
        {
            match outcome {
                Outcome::Resolved => match Punctuality::of(finished, due) {
                    Punctuality::Early => c[4] += 1,
                    Punctuality::OnTime => c[5] += 1,
                    Punctuality::Late => c[6] += 1,
                },
                Outcome::RefusedAsIneligible => c[10] += 1,
                Outcome::Withdrawn => c[11] += 1,
                Outcome::Stopped => c[7] += 1,
            }
        }
        // In progress at the end, judged as the case view judges it then (the
        // scripts end before `end`, so the final state is the state at `end`).
        if open_at(end) {
            match state.timeliness(end) {
                Some(Timeliness::InProgress(Progress::Overdue)) => c[9] += 1,
                _ => c[8] += 1,
            }
        }
    }

    /// Counts one case's QĐ 766 facts into `[start, end)`, from the commands
    /// its script gave.
    fn count_766(&mut self, case: &ImportedCase, script: &ScriptedCase, start: Timestamp, end: Timestamp) {
        let state = &case.state;
        let (Some(received), Some(unit)) = (state.received_at, state.receiving_unit.as_ref()) else {
            return;
        };
        let c = self.facts_766.entry(unit.to_string()).or_default();
        let in_period = |t: Timestamp| t >= start && t < end;
        let online = state.channel.is_some_and(Channel::is_online);
        let (mut digitized, mut reused) = (online, false);
        if online && in_period(received) {
            c[0] += 1;
        }
        for step in &script.steps {
            let counted = in_period(step.at);
            match &step.command {
                CaseCommand::AttachDocument { origin: Some(origin), .. } => {
                    if !digitized {
                        digitized = true;
                        c[0] += i64::from(counted);
                    }
                    if origin.is_reuse() && !reused {
                        reused = true;
                        c[1] += i64::from(counted);
                    }
                }
                CaseCommand::RecordResult { document: Some(_), .. } if counted => c[2] += 1,
                CaseCommand::RecordPayment { online, .. } if counted => {
                    c[3] += 1;
                    c[4] += i64::from(*online);
                }
                CaseCommand::RateSatisfaction { score, .. } if counted => {
                    c[5] += 1;
                    c[6] += i64::from(onestop_domain::indicators::is_satisfied(*score));
                }
                _ => {}
            }
        }
    }

    fn rows(&self) -> Vec<ReportRow> {
        let row = |key: String, c: &[i64; 12], f: &[i64; 7]| {
            let mut row = ReportRow {
                key,
                carried_over: c[0],
                received_online: c[1],
                received_offline: c[2],
                received_total: c[1] + c[2],
                resolved_early: c[4],
                resolved_on_time: c[5],
                resolved_late: c[6],
                resolved_total: c[4] + c[5] + c[6],
                in_progress_within: c[8],
                in_progress_overdue: c[9],
                returned: c[10],
                withdrawn: c[11],
                stopped: c[7],
                digitized: f[0],
                reused: f[1],
                electronic_results: f[2],
                payments: f[3],
                payments_online: f[4],
                ratings: f[5],
                ratings_satisfied: f[6],
                ..ReportRow::default()
            };
            row.complete();
            row
        };
        let mut total = [0_i64; 12];
        let mut total_766 = [0_i64; 7];
        let mut rows = Vec::with_capacity(self.by_unit.len() + 1);
        for (unit, c) in &self.by_unit {
            for (sum, value) in total.iter_mut().zip(c) {
                *sum += value;
            }
            let f = self.facts_766.get(unit).copied().unwrap_or_default();
            for (sum, value) in total_766.iter_mut().zip(&f) {
                *sum += value;
            }
            rows.push(row(unit.clone(), c, &f));
        }
        rows.push(row("TOTAL".into(), &total, &total_766));
        rows
    }
}
