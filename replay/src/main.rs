//! `onestop-replay`: turns the event log into answers for operators and statisticians.

use std::process::ExitCode;

use std::sync::Arc;

use clap::{Parser, Subcommand};
use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;
use onestop_replay::simulate;
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
    /// Generate a province-year of traffic through the command layer, and write
    /// the Biểu 06 it should produce (JSON) to --truth.
    Simulate {
        /// How many files to generate.
        #[arg(long, default_value_t = 10_000)]
        cases: usize,
        /// The same seed gives the same cases, times and outcomes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The year the files arrive in.
        #[arg(long, default_value_t = 2025)]
        year: i16,
        /// Communes (1–99) receiving files.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(1..=99))]
        communes: u8,
        /// Where to write the ground truth.
        #[arg(long, default_value = "simulation-truth.json")]
        truth: std::path::PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify => verify(&cli.database_url).await,
        Command::Seal => seal(&cli.database_url).await,
        Command::Simulate {
            cases,
            seed,
            year,
            communes,
            truth,
        } => {
            let options = simulate::Options {
                cases,
                seed,
                year,
                communes: usize::from(communes),
                ..simulate::Options::default()
            };
            report(simulate(&cli.database_url, &options, &truth).await)
        }
    }
}

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
fn report(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let text = onestop_projections::runner::error_chain(error.as_ref());
            eprintln!("onestop-replay: {text}");
            ExitCode::from(2)
        }
    }
}

async fn simulate(
    url: &str,
    options: &simulate::Options,
    truth_path: &std::path::Path,
) -> Result<(), Failure> {
    let store = prepare_store(url).await?;
    let catalog = CatalogCache::load(store.clone()).await?;
    let registry = RegistryService::new(store.clone(), catalog.clone());
    let cases = CaseService::new(store, catalog, Arc::new(SystemClock));
    let started = std::time::Instant::now();
    let truth = simulate::run(&cases, &registry, options, |done, total| {
        eprint!("\rsimulated {done} of {total} files");
    })
    .await?;
    eprintln!();
    std::fs::write(truth_path, serde_json::to_vec_pretty(&truth)?)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} files, {} events in {seconds:.1} s ({:.0} events/s); ground truth in {}",
        truth.cases,
        truth.events,
        truth.events as f64 / seconds,
        truth_path.display()
    );
    Ok(())
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
