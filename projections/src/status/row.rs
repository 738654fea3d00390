//! The `case_status` row, declared once: each column's name, Rust and SQL
//! types and how it is read from a folded case. The batch struct, the column
//! list for COPY, the statement parameters and the bulk UPDATE all come from
//! this one declaration, so a new column is one line here (and a migration).

use std::sync::LazyLock;

use jiff::Timestamp;
use onestop_domain::case::{CaseState, Timeliness};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::snake;
use crate::copy::CopyValue;

macro_rules! case_row {
    (
        |$id:ident, $state:ident, $step:ident, $last_event_at:ident|
        $($column:ident: $rust:ty as $sql:literal = $value:expr;)*
    ) => {
        /// Case rows gathered column by column, for one statement or COPY.
        #[derive(Default)]
        pub(super) struct Rows {
            $(pub(super) $column: Vec<$rust>,)*
        }

        /// The columns of `case_status`, in declaration order; the key first.
        pub(super) const COLUMNS: &[&str] = &[$(stringify!($column)),*];

        /// Their SQL types, in the same order.
        const SQL_TYPES: &[&str] = &[$($sql),*];

        impl Rows {
            /// Adds the row of case `id` as folded, last changed at `last_event_at`.
            pub(super) fn push(&mut self, $id: Uuid, $state: &CaseState, $last_event_at: Timestamp) {
                let $step = $state.current_step();
                $(self.$column.push($value);)*
            }

            /// The columns as statement parameters, in [`COLUMNS`] order.
            pub(super) fn params(&self) -> [&(dyn ToSql + Sync); COLUMNS.len()] {
                [$(&self.$column),*]
            }

            /// Row `i`, in [`COLUMNS`] order.
            pub(super) fn row(&self, i: usize) -> [&dyn CopyValue; COLUMNS.len()] {
                [$(&self.$column[i]),*]
            }
        }
    };
}

case_row! {
    |id, state, step, last_event_at|
    case_id: Uuid as "uuid" = id;
    code: Option<String> as "text" = state.code.as_ref().map(ToString::to_string);
    lookup_secret_hash: Option<String> as "text" = state.lookup_secret_hash.clone();
    procedure_code: String as "text" =
        state.procedure.as_ref().map(|p| p.code.to_string()).unwrap_or_default();
    procedure_version: i32 as "int4" = state
        .procedure
        .as_ref()
        .map_or(0, |p| i32::try_from(p.version).unwrap_or(i32::MAX));
    field_code: String as "text" = state.field_code.clone().unwrap_or_default();
    receiving_unit: String as "text" =
        state.receiving_unit.as_ref().map(ToString::to_string).unwrap_or_default();
    current_unit: String as "text" =
        state.current_unit().map(ToString::to_string).unwrap_or_default();
    current_step: Option<i32> as "int4" =
        step.map(|s| i32::try_from(s.index).unwrap_or(i32::MAX));
    holder_role: Option<String> as "text" = step.map(|s| s.role.as_str().to_owned());
    assignee: Option<Uuid> as "uuid" = step.and_then(|s| s.assignee).map(|u| u.0);
    status: i16 as "int2" = i16::from(state.status_code().unwrap_or(0));
    channel: String as "text" = state.channel.and_then(|c| snake(&c)).unwrap_or_default();
    applicant_id: Option<Uuid> as "uuid" = state.applicant.map(|a| a.0);
    filed_at: Timestamp as "timestamptz" =
        state.submitted_at.or(state.received_at).unwrap_or(last_event_at);
    submitted_at: Option<Timestamp> as "timestamptz" = state.submitted_at;
    received_at: Option<Timestamp> as "timestamptz" = state.received_at;
    due_at: Option<Timestamp> as "timestamptz" = state.due_at;
    step_due_at: Option<Timestamp> as "timestamptz" = step.map(|s| s.due_at);
    paused_since: Option<Timestamp> as "timestamptz" = state.paused_since;
    finished_at: Option<Timestamp> as "timestamptz" = state.finished_at;
    outcome: Option<String> as "text" = state.outcome.and_then(|o| snake(&o));
    punctuality: Option<String> as "text" =
        match state.finished_at.and_then(|f| state.timeliness(f)) {
            Some(Timeliness::Finished(p)) => snake(&p),
            _ => None,
        };
    returned_at: Option<Timestamp> as "timestamptz" = state.returned_at;
    handover_pending: bool as "bool" = state.handover_pending;
    version: i64 as "int8" = i64::try_from(state.version).unwrap_or(i64::MAX);
    last_event_at: Timestamp as "timestamptz" = last_event_at;
    state: Vec<u8> as "bytea" = super::encode_state(state);
}

impl Rows {
    pub(super) fn len(&self) -> usize {
        self.case_id.len()
    }
}

/// Updates the rows of known cases from one array parameter per column.
pub(super) static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let (key, rest) = (COLUMNS[0], &COLUMNS[1..]);
    let set: Vec<String> = rest.iter().map(|c| format!("{c} = u.{c}")).collect();
    let arrays: Vec<String> = SQL_TYPES.iter().enumerate().map(|(i, sql)| format!("${}::{sql}[]", i + 1)).collect();
    format!(
        "UPDATE case_status c SET {} FROM unnest({}) AS u({}) WHERE c.{key} = u.{key}",
        set.join(", "),
        arrays.join(", "),
        COLUMNS.join(", "),
    )
});

/// Starts a binary COPY of case rows.
pub(super) fn copy_statement() -> String {
    format!("COPY case_status ({}) FROM STDIN (FORMAT binary)", COLUMNS.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_update_sets_every_column_but_the_key_from_its_own_typed_array() {
        assert_eq!(COLUMNS.len(), SQL_TYPES.len());
        assert_eq!(COLUMNS[0], "case_id");
        assert!(
            UPDATE.starts_with("UPDATE case_status c SET code = u.code, lookup_secret_hash = u.lookup_secret_hash,")
        );
        assert!(UPDATE.contains("unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int4[]"));
        assert!(UPDATE.contains("$28::bytea[]) AS u(case_id, code,"));
        assert!(UPDATE.ends_with("last_event_at, state) WHERE c.case_id = u.case_id"));
        assert!(!UPDATE.contains("SET case_id"));
    }
}
