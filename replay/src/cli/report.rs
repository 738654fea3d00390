//! `onestop-replay report`: the log replayed into a report of [`crate::reports`].

use super::{Failure, open_store};
use crate::reports;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's name.
    #[arg(required_unless_present = "list")]
    name: Option<String>,
    /// List the reports there are.
    #[arg(long)]
    list: bool,
    /// Where to write the CSV (default: standard output).
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
}

impl Args {
    pub async fn run(self, url: &str) -> Result<(), Failure> {
        if self.list {
            for report in reports::catalogue() {
                println!("{:28} {}", report.name(), report.description());
            }
            return Ok(());
        }
        run_report(url, self.name.as_deref().unwrap_or_default(), self.output).await
    }
}

async fn run_report(url: &str, name: &str, output: Option<std::path::PathBuf>) -> Result<(), Failure> {
    let mut chosen: Vec<_> = reports::catalogue().into_iter().filter(|r| r.name() == name).collect();
    if chosen.is_empty() {
        return Err(format!("no report is called {name:?}; see --list").into());
    }
    let store = open_store(url)?;
    let started = std::time::Instant::now();
    let events = reports::replay(&store, &mut chosen).await?;
    let report = chosen[0].as_ref();
    let rows = reports::write_table(&store, report).await?;
    match output {
        Some(path) => reports::write_csv(report, std::fs::File::create(path)?)?,
        None => reports::write_csv(report, std::io::stdout())?,
    }
    eprintln!(
        "{name}: {events} case events replayed, {rows} rows in {}.{} ({:.1} s)",
        reports::REPORT_SCHEMA,
        reports::table_name(report),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
