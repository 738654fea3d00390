//! `export`: the event log, or a filtered part of it, as NDJSON, CSV or Parquet
//! for pandas, R and DuckDB users.
//!
//! One row per event: position, transaction, stream, version, id, type, schema
//! version, recording time, payload and metadata (JSON text), and the event's
//! hash, so an exported file can be checked against the chain.
//!
//! Personal data is left out unless an administrator asks for it: applicants'
//! records (the `applicant-…` streams) are exported with a null payload and
//! `personal_data_withheld` set, and the client IP address is removed from
//! every event's metadata. With personal data, an applicant's record is
//! exported decrypted (null once erased: crypto-shredding holds for exports
//! too).
//!
//! Parquet is written with the `parquet` crate's Arrow writer (the Apache
//! implementation, which pandas, R's arrow and DuckDB read natively), Snappy
//! compressed.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use onestop_commands::personal::{APPLICANT_RECORDED, PersonalDataVault};
use onestop_domain::ids::ApplicantId;
use onestop_store::{Checkpoint, EventFilter, EventStore, RecordedEvent};
use serde_json::Value;

/// Rows read from the log per page (and per Parquet row group).
const PAGE: usize = 65_536;

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
    Parquet,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] onestop_store::StoreError),
    #[error("cannot open personal data: {0}")]
    Vault(#[from] onestop_commands::CommandError),
    #[error("cannot write the export")]
    Io(#[from] std::io::Error),
    #[error("cannot write CSV")]
    Csv(#[from] csv::Error),
    #[error("cannot write Parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("cannot build the Parquet columns")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("personal data is exported only for an active administrator with the right password")]
    NotAllowed,
}

/// Opens personal data for an export by `username`, who must be an active
/// administrator and give their password.
pub async fn personal_data_for(
    store: &EventStore,
    username: &str,
    password: &str,
) -> Result<PersonalData, ExportError> {
    let catalog = onestop_commands::catalog::CatalogCache::load(store.clone()).await?;
    let snapshot = catalog.snapshot();
    let allowed = snapshot.account_by_username(username).is_some_and(|account| {
        onestop_domain::access::may_export_personal_data(&account.user)
            && onestop_commands::passwords::verify_password(password, &account.password_hash)
    });
    if !allowed {
        return Err(ExportError::NotAllowed);
    }
    Ok(PersonalData::Included(Box::new(PersonalDataVault::new(store.clone()))))
}

/// One exported row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub global_position: i64,
    pub tx_id: i64,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_id: String,
    pub event_type: String,
    pub schema_version: i32,
    pub recorded_at: jiff::Timestamp,
    /// The payload as JSON text; empty when withheld.
    pub payload: Option<String>,
    pub metadata: String,
    pub personal_data_withheld: bool,
    pub hash: String,
}

/// Whether and how personal data goes into the export.
#[derive(Debug, Clone)]
pub enum PersonalData {
    Withheld,
    /// Decrypted from the vault (an administrator asked for it).
    Included(Box<PersonalDataVault>),
}

/// Turns a recorded event into an exported row.
async fn row(event: RecordedEvent, personal: &PersonalData) -> Result<Row, ExportError> {
    let is_applicant = event.stream_id.starts_with("applicant-");
    let (payload, withheld) = match (personal, is_applicant) {
        (_, false) => (Some(event.payload.as_str().to_owned()), false),
        (PersonalData::Withheld, true) => (None, true),
        (PersonalData::Included(vault), true) => {
            let opened = match event.stream_id.strip_prefix("applicant-").and_then(|id| id.parse().ok()) {
                Some(id) if event.event_type == APPLICANT_RECORDED => vault.open(ApplicantId(id)).await?,
                _ => None,
            };
            let text = match opened {
                Some(applicant) => serde_json::to_string(&applicant).ok(),
                None if event.event_type == APPLICANT_RECORDED => None,
                None => Some(event.payload.as_str().to_owned()),
            };
            (text, false)
        }
    };
    let metadata = match personal {
        PersonalData::Included(_) => event.metadata.as_str().to_owned(),
        PersonalData::Withheld => {
            let mut value: Value = serde_json::from_str(event.metadata.as_str()).unwrap_or(Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.remove("client_ip");
            }
            value.to_string()
        }
    };
    Ok(Row {
        global_position: event.global_position,
        tx_id: event.tx_id,
        stream_id: event.stream_id,
        stream_version: i64::try_from(event.stream_version).unwrap_or(i64::MAX),
        event_id: event.event_id.to_string(),
        event_type: event.event_type,
        schema_version: event.schema_version,
        recorded_at: event.recorded_at,
        payload,
        metadata,
        personal_data_withheld: withheld,
        hash: hex::encode(event.hash),
    })
}

/// Writes the events `filter` selects to `out`; returns how many rows.
pub async fn export(
    store: &EventStore,
    filter: &EventFilter,
    format: Format,
    personal: &PersonalData,
    out: impl Write + Send,
    mut progress: impl FnMut(u64),
) -> Result<u64, ExportError> {
    let mut sink = Sink::new(format, out)?;
    // Everything committed before the export starts is in it.
    store.wait_until_readable().await?;
    let mut after = Checkpoint::START;
    let mut written = 0_u64;
    loop {
        let events = store.read_filtered(filter, after, PAGE).await?;
        let Some(last) = events.last() else {
            break;
        };
        after = last.checkpoint();
        let full = events.len() == PAGE;
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            rows.push(row(event, personal).await?);
        }
        written += rows.len() as u64;
        sink.write(&rows)?;
        progress(written);
        if !full {
            break;
        }
    }
    sink.finish()?;
    Ok(written)
}

enum Sink<W: Write + Send> {
    Ndjson(std::io::BufWriter<W>),
    Csv(csv::Writer<W>),
    Parquet(parquet::arrow::ArrowWriter<W>),
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("global_position", DataType::Int64, false),
        Field::new("tx_id", DataType::Int64, false),
        Field::new("stream_id", DataType::Utf8, false),
        Field::new("stream_version", DataType::Int64, false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("schema_version", DataType::Int32, false),
        Field::new("recorded_at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("payload", DataType::Utf8, true),
        Field::new("metadata", DataType::Utf8, false),
        Field::new("personal_data_withheld", DataType::Boolean, false),
        Field::new("hash", DataType::Utf8, false),
    ]))
}

impl<W: Write + Send> Sink<W> {
    fn new(format: Format, out: W) -> Result<Self, ExportError> {
        Ok(match format {
            Format::Ndjson => Self::Ndjson(std::io::BufWriter::with_capacity(1 << 20, out)),
            Format::Csv => Self::Csv(csv::Writer::from_writer(out)),
            Format::Parquet => {
                let properties = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                Self::Parquet(parquet::arrow::ArrowWriter::try_new(out, schema(), Some(properties))?)
            }
        })
    }

    fn write(&mut self, rows: &[Row]) -> Result<(), ExportError> {
        match self {
            Self::Ndjson(out) => {
                for row in rows {
                    serde_json::to_writer(&mut *out, row).map_err(std::io::Error::from)?;
                    out.write_all(b"\n")?;
                }
            }
            Self::Csv(out) => {
                for row in rows {
                    out.serialize(row)?;
                }
            }
            Self::Parquet(out) => out.write(&batch(rows)?)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<(), ExportError> {
        match self {
            Self::Ndjson(mut out) => out.flush()?,
            Self::Csv(mut out) => out.flush()?,
            Self::Parquet(out) => {
                out.close()?;
            }
        }
        Ok(())
    }
}

/// The rows as Arrow columns.
fn batch(rows: &[Row]) -> Result<RecordBatch, ExportError> {
    let n = rows.len();
    let mut position = Int64Builder::with_capacity(n);
    let mut tx = Int64Builder::with_capacity(n);
    let mut stream = StringBuilder::new();
    let mut version = Int64Builder::with_capacity(n);
    let mut id = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut schema_version = Int32Builder::with_capacity(n);
    let mut recorded = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut payload = StringBuilder::new();
    let mut metadata = StringBuilder::new();
    let mut withheld = BooleanBuilder::with_capacity(n);
    let mut hash = StringBuilder::new();
    for row in rows {
        position.append_value(row.global_position);
        tx.append_value(row.tx_id);
        stream.append_value(&row.stream_id);
        version.append_value(row.stream_version);
        id.append_value(&row.event_id);
        kind.append_value(&row.event_type);
        schema_version.append_value(row.schema_version);
        recorded.append_value(row.recorded_at.as_microsecond());
        payload.append_option(row.payload.as_deref());
        metadata.append_value(&row.metadata);
        withheld.append_value(row.personal_data_withheld);
        hash.append_value(&row.hash);
    }
    let builders: [&mut dyn ArrayBuilder; 12] = [
        &mut position,
        &mut tx,
        &mut stream,
        &mut version,
        &mut id,
        &mut kind,
        &mut schema_version,
        &mut recorded,
        &mut payload,
        &mut metadata,
        &mut withheld,
        &mut hash,
    ];
    let columns: Vec<ArrayRef> = builders.into_iter().map(ArrayBuilder::finish).collect();
    Ok(RecordBatch::try_new(schema(), columns)?)
}
