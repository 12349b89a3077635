//! `summary --json` and `advice --json`: the daemon's `History.Summary` and `History.Advice`
//! dictionaries as JSON objects with its own keys (the text forms live in `history`).

use crate::fail::{describe, unreachable};
use crate::json;
use stimd::api::history::HistoryProxy;

pub async fn summary(
    conn: &zbus::Connection,
    since: Option<String>,
    until: Option<String>,
) -> Result<(), String> {
    let since = crate::history::since_day(since)?;
    let until = crate::history::until_day(until)?;
    let h = HistoryProxy::new(conn).await.map_err(unreachable)?;
    let s = h.summary(since, until).await.map_err(describe)?;
    json::print(&json::dict(&s), true);
    Ok(())
}

pub async fn advice(conn: &zbus::Connection, profile: &str) -> Result<(), String> {
    let h = HistoryProxy::new(conn).await.map_err(unreachable)?;
    let a = h.advice(profile).await.map_err(describe)?;
    json::print(&json::dict(&a), true);
    Ok(())
}
