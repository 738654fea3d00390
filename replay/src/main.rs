//! `onestop-replay`: turns the event log into answers for operators and statisticians.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use onestop_store::{EventStore, PoolSettings, build_pool};

#[derive(Parser)]
#[command(
    version,
    about = "Replay, verify and export the one-stop shop's event log"
)]
struct Cli {
    /// The database (default postgres://postgres@127.0.0.1:5432/onestop).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/onestop"
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Recompute every stream's hash chain and the latest seal; exit 1 naming each
    /// broken stream/version.
    Verify,
    /// Seal the log: append a digest of every stream's head (run it periodically,
    /// and keep the printed digest outside the system).
    Seal,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify => verify(&cli.database_url).await,
        Command::Seal => seal(&cli.database_url).await,
    }
}

fn open_store(url: &str) -> Result<EventStore, Box<dyn std::error::Error>> {
    let config = onestop_migrations::parse_url(url)?;
    let pool = build_pool(&config, &PoolSettings::default())?;
    Ok(EventStore::new(pool, config))
}

async fn seal(url: &str) -> ExitCode {
    let outcome =
        async { Ok::<_, Box<dyn std::error::Error>>(open_store(url)?.seal().await?) }.await;
    match outcome {
        Ok(seal) => {
            println!(
                "sealed {} events in {} streams up to transaction {} position {}: {}",
                seal.events,
                seal.streams,
                seal.up_to.tx_id,
                seal.up_to.global_position,
                seal.heads_digest
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("onestop-replay: {error}");
            ExitCode::from(2)
        }
    }
}

async fn verify(url: &str) -> ExitCode {
    let outcome =
        async { Ok::<_, Box<dyn std::error::Error>>(open_store(url)?.verify().await?) }.await;
    match outcome {
        Ok(report) => {
            for broken in &report.breaks {
                println!("BROKEN {broken}");
            }
            println!(
                "{} streams, {} events, {} broken",
                report.streams,
                report.events,
                report.breaks.len()
            );
            if report.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("onestop-replay: {error}");
            ExitCode::from(2)
        }
    }
}
