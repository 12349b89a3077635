//! `stimctl programs` and `stimctl program show|add|rm`.

use crate::{describe, ProgramCmd};
use std::collections::HashMap;
use stimd::api::programs::ProgramsProxy;
use zbus::zvariant::OwnedValue;

/// A `Programs.Get` entry as text.
pub(crate) fn text_of(d: &HashMap<String, OwnedValue>, key: &str) -> String {
    d.get(key)
        .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
        .unwrap_or_default()
}

pub async fn program_cmd(conn: &zbus::Connection, cmd: Option<ProgramCmd>) -> Result<(), String> {
    let programs = ProgramsProxy::new(conn).await.map_err(crate::unreachable)?;
    match cmd {
        None => {
            for (id, name, kind, summary) in programs.list().await.map_err(describe)? {
                println!("{id:<16} {kind:<6} {name}\n{:16} {summary}", "");
            }
        }
        Some(ProgramCmd::Show { id }) => {
            let d = programs.get(&id).await.map_err(describe)?;
            println!(
                "{} — {} ({})",
                text_of(&d, "id"),
                text_of(&d, "name"),
                text_of(&d, "kind")
            );
            println!("{}", text_of(&d, "summary"));
            println!("segments: {}", text_of(&d, "outline"));
            println!("\n{}", text_of(&d, "toml"));
        }
        Some(ProgramCmd::Add { file }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("FILE = {}: {e}", file.display()))?;
            let id = programs.add(&text).await.map_err(describe)?;
            println!("program {id} added");
        }
        Some(ProgramCmd::Plot {
            id,
            output,
            intensity,
        }) => return crate::plot::plot(conn, &id, &output, intensity).await,
        Some(ProgramCmd::Rm { id }) => {
            programs.remove(&id).await.map_err(describe)?;
            println!("program {id} removed");
        }
    }
    Ok(())
}
