//! `stimctl report [--profile NAME] [--since DATE] --output FILE.html [--charts DIR]`: a
//! report for the person and their therapist, in the profile's language. Reads the history
//! over D-Bus (`History.Sessions`, `History.Faults`, the pad sets replaced from
//! `History.Changes`), the profile's language
//! (`Profiles.List`) and the pads (`Device.Pads`); `data` computes the figures, `charts` draws
//! them, `html` writes the page.

mod charts;
pub mod data;
mod html;

use crate::i18n::Catalogue;
use crate::{describe, unreachable};
use data::Session;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use stimd::api::device::DeviceProxy;
use stimd::api::history::HistoryProxy;
use stimd::api::profiles::ProfilesProxy;
use zbus::zvariant::OwnedValue;

type Dict = HashMap<String, OwnedValue>;

fn val<T: TryFrom<OwnedValue>>(d: &Dict, key: &str) -> Option<T> {
    d.get(key)
        .and_then(|v| T::try_from(v.try_clone().ok()?).ok())
}

/// What `stimctl report` was asked for (its command-line options).
#[derive(clap::Args)]
pub struct Request {
    /// Whose sessions (default: every profile's, in the `default` profile's language).
    #[arg(long)]
    pub profile: Option<String>,
    /// From this day on (YYYY-MM-DD, local time).
    #[arg(long)]
    pub since: Option<String>,
    /// The HTML file to write.
    #[arg(long)]
    pub output: PathBuf,
    /// Also write each chart as an SVG file into this directory.
    #[arg(long)]
    pub charts: Option<PathBuf>,
    /// `nl` or `en` instead of the profile's language.
    #[arg(long)]
    pub language: Option<String>,
}

/// Checks the arguments before anything is asked of stimd.
pub fn check(r: &Request) -> Result<(), String> {
    let html = r
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if !html {
        return Err(crate::say::text_args(
            "error-report-html",
            &[("file", r.output.display().to_string().into())],
        ));
    }
    if let Some(s) = &r.since {
        crate::history::parse_day("--since", s)?;
    }
    if let Some(l) = &r.language {
        Catalogue::new("--language", l)?;
    }
    if let Some(dir) = &r.charts {
        if dir.exists() && !dir.is_dir() {
            return Err(crate::say::text_args(
                "error-not-a-directory",
                &[
                    ("arg", "--charts".into()),
                    ("file", dir.display().to_string().into()),
                ],
            ));
        }
    }
    Ok(())
}

/// The local day of `t`, and the seconds since its midnight.
fn local_day(t: i64) -> Option<(jiff::civil::Date, u32)> {
    let text = stimd::clock::local_date_minute(t)?;
    let day: jiff::civil::Date = text.get(..10)?.parse().ok()?;
    let h: u32 = text.get(11..13)?.parse().ok()?;
    let m: u32 = text.get(14..16)?.parse().ok()?;
    Some((day, h * 3600 + m * 60))
}

fn write(path: &Path, arg: &str, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| file_error(arg, path, e))
}

/// `arg = FILE: the OS's reason`, in the person's language.
fn file_error(arg: &str, path: &Path, e: std::io::Error) -> String {
    crate::say::text_args(
        "error-file-write",
        &[
            ("arg", arg.into()),
            ("file", path.display().to_string().into()),
            ("error", e.to_string().into()),
        ],
    )
}

/// Makes the report.
pub async fn report(conn: &zbus::Connection, r: Request) -> Result<(), String> {
    check(&r)?;
    let since = r
        .since
        .as_deref()
        .map(|s| crate::history::parse_day("--since", s))
        .transpose()?
        .unwrap_or(0);
    let profiles = ProfilesProxy::new(conn).await.map_err(unreachable)?;
    let known = profiles.list().await.map_err(describe)?;
    let wanted = r.profile.as_deref().unwrap_or("default");
    let profile_language = known
        .iter()
        .find(|(n, _)| n == wanted)
        .map(|(_, l)| l.clone());
    if r.profile.is_some() && profile_language.is_none() {
        let names: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
        return Err(format!(
            "--profile = {wanted:?} does not exist (known: {})",
            names.join(", ")
        ));
    }
    let language = r
        .language
        .clone()
        .or(profile_language)
        .unwrap_or_else(|| "nl".into());
    let cat = Catalogue::new("language", &language)?;

    let history = HistoryProxy::new(conn).await.map_err(unreachable)?;
    let rows = history.sessions(since, 0, 0).await.map_err(describe)?;
    let mut sessions = Vec::new();
    let mut ids = HashSet::new();
    for row in &rows {
        let profile: String = val(row, "profile").unwrap_or_default();
        if r.profile.as_deref().is_some_and(|p| p != profile) {
            continue;
        }
        let start: i64 = val(row, "start").unwrap_or(0);
        let Some((day, time_of_day)) = local_day(start) else {
            continue;
        };
        let id: u64 = val(row, "id").unwrap_or(0);
        ids.insert(id);
        let pain = match (val::<u8>(row, "pain_before"), val::<u8>(row, "pain_after")) {
            (Some(b), Some(a)) => Some((b, a)),
            _ => None,
        };
        sessions.push(Session {
            id,
            program: val(row, "program").unwrap_or_default(),
            day,
            time_of_day,
            seconds: val(row, "duration").unwrap_or(0),
            pain,
        });
    }
    let first_day = (since > 0).then(|| local_day(since).map(|d| d.0)).flatten();
    let figures = data::figures(&sessions, first_day);

    let faults: Vec<html::FaultLine> = history
        .faults(since, 0)
        .await
        .map_err(describe)?
        .iter()
        .filter(|f| {
            // A person's report lists the faults of their own sessions.
            r.profile.is_none() || ids.contains(&val::<u64>(f, "session").unwrap_or(0))
        })
        .map(|f| {
            let t: i64 = val(f, "time").unwrap_or(0);
            html::FaultLine {
                when: stimd::clock::local_date_minute(t).unwrap_or_else(|| t.to_string()),
                code: val(f, "code").unwrap_or_default(),
                message: val(f, "message").unwrap_or_default(),
            }
        })
        .collect();
    // The pads are the device's, whoever the report is for: every replacement is listed.
    let pad_changes: Vec<html::PadChange> = history
        .changes(since, 0, 0)
        .await
        .map_err(describe)?
        .iter()
        .filter(|c| val::<String>(c, "kind").as_deref() == Some("pads_replaced"))
        .map(|c| {
            let t: i64 = val(c, "time").unwrap_or(0);
            html::PadChange {
                when: stimd::clock::local_date_minute(t).unwrap_or_else(|| t.to_string()),
                channel: val(c, "channel").unwrap_or(0),
            }
        })
        .collect();
    let device = DeviceProxy::new(conn).await.map_err(unreachable)?;
    let pads = device.pads().await.map_err(describe)?;

    let charts = charts::all(&cat, &figures)?;
    let period = match (figures.days.first(), figures.days.last()) {
        (Some(a), Some(b)) => Some((a.day.to_string(), b.day.to_string())),
        _ => None,
    };
    let ctx = html::Context {
        profile: r.profile.as_deref(),
        period,
        made: stimd::clock::local_date_minute(stimd::clock::unix_now()).unwrap_or_default(),
        faults: &faults,
        pads: &pads,
        pad_changes: &pad_changes,
    };
    let page = html::page(&cat, &ctx, &figures, &charts);
    write(&r.output, "--output", &page)?;
    println!(
        "{}",
        cat.text_args(
            "report-written",
            &[
                ("file", r.output.display().to_string().into()),
                ("sessions", figures.summary.sessions.into()),
            ],
        )
    );
    if let Some(dir) = &r.charts {
        std::fs::create_dir_all(dir).map_err(|e| file_error("--charts", dir, e))?;
        for c in &charts {
            write(&dir.join(format!("{}.svg", c.name)), "--charts", &c.svg)?;
        }
        println!(
            "{}",
            cat.text_args(
                "report-charts-written",
                &[
                    ("dir", dir.display().to_string().into()),
                    ("count", charts.len().into()),
                ],
            )
        );
    }
    Ok(())
}
