//! `stimctl program plot ID --output FILE.svg`: the shapes a program puts on the skin. The
//! program comes from the daemon (`Programs.Get`: presets and custom programs alike, as the
//! device stores them), its segments' waveforms from the library's pure pattern code, the
//! current at each segment from the level asked for, carried over and capped as the session
//! does (`shape`); `draw` makes the SVG.

mod draw;
pub mod shape;

use crate::i18n::Catalogue;
use crate::{describe, milliamps_to_ua};
use std::collections::HashMap;
use std::path::Path;
use stimd::api::programs::ProgramsProxy;
use stimd::model::units::MicroAmps;
use zbus::zvariant::OwnedValue;

/// Checks the arguments before anything is asked of stimd; returns the level in µA.
pub fn check(output: &Path, intensity: f64) -> Result<u32, String> {
    check_svg_path("--output", output)?;
    let level = milliamps_to_ua("--intensity", intensity)?;
    if level == 0 {
        return Err(crate::say::text_args(
            "error-plot-zero",
            &[("value", crate::say::s(&intensity.to_string()))],
        ));
    }
    Ok(level)
}

/// `arg` must name an SVG file.
fn check_svg_path(arg: &str, path: &Path) -> Result<(), String> {
    let svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if svg {
        Ok(())
    } else {
        Err(crate::say::text_args(
            "error-plot-not-svg",
            &[
                ("arg", crate::say::s(arg)),
                ("file", crate::say::s(&path.display().to_string())),
            ],
        ))
    }
}

/// Each segment's `max_intensity_ua` from `Programs.Get` (the most the device's effective
/// limits let any pulse of it carry).
fn caps(d: &HashMap<String, OwnedValue>) -> Vec<u32> {
    let segments: Vec<HashMap<String, OwnedValue>> = d
        .get("segments")
        .and_then(|v| v.try_clone().ok())
        .and_then(|v| v.try_into().ok())
        .unwrap_or_default();
    segments
        .iter()
        .map(|s| {
            s.get("max_intensity_ua")
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(u32::MAX)
        })
        .collect()
}

/// Fetches program `id` from stimd and writes its picture to `output` at `intensity` mA.
pub async fn plot(
    conn: &zbus::Connection,
    id: &str,
    output: &Path,
    intensity: f64,
) -> Result<(), String> {
    let level = check(output, intensity)?;
    let cat = Catalogue::from_env()?;
    let programs = ProgramsProxy::new(conn).await.map_err(crate::unreachable)?;
    let d = programs.get(id).await.map_err(describe)?;
    let toml = crate::programs::text_of(&d, "toml");
    let program = stimd::program::text::parse(&toml, &shape::ceiling_limits()).map_err(|p| {
        format!(
            "program {id}: stimd served a program file this stimctl cannot read: {}",
            p.join("; ")
        )
    })?;
    let levels = shape::segment_levels(&program.segments, MicroAmps(level), &caps(&d));
    let svg = draw::program_svg(&cat, &program, MicroAmps(level), &levels)?;
    std::fs::write(output, svg).map_err(|e| {
        crate::say::text_args(
            "error-file-write",
            &[
                ("arg", "--output".into()),
                ("file", output.display().to_string().into()),
                ("error", e.to_string().into()),
            ],
        )
    })?;
    println!(
        "{}",
        cat.text_args(
            "plot-written",
            &[
                ("file", output.display().to_string().into()),
                ("id", id.into()),
                ("segments", program.segments.len().into()),
            ],
        )
    );
    Ok(())
}
