//! Notices: what a case's applicant (and the officer holding it) was told and
//! whether it arrived, and the templates the notices are worded from.

use actix_web::web::{Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, put};
use jiff::Timestamp;
use onestop_domain::access;
use onestop_domain::ids::CaseId;
use onestop_domain::notice::{NoticeChannel, NoticeKind, NoticeTemplate};
use onestop_projections::notices::{self, DeliveryState, NoticeRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::cases::requests::NoticeChannelDto;
use crate::routes::fresh::caught_up_with;
use crate::routes::{Answer, State};

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKindDto {
    /// Đã tiếp nhận: the code, the lookup secret and link, the due date.
    Received,
    /// Yêu cầu bổ sung: what is missing and where to bring it.
    SupplementRequested,
    /// Nghĩa vụ tài chính: the amount.
    PaymentRequested,
    /// Xin lỗi và hẹn lại: the new date.
    Extended,
    /// Đã có kết quả.
    ResultReady,
    /// Đã trả kết quả.
    Returned,
    /// Từ chối, with the reason.
    Refused,
    /// Dừng giải quyết, with the reason.
    Stopped,
    /// To the officer holding the file: due the next working day.
    DueTomorrow,
    /// To the officer holding the file: overdue.
    Overdue,
}

impl From<NoticeKind> for NoticeKindDto {
    fn from(k: NoticeKind) -> Self {
        match k {
            NoticeKind::Received => Self::Received,
            NoticeKind::SupplementRequested => Self::SupplementRequested,
            NoticeKind::PaymentRequested => Self::PaymentRequested,
            NoticeKind::Extended => Self::Extended,
            NoticeKind::ResultReady => Self::ResultReady,
            NoticeKind::Returned => Self::Returned,
            NoticeKind::Refused => Self::Refused,
            NoticeKind::Stopped => Self::Stopped,
            NoticeKind::DueTomorrow => Self::DueTomorrow,
            NoticeKind::Overdue => Self::Overdue,
        }
    }
}

/// Where a notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStateDto {
    /// Chờ gửi: not yet tried, or being tried.
    Pending,
    /// Đã gửi: the gateway accepted it.
    Sent,
    /// Gửi lỗi: the last attempt failed; another is due at `next_attempt_at`.
    Failed,
    /// Ngừng gửi: too many attempts failed, or it became too old to send.
    GivenUp,
    /// Huỷ: the applicant's personal data was erased before it went out.
    Dropped,
}

impl From<DeliveryState> for DeliveryStateDto {
    fn from(s: DeliveryState) -> Self {
        match s {
            DeliveryState::Pending => Self::Pending,
            DeliveryState::Sent => Self::Sent,
            DeliveryState::Failed => Self::Failed,
            DeliveryState::GivenUp => Self::GivenUp,
            DeliveryState::Dropped => Self::Dropped,
        }
    }
}

/// One notice of a case and its delivery. Neither the address nor the text
/// is kept: only what was sent when, and how it went.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    /// Also the idempotency key the gateway received.
    pub id: Uuid,
    pub kind: NoticeKindDto,
    pub channel: NoticeChannelDto,
    /// A reminder to the officer holding the file, not a notice to the applicant.
    pub to_officer: bool,
    pub state: DeliveryStateDto,
    pub attempts: i32,
    pub created_at: Timestamp,
    pub last_attempt_at: Option<Timestamp>,
    /// When the next attempt is due, while the notice is open.
    pub next_attempt_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

impl From<NoticeRow> for NoticeView {
    fn from(n: NoticeRow) -> Self {
        Self {
            id: n.id,
            kind: n.kind.into(),
            channel: n.channel.into(),
            to_officer: n.to_officer,
            state: n.state.into(),
            attempts: n.attempts,
            created_at: n.created_at,
            last_attempt_at: n.last_attempt_at,
            next_attempt_at: n.next_attempt_at,
            sent_at: n.sent_at,
            last_error: n.last_error,
        }
    }
}

/// The notices of a case, oldest first, with their delivery state: for the
/// officers who may read the case.
#[utoipa::path(tag = "notices", params(("id" = Uuid, Path, description = "The case's id")), responses((status = 200, description = "The case's notices", body = Vec<NoticeView>), answers::NotFound), security(("bearer" = [])))]
#[get("/cases/{id}/notices")]
pub async fn case_notices(state: State, auth: Authenticated, id: Path<Uuid>) -> Answer {
    let case_id = CaseId(id.into_inner());
    let not_found = || Problem::not_found(format!("case {} does not exist", case_id.0));
    let loaded = state.cases.load(case_id).await?.ok_or_else(not_found)?;
    let catalog = state.catalog.snapshot();
    if !access::may_read_case(&auth.0, &loaded.state.places(), &catalog.units) {
        return Err(not_found());
    }
    caught_up_with(&state, notices::NAME).await?;
    let rows = notices::of_case(&state.pool, case_id.0).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(NoticeView::from).collect::<Vec<_>>()))
}

/// The words of one kind of notice on one channel. `{name}` is a placeholder
/// (the kind's `placeholders`); `{{` and `}}` are braces.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateDto {
    /// The e-mail's subject; the other channels ignore it.
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    #[serde(default)]
    pub subject: String,
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub body: String,
    /// The ZNS template registered with Zalo (the Zalo channel needs one).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub zalo_template_id: Option<String>,
}

/// A template in force.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateView {
    pub kind: NoticeKindDto,
    pub channel: NoticeChannelDto,
    /// The placeholders this kind's templates may use.
    pub placeholders: Vec<String>,
    /// Set by an administrator (otherwise the shipped words).
    pub customised: bool,
    pub template: TemplateDto,
}

fn view(kind: NoticeKind, channel: NoticeChannel, template: NoticeTemplate, customised: bool) -> TemplateView {
    TemplateView {
        kind: kind.into(),
        channel: channel.into(),
        placeholders: kind.placeholders().iter().map(|p| (*p).to_owned()).collect(),
        customised,
        template: TemplateDto {
            subject: template.subject,
            body: template.body,
            zalo_template_id: template.zalo_template_id,
        },
    }
}

/// Every notice template in force, by kind and channel.
#[utoipa::path(tag = "notices", responses((status = 200, description = "The templates", body = Vec<TemplateView>), answers::Forbidden), security(("bearer" = [])))]
#[get("/notice-templates")]
pub async fn list_templates(state: State, auth: Authenticated) -> Answer {
    access::is_administrator(&auth.0).map_err(Problem::forbidden)?;
    let catalog = state.catalog.snapshot();
    let mut all = Vec::new();
    for kind in NoticeKind::ALL {
        for channel in NoticeChannel::ALL {
            let (template, customised) = catalog.notice_templates.get(kind, channel);
            all.push(view(kind, channel, template, customised));
        }
    }
    Ok(HttpResponse::Ok().json(all))
}

/// Change the words of a notice: recorded with its author like every catalog
/// change. A placeholder the kind does not define is refused (422, naming it).
#[utoipa::path(tag = "notices", params(("kind" = NoticeKindDto, Path), ("channel" = NoticeChannelDto, Path)), request_body = TemplateDto, responses((status = 200, description = "The template now in force", body = TemplateView), answers::Forbidden, answers::NotFound, answers::Conflicts, answers::OutOfBounds), security(("bearer" = [])))]
#[put("/notice-templates/{kind}/{channel}")]
pub async fn set_template(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Json<TemplateDto>,
) -> Answer {
    let (kind, channel) = path.into_inner();
    let kind = NoticeKind::parse(&kind).ok_or_else(|| Problem::not_found(format!("no notice kind {kind:?}")))?;
    let channel =
        NoticeChannel::parse(&channel).ok_or_else(|| Problem::not_found(format!("no notice channel {channel:?}")))?;
    body.validate().map_err(from_validation)?;
    let body = body.into_inner();
    let template = NoticeTemplate { subject: body.subject, body: body.body, zalo_template_id: body.zalo_template_id };
    let saved = state.registry.set_notice_template(&auth.0, kind, channel, template, &meta(&req)?).await?;
    Ok(HttpResponse::Ok().json(view(kind, channel, saved, true)))
}
