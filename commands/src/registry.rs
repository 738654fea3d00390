//! Changes to units, procedures, calendars and users, each appended to its own
//! stream and folded into the catalog at once.

use onestop_domain::access::{self, Actor, User};
use onestop_domain::calendar::{HolidayRule, YearArrangement, shipped_rules};
use onestop_domain::catalog::{Procedure, Unit};
use onestop_domain::ids::{UnitCode, UserId};
use onestop_domain::notice::{NoticeChannel, NoticeKind, NoticeTemplate, TEMPLATES_STREAM, set_template};
use onestop_domain::queue::{QUEUE_SET_UP, QueueSetup, SetupError, setup_stream};
use onestop_domain::registry::{
    CalendarEvent, HOLIDAY_RULES_STREAM, ProcedureEvent, RegistryError, UnitWrite, UserEvent, add_holiday_rule,
    arrange_calendar, check_user, end_holiday_rule, fold_holiday_rules, publish_procedure, save_unit,
};
use onestop_domain::role::Role;
use onestop_store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

use crate::catalog::CatalogCache;
use crate::error::CommandError;
use crate::metadata::{RequestMeta, event_id};
use crate::passwords::hash_password;

/// What a registry command gives: its result, or why it was refused.
type Outcome<T> = Result<T, CommandError>;

/// Shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 4;

/// A new account, with its password in clear (hashed before anything is stored).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub units: Vec<UnitCode>,
    pub password: String,
    pub email: Option<String>,
}

/// The write side for the catalog.
#[derive(Debug, Clone)]
pub struct RegistryService {
    store: EventStore,
    catalog: CatalogCache,
}

fn stream(id: String) -> Outcome<StreamId> {
    StreamId::new(id).map_err(|e| CommandError::Invalid { field: "id", reason: e.to_string() })
}

/// Administrators act on the units their grants reach.
pub(crate) fn require_admin_of(
    actor: &Actor,
    unit: &UnitCode,
    catalog_units: &onestop_domain::catalog::UnitTree,
) -> Outcome<()> {
    access::administer(actor, unit, catalog_units).map_err(CommandError::Forbidden)
}

impl RegistryService {
    pub fn new(store: EventStore, catalog: CatalogCache) -> Self {
        Self { store, catalog }
    }

    async fn append(
        &self,
        stream_id: StreamId,
        expected: ExpectedVersion,
        event_type: &str,
        payload: serde_json::Value,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> Outcome<()> {
        let command_id = meta.command_id(actor, stream_id.as_str());
        let event = NewEvent::new(event_type, payload.clone())
            .with_id(event_id(command_id, 0))
            .with_metadata(meta.to_metadata(actor, event_type, command_id));
        self.store.append(&stream_id, expected, &[event]).await?;
        self.catalog.apply_appended(stream_id.as_str(), event_type, &payload);
        Ok(())
    }

    /// Appends the next event of a catalog record's stream, refused if another
    /// change to the same record landed since the stream's head was read.
    async fn record(
        &self,
        stream_name: String,
        event_type: &str,
        payload: serde_json::Value,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> Outcome<()> {
        let stream_id = stream(stream_name)?;
        let expected = match self.store.stream_version(&stream_id).await? {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        self.append(stream_id, expected, event_type, payload, actor, meta).await
    }

    /// Registers a unit, or updates it when `write` allows.
    pub async fn save_unit(&self, actor: &Actor, unit: Unit, write: UnitWrite, meta: &RequestMeta) -> Outcome<Unit> {
        let catalog = self.catalog.snapshot();
        let existing = catalog.unit(&unit.code);
        // A new unit is created under a unit the administrator reaches; a
        // known one is changed by an administrator reaching it, and moved only
        // under a unit they reach too.
        let scope = match (existing, &unit.parent) {
            (None, Some(parent)) => parent,
            _ => &unit.code,
        };
        require_admin_of(actor, scope, &catalog.units)?;
        if let Some(existing) = existing
            && existing.parent != unit.parent
        {
            match &unit.parent {
                Some(parent) => require_admin_of(actor, parent, &catalog.units)?,
                // A unit taken out of the tree becomes a top of its own, and
                // whoever is granted it would oversee "everything": only an
                // administrator of the whole province may do that.
                None => access::province_wide(actor, &catalog.units, "make a unit a top unit")
                    .map_err(CommandError::Forbidden)?,
            }
        }
        let event = save_unit(existing, unit.clone(), &catalog.units, write)?;
        self.record(format!("unit-{}", unit.code), event.event_type(), event.payload(), actor, meta).await?;
        Ok(unit)
    }

    /// Publishes the next version of a procedure; returns it with its version.
    pub async fn publish_procedure(
        &self,
        actor: &Actor,
        procedure: Procedure,
        meta: &RequestMeta,
    ) -> Outcome<Procedure> {
        let catalog = self.catalog.snapshot();
        // The units that handle it now and those that will: an administrator of
        // one unit cannot take over another's procedure. Fixed steps may name
        // another agency's unit (liên thông), which the administrator need not
        // manage.
        let current = catalog.procedure(&procedure.code);
        let handling = current.into_iter().flat_map(|p| &p.handling_units);
        for unit in procedure.handling_units.iter().chain(handling) {
            require_admin_of(actor, unit, &catalog.units)?;
        }
        let event = publish_procedure(current, procedure, &catalog.units)?;
        let ProcedureEvent::ProcedurePublished { procedure } = &event;
        self.record(format!("procedure-{}", procedure.code), event.event_type(), event.payload(), actor, meta).await?;
        Ok(procedure.clone())
    }

    /// Records a year's published days off and swaps.
    pub async fn arrange_calendar(
        &self,
        actor: &Actor,
        arrangement: YearArrangement,
        meta: &RequestMeta,
    ) -> Outcome<YearArrangement> {
        self.require_calendar_admin(actor)?;
        let year = arrangement.year;
        let event = arrange_calendar(arrangement.clone())?;
        self.record(format!("calendar-{year}"), event.event_type(), event.payload(), actor, meta).await?;
        Ok(arrangement)
    }

    /// Adds a holiday rule (a new law, or a holiday changed from a year on).
    pub async fn add_holiday_rule(&self, actor: &Actor, rule: HolidayRule, meta: &RequestMeta) -> Outcome<HolidayRule> {
        self.require_calendar_admin(actor)?;
        let (rules, expected) = self.holiday_rules().await?;
        let event = add_holiday_rule(&rules, rule.clone())?;
        self.record_rules(&event, expected, actor, meta).await?;
        Ok(rule)
    }

    /// Ends a holiday rule after `last_year`.
    pub async fn end_holiday_rule(
        &self,
        actor: &Actor,
        holiday: &str,
        first_year: i16,
        last_year: i16,
        meta: &RequestMeta,
    ) -> Outcome<HolidayRule> {
        self.require_calendar_admin(actor)?;
        let (rules, expected) = self.holiday_rules().await?;
        let (event, ended) = end_holiday_rule(&rules, holiday, first_year, last_year)?;
        self.record_rules(&event, expected, actor, meta).await?;
        Ok(ended)
    }

    /// The holiday rules as the log has them now, and the version of their
    /// stream they were folded at: a change is decided on these and appended
    /// at that version, so of two concurrent changes the second is a conflict
    /// instead of a rule that overlaps the first.
    async fn holiday_rules(&self) -> Outcome<(Vec<HolidayRule>, ExpectedVersion)> {
        let stream_id = stream(HOLIDAY_RULES_STREAM.to_owned())?;
        let recorded = self.store.read_stream_all(&stream_id).await?;
        let mut events = Vec::with_capacity(recorded.len());
        for event in &recorded {
            match CalendarEvent::decode(&event.event_type, event.payload.as_str()) {
                Ok(decoded) => events.push(decoded),
                Err(error) => {
                    return Err(CommandError::Infrastructure(Box::new(error)));
                }
            }
        }
        let expected = match recorded.last() {
            None => ExpectedVersion::NoStream,
            Some(last) => ExpectedVersion::Exact(last.stream_version),
        };
        Ok((fold_holiday_rules(shipped_rules(), &events), expected))
    }

    async fn record_rules(
        &self,
        event: &CalendarEvent,
        expected: ExpectedVersion,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> Outcome<()> {
        let stream_id = stream(HOLIDAY_RULES_STREAM.to_owned())?;
        self.append(stream_id, expected, event.event_type(), event.payload(), actor, meta).await
    }

    /// The calendar is the whole province's: only its administrators change it.
    fn require_calendar_admin(&self, actor: &Actor) -> Outcome<()> {
        access::province_wide(actor, &self.catalog.snapshot().units, "change the calendar")
            .map_err(CommandError::Forbidden)
    }

    /// Creates an account.
    pub async fn register_user(&self, actor: &Actor, new: NewUser, meta: &RequestMeta) -> Outcome<User> {
        let catalog = self.catalog.snapshot();
        for unit in &new.units {
            require_admin_of(actor, unit, &catalog.units)?;
        }
        if catalog.account_by_username(&new.username).is_some() {
            return Err(RegistryError::UsernameTaken(new.username).into());
        }
        if new.password.chars().count() < MIN_PASSWORD_LENGTH {
            return Err(CommandError::Invalid {
                field: "password",
                reason: format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
            });
        }
        let user = User {
            // Derived from the name, so registering the same name twice (a retry,
            // or the demo loaded again) lands on the same stream.
            id: UserId(Uuid::new_v5(&Uuid::NAMESPACE_OID, new.username.to_lowercase().as_bytes())),
            username: new.username,
            full_name: new.full_name,
            role: new.role,
            units: new.units,
            active: true,
            email: new.email,
        };
        check_user(&user, &catalog.units)?;
        let password_hash = hash_password(&new.password)?;
        let event = UserEvent::UserRegistered { user: user.clone(), password_hash };
        let stream_id = stream(format!("user-{}", user.id))?;
        self.append(stream_id, ExpectedVersion::NoStream, event.event_type(), event.payload(), actor, meta).await?;
        Ok(user)
    }

    /// Changes an account's name, role, units or whether it may log in.
    pub async fn update_user(&self, actor: &Actor, user: User, meta: &RequestMeta) -> Outcome<User> {
        let catalog = self.catalog.snapshot();
        let Some(existing) = catalog.account(&user.id) else {
            return Err(CommandError::NotFound { what: "user", id: user.id.to_string() });
        };
        for unit in existing.user.units.iter().chain(&user.units) {
            require_admin_of(actor, unit, &catalog.units)?;
        }
        if let Some(other) = catalog.account_by_username(&user.username)
            && other.user.id != user.id
        {
            return Err(RegistryError::UsernameTaken(user.username).into());
        }
        check_user(&user, &catalog.units)?;
        let event = UserEvent::UserUpdated { user: user.clone() };
        self.record(format!("user-{}", user.id), event.event_type(), event.payload(), actor, meta).await?;
        Ok(user)
    }

    /// Sets a new password (an administrator, or the user for themself).
    pub async fn change_password(
        &self,
        actor: &Actor,
        user_id: UserId,
        password: &str,
        meta: &RequestMeta,
    ) -> Outcome<()> {
        let catalog = self.catalog.snapshot();
        let Some(account) = catalog.account(&user_id) else {
            return Err(CommandError::NotFound { what: "user", id: user_id.to_string() });
        };
        if actor.user_id != user_id {
            for unit in &account.user.units {
                require_admin_of(actor, unit, &catalog.units)?;
            }
        }
        if password.chars().count() < MIN_PASSWORD_LENGTH {
            return Err(CommandError::Invalid {
                field: "password",
                reason: format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
            });
        }
        let event = UserEvent::PasswordChanged { password_hash: hash_password(password)? };
        self.record(format!("user-{user_id}"), event.event_type(), event.payload(), actor, meta).await
    }

    /// Sets the words of one kind of notice on one channel. Templates are the
    /// whole province's, like the calendar: only its administrators change
    /// them, and every change is an event with its author.
    pub async fn set_notice_template(
        &self,
        actor: &Actor,
        kind: NoticeKind,
        channel: NoticeChannel,
        template: NoticeTemplate,
        meta: &RequestMeta,
    ) -> Outcome<NoticeTemplate> {
        access::province_wide(actor, &self.catalog.snapshot().units, "change the notice templates")
            .map_err(CommandError::Forbidden)?;
        let event = set_template(kind, channel, template.clone())
            .map_err(|e| CommandError::Invalid { field: e.field(), reason: e.to_string() })?;
        self.record(TEMPLATES_STREAM.to_owned(), event.event_type(), event.payload(), actor, meta).await?;
        Ok(template)
    }

    /// Sets a reception unit's service groups and counters (an administrator
    /// of the unit). Tickets already taken keep their numbers.
    pub async fn set_up_queue(
        &self,
        actor: &Actor,
        unit: &UnitCode,
        setup: QueueSetup,
        meta: &RequestMeta,
    ) -> Outcome<QueueSetup> {
        let catalog = self.catalog.snapshot();
        if catalog.unit(unit).is_none() {
            return Err(CommandError::NotFound { what: "unit", id: unit.to_string() });
        }
        require_admin_of(actor, unit, &catalog.units)?;
        setup.check().map_err(|e| {
            let field = match e {
                SetupError::DuplicateGroup(_) | SetupError::NoName(_) => "groups",
                SetupError::DuplicateCounter(_) | SetupError::UnknownGroup { .. } => "counters",
            };
            CommandError::Invalid { field, reason: e.to_string() }
        })?;
        let payload = serde_json::to_value(&setup).map_err(CommandError::infrastructure)?;
        self.record(setup_stream(unit), QUEUE_SET_UP, payload, actor, meta).await?;
        Ok(setup)
    }

    /// Whether a unit exists (for callers that must 404 first).
    pub fn unit_exists(&self, code: &UnitCode) -> bool {
        self.catalog.snapshot().unit(code).is_some()
    }
}
