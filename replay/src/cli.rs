//! The `onestop-replay` command line: its arguments, and each command's run
//! over the library's modules. `main.rs` only installs the allocator and calls
//! [`run`].

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::SystemClock;
use onestop_commands::registry::RegistryService;
use onestop_projections::rebuild::{Mode, Phase, ReadModel};
use onestop_projections::stats::GroupBy;
use onestop_store::{EventFilter, EventStore, PoolSettings, build_pool};

use crate::{as_of, reports, simulate};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Replay, verify and export the one-stop shop's event log"
)]
pub struct Cli {
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
    Rebuild {
        /// `status` (case_status: status view, audit trail, feed) or `stats`
        /// (case_stats); several may be named.
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
    },
    /// A case, or the Biểu 06 report, as it stood at a past moment: a log
    /// position (a whole number), an RFC 3339 instant, or a day (its end).
    AsOf {
        moment: as_of::Moment,
        /// The case (its id or its code).
        #[arg(long, required_unless_present = "report", conflicts_with = "report")]
        case: Option<String>,
        /// The Biểu 06 report instead, as CSV.
        #[arg(long)]
        report: bool,
        /// The report's first day.
        #[arg(long, required_if_eq("report", "true"))]
        from: Option<jiff::civil::Date>,
        /// The report's last day.
        #[arg(long, required_if_eq("report", "true"))]
        to: Option<jiff::civil::Date>,
        /// Units to count (repeat the option; default every unit).
        #[arg(long)]
        unit: Vec<String>,
        #[arg(long, value_enum, default_value = "unit")]
        group_by: ReportGrouping,
    },
    /// Replay the log into a report (see `--list`), write its table into the
    /// schema onestop_reports and its CSV to --output or standard output.
    Report {
        /// The report's name.
        #[arg(required_unless_present = "list")]
        name: Option<String>,
        /// List the reports there are.
        #[arg(long)]
        list: bool,
        /// Where to write the CSV (default: standard output).
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Write the event log (or part of it) as NDJSON, CSV or Parquet. Personal
    /// data is left out unless an administrator asks for it.
    Export {
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
    },
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

/// Runs the command the line names; the process exits with what it returns.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Verify => verify(&cli.database_url).await,
        Command::Seal => seal(&cli.database_url).await,
        Command::Rebuild {
            read_models,
            all,
            incremental,
            json,
        } => {
            let models = if all {
                ReadModel::ALL.to_vec()
            } else {
                read_models
            };
            let mode = if incremental {
                Mode::Incremental
            } else {
                Mode::Bulk
            };
            tokio::select! {
                outcome = rebuild(&cli.database_url, &models, mode, json) => report(outcome),
                _ = tokio::signal::ctrl_c() => {
                    eprintln!("\nonestop-replay: cancelled; the live read models are untouched");
                    ExitCode::from(130)
                }
            }
        }
        Command::AsOf {
            moment,
            case,
            report: _,
            from,
            to,
            unit,
            group_by,
        } => {
            let outcome = match (case, from, to) {
                (Some(case), _, _) => case_as_of(&cli.database_url, &case, moment).await,
                (None, Some(from), Some(to)) => {
                    report_as_of(&cli.database_url, moment, from, to, unit, group_by.into()).await
                }
                _ => Err("name a case, or a report's --from and --to".into()),
            };
            report(outcome)
        }
        Command::Report { name, list, output } => {
            if list {
                for report in reports::catalogue() {
                    println!("{:28} {}", report.name(), report.description());
                }
                return ExitCode::SUCCESS;
            }
            report(
                run_report(
                    &cli.database_url,
                    name.as_deref().unwrap_or_default(),
                    output,
                )
                .await,
            )
        }
        Command::Export {
            format,
            output,
            stream_prefix,
            types,
            from,
            to,
            with_personal_data,
            admin,
        } => {
            let filter = EventFilter {
                stream_prefix,
                event_types: (!types.is_empty()).then_some(types),
                recorded_from: from,
                recorded_before: to,
            };
            let admin = admin.filter(|_| with_personal_data);
            report(export(&cli.database_url, &filter, format.into(), admin, output).await)
        }
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

async fn run_report(
    url: &str,
    name: &str,
    output: Option<std::path::PathBuf>,
) -> Result<(), Failure> {
    let mut chosen: Vec<_> = reports::catalogue()
        .into_iter()
        .filter(|r| r.name() == name)
        .collect();
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

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReportGrouping {
    Field,
    Procedure,
    Unit,
}

impl From<ReportGrouping> for GroupBy {
    fn from(grouping: ReportGrouping) -> Self {
        match grouping {
            ReportGrouping::Field => Self::Field,
            ReportGrouping::Procedure => Self::Procedure,
            ReportGrouping::Unit => Self::Unit,
        }
    }
}

async fn case_as_of(url: &str, case: &str, moment: as_of::Moment) -> Result<(), Failure> {
    let store = open_store(url)?;
    let case_id = match case.parse::<uuid::Uuid>() {
        Ok(id) => id,
        Err(_) => onestop_projections::queries::case_by_code(store.pool(), case)
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| format!("no case has the code {case}"))?,
    };
    let state = as_of::case_as_of(&store, case_id, moment)
        .await?
        .ok_or_else(|| format!("case {case_id} did not exist yet at that moment"))?;
    let view = serde_json::json!({
        "case_id": case_id,
        "moment": match moment {
            as_of::Moment::Instant(at) => serde_json::json!({ "instant": at }),
            as_of::Moment::Position(p) => serde_json::json!({ "position": p }),
        },
        "status_code": state.status_code(),
        "state": state,
    });
    use std::io::Write as _;
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&view)?
    )?;
    Ok(())
}

async fn report_as_of(
    url: &str,
    moment: as_of::Moment,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    units: Vec<String>,
    group_by: GroupBy,
) -> Result<(), Failure> {
    let store = open_store(url)?;
    let units = if units.is_empty() {
        let catalog = CatalogCache::load(store.clone()).await?;
        catalog
            .snapshot()
            .units
            .units()
            .map(|u| u.code.to_string())
            .collect()
    } else {
        units
    };
    let question = as_of::ReportQuestion {
        moment,
        from,
        to,
        units,
        group_by,
    };
    let rows = as_of::report_as_of(&store, &question).await?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    for row in rows {
        out.serialize(row)?;
    }
    out.flush()?;
    Ok(())
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
        None => {
            export(
                &store,
                filter,
                format,
                &personal,
                std::io::stdout(),
                progress,
            )
            .await?
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "\rexported {rows} events in {seconds:.1} s ({:.0} rows/s)",
        rows as f64 / seconds.max(1e-9)
    );
    Ok(())
}

fn parse_read_model(text: &str) -> Result<ReadModel, String> {
    ReadModel::parse(text).ok_or_else(|| format!("unknown read model {text:?}: status or stats"))
}

async fn rebuild(url: &str, models: &[ReadModel], mode: Mode, json: bool) -> Result<(), Failure> {
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
    let rebuilt = onestop_projections::rebuild::rebuild(store.pool(), &store, models, mode, |p| {
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
            rebuilt
                .read_models
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", "),
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
    let user = simulate::STATISTICIAN;
    match simulate::ensure_statistician(&registry, cases.catalog()).await? {
        Some(password) => println!(
            "the simulated province's statistician: log in as {user} with password {password} \
             (shown only now), then GET /api/v1/stats/report?unit={}&from={}&to={}",
            simulate::province_unit(),
            truth.from,
            truth.to
        ),
        None => println!(
            "the simulated province's statistician {user} exists already; its password is unchanged"
        ),
    }
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
