//! `onestop-replay rebuild`: read models rebuilt beside the live ones, then
//! swapped in, with a progress bar or JSON lines.

use std::process::ExitCode;

use onestop_projections::rebuild::{Mode, Phase, ReadModel};

use super::{Failure, exit_status, prepare_store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `status` (case_status: status view, audit trail, feed), `stats`
    /// (case_stats), `search` (the applicants' blind index, under
    /// ONESTOP_SEARCH_KEY) or `queue` (queue tickets and their visits to
    /// counters); several may be named.
    #[arg(required_unless_present = "all", value_parser = parse_read_model)]
    read_models: Vec<ReadModel>,
    /// Every read model.
    #[arg(long, conflicts_with = "read_models")]
    all: bool,
    /// Apply batch by batch as the live runner does, instead of folding in
    /// memory (slower; for logs whose cases do not fit in memory).
    #[arg(long)]
    incremental: bool,
    /// Progress as JSON lines on stdout instead of a progress bar.
    #[arg(long)]
    json: bool,
}

fn parse_read_model(text: &str) -> Result<ReadModel, String> {
    ReadModel::parse(text).ok_or_else(|| format!("unknown read model {text:?}: status, stats, search or queue"))
}

impl Args {
    /// Rebuilds; Ctrl-C stops it (exit 130) and leaves the live models as they were.
    pub async fn run(self, url: &str) -> ExitCode {
        let models = if self.all { ReadModel::ALL.to_vec() } else { self.read_models };
        let mode = if self.incremental { Mode::Incremental } else { Mode::Bulk };
        tokio::select! {
            outcome = rebuild(url, &models, mode, self.json) => exit_status(outcome),
            _ = tokio::signal::ctrl_c() => {
                eprintln!("\nonestop-replay: cancelled; the live read models are untouched");
                ExitCode::from(130)
            }
        }
    }
}

async fn rebuild(url: &str, models: &[ReadModel], mode: Mode, json: bool) -> Result<(), Failure> {
    // The server's key: the search index is rebuilt under the key it searches with.
    let configured = std::env::var("ONESTOP_SEARCH_KEY").ok().filter(|key| !key.trim().is_empty());
    if configured.is_none() && models.contains(&ReadModel::Search) {
        eprintln!("onestop-replay: ONESTOP_SEARCH_KEY is not set; indexing with the public development key");
    }
    let search_key = onestop_domain::search::IndexKey::configured(configured)?;
    let store = prepare_store(url).await?;
    let bar = indicatif::ProgressBar::new(0);
    if json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    } else {
        bar.set_style(indicatif::ProgressStyle::with_template(
            "{msg:12} [{bar:40}] {human_pos}/{human_len} events  {per_sec}  ETA {eta}",
        )?);
    }
    let mut last_line = std::time::Instant::now() - std::time::Duration::from_secs(1);
    let mut last_phase = None;
    let rebuilt = onestop_projections::rebuild::rebuild(store.pool(), &store, models, mode, &search_key, |p| {
        bar.set_length(p.total.max(p.done));
        bar.set_position(p.done);
        bar.set_message(phase_name(p.phase));
        let seconds = p.elapsed.as_secs_f64().max(1e-9);
        if json && (last_phase != Some(p.phase) || last_line.elapsed().as_millis() >= 250) {
            last_line = std::time::Instant::now();
            last_phase = Some(p.phase);
            let rate = p.done as f64 / seconds;
            let line = serde_json::json!({
                "phase": phase_name(p.phase),
                "done": p.done,
                "total": p.total,
                "events_per_second": rate.round(),
                "eta_seconds": (p.total.saturating_sub(p.done) as f64 / rate.max(1.0)).round(),
            });
            println!("{line}");
        }
    })
    .await?;
    bar.finish_and_clear();
    let events = rebuilt.replayed + rebuilt.caught_up;
    let summary = serde_json::json!({
        "phase": "done",
        "read_models": rebuilt.read_models.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "replayed": rebuilt.replayed,
        "caught_up": rebuilt.caught_up,
        "replay_seconds": rebuilt.replay_time.as_secs_f64(),
        "index_seconds": rebuilt.index_time.as_secs_f64(),
        "total_seconds": rebuilt.total_time.as_secs_f64(),
        "events_per_second": (events as f64 / rebuilt.total_time.as_secs_f64().max(1e-9)).round(),
    });
    if json {
        println!("{summary}");
    } else {
        println!(
            "rebuilt {}: {events} events in {:.1} s ({:.0} events/s; replay {:.1} s, indexes {:.1} s), swapped in",
            rebuilt.read_models.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "),
            rebuilt.total_time.as_secs_f64(),
            summary["events_per_second"].as_f64().unwrap_or(0.0),
            rebuilt.replay_time.as_secs_f64(),
            rebuilt.index_time.as_secs_f64(),
        );
    }
    Ok(())
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Replaying => "replaying",
        Phase::Indexing => "indexing",
        Phase::CatchingUp => "catching up",
        Phase::Swapping => "swapping",
    }
}
