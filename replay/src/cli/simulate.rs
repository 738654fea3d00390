//! `onestop-replay simulate`: a province-year of traffic through the command
//! layer, with the Biểu 06 it should produce.

use std::sync::Arc;

use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;

use super::{Failure, prepare_store};
use crate::simulate;

#[derive(Debug, clap::Args)]
pub struct Args {
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
}

impl Args {
    pub async fn run(self, url: &str) -> Result<(), Failure> {
        let options = simulate::Options {
            cases: self.cases,
            seed: self.seed,
            year: self.year,
            communes: usize::from(self.communes),
            ..simulate::Options::default()
        };
        simulate(url, &options, &self.truth).await
    }
}

async fn simulate(url: &str, options: &simulate::Options, truth_path: &std::path::Path) -> Result<(), Failure> {
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
    let user = simulate::STATISTICIAN;
    match simulate::ensure_statistician(&registry, cases.catalog()).await? {
        Some(password) => println!(
            "the simulated province's statistician: log in as {user} with password {password} \
             (shown only now), then GET /api/v1/stats/report?unit={}&from={}&to={}",
            simulate::province_unit(),
            truth.from,
            truth.to
        ),
        None => println!("the simulated province's statistician {user} exists already; its password is unchanged"),
    }
    Ok(())
}
