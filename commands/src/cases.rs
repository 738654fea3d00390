//! Commands on cases: load the stream, fold, decide, append with the expected
//! version; retry on a concurrent change unless the client pinned a version.

use onestop_domain::access::Actor;
use onestop_domain::case::{CaseCommand, CaseEvent, CaseState, Context, IssuedCode, decide, evolve};
use onestop_domain::catalog::Channel;
use onestop_domain::ids::{ApplicantId, CaseId, ProcedureCode, UnitCode};
use onestop_domain::notice::NoticeChoice;
use onestop_domain::personal::Applicant;
use onestop_store::{EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use std::sync::Arc;

use uuid::Uuid;

use crate::clock::Clock;

use crate::catalog::{Catalog, CatalogCache};
use crate::codes;
use crate::error::CommandError;
use crate::metadata::{RequestMeta, event_id};
use crate::personal::PersonalDataVault;

/// How often a command is re-decided after losing a race to another writer.
const CONFLICT_RETRIES: usize = 5;

/// The stream of a case.
pub fn case_stream(id: CaseId) -> Result<StreamId, CommandError> {
    StreamId::new(format!("case-{}", id.0))
        .map_err(|e| CommandError::Invalid { field: "case id", reason: e.to_string() })
}

/// A new file, as the desk or the portal hands it in.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub procedure: ProcedureCode,
    pub unit: UnitCode,
    pub channel: Channel,
    pub applicant: Applicant,
    pub documents: Vec<String>,
    /// How the applicant asked to be told of the case, recorded beside their
    /// sealed record.
    pub notices: NoticeChoice,
}

/// A case after a command.
#[derive(Debug, Clone)]
pub struct Executed {
    pub case_id: CaseId,
    pub state: CaseState,
    /// The stream version: the value of the `ETag`.
    pub version: u64,
    /// The events this command appended (empty for a replayed retry).
    pub events: Vec<CaseEvent>,
    /// True when the command had already been applied (an idempotent retry).
    pub replayed: bool,
    /// The lookup secret, only in the response to the receipt that issued it.
    pub lookup_secret: Option<String>,
    /// Where the command's last event stands in the log: reads of projections
    /// that have reached it see the command.
    pub checkpoint: Option<onestop_store::Checkpoint>,
}

impl Executed {
    /// A retry of a command whose events are already stored: the case as it is.
    fn replayed(loaded: LoadedCase) -> Self {
        Self {
            case_id: loaded.case_id,
            version: loaded.version,
            state: loaded.state,
            events: Vec::new(),
            replayed: true,
            lookup_secret: None,
            checkpoint: None,
        }
    }
}

/// A case as loaded from its stream.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case_id: CaseId,
    pub state: CaseState,
    pub version: u64,
    pub events: Vec<(RecordedEvent, CaseEvent)>,
}

/// The write side for cases.
#[derive(Debug, Clone)]
pub struct CaseService {
    pub(crate) store: EventStore,
    pub(crate) catalog: CatalogCache,
    pub(crate) vault: PersonalDataVault,
    clock: Arc<dyn Clock>,
    receipt_key: crate::codes::ReceiptKey,
}

impl CaseService {
    pub fn new(store: EventStore, catalog: CatalogCache, clock: Arc<dyn Clock>) -> Self {
        let vault = PersonalDataVault::new(store.clone());
        Self { store, catalog, vault, clock, receipt_key: crate::codes::ReceiptKey::development() }
    }

    /// Derives receipts' lookup secrets with `key` instead of the development key.
    pub fn with_receipt_key(self, key: crate::codes::ReceiptKey) -> Self {
        Self { receipt_key: key, ..self }
    }

    /// The key receipts' lookup secrets are derived with.
    pub fn receipt_key(&self) -> &crate::codes::ReceiptKey {
        &self.receipt_key
    }

    pub fn vault(&self) -> &PersonalDataVault {
        &self.vault
    }

    pub fn catalog(&self) -> &CatalogCache {
        &self.catalog
    }

    /// Reads and folds a case; `None` when it has no events.
    pub async fn load(&self, case_id: CaseId) -> Result<Option<LoadedCase>, CommandError> {
        let stream = case_stream(case_id)?;
        let recorded = self.store.read_stream_all(&stream).await?;
        if recorded.is_empty() {
            return Ok(None);
        }
        let mut state = CaseState::default();
        let mut events = Vec::with_capacity(recorded.len());
        for record in recorded {
            let event = CaseEvent::decode(&record.event_type, record.schema_version, record.payload.as_str())
                .map_err(CommandError::infrastructure)?;
            state = evolve(state, &event);
            events.push((record, event));
        }
        Ok(Some(LoadedCase { case_id, version: state.version, state, events }))
    }

    /// Files a new case: received at the desk (or by post) with a code and a due
    /// date, or submitted online to await acceptance.
    pub async fn open(&self, actor: &Actor, new: NewCase, meta: &RequestMeta) -> Result<Executed, CommandError> {
        let command_id = meta.command_id(actor, "open-case");
        // A retried request finds the case it created the first time.
        let case_id = CaseId(match meta.idempotency_key {
            Some(_) => Uuid::new_v5(&command_id, b"case"),
            None => Uuid::now_v7(),
        });
        let applicant = ApplicantId(Uuid::new_v5(&case_id.0, b"applicant"));
        let command = if new.channel.is_online() {
            CaseCommand::SubmitOnline { unit: new.unit.clone(), channel: new.channel, applicant, portal: None }
        } else {
            CaseCommand::Receive {
                unit: new.unit.clone(),
                channel: new.channel,
                applicant,
                documents: new.documents.clone(),
            }
        };
        // Check the rules before storing anyone's personal data.
        new.notices
            .check(&new.applicant)
            .map_err(|e| CommandError::Invalid { field: "notices", reason: e.to_string() })?;
        self.check_new_case(actor, &new.procedure, &command)?;
        let metadata = meta.to_metadata(actor, command.action(), command_id);
        self.vault.record(applicant, &new.applicant, &new.notices, metadata).await?;
        self.file_new(actor, case_id, command, meta, command_id, &new.procedure).await
    }

    /// Whether the rules let `command` file a new case under the current
    /// version of `procedure`: asked before anyone's personal data is stored.
    pub(crate) fn check_new_case(
        &self,
        actor: &Actor,
        procedure: &ProcedureCode,
        command: &CaseCommand,
    ) -> Result<(), CommandError> {
        let catalog = self.catalog.snapshot();
        let procedure = catalog
            .procedure(procedure)
            .ok_or_else(|| CommandError::NotFound { what: "procedure", id: procedure.to_string() })?;
        let ctx = self.context(actor, &catalog, procedure, None);
        match decide(&CaseState::default(), command.clone(), &ctx) {
            // The code is issued with the append, not before.
            Ok(_) | Err(onestop_domain::case::DomainError::CodeNotIssued { .. }) => Ok(()),
            Err(rejection) => Err(rejection.into()),
        }
    }

    /// Appends the first events of a new case.
    pub(crate) async fn file_new(
        &self,
        actor: &Actor,
        case_id: CaseId,
        command: CaseCommand,
        meta: &RequestMeta,
        command_id: Uuid,
        procedure: &ProcedureCode,
    ) -> Result<Executed, CommandError> {
        self.decide_and_append(actor, case_id, command, CaseState::default(), None, meta, command_id, Some(procedure))
            .await
    }

    /// Runs a command on an existing case. `expected` is the client's `If-Match`.
    pub async fn execute(
        &self,
        actor: &Actor,
        case_id: CaseId,
        command: CaseCommand,
        expected: Option<u64>,
        meta: &RequestMeta,
    ) -> Result<Executed, CommandError> {
        let command_id = meta.command_id(actor, &format!("case-{}", case_id.0));
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Some(loaded) = self.load(case_id).await? else {
                return Err(CommandError::NotFound { what: "case", id: case_id.0.to_string() });
            };
            // A retry whose events are already in the stream gets the case as it is.
            if meta.idempotency_key.is_some()
                && loaded.events.iter().any(|(r, _)| r.event_id == event_id(command_id, 0))
            {
                return Ok(Executed::replayed(loaded));
            }
            if let Some(expected) = expected
                && expected != loaded.version
            {
                return Err(CommandError::PreconditionFailed { expected, actual: loaded.version });
            }
            match self
                .decide_and_append(
                    actor,
                    case_id,
                    command.clone(),
                    loaded.state,
                    Some(loaded.version),
                    meta,
                    command_id,
                    None,
                )
                .await
            {
                Err(CommandError::Conflict(reason)) => {
                    if let Some(expected) = expected {
                        let actual = self.load(case_id).await?.map_or(0, |c| c.version);
                        return Err(CommandError::PreconditionFailed { expected, actual });
                    }
                    if attempts >= CONFLICT_RETRIES {
                        return Err(CommandError::Conflict(reason));
                    }
                    metrics::counter!("onestop_append_conflicts_total").increment(1);
                }
                other => return other,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn decide_and_append(
        &self,
        actor: &Actor,
        case_id: CaseId,
        command: CaseCommand,
        state: CaseState,
        version: Option<u64>,
        meta: &RequestMeta,
        command_id: Uuid,
        new_procedure: Option<&ProcedureCode>,
    ) -> Result<Executed, CommandError> {
        let catalog = self.catalog.snapshot();
        // A case follows the procedure version it was received under.
        let procedure = match (&state.procedure, new_procedure) {
            (Some(p), _) => catalog.procedure_version(&p.code, p.version).ok_or_else(|| {
                CommandError::Infrastructure(
                    format!("procedure {} version {} is missing from the catalog", p.code, p.version).into(),
                )
            })?,
            (None, Some(code)) => catalog
                .procedure(code)
                .ok_or_else(|| CommandError::NotFound { what: "procedure", id: code.to_string() })?,
            (None, None) => {
                return Err(CommandError::NotFound { what: "case", id: case_id.0.to_string() });
            }
        };
        let needs_code = matches!(command, CaseCommand::Receive { .. } | CaseCommand::AcceptOnline);
        let stream = case_stream(case_id)?;
        let expected = match version {
            Some(v) => ExpectedVersion::Exact(v),
            None => ExpectedVersion::NoStream,
        };
        let action = command.action();
        let metadata = meta.to_metadata(actor, action, command_id);
        let to_new = |events: &[CaseEvent]| -> Vec<NewEvent> {
            events
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    NewEvent::new(e.event_type(), e.payload())
                        .with_id(event_id(command_id, i))
                        .with_schema_version(CaseEvent::SCHEMA_VERSION)
                        .with_metadata(metadata.clone())
                })
                .collect()
        };

        if !needs_code {
            let ctx = self.context(actor, &catalog, procedure, None);
            let events = decide(&state, command, &ctx)?;
            let outcome = self.store.append(&stream, expected, &to_new(&events)).await?;
            return Ok(Self::executed(case_id, state, events, &outcome, None));
        }

        // Receipt: the code is taken in the same transaction as the append.
        let unit = match &command {
            CaseCommand::Receive { unit, .. } => unit.clone(),
            _ => state
                .receiving_unit
                .clone()
                .ok_or_else(|| CommandError::NotFound { what: "case", id: case_id.0.to_string() })?,
        };
        let now = self.clock.now();
        let today = onestop_domain::calendar::local(now).date();
        let mut client = self.store.pool().get().await?;
        let transaction = client.transaction().await?;
        let code = codes::allocate(&transaction, &unit, today).await?;
        let (issued, secret): (IssuedCode, String) = codes::issue(code, &self.receipt_key);
        let ctx = Context { now, ..self.context(actor, &catalog, procedure, Some(&issued)) };
        let events = decide(&state, command, &ctx)?;
        let outcome = self.store.append_in(&transaction, &stream, expected, &to_new(&events)).await;
        match outcome {
            Ok(outcome) if !outcome.already_written => {
                transaction.commit().await?;
                self.store.wake_subscribers();
                Ok(Self::executed(case_id, state, events, &outcome, Some(secret)))
            }
            Ok(_) => {
                // Already received by the first attempt: give back the number.
                transaction.rollback().await?;
                let loaded = self
                    .load(case_id)
                    .await?
                    .ok_or_else(|| CommandError::NotFound { what: "case", id: case_id.0.to_string() })?;
                Ok(Executed::replayed(loaded))
            }
            Err(error) => {
                let _ = transaction.rollback().await;
                Err(error.into())
            }
        }
    }

    /// What a command did, once its events are stored.
    fn executed(
        case_id: CaseId,
        state: CaseState,
        events: Vec<CaseEvent>,
        outcome: &onestop_store::AppendOutcome,
        lookup_secret: Option<String>,
    ) -> Executed {
        let replayed = outcome.already_written;
        if !replayed {
            metrics::counter!("onestop_events_appended_total").increment(events.len() as u64);
        }
        let state = events.iter().fold(state, evolve);
        Executed {
            case_id,
            version: state.version,
            state,
            events: if replayed { Vec::new() } else { events },
            replayed,
            lookup_secret,
            checkpoint: Some(outcome.checkpoint),
        }
    }

    /// What `actor` may do to this case now, and the units a transfer may
    /// name: the rules' own answer (`onestop_domain::case::offered_actions`).
    pub fn offered(
        &self,
        actor: &Actor,
        state: &CaseState,
    ) -> (Vec<onestop_domain::access::CaseAction>, Vec<UnitCode>) {
        let catalog = self.catalog.snapshot();
        let Some(procedure) = state.procedure.as_ref().and_then(|p| catalog.procedure_version(&p.code, p.version))
        else {
            return (Vec::new(), Vec::new());
        };
        let ctx = self.context(actor, &catalog, procedure, None);
        (onestop_domain::case::offered_actions(state, &ctx), onestop_domain::case::next_step_units(state, &ctx))
    }

    fn context<'a>(
        &self,
        actor: &'a Actor,
        catalog: &'a Catalog,
        procedure: &'a onestop_domain::catalog::Procedure,
        issued: Option<&'a IssuedCode>,
    ) -> Context<'a> {
        Context { now: self.clock.now(), actor, units: &catalog.units, calendar: &catalog.calendar, procedure, issued }
    }
}
