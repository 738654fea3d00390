//! `POST /portal/dossiers`: the integration platform delivers a dossier filed
//! on the national portal; it becomes a case submitted online (status 1) that
//! reception accepts or refuses as any other.
//!
//! The caller is the platform's machine account (role `feed`) for the units
//! the dossier may be filed at. Deliveries are idempotent by the portal's
//! dossier id and content (`onestop_commands::portal`): the same delivery
//! again, or fifty at once, is answered 201 with the same body and `Location`;
//! other content under a known id is a 409 (`portal-dossier-changed`). The
//! content's hash is SHA-256 over the request as this server reads it,
//! applicant left out, in the order the document lists the fields: key order
//! and white space of what was sent do not matter.

use actix_web::http::header;
use actix_web::web::Json;
use actix_web::{HttpRequest, HttpResponse, post};
use jiff::Timestamp;
use onestop_commands::portal::PortalDelivery;
use onestop_domain::case::event::PortalDocument;
use onestop_domain::personal::Applicant;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::{Problem, from_validation};
use crate::request::meta;
use crate::routes::cases::requests::{ApplicantDto, ChannelDto, DocumentDto, DocumentOriginDto, NoticeChoiceDto};
use crate::routes::fields::unit_code;
use crate::routes::{Answer, State};

/// One document of the dossier: its metadata and hash (the bytes stay with the
/// portal's storage, named by `storage_ref`), and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalDocumentDto {
    #[validate(nested)]
    pub document: DocumentDto,
    pub origin: DocumentOriginDto,
}

/// A dossier delivered by the national portal.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DossierDelivery {
    /// The portal's id of the dossier (mã hồ sơ trên Cổng DVCQG).
    #[validate(custom(function = "dossier_id"))]
    #[schema(min_length = 1, max_length = 64, pattern = "PortalDossierId")]
    pub dossier_id: String,
    /// The procedure's code in the catalog, e.g. `1.004227`.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50, pattern = "ProcedureCode")]
    pub procedure_code: String,
    /// The unit the dossier is filed at.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, pattern = "UnitCode")]
    pub unit: String,
    /// `online_full` (toàn trình) or `online_partial` (một phần).
    pub channel: ChannelDto,
    /// When the applicant submitted it on the portal.
    pub submitted_at: Timestamp,
    /// Whether the applicant's portal account is an identity verified through
    /// VNeID (định danh điện tử mức 2).
    #[serde(default)]
    pub identity_verified: bool,
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub documents: Vec<PortalDocumentDto>,
    /// How the applicant asked to be told of the case; absent: not by us.
    #[serde(default)]
    #[validate(nested)]
    pub notices: Option<NoticeChoiceDto>,
    /// The applicant (chủ hồ sơ): stored encrypted, apart from the case's events.
    #[validate(nested)]
    pub applicant: ApplicantDto,
}

/// What a delivery's content hash covers: all but the applicant, in this order.
#[derive(Serialize)]
struct HashedContent<'a> {
    dossier_id: &'a str,
    procedure_code: &'a str,
    unit: &'a str,
    channel: ChannelDto,
    submitted_at: Timestamp,
    identity_verified: bool,
    documents: &'a [PortalDocumentDto],
    notices: &'a Option<NoticeChoiceDto>,
}

impl DossierDelivery {
    /// SHA-256 of the content but the applicant, as hex.
    fn content_sha256(&self) -> Result<String, Problem> {
        let hashed = HashedContent {
            dossier_id: &self.dossier_id,
            procedure_code: &self.procedure_code,
            unit: &self.unit,
            channel: self.channel,
            submitted_at: self.submitted_at,
            identity_verified: self.identity_verified,
            documents: &self.documents,
            notices: &self.notices,
        };
        let bytes = serde_json::to_vec(&hashed).map_err(|_| Problem::internal())?;
        Ok(hex::encode(Sha256::digest(&bytes)))
    }
}

fn dossier_id(text: &str) -> Result<(), validator::ValidationError> {
    if onestop_domain::case::event::is_portal_dossier_id(text) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("dossier_id")
            .with_message("must be 1 to 64 letters, digits and . _ : / - , starting with a letter or digit".into()))
    }
}

/// The answer to a delivery, the same for every delivery of the dossier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DossierAccepted {
    /// The case the dossier became.
    pub case_id: Uuid,
    pub dossier_id: String,
    /// The hash of the content the case holds.
    pub content_sha256: String,
    /// TrangThaiHoSo: 1, submitted online (Mới đăng ký).
    pub status: i16,
    pub submitted_at: Timestamp,
    /// When the first delivery was taken in.
    pub delivered_at: Timestamp,
}

/// Take in a dossier filed on the national portal: a case submitted online
/// (status 1). The same delivery again is answered as the first was; other
/// content under the same `dossier_id` is refused (409).
#[utoipa::path(tag = "portal", request_body = DossierDelivery, responses((status = 201, description = "Taken in (the first time, or again: the same answer)", body = DossierAccepted, headers(("Location" = String, description = "The case's URL"))), (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"), answers::Forbidden, (status = 404, description = "Unknown procedure", body = Problem, content_type = "application/problem+json"), (status = 409, description = "The dossier was delivered before with other content, or a rule forbids it", body = Problem, content_type = "application/problem+json"), answers::OutOfBounds), security(("bearer" = [])))]
#[post("/portal/dossiers")]
pub async fn deliver_dossier(
    state: State,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<DossierDelivery>,
) -> Answer {
    onestop_domain::access::delivers_portal_dossiers(&auth.0)?;
    let body = body.into_inner();
    body.validate().map_err(from_validation)?;
    let meta = meta(&req)?;
    let content = &body;
    let channel: onestop_domain::catalog::Channel = content.channel.into();
    if !channel.is_online() {
        return Err(Problem::invalid_field("channel", "a portal dossier is filed online_full or online_partial"));
    }
    let delivery = PortalDelivery {
        dossier_id: content.dossier_id.clone(),
        procedure: content
            .procedure_code
            .parse()
            .map_err(|e: onestop_domain::ids::InvalidId| Problem::invalid_field("procedure_code", e.to_string()))?,
        unit: unit_code("unit", &content.unit)?,
        channel,
        submitted_at: content.submitted_at,
        identity_verified: content.identity_verified,
        applicant: Applicant {
            full_name: body.applicant.full_name.trim().to_owned(),
            id_number: body.applicant.id_number.trim().to_owned(),
            phone: body.applicant.phone.clone(),
            address: body.applicant.address.clone(),
            email: body.applicant.email.clone(),
        },
        documents: content
            .documents
            .iter()
            .map(|d| PortalDocument { document: d.document.clone().into(), origin: d.origin.into() })
            .collect(),
        notices: content.notices.clone().map(Into::into).unwrap_or_default(),
        content_sha256: body.content_sha256()?,
    };
    let delivered = state.cases.deliver_from_portal(&auth.0, delivery, &meta).await?;
    state.note_written(delivered.checkpoint);
    let portal = delivered.submitted.portal.as_ref().ok_or_else(Problem::internal)?;
    let answer = DossierAccepted {
        case_id: delivered.case_id.0,
        dossier_id: portal.dossier_id.clone(),
        content_sha256: portal.content_sha256.clone(),
        status: delivered.state.status_code().map_or(1, i16::from),
        submitted_at: portal.submitted_at,
        delivered_at: delivered.submitted.at,
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/cases/{}", delivered.case_id.0)))
        .json(answer))
}
