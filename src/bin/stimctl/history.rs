//! `stimctl history`, `rate`, `export`, `summary`, `advice` and `changes`: the usage history,
//! in local time and the person's language.

use crate::describe;
use crate::say::{self, n, s as word};
use std::collections::HashMap;
use stimd::api::history::HistoryProxy;
use zbus::zvariant::OwnedValue;

type Dict = HashMap<String, OwnedValue>;

fn val<T: TryFrom<OwnedValue>>(d: &Dict, key: &str) -> Option<T> {
    d.get(key)
        .and_then(|v| T::try_from(v.try_clone().ok()?).ok())
}

/// Local midnight at the start of `YYYY-MM-DD`, as Unix seconds (`arg` names the option).
pub fn parse_day(arg: &str, text: &str) -> Result<i64, String> {
    stimd::clock::parse_local_date(text).ok_or_else(|| {
        say::text_args(
            "error-date",
            &[("arg", arg.into()), ("value", text.to_string().into())],
        )
    })
}

/// `--since DATE`: its local midnight (Unix s), 0 (unbounded) without one.
pub fn since_day(since: Option<String>) -> Result<i64, String> {
    Ok(since
        .map(|s| parse_day("--since", &s))
        .transpose()?
        .unwrap_or(0))
}

/// `--until DATE`: the last second of that local day (Unix s), 0 (unbounded) without one.
pub fn until_day(until: Option<String>) -> Result<i64, String> {
    Ok(until
        .map(|s| parse_day("--until", &s).map(|t| t + 86_399))
        .transpose()?
        .unwrap_or(0))
}

/// `YYYY-MM-DD HH:MM` in local time.
fn local(t: i64) -> String {
    stimd::clock::local_date_minute(t).unwrap_or_else(|| t.to_string())
}

fn ma_list(v: &[u32]) -> String {
    v.iter()
        .map(|ua| say::milliamps(*ua))
        .collect::<Vec<_>>()
        .join("/")
}

pub async fn list(
    conn: &zbus::Connection,
    since: Option<String>,
    json: bool,
) -> Result<(), String> {
    let since = since_day(since)?;
    let h = HistoryProxy::new(conn).await.map_err(crate::unreachable)?;
    if json {
        // The sessions of `export`'s JSON, limited to the period.
        let all: serde_json::Value =
            serde_json::from_str(&h.export("json").await.map_err(describe)?)
                .map_err(|e| e.to_string())?;
        let rows: Vec<&serde_json::Value> = all["sessions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|s| s["start"].as_i64().unwrap_or(0) >= since)
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let rows = h.sessions(since, 0, 0).await.map_err(describe)?;
    if rows.is_empty() {
        println!("{}", say::text("history-none"));
    }
    for r in rows {
        let id: u64 = val(&r, "id").unwrap_or(0);
        let start: i64 = val(&r, "start").unwrap_or(0);
        let secs = val::<u32>(&r, "duration").unwrap_or(0);
        let duration = format!("{:>3}:{:02}", secs / 60, secs % 60);
        let program: String = val(&r, "program").unwrap_or_default();
        let reason: String = val(&r, "end_reason").unwrap_or_default();
        let max: Vec<u32> = val(&r, "max_intensity").unwrap_or_default();
        let pain = match (val::<u8>(&r, "pain_before"), val::<u8>(&r, "pain_after")) {
            (Some(b), Some(a)) => {
                say::text_args("history-pain", &[("before", n(b)), ("after", n(a))])
            }
            _ => say::text("history-not-rated"),
        };
        let reason = if reason.is_empty() {
            say::text("history-running")
        } else {
            say::clean(&reason)
        };
        let max = say::text_args("history-max", &[("levels", word(&ma_list(&max)))]);
        println!(
            "{id:>5}  {}  {:<16} {duration} min  {max}  {reason:<15} {pain}",
            local(start),
            say::clean(&program),
        );
    }
    Ok(())
}

pub async fn rate(conn: &zbus::Connection, id: u64, before: u8, after: u8) -> Result<(), String> {
    for (arg, v) in [("BEFORE", before), ("AFTER", after)] {
        if v > 10 {
            return Err(say::text_args(
                "error-pain-range",
                &[("arg", arg.into()), ("value", n(v))],
            ));
        }
    }
    let h = HistoryProxy::new(conn).await.map_err(crate::unreachable)?;
    h.rate_pain(id, before, after).await.map_err(describe)?;
    println!(
        "{}",
        say::text_args(
            "rate-recorded",
            &[
                ("id", n(id as f64)),
                ("before", n(before)),
                ("after", n(after))
            ],
        )
    );
    Ok(())
}

pub async fn export(conn: &zbus::Connection, format: &str) -> Result<(), String> {
    let h = HistoryProxy::new(conn).await.map_err(crate::unreachable)?;
    print!("{}", h.export(format).await.map_err(describe)?);
    Ok(())
}

pub async fn summary(
    conn: &zbus::Connection,
    since: Option<String>,
    until: Option<String>,
) -> Result<(), String> {
    let since = since_day(since)?;
    let until = until_day(until)?;
    let h = HistoryProxy::new(conn).await.map_err(crate::unreachable)?;
    let s = h.summary(since, until).await.map_err(describe)?;
    println!(
        "{}",
        say::text_args(
            "summary-total",
            &[
                ("sessions", n(val::<u32>(&s, "sessions").unwrap_or(0))),
                ("minutes", n(val::<u32>(&s, "minutes").unwrap_or(0))),
                ("days", n(val::<u32>(&s, "days").unwrap_or(0))),
                (
                    "per_day",
                    word(&say::number(
                        val::<f64>(&s, "sessions_per_day").unwrap_or(0.0),
                        1
                    )),
                ),
            ],
        )
    );
    let programs: Vec<Dict> = val(&s, "programs").unwrap_or_default();
    for p in programs {
        let rated: u32 = val(&p, "rated").unwrap_or(0);
        let mean = |k: &str| word(&say::number(val::<f64>(&p, k).unwrap_or(0.0), 1));
        let effect = if rated == 0 {
            say::text("summary-no-ratings")
        } else {
            say::text_args(
                "summary-effect",
                &[
                    ("before", mean("mean_before")),
                    ("after", mean("mean_after")),
                    ("reduction", mean("mean_reduction")),
                    ("rated", n(rated)),
                ],
            )
        };
        let uses = say::text_args(
            "summary-program",
            &[
                ("sessions", n(val::<u32>(&p, "sessions").unwrap_or(0))),
                ("minutes", n(val::<u32>(&p, "minutes").unwrap_or(0))),
            ],
        );
        println!(
            "  {:<16} {uses}  {effect}",
            say::clean(&val::<String>(&p, "program").unwrap_or_default()),
        );
    }
    Ok(())
}

/// `stimctl advice`: the program that helped this profile most, with the numbers.
pub async fn advice(conn: &zbus::Connection, profile: &str) -> Result<(), String> {
    let h = HistoryProxy::new(conn).await.map_err(crate::unreachable)?;
    let a = h.advice(profile).await.map_err(describe)?;
    let message = a
        .get("message")
        .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
        .unwrap_or_default();
    println!("{}", say::clean(&message));
    Ok(())
}

/// One row of the audit trail as a line: local time, who, what, and the channel and values
/// where they mean something (mA for intensities).
fn change_line(r: &Dict) -> String {
    let time: i64 = val(r, "time").unwrap_or(0);
    let actor: String = val(r, "actor").unwrap_or_default();
    let kind: String = val(r, "kind").unwrap_or_default();
    let channel: u32 = val(r, "channel").unwrap_or(0);
    let (from, to): (u32, u32) = (val(r, "from").unwrap_or(0), val(r, "to").unwrap_or(0));
    let what = match kind.as_str() {
        "intensity" | "level" | "clamp" => say::text_args(
            "changes-levels",
            &[
                ("channel", n(channel)),
                ("from", word(&say::milliamps(from))),
                ("to", word(&say::milliamps(to))),
            ],
        ),
        "pads_replaced" => say::text_args("changes-channel", &[("channel", n(channel))]),
        _ => String::new(),
    };
    let profile: String = val(r, "profile").unwrap_or_default();
    let detail: String = val(r, "detail").unwrap_or_default();
    let session: u64 = val(r, "session").unwrap_or(0);
    let session = if session == 0 {
        String::new()
    } else {
        format!("#{session}")
    };
    format!(
        "{}  {:<14} {:<17} {what:<22} {session:<6} {:<12} {}",
        local(time),
        say::clean(&actor),
        say::clean(&kind),
        say::clean(&profile),
        say::clean(&detail)
    )
    .trim_end()
    .to_string()
}

/// The audit trail as JSON: one object per change, the keys of `History.Changes`.
fn change_json(r: &Dict) -> serde_json::Value {
    let string = |k: &str| serde_json::Value::from(val::<String>(r, k).unwrap_or_default());
    let int = |k: &str| serde_json::Value::from(val::<i64>(r, k).unwrap_or(0));
    let uint = |k: &str| serde_json::Value::from(val::<u32>(r, k).unwrap_or(0));
    serde_json::json!({
        "time": int("time"),
        "time_ms": int("time_ms"),
        "session": val::<u64>(r, "session").unwrap_or(0),
        "actor": string("actor"),
        "kind": string("kind"),
        "channel": uint("channel"),
        "from": uint("from"),
        "to": uint("to"),
        "profile": string("profile"),
        "detail": string("detail"),
    })
}

/// `stimctl changes [--since DATE] [--json]`: who changed what (`History.Changes`), newest
/// first, in local time.
pub async fn changes(
    conn: &zbus::Connection,
    since: Option<String>,
    json: bool,
) -> Result<(), String> {
    let since = since_day(since)?;
    let h = HistoryProxy::new(conn).await.map_err(crate::unreachable)?;
    let rows = h.changes(since, 0, 0).await.map_err(describe)?;
    if json {
        let all: Vec<serde_json::Value> = rows.iter().map(change_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!("{}", say::text("changes-none"));
    }
    for r in &rows {
        println!("{}", change_line(r));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::zvariant::Value;

    fn dict(pairs: Vec<(&str, Value<'static>)>) -> Dict {
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), OwnedValue::try_from(v).unwrap()))
            .collect()
    }

    #[test]
    fn a_change_shows_who_what_and_the_values_that_mean_something() {
        let press = dict(vec![
            ("time", Value::I64(1_700_000_000)),
            ("time_ms", Value::I64(1_700_000_000_250)),
            ("session", Value::U64(12)),
            ("actor", Value::from("button")),
            ("kind", Value::from("intensity")),
            ("channel", Value::U32(1)),
            ("from", Value::U32(2_000)),
            ("to", Value::U32(2_500)),
            ("profile", Value::from("oma")),
            ("detail", Value::from("")),
        ]);
        let line = change_line(&press);
        assert!(
            line.contains("button") && line.contains("ch 1  2.0 → 2.5 mA") && line.contains("#12"),
            "{line}"
        );
        let json = change_json(&press);
        assert_eq!(json["time_ms"], 1_700_000_000_250i64);
        assert_eq!(
            (json["from"].clone(), json["to"].clone()),
            (2_000.into(), 2_500.into())
        );
        let pads = dict(vec![
            ("time", Value::I64(1_700_000_000)),
            ("actor", Value::from("uid:1000")),
            ("kind", Value::from("pads_replaced")),
            ("channel", Value::U32(0)),
            ("detail", Value::from("old set: 3 sessions, 90 minutes")),
        ]);
        let line = change_line(&pads);
        assert!(
            line.contains("pads_replaced") && line.contains("ch 0") && !line.contains("mA"),
            "{line}"
        );
        assert!(line.ends_with("old set: 3 sessions, 90 minutes"), "{line}");
    }
}
