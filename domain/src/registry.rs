//! The catalog, units, calendars and users are event-sourced too, so that who
//! changed a deadline or a grant is audited. Each record is a stream:
//! `unit-<code>`, `procedure-<code>`, `calendar-<year>`, `user-<uuid>`.
//! These are the rules for changing them.

use serde::{Deserialize, Serialize};

use crate::access::User;
use crate::calendar::{ArrangementError, HolidayRule, HolidayRuleError, YearArrangement, end_rule};
use crate::catalog::{CatalogError, Procedure, StepUnit, Unit, UnitTree};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnitEvent {
    UnitRegistered { unit: Unit },
    UnitUpdated { unit: Unit },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcedureEvent {
    /// A new version; cases received from now on follow it.
    ProcedurePublished { procedure: Procedure },
}

/// Calendar changes: a year's arrangement in `calendar-<year>`, holiday rules in
/// `calendar-rules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalendarEvent {
    CalendarArranged {
        arrangement: YearArrangement,
    },
    /// A law adds a holiday, or changes one from a year on.
    HolidayRuleAdded {
        rule: HolidayRule,
    },
    /// A law ends a holiday rule: `last_year` is its last year in force.
    HolidayRuleEnded {
        holiday: String,
        first_year: i16,
        last_year: i16,
    },
}

/// The stream of the holiday rules.
pub const HOLIDAY_RULES_STREAM: &str = "calendar-rules";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    /// `password_hash` is an argon2id PHC string, never the password.
    UserRegistered {
        user: User,
        password_hash: String,
    },
    UserUpdated {
        user: User,
    },
    PasswordChanged {
        password_hash: String,
    },
}

macro_rules! stored_names {
    ($enum:ident { $($variant:ident),* }) => {
        impl $enum {
            /// The stored `event_type`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => stringify!($variant),)*
                }
            }

            /// The stored payload (the variant's fields as an object).
            pub fn payload(&self) -> serde_json::Value {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::Object(mut outer)) => outer
                        .remove(self.event_type())
                        .unwrap_or(serde_json::Value::Null),
                    _ => serde_json::Value::Null,
                }
            }

            /// Decodes a stored event of this record kind.
            pub fn decode(event_type: &str, payload: &str) -> Result<Self, serde_json::Error> {
                let inner: serde_json::Value = serde_json::from_str(payload)?;
                serde_json::from_value(serde_json::json!({ event_type: inner }))
            }

            /// Every stored event type of this record kind.
            pub const TYPES: &'static [&'static str] = &[$(stringify!($variant)),*];
        }
    };
}

pub(crate) use stored_names;

stored_names!(UnitEvent { UnitRegistered, UnitUpdated });
stored_names!(ProcedureEvent { ProcedurePublished });
stored_names!(CalendarEvent { CalendarArranged, HolidayRuleAdded, HolidayRuleEnded });
stored_names!(UserEvent { UserRegistered, UserUpdated, PasswordChanged });

/// A change to the catalog the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("unit {0} is already registered")]
    UnitExists(String),
    #[error("unit {0} is not registered")]
    UnitMissing(String),
    #[error("the unit needs a name")]
    UnitNameMissing,
    #[error("parent unit {0} is not registered")]
    ParentMissing(String),
    #[error("unit {0} cannot be placed under itself or its own subtree")]
    UnitCycle(String),
    #[error("procedure {code}: {source}")]
    Procedure {
        code: String,
        #[source]
        source: CatalogError,
    },
    #[error("procedure {code} names unit {unit}, which is not registered")]
    ProcedureUnitMissing { code: String, unit: String },
    #[error(transparent)]
    Calendar(#[from] ArrangementError),
    #[error(transparent)]
    HolidayRule(#[from] HolidayRuleError),
    #[error("user name {0:?} is taken")]
    UsernameTaken(String),
    #[error("user {0} is not registered")]
    UserMissing(String),
    #[error("user name must be 3–64 letters, digits, dots, dashes or underscores")]
    UsernameInvalid,
    #[error("the user needs at least one unit")]
    UserWithoutUnit,
}

/// What a write of a unit may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitWrite {
    /// Register a new unit only (a unit with its code is a conflict).
    Register,
    /// Register it, or update it if it is known.
    RegisterOrUpdate,
}

/// Registers or updates a unit, keeping the tree a tree.
pub fn save_unit(
    existing: Option<&Unit>,
    unit: Unit,
    tree: &UnitTree,
    write: UnitWrite,
) -> Result<UnitEvent, RegistryError> {
    if existing.is_some() && write == UnitWrite::Register {
        return Err(RegistryError::UnitExists(unit.code.to_string()));
    }
    if unit.name.trim().is_empty() {
        return Err(RegistryError::UnitNameMissing);
    }
    if let Some(parent) = &unit.parent {
        if tree.get(parent).is_none() {
            return Err(RegistryError::ParentMissing(parent.to_string()));
        }
        if tree.is_within(parent, &unit.code) {
            return Err(RegistryError::UnitCycle(unit.code.to_string()));
        }
    }
    Ok(match existing {
        None => UnitEvent::UnitRegistered { unit },
        Some(_) => UnitEvent::UnitUpdated { unit },
    })
}

/// Publishes the next version of a procedure.
pub fn publish_procedure(
    current: Option<&Procedure>,
    mut procedure: Procedure,
    tree: &UnitTree,
) -> Result<ProcedureEvent, RegistryError> {
    let code = procedure.code.to_string();
    procedure.version = current.map_or(1, |p| p.version + 1);
    procedure.validate().map_err(|source| RegistryError::Procedure { code: code.clone(), source })?;
    let fixed = procedure.workflow.iter().filter_map(|s| match &s.unit {
        StepUnit::Fixed(unit) => Some(unit),
        _ => None,
    });
    for unit in procedure.handling_units.iter().chain(fixed) {
        if tree.get(unit).is_none() {
            return Err(RegistryError::ProcedureUnitMissing { code, unit: unit.to_string() });
        }
    }
    Ok(ProcedureEvent::ProcedurePublished { procedure })
}

/// Records a year's published arrangement.
pub fn arrange_calendar(arrangement: YearArrangement) -> Result<CalendarEvent, RegistryError> {
    arrangement.validate()?;
    Ok(CalendarEvent::CalendarArranged { arrangement })
}

/// The holiday rules after the events of the rules stream, from the shipped
/// ones: an addition replaces the rule of the same holiday and first year, an
/// ending shortens it; an event the rules before it refuse (an overlap two
/// concurrent writers let through) is skipped, so every reader folds the same
/// rules.
pub fn fold_holiday_rules<'a>(
    shipped: Vec<HolidayRule>,
    events: impl IntoIterator<Item = &'a CalendarEvent>,
) -> Vec<HolidayRule> {
    events.into_iter().fold(shipped, apply_holiday_rule_event)
}

/// One event of the rules stream folded in (see [`fold_holiday_rules`]).
pub fn apply_holiday_rule_event(mut rules: Vec<HolidayRule>, event: &CalendarEvent) -> Vec<HolidayRule> {
    let same = |r: &HolidayRule, holiday: &str, first_year: i16| r.holiday == holiday && r.first_year == first_year;
    match event {
        CalendarEvent::HolidayRuleAdded { rule } => {
            let others: Vec<HolidayRule> =
                rules.iter().filter(|r| !same(r, &rule.holiday, rule.first_year)).cloned().collect();
            if rule.validate(&others).is_ok() {
                rules.retain(|r| !same(r, &rule.holiday, rule.first_year));
                rules.push(rule.clone());
            }
        }
        CalendarEvent::HolidayRuleEnded { holiday, first_year, last_year } => {
            if let Ok(ended) = end_rule(&rules, holiday, *first_year, *last_year)
                && let Some(rule) = rules.iter_mut().find(|r| same(r, holiday, *first_year))
            {
                *rule = ended;
            }
        }
        CalendarEvent::CalendarArranged { .. } => {}
    }
    rules
}

/// Adds a holiday rule, checked against the rules in force.
pub fn add_holiday_rule(rules: &[HolidayRule], rule: HolidayRule) -> Result<CalendarEvent, RegistryError> {
    rule.validate(rules)?;
    Ok(CalendarEvent::HolidayRuleAdded { rule })
}

/// Ends the rule of `holiday` that began in `first_year`; returns the event and
/// the rule as it now stands.
pub fn end_holiday_rule(
    rules: &[HolidayRule],
    holiday: &str,
    first_year: i16,
    last_year: i16,
) -> Result<(CalendarEvent, HolidayRule), RegistryError> {
    let ended = end_rule(rules, holiday, first_year, last_year)?;
    Ok((CalendarEvent::HolidayRuleEnded { holiday: holiday.to_owned(), first_year, last_year }, ended))
}

/// Checks a user record before it is registered or updated.
pub fn check_user(user: &User, tree: &UnitTree) -> Result<(), RegistryError> {
    let name_ok = (3..=64).contains(&user.username.len())
        && user.username.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    if !name_ok {
        return Err(RegistryError::UsernameInvalid);
    }
    if user.units.is_empty() {
        return Err(RegistryError::UserWithoutUnit);
    }
    for unit in &user.units {
        if tree.get(unit).is_none() {
            return Err(RegistryError::UnitMissing(unit.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: code.parse().unwrap(),
            name: "x".into(),
            parent: parent.map(|p| p.parse().unwrap()),
            office_hours: Default::default(),
            active: true,
        }
    }

    #[test]
    fn units_keep_the_tree_a_tree() {
        let tree = UnitTree::new([unit("000.00.00.H22", None), unit("000.00.01.H22", Some("000.00.00.H22"))]);
        assert!(matches!(
            save_unit(None, unit("000.00.02.H22", Some("000.00.00.H22")), &tree, UnitWrite::Register),
            Ok(UnitEvent::UnitRegistered { .. })
        ));
        assert_eq!(
            save_unit(None, unit("000.00.02.H22", Some("000.00.09.H22")), &tree, UnitWrite::Register),
            Err(RegistryError::ParentMissing("000.00.09.H22".into()))
        );
        // The root under its own child: a cycle.
        let root = tree.get(&"000.00.00.H22".parse().unwrap()).cloned();
        assert_eq!(
            save_unit(root.as_ref(), unit("000.00.00.H22", Some("000.00.01.H22")), &tree, UnitWrite::RegisterOrUpdate),
            Err(RegistryError::UnitCycle("000.00.00.H22".into()))
        );
        // Registering a code already registered is a conflict; saving it updates.
        let child = tree.get(&"000.00.01.H22".parse().unwrap()).cloned();
        let again = || unit("000.00.01.H22", Some("000.00.00.H22"));
        assert_eq!(
            save_unit(child.as_ref(), again(), &tree, UnitWrite::Register),
            Err(RegistryError::UnitExists("000.00.01.H22".into()))
        );
        assert!(matches!(
            save_unit(child.as_ref(), again(), &tree, UnitWrite::RegisterOrUpdate),
            Ok(UnitEvent::UnitUpdated { .. })
        ));
    }

    #[test]
    fn stored_form_round_trips() {
        let event = UnitEvent::UnitRegistered { unit: unit("000.00.00.H22", None) };
        let payload = event.payload().to_string();
        assert!(payload.starts_with("{\"unit\""));
        assert_eq!(UnitEvent::decode(event.event_type(), &payload).unwrap(), event);
    }
}
