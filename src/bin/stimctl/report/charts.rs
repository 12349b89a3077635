//! The report's charts as SVG, drawn with plotters: sessions and minutes per day, pain
//! before/after per rated session over time, and mean pain reduction per program with the
//! number of rated sessions. Texts come from the catalogue; numbers from `data`.

use super::data::{DayUse, Figures};
use crate::i18n::Catalogue;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const SIZE: (u32, u32) = (900, 360);
const BAR: RGBColor = RGBColor(0x3b, 0x6e, 0xa8);
const BEFORE: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const AFTER: RGBColor = RGBColor(0x27, 0x8a, 0x4f);

/// One chart: the file stem it is saved under and its SVG.
pub struct Chart {
    /// File name without `.svg`, e.g. `pain`.
    pub name: &'static str,
    /// The SVG document.
    pub svg: String,
}

fn err(e: impl std::fmt::Display) -> String {
    crate::say::text_args("error-chart", &[("error", e.to_string().into())])
}

/// Every chart of the report, in the order the report shows them.
pub fn all(cat: &Catalogue, f: &Figures) -> Result<Vec<Chart>, String> {
    Ok(vec![
        Chart {
            name: "sessions-per-day",
            svg: per_day(cat, &f.days, "chart-sessions", |d| d.sessions)?,
        },
        Chart {
            name: "minutes-per-day",
            svg: per_day(cat, &f.days, "chart-minutes", |d| d.minutes)?,
        },
        Chart {
            name: "pain",
            svg: pain(cat, f)?,
        },
        Chart {
            name: "programs",
            svg: programs(cat, f)?,
        },
    ])
}

fn draw(
    f: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        f(&root)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// `MM-DD` of day `i` of the period (the year is in the report's heading).
fn day_label(days: &[DayUse], i: i32) -> String {
    usize::try_from(i)
        .ok()
        .and_then(|i| days.get(i))
        .map_or(String::new(), |d| {
            format!("{:02}-{:02}", d.day.month(), d.day.day())
        })
}

/// The label of bar `x` when `x` is a bar's centre (a whole number), else none.
fn bar_label(x: f64, label: impl Fn(usize) -> String) -> String {
    if (x - x.round()).abs() < 1e-6 && x >= 0.0 {
        label(x.round() as usize)
    } else {
        String::new()
    }
}

/// A bar centred on `i` from 0 to `v`.
fn bar(i: usize, v: f64) -> Rectangle<(f64, f64)> {
    let x = i as f64;
    Rectangle::new([(x - 0.38, 0.0), (x + 0.38, v)], BAR.filled())
}

fn per_day(
    cat: &Catalogue,
    days: &[DayUse],
    title: &str,
    value: impl Fn(&DayUse) -> u32,
) -> Result<String, String> {
    draw(|root| {
        let n = days.len().max(1) as f64;
        let top = days.iter().map(&value).max().unwrap_or(0).max(1);
        let top = f64::from(top + top.div_ceil(10));
        let mut chart = ChartBuilder::on(root)
            .caption(cat.text(title), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(-0.5..n - 0.5, 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(cat.text("axis-day"))
            .y_desc(cat.text(&format!("{title}-axis")))
            .x_labels(days.len().clamp(2, 15))
            .x_label_formatter(&|x| {
                bar_label(*x, |i| day_label(days, i32::try_from(i).unwrap_or(-1)))
            })
            .y_label_formatter(&|y| {
                if (y - y.round()).abs() < 1e-6 {
                    format!("{y:.0}")
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                days.iter()
                    .enumerate()
                    .map(|(i, d)| bar(i, f64::from(value(d)))),
            )
            .map_err(err)?;
        Ok(())
    })
}

/// Rated session `i`'s day as `MM-DD`, shown only where a new day begins.
fn pain_label(f: &Figures, x: f64) -> String {
    bar_label(x, |i| {
        match (f.pain.get(i), i.checked_sub(1).and_then(|j| f.pain.get(j))) {
            (Some(p), Some(prev)) if prev.day == p.day => String::new(),
            (Some(p), _) => format!("{:02}-{:02}", p.day.month(), p.day.day()),
            _ => String::new(),
        }
    })
}

fn pain(cat: &Catalogue, f: &Figures) -> Result<String, String> {
    draw(|root| {
        let n = f.pain.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(cat.text("chart-pain"), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(-0.5..n - 0.5, -0.5f64..10.5)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(cat.text("chart-pain-sessions"))
            .y_desc(cat.text("chart-pain-axis"))
            .x_labels(f.pain.len().clamp(2, 30))
            .x_label_formatter(&|x| pain_label(f, *x))
            .y_labels(11)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(err)?;
        // Each rated session: a thin line from before to after.
        chart
            .draw_series(f.pain.iter().enumerate().map(|(i, p)| {
                let x = i as f64;
                PathElement::new(
                    vec![(x, f64::from(p.before)), (x, f64::from(p.after))],
                    BLACK.mix(0.25),
                )
            }))
            .map_err(err)?;
        for (key, colour, pick) in [
            (
                "pain-before",
                BEFORE,
                (|p: &super::data::PainPoint| p.before) as fn(&_) -> u8,
            ),
            ("pain-after", AFTER, |p| p.after),
        ] {
            let points: Vec<(f64, f64)> = f
                .pain
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, f64::from(pick(p))))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(err)?
                .label(cat.text(key))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, colour.filled())),
                )
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        Ok(())
    })
}

fn programs(cat: &Catalogue, f: &Figures) -> Result<String, String> {
    let programs = &f.summary.programs;
    draw(|root| {
        let n = programs.len().max(1) as f64;
        let values = programs.iter().map(|p| p.mean_reduction);
        let low = values.clone().fold(0.0, f64::min).floor();
        let high = values.fold(1.0, f64::max).ceil() + 1.0;
        let mut chart = ChartBuilder::on(root)
            .caption(cat.text("chart-programs"), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(-0.5..n - 0.5, low..high)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(cat.text("chart-programs-axis"))
            .x_labels(programs.len().clamp(2, 15))
            .x_label_formatter(&|x| {
                bar_label(*x, |i| {
                    programs.get(i).map_or(String::new(), |p| p.program.clone())
                })
            })
            .y_label_formatter(&|y| cat.number(*y, 1))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                programs
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.rated > 0)
                    .map(|(i, p)| bar(i, p.mean_reduction)),
            )
            .map_err(err)?;
        // The reduction and the number of rated sessions over each bar (or "not rated").
        chart
            .draw_series(programs.iter().enumerate().map(|(i, p)| {
                let label = if p.rated == 0 {
                    cat.text("chart-programs-unrated")
                } else {
                    cat.text_args(
                        "chart-programs-bar",
                        &[
                            ("reduction", cat.number(p.mean_reduction, 1).into()),
                            ("rated", p.rated.into()),
                        ],
                    )
                };
                Text::new(
                    label,
                    (i as f64, p.mean_reduction.max(0.0) + (high - low) * 0.03),
                    TextStyle::from(("sans-serif", 14).into_font())
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))
            .map_err(err)?;
        Ok(())
    })
}
