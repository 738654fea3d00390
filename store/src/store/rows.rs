//! How a stored row becomes a [`RecordedEvent`]: binary decoders for the
//! columns the generic conversions handle slowly, and upcasting on read.

use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type};

use crate::error::StoreError;
use crate::types::{RawJson, RecordedEvent};

use super::EventStore;

impl EventStore {
    /// Decodes rows already read.
    pub(super) fn events_from_rows(&self, rows: &[Row]) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            events.push(self.event_from_row(row)?);
        }
        Ok(events)
    }

    pub(super) fn event_from_row(&self, row: &Row) -> Result<RecordedEvent, StoreError> {
        let mut event = event_from_row(row)?;
        if self.upcasters.applies_to(&event.event_type, event.schema_version) {
            let upcast_error = |schema_version, reason| StoreError::Upcast {
                event_type: event.event_type.clone(),
                schema_version,
                reason,
            };
            let payload = event.payload.to_value().map_err(|e| upcast_error(event.schema_version, e.to_string()))?;
            let (version, payload) = self
                .upcasters
                .upcast(&event.event_type, event.schema_version, payload)
                .map_err(|(version, reason)| upcast_error(version, reason))?;
            event.schema_version = version;
            event.payload = RawJson(payload.to_string());
        }
        Ok(event)
    }
}

/// Reads a row selected with [`event_columns!`], exactly as stored (no upcasting).
pub(crate) fn event_from_row(row: &Row) -> Result<RecordedEvent, StoreError> {
    let global_position: i64 = row.try_get(0)?;
    let malformed = |reason: &str| StoreError::Malformed { global_position, reason: reason.to_owned() };
    let stream_version: i64 = row.try_get(3)?;
    let prev_hash: Option<&[u8]> = row.try_get(10)?;
    let hash: &[u8] = row.try_get(11)?;
    Ok(RecordedEvent {
        global_position,
        tx_id: row.try_get::<_, TxId>(1)?.0,
        stream_id: row.try_get(2)?,
        stream_version: u64::try_from(stream_version).map_err(|_| malformed("negative stream version"))?,
        event_id: row.try_get(4)?,
        event_type: row.try_get(5)?,
        schema_version: row.try_get(6)?,
        payload: row.try_get(7)?,
        metadata: row.try_get(8)?,
        recorded_at: row.try_get::<_, PgTimestamp>(9)?.0,
        prev_hash: prev_hash
            .map(<[u8; 32]>::try_from)
            .transpose()
            .map_err(|_| malformed("prev_hash is not 32 bytes"))?,
        hash: <[u8; 32]>::try_from(hash).map_err(|_| malformed("hash is not 32 bytes"))?,
    })
}

/// A full transaction id (`xid8`), read in binary: 64 bits, in practice far below 2^63.
struct TxId(i64);

impl<'a> FromSql<'a> for TxId {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let bytes: [u8; 8] = raw.try_into()?;
        Ok(TxId(i64::try_from(u64::from_be_bytes(bytes))?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::XID8
    }
}

/// A `timestamptz` read in binary: microseconds since 2000-01-01 UTC. Converted
/// with one addition, where the generic conversion does calendar arithmetic.
struct PgTimestamp(jiff::Timestamp);

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl<'a> FromSql<'a> for PgTimestamp {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let micros = i64::from_be_bytes(raw.try_into()?);
        let unix = micros.checked_add(PG_EPOCH_MICROS).ok_or("timestamp out of range")?;
        Ok(PgTimestamp(jiff::Timestamp::from_microsecond(unix)?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }
}

/// `json` arrives as the stored text; `jsonb` as a version byte and the text.
impl<'a> FromSql<'a> for RawJson {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let text = if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, text)) => text,
                _ => return Err("unsupported jsonb wire format version".into()),
            }
        } else {
            raw
        };
        Ok(RawJson(std::str::from_utf8(text)?.to_owned()))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }
}
