//! The write side of the queue tickets: load the unit's day stream, decide,
//! append at the version decided on. Two counters calling at once decide on
//! the same version; the second append conflicts and is decided again on the
//! new version, so no ticket is called twice and no number given twice.

use std::sync::Arc;

use onestop_domain::ids::UnitCode;
use onestop_domain::queue::{QueueCommand, QueueEvent, QueueState, decide, evolve, stream_name};
use onestop_store::{EventStore, ExpectedVersion, NewEvent, StreamId};

use crate::catalog::CatalogCache;
use crate::clock::Clock;
use crate::error::CommandError;

/// How often a command is decided again after a concurrent change: each
/// retry means another counter's command landed, so this many in a row is
/// more counters than a hall has.
const CONFLICT_RETRIES: usize = 64;

/// The queue after a command, and the events the command added.
#[derive(Debug, Clone)]
pub struct QueueOutcome {
    pub state: QueueState,
    pub events: Vec<QueueEvent>,
    /// Where the events landed in the log.
    pub checkpoint: Option<onestop_store::Checkpoint>,
}

/// Takes, calls and closes tickets.
#[derive(Debug, Clone)]
pub struct QueueService {
    store: EventStore,
    catalog: CatalogCache,
    clock: Arc<dyn Clock>,
    /// The last queue folded per stream and its version: a command reads only
    /// the events after it (a hall's day holds thousands).
    folded: Arc<std::sync::Mutex<std::collections::HashMap<String, (QueueState, u64)>>>,
    /// One decision at a time per queue in this process: counters of one hall
    /// then wait in line for microseconds instead of losing appends to each
    /// other (another process's commands still meet the version check).
    turns: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl QueueService {
    pub fn new(store: EventStore, catalog: CatalogCache, clock: Arc<dyn Clock>) -> Self {
        Self { store, catalog, clock, folded: Arc::default(), turns: Arc::default() }
    }

    /// The unit's queue today.
    pub async fn today(&self, unit: &UnitCode) -> Result<(QueueState, u64), CommandError> {
        let stream = self.stream(unit)?;
        let cached = self.lock().get(stream.as_str()).cloned();
        let (mut state, mut version) = cached.unwrap_or_default();
        for event in self.store.read_stream(&stream, version, usize::MAX).await? {
            let decoded =
                QueueEvent::decode(&event.event_type, event.payload.as_str()).map_err(CommandError::infrastructure)?;
            state = evolve(state, &decoded);
            version = event.stream_version;
        }
        let mut folded = self.lock();
        // Earlier days' queues are done with.
        let prefix = format!("queue-{unit}-");
        folded.retain(|name, _| name == stream.as_str() || !name.starts_with(&prefix));
        let newer = folded.get(stream.as_str()).is_some_and(|(_, v)| *v > version);
        if !newer {
            folded.insert(stream.as_str().to_owned(), (state.clone(), version));
        }
        Ok((state, version))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (QueueState, u64)>> {
        match self.folded.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Runs `command` on the unit's queue today; `metadata` goes with its
    /// events (the officer, or the kiosk's address).
    pub async fn act(
        &self,
        unit: &UnitCode,
        command: QueueCommand,
        metadata: serde_json::Value,
    ) -> Result<QueueOutcome, CommandError> {
        let catalog = self.catalog.snapshot();
        let setup = catalog
            .queue_setup(unit)
            .ok_or_else(|| CommandError::NotFound { what: "queue of unit", id: unit.to_string() })?;
        let stream = self.stream(unit)?;
        let turn = {
            let mut turns = match self.turns.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            turns.retain(|name, lock| name == stream.as_str() || Arc::strong_count(lock) > 1);
            turns.entry(stream.as_str().to_owned()).or_default().clone()
        };
        let _turn = turn.lock().await;
        for _ in 0..CONFLICT_RETRIES {
            let (state, version) = self.today(unit).await?;
            let events = decide(&state, command.clone(), &setup.context(self.clock.now()))?;
            let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
            let new: Vec<NewEvent> = events
                .iter()
                .map(|e| NewEvent::new(e.event_type(), e.payload()).with_metadata(metadata.clone()))
                .collect();
            match self.store.append(&stream, expected, &new).await {
                Ok(outcome) => {
                    let state = events.iter().fold(state, evolve);
                    return Ok(QueueOutcome { state, events, checkpoint: Some(outcome.checkpoint) });
                }
                Err(onestop_store::StoreError::WrongExpectedVersion { .. }) => {
                    metrics::counter!("onestop_queue_conflicts_total").increment(1);
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(CommandError::Conflict(format!("the queue of {unit} kept changing; try again")))
    }

    fn stream(&self, unit: &UnitCode) -> Result<StreamId, CommandError> {
        StreamId::new(stream_name(unit, self.clock.now()))
            .map_err(|e| CommandError::Invalid { field: "unit", reason: e.to_string() })
    }
}
