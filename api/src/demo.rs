//! The demo province, loaded by `onestop serve --demo`: a provincial service
//! centre, departments and communes (two-level local government), about fifteen
//! procedures of the common fields with their processing times, the service
//! centre's and a commune's queues, and one user per role (user name = role
//! name, password `demo`). Loading it again changes
//! nothing. Never loaded without `--demo`.

use jiff::civil::time;
use onestop_commands::CommandError;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::metadata::RequestMeta;
use onestop_commands::registry::{NewUser, RegistryService};
use onestop_domain::access::Actor;
use onestop_domain::catalog::{
    Channel, Fee, Field, PauseMode, Procedure, RequiredDocument, StepUnit, Unit, WorkflowStep,
};
use onestop_domain::deadline::ProcessingTime;
use onestop_domain::ids::{UnitCode, UserId};
use onestop_domain::queue::{CounterSetup, GroupCode, QueueSetup, ServiceGroup};
use onestop_domain::role::Role;
use uuid::Uuid;

pub const PROVINCE: &str = "000.00.00.H22";
pub const SERVICE_CENTRE: &str = "000.00.01.H22";
pub const AGRICULTURE_ENVIRONMENT: &str = "000.00.12.H22";
pub const LAND_REGISTRY: &str = "000.12.01.H22";
pub const FINANCE: &str = "000.00.07.H22";
pub const CONSTRUCTION: &str = "000.00.10.H22";
pub const JUSTICE: &str = "000.00.09.H22";
pub const COMMUNE_AN_BINH: &str = "000.26.01.H22";
pub const WARD_DONG_TIEN: &str = "000.26.02.H22";
pub const COMMUNE_TAN_LAP: &str = "000.26.03.H22";

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo";

fn code(s: &str) -> Result<UnitCode, CommandError> {
    s.parse()
        .map_err(|e: onestop_domain::ids::InvalidId| CommandError::Invalid { field: "unit", reason: e.to_string() })
}

fn units() -> Result<Vec<Unit>, CommandError> {
    let unit = |c: &str, name: &str, parent: Option<&str>| -> Result<Unit, CommandError> {
        Ok(Unit {
            code: code(c)?,
            name: name.into(),
            parent: parent.map(code).transpose()?,
            office_hours: Default::default(),
            active: true,
        })
    };
    // Parents before children.
    Ok(vec![
        unit(PROVINCE, "Ủy ban nhân dân tỉnh (dữ liệu minh họa)", None)?,
        unit(SERVICE_CENTRE, "Trung tâm Phục vụ hành chính công tỉnh", Some(PROVINCE))?,
        unit(AGRICULTURE_ENVIRONMENT, "Sở Nông nghiệp và Môi trường", Some(PROVINCE))?,
        unit(LAND_REGISTRY, "Văn phòng Đăng ký đất đai", Some(AGRICULTURE_ENVIRONMENT))?,
        unit(FINANCE, "Sở Tài chính", Some(PROVINCE))?,
        unit(CONSTRUCTION, "Sở Xây dựng", Some(PROVINCE))?,
        unit(JUSTICE, "Sở Tư pháp", Some(PROVINCE))?,
        unit(COMMUNE_AN_BINH, "Ủy ban nhân dân xã An Bình", Some(PROVINCE))?,
        unit(WARD_DONG_TIEN, "Ủy ban nhân dân phường Đông Tiến", Some(PROVINCE))?,
        unit(COMMUNE_TAN_LAP, "Ủy ban nhân dân xã Tân Lập", Some(PROVINCE))?,
    ])
}

struct Spec {
    code: &'static str,
    name: &'static str,
    field: (&'static str, &'static str),
    handling: &'static [&'static str],
    time: ProcessingTime,
    appraisal: ProcessingTime,
    approval: ProcessingTime,
    channels: &'static [Channel],
    fee: Option<(&'static str, u64)>,
    documents: &'static [&'static str],
    pause: PauseMode,
}

const LAND: (&str, &str) = ("DD", "Đất đai");
const SECURED: (&str, &str) = ("GDBD", "Đăng ký giao dịch bảo đảm");
const BUSINESS: (&str, &str) = ("DKKD", "Thành lập và hoạt động của doanh nghiệp");
const HOUSEHOLD_BUSINESS: (&str, &str) = ("HKD", "Thành lập và hoạt động của hộ kinh doanh");
const BUILDING: (&str, &str) = ("XD", "Hoạt động xây dựng");
const CIVIL_STATUS: (&str, &str) = ("HT", "Hộ tịch");
const CERTIFICATION: (&str, &str) = ("CT", "Chứng thực");
const JUDICIAL_RECORD: (&str, &str) = ("LLTP", "Lý lịch tư pháp");

use Channel::{InPerson, OnlineFull, OnlinePartial, Post};

const COMMUNES: &[&str] = &[COMMUNE_AN_BINH, WARD_DONG_TIEN, COMMUNE_TAN_LAP];

fn specs() -> Vec<Spec> {
    let days = ProcessingTime::working_days;
    let hours = ProcessingTime::working_hours;
    // "Trong ngày": resolved the day received, the next working day when
    // received after 15:00.
    let same_day = ProcessingTime::same_day;
    vec![
        Spec {
            code: "1.004227",
            name: "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
            field: LAND,
            handling: &[LAND_REGISTRY],
            time: days(10),
            appraisal: days(7),
            approval: days(2),
            channels: &[InPerson, Post, OnlinePartial],
            fee: Some(("Lệ phí cấp giấy chứng nhận", 50_000)),
            documents: &["Đơn đăng ký biến động đất đai", "Bản gốc Giấy chứng nhận đã cấp"],
            pause: PauseMode::Shift,
        },
        Spec {
            code: "1.012757",
            name: "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận lần đầu",
            field: LAND,
            handling: &[LAND_REGISTRY],
            time: days(20),
            appraisal: days(15),
            approval: days(3),
            channels: &[InPerson, Post],
            fee: Some(("Lệ phí cấp giấy chứng nhận", 100_000)),
            documents: &["Đơn đăng ký đất đai", "Giấy tờ về quyền sử dụng đất"],
            pause: PauseMode::Shift,
        },
        Spec {
            code: "1.004203",
            name: "Tách thửa hoặc hợp thửa đất",
            field: LAND,
            handling: &[LAND_REGISTRY],
            time: days(15),
            appraisal: days(11),
            approval: days(2),
            channels: &[InPerson, Post],
            fee: None,
            documents: &["Đơn đề nghị tách thửa, hợp thửa", "Bản gốc Giấy chứng nhận"],
            pause: PauseMode::Shift,
        },
        // Nghị định 99/2022/NĐ-CP: trong ngày; nhận sau 15 giờ thì trong ngày làm việc tiếp theo.
        Spec {
            code: "1.010819",
            name: "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất",
            field: SECURED,
            handling: &[LAND_REGISTRY],
            time: same_day(),
            appraisal: same_day(),
            approval: same_day(),
            channels: &[InPerson, OnlineFull],
            fee: Some(("Phí đăng ký giao dịch bảo đảm", 80_000)),
            documents: &["Phiếu yêu cầu đăng ký", "Hợp đồng thế chấp"],
            pause: PauseMode::Shift,
        },
        // Nghị định 99/2022/NĐ-CP: trong ngày; nhận sau 15 giờ thì trong ngày làm việc tiếp theo.
        Spec {
            code: "1.010823",
            name: "Xóa đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất",
            field: SECURED,
            handling: &[LAND_REGISTRY],
            time: same_day(),
            appraisal: same_day(),
            approval: same_day(),
            channels: &[InPerson, OnlineFull],
            fee: Some(("Phí xóa đăng ký", 20_000)),
            documents: &["Phiếu yêu cầu xóa đăng ký"],
            pause: PauseMode::Shift,
        },
        Spec {
            code: "2.001610",
            name: "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
            field: BUSINESS,
            handling: &[FINANCE],
            time: days(3),
            appraisal: days(2),
            approval: hours(4),
            channels: &[InPerson, Post, OnlineFull],
            fee: Some(("Lệ phí đăng ký doanh nghiệp", 50_000)),
            documents: &["Giấy đề nghị đăng ký doanh nghiệp", "Điều lệ công ty"],
            pause: PauseMode::Restart,
        },
        Spec {
            code: "2.002039",
            name: "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
            field: BUSINESS,
            handling: &[FINANCE],
            time: days(3),
            appraisal: days(2),
            approval: hours(4),
            channels: &[InPerson, Post, OnlineFull],
            fee: Some(("Lệ phí đăng ký doanh nghiệp", 50_000)),
            documents: &["Thông báo thay đổi nội dung đăng ký doanh nghiệp"],
            pause: PauseMode::Restart,
        },
        Spec {
            code: "2.000720",
            name: "Đăng ký thành lập hộ kinh doanh",
            field: HOUSEHOLD_BUSINESS,
            handling: COMMUNES,
            time: days(3),
            appraisal: days(2),
            approval: hours(4),
            channels: &[InPerson, OnlineFull],
            fee: Some(("Lệ phí đăng ký hộ kinh doanh", 100_000)),
            documents: &["Giấy đề nghị đăng ký hộ kinh doanh"],
            pause: PauseMode::Restart,
        },
        Spec {
            code: "1.009994",
            name: "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
            field: BUILDING,
            handling: COMMUNES,
            time: days(15),
            appraisal: days(11),
            approval: days(2),
            channels: &[InPerson, OnlinePartial],
            fee: Some(("Lệ phí cấp giấy phép xây dựng", 75_000)),
            documents: &["Đơn đề nghị cấp giấy phép xây dựng", "Bản vẽ thiết kế"],
            pause: PauseMode::Shift,
        },
        Spec {
            code: "1.009972",
            name: "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II",
            field: BUILDING,
            handling: &[CONSTRUCTION],
            time: days(20),
            appraisal: days(15),
            approval: days(3),
            channels: &[InPerson, OnlinePartial],
            fee: Some(("Lệ phí cấp giấy phép xây dựng", 150_000)),
            documents: &["Đơn đề nghị cấp giấy phép xây dựng", "Hồ sơ thiết kế"],
            pause: PauseMode::Shift,
        },
        // Luật Hộ tịch 2014, Điều 16: ngay sau khi nhận đủ giấy tờ (trong ngày).
        Spec {
            code: "1.001193",
            name: "Đăng ký khai sinh",
            field: CIVIL_STATUS,
            handling: COMMUNES,
            time: same_day(),
            appraisal: same_day(),
            approval: same_day(),
            channels: &[InPerson, OnlineFull],
            fee: None,
            documents: &["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"],
            pause: PauseMode::Shift,
        },
        Spec {
            code: "1.000894",
            name: "Đăng ký kết hôn",
            field: CIVIL_STATUS,
            handling: COMMUNES,
            time: days(3),
            appraisal: days(2),
            approval: hours(4),
            channels: &[InPerson, OnlinePartial],
            fee: None,
            documents: &["Tờ khai đăng ký kết hôn"],
            pause: PauseMode::Shift,
        },
        // Luật Hộ tịch 2014, Điều 34: ngay trong ngày tiếp nhận.
        Spec {
            code: "1.000656",
            name: "Đăng ký khai tử",
            field: CIVIL_STATUS,
            handling: COMMUNES,
            time: same_day(),
            appraisal: same_day(),
            approval: same_day(),
            channels: &[InPerson, OnlineFull],
            fee: None,
            documents: &["Tờ khai đăng ký khai tử", "Giấy báo tử"],
            pause: PauseMode::Shift,
        },
        // Nghị định 23/2015/NĐ-CP, Điều 7: trong ngày; nhận sau 15 giờ thì trong ngày làm việc tiếp theo.
        Spec {
            code: "2.000815",
            name: "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
            field: CERTIFICATION,
            handling: COMMUNES,
            time: same_day(),
            appraisal: same_day(),
            approval: same_day(),
            channels: &[InPerson],
            fee: Some(("Phí chứng thực (mỗi trang)", 2_000)),
            documents: &["Bản chính giấy tờ", "Bản sao cần chứng thực"],
            pause: PauseMode::Shift,
        },
        // Nghị định 23/2015/NĐ-CP, Điều 7: trong ngày; nhận sau 15 giờ thì trong ngày làm việc tiếp theo.
        Spec {
            code: "2.000884",
            name: "Chứng thực chữ ký trong các giấy tờ, văn bản",
            field: CERTIFICATION,
            handling: COMMUNES,
            time: same_day(),
            appraisal: same_day(),
            approval: same_day(),
            channels: &[InPerson],
            fee: Some(("Phí chứng thực chữ ký", 10_000)),
            documents: &["Giấy tờ, văn bản cần chứng thực chữ ký"],
            pause: PauseMode::Shift,
        },
        Spec {
            code: "2.000488",
            name: "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
            field: JUDICIAL_RECORD,
            handling: &[JUSTICE],
            time: days(10),
            appraisal: days(7),
            approval: days(2),
            channels: &[InPerson, Post, OnlineFull],
            fee: Some(("Phí cung cấp thông tin lý lịch tư pháp", 200_000)),
            documents: &["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"],
            pause: PauseMode::Shift,
        },
    ]
}

fn procedures() -> Result<Vec<Procedure>, CommandError> {
    specs()
        .into_iter()
        .map(|s| {
            let step = |name: &str, role, unit, budget| WorkflowStep { name: name.into(), role, unit, budget };
            Ok(Procedure {
                code: s.code.parse().map_err(|e: onestop_domain::ids::InvalidId| CommandError::Invalid {
                    field: "procedure",
                    reason: e.to_string(),
                })?,
                version: 0,
                name: s.name.into(),
                field: Field { code: s.field.0.into(), name: s.field.1.into() },
                handling_units: s.handling.iter().map(|u| code(u)).collect::<Result<_, _>>()?,
                processing_time: s.time,
                cutoff: Some(time(15, 0, 0, 0)),
                channels: s.channels.to_vec(),
                fees: s.fee.map(|(name, amount_vnd)| Fee { name: name.into(), amount_vnd }).into_iter().collect(),
                documents: s
                    .documents
                    .iter()
                    .map(|d| RequiredDocument { name: (*d).into(), copies: 1, original_required: false })
                    .collect(),
                workflow: vec![
                    step("Tiếp nhận hồ sơ", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
                    step("Thẩm định hồ sơ", Role::Specialist, StepUnit::Handling, s.appraisal),
                    step("Phê duyệt, ký kết quả", Role::Approver, StepUnit::Handling, s.approval),
                    step("Trả kết quả", Role::Reception, StepUnit::Receiving, ProcessingTime::working_hours(4)),
                ],
                pause_mode: s.pause,
            })
        })
        .collect()
}

/// The demo users: (user name, full name, role, unit).
fn users() -> Vec<(&'static str, &'static str, Role, &'static str)> {
    vec![
        ("reception", "Nguyễn Thị Lan", Role::Reception, SERVICE_CENTRE),
        ("specialist", "Trần Văn Minh", Role::Specialist, LAND_REGISTRY),
        ("approver", "Lê Quang Huy", Role::Approver, LAND_REGISTRY),
        ("leader", "Phạm Thu Hà", Role::Leader, PROVINCE),
        ("inspector", "Hoàng Đức Thắng", Role::Inspector, PROVINCE),
        ("statistician", "Vũ Thị Mai", Role::Statistician, PROVINCE),
        ("admin", "Đỗ Văn Nam", Role::Admin, PROVINCE),
        ("feed", "Hệ thống đồng bộ Cổng DVC quốc gia", Role::Feed, PROVINCE),
    ]
}

/// What the loader did.
#[derive(Debug, Default)]
pub struct Loaded {
    pub units: usize,
    pub procedures: usize,
    pub users: usize,
    /// Queues set up (groups and counters of a hall).
    pub queues: usize,
    /// (user name, role) of every demo user.
    pub credentials: Vec<(String, Role)>,
}

/// Loads whatever part of the demo province is missing.
pub async fn load(registry: &RegistryService, catalog: &CatalogCache) -> Result<Loaded, CommandError> {
    let system = Actor {
        user_id: UserId(Uuid::nil()),
        name: "demo loader".into(),
        role: Role::Admin,
        units: vec![code(PROVINCE)?],
    };
    let meta = RequestMeta::default();
    let mut loaded = Loaded::default();
    for unit in units()? {
        if catalog.snapshot().unit(&unit.code).is_none() {
            registry.save_unit(&system, unit, onestop_domain::registry::UnitWrite::RegisterOrUpdate, &meta).await?;
            loaded.units += 1;
        }
    }
    for procedure in procedures()? {
        if catalog.snapshot().procedure(&procedure.code).is_none() {
            registry.publish_procedure(&system, procedure, &meta).await?;
            loaded.procedures += 1;
        }
    }
    for (username, full_name, role, unit) in users() {
        if catalog.snapshot().account_by_username(username).is_none() {
            registry
                .register_user(
                    &system,
                    NewUser {
                        username: username.into(),
                        full_name: full_name.into(),
                        role,
                        units: vec![code(unit)?],
                        password: DEMO_PASSWORD.into(),
                        email: None,
                    },
                    &meta,
                )
                .await?;
            loaded.users += 1;
        }
        loaded.credentials.push((username.into(), role));
    }
    for (unit, setup) in queues()? {
        if catalog.snapshot().queue_setup(&unit).is_none() {
            registry.set_up_queue(&system, &unit, setup, &meta).await?;
            loaded.queues += 1;
        }
    }
    Ok(loaded)
}

/// The service centre's hall: land, civil status and business groups (land
/// takes online bookings), four counters; a commune's desk with two groups
/// and two counters.
fn queues() -> Result<Vec<(UnitCode, QueueSetup)>, CommandError> {
    let group = |code: &str, name: &str, booking_capacity: Option<u16>| -> Result<ServiceGroup, CommandError> {
        let code = GroupCode::new(code)
            .ok_or_else(|| CommandError::Invalid { field: "groups", reason: format!("bad group code {code}") })?;
        Ok(ServiceGroup { code, name: name.into(), booking_capacity })
    };
    let counter = |number: u16, groups: &[&ServiceGroup]| CounterSetup {
        number,
        name: format!("Quầy {number}"),
        groups: groups.iter().map(|g| g.code.clone()).collect(),
    };
    let (land, civil, business) = (
        group("A", "Đất đai, tài nguyên môi trường", Some(20))?,
        group("B", "Hộ tịch, chứng thực", None)?,
        group("C", "Đăng ký kinh doanh, đầu tư", Some(10))?,
    );
    let centre = QueueSetup {
        counters: vec![
            counter(1, &[&land]),
            counter(2, &[&land, &business]),
            counter(3, &[&civil]),
            counter(4, &[&civil, &business, &land]),
        ],
        groups: vec![land, civil, business],
    };
    let (civil, land) = (group("A", "Hộ tịch, chứng thực", None)?, group("B", "Đất đai", Some(10))?);
    let commune =
        QueueSetup { counters: vec![counter(1, &[&civil, &land]), counter(2, &[&civil])], groups: vec![civil, land] };
    Ok(vec![(code(SERVICE_CENTRE)?, centre), (code(COMMUNE_AN_BINH)?, commune)])
}
