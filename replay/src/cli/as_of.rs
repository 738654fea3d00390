//! `onestop-replay as-of`: a case, or the Biểu 06 report, as it stood at a
//! past moment.

use onestop_commands::catalog::CatalogCache;
use onestop_projections::stats::GroupBy;

use super::{Failure, open_store};
use crate::as_of;

#[derive(Debug, clap::Args)]
pub struct Args {
    moment: as_of::Moment,
    /// The case (its id or its code).
    #[arg(long, required_unless_present = "report", conflicts_with = "report")]
    case: Option<String>,
    /// The Biểu 06 report instead (CSV, or the Biểu II.06a sheet with --format xlsx).
    #[arg(long)]
    report: bool,
    /// The report's first day (with --to, instead of --period).
    #[arg(long, requires = "to", conflicts_with = "period")]
    from: Option<jiff::civil::Date>,
    /// The report's last day.
    #[arg(long, requires = "from", conflicts_with = "period")]
    to: Option<jiff::civil::Date>,
    /// An official period instead of --from/--to (Decree 09/2019: 2025-11 is
    /// 15 October to 14 November; 2025-Q4, 2025-H1, 2025-9M, 2025).
    #[arg(long)]
    period: Option<onestop_domain::period::ReportPeriod>,
    /// csv (default) or xlsx (Biểu II.06a; needs --output).
    #[arg(long, value_enum, default_value = "csv")]
    format: ReportFile,
    /// Write the report here instead of to standard output.
    #[arg(long, short = 'o')]
    output: Option<std::path::PathBuf>,
    /// Units to count (repeat the option; default every unit).
    #[arg(long)]
    unit: Vec<String>,
    #[arg(long, value_enum, default_value = "unit")]
    group_by: ReportGrouping,
}

impl Args {
    pub async fn run(self, url: &str) -> Result<(), Failure> {
        if let Some(case) = &self.case {
            return case_as_of(url, case, self.moment).await;
        }
        let (from, to) = match (self.period, self.from, self.to) {
            (Some(period), _, _) => period.days(),
            (None, Some(from), Some(to)) if from <= to => (from, to),
            (None, Some(_), Some(_)) => return Err("--to must not be before --from".into()),
            _ => return Err("name a case, or a report's --period, or its --from and --to".into()),
        };
        if self.format == ReportFile::Xlsx && self.output.is_none() {
            return Err("an XLSX report is written to a file: give --output".into());
        }
        let question = ReportAsked { period: self.period, from, to, format: self.format, output: self.output };
        report_as_of(url, self.moment, question, self.unit, self.group_by).await
    }
}

/// The report's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFile {
    Csv,
    Xlsx,
}

/// What report was asked for and where it goes.
struct ReportAsked {
    period: Option<onestop_domain::period::ReportPeriod>,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    format: ReportFile,
    output: Option<std::path::PathBuf>,
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
    writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&view)?)?;
    Ok(())
}

async fn report_as_of(
    url: &str,
    moment: as_of::Moment,
    asked: ReportAsked,
    units: Vec<String>,
    grouping: ReportGrouping,
) -> Result<(), Failure> {
    let store = open_store(url)?;
    let catalog = CatalogCache::load(store.clone()).await?.snapshot();
    let units =
        if units.is_empty() { catalog.units.units().map(|u| u.code.to_string()).collect() } else { units.clone() };
    let question = as_of::ReportQuestion {
        moment,
        from: asked.from,
        to: asked.to,
        units: units.clone(),
        group_by: grouping.into(),
    };
    let rows = as_of::report_as_of(&store, &question).await?;
    let mut out: Box<dyn std::io::Write> = match &asked.output {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout()),
    };
    if asked.format == ReportFile::Xlsx {
        use onestop_projections::stats::sheet::{Heading, RowsAre, render};
        let (names, rows_are) = match grouping {
            ReportGrouping::Field => (catalog.field_names(), RowsAre::Fields),
            ReportGrouping::Procedure => (catalog.procedure_names(), RowsAre::Procedures),
            ReportGrouping::Unit => (catalog.unit_names(), RowsAre::Units),
        };
        // The unit reporting: the one asked for, else the top of the tree.
        let top = match units.as_slice() {
            [one] => catalog.units.units().find(|u| u.code.as_str() == one),
            _ => catalog.units.units().find(|u| u.parent.is_none()),
        };
        let heading = Heading {
            period_title: asked.period.map(onestop_domain::period::ReportPeriod::title_vi),
            from: asked.from,
            to: asked.to,
            reporting_unit: top.map_or_else(|| "…".to_owned(), |u| u.name.clone()),
            receiving_unit: top.and_then(|u| u.parent.as_ref()).and_then(|p| catalog.unit(p)).map(|p| p.name.clone()),
            rows_are,
        };
        let label = |key: &str| names.get(key).map_or_else(|| key.to_owned(), |name| format!("{name} ({key})"));
        out.write_all(&render(&heading, &rows, &label)?)?;
        return Ok(());
    }
    let mut out = csv::Writer::from_writer(out);
    for row in rows {
        out.serialize(row)?;
    }
    out.flush()?;
    Ok(())
}
