//! The catalog as the write side sees it: units, procedures (every version),
//! the working calendar, user accounts and notice templates, folded from their streams and kept in
//! memory. Refreshed after local catalog changes and every few seconds, so other
//! processes' changes arrive too.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use onestop_domain::access::User;
use onestop_domain::calendar::{
    FIRST_YEAR, LAST_YEAR, WorkingCalendar, YearArrangement, published_arrangements, shipped_rules,
};
use onestop_domain::catalog::{Procedure, Unit, UnitTree};
use onestop_domain::ids::{ProcedureCode, UnitCode, UserId};
use onestop_domain::notice::{TemplateEvent, Templates};
use onestop_domain::queue::{QUEUE_SET_UP, QueueSetup};
use onestop_domain::registry::{CalendarEvent, ProcedureEvent, UnitEvent, UserEvent, apply_holiday_rule_event};
use onestop_store::{Checkpoint, EventStore, StoreError};

/// A user account with its password hash.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub password_hash: String,
}

/// One consistent view of the catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub units: UnitTree,
    /// Every published version, by code.
    procedures: HashMap<ProcedureCode, Vec<Procedure>>,
    pub calendar: Arc<WorkingCalendar>,
    accounts: HashMap<UserId, Account>,
    usernames: HashMap<String, UserId>,
    /// The words of the notices to applicants and officers.
    pub notice_templates: Templates,
    /// Each reception unit's queue: its service groups and counters.
    queue_setups: HashMap<UnitCode, QueueSetup>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self {
            units: UnitTree::default(),
            procedures: HashMap::new(),
            calendar: Arc::new(WorkingCalendar::new(shipped_rules(), published_arrangements(), FIRST_YEAR..=LAST_YEAR)),
            accounts: HashMap::new(),
            usernames: HashMap::new(),
            notice_templates: Templates::default(),
            queue_setups: HashMap::new(),
        }
    }
}

impl Catalog {
    /// The current version of a procedure.
    pub fn procedure(&self, code: &ProcedureCode) -> Option<&Procedure> {
        self.procedures.get(code).and_then(|v| v.last())
    }

    /// A given version of a procedure.
    pub fn procedure_version(&self, code: &ProcedureCode, version: u32) -> Option<&Procedure> {
        self.procedures.get(code).and_then(|v| v.iter().find(|p| p.version == version))
    }

    /// Current versions of every procedure, by code.
    pub fn procedures(&self) -> impl Iterator<Item = &Procedure> {
        self.procedures.values().filter_map(|v| v.last())
    }

    pub fn unit(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.get(code)
    }

    /// The names of fields (lĩnh vực) by code, as the current procedures
    /// give them; of procedures by code; of units by code: what a report's
    /// rows are labelled with.
    pub fn field_names(&self) -> HashMap<String, String> {
        self.procedures().map(|p| (p.field.code.clone(), p.field.name.clone())).collect()
    }

    pub fn procedure_names(&self) -> HashMap<String, String> {
        self.procedures().map(|p| (p.code.to_string(), p.name.clone())).collect()
    }

    pub fn unit_names(&self) -> HashMap<String, String> {
        self.units.units().map(|u| (u.code.to_string(), u.name.clone())).collect()
    }

    /// A unit's queue setup, if it has one.
    pub fn queue_setup(&self, unit: &UnitCode) -> Option<&QueueSetup> {
        self.queue_setups.get(unit)
    }

    pub fn account(&self, id: &UserId) -> Option<&Account> {
        self.accounts.get(id)
    }

    pub fn account_by_username(&self, username: &str) -> Option<&Account> {
        self.usernames.get(&username.to_lowercase()).and_then(|id| self.accounts.get(id))
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// The arrangement in force for a year: an administrator's, or the shipped one.
    pub fn arrangement(&self, year: i16) -> Option<&YearArrangement> {
        self.calendar.arrangement(year)
    }

    /// Folds one catalog event in; folding the same event twice changes nothing.
    /// Malformed events are logged and skipped: a bad catalog record must not
    /// stop the whole write side.
    fn apply(&mut self, stream_id: &str, event_type: &str, payload: &str) {
        let outcome: Result<(), serde_json::Error> = (|| {
            if UnitEvent::TYPES.contains(&event_type) {
                match UnitEvent::decode(event_type, payload)? {
                    UnitEvent::UnitRegistered { unit } | UnitEvent::UnitUpdated { unit } => self.units.insert(unit),
                }
            } else if ProcedureEvent::TYPES.contains(&event_type) {
                let ProcedureEvent::ProcedurePublished { procedure } = ProcedureEvent::decode(event_type, payload)?;
                let versions = self.procedures.entry(procedure.code.clone()).or_default();
                versions.retain(|p| p.version != procedure.version);
                versions.push(procedure);
                versions.sort_by_key(|p| p.version);
            } else if CalendarEvent::TYPES.contains(&event_type) {
                let calendar = (*self.calendar).clone();
                let calendar = match CalendarEvent::decode(event_type, payload)? {
                    CalendarEvent::CalendarArranged { arrangement } => calendar.with_arrangement(&arrangement),
                    rules_event => {
                        let rules = apply_holiday_rule_event(calendar.rules().to_vec(), &rules_event);
                        calendar.with_rules(rules)
                    }
                };
                self.calendar = Arc::new(calendar);
            } else if event_type == QUEUE_SET_UP {
                let unit = stream_id.strip_prefix("queue-setup-").and_then(|u| u.parse::<UnitCode>().ok());
                if let Some(unit) = unit {
                    self.queue_setups.insert(unit, serde_json::from_str(payload)?);
                }
            } else if TemplateEvent::TYPES.contains(&event_type) {
                self.notice_templates.apply(TemplateEvent::decode(event_type, payload)?);
            } else if UserEvent::TYPES.contains(&event_type) {
                match UserEvent::decode(event_type, payload)? {
                    UserEvent::UserRegistered { user, password_hash } => {
                        self.usernames.insert(user.username.to_lowercase(), user.id);
                        self.accounts.insert(user.id, Account { user, password_hash });
                    }
                    UserEvent::UserUpdated { user } => {
                        if let Some(account) = self.accounts.get_mut(&user.id) {
                            self.usernames.remove(&account.user.username.to_lowercase());
                            self.usernames.insert(user.username.to_lowercase(), user.id);
                            account.user = user;
                        }
                    }
                    UserEvent::PasswordChanged { password_hash } => {
                        let id = stream_id.strip_prefix("user-").and_then(|s| s.parse().ok()).map(UserId);
                        if let Some(account) = id.and_then(|id| self.accounts.get_mut(&id)) {
                            account.password_hash = password_hash;
                        }
                    }
                }
            }
            Ok(())
        })();
        if let Err(error) = outcome {
            tracing::error!(%error, stream = stream_id, event_type, "skipping an unreadable catalog event");
        }
    }
}

/// Every stored event type the catalog folds.
fn catalog_types() -> Vec<&'static str> {
    UnitEvent::TYPES
        .iter()
        .chain(ProcedureEvent::TYPES)
        .chain(CalendarEvent::TYPES)
        .chain(UserEvent::TYPES)
        .chain(TemplateEvent::TYPES)
        .chain(&[QUEUE_SET_UP])
        .copied()
        .collect()
}

/// The shared, refreshable catalog.
#[derive(Debug, Clone)]
pub struct CatalogCache {
    store: EventStore,
    /// Copy-on-write: a snapshot is an `Arc` clone; a change clones the catalog
    /// only while an older snapshot is still in use.
    state: Arc<RwLock<(Arc<Catalog>, Checkpoint)>>,
    refresh_lock: Arc<tokio::sync::Mutex<()>>,
}

impl CatalogCache {
    /// Loads the whole catalog from the log.
    pub async fn load(store: EventStore) -> Result<Self, StoreError> {
        let cache = Self {
            store,
            state: Arc::new(RwLock::new((Arc::new(Catalog::default()), Checkpoint::START))),
            refresh_lock: Arc::new(tokio::sync::Mutex::new(())),
        };
        cache.refresh().await?;
        Ok(cache)
    }

    /// A snapshot to decide with; cheap to take, never blocks a refresh for long.
    pub fn snapshot(&self) -> Arc<Catalog> {
        match self.state.read() {
            Ok(guard) => Arc::clone(&guard.0),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().0),
        }
    }

    /// Reads catalog events appended since the last refresh.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let types = catalog_types();
        let mut checkpoint = self.checkpoint();
        loop {
            let batch = self.store.read_types(&types, checkpoint, 1000).await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            checkpoint = last.checkpoint();
            let mut guard = match self.state.write() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            let catalog = Arc::make_mut(&mut guard.0);
            for event in &batch {
                catalog.apply(&event.stream_id, &event.event_type, event.payload.as_str());
            }
            guard.1 = checkpoint;
        }
    }

    /// Folds in an event this process has just appended, before the log's readers
    /// can see it: the next command sees the change at once.
    pub fn apply_appended(&self, stream_id: &str, event_type: &str, payload: &serde_json::Value) {
        let payload = payload.to_string();
        let mut guard = match self.state.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::make_mut(&mut guard.0).apply(stream_id, event_type, &payload);
    }

    fn checkpoint(&self) -> Checkpoint {
        match self.state.read() {
            Ok(guard) => guard.1,
            Err(poisoned) => poisoned.into_inner().1,
        }
    }

    /// Refreshes every `period` until the returned task is dropped or aborted.
    pub fn spawn_refresher(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            loop {
                ticker.tick().await;
                if let Err(error) = cache.refresh().await {
                    tracing::warn!(%error, "catalog refresh failed; retrying");
                }
            }
        })
    }
}
