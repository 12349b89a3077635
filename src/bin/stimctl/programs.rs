//! `stimctl programs` and `stimctl program show|add|rm` (`plot` is `plot`'s).

use crate::fail::{describe, unreachable};
use crate::json;
use crate::say::{clean, s, text_args};
use crate::ProgramCmd;
use serde_json::json;
use std::collections::HashMap;
use stimd::api::programs::ProgramsProxy;
use zbus::zvariant::OwnedValue;

/// A `Programs.Get` entry as text (as stimd sent it).
pub(crate) fn text_of(d: &HashMap<String, OwnedValue>, key: &str) -> String {
    d.get(key)
        .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
        .unwrap_or_default()
}

pub async fn program_cmd(
    conn: &zbus::Connection,
    cmd: Option<ProgramCmd>,
    list_json: bool,
) -> Result<(), String> {
    let programs = ProgramsProxy::new(conn).await.map_err(unreachable)?;
    match cmd {
        None => {
            let list = programs.list().await.map_err(describe)?;
            if list_json {
                let doc: Vec<_> = list
                    .iter()
                    .map(|(id, name, kind, summary)| {
                        json!({"id": id, "name": name, "kind": kind, "summary": summary})
                    })
                    .collect();
                json::print(&json!(doc), true);
                return Ok(());
            }
            for (id, name, kind, summary) in list {
                println!(
                    "{:<16} {:<6} {}\n{:16} {}",
                    clean(&id),
                    clean(&kind),
                    clean(&name),
                    "",
                    clean(&summary)
                );
            }
        }
        Some(ProgramCmd::Show { id, out }) => {
            let d = programs.get(&id).await.map_err(describe)?;
            if out.json {
                json::print(&json::dict(&d), true);
                return Ok(());
            }
            let t = |k: &str| clean(&text_of(&d, k));
            println!("{} — {} ({})", t("id"), t("name"), t("kind"));
            println!("{}", t("summary"));
            println!(
                "{}",
                text_args("program-segments", &[("outline", s(&t("outline")))])
            );
            // The program file keeps its line breaks; other control characters go.
            let toml: Vec<String> = text_of(&d, "toml").lines().map(clean).collect();
            println!("\n{}", toml.join("\n"));
        }
        Some(ProgramCmd::Add { file }) => {
            let source = std::fs::read_to_string(&file).map_err(|e| {
                text_args(
                    "error-file-unreadable",
                    &[
                        ("arg", s("FILE")),
                        ("file", s(&file.display().to_string())),
                        ("error", s(&e.to_string())),
                    ],
                )
            })?;
            let id = programs.add(&source).await.map_err(describe)?;
            println!("{}", text_args("program-added", &[("id", s(&clean(&id)))]));
        }
        Some(ProgramCmd::Plot {
            id,
            output,
            intensity,
        }) => return crate::plot::plot(conn, &id, &output, intensity).await,
        Some(ProgramCmd::Rm { id }) => {
            programs.remove(&id).await.map_err(describe)?;
            println!(
                "{}",
                text_args("program-removed", &[("id", s(&clean(&id)))])
            );
        }
    }
    Ok(())
}
