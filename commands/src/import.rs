//! Bulk import of whole cases whose commands are already known, each with its
//! own time and actor: files migrated from an earlier system, and the province
//! simulator's traffic.
//!
//! Every command goes through the same [`decide`] as a live request, at its
//! recorded time; codes come from the same per-unit daily counters and
//! applicants' data goes into the same vault. One call is one transaction: all
//! of its cases land, or none. A command the rules refuse ends that case's
//! script there (what was decided before it is kept) and is reported, so an
//! import never writes a history the rules would not have allowed.

use jiff::Timestamp;
use onestop_domain::access::Actor;
use onestop_domain::case::{CaseCommand, CaseState, Context, DomainError, decide, evolve};
use onestop_domain::ids::{ApplicantId, CaseId, ProcedureCode};
use onestop_domain::personal::Applicant;
use onestop_store::{ExpectedVersion, NewEvent, StreamBatch};
use uuid::Uuid;

use crate::cases::{CaseService, case_stream};
use crate::codes;
use crate::error::CommandError;
use crate::metadata::{RequestMeta, event_id};

/// One command of a scripted case.
#[derive(Debug, Clone)]
pub struct ScriptedStep {
    pub at: Timestamp,
    pub actor: Actor,
    pub command: CaseCommand,
}

/// A whole case to import: its first step files it (`Receive` or
/// `SubmitOnline`, naming the applicant's id).
#[derive(Debug, Clone)]
pub struct ScriptedCase {
    pub case_id: CaseId,
    pub procedure: ProcedureCode,
    pub applicant: Applicant,
    pub steps: Vec<ScriptedStep>,
}

/// What became of one scripted case.
#[derive(Debug, Clone)]
pub struct ImportedCase {
    pub case_id: CaseId,
    /// The case after its last accepted command.
    pub state: CaseState,
    /// How many of its steps were accepted.
    pub accepted: usize,
    /// The rule that refused the next step, if one did.
    pub refused: Option<DomainError>,
}

/// The applicant named by a filing command.
fn applicant_of(command: &CaseCommand) -> Option<ApplicantId> {
    match command {
        CaseCommand::Receive { applicant, .. } | CaseCommand::SubmitOnline { applicant, .. } => Some(*applicant),
        _ => None,
    }
}

impl CaseService {
    /// Imports `cases` in one transaction; returns each case's outcome in order.
    pub async fn import(&self, cases: &[ScriptedCase]) -> Result<Vec<ImportedCase>, CommandError> {
        let catalog = self.catalog.snapshot();
        let meta = RequestMeta { request_id: Some("import".into()), ..RequestMeta::default() };
        let mut client = self.store.pool().get().await?;
        let transaction = client.transaction().await?;
        let mut outcomes = Vec::with_capacity(cases.len());
        let mut batches = Vec::with_capacity(cases.len() * 2);
        let mut applicants = Vec::with_capacity(cases.len());
        for case in cases {
            let mut state = CaseState::default();
            let mut events = Vec::new();
            let mut refused = None;
            let mut accepted = 0;
            for (index, step) in case.steps.iter().enumerate() {
                // A case follows the procedure version it was received under.
                let procedure = match &state.procedure {
                    Some(p) => catalog.procedure_version(&p.code, p.version),
                    None => catalog.procedure(&case.procedure),
                }
                .ok_or_else(|| CommandError::NotFound { what: "procedure", id: case.procedure.to_string() })?;
                let issued = match &step.command {
                    CaseCommand::Receive { unit, .. } => Some(unit.clone()),
                    CaseCommand::AcceptOnline => state.receiving_unit.clone(),
                    _ => None,
                };
                let issued = match issued {
                    Some(unit) => {
                        let day = onestop_domain::calendar::local(step.at).date();
                        let code = codes::allocate(&transaction, &unit, day).await?;
                        Some(codes::issue(code, self.receipt_key()).0)
                    }
                    None => None,
                };
                let ctx = Context {
                    now: step.at,
                    actor: &step.actor,
                    units: &catalog.units,
                    calendar: &catalog.calendar,
                    procedure,
                    issued: issued.as_ref(),
                };
                let decided = match decide(&state, step.command.clone(), &ctx) {
                    Ok(decided) => decided,
                    Err(rule) => {
                        refused = Some(rule);
                        break;
                    }
                };
                let command_id = Uuid::new_v5(&case.case_id.0, &index.to_be_bytes());
                let metadata = meta.to_metadata(&step.actor, step.command.action(), command_id);
                if index == 0
                    && let Some(id) = applicant_of(&step.command)
                {
                    applicants.push((id, &case.applicant, metadata.clone()));
                }
                for (i, event) in decided.iter().enumerate() {
                    events.push(
                        NewEvent::new(event.event_type(), event.payload())
                            .with_id(event_id(command_id, i))
                            .with_schema_version(onestop_domain::case::CaseEvent::SCHEMA_VERSION)
                            .with_metadata(metadata.clone()),
                    );
                }
                state = decided.iter().fold(state, evolve);
                accepted += 1;
            }
            if !events.is_empty() {
                batches.push(StreamBatch {
                    stream_id: case_stream(case.case_id)?,
                    expected: ExpectedVersion::NoStream,
                    events,
                });
            }
            outcomes.push(ImportedCase { case_id: case.case_id, state, accepted, refused });
        }
        batches.extend(self.vault.record_many_in(&transaction, &applicants).await?);
        self.store.append_many_in(&transaction, &batches).await?;
        transaction.commit().await?;
        self.store.wake_subscribers();
        Ok(outcomes)
    }
}
