//! The dashboard's charts, drawn on the server as SVG by plotters: no script
//! in the browser, printable, and readable without a network. Each chart
//! stands beside a table with the same figures, for screen readers and for
//! copying.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// The console's link blue and the late red (as the stylesheet's).
const BLUE: RGBColor = RGBColor(11, 92, 173);
const GREY: RGBColor = RGBColor(226, 231, 236);

/// One bar: what it is, and its share in percent (none: nothing to judge).
#[derive(Debug, Clone)]
pub struct Share {
    pub label: String,
    pub percent: Option<f64>,
}

/// Shares as horizontal bars, one row per label (units by their names).
pub fn bars(shares: &[Share], axis: &str) -> Result<String, String> {
    let rows = shares.len().max(1);
    let height = u32::try_from(70 + 40 * rows).unwrap_or(800).clamp(180, 1600);
    let mut svg = String::new();
    {
        // plotters' integer ranges include their end: one empty segment stays
        // on top (a range of one value cannot be drawn).
        let root = SVGBackend::with_string(&mut svg, (600, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(230)
            .build_cartesian_2d(0f64..100f64, (0..rows).into_segmented())
            .map_err(|e| e.to_string())?;
        let label_of = |value: &SegmentValue<usize>| match value {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                shares.get(*i).map(|s| shortened(&s.label, 32)).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&label_of)
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .x_desc(axis)
            .label_style(("sans-serif", 15))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;
        // Each row's whole width in grey, its share in blue over it; a row
        // with nothing resolved stays grey.
        let bar = |i: usize, to: f64, color: RGBColor| {
            let mut bar =
                Rectangle::new([(0.0, SegmentValue::Exact(i)), (to, SegmentValue::Exact(i + 1))], color.filled());
            bar.set_margin(8, 8, 0, 0);
            bar
        };
        chart.draw_series((0..shares.len()).map(|i| bar(i, 100.0, GREY))).map_err(|e| e.to_string())?;
        chart
            .draw_series(
                shares.iter().enumerate().filter_map(|(i, s)| s.percent.map(|p| bar(i, p.clamp(0.0, 100.0), BLUE))),
            )
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Shares over periods as a line (a period with nothing to judge is left out).
pub fn trend(points: &[Share], axis: &str) -> Result<String, String> {
    let last = i32::try_from(points.len().saturating_sub(1)).unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (600, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(36)
            .x_label_area_size(34)
            .y_label_area_size(56)
            .build_cartesian_2d(0..last, 0f64..100f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(points.len())
            .x_label_formatter(&|i| {
                usize::try_from(*i).ok().and_then(|i| points.get(i)).map(|p| p.label.clone()).unwrap_or_default()
            })
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .y_desc(axis)
            .label_style(("sans-serif", 15))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;
        let known: Vec<(i32, f64)> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i32::try_from(i).ok()?, p.percent?.clamp(0.0, 100.0))))
            .collect();
        chart.draw_series(LineSeries::new(known.clone(), BLUE.stroke_width(3))).map_err(|e| e.to_string())?;
        chart
            .draw_series(known.iter().map(|point| Circle::new(*point, 5, BLUE.filled())))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// At most `limit` characters, with an ellipsis when cut.
fn shortened(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        text.chars().take(limit - 1).chain(std::iter::once('…')).collect()
    }
}
