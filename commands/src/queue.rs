//! The write side of the queue tickets: load the unit's day stream, decide,
//! append at the version decided on. Two counters calling at once decide on
//! the same version; the second append conflicts and is decided again on the
//! new version, so no ticket is called twice and no number given twice.

use std::sync::Arc;

use jiff::civil::Date;
use onestop_domain::booking::{
    self, Booking, BookingCode, BookingCommand, BookingContext, BookingDay, BookingError, BookingEvent, CODE_LENGTH,
    HalfDay,
};
use onestop_domain::ids::UnitCode;
use onestop_domain::queue::{
    GroupCode, PriorityClass, QueueCommand, QueueError, QueueEvent, QueueState, decide, evolve, stream_name,
};
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
    /// Bumped after every append to a queue by this process, and when another
    /// process may have appended (see [`QueueService::note_foreign_append`]):
    /// live streams of calls wait on it.
    appended: Arc<tokio::sync::watch::Sender<u64>>,
}

impl QueueService {
    pub fn new(store: EventStore, catalog: CatalogCache, clock: Arc<dyn Clock>) -> Self {
        let appended = Arc::new(tokio::sync::watch::channel(0).0);
        Self { store, catalog, clock, folded: Arc::default(), turns: Arc::default(), appended }
    }

    /// Wake-ups for readers following the queues live: a hint, so readers
    /// also poll.
    pub fn wakeups(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// Something may have been appended elsewhere (another server process).
    pub fn note_foreign_append(&self) {
        self.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The store the queues live in.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// The clock the queues' days are told by.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
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
    /// events (the officer, or the kiosk's address). The cases a finished
    /// ticket names must exist.
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
        let hours = catalog.units.office_hours(unit);
        if let QueueCommand::Finish { cases, .. } = &command {
            for case in cases {
                let stream = StreamId::new(format!("case-{}", case.0)).map_err(CommandError::infrastructure)?;
                if self.store.stream_version(&stream).await? == 0 {
                    return Err(QueueError::UnknownCase(case.0.to_string()).into());
                }
            }
        }
        let stream = self.stream(unit)?;
        let turn = self.turn(stream.as_str());
        let _turn = turn.lock().await;
        for _ in 0..CONFLICT_RETRIES {
            let (state, version) = self.today(unit).await?;
            let events = decide(&state, command.clone(), &setup.context(self.clock.now(), hours.clone()))?;
            let payloads = events.iter().map(|e| (e.event_type(), e.payload()));
            if let Some(checkpoint) = self.append(&stream, version, payloads, &metadata).await? {
                let state = events.iter().fold(state, evolve);
                return Ok(QueueOutcome { state, events, checkpoint: Some(checkpoint) });
            }
        }
        Err(CommandError::Conflict(format!("the queue of {unit} kept changing; try again")))
    }

    /// A ticket for the booking `code` of today, checked in at the kiosk.
    pub async fn check_in(
        &self,
        unit: &UnitCode,
        code: &BookingCode,
        priority: Option<PriorityClass>,
        metadata: serde_json::Value,
    ) -> Result<QueueOutcome, CommandError> {
        let today = onestop_domain::calendar::local(self.clock.now()).date();
        let (day, _) = self.bookings(unit, today).await?;
        let booking = day.bookings.get(code).cloned().ok_or_else(|| QueueError::UnknownBooking(code.to_string()))?;
        self.act(unit, QueueCommand::CheckIn { booking, priority }, metadata).await
    }

    /// A unit's bookings for `day`, and the stream's version.
    pub async fn bookings(&self, unit: &UnitCode, day: Date) -> Result<(BookingDay, u64), CommandError> {
        let stream = booking_stream(unit, day)?;
        let mut version = 0;
        let mut events = Vec::new();
        for event in self.store.read_stream_all(&stream).await? {
            events.push(
                BookingEvent::decode(&event.event_type, event.payload.as_str())
                    .map_err(CommandError::infrastructure)?,
            );
            version = event.stream_version;
        }
        Ok((booking::fold(&events), version))
    }

    /// Books a half-day of `day` for `group`: the booking, with its code.
    pub async fn book(
        &self,
        unit: &UnitCode,
        group: GroupCode,
        day: Date,
        half: HalfDay,
        metadata: serde_json::Value,
    ) -> Result<Booking, CommandError> {
        let command = |code| BookingCommand::Book { group: group.clone(), half, code };
        let events = self.on_bookings(unit, day, command, &metadata).await?;
        match events.into_iter().next() {
            Some(BookingEvent::SlotBooked { code, group, day, half, .. }) => Ok(Booking { code, group, day, half }),
            _ => Err(CommandError::infrastructure(std::io::Error::other("a booking decided no booking"))),
        }
    }

    /// Cancels a booking of `day`.
    pub async fn cancel_booking(
        &self,
        unit: &UnitCode,
        day: Date,
        code: &BookingCode,
        metadata: serde_json::Value,
    ) -> Result<(), CommandError> {
        self.on_bookings(unit, day, |_| BookingCommand::Cancel { code: code.clone() }, &metadata).await?;
        Ok(())
    }

    /// Decides and appends a command on a day's bookings; `command` gets a
    /// fresh random code on each attempt (a code already given is drawn again).
    async fn on_bookings(
        &self,
        unit: &UnitCode,
        day: Date,
        command: impl Fn(BookingCode) -> BookingCommand,
        metadata: &serde_json::Value,
    ) -> Result<Vec<BookingEvent>, CommandError> {
        let catalog = self.catalog.snapshot();
        let setup = catalog
            .queue_setup(unit)
            .ok_or_else(|| CommandError::NotFound { what: "queue of unit", id: unit.to_string() })?;
        let context = BookingContext {
            now: self.clock.now(),
            day,
            capacity: setup.groups.iter().filter_map(|g| Some((g.code.clone(), g.booking_capacity?))).collect(),
            groups: setup.groups.iter().map(|g| g.code.clone()).collect(),
            working_day: catalog.calendar.is_working_day(day),
            hours: catalog.units.office_hours(unit),
        };
        let stream = booking_stream(unit, day)?;
        let turn = self.turn(stream.as_str());
        let _turn = turn.lock().await;
        for _ in 0..CONFLICT_RETRIES {
            let (state, version) = self.bookings(unit, day).await?;
            let mut random = [0_u8; CODE_LENGTH];
            getrandom::fill(&mut random).map_err(|e| CommandError::Infrastructure(e.to_string().into()))?;
            let events = match booking::decide(&state, command(BookingCode::from_random(random)), &context) {
                Err(BookingError::CodeTaken(_)) => continue,
                decided => decided?,
            };
            let payloads = events.iter().map(|e| (e.event_type(), e.payload()));
            if self.append(&stream, version, payloads, metadata).await?.is_some() {
                return Ok(events);
            }
        }
        Err(CommandError::Conflict(format!("the bookings of {unit} on {day} kept changing; try again")))
    }

    /// Appends at `version`; `None` when another command got there first.
    async fn append(
        &self,
        stream: &StreamId,
        version: u64,
        events: impl Iterator<Item = (&'static str, serde_json::Value)>,
        metadata: &serde_json::Value,
    ) -> Result<Option<onestop_store::Checkpoint>, CommandError> {
        let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
        let new: Vec<NewEvent> =
            events.map(|(kind, payload)| NewEvent::new(kind, payload).with_metadata(metadata.clone())).collect();
        match self.store.append(stream, expected, &new).await {
            Ok(outcome) => {
                self.appended.send_modify(|n| *n = n.wrapping_add(1));
                Ok(Some(outcome.checkpoint))
            }
            Err(onestop_store::StoreError::WrongExpectedVersion { .. }) => {
                metrics::counter!("onestop_queue_conflicts_total").increment(1);
                Ok(None)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The in-process turn lock of a stream.
    fn turn(&self, stream: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = match self.turns.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        turns.retain(|name, lock| name == stream || Arc::strong_count(lock) > 1);
        turns.entry(stream.to_owned()).or_default().clone()
    }

    fn stream(&self, unit: &UnitCode) -> Result<StreamId, CommandError> {
        StreamId::new(stream_name(unit, self.clock.now()))
            .map_err(|e| CommandError::Invalid { field: "unit", reason: e.to_string() })
    }
}

fn booking_stream(unit: &UnitCode, day: Date) -> Result<StreamId, CommandError> {
    StreamId::new(booking::stream_name(unit, day))
        .map_err(|e| CommandError::Invalid { field: "unit", reason: e.to_string() })
}
