//! `onestop-replay export`: the log, or part of it, as NDJSON, CSV or Parquet.

use onestop_store::EventFilter;

use super::{Failure, open_store};
use crate::as_of;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "ndjson")]
    format: ExportFormat,
    /// The file to write (default: standard output).
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
    /// Only streams whose id starts with this (e.g. `case-`).
    #[arg(long)]
    stream_prefix: Option<String>,
    /// Only these event types (comma-separated).
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
    /// Only events recorded at or after this instant (RFC 3339) or day (UTC+7).
    #[arg(long, value_parser = parse_instant)]
    from: Option<jiff::Timestamp>,
    /// Only events recorded before this instant, or before the end of this day.
    #[arg(long, value_parser = parse_instant_end)]
    to: Option<jiff::Timestamp>,
    /// Include applicants' personal data, decrypted; needs --admin.
    #[arg(long, requires = "admin")]
    with_personal_data: bool,
    /// The administrator asking for personal data; their password is read
    /// from ONESTOP_ADMIN_PASSWORD.
    #[arg(long)]
    admin: Option<String>,
}

impl Args {
    pub async fn run(self, url: &str) -> Result<(), Failure> {
        let filter = EventFilter {
            stream_prefix: self.stream_prefix,
            event_types: (!self.types.is_empty()).then_some(self.types),
            recorded_from: self.from,
            recorded_before: self.to,
        };
        let admin = self.admin.filter(|_| self.with_personal_data);
        export(url, &filter, self.format.into(), admin, self.output).await
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Ndjson,
    Csv,
    Parquet,
}

impl From<ExportFormat> for crate::export::Format {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Ndjson => Self::Ndjson,
            ExportFormat::Csv => Self::Csv,
            ExportFormat::Parquet => Self::Parquet,
        }
    }
}

/// An RFC 3339 instant, or a day (its start in Vietnam's time).
fn parse_instant(text: &str) -> Result<jiff::Timestamp, String> {
    as_of::instant_or_day(text, as_of::DayEdge::Start)
}

/// As [`parse_instant`], but a day means its end (the next day's start).
fn parse_instant_end(text: &str) -> Result<jiff::Timestamp, String> {
    as_of::instant_or_day(text, as_of::DayEdge::End)
}

async fn export(
    url: &str,
    filter: &EventFilter,
    format: crate::export::Format,
    admin: Option<String>,
    output: Option<std::path::PathBuf>,
) -> Result<(), Failure> {
    use crate::export::{PersonalData, export, personal_data_for};
    let store = open_store(url)?;
    let personal = match admin {
        Some(username) => {
            let password = std::env::var("ONESTOP_ADMIN_PASSWORD").unwrap_or_default();
            personal_data_for(&store, &username, &password).await?
        }
        None => PersonalData::Withheld,
    };
    let started = std::time::Instant::now();
    let progress = |rows: u64| eprint!("\rexported {rows} events");
    let rows = match output {
        Some(path) => {
            let file = std::fs::File::create(&path)?;
            export(&store, filter, format, &personal, file, progress).await?
        }
        None => export(&store, filter, format, &personal, std::io::stdout(), progress).await?,
    };
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("\rexported {rows} events in {seconds:.1} s ({:.0} rows/s)", rows as f64 / seconds.max(1e-9));
    Ok(())
}
