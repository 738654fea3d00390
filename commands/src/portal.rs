//! Dossiers the national public-service portal (Cổng DVCQG) delivers through
//! the province's integration platform: each becomes a case "submitted online"
//! (status 1), which reception then accepts or refuses as any other.
//!
//! A delivery is idempotent by the portal's dossier id and its content. The
//! case's id and its applicant's are derived from the dossier id, and the first
//! event's from the id and the content's hash, so every delivery of the same
//! content decides the same event under the same id: however many arrive at
//! once, one is stored and every one is answered from it, as the first was. A
//! delivery under a known id with other content is refused
//! ([`CommandError::PortalDossierChanged`]); the portal sends changes as
//! supplements, not as a new version of the dossier.
//!
//! The hash the log keeps covers everything but the applicant's personal data
//! (a plain hash of a name and an ID number could be matched against guesses
//! after the record is erased): the applicant is compared with their sealed
//! record instead. A first delivery cut short after sealing the record and
//! before storing its case leaves that record, and the next delivery's case
//! is filed with it; one with another applicant is then refused as changed.

use onestop_domain::access::Actor;
use onestop_domain::case::event::{CaseSubmittedOnline, PortalDocument, PortalSubmission};
use onestop_domain::case::{CaseCommand, CaseEvent, CaseState, evolve};
use onestop_domain::catalog::Channel;
use onestop_domain::ids::{ApplicantId, CaseId, ProcedureCode, UnitCode};
use onestop_domain::notice::NoticeChoice;
use onestop_domain::personal::Applicant;
use onestop_store::Checkpoint;
use uuid::Uuid;

use crate::cases::{CaseService, LoadedCase};
use crate::error::CommandError;
use crate::metadata::RequestMeta;

/// The namespace of the case ids derived from portal dossier ids.
const PORTAL_CASES: Uuid = Uuid::from_u128(0x7f0e_2d61_5a3c_4b9e_9c1d_0b6a_8e24_d317);

/// How often a delivery that lost a race is looked at again.
const ATTEMPTS: usize = 8;

/// The case a portal dossier becomes.
pub fn portal_case_id(dossier_id: &str) -> CaseId {
    CaseId(Uuid::new_v5(&PORTAL_CASES, dossier_id.as_bytes()))
}

/// A dossier as the portal delivers it.
#[derive(Debug, Clone)]
pub struct PortalDelivery {
    pub dossier_id: String,
    pub procedure: ProcedureCode,
    pub unit: UnitCode,
    pub channel: Channel,
    pub submitted_at: jiff::Timestamp,
    pub identity_verified: bool,
    pub applicant: Applicant,
    pub documents: Vec<PortalDocument>,
    pub notices: NoticeChoice,
    /// SHA-256 of the delivery's content but the applicant, in a canonical
    /// form (the caller's), 64 lowercase hex digits.
    pub content_sha256: String,
}

/// A delivery's outcome: the case as the first delivery of the dossier made it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub case_id: CaseId,
    /// The case after its first event.
    pub state: CaseState,
    /// The event the first delivery was stored as.
    pub submitted: CaseSubmittedOnline,
    /// Whether this call stored it (false: an earlier or a racing delivery did).
    pub stored_now: bool,
    /// Where the stored event stands in the log, when this call stored it.
    pub checkpoint: Option<Checkpoint>,
}

impl CaseService {
    /// Takes a dossier from the portal in, once.
    pub async fn deliver_from_portal(
        &self,
        actor: &Actor,
        delivery: PortalDelivery,
        meta: &RequestMeta,
    ) -> Result<Delivered, CommandError> {
        let case_id = portal_case_id(&delivery.dossier_id);
        let hash = delivery.content_sha256.clone();
        let applicant = ApplicantId(Uuid::new_v5(&case_id.0, b"applicant"));
        let command_id = Uuid::new_v5(&case_id.0, format!("delivery {hash}").as_bytes());
        for _ in 0..ATTEMPTS {
            if let Some(loaded) = self.load(case_id).await? {
                return self.first_delivery(loaded, &delivery, None).await;
            }
            let portal = PortalSubmission {
                dossier_id: delivery.dossier_id.clone(),
                content_sha256: hash.clone(),
                submitted_at: delivery.submitted_at,
                identity_verified: delivery.identity_verified,
                documents: delivery.documents.clone(),
            };
            let command = CaseCommand::SubmitOnline {
                unit: delivery.unit.clone(),
                channel: delivery.channel,
                applicant,
                portal: Some(Box::new(portal)),
            };
            // The rules are checked before anyone's personal data is stored.
            delivery
                .notices
                .check(&delivery.applicant)
                .map_err(|e| CommandError::Invalid { field: "notices", reason: e.to_string() })?;
            self.check_new_case(actor, &delivery.procedure, &command)?;
            let metadata = meta.to_metadata(actor, command.action(), command_id);
            match self.vault.record(applicant, &delivery.applicant, &delivery.notices, metadata).await {
                // Recorded already: by a racing delivery, or by an earlier one
                // cut short before its case (compared once the case is stored).
                Ok(()) | Err(CommandError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
            match self.file_new(actor, case_id, command, meta, command_id, &delivery.procedure).await {
                Ok(executed) => {
                    let loaded = self
                        .load(case_id)
                        .await?
                        .ok_or_else(|| CommandError::Infrastructure("a stored delivery cannot be read back".into()))?;
                    let checkpoint = (!executed.replayed).then_some(executed.checkpoint).flatten();
                    return self.first_delivery(loaded, &delivery, checkpoint).await;
                }
                // A racing delivery stored it first: answer from what it stored.
                Err(CommandError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(CommandError::Conflict(format!(
            "portal dossier {} is being delivered by other requests; retry",
            delivery.dossier_id
        )))
    }
}

impl CaseService {
    /// The answer from the case's first event, if it holds this very content.
    async fn first_delivery(
        &self,
        loaded: LoadedCase,
        delivery: &PortalDelivery,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Delivered, CommandError> {
        let changed = || CommandError::PortalDossierChanged { dossier_id: delivery.dossier_id.clone() };
        let Some((_, first)) = loaded.events.first() else {
            return Err(CommandError::Infrastructure("a case stream without events".into()));
        };
        let CaseEvent::CaseSubmittedOnline(submitted) = first else { return Err(changed()) };
        if submitted.portal.as_ref().is_none_or(|portal| portal.content_sha256 != delivery.content_sha256) {
            return Err(changed());
        }
        // An erased record can no longer be compared: the rest of the content is.
        if let Some(recorded) = self.vault.open(submitted.applicant).await?
            && recorded != delivery.applicant
        {
            return Err(changed());
        }
        Ok(Delivered {
            case_id: loaded.case_id,
            state: evolve(CaseState::default(), first),
            submitted: submitted.clone(),
            stored_now: checkpoint.is_some(),
            checkpoint,
        })
    }
}
