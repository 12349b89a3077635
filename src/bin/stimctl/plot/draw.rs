//! Draws a program's shapes as one SVG with plotters: per segment, its representative stretch
//! (left) and a close-up of its biphasic pulse (right), current in mA over time in ms.

use super::shape::{self, Pulse};
use crate::i18n::Catalogue;
use plotters::prelude::*;
use stimd::model::units::MicroAmps;
use stimd::program::Program;

const WIDTH: u32 = 1_100;
const ROW: u32 = 280;
const HEADER: u32 = 50;

fn err(e: impl std::fmt::Display) -> String {
    crate::say::text_args("error-chart", &[("error", e.to_string().into())])
}

/// A symmetric current axis a little beyond the largest pulse (at least ±1 mA).
fn current_range(pulses: &[Pulse]) -> f64 {
    let max = pulses.iter().map(|p| p.ma).fold(0.0, f64::max);
    (max * 1.15).max(1.0)
}

/// Digits after the separator for axis labels over a range `span` wide.
fn decimals(span: f64) -> usize {
    if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    }
}

/// The SVG: a title, then one row per segment at the levels `levels` (one per segment).
pub fn program_svg(
    cat: &Catalogue,
    program: &Program,
    first: MicroAmps,
    levels: &[MicroAmps],
) -> Result<String, String> {
    let mut svg = String::new();
    let rows = program.segments.len() as u32;
    {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, HEADER + rows * ROW)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (header, body) = root.split_vertically(HEADER);
        let title = cat.text_args(
            "plot-title",
            &[
                ("name", program.name.get(cat.language()).into()),
                ("id", program.id.as_str().into()),
                ("level", cat.milliamps(first.0).into()),
            ],
        );
        header
            .draw_text(
                &title,
                &("sans-serif", 22).into_font().color(&BLACK),
                (20, 15),
            )
            .map_err(err)?;
        let areas = body.split_evenly((rows as usize, 1));
        for (i, (area, seg)) in areas.iter().zip(&program.segments).enumerate() {
            let level = levels.get(i).copied().unwrap_or(MicroAmps(0));
            let pattern = seg.pattern();
            let pulses = shape::pulses(&pattern, level, shape::stretch_ns(&pattern));
            let (left, right) = area.split_horizontally(WIDTH * 68 / 100);
            let duration = match seg.seconds {
                Some(s) if i + 1 < program.segments.len() => {
                    cat.text_args("plot-duration-min", &[("minutes", s.div_ceil(60).into())])
                }
                _ => cat.text("plot-duration-rest"),
            };
            let caption = cat.text_args(
                "plot-segment",
                &[
                    ("index", (i + 1).into()),
                    (
                        "mode",
                        cat.text(&format!("mode-{}", seg.mode.name())).into(),
                    ),
                    ("duration", duration.into()),
                    ("level", cat.milliamps(level.0).into()),
                ],
            );
            stretch(cat, &left, &caption, &pulses)?;
            close_up(cat, &right, &shape::close_up(&pulses))?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn stretch(
    cat: &Catalogue,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    caption: &str,
    pulses: &[Pulse],
) -> Result<(), String> {
    let end = pulses
        .last()
        .map_or(1.0, |p| p.t_ms + 2.0 * p.phase_ms + p.gap_ms);
    let span = pulses.first().map_or(end, |p| {
        // Whole stretch plus the room up to the next pulse, so a period is visible at the end.
        let first = p.t_ms;
        (end - first).max(1.0) + pulses.get(1).map_or(0.0, |q| q.t_ms - first)
    });
    let y = current_range(pulses);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..span, -y..y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(cat.text("axis-time-ms"))
        .y_desc(cat.text("axis-current-ma"))
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&|x| cat.number(*x, decimals(span)))
        .y_label_formatter(&|v| cat.number(*v, decimals(2.0 * y)))
        .draw()
        .map_err(err)?;
    let points: Vec<(f64, f64)> = pulses.iter().flat_map(|p| p.outline(0.0)).collect();
    chart
        .draw_series(LineSeries::new(points, BLUE.stroke_width(1)))
        .map_err(err)?;
    Ok(())
}

fn close_up(
    cat: &Catalogue,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    pulses: &[Pulse],
) -> Result<(), String> {
    let widest = pulses
        .iter()
        .map(|p| 2.0 * p.phase_ms + p.gap_ms)
        .fold(0.0, f64::max)
        .max(0.01);
    let lead = widest * 0.25;
    let y = current_range(pulses);
    let phases = pulses
        .iter()
        .map(|p| format!("{:.0}", p.phase_ms * 1000.0))
        .collect::<Vec<_>>()
        .join(" … ");
    let gap = pulses.first().map_or(0.0, |p| p.gap_ms * 1000.0);
    let caption = cat.text_args(
        "plot-pulse",
        &[
            ("phases", phases.into()),
            ("gap", format!("{gap:.0}").into()),
        ],
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(-lead..widest + lead, -y..y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(cat.text("axis-time-ms"))
        .y_desc(cat.text("axis-current-ma"))
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|x| cat.number(*x, decimals(widest)))
        .y_label_formatter(&|v| cat.number(*v, decimals(2.0 * y)))
        .draw()
        .map_err(err)?;
    for (p, colour) in pulses.iter().zip([BLUE, RED]) {
        let mut points = vec![(-lead, 0.0)];
        points.extend(p.outline(p.t_ms));
        points.push((widest + lead, 0.0));
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(err)?;
    }
    Ok(())
}
