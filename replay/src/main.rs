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
    /// Recompute every stream's hash chain; exit 1 naming each broken stream/version.
    Verify,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify => verify(&cli.database_url).await,
    }
}

async fn verify(url: &str) -> ExitCode {
    let outcome = async {
        let config = onestop_migrations::parse_url(url)?;
        let pool = build_pool(&config, &PoolSettings::default())?;
        let store = EventStore::new(pool, config);
        Ok::<_, Box<dyn std::error::Error>>(store.verify().await?)
    }
    .await;
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
