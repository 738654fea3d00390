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
}

impl Args {
    pub async fn run(self, url: &str) -> Result<(), Failure> {
        match (self.case, self.from, self.to) {
            (Some(case), _, _) => case_as_of(url, &case, self.moment).await,
            (None, Some(from), Some(to)) => {
                report_as_of(url, self.moment, from, to, self.unit, self.group_by.into()).await
            }
            _ => Err("name a case, or a report's --from and --to".into()),
        }
    }
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
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    units: Vec<String>,
    group_by: GroupBy,
) -> Result<(), Failure> {
    let store = open_store(url)?;
    let units = if units.is_empty() {
        let catalog = CatalogCache::load(store.clone()).await?;
        catalog.snapshot().units.units().map(|u| u.code.to_string()).collect()
    } else {
        units
    };
    let question = as_of::ReportQuestion { moment, from, to, units, group_by };
    let rows = as_of::report_as_of(&store, &question).await?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    for row in rows {
        out.serialize(row)?;
    }
    out.flush()?;
    Ok(())
}
