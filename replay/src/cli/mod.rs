//! The `onestop-replay` command line: one module per subcommand, each with its
//! arguments and its own `run` over the library's modules. `main.rs` only
//! installs the allocator and calls [`run`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use onestop_store::{EventStore, PoolSettings, build_pool};

mod as_of;
mod export;
mod rebuild;
mod report;
mod seal;
mod simulate;
mod verify;

/// The command line.
#[derive(Debug, Parser)]
#[command(version, about = "Replay, verify and export the one-stop shop's event log")]
pub struct Cli {
    /// The database (default postgres://postgres@127.0.0.1:5432/onestop).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/onestop")]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Recompute every stream's hash chain and the latest seal; exit 1 naming each
    /// broken stream/version.
    Verify,
    /// Seal the log: append a digest of every stream's head (run it periodically,
    /// and keep the printed digest outside the system).
    Seal,
    /// Rebuild read models from position 0 beside the live ones, then swap them
    /// in (the server keeps serving the old ones until then; Ctrl-C leaves them
    /// untouched).
    Rebuild(rebuild::Args),
    /// A case, or the Biểu 06 report, as it stood at a past moment: a log
    /// position (a whole number), an RFC 3339 instant, or a day (its end).
    AsOf(as_of::Args),
    /// Replay the log into a report (see `--list`), write its table into the
    /// schema onestop_reports and its CSV to --output or standard output.
    Report(report::Args),
    /// Write the event log (or part of it) as NDJSON, CSV or Parquet. Personal
    /// data is left out unless an administrator asks for it.
    Export(export::Args),
    /// Generate a province-year of traffic through the command layer, and write
    /// the Biểu 06 it should produce (JSON) to --truth.
    Simulate(simulate::Args),
}

/// Runs the command the line names; the process exits with what it returns.
pub async fn run(cli: Cli) -> ExitCode {
    let url = cli.database_url.as_str();
    match cli.command {
        Command::Verify => verify::run(url).await,
        Command::Seal => seal::run(url).await,
        Command::Rebuild(args) => args.run(url).await,
        Command::AsOf(args) => exit_status(args.run(url).await),
        Command::Report(args) => exit_status(args.run(url).await),
        Command::Export(args) => exit_status(args.run(url).await),
        Command::Simulate(args) => exit_status(args.run(url).await),
    }
}

/// What a subcommand fails with: printed with its causes.
type Failure = Box<dyn std::error::Error>;

fn open_store(url: &str) -> Result<EventStore, Failure> {
    let config = onestop_migrations::parse_url(url)?;
    let pool = build_pool(&config, &PoolSettings::default())?;
    Ok(EventStore::new(pool, config))
}

/// Creates and migrates the database if needed, then opens it.
async fn prepare_store(url: &str) -> Result<EventStore, Failure> {
    let config = onestop_migrations::parse_url(url)?;
    onestop_migrations::prepare_database(&config).await?;
    open_store(url)
}

/// Exit status 0 on success; 2 with the cause chain on failure.
fn exit_status(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("onestop-replay: {}", onestop_store::error_chain(error.as_ref()));
            ExitCode::from(2)
        }
    }
}
